//! [`TcpBackend`]: the [`Backend`] trait over NVMe/TCP.

use std::collections::VecDeque;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use nvmeq_core::cmd::{Identify, KeepAlive, SetFeatures};
use nvmeq_core::fabrics::FcType;
use nvmeq_core::format::{self, FormatCache, NsFormat};
use nvmeq_core::{
    Backend, BackendKind, Caps, Cmd, Completion, Data, DataDir, Error, IdentifyController,
    IdentifyNamespace, IoBuf, QueueKind, Reaped, Rejected, Xfer,
};
use zerocopy::FromBytes;

use crate::buf::TcpBuf;
use crate::connect::{self, Admin};
use crate::error::OpenError;
use crate::queue::Queue;
use crate::TcpOptions;

/// How long [`TcpBackend::reconnect`] keeps asking while the target still
/// holds the lost connection's queue.
const RECONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);
/// When the controller reports no MDTS (nvmet-tcp does not): the largest
/// transfer one command may ask for here.
pub const FALLBACK_MAX_XFER: u32 = 4 << 20;

/// Admin commands the queue interface holds at once.
const ADMIN_QUEUED: usize = 16;

/// What Identify Controller and the connection told about the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtrlInfo {
    /// The controller id.
    pub cntlid: u16,
    /// I/O queue entries (SQSIZE + 1).
    pub io_depth: u16,
    /// Largest in-capsule write on an I/O queue (0: never in-capsule).
    pub icsz: u32,
    /// Largest transfer per command.
    pub max_xfer: u32,
    /// VS.
    pub vs: u32,
}

struct AdminState {
    admin: Admin,
    info: CtrlInfo,
    /// Bumped each time the association is made anew.
    generation: u64,
}

struct Shared {
    opts: TcpOptions,
    admin: Mutex<AdminState>,
    spare: Mutex<Vec<Queue>>,
    /// Dropped with the last handle, which stops the keep-alive thread.
    _ka_stop: Option<mpsc::Sender<()>>,
}

impl Shared {
    fn admin(&self) -> MutexGuard<'_, AdminState> {
        // A panic while holding the lock cannot leave the queue half
        // written (each call runs to a completion or fails the queue).
        self.admin.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A queue handle to an NVMe/TCP controller: one I/O queue (its own TCP
/// connection) plus the admin queue, shared with the other handles of the
/// same association ([`TcpBackend::take_queue`]), which other threads can own.
///
/// Loss of the connection completes every command in flight with an error
/// and its buffer; [`TcpBackend::reconnect`] makes a new connection (and a
/// new association when the admin queue is gone too).
pub struct TcpBackend {
    shared: Arc<Shared>,
    io: Option<Queue>,
    qid: u16,
    generation: u64,
    info: CtrlInfo,
    scratch: Option<TcpBuf>,
    formats: FormatCache<16>,
    admin_pending: VecDeque<(Cmd, Option<TcpBuf>, u64)>,
    admin_done: VecDeque<Reaped<TcpBuf>>,
    admin_syscalls: u64,
}

impl core::fmt::Debug for TcpBackend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TcpBackend")
            .field("host", &self.shared.opts.host)
            .field("port", &self.shared.opts.port)
            .field("subnqn", &self.shared.opts.subnqn)
            .field("qid", &self.qid)
            .field("info", &self.info)
            .finish()
    }
}

/// Identify Controller, then the controller facts the backend needs.
/// Identify Controller's CNTRLTYPE of a discovery controller.
const CNTRLTYPE_DISCOVERY: u8 = 2;

