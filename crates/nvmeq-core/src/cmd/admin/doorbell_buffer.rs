//! Doorbell Buffer Config (Base spec 2.0, "Doorbell Buffer Config command"):
//! a userspace driver's shadow doorbells.

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Doorbell Buffer Config (admin 7Ch), Base spec "Doorbell Buffer Config
/// command": PRP1 is the Shadow Doorbell buffer, PRP2 the EventIdx buffer,
/// each one memory page the controller keeps using afterwards.
///
/// For a userspace (VFIO) driver only: the pages must stay mapped for the
/// controller's life, so the driver that owns them sets them here; the
/// command moves no data buffer ([`Xfer::None`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoorbellBufferConfig {
    shadow: u64,
    eventidx: u64,
}

impl DoorbellBufferConfig {
    /// Shadow doorbell page at bus address `shadow`, EventIdx page at `eventidx`
    /// (both memory-page aligned).
    #[inline]
    pub const fn new(shadow: u64, eventidx: u64) -> Self {
        DoorbellBufferConfig { shadow, eventidx }
    }
    /// The command, with PRP1/PRP2 set.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::DOORBELL_BUFFER_CONFIG.0, 0);
        sqe.dptr = [self.shadow, self.eventidx];
        admin(sqe, Xfer::None)
    }
}
