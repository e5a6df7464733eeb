//! The SGL descriptors a fabrics command carries in DPTR (Base spec 2.0,
//! "SGL Descriptor Type" and "SGL Descriptor Sub Type"; NVMe/TCP 1.0, "Data
//! Transfer"). Fabrics commands always use SGLs (CDW0.PSDT 01b).
//!
//! - Data in the capsule: a Data Block with subtype Offset; the address is
//!   the offset of the data from the start of the in-capsule data area
//!   (ICDOFF × 16 bytes on TCP).
//! - Data moved by the transport (C2HData, or H2CData after R2T): a
//!   Transport SGL Data Block with subtype Ah and address 0.
//! - No data: the same Transport SGL Data Block with length 0, as Linux sends.

use crate::sgl::{SglDescriptor, SglId, SglSubtype, SglType};

const fn desc(addr: u64, len: u32, t: SglType, s: SglSubtype) -> SglDescriptor {
    SglDescriptor {
        addr,
        len,
        _rsvd: [0; 3],
        id: SglId::new()
            .with_subtype(s.0 & 0xf)
            .with_sgl_type(t.0 & 0xf),
    }
}

/// `len` bytes of data in the capsule, `offset` bytes into its data area.
pub const fn in_capsule(offset: u64, len: u32) -> SglDescriptor {
    desc(offset, len, SglType::DATA_BLOCK, SglSubtype::OFFSET)
}

/// `len` bytes the transport moves outside the capsule.
pub const fn transport(len: u32) -> SglDescriptor {
    desc(
        0,
        len,
        SglType::TRANSPORT_DATA_BLOCK,
        SglSubtype::TRANSPORT_A,
    )
}

/// CDW0.PSDT for SGLs (01b), which fabrics commands always use.
pub const PSDT_SGL: u8 = 0b01;

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::IntoBytes;

    /// Identifier bytes as Linux's nvme-tcp host builds them: `(NVME_SGL_FMT_DATA_DESC
    /// << 4) | NVME_SGL_FMT_OFFSET` = 01h and `(NVME_TRANSPORT_SGL_DATA_DESC << 4) |
    /// NVME_SGL_FMT_TRANSPORT_A` = 5Ah.
    #[test]
    fn golden_bytes() {
        let d = in_capsule(0x10, 512);
        let b = d.as_bytes();
        assert_eq!(&b[..8], &0x10u64.to_le_bytes());
        assert_eq!(&b[8..12], &512u32.to_le_bytes());
        assert_eq!(b[15], 0x01);
        let t = transport(4096);
        let b = t.as_bytes();
        assert_eq!(&b[..8], &[0; 8]);
        assert_eq!(&b[8..12], &4096u32.to_le_bytes());
        assert_eq!(b[15], 0x5a);
        assert_eq!(t.sgl_type(), SglType::TRANSPORT_DATA_BLOCK);
        assert_eq!(d.subtype(), SglSubtype::OFFSET);
    }
}
