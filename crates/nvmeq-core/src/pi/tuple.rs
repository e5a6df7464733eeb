//! The PI tuples (NVM Command Set spec 1.0, figures "16b Guard Protection
//! Information Format", "32b Guard Protection Information Format" and "64b
//! Guard Protection Information Format"). Every field is big-endian, unlike
//! the rest of NVMe, and the tuples have no alignment, so they can be read
//! in place from any metadata offset.

use core::mem::size_of;
use zerocopy::byteorder::big_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use super::Pif;

/// 16b Guard PI (8 bytes): CRC-16 guard, application tag, 32-bit storage
/// and reference space.
#[repr(C)]
#[derive(
    Debug,
    Default,
    Clone,
    Copy,
    PartialEq,
    Eq,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
    Unaligned,
)]
pub struct Pi16 {
    /// Guard (bytes 0..2): CRC-16/T10-DIF.
    pub guard: U16,
    /// Logical Block Application Tag (bytes 2..4).
    pub app_tag: U16,
    /// Logical Block Storage Tag and Reference Tag (bytes 4..8): the storage
    /// tag in the upper STS bits.
    pub space: U32,
}

/// 32b Guard PI (16 bytes): CRC-32C guard, application tag, 80-bit storage
/// and reference space.
#[repr(C)]
#[derive(
    Debug,
    Default,
    Clone,
    Copy,
    PartialEq,
    Eq,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
    Unaligned,
)]
pub struct Pi32 {
    /// Guard (bytes 0..4): CRC-32C.
    pub guard: U32,
    /// Logical Block Application Tag (bytes 4..6).
    pub app_tag: U16,
    /// Logical Block Storage Tag and Reference Tag (bytes 6..16), big-endian.
    pub space: [u8; 10],
}

/// 64b Guard PI (16 bytes): CRC-64 guard, application tag, 48-bit storage
/// and reference space.
#[repr(C)]
#[derive(
    Debug,
    Default,
    Clone,
    Copy,
    PartialEq,
    Eq,
    FromBytes,
    IntoBytes,
    Immutable,
    KnownLayout,
    Unaligned,
)]
pub struct Pi64 {
    /// Guard (bytes 0..8): CRC-64/NVME.
    pub guard: U64,
    /// Logical Block Application Tag (bytes 8..10).
    pub app_tag: U16,
    /// Logical Block Storage Tag and Reference Tag (bytes 10..16), big-endian.
    pub space: [u8; 6],
}

const _: () = assert!(size_of::<Pi16>() == 8);
const _: () = assert!(size_of::<Pi32>() == 16);
const _: () = assert!(size_of::<Pi64>() == 16);
const _: () = assert!(core::mem::offset_of!(Pi16, space) == 4);
const _: () = assert!(core::mem::offset_of!(Pi32, space) == 6);
const _: () = assert!(core::mem::offset_of!(Pi64, space) == 10);

/// A big-endian integer of `N` bytes (N at most 16).
fn be_read<const N: usize>(b: &[u8; N]) -> u128 {
    b.iter().fold(0u128, |v, &x| (v << 8) | x as u128)
}

fn be_write<const N: usize>(b: &mut [u8; N], mut v: u128) {
    for x in b.iter_mut().rev() {
        *x = v as u8;
        v >>= 8;
    }
}

impl Pi32 {
    /// The storage and reference space as an integer (80 bits).
    pub fn space(&self) -> u128 {
        be_read(&self.space)
    }
    /// Sets the space from the low 80 bits of `v`.
    pub fn set_space(&mut self, v: u128) {
        be_write(&mut self.space, v);
    }
}

impl Pi64 {
    /// The storage and reference space as an integer (48 bits).
    pub fn space(&self) -> u64 {
        be_read(&self.space) as u64
    }
    /// Sets the space from the low 48 bits of `v`.
    pub fn set_space(&mut self, v: u64) {
        be_write(&mut self.space, v as u128);
    }
}

/// One tuple's fields, whatever its format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields {
    pub guard: u64,
    pub app_tag: u16,
    /// The storage and reference space (up to 80 bits).
    pub space: u128,
}