fn identify(a: &mut Admin, opts: &TcpOptions) -> Result<(CtrlInfo, IdentifyController), OpenError> {
    let mut id = [0u8; 4096];
    connect::run(&mut a.queue, &Identify::controller().build(), Some(&mut id)).map_err(
        |source| OpenError::Command {
            step: "Identify Controller",
            source,
        },
    )?;
    let ctrl = IdentifyController::read_from_bytes(&id[..]).map_err(|_| OpenError::Command {
        step: "Identify Controller",
        source: Error::Malformed("Identify Controller (wrong size)"),
    })?;
    let mdts = ctrl
        .mdts_bytes(a.cap.mps_min_bytes())
        .and_then(|b| u32::try_from(b).ok());
    let icsz = if ctrl.icdoff != 0 {
        // Linux does not send in-capsule data at an offset either.
        0
    } else {
        (ctrl.ioccsz.saturating_mul(16)).saturating_sub(64)
    };
    let io_depth = opts
        .queue_size
        .min(a.cap.max_queue_entries().min(u16::MAX as u32) as u16)
        .max(2);
    Ok((
        CtrlInfo {
            cntlid: a.cntlid,
            io_depth,
            icsz,
            max_xfer: mdts.unwrap_or(FALLBACK_MAX_XFER).min(FALLBACK_MAX_XFER),
            vs: a.vs,
        },
        ctrl,
    ))
}

/// Sends Keep Alive every half KATO while any handle lives.
fn keep_alive(shared: Weak<Shared>, stop: mpsc::Receiver<()>, every: Duration) {
    loop {
        match stop.recv_timeout(every) {
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            _ => return,
        }
        let Some(s) = shared.upgrade() else { return };
        let mut a = s.admin();
        if a.admin.queue.failed().is_none() {
            let _ = connect::run(&mut a.admin.queue, &KeepAlive.build(), None);
        }
    }
}

impl TcpBackend {
    /// Connects to `opts.subnqn`: the admin queue (Connect, CAP, VS, CC.EN,
    /// CSTS.RDY, Identify), then `opts.nr_io_queues` I/O queues (as many as
    /// Set Features Number of Queues grants). The returned handle owns the
    /// first; [`take_queue`](Self::take_queue) hands out the others.
    pub fn connect(opts: TcpOptions) -> Result<Self, OpenError> {
        if opts.nr_io_queues == 0 {
            return Err(OpenError::BadOption(
                "nr_io_queues must be at least 1".into(),
            ));
        }
        if opts.queue_size < 2 {
            return Err(OpenError::BadOption(
                "queue_size must be at least 2 (SQSIZE is zero-based)".into(),
            ));
        }
        let (admin, info, queues) = Self::associate(&opts)?;
        let kato = opts.kato;
        let (tx, rx) = mpsc::channel();
        let ka = (!kato.is_zero()).then_some(tx);
        let mut queues = queues.into_iter();
        let first = queues.next();
        let shared = Arc::new(Shared {
            opts,
            admin: Mutex::new(AdminState {
                admin,
                info,
                generation: 0,
            }),
            spare: Mutex::new(queues.collect()),
            _ka_stop: ka,
        });
        if !kato.is_zero() {
            let weak = Arc::downgrade(&shared);
            std::thread::Builder::new()
                .name("nvmeq-tcp-keepalive".into())
                .spawn(move || keep_alive(weak, rx, kato / 2))
                .map_err(|source| OpenError::Io {
                    addr: "keep-alive thread".into(),
                    source,
                })?;
        }
        Ok(Self::handle(shared, first, info, 0))
    }

    fn handle(shared: Arc<Shared>, io: Option<Queue>, info: CtrlInfo, generation: u64) -> Self {
        TcpBackend {
            qid: io.as_ref().map_or(0, |q| q.qid),
            shared,
            io,
            generation,
            info,
            scratch: None,
            formats: FormatCache::new(),
            admin_pending: VecDeque::with_capacity(ADMIN_QUEUED),
            admin_done: VecDeque::with_capacity(ADMIN_QUEUED),
            admin_syscalls: 0,
        }
    }

