//! The Reservation Status data structure that Reservation Report returns
//! (NVM Command Set spec 1.0, figures "Reservation Status Data Structure",
//! "Registered Controller Data Structure" and "Registered Controller
//! Extended Data Structure"): a header, then one entry per registrant, 24
//! bytes each (64-bit host identifiers) or, with EDS, a 64-byte header and
//! 64-byte entries (128-bit host identifiers).
//!
//! The multi-byte fields sit at odd offsets (REGCTL at byte 5), so they are
//! little-endian wrappers with alignment 1.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

/// The header of the Reservation Status data structure (bytes 0..24; with
/// EDS the entries start at byte 64 instead, bytes 24..64 reserved).
#[repr(C)]
#[derive(
    Debug,
    Default,
    Clone,
    Copy,
    PartialEq,
    Eq,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
    Unaligned,
)]
pub struct ReservationStatusHeader {
    /// Generation (GEN): counts Register, Preempt and Clear actions.
    pub gen: U32,
    /// Reservation Type (RTYPE) held, 0 for none.
    pub rtype: u8,
    /// Number of Registered Controllers (REGCTL).
    pub regctl: U16,
    /// Reserved (bytes 7..9).
    pub rsvd7: [u8; 2],
    /// Persist Through Power Loss State (PTPLS).
    pub ptpls: u8,
    /// Reserved (bytes 10..24).
    pub rsvd10: [u8; 14],
}

const _: () = assert!(size_of::<ReservationStatusHeader>() == 24);
const _: () = assert!(offset_of!(ReservationStatusHeader, regctl) == 5);
const _: () = assert!(offset_of!(ReservationStatusHeader, ptpls) == 9);

/// Registered Controller data structure (24 bytes, without EDS).
#[repr(C)]
#[derive(
    Debug,
    Default,
    Clone,
    Copy,
    PartialEq,
    Eq,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
    Unaligned,
)]
pub struct RegisteredController {
    /// Controller ID (CNTLID); FFFFh when the registrant is not a controller
    /// of this subsystem's host.
    pub cntlid: U16,
    /// Reservation Status (RCSTS): bit 0 holds the reservation.
    pub rcsts: u8,
    /// Reserved (bytes 3..8).
    pub rsvd3: [u8; 5],
    /// Host Identifier (HOSTID), 64-bit.
    pub hostid: U64,
    /// Reservation Key (RKEY).
    pub rkey: U64,
}

const _: () = assert!(size_of::<RegisteredController>() == 24);
const _: () = assert!(offset_of!(RegisteredController, hostid) == 8);
const _: () = assert!(offset_of!(RegisteredController, rkey) == 16);

/// Registered Controller Extended data structure (64 bytes, with EDS).
#[repr(C)]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout, Unaligned,
)]
pub struct RegisteredControllerExt {
    /// Controller ID (CNTLID).
    pub cntlid: U16,
    /// Reservation Status (RCSTS): bit 0 holds the reservation.
    pub rcsts: u8,
    /// Reserved (bytes 3..8).
    pub rsvd3: [u8; 5],
    /// Reservation Key (RKEY).
    pub rkey: U64,
    /// Host Identifier (HOSTID), 128-bit.
    pub hostid: [u8; 16],
    /// Reserved (bytes 32..64).
    pub rsvd32: [u8; 32],
}

const _: () = assert!(size_of::<RegisteredControllerExt>() == 64);
const _: () = assert!(offset_of!(RegisteredControllerExt, rkey) == 8);
const _: () = assert!(offset_of!(RegisteredControllerExt, hostid) == 16);

/// Where the entries of a Reservation Status data structure begin.
pub const fn entries_offset(eds: bool) -> usize {
    if eds {
        64
    } else {
        size_of::<ReservationStatusHeader>()
    }
}

/// The registrants in `buf`, as many as REGCTL says and the buffer holds
/// (a report shorter than REGCTL entries is cut, not an error: the host
/// chose the transfer size).
pub fn registrants(buf: &[u8]) -> impl Iterator<Item = RegisteredController> + '_ {
    entries::<RegisteredController>(buf, false)
}

/// The extended registrants in `buf` (a report read with EDS).
pub fn registrants_ext(buf: &[u8]) -> impl Iterator<Item = RegisteredControllerExt> + '_ {
    entries::<RegisteredControllerExt>(buf, true)
}

fn entries<T: FromBytes + KnownLayout + Immutable + Copy>(
    buf: &[u8],
    eds: bool,
) -> impl Iterator<Item = T> + '_ {
    let n = ReservationStatusHeader::read_from_prefix(buf)
        .map(|(h, _)| usize::from(h.regctl.get()))
        .unwrap_or(0);
    buf.get(entries_offset(eds)..)
        .unwrap_or(&[])
        .chunks_exact(size_of::<T>())
        .take(n)
        .filter_map(|c| T::read_from_bytes(c).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_entries_at_the_spec_offsets() {
        let mut b = [0u8; 24 + 2 * 24];
        b[0..4].copy_from_slice(&7u32.to_le_bytes());
        b[4] = 3; // Write Exclusive – Registrants Only
        b[5..7].copy_from_slice(&3u16.to_le_bytes()); // REGCTL 3, but room for 2
        b[9] = 1;
        b[24..26].copy_from_slice(&0x0102u16.to_le_bytes());
        b[26] = 1;
        b[32..40].copy_from_slice(&0x1111u64.to_le_bytes());
        b[40..48].copy_from_slice(&0xabcdu64.to_le_bytes());
        b[48] = 9;
        let (h, _) = ReservationStatusHeader::read_from_prefix(&b[..]).unwrap();
        assert_eq!(
            (h.gen.get(), h.rtype, h.regctl.get(), h.ptpls),
            (7, 3, 3, 1)
        );
        assert_eq!(registrants(&b).count(), 2, "cut to what the buffer holds");
        let mut r = registrants(&b);
        let first = r.next().unwrap();
        assert_eq!((first.cntlid.get(), first.rcsts), (0x0102, 1));
        assert_eq!((first.hostid.get(), first.rkey.get()), (0x1111, 0xabcd));
        assert_eq!(r.next().unwrap().cntlid.get(), 9);
    }

    #[test]
    fn extended_entries_start_at_64() {
        let mut b = [0u8; 128];
        b[5] = 1;
        b[64] = 5;
        b[72..80].copy_from_slice(&42u64.to_le_bytes());
        b[80] = 0xaa;
        b[95] = 0xbb;
        assert_eq!(registrants_ext(&b).count(), 1);
        let r = registrants_ext(&b).next().unwrap();
        assert_eq!((r.cntlid.get(), r.rkey.get()), (5, 42));
        assert_eq!((r.hostid[0], r.hostid[15]), (0xaa, 0xbb));
        assert_eq!(registrants(&[0u8; 3]).count(), 0, "no header, no entries");
    }
}
