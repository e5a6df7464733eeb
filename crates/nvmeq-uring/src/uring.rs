//! [`Uring`]: the [`Backend`] over io_uring passthrough.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use io_uring::{opcode, squeue, types, Probe};
use nvmeq_core::cmd::Identify;
use nvmeq_core::{
    Backend, Caps, Cmd, Completion, Data, DataDir, Error, IoBuf, QueueKind, Reaped, Rejected,
    Status, Xfer,
};

use crate::buf::{AlignedBuf, FixedBufPool, UringBuf};
use crate::options::{UringOptions, MAX_DEPTH};
use crate::probe::{self, DevKind, OpenError};
use crate::queue::{Queue, Ring};
use crate::sys;
use crate::uapi::{NvmeUringCmd, NVME_URING_CMD_ADMIN, NVME_URING_CMD_IO};

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
/// Namespaces whose LBA size is remembered (more are looked up each time).
const LBA_CACHE: usize = 16;

/// NVMe commands over `IORING_OP_URING_CMD`: I/O on a namespace char device
/// (`/dev/ngXnY`, Linux ≥ 5.19), admin on the controller char device
/// (`/dev/nvmeX`, Linux ≥ 6.0).
///
/// The queue interface ([`write`](Backend::write), [`commit`](Backend::commit),
/// [`reap`](Backend::reap)) pushes 128-byte SQEs without a syscall, submits
/// and waits in one `io_uring_enter`, and drains 32-byte CQEs without a
/// syscall. Each command's buffer and tag live in a fixed in-flight table
/// (one slot per queue entry, allocated once); a full table or SQ hands the
/// command back as [`Rejected`] with no error. `user_data` is the slot index
/// plus a sequence number, so a stale or foreign completion is reported as
/// [`Error::UnexpectedCid`] with [`UNEXPECTED_TAG`](crate::UNEXPECTED_TAG).
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
    timeout_ms: u32,
    lba: Vec<(u32, u32)>,
    loopback_lba: u32,
    nsid: u32,
    caps: Caps,
    // Fields below are dropped after the rings are closed.
    pool: Option<FixedBufPool>,
    ctrl_path: Option<PathBuf>,
    _io_dev: Option<File>,
    _ctrl_dev: Option<File>,
}

fn open_dev(path: &Path) -> Result<File, OpenError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|source| OpenError::Io {
            path: path.display().to_string(),
            source,
        })
}

fn flag_error(option: &'static str, since: &str, e: &io::Error) -> OpenError {
    OpenError::Option {
        option,
        why: format!("the kernel refused it ({e}); it needs Linux ≥ {since}"),
    }
}