    /// A new association: admin queue, Identify, Number of Queues, I/O
    /// queues (none for a discovery controller).
    fn associate(opts: &TcpOptions) -> Result<(Admin, CtrlInfo, Vec<Queue>), OpenError> {
        let mut admin = connect::admin(opts)?;
        let (info, ctrl) = identify(&mut admin, opts)?;
        if ctrl.cntrltype == CNTRLTYPE_DISCOVERY {
            // A discovery controller has no I/O queues (nor the Number of
            // Queues feature): its association is the admin queue alone.
            return Ok((admin, info, Vec::new()));
        }
        let want = opts.nr_io_queues;
        let c = connect::run(
            &mut admin.queue,
            &SetFeatures::num_queues(want - 1, want - 1).build(),
            None,
        )
        .map_err(|source| OpenError::Command {
            step: "Set Features Number of Queues",
            source,
        })?;
        let (sq, cq) = SetFeatures::queues_allocated(&c);
        let n = want.min(sq.saturating_add(1)).min(cq.saturating_add(1));
        let mut queues = Vec::with_capacity(n as usize);
        for qid in 1..=n {
            queues.push(connect::io_queue(
                opts,
                info.cntlid,
                qid,
                info.io_depth,
                info.icsz,
            )?);
        }
        Ok((admin, info, queues))
    }

    /// Another handle of the same association with one of the I/O queues
    /// connected at open (for another thread); `None` when all are taken.
    pub fn take_queue(&self) -> Option<TcpBackend> {
        let q = self
            .shared
            .spare
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()?;
        Some(Self::handle(
            self.shared.clone(),
            Some(q),
            self.info,
            self.generation,
        ))
    }

    /// How long each command may take on this handle's queue and on the
    /// admin queue before the connection is declared lost.
    pub fn set_timeout(&mut self, t: Duration) {
        let t = t.max(Duration::from_millis(1));
        if let Some(q) = self.io.as_mut() {
            q.params.timeout = t;
        }
        self.shared.admin().admin.queue.params.timeout = t;
    }

    /// The options the backend was opened with.
    pub fn options(&self) -> &TcpOptions {
        &self.shared.opts
    }

    /// What the controller and connection negotiated.
    pub fn info(&self) -> CtrlInfo {
        self.info
    }

    /// This handle's I/O queue ID.
    pub fn qid(&self) -> u16 {
        self.qid
    }

    /// Why this handle's I/O connection is unusable, if it is.
    pub fn connection_error(&self) -> Option<Error> {
        match &self.io {
            Some(q) => q.failed(),
            None => Some(Error::Aborted("no I/O queue")),
        }
    }

    /// Makes a new I/O connection for this handle, and a new association
    /// (admin queue, controller enable) first when the admin queue was lost
    /// too. Every command of the old connection must have been reaped.
    pub fn reconnect(&mut self) -> Result<(), OpenError> {
        if self.in_flight() > 0 {
            return Err(OpenError::BadOption(format!(
                "{} commands are still in flight or unreaped: reap them before reconnecting",
                self.in_flight()
            )));
        }
        if let Some(q) = self.io.as_mut() {
            q.close();
        }
        self.io = None;
        let opts = self.shared.opts.clone();
        let mut a = self.shared.admin();
        // A target that dropped the association (its port went away) has
        // closed the admin connection too, but nothing has read from it
        // since: look, without blocking, before reusing its controller ID.
        a.admin.queue.poll();
        if a.admin.queue.failed().is_some() {
            let mut admin = connect::admin(&opts)?;
            let (info, _) = identify(&mut admin, &opts)?;
            a.admin = admin;
            a.info = info;
            a.generation += 1;
            self.shared
                .spare
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        }
        let info = a.info;
        self.generation = a.generation;
        drop(a);
        let qid = self.qid.max(1);
        // The target frees the old connection's queue after its socket
        // closes, not at once: until then it answers Connect for the same
        // queue id with Command Sequence Error (Linux nvmet does). Ask again
        // for a bounded time.
        let deadline = std::time::Instant::now() + RECONNECT_WAIT;
        let io = loop {
            match connect::io_queue(&opts, info.cntlid, qid, info.io_depth, info.icsz) {
                Err(OpenError::Command {
                    source: Error::Status(st),
                    ..
                }) if st.matches_code(nvmeq_core::Status::COMMAND_SEQUENCE_ERROR)
                    && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                r => break r?,
            }
        };
        self.io = Some(io);
        self.info = info;
        self.qid = qid;
        self.formats.clear();
        Ok(())
    }

