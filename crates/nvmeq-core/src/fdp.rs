//! Flexible Data Placement data returned by I/O Management Receive (Base
//! spec 2.0 with TP4146, Figure "Reclaim Unit Handle Status"): a 16-byte
//! header, then 32-byte Reclaim Unit Handle Status Descriptors. The command
//! is [`crate::cmd::IoMgmtRecv`].

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Reclaim Unit Handle Status header (16 bytes).
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct RuhStatusHeader {
    /// Reserved.
    pub rsvd0: [u8; 14],
    /// Number of Reclaim Unit Handle Status Descriptors (NRUHSD).
    pub nruhsd: U16,
}

const _: () = assert!(size_of::<RuhStatusHeader>() == 16);
const _: () = assert!(offset_of!(RuhStatusHeader, nruhsd) == 14);

/// Reclaim Unit Handle Status Descriptor (32 bytes).
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct RuhStatusDesc {
    /// Placement Identifier (PID): the Reclaim Group in the top RGIF bits,
    /// the Placement Handle below them.
    pub pid: U16,
    /// Reclaim Unit Handle Identifier (RUHID).
    pub ruhid: U16,
    /// Estimated Active Reclaim Unit Time Remaining (EARUTR), seconds.
    pub earutr: U32,
    /// Reclaim Unit Available Media Writes (RUAMW), logical blocks.
    pub ruamw: U64,
    /// Reserved.
    pub rsvd16: [u8; 16],
}

const _: () = assert!(size_of::<RuhStatusDesc>() == 32);
const _: () = assert!(offset_of!(RuhStatusDesc, earutr) == 4);
const _: () = assert!(offset_of!(RuhStatusDesc, ruamw) == 8);

/// The header and the descriptors of a Reclaim Unit Handle Status: at most
/// NRUHSD, and only those wholly inside `data`.
pub fn ruh_status(data: &[u8]) -> (RuhStatusHeader, impl Iterator<Item = RuhStatusDesc> + '_) {
    let mut head = [0u8; size_of::<RuhStatusHeader>()];
    let n = data.len().min(head.len());
    head[..n].copy_from_slice(&data[..n]);
    let h = RuhStatusHeader::read_from_bytes(&head).unwrap_or_default();
    let descs = data
        .get(size_of::<RuhStatusHeader>()..)
        .unwrap_or(&[])
        .chunks_exact(size_of::<RuhStatusDesc>())
        .take(h.nruhsd.get() as usize)
        .filter_map(|c| RuhStatusDesc::read_from_bytes(c).ok());
    (h, descs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden() {
        let mut b = [0u8; 16 + 64 + 8];
        b[14] = 3; // three, two fit
        b[16] = 0x01;
        b[17] = 0x02;
        b[18] = 5;
        b[20..24].copy_from_slice(&77u32.to_le_bytes());
        b[24..32].copy_from_slice(&0x1_0000_0002u64.to_le_bytes());
        b[48] = 9;
        let (h, mut d) = ruh_status(&b);
        assert_eq!(h.nruhsd.get(), 3);
        let a = d.next().unwrap();
        assert_eq!(
            (a.pid.get(), a.ruhid.get(), a.earutr.get(), a.ruamw.get()),
            (0x0201, 5, 77, 0x1_0000_0002)
        );
        assert_eq!(d.next().unwrap().pid.get(), 9);
        assert!(d.next().is_none());
    }
}