/// Builds a ring with the options' setup flags. When that fails, finds out
/// which part the kernel refused by trying each alone on a tiny ring.
fn build_ring(
    opts: &UringOptions,
    entries: u32,
    iopoll: bool,
    path: &str,
) -> Result<Ring, OpenError> {
    let mut b = Ring::builder();
    b.setup_cqsize(entries.saturating_mul(2));
    if iopoll {
        b.setup_iopoll();
    }
    if let Some(idle) = opts.sqpoll {
        b.setup_sqpoll(idle);
    }
    if opts.coop_taskrun {
        b.setup_coop_taskrun();
    }
    if opts.single_issuer {
        b.setup_single_issuer();
    }
    if opts.defer_taskrun {
        b.setup_defer_taskrun();
    }
    let err = match b.build(entries) {
        Ok(r) => return Ok(r),
        Err(e) => e,
    };
    if let Err(e) = Ring::builder().build(2) {
        let why = match e.raw_os_error() {
            Some(libc::ENOSYS) => "this kernel has no io_uring".to_string(),
            Some(libc::EPERM) => format!(
                "io_uring is disabled for this process ({e}; see /proc/sys/kernel/io_uring_disabled)"
            ),
            Some(libc::EINVAL) => format!(
                "this kernel cannot make rings with 128-byte SQEs and 32-byte CQEs ({e}); \
                 NVMe passthrough over io_uring needs Linux ≥ 5.19"
            ),
            _ => format!("cannot create an io_uring ({e})"),
        };
        return Err(OpenError::NoUringCmd {
            path: path.to_string(),
            why,
        });
    }
    let alone =
        |f: &dyn Fn(&mut io_uring::Builder<squeue::Entry128, io_uring::cqueue::Entry32>)| {
            let mut b = Ring::builder();
            f(&mut b);
            b.build(2).err()
        };
    if iopoll {
        if let Some(e) = alone(&|b| {
            b.setup_iopoll();
        }) {
            return Err(flag_error("iopoll", "5.1", &e));
        }
    }
    if let Some(idle) = opts.sqpoll {
        if let Some(e) = alone(&|b| {
            b.setup_sqpoll(idle);
        }) {
            return Err(flag_error("sqpoll", "5.11 (or CAP_SYS_ADMIN before)", &e));
        }
    }
    if opts.coop_taskrun {
        if let Some(e) = alone(&|b| {
            b.setup_coop_taskrun();
        }) {
            return Err(flag_error("coop_taskrun", "5.19", &e));
        }
    }
    if opts.single_issuer {
        if let Some(e) = alone(&|b| {
            b.setup_single_issuer();
        }) {
            return Err(flag_error("single_issuer", "6.0", &e));
        }
    }
    if opts.defer_taskrun {
        if let Some(e) = alone(&|b| {
            b.setup_single_issuer().setup_defer_taskrun();
        }) {
            return Err(flag_error("defer_taskrun", "6.1", &e));
        }
    }
    Err(OpenError::Option {
        option: "setup flags",
        why: format!("the kernel refused this combination of ring options ({err})"),
    })
}

fn check_options(opts: &UringOptions) -> Result<(), OpenError> {
    if opts.depth == 0 || opts.depth > MAX_DEPTH {
        return Err(OpenError::Option {
            option: "depth",
            why: format!("{} is outside 1..={MAX_DEPTH}", opts.depth),
        });
    }
    if opts.defer_taskrun && opts.sqpoll.is_some() {
        return Err(OpenError::Option {
            option: "defer_taskrun",
            why: "cannot be combined with sqpoll (the kernel refuses it)".into(),
        });
    }
    Ok(())
}

fn probe_uring_cmd(ring: &Ring, path: &str) -> Result<(), OpenError> {
    let mut p = Probe::new();
    ring.submitter()
        .register_probe(&mut p)
        .map_err(|e| OpenError::NoUringCmd {
            path: path.to_string(),
            why: format!("cannot probe io_uring opcodes ({e}); Linux ≥ 5.19 is needed"),
        })?;
    if !p.is_supported(opcode::UringCmd80::CODE) {
        return Err(OpenError::NoUringCmd {
            path: path.to_string(),
            why: "the kernel does not support IORING_OP_URING_CMD (Linux ≥ 5.19 needed)".into(),
        });
    }
    Ok(())
}

fn register_pool(ring: &Ring, opts: &UringOptions) -> Result<Option<FixedBufPool>, OpenError> {
    let Some((count, size)) = opts.fixed_bufs else {
        return Ok(None);
    };
    let pool = FixedBufPool::new(count, size)?;
    let iov = pool.iovecs();
    // SAFETY: the iovecs cover the pool's region, which lives as long as the
    // pool's Arc; the Uring keeps a clone of it until after the ring closes.
    unsafe { ring.submitter().register_buffers(&iov) }.map_err(|e| OpenError::Option {
        option: "fixed_buffers",
        why: format!(
            "IORING_REGISTER_BUFFERS of {count} × {} bytes failed ({e}){}",
            pool.buf_size(),
            if e.raw_os_error() == Some(libc::ENOMEM) {
                "; raise RLIMIT_MEMLOCK (ulimit -l) or register fewer/smaller buffers"
            } else {
                ""
            }
        ),
    })?;
    Ok(Some(pool))
}

