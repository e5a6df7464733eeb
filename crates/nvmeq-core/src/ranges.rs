//! Range descriptors carried in a command's data buffer: NVM Command Set
//! Specification 2.0, "Dataset Management – Range Definition" and "Copy –
//! Source Range Entries Descriptor Format 0h" / "Format 1h", and NVM
//! Command Set 1.1's cross-namespace formats 2h and 3h.

use bitfield_struct::bitfield;
use core::mem::{offset_of, size_of};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Context Attributes of a Dataset Management range (NVM spec 2.0,
/// "Dataset Management – Context Attributes").
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct DsmContextAttributes {
    /// Access Frequency (AF).
    #[bits(4)]
    pub af: u8,
    /// Access Latency (AL).
    #[bits(2)]
    pub al: u8,
    /// Reserved (bits 7:6).
    #[bits(2)]
    pub _rsvd6: u8,
    /// Sequential Read Range (SR).
    pub sr: bool,
    /// Sequential Write Range (SW).
    pub sw: bool,
    /// Write Prepare (WP).
    pub wp: bool,
    /// Reserved (bits 23:11).
    #[bits(13)]
    pub _rsvd11: u16,
    /// Command Access Size (CAS), logical blocks.
    pub cas: u8,
}

/// One Dataset Management range (NVM spec 2.0, "Dataset Management – Range
/// Definition"): 16 bytes; a DSM command carries up to 256 of them.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct DsmRange {
    /// Context Attributes.
    pub cattr: DsmContextAttributes,
    /// Length in logical blocks (a count, not zero-based).
    pub nlb: u32,
    /// Starting LBA.
    pub slba: u64,
}

const _: () = assert!(size_of::<DsmRange>() == 16);
const _: () = assert!(offset_of!(DsmRange, nlb) == 4);
const _: () = assert!(offset_of!(DsmRange, slba) == 8);

impl DsmRange {
    /// Most ranges one Dataset Management command carries.
    pub const MAX_RANGES: usize = 256;

    /// A range of `nlb` blocks from `slba` with no context attributes.
    pub const fn new(slba: u64, nlb: u32) -> Self {
        DsmRange {
            cattr: DsmContextAttributes::new(),
            nlb,
            slba,
        }
    }
}

/// Copy Source Range Entry, descriptor format 0h (NVM spec 2.0, "Copy –
/// Source Range Entries Descriptor Format 0h"): 32 bytes, 32-bit reference tags.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CopySourceRangeFormat0 {
    /// Reserved (bytes 0..8).
    pub rsvd0: [u8; 8],
    /// Starting LBA of the source range.
    pub slba: u64,
    /// Number of Logical Blocks (NLB), zero-based.
    pub nlb_z: u16,
    /// Reserved (bytes 18..24).
    pub rsvd18: [u8; 6],
    /// Expected Logical Block Tags (ELBT): the initial logical block reference tag.
    pub elbt: u32,
    /// Expected Logical Block Application Tag (ELBAT).
    pub elbat: u16,
    /// Expected Logical Block Application Tag Mask (ELBATM).
    pub elbatm: u16,
}

const _: () = assert!(size_of::<CopySourceRangeFormat0>() == 32);
const _: () = assert!(offset_of!(CopySourceRangeFormat0, slba) == 8);
const _: () = assert!(offset_of!(CopySourceRangeFormat0, nlb_z) == 16);
const _: () = assert!(offset_of!(CopySourceRangeFormat0, elbt) == 24);
const _: () = assert!(offset_of!(CopySourceRangeFormat0, elbat) == 28);
const _: () = assert!(offset_of!(CopySourceRangeFormat0, elbatm) == 30);

impl CopySourceRangeFormat0 {
    /// A source range of `nlb` blocks (1..=65536) from `slba`; `None` if
    /// `nlb` is 0 or above 65536.
    pub const fn new(slba: u64, nlb: u32) -> Option<Self> {
        if nlb == 0 || nlb > 1 << 16 {
            return None;
        }
        Some(CopySourceRangeFormat0 {
            rsvd0: [0; 8],
            slba,
            nlb_z: (nlb - 1) as u16,
            rsvd18: [0; 6],
            elbt: 0,
            elbat: 0,
            elbatm: 0,
        })
    }

    /// Number of logical blocks (`nlb_z + 1`).
    pub const fn nlb(&self) -> u32 {
        self.nlb_z as u32 + 1
    }
}

