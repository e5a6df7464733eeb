//! Asymmetric Namespace Access (Base spec 2.0, "Asymmetric Namespace Access
//! Log Page", LID 0Ch): a header, then per ANA group a 32-byte descriptor
//! followed by its namespace IDs. The page is variable length, so it is read
//! with [`AnaLog::parse`] (lengths checked first, no panics) rather than cast.

use core::mem::size_of;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

open_enum! {
    /// ANA State of a group.
    AnaState {
        /// ANA Optimized.
        OPTIMIZED = 0x1 => "optimized",
        /// ANA Non-Optimized.
        NON_OPTIMIZED = 0x2 => "non-optimized",
        /// ANA Inaccessible.
        INACCESSIBLE = 0x3 => "inaccessible",
        /// ANA Persistent Loss.
        PERSISTENT_LOSS = 0x4 => "persistent-loss",
        /// ANA Change.
        CHANGE = 0xf => "change",
    }
}

/// ANA log page header: 16 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct AnaLogHeader {
    /// Change Count.
    pub chgcnt: u64,
    /// Number of ANA Group Descriptors.
    pub ngrps: u16,
    /// Reserved (bytes 10..16).
    pub rsvd10: [u8; 6],
}

const _: () = assert!(size_of::<AnaLogHeader>() == 16);

/// ANA Group Descriptor, without its namespace IDs: 32 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct AnaGroupDesc {
    /// ANA Group ID.
    pub grpid: u32,
    /// Number of NSID Values that follow.
    pub nnsids: u32,
    /// Change Count.
    pub chgcnt: u64,
    /// ANA State (bits 3:0), see [`AnaState`].
    pub state: u8,
    /// Reserved (bytes 17..32).
    pub rsvd17: [u8; 15],
}

const _: () = assert!(size_of::<AnaGroupDesc>() == 32);

impl AnaGroupDesc {
    /// The group's state.
    pub const fn ana_state(&self) -> AnaState {
        AnaState(self.state & 0xf)
    }
}

/// A page shorter than its own header or descriptors say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnaTruncated {
    /// Bytes the page needs up to the part that is missing.
    pub needed: usize,
    /// Bytes given.
    pub len: usize,
}

/// An ANA log page checked against its length.
#[derive(Debug, Clone, Copy)]
pub struct AnaLog<'a> {
    /// The header.
    pub header: AnaLogHeader,
    groups: &'a [u8],
}

impl<'a> AnaLog<'a> {
    /// Checks that `bytes` holds the header, every descriptor and every
    /// namespace ID it announces.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, AnaTruncated> {
        let (header, rest) = AnaLogHeader::read_from_prefix(bytes).map_err(|_| AnaTruncated {
            needed: size_of::<AnaLogHeader>(),
            len: bytes.len(),
        })?;
        let mut off = 0usize;
        for _ in 0..header.ngrps {
            let (d, _) = rest
                .get(off..)
                .and_then(|r| AnaGroupDesc::read_from_prefix(r).ok())
                .ok_or(AnaTruncated {
                    needed: 16 + off + 32,
                    len: bytes.len(),
                })?;
            off = off
                .checked_add(32 + d.nnsids as usize * 4)
                .filter(|&end| end <= rest.len())
                .ok_or(AnaTruncated {
                    needed: 16 + off + 32 + d.nnsids as usize * 4,
                    len: bytes.len(),
                })?;
        }
        Ok(AnaLog {
            header,
            groups: &rest[..off],
        })
    }

    /// The groups, each with its namespace IDs.
    pub fn groups(&self) -> impl Iterator<Item = (AnaGroupDesc, impl Iterator<Item = u32> + 'a)> {
        let mut rest = self.groups;
        core::iter::from_fn(move || {
            let (d, tail) = AnaGroupDesc::read_from_prefix(rest).ok()?;
            let n = d.nnsids as usize * 4;
            let (ids, next) = tail.split_at(n.min(tail.len()));
            rest = next;
            Some((
                d,
                ids.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_groups_and_refuses_short_pages() {
        let mut page = [0u8; 16 + 32 + 8 + 32];
        page[0] = 5; // chgcnt
        page[8] = 2; // ngrps
        page[16] = 1; // grpid 1
        page[20] = 2; // nnsids 2
        page[32] = AnaState::OPTIMIZED.0;
        page[48] = 1;
        page[52] = 2;
        page[56] = 2; // grpid 2, no namespaces
        page[56 + 16] = AnaState::INACCESSIBLE.0;
        let l = AnaLog::parse(&page).unwrap();
        assert_eq!(l.header.chgcnt, 5);
        let mut g = l.groups();
        let (d, ids) = g.next().unwrap();
        assert_eq!((d.grpid, d.ana_state()), (1, AnaState::OPTIMIZED));
        assert!(ids.eq([1, 2]));
        let (d, mut ids) = g.next().unwrap();
        assert_eq!(d.ana_state().name(), Some("inaccessible"));
        assert!(ids.next().is_none());
        assert!(g.next().is_none());
        assert_eq!(
            AnaLog::parse(&page[..60]).unwrap_err(),
            AnaTruncated {
                needed: 88,
                len: 60
            }
        );
        assert!(AnaLog::parse(&page[..8]).is_err());
    }
}
