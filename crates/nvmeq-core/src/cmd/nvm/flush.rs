//! Flush (NVM Command Set spec, "Flush command").

use super::io;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::NvmOpcode;
use crate::sqe::Command;

/// Flush (NVM 00h), NVM Command Set spec "Flush command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flush {
    nsid: u32,
}

impl Flush {
    /// Flush namespace `nsid` (0xffffffff: all namespaces).
    #[inline]
    pub const fn new(nsid: u32) -> Self {
        Flush { nsid }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(Command::new(NvmOpcode::FLUSH.0, self.nsid), Xfer::None)
    }
}
