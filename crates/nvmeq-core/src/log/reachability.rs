//! Reachability Groups (LID 1Ah) and Reachability Associations (LID 1Bh)
//! (Base spec 2.1, the "Reachability Groups Log Page", "Reachability Group
//! Descriptor", "Reachability Associations Log Page" and "Reachability
//! Association Descriptor" figures): a 16-byte header, then descriptors of
//! 32 bytes each followed by its list of 4-byte identifiers (NSIDs for a
//! group, RGIDs for an association).
//!
//! The walkers bound every descriptor and list by the bytes read.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The header of both pages: a change count and how many descriptors follow.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ReachabilityHeader {
    /// Change Count (CHNGC) of the page.
    pub chngc: U64,
    /// Number of descriptors: NRGD (groups) or NRAD (associations).
    pub ndesc: U16,
    /// Reserved (bytes 10..16).
    pub rsvd10: [u8; 6],
}

const _: () = assert!(size_of::<ReachabilityHeader>() == 16);
const _: () = assert!(offset_of!(ReachabilityHeader, ndesc) == 8);

/// Reachability Group Descriptor: 32 bytes, then NNID NSIDs.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ReachabilityGroupDesc {
    /// Reachability Group Identifier (RGID).
    pub rgid: U32,
    /// Number of NSID Values (NNID).
    pub nnid: U32,
    /// Change Count (CHNGC) of this group.
    pub chngc: U64,
    /// Reserved (bytes 16..32).
    pub rsvd16: [u8; 16],
}

const _: () = assert!(size_of::<ReachabilityGroupDesc>() == 32);
const _: () = assert!(offset_of!(ReachabilityGroupDesc, chngc) == 8);

/// Reachability Association Descriptor: 32 bytes, then NRID RGIDs.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ReachabilityAssociationDesc {
    /// Reachability Association Identifier (RASID).
    pub rasid: U32,
    /// Number of RGID Values (NRID).
    pub nrid: U32,
    /// Change Count (CHNGC) of this association.
    pub chngc: U64,
    /// Reachability Association Characteristics (RAC): bit 0 symmetric.
    pub rac: u8,
    /// Reserved (bytes 17..32).
    pub rsvd17: [u8; 15],
}

const _: () = assert!(size_of::<ReachabilityAssociationDesc>() == 32);
const _: () = assert!(offset_of!(ReachabilityAssociationDesc, rac) == 16);

/// A descriptor of either page: its fixed part and the list after it.
pub trait ReachabilityDesc: FromBytes + Copy {
    /// How many 4-byte identifiers follow the descriptor (NNID or NRID).
    fn count(&self) -> u32;
}

impl ReachabilityDesc for ReachabilityGroupDesc {
    fn count(&self) -> u32 {
        self.nnid.get()
    }
}

impl ReachabilityDesc for ReachabilityAssociationDesc {
    fn count(&self) -> u32 {
        self.nrid.get()
    }
}

/// A descriptor with its identifier list, as raw 4-byte entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReachabilityEntry<'a, D> {
    /// The descriptor.
    pub desc: D,
    /// Its identifiers (NSIDs or RGIDs), little-endian dwords.
    pub ids: &'a [u8],
}

impl<D> ReachabilityEntry<'_, D> {
    /// The identifiers.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.ids
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
    }
}

/// Bytes of a descriptor and its `count` identifiers; `None` on overflow.
pub const fn reachability_desc_len(count: u32) -> Option<usize> {
    match (count as usize).checked_mul(4) {
        Some(n) => n.checked_add(32),
        None => None,
    }
}

/// The descriptors of a Reachability Groups or Associations page, stopping
/// at the first whose identifiers do not fit in `log`.
pub fn reachability_entries<D: ReachabilityDesc>(
    log: &[u8],
) -> impl Iterator<Item = ReachabilityEntry<'_, D>> + '_ {
    let n = ReachabilityHeader::read_from_prefix(log).map_or(0, |(h, _)| h.ndesc.get());
    let mut off = size_of::<ReachabilityHeader>();
    (0..n).map_while(move |_| {
        let (desc, _) = D::read_from_prefix(log.get(off..)?).ok()?;
        let end = off.checked_add(reachability_desc_len(desc.count())?)?;
        let ids = log.get(off + size_of::<D>()..end)?;
        off = end;
        Some(ReachabilityEntry { desc, ids })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_walk() {
        let mut h = ReachabilityHeader::default();
        h.chngc.set(0x0102);
        h.ndesc.set(2);
        assert_eq!(
            h.as_bytes(),
            &[2, 1, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
        );
        let mut g = ReachabilityGroupDesc::default();
        g.rgid.set(7);
        g.nnid.set(2);
        g.chngc.set(3);
        assert_eq!(&g.as_bytes()[..12], &[7, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
        let mut log = h.as_bytes().to_vec();
        log.extend_from_slice(g.as_bytes());
        log.extend_from_slice(&[1, 0, 0, 0, 9, 0, 0, 0]);
        g.rgid.set(8);
        g.nnid.set(0);
        log.extend_from_slice(g.as_bytes());
        let v: heapless::Vec<_, 4> = reachability_entries::<ReachabilityGroupDesc>(&log).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].desc.rgid.get(), 7);
        assert!(v[0].ids().eq([1, 9]));
        assert_eq!((v[1].desc.rgid.get(), v[1].ids.len()), (8, 0));
        // A list cut short ends the walk there.
        assert_eq!(
            reachability_entries::<ReachabilityGroupDesc>(&log[..52]).count(),
            0
        );
        assert_eq!(reachability_desc_len(2), Some(40));
    }

    #[test]
    fn association_golden_bytes() {
        let mut a = ReachabilityAssociationDesc::default();
        a.rasid.set(1);
        a.nrid.set(1);
        a.rac = 1;
        let mut h = ReachabilityHeader::default();
        h.ndesc.set(1);
        let mut log = h.as_bytes().to_vec();
        log.extend_from_slice(a.as_bytes());
        log.extend_from_slice(&5u32.to_le_bytes());
        assert_eq!(log[16 + 16], 1);
        let v: heapless::Vec<_, 2> =
            reachability_entries::<ReachabilityAssociationDesc>(&log).collect();
        assert_eq!((v[0].desc.rac, v[0].ids().next()), (1, Some(5)));
        // A header alone, or a short one, has no descriptor.
        assert_eq!(
            reachability_entries::<ReachabilityAssociationDesc>(&log[..16]).count(),
            0
        );
        assert_eq!(
            reachability_entries::<ReachabilityAssociationDesc>(&log[..4]).count(),
            0
        );
    }
}
