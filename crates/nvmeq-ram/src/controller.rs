//! [`RamController`]: the controller state and its [`Backend`] implementation.

use std::collections::{BTreeSet, VecDeque};

use nvmeq_core::cqe::StatusField;
use nvmeq_core::format::NsFormat;
use nvmeq_core::sync_queue::{Queued, SyncQueue};
use nvmeq_core::{
    Backend, Caps, Cmd, Command, Completion, Data, Error, QueueKind, Reaped, Rejected, Status,
    WithMeta, Xfer,
};

use crate::buf::RamBuf;
use crate::config::{ConfigError, RamConfig};
use crate::firmware::Firmware;
use crate::health::{ErrorLog, Smart};
use crate::media::Media;
use crate::meta::Scratch;
use crate::sanitize::SanitizeRecord;
use crate::self_test::SelfTest;
use crate::status::{dnr, Fail};

/// Bytes of the scratch buffer the Copy command moves data through.
const COPY_SCRATCH: usize = 64 << 10;

/// One namespace: its storage and geometry.
#[derive(Debug)]
pub(crate) struct Namespace {
    pub media: Media,
    /// Metadata, `fmt.ms` bytes per block (empty without metadata).
    pub meta: Media,
    /// The LBA format as the host's buffers see it.
    pub fmt: NsFormat,
    /// Namespace Size in logical blocks (NSZE).
    pub nsze: u64,
    /// log2 of the LBA data size (LBADS).
    pub lbads: u8,
    /// Allocated (created): holds capacity and an NSID.
    pub allocated: bool,
    /// Attached to the controller: the NSID is active and takes I/O.
    pub attached: bool,
}

impl Namespace {
    pub(crate) fn lba_size(&self) -> u32 {
        1 << self.lbads
    }

    /// An attached namespace of `nsze` blocks in `fmt`, reading as zeroes.
    pub(crate) fn new(nsze: u64, lbads: u8, fmt: NsFormat) -> Self {
        Namespace {
            media: Media::new(nsze << lbads),
            meta: Media::new(nsze * fmt.ms as u64),
            fmt,
            nsze,
            lbads,
            allocated: true,
            attached: true,
        }
    }

    /// An NSID with no namespace: no storage, no capacity.
    pub(crate) fn unallocated(fmt: NsFormat, lbads: u8) -> Self {
        Namespace {
            allocated: false,
            attached: false,
            ..Namespace::new(0, lbads, fmt)
        }
    }

    /// Active: allocated and attached, so Identify and I/O see it.
    pub(crate) fn is_active(&self) -> bool {
        self.allocated && self.attached
    }

    /// Bytes of NVM capacity the namespace takes (NVMCAP).
    pub(crate) fn nvmcap(&self) -> u64 {
        if self.allocated {
            self.nsze << self.lbads
        } else {
            0
        }
    }
}

/// Current values of the features the controller implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Features {
    /// Arbitration (FID 01h), CDW11 layout.
    pub arbitration: u32,
    /// Volatile Write Cache Enable (FID 06h).
    pub wce: bool,
    /// Number of Queues (FID 07h): NSQA and NCQA, zero-based.
    pub nsqa_z: u16,
    /// NCQA, zero-based.
    pub ncqa_z: u16,
}

impl Features {
    /// Values after a reset. Arbitration Burst 111b: no limit.
    pub(crate) const DEFAULT: Features = Features {
        arbitration: 0b111,
        wce: true,
        nsqa_z: crate::admin::MAX_IO_QUEUES - 1,
        ncqa_z: crate::admin::MAX_IO_QUEUES - 1,
    };
}

/// Storage for the queue interface, allocated once with the queue depth
/// (which [`SyncQueue`] never exceeds, so it never grows).
#[derive(Debug)]
struct Fifo<T>(VecDeque<T>);

