//! The queue path allocates nothing per command once warm: a counting global
//! allocator watches push / submit / reap cycles with reused buffers.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use nvmeq_core::{Backend, Cmd, Command, DataDir, Xfer};
use nvmeq_ram::{RamBuf, RamConfig, RamController};

struct Counting;

thread_local! {
    // Per thread: only the test's own allocations count. Another thread of
    // the test harness allocates now and then (four blocks at a random
    // round, about one run in three on a loaded machine), which is not the
    // queue path. A const-initialised Cell needs no allocation to read.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.with(Cell::get)
}

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; it only
// counts allocations while a test has switched counting on.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours, passed through.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours, passed through.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours, passed through.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours, passed through.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// PRINFO bits of the commands: PRACT and the guard check on a PI format.
static PRINFO: AtomicUsize = AtomicUsize::new(0);

fn rw(op: u8, slba: u64, nlb: u32) -> Cmd {
    let mut s = Command::new(op, 1);
    s.cdw10 = slba as u32;
    s.cdw11 = (slba >> 32) as u32;
    s.cdw12 = (nlb - 1) | ((PRINFO.load(Ordering::Relaxed) as u32) << 26);
    let dir = if op == 1 {
        DataDir::ToDevice
    } else {
        DataDir::FromDevice
    };
    Cmd::io(s, dir, Xfer::Blocks(nlb))
}

/// One batch: `bufs.len()` commands alternating Write and Read over a 256 KiB
/// region, plus an error (LBA Out of Range) so the error log path is covered.
fn cycle(c: &mut RamController, bufs: &mut Vec<RamBuf>, round: u64) {
    let n = bufs.len() as u64;
    for i in 0..n {
        let buf = bufs.pop().expect("one buffer per command");
        let slba = ((round * n + i) * 8) % 512;
        let op = if i % 2 == 0 { 0x01 } else { 0x02 };
        c.push(&rw(op, slba, 8), Some(buf), i)
            .expect("queue has room");
    }
    c.push(&rw(0x02, 1 << 40, 1), None, n).ok();
    c.submit(n as u32).expect("submit");
    let mut ok = 0;
    c.reap(|r| {
        if let Some(b) = r.buf {
            ok += r.result.is_ok() as u32;
            bufs.push(b);
        }
    });
    assert_eq!(ok, n as u32);
}

// One test, so no other test's allocations are counted: the plain format,
// then PI Type 1 with PRACT (the controller generates, checks and strips
// the PI, staging blocks in buffers that keep their size once warm).
#[test]
fn write_commit_reap_allocates_nothing_after_warm_up() {
    let mut cfg = RamConfig::new(1 << 30, 512);
    cfg.queue_depth = 64;
    no_alloc_after_warm_up(cfg.clone(), 10_000);
    cfg.ms = 8;
    cfg.pi = Some(nvmeq_core::pi::Pi::new(
        nvmeq_core::pi::PiType::Type1,
        nvmeq_core::pi::Pif::Guard16,
    ));
    PRINFO.store(0b1100, Ordering::SeqCst);
    ALLOCS.store(0, Ordering::SeqCst);
    // Fewer rounds: an unoptimised build's CRCs are slow.
    no_alloc_after_warm_up(cfg, 500);
}

fn no_alloc_after_warm_up(cfg: RamConfig, rounds: u64) {
    let mut c = RamController::new(cfg).unwrap();
    let mut bufs: Vec<RamBuf> = (0..32).map(|_| RamBuf::zeroed(8 * 512)).collect();
    // Warm-up: touches the storage chunks the loop uses.
    for round in 0..8 {
        cycle(&mut c, &mut bufs, round);
    }
    COUNTING.with(|c| c.set(true));
    for round in 0..rounds {
        cycle(&mut c, &mut bufs, round);
    }
    COUNTING.with(|c| c.set(false));
    assert_eq!(
        ALLOCS.load(Ordering::SeqCst),
        0,
        "allocations on the queue path"
    );
}
