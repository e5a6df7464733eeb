//! The hot path allocates nothing: push + submit + reap on the queue
//! interface, and submit + drive + poll on the futures, counted by a global
//! allocator (loopback ring: the path is the device path up to the opcode).

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use nvmeq_aio::AsyncQueue;
use nvmeq_core::cmd::{Identify, Read, Write};
use nvmeq_core::{Backend, Data};
use nvmeq_uring::{Uring, UringBuf, UringOptions};

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    // Count only the test's own thread (the harness's threads allocate too).
    static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn count() {
    if COUNTING.with(|c| c.get()) {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.load(Ordering::Relaxed)
}

// One test function so no other test thread allocates while counting.
#[test]
fn hot_paths_allocate_nothing() {
    COUNTING.with(|c| c.set(true));
    queue_interface(UringOptions::new().depth(32));
    queue_interface(UringOptions::new().depth(32).fixed_buffers(32, 4096));
    vectored_and_metadata();
    futures();
}

/// push_vec / push_with + reap_all, and execute_vec / execute_with: the
/// iovec arrays are the slots' own, the segment `Vec`s are moved and reused.
fn vectored_and_metadata() {
    use nvmeq_core::VecData;
    let mut u = Uring::loopback_with_metadata(UringOptions::new().depth(16), 512, 8).unwrap();
    let mut lists: Vec<Vec<UringBuf>> = (0..8)
        .map(|_| (0..3).map(|_| UringBuf::zeroed(1024)).collect())
        .collect();
    let mut datas: Vec<UringBuf> = (0..8).map(|_| UringBuf::zeroed(1024)).collect();
    let mut metas: Vec<UringBuf> = (0..16).map(|_| UringBuf::zeroed(64)).collect();
    let (mut a, mut b, mut m) = (vec![0u8; 2048], vec![0u8; 2048], vec![0u8; 64]);
    let mut round = |u: &mut Uring,
                     lists: &mut Vec<Vec<UringBuf>>,
                     datas: &mut Vec<UringBuf>,
                     metas: &mut Vec<UringBuf>| {
        for i in 0..16u64 {
            let meta = metas.pop().unwrap();
            if i % 2 == 0 {
                // 6 blocks over 3 × 1024-byte segments, 48 bytes of metadata.
                let segs = lists.pop().unwrap();
                u.push_vec(&Read::new(1, i * 8, 5).build(), segs, Some(meta), i)
                    .unwrap();
            } else {
                let d = datas.pop().unwrap();
                u.push_with(&Write::new(1, i * 8, 1).build(), Some(d), Some(meta), i)
                    .unwrap();
            }
        }
        u.submit(16).unwrap();
        u.reap_all(|r| {
            r.result.unwrap();
            let bufs = r.buf.unwrap();
            metas.push(bufs.metadata.unwrap());
            match bufs.data {
                Some(d) => datas.push(d),
                None => lists.push(bufs.segments),
            }
        });
        let mut segs = [&mut a[..], &mut b[..]];
        u.execute_vec(
            &Read::new(1, 0, 7).build(),
            VecData::FromDevice(&mut segs),
            Data::FromDevice(&mut m),
        )
        .unwrap();
    };
    round(&mut u, &mut lists, &mut datas, &mut metas);
    let before = allocs();
    for _ in 0..100 {
        round(&mut u, &mut lists, &mut datas, &mut metas);
    }
    assert_eq!(
        allocs() - before,
        0,
        "allocations on the vectored/metadata path"
    );
}

fn queue_interface(opts: UringOptions) {
    let start = allocs();
    let mut u = Uring::loopback(opts, 512).unwrap();
    assert!(
        allocs() > start,
        "the counter sees this thread's allocations"
    );
    let mut bufs: Vec<UringBuf> = (0..32).map(|_| u.alloc(4096).unwrap()).collect();
    let mut id = vec![0u8; 4096];
    let mut round = |u: &mut Uring, bufs: &mut Vec<UringBuf>| {
        for (i, b) in bufs.drain(..).enumerate() {
            let cmd = if i % 2 == 0 {
                Read::new(1, i as u64 * 8, 7).build()
            } else {
                Write::new(1, i as u64 * 8, 7).build()
            };
            u.push(&cmd, Some(b), i as u64).unwrap();
        }
        u.submit(32).unwrap();
        u.reap(|r| {
            r.result.unwrap();
            bufs.push(r.buf.unwrap());
        });
        assert_eq!(bufs.len(), 32);
        u.execute(&Identify::controller().build(), Data::FromDevice(&mut id))
            .unwrap();
    };
    round(&mut u, &mut bufs); // warm up
    let before = allocs();
    for _ in 0..100 {
        round(&mut u, &mut bufs);
    }
    assert_eq!(allocs() - before, 0, "allocations on the queue hot path");
}

fn futures() {
    let (q, _) = AsyncQueue::new(
        Uring::loopback(UringOptions::new().depth(16), 512).unwrap(),
        nvmeq_aio::Signal::Poll,
    );
    let mut bufs: Vec<Option<UringBuf>> = (0..16).map(|_| Some(UringBuf::zeroed(512))).collect();
    let mut cx = Context::from_waker(Waker::noop());
    let mut round = |bufs: &mut Vec<Option<UringBuf>>| {
        let mut futs: [_; 16] = std::array::from_fn(|i| {
            Some(q.submit(Read::new(1, i as u64, 0).build(), bufs[i].take()))
        });
        for f in futs.iter_mut().flatten() {
            assert!(Pin::new(f).poll(&mut cx).is_pending());
        }
        q.drive(16).unwrap();
        for (i, slot) in futs.iter_mut().enumerate() {
            let Poll::Ready((r, b)) = Pin::new(slot.as_mut().unwrap()).poll(&mut cx) else {
                panic!("not completed");
            };
            r.unwrap();
            bufs[i] = b;
            *slot = None;
        }
    };
    round(&mut bufs);
    let before = allocs();
    for _ in 0..100 {
        round(&mut bufs);
    }
    assert_eq!(allocs() - before, 0, "allocations on the futures hot path");
}
