//! SGL descriptors and describing transfers as a Data Block or segment lists.

use nvmeq_core::sgl::{Sgl, SglDescriptor, SglError, SglSegment, SglSubtype, SglType};
use nvmeq_core::Command;
use zerocopy::IntoBytes;

#[test]
fn descriptor_wire_layout() {
    // struct nvme_sgl_desc: addr@0 length@8 rsvd[3]@12 type@15, with the
    // descriptor type in bits 7:4 and the subtype in bits 3:0.
    let d = SglDescriptor::data_block(0x1122_3344_5566_7788, 0x1000);
    assert_eq!(
        d.as_bytes(),
        &[0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, 0x10, 0, 0, 0, 0, 0, 0x00]
    );
    assert_eq!(SglDescriptor::bit_bucket(512).as_bytes()[15], 0x10);
    let s = SglDescriptor::segment(0x8000, 4);
    assert_eq!(s.as_bytes()[8..], [64, 0, 0, 0, 0, 0, 0, 0x20]);
    assert_eq!(s.sgl_type(), SglType::SEGMENT);
    let l = SglDescriptor::last_segment(0x8000, 2);
    assert_eq!(l.as_bytes()[8..], [32, 0, 0, 0, 0, 0, 0, 0x30]);
    assert_eq!(l.subtype(), SglSubtype::ADDRESS);
    assert_eq!(SglType::KEYED_DATA_BLOCK.name(), Some("Keyed Data Block"));
    assert_eq!(SglType::TRANSPORT_DATA_BLOCK.0, 5);
    assert_eq!(SglType(9).name(), None);
}

#[test]
fn one_region_is_one_data_block() {
    let mut none: [SglSegment<'_>; 0] = [];
    let s = Sgl::describe(&[(0x10_0000, 8192)], &mut none[..]).unwrap();
    assert_eq!(s.dptr, SglDescriptor::data_block(0x10_0000, 8192));
    assert_eq!((s.len, s.segments), (8192, 0));
}

#[test]
fn regions_fit_one_last_segment() {
    let mut descs = [SglDescriptor::default(); 8];
    let mut segs = [SglSegment {
        addr: 0x9000,
        descs: &mut descs,
    }];
    let regions = [(0x1000, 512), (0x5000, 4096), (0x3200, 100)];
    let s = Sgl::describe(&regions, &mut segs[..]).unwrap();
    assert_eq!(s.dptr, SglDescriptor::last_segment(0x9000, 3));
    assert_eq!((s.len, s.segments), (4708, 1));
    for (d, &(a, l)) in descs.iter().zip(&regions) {
        assert_eq!(*d, SglDescriptor::data_block(a, l));
    }
    assert_eq!(descs[3], SglDescriptor::default());
}

#[test]
fn segments_chain() {
    // 7 regions, segments of 3: 2 + ptr, 2 + ptr, 3.
    let regions: Vec<(u64, u32)> = (0..7).map(|i| (0x10_0000 + i * 0x1000, 4096)).collect();
    let (mut a, mut b, mut c) = (
        [SglDescriptor::default(); 3],
        [SglDescriptor::default(); 3],
        [SglDescriptor::default(); 3],
    );
    let mut segs = [
        SglSegment {
            addr: 0xa000,
            descs: &mut a,
        },
        SglSegment {
            addr: 0xb000,
            descs: &mut b,
        },
        SglSegment {
            addr: 0xc000,
            descs: &mut c,
        },
    ];
    let s = Sgl::describe(&regions, &mut segs[..]).unwrap();
    assert_eq!(s.dptr, SglDescriptor::segment(0xa000, 3));
    assert_eq!((s.len, s.segments), (7 * 4096, 3));
    let db = |i: usize| SglDescriptor::data_block(regions[i].0, 4096);
    assert_eq!(a, [db(0), db(1), SglDescriptor::segment(0xb000, 3)]);
    assert_eq!(b, [db(2), db(3), SglDescriptor::last_segment(0xc000, 3)]);
    assert_eq!(c, [db(4), db(5), db(6)]);
}

#[test]
fn last_segment_may_be_shorter() {
    let regions = [(0x1000, 8), (0x2000, 8), (0x3000, 8), (0x4000, 8)];
    let (mut a, mut b) = ([SglDescriptor::default(); 3], [SglDescriptor::default(); 3]);
    let mut segs = [
        SglSegment {
            addr: 0xa000,
            descs: &mut a,
        },
        SglSegment {
            addr: 0xb000,
            descs: &mut b,
        },
    ];
    let s = Sgl::describe(&regions, &mut segs[..]).unwrap();
    assert_eq!(s.dptr, SglDescriptor::segment(0xa000, 3));
    assert_eq!(a[2], SglDescriptor::last_segment(0xb000, 2));
    assert_eq!(
        b[..2],
        [
            SglDescriptor::data_block(0x3000, 8),
            SglDescriptor::data_block(0x4000, 8)
        ]
    );
}

#[test]
fn bad_inputs_are_rejected() {
    let mut none: [SglSegment<'_>; 0] = [];
    assert_eq!(
        Sgl::describe(&[], &mut none[..]),
        Err(SglError::EmptyRegion { index: 0 })
    );
    assert_eq!(
        Sgl::describe(&[(0x1000, 8), (0x2000, 0)], &mut none[..]),
        Err(SglError::EmptyRegion { index: 1 })
    );
    assert_eq!(
        Sgl::describe(&[(0x1000, u32::MAX), (0x2000, 1)], &mut none[..]),
        Err(SglError::TooLong)
    );
    assert_eq!(
        Sgl::describe(&[(0x1000, 8), (0x2000, 8)], &mut none[..]),
        Err(SglError::SegmentsExhausted { index: 0 })
    );
    let mut d = [SglDescriptor::default(); 4];
    let mut segs = [SglSegment {
        addr: 0x9004,
        descs: &mut d,
    }];
    assert_eq!(
        Sgl::describe(&[(0x1000, 8), (0x2000, 8)], &mut segs[..]),
        Err(SglError::BadSegment {
            index: 0,
            addr: 0x9004
        })
    );
    let mut d = [SglDescriptor::default(); 2];
    let mut segs = [SglSegment {
        addr: 0x9000,
        descs: &mut d,
    }];
    assert_eq!(
        Sgl::describe(&[(0x1000, 8), (0x2000, 8), (0x3000, 8)], &mut segs[..]),
        Err(SglError::SegmentsExhausted { index: 1 })
    );
    let mut d = [SglDescriptor::default(); 1];
    let mut segs = [SglSegment {
        addr: 0x9000,
        descs: &mut d,
    }];
    assert_eq!(
        Sgl::describe(&[(0x1000, 8), (0x2000, 8)], &mut segs[..]),
        Err(SglError::BadSegment {
            index: 0,
            addr: 0x9000
        })
    );
}

#[test]
fn apply_fills_dptr_and_selects_sgls() {
    let mut none: [SglSegment<'_>; 0] = [];
    let s = Sgl::describe(&[(0x10_0000, 4096)], &mut none[..]).unwrap();
    let mut sqe = Command::new(0x02, 1);
    s.apply(&mut sqe);
    assert_eq!(sqe.cdw0.psdt(), 1);
    assert_eq!(sqe.as_bytes()[24..40], *s.dptr.as_bytes());
    assert_eq!(sqe.dptr, [0x10_0000, 4096]);
}
