//! Identify lists of controllers, secondary controllers, UUIDs, NVM Sets and
//! domains, and the Namespace Granularity List (Base spec 2.0, "Identify
//! Controller List", "Secondary Controller List", "UUID List", "NVM Set
//! List", "Domain List", "Namespace Granularity List" data structures).

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U128, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

macro_rules! zeroed_default {
    ($($t:ty),*) => {$(
        impl Default for $t {
            fn default() -> Self {
                Self::new_zeroed()
            }
        }
    )*};
}

/// Controller List (CNS 12h attached to a namespace, 13h in the subsystem):
/// 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ControllerList {
    /// Number of Identifiers.
    pub num: u16,
    /// Controller identifiers, ascending.
    pub ids: [u16; 2047],
}

const _: () = assert!(size_of::<ControllerList>() == 4096);

impl ControllerList {
    /// The identifiers listed (at most 2047).
    pub fn ids(&self) -> &[u16] {
        &self.ids[..usize::from(self.num).min(self.ids.len())]
    }
}

/// Secondary Controller Entry: 32 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SecondaryController {
    /// Secondary Controller Identifier (SCID).
    pub scid: u16,
    /// Primary Controller Identifier (PCID).
    pub pcid: u16,
    /// Secondary Controller State (SCS): bit 0 online.
    pub scs: u8,
    /// Reserved (bytes 5..8).
    pub rsvd5: [u8; 3],
    /// Virtual Function Number (VFN).
    pub vfn: u16,
    /// Number of VQ Flexible Resources Assigned (NVQ).
    pub nvq: u16,
    /// Number of VI Flexible Resources Assigned (NVI).
    pub nvi: u16,
    /// Reserved (bytes 14..32).
    pub rsvd14: [u8; 18],
}

const _: () = assert!(size_of::<SecondaryController>() == 32);
const _: () = assert!(offset_of!(SecondaryController, vfn) == 8);

/// Secondary Controller List (CNS 15h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SecondaryControllerList {
    /// Number of Identifiers.
    pub num: u8,
    /// Reserved (bytes 1..32).
    pub rsvd1: [u8; 31],
    /// Secondary Controller Entries.
    pub entries: [SecondaryController; 127],
}

const _: () = assert!(size_of::<SecondaryControllerList>() == 4096);

/// UUID List Entry: 32 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct UuidEntry {
    /// Identifier Association (bits 1:0): 0 none, 1 PCI vendor, 2 PCI subsystem vendor.
    pub header: u8,
    /// Reserved (bytes 1..16).
    pub rsvd1: [u8; 15],
    /// The UUID; all zero ends the list.
    pub uuid: [u8; 16],
}

const _: () = assert!(size_of::<UuidEntry>() == 32);

/// UUID List (CNS 17h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct UuidList {
    /// Reserved (bytes 0..32).
    pub rsvd0: [u8; 32],
    /// UUID entries, up to the first all-zero UUID.
    pub entries: [UuidEntry; 127],
}

const _: () = assert!(size_of::<UuidList>() == 4096);

impl UuidList {
    /// The entries before the first all-zero UUID.
    pub fn used(&self) -> impl Iterator<Item = &UuidEntry> + '_ {
        self.entries.iter().take_while(|e| e.uuid != [0; 16])
    }
}

/// NVM Set Attributes Entry: 128 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct NvmSetAttributes {
    /// NVM Set Identifier.
    pub nvmsetid: u16,
    /// Endurance Group Identifier.
    pub endgid: u16,
    /// Reserved (bytes 4..8).
    pub rsvd4: [u8; 4],
    /// Random 4 KiB Read Typical, 100 ns units.
    pub rr4kt: u32,
    /// Optimal Write Size, bytes.
    pub ows: u32,
    /// Total NVM Set Capacity, bytes.
    pub tnvmsetcap: U128,
    /// Unallocated NVM Set Capacity, bytes.
    pub unvmsetcap: U128,
    /// Reserved (bytes 48..128).
    pub rsvd48: [u8; 80],
}

const _: () = assert!(size_of::<NvmSetAttributes>() == 128);
const _: () = assert!(offset_of!(NvmSetAttributes, tnvmsetcap) == 16);

/// NVM Set List (CNS 04h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct NvmSetList {
    /// Number of Identifiers.
    pub nid: u8,
    /// Reserved (bytes 1..128).
    pub rsvd1: [u8; 127],
    /// NVM Set Attribute Entries.
    pub entries: [NvmSetAttributes; 31],
}

