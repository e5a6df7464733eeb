//! Real NVMe I/O through io_uring passthrough, on the QEMU guest's emulated
//! controller A (`NVMEQ_NS_A`, `NVMEQ_CTRL_A`; destructive: the guest's disks
//! are fresh each boot). Every test is `#[ignore]`d on the host; `cargo xtask
//! vm test` (and so CI) builds this file statically and runs it in the guest
//! (`GUEST_TESTS` in xtask/src/vm/prepare.rs). By hand, on another kernel:
//!
//! ```text
//! RUSTFLAGS='-C target-feature=+crt-static' CARGO_TARGET_DIR=target/guest-uring \
//!   cargo test --no-run --target x86_64-unknown-linux-gnu -p nvmeq-uring --test guest
//! mkdir -p target/uring-out && cp <the printed executable> target/uring-out/guest-uring
//! cargo xtask vm exec --out target/uring-out -- '/out/guest-uring --ignored --test-threads 1'
//! cargo xtask vm exec --kernel 6.1 --out target/uring-out -- '/out/guest-uring --ignored'
//! ```
//!
//! The same backend also runs the whole conformance suite (`cargo xtask vm
//! test`, backends `uring`, `uring-fixed`, `uring-poll`). The differential
//! checks here compare bytes with nvme-cli, which uses the ioctl path.

use std::path::PathBuf;
use std::process::Command as Proc;

use nvmeq_core::cmd::{Flush, GetLogPage, Identify, LogId, Numd, Read, Write};
use nvmeq_core::{Backend, Data, Error, IoBuf, Sct};
use nvmeq_uring::{Uring, UringOptions};

const GUEST: &str = "needs the nvmeq guest: see the header of tests/guest.rs";

fn var(k: &str) -> PathBuf {
    assert_eq!(
        std::env::var("NVMEQ_GUEST").as_deref(),
        Ok("1"),
        "{GUEST}: NVMEQ_GUEST is not set"
    );
    std::env::var_os(k)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{k} is not set ({GUEST})"))
}

fn open(opts: UringOptions) -> Uring {
    let ns = var("NVMEQ_NS_A");
    let ctrl = var("NVMEQ_CTRL_A");
    Uring::open(&ns, opts.ctrl(ctrl)).unwrap_or_else(|e| panic!("{}: {e}", ns.display()))
}

fn pattern(lba: u64, seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u64 ^ lba.wrapping_mul(31) ^ seed as u64) as u8)
        .collect()
}

