//! [`Signal`]: how a backend's queue tells a driver that completions are ready.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// How a queue signals completions, so a driver knows when to reap. Chosen
/// by whoever builds the [`AsyncQueue`](crate::AsyncQueue) from the backend
/// (the `nvmeq` facade does it for every backend).
#[derive(Debug)]
pub enum Signal {
    /// Completions are ready when `submit` returns, which does not block for
    /// long (the in-memory controller): the queue drives itself from the
    /// futures' polls.
    OnSubmit,
    /// Completions are ready when `submit` returns, but `submit` blocks until
    /// the device answers (the ioctl backend): a worker thread
    /// ([`QueueDriver::run_worker`](crate::QueueDriver::run_worker)) submits and
    /// wakes the futures, so no executor thread ever blocks.
    Worker,
    /// A non-blocking eventfd that becomes readable when completions are
    /// posted (a ring's registered eventfd, a CQ's MSI-X eventfd); a reactor
    /// watches it, the driver reads it ([`CompletionFd::clear`]) and reaps.
    Fd(CompletionFd),
    /// Nothing signals: completions appear only when the queue is polled (a
    /// polled ring or a polled VFIO queue), so the driver polls while
    /// commands are in flight.
    Poll,
}

/// A descriptor that becomes readable when completions are posted.
#[derive(Debug)]
pub struct CompletionFd {
    fd: OwnedFd,
    /// Reset by reading it (an eventfd), or by the backend's reap.
    read_to_clear: bool,
}

impl CompletionFd {
    /// Wraps a non-blocking eventfd (`EFD_NONBLOCK`; the constructor's
    /// caller promises the flag, [`clear`](Self::clear) relies on it).
    pub fn new(fd: OwnedFd) -> Self {
        CompletionFd {
            fd,
            read_to_clear: true,
        }
    }

    /// Wraps a descriptor that the backend's `reap` resets itself (an epoll
    /// set over several queues' eventfds): [`clear`](Self::clear) does nothing.
    pub fn reset_by_reap(fd: OwnedFd) -> Self {
        CompletionFd {
            fd,
            read_to_clear: false,
        }
    }

    /// Reads (and so resets) an eventfd's counter; 0 when it was not
    /// signalled, or when the backend's reap resets the descriptor.
    pub fn clear(&self) -> std::io::Result<u64> {
        if !self.read_to_clear {
            return Ok(0);
        }
        let mut v = [0u8; 8];
        match rustix::io::read(&self.fd, &mut v) {
            Ok(8) => Ok(u64::from_ne_bytes(v)),
            Ok(n) => Err(std::io::Error::other(format!(
                "eventfd read returned {n} bytes, not 8"
            ))),
            Err(rustix::io::Errno::AGAIN) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// The descriptor, e.g. to hand over to a reactor.
    pub fn into_inner(self) -> OwnedFd {
        self.fd
    }
}

impl AsFd for CompletionFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