impl Uring {
    /// Opens a namespace char device (`/dev/ngXnY`) for I/O, and its
    /// controller (`/dev/nvmeX`, or [`UringOptions::ctrl`]) for admin
    /// commands when it can be opened. A namespace block device
    /// (`/dev/nvmeXnY`) is opened through its char device `/dev/ngXnY`.
    /// Opening a controller char device gives an admin-only backend.
    ///
    /// Fails with [`OpenError::NotNvme`] for anything else (e.g. `/dev/null`),
    /// [`OpenError::NoUringCmd`] on a kernel without NVMe passthrough over
    /// io_uring (naming the ioctl backend as the fallback), and
    /// [`OpenError::Option`] for an option this kernel or device lacks.
    pub fn open(path: impl AsRef<Path>, opts: UringOptions) -> Result<Self, OpenError> {
        let given = path.as_ref();
        // A namespace block device is opened through its generic char device.
        let generic = probe::generic_for_block(given);
        let path = generic.as_deref().unwrap_or(given);
        let p = path.display().to_string();
        check_options(&opts)?;
        let kind = probe::classify(path)?;
        let version = probe::kernel_version().unwrap_or((0, 0));
        if version < (5, 19) {
            return Err(OpenError::NoUringCmd {
                path: p,
                why: format!(
                    "Linux {}.{} predates IORING_OP_URING_CMD for NVMe (5.19)",
                    version.0, version.1
                ),
            });
        }
        let (ng, ctrl_path): (Option<String>, Option<PathBuf>) = match &kind {
            DevKind::Namespace(name) => (
                Some(name.clone()),
                opts.ctrl
                    .clone()
                    .or_else(|| probe::controller_of(name).map(PathBuf::from)),
            ),
            DevKind::Controller(_) => (None, Some(path.to_path_buf())),
        };
        if ng.is_none() && version < (6, 0) {
            return Err(OpenError::NoUringCmd {
                path: p,
                why: "admin commands over io_uring on the controller device need Linux ≥ 6.0"
                    .into(),
            });
        }
        let io_dev = match &ng {
            Some(_) => Some(open_dev(path)?),
            None => None,
        };
        let nsid = match &io_dev {
            Some(f) => sys::namespace_id(f).map_err(|source| OpenError::Io {
                path: format!("{p} (NVME_IOCTL_ID)"),
                source,
            })?,
            None => 0,
        };
        // Admin is optional for a namespace backend: without it, only I/O works.
        let mut admin_missing = "";
        let ctrl_dev = if version < (6, 0) {
            admin_missing = "admin commands over io_uring need Linux ≥ 6.0 (use the ioctl backend)";
            None
        } else if let Some(cp) = ctrl_path.as_deref() {
            // Named by the caller (or the device opened): failing is an error.
            // Found through sysfs: failing only leaves admin unavailable.
            let explicit = opts.ctrl.is_some() || ng.is_none();
            let opened = open_dev(cp).and_then(|f| match probe::classify(cp)? {
                DevKind::Controller(_) => Ok(f),
                DevKind::Namespace(n) => Err(OpenError::NotNvme {
                    path: cp.display().to_string(),
                    why: format!(
                        "{n} is a namespace device; admin needs the controller /dev/nvmeX"
                    ),
                }),
            });
            match opened {
                Ok(f) => Some(f),
                Err(e) if explicit => return Err(e),
                Err(_) => {
                    admin_missing = "admin commands need the controller char device /dev/nvmeX, \
                         which could not be opened (name it with UringOptions::ctrl)";
                    None
                }
            }
        } else {
            admin_missing = "admin commands need the controller char device /dev/nvmeX \
                 (name it with UringOptions::ctrl)";
            None
        };

        if opts.iopoll {
            let name = ng.as_deref().ok_or(OpenError::Option {
                option: "iopoll",
                why: "polling needs a namespace device; a controller device cannot poll".into(),
            })?;
            probe::io_poll(name).map_err(|why| OpenError::Option {
                option: "iopoll",
                why,
            })?;
            if version < (6, 5) {
                return Err(OpenError::Option {
                    option: "iopoll",
                    why: format!(
                        "polled NVMe passthrough is refused before Linux 6.5 (this is {}.{}): \
                         6.1–6.4 poll through a bio cookie that can be stale, and on 6.1 it \
                         crashed the kernel in our tests (GPF in bio_poll); 6.5 polls the \
                         request itself. Use interrupts or sqpoll instead",
                        version.0, version.1
                    ),
                });
            }
        }
        if opts.fixed_bufs.is_some() && version < (6, 1) {
            return Err(OpenError::Option {
                option: "fixed_buffers",
                why: format!(
                    "IORING_URING_CMD_FIXED needs Linux ≥ 6.1 (this is {}.{})",
                    version.0, version.1
                ),
            });
        }

        if let (Some((_, size)), Some(name), true) = (opts.fixed_bufs, &ng, version < (6, 12)) {
            // Before 6.12 the kernel counts every page of the registered buffer
            // as a segment and refuses (EINVAL) buffers with more pages than
            // the queue's max_segments, whatever the command's length (seen on
            // 6.1; 6.12 takes any size).
            let pages = size.div_ceil(4096) as u64;
            if let Some(max) = probe::sysfs_max_segments(name).filter(|&m| pages > m) {
                return Err(OpenError::Option {
                    option: "fixed_buffers",
                    why: format!(
                        "on Linux {}.{} a registered buffer may have at most max_segments \
                         ({max}) pages for {name}: use buffers of at most {} bytes \
                         (Linux ≥ 6.12 takes larger ones)",
                        version.0,
                        version.1,
                        max * 4096
                    ),
                });
            }
        }

        let depth = opts.depth;
        let ring = build_ring(&opts, depth, opts.iopoll, &p)?;
        probe_uring_cmd(&ring, &p)?;
        let pool = register_pool(&ring, &opts)?;

        let (mut io_file, mut admin_file) = (
            io_dev.as_ref().map(|f| FileRef::Fd(f.as_raw_fd())),
            ctrl_dev.as_ref().map(|f| FileRef::Fd(f.as_raw_fd())),
        );
        let mut admin_ring = None;
        if let (true, Some(cd)) = (opts.iopoll, &ctrl_dev) {
            // A small interrupt-driven ring for admin commands.
            let plain = UringOptions {
                sqpoll: None,
                ..opts.clone()
            };
            let r = build_ring(&plain, 4, false, &p)?;
            if opts.register_files {
                r.submitter()
                    .register_files(&[cd.as_raw_fd()])
                    .map_err(|e| flag_error("register_files", "5.1", &e))?;
            }
            admin_ring = Some(Queue::new(r, 4, false));
        }
        if opts.register_files {
            let mut fds = Vec::with_capacity(2);
            if let Some(f) = &io_dev {
                fds.push(f.as_raw_fd());
                io_file = Some(FileRef::Fixed(0));
            }
            if let Some(f) = &ctrl_dev {
                admin_file = Some(FileRef::Fixed(if admin_ring.is_some() {
                    0
                } else {
                    fds.len() as u32
                }));
                if admin_ring.is_none() {
                    fds.push(f.as_raw_fd());
                }
            }
            ring.submitter()
                .register_files(&fds)
                .map_err(|e| flag_error("register_files", "5.1", &e))?;
        }

        let max_xfer = ng
            .as_deref()
            .and_then(probe::sysfs_max_xfer)
            .unwrap_or(DEFAULT_MAX_XFER);
        let mut u = Uring {
            io: Queue::new(ring, depth as usize, opts.sqpoll.is_some()),
            admin_ring,
            target: Target::Nvme,
            io_file,
            admin_file,
            admin_missing,
            iopoll: opts.iopoll,
            timeout_ms: 0,
            lba: Vec::with_capacity(LBA_CACHE),
            loopback_lba: 0,
            nsid,
            caps: Caps {
                name: "uring",
                max_xfer,
                queue_depth: depth,
                admin: ctrl_dev.is_some(),
                metadata: false,
            },
            pool,
            ctrl_path: ctrl_dev.as_ref().and(ctrl_path.clone()),
            _io_dev: io_dev,
            _ctrl_dev: ctrl_dev,
        };
        if let Some(name) = &ng {
            // Identify when admin works (it knows about extended LBAs), else sysfs.
            let lba = match u.lba_size(nsid) {
                Ok(l) => l,
                Err(e) => probe::sysfs_lba_size(name).ok_or(OpenError::Nvme(e))?,
            };
            u.remember_lba(nsid, lba);
        }
        Ok(u)
    }

