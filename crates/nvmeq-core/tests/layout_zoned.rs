//! Zoned Namespace layouts and the bounds-checked Report Zones parser.

use nvmeq_core::zoned::{
    IdentifyControllerZns, IdentifyNamespaceZns, LbaFormatExtension, ReportZonesHeader,
    ZoneDescriptor, ZoneReport, ZoneReportError, ZoneState, ZoneType,
};
use zerocopy::{FromBytes, IntoBytes};

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

#[test]
fn identify_controller_zns() {
    let mut b = vec![0u8; 4096];
    b[0] = 5; // zasl
    b[4095] = 0xaa;
    let id = IdentifyControllerZns::read_from_bytes(&b).unwrap();
    assert_eq!(id.zasl, 5);
    assert_eq!(id.zasl_bytes(4096), Some(128 * 1024));
    assert_eq!(IdentifyControllerZns::default().zasl_bytes(4096), None);
    assert_eq!(id.as_bytes(), &b[..]);
}

/// Identify Namespace (ZNS) shaped like the test bed's zoned namespace:
/// 4 KiB blocks, 64 MiB zones (16384 blocks), no open/active limits.
#[test]
fn identify_namespace_zns() {
    let mut b = vec![0u8; 4096];
    put(&mut b, 0, &0x0001u16.to_le_bytes()); // zoc: variable capacity
    put(&mut b, 2, &0x0001u16.to_le_bytes()); // ozcs: read across boundaries
    put(&mut b, 4, &u32::MAX.to_le_bytes()); // mar: no limit
    put(&mut b, 8, &13u32.to_le_bytes()); // mor: 14 open zones
    put(&mut b, 12, &60u32.to_le_bytes()); // rrl
    put(&mut b, 16, &30u32.to_le_bytes()); // frl
    put(&mut b, 44, &7u32.to_le_bytes()); // numzrwa
    put(&mut b, 48, &16u16.to_le_bytes()); // zrwafg
    put(&mut b, 50, &256u16.to_le_bytes()); // zrwasz
    b[52] = 1; // zrwacap
               // lbafe[0] at 2816: zsze 16384, zdes 2 (128 bytes).
    put(&mut b, 2816, &16384u64.to_le_bytes());
    b[2816 + 8] = 2;
    // lbafe[63] at 2816 + 63*16.
    put(&mut b, 2816 + 63 * 16, &(1u64 << 20).to_le_bytes());
    b[3840] = 0x99; // vendor specific
    let ns = IdentifyNamespaceZns::read_from_bytes(&b).unwrap();
    assert_eq!(ns.zoc, 1);
    assert_eq!(ns.ozcs, 1);
    assert_eq!(ns.max_active_zones(), None);
    assert_eq!(ns.max_open_zones(), Some(14));
    assert_eq!(ns.rrl, 60);
    assert_eq!(ns.frl, 30);
    assert_eq!(ns.numzrwa_z, 7);
    assert_eq!(ns.zrwafg, 16);
    assert_eq!(ns.zrwasz, 256);
    assert_eq!(ns.zrwacap, 1);
    assert_eq!(ns.lbafe[0].zsze, 16384);
    assert_eq!(ns.lbafe[0].zdes, 2);
    assert_eq!(ns.lbafe[0].zdes_bytes(), 128);
    assert_eq!(ns.lbafe[63].zsze, 1 << 20);
    assert_eq!(ns.vs[0], 0x99);
    assert_eq!(ns.as_bytes(), &b[..]);
    assert_eq!(
        LbaFormatExtension::read_from_bytes(&b[2816..2832])
            .unwrap()
            .zsze,
        16384
    );
}

fn zone(zslba: u64, state: u8, wp: u64) -> [u8; 64] {
    let mut d = [0u8; 64];
    d[0] = 0x2; // sequential write required
    d[1] = state << 4;
    d[2] = 0x80 | 0x04; // ZDEV + RZR
    d[3] = 0x11;
    put(&mut d, 8, &16000u64.to_le_bytes()); // zcap
    put(&mut d, 16, &zslba.to_le_bytes());
    put(&mut d, 24, &wp.to_le_bytes());
    d
}

fn report(nr_zones: u64, descs: &[[u8; 64]], ext: usize) -> Vec<u8> {
    let mut b = vec![0u8; 64];
    put(&mut b, 0, &nr_zones.to_le_bytes());
    for (i, d) in descs.iter().enumerate() {
        b.extend_from_slice(d);
        b.extend(std::iter::repeat_n(i as u8 + 1, ext));
    }
    b
}

