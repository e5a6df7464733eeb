//! Futures over a [`Backend`]'s queue interface, independent of any executor.
//!
//! [`AsyncQueue::submit`] returns a future that owns the command's buffer.
//! Polling it writes the command (no syscall) and parks the task's waker in a
//! fixed table; the future resolves once [`AsyncQueue::drive`] (submit and
//! reap: one `io_uring_enter` at most) sees its completion. Who calls `drive`
//! is up to the program: a loop of its own, or a task woken by a reactor when
//! the ring's eventfd (`nvmeq_uring::Uring::register_eventfd`) becomes readable or
//! when [`AsyncQueue::submit_needed`] resolves (see `examples/tokio.rs`).
//!
//! A future dropped before its completion leaves its buffer with the queue;
//! the buffer is freed when the completion arrives, never while the kernel
//! may still use it. No allocation happens per command: the table and the
//! waiter list are allocated once with the queue's depth.

#![forbid(unsafe_code)]

use core::cell::{RefCell, RefMut};
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use nvmeq_core::{Backend, Cmd, Completion, Error, Reaped, Rejected};

enum Slot<Buf> {
    Free,
    Waiting(Option<Waker>),
    Done(Result<Completion, Error>, Option<Buf>),
    /// The future was dropped; free the slot (and the buffer) on completion.
    Abandoned,
}

struct Inner<B: Backend> {
    backend: B,
    slots: Vec<Slot<B::Buf>>,
    seqs: Vec<u32>,
    free: Vec<u32>,
    space_waiters: Vec<Waker>,
    submit_waker: Option<Waker>,
    unsubmitted: u32,
    unexpected: u64,
}

/// A queue of futures over backend `B` (single-threaded: share it by reference).
pub struct AsyncQueue<B: Backend> {
    inner: RefCell<Inner<B>>,
}

impl<B: Backend> core::fmt::Debug for AsyncQueue<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.inner.try_borrow() {
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

/// Parks `w` to be woken when room frees up, once per task (a task polled
/// again while still waiting does not grow the list).
fn wait_for_room(waiters: &mut Vec<Waker>, w: &Waker) {
    if !waiters.iter().any(|x| x.will_wake(w)) {
        waiters.push(w.clone());
    }
}

fn tag(slot: u32, seq: u32) -> u64 {
    (seq as u64) << 32 | slot as u64
}

impl<B: Backend> AsyncQueue<B> {
    /// Wraps a backend; as many futures can be pending as its queue depth.
    pub fn new(backend: B) -> Self {
        let depth = backend.caps().queue_depth.max(1) as usize;
        let mut slots = Vec::with_capacity(depth);
        slots.resize_with(depth, || Slot::Free);
        AsyncQueue {
            inner: RefCell::new(Inner {
                backend,
                slots,
                seqs: vec![0; depth],
                free: (0..depth as u32).rev().collect(),
                space_waiters: Vec::with_capacity(depth),
                submit_waker: None,
                unsubmitted: 0,
                unexpected: 0,
            }),
        }
    }

    /// The backend, e.g. to allocate buffers. Do not hold it across an await.
    pub fn backend(&self) -> RefMut<'_, B> {
        RefMut::map(self.inner.borrow_mut(), |i| &mut i.backend)
    }

    /// Unwraps the backend (after every future has finished or been dropped).
    pub fn into_inner(self) -> B {
        self.inner.into_inner().backend
    }

    /// A future that writes `cmd` with `buf` (its direction is the
    /// command's) and resolves to its completion and the buffer.
    pub fn submit(&self, cmd: Cmd, buf: Option<B::Buf>) -> Submit<'_, B> {
        Submit {
            q: self,
            state: State::Init { cmd, buf },
        }
    }

    /// Commands written but not yet submitted to the kernel.
    pub fn unsubmitted(&self) -> u32 {
        self.inner.borrow().unsubmitted
    }

    /// Commands the backend holds (written, in flight or not yet reaped).
    pub fn in_flight(&self) -> u32 {
        self.inner.borrow().backend.in_flight()
    }

    /// Completions that matched no future (should stay 0).
    pub fn unexpected(&self) -> u64 {
        self.inner.borrow().unexpected
    }

    /// Submits what futures wrote and waits for `min_complete` completions
    /// (one `submit`), then hands every ready completion to its future and
    /// wakes it. Returns how many completions were reaped.
    pub fn drive(&self, min_complete: u32) -> Result<usize, Error> {
        let mut inner = self.inner.borrow_mut();
        let Inner {
            backend,
            slots,
            seqs,
            free,
            space_waiters,
            unsubmitted,
            unexpected,
            ..
        } = &mut *inner;
        let min = min_complete.min(backend.in_flight());
        backend.submit(min)?;
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
                Slot::Abandoned => free.push(slot as u32),
                other => {
                    *s = other;
                    *unexpected += 1;
                }
            }
        });
        if n > 0 {
            for w in space_waiters.drain(..) {
                w.wake();
            }
        }
        Ok(n)
    }

    /// A future that resolves when some future has written a command that
    /// [`drive`](Self::drive) has not yet submitted: what a driver task
    /// waits on besides the ring's eventfd.
    pub fn submit_needed(&self) -> SubmitNeeded<'_, B> {
        SubmitNeeded { q: self }
    }
}