    /// A ring whose commands complete as `IORING_OP_NOP` instead of reaching a
    /// device: everything else (validation, encoding, the in-flight table,
    /// tags, registered buffers, setup flags, one syscall per commit) is the
    /// real path. For testing and benchmarking the queue plumbing on hosts
    /// without NVMe; every namespace has `lba_size`-byte blocks and every
    /// command succeeds with result 0 without touching its buffer.
    pub fn loopback(opts: UringOptions, lba_size: u32) -> Result<Self, OpenError> {
        check_options(&opts)?;
        if opts.iopoll {
            return Err(OpenError::Option {
                option: "iopoll",
                why: "polling needs a namespace device with poll queues, not a loopback ring"
                    .into(),
            });
        }
        if opts.register_files {
            return Err(OpenError::Option {
                option: "register_files",
                why: "a loopback ring has no device files to register".into(),
            });
        }
        if !lba_size.is_power_of_two() || lba_size < 512 {
            return Err(OpenError::Nvme(Error::Invalid(
                "the LBA size must be a power of two of at least 512",
            )));
        }
        let ring = build_ring(&opts, opts.depth, false, "loopback")?;
        probe_uring_cmd(&ring, "loopback")?;
        let pool = register_pool(&ring, &opts)?;
        Ok(Uring {
            io: Queue::new(ring, opts.depth as usize, opts.sqpoll.is_some()),
            admin_ring: None,
            target: Target::Loopback,
            io_file: Some(FileRef::Fd(-1)),
            admin_file: Some(FileRef::Fd(-1)),
            admin_missing: "",
            iopoll: false,
            timeout_ms: 0,
            lba: Vec::with_capacity(LBA_CACHE),
            loopback_lba: lba_size,
            nsid: 1,
            caps: Caps {
                name: "uring-loopback",
                max_xfer: DEFAULT_MAX_XFER,
                queue_depth: opts.depth,
                admin: true,
                metadata: false,
            },
            pool,
            ctrl_path: None,
            _io_dev: None,
            _ctrl_dev: None,
        })
    }

