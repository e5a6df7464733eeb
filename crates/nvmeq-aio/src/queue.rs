//! [`AsyncQueue`]: a backend behind a mutex, shared by its futures, with a
//! fixed table of waiting commands.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Duration;

use nvmeq_core::{Backend, Cmd, Completion, Error, IoBuf, Reaped};

use crate::signal::Signal;
use crate::submit::{State, Submit};

pub(crate) enum Slot<Buf> {
    Free,
    Waiting(Option<Waker>),
    Done(Result<Completion, Error>, Option<Buf>),
    /// The future was dropped: on completion the buffer goes to the spares.
    Abandoned,
}

pub(crate) struct Inner<B: Backend> {
    pub(crate) backend: B,
    pub(crate) slots: Vec<Slot<B::Buf>>,
    pub(crate) seqs: Vec<u32>,
    pub(crate) free: Vec<u32>,
    pub(crate) space_waiters: Vec<Waker>,
    /// The driver's waker: woken when a command is written and when the last
    /// handle and future are gone.
    pub(crate) driver: Option<Waker>,
    pub(crate) unsubmitted: u32,
    pub(crate) unexpected: u64,
    /// Buffers of dropped futures, kept for [`AsyncQueue::alloc`].
    pub(crate) spares: Vec<B::Buf>,
    /// Futures alive (created and not dropped).
    pub(crate) live: usize,
    pub(crate) abandoned: u64,
    pub(crate) drives: DriveStats,
    /// Set when the driver failed: waiting futures resolve with it.
    pub(crate) broken: Option<Error>,
}

pub(crate) struct Shared<B: Backend> {
    pub(crate) inner: Mutex<Inner<B>>,
    /// Signals the worker thread ([`Signal::Worker`]) that a command was written.
    pub(crate) work: Condvar,
    /// [`AsyncQueue`] handles alive; the driver stops once it and
    /// [`Inner::live`] are 0 and nothing is in flight.
    pub(crate) handles: AtomicUsize,
    pub(crate) signal: SignalKind,
}

/// [`Signal`] without its descriptor, for the queue's own decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignalKind {
    OnSubmit,
    Worker,
    Fd,
    Poll,
}

impl<B: Backend> Shared<B> {
    /// The lock; a panic while it was held leaves a usable queue (every
    /// update of the table is one assignment), so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner<B>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// After a command was written: wake whoever submits it.
    pub(crate) fn kick(&self, inner: &mut Inner<B>) {
        if let Some(w) = inner.driver.take() {
            w.wake();
        }
        if self.signal == SignalKind::Worker {
            self.work.notify_one();
        }
    }

    /// Whether no handle or future is left and nothing is in flight: the
    /// driver may stop.
    pub(crate) fn finished(&self, inner: &Inner<B>) -> bool {
        self.handles.load(Ordering::Acquire) == 0
            && inner.live == 0
            && inner.backend.in_flight() == 0
    }
}

pub(crate) fn tag(slot: u32, seq: u32) -> u64 {
    (seq as u64) << 32 | slot as u64
}

/// A queue of futures over backend `B`, cloneable and `Send + Sync` when the
/// backend is `Send`: every clone and every future shares one backend.
///
/// Futures from [`submit`](Self::submit) own their command and buffer and
/// hold the queue alive (`'static`); the backend is dropped (draining what
/// is in flight, as every backend's `Drop` does) when the last handle,
/// future and driver are gone.
pub struct AsyncQueue<B: Backend> {
    pub(crate) shared: Arc<Shared<B>>,
}

impl<B: Backend> Clone for AsyncQueue<B> {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::AcqRel);
        AsyncQueue {
            shared: self.shared.clone(),
        }
    }
}

impl<B: Backend> Drop for AsyncQueue<B> {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last handle: let the driver see whether it may stop.
            let mut inner = self.shared.lock();
            self.shared.kick(&mut inner);
        }
    }
}

impl<B: Backend> core::fmt::Debug for AsyncQueue<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.shared.inner.try_lock() {
            Ok(i) => f
                .debug_struct("AsyncQueue")
                .field("backend", &i.backend.caps().kind)
                .field("in_flight", &i.backend.in_flight())
                .field("unsubmitted", &i.unsubmitted)
                .finish(),
            Err(_) => f.write_str("AsyncQueue { <busy> }"),
        }
    }
}

/// Parks `w` to be woken when room frees up, once per task.
pub(crate) fn wait_for_room(waiters: &mut Vec<Waker>, w: &Waker) {
    if !waiters.iter().any(|x| x.will_wake(w)) {
        waiters.push(w.clone());
    }
}