/// Copy Source Range Entry, descriptor format 1h (NVM spec 2.0, "Copy –
/// Source Range Entries Descriptor Format 1h"): 40 bytes, for 64-bit (80-bit
/// storage plus reference) tags.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CopySourceRangeFormat1 {
    /// Reserved (bytes 0..8).
    pub rsvd0: [u8; 8],
    /// Starting LBA of the source range.
    pub slba: u64,
    /// Number of Logical Blocks (NLB), zero-based.
    pub nlb_z: u16,
    /// Reserved (bytes 18..26).
    pub rsvd18: [u8; 8],
    /// Expected Logical Block Tags (ELBT), 80 bits, most significant byte first.
    pub elbt: [u8; 10],
    /// Expected Logical Block Application Tag (ELBAT).
    pub elbat: u16,
    /// Expected Logical Block Application Tag Mask (ELBATM).
    pub elbatm: u16,
}

const _: () = assert!(size_of::<CopySourceRangeFormat1>() == 40);
const _: () = assert!(offset_of!(CopySourceRangeFormat1, elbt) == 26);
const _: () = assert!(offset_of!(CopySourceRangeFormat1, elbat) == 36);
const _: () = assert!(offset_of!(CopySourceRangeFormat1, elbatm) == 38);

/// Source Options (SOPT) of a format 2h/3h Copy source range (NVM Command
/// Set spec 1.1, "Copy – Source Range Entries Copy Descriptor Format 2h").
#[bitfield(u16)]
#[derive(PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CopySourceOptions {
    /// Reserved (bits 14:0).
    #[bits(15)]
    _rsvd: u16,
    /// Fast Copy Only (FCO): fail the range rather than copy it slowly.
    pub fco: bool,
}

/// Copy Source Range Entry, descriptor format 2h (NVM Command Set spec 1.1,
/// "Copy – Source Range Entries Copy Descriptor Format 2h"): format 0h with
/// a source namespace, for copies between namespaces (16-bit guard PI).
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CopySourceRangeFormat2 {
    /// Source Namespace Identifier (SNSID).
    pub snsid: u32,
    /// Reserved (bytes 4..8).
    pub rsvd4: [u8; 4],
    /// Starting LBA of the source range.
    pub slba: u64,
    /// Number of Logical Blocks (NLB), zero-based.
    pub nlb_z: u16,
    /// Reserved (bytes 18..22).
    pub rsvd18: [u8; 4],
    /// Source Options (SOPT).
    pub sopt: CopySourceOptions,
    /// Expected Logical Block Tags (ELBT): the initial logical block reference tag.
    pub elbt: u32,
    /// Expected Logical Block Application Tag (ELBAT).
    pub elbat: u16,
    /// Expected Logical Block Application Tag Mask (ELBATM).
    pub elbatm: u16,
}

const _: () = assert!(size_of::<CopySourceRangeFormat2>() == 32);
const _: () = assert!(offset_of!(CopySourceRangeFormat2, slba) == 8);
const _: () = assert!(offset_of!(CopySourceRangeFormat2, nlb_z) == 16);
const _: () = assert!(offset_of!(CopySourceRangeFormat2, sopt) == 22);
const _: () = assert!(offset_of!(CopySourceRangeFormat2, elbt) == 24);
const _: () = assert!(offset_of!(CopySourceRangeFormat2, elbat) == 28);
const _: () = assert!(offset_of!(CopySourceRangeFormat2, elbatm) == 30);

/// Copy Source Range Entry, descriptor format 3h (NVM Command Set spec 1.1,
/// "Copy – Source Range Entries Copy Descriptor Format 3h"): format 1h with
/// a source namespace (32/64-bit guard PI).
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CopySourceRangeFormat3 {
    /// Source Namespace Identifier (SNSID).
    pub snsid: u32,
    /// Reserved (bytes 4..8).
    pub rsvd4: [u8; 4],
    /// Starting LBA of the source range.
    pub slba: u64,
    /// Number of Logical Blocks (NLB), zero-based.
    pub nlb_z: u16,
    /// Reserved (bytes 18..22).
    pub rsvd18: [u8; 4],
    /// Source Options (SOPT).
    pub sopt: CopySourceOptions,
    /// Reserved (bytes 24..26).
    pub rsvd24: [u8; 2],
    /// Expected Logical Block Tags (ELBT), 80 bits, most significant byte first.
    pub elbt: [u8; 10],
    /// Expected Logical Block Application Tag (ELBAT).
    pub elbat: u16,
    /// Expected Logical Block Application Tag Mask (ELBATM).
    pub elbatm: u16,
}

const _: () = assert!(size_of::<CopySourceRangeFormat3>() == 40);
const _: () = assert!(offset_of!(CopySourceRangeFormat3, sopt) == 22);
const _: () = assert!(offset_of!(CopySourceRangeFormat3, elbt) == 26);
const _: () = assert!(offset_of!(CopySourceRangeFormat3, elbat) == 36);
const _: () = assert!(offset_of!(CopySourceRangeFormat3, elbatm) == 38);
