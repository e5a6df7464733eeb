//! [`Submit`]: the future of one command, owning its command and buffer.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use nvmeq_core::{Backend, Cmd, Completion, Error, Rejected};

use crate::queue::{drive, tag, wait_for_room, Shared, SignalKind, Slot};

pub(crate) enum State<Buf> {
    Init { cmd: Cmd, buf: Option<Buf> },
    InFlight { slot: u32, seq: u32 },
    Finished,
}

/// The future of one command; see [`AsyncQueue::submit`](crate::AsyncQueue::submit).
///
/// It is `Send + 'static` when the backend and its buffer are `Send`, so it
/// can be spawned. Dropping it while its command is in flight leaves the
/// buffer with the queue until the completion arrives.
#[must_use = "a command is only written when its future is polled"]
pub struct Submit<B: Backend> {
    pub(crate) shared: Arc<Shared<B>>,
    pub(crate) state: State<B::Buf>,
}

impl<B: Backend> core::fmt::Debug for Submit<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self.state {
            State::Init { .. } => "init",
            State::InFlight { .. } => "in flight",
            State::Finished => "finished",
        };
        f.debug_struct("Submit").field("state", &s).finish()
    }
}

impl<B: Backend> Submit<B> {
    /// Whether a poll wrote the command to the queue (it is in flight or
    /// done): dropping the future then leaves its buffer with the queue. A
    /// future never written (it waited for room) drops its command unsent.
    pub fn is_written(&self) -> bool {
        matches!(self.state, State::InFlight { .. })
    }
}

// No pinned state: the future holds an Arc, a Cmd and an owned buffer.
impl<B: Backend> Unpin for Submit<B> {}

/// The completion and the buffer given with the command.
pub type Output<Buf> = (Result<Completion, Error>, Option<Buf>);

impl<B: Backend> Future for Submit<B> {
    type Output = Output<B::Buf>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let shared = &*this.shared;
        let mut guard = shared.lock();
        let inner = &mut *guard;
        let (slot, seq) = match core::mem::replace(&mut this.state, State::Finished) {
            State::Init { cmd, buf } => {
                if let Some(e) = inner.broken {
                    return Poll::Ready((Err(e), buf));
                }
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
                        if shared.signal == SignalKind::OnSubmit {
                            // Completions come with the submit: run it now.
                            if let Err(e) = drive(inner, 0) {
                                inner.slots[slot as usize] = Slot::Abandoned;
                                return Poll::Ready((Err(e), None));
                            }
                        } else {
                            shared.kick(inner);
                        }
                        (slot, seq)
                    }
                    Err(Rejected::Invalid { error: e, buf }) => {
                        inner.free.push(slot);
                        return Poll::Ready((Err(e), buf));
                    }
                    Err(Rejected::Full(buf)) => {
                        // Back-pressure: wait until a completion frees room.
                        inner.free.push(slot);
                        this.state = State::Init { cmd, buf };
                        wait_for_room(&mut inner.space_waiters, cx.waker());
                        if shared.signal == SignalKind::OnSubmit {
                            // Whatever filled the backend completes with a submit.
                            if let Err(e) = drive(inner, 0) {
                                return Poll::Ready((Err(e), None));
                            }
                        }
                        return Poll::Pending;
                    }
                }
            }
            State::InFlight { slot, seq } => (slot, seq),
            State::Finished => {
                return Poll::Ready((
                    Err(Error::BadArgument(&nvmeq_core::error::BadArg {
                        name: "future",
                        why: "polled after it completed",
                    })),
                    None,
                ))
            }
        };
        let s = &mut inner.slots[slot as usize];
        match core::mem::replace(s, Slot::Free) {
            Slot::Done(result, buf) => {
                inner.free.push(slot);
                if let Some(w) = inner.space_waiters.pop() {
                    w.wake();
                }
                Poll::Ready((result, buf))
            }
            Slot::Waiting(_) if inner.broken.is_some() => {
                // The device may still own the buffer: the queue keeps it.
                *s = Slot::Abandoned;
                Poll::Ready((
                    Err(inner.broken.unwrap_or(Error::Aborted("queue failed"))),
                    None,
                ))
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
}

impl<B: Backend> Drop for Submit<B> {
    fn drop(&mut self) {
        let shared = &*self.shared;
        let mut guard = shared.lock();
        let inner = &mut *guard;
        inner.live -= 1;
        if let State::InFlight { slot, .. } = self.state {
            let s = &mut inner.slots[slot as usize];
            match core::mem::replace(s, Slot::Free) {
                // Still in flight: the queue keeps the buffer until the completion.
                Slot::Waiting(_) => *s = Slot::Abandoned,
                // Completed but never picked up: the device is done with it.
                Slot::Done(_, buf) => {
                    inner.free.push(slot);
                    inner.abandoned += 1;
                    if let Some(b) = buf {
                        if inner.spares.len() < inner.spares.capacity() {
                            inner.spares.push(b);
                        }
                    }
                    if let Some(w) = inner.space_waiters.pop() {
                        w.wake();
                    }
                }
                other => *s = other,
            }
        }
        if inner.live == 0 && shared.handles.load(Ordering::Acquire) == 0 {
            shared.kick(inner);
        }
    }
}
