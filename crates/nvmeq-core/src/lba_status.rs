//! What Get LBA Status returns (Base spec 2.0, "Get LBA Status command",
//! Figure "LBA Status Descriptor List"): an 8-byte header, then LBA Status
//! Descriptors of 16 bytes. The command is [`crate::cmd::GetLbaStatus`].

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

open_enum! {
    /// Completion Condition (CMPC) of the descriptor list.
    Cmpc {
        /// 0h: no indication of the completion condition.
        NONE = 0x0 => "No indication",
        /// 1h: MNDW worth was returned and more descriptors are available,
        /// or (ATYPE 10h) the scan did not complete.
        INCOMPLETE = 0x1 => "Incomplete",
        /// 2h: the action covered the whole Range Length and every
        /// descriptor was returned.
        COMPLETE = 0x2 => "Complete",
    }
}

/// LBA Status Descriptor List header (8 bytes).
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct LbaStatusListHeader {
    /// Number of LBA Status Descriptors (NLSD) that follow.
    pub nlsd: U32,
    /// Completion Condition (CMPC), see [`Cmpc`].
    pub cmpc: u8,
    /// Reserved.
    pub rsvd5: [u8; 3],
}

const _: () = assert!(size_of::<LbaStatusListHeader>() == 8);
const _: () = assert!(offset_of!(LbaStatusListHeader, cmpc) == 4);

/// LBA Status Descriptor (16 bytes): a range of potentially unrecoverable
/// logical blocks.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct LbaStatusDesc {
    /// Descriptor Starting LBA (DSLBA).
    pub dslba: U64,
    /// Number of Logical Blocks (NLB) in the range.
    pub nlb: U32,
    /// Reserved.
    pub rsvd12: u8,
    /// Status: additional status of the range.
    pub status: u8,
    /// Reserved.
    pub rsvd14: [u8; 2],
}

const _: () = assert!(size_of::<LbaStatusDesc>() == 16);
const _: () = assert!(offset_of!(LbaStatusDesc, status) == 13);

/// The header and the descriptors of a returned list: at most NLSD of
/// them, and only those wholly inside `data` (a short MNDW cuts the list).
pub fn lba_status_list(
    data: &[u8],
) -> (
    LbaStatusListHeader,
    impl Iterator<Item = LbaStatusDesc> + '_,
) {
    let mut head = [0u8; size_of::<LbaStatusListHeader>()];
    let n = data.len().min(head.len());
    head[..n].copy_from_slice(&data[..n]);
    let h = LbaStatusListHeader::read_from_bytes(&head).unwrap_or_default();
    let descs = data
        .get(size_of::<LbaStatusListHeader>()..)
        .unwrap_or(&[])
        .chunks_exact(size_of::<LbaStatusDesc>())
        .take(h.nlsd.get() as usize)
        .filter_map(|c| LbaStatusDesc::read_from_bytes(c).ok());
    (h, descs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_golden() {
        let mut b = [0u8; 8 + 32 + 8];
        b[0] = 3; // NLSD 3, but only two fit
        b[4] = 1; // incomplete
        b[8..16].copy_from_slice(&0x1_0000_0010u64.to_le_bytes());
        b[16..20].copy_from_slice(&8u32.to_le_bytes());
        b[21] = 0x01;
        b[24] = 0x40;
        b[32] = 1;
        let (h, mut d) = lba_status_list(&b);
        assert_eq!((h.nlsd.get(), Cmpc(h.cmpc)), (3, Cmpc::INCOMPLETE));
        let a = d.next().unwrap();
        assert_eq!(
            (a.dslba.get(), a.nlb.get(), a.status),
            (0x1_0000_0010, 8, 1)
        );
        let c = d.next().unwrap();
        assert_eq!((c.dslba.get(), c.nlb.get()), (0x40, 1));
        assert!(d.next().is_none());
        // A 4-byte answer (MNDW 0) holds the count only.
        let (h, mut d) = lba_status_list(&[5, 0, 0, 0]);
        assert_eq!((h.nlsd.get(), h.cmpc), (5, 0));
        assert!(d.next().is_none());
    }
}
