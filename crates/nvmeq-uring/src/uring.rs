//! [`Uring`]: the [`Backend`](nvmeq_core::Backend) over io_uring passthrough, in
//! parts: [`open`] (rings and setup), [`format`](mod@format) (namespace formats),
//! [`sync`] (one command, waited for), [`queue`] (queued commands with
//! metadata or segments) and [`backend`] (the trait).

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nvmeq_core::{Caps, IoBuf};

use crate::buf::{FixedBufPool, UringBuf};
use crate::probe::NsFormat;
use crate::queue::Queue;
use crate::sys;

mod backend;
mod format;
// Registers the fixed-buffer pool's memory with the kernel.
#[allow(unsafe_code)]
mod open;
// Pushes queued passthrough SQEs that point the kernel at slot-owned buffers.
#[allow(unsafe_code)]
mod queue;
// Pushes one waited-for SQE that points the kernel at borrowed buffers.
#[allow(unsafe_code)]
mod sync;
#[cfg(test)]
#[allow(unsafe_code)]
mod tests;

/// How a command's file is named in the SQE.
#[derive(Debug, Clone, Copy)]
enum FileRef {
    Fd(RawFd),
    Fixed(u32),
}

/// Where commands go: the NVMe char devices, or NOPs for testing the plumbing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Nvme,
    Loopback,
}

/// Largest transfer assumed when sysfs does not say (the block layer's
/// conservative default of 128 KiB).
const DEFAULT_MAX_XFER: u32 = 128 * 1024;
/// Namespaces whose format is remembered (the oldest makes room for more).
const FORMAT_CACHE: usize = 16;

/// NVMe commands over `IORING_OP_URING_CMD`: I/O on a namespace char device
/// (`/dev/ngXnY`, Linux ≥ 5.19), admin on the controller char device
/// (`/dev/nvmeX`, Linux ≥ 6.0).
///
/// The queue interface ([`push`](nvmeq_core::Backend::push), [`submit`](nvmeq_core::Backend::submit),
/// [`reap`](nvmeq_core::Backend::reap)) pushes 128-byte SQEs without a syscall, submits
/// and waits in one `io_uring_enter`, and drains 32-byte CQEs without a
/// syscall. Each command's buffer and tag live in a fixed in-flight table
/// (one slot per queue entry, allocated once); a full table or SQ hands the
/// command back as [`Rejected::Full`](nvmeq_core::Rejected::Full). `user_data` is the slot index
/// plus a sequence number, so a stale or foreign completion is reported as
/// [`Error::UnexpectedCid`](nvmeq_core::Error::UnexpectedCid) with [`UNEXPECTED_TAG`](crate::UNEXPECTED_TAG).
///
/// Dropping a `Uring` with commands in flight cancels what the kernel can
/// cancel and waits for every completion before any buffer is freed.
#[derive(Debug)]
pub struct Uring {
    io: Queue,
    /// With IOPOLL, admin commands need an interrupt-driven ring of their own.
    admin_ring: Option<Queue>,
    target: Target,
    io_file: Option<FileRef>,
    admin_file: Option<FileRef>,
    admin_missing: &'static str,
    iopoll: bool,
    /// Completions appear only when the ring is entered (IOPOLL, or task
    /// work deferred by COOP_TASKRUN / DEFER_TASKRUN), so `submit(0)` must
    /// enter even with nothing to submit.
    enter_to_complete: bool,
    timeout_ms: u32,
    formats: nvmeq_core::format::FormatCache<FORMAT_CACHE>,
    loopback_format: NsFormat,
    /// The namespace char device's kernel name (`ng0n1`), for sysfs.
    ng: Option<String>,
    nsid: u32,
    max_segments: u16,
    /// The namespace's block-queue limits, which vectored I/O buffers are
    /// checked against before the kernel maps them.
    limits: Option<nvmeq_linux::QueueLimits>,
    caps: Caps,
    // Fields below are dropped after the rings are closed.
    pool: Option<FixedBufPool>,
    /// The device's file descriptors (`None` for a loopback ring).
    nodes: Option<UringNodes>,
}

/// The opened device nodes of an io_uring backend: the namespace char
/// device and the controller char device. `Send + Sync`; clones share
/// the file descriptors, and [`ring`](Self::ring) builds a [`Uring`] on
/// them, so threads each get a ring of their own on one set of
/// descriptors (what [`Uring::open`] does once).
#[derive(Debug, Clone)]
pub struct UringNodes(Arc<Nodes>);

#[derive(Debug)]
struct Nodes {
    /// The node opened, for messages.
    path: String,
    version: (u32, u32),
    /// The namespace char device's kernel name (`ng0n1`), for sysfs.
    ng: Option<String>,
    nsid: u32,
    io_dev: Option<File>,
    ctrl_dev: Option<File>,
    /// The controller node, when it is open.
    ctrl_path: Option<PathBuf>,
    admin_missing: &'static str,
    limits: Option<nvmeq_linux::QueueLimits>,
}

