use io_uring::{opcode, squeue};
use nvmeq_core::{Backend, Completion, Data, Error};

use super::*;
use crate::options::UringOptions;
use crate::queue::UNEXPECTED_TAG;
use crate::tag::UserData;
use nvmeq_core::cmd::Flush;
use nvmeq_linux::uapi::{NvmeUringCmd, NVME_URING_CMD_IO};

/// Pushes a NOP with an arbitrary user_data, as a confused kernel or a
/// stale entry would produce.
fn inject(u: &mut Uring, user_data: u64) {
    let e: squeue::Entry128 = opcode::Nop::new().build().user_data(user_data).into();
    // SAFETY: a NOP references no memory.
    assert!(unsafe { u.io.push(&e) });
}

#[test]
fn foreign_and_stale_completions_are_errors_not_trusted() {
    let mut u = Uring::loopback(UringOptions::new().depth(4), 512).unwrap();
    u.push(&Flush::new(1).build(), None, 7).unwrap();
    u.submit(1).unwrap();
    let mut got = Vec::new();
    u.reap(|r| got.push((r.tag, r.result)));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, 7);
    // The slot that command used (slot 0, sequence 1) is free again: a
    // second completion for it is stale.
    let stale = UserData { slot: 0, seq: 1 }.encode();
    let out_of_range = UserData { slot: 9, seq: 1 }.encode();
    // A live command whose slot is reused must not be disturbed.
    u.push(&Flush::new(1).build(), None, 8).unwrap();
    inject(&mut u, stale);
    inject(&mut u, out_of_range);
    u.io.submit(3).unwrap();
    got.clear();
    u.reap(|r| got.push((r.tag, r.result)));
    got.sort_by_key(|g| g.0);
    assert_eq!(
        got,
        vec![
            (8, Ok(Completion::default())),
            (UNEXPECTED_TAG, Err(Error::UnexpectedCid { cid: 0 })),
            (UNEXPECTED_TAG, Err(Error::UnexpectedCid { cid: 9 })),
        ]
    );
    assert_eq!(u.in_flight(), 0);
}

#[test]
fn stray_completions_seen_by_execute_are_reported_by_the_next_reap() {
    let mut u = Uring::loopback(UringOptions::new().depth(4), 512).unwrap();
    inject(&mut u, UserData { slot: 3, seq: 77 }.encode());
    u.execute(&Flush::new(1).build(), Data::None).unwrap();
    let mut got = Vec::new();
    u.reap(|r| got.push((r.tag, r.result)));
    assert_eq!(
        got,
        vec![(UNEXPECTED_TAG, Err(Error::UnexpectedCid { cid: 3 }))]
    );
}

#[test]
fn device_entries_are_uring_cmds_and_loopback_entries_nops() {
    // The entry for a real device is an URING_CMD with the 80-byte command.
    let u = Uring::loopback(UringOptions::new().depth(2), 512).unwrap();
    let ucmd = NvmeUringCmd::from_command(&Flush::new(1).build().sqe, 0, 0);
    let mut real = u;
    real.target = Target::Nvme;
    let e = Uring::entry(
        real.target,
        FileRef::Fd(5),
        NVME_URING_CMD_IO,
        &ucmd,
        Some(3),
        0x7_0001,
    );
    assert_eq!(e.get_opcode(), opcode::UringCmd80::CODE as u32);
    assert_eq!(e.get_user_data(), 0x7_0001);
    real.target = Target::Loopback;
    let e = Uring::entry(
        real.target,
        FileRef::Fd(5),
        NVME_URING_CMD_IO,
        &ucmd,
        None,
        0x8_0002,
    );
    assert_eq!(e.get_opcode(), opcode::Nop::CODE as u32);
    assert_eq!(e.get_user_data(), 0x8_0002);
}

#[test]
fn write_vec_points_the_kernel_at_the_slots_own_iovec_array() {
    use crate::iov::Iov;
    use nvmeq_core::cmd::Write;
    let mut u = Uring::loopback(UringOptions::new().depth(2).max_segments(4), 512).unwrap();
    let segs = vec![
        UringBuf::zeroed(1000),
        UringBuf::zeroed(3000),
        UringBuf::zeroed(200),
        UringBuf::zeroed(512),
    ];
    let at: Vec<usize> = segs
        .iter()
        .map(|b| b.as_slice().as_ptr() as usize)
        .collect();
    u.push_vec(&Write::new(1, 0, 7).build(), segs, None, 1)
        .unwrap();
    let first = UserData { slot: 0, seq: 1 };
    let (bufs, iov) = u.io.slab.in_flight_parts(first).unwrap();
    assert_eq!(bufs.segments.len(), 4, "the slot owns every segment");
    assert_eq!(
        iov,
        [
            Iov {
                base: at[0],
                len: 1000
            },
            Iov {
                base: at[1],
                len: 3000
            },
            Iov {
                base: at[2],
                len: 96
            },
            Iov::default(),
        ],
        "4096 bytes: the third segment cut, the spare left out"
    );
    let first_array = iov.as_ptr();
    // A second command in flight at the same time has its own array.
    u.push_vec(
        &Write::new(1, 0, 0).build(),
        vec![UringBuf::zeroed(512)],
        None,
        2,
    )
    .unwrap();
    let second = UserData { slot: 1, seq: 1 };
    let (_, iov2) = u.io.slab.in_flight_parts(second).unwrap();
    assert_ne!(iov2.as_ptr(), first_array);
    assert_eq!(iov2[0].len, 512);
    let (_, iov) = u.io.slab.in_flight_parts(first).unwrap();
    assert_eq!((iov.as_ptr(), iov[2].len), (first_array, 96), "untouched");
    u.submit(2).unwrap();
    assert_eq!(u.reap_all(|r| assert!(r.result.is_ok())), 2);
    assert!(
        u.io.slab.in_flight_parts(first).is_none(),
        "the slot (and its array) is free only after reaping"
    );
}

#[test]
fn namespace_changing_admin_commands_trigger_a_rescan() {
    use nvmeq_core::AdminOpcode;
    for op in [
        AdminOpcode::FORMAT_NVM,
        AdminOpcode::NS_MANAGEMENT,
        AdminOpcode::NS_ATTACHMENT,
    ] {
        assert!(changes_namespaces(op.0), "{op:?}");
    }
    for op in [
        AdminOpcode::IDENTIFY,
        AdminOpcode::GET_LOG_PAGE,
        AdminOpcode::SET_FEATURES,
    ] {
        assert!(!changes_namespaces(op.0), "{op:?}");
    }
    // On a loopback ring the rescan only forgets cached formats.
    let mut u = Uring::loopback(UringOptions::new().depth(2), 512).unwrap();
    u.formats.insert(7, NsFormat::separate(4096, 0));
    u.rescan().unwrap();
    assert!(u.formats.is_empty());
}
