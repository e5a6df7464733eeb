//! Status decoding: NVMe Base Specification, "Completion Queue Entry: Status Field"
//! and the status code tables for each Status Code Type.

use bitfield_struct::bitfield;
use core::fmt;

/// Status Code Type (SCT). An open enum: an unknown value is data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sct(pub u8);

impl Sct {
    /// Generic Command Status.
    pub const GENERIC: Sct = Sct(0);
    /// Command Specific Status.
    pub const COMMAND_SPECIFIC: Sct = Sct(1);
    /// Media and Data Integrity Errors.
    pub const MEDIA: Sct = Sct(2);
    /// Path Related Status.
    pub const PATH: Sct = Sct(3);
    /// Vendor Specific.
    pub const VENDOR: Sct = Sct(7);

    /// The type's name in the specification.
    #[inline]
    pub const fn name(self) -> &'static str {
        match self.0 {
            0 => "Generic Command Status",
            1 => "Command Specific Status",
            2 => "Media and Data Integrity Errors",
            3 => "Path Related Status",
            7 => "Vendor Specific",
            _ => "Reserved",
        }
    }
}

/// The 15-bit status field of a completion (without the phase tag), in the
/// form Linux's passthrough interfaces return it.
#[bitfield(u16, debug = false)]
#[derive(PartialEq, Eq, Hash)]
pub struct Status {
    /// Status Code (SC).
    pub sc: u8,
    /// Status Code Type (SCT), raw.
    #[bits(3)]
    pub sct_raw: u8,
    /// Command Retry Delay (CRD): index into CRDT1..3, 0 for none.
    #[bits(2)]
    pub crd: u8,
    /// More (M): more information in the Error Information log.
    pub more: bool,
    /// Do Not Retry (DNR).
    pub dnr: bool,
    /// Not part of the status (the phase tag's place once shifted).
    pub _rsvd: bool,
}

impl Status {
    /// Successful Completion.
    pub const SUCCESS: Status = Status::new();

    /// A status from its type and code.
    #[inline]
    pub const fn from_parts(sct: Sct, sc: u8) -> Self {
        Status::new().with_sct_raw(sct.0).with_sc(sc)
    }

    /// The Status Code Type.
    #[inline]
    pub const fn sct(&self) -> Sct {
        Sct(self.sct_raw())
    }

    /// True for Successful Completion (SCT 0, SC 0).
    #[inline]
    pub const fn is_success(&self) -> bool {
        self.sct_raw() == 0 && self.sc() == 0
    }

    /// True when the command failed and Do Not Retry is clear: the same
    /// command may succeed if submitted again (after the Command Retry Delay
    /// that [`Status::crd`] selects, if any).
    #[inline]
    pub const fn is_retryable(&self) -> bool {
        !self.is_success() && !self.dnr()
    }

    /// True for the Path Related Status type (SCT 3h): the command may
    /// succeed on another path to the namespace.
    #[inline]
    pub const fn is_path_error(&self) -> bool {
        self.sct_raw() == Sct::PATH.0
    }

    /// True when both have the same Status Code Type and Status Code,
    /// whatever their DNR, More and CRD bits: the way to test for a
    /// particular status, since a controller may set DNR on any failure.
    #[inline]
    pub const fn same_code(&self, other: Status) -> bool {
        self.sct_raw() == other.sct_raw() && self.sc() == other.sc()
    }

    /// The status code's name in the specification, if it has one.
    #[inline]
    pub const fn name(&self) -> Option<&'static str> {
        crate::status_names::name(self.sct_raw(), self.sc())
    }
}

impl fmt::Display for Status {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n)?,
            None if self.sct() == Sct::VENDOR => f.write_str("Vendor Specific Status")?,
            None => f.write_str("Unknown Status")?,
        }
        write!(f, " (sct {:#x}, sc {:#04x})", self.sct_raw(), self.sc())?;
        if self.dnr() {
            f.write_str(" [DNR]")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Status {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