    /// The namespace id of the opened namespace device (0 for a controller).
    pub fn nsid(&self) -> u32 {
        self.nsid
    }

    /// The controller char device used for admin commands, when open.
    pub fn ctrl_path(&self) -> Option<&Path> {
        self.ctrl_path.as_deref()
    }

    /// The ring's file descriptor.
    pub fn ring_fd(&self) -> RawFd {
        self.io.ring.as_raw_fd()
    }

    /// Gives every later command a timeout (`nvme_uring_cmd.timeout_ms`; 0:
    /// the driver's default, `nvme_core.io_timeout`/`admin_timeout`). When it
    /// expires the driver aborts the command, which completes with an error.
    pub fn set_timeout_ms(&mut self, ms: u32) {
        self.timeout_ms = ms;
    }

    /// Whether the ring polls for completions (IOPOLL).
    pub fn is_iopoll(&self) -> bool {
        self.iopoll
    }

    /// The registered buffer pool, when [`UringOptions::fixed_buffers`] was set.
    pub fn fixed_pool(&self) -> Option<&FixedBufPool> {
        self.pool.as_ref()
    }

    /// Creates an eventfd and registers it with the ring
    /// (`IORING_REGISTER_EVENTFD`): it becomes readable whenever completions
    /// are posted, so a reactor (tokio's `AsyncFd`, epoll) can wake the task
    /// that reaps. Read it (see [`read_eventfd`](crate::read_eventfd)) to reset it.
    pub fn register_eventfd(&mut self) -> io::Result<OwnedFd> {
        let fd = sys::eventfd()?;
        self.io.ring.submitter().register_eventfd(fd.as_raw_fd())?;
        Ok(fd)
    }

    /// Completions ready to reap now (no syscall).
    pub fn ready(&mut self) -> usize {
        self.io.ready()
    }

    fn remember_lba(&mut self, nsid: u32, lba: u32) {
        if self.lba.len() < LBA_CACHE && !self.lba.iter().any(|(n, _)| *n == nsid) {
            self.lba.push((nsid, lba));
        }
    }

