//! The guard CRCs (NVM Command Set spec 1.0, 5.2.1.1 to 5.2.1.3): CRC-16/T10-DIF,
//! CRC-32C and CRC-64/NVME, as the reveng catalogue defines them.
//!
//! With the `std` feature they come from crc-fast, which folds with carry-less
//! multiply (PCLMULQDQ, VPCLMULQDQ, PMULL) where the CPU has it, detected at
//! run time, and uses tables elsewhere; the `crc` crate's slice-by-16 tables,
//! which a build without `std` uses, are an order of magnitude slower
//! (docs/benchmarks.md has the figures).

use super::Pif;

/// CRC-16/T10-DIF of `data` (poly 8BB7h, init 0, no reflection): the 16b guard.
#[inline]
pub fn crc16_t10dif(data: &[u8]) -> u16 {
    guard(Pif::Guard16, data, &[]) as u16
}

/// CRC-32C (Castagnoli, poly 1EDC6F41h, reflected, init and xorout FFFFFFFFh):
/// the 32b guard.
#[inline]
pub fn crc32c(data: &[u8]) -> u32 {
    guard(Pif::Guard32, data, &[]) as u32
}

/// CRC-64/NVME (poly AD93D23594C93659h, reflected, init and xorout all ones):
/// the 64b guard.
#[inline]
pub fn crc64_nvme(data: &[u8]) -> u64 {
    guard(Pif::Guard64, data, &[])
}

/// The guard of `data` followed by `tail`.
#[cfg(feature = "std")]
#[inline]
pub(crate) fn guard(pif: Pif, data: &[u8], tail: &[u8]) -> u64 {
    use crc_fast::{checksum, CrcAlgorithm, Digest};
    let alg = match pif {
        Pif::Guard16 => CrcAlgorithm::Crc16T10Dif,
        Pif::Guard32 => CrcAlgorithm::Crc32Iscsi,
        Pif::Guard64 => CrcAlgorithm::Crc64Nvme,
    };
    if tail.is_empty() {
        return checksum(alg, data);
    }
    let mut d = Digest::new(alg);
    d.update(data);
    d.update(tail);
    d.finalize()
}

/// The guard of `data` followed by `tail`.
#[cfg(not(feature = "std"))]
#[inline]
pub(crate) fn guard(pif: Pif, data: &[u8], tail: &[u8]) -> u64 {
    table::guard(pif, data, tail)
}

/// The table-driven CRCs: what a build without `std` uses, and the reference
/// the fast path is tested against.
#[cfg_attr(all(feature = "std", not(test)), allow(dead_code))]
pub(crate) mod table {
    use super::Pif;
    use crc::{Crc, Table, CRC_16_T10_DIF, CRC_32_ISCSI, CRC_64_NVME};

    const C16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_T10_DIF);
    const C32: Crc<u32, Table<16>> = Crc::<u32, Table<16>>::new(&CRC_32_ISCSI);
    const C64: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_NVME);

    /// The guard of `data` followed by `tail`.
    pub(crate) fn guard(pif: Pif, data: &[u8], tail: &[u8]) -> u64 {
        match pif {
            Pif::Guard16 => {
                let mut d = C16.digest();
                d.update(data);
                d.update(tail);
                d.finalize() as u64
            }
            Pif::Guard32 => {
                let mut d = C32.digest();
                d.update(data);
                d.update(tail);
                d.finalize() as u64
            }
            Pif::Guard64 => {
                let mut d = C64.digest();
                d.update(data);
                d.update(tail);
                d.finalize()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECK: &[u8] = b"123456789";

    #[test]
    fn catalogue_check_values() {
        assert_eq!(crc16_t10dif(CHECK), 0xd0db);
        assert_eq!(crc32c(CHECK), 0xe306_9283);
        assert_eq!(crc64_nvme(CHECK), 0xae8b_1486_0a79_9888);
        assert_eq!(table::guard(Pif::Guard16, CHECK, &[]), 0xd0db);
        assert_eq!(table::guard(Pif::Guard32, CHECK, &[]), 0xe306_9283);
        assert_eq!(
            table::guard(Pif::Guard64, CHECK, &[]),
            0xae8b_1486_0a79_9888
        );
    }

    #[test]
    fn a_split_input_gives_the_whole_inputs_crc() {
        for pif in [Pif::Guard16, Pif::Guard32, Pif::Guard64] {
            let whole = guard(pif, CHECK, &[]);
            for cut in 0..=CHECK.len() {
                let (a, b) = CHECK.split_at(cut);
                assert_eq!(guard(pif, a, b), whole, "{pif:?} cut at {cut}");
                assert_eq!(table::guard(pif, a, b), whole, "{pif:?} table, cut {cut}");
            }
        }
    }

    #[test]
    fn the_fast_path_matches_the_tables_at_every_length() {
        // Lengths around the folding widths (16, 64, 128, 256 bytes) and a
        // 4 KiB block, so every SIMD tail case meets the reference.
        let mut buf = [0u8; 4096 + 72];
        let mut x = 0x1234_5678_9abc_def0u64;
        for b in buf.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = x as u8;
        }
        for pif in [Pif::Guard16, Pif::Guard32, Pif::Guard64] {
            for len in (0..300).chain([511, 512, 513, 4095, 4096, 4096 + 72]) {
                let (d, t) = buf[..len].split_at(len.min(4096));
                assert_eq!(
                    guard(pif, d, t),
                    table::guard(pif, d, t),
                    "{pif:?} length {len}"
                );
            }
        }
    }
}
