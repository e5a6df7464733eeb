//! Firmware Commit and Firmware Image Download (Base spec 2.0, "Firmware
//! Commit command", "Firmware Image Download command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Numd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

// ------------------------------------------------------------------ Firmware

/// Commit Action (CA) of Firmware Commit (Base spec, "Firmware Commit –
/// Command Dword 10").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CommitAction {
    /// 000b: replace the image in the slot; do not activate.
    Replace = 0,
    /// 001b: replace the image and activate it at the next reset.
    ReplaceAndActivate = 1,
    /// 010b: activate the image already in the slot at the next reset.
    Activate = 2,
    /// 011b: replace and activate immediately, without a reset.
    ReplaceAndActivateNow = 3,
    /// 110b: replace the boot partition given by BPID.
    ReplaceBootPartition = 6,
    /// 111b: mark the boot partition given by BPID active.
    ActivateBootPartition = 7,
}

/// Firmware Commit Command Dword 10 (Base spec, "Firmware Commit – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct FirmwareCommitCdw10 {
    /// Firmware Slot (FS): 0 lets the controller choose.
    #[bits(3)]
    pub fs: u8,
    /// Commit Action (CA).
    #[bits(3)]
    pub ca: u8,
    /// Reserved (bits 30:6).
    #[bits(25)]
    _rsvd: u32,
    /// Boot Partition ID (BPID).
    pub bpid: bool,
}

/// Firmware Commit (admin 10h), Base spec "Firmware Commit command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareCommit {
    cdw10: FirmwareCommitCdw10,
}

impl FirmwareCommit {
    /// Commit action `ca` on firmware slot `fs` (0..=7; 0 lets the controller
    /// choose; bits above 2 are ignored).
    #[inline]
    pub const fn new(fs: u8, ca: CommitAction) -> Self {
        FirmwareCommit {
            cdw10: FirmwareCommitCdw10::new().with_fs(fs & 7).with_ca(ca as u8),
        }
    }
    /// Boot Partition ID (BPID), for the boot partition actions.
    #[inline]
    pub const fn bpid(mut self, bpid: bool) -> Self {
        self.cdw10 = self.cdw10.with_bpid(bpid);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::FIRMWARE_COMMIT.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
}

/// Firmware Image Download (admin 11h), Base spec "Firmware Image Download
/// command": sends `NUMD + 1` dwords of image at dword offset OFST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareDownload {
    numd: Numd,
    ofst: u32,
}

impl FirmwareDownload {
    /// Send `numd` of the image, at dword offset `ofst` (Offset, OFST).
    #[inline]
    pub const fn new(numd: Numd, ofst: u32) -> Self {
        FirmwareDownload { numd, ofst }
    }
    /// The command: CDW10 NUMD (zero-based), CDW11 OFST.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::FIRMWARE_DOWNLOAD.0, 0);
        sqe.cdw10 = self.numd.z();
        sqe.cdw11 = self.ofst;
        admin(sqe, Xfer::Bytes(self.numd.bytes()))
    }
}