/// Reads the tuple of format `pif` at the start of `b` (which holds at least
/// `pif.size()` bytes; the caller has checked the format against MS).
#[inline]
pub(crate) fn read(pif: Pif, b: &[u8]) -> Option<Fields> {
    Some(match pif {
        Pif::Guard16 => {
            let (t, _) = Pi16::ref_from_prefix(b).ok()?;
            Fields {
                guard: t.guard.get() as u64,
                app_tag: t.app_tag.get(),
                space: t.space.get() as u128,
            }
        }
        Pif::Guard32 => {
            let (t, _) = Pi32::ref_from_prefix(b).ok()?;
            Fields {
                guard: t.guard.get() as u64,
                app_tag: t.app_tag.get(),
                space: t.space(),
            }
        }
        Pif::Guard64 => {
            let (t, _) = Pi64::ref_from_prefix(b).ok()?;
            Fields {
                guard: t.guard.get(),
                app_tag: t.app_tag.get(),
                space: t.space() as u128,
            }
        }
    })
}

/// Writes `f` as a tuple of format `pif` at the start of `b`; `None` (and
/// nothing written) if `b` is too short.
#[inline]
pub(crate) fn write(pif: Pif, b: &mut [u8], f: Fields) -> Option<()> {
    match pif {
        Pif::Guard16 => {
            let (t, _) = Pi16::mut_from_prefix(b).ok()?;
            t.guard.set(f.guard as u16);
            t.app_tag.set(f.app_tag);
            t.space.set(f.space as u32);
        }
        Pif::Guard32 => {
            let (t, _) = Pi32::mut_from_prefix(b).ok()?;
            t.guard.set(f.guard as u32);
            t.app_tag.set(f.app_tag);
            t.set_space(f.space);
        }
        Pif::Guard64 => {
            let (t, _) = Pi64::mut_from_prefix(b).ok()?;
            t.guard.set(f.guard);
            t.app_tag.set(f.app_tag);
            t.set_space(f.space as u64);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_16b_tuple() {
        let t = Pi16 {
            guard: U16::new(0xd0db),
            app_tag: U16::new(0x1234),
            space: U32::new(0x0102_0304),
        };
        assert_eq!(t.as_bytes(), [0xd0, 0xdb, 0x12, 0x34, 1, 2, 3, 4]);
        assert_eq!(Pi16::read_from_bytes(t.as_bytes()), Ok(t));
    }

    #[test]
    fn golden_32b_tuple() {
        let mut t = Pi32 {
            guard: U32::new(0xe306_9283),
            app_tag: U16::new(0xbeef),
            space: [0; 10],
        };
        t.set_space(0x0102_0304_0506_0708_090a);
        assert_eq!(
            t.as_bytes(),
            [0xe3, 0x06, 0x92, 0x83, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        );
        assert_eq!(t.space(), 0x0102_0304_0506_0708_090a);
    }

    #[test]
    fn golden_64b_tuple() {
        let mut t = Pi64 {
            guard: U64::new(0xae8b_1486_0a79_9888),
            app_tag: U16::new(0x00ff),
            space: [0; 6],
        };
        t.set_space(0xa1a2_a3a4_a5a6);
        assert_eq!(
            t.as_bytes(),
            [
                0xae, 0x8b, 0x14, 0x86, 0x0a, 0x79, 0x98, 0x88, 0x00, 0xff, 0xa1, 0xa2, 0xa3, 0xa4,
                0xa5, 0xa6
            ]
        );
        assert_eq!(t.space(), 0xa1a2_a3a4_a5a6);
        // Bits above the 48 are dropped, not carried into the app tag.
        t.set_space(0xffff_0000_0000_0001);
        assert_eq!(t.space(), 1);
        assert_eq!(t.app_tag.get(), 0x00ff);
    }

    #[test]
    fn fields_round_trip_at_odd_offsets() {
        let mut buf = [0u8; 33];
        for pif in [Pif::Guard16, Pif::Guard32, Pif::Guard64] {
            let f = Fields {
                guard: 0x0123_4567_89ab_cdef & super::super::mask(pif.guard_bits()),
                app_tag: 0xa55a,
                space: 0x0a0b_0c0d & (u128::MAX >> (128 - pif.space_bits() as u32)),
            };
            write(pif, &mut buf[1..], f).unwrap();
            assert_eq!(read(pif, &buf[1..]), Some(f), "{pif:?}");
            assert_eq!(read(pif, &buf[..pif.size() as usize - 1]), None);
        }
    }
}