    /// Bytes the command transfers, from its own fields.
    fn xfer_len(&mut self, cmd: &Cmd) -> Result<u32, Error> {
        let lba = match cmd.xfer {
            Xfer::Blocks(_) => self.lba_size(cmd.nsid())?,
            _ => 0,
        };
        let len = cmd
            .xfer
            .bytes(lba)
            .ok_or(Error::Invalid("the transfer length overflows 32 bits"))?;
        if len > self.caps.max_xfer {
            return Err(Error::AboveMdts {
                len: len as u64,
                max: self.caps.max_xfer,
            });
        }
        if len > 0 && cmd.dir == DataDir::None {
            return Err(Error::Invalid(
                "the command transfers data but its opcode says it moves none",
            ));
        }
        if len == 0 && cmd.dir != DataDir::None {
            // The device would still move the data its fields describe, with
            // no buffer mapped for it (QEMU completes such a Read "successfully").
            return Err(Error::Invalid(
                "the command moves data but its transfer length is 0",
            ));
        }
        Ok(len)
    }

    fn file_for(&self, queue: QueueKind) -> Result<(FileRef, u32), Error> {
        match queue {
            QueueKind::Io => {
                self.io_file
                    .map(|f| (f, NVME_URING_CMD_IO))
                    .ok_or(Error::Unsupported(
                        "I/O commands need a namespace char device (/dev/ngXnY); this backend \
                     was opened on a controller",
                    ))
            }
            QueueKind::Admin => self
                .admin_file
                .map(|f| (f, NVME_URING_CMD_ADMIN))
                .ok_or(Error::Unsupported(self.admin_missing)),
        }
    }

    fn entry(
        &self,
        file: FileRef,
        cmd_op: u32,
        ucmd: &NvmeUringCmd,
        fixed: Option<u16>,
    ) -> squeue::Entry128 {
        if self.target == Target::Loopback {
            return opcode::Nop::new().build().into();
        }
        let cmd = ucmd.to_cmd80();
        match file {
            FileRef::Fd(fd) => opcode::UringCmd80::new(types::Fd(fd), cmd_op)
                .cmd(cmd)
                .buf_index(fixed)
                .build(),
            FileRef::Fixed(i) => opcode::UringCmd80::new(types::Fixed(i), cmd_op)
                .cmd(cmd)
                .buf_index(fixed)
                .build(),
        }
    }

    /// The data address and, for a buffer of this ring's registered pool, its index.
    fn buf_addr(&self, buf: &mut UringBuf) -> (u64, Option<u16>) {
        let addr = buf.as_mut_slice().as_mut_ptr() as u64;
        match (buf, &self.pool) {
            (UringBuf::Fixed(f), Some(pool)) if pool.same_pool(f) => (addr, Some(f.index())),
            _ => (addr, None),
        }
    }
}

impl Backend for Uring {
    type Buf = UringBuf;

    fn caps(&self) -> Caps {
        self.caps
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        if let Some(&(_, l)) = self.lba.iter().find(|(n, _)| *n == nsid) {
            return Ok(l);
        }
        if self.target == Target::Loopback {
            return Ok(self.loopback_lba);
        }
        if self.admin_file.is_none() {
            return Err(Error::UnknownNamespace(nsid));
        }
        let mut id = AlignedBuf::zeroed(4096);
        let r = self.execute(
            &Identify::namespace(nsid).build(),
            Data::FromDevice(id.as_mut_slice()),
        );
        match r {
            Ok(_) => {}
            // Invalid Namespace or Format.
            Err(Error::Status(s)) if s == Status::from_parts(nvmeq_core::Sct::GENERIC, 0x0b) => {
                return Err(Error::UnknownNamespace(nsid))
            }
            Err(e) => return Err(e),
        }
        let lba =
            probe::lba_size_from_id_ns(id.as_slice()).map_err(|_| Error::UnknownNamespace(nsid))?;
        self.remember_lba(nsid, lba);
        Ok(lba)
    }

    /// A registered buffer when the ring has a pool with a free buffer large
    /// enough, else a page-aligned heap buffer.
    fn alloc(&mut self, len: usize) -> Result<UringBuf, Error> {
        if let Some(b) = self.pool.as_ref().and_then(|p| p.take(len)) {
            return Ok(UringBuf::Fixed(b));
        }
        Ok(UringBuf::zeroed(len))
    }