    /// The current format of namespace `nsid` (Identify Namespace once, then cached).
    pub fn ns_format(&mut self, nsid: u32) -> Result<NsFormat, Error> {
        if let Some(f) = self.formats.get(nsid) {
            return Ok(f);
        }
        let mut id = [0u8; 4096];
        self.execute(
            &Identify::namespace(nsid).build(),
            Data::FromDevice(&mut id),
        )?;
        let ns = IdentifyNamespace::read_from_bytes(&id[..])
            .map_err(|_| Error::Malformed("Identify Namespace (wrong size)"))?;
        let f = NsFormat::from_identify(&ns)?.ok_or(Error::UnknownNamespace(nsid))?;
        self.formats.insert(nsid, f);
        Ok(f)
    }

    /// Forgets cached namespace formats (after Format NVM).
    pub fn forget_formats(&mut self) {
        self.formats.clear();
    }

    /// Bytes `cmd` moves and in which direction, checked before anything is sent.
    fn plan(&mut self, cmd: &Cmd, has_meta: bool) -> Result<(DataDir, u32), Error> {
        if let Some(t) = FcType::of(&cmd.sqe) {
            // Fabrics commands: direction from FCTYPE, not the opcode.
            let len = match cmd.xfer {
                Xfer::None => 0,
                Xfer::Bytes(n) => n,
                Xfer::Blocks(_) => {
                    return Err(Error::Unsupported(
                        "a Fabrics command cannot move logical blocks",
                    ))
                }
            };
            if len > 0 && cmd.dir != t.dir() {
                return Err(Error::DirectionMismatch {
                    opcode: cmd.sqe.opcode(),
                    dir: cmd.dir,
                });
            }
            if t == FcType::CONNECT || t == FcType::DISCONNECT {
                return Err(Error::Unsupported(
                    "Connect and Disconnect belong to the backend (reconnect)",
                ));
            }
            return Ok((if len == 0 { DataDir::None } else { t.dir() }, len));
        }
        let fmt = match cmd.xfer {
            Xfer::Blocks(_) => Some(self.ns_format(cmd.nsid())?),
            _ => None,
        };
        let p = format::plan(cmd, fmt, self.info.max_xfer, has_meta)?;
        if p.meta > 0 {
            return Err(Error::NotSupported(nvmeq_core::Feature::Metadata));
        }
        let dir = match cmd.dir {
            DataDir::Both => DataDir::FromDevice,
            d => d,
        };
        Ok((if p.data == 0 { DataDir::None } else { dir }, p.data))
    }

    fn run_admin(
        &mut self,
        cmd: &Cmd,
        dir: DataDir,
        len: u32,
        buf: Option<TcpBuf>,
    ) -> (Result<Completion, Error>, Option<TcpBuf>) {
        let mut a = self.shared.admin();
        let before = a.admin.queue.syscalls;
        let r = a.admin.queue.run(cmd, dir, len, buf);
        self.admin_syscalls += a.admin.queue.syscalls - before;
        r
    }
}

impl Drop for TcpBackend {
    fn drop(&mut self) {
        if let Some(q) = self.io.as_mut() {
            q.close();
        }
    }
}

impl Backend for TcpBackend {
    type Buf = TcpBuf;

    fn caps(&self) -> Caps {
        Caps {
            kind: BackendKind::Tcp,
            max_xfer: self.info.max_xfer,
            // One slot stays free for `execute` on the same queue.
            queue_depth: self
                .io
                .as_ref()
                .map_or(1, |q| q.depth().saturating_sub(1).max(1)),
            admin: true,
            metadata: false,
        }
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.ns_format(nsid).map(|f| f.block_bytes)
    }

    fn alloc(&mut self, len: usize) -> Result<TcpBuf, Error> {
        Ok(TcpBuf::new(len))
    }

