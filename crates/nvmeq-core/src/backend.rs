//! The [`Backend`] trait: one interface for the ram, ioctl, io_uring and VFIO
//! backends, so the CLI, the benches and the conformance suite are generic.
//!
//! # Why the design is sound
//!
//! A DMA-capable transport is only safe if (1) the device never transfers more
//! bytes than the buffer holds and (2) the buffer outlives the transfer.
//!
//! 1. **Lengths come from the command and are checked against the buffer.**
//!    A [`Cmd`] says how much it transfers ([`crate::Xfer`]), derived from its
//!    own fields by the builder (NLB, NUMD, a fixed structure size). Before
//!    anything reaches the kernel or the device, a backend resolves that size
//!    (multiplying blocks by the namespace's LBA data size) and refuses a buffer
//!    that is smaller ([`Error::BufferTooSmall`]). The length given to the
//!    kernel or encoded in PRPs is the command's, never more than the buffer.
//! 2. **In-flight buffers are owned by the queue.** The synchronous
//!    [`Backend::execute`] borrows its buffer for the duration of the call, which
//!    returns only after the completion ([`Backend::execute_with`] and
//!    [`Backend::execute_vec`] borrow their metadata and segments the same way). The queue interface
//!    ([`Backend::push`], [`Backend::submit`], [`Backend::reap`]) *moves* a
//!    [`Backend::Buf`] into the queue; the caller gets it back only inside the
//!    [`Reaped`] of that command's completion. No safe code can hold `&mut` to
//!    memory the device may still write, and no buffer can be freed early.
//!    A backend whose queue is dropped with commands in flight must wait for
//!    (or cancel and then wait for) them before freeing their buffers.
//!
//! Backends own PRP/SGL construction, command ids and doorbells; a [`Cmd`]
//! carries none of them.

use crate::cmd::{Cmd, DataDir};
use crate::cqe::Completion;
use crate::error::{Error, Feature};

/// What a backend can do, as measured from the controller and the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Which backend this is.
    pub kind: crate::BackendKind,
    /// Largest data transfer in bytes (from MDTS and the transport's limit).
    pub max_xfer: u32,
    /// Commands that can be in flight on the queue interface at once.
    pub queue_depth: u32,
    /// Whether admin commands can be sent.
    pub admin: bool,
    /// Whether separate metadata buffers are supported.
    pub metadata: bool,
}

/// A caller's data for a synchronous command.
#[derive(Debug)]
pub enum Data<'a> {
    /// The command moves no data.
    None,
    /// Host to controller.
    ToDevice(&'a [u8]),
    /// Controller to host.
    FromDevice(&'a mut [u8]),
}

impl Data<'_> {
    /// The buffer's length.
    #[inline]
    pub fn len(&self) -> usize {
        match self {
            Data::None => 0,
            Data::ToDevice(b) => b.len(),
            Data::FromDevice(b) => b.len(),
        }
    }

    /// True when there is no data.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The check every backend runs before a transfer: when the command moves
    /// data, the buffer's direction matches and it holds at least `need` bytes.
    /// Returns `need`, the length to transfer (a larger buffer is not used past it).
    #[inline]
    pub fn check(&self, dir: DataDir, need: u64) -> Result<u32, Error> {
        let given = match self {
            Data::None => "no buffer",
            Data::ToDevice(_) => "a buffer to write to the device",
            Data::FromDevice(_) => "a buffer to read into",
        };
        if need == 0 {
            return Ok(0);
        }
        let ok = matches!(
            (dir, self),
            (DataDir::ToDevice, Data::ToDevice(_))
                | (DataDir::FromDevice, Data::FromDevice(_))
                | (DataDir::Both, Data::FromDevice(_))
        );
        if !ok {
            return Err(Error::BufferMismatch {
                expected: dir,
                given,
            });
        }
        check_len(need, self.len())
    }
}

/// A caller's data spread over several buffers, for a synchronous vectored
/// command ([`Backend::execute_vec`]); the segments are borrowed for the
/// call, which returns only after the completion. They are used in order
/// until they hold the command's transfer length.
#[derive(Debug)]
pub enum VecData<'s, 'a> {
    /// Host to controller.
    ToDevice(&'s [&'a [u8]]),
    /// Controller to host (also for bidirectional opcodes).
    FromDevice(&'s mut [&'a mut [u8]]),
}

impl VecData<'_, '_> {
    /// The bytes all segments hold.
    pub fn len(&self) -> usize {
        match self {
            VecData::ToDevice(s) => s.iter().map(|b| b.len()).sum(),
            VecData::FromDevice(s) => s.iter().map(|b| b.len()).sum(),
        }
    }

