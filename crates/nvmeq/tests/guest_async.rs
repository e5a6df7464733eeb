//! The async API in the nvmeq QEMU guest (`cargo xtask vm test` runs each
//! test as a step): `examples/tokio_verify.rs` — tokio tasks × verified
//! writes and reads, then writes dropped in flight — on controller A through
//! every backend, and on the guest's NVMe/TCP target. Each needs the guest's
//! environment (`NVMEQ_GUEST=1`, docs/testing.md); run one by hand with
//! `cargo xtask vm exec -- nvmeq-async-guest-tests --ignored --exact ioctl`.

#[path = "../examples/tokio_verify.rs"]
#[allow(dead_code)]
mod tokio_verify;

const GUEST: &str = "needs the nvmeq guest: see the header of tests/guest_async.rs";

/// Tasks, I/Os per task, and where each backend's blocks start on A (past
/// the conformance suite's and the io_uring tests' areas; 8 × 32 × 2 runs
/// of 8 blocks = 4096 blocks each).
const TASKS: u64 = 8;
const IOS: u64 = 32;
const FIRST: u64 = 1_600_000;

fn var(k: &str) -> String {
    assert_eq!(
        std::env::var("NVMEQ_GUEST").as_deref(),
        Ok("1"),
        "{GUEST}: NVMEQ_GUEST is not set"
    );
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set ({GUEST})"))
}

