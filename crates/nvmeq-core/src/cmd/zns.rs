//! Zoned Namespace command set I/O command builders (NVMe Zoned Namespace
//! Command Set Specification 1.1, "I/O Commands for the Zoned Namespace
//! Command Set").
//!
//! Through Linux: the same passthrough paths as the NVM commands
//! (`IORING_OP_URING_CMD` on the zoned namespace's `/dev/ngXnY` needs Linux
//! 5.19).

use bitfield_struct::bitfield;

use super::nvm::{AppTagCdw15, Prinfo};
use super::{Cmd, Numd, QueueKind, Xfer};
use crate::cqe::Completion;
use crate::opcode::NvmOpcode;
use crate::sqe::Command;

#[inline]
const fn io(sqe: Command, xfer: Xfer) -> Cmd {
    Cmd::with_xfer(QueueKind::Io, sqe, xfer)
}

open_enum! {
    /// Zone Send Action (ZSA), ZNS spec "Zone Send Action".
    ZoneSendAction {
        /// 1h: Close Zone.
        CLOSE = 0x01 => "Close Zone",
        /// 2h: Finish Zone.
        FINISH = 0x02 => "Finish Zone",
        /// 3h: Open Zone.
        OPEN = 0x03 => "Open Zone",
        /// 4h: Reset Zone.
        RESET = 0x04 => "Reset Zone",
        /// 5h: Offline Zone.
        OFFLINE = 0x05 => "Offline Zone",
        /// 10h: Set Zone Descriptor Extension.
        SET_ZDE = 0x10 => "Set Zone Descriptor Extension",
        /// 11h: Flush Explicit Zone Resource Allocation (ZRWA).
        FLUSH_ZRWA = 0x11 => "Flush Explicit Zone Resource Allocation",
    }
}

/// Zone Management Send Command Dword 13 (ZNS spec, "Zone Management Send –
/// Command Dword 13").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct ZoneSendCdw13 {
    /// Zone Send Action (ZSA).
    pub zsa: u8,
    /// Select All: apply to all zones (SLBA ignored).
    pub select_all: bool,
    /// Zone Send Action Specific Option (ZSASO).
    pub zsaso: bool,
    /// Reserved (bits 31:10).
    #[bits(22)]
    _rsvd: u32,
}

/// Zone Management Send (ZNS 79h), ZNS spec "Zone Management Send command".
///
/// Moves no data, except Set Zone Descriptor Extension, which sends the
/// zone's descriptor extension: ZDES × 64 bytes (ZDES from the LBA Format
/// Extension of Identify Namespace for the ZNS command set). Built with
/// [`ZoneMgmtSend::new`] and [`ZoneSendAction::SET_ZDE`] but without
/// [`ZoneMgmtSend::zdes`], the builder assumes the largest extension (255 ×
/// 64 bytes), so the buffer a backend checks always covers what the
/// controller reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneMgmtSend {
    nsid: u32,
    slba: u64,
    cdw13: ZoneSendCdw13,
    zdes: u8,
}

impl ZoneMgmtSend {
    /// Apply `zsa` to the zone starting at `slba`.
    #[inline]
    pub const fn new(nsid: u32, slba: u64, zsa: ZoneSendAction) -> Self {
        ZoneMgmtSend {
            nsid,
            slba,
            cdw13: ZoneSendCdw13::new().with_zsa(zsa.0),
            zdes: u8::MAX,
        }
    }
    /// Reset the zone at `slba`.
    #[inline]
    pub const fn reset(nsid: u32, slba: u64) -> Self {
        Self::new(nsid, slba, ZoneSendAction::RESET)
    }
    /// Set the descriptor extension of the zone at `slba` from `zdes` × 64
    /// bytes of data.
    #[inline]
    pub const fn set_zde(nsid: u32, slba: u64, zdes: u8) -> Self {
        Self::new(nsid, slba, ZoneSendAction::SET_ZDE).zdes(zdes)
    }
    /// Select All: apply the action to every zone it applies to.
    #[inline]
    pub const fn select_all(mut self, all: bool) -> Self {
        self.cdw13 = self.cdw13.with_select_all(all);
        self
    }
    /// Zone Send Action Specific Option (ZSASO), e.g. Reset with ZRWA.
    #[inline]
    pub const fn zsaso(mut self, zsaso: bool) -> Self {
        self.cdw13 = self.cdw13.with_zsaso(zsaso);
        self
    }
    /// Zone Descriptor Extension Size (ZDES) in 64-byte units, for SET_ZDE.
    #[inline]
    pub const fn zdes(mut self, zdes: u8) -> Self {
        self.zdes = zdes;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::ZONE_MGMT_SEND.0, self.nsid);
        sqe.cdw10 = self.slba as u32;
        sqe.cdw11 = (self.slba >> 32) as u32;
        sqe.cdw13 = self.cdw13.into_bits();
        let xfer = if self.cdw13.zsa() == ZoneSendAction::SET_ZDE.0 && self.zdes != 0 {
            Xfer::Bytes(self.zdes as u32 * 64)
        } else {
            Xfer::None
        };
        io(sqe, xfer)
    }
}

