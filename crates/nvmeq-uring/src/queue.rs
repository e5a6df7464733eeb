//! One io_uring with 128-byte SQEs and 32-byte CQEs and its in-flight table:
//! pushing entries (no syscall), one `io_uring_enter` per submit, draining
//! completions, waiting for one command, and the drain on drop.

use std::io;

use io_uring::{opcode, squeue};
use nvmeq_core::{Completion, Error};

use crate::buf::CmdBufs;
use crate::completion::decode_completion;
use crate::slab::Slab;
use crate::tag::{UserData, INTERNAL};

pub(crate) use crate::ring::Ring;
use crate::ring::RingBox;

/// The tag [`Reaped`](nvmeq_core::Reaped) carries for a completion that matched no command.
pub const UNEXPECTED_TAG: u64 = u64::MAX;

/// Most unexpected completions remembered between reaps (more are counted).
const STRAYS: usize = 64;

pub(crate) struct Queue {
    pub(crate) ring: RingBox,
    pub(crate) slab: Slab<CmdBufs>,
    /// Slots named by completions that matched nothing, seen while `execute`
    /// waited; reported by the next reap.
    strays: Vec<u16>,
    /// When set, the ring is never entered again (an SQE referencing a
    /// borrowed buffer may still sit unsubmitted in the SQ).
    poisoned: bool,
    sqpoll: bool,
    /// `io_uring_enter` calls made (see [`Queue::enter`]).
    pub(crate) enters: u64,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("ring_fd", &std::os::fd::AsRawFd::as_raw_fd(&self.ring))
            .field("in_use", &self.slab.in_use())
            .field("capacity", &self.slab.capacity())
            .field("poisoned", &self.poisoned)
            .finish()
    }
}

fn transient(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINTR) | Some(libc::EAGAIN) | Some(libc::EBUSY)
    )
}

fn os(op: &'static str, e: &io::Error) -> Error {
    Error::Os {
        op,
        errno: e.raw_os_error().unwrap_or(libc::EIO),
    }
}

impl Queue {
    /// A queue of `depth` slots with room for `segs` iovecs each; with
    /// `register_fd` the ring is entered through its registered fd where the
    /// kernel allows it (see [`RingBox`]).
    pub(crate) fn new(
        ring: Ring,
        depth: usize,
        sqpoll: bool,
        segs: usize,
        register_fd: bool,
    ) -> Self {
        Queue {
            ring: RingBox::new(ring, register_fd),
            slab: Slab::new(depth, segs),
            strays: Vec::with_capacity(STRAYS),
            poisoned: false,
            sqpoll,
            enters: 0,
        }
    }

    /// Pushes `entry` for slot `ud`; false when the SQ is full.
    ///
    /// # Safety
    /// Every buffer `entry` points to must stay valid until the completion for
    /// `ud` is taken from the CQ: owned by the slot, or borrowed by a caller
    /// that waits for that completion before returning.
    #[inline]
    pub(crate) unsafe fn push(&mut self, entry: &squeue::Entry128) -> bool {
        // SAFETY: forwarded to the caller; the SQ copies the entry.
        unsafe { self.ring.sq().push(entry).is_ok() }
    }

    /// Submits everything written and waits for `want` completions in one
    /// `io_uring_enter` (retried on EINTR).
    pub(crate) fn submit(&mut self, want: usize) -> Result<usize, Error> {
        if self.poisoned {
            return Err(Error::Aborted("the ring failed earlier and was shut down"));
        }
        loop {
            match self.enter(want) {
                Ok(n) => return Ok(n),
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => continue,
                Err(e) => return Err(os("io_uring_enter", &e)),
            }
        }
    }

    /// `submit_and_wait`, counting the syscall. With SQPOLL and nothing to
    /// wait for, the library skips the syscall unless the thread sleeps (it
    /// may also enter to flush an overflowed CQ, which cannot happen here:
    /// the CQ holds twice the in-flight limit).
    fn enter(&mut self, want: usize) -> io::Result<usize> {
        if !(self.sqpoll && want == 0 && !self.ring.sq().need_wakeup()) {
            self.enters += 1;
        }
        self.ring.submit_and_wait(want)
    }

    /// Completions ready in the CQ plus parked ones.
    pub(crate) fn ready(&mut self) -> usize {
        self.ring.cq().len() + self.slab.done_len() + self.strays.len()
    }

