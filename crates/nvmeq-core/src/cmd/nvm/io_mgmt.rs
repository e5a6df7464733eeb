//! I/O Management Receive and Send (Base spec 2.0, "I/O Management Receive
//! command", "I/O Management Send command"; Flexible Data Placement, TP4146).

use super::io;
use crate::cmd::{Cmd, Numd, Xfer};
use crate::opcode::NvmOpcode;
use crate::sqe::Command;

open_enum! {
    /// Management Operation (MO) of I/O Management Receive.
    IoMgmtRecvOp {
        /// 00h: no action.
        NONE = 0x00 => "No Action",
        /// 01h: Reclaim Unit Handle Status.
        RUH_STATUS = 0x01 => "Reclaim Unit Handle Status",
    }
}

open_enum! {
    /// Management Operation (MO) of I/O Management Send.
    IoMgmtSendOp {
        /// 00h: no action.
        NONE = 0x00 => "No Action",
        /// 01h: Reclaim Unit Handle Update.
        RUH_UPDATE = 0x01 => "Reclaim Unit Handle Update",
    }
}

/// I/O Management Receive (I/O 12h): CDW10 MO (bits 7:0) and Management
/// Operation Specific (bits 31:16), CDW11 NUMD (zero-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoMgmtRecv {
    nsid: u32,
    mo: IoMgmtRecvOp,
    mos: u16,
    numd: Numd,
}

impl IoMgmtRecv {
    /// Operation `mo` on `nsid`, returning `numd`.
    #[inline]
    pub const fn new(nsid: u32, mo: IoMgmtRecvOp, numd: Numd) -> Self {
        IoMgmtRecv {
            nsid,
            mo,
            mos: 0,
            numd,
        }
    }
    /// Reclaim Unit Handle Status of `nsid` into `numd`.
    #[inline]
    pub const fn ruh_status(nsid: u32, numd: Numd) -> Self {
        Self::new(nsid, IoMgmtRecvOp::RUH_STATUS, numd)
    }
    /// Management Operation Specific (MOS).
    #[inline]
    pub const fn mos(mut self, mos: u16) -> Self {
        self.mos = mos;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::IO_MGMT_RECV.0, self.nsid);
        sqe.cdw10 = self.mo.0 as u32 | (self.mos as u32) << 16;
        sqe.cdw11 = self.numd.z();
        io(sqe, Xfer::Bytes(self.numd.bytes()))
    }
}

/// I/O Management Send (I/O 1Dh): CDW10 MO (bits 7:0) and MOS (bits
/// 31:16). For Reclaim Unit Handle Update MOS is the number of Placement
/// Identifiers, zero-based, and the data is that list of 16-bit values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoMgmtSend {
    nsid: u32,
    mo: IoMgmtSendOp,
    mos: u16,
    len: u32,
}

impl IoMgmtSend {
    /// Operation `mo` on `nsid` sending `len` bytes. For Reclaim Unit
    /// Handle Update the controller reads MOS + 1 identifiers whatever
    /// `len` says, so the transfer is that: `2 × (mos + 1)` bytes.
    #[inline]
    pub const fn new(nsid: u32, mo: IoMgmtSendOp, mos: u16, len: u32) -> Self {
        let len = if mo.0 == IoMgmtSendOp::RUH_UPDATE.0 {
            2 * (mos as u32 + 1)
        } else {
            len
        };
        IoMgmtSend { nsid, mo, mos, len }
    }
    /// Reclaim Unit Handle Update of `pids` placement identifiers (1..=65536),
    /// their list (2 bytes each) the data; `None` for an empty list or a
    /// longer one than MOS can count.
    #[inline]
    pub const fn ruh_update(nsid: u32, pids: u32) -> Option<Self> {
        if pids == 0 || pids > 1 << 16 {
            return None;
        }
        Some(Self::new(
            nsid,
            IoMgmtSendOp::RUH_UPDATE,
            (pids - 1) as u16,
            pids * 2,
        ))
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::IO_MGMT_SEND.0, self.nsid);
        sqe.cdw10 = self.mo.0 as u32 | (self.mos as u32) << 16;
        let xfer = if self.len == 0 {
            Xfer::None
        } else {
            Xfer::Bytes(self.len)
        };
        io(sqe, xfer)
    }
}