    /// True when the segments hold no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that the segments' direction is the command's.
    pub fn check_dir(&self, dir: DataDir) -> Result<(), Error> {
        match (dir, self) {
            (DataDir::ToDevice, VecData::ToDevice(_))
            | (DataDir::FromDevice | DataDir::Both, VecData::FromDevice(_)) => Ok(()),
            _ => Err(Error::BufferMismatch {
                expected: dir,
                given: match self {
                    VecData::ToDevice(_) => "segments to write to the device",
                    VecData::FromDevice(_) => "segments to read into",
                },
            }),
        }
    }
}

/// Checks that a buffer of `have` bytes can hold a transfer of `need` bytes.
pub fn check_len(need: u64, have: usize) -> Result<u32, Error> {
    if need > have as u64 {
        return Err(Error::BufferTooSmall { need, have });
    }
    u32::try_from(need).map_err(|_| Error::TransferTooLarge { len: need })
}

/// A buffer a backend can hand to its transport.
pub trait IoBuf {
    /// The bytes.
    fn as_slice(&self) -> &[u8];
    /// The bytes, writable.
    fn as_mut_slice(&mut self) -> &mut [u8];
    /// The length in bytes.
    fn len(&self) -> usize {
        self.as_slice().len()
    }
    /// True for an empty buffer.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A command [`Backend::push`] did not queue, with its buffer handed back
/// (as io-uring's `PushError` and openvmm's `QueueFull`).
#[derive(Debug)]
pub enum Rejected<B> {
    /// The queue is full: back-pressure, not an error. Reap completions, then
    /// write the command again with the returned buffer.
    Full(Option<B>),
    /// The command cannot be queued as given (bad buffer, transfer too large, …).
    Invalid {
        /// Why.
        error: Error,
        /// The buffer, returned to the caller.
        buf: Option<B>,
    },
}

impl<B> Rejected<B> {
    /// True for [`Rejected::Full`].
    #[inline]
    pub fn is_full(&self) -> bool {
        matches!(self, Rejected::Full(_))
    }

    /// The error of an [`Invalid`](Rejected::Invalid) command; `None` for a full queue.
    #[inline]
    pub fn error(&self) -> Option<&Error> {
        match self {
            Rejected::Full(_) => None,
            Rejected::Invalid { error, .. } => Some(error),
        }
    }

    /// The returned buffer, whatever the reason.
    #[inline]
    pub fn into_buf(self) -> Option<B> {
        match self {
            Rejected::Full(buf) | Rejected::Invalid { buf, .. } => buf,
        }
    }

    /// The reason as an [`Error`], dropping the buffer: [`Error::QueueFull`]
    /// for a full queue. For callers that treat back-pressure as a failure.
    #[inline]
    pub fn into_error(self) -> Error {
        match self {
            Rejected::Full(_) => Error::QueueFull,
            Rejected::Invalid { error, .. } => error,
        }
    }

    /// The same rejection with its buffer converted by `f`.
    #[inline]
    pub fn map_buf<C>(self, f: impl FnOnce(B) -> C) -> Rejected<C> {
        match self {
            Rejected::Full(buf) => Rejected::Full(buf.map(f)),
            Rejected::Invalid { error, buf } => Rejected::Invalid {
                error,
                buf: buf.map(f),
            },
        }
    }
}

/// One finished command from the queue interface.
#[derive(Debug)]
pub struct Reaped<B> {
    /// The tag given to [`Backend::push`].
    pub tag: u64,
    /// The completion, or why the command failed.
    pub result: Result<Completion, Error>,
    /// The buffer given to [`Backend::push`], returned.
    pub buf: Option<B>,
    /// The metadata buffer given to [`Backend::push_with`], returned.
    pub meta: Option<B>,
}

/// A command's data and separate metadata buffers, handed back together by
/// a rejected [`Backend::push_with`].
#[derive(Debug)]
pub struct WithMeta<B> {
    /// The data buffer.
    pub data: Option<B>,
    /// The metadata buffer.
    pub meta: Option<B>,
}

/// A transport that executes NVMe commands.
///
/// Two interfaces share one backend: [`execute`](Backend::execute) runs one
/// command and blocks; the queue interface writes many commands
/// ([`push`](Backend::push), no syscall), submits them together and waits
/// ([`submit`](Backend::submit), at most one syscall or doorbell per batch), and
/// hands back completions with their buffers ([`reap`](Backend::reap)).
pub trait Backend {
    /// The buffer type the queue interface takes ownership of.
    type Buf: IoBuf;

