//! `nvmeq-uring`: NVMe commands over io_uring passthrough
//! (`IORING_OP_URING_CMD`) on the NVMe char devices.
//!
//! | what | device | `cmd_op` | Linux |
//! |---|---|---|---|
//! | I/O commands | `/dev/ngXnY` | `NVME_URING_CMD_IO` | ≥ 5.19 |
//! | vectored I/O ([`execute_vec`](nvmeq_core::Backend::execute_vec), [`Uring::push_vec`]) | `/dev/ngXnY` | `NVME_URING_CMD_IO_VEC` | ≥ 5.19 |
//! | admin commands | `/dev/nvmeX` | `NVME_URING_CMD_ADMIN` | ≥ 6.0 |
//! | vectored admin | `/dev/nvmeX` | `NVME_URING_CMD_ADMIN_VEC` | ≥ 6.0 |
//! | separate metadata buffers ([`execute_with`](nvmeq_core::Backend::execute_with), [`push_with`](nvmeq_core::Backend::push_with)) | `/dev/ngXnY` | any I/O op | ≥ 5.19 |
//! | polled I/O (`IOPOLL`) | `/dev/ngXnY` with poll queues | | ≥ 6.5 (refused below: 6.1 crashed the kernel) |
//! | registered buffers (`IORING_URING_CMD_FIXED`) | | | ≥ 6.1 (before 6.12: at most `max_segments` pages each) |
//!
//! The ring has 128-byte SQEs carrying [`NvmeUringCmd`] and 32-byte CQEs
//! whose extra field is the command's 64-bit result. A negative CQE result
//! is an errno ([`nvmeq_core::Error::Os`]), a positive one an NVMe status
//! ([`nvmeq_core::Error::Status`], decoded by name).
//!
//! [`Uring`] implements [`nvmeq_core::Backend`]; the `nvmeq-aio` crate puts futures on top
//! of the same queue without tying them to an executor.
//!
//! # Buffer safety
//!
//! Transfer lengths come from the command ([`nvmeq_core::Xfer`] resolved with
//! the namespace's LBA size) and are checked against the buffer; the kernel
//! is never told a length larger than the buffer. `execute` borrows its
//! buffer and returns only after the completion. The queue interface takes
//! [`UringBuf`]s by value and returns them only with their completion;
//! dropping the backend waits for every command in flight before freeing
//! anything.
//!
//! Vectored commands cut their segments to exactly the command's length
//! (segments past it are never given to the kernel), and the `iovec` array
//! lives in the command's in-flight slot, preallocated at open
//! ([`UringOptions::max_segments`]), until the completion is reaped: the
//! kernel may read it after `io_uring_enter` returns. A separate metadata
//! buffer's length is the block count × the format's metadata size; commands
//! moving blocks on a namespace with separate metadata are refused without
//! one (the device would otherwise move metadata at address 0). Linux maps
//! metadata only for I/O commands with data, so it is refused on admin
//! commands, and it refuses registered buffers on vectored commands, so
//! segments from the pool go as plain memory.
//!
//! Verified in the QEMU guest on Linux 6.1 and 6.12 (the whole conformance
//! suite, interrupt-driven, with registered buffers and files, and polled;
//! vectored commands and metadata buffers on 6.12).
//!
//! Linux does not act on the effects of admin commands sent over io_uring
//! (its ioctl path rescans namespaces after a Format NVM); [`Uring::rescan`]
//! asks for the rescan, and `execute` does so itself after Format NVM and
//! namespace management.
//!
//! On a kernel or device without this interface, [`Uring::open`] fails with
//! [`OpenError::NoUringCmd`], naming the ioctl backend as the fallback.

#![deny(unsafe_code)]
// Page-aligned and registered (mmap) buffers the kernel reads and writes.
#[allow(unsafe_code)]
mod buf;
mod completion;
mod iov;
mod options;
mod probe;
// Pushes SQEs that point the kernel at caller memory.
#[allow(unsafe_code)]
mod queue;
// Keeps the ring at a fixed address for the submitter holding its registered fd.
#[allow(unsafe_code)]
mod ring;
mod slab;
// The NVMe ioctls the io_uring crate does not wrap.
#[allow(unsafe_code)]
mod sys;
mod tag;
// The unsafe is allowed only in its submodules that push SQEs or register buffers.
mod uring;

pub use buf::{AlignedBuf, CmdBufs, FixedBuf, FixedBufPool, UringBuf};
pub use iov::{DEFAULT_MAX_SEGMENTS, MAX_SEGMENTS};
pub use nvmeq_linux::uapi::NvmeUringCmd;
pub use options::{UringOptions, MAX_DEPTH};
pub use probe::{kernel_version, NsFormat, OpenError};
pub use queue::UNEXPECTED_TAG;
pub use uring::{Uring, UringNodes};

/// Reads and resets an eventfd from [`Uring::register_eventfd`]; 0 when it
/// was not signalled (it is non-blocking).
pub fn read_eventfd(fd: &impl std::os::fd::AsRawFd) -> std::io::Result<u64> {
    sys::eventfd_read(fd)
}

/// Whether the running kernel's io_uring supports `IORING_OP_URING_CMD` with
/// 128-byte SQEs (the probe [`Uring::open`] runs), without a device.
pub fn uring_cmd_supported() -> Result<(), OpenError> {
    let ring =
        io_uring::IoUring::<io_uring::squeue::Entry128, io_uring::cqueue::Entry32>::builder()
            .build(2)
            .map_err(|e| OpenError::NoUringCmd {
                path: String::new(),
                why: format!("cannot create a ring with 128-byte SQEs and 32-byte CQEs ({e})"),
            })?;
    let mut p = io_uring::Probe::new();
    ring.submitter()
        .register_probe(&mut p)
        .map_err(|e| OpenError::NoUringCmd {
            path: String::new(),
            why: format!("cannot probe io_uring opcodes ({e})"),
        })?;
    if p.is_supported(io_uring::opcode::UringCmd80::CODE) {
        Ok(())
    } else {
        Err(OpenError::NoUringCmd {
            path: String::new(),
            why: "the kernel does not support IORING_OP_URING_CMD (Linux ≥ 5.19 needed)".into(),
        })
    }
}
