//! Vectored commands and separate metadata buffers on the loopback ring: the
//! validation, the refusals, and that the queue owns every segment, the
//! metadata buffer and the iovec array until reaped and hands them all back.
//! (The device round trips are in nvmeq-hwtest's io_uring tests.)

use nvmeq_core::cmd::{Flush, Identify, Read, Write};
use nvmeq_core::VecData;
use nvmeq_core::{Backend, Data, Error, IoBuf, Rejected};
use nvmeq_uring::{CmdBufs, NsFormat, OpenError, Uring, UringBuf, UringOptions};

fn ring(opts: UringOptions) -> Uring {
    Uring::loopback(opts, 512).expect("loopback ring")
}

fn meta_ring(depth: u32) -> Uring {
    Uring::loopback_with_metadata(UringOptions::new().depth(depth), 512, 8)
        .expect("loopback ring with metadata")
}

fn seg(len: usize, fill: u8) -> UringBuf {
    UringBuf::from_slice(&vec![fill; len])
}

#[test]
fn write_vec_owns_the_segments_and_reap_all_returns_them_in_order() {
    let mut u = ring(UringOptions::new().depth(4));
    // 8 blocks (4096 bytes) from 1000 + 3000 + 200 bytes (cut to 96) + a spare.
    let segs = vec![seg(1000, 1), seg(3000, 2), seg(200, 3), seg(512, 4)];
    u.push_vec(&Write::new(1, 0, 7).build(), segs, None, 42)
        .unwrap();
    // A plain command in the same batch still gets its data buffer back.
    u.push(&Read::new(1, 0, 0).build(), Some(seg(512, 9)), 7)
        .unwrap();
    u.submit(2).unwrap();
    let mut got = Vec::new();
    assert_eq!(u.reap_all(|r| got.push((r.tag, r.result, r.buf))), 2);
    got.sort_by_key(|g| g.0);
    let (tag, result, bufs) = got.pop().unwrap();
    assert_eq!(tag, 42);
    result.unwrap();
    let CmdBufs {
        data,
        segments,
        metadata,
    } = bufs.unwrap();
    assert!(data.is_none() && metadata.is_none());
    let lens: Vec<_> = segments.iter().map(|b| b.len()).collect();
    assert_eq!(lens, vec![1000, 3000, 200, 512], "every segment, spare too");
    for (i, s) in segments.iter().enumerate() {
        assert!(s.as_slice().iter().all(|&x| x == i as u8 + 1));
    }
    let (tag, _, bufs) = got.pop().unwrap();
    assert_eq!(tag, 7);
    assert_eq!(bufs.unwrap().data.unwrap().as_slice(), &[9; 512]);
    assert_eq!(u.in_flight(), 0);
}

#[test]
fn backend_reap_gives_the_data_buffer_and_drops_segments_after_completion() {
    let mut u = Uring::loopback(UringOptions::new().depth(4).fixed_buffers(4, 4096), 512).unwrap();
    let pool = u.fixed_pool().unwrap().clone();
    let segs = vec![u.alloc(2048).unwrap(), u.alloc(2048).unwrap()];
    assert!(segs.iter().all(|s| s.is_fixed()));
    assert_eq!(pool.available(), 2);
    u.push_vec(&Read::new(1, 0, 7).build(), segs, None, 1)
        .unwrap();
    u.submit(1).unwrap();
    assert_eq!(pool.available(), 2, "the queue holds both segments");
    let mut n = 0;
    u.reap(|r| {
        assert!(
            r.buf.is_none(),
            "a vectored command has no single data buffer"
        );
        r.result.unwrap();
        n += 1;
    });
    assert_eq!(n, 1);
    assert_eq!(
        pool.available(),
        4,
        "the segments were freed after completion"
    );
}

#[test]
fn too_few_bytes_across_segments_is_buffer_too_small_and_hands_them_back() {
    let mut u = ring(UringOptions::new().depth(4));
    let segs = vec![seg(512, 1), seg(1000, 2)];
    match u.push_vec(&Read::new(1, 0, 3).build(), segs, None, 1) {
        Err(Rejected::Invalid {
            error:
                Error::BufferTooSmall {
                    need: 2048,
                    have: 1512,
                },
            buf: Some(b),
        }) => assert_eq!(b.segments.len(), 2),
        other => panic!("{other:?}"),
    }
    let (mut a, mut b) = ([0u8; 512], [0u8; 1000]);
    let mut v = [&mut a[..], &mut b[..]];
    assert_eq!(
        u.execute_vec(
            &Read::new(1, 0, 3).build(),
            VecData::FromDevice(&mut v),
            Data::None
        ),
        Err(Error::BufferTooSmall {
            need: 2048,
            have: 1512
        })
    );
    assert_eq!(u.in_flight(), 0, "nothing was queued");
}

