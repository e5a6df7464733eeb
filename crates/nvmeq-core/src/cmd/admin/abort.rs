//! Abort (Base spec, "Abort command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::cqe::Completion;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Abort Command Dword 10 (Base spec, "Abort – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct AbortCdw10 {
    /// Submission Queue Identifier (SQID).
    pub sqid: u16,
    /// Command Identifier (CID).
    pub cid: u16,
}

/// Abort (admin 08h), Base spec "Abort command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abort {
    cdw10: AbortCdw10,
}

impl Abort {
    /// Abort command `cid` of submission queue `sqid`.
    #[inline]
    pub const fn new(sqid: u16, cid: u16) -> Self {
        Abort {
            cdw10: AbortCdw10::new().with_sqid(sqid).with_cid(cid),
        }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::ABORT.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
    /// Whether the command was aborted: completion dword 0 bit 0 is cleared
    /// when it was ("Abort – Completion Queue Entry Dword 0").
    #[inline]
    pub const fn aborted(c: &Completion) -> bool {
        c.dw0 & 1 == 0
    }
}