impl<B: Backend> AsyncQueue<B> {
    /// Wraps a backend whose completions are signalled as `signal` says; as
    /// many commands can be in flight as its queue depth (more futures wait
    /// for room). A [`Signal::Fd`] is handed back for the reactor.
    pub fn new(backend: B, signal: Signal) -> (Self, Option<crate::CompletionFd>) {
        let depth = backend.caps().queue_depth.max(1) as usize;
        let mut slots = Vec::with_capacity(depth);
        slots.resize_with(depth, || Slot::Free);
        let (kind, fd) = match signal {
            Signal::OnSubmit => (SignalKind::OnSubmit, None),
            Signal::Worker => (SignalKind::Worker, None),
            Signal::Fd(fd) => (SignalKind::Fd, Some(fd)),
            Signal::Poll => (SignalKind::Poll, None),
        };
        let q = AsyncQueue {
            shared: Arc::new(Shared {
                inner: Mutex::new(Inner {
                    backend,
                    slots,
                    seqs: vec![0; depth],
                    free: (0..depth as u32).rev().collect(),
                    // A task waits at most once; room for many tasks up front.
                    space_waiters: Vec::with_capacity(depth.max(64)),
                    driver: None,
                    unsubmitted: 0,
                    unexpected: 0,
                    spares: Vec::with_capacity(depth),
                    live: 0,
                    abandoned: 0,
                    drives: DriveStats::default(),
                    broken: None,
                }),
                work: Condvar::new(),
                handles: AtomicUsize::new(1),
                signal: kind,
            }),
        };
        (q, fd)
    }

    /// Runs `f` on the backend (to allocate, ask the LBA size, …) under the
    /// queue's lock; it must not block for long.
    pub fn with_backend<R>(&self, f: impl FnOnce(&mut B) -> R) -> R {
        f(&mut self.shared.lock().backend)
    }

    /// A zero-filled buffer of `len` bytes: a buffer a dropped future left
    /// behind when one of that length is spare, else the backend's.
    pub fn alloc(&self, len: usize) -> Result<B::Buf, Error> {
        let mut inner = self.shared.lock();
        if let Some(i) = inner.spares.iter().position(|b| b.len() == len) {
            let mut b = inner.spares.swap_remove(i);
            b.as_mut_slice().fill(0);
            return Ok(b);
        }
        inner.backend.alloc(len)
    }

    /// A future that writes `cmd` with `buf` (its direction is the
    /// command's) and resolves to its completion and the buffer.
    pub fn submit(&self, cmd: Cmd, buf: Option<B::Buf>) -> Submit<B> {
        self.shared.lock().live += 1;
        Submit {
            shared: self.shared.clone(),
            state: State::Init { cmd, buf },
        }
    }

    /// Commands written but not yet submitted to the device.
    pub fn unsubmitted(&self) -> u32 {
        self.shared.lock().unsubmitted
    }

    /// Commands the backend holds (written, in flight or not yet reaped).
    pub fn in_flight(&self) -> u32 {
        self.shared.lock().backend.in_flight()
    }

    /// Completions that matched no future (should stay 0).
    pub fn unexpected(&self) -> u64 {
        self.shared.lock().unexpected
    }

    /// Commands whose future was dropped before their completion; their
    /// buffers went to the spares when the completion came.
    pub fn abandoned(&self) -> u64 {
        self.shared.lock().abandoned
    }

    /// What the driver's calls did so far, for reports as the sync engine's.
    pub fn drive_stats(&self) -> DriveStats {
        self.shared.lock().drives
    }

    /// Buffers kept from dropped futures, for [`alloc`](Self::alloc).
    pub fn spares(&self) -> usize {
        self.shared.lock().spares.len()
    }

    /// Submits what futures wrote and waits for `min_complete` completions
    /// (one backend `submit`: one syscall or doorbell at most), then hands
    /// every ready completion to its future and wakes it. Returns how many
    /// completions were reaped.
    pub fn drive(&self, min_complete: u32) -> Result<usize, Error> {
        drive(&mut self.shared.lock(), min_complete)
    }

    /// The queue's driver: what submits, waits and reaps for the futures.
    /// It is no handle: the queue ends when the handles and futures do.
    pub fn driver(&self) -> QueueDriver<B> {
        QueueDriver {
            shared: self.shared.clone(),
        }
    }
}

pub(crate) fn fail<B: Backend>(inner: &mut Inner<B>, e: Error) {
    inner.broken = Some(e);
    for s in &mut inner.slots {
        if let Slot::Waiting(w) = s {
            if let Some(w) = w.take() {
                w.wake();
            }
        }
    }
    for w in inner.space_waiters.drain(..) {
        w.wake();
    }
}

