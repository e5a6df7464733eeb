//! Identify Controller, Identify Namespace, the namespace lists and the
//! Namespace Identification Descriptor list, as a controller might return
//! them: any bytes. Nothing may panic, and what the accessors report must be
//! consistent with the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvmeq_core::format::NsFormat;
use nvmeq_core::identify::ns_descriptors;
use nvmeq_core::{IdentifyController, IdentifyNamespace, NsList};
use std::hint::black_box;
use zerocopy::FromBytes;

fuzz_target!(|data: &[u8]| {
    let mut page = [0u8; 4096];
    let n = data.len().min(page.len());
    page[..n].copy_from_slice(&data[..n]);

    let c = IdentifyController::read_from_bytes(&page).expect("4096 bytes");
    black_box((c.sn(), c.mn(), c.fr(), c.subnqn(), c.ieee_oui()));
    for mps in 0..=15u32 {
        black_box(c.mdts_bytes(4096 << mps));
    }
    black_box((
        c.sqe_size(),
        c.cqe_size(),
        c.power_states(),
        c.sgl_supported(),
    ));

    let ns = IdentifyNamespace::read_from_bytes(&page).expect("4096 bytes");
    let lbafs = ns.lba_formats();
    assert!(lbafs.len() <= 64, "at most 64 LBA formats");
    assert_eq!(lbafs.len(), ns.lba_format_count().min(64));
    for f in lbafs {
        black_box(f.lba_size());
    }
    black_box((
        ns.flbas_index(),
        ns.current_lbaf(),
        ns.lba_size(),
        ns.metadata_size(),
        ns.extended_lba(),
        ns.thin_provisioned(),
    ));
    if let Ok(Some(f)) = NsFormat::from_identify(&ns) {
        // A format the backends plan transfers with: its data block holds
        // the LBA data, and metadata is either interleaved or separate.
        assert!(f.block_bytes >= f.lba_size());
        assert!(f.meta_bytes == 0 || f.meta_bytes == u32::from(f.ms));
    }

    let list = NsList::read_from_bytes(&page).expect("4096 bytes");
    let ids: Vec<u32> = list.ids().collect();
    assert_eq!(ids.len(), list.len());
    assert!(
        ids.iter().all(|&id| id != 0),
        "the list ends at the first 0"
    );

    for d in ns_descriptors(data) {
        black_box(format!("{d:?}"));
    }
});
