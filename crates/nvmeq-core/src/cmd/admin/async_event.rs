//! Asynchronous Event Request (Base spec, "Asynchronous Event Request command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::cqe::Completion;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Completion dword 0 of an Asynchronous Event Request (Base spec,
/// "Asynchronous Event Request – Completion Queue Entry Dword 0").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct AsyncEvent {
    /// Asynchronous Event Type (AET): 0 error, 1 SMART/health, 2 notice,
    /// 6 I/O command set specific, 7 vendor specific.
    #[bits(3)]
    pub aet: u8,
    /// Reserved (bits 7:3).
    #[bits(5)]
    _rsvd: u8,
    /// Asynchronous Event Information (AEI).
    pub aei: u8,
    /// Log Page Identifier (LID) to read to clear the event.
    pub lid: u8,
    /// Reserved (bits 31:24).
    #[bits(8)]
    _rsvd2: u8,
}

/// Asynchronous Event Request (admin 0Ch), Base spec "Asynchronous Event
/// Request command". No data; completes only when an event occurs, so
/// backends must not apply their normal command timeout to it. For a driver
/// that owns the controller (VFIO): Linux's driver keeps its own requests
/// outstanding and consumes the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsyncEventRequest;

impl AsyncEventRequest {
    /// The request.
    #[inline]
    pub const fn new() -> Self {
        AsyncEventRequest
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        admin(
            Command::new(AdminOpcode::ASYNC_EVENT_REQUEST.0, 0),
            Xfer::None,
        )
    }
    /// The event a completion reports.
    #[inline]
    pub const fn event(c: &Completion) -> AsyncEvent {
        AsyncEvent::from_bits(c.dw0)
    }
}
