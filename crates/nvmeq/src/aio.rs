//! [`AsyncDevice`]: `async fn`s for the typed commands over every backend.
//!
//! Commands take owned buffers and hand them back with the completion (the
//! tokio-uring model), so a future dropped mid-flight can never free memory
//! the device still writes: the queue keeps the buffer until the completion
//! and recycles it ([`AsyncDevice::alloc`] hands it out again). The futures
//! are `Send + 'static`; clones of an `AsyncDevice` share one queue.
//!
//! Completions reach the futures through the backend's
//! [`Signal`]: the in-memory controller completes inside
//! `submit`, the ioctl backend gets a worker thread (its `submit` blocks),
//! io_uring rings signal a registered eventfd, VFIO queues an MSI-X eventfd
//! (or are polled). [`AsyncDevice::new`] returns the [`Driver`] that watches
//! that signal; the `tokio` feature's [`AsyncDevice::spawn`] runs it on the
//! current tokio runtime (`AsyncFd` on the eventfd).

use std::os::fd::{AsFd, BorrowedFd};

use nvmeq_aio::{AsyncQueue, CompletionFd, DriverState, QueueDriver, Signal, Submit};
use nvmeq_core::cmd::{Flush, Identify, Read, Write};
use nvmeq_core::identify::{IdentifyController, IdentifyNamespace};
use nvmeq_core::{Backend, Cmd, Completion, Error, IoBuf};
use zerocopy::FromBytes;

use crate::device::{AnyBuf, Device};

// Registers the completion eventfd with tokio's reactor.
#[cfg(feature = "tokio")]
#[allow(unsafe_code)]
mod tokio;

/// A result with the buffer handed back. The buffer is `None` only when the
/// queue failed with the command in flight: then the queue keeps it, since
/// the device may still use it.
pub type BufResult<T> = (Result<T, Error>, Option<AnyBuf>);

/// A device whose commands are futures; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct AsyncDevice {
    q: AsyncQueue<Device>,
}

/// What watches a device's completions for its futures (from
/// [`AsyncDevice::new`]): run it on a reactor, or let
/// [`AsyncDevice::spawn`] run it on tokio.
#[derive(Debug)]
pub struct Driver {
    d: QueueDriver<Device>,
    how: How,
}

#[derive(Debug)]
enum How {
    /// Nothing to run: the futures drive the queue (ram) or a worker thread does (ioctl).
    Nothing,
    Fd(CompletionFd),
    Poll,
}

/// The backend's way of signalling completions.
fn signal_of(dev: &mut Device) -> Result<Signal, Error> {
    #[cfg_attr(not(any(feature = "uring", feature = "vfio")), allow(unused_variables))]
    let os = |e: std::io::Error| Error::Os {
        op: "eventfd",
        errno: e.raw_os_error().unwrap_or(libc_eio()),
    };
    #[allow(unreachable_patterns)]
    Ok(match dev {
        #[cfg(feature = "ram")]
        Device::Ram(_) => Signal::OnSubmit,
        #[cfg(feature = "ioctl")]
        Device::Ioctl(_) => Signal::Worker,
        #[cfg(feature = "uring")]
        Device::Uring(u) if u.completes_on_enter() => Signal::Poll,
        #[cfg(feature = "uring")]
        Device::Uring(u) => Signal::Fd(CompletionFd::new(u.register_eventfd().map_err(os)?)),
        #[cfg(feature = "vfio")]
        Device::Vfio(c) => match c.completion_fd() {
            Some(fd) => Signal::Fd(CompletionFd::reset_by_reap(fd.map_err(os)?)),
            None => Signal::Poll,
        },
        _ => Signal::Poll,
    })
}

/// EIO, without a libc dependency for one constant.
const fn libc_eio() -> i32 {
    5
}

impl AsyncDevice {
    /// Puts `dev` behind a queue of futures. For the ioctl backend this
    /// starts the worker thread that submits (it ends with the last handle
    /// and future); the returned [`Driver`] must run for the futures of
    /// io_uring and VFIO devices to complete.
    pub fn new(mut dev: Device) -> Result<(AsyncDevice, Driver), Error> {
        let signal = signal_of(&mut dev)?;
        let worker = matches!(signal, Signal::Worker);
        let poll = matches!(signal, Signal::Poll);
        let (q, fd) = AsyncQueue::new(dev, signal);
        let d = q.driver();
        if worker {
            std::thread::Builder::new()
                .name("nvmeq-worker".into())
                .spawn({
                    let d = q.driver();
                    move || d.run_worker()
                })
                .map_err(|e| Error::Os {
                    op: "spawn the worker thread",
                    errno: e.raw_os_error().unwrap_or(libc_eio()),
                })?;
        }
        let how = match fd {
            Some(fd) => How::Fd(fd),
            None if poll => How::Poll,
            None => How::Nothing,
        };
        Ok((AsyncDevice { q }, Driver { d, how }))
    }

    /// The underlying queue of futures (for commands with buffers of your own).
    pub fn queue(&self) -> &AsyncQueue<Device> {
        &self.q
    }

