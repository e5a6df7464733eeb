//! Report Zones data, whole and partial, with and without zone descriptor
//! extensions: any bytes, any extension size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvmeq_core::zoned::ZoneReport;
use std::hint::black_box;

fuzz_target!(|input: (u16, &[u8])| {
    let (ext, buf) = input;
    let ext = usize::from(ext);
    for (partial, r) in [
        (false, ZoneReport::parse(buf, ext)),
        (true, ZoneReport::parse_partial(buf, ext)),
    ] {
        let Ok(r) = r else { continue };
        let n = r.len();
        let entry = 64 + ext;
        // What it yields is claimed by the header and present in the buffer.
        assert!(n as u64 <= r.nr_zones());
        assert!(64 + n * entry <= buf.len());
        assert_eq!(r.is_truncated(), (n as u64) < r.nr_zones());
        assert!(
            !(partial && r.is_truncated()),
            "a partial report is never truncated"
        );
        assert_eq!(r.entries().count(), n);
        assert!(r.get(n).is_none());
        for e in r.entries() {
            assert_eq!(e.ext.len(), ext);
            black_box((e.desc.zone_type(), e.desc.state(), format!("{e:?}")));
        }
    }
});
