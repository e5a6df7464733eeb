//! The queue plumbing (validation, encoding, in-flight table, tags, buffers,
//! setup flags, drop) against a real io_uring whose commands complete as NOPs.
//! No NVMe device needed; the device-backed tests live in nvmeq-hwtest.

use nvmeq_core::cmd::{Flush, Identify, Read, Write};
use nvmeq_core::{Backend, Data, Error, IoBuf, Rejected};
use nvmeq_uring::{OpenError, Uring, UringBuf, UringOptions};

fn ring(depth: u32) -> Uring {
    Uring::loopback(UringOptions::new().depth(depth), 512).expect("loopback ring")
}

#[test]
fn push_submit_reap_returns_every_tag_and_buffer() {
    let mut u = ring(8);
    for i in 0..8u64 {
        let mut b = u.alloc(1024).unwrap();
        b.as_mut_slice()[0] = i as u8;
        u.push(&Read::new(1, i, 1).build(), Some(b), 100 + i)
            .unwrap();
    }
    assert_eq!(u.in_flight(), 8);
    assert_eq!(u.submit(8).unwrap(), 8, "one enter submits all eight");
    let mut seen = Vec::new();
    let n = u.reap(|r| {
        let b = r.buf.expect("buffer comes back");
        assert_eq!(
            b.as_slice()[0] as u64,
            r.tag - 100,
            "each tag gets its own buffer"
        );
        assert!(r.result.unwrap().status().is_success());
        seen.push(r.tag);
    });
    assert_eq!(n, 8);
    seen.sort();
    assert_eq!(seen, (100..108).collect::<Vec<_>>());
    assert_eq!(u.in_flight(), 0);
    assert_eq!(u.reap(|_| panic!("nothing left")), 0);
}

#[test]
fn a_full_queue_rejects_without_error_and_hands_the_buffer_back() {
    let mut u = ring(4);
    for t in 0..4 {
        u.push(&Flush::new(1).build(), None, t).unwrap();
    }
    let b = UringBuf::from_slice(&[7; 512]);
    match u.push(&Write::new(1, 0, 0).build(), Some(b), 9) {
        Err(Rejected::Full(buf)) => assert_eq!(buf.unwrap().as_slice(), &[7; 512]),
        other => panic!("expected back-pressure, got {other:?}"),
    }
    u.submit(4).unwrap();
    assert_eq!(u.reap(|_| {}), 4);
    u.push(&Write::new(1, 0, 0).build(), Some(UringBuf::zeroed(512)), 9)
        .expect("room again after reaping");
}

#[test]
fn lengths_come_from_the_command_and_are_checked_against_the_buffer() {
    let mut u = ring(4);
    // 2 blocks of 512 B need 1024 bytes.
    match u.push(&Read::new(1, 0, 1).build(), Some(UringBuf::zeroed(1023)), 1) {
        Err(Rejected::Invalid {
            error:
                Error::BufferTooSmall {
                    need: 1024,
                    have: 1023,
                },
            buf: Some(b),
        }) => assert_eq!(b.len(), 1023),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        u.push(&Read::new(1, 0, 0).build(), None, 1),
        Err(Rejected::Invalid {
            error: Error::BufferMismatch { .. },
            buf: None
        })
    ));
    let mut small = [0u8; 4095];
    assert_eq!(
        u.execute(
            &Identify::controller().build(),
            Data::FromDevice(&mut small)
        ),
        Err(Error::BufferTooSmall {
            need: 4096,
            have: 4095
        })
    );
    let big = [0u8; 4096];
    assert!(matches!(
        u.execute(&Identify::controller().build(), Data::ToDevice(&big)),
        Err(Error::BufferMismatch { .. })
    ));
    // Above the transfer limit (128 KiB on loopback): 512 blocks of 512 B.
    let mut huge = vec![0u8; 512 * 512];
    assert!(matches!(
        u.execute(&Read::new(1, 0, 511).build(), Data::FromDevice(&mut huge)),
        Err(Error::AboveMdts { .. })
    ));
    // A data-moving opcode with a zero length would let the device write
    // where no buffer is mapped (a vendor opcode: for Read, NLB would
    // already disagree with the declared length).
    let zero = nvmeq_core::Cmd::io(
        nvmeq_core::Command::new(0x82, 1),
        nvmeq_core::DataDir::FromDevice,
        nvmeq_core::Xfer::Bytes(0),
    );
    assert!(matches!(
        u.execute(&zero, Data::FromDevice(&mut [])),
        Err(Error::ZeroLength)
    ));
    assert!(matches!(
        u.push(&zero, None, 0),
        Err(Rejected::Invalid {
            error: Error::ZeroLength,
            ..
        })
    ));
    assert_eq!(u.in_flight(), 0, "nothing was queued");
}

