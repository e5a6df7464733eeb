//! The NVM command set's I/O Command Set specific Identify Namespace (CNS
//! 05h, CSI 00h; NVM Command Set spec 1.1, figure "I/O Command Set Specific
//! Identify Namespace Data Structure for the NVM Command Set"): the PI format
//! and storage tag size of each LBA format, which the Identify Namespace of
//! CNS 00h does not carry, and the preferred read/deallocate granularities
//! that 1.1 adds after them. CNS 0Ah (the same structure for an LBA format
//! index rather than a namespace) returns it too.

use bitfield_struct::bitfield;
use core::mem::{offset_of, size_of};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use crate::pi::Pif;

/// Extended LBA Format (ELBAF; NVM Command Set spec 1.0, "Extended LBA
/// Format Data Structure"): 4 bytes per LBA format, same index as LBAF.
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct Elbaf {
    /// Storage Tag Size (STS), bits 6:0: storage tag bits of the PI's
    /// storage and reference space.
    #[bits(7)]
    pub sts: u8,
    /// Protection Information Format (PIF), bits 8:7: 00b 16b guard, 01b 32b
    /// guard, 10b 64b guard. See [`Self::pi_format`].
    #[bits(2)]
    pub pif: u8,
    /// Qualified Protection Information Format (QPIF), bits 12:9, for PIF 11b
    /// in later revisions.
    #[bits(4)]
    pub qpif: u8,
    /// Reserved (bits 31:13).
    #[bits(19)]
    _rsvd: u32,
}

const _: () = assert!(size_of::<Elbaf>() == 4);

impl Elbaf {
    /// The PI format; `None` for PIF 11b.
    pub const fn pi_format(&self) -> Option<Pif> {
        Pif::from_bits(self.pif())
    }
}

/// The NVM command set's Identify Namespace (CNS 05h, CSI 00h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IdentifyNamespaceNvm {
    /// Logical Block Storage Tag Mask (LBSTM): the storage tag bits checked.
    pub lbstm: u64,
    /// Protection Information Capabilities (PIC): bit 0 16b Guard PI with
    /// Storage Tag Support (16BPISTS), bit 1 16b Guard PI with Storage Tag
    /// Mask (16BPISTM), bit 2 Storage Tag Check Read Support (STCRS).
    pub pic: u8,
    /// Protection Information Format Attribute (PIFA, NVM 1.1): bit 0 Storage
    /// Tag Masking Level Attribute. Reserved in 1.0.
    pub pifa: u8,
    /// Reserved (bytes 10..12).
    pub rsvd10: [u8; 2],
    /// Extended LBA Formats 0..63, indexed like Identify Namespace's LBAF.
    pub elbaf: [Elbaf; 64],
    /// Namespace Preferred Deallocate Granularity Large (NPDGL), in blocks;
    /// valid when Identify Namespace NSFEAT bit 5 is set.
    pub npdgl: u32,
    /// Namespace Preferred Read Granularity (NPRG), zero-based, in blocks.
    pub nprg: u32,
    /// Namespace Preferred Read Alignment (NPRA), zero-based, in blocks.
    pub npra: u32,
    /// Namespace Optimal Read Size (NORS), zero-based, in blocks.
    pub nors: u32,
    /// Namespace Preferred Deallocate Alignment Large (NPDAL), in blocks.
    pub npdal: u32,
    /// LBA Format Placement Shard Size (LBAPSS), in blocks.
    pub lbapss: u32,
    /// Tracked LBA Allocation Granularity (TLBAAG), in blocks.
    pub tlbaag: u32,
    /// Bytes 296..4096: reserved.
    pub rsvd296: [u8; 3800],
}

const _: () = assert!(size_of::<IdentifyNamespaceNvm>() == 4096);
const _: () = assert!(offset_of!(IdentifyNamespaceNvm, pic) == 8);
const _: () = assert!(offset_of!(IdentifyNamespaceNvm, elbaf) == 12);
const _: () = assert!(offset_of!(IdentifyNamespaceNvm, pifa) == 9);
const _: () = assert!(offset_of!(IdentifyNamespaceNvm, npdgl) == 268);
const _: () = assert!(offset_of!(IdentifyNamespaceNvm, tlbaag) == 292);
const _: () = assert!(offset_of!(IdentifyNamespaceNvm, rsvd296) == 296);

impl Default for IdentifyNamespaceNvm {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl IdentifyNamespaceNvm {
    /// The extended format of LBA format `index` (0..=63; `None` beyond).
    pub fn elbaf(&self, index: usize) -> Option<Elbaf> {
        self.elbaf.get(index).copied()
    }
}
