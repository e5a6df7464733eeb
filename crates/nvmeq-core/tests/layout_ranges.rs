//! Dataset Management and Copy range descriptors.

use nvmeq_core::ranges::{
    CopySourceOptions, CopySourceRangeFormat0, CopySourceRangeFormat1, CopySourceRangeFormat2,
    CopySourceRangeFormat3, DsmContextAttributes, DsmRange,
};
use zerocopy::{FromBytes, IntoBytes};

#[test]
fn dsm_range_layout() {
    let mut b = [0u8; 16];
    b[0..4].copy_from_slice(&(0x3u32 | 1 << 8 | 0x10 << 24).to_le_bytes());
    b[4..8].copy_from_slice(&8u32.to_le_bytes());
    b[8..16].copy_from_slice(&0x1_0000_0000u64.to_le_bytes());
    let r = DsmRange::read_from_bytes(&b).unwrap();
    assert_eq!(r.cattr.af(), 3);
    assert!(r.cattr.sr());
    assert!(!r.cattr.sw());
    assert_eq!(r.cattr.cas(), 0x10);
    assert_eq!(r.nlb, 8, "DSM lengths are counts, not zero-based");
    assert_eq!(r.slba, 0x1_0000_0000);
    assert_eq!(r.as_bytes(), &b[..]);

    let d = DsmRange::new(100, 8);
    assert_eq!(d.cattr, DsmContextAttributes::new());
    assert_eq!(
        d.as_bytes(),
        &[0, 0, 0, 0, 8, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0]
    );
    // A list of ranges is a plain slice of bytes for the data buffer.
    let list = [DsmRange::new(0, 1), DsmRange::new(10, 2)];
    assert_eq!(list.as_bytes().len(), 32);
    assert_eq!(
        <[DsmRange]>::ref_from_bytes(list.as_bytes()).unwrap(),
        &list
    );
}

#[test]
fn copy_source_range_format0_layout() {
    let mut b = [0u8; 32];
    b[8..16].copy_from_slice(&0xabcdu64.to_le_bytes());
    b[16..18].copy_from_slice(&7u16.to_le_bytes());
    b[24..28].copy_from_slice(&0x1122_3344u32.to_le_bytes());
    b[28..30].copy_from_slice(&0x5566u16.to_le_bytes());
    b[30..32].copy_from_slice(&0xffffu16.to_le_bytes());
    let r = CopySourceRangeFormat0::read_from_bytes(&b).unwrap();
    assert_eq!(r.slba, 0xabcd);
    assert_eq!(r.nlb_z, 7);
    assert_eq!(r.nlb(), 8);
    assert_eq!(r.elbt, 0x1122_3344);
    assert_eq!(r.elbat, 0x5566);
    assert_eq!(r.elbatm, 0xffff);
    assert_eq!(r.as_bytes(), &b[..]);

    let n = CopySourceRangeFormat0::new(0xabcd, 8).unwrap();
    assert_eq!(n.nlb_z, 7);
    assert_eq!(CopySourceRangeFormat0::new(0, 65536).unwrap().nlb_z, 0xffff);
    assert!(CopySourceRangeFormat0::new(0, 0).is_none());
    assert!(CopySourceRangeFormat0::new(0, 65537).is_none());
}

#[test]
fn copy_source_range_format1_layout() {
    let mut b = [0u8; 40];
    b[8..16].copy_from_slice(&42u64.to_le_bytes());
    b[16..18].copy_from_slice(&3u16.to_le_bytes());
    b[26..36].copy_from_slice(&[0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78]);
    b[36..38].copy_from_slice(&0xbeefu16.to_le_bytes());
    b[38..40].copy_from_slice(&0x00ffu16.to_le_bytes());
    let r = CopySourceRangeFormat1::read_from_bytes(&b).unwrap();
    assert_eq!(r.slba, 42);
    assert_eq!(r.nlb_z, 3);
    assert_eq!(r.elbt[9], 0x78);
    assert_eq!(r.elbat, 0xbeef);
    assert_eq!(r.elbatm, 0x00ff);
    assert_eq!(r.as_bytes(), &b[..]);
}

/// Formats 2h and 3h: formats 0h and 1h with SNSID in bytes 3:0 and SOPT
/// in bytes 23:22 (Fast Copy Only is bit 15).
#[test]
fn cross_namespace_copy_range_layouts() {
    let mut b = [0u8; 32];
    b[0..4].copy_from_slice(&7u32.to_le_bytes());
    b[8..16].copy_from_slice(&0x1122u64.to_le_bytes());
    b[16..18].copy_from_slice(&3u16.to_le_bytes());
    b[22..24].copy_from_slice(&0x8000u16.to_le_bytes());
    b[24..28].copy_from_slice(&0xa0b0_c0d0u32.to_le_bytes());
    b[28..32].copy_from_slice(&[0x34, 0x12, 0xff, 0x00]);
    let r = CopySourceRangeFormat2::read_from_bytes(&b).unwrap();
    assert_eq!((r.snsid, r.slba, r.nlb_z), (7, 0x1122, 3));
    assert!(r.sopt.fco());
    assert_eq!((r.elbt, r.elbat, r.elbatm), (0xa0b0_c0d0, 0x1234, 0x00ff));
    assert_eq!(r.as_bytes(), &b[..]);

    let d = CopySourceRangeFormat3 {
        snsid: 9,
        slba: 5,
        nlb_z: 1,
        sopt: CopySourceOptions::new().with_fco(true),
        elbt: [0, 0, 1, 2, 3, 4, 5, 6, 7, 8],
        elbat: 0xabcd,
        elbatm: 0xffff,
        ..Default::default()
    };
    let mut want = [0u8; 40];
    want[0] = 9;
    want[8] = 5;
    want[16] = 1;
    want[23] = 0x80;
    want[26..36].copy_from_slice(&[0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    want[36..40].copy_from_slice(&[0xcd, 0xab, 0xff, 0xff]);
    assert_eq!(d.as_bytes(), &want[..]);
}