#[test]
fn execute_waits_for_its_own_completion_and_parks_the_others() {
    let mut u = ring(8);
    u.push(&Flush::new(1).build(), None, 1).unwrap();
    u.push(&Read::new(1, 0, 0).build(), Some(UringBuf::zeroed(512)), 2)
        .unwrap();
    let mut id = [0u8; 4096];
    let c = u
        .execute(&Identify::controller().build(), Data::FromDevice(&mut id))
        .unwrap();
    assert!(c.status().is_success());
    assert_eq!(
        u.in_flight(),
        2,
        "the queued commands are still owed to reap"
    );
    let mut tags = Vec::new();
    u.reap(|r| {
        assert!(r.result.is_ok());
        tags.push((r.tag, r.buf.is_some()));
    });
    tags.sort();
    assert_eq!(tags, vec![(1, false), (2, true)]);
    assert_eq!(u.in_flight(), 0);
}

#[test]
fn submit_refuses_to_wait_for_more_than_is_in_flight() {
    let mut u = ring(4);
    assert_eq!(
        u.submit(1),
        Err(Error::WaitExceedsInFlight {
            want: 1,
            in_flight: 0
        }),
        "would hang"
    );
    u.push(&Flush::new(1).build(), None, 0).unwrap();
    assert_eq!(
        u.submit(2),
        Err(Error::WaitExceedsInFlight {
            want: 2,
            in_flight: 1
        })
    );
    assert_eq!(u.submit(1).unwrap(), 1);
    assert_eq!(u.reap(|_| {}), 1);
}

#[test]
fn each_option_builds_a_ring_on_this_kernel() {
    let opts = [
        UringOptions::new().coop_taskrun(true),
        UringOptions::new().single_issuer(true),
        UringOptions::new().defer_taskrun(true),
        UringOptions::new().sqpoll(10),
        UringOptions::new().fixed_buffers(4, 4096),
        UringOptions::new()
            .coop_taskrun(true)
            .defer_taskrun(true)
            .fixed_buffers(2, 8192),
    ];
    for o in opts {
        let mut u =
            Uring::loopback(o.clone().depth(4), 512).unwrap_or_else(|e| panic!("{o:?}: {e}"));
        for t in 0..4 {
            let b = u.alloc(512).unwrap();
            u.push(&Write::new(1, t, 0).build(), Some(b), t).unwrap();
        }
        let mut n = 0;
        while n < 4 {
            u.submit(1).unwrap();
            n += u.reap(|r| assert!(r.result.is_ok(), "{o:?}"));
        }
    }
}

#[test]
fn impossible_options_are_named() {
    let err = |o: UringOptions| Uring::loopback(o, 512).unwrap_err();
    match err(UringOptions::new().sqpoll(1).defer_taskrun(true)) {
        OpenError::Option { option, .. } => assert_eq!(option, "defer_taskrun"),
        e => panic!("{e}"),
    }
    match err(UringOptions::new().depth(0)) {
        OpenError::Option { option, .. } => assert_eq!(option, "depth"),
        e => panic!("{e}"),
    }
    match err(UringOptions::new().depth(40000)) {
        OpenError::Option { option, .. } => assert_eq!(option, "depth"),
        e => panic!("{e}"),
    }
    match err(UringOptions::new().iopoll(true)) {
        OpenError::Option { option, .. } => assert_eq!(option, "iopoll"),
        e => panic!("{e}"),
    }
    match err(UringOptions::new().fixed_buffers(0, 4096)) {
        OpenError::Nvme(Error::BadArgument(a)) if a.name == "count" => {}
        e => panic!("{e}"),
    }
    assert!(Uring::loopback(UringOptions::new(), 1000).is_err());
}