    fn execute(&mut self, cmd: &Cmd, data: Data<'_>) -> Result<Completion, Error> {
        let need = self.xfer_len(cmd)?;
        let len = data.check(cmd.dir, need as u64)?;
        let (file, cmd_op) = self.file_for(cmd.queue)?;
        let addr = match data {
            _ if len == 0 => 0,
            Data::None => 0,
            Data::ToDevice(b) => b.as_ptr() as u64,
            Data::FromDevice(b) => b.as_mut_ptr() as u64,
        };
        let mut ucmd = NvmeUringCmd::from_command(&cmd.sqe, addr, len);
        ucmd.timeout_ms = self.timeout_ms;
        let entry = self.entry(file, cmd_op, &ucmd, None);
        let q = match (&mut self.admin_ring, cmd.queue) {
            (Some(a), QueueKind::Admin) => a,
            _ => &mut self.io,
        };
        if !q.has_room() {
            return Err(Error::Invalid(
                "the queue is full: reap completions before calling execute",
            ));
        }
        let ud = q
            .slab
            .insert(crate::queue::UNEXPECTED_TAG, None)
            .map_err(|_| Error::Invalid("the queue is full"))?;
        // SAFETY: `data` borrows the buffer for this whole call, and
        // `wait_for` returns only after this command's completion (or aborts
        // the process), so the buffer outlives the kernel's use of it. `len`
        // was checked against the buffer.
        if !unsafe { q.push(&entry.user_data(ud.encode())) } {
            q.slab.cancel_insert(ud);
            return Err(Error::Invalid("the submission queue is full"));
        }
        q.wait_for(ud)
    }