    /// What this backend and controller can do.
    fn caps(&self) -> Caps;

    /// Bytes per block in the data buffer for namespace `nsid`'s current
    /// format, used to turn [`crate::Xfer::Blocks`] into bytes: the LBA data
    /// size, plus the metadata size on an extended-LBA format (whose
    /// metadata travels in the data buffer); [`crate::format::NsFormat::block_bytes`].
    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error>;

    /// A buffer of `len` bytes suitable for this backend's transfers (aligned,
    /// DMA-mapped or registered as the backend needs), zero-filled.
    fn alloc(&mut self, len: usize) -> Result<Self::Buf, Error>;

    /// Runs one command and waits for its completion. A non-success NVMe status
    /// is returned as `Err(Error::Status)`. It is
    /// [`execute_with`](Backend::execute_with) without metadata.
    fn execute(&mut self, cmd: &Cmd, data: Data<'_>) -> Result<Completion, Error> {
        self.execute_with(cmd, data, Data::None)
    }

    /// Runs one command with a separate metadata buffer (`meta`, in the
    /// data's direction; [`Data::None`] when the namespace's format has none
    /// or the command moves no blocks). Its required length is the block
    /// count × the format's metadata size; a longer buffer is not used past it.
    ///
    /// Every backend implements this one method for single-buffer commands;
    /// one that cannot move metadata (`Caps::metadata` false) refuses a
    /// non-empty `meta` with [`Error::NotSupported`]`(`[`Feature::Metadata`]`)`.
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error>;

    /// Runs one command whose data is spread over several buffers, with an
    /// optional separate metadata buffer as in
    /// [`execute_with`](Backend::execute_with). The segments are used in
    /// order until they hold the command's transfer length: empty ones are
    /// skipped, the last one used is cut, later ones are not given to the
    /// transport; too few bytes in all is [`Error::BufferTooSmall`].
    ///
    /// The default refuses with [`Error::NotSupported`].
    fn execute_vec(
        &mut self,
        cmd: &Cmd,
        data: VecData<'_, '_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        let _ = (cmd, data, meta);
        Err(Error::NotSupported(Feature::Vectored))
    }

    /// Queues a command without submitting it. The buffer's direction is the
    /// command's; the queue owns the buffer until [`reap`](Backend::reap)
    /// returns it. A full queue hands the command back ([`Rejected`]).
    fn push(
        &mut self,
        cmd: &Cmd,
        buf: Option<Self::Buf>,
        tag: u64,
    ) -> Result<(), Rejected<Self::Buf>>;

    /// Queues a command with a separate metadata buffer (as in
    /// [`execute_with`](Backend::execute_with)); the queue owns both until
    /// [`reap`](Backend::reap) returns them ([`Reaped::buf`], [`Reaped::meta`]).
    ///
    /// The default queues with [`push`](Backend::push) when there is no
    /// metadata and refuses metadata with [`Error::NotSupported`], handing
    /// both buffers back.
    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<Self::Buf>,
        meta: Option<Self::Buf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<Self::Buf>>> {
        if meta.is_none() {
            return self.push(cmd, data, tag).map_err(|r| {
                r.map_buf(|b| WithMeta {
                    data: Some(b),
                    meta: None,
                })
            });
        }
        Err(Rejected::Invalid {
            error: Error::NotSupported(Feature::Metadata),
            buf: Some(WithMeta { data, meta }),
        })
    }

    /// Submits every pushed command and waits until at least `min_complete`
    /// completions are ready (0: do not wait), in one syscall or doorbell.
    /// Returns the number of commands submitted. On a polled backend (an
    /// IOPOLL ring) completions appear only from a submit, so a caller that
    /// spins for them calls `submit(0)` between reaps, not `reap` alone.
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error>;

    /// Hands every ready completion to `f`, without blocking. Returns how many.
    /// Generic, so the call per completion is static (and usually inlined).
    fn reap(&mut self, f: impl FnMut(Reaped<Self::Buf>)) -> usize;

    /// Commands written or submitted and not yet reaped.
    fn in_flight(&self) -> u32;

    /// Syscalls (or MMIO doorbell writes, for a userspace driver) this backend
    /// has made so far, for benchmarks' per-I/O accounting; `None` when the
    /// backend does not count them.
    fn syscalls(&self) -> Option<u64> {
        None
    }
}