#[test]
fn fixed_buffers_are_handed_out_used_and_returned() {
    let mut u = Uring::loopback(UringOptions::new().depth(4).fixed_buffers(2, 4096), 512).unwrap();
    let pool = u.fixed_pool().unwrap().clone();
    let a = u.alloc(4096).unwrap();
    let b = u.alloc(512).unwrap();
    assert!(a.is_fixed() && b.is_fixed());
    assert_eq!(pool.available(), 0);
    let c = u.alloc(512).unwrap();
    assert!(!c.is_fixed(), "exhausted pool falls back to a heap buffer");
    u.push(&Read::new(1, 0, 7).build(), Some(a), 1).unwrap();
    u.push(&Read::new(1, 0, 0).build(), Some(b), 2).unwrap();
    u.push(&Read::new(1, 0, 0).build(), Some(c), 3).unwrap();
    u.submit(3).unwrap();
    let mut back = Vec::new();
    u.reap(|r| back.push(r.buf.unwrap()));
    assert_eq!(back.len(), 3);
    drop(back);
    assert_eq!(
        pool.available(),
        2,
        "dropping FixedBufs returns them to the pool"
    );
}

#[test]
fn dropping_with_commands_in_flight_waits_and_frees_their_buffers_after() {
    let u = Uring::loopback(UringOptions::new().depth(8).fixed_buffers(8, 4096), 512).unwrap();
    let pool = u.fixed_pool().unwrap().clone();
    let mut u = u;
    for t in 0..4 {
        let b = u.alloc(512).unwrap();
        u.push(&Read::new(1, t, 0).build(), Some(b), t).unwrap();
    }
    u.submit(0).unwrap(); // submitted, not reaped
    for t in 4..8 {
        let b = u.alloc(512).unwrap();
        u.push(&Read::new(1, t, 0).build(), Some(b), t).unwrap();
    } // written, never submitted
    assert_eq!(pool.available(), 0);
    drop(u);
    assert_eq!(
        pool.available(),
        8,
        "every buffer freed once its command completed"
    );
}

