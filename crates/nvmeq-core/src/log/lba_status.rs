//! LBA Status Information (Base spec 2.0, "LBA Status Information Log
//! Page", LID 0Eh): a header, then namespace elements, each with its LBA
//! range descriptors.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// LBA Status Information header: 16 bytes, then namespace elements.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct LbaStatusLog {
    /// LBA Status Log Page Length (LSLPLEN): bytes of the whole page.
    pub lslplen: U32,
    /// Number of LBA Status Log Namespace Elements (NLSLNE).
    pub nlslne: U32,
    /// Estimate of Unrecoverable Logical Blocks (ESTULB).
    pub estulb: U32,
    /// Reserved (bytes 12..14).
    pub rsvd12: [u8; 2],
    /// LBA Status Generation Counter (LSGC).
    pub lsgc: U16,
}

const _: () = assert!(size_of::<LbaStatusLog>() == 16);
const _: () = assert!(offset_of!(LbaStatusLog, lsgc) == 14);

/// LBA Status Log Namespace Element header: 16 bytes, then its range descriptors.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct LbaStatusNsElement {
    /// Namespace Element Identifier (the NSID).
    pub neid: U32,
    /// Number of LBA Range Descriptors (NLRD); FFFFFFFFh: none, a scan is needed.
    pub nlrd: U32,
    /// Recommended Action Type (RATYPE): 10h scan untracked, 11h tracked.
    pub ratype: u8,
    /// Reserved (bytes 9..16).
    pub rsvd9: [u8; 7],
}

const _: () = assert!(size_of::<LbaStatusNsElement>() == 16);

/// LBA Range Descriptor of a namespace element: 16 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct LbaRangeDesc {
    /// Range Starting LBA (RSLBA).
    pub rslba: U64,
    /// Range Number of Logical Blocks (RNLB).
    pub rnlb: U32,
    /// Reserved (bytes 12..16).
    pub rsvd12: [u8; 4],
}

const _: () = assert!(size_of::<LbaRangeDesc>() == 16);

/// A namespace element with its range descriptors (none when NLRD is FFFFFFFFh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LbaStatusElement<'a> {
    /// The element header.
    pub element: LbaStatusNsElement,
    /// Its range descriptors, as raw 16-byte entries.
    pub ranges: &'a [u8],
}

impl LbaStatusElement<'_> {
    /// The range descriptors.
    pub fn ranges(&self) -> impl Iterator<Item = LbaRangeDesc> + '_ {
        self.ranges
            .chunks_exact(size_of::<LbaRangeDesc>())
            .filter_map(|c| LbaRangeDesc::read_from_bytes(c).ok())
    }
}

/// The namespace elements of an LBA Status page, stopping at the first that
/// does not fit in `log`.
pub fn lba_status_elements(log: &[u8]) -> impl Iterator<Item = LbaStatusElement<'_>> + '_ {
    let n = LbaStatusLog::read_from_prefix(log).map_or(0, |(h, _)| h.nlslne.get());
    let mut off = size_of::<LbaStatusLog>();
    (0..n).map_while(move |_| {
        let (element, _) = LbaStatusNsElement::read_from_prefix(log.get(off..)?).ok()?;
        off += size_of::<LbaStatusNsElement>();
        let nlrd = element.nlrd.get();
        let bytes = if nlrd == u32::MAX {
            0
        } else {
            (nlrd as usize).checked_mul(size_of::<LbaRangeDesc>())?
        };
        let ranges = log.get(off..off.checked_add(bytes)?)?;
        off += bytes;
        Some(LbaStatusElement { element, ranges })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_walk() {
        let mut h = LbaStatusLog::default();
        h.lslplen.set(16 + 16 + 16 + 16);
        h.nlslne.set(2);
        h.lsgc.set(3);
        assert_eq!(
            h.as_bytes(),
            &[64, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0]
        );
        let mut log = [0u8; 64];
        log[..16].copy_from_slice(h.as_bytes());
        let mut e = LbaStatusNsElement::default();
        e.neid.set(1);
        e.nlrd.set(1);
        e.ratype = 0x11;
        log[16..32].copy_from_slice(e.as_bytes());
        let mut r = LbaRangeDesc::default();
        r.rslba.set(0x100);
        r.rnlb.set(8);
        log[32..48].copy_from_slice(r.as_bytes());
        e.neid.set(2);
        e.nlrd.set(u32::MAX);
        log[48..64].copy_from_slice(e.as_bytes());
        let els: heapless::Vec<LbaStatusElement<'_>, 4> = lba_status_elements(&log).collect();
        assert_eq!(els.len(), 2);
        assert_eq!(els[0].ranges().next().unwrap().rslba.get(), 0x100);
        assert_eq!((els[1].element.neid.get(), els[1].ranges.len()), (2, 0));
        assert_eq!(lba_status_elements(&log[..40]).count(), 0);
    }
}
