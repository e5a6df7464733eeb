//! Keep Alive (Base spec, "Keep Alive command").

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Keep Alive (admin 18h), Base spec "Keep Alive command". No fields, no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeepAlive;

impl KeepAlive {
    /// The keep alive.
    #[inline]
    pub const fn new() -> Self {
        KeepAlive
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        admin(Command::new(AdminOpcode::KEEP_ALIVE.0, 0), Xfer::None)
    }
}
