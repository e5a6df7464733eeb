//! The async path allocates nothing per command after warm-up, shown by a
//! counting allocator: on the in-memory controller (futures drive the queue)
//! and on a loopback ring (a tokio driver task woken by the eventfd).
#![cfg(all(feature = "ram", feature = "tokio"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use nvmeq::{AsyncDevice, Device};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator unchanged, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Allocations per command over `n` write + read pairs, after as many to warm up.
async fn per_command(dev: &AsyncDevice, n: u64) -> f64 {
    let mut buf = Some(dev.alloc(512).unwrap());
    let mut run = async |count: u64| {
        for i in 0..count {
            let (r, b) = dev.write(1, i % 64, buf.take().unwrap()).await;
            r.unwrap();
            let (r, b) = dev.read(1, i % 64, b.unwrap()).await;
            r.unwrap();
            buf = b;
        }
    };
    run(n).await;
    let before = ALLOCS.load(Ordering::Relaxed);
    run(n).await;
    (ALLOCS.load(Ordering::Relaxed) - before) as f64 / (2 * n) as f64
}

#[test]
fn no_allocation_per_async_command() {
    // One thread: on a multi-thread runtime a task that first moves to another worker costs
    // that worker a one-off allocation inside tokio (seen once in 2000 commands under load),
    // which says nothing about the per-command path measured here.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    rt.block_on(async {
        let ram = AsyncDevice::spawn(nvmeq::open("ram:1M").unwrap()).unwrap();
        let a = per_command(&ram, 1000).await;
        println!("ram: {a} allocations per command");
        assert_eq!(a, 0.0, "ram");
        let u =
            nvmeq_uring::Uring::loopback(nvmeq_uring::UringOptions::new().depth(8), 512).unwrap();
        let ring = AsyncDevice::spawn(Device::from(u)).unwrap();
        let a = per_command(&ring, 1000).await;
        println!("uring loopback: {a} allocations per command");
        assert_eq!(a, 0.0, "uring loopback");
    });
}
