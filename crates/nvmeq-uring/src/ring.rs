//! The ring on the heap, entered through its registered file descriptor when
//! the kernel allows it.
//!
//! `IORING_REGISTER_RING_FDS` (Linux ≥ 5.18) puts the ring's file in a small
//! table of the registering *thread* (16 slots); `io_uring_enter` with
//! `IORING_ENTER_REGISTERED_RING` then names it by its index and the kernel
//! skips the file-table lookup (`fdget`/`fdput`) each call would make. The
//! io-uring crate remembers the index in the [`Submitter`] that registered
//! it, so that submitter must live as long as the ring: it borrows the
//! ring's descriptor and parameters, which is why the ring sits at a fixed
//! heap address here and is only ever reached through shared references.
//!
//! The index means something only on the thread that registered it (another
//! thread's table may hold another ring at the same index), so registration
//! happens lazily, on the first enter, from the thread that enters, and a
//! ring entered from any other thread uses its plain descriptor. A failed
//! registration (EINVAL before 5.18, EBUSY when the thread's 16 slots are
//! taken) leaves the plain descriptor in use, with no error. Only the
//! registering thread can unregister: a ring dropped elsewhere stays in that
//! thread's table, its file held by the kernel, until the thread exits.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use io_uring::{cqueue, squeue, IoUring, Submitter};

/// The ring type: `IORING_SETUP_SQE128 | IORING_SETUP_CQE32`.
pub(crate) type Ring = IoUring<squeue::Entry128, cqueue::Entry32>;

static NEXT_THREAD: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// A number no other thread of the process ever gets (thread ids and
    /// thread-local addresses can be reused after a thread exits).
    static THREAD: u64 = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
}

fn this_thread() -> u64 {
    THREAD.with(|t| *t)
}

enum RegFd {
    /// Not asked for: always the plain descriptor.
    Off,
    /// Asked for; registered by the first enter.
    Pending,
    /// Registered by `thread`; `sub` holds the index.
    On {
        sub: Submitter<'static>,
        thread: u64,
    },
    /// The kernel refused it (the errno): the plain descriptor.
    Refused(i32),
}

/// Owns a [`Ring`] on the heap; hands out only shared references to it.
pub(crate) struct RingBox {
    ring: NonNull<Ring>,
    reg: RegFd,
}

// SAFETY: `IoUring` is Send and Sync. The registered submitter holds
// pointers into this ring's mapped memory and references into the boxed
// ring, both valid wherever the box goes; its index is used only on the
// thread that registered it (checked on every enter).
unsafe impl Send for RingBox {}
// SAFETY: as above; `&RingBox` reaches only `&Ring` and the registration state.
unsafe impl Sync for RingBox {}

impl RingBox {
    /// Moves `ring` to the heap; `register_fd` asks for the registered ring
    /// fd on the first enter.
    pub(crate) fn new(ring: Ring, register_fd: bool) -> Self {
        RingBox {
            ring: NonNull::from(Box::leak(Box::new(ring))),
            reg: if register_fd {
                RegFd::Pending
            } else {
                RegFd::Off
            },
        }
    }

    /// The ring.
    #[inline]
    pub(crate) fn get(&self) -> &Ring {
        // SAFETY: the box owns the allocation until drop; nothing takes a
        // mutable reference to it.
        unsafe { self.ring.as_ref() }
    }

    /// The submission queue.
    #[inline]
    pub(crate) fn sq(&mut self) -> squeue::SubmissionQueue<'_, squeue::Entry128> {
        // SAFETY: the view borrows `self` mutably, so no other one exists.
        unsafe { self.get().submission_shared() }
    }

    /// The completion queue.
    #[inline]
    pub(crate) fn cq(&mut self) -> cqueue::CompletionQueue<'_, cqueue::Entry32> {
        // SAFETY: the view borrows `self` mutably, so no other one exists.
        unsafe { self.get().completion_shared() }
    }

    /// `io_uring_enter` through the registered index when this thread
    /// registered it, else through the descriptor.
    #[inline]
    pub(crate) fn submit_and_wait(&mut self, want: usize) -> io::Result<usize> {
        match &self.reg {
            RegFd::On { sub, thread } if *thread == this_thread() => sub.submit_and_wait(want),
            RegFd::Pending => {
                self.register();
                self.submit_and_wait(want)
            }
            _ => self.get().submit_and_wait(want),
        }
    }

    #[cold]
    fn register(&mut self) {
        // SAFETY: the ring stays at this address until `drop`, which drops
        // the submitter first; the submitter's references are shared ones
        // and nothing ever takes the ring mutably.
        let mut sub: Submitter<'static> = unsafe {
            std::mem::transmute::<Submitter<'_>, Submitter<'static>>(self.get().submitter())
        };
        self.reg = match sub.register_ring_fd() {
            Ok(()) => RegFd::On {
                sub,
                thread: this_thread(),
            },
            Err(e) => RegFd::Refused(e.raw_os_error().unwrap_or(libc::EINVAL)),
        };
    }

    /// Whether enters on this thread go through the registered index.
    pub(crate) fn fd_registered(&self) -> bool {
        matches!(&self.reg, RegFd::On { thread, .. } if *thread == this_thread())
    }

    /// The errno the kernel refused the registration with, if it did.
    pub(crate) fn fd_refused(&self) -> Option<i32> {
        match self.reg {
            RegFd::Refused(e) => Some(e),
            _ => None,
        }
    }
}

impl AsRawFd for RingBox {
    fn as_raw_fd(&self) -> RawFd {
        self.get().as_raw_fd()
    }
}

impl Drop for RingBox {
    fn drop(&mut self) {
        if let RegFd::On { mut sub, thread } = std::mem::replace(&mut self.reg, RegFd::Off) {
            // Another thread's table may hold something else at this index;
            // from there the slot stays taken (and the ring's file open)
            // until the registering thread exits, which frees its table.
            if thread == this_thread() {
                let _ = sub.unregister_ring_fd();
            }
        }
        // SAFETY: allocated by `Box::leak` in `new`, freed once, after the
        // submitter that borrowed it is gone.
        drop(unsafe { Box::from_raw(self.ring.as_ptr()) });
    }
}