#[test]
fn max_segments_bounds_the_segments_a_command_needs() {
    let mut u = ring(UringOptions::new().depth(4).max_segments(2));
    assert_eq!(u.max_segments(), 2);
    // Three segments needed for 1536 bytes: one too many.
    let segs = vec![seg(512, 0), seg(512, 0), seg(512, 0)];
    match u.push_vec(&Read::new(1, 0, 2).build(), segs, None, 1) {
        Err(Rejected::Invalid {
            error: Error::TooManySegments { have: 3, max: 2 },
            buf: Some(b),
        }) => {
            assert_eq!(b.segments.len(), 3);
        }
        other => panic!("{other:?}"),
    }
    // Two needed, a third spare: fine.
    let segs = vec![seg(1024, 0), seg(512, 0), seg(512, 0)];
    u.push_vec(&Read::new(1, 0, 2).build(), segs, None, 2)
        .unwrap();
    u.submit(1).unwrap();
    assert_eq!(u.reap_all(|r| assert!(r.result.is_ok())), 1);

    let mut off = ring(UringOptions::new().depth(2).max_segments(0));
    match off.push_vec(&Read::new(1, 0, 0).build(), vec![seg(512, 0)], None, 1) {
        Err(Rejected::Invalid {
            error: Error::Unsupported(m),
            ..
        }) => assert!(m.contains("max_segments(0)"), "{m}"),
        other => panic!("{other:?}"),
    }
    match Uring::loopback(UringOptions::new().max_segments(65), 512).unwrap_err() {
        OpenError::Option { option, .. } => assert_eq!(option, "max_segments"),
        e => panic!("{e}"),
    }
}

#[test]
fn vectored_commands_must_move_data_in_the_segments_direction() {
    let mut u = ring(UringOptions::new().depth(4));
    match u.push_vec(&Flush::new(1).build(), vec![seg(512, 0)], None, 1) {
        Err(Rejected::Invalid {
            error: Error::ZeroLength,
            buf: Some(b),
        }) => assert_eq!(b.segments.len(), 1),
        other => panic!("{other:?}"),
    }
    let a = [0u8; 512];
    let v = [&a[..]];
    assert!(matches!(
        u.execute_vec(
            &Read::new(1, 0, 0).build(),
            VecData::ToDevice(&v),
            Data::None
        ),
        Err(Error::BufferMismatch { .. })
    ));
    // Admin commands go vectored too (NVME_URING_CMD_ADMIN_VEC).
    let (mut x, mut y) = ([0u8; 2048], [0u8; 2048]);
    let mut v = [&mut x[..], &mut y[..]];
    u.execute_vec(
        &Identify::controller().build(),
        VecData::FromDevice(&mut v),
        Data::None,
    )
    .unwrap();
}

