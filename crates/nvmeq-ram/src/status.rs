//! How the controller fails a command: the core's `Status` constants with
//! Do Not Retry set, and `Fail`, a failed command's status plus what the
//! Error Information log records about it.

use nvmeq_core::Status;

/// `s` with Do Not Retry set: the emulated controller's failures are
/// deterministic, so retrying the same command cannot help.
#[inline]
pub(crate) const fn dnr(s: Status) -> Status {
    s.with_dnr(true)
}

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
    pub const CDW14: u8 = 56;
}
