//! The error every backend reports through the [`crate::Backend`] trait.

use crate::status::Status;

/// Why a command did not complete successfully.
///
/// An NVMe status (the controller answered) is kept apart from an OS error
/// (the kernel refused before or around the device) and from a problem nvmeq
/// found before sending anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The controller completed the command with a non-success status.
    #[error("{0}")]
    Status(Status),
    /// The operating system returned an error.
    #[error("{op}: {} (errno {errno})", errno_name(*.errno))]
    Os {
        /// What was being done (e.g. `"NVME_IOCTL_IO64_CMD"`).
        op: &'static str,
        /// The positive errno value.
        errno: i32,
    },
    /// The buffer is smaller than what the command transfers.
    #[error("buffer holds {have} bytes but the command transfers {need} bytes")]
    BufferTooSmall {
        /// Bytes the command transfers.
        need: u64,
        /// Bytes the buffer holds.
        have: usize,
    },
    /// The command moves data but no buffer was given, or the buffer's
    /// direction does not match the command's.
    #[error("the command transfers data {expected:?} but was given {given}")]
    BufferMismatch {
        /// The command's direction.
        expected: crate::DataDir,
        /// What the caller gave.
        given: &'static str,
    },
    /// The transfer exceeds the controller's Maximum Data Transfer Size.
    #[error(
        "transfer of {len} bytes exceeds the maximum data transfer size of {max} bytes (MDTS)"
    )]
    AboveMdts {
        /// Bytes requested.
        len: u64,
        /// The limit.
        max: u32,
    },
    /// The backend does not know the namespace (needed for block-sized transfers).
    #[error("namespace {0} is not active on this controller")]
    UnknownNamespace(u32),
    /// The backend cannot do this.
    #[error("not supported by this backend: {0}")]
    Unsupported(&'static str),
    /// The backend does not implement this kind of transfer (see
    /// [`Feature`]); the trait's default for optional methods.
    #[error("not supported by this backend: {0}")]
    NotSupported(Feature),
    /// A command did not complete in time.
    #[error("command timed out after {ms} ms")]
    Timeout {
        /// The timeout that expired.
        ms: u32,
    },
    /// A completion carried a command id that is not in flight.
    #[error("completion for command id {cid:#06x} does not match any command in flight")]
    UnexpectedCid {
        /// The id the controller returned.
        cid: u16,
    },
    /// The controller or queue was reset or torn down with the command in flight.
    #[error("aborted: {0}")]
    Aborted(&'static str),
    /// The queue had no free slot for the command (see [`crate::Rejected::Full`]).
    #[error("the queue is full: reap completions before writing more commands")]
    QueueFull,
    /// The caller asked for something invalid.
    #[error("invalid argument: {0}")]
    Invalid(&'static str),
}

/// An optional kind of transfer a backend may not implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feature {
    /// A separate metadata buffer ([`crate::Backend::execute_with`]).
    Metadata,
    /// Data spread over several buffers ([`crate::Backend::execute_vec`]).
    Vectored,
}

impl core::fmt::Display for Feature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Feature::Metadata => "separate metadata buffers",
            Feature::Vectored => "vectored (multi-buffer) data",
        })
    }
}

impl From<Status> for Error {
    fn from(s: Status) -> Self {
        Error::Status(s)
    }
}

/// The symbolic name of a Linux errno, for the ones passthrough returns.
pub const fn errno_name(errno: i32) -> &'static str {
    match errno {
        1 => "EPERM (operation not permitted: needs CAP_SYS_ADMIN or write access)",
        2 => "ENOENT (no such file or directory)",
        4 => "EINTR (interrupted)",
        5 => "EIO (I/O error)",
        6 => "ENXIO (no such device or address)",
        9 => "EBADF (bad file descriptor)",
        11 => "EAGAIN (resource temporarily unavailable)",
        12 => "ENOMEM (out of memory)",
        13 => "EACCES (permission denied)",
        14 => "EFAULT (bad address)",
        16 => "EBUSY (device or resource busy)",
        19 => "ENODEV (no such device)",
        22 => "EINVAL (invalid argument)",
        25 => "ENOTTY (inappropriate ioctl for device)",
        28 => "ENOSPC (no space left on device)",
        38 => "ENOSYS (function not implemented)",
        61 => "ENODATA (no data available)",
        95 => "EOPNOTSUPP (operation not supported)",
        110 => "ETIMEDOUT (timed out)",
        125 => "ECANCELED (operation canceled)",
        _ => "OS error",
    }
}