    fn write(
        &mut self,
        cmd: &Cmd,
        mut buf: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<UringBuf>> {
        let reject = |buf, e| {
            Err(Rejected {
                buf,
                error: Some(e),
            })
        };
        let need = match self.xfer_len(cmd) {
            Ok(n) => n,
            Err(e) => return reject(buf, e),
        };
        if cmd.queue == QueueKind::Admin && self.admin_ring.is_some() {
            return reject(
                buf,
                Error::Unsupported(
                    "admin commands cannot be queued on an IOPOLL ring (the controller \
                     device does not poll); use execute",
                ),
            );
        }
        let (file, cmd_op) = match self.file_for(cmd.queue) {
            Ok(f) => f,
            Err(e) => return reject(buf, e),
        };
        let (addr, fixed) = match (&mut buf, need) {
            (_, 0) => (0, None),
            (None, _) => {
                return reject(
                    buf,
                    Error::BufferMismatch {
                        expected: cmd.dir,
                        given: "no buffer",
                    },
                )
            }
            (Some(b), n) => {
                if let Err(e) = nvmeq_core::backend::check_len(n as u64, b.len()) {
                    return reject(buf, e);
                }
                self.buf_addr(b)
            }
        };
        if !self.io.has_room() {
            return Err(Rejected { buf, error: None });
        }
        let mut ucmd = NvmeUringCmd::from_command(&cmd.sqe, addr, need);
        ucmd.timeout_ms = self.timeout_ms;
        let entry = self.entry(file, cmd_op, &ucmd, fixed);
        // The buffer moves into the slot; its heap memory does not move.
        let ud = match self.io.slab.insert(tag, buf) {
            Ok(ud) => ud,
            Err(buf) => return Err(Rejected { buf, error: None }),
        };
        // SAFETY: the buffer `addr` points into is owned by slot `ud` until
        // reap takes this command's completion (or drop waits for it); `need`
        // was checked against its length.
        if !unsafe { self.io.push(&entry.user_data(ud.encode())) } {
            let buf = self.io.slab.cancel_insert(ud);
            return Err(Rejected { buf, error: None });
        }
        Ok(())
    }

    /// One `io_uring_enter` that submits every written command and waits for
    /// `min_complete` completions. With IOPOLL this is also what polls the
    /// device, so call it (with 0) to make completions appear.
    fn commit(&mut self, min_complete: u32) -> Result<u32, Error> {
        let in_flight = self.io.slab.in_use();
        if min_complete as usize > in_flight {
            return Err(Error::Invalid(
                "commit would wait for more completions than commands in flight",
            ));
        }
        let want = (min_complete as usize).saturating_sub(self.io.ready());
        self.io.submit(want).map(|n| n as u32)
    }

    fn reap(&mut self, f: &mut dyn FnMut(Reaped<UringBuf>)) -> usize {
        self.io.reap(f)
    }

    fn in_flight(&self) -> u32 {
        self.io.slab.in_use() as u32
    }

    /// `io_uring_enter` calls so far (both rings; `write` and `reap` make none).
    fn syscalls(&self) -> Option<u64> {
        Some(self.io.enters + self.admin_ring.as_ref().map_or(0, |a| a.enters))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::UNEXPECTED_TAG;
    use crate::tag::UserData;
    use nvmeq_core::cmd::Flush;

    /// Pushes a NOP with an arbitrary user_data, as a confused kernel or a
    /// stale entry would produce.
    fn inject(u: &mut Uring, user_data: u64) {
        let e: squeue::Entry128 = opcode::Nop::new().build().user_data(user_data).into();
        // SAFETY: a NOP references no memory.
        assert!(unsafe { u.io.push(&e) });
    }

    #[test]
    fn foreign_and_stale_completions_are_errors_not_trusted() {
        let mut u = Uring::loopback(UringOptions::new().depth(4), 512).unwrap();
        u.write(&Flush::new(1).build(), None, 7).unwrap();
        u.commit(1).unwrap();
        let mut got = Vec::new();
        u.reap(&mut |r| got.push((r.tag, r.result)));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 7);
        // The slot that command used (slot 0, sequence 1) is free again: a
        // second completion for it is stale.
        let stale = UserData { slot: 0, seq: 1 }.encode();
        let out_of_range = UserData { slot: 9, seq: 1 }.encode();
        // A live command whose slot is reused must not be disturbed.
        u.write(&Flush::new(1).build(), None, 8).unwrap();
        inject(&mut u, stale);
        inject(&mut u, out_of_range);
        u.io.submit(3).unwrap();
        got.clear();
        u.reap(&mut |r| got.push((r.tag, r.result)));
        got.sort_by_key(|g| g.0);
        assert_eq!(
            got,
            vec![
                (8, Ok(Completion::default())),
                (UNEXPECTED_TAG, Err(Error::UnexpectedCid { cid: 0 })),
                (UNEXPECTED_TAG, Err(Error::UnexpectedCid { cid: 9 })),
            ]
        );
        assert_eq!(u.in_flight(), 0);
    }

    #[test]
    fn stray_completions_seen_by_execute_are_reported_by_the_next_reap() {
        let mut u = Uring::loopback(UringOptions::new().depth(4), 512).unwrap();
        inject(&mut u, UserData { slot: 3, seq: 77 }.encode());
        u.execute(&Flush::new(1).build(), Data::None).unwrap();
        let mut got = Vec::new();
        u.reap(&mut |r| got.push((r.tag, r.result)));
        assert_eq!(
            got,
            vec![(UNEXPECTED_TAG, Err(Error::UnexpectedCid { cid: 3 }))]
        );
    }

    #[test]
    fn device_entries_are_uring_cmds_and_loopback_entries_nops() {
        // The entry for a real device is an URING_CMD with the 80-byte command.
        let u = Uring::loopback(UringOptions::new().depth(2), 512).unwrap();
        let ucmd = NvmeUringCmd::from_command(&Flush::new(1).build().sqe, 0, 0);
        let mut real = u;
        real.target = Target::Nvme;
        let e = real.entry(FileRef::Fd(5), NVME_URING_CMD_IO, &ucmd, Some(3));
        assert_eq!(e.get_opcode(), opcode::UringCmd80::CODE as u32);
        real.target = Target::Loopback;
        let e = real.entry(FileRef::Fd(5), NVME_URING_CMD_IO, &ucmd, None);
        assert_eq!(e.get_opcode(), opcode::Nop::CODE as u32);
    }
}
