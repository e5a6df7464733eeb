//! The I/O Command Set Independent Identify Namespace data structure (CNS
//! 08h; NVMe Base spec 2.1, "I/O Command Set Independent Identify Namespace
//! Data Structure"): the namespace fields every command set shares, and the
//! namespace's status.

use core::mem::{offset_of, size_of};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// I/O Command Set Independent Identify Namespace (CNS 08h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IdentifyNamespaceIndependent {
    /// Common Namespace Features (NSFEAT).
    pub nsfeat: u8,
    /// Namespace Multi-path I/O and Namespace Sharing Capabilities (NMIC).
    pub nmic: u8,
    /// Reservation Capabilities (RESCAP).
    pub rescap: u8,
    /// Format Progress Indicator (FPI).
    pub fpi: u8,
    /// ANA Group Identifier (ANAGRPID).
    pub anagrpid: u32,
    /// Namespace Attributes (NSATTR).
    pub nsattr: u8,
    /// Reserved.
    pub rsvd9: u8,
    /// NVM Set Identifier (NVMSETID).
    pub nvmsetid: u16,
    /// Endurance Group Identifier (ENDGID).
    pub endgid: u16,
    /// Namespace Status (NSTAT): bit 0 namespace ready, bits 2:1 I/O
    /// performance degradation indication.
    pub nstat: u8,
    /// Key Per I/O Status (KPIOS, 2.1).
    pub kpios: u8,
    /// Maximum Key Tag (MAXKT, 2.1).
    pub maxkt: u16,
    /// Reserved.
    pub rsvd18: [u8; 2],
    /// Reachability Group Identifier (RGRPID, 2.1).
    pub rgrpid: u32,
    /// Reserved (bytes 24..4096).
    pub rsvd24: [u8; 4072],
}

const _: () = assert!(size_of::<IdentifyNamespaceIndependent>() == 4096);
const _: () = assert!(offset_of!(IdentifyNamespaceIndependent, anagrpid) == 4);
const _: () = assert!(offset_of!(IdentifyNamespaceIndependent, nsattr) == 8);
const _: () = assert!(offset_of!(IdentifyNamespaceIndependent, nvmsetid) == 10);
const _: () = assert!(offset_of!(IdentifyNamespaceIndependent, endgid) == 12);
const _: () = assert!(offset_of!(IdentifyNamespaceIndependent, nstat) == 14);
const _: () = assert!(offset_of!(IdentifyNamespaceIndependent, maxkt) == 16);
const _: () = assert!(offset_of!(IdentifyNamespaceIndependent, rgrpid) == 20);

impl Default for IdentifyNamespaceIndependent {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl IdentifyNamespaceIndependent {
    /// NSTAT bit 0: the namespace is ready.
    pub const NSTAT_NRDY: u8 = 1 << 0;

    /// Whether NSTAT says the namespace is ready.
    pub const fn ready(&self) -> bool {
        self.nstat & Self::NSTAT_NRDY != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden bytes: every field at its offset, little-endian.
    #[test]
    fn layout() {
        let mut n = IdentifyNamespaceIndependent::new_zeroed();
        n.nsfeat = 0x11;
        n.nmic = 0x01;
        n.rescap = 0xff;
        n.fpi = 0x80;
        n.anagrpid = 0x0403_0201;
        n.nsattr = 1;
        n.nvmsetid = 0x0605;
        n.endgid = 0x0807;
        n.nstat = 1;
        n.kpios = 3;
        n.maxkt = 0x0a09;
        n.rgrpid = 0x0e0d_0c0b;
        assert_eq!(
            &n.as_bytes()[..24],
            &[
                0x11, 0x01, 0xff, 0x80, 0x01, 0x02, 0x03, 0x04, 0x01, 0x00, 0x05, 0x06, 0x07, 0x08,
                0x01, 0x03, 0x09, 0x0a, 0x00, 0x00, 0x0b, 0x0c, 0x0d, 0x0e
            ]
        );
        assert!(n.ready());
    }
}
