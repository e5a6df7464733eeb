//! The futures layer on a loopback ring, driven by hand (no executor).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use nvmeq_aio::AsyncQueue;
use nvmeq_core::cmd::{Flush, Read};
use nvmeq_core::{Backend, Error, IoBuf};
use nvmeq_uring::{Uring, UringBuf, UringOptions};

struct CountWake(AtomicUsize);
impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn q(depth: u32) -> AsyncQueue<Uring> {
    AsyncQueue::new(Uring::loopback(UringOptions::new().depth(depth), 512).unwrap())
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
    let q = AsyncQueue::new(u);
    let buf = q.backend().alloc(4096).unwrap();
    assert!(buf.is_fixed());
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = q.submit(Read::new(1, 0, 7).build(), Some(buf));
    assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
    drop(f);
    assert_eq!(pool.available(), 0, "still owned by the in-flight command");
    q.drive(1).unwrap();
    assert_eq!(pool.available(), 1, "freed once completed");
    assert_eq!(q.in_flight(), 0);
    // The slot is usable again.
    let mut f = q.submit(Flush::new(1).build(), None);
    assert!(Pin::new(&mut f).poll(&mut cx).is_pending());
    q.drive(1).unwrap();
    assert!(Pin::new(&mut f).poll(&mut cx).is_ready());
}

#[test]
fn submit_needed_resolves_when_a_command_is_written() {
    let q = q(2);
    let counter = Arc::new(CountWake(AtomicUsize::new(0)));
    let waker = Waker::from(counter.clone());
    let mut cx = Context::from_waker(&waker);
    let mut need = q.submit_needed();
    assert!(Pin::new(&mut need).poll(&mut cx).is_pending());
    let mut f = q.submit(Flush::new(1).build(), None);
    let mut cx2 = Context::from_waker(Waker::noop());
    assert!(Pin::new(&mut f).poll(&mut cx2).is_pending());
    assert_eq!(counter.0.load(Ordering::SeqCst), 1, "driver woken");
    assert!(Pin::new(&mut need).poll(&mut cx).is_ready());
    q.drive(1).unwrap();
    assert!(Pin::new(&mut f).poll(&mut cx2).is_ready());
}
