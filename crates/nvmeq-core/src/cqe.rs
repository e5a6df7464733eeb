//! The completion queue entry: NVMe Base Specification, "Common Completion Queue Entry Layout" figure.

use bitfield_struct::bitfield;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::status::Status;

/// Completion dword 3, bits 31:16: the Phase Tag and the Status field
/// (Base spec, "Completion Queue Entry: Status Field" figure).
#[bitfield(u16)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct StatusField {
    /// Phase Tag (P).
    pub p: bool,
    /// The 15-bit status (SC, SCT, CRD, M, DNR), as Linux reports it.
    #[bits(15)]
    pub status: u16,
}

/// The 16-byte completion queue entry.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Completion {
    /// Dword 0: command specific result.
    pub dw0: u32,
    /// Dword 1: command specific result.
    pub dw1: u32,
    /// SQ Head Pointer (SQHD).
    pub sqhd: u16,
    /// SQ Identifier (SQID).
    pub sqid: u16,
    /// Command Identifier (CID).
    pub cid: u16,
    /// Phase tag and status.
    pub sf: StatusField,
}

const _: () = assert!(core::mem::size_of::<Completion>() == 16);
const _: () = assert!(core::mem::offset_of!(Completion, cid) == 12);

impl Completion {
    /// A completion as the kernel passthrough interfaces report it: a 64-bit
    /// result (dw0 in the low half) and the 15-bit status.
    #[inline]
    pub const fn from_result(result: u64, status: Status) -> Self {
        Self {
            dw0: result as u32,
            dw1: (result >> 32) as u32,
            sqhd: 0,
            sqid: 0,
            cid: 0,
            sf: StatusField::new().with_status(status.into_bits()),
        }
    }

    /// The decoded status.
    #[inline]
    pub const fn status(&self) -> Status {
        Status::from_bits(self.sf.status())
    }

    /// The phase tag.
    #[inline]
    pub const fn phase(&self) -> bool {
        self.sf.p()
    }

    /// Dword 0 and dword 1 as one 64-bit result.
    #[inline]
    pub const fn result(&self) -> u64 {
        self.dw0 as u64 | (self.dw1 as u64) << 32
    }

    /// `Ok(self)` when the status is success, else `Err(Error::Status)`.
    #[inline]
    pub fn ok(self) -> Result<Self, crate::Error> {
        if self.status().is_success() {
            Ok(self)
        } else {
            Err(crate::Error::Status(self.status()))
        }
    }
}
