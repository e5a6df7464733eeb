//! What the driver takes from Identify Namespace.

use nvmeq_core::format::NsFormat;
use nvmeq_core::{IdentifyNamespace, IdentifyNamespaceNvm};

/// Namespace `id`'s current format as the buffers see it: bytes per block
/// in the data buffer (the LBA data size, plus the metadata when it is
/// interleaved, extended LBA, FLBAS bit 4), in the metadata buffer, and its
/// protection information (its guard format from `nvm`, the NVM Command
/// Set's Identify Namespace; the 16-bit guard without it). `None` for an
/// inactive namespace (NSZE 0) or an invalid format.
pub(crate) fn ns_format(
    id: &IdentifyNamespace,
    nvm: Option<&IdentifyNamespaceNvm>,
) -> Option<NsFormat> {
    NsFormat::from_identify_nvm(id, nvm).ok().flatten()
}

#[cfg(test)]
fn ns_block_bytes(id: &IdentifyNamespace) -> Option<u32> {
    ns_format(id, None).map(|f| f.block_bytes)
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
        id.flbas = 1;
        id.dps = 1;
        let f = ns_format(&id, None).unwrap();
        assert_eq!(
            (f.meta_bytes, f.pi.map(|p| p.pi_type)),
            (8, Some(nvmeq_core::pi::PiType::Type1))
        );
        assert!(f.pi_only(), "8 bytes of metadata, all PI");
        id.flbas = 2;
        assert_eq!(ns_block_bytes(&id), None, "unused format");
    }
}