impl<T> nvmeq_core::sync_queue::Fifo<T> for Fifo<T> {
    #[inline]
    fn push_back(&mut self, t: T) -> Result<(), T> {
        self.0.push_back(t);
        Ok(())
    }
    #[inline]
    fn pop_front(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    #[inline]
    fn len(&self) -> usize {
        self.0.len()
    }
    #[inline]
    fn drain_in_place(&mut self, mut f: impl FnMut(&mut T)) {
        for t in self.0.iter_mut() {
            f(t);
        }
        self.0.clear();
    }
}

type Queue = SyncQueue<RamBuf, Fifo<Queued<RamBuf>>, Fifo<Reaped<RamBuf>>>;

/// Per-queue position: command ids, the SQ head and the phase tag.
#[derive(Debug, Clone, Copy)]
struct QueueState {
    next_cid: u16,
    /// Entries consumed in the current pass, `0..depth`.
    head: u32,
    /// The phase tag of the current pass: 1 on the first.
    phase: bool,
}

impl QueueState {
    const NEW: QueueState = QueueState {
        next_cid: 0,
        head: 0,
        phase: true,
    };
}

/// An NVMe controller in memory.
///
/// It decodes each 64-byte submission entry as a device would, checks it as
/// the specification says, executes it against sparse in-memory namespaces
/// and answers with a real completion entry; failures are logged in the Error
/// Information log and counted in the SMART log. See the crate documentation
/// for the command set.
#[derive(Debug)]
pub struct RamController {
    pub(crate) cfg: RamConfig,
    pub(crate) ns: Vec<Namespace>,
    pub(crate) smart: Smart,
    pub(crate) errors: ErrorLog,
    pub(crate) features: Features,
    pub(crate) self_test: SelfTest,
    pub(crate) telemetry: crate::telemetry::Telemetry,
    pub(crate) events: crate::event_log::EventLog,
    pub(crate) scratch: Box<[u8]>,
    pub(crate) meta_scratch: Scratch,
    /// NSIDs whose attachment changed since the Changed Attached Namespace
    /// List was last read.
    pub(crate) changed_ns: BTreeSet<u32>,
    /// NSIDs created or deleted since the Changed Allocated Namespace List
    /// was last read. Not kept in the state file: a controller opened from
    /// one starts with the list empty.
    pub(crate) changed_alloc_ns: BTreeSet<u32>,
    pub(crate) firmware: Firmware,
    pub(crate) sanitized: SanitizeRecord,
    pub(crate) rpmb: crate::rpmb::Rpmb,
    /// The state file (`open_file`), written back on drop.
    pub(crate) backing: Option<crate::state::Backing>,
    queue: Queue,
    queues: [QueueState; 2],
}

impl RamController {
    /// A controller with `cfg`'s namespaces, all reading as zeroes.
    pub fn new(cfg: RamConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let lbads = cfg.lba_size.trailing_zeros() as u8;
        let nsze = cfg.ns_size >> lbads;
        let ns = (0..cfg.nn_max())
            .map(|i| {
                if i < cfg.nn {
                    Namespace::new(nsze, lbads, cfg.format())
                } else {
                    Namespace::unallocated(cfg.format(), lbads)
                }
            })
            .collect();
        let depth = cfg.queue_depth as usize;
        Ok(RamController {
            ns,
            smart: Smart::default(),
            errors: ErrorLog::default(),
            features: Features::DEFAULT,
            self_test: SelfTest::default(),
            telemetry: Default::default(),
            events: crate::event_log::EventLog::new(crate::identify::FR),
            scratch: vec![0; COPY_SCRATCH].into_boxed_slice(),
            meta_scratch: Scratch::default(),
            changed_ns: BTreeSet::new(),
            changed_alloc_ns: BTreeSet::new(),
            firmware: Firmware::default(),
            sanitized: SanitizeRecord::default(),
            rpmb: Default::default(),
            backing: None,
            queue: SyncQueue::new(
                Fifo(VecDeque::with_capacity(depth)),
                Fifo(VecDeque::with_capacity(depth)),
                cfg.queue_depth,
            ),
            queues: [QueueState::NEW; 2],
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &RamConfig {
        &self.cfg
    }

    /// Bytes of namespace storage currently backed by memory (all namespaces).
    pub fn allocated_bytes(&self) -> u64 {
        self.ns.iter().map(|n| n.media.allocated_bytes()).sum()
    }

    /// The namespace `nsid`, if active (allocated and attached).
    pub(crate) fn namespace(&self, nsid: u32) -> Option<&Namespace> {
        self.allocated(nsid).filter(|n| n.attached)
    }

    /// The namespace `nsid`, if allocated, attached or not.
    pub(crate) fn allocated(&self, nsid: u32) -> Option<&Namespace> {
        nsid.checked_sub(1)
            .and_then(|i| self.ns.get(i as usize))
            .filter(|n| n.allocated)
    }

    /// The bytes the command transfers in its data and metadata buffers, and
    /// the buffers may be checked against: `None` when the namespace is
    /// unknown (the controller then fails the command with Invalid Namespace
    /// or Format before touching data). A format with metadata counts it in
    /// the data (extended LBA) or the metadata buffer, unless PRACT has the
    /// controller insert and strip metadata that is PI only.
    fn xfer_lens(&self, cmd: &Cmd) -> Option<(u64, u64)> {
        match cmd.xfer {
            Xfer::None => Some((0, 0)),
            Xfer::Bytes(n) => Some((n as u64, 0)),
            Xfer::Blocks(n) => self.namespace(cmd.nsid()).map(|ns| {
                if ns.fmt.ms == 0 || cmd.queue != QueueKind::Io {
                    (n as u64 * ns.lba_size() as u64, 0)
                } else {
                    crate::meta::lens(ns, &cmd.sqe, n as u64)
                }
            }),
        }
    }

    /// Runs one decoded command and builds its completion; logs failures.
    // Inlined so the completion is built where it is stored: returning it
    // through memory stalled on store forwarding (16-byte load after
    // narrower stores), about half of `submit`'s time.
    #[inline(always)]
    fn complete(
        &mut self,
        queue: QueueKind,
        sqe: &Command,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Completion {
        let qi = match queue {
            QueueKind::Admin => 0,
            QueueKind::Io => 1,
        };
        let depth = self.cfg.queue_depth;
        let state = &mut self.queues[qi];
        let cid = state.next_cid;
        state.next_cid = state.next_cid.wrapping_add(1);
        let phase = state.phase;
        state.head += 1;
        if state.head == depth {
            state.head = 0;
            state.phase = !state.phase;
        }
        let sqhd = state.head as u16;
        // A device self-test advances while commands arrive.
        if self.self_test.is_running() {
            self.self_test.step();
        }

        let outcome = match queue {
            QueueKind::Admin => self.admin(sqe, data),
            QueueKind::Io => self.io(sqe, data, meta),
        };
        let (result, status) = match outcome {
            Ok(r) => (r, Status::SUCCESS),
            Err(f) => {
                self.errors.record(
                    qi as u16,
                    cid,
                    f.status,
                    phase,
                    f.param,
                    f.lba,
                    sqe.nsid,
                    sqe.opcode(),
                );
                (0, f.status)
            }
        };
        Completion {
            dw0: result as u32,
            dw1: (result >> 32) as u32,
            sqhd,
            sqid: qi as u16,
            cid,
            sf: StatusField::new()
                .with_p(phase)
                .with_status(status.into_bits()),
        }
    }
}

/// The caller's buffer as the controller sees it: exactly the transfer the
/// command was checked for.
pub(crate) fn data_out<'a>(data: &'a Data<'_>, need: u64) -> Result<&'a [u8], Fail> {
    match data {
        Data::ToDevice(b) if b.len() as u64 >= need => Ok(&b[..need as usize]),
        _ if need == 0 => Ok(&[]),
        _ => Err(Fail::unspecific(dnr(Status::DATA_TRANSFER_ERROR))),
    }
}

/// The caller's buffer to fill, exactly `need` bytes of it.
pub(crate) fn data_in<'a>(data: &'a mut Data<'_>, need: u64) -> Result<&'a mut [u8], Fail> {
    match data {
        Data::FromDevice(b) if b.len() as u64 >= need => Ok(&mut b[..need as usize]),
        _ => Err(Fail::unspecific(dnr(Status::DATA_TRANSFER_ERROR))),
    }
}

/// The caller's metadata buffer to fill, exactly `need` bytes of it (empty
/// when nothing is transferred).
pub(crate) fn meta_in<'a>(meta: &'a mut Data<'_>, need: u64) -> Result<&'a mut [u8], Fail> {
    match meta {
        _ if need == 0 => Ok(&mut []),
        Data::FromDevice(b) if b.len() as u64 >= need => Ok(&mut b[..need as usize]),
        _ => Err(Fail::unspecific(dnr(Status::DATA_TRANSFER_ERROR))),
    }
}

/// The metadata buffer must be there exactly when the command moves
/// metadata: without one the device would move it at address 0.
fn check_meta(need: u64, has: bool) -> Result<(), Error> {
    match (need > 0, has) {
        (true, false) => Err(Error::MetadataRequired),
        (false, true) => Err(Error::MetadataForbidden),
        _ => Ok(()),
    }
}

/// Truncates the caller's data to the checked transfer length.
fn truncate(data: Data<'_>, len: usize) -> Data<'_> {
    match data {
        Data::None => Data::None,
        Data::ToDevice(b) => Data::ToDevice(&b[..len.min(b.len())]),
        Data::FromDevice(b) => {
            let n = len.min(b.len());
            Data::FromDevice(&mut b[..n])
        }
    }
}

impl Backend for RamController {
    type Buf = RamBuf;

    fn caps(&self) -> Caps {
        Caps {
            kind: nvmeq_core::BackendKind::Ram,
            max_xfer: self.cfg.max_xfer(),
            queue_depth: self.cfg.queue_depth,
            admin: true,
            metadata: true,
        }
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        // The data buffer's bytes per block, as every backend reports it:
        // on an extended-LBA format the metadata is part of them.
        self.namespace(nsid)
            .map(|ns| ns.fmt.block_bytes)
            .ok_or(Error::UnknownNamespace(nsid))
    }

    fn alloc(&mut self, len: usize) -> Result<RamBuf, Error> {
        Ok(RamBuf::zeroed(len))
    }

    /// Runs a command with a separate metadata buffer, which must be there
    /// exactly when the namespace's format moves metadata separately
    /// ([`Error::MetadataRequired`], [`Error::MetadataForbidden`]).
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        let (len, meta_len) = match self.xfer_lens(cmd) {
            Some((need, meta_need)) => {
                let len = data.check(cmd.dir, need)? as usize;
                check_meta(meta_need, !meta.is_empty())?;
                (len, meta.check(cmd.dir, meta_need)? as usize)
            }
            None => (0, 0),
        };
        let (data, meta) = (truncate(data, len), truncate(meta, meta_len));
        self.complete(cmd.queue, &cmd.sqe, data, meta).ok()
    }

    fn push(&mut self, cmd: &Cmd, buf: Option<RamBuf>, tag: u64) -> Result<(), Rejected<RamBuf>> {
        if self.in_flight() >= self.cfg.queue_depth {
            return Err(Rejected::Full(buf));
        }
        // Checked before the buffer; the queue owns the buffer, so only its length and presence matter.
        let checked = match (self.xfer_lens(cmd), &buf) {
            (Some((_, m)), _) if m > 0 => Err(Error::MetadataRequired),
            (None | Some((0, _)), _) => Ok(0),
            (Some((need, _)), Some(b)) => nvmeq_core::backend::check_len(need, b.0.len()),
            (Some(_), None) => Err(Error::BufferMismatch {
                expected: cmd.dir,
                given: "no buffer",
            }),
        };
        match checked {
            Ok(len) => self.queue.push(cmd, buf, tag, len),
            Err(e) => Err(Rejected::Invalid { error: e, buf }),
        }
    }

    /// Queues a command with a separate metadata buffer; [`reap`](Backend::reap)
    /// returns both buffers.
    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<RamBuf>,
        meta: Option<RamBuf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<RamBuf>>> {
        let Some(meta) = meta else {
            return self.push(cmd, data, tag).map_err(|r| {
                r.map_buf(|b| WithMeta {
                    data: Some(b),
                    meta: None,
                })
            });
        };
        let bufs = WithMeta {
            data,
            meta: Some(meta),
        };
        if self.in_flight() >= self.cfg.queue_depth {
            return Err(Rejected::Full(Some(bufs)));
        }
        let checked = match self.xfer_lens(cmd) {
            None => Ok((0, 0)),
            Some((need, meta_need)) => check_meta(meta_need, true).and_then(|()| {
                let len = match &bufs.data {
                    _ if need == 0 => Ok(0),
                    Some(b) => nvmeq_core::backend::check_len(need, b.0.len()),
                    None => Err(Error::BufferMismatch {
                        expected: cmd.dir,
                        given: "no buffer",
                    }),
                }?;
                let have = bufs.meta.as_ref().map_or(0, |b| b.0.len());
                Ok((len, nvmeq_core::backend::check_len(meta_need, have)?))
            }),
        };
        match checked {
            Ok((len, meta_len)) => self
                .queue
                .push_with(cmd, bufs.data, bufs.meta, tag, len, meta_len),
            Err(error) => Err(Rejected::Invalid {
                error,
                buf: Some(bufs),
            }),
        }
    }

    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.queue.check_wait(min_complete)?;
        // Out of `self` while its commands run against the rest of it; the
        // stand-in allocates nothing and the queue keeps its capacity.
        let placeholder = Queue::new(Fifo(VecDeque::new()), Fifo(VecDeque::new()), 0);
        let mut queue = std::mem::replace(&mut self.queue, placeholder);
        let n = queue.run_pending_with(|cmd, data, meta| {
            self.complete(cmd.queue, &cmd.sqe, data, meta).ok()
        });
        self.queue = queue;
        Ok(n)
    }

    fn reap(&mut self, f: impl FnMut(Reaped<RamBuf>)) -> usize {
        self.queue.reap(f)
    }

    fn in_flight(&self) -> u32 {
        self.queue.in_flight()
    }
}
