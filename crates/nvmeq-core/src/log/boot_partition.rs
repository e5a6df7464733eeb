//! Boot Partition (Base spec 2.0, "Boot Partition Log Page", LID 15h): a
//! 16-byte header, then the contents of the Boot Partition the LSP names.

use core::mem::size_of;
use zerocopy::byteorder::little_endian::U32;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Boot Partition log header: 16 bytes, then the partition's contents.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct BootPartitionHeader {
    /// Log Identifier: 15h.
    pub lid: u8,
    /// Reserved (bytes 1..4).
    pub rsvd1: [u8; 3],
    /// Boot Partition Information: bits 14:0 size in 128 KiB units, bit 31
    /// the active Boot Partition ID.
    pub bpinfo: U32,
    /// Reserved (bytes 8..16).
    pub rsvd8: [u8; 8],
}

const _: () = assert!(size_of::<BootPartitionHeader>() == 16);

impl BootPartitionHeader {
    /// Boot Partition Size (BPSZ), in 128 KiB units.
    pub const fn bpsz(&self) -> u32 {
        self.bpinfo.get() & 0x7fff
    }
    /// Active Boot Partition ID (ABPID).
    pub const fn abpid(&self) -> u8 {
        (self.bpinfo.get() >> 31) as u8
    }
    /// Bytes of the partition's contents.
    pub const fn data_bytes(&self) -> u64 {
        self.bpsz() as u64 * 128 * 1024
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut b = BootPartitionHeader {
            lid: 0x15,
            ..Default::default()
        };
        b.bpinfo.set(1 << 31 | 2);
        assert_eq!(&b.as_bytes()[..8], &[0x15, 0, 0, 0, 2, 0, 0, 0x80]);
        assert_eq!((b.bpsz(), b.abpid(), b.data_bytes()), (2, 1, 256 << 10));
    }
}
