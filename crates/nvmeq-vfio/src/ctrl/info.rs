//! What the driver takes from Identify Namespace.

use nvmeq_core::IdentifyNamespace;

/// Bytes one logical block moves over the bus in namespace `id`'s current
/// format: the LBA data size, plus the metadata when it is interleaved
/// (extended LBA, FLBAS bit 4), because then it travels in the data buffer.
/// `None` for an inactive namespace (NSZE 0) or an invalid format.
pub(crate) fn ns_block_bytes(id: &IdentifyNamespace) -> Option<u32> {
    if id.nsze == 0 {
        return None;
    }
    let lba = id.lba_size()?;
    if id.extended_lba() {
        lba.checked_add(id.metadata_size() as u32)
    } else {
        Some(lba)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::LbaFormat;
    use zerocopy::FromZeros;

    #[test]
    fn block_bytes_follow_flbas_and_extended_metadata() {
        let mut id = IdentifyNamespace::new_zeroed();
        assert_eq!(ns_block_bytes(&id), None, "inactive");
        id.nsze = 1 << 21;
        id.lbaf[0] = LbaFormat::new().with_lbads(9);
        id.lbaf[1] = LbaFormat::new().with_lbads(12).with_ms(8);
        assert_eq!(ns_block_bytes(&id), Some(512));
        id.flbas = 1;
        assert_eq!(
            ns_block_bytes(&id),
            Some(4096),
            "separate metadata is not in the data buffer"
        );
        id.flbas = 1 | IdentifyNamespace::FLBAS_EXTENDED;
        assert_eq!(
            ns_block_bytes(&id),
            Some(4104),
            "extended LBA carries metadata inline"
        );
        id.flbas = 2;
        assert_eq!(ns_block_bytes(&id), None, "unused format");
    }
}
