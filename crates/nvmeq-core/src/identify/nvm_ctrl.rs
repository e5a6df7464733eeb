//! Identify Controller data structures beyond the base one: the NVM Command
//! Set's (CNS 06h, CSI 00h; NVM Command Set spec 1.0, "I/O Command Set
//! Specific Identify Controller Data Structure"), Primary Controller
//! Capabilities (CNS 14h) and the I/O Command Set data structure (CNS 1Ch)
//! of the Base spec 2.0.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U32, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Identify Controller, NVM Command Set specific: 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IdentifyControllerNvm {
    /// Verify Size Limit (VSL): a power of two in units of the minimum memory
    /// page size (CAP.MPSMIN), as MDTS is; 0: no limit.
    pub vsl: u8,
    /// Write Zeroes Size Limit (WZSL), in CAP.MPSMIN units as VSL.
    pub wzsl: u8,
    /// Write Uncorrectable Size Limit (WUSL), in CAP.MPSMIN units as VSL.
    pub wusl: u8,
    /// Dataset Management Ranges Limit (DMRL).
    pub dmrl: u8,
    /// Dataset Management Range Size Limit (DMRSL), logical blocks.
    pub dmrsl: u32,
    /// Dataset Management Size Limit (DMSL), logical blocks (unaligned).
    pub dmsl: U64,
    /// Key Per I/O Capabilities (KPIOCAP).
    pub kpiocap: u8,
    /// Write Zeroes With Deallocate Size Limit (WZDSL).
    pub wzdsl: u8,
    /// Admin Optional Command Support (AOCS): bit 0 Reporting Allocated LBA.
    pub aocs: u16,
    /// Version (VER) of the NVM Command Set spec (unaligned).
    pub ver: U32,
    /// LBA Migration Queue Format (LBAMQF).
    pub lbamqf: u8,
    /// Reserved (bytes 25..4096).
    pub rsvd25: [u8; 4071],
}

const _: () = assert!(size_of::<IdentifyControllerNvm>() == 4096);
const _: () = assert!(offset_of!(IdentifyControllerNvm, dmrsl) == 4);
const _: () = assert!(offset_of!(IdentifyControllerNvm, dmsl) == 8);
const _: () = assert!(offset_of!(IdentifyControllerNvm, aocs) == 18);
const _: () = assert!(offset_of!(IdentifyControllerNvm, ver) == 20);
const _: () = assert!(offset_of!(IdentifyControllerNvm, lbamqf) == 24);

/// Primary Controller Capabilities (CNS 14h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct PrimaryControllerCaps {
    /// Controller Identifier (CNTLID).
    pub cntlid: u16,
    /// Port Identifier (PORTID).
    pub portid: u16,
    /// Controller Resource Types (CRT): bit 0 VQ, bit 1 VI.
    pub crt: u8,
    /// Reserved (bytes 5..32).
    pub rsvd5: [u8; 27],
    /// VQ Resources Flexible Total (VQFRT).
    pub vqfrt: u32,
    /// VQ Resources Flexible Assigned (VQRFA).
    pub vqrfa: u32,
    /// VQ Resources Flexible Allocated to Primary (VQRFAP).
    pub vqrfap: u16,
    /// VQ Resources Private Total (VQPRT).
    pub vqprt: u16,
    /// VQ Resources Flexible Secondary Maximum (VQFRSM).
    pub vqfrsm: u16,
    /// VQ Flexible Resource Preferred Granularity (VQGRAN).
    pub vqgran: u16,
    /// Reserved (bytes 48..64).
    pub rsvd48: [u8; 16],
    /// VI Resources Flexible Total (VIFRT).
    pub vifrt: u32,
    /// VI Resources Flexible Assigned (VIRFA).
    pub virfa: u32,
    /// VI Resources Flexible Allocated to Primary (VIRFAP).
    pub virfap: u16,
    /// VI Resources Private Total (VIPRT).
    pub viprt: u16,
    /// VI Resources Flexible Secondary Maximum (VIFRSM).
    pub vifrsm: u16,
    /// VI Flexible Resource Preferred Granularity (VIGRAN).
    pub vigran: u16,
    /// Reserved (bytes 80..4096).
    pub rsvd80: [u8; 4016],
}

const _: () = assert!(size_of::<PrimaryControllerCaps>() == 4096);
const _: () = assert!(offset_of!(PrimaryControllerCaps, vqfrt) == 32);
const _: () = assert!(offset_of!(PrimaryControllerCaps, vqgran) == 46);
const _: () = assert!(offset_of!(PrimaryControllerCaps, vifrt) == 64);
const _: () = assert!(offset_of!(PrimaryControllerCaps, vigran) == 78);

/// Bits of an I/O Command Set Combination (IOCSC) vector.
pub mod iocsc {
    /// NVM Command Set.
    pub const NVM: u64 = 1 << 0;
    /// Key Value Command Set.
    pub const KEY_VALUE: u64 = 1 << 1;
    /// Zoned Namespace Command Set.
    pub const ZONED: u64 = 1 << 2;
    /// Subsystem Local Memory Command Set.
    pub const SLM: u64 = 1 << 3;
    /// Computational Programs Namespace Command Set.
    pub const COMPUTATIONAL: u64 = 1 << 4;
}

/// I/O Command Set data structure (CNS 1Ch): 512 combinations of command
/// sets, each a bit vector of [`iocsc`]; the index is what I/O Command Set
/// Profile (Feature 19h) selects.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IoCommandSets {
    /// I/O Command Set Combinations (IOCSC0..IOCSC511).
    pub iocsc: [u64; 512],
}

const _: () = assert!(size_of::<IoCommandSets>() == 4096);

impl Default for IdentifyControllerNvm {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl Default for PrimaryControllerCaps {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl Default for IoCommandSets {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut n = IdentifyControllerNvm::new_zeroed();
        n.dmrl = 0xff;
        n.dmsl = U64::new(0x0102);
        n.ver = U32::new(0x0001_0000);
        assert_eq!(n.as_bytes()[3], 0xff);
        assert_eq!(&n.as_bytes()[8..10], &[2, 1]);
        assert_eq!(&n.as_bytes()[20..24], &[0, 0, 1, 0]);
        let mut p = PrimaryControllerCaps::new_zeroed();
        p.cntlid = 0x41;
        p.vigran = 1;
        assert_eq!(p.as_bytes()[0], 0x41);
        assert_eq!(&p.as_bytes()[78..80], &[1, 0]);
        let mut i = IoCommandSets::new_zeroed();
        i.iocsc[1] = iocsc::NVM | iocsc::ZONED;
        assert_eq!(i.as_bytes()[8], 5);
    }
}