const _: () = assert!(size_of::<NvmSetList>() == 4096);

/// Domain Attributes Entry: 128 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct DomainAttributes {
    /// Domain Identifier.
    pub dom_id: u16,
    /// Reserved (bytes 2..16).
    pub rsvd2: [u8; 14],
    /// Total Domain Capacity, bytes.
    pub dom_cap: U128,
    /// Unallocated Domain Capacity, bytes.
    pub unalloc_dom_cap: U128,
    /// Max Endurance Group Domain Capacity, bytes.
    pub max_egrp_dom_cap: U128,
    /// Reserved (bytes 64..128).
    pub rsvd64: [u8; 64],
}

const _: () = assert!(size_of::<DomainAttributes>() == 128);
const _: () = assert!(offset_of!(DomainAttributes, dom_cap) == 16);

/// Domain List (CNS 18h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct DomainList {
    /// Number of Entries.
    pub num: u8,
    /// Reserved (bytes 1..128).
    pub rsvd1: [u8; 127],
    /// Domain Attributes Entries.
    pub entries: [DomainAttributes; 31],
}

const _: () = assert!(size_of::<DomainList>() == 4096);

/// Namespace Granularity Descriptor: 16 bytes, unaligned in the list.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct NsGranularity {
    /// Namespace Size Granularity, bytes.
    pub nszegran: U64,
    /// Namespace Capacity Granularity, bytes.
    pub ncapgran: U64,
}

/// Namespace Granularity List (CNS 16h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct NsGranularityList {
    /// Namespace Granularity Attributes: bit 0 the capacity granularities are
    /// not reported (the size ones apply).
    pub attributes: u32,
    /// Number of Descriptors, zero-based.
    pub num_descriptors_z: u8,
    /// Reserved (bytes 5..32).
    pub rsvd5: [u8; 27],
    /// Namespace Granularity Descriptors.
    pub entries: [NsGranularity; 16],
    /// Reserved (bytes 288..4096).
    pub rsvd288: [u8; 3808],
}

const _: () = assert!(size_of::<NsGranularityList>() == 4096);
const _: () = assert!(offset_of!(NsGranularityList, entries) == 32);

zeroed_default!(
    ControllerList,
    SecondaryControllerList,
    UuidList,
    NvmSetList,
    DomainList,
    NsGranularityList
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut c = ControllerList::new_zeroed();
        c.num = 2;
        c.ids[0] = 1;
        c.ids[1] = 0x102;
        assert_eq!(&c.as_bytes()[..6], &[2, 0, 1, 0, 2, 1]);
        assert_eq!(c.ids(), &[1, 0x102]);
        let mut s = SecondaryControllerList::new_zeroed();
        s.num = 1;
        s.entries[0].scid = 2;
        s.entries[0].vfn = 1;
        assert_eq!(&s.as_bytes()[32..34], &[2, 0]);
        assert_eq!(&s.as_bytes()[40..42], &[1, 0]);
        let mut u = UuidList::new_zeroed();
        u.entries[0].uuid[0] = 0xab;
        u.entries[0].header = 1;
        assert_eq!(u.used().count(), 1);
        assert_eq!(u.as_bytes()[32], 1);
        assert_eq!(u.as_bytes()[48], 0xab);
        let mut g = NsGranularityList::new_zeroed();
        g.entries[1].ncapgran = U64::new(0x1000);
        assert_eq!(&g.as_bytes()[56..58], &[0, 0x10]);
    }
}

/// Endurance Group List (CNS 19h; Base spec 2.1, "Endurance Group List"):
/// up to 2047 Endurance Group Identifiers greater than or equal to the
/// command's CNSSID, in increasing order. 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct EnduranceGroupList {
    /// Number of Identifiers.
    pub num: u16,
    /// Endurance Group Identifiers.
    pub ids: [u16; 2047],
}

const _: () = assert!(size_of::<EnduranceGroupList>() == 4096);
const _: () = assert!(offset_of!(EnduranceGroupList, ids) == 2);

zeroed_default!(EnduranceGroupList);

impl EnduranceGroupList {
    /// The identifiers listed (the first `num`, at most 2047).
    pub fn listed(&self) -> &[u16] {
        &self.ids[..usize::from(self.num).min(self.ids.len())]
    }
}