    /// Hands every ready completion to `f` without a syscall: its tag, its
    /// result and (for a command, not for a completion that matched none)
    /// its slot's buffers in place, for `f` to take what it hands out; the
    /// slot is free once `f` returns.
    #[inline]
    pub(crate) fn reap(
        &mut self,
        mut f: impl FnMut(u64, Result<Completion, Error>, Option<&mut CmdBufs>),
    ) -> usize {
        let mut n = 0;
        while self
            .slab
            .pop_done_with(|tag, b, r| f(tag, r, Some(b)))
            .is_some()
        {
            n += 1;
        }
        for slot in self.strays.drain(..) {
            f(
                UNEXPECTED_TAG,
                Err(Error::UnexpectedCid { cid: slot }),
                None,
            );
            n += 1;
        }
        for cqe in self.ring.cq() {
            let ud = cqe.user_data();
            if ud == INTERNAL {
                continue;
            }
            let result = decode_completion(cqe.result(), cqe.big_cqe()[0]);
            if let Err(slot) = self
                .slab
                .complete_with(ud, |tag, b| f(tag, result, Some(b)))
            {
                f(
                    UNEXPECTED_TAG,
                    Err(Error::UnexpectedCid { cid: slot }),
                    None,
                );
            }
            n += 1;
        }
        n
    }

    /// Submits and waits until the command in slot `ud` completes, parking
    /// other completions for the next reap. Returns only once the kernel is
    /// done with the command's buffers (or the process aborts, see below).
    pub(crate) fn wait_for(&mut self, ud: UserData) -> Result<Completion, Error> {
        let mine = ud.encode();
        loop {
            let mut result = None;
            for cqe in self.ring.cq() {
                let u = cqe.user_data();
                if u == INTERNAL {
                    continue;
                }
                let r = decode_completion(cqe.result(), cqe.big_cqe()[0]);
                if u == mine {
                    result = Some(r);
                } else if !self.slab.park(u, r) && self.strays.len() < STRAYS {
                    self.strays.push(UserData::decode(u).slot);
                }
            }
            if let Some(r) = result {
                // Frees the slot (its buffers were borrowed, so it holds none).
                let _ = self.slab.complete(mine);
                return r;
            }
            match self.enter(1) {
                Ok(_) => {}
                Err(e) if transient(&e) => std::thread::yield_now(),
                Err(e) => {
                    // The ring itself failed. If our entry never left the SQ
                    // (no SQPOLL thread could have taken it) it is safe to
                    // return, provided the ring is never entered again.
                    if !self.sqpoll && !self.ring.sq().is_empty() {
                        self.poisoned = true;
                        self.slab.cancel_insert(ud);
                        return Err(os("io_uring_enter", &e));
                    }
                    // The kernel holds a borrowed buffer we cannot keep alive
                    // past this call: stopping is the only sound choice.
                    eprintln!(
                        "nvmeq-uring: io_uring_enter failed ({e}) while a command with a \
                         borrowed buffer was in flight; aborting rather than returning \
                         while the kernel may still write it"
                    );
                    std::process::abort();
                }
            }
        }
    }

    /// Drop-time drain: asks the kernel to cancel every command in flight
    /// (`IORING_OP_ASYNC_CANCEL`; NVMe passthrough commands already issued to
    /// the device are not cancellable and simply complete), then waits for
    /// every completion before the buffers are freed. The wait is bounded by
    /// the NVMe driver's command timeout, after which it aborts the command.
    /// If the ring cannot be entered any more, the buffers are leaked (with
    /// a message on stderr), never freed under the kernel.
    pub(crate) fn shutdown(&mut self) {
        if self.slab.in_flight() == 0 {
            return;
        }
        if self.poisoned {
            self.leak("the ring failed earlier");
            return;
        }
        let live: Vec<u64> = self.slab.in_flight_user_data().collect();
        for ud in live {
            let cancel: squeue::Entry128 = opcode::AsyncCancel::new(ud)
                .build()
                .user_data(INTERNAL)
                .into();
            // SAFETY: a cancellation references no memory.
            while unsafe { self.ring.sq().push(&cancel) }.is_err() {
                if let Err(e) = self.enter(0) {
                    if !transient(&e) {
                        self.leak("io_uring_enter failed while cancelling");
                        return;
                    }
                }
            }
        }
        while self.slab.in_flight() > 0 {
            if let Err(e) = self.enter(1) {
                if !transient(&e) {
                    self.leak("io_uring_enter failed while waiting for them");
                    return;
                }
            }
            for cqe in self.ring.cq() {
                let u = cqe.user_data();
                if u != INTERNAL {
                    // Frees the slot; its buffer is dropped here, after the kernel is done.
                    drop(self.slab.complete(u));
                }
            }
        }
    }

    fn leak(&mut self, why: &str) {
        eprintln!(
            "nvmeq-uring: dropping a queue with {} commands in flight and {why}: \
             leaking their buffers so the kernel can never write freed memory",
            self.slab.in_flight()
        );
        let slab = std::mem::replace(&mut self.slab, Slab::new(1, 0));
        std::mem::forget(slab);
    }
}
