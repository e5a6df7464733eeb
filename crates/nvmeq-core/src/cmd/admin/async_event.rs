//! Asynchronous Event Request (Base spec, "Asynchronous Event Request command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::cqe::Completion;
use crate::log::LogId;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

open_enum! {
    /// Asynchronous Event Type (AET), Base spec "Asynchronous Event Request –
    /// Completion Queue Entry Dword 0".
    AsyncEventType {
        /// 0h: Error status.
        ERROR = 0 => "Error Status",
        /// 1h: SMART / Health status.
        SMART = 1 => "SMART / Health Status",
        /// 2h: Notice.
        NOTICE = 2 => "Notice",
        /// 6h: I/O Command Set specific status.
        IO_COMMAND_SET = 6 => "I/O Command Set Specific Status",
        /// 7h: Vendor specific.
        VENDOR = 7 => "Vendor Specific",
    }
}

/// Completion dword 0 of an Asynchronous Event Request (Base spec,
/// "Asynchronous Event Request – Completion Queue Entry Dword 0").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct AsyncEvent {
    /// Asynchronous Event Type (AET).
    #[bits(3)]
    pub aet: AsyncEventType,
    /// Reserved (bits 7:3).
    #[bits(5)]
    _rsvd: u8,
    /// Asynchronous Event Information (AEI).
    pub aei: u8,
    /// Log Page Identifier (LID) to read to clear the event.
    #[bits(8)]
    pub lid: LogId,
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