open_enum! {
    /// Zone Receive Action (ZRA), ZNS spec "Zone Receive Action".
    ZoneRecvAction {
        /// 0h: Report Zones.
        REPORT = 0x00 => "Report Zones",
        /// 1h: Extended Report Zones (descriptors followed by extensions).
        EXTENDED = 0x01 => "Extended Report Zones",
    }
}

open_enum! {
    /// Zone Receive Action Specific Field (ZRASF) of Report Zones: which
    /// zones to list.
    ZoneFilter {
        /// 0h: all zones.
        ALL = 0x00 => "All",
        /// 1h: ZSE:Empty.
        EMPTY = 0x01 => "Empty",
        /// 2h: ZSIO:Implicitly Opened.
        IMPLICITLY_OPENED = 0x02 => "Implicitly Opened",
        /// 3h: ZSEO:Explicitly Opened.
        EXPLICITLY_OPENED = 0x03 => "Explicitly Opened",
        /// 4h: ZSC:Closed.
        CLOSED = 0x04 => "Closed",
        /// 5h: ZSF:Full.
        FULL = 0x05 => "Full",
        /// 6h: ZSRO:Read Only.
        READ_ONLY = 0x06 => "Read Only",
        /// 7h: ZSO:Offline.
        OFFLINE = 0x07 => "Offline",
    }
}

/// Zone Management Receive Command Dword 13 (ZNS spec, "Zone Management
/// Receive – Command Dword 13").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct ZoneRecvCdw13 {
    /// Zone Receive Action (ZRA).
    pub zra: u8,
    /// Zone Receive Action Specific Field (ZRASF).
    pub zrasf: u8,
    /// Partial Report: Number of Zones counts only the zones returned.
    pub partial: bool,
    /// Reserved (bits 31:17).
    #[bits(15)]
    _rsvd: u16,
}

/// Zone Management Receive (ZNS 7Ah), ZNS spec "Zone Management Receive
/// command": returns `NUMD + 1` dwords of zone report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneMgmtRecv {
    nsid: u32,
    slba: u64,
    numd: Numd,
    cdw13: ZoneRecvCdw13,
}

impl ZoneMgmtRecv {
    /// Report zones from the zone containing `slba`, into `numd` of buffer
    /// (a 64-byte header, then 64-byte zone descriptors).
    #[inline]
    pub const fn new(nsid: u32, slba: u64, numd: Numd) -> Self {
        ZoneMgmtRecv {
            nsid,
            slba,
            numd,
            cdw13: ZoneRecvCdw13::new(),
        }
    }
    /// Zone Receive Action (ZRA).
    #[inline]
    pub const fn zra(mut self, zra: ZoneRecvAction) -> Self {
        self.cdw13 = self.cdw13.with_zra(zra.0);
        self
    }
    /// Zone Receive Action Specific Field (ZRASF): which zones to list.
    #[inline]
    pub const fn zrasf(mut self, zrasf: ZoneFilter) -> Self {
        self.cdw13 = self.cdw13.with_zrasf(zrasf.0);
        self
    }
    /// Partial Report.
    #[inline]
    pub const fn partial(mut self, partial: bool) -> Self {
        self.cdw13 = self.cdw13.with_partial(partial);
        self
    }
    /// The command: CDW10/11 SLBA, CDW12 NUMD (zero-based), CDW13.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::ZONE_MGMT_RECV.0, self.nsid);
        sqe.cdw10 = self.slba as u32;
        sqe.cdw11 = (self.slba >> 32) as u32;
        sqe.cdw12 = self.numd.z();
        sqe.cdw13 = self.cdw13.into_bits();
        io(sqe, Xfer::Bytes(self.numd.bytes()))
    }
}