#[test]
fn opening_a_non_nvme_device_says_what_it_is_and_what_is_needed() {
    let e = Uring::open("/dev/null", UringOptions::new()).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, OpenError::NotNvme { .. }), "{msg}");
    assert!(
        msg.contains("/dev/null is not an NVMe character device"),
        "{msg}"
    );
    assert!(msg.contains("/dev/ngXnY"), "{msg}");
    let e = Uring::open("/dev/ng-no-such-device", UringOptions::new()).unwrap_err();
    assert!(e.to_string().contains("No such file or directory"), "{e}");
    let e = Uring::open("/dev/null", UringOptions::new().depth(0)).unwrap_err();
    assert!(
        matches!(
            e,
            OpenError::Option {
                option: "depth",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn this_kernel_supports_uring_cmd() {
    let (maj, min) = nvmeq_uring::kernel_version().unwrap();
    if (maj, min) >= (5, 19) {
        nvmeq_uring::uring_cmd_supported().expect("a ≥ 5.19 kernel has IORING_OP_URING_CMD");
    } else {
        let e = nvmeq_uring::uring_cmd_supported().unwrap_err();
        assert!(e.to_string().contains("ioctl"), "{e}");
    }
}

#[test]
fn eventfd_signals_completions() {
    let mut u = ring(2);
    let efd = u.register_eventfd().unwrap();
    assert_eq!(nvmeq_uring::read_eventfd(&efd).unwrap(), 0);
    u.push(&Flush::new(1).build(), None, 0).unwrap();
    u.submit(1).unwrap();
    assert!(nvmeq_uring::read_eventfd(&efd).unwrap() >= 1);
    assert_eq!(u.reap(|_| {}), 1);
}

#[test]
fn one_syscall_per_batch() {
    let mut u = ring(32);
    let start = u.syscalls().unwrap();
    for round in 0..10u64 {
        for t in 0..32 {
            u.push(&Read::new(1, t, 0).build(), Some(UringBuf::zeroed(512)), t)
                .unwrap();
        }
        assert_eq!(
            u.syscalls().unwrap(),
            start + round,
            "write makes no syscall"
        );
        u.submit(32).unwrap();
        assert_eq!(u.reap(|_| {}), 32, "reap makes no syscall");
    }
    assert_eq!(
        u.syscalls().unwrap() - start,
        10,
        "one io_uring_enter per batch of 32"
    );
}

#[test]
fn a_block_device_that_is_not_nvme_is_refused() {
    // Any block device on this host that is not an NVMe namespace.
    let Some(blk) = std::fs::read_dir("/dev")
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| {
            use std::os::unix::fs::FileTypeExt;
            e.file_type().map(|t| t.is_block_device()).unwrap_or(false)
                && !e.file_name().to_string_lossy().starts_with("nvme")
        })
    else {
        // /dev always has loop devices on the hosts we run on; say so if not.
        panic!("no block device in /dev to test with");
    };
    let e = Uring::open(blk.path(), UringOptions::new()).unwrap_err();
    assert!(matches!(e, OpenError::NotNvme { .. }), "{e}");
    assert!(e.to_string().contains("block device"), "{e}");
}

#[test]
fn commit_zero_enters_only_when_completions_need_it() {
    // Interrupt-driven: completions are posted without entering, so an
    // empty `submit(0)` (a spinning caller's poll) makes no syscall.
    let mut u = ring(8);
    let start = u.syscalls().unwrap();
    for _ in 0..100 {
        assert_eq!(u.submit(0).unwrap(), 0);
    }
    assert_eq!(u.syscalls().unwrap(), start, "an empty submit(0) entered");
    u.push(&Read::new(1, 0, 0).build(), Some(UringBuf::zeroed(512)), 7)
        .unwrap();
    assert_eq!(u.submit(0).unwrap(), 1);
    assert_eq!(u.syscalls().unwrap(), start + 1, "submitting enters once");
    let mut n = 0;
    while n == 0 {
        u.submit(0).unwrap();
        n = u.reap(|r| assert_eq!(r.tag, 7));
    }
    // Cooperative and deferred task work run only inside io_uring_enter
    // with GETEVENTS; the kernel flags pending work in the SQ ring
    // (IORING_SETUP_TASKRUN_FLAG), so `submit(0)` enters when there is
    // some, and a spinning caller still sees its completion.
    for o in [
        UringOptions::new().coop_taskrun(true),
        UringOptions::new().defer_taskrun(true),
    ] {
        let mut u = Uring::loopback(o.clone().depth(8), 512).unwrap();
        let start = u.syscalls().unwrap();
        for _ in 0..10 {
            u.submit(0).unwrap();
        }
        assert_eq!(
            u.syscalls().unwrap(),
            start,
            "{o:?}: nothing pending, yet it entered"
        );
        u.push(&Read::new(1, 0, 0).build(), Some(UringBuf::zeroed(512)), 9)
            .unwrap();
        assert_eq!(u.submit(0).unwrap(), 1);
        let (mut n, mut spins) = (0, 0u32);
        while n == 0 {
            u.submit(0).unwrap();
            n = u.reap(|r| assert_eq!(r.tag, 9));
            spins += 1;
            assert!(spins < 1_000_000, "{o:?}: the completion never appeared");
        }
        // The submit entered; cooperative task work may run on its way out
        // of the kernel, deferred work needs an enter of its own.
        assert!(u.syscalls().unwrap() > start, "{o:?}");
    }
}
