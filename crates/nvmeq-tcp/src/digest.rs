//! Header and data digests: CRC-32C (Castagnoli), as iSCSI and NVMe/TCP
//! define it (initial value and final XOR all ones), stored little-endian.
//!
//! The `crc32c` crate computes it with the CPU's CRC32 instructions (SSE 4.2
//! on x86-64, the CRC extension on AArch64), detected at run time, with a
//! table fallback: a few GB/s per core, a small well-kept crate with no
//! dependencies, where a wider SIMD crate (PCLMULQDQ folding) would add a
//! large dependency for data digests that are off by default.

/// The digest of `bytes`.
#[inline]
pub fn crc(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

/// The digest of `bytes` following the bytes whose digest is `prev`.
#[inline]
pub fn crc_append(prev: u32, bytes: &[u8]) -> u32 {
    crc32c::crc32c_append(prev, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CRC-32C check value ("123456789" → E3069283h) and RFC 3720's
    /// B.4 vector: 32 bytes of zeros → 8A9136AAh.
    #[test]
    fn known_vectors() {
        assert_eq!(crc(b"123456789"), 0xe306_9283);
        assert_eq!(crc(&[0u8; 32]), 0x8a91_36aa);
        assert_eq!(crc_append(crc(b"1234"), b"56789"), 0xe306_9283);
    }
}
