//! The futures layer on real queues (a loopback ring, the in-memory
//! controller), driven by hand: no executor.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use nvmeq_aio::{AsyncQueue, DriverState, Signal, Submit};
use nvmeq_core::cmd::{Flush, Read, Write};
use nvmeq_core::{Error, IoBuf};
use nvmeq_ram::{RamConfig, RamController};
use nvmeq_uring::{Uring, UringBuf, UringOptions};

struct CountWake(AtomicUsize);
impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn q(depth: u32) -> AsyncQueue<Uring> {
    AsyncQueue::new(
        Uring::loopback(UringOptions::new().depth(depth), 512).unwrap(),
        Signal::Poll,
    )
    .0
}

fn ram(depth: u32) -> AsyncQueue<RamController> {
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.queue_depth = depth;
    AsyncQueue::new(RamController::new(cfg).unwrap(), Signal::OnSubmit).0
}

fn send_static<T: Send + 'static>(_: &T) {}

#[test]
fn futures_and_handles_are_send_and_static() {
    let q = q(4);
    let f = q.submit(Flush::new(1).build(), None);
    send_static(&f);
    send_static(&q);
    let r = ram(4);
    send_static(&r.submit(Flush::new(1).build(), None));
}

#[test]
fn a_future_is_woken_by_drive_and_returns_its_buffer() {
    let q = q(4);
    let counter = Arc::new(CountWake(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut f = q.submit(
        Read::new(1, 0, 0).build(),
        Some(UringBuf::from_slice(&[3; 512])),
    );
    assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
    assert_eq!(q.unsubmitted(), 1);
    assert_eq!(counter.0.load(Ordering::SeqCst), 0);
    assert_eq!(q.drive(1).unwrap(), 1);
    assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken by drive");
    let Poll::Ready((r, buf)) = Pin::new(&mut f).poll(&mut cx) else {
        panic!("ready after wake");
    };
    assert!(r.unwrap().status().is_success());
    assert_eq!(buf.unwrap().as_slice(), &[3; 512]);
    assert_eq!(q.in_flight(), 0);
    assert_eq!(q.unexpected(), 0);
}

#[test]
fn errors_resolve_at_once_with_the_buffer() {
    let q = q(4);
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = q.submit(Read::new(1, 0, 3).build(), Some(UringBuf::zeroed(100)));
    match Pin::new(&mut f).poll(&mut cx) {
        Poll::Ready((
            Err(Error::BufferTooSmall {
                need: 2048,
                have: 100,
            }),
            Some(b),
        )) => {
            assert_eq!(b.len(), 100)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn back_pressure_parks_futures_until_a_completion_frees_room() {
    let q = q(2);
    let counter = Arc::new(CountWake(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut fs: Vec<_> = (0..3)
        .map(|_| q.submit(Flush::new(1).build(), None))
        .collect();
    for f in &mut fs {
        assert!(Pin::new(f).poll(&mut cx).is_pending());
    }
    assert_eq!(q.in_flight(), 2, "the third waits for room");
    q.drive(2).unwrap();
    for f in &mut fs[..2] {
        assert!(Pin::new(f).poll(&mut cx).is_ready());
    }
    assert!(
        Pin::new(&mut fs[2]).poll(&mut cx).is_pending(),
        "now written"
    );
    q.drive(1).unwrap();
    assert!(Pin::new(&mut fs[2]).poll(&mut cx).is_ready());
}

#[test]
fn a_dropped_future_leaves_its_buffer_with_the_queue_until_completion() {
    let u = Uring::loopback(UringOptions::new().depth(2).fixed_buffers(1, 4096), 512).unwrap();
    let pool = u.fixed_pool().unwrap().clone();
    let (q, _) = AsyncQueue::new(u, Signal::Poll);
    let buf = q.alloc(4096).unwrap();
    assert!(buf.is_fixed());
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = q.submit(Read::new(1, 0, 7).build(), Some(buf));
    assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
    drop(f);
    assert_eq!(pool.available(), 0, "still owned by the in-flight command");
    assert_eq!(q.spares(), 0, "not a spare before its completion");
    q.drive(1).unwrap();
    assert_eq!(q.abandoned(), 1);
    assert_eq!(q.spares(), 1, "kept by the queue once completed");
    assert_eq!(q.in_flight(), 0);
    // The pool is empty, yet alloc succeeds: it hands out the spare, zeroed.
    let again = q.alloc(4096).unwrap();
    assert!(again.is_fixed());
    assert!(again.as_slice().iter().all(|&b| b == 0));
    assert_eq!(q.spares(), 0);
    // The slot is usable again.
    let mut f = q.submit(Flush::new(1).build(), None);
    assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
    q.drive(1).unwrap();
    assert!(Pin::new(&mut f).poll(&mut cx).is_ready());
    drop(again);
    assert_eq!(pool.available(), 1);
}

#[test]
fn hundreds_of_dropped_futures_leave_data_and_buffers_right() {
    // 512 writes, each of a pattern naming its LBA; every other future is
    // dropped in flight. Every write still lands, every buffer comes back
    // as a spare, and the slots all work again.
    let (q, _) = AsyncQueue::new(
        Uring::loopback(UringOptions::new().depth(64), 512).unwrap(),
        Signal::Poll,
    );
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.queue_depth = 64;
    // Driven by hand, so commands stay in flight until `drive`.
    let (r, _) = AsyncQueue::new(RamController::new(cfg).unwrap(), Signal::Poll);
    let mut cx = Context::from_waker(Waker::noop());
    let mut kept: Vec<Submit<RamController>> = Vec::new();
    let (mut ring_dropped, mut ram_dropped) = (0, 0);
    for round in 0..8u64 {
        let mut ring: Vec<Submit<Uring>> = (0..64)
            .map(|i| {
                let lba = round * 64 + i;
                q.submit(
                    Write::new(1, lba, 0).build(),
                    Some(UringBuf::from_slice(&[lba as u8; 512])),
                )
            })
            .collect();
        for f in &mut ring {
            assert!(Pin::new(f).poll(&mut cx).is_pending());
        }
        // Drop every other one before the ring is entered.
        let mut i = 0;
        ring.retain(|_| {
            i += 1;
            i % 2 == 0
        });
        ring_dropped += 32;
        while q.in_flight() > 0 {
            q.drive(1).unwrap();
        }
        for f in &mut ring {
            let Poll::Ready((res, buf)) = Pin::new(f).poll(&mut cx) else {
                panic!("ready")
            };
            res.unwrap();
            assert_eq!(buf.unwrap().len(), 512);
        }
        // The same on the in-memory controller, where the data is checked.
        let mut batch = Vec::new();
        for i in 0..64u64 {
            let lba = round * 64 + i;
            let mut b = r.alloc(512).unwrap();
            b.as_mut_slice().fill(lba as u8);
            let mut f = r.submit(Write::new(1, lba, 0).build(), Some(b));
            assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
            if i % 2 == 1 {
                drop(f);
                ram_dropped += 1;
            } else {
                batch.push(f);
            }
        }
        assert_eq!(r.in_flight(), 64, "dropped futures' commands stay queued");
        r.drive(64).unwrap();
        for mut f in batch {
            assert!(Pin::new(&mut f).poll(&mut cx).is_ready());
            kept.push(f);
        }
    }
    assert_eq!(q.abandoned(), ring_dropped);
    assert_eq!(q.spares(), 64, "spares are capped at the depth");
    assert_eq!(q.unexpected(), 0);
    drop(kept);
    assert_eq!(r.in_flight(), 0);
    assert_eq!(ram_dropped, 256);
    assert_eq!(r.abandoned(), 256);
    // Each round's allocations took the previous round's 32 spares.
    assert_eq!(r.spares(), 32);
    // Every LBA holds its pattern: dropped futures' writes landed too.
    for lba in 0..512u64 {
        let b = r.alloc(512).unwrap();
        let mut f = r.submit(Read::new(1, lba, 0).build(), Some(b));
        assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
        r.drive(1).unwrap();
        let Poll::Ready((res, Some(b))) = Pin::new(&mut f).poll(&mut cx) else {
            panic!("read")
        };
        res.unwrap();
        assert!(b.as_slice().iter().all(|&x| x == lba as u8), "lba {lba}");
    }
}

#[test]
fn the_driver_stops_once_handles_and_futures_are_gone() {
    let q = q(4);
    let counter = Arc::new(CountWake(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let driver = q.driver();
    assert_eq!(driver.park(&waker), DriverState::Idle);
    let mut f = q.submit(Flush::new(1).build(), None);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
    assert_eq!(counter.0.load(Ordering::SeqCst), 1, "driver woken");
    assert_eq!(driver.park(&waker), DriverState::Work);
    driver.drive(1).unwrap();
    drop(q);
    // The future still lives: the driver must keep going.
    assert_eq!(driver.park(&waker), DriverState::Idle);
    assert!(Pin::new(&mut f).poll(&mut cx).is_ready());
    drop(f);
    assert!(
        counter.0.load(Ordering::SeqCst) >= 2,
        "woken by the last drop"
    );
    assert_eq!(driver.park(&waker), DriverState::Done);
}

#[test]
fn a_worker_thread_drives_a_blocking_backend() {
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.queue_depth = 8;
    let (q, _) = AsyncQueue::new(RamController::new(cfg).unwrap(), Signal::Worker);
    let worker = {
        let d = q.driver();
        std::thread::spawn(move || d.run_worker())
    };
    let counter = Arc::new(CountWake(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut b = q.alloc(512).unwrap();
    b.as_mut_slice().fill(0x5a);
    let mut f = q.submit(Write::new(1, 3, 0).build(), Some(b));
    let mut spins = 0;
    let (res, buf) = loop {
        if let Poll::Ready(out) = Pin::new(&mut f).poll(&mut cx) {
            break out;
        }
        spins += 1;
        assert!(spins < 10_000, "the worker never completed it");
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    res.unwrap();
    assert_eq!(buf.unwrap().as_slice()[0], 0x5a);
    assert!(counter.0.load(Ordering::SeqCst) >= 1, "woken by the worker");
    drop(f);
    drop(q);
    worker.join().unwrap().unwrap();
}

#[test]
fn a_failed_queue_resolves_waiting_futures_and_keeps_their_buffers() {
    let q = q(4);
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = q.submit(Read::new(1, 0, 0).build(), Some(UringBuf::zeroed(512)));
    assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
    q.driver().fail(Error::Aborted("test"));
    match Pin::new(&mut f).poll(&mut cx) {
        Poll::Ready((Err(Error::Aborted("test")), None)) => {}
        other => panic!("{other:?}"),
    }
    let mut g = q.submit(Flush::new(1).build(), None);
    assert!(matches!(
        Pin::new(&mut g).poll(&mut cx),
        Poll::Ready((Err(Error::Aborted("test")), None))
    ));
    // The command is still in flight; reaping it recycles the buffer.
    q.drive(1).unwrap();
    assert_eq!(q.spares(), 1);
}