#[test]
fn zone_descriptor_fields() {
    let d = ZoneDescriptor::read_from_bytes(&zone(16384, 0xe, 32768)).unwrap();
    assert_eq!(d.zone_type(), ZoneType::SEQ_WRITE_REQUIRED);
    assert_eq!(d.state(), ZoneState::FULL);
    assert_eq!(d.state().name(), Some("Full"));
    assert_eq!(format!("{:?}", ZoneState(0x5)), "ZoneState(0x05)");
    assert_eq!(d.za, ZoneDescriptor::ZA_ZDEV | ZoneDescriptor::ZA_RZR);
    assert_eq!(d.zai, 0x11);
    assert_eq!(d.zcap, 16000);
    assert_eq!(d.zslba, 16384);
    assert_eq!(d.wp, 32768);
    assert_eq!(d.as_bytes(), &zone(16384, 0xe, 32768)[..]);
    for (raw, s) in [
        (1, ZoneState::EMPTY),
        (2, ZoneState::IMPLICITLY_OPENED),
        (3, ZoneState::EXPLICITLY_OPENED),
        (4, ZoneState::CLOSED),
        (0xd, ZoneState::READ_ONLY),
        (0xe, ZoneState::FULL),
        (0xf, ZoneState::OFFLINE),
    ] {
        assert_eq!(
            ZoneDescriptor::read_from_bytes(&zone(0, raw, 0))
                .unwrap()
                .state(),
            s
        );
    }
    let h = ReportZonesHeader::read_from_bytes(&report(7, &[], 0)).unwrap();
    assert_eq!(h.nr_zones, 7);
}

#[test]
fn report_zones_parses_descriptors() {
    let buf = report(
        3,
        &[
            zone(0, 1, 0),
            zone(16384, 2, 16400),
            zone(32768, 0xe, 49152),
        ],
        0,
    );
    let r = ZoneReport::parse(&buf, 0).unwrap();
    assert_eq!(r.nr_zones(), 3);
    assert_eq!(r.len(), 3);
    assert!(!r.is_truncated());
    let zones: Vec<_> = r.descriptors().collect();
    assert_eq!(zones.len(), 3);
    assert_eq!(zones[0].state(), ZoneState::EMPTY);
    assert_eq!(zones[1].zslba, 16384);
    assert_eq!(zones[1].wp, 16400);
    assert_eq!(zones[1].state(), ZoneState::IMPLICITLY_OPENED);
    assert_eq!(zones[2].state(), ZoneState::FULL);
    assert!(r.get(3).is_none());
    // The same through the partial parser, and from an odd (unaligned) offset.
    let mut shifted = vec![0u8; 1];
    shifted.extend_from_slice(&buf);
    let r = ZoneReport::parse_partial(&shifted[1..], 0).unwrap();
    assert_eq!(r.descriptors().nth(2).unwrap().wp, 49152);
}

#[test]
fn report_zones_buffer_smaller_than_all_zones() {
    // Partial Report clear: the controller counts 100 zones but the buffer holds 2
    // (plus a trailing partial descriptor, which is ignored).
    let mut buf = report(100, &[zone(0, 1, 0), zone(16384, 1, 16384)], 0);
    buf.extend_from_slice(&[0xff; 40]);
    let r = ZoneReport::parse(&buf, 0).unwrap();
    assert_eq!(r.nr_zones(), 100);
    assert_eq!(r.len(), 2);
    assert!(r.is_truncated());
    assert_eq!(r.descriptors().count(), 2);
    // Fewer claimed than present: only the claimed ones.
    let buf = report(1, &[zone(0, 1, 0), zone(16384, 1, 16384)], 0);
    assert_eq!(ZoneReport::parse(&buf, 0).unwrap().descriptors().count(), 1);
}

#[test]
fn report_zones_rejects_truncated_and_overrunning_input() {
    assert_eq!(
        ZoneReport::parse(&[0u8; 63], 0).unwrap_err(),
        ZoneReportError::Truncated { len: 63 }
    );
    assert!(ZoneReport::parse(&[], 0).is_err());
    let buf = report(5, &[zone(0, 1, 0), zone(16384, 1, 16384)], 0);
    let err = ZoneReport::parse_partial(&buf, 0).unwrap_err();
    assert_eq!(
        err,
        ZoneReportError::Overrun {
            nr_zones: 5,
            fits: 2,
            len: 192
        }
    );
    assert_eq!(
        err.to_string(),
        "report zones claims 5 zone descriptors but the 192-byte buffer holds only 2"
    );
    // An absurd count never panics or allocates.
    let buf = report(u64::MAX, &[zone(0, 1, 0)], 0);
    assert!(ZoneReport::parse_partial(&buf, 0).is_err());
    assert_eq!(ZoneReport::parse(&buf, 0).unwrap().descriptors().count(), 1);
    assert_eq!(
        ZoneReport::parse(&buf, 65).unwrap_err(),
        ZoneReportError::BadExtension(65)
    );
}

#[test]
fn extended_report_zones_with_extensions() {
    // ZDES 1: a 64-byte extension after each descriptor.
    let buf = report(2, &[zone(0, 4, 100), zone(16384, 3, 16500)], 64);
    let r = ZoneReport::parse_partial(&buf, 64).unwrap();
    let entries: Vec<_> = r.entries().collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].desc.state(), ZoneState::CLOSED);
    assert_eq!(entries[0].ext, &[1u8; 64][..]);
    assert_eq!(entries[1].desc.zslba, 16384);
    assert_eq!(entries[1].desc.state(), ZoneState::EXPLICITLY_OPENED);
    assert_eq!(entries[1].ext, &[2u8; 64][..]);
    // Cut the second extension short: the partial parser rejects it.
    assert!(ZoneReport::parse_partial(&buf[..buf.len() - 1], 64).is_err());
}