/// The driver of an [`AsyncQueue`] (from [`AsyncQueue::driver`]): it
/// submits and reaps for the futures. Unlike a queue handle it does not keep
/// the queue open: [`park`](Self::park) says [`DriverState::Done`] once no
/// handle or future is left and nothing is in flight.
pub struct QueueDriver<B: Backend> {
    shared: Arc<Shared<B>>,
}

impl<B: Backend> core::fmt::Debug for QueueDriver<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("QueueDriver")
    }
}

impl<B: Backend> QueueDriver<B> {
    /// As [`AsyncQueue::drive`].
    pub fn drive(&self, min_complete: u32) -> Result<usize, Error> {
        drive(&mut self.shared.lock(), min_complete)
    }

    /// Commands the backend holds (written, in flight or not yet reaped).
    pub fn in_flight(&self) -> u32 {
        self.shared.lock().backend.in_flight()
    }

    /// Whether the driver may stop: no handle or future is left and nothing
    /// is in flight. Registers `waker` to be woken when a command is written
    /// or the last handle goes (once per call; the driver calls it before
    /// waiting).
    pub fn park(&self, waker: &Waker) -> DriverState {
        let mut inner = self.shared.lock();
        if inner.unsubmitted > 0 {
            return DriverState::Work;
        }
        if self.shared.finished(&inner) {
            return DriverState::Done;
        }
        match &inner.driver {
            Some(w) if w.will_wake(waker) => {}
            _ => inner.driver = Some(waker.clone()),
        }
        DriverState::Idle
    }

    /// The blocking driver for [`Signal::Worker`]: submits written commands
    /// (each backend `submit` runs them to completion), wakes their futures,
    /// and sleeps while nothing is written. Returns once no handle or future
    /// is left, or on a backend error (which the futures then see as
    /// [`Error::Aborted`] when polled).
    pub fn run_worker(self) -> Result<(), Error> {
        let shared = &*self.shared;
        let mut inner = shared.lock();
        loop {
            if inner.unsubmitted > 0 || inner.backend.in_flight() > 0 {
                if let Err(e) = drive(&mut inner, 0) {
                    fail(&mut inner, e);
                    return Err(e);
                }
                continue;
            }
            if shared.finished(&inner) {
                return Ok(());
            }
            // A timeout bounds a lost notification; normally notify_one wakes it.
            inner = shared
                .work
                .wait_timeout(inner, Duration::from_millis(100))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Marks the queue failed (a driver's backend `submit` returned `e`):
    /// every waiting future resolves with `e`, its buffer staying with the
    /// queue (the device may still own it), and later ones fail at once.
    pub fn fail(&self, e: Error) {
        fail(&mut self.shared.lock(), e)
    }
}

/// What [`QueueDriver::park`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverState {
    /// Commands are written and not submitted: drive now.
    Work,
    /// Nothing to submit; the waker is parked.
    Idle,
    /// No handle or future is left and nothing is in flight: stop.
    Done,
}

pub(crate) fn drive<B: Backend>(inner: &mut Inner<B>, min_complete: u32) -> Result<usize, Error> {
    let Inner {
        backend,
        slots,
        seqs,
        free,
        space_waiters,
        unsubmitted,
        unexpected,
        spares,
        abandoned,
        drives,
        ..
    } = inner;
    let min = min_complete.min(backend.in_flight());
    backend.submit(min)?;
    drives.calls += 1;
    drives.submitted += u64::from(*unsubmitted);
    *unsubmitted = 0;
    let n = backend.reap(|r: Reaped<B::Buf>| {
        let slot = r.tag as u32 as usize;
        let seq = (r.tag >> 32) as u32;
        let Some(s) = slots.get_mut(slot).filter(|_| seqs[slot] == seq) else {
            *unexpected += 1;
            return;
        };
        match core::mem::replace(s, Slot::Free) {
            Slot::Waiting(w) => {
                *s = Slot::Done(r.result, r.buf);
                if let Some(w) = w {
                    w.wake();
                }
            }
            Slot::Abandoned => {
                // The device is done with it: recycle the buffer.
                *abandoned += 1;
                free.push(slot as u32);
                if let Some(b) = r.buf {
                    if spares.len() < spares.capacity() {
                        spares.push(b);
                    }
                }
            }
            other => {
                *s = other;
                *unexpected += 1;
            }
        }
    });
    drives.reaped += n as u64;
    if n > 0 {
        for w in space_waiters.drain(..) {
            w.wake();
        }
    }
    Ok(n)
}

/// The driver's work so far ([`AsyncQueue::drive_stats`]): one backend
/// `submit` and one reap per call, whichever driver made it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriveStats {
    /// Calls that submitted and reaped (each one backend `submit`).
    pub calls: u64,
    /// Commands written by futures and submitted by those calls.
    pub submitted: u64,
    /// Completions those calls reaped.
    pub reaped: u64,
}
