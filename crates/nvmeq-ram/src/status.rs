//! The statuses the controller returns, and `Fail`, a failed command's
//! status plus what the Error Information log records about it.

use nvmeq_core::{Sct, Status};

const fn generic(sc: u8) -> Status {
    Status::from_parts(Sct::GENERIC, sc).with_dnr(true)
}

/// Invalid Command Opcode.
pub const INVALID_OPCODE: Status = generic(0x01);
/// Invalid Field in Command.
pub const INVALID_FIELD: Status = generic(0x02);
/// Data Transfer Error: the command describes more data than its buffer holds.
pub const DATA_TRANSFER_ERROR: Status = generic(0x04);
/// Invalid Namespace or Format.
pub const INVALID_NS: Status = generic(0x0b);
/// LBA Out of Range.
pub const LBA_OUT_OF_RANGE: Status = generic(0x80);
/// Invalid Log Page (command specific).
pub const INVALID_LOG_PAGE: Status = Status::from_parts(Sct::COMMAND_SPECIFIC, 0x09).with_dnr(true);
/// Feature Identifier Not Saveable (command specific).
pub const FEATURE_NOT_SAVEABLE: Status =
    Status::from_parts(Sct::COMMAND_SPECIFIC, 0x0d).with_dnr(true);
/// Command Size Limit Exceeded (command specific, Copy).
pub const COMMAND_SIZE_LIMIT_EXCEEDED: Status =
    Status::from_parts(Sct::COMMAND_SPECIFIC, 0x83).with_dnr(true);
/// Compare Failure (media and data integrity errors; current specifications).
pub const COMPARE_FAILURE: Status = Status::from_parts(Sct::MEDIA, 0x85);

/// Parameter Error Location value for "not specific to a field".
pub(crate) const NO_PARAM: u16 = 0xffff;

/// Why a command failed, as the completion and the Error Information log say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fail {
    pub status: Status,
    /// First LBA that failed, when the command addresses LBAs (0 otherwise).
    pub lba: u64,
    /// Parameter Error Location: byte offset in the SQE (bits 7:0) and bit
    /// (bits 10:8) of the field in error.
    pub param: u16,
}

impl Fail {
    pub(crate) const fn new(status: Status, param_byte: u8) -> Self {
        Fail {
            status,
            lba: 0,
            param: param_byte as u16,
        }
    }
    pub(crate) const fn at_lba(status: Status, lba: u64, param_byte: u8) -> Self {
        Fail {
            status,
            lba,
            param: param_byte as u16,
        }
    }
    pub(crate) const fn unspecific(status: Status) -> Self {
        Fail {
            status,
            lba: 0,
            param: NO_PARAM,
        }
    }
}

/// Byte offsets of SQE fields, for the Parameter Error Location.
pub(crate) mod at {
    pub const OPC: u8 = 0;
    pub const NSID: u8 = 4;
    pub const CDW10: u8 = 40;
    pub const CDW11: u8 = 44;
    pub const CDW12: u8 = 48;
}