/// Zone Append Command Dword 12 (ZNS spec, "Zone Append – Command Dword 12").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct ZoneAppendCdw12 {
    /// Number of Logical Blocks (NLB), zero-based.
    pub nlb_z: u16,
    /// Reserved (bits 23:16).
    #[bits(8)]
    _rsvd: u8,
    /// Storage Tag Check (STC).
    pub stc: bool,
    /// Protection Information Remap (PIREMAP).
    pub piremap: bool,
    /// Protection Information Field (PRINFO).
    #[bits(4)]
    pub prinfo: u8,
    /// Force Unit Access (FUA).
    pub fua: bool,
    /// Limited Retry (LR).
    pub lr: bool,
}

/// Zone Append (ZNS 7Dh), ZNS spec "Zone Append command": writes
/// `nlb_z + 1` blocks at the write pointer of the zone starting at ZSLBA; the
/// controller reports where in completion dwords 0 and 1
/// ([`ZoneAppend::assigned_lba`]).
///
/// Linux passthrough returns both dwords only through the 64-bit result of
/// `NVME_IOCTL_IO64_CMD` or `IORING_OP_URING_CMD` (Linux 5.19, big CQEs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneAppend {
    nsid: u32,
    zslba: u64,
    cdw12: ZoneAppendCdw12,
    cdw14: u32,
    cdw15: AppTagCdw15,
}

impl ZoneAppend {
    /// Append `nlb_z + 1` blocks to the zone starting at `zslba`.
    #[inline]
    pub const fn new(nsid: u32, zslba: u64, nlb_z: u16) -> Self {
        ZoneAppend {
            nsid,
            zslba,
            cdw12: ZoneAppendCdw12::new().with_nlb_z(nlb_z),
            cdw14: 0,
            cdw15: AppTagCdw15::new(),
        }
    }
    /// Force Unit Access (FUA).
    #[inline]
    pub const fn fua(mut self, fua: bool) -> Self {
        self.cdw12 = self.cdw12.with_fua(fua);
        self
    }
    /// Limited Retry (LR).
    #[inline]
    pub const fn lr(mut self, lr: bool) -> Self {
        self.cdw12 = self.cdw12.with_lr(lr);
        self
    }
    /// Protection Information Field (PRINFO).
    #[inline]
    pub const fn prinfo(mut self, prinfo: Prinfo) -> Self {
        self.cdw12 = self.cdw12.with_prinfo(prinfo.into_bits() & 0xf);
        self
    }
    /// Protection Information Remap (PIREMAP).
    #[inline]
    pub const fn piremap(mut self, piremap: bool) -> Self {
        self.cdw12 = self.cdw12.with_piremap(piremap);
        self
    }
    /// Storage Tag Check (STC).
    #[inline]
    pub const fn stc(mut self, stc: bool) -> Self {
        self.cdw12 = self.cdw12.with_stc(stc);
        self
    }
    /// Initial Logical Block Reference Tag (ILBRT, CDW14).
    #[inline]
    pub const fn ilbrt(mut self, ilbrt: u32) -> Self {
        self.cdw14 = ilbrt;
        self
    }
    /// Logical Block Application Tag (LBAT) and mask (LBATM).
    #[inline]
    pub const fn lbat(mut self, lbat: u16, lbatm: u16) -> Self {
        self.cdw15 = self.cdw15.with_lbat(lbat).with_lbatm(lbatm);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::ZONE_APPEND.0, self.nsid);
        sqe.cdw10 = self.zslba as u32;
        sqe.cdw11 = (self.zslba >> 32) as u32;
        sqe.cdw12 = self.cdw12.into_bits();
        sqe.cdw14 = self.cdw14;
        sqe.cdw15 = self.cdw15.into_bits();
        io(sqe, Xfer::Blocks(self.cdw12.nlb_z() as u32 + 1))
    }
    /// The first LBA the controller wrote: completion dwords 0 (low) and 1
    /// (high), ZNS spec "Zone Append – Completion Queue Entry Dword 0 and 1".
    #[inline]
    pub const fn assigned_lba(c: &Completion) -> u64 {
        c.result()
    }
}