impl UringNodes {
    /// The namespace id of the namespace device (0 for a controller).
    pub fn nsid(&self) -> u32 {
        self.0.nsid
    }

    /// The namespace char device's descriptor, when a namespace was opened.
    pub fn io_fd(&self) -> Option<RawFd> {
        self.0.io_dev.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// The controller char device, when it is open.
    pub fn ctrl_path(&self) -> Option<&Path> {
        self.0.ctrl_path.as_deref()
    }

    fn ctrl_dev(&self) -> Option<&File> {
        self.0.ctrl_dev.as_ref()
    }
}

impl Uring {
    /// The namespace id of the opened namespace device (0 for a controller).
    pub fn nsid(&self) -> u32 {
        self.nsid
    }

    /// The controller char device used for admin commands, when open.
    pub fn ctrl_path(&self) -> Option<&Path> {
        self.nodes.as_ref().and_then(UringNodes::ctrl_path)
    }

    /// The device nodes this ring is on (`None` for a loopback ring): more
    /// rings on the same descriptors come from [`UringNodes::ring`].
    pub fn nodes(&self) -> Option<&UringNodes> {
        self.nodes.as_ref()
    }

    /// The ring's file descriptor.
    pub fn ring_fd(&self) -> RawFd {
        self.io.ring.as_raw_fd()
    }

    /// Whether this thread enters the I/O ring through its registered fd
    /// ([`UringOptions::register_ring_fd`](crate::UringOptions::register_ring_fd)):
    /// false before the first enter, when the option is off, when the kernel
    /// refused it, and on a thread other than the one that entered first.
    pub fn ring_fd_registered(&self) -> bool {
        self.io.ring.fd_registered()
    }

    /// The errno the kernel refused the ring fd's registration with, if it did
    /// (EINVAL before Linux 5.18; EBUSY when the thread has 16 registered).
    pub fn ring_fd_refused(&self) -> Option<i32> {
        self.io.ring.fd_refused()
    }

    /// Gives every later command a timeout (`nvme_uring_cmd.timeout_ms`; 0:
    /// the driver's default, `nvme_core.io_timeout`/`admin_timeout`). When it
    /// expires the driver aborts the command, which completes with an error.
    pub fn set_timeout_ms(&mut self, ms: u32) {
        self.timeout_ms = ms;
    }

    /// Whether completions are posted only when the ring is entered (IOPOLL,
    /// or task work deferred by COOP_TASKRUN / DEFER_TASKRUN): then the
    /// registered eventfd does not fire by itself and a waiter must poll.
    pub fn completes_on_enter(&self) -> bool {
        self.enter_to_complete
    }

    /// Whether the ring polls for completions (IOPOLL).
    pub fn is_iopoll(&self) -> bool {
        self.iopoll
    }

    /// The registered buffer pool, when [`UringOptions::fixed_buffers`](crate::UringOptions::fixed_buffers) was set.
    pub fn fixed_pool(&self) -> Option<&FixedBufPool> {
        self.pool.as_ref()
    }

    /// Creates an eventfd and registers it with the ring
    /// (`IORING_REGISTER_EVENTFD`): it becomes readable whenever completions
    /// are posted, so a reactor (tokio's `AsyncFd`, epoll) can wake the task
    /// that reaps. Read it (see [`read_eventfd`](crate::read_eventfd)) to reset it.
    pub fn register_eventfd(&mut self) -> io::Result<OwnedFd> {
        let fd = sys::eventfd()?;
        self.io
            .ring
            .get()
            .submitter()
            .register_eventfd(fd.as_raw_fd())?;
        Ok(fd)
    }

    /// Completions ready to reap now (no syscall).
    pub fn ready(&mut self) -> usize {
        self.io.ready()
    }

    /// The most data segments one vectored command may use
    /// ([`UringOptions::max_segments`](crate::UringOptions::max_segments)).
    pub fn max_segments(&self) -> u16 {
        self.max_segments
    }
}

/// Admin opcodes after which Linux's ioctl path rescans namespaces (their
/// Commands Supported and Effects say they change namespace capabilities or
/// inventory); over io_uring the backend asks for the rescan itself.
fn changes_namespaces(opcode: u8) -> bool {
    use nvmeq_core::AdminOpcode;
    [
        AdminOpcode::FORMAT_NVM,
        AdminOpcode::NS_MANAGEMENT,
        AdminOpcode::NS_ATTACHMENT,
    ]
    .contains(&AdminOpcode(opcode))
}

/// The data address and, for a buffer of this ring's registered pool, its index.
fn buf_addr(pool: Option<&FixedBufPool>, buf: &mut UringBuf) -> (u64, Option<u16>) {
    let addr = buf.as_mut_slice().as_mut_ptr() as u64;
    match (buf, pool) {
        (UringBuf::Fixed(f), Some(pool)) if pool.same_pool(f) => (addr, Some(f.index())),
        _ => (addr, None),
    }
}

impl Drop for Uring {
    fn drop(&mut self) {
        self.io.shutdown();
        if let Some(a) = &mut self.admin_ring {
            a.shutdown();
        }
    }
}