    /// NVMe/TCP carries metadata only interleaved with the data (extended
    /// LBAs), so a separate metadata buffer is refused.
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        if !meta.is_empty() {
            return Err(Error::NotSupported(nvmeq_core::Feature::Metadata));
        }
        let (dir, need) = self.plan(cmd, false)?;
        let len = data.check(cmd.dir, need as u64)?;
        let buf = if len == 0 {
            None
        } else {
            let mut b = match self.scratch.take() {
                Some(b) if b.len() >= len as usize => b,
                _ => TcpBuf::new(len as usize),
            };
            if let Data::ToDevice(src) = &data {
                b.as_mut_slice()[..len as usize].copy_from_slice(&src[..len as usize]);
            }
            Some(b)
        };
        let (r, back) = match cmd.queue {
            QueueKind::Admin => self.run_admin(cmd, dir, len, buf),
            QueueKind::Io => match self.io.as_mut() {
                Some(q) => q.run(cmd, dir, len, buf),
                None => (Err(Error::Aborted("no I/O queue")), buf),
            },
        };
        if let Some(b) = back {
            if let Data::FromDevice(dst) = data {
                if r.is_ok() || matches!(r, Err(Error::Status(_))) {
                    dst[..len as usize].copy_from_slice(&b.as_slice()[..len as usize]);
                }
            }
            self.scratch = Some(b);
        }
        r
    }

    fn push(&mut self, cmd: &Cmd, buf: Option<TcpBuf>, tag: u64) -> Result<(), Rejected<TcpBuf>> {
        let (dir, len) = match self.plan(cmd, false) {
            Ok(p) => p,
            Err(error) => return Err(Rejected::Invalid { error, buf }),
        };
        if len > 0 && buf.is_none() {
            return Err(Rejected::Invalid {
                error: Error::BufferMismatch {
                    expected: cmd.dir,
                    given: "no buffer",
                },
                buf,
            });
        }
        match cmd.queue {
            QueueKind::Admin => {
                if self.admin_pending.len() + self.admin_done.len() >= ADMIN_QUEUED {
                    return Err(Rejected::Full(buf));
                }
                if let Some(b) = &buf {
                    if b.len() < len as usize {
                        return Err(Rejected::Invalid {
                            error: Error::BufferTooSmall {
                                need: len as u64,
                                have: b.len(),
                            },
                            buf,
                        });
                    }
                }
                self.admin_pending.push_back((*cmd, buf, tag));
                Ok(())
            }
            QueueKind::Io => match self.io.as_mut() {
                Some(q) => q.push(cmd, dir, len, buf, tag, false).map(|_| ()),
                None => Err(Rejected::Invalid {
                    error: Error::Aborted("no I/O queue"),
                    buf,
                }),
            },
        }
    }

    /// Sends every pushed I/O command in one write, runs pushed admin
    /// commands on the admin queue, then waits for `min_complete`.
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        if min_complete > self.in_flight() {
            return Err(Error::WaitExceedsInFlight {
                want: min_complete,
                in_flight: self.in_flight(),
            });
        }
        let mut n = 0;
        while let Some((cmd, buf, tag)) = self.admin_pending.pop_front() {
            let (dir, len) = match self.plan(&cmd, false) {
                Ok(p) => p,
                Err(e) => {
                    self.admin_done.push_back(Reaped {
                        tag,
                        result: Err(e),
                        buf,
                        meta: None,
                    });
                    continue;
                }
            };
            let (result, buf) = self.run_admin(&cmd, dir, len, buf);
            self.admin_done.push_back(Reaped {
                tag,
                result,
                buf,
                meta: None,
            });
            n += 1;
        }
        let ready = self.admin_done.len() as u32;
        if let Some(q) = self.io.as_mut() {
            n += q.flush().unwrap_or(0);
            q.wait_ready(min_complete.saturating_sub(ready) as usize);
        }
        Ok(n)
    }

    fn reap(&mut self, mut f: impl FnMut(Reaped<TcpBuf>)) -> usize {
        let mut n = 0;
        while let Some(r) = self.admin_done.pop_front() {
            f(r);
            n += 1;
        }
        if let Some(q) = self.io.as_mut() {
            n += q.reap(f);
        }
        n
    }

    fn in_flight(&self) -> u32 {
        (self.admin_pending.len() + self.admin_done.len()) as u32
            + self.io.as_ref().map_or(0, |q| q.in_flight())
    }

    /// Socket calls: one write per submitted batch, the reads that bring
    /// its PDUs, and those of this handle's admin commands.
    fn syscalls(&self) -> Option<u64> {
        Some(self.io.as_ref().map_or(0, |q| q.syscalls) + self.admin_syscalls)
    }
}
