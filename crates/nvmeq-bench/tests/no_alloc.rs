//! The measured loop allocates nothing: a run of 100× more I/Os makes exactly
//! as many allocations as a short one (setup, threads and the report are the
//! same size whatever the count).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use nvmeq_bench::{Config, LatMode, Limit, Pattern};
use nvmeq_ram::{RamConfig, RamController};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as our caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocs_for(pattern: Pattern, spin: bool, lat: LatMode, ios: u64) -> u64 {
    let mut c = Config::new(pattern);
    c.spin = spin;
    c.lat = lat;
    c.qd = 32;
    c.batch = 8;
    c.limit = Limit::Ios(ios);
    c.allow_destructive = true;
    // Writes to 4 KiB units of a 256 KiB region: the ram controller's
    // storage chunk is touched by the short run already.
    c.region = Some(nvmeq_bench::Region {
        start_lba: 0,
        blocks: 512,
    });
    let before = ALLOCS.load(Ordering::Relaxed);
    let r = nvmeq_bench::run(&c, || RamController::new(RamConfig::new(16 << 20, 512))).unwrap();
    assert_eq!(r.ios, ios);
    ALLOCS.load(Ordering::Relaxed) - before
}

#[test]
fn the_loop_does_not_allocate() {
    for p in [Pattern::RandRead, Pattern::Mixed { read_pct: 50 }] {
        for (spin, lat) in [
            (false, LatMode::All),
            (true, LatMode::All),
            (false, LatMode::Sampled(7)),
            (false, LatMode::Off),
        ] {
            // Warm up once (lazy statics, thread-local setup).
            allocs_for(p, spin, lat, 1_000);
            let short = allocs_for(p, spin, lat, 1_000);
            let long = allocs_for(p, spin, lat, 100_000);
            assert_eq!(
                short, long,
                "{p} spin {spin} lat {lat}: allocations grow with the I/O count"
            );
        }
    }
}