#[test]
fn a_full_queue_hands_every_buffer_back_without_error() {
    let mut u = ring(UringOptions::new().depth(2));
    for t in 0..2 {
        u.push(&Flush::new(1).build(), None, t).unwrap();
    }
    match u.push_vec(
        &Read::new(1, 0, 1).build(),
        vec![seg(512, 1), seg(512, 2)],
        None,
        9,
    ) {
        Err(Rejected::Full(Some(b))) => assert_eq!(b.segments.len(), 2),
        other => panic!("{other:?}"),
    }
    let mut m = meta_ring(1);
    m.push(&Flush::new(1).build(), None, 0).unwrap();
    match m.push_with(
        &Read::new(1, 0, 0).build(),
        Some(seg(512, 1)),
        Some(seg(8, 2)),
        9,
    ) {
        Err(Rejected::Full(Some(b))) => {
            assert_eq!(b.data.unwrap().len(), 512);
            assert_eq!(b.meta.unwrap().len(), 8);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn separate_metadata_is_required_sized_and_returned() {
    let mut u = meta_ring(4);
    assert!(u.caps().metadata);
    assert_eq!(u.ns_format(1).unwrap(), NsFormat::separate(512, 8));
    // 4 blocks: 2048 data bytes, 32 metadata bytes.
    let read = Read::new(1, 0, 3).build();
    let mut data = [0u8; 2048];
    match u.execute(&read, Data::FromDevice(&mut data)) {
        Err(Error::MetadataRequired) => {}
        other => panic!("plain read on a metadata format: {other:?}"),
    }
    assert!(matches!(
        u.push(&read, Some(seg(2048, 0)), 1),
        Err(Rejected::Invalid {
            error: Error::MetadataRequired,
            buf: Some(_)
        })
    ));
    let mut short = [0u8; 31];
    assert_eq!(
        u.execute_with(
            &read,
            Data::FromDevice(&mut data),
            Data::FromDevice(&mut short)
        ),
        Err(Error::BufferTooSmall { need: 32, have: 31 })
    );
    let meta = [0u8; 32];
    assert!(matches!(
        u.execute_with(&read, Data::FromDevice(&mut data), Data::ToDevice(&meta)),
        Err(Error::BufferMismatch { .. })
    ));
    let mut meta = [0u8; 40];
    u.execute_with(
        &read,
        Data::FromDevice(&mut data),
        Data::FromDevice(&mut meta),
    )
    .unwrap();
    // Queued: data and metadata come back together.
    u.push_with(&read, Some(seg(2048, 1)), Some(seg(32, 2)), 5)
        .unwrap();
    match u.push_with(&read, Some(seg(2048, 1)), Some(seg(16, 2)), 6) {
        Err(Rejected::Invalid {
            error: Error::BufferTooSmall { need: 32, have: 16 },
            buf: Some(b),
        }) => assert_eq!(b.meta.unwrap().len(), 16),
        other => panic!("{other:?}"),
    }
    // Vectored with metadata.
    u.push_vec(
        &Write::new(1, 8, 3).build(),
        vec![seg(1024, 3), seg(1024, 4)],
        Some(seg(32, 5)),
        7,
    )
    .unwrap();
    u.submit(2).unwrap();
    let mut got = Vec::new();
    u.reap_all(|r| {
        r.result.unwrap();
        let b = r.buf.unwrap();
        got.push((
            r.tag,
            b.data.map(|d| d.len()),
            b.segments.len(),
            b.metadata.map(|m| m.as_slice()[0]),
        ));
    });
    got.sort();
    assert_eq!(
        got,
        vec![(5, Some(2048), 0, Some(2)), (7, None, 2, Some(5))]
    );
    // The trait's reap hands the metadata buffer back too.
    u.push_with(&read, Some(seg(2048, 6)), Some(seg(32, 7)), 8)
        .unwrap();
    u.submit(1).unwrap();
    let mut back = None;
    assert_eq!(
        Backend::reap(&mut u, |r| back = Some((r.tag, r.buf, r.meta))),
        1
    );
    match back {
        Some((8, Some(d), Some(m))) => assert_eq!((d.len(), m.as_slice()[0]), (2048, 7)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn metadata_is_refused_where_linux_cannot_carry_it() {
    let mut plain = ring(UringOptions::new().depth(2));
    let mut data = [0u8; 512];
    let mut meta = [0u8; 8];
    // The namespace's format has no separate metadata.
    assert!(matches!(
        plain.execute_with(
            &Read::new(1, 0, 0).build(),
            Data::FromDevice(&mut data),
            Data::FromDevice(&mut meta)
        ),
        Err(Error::MetadataForbidden)
    ));
    let mut u = meta_ring(2);
    // Admin commands: the controller device has no integrity payload.
    let mut id = [0u8; 4096];
    assert!(matches!(
        u.execute_with(
            &Identify::controller().build(),
            Data::FromDevice(&mut id),
            Data::FromDevice(&mut meta)
        ),
        Err(Error::Unsupported(_))
    ));
    // Commands without data: Linux maps metadata only alongside data.
    assert!(matches!(
        u.push_with(&Flush::new(1).build(), None, Some(seg(8, 0)), 1),
        Err(Rejected::Invalid {
            error: Error::MetadataForbidden,
            ..
        })
    ));
    // Commands that move no blocks never need it.
    u.execute(&Flush::new(1).build(), Data::None).unwrap();
    u.execute(&Identify::controller().build(), Data::FromDevice(&mut id))
        .unwrap();
    assert_eq!(u.in_flight(), 0);
}

#[test]
fn dropping_with_vectored_commands_in_flight_frees_segments_after_completion() {
    let mut u = Uring::loopback(UringOptions::new().depth(4).fixed_buffers(8, 4096), 512).unwrap();
    let pool = u.fixed_pool().unwrap().clone();
    for t in 0..4 {
        let segs = vec![u.alloc(256).unwrap(), u.alloc(256).unwrap()];
        u.push_vec(&Read::new(1, t, 0).build(), segs, None, t)
            .unwrap();
    }
    u.submit(0).unwrap();
    assert_eq!(pool.available(), 0);
    drop(u);
    assert_eq!(pool.available(), 8);
}