enum State<Buf> {
    Init { cmd: Cmd, buf: Option<Buf> },
    InFlight { slot: u32, seq: u32 },
    Finished,
}

/// The future of one command; see [`AsyncQueue::submit`].
#[must_use = "a command is only written when its future is polled"]
pub struct Submit<'q, B: Backend> {
    q: &'q AsyncQueue<B>,
    state: State<B::Buf>,
}

impl<B: Backend> core::fmt::Debug for Submit<'_, B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self.state {
            State::Init { .. } => "init",
            State::InFlight { .. } => "in flight",
            State::Finished => "finished",
        };
        f.debug_struct("Submit").field("state", &s).finish()
    }
}

// No pinned state: the future only holds a reference, a Cmd and an owned buffer.
impl<B: Backend> Unpin for Submit<'_, B> {}

impl<B: Backend> Future for Submit<'_, B> {
    type Output = (Result<Completion, Error>, Option<B::Buf>);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut inner = this.q.inner.borrow_mut();
        let inner = &mut *inner;
        match core::mem::replace(&mut this.state, State::Finished) {
            State::Init { cmd, buf } => {
                let Some(slot) = inner.free.pop() else {
                    this.state = State::Init { cmd, buf };
                    wait_for_room(&mut inner.space_waiters, cx.waker());
                    return Poll::Pending;
                };
                let seq = inner.seqs[slot as usize].wrapping_add(1);
                inner.seqs[slot as usize] = seq;
                match inner.backend.push(&cmd, buf, tag(slot, seq)) {
                    Ok(()) => {
                        inner.slots[slot as usize] = Slot::Waiting(Some(cx.waker().clone()));
                        inner.unsubmitted += 1;
                        if let Some(w) = inner.submit_waker.take() {
                            w.wake();
                        }
                        this.state = State::InFlight { slot, seq };
                        Poll::Pending
                    }
                    Err(Rejected::Invalid { error: e, buf }) => {
                        inner.free.push(slot);
                        Poll::Ready((Err(e), buf))
                    }
                    Err(Rejected::Full(buf)) => {
                        // Back-pressure: wait until a completion frees room.
                        inner.free.push(slot);
                        this.state = State::Init { cmd, buf };
                        wait_for_room(&mut inner.space_waiters, cx.waker());
                        Poll::Pending
                    }
                }
            }
            State::InFlight { slot, seq } => {
                let s = &mut inner.slots[slot as usize];
                match core::mem::replace(s, Slot::Free) {
                    Slot::Done(result, buf) => {
                        inner.free.push(slot);
                        if let Some(w) = inner.space_waiters.pop() {
                            w.wake();
                        }
                        Poll::Ready((result, buf))
                    }
                    Slot::Waiting(w) => {
                        let w = match w {
                            Some(w) if w.will_wake(cx.waker()) => w,
                            _ => cx.waker().clone(),
                        };
                        *s = Slot::Waiting(Some(w));
                        this.state = State::InFlight { slot, seq };
                        Poll::Pending
                    }
                    other => {
                        *s = other;
                        Poll::Ready((Err(Error::Aborted("the command's slot was reused")), None))
                    }
                }
            }
            State::Finished => Poll::Ready((
                Err(Error::BadArgument(&nvmeq_core::error::BadArg {
                    name: "future",
                    why: "polled after it completed",
                })),
                None,
            )),
        }
    }
}

impl<B: Backend> Drop for Submit<'_, B> {
    fn drop(&mut self) {
        let State::InFlight { slot, .. } = self.state else {
            return;
        };
        let Ok(mut inner) = self.q.inner.try_borrow_mut() else {
            return;
        };
        let inner = &mut *inner;
        let s = &mut inner.slots[slot as usize];
        match core::mem::replace(s, Slot::Free) {
            // Still in flight: the queue keeps the buffer until the completion.
            Slot::Waiting(_) => *s = Slot::Abandoned,
            // Completed but never picked up: the kernel is done, drop it now.
            Slot::Done(..) => inner.free.push(slot),
            other => *s = other,
        }
    }
}

/// See [`AsyncQueue::submit_needed`].
#[derive(Debug)]
pub struct SubmitNeeded<'q, B: Backend> {
    q: &'q AsyncQueue<B>,
}

impl<B: Backend> Future for SubmitNeeded<'_, B> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.q.inner.borrow_mut();
        if inner.unsubmitted > 0 {
            Poll::Ready(())
        } else {
            inner.submit_waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}
