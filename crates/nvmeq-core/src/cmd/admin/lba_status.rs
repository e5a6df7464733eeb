//! Get LBA Status (Base spec, "Get LBA Status command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Numd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

open_enum! {
    /// Action Type (ATYPE) of Get LBA Status.
    LbaStatusAtype {
        /// 10h: scan for, then report, potentially unrecoverable LBAs.
        SCAN_UNTRACKED = 0x10 => "Scan Untracked",
        /// 11h: report the tracked potentially unrecoverable LBAs.
        TRACKED = 0x11 => "Tracked",
    }
}

/// Get LBA Status Command Dword 13.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetLbaStatusCdw13 {
    /// Range Length (RL) in logical blocks (0: to the end of the namespace).
    pub rl: u16,
    /// Reserved (bits 23:16).
    #[bits(8)]
    _rsvd: u8,
    /// Action Type (ATYPE).
    pub atype: u8,
}

/// Get LBA Status (admin 86h), Base spec "Get LBA Status command": returns up
/// to `MNDW + 1` dwords of LBA Status Descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetLbaStatus {
    nsid: u32,
    slba: u64,
    mndw: Numd,
    cdw13: GetLbaStatusCdw13,
}

impl GetLbaStatus {
    /// Report from `slba` of `nsid`, returning at most `mndw` (Maximum Number
    /// of Dwords).
    #[inline]
    pub const fn new(nsid: u32, slba: u64, mndw: Numd, atype: LbaStatusAtype) -> Self {
        GetLbaStatus {
            nsid,
            slba,
            mndw,
            cdw13: GetLbaStatusCdw13::new().with_atype(atype.0),
        }
    }
    /// Range Length (RL).
    #[inline]
    pub const fn rl(mut self, rl: u16) -> Self {
        self.cdw13 = self.cdw13.with_rl(rl);
        self
    }
    /// The command: CDW10/11 SLBA, CDW12 MNDW (zero-based), CDW13 RL/ATYPE.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::GET_LBA_STATUS.0, self.nsid);
        sqe.cdw10 = self.slba as u32;
        sqe.cdw11 = (self.slba >> 32) as u32;
        sqe.cdw12 = self.mndw.z();
        sqe.cdw13 = self.cdw13.into_bits();
        admin(sqe, Xfer::Bytes(self.mndw.bytes()))
    }
}
