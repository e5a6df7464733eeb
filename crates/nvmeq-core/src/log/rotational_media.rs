//! Rotational Media Information (NVMe Base 2.1, "Rotational Media
//! Information Log Page", LID 16h): 512 bytes for the Endurance Group the
//! LSI names.

use core::mem::{offset_of, size_of};

use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Rotational Media Information log page: 512 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct RotationalMediaLog {
    /// Endurance Group Identifier (ENDGID).
    pub endgid: U16,
    /// Number of Actuators (NUMA).
    pub numa: U16,
    /// Nominal Rotational Speed (NRS), revolutions per minute.
    pub nrs: U16,
    /// Reserved (bytes 6..8).
    pub rsvd6: [u8; 2],
    /// Spinup Count (SPINC).
    pub spinc: U32,
    /// Failed Spinup Count (FSPINC).
    pub fspinc: U32,
    /// Load Count (LDC).
    pub ldc: U32,
    /// Failed Load Count (FLDC).
    pub fldc: U32,
    /// Reserved (bytes 24..512).
    pub rsvd24: [u8; 488],
}

const _: () = assert!(size_of::<RotationalMediaLog>() == 512);
const _: () = assert!(offset_of!(RotationalMediaLog, nrs) == 4);
const _: () = assert!(offset_of!(RotationalMediaLog, spinc) == 8);
const _: () = assert!(offset_of!(RotationalMediaLog, fldc) == 20);
const _: () = assert!(offset_of!(RotationalMediaLog, rsvd24) == 24);

impl Default for RotationalMediaLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut l = RotationalMediaLog::default();
        l.endgid.set(1);
        l.numa.set(2);
        l.nrs.set(7200);
        l.spinc.set(0x0403_0201);
        l.fspinc.set(5);
        l.ldc.set(6);
        l.fldc.set(7);
        assert_eq!(
            &l.as_bytes()[..24],
            &[1, 0, 2, 0, 0x20, 0x1c, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0]
        );
    }
}