/// Writes `n` 8-block commands at QD `depth` through the queue interface,
/// reads them back the same way, and compares.
fn write_read_verify(u: &mut Uring, first_lba: u64, n: u64, seed: u8) {
    let nsid = u.nsid();
    let lba = u.lba_size(nsid).unwrap() as usize;
    let len = 8 * lba;
    let depth = u.caps().queue_depth as u64;
    for read in [false, true] {
        let mut next = 0;
        let mut done = 0;
        while done < n {
            while next < n && u.in_flight() < depth as u32 {
                let slba = first_lba + next * 8;
                let mut b = u.alloc(len).unwrap();
                let cmd = if read {
                    Read::new(nsid, slba, 7).build()
                } else {
                    b.as_mut_slice().copy_from_slice(&pattern(slba, seed, len));
                    Write::new(nsid, slba, 7).build()
                };
                u.push(&cmd, Some(b), slba).unwrap();
                next += 1;
            }
            u.submit(1).unwrap();
            done += u.reap(|r| {
                r.result.unwrap_or_else(|e| panic!("LBA {}: {e}", r.tag));
                if read {
                    assert!(
                        r.buf.unwrap().as_slice() == pattern(r.tag, seed, len),
                        "LBA {} read back differs",
                        r.tag
                    );
                }
            }) as u64;
        }
    }
    assert_eq!(u.in_flight(), 0);
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn identify_controller_over_admin_uring_cmd() {
    let mut u = open(UringOptions::new());
    assert!(u.caps().admin);
    let mut id = vec![0u8; 4096];
    u.execute(&Identify::controller().build(), Data::FromDevice(&mut id))
        .unwrap();
    assert_eq!(
        u16::from_le_bytes([id[0], id[1]]),
        0x1b36,
        "QEMU's PCI vendor id"
    );
    assert!(std::str::from_utf8(&id[24..64])
        .unwrap()
        .starts_with("QEMU NVMe Ctrl"));
    assert_eq!(u.nsid(), 1);
    assert_eq!(u.lba_size(1).unwrap(), 512);
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn queued_io_round_trips_with_each_option() {
    let cases: [(&str, UringOptions); 7] = [
        ("default", UringOptions::new().depth(16)),
        (
            "fixed buffers",
            UringOptions::new().depth(16).fixed_buffers(16, 4096),
        ),
        (
            "registered files",
            UringOptions::new().depth(16).register_files(true),
        ),
        ("iopoll", UringOptions::new().depth(16).iopoll(true)),
        (
            "iopoll + fixed + files",
            UringOptions::new()
                .depth(32)
                .iopoll(true)
                .fixed_buffers(32, 4096)
                .register_files(true),
        ),
        ("sqpoll", UringOptions::new().depth(16).sqpoll(50)),
        (
            "coop + defer taskrun",
            UringOptions::new()
                .depth(16)
                .coop_taskrun(true)
                .defer_taskrun(true),
        ),
    ];
    let iopoll_ok = nvmeq_uring::kernel_version().unwrap() >= (6, 5);
    for (i, (name, opts)) in cases.into_iter().enumerate() {
        if name.contains("iopoll") && !iopoll_ok {
            // Refused on purpose below 6.5 (it crashed 6.1): check the refusal.
            let ns = var("NVMEQ_NS_A");
            match Uring::open(&ns, opts) {
                Err(nvmeq_uring::OpenError::Option {
                    option: "iopoll",
                    why,
                }) => {
                    eprintln!("{name}: refused as expected: {why}")
                }
                other => panic!(
                    "{name}: expected the iopoll refusal, got {:?}",
                    other.map(|_| ())
                ),
            }
            continue;
        }
        let mut u = open(opts);
        eprintln!("{name}: caps {:?}", u.caps());
        write_read_verify(&mut u, 4096 * i as u64, 64, i as u8);
        // Admin works beside polled I/O (a second, interrupt-driven ring).
        let mut id = vec![0u8; 4096];
        u.execute(&Identify::controller().build(), Data::FromDevice(&mut id))
            .unwrap_or_else(|e| panic!("{name}: identify: {e}"));
        u.execute(&Flush::new(u.nsid()).build(), Data::None)
            .unwrap();
    }
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn nvme_errors_are_decoded_by_name() {
    let mut u = open(UringOptions::new());
    let ncap = {
        let mut id = vec![0u8; 4096];
        u.execute(&Identify::namespace(1).build(), Data::FromDevice(&mut id))
            .unwrap();
        u64::from_le_bytes(id[8..16].try_into().unwrap())
    };
    let mut b = vec![0u8; 512];
    match u.execute(&Read::new(1, ncap, 0).build(), Data::FromDevice(&mut b)) {
        Err(Error::Status(s)) => {
            assert_eq!((s.sct(), s.sc()), (Sct::GENERIC, 0x80));
            assert!(s.to_string().contains("LBA Out of Range"), "{s}");
        }
        other => panic!("expected LBA Out of Range, got {other:?}"),
    }
    // The queue interface reports it the same way.
    let buf = u.alloc(512).unwrap();
    u.push(&Read::new(1, ncap, 0).build(), Some(buf), 5)
        .unwrap();
    u.submit(1).unwrap();
    let mut n = 0;
    u.reap(|r| {
        n += 1;
        assert!(matches!(r.result, Err(Error::Status(s)) if s.sc() == 0x80));
        assert!(r.buf.is_some());
    });
    assert_eq!(n, 1);
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn iopoll_probe_agrees_with_sysfs_io_poll() {
    // Open succeeds exactly when sysfs says the namespace has poll queues,
    // and a refusal names the driver parameter to set.
    let ns = var("NVMEQ_NS_B");
    let r = Uring::open(&ns, UringOptions::new().iopoll(true));
    let name = std::fs::canonicalize(&ns).unwrap();
    let io_poll = std::fs::read_dir("/sys/block")
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| {
            let n = e.file_name().into_string().unwrap();
            let ng = name
                .file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .replacen("ng", "nvme", 1);
            n == ng
        })
        .map(|e| std::fs::read_to_string(e.path().join("queue/io_poll")).unwrap());
    if nvmeq_uring::kernel_version().unwrap() < (6, 5) {
        match r {
            Err(e) => assert!(e.to_string().contains("6.5"), "{e}"),
            Ok(_) => panic!("iopoll must be refused below Linux 6.5"),
        }
        return;
    }
    match (io_poll.as_deref().map(str::trim), r) {
        (Some("1"), Ok(_)) => {}
        (Some("0"), Err(e)) => assert!(e.to_string().contains("poll_queues"), "{e}"),
        (p, r) => panic!("io_poll {p:?} but open gave {:?}", r.map(|_| ())),
    }
}

fn nvme_cli(args: &[&str]) -> Vec<u8> {
    let out = Proc::new("nvme")
        .args(args)
        .output()
        .expect("nvme-cli in the guest");
    assert!(
        out.status.success(),
        "nvme {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn bytes_equal_those_of_the_ioctl_path() {
    let mut u = open(UringOptions::new().fixed_buffers(4, 8192));
    let ctrl = var("NVMEQ_CTRL_A");
    let ns = var("NVMEQ_NS_A");
    let blk = var("NVMEQ_BLK_A");
    let (ctrl, ns, blk) = (
        ctrl.to_str().unwrap(),
        ns.to_str().unwrap(),
        blk.to_str().unwrap(),
    );

    let mut id = vec![0u8; 4096];
    u.execute(&Identify::controller().build(), Data::FromDevice(&mut id))
        .unwrap();
    assert!(
        id == nvme_cli(&["id-ctrl", ctrl, "-b"]),
        "Identify Controller differs"
    );

    u.execute(&Identify::namespace(1).build(), Data::FromDevice(&mut id))
        .unwrap();
    assert!(
        id == nvme_cli(&["id-ns", ns, "-n", "1", "-b"]),
        "Identify Namespace differs"
    );

    let mut fw = vec![0u8; 512];
    u.execute(
        &GetLogPage::new(LogId::FW_SLOT, Numd::BYTES_512).build(),
        Data::FromDevice(&mut fw),
    )
    .unwrap();
    assert!(
        fw == nvme_cli(&["fw-log", ctrl, "-b"]),
        "Firmware Slot log differs"
    );

    // Data: write through io_uring, read through the ioctl path.
    let slba = 100_000;
    let data = pattern(slba, 0x5a, 4096);
    let mut b = u.alloc(4096).unwrap();
    assert!(b.is_fixed());
    b.as_mut_slice().copy_from_slice(&data);
    u.push(&Write::new(1, slba, 7).build(), Some(b), 0).unwrap();
    u.submit(1).unwrap();
    u.reap(|r| {
        r.result.unwrap();
    });
    let file = "/tmp/uring-diff.bin";
    nvme_cli(&[
        "read",
        blk,
        "-s",
        &slba.to_string(),
        "-c",
        "7",
        "-z",
        "4096",
        "-d",
        file,
    ]);
    assert!(
        std::fs::read(file).unwrap() == data,
        "read through ioctl differs"
    );
    // And back: read through io_uring what was just written.
    let b = u.alloc(4096).unwrap();
    u.push(&Read::new(1, slba, 7).build(), Some(b), 1).unwrap();
    u.submit(1).unwrap();
    u.reap(|r| assert!(r.buf.unwrap().as_slice() == data));
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn async_reads_under_the_futures_layer() {
    use nvmeq_aio::AsyncQueue;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let mut u = open(UringOptions::new().depth(8));
    write_read_verify(&mut u, 1_000_000, 8, 9);
    let (q, _) = AsyncQueue::new(u, nvmeq_aio::Signal::Poll);
    let mut futs: Vec<_> = (0..8u64)
        .map(|i| {
            let b = q.alloc(4096).unwrap();
            Some(q.submit(Read::new(1, 1_000_000 + i * 8, 7).build(), Some(b)))
        })
        .collect();
    let mut cx = Context::from_waker(Waker::noop());
    let mut left = 8;
    while left > 0 {
        for (i, f) in futs.iter_mut().enumerate() {
            if let Some(fut) = f {
                if let Poll::Ready((r, b)) = Pin::new(fut).poll(&mut cx) {
                    r.unwrap();
                    let slba = 1_000_000 + i as u64 * 8;
                    assert!(b.unwrap().as_slice() == pattern(slba, 9, 4096));
                    *f = None;
                    left -= 1;
                }
            }
        }
        if left > 0 {
            q.drive(1).unwrap();
        }
    }
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn a_polled_ring_completes_from_submit_zero() {
    if nvmeq_uring::kernel_version().unwrap() < (6, 5) {
        eprintln!("SKIP: iopoll is refused below Linux 6.5");
        return;
    }
    // IOPOLL completions are posted only when the kernel is entered with
    // GETEVENTS: a spinning caller's `submit(0)` must be that entry, or
    // `nvmeq bench --spin --backend-opts poll` spins forever.
    let mut u = open(UringOptions::new().depth(8).iopoll(true));
    for i in 0..8 {
        let b = u.alloc(4096).unwrap();
        u.push(&Read::new(u.nsid(), i * 8, 7).build(), Some(b), i)
            .unwrap();
    }
    let start = std::time::Instant::now();
    let mut done = 0;
    let mut submits = 0u64;
    while done < 8 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "{done} of 8 polled reads completed after {submits} submit(0) calls in 10 s"
        );
        u.submit(0).unwrap();
        submits += 1;
        done += u.reap(|r| {
            r.result.unwrap();
            assert!(r.buf.is_some());
        });
    }
    assert_eq!(u.in_flight(), 0);
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn dropping_with_io_in_flight_waits_for_the_device() {
    let mut u = open(UringOptions::new().depth(32).fixed_buffers(32, 4096));
    let pool = u.fixed_pool().unwrap().clone();
    for i in 0..32 {
        let b = u.alloc(4096).unwrap();
        u.push(&Read::new(1, i * 8, 7).build(), Some(b), i).unwrap();
    }
    u.submit(0).unwrap();
    drop(u);
    assert_eq!(pool.available(), 32);
}

#[test]
#[ignore = "needs the nvmeq guest: cargo xtask vm exec"]
fn fixed_buffer_pools_of_each_size() {
    let v = nvmeq_uring::kernel_version().unwrap();
    for (count, size) in [
        (16u16, 4096usize),
        (16, 64 << 10),
        (16, 127 << 12),
        (16, 128 << 12),
        (8, 4 << 20),
    ] {
        for files in [false, true] {
            let opts = UringOptions::new()
                .depth(16)
                .fixed_buffers(count, size)
                .register_files(files)
                .ctrl(var("NVMEQ_CTRL_A"));
            // QEMU's namespaces have max_segments 127: before 6.12 larger
            // registered buffers are refused at open, with the limit named.
            if v < (6, 12) && size > 127 << 12 {
                let e = Uring::open(var("NVMEQ_NS_A"), opts).unwrap_err();
                assert!(e.to_string().contains("max_segments (127)"), "{e}");
                continue;
            }
            let mut u = open(opts);
            let mut b = u.alloc(4096).unwrap();
            assert!(b.is_fixed());
            b.as_mut_slice().fill(0x3c);
            u.push(&Write::new(1, 7000, 7).build(), Some(b), 0).unwrap();
            u.submit(1).unwrap();
            let mut res = None;
            u.reap(|r| res = Some(r.result));
            res.expect("one completion")
                .unwrap_or_else(|e| panic!("pool {count} x {size}, files {files}: {e}"));
        }
    }
}