    /// A zero-filled buffer of `len` bytes for this device (a recycled one
    /// when a dropped future left one of that length).
    pub fn alloc(&self, len: usize) -> Result<AnyBuf, Error> {
        self.q.alloc(len)
    }

    /// The LBA data size of namespace `nsid` (from the backend's cache, or
    /// one Identify Namespace the first time, sent synchronously).
    pub fn lba_size(&self, nsid: u32) -> Result<u32, Error> {
        self.q.with_backend(|d| d.lba_size(nsid))
    }

    /// Any command with an owned buffer: the future resolves to the
    /// completion and the buffer.
    pub fn submit(&self, cmd: Cmd, buf: Option<AnyBuf>) -> Submit<Device> {
        self.q.submit(cmd, buf)
    }

    /// Reads `buf.len()` bytes (a whole number of blocks, at most 65536)
    /// from block `slba` of namespace `nsid` into `buf`.
    pub async fn read(&self, nsid: u32, slba: u64, buf: AnyBuf) -> BufResult<Completion> {
        match self.nlb(nsid, buf.len()) {
            Ok(nlb) => {
                self.q
                    .submit(Read::new(nsid, slba, nlb).build(), Some(buf))
                    .await
            }
            Err(e) => (Err(e), Some(buf)),
        }
    }

    /// Writes `buf` (a whole number of blocks, at most 65536) to block
    /// `slba` of namespace `nsid`.
    pub async fn write(&self, nsid: u32, slba: u64, buf: AnyBuf) -> BufResult<Completion> {
        match self.nlb(nsid, buf.len()) {
            Ok(nlb) => {
                self.q
                    .submit(Write::new(nsid, slba, nlb).build(), Some(buf))
                    .await
            }
            Err(e) => (Err(e), Some(buf)),
        }
    }

    /// Flush (NVM command set, opcode 00h).
    pub async fn flush(&self, nsid: u32) -> Result<Completion, Error> {
        self.q.submit(Flush::new(nsid).build(), None).await.0
    }

    /// Identify Controller (CNS 01h), an admin command through the queue.
    pub async fn identify_controller(&self) -> Result<IdentifyController, Error> {
        let b = self.identify(Identify::controller().build()).await?;
        IdentifyController::read_from_bytes(&b.as_slice()[..4096])
            .map_err(|_| Error::Malformed("Identify Controller (wrong size)"))
    }

    /// Identify Namespace (CNS 00h) for `nsid`, an admin command through the queue.
    pub async fn identify_namespace(&self, nsid: u32) -> Result<IdentifyNamespace, Error> {
        let b = self.identify(Identify::namespace(nsid).build()).await?;
        IdentifyNamespace::read_from_bytes(&b.as_slice()[..4096])
            .map_err(|_| Error::Malformed("Identify Namespace (wrong size)"))
    }

    async fn identify(&self, cmd: Cmd) -> Result<AnyBuf, Error> {
        let buf = self.alloc(4096)?;
        let (r, b) = self.q.submit(cmd, Some(buf)).await;
        r?;
        b.ok_or(Error::Aborted("the completion lost its buffer"))
    }

    /// NLB (zero-based) for a transfer of `len` bytes.
    fn nlb(&self, nsid: u32, len: usize) -> Result<u16, Error> {
        let blocks = nvmeq_core::split::whole_blocks(len, self.lba_size(nsid)?)?;
        u16::try_from(blocks - 1).map_err(|_| Error::TransferTooLarge { len: len as u64 })
    }
}

impl Driver {
    /// The eventfd that becomes readable when completions are posted, when
    /// the backend has one (io_uring, VFIO with interrupts). Watch it for
    /// readability, then [`clear`](Self::clear) it and [`drive`](Self::drive).
    pub fn completion_fd(&self) -> Option<BorrowedFd<'_>> {
        match &self.how {
            How::Fd(fd) => Some(fd.as_fd()),
            _ => None,
        }
    }

    /// Whether nothing signals completions and the driver must poll while
    /// commands are in flight (a polled ring or VFIO queue).
    pub fn polls(&self) -> bool {
        matches!(self.how, How::Poll)
    }

    /// Resets the completion eventfd (no-op without one).
    pub fn clear(&self) -> std::io::Result<u64> {
        match &self.how {
            How::Fd(fd) => fd.clear(),
            _ => Ok(0),
        }
    }

    /// Submits what the futures wrote, reaps, and wakes the finished ones.
    pub fn drive(&self) -> Result<usize, Error> {
        self.d.drive(0)
    }

    /// See [`QueueDriver::park`].
    pub fn park(&self, waker: &std::task::Waker) -> DriverState {
        self.d.park(waker)
    }

    /// Commands in flight on the device.
    pub fn in_flight(&self) -> u32 {
        self.d.in_flight()
    }

    /// Fails every waiting future with `e` (the driver cannot go on).
    pub fn fail(&self, e: Error) {
        self.d.fail(e)
    }
}
