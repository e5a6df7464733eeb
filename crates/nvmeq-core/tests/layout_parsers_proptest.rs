//! Property tests: the list parsers never panic on arbitrary bytes, and what
//! they yield always lies inside the buffer.

use nvmeq_core::identify::{ns_descriptors, IdentifyNamespace, NsDescriptor, NsDescriptorError};
use nvmeq_core::zoned::{ZoneReport, ZoneReportError};
use proptest::prelude::*;
use zerocopy::FromBytes;

proptest! {
    #[test]
    fn ns_descriptors_stay_in_bounds(buf in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut consumed = 0usize;
        let mut items = 0usize;
        for item in ns_descriptors(&buf) {
            items += 1;
            match item {
                Ok(d) => {
                    prop_assert_eq!(d.nid.len(), d.nidl as usize);
                    prop_assert_ne!(d.nidt.0, 0);
                    consumed += 4 + d.nid.len();
                    prop_assert!(consumed <= buf.len());
                }
                Err(NsDescriptorError::Overrun { offset, len, .. }) => {
                    prop_assert_eq!(offset, consumed);
                    prop_assert_eq!(len, buf.len());
                }
                Err(NsDescriptorError::BadLength { offset, .. }) => {
                    prop_assert_eq!(offset, consumed);
                }
            }
            // Every descriptor has a 4-byte header, so the list is bounded.
            prop_assert!(items <= buf.len() / 4 + 1);
        }
    }

    #[test]
    fn ns_descriptors_round_trip(ids in proptest::collection::vec(
        (1u8..=255, proptest::collection::vec(any::<u8>(), 0..40)), 0..20)
    ) {
        let mut page = [0u8; 4096];
        let mut off = 0;
        let mut written = Vec::new();
        for (nidt, nid) in &ids {
            let d = NsDescriptor::new(nvmeq_core::identify::Nidt(*nidt), nid).unwrap();
            if d.nidt.required_len().is_some_and(|l| l as usize != nid.len()) {
                continue;
            }
            off += d.write_to(&mut page[off..]).unwrap();
            written.push(d);
        }
        let back: Vec<_> = ns_descriptors(&page).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(back, written);
    }

    #[test]
    fn zone_report_never_panics(
        buf in proptest::collection::vec(any::<u8>(), 0..1024),
        zdes in 0usize..4,
        partial in any::<bool>(),
    ) {
        let ext = zdes * 64;
        let parsed = if partial {
            ZoneReport::parse_partial(&buf, ext)
        } else {
            ZoneReport::parse(&buf, ext)
        };
        match parsed {
            Ok(r) => {
                let fits = buf.len().saturating_sub(64) / (64 + ext);
                prop_assert!(r.len() <= fits);
                prop_assert_eq!(r.entries().count(), r.len());
                for e in r.entries() {
                    prop_assert_eq!(e.ext.len(), ext);
                }
            }
            Err(ZoneReportError::Truncated { len }) => prop_assert!(len < 64),
            Err(ZoneReportError::Overrun { fits, nr_zones, .. }) => {
                prop_assert!(partial);
                prop_assert!(nr_zones > fits as u64);
            }
            Err(ZoneReportError::BadExtension(_)) => prop_assert!(false, "valid extension size rejected"),
        }
    }

    #[test]
    fn identify_namespace_helpers_never_panic(buf in proptest::collection::vec(any::<u8>(), 4096)) {
        let ns = IdentifyNamespace::read_from_bytes(&buf).unwrap();
        prop_assert!(ns.flbas_index() < 64);
        if let Some(size) = ns.lba_size() {
            prop_assert!(size.is_power_of_two() && size >= 512);
        }
        prop_assert!(ns.lba_formats().len() <= 64);
    }
}