fn run(spec: &str, area: u64) {
    tokio_verify::run(spec, TASKS, IOS, FIRST + area * 4096).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn ioctl() {
    run(&format!("ioctl:{}", var("NVMEQ_NS_A")), 0);
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn uring() {
    run(&format!("uring:{}", var("NVMEQ_NS_A")), 1);
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn uring_fixed() {
    run(&format!("uring-fixed:{}", var("NVMEQ_NS_A")), 2);
}

/// The guest's NVMe/TCP target through nvmeq's own initiator: its nsid 1
/// (32768 blocks of 4 KiB) is too small for A's areas, so the tcp tests'
/// blocks start at 16384 (the soak's and the suite's stay below).
fn tcp_spec() -> String {
    format!(
        "tcp://{}:{}/{}",
        var("NVMEQ_TCP_ADDR"),
        var("NVMEQ_TCP_PORT"),
        var("NVMEQ_TCP_NQN")
    )
}
const TCP_FIRST: u64 = 16384;

#[test]
#[ignore = "needs the nvmeq guest"]
fn tcp() {
    tokio_verify::run(&tcp_spec(), TASKS, IOS, TCP_FIRST).unwrap_or_else(|e| panic!("{e}"));
}

/// Moves A to vfio-pci for `f`, and back to nvme whatever happens.
fn on_vfio(f: impl FnOnce(&str) + std::panic::UnwindSafe) {
    let pci = var("NVMEQ_PCI_A");
    if std::env::var("NVMEQ_IOMMU").as_deref() != Ok("1") {
        println!("SKIP: the guest has no IOMMU, so no VFIO");
        return;
    }
    nvmeq::vfio::bind_vfio(&pci).unwrap_or_else(|e| panic!("{pci} to vfio-pci: {e}"));
    let r = std::panic::catch_unwind(|| f(&pci));
    let back = nvmeq::vfio::bind_kernel(&pci);
    if let Err(p) = r {
        std::panic::resume_unwind(p);
    }
    back.unwrap_or_else(|e| panic!("{pci} back to nvme: {e}"));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn vfio_irq() {
    on_vfio(|pci| run(&format!("vfio-irq:{pci}"), 3));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn vfio_poll() {
    on_vfio(|pci| run(&format!("vfio-poll:{pci}"), 4));
}

/// Blocks per command, commands kept in flight per thread, and rounds of
/// (write QD commands, read them back) per thread.
const BLOCKS: u64 = 8;
const QD: u64 = 8;
const ROUNDS: u64 = 4;

/// The bytes of block `lba` as thread `t` writes it.
fn stamp(block: &mut [u8], lba: u64, t: u64) {
    for (k, b) in block.iter_mut().enumerate() {
        *b = (lba.wrapping_mul(31) ^ t.wrapping_mul(101) ^ k as u64) as u8;
    }
    block[..8].copy_from_slice(&lba.to_le_bytes());
    block[8..16].copy_from_slice(&t.to_le_bytes());
}

/// One thread's share: verified writes and reads through its own queue,
/// QD commands in flight at a time, on blocks no other thread touches.
fn queue_worker<B: nvmeq::nvme::Backend>(mut h: B, t: u64, first: u64) -> Result<u64, String> {
    use nvmeq::nvme::cmd::{Read, Write};
    use nvmeq::nvme::IoBuf;
    let lba = h.lba_size(1).map_err(|e| e.to_string())? as usize;
    let len = BLOCKS as usize * lba;
    let base = first + t * ROUNDS * QD * BLOCKS;
    let mut ios = 0;
    for round in 0..ROUNDS {
        let slba = |i: u64| base + (round * QD + i) * BLOCKS;
        for i in 0..QD {
            let mut b = h.alloc(len).map_err(|e| e.to_string())?;
            for (j, blk) in b.as_mut_slice().chunks_mut(lba).enumerate() {
                stamp(blk, slba(i) + j as u64, t);
            }
            let cmd = Write::new(1, slba(i), (BLOCKS - 1) as u16).build();
            h.push(&cmd, Some(b), i)
                .map_err(|r| format!("thread {t}: push write: {}", r.into_error()))?;
        }
        let mut back = Vec::new();
        while back.len() < QD as usize {
            h.submit(1)
                .map_err(|e| format!("thread {t}: submit: {e}"))?;
            h.reap(|r| back.push(r));
        }
        for r in back.drain(..) {
            r.result
                .map_err(|e| format!("thread {t}: write tag {}: {e}", r.tag))?;
        }
        for i in 0..QD {
            let b = h.alloc(len).map_err(|e| e.to_string())?;
            let cmd = Read::new(1, slba(i), (BLOCKS - 1) as u16).build();
            h.push(&cmd, Some(b), i)
                .map_err(|r| format!("thread {t}: push read: {}", r.into_error()))?;
        }
        while back.len() < QD as usize {
            h.submit(1)
                .map_err(|e| format!("thread {t}: submit: {e}"))?;
            h.reap(|r| back.push(r));
        }
        for r in back.drain(..) {
            r.result
                .map_err(|e| format!("thread {t}: read tag {}: {e}", r.tag))?;
            let b = r
                .buf
                .ok_or(format!("thread {t}: read tag {} lost its buffer", r.tag))?;
            let mut want = vec![0u8; lba];
            for (j, got) in b.as_slice()[..len].chunks(lba).enumerate() {
                let at = slba(r.tag) + j as u64;
                stamp(&mut want, at, t);
                if got != want {
                    return Err(format!("thread {t}: block {at} read back wrong"));
                }
            }
        }
        ios += 2 * QD;
    }
    if h.in_flight() != 0 {
        return Err(format!(
            "thread {t}: {} commands left in flight",
            h.in_flight()
        ));
    }
    Ok(ios)
}

/// `Controller::into_shared`: two threads, each with its own I/O queue of
/// one controller, run verified writes and reads at once; a third handle
/// is refused while both are out and given once one is dropped; a handle
/// dropped with reads in flight waits for them, so the next handle on that
/// queue starts empty.
fn queue_handles(pci: &str, irq: bool, area: u64) {
    use nvmeq::nvme::cmd::Read;
    use nvmeq::nvme::Backend;
    use nvmeq::vfio::{Controller, Options};
    let opts = Options {
        io_queues: 2,
        ..Options::default()
    }
    .interrupts(irq);
    let shared = Controller::open_with(pci, opts)
        .unwrap_or_else(|e| panic!("{e}"))
        .into_shared();
    assert_eq!(shared.io_queues(), 2, "QEMU grants 2 I/O queue pairs");
    let first = FIRST + area * 4096;
    let (a, b) = (shared.queue().unwrap(), shared.queue().unwrap());
    assert_ne!(a.queue_index(), b.queue_index());
    let e = shared.queue().unwrap_err().to_string();
    assert!(e.contains("all 2 I/O queues have handles"), "{e}");
    let results: Vec<Result<u64, String>> = std::thread::scope(|s| {
        let ws: Vec<_> = [a, b]
            .into_iter()
            .enumerate()
            .map(|(t, h)| s.spawn(move || queue_worker(h, t as u64, first)))
            .collect();
        ws.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for r in &results {
        assert_eq!(r.as_ref().map_err(String::clone), Ok(&(2 * ROUNDS * QD)));
    }
    // Both handles were dropped by their threads: their queues are free.
    let mut c = shared.queue().unwrap();
    let lba = c.lba_size(1).unwrap() as usize;
    for i in 0..QD {
        let buf = c.alloc(BLOCKS as usize * lba).unwrap();
        let cmd = Read::new(1, first + i * BLOCKS, (BLOCKS - 1) as u16).build();
        c.push(&cmd, Some(buf), i).unwrap();
    }
    c.submit(0).unwrap();
    let qi = c.queue_index();
    drop(c);
    let d = shared.queue().unwrap();
    assert_eq!(
        d.queue_index(),
        qi,
        "the dropped handle's queue is free again"
    );
    assert_eq!(d.in_flight(), 0, "the dropped handle waited for its reads");
    let stats = shared.stats().unwrap();
    println!(
        "2 threads × {} verified I/Os on their own queues ({}); {stats:?}",
        2 * ROUNDS * QD,
        if irq { "interrupts" } else { "polled" }
    );
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn vfio_queue_handles_irq() {
    on_vfio(|pci| queue_handles(pci, true, 5));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn vfio_queue_handles_poll() {
    on_vfio(|pci| queue_handles(pci, false, 6));
}

/// `nvmeq::open_shared`: two threads, each on a queue handle of one device,
/// run verified writes and reads at once; then another handle reads both
/// threads' blocks back. Where the queues are counted (VFIO), a third
/// handle is refused while both are out.
fn shared_device(spec: &str, area: u64) {
    shared_device_at(spec, FIRST + area * 4096);
}

/// [`shared_device`] with the blocks from `first`.
fn shared_device_at(spec: &str, first: u64) {
    use nvmeq::BackendExt;
    let dev = nvmeq::open_shared(spec, 2).unwrap_or_else(|e| panic!("{spec}: {e}"));
    let handles = dev.queues(2).unwrap_or_else(|e| panic!("{spec}: {e}"));
    if let Some(max) = dev.max_queues() {
        assert_eq!(max, 2, "{spec}: opened for two threads");
        let e = dev.queue().unwrap_err().to_string();
        assert!(e.contains("all 2 I/O queues have handles"), "{e}");
    }
    let results: Vec<Result<u64, String>> = std::thread::scope(|s| {
        let ws: Vec<_> = handles
            .into_iter()
            .enumerate()
            .map(|(t, h)| s.spawn(move || queue_worker(h, t as u64, first)))
            .collect();
        ws.into_iter().map(|w| w.join().unwrap()).collect()
    });
    for r in &results {
        assert_eq!(
            r.as_ref().map_err(String::clone),
            Ok(&(2 * ROUNDS * QD)),
            "{spec}"
        );
    }
    let mut c = dev.queue().unwrap_or_else(|e| panic!("{spec}: {e}"));
    let lba = nvmeq::nvme::Backend::lba_size(&mut c, 1).unwrap() as usize;
    let mut got = vec![0u8; lba];
    let mut want = vec![0u8; lba];
    for t in 0..2 {
        let at = first + t * ROUNDS * QD * BLOCKS;
        c.read_blocks(1, at, &mut got).unwrap();
        stamp(&mut want, at, t);
        assert!(
            got == want,
            "{spec}: block {at} of thread {t} read back wrong through another handle"
        );
    }
    println!(
        "{spec}: 2 threads × {} verified I/Os on their own queue handles",
        2 * ROUNDS * QD
    );
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn shared_uring() {
    shared_device(&format!("uring:{}", var("NVMEQ_NS_A")), 7);
}

/// uring's handles are rings of their own on one set of descriptors: the
/// namespace node is opened once, however many handles there are, and a
/// handle keeps it open after the device is dropped.
#[test]
#[ignore = "needs the nvmeq guest"]
fn shared_uring_rings_share_the_nodes() {
    use nvmeq::BackendExt;
    let spec = format!("uring:{}", var("NVMEQ_NS_A"));
    let dev = nvmeq::open_shared(&spec, 3).unwrap_or_else(|e| panic!("{spec}: {e}"));
    let open_fds = || std::fs::read_dir("/proc/self/fd").unwrap().count();
    let before = open_fds();
    let mut handles = dev.queues(3).unwrap_or_else(|e| panic!("{spec}: {e}"));
    let ids: Vec<(Option<i32>, i32)> = handles
        .iter()
        .map(|h| match h {
            nvmeq::QueueHandle::Uring(u) => (u.nodes().and_then(|n| n.io_fd()), u.ring_fd()),
            other => panic!("{spec}: not a uring handle: {other:?}"),
        })
        .collect();
    assert!(ids[0].0.is_some(), "{spec}: a namespace descriptor");
    assert!(
        ids.iter().all(|i| i.0 == ids[0].0),
        "{spec}: one namespace descriptor for every handle: {ids:?}"
    );
    let rings: std::collections::BTreeSet<i32> = ids.iter().map(|i| i.1).collect();
    assert_eq!(rings.len(), 3, "{spec}: a ring each: {ids:?}");
    assert_eq!(
        open_fds() - before,
        3,
        "{spec}: three handles opened three rings and no node again"
    );
    drop(dev);
    let mut h = handles.pop().unwrap();
    let lba = nvmeq::nvme::Backend::lba_size(&mut h, 1).unwrap() as usize;
    let mut block = vec![0u8; lba];
    h.read_blocks(1, 0, &mut block)
        .unwrap_or_else(|e| panic!("{spec}: a handle reads after its device is dropped: {e}"));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn shared_ioctl() {
    shared_device(&format!("ioctl:{}", var("NVMEQ_NS_A")), 8);
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn shared_vfio() {
    on_vfio(|pci| shared_device(&format!("vfio:{pci}"), 9));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn shared_tcp() {
    shared_device_at(&tcp_spec(), TCP_FIRST + 4096);
}
