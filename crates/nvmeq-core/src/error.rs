//! The error every backend reports through the [`crate::Backend`] trait.

use crate::prp::PrpError;
use crate::sgl::SglError;
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
    /// The command moves data but its transfer length is 0 (or the buffer
    /// meant to carry it is empty).
    #[error("the command moves data but its transfer length is 0")]
    ZeroLength,
    /// One segment (region) of a vectored buffer is empty.
    #[error("buffer segment {index} is empty")]
    EmptySegment {
        /// Which segment.
        index: usize,
    },
    /// The command says it moves data in a direction its opcode's bits 1:0
    /// do not (Linux maps the buffer from those bits).
    #[error("the command's data direction {dir:?} disagrees with opcode {opcode:#04x}'s bits 1:0")]
    DirectionMismatch {
        /// The opcode.
        opcode: u8,
        /// The direction the command declared.
        dir: crate::DataDir,
    },
    /// The namespace's format carries separate metadata, so the command needs
    /// a metadata buffer and none was given.
    #[error("the namespace's format has separate metadata: the command needs a metadata buffer")]
    MetadataRequired,
    /// A metadata buffer was given but the command moves no separate metadata
    /// (the format has none, or the transfer is not counted in blocks).
    #[error("a metadata buffer was given but the command moves no separate metadata")]
    MetadataForbidden,
    /// A transfer (data or metadata) longer than one command can describe.
    #[error("a transfer of {len} bytes is longer than one command can describe (4 GiB - 1)")]
    TransferTooLarge {
        /// The length asked for (saturated at `u64::MAX`).
        len: u64,
    },
    /// The command's own fields (NLB, NUMD, …) and its declared transfer differ.
    #[error(
        "the command's fields move {implied} bytes but its declared transfer is {declared} bytes"
    )]
    XferMismatch {
        /// What the command's `xfer` says.
        declared: u64,
        /// What its fields imply.
        implied: u64,
    },
    /// An I/O command's NLB field and its declared transfer disagree.
    #[error(
        "the command's NLB field (CDW12 bits 15:0) says {nlb} blocks but it declares {declared:?}"
    )]
    NlbMismatch {
        /// Blocks the NLB field moves (one-based).
        nlb: u32,
        /// What the command's `xfer` says.
        declared: crate::Xfer,
    },
    /// The buffer's segments do not add up to the command's transfer length.
    #[error("the buffer segments hold {have} bytes but the command transfers {need} bytes")]
    SegmentsMismatch {
        /// Bytes the command transfers.
        need: u64,
        /// Bytes the segments add up to.
        have: u64,
    },
    /// PRPs name whole pages, so only the first segment may start inside a
    /// page and only the last may end inside one; SGLs can describe these.
    #[error("PRPs cannot describe buffer segment {index}: inner segment boundaries must be page aligned (use SGLs)")]
    NeedsSgl {
        /// The first segment PRPs cannot describe.
        index: usize,
    },
    /// The controller's SGLs need dword-aligned data blocks (SGLS 10b) and a
    /// segment is not.
    #[error("buffer segment {index} is not dword aligned, which this controller's SGLs require (SGLS 10b)")]
    SglNeedsDword {
        /// The first unaligned segment.
        index: usize,
    },
    /// More buffer segments than the backend or queue takes in one command.
    #[error("{have} buffer segments, more than the {max} one command takes here")]
    TooManySegments {
        /// Segments given (or needed).
        have: usize,
        /// The limit.
        max: usize,
    },
    /// The buffer segments touch more memory pages than the kernel maps for
    /// one command: Linux pins user memory page by page, one block-layer
    /// segment each, up to the queue's `max_segments`.
    #[error(
        "the buffer segments touch {pages} memory pages, more than the {max} the kernel maps \
         for one command (the queue's max_segments): use fewer, page-aligned segments"
    )]
    PagesAboveLimit {
        /// Pages the segments touch (at most one block-layer segment each).
        pages: usize,
        /// The queue's `max_segments`.
        max: usize,
    },
    /// One block (its data, and its metadata on an extended-LBA format) is
    /// more than the device moves in one command, so no command can carry it.
    #[error(
        "one {unit}-byte block is more than the largest transfer this device takes in one \
         command ({max} bytes)"
    )]
    BlockAboveLimit {
        /// Bytes per block in the data buffer.
        unit: u32,
        /// The largest transfer of one command (MDTS and the transport's limit).
        max: u32,
    },
    /// A buffer length that is not a whole number of logical blocks.
    #[error(
        "a buffer of {len} bytes is not a multiple of the namespace's {lba_size}-byte LBA size"
    )]
    NotBlockMultiple {
        /// The buffer's length.
        len: usize,
        /// The LBA data size.
        lba_size: u32,
    },
    /// An LBA range that wraps past the end of the 64-bit LBA space.
    #[error("the LBA range starting at {slba} wraps past 2^64")]
    LbaOverflow {
        /// Its first LBA.
        slba: u64,
    },
    /// The command addresses a namespace the opened device cannot reach.
    #[error("the command's NSID {nsid} is not the opened namespace's ({device}): Linux sends I/O passthrough only to the device's own namespace")]
    NsidMismatch {
        /// The command's NSID.
        nsid: u32,
        /// The device's namespace.
        device: u32,
    },
    /// The queue has no free entry (for a call that cannot hand the command back).
    #[error("the queue is full: reap completions before pushing more commands")]
    QueueFull,
    /// A wait for more completions than there are commands in flight, which
    /// would never return.
    #[error("waiting for {want} completions with only {in_flight} commands in flight would never return")]
    WaitExceedsInFlight {
        /// Completions asked for.
        want: u32,
        /// Commands in flight.
        in_flight: u32,
    },
    /// A buffer allocated by another backend or controller, whose memory this
    /// one cannot hand to its device.
    #[error("the buffer was allocated by another backend or controller")]
    ForeignBuffer,
    /// The PRPs for the buffer could not be built.
    #[error("PRP: {0}")]
    Prp(#[source] PrpError),
    /// The SGL for the buffer could not be built.
    #[error("SGL: {0}")]
    Sgl(#[source] SglError),
    /// A data structure the device returned that nvmeq cannot use (names it
    /// and the problem).
    #[error("the device returned an unusable {0}")]
    Malformed(&'static str),
    /// A fabrics transport PDU that breaks the transport's rules (names the
    /// field); the connection it came on is closed.
    #[error("NVMe/TCP PDU: {0}")]
    Pdu(#[source] crate::fabrics::tcp::PduError),
    /// An argument outside what the callee accepts.
    #[error("invalid {}: {}", .0.name, .0.why)]
    BadArgument(&'static BadArg),
    /// nvmeq broke one of its own invariants: a bug to report.
    #[error("internal error (a bug in nvmeq): {0}")]
    Internal(&'static str),
}

impl From<PrpError> for Error {
    fn from(e: PrpError) -> Self {
        Error::Prp(e)
    }
}

impl From<SglError> for Error {
    fn from(e: SglError) -> Self {
        Error::Sgl(e)
    }
}

/// Which argument [`Error::BadArgument`] refused and why, behind a reference
/// so the variant does not make every [`Error`] larger (it stays 32 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadArg {
    /// The argument (or option field).
    pub name: &'static str,
    /// What it must be.
    pub why: &'static str,
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
