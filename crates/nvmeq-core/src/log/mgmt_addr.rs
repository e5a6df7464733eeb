//! Management Address List (NVMe Base 2.1, "Management Address List Log
//! Page" and its "Management Address Descriptor" figure, LID 18h): eight
//! 512-byte descriptors, each a type and an address string.

use core::mem::{offset_of, size_of};

use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

open_enum! {
    /// Management Address Type (MAT) of a [`MgmtAddrDesc`].
    MgmtAddrType {
        /// Not used.
        UNUSED = 0 => "Unused",
        /// The address of an NVM subsystem management agent.
        MGMT_AGENT = 1 => "NVM subsystem management agent",
        /// The address of a fabric interface manager.
        FABRIC_MANAGER = 2 => "fabric interface manager",
        /// No descriptor after this one is used (nvme-cli 2.13 stops here).
        END = 0xff => "End of list",
    }
}

/// Management Address Descriptor: 512 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct MgmtAddrDesc {
    /// Management Address Type (MAT), see [`Self::kind`].
    pub mat: u8,
    /// Reserved (bytes 1..4).
    pub rsvd1: [u8; 3],
    /// Management Address (MADRS): ASCII, NUL-terminated if shorter.
    pub madrs: [u8; 508],
}

const _: () = assert!(size_of::<MgmtAddrDesc>() == 512);
const _: () = assert!(offset_of!(MgmtAddrDesc, madrs) == 4);

impl Default for MgmtAddrDesc {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl MgmtAddrDesc {
    /// The address type.
    pub const fn kind(&self) -> MgmtAddrType {
        MgmtAddrType(self.mat)
    }

    /// The address bytes up to the first NUL (all 508 without one).
    pub fn address(&self) -> &[u8] {
        let end = self
            .madrs
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(self.madrs.len());
        &self.madrs[..end]
    }
}

/// Management Address List log page: 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct MgmtAddrListLog {
    /// Management Address Descriptors 0..7.
    pub mad: [MgmtAddrDesc; 8],
}

const _: () = assert!(size_of::<MgmtAddrListLog>() == 4096);

impl Default for MgmtAddrListLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl MgmtAddrListLog {
    /// The descriptors with an address (type 1 or 2) and their indexes, up
    /// to the first of type FFh.
    pub fn addresses(&self) -> impl Iterator<Item = (usize, &MgmtAddrDesc)> + '_ {
        self.mad
            .iter()
            .enumerate()
            .take_while(|(_, d)| d.kind() != MgmtAddrType::END)
            .filter(|(_, d)| {
                matches!(
                    d.kind(),
                    MgmtAddrType::MGMT_AGENT | MgmtAddrType::FABRIC_MANAGER
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_walk() {
        let mut l = MgmtAddrListLog::default();
        l.mad[0].mat = 1;
        l.mad[0].madrs[..9].copy_from_slice(b"10.0.0.1\0");
        l.mad[1].mat = 3; // reserved: skipped
        l.mad[2].mat = 2;
        l.mad[2].madrs.fill(b'x');
        l.mad[3].mat = 0xff;
        l.mad[4].mat = 1; // after the end: not listed
        let b = l.as_bytes();
        assert_eq!(&b[..8], &[1, 0, 0, 0, b'1', b'0', b'.', b'0']);
        assert_eq!((b[512], b[1024], b[1536]), (3, 2, 0xff));
        let got: heapless::Vec<(usize, usize), 8> =
            l.addresses().map(|(i, d)| (i, d.address().len())).collect();
        assert_eq!(&got[..], &[(0, 8), (2, 508)]);
        assert_eq!(l.mad[0].address(), b"10.0.0.1");
        assert_eq!(l.mad[2].kind().name(), Some("fabric interface manager"));
    }
}
