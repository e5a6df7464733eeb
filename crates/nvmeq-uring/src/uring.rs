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

use crate::buf::{AlignedBuf, CmdBufs, FixedBufPool, UringBuf};
use crate::iov::{self, VecData, MAX_SEGMENTS};
use crate::options::{UringOptions, MAX_DEPTH};
use crate::probe::{self, DevKind, NsFormat, OpenError};
use crate::queue::{Queue, Ring, UNEXPECTED_TAG};
use crate::sys;
use crate::uapi::{
    NvmeUringCmd, NVME_URING_CMD_ADMIN, NVME_URING_CMD_ADMIN_VEC, NVME_URING_CMD_IO,
    NVME_URING_CMD_IO_VEC,
};

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
/// Namespaces whose format is remembered (more are looked up each time).
const FORMAT_CACHE: usize = 16;

/// NVMe commands over `IORING_OP_URING_CMD`: I/O on a namespace char device
/// (`/dev/ngXnY`, Linux ≥ 5.19), admin on the controller char device
/// (`/dev/nvmeX`, Linux ≥ 6.0).
///
/// The queue interface ([`push`](Backend::push), [`submit`](Backend::submit),
/// [`reap`](Backend::reap)) pushes 128-byte SQEs without a syscall, submits
/// and waits in one `io_uring_enter`, and drains 32-byte CQEs without a
/// syscall. Each command's buffer and tag live in a fixed in-flight table
/// (one slot per queue entry, allocated once); a full table or SQ hands the
/// command back as [`Rejected::Full`]. `user_data` is the slot index
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
    formats: Vec<(u32, NsFormat)>,
    loopback_format: NsFormat,
    /// The namespace char device's kernel name (`ng0n1`), for sysfs.
    ng: Option<String>,
    nsid: u32,
    max_segments: u16,
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
    if opts.max_segments > MAX_SEGMENTS {
        return Err(OpenError::Option {
            option: "max_segments",
            why: format!("{} is above {MAX_SEGMENTS}", opts.max_segments),
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
            admin_ring = Some(Queue::new(r, 4, false, opts.max_segments as usize));
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
            io: Queue::new(
                ring,
                depth as usize,
                opts.sqpoll.is_some(),
                opts.max_segments as usize,
            ),
            admin_ring,
            target: Target::Nvme,
            io_file,
            admin_file,
            admin_missing,
            iopoll: opts.iopoll,
            timeout_ms: 0,
            formats: Vec::with_capacity(FORMAT_CACHE),
            loopback_format: NsFormat {
                block_bytes: 0,
                meta_bytes: 0,
            },
            ng: ng.clone(),
            nsid,
            max_segments: opts.max_segments,
            caps: Caps {
                name: "uring",
                max_xfer,
                queue_depth: depth,
                admin: ctrl_dev.is_some(),
                // Separate metadata buffers travel with I/O commands only.
                metadata: io_dev.is_some(),
            },
            pool,
            ctrl_path: ctrl_dev.as_ref().and(ctrl_path.clone()),
            _io_dev: io_dev,
            _ctrl_dev: ctrl_dev,
        };
        if ng.is_some() {
            // Identify when admin works (it knows about metadata), else sysfs.
            u.ns_format(nsid)?;
        }
        Ok(u)
    }

    /// A ring whose commands complete as `IORING_OP_NOP` instead of reaching a
    /// device: everything else (validation, encoding, the in-flight table,
    /// tags, registered buffers, setup flags, one syscall per submit) is the
    /// real path. For testing and benchmarking the queue plumbing on hosts
    /// without NVMe; every namespace has `lba_size`-byte blocks and every
    /// command succeeds with result 0 without touching its buffer.
    pub fn loopback(opts: UringOptions, lba_size: u32) -> Result<Self, OpenError> {
        Self::loopback_with_metadata(opts, lba_size, 0)
    }

    /// A [`loopback`](Self::loopback) ring whose namespaces have `meta_bytes`
    /// of separate metadata per block (0: none), so commands moving blocks
    /// need a metadata buffer of that many bytes per block.
    pub fn loopback_with_metadata(
        opts: UringOptions,
        lba_size: u32,
        meta_bytes: u32,
    ) -> Result<Self, OpenError> {
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
            io: Queue::new(
                ring,
                opts.depth as usize,
                opts.sqpoll.is_some(),
                opts.max_segments as usize,
            ),
            admin_ring: None,
            target: Target::Loopback,
            io_file: Some(FileRef::Fd(-1)),
            admin_file: Some(FileRef::Fd(-1)),
            admin_missing: "",
            iopoll: false,
            timeout_ms: 0,
            formats: Vec::with_capacity(FORMAT_CACHE),
            loopback_format: NsFormat {
                block_bytes: lba_size,
                meta_bytes,
            },
            ng: None,
            nsid: 1,
            max_segments: opts.max_segments,
            caps: Caps {
                name: "uring-loopback",
                max_xfer: DEFAULT_MAX_XFER,
                queue_depth: opts.depth,
                admin: true,
                metadata: true,
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

    /// The most data segments one vectored command may use
    /// ([`UringOptions::max_segments`]).
    pub fn max_segments(&self) -> u16 {
        self.max_segments
    }

    /// The current format of namespace `nsid`: Identify Namespace on first
    /// use, then remembered (without admin access, the opened namespace's
    /// block size comes from sysfs, which knows it has no metadata).
    pub fn ns_format(&mut self, nsid: u32) -> Result<NsFormat, Error> {
        if let Some(&(_, f)) = self.formats.iter().find(|(n, _)| *n == nsid) {
            return Ok(f);
        }
        if self.target == Target::Loopback {
            return Ok(self.loopback_format);
        }
        let f = if self.admin_file.is_some() {
            let mut id = AlignedBuf::zeroed(4096);
            let r = self.execute(
                &Identify::namespace(nsid).build(),
                Data::FromDevice(id.as_mut_slice()),
            );
            match r {
                Ok(_) => {}
                // Invalid Namespace or Format.
                Err(Error::Status(s))
                    if s == Status::from_parts(nvmeq_core::Sct::GENERIC, 0x0b) =>
                {
                    return Err(Error::UnknownNamespace(nsid))
                }
                Err(e) => return Err(e),
            }
            probe::format_from_id_ns(id.as_slice()).map_err(|_| Error::UnknownNamespace(nsid))?
        } else {
            let sysfs = self.ng.as_deref().filter(|_| nsid == self.nsid);
            let block_bytes = sysfs
                .and_then(probe::sysfs_lba_size)
                .ok_or(Error::UnknownNamespace(nsid))?;
            NsFormat {
                block_bytes,
                meta_bytes: 0,
            }
        };
        if self.formats.len() < FORMAT_CACHE {
            self.formats.push((nsid, f));
        }
        Ok(f)
    }

    /// Forgets remembered namespace formats; call it after a Format NVM or
    /// namespace management command changed one.
    pub fn forget_formats(&mut self) {
        self.formats.clear();
    }

    /// Asks the kernel to rescan the controller's namespaces
    /// (`NVME_IOCTL_RESCAN` on the controller device) and forgets remembered
    /// formats.
    ///
    /// Linux acts on the effects of admin commands sent through its ioctls
    /// (it rescans after a Format NVM or namespace management) but not of
    /// those sent over io_uring, so until a rescan its namespace (block size,
    /// metadata/integrity set-up) still describes the old format: e.g. it
    /// refuses metadata buffers (EINVAL) on a namespace just formatted with
    /// separate metadata. [`execute`](Backend::execute) calls this itself
    /// after a successful Format NVM, Namespace Management or Namespace
    /// Attachment; the rescan runs asynchronously in the kernel.
    pub fn rescan(&mut self) -> Result<(), Error> {
        self.formats.clear();
        if self.target == Target::Loopback {
            return Ok(());
        }
        let ctrl = self._ctrl_dev.as_ref().ok_or(Error::Unsupported(
            "rescanning needs the controller char device /dev/nvmeX",
        ))?;
        sys::rescan(ctrl).map_err(|e| Error::Os {
            op: "NVME_IOCTL_RESCAN",
            errno: e.raw_os_error().unwrap_or(libc::EIO),
        })
    }

    /// Resolves what the command transfers from its own fields, before
    /// anything reaches the kernel: (data bytes, separate metadata bytes).
    fn plan(&mut self, cmd: &Cmd, has_meta: bool) -> Result<(u32, u32), Error> {
        let fmt = match cmd.xfer {
            Xfer::Blocks(_) => Some(self.ns_format(cmd.nsid())?),
            _ => None,
        };
        let len = cmd
            .xfer
            .bytes(fmt.map_or(0, |f| f.block_bytes))
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
        let meta = match (cmd.xfer, fmt) {
            (Xfer::Blocks(n), Some(f)) if f.meta_bytes != 0 && len > 0 => {
                if !has_meta {
                    // Without one the kernel leaves MPTR 0 and the device
                    // would move the metadata at address 0.
                    return Err(Error::Invalid(
                        "the namespace's LBA format has separate metadata: pass a metadata \
                         buffer (Uring::execute_with, push_with or push_vec)",
                    ));
                }
                n.checked_mul(f.meta_bytes)
                    .ok_or(Error::Invalid("the metadata length overflows 32 bits"))?
            }
            _ if has_meta && cmd.queue == QueueKind::Admin => {
                return Err(Error::Unsupported(
                    "metadata buffers travel with I/O commands only: the controller device \
                     has no block device to carry them (Linux drops or refuses them)",
                ))
            }
            _ if has_meta => {
                return Err(Error::Invalid(
                    "a metadata buffer was given but the command moves no separate metadata \
                     (the namespace's format has none, or the command's length is not in blocks)",
                ))
            }
            _ => 0,
        };
        Ok((len, meta))
    }

    /// The file and `cmd_op` for a command on `queue`, vectored or not.
    fn file_for(&self, queue: QueueKind, vectored: bool) -> Result<(FileRef, u32), Error> {
        if vectored && self.max_segments == 0 {
            return Err(Error::Unsupported(
                "vectored commands are disabled on this ring (UringOptions::max_segments(0))",
            ));
        }
        match queue {
            QueueKind::Io => self
                .io_file
                .map(|f| {
                    let op = if vectored {
                        NVME_URING_CMD_IO_VEC
                    } else {
                        NVME_URING_CMD_IO
                    };
                    (f, op)
                })
                .ok_or(Error::Unsupported(
                    "I/O commands need a namespace char device (/dev/ngXnY); this backend \
                     was opened on a controller",
                )),
            QueueKind::Admin => self
                .admin_file
                .map(|f| {
                    let op = if vectored {
                        NVME_URING_CMD_ADMIN_VEC
                    } else {
                        NVME_URING_CMD_ADMIN
                    };
                    (f, op)
                })
                .ok_or(Error::Unsupported(self.admin_missing)),
        }
    }

    fn entry(
        target: Target,
        file: FileRef,
        cmd_op: u32,
        ucmd: &NvmeUringCmd,
        fixed: Option<u16>,
    ) -> squeue::Entry128 {
        if target == Target::Loopback {
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

    /// Runs one command whose buffers the caller lends for the call: takes
    /// a slot, fills its iovec array from `vec` when vectored, pushes and
    /// waits for the completion.
    fn run_borrowed(
        &mut self,
        queue: QueueKind,
        file: FileRef,
        cmd_op: u32,
        mut ucmd: NvmeUringCmd,
        vec: Option<(&mut VecData<'_, '_>, u32)>,
    ) -> Result<Completion, Error> {
        let target = self.target;
        let q = match (&mut self.admin_ring, queue) {
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
            .insert(UNEXPECTED_TAG, None)
            .map_err(|_| Error::Invalid("the queue is full"))?;
        if let Some((data, need)) = vec {
            let filled = match q.slab.in_flight_parts(ud) {
                Some((_, iov)) => iov::fill_borrowed(iov, data, need).map(|n| (iov.as_ptr(), n)),
                None => Err(Error::Invalid("the in-flight slot vanished")),
            };
            match filled {
                Ok((at, n)) => {
                    ucmd.addr = at as u64;
                    ucmd.data_len = n as u32;
                }
                Err(e) => {
                    q.slab.cancel_insert(ud);
                    return Err(e);
                }
            }
        }
        let entry = Self::entry(target, file, cmd_op, &ucmd, None);
        // SAFETY: the buffers `ucmd` names (data, metadata, or the segments
        // listed in the slot's iovec array) are borrowed for this whole call,
        // and `wait_for` returns only after this command's completion (or
        // aborts the process), so they outlive the kernel's use of them. The
        // iovec array belongs to slot `ud`, which stays taken until then.
        // Every length was checked against its buffer.
        if !unsafe { q.push(&entry.user_data(ud.encode())) } {
            q.slab.cancel_insert(ud);
            return Err(Error::Invalid("the submission queue is full"));
        }
        q.wait_for(ud)
    }

    /// Runs one command with a separate metadata buffer (`meta`, in the
    /// data's direction; [`Data::None`] when the namespace's format has no
    /// separate metadata). Its required length is the block count × the
    /// format's metadata size ([`NsFormat::meta_bytes`]); a longer buffer is
    /// not used past it.
    ///
    /// Metadata travels with I/O commands that move blocks only: the kernel
    /// maps it alongside the data (never without data) into the namespace's
    /// integrity payload, which needs the namespace's block device; older
    /// kernels silently drop it for admin commands, newer ones refuse it. So
    /// anything else is refused here, before the kernel. After a Format NVM
    /// sent over io_uring, the kernel accepts metadata only once it has
    /// rescanned the namespace (see [`rescan`](Self::rescan)).
    pub fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        let (need, meta_need) = self.plan(cmd, !meta.is_empty())?;
        let len = data.check(cmd.dir, need as u64)?;
        let meta_len = meta.check(cmd.dir, meta_need as u64)?;
        let (file, cmd_op) = self.file_for(cmd.queue, false)?;
        let addr = match data {
            _ if len == 0 => 0,
            Data::None => 0,
            Data::ToDevice(b) => b.as_ptr() as u64,
            Data::FromDevice(b) => b.as_mut_ptr() as u64,
        };
        let maddr = match meta {
            _ if meta_len == 0 => 0,
            Data::None => 0,
            Data::ToDevice(b) => b.as_ptr() as u64,
            Data::FromDevice(b) => b.as_mut_ptr() as u64,
        };
        let mut ucmd = NvmeUringCmd::from_command(&cmd.sqe, addr, len);
        ucmd.metadata = maddr;
        ucmd.metadata_len = meta_len;
        ucmd.timeout_ms = self.timeout_ms;
        let c = self.run_borrowed(cmd.queue, file, cmd_op, ucmd, None)?;
        if cmd.queue == QueueKind::Admin && changes_namespaces(cmd.sqe.opcode()) {
            // The command succeeded; a failed rescan request (the controller
            // device is open, so it does not fail in practice) must not turn
            // that into an error. Cached formats are forgotten either way.
            let _ = self.rescan();
        }
        Ok(c)
    }

    /// Runs one command whose data is spread over several buffers
    /// (`NVME_URING_CMD_IO_VEC` for I/O, Linux ≥ 5.19;
    /// `NVME_URING_CMD_ADMIN_VEC` for admin, Linux ≥ 6.0), with an optional
    /// separate metadata buffer as in [`execute_with`](Self::execute_with).
    ///
    /// The segments are used in order until they hold the command's transfer
    /// length: empty ones are skipped, the last one used is cut, and later
    /// ones are not given to the kernel. Too few bytes in all is
    /// [`Error::BufferTooSmall`]; covering the transfer may take at most
    /// [`max_segments`](Self::max_segments) segments. The iovec array lives in
    /// the command's in-flight slot, not on the stack. Registered buffers are
    /// passed as plain memory (the kernel refuses `IORING_URING_CMD_FIXED` on
    /// vectored commands).
    pub fn execute_vec(
        &mut self,
        cmd: &Cmd,
        mut data: VecData<'_, '_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        let (need, meta_need) = self.plan(cmd, !meta.is_empty())?;
        if need == 0 {
            return Err(Error::Invalid(
                "a vectored command must move data (its transfer length is 0)",
            ));
        }
        let dir_ok = matches!(
            (cmd.dir, &data),
            (DataDir::ToDevice, VecData::ToDevice(_))
                | (DataDir::FromDevice | DataDir::Both, VecData::FromDevice(_))
        );
        if !dir_ok {
            return Err(Error::BufferMismatch {
                expected: cmd.dir,
                given: data.given(),
            });
        }
        let meta_len = meta.check(cmd.dir, meta_need as u64)?;
        let (file, cmd_op) = self.file_for(cmd.queue, true)?;
        let maddr = match meta {
            _ if meta_len == 0 => 0,
            Data::None => 0,
            Data::ToDevice(b) => b.as_ptr() as u64,
            Data::FromDevice(b) => b.as_mut_ptr() as u64,
        };
        // `addr` and `data_len` are set from the slot's iovec array.
        let mut ucmd = NvmeUringCmd::from_command(&cmd.sqe, 0, 0);
        ucmd.metadata = maddr;
        ucmd.metadata_len = meta_len;
        ucmd.timeout_ms = self.timeout_ms;
        self.run_borrowed(cmd.queue, file, cmd_op, ucmd, Some((&mut data, need)))
    }

    /// Queues a command with its data buffer and a separate metadata buffer
    /// (see [`execute_with`](Self::execute_with) for what metadata needs).
    /// Both are owned by the command's in-flight slot until
    /// [`reap_all`](Self::reap_all) hands them back.
    pub fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<UringBuf>,
        metadata: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<CmdBufs>> {
        let bufs = CmdBufs {
            data,
            segments: Vec::new(),
            metadata,
        };
        self.push_bufs(cmd, bufs, false, tag)
    }

    /// Queues a vectored command (`NVME_URING_CMD_IO_VEC` /
    /// `NVME_URING_CMD_ADMIN_VEC`) whose data is spread over `segments`, cut
    /// to exactly the command's length as in [`execute_vec`](Self::execute_vec),
    /// with an optional separate metadata buffer.
    ///
    /// The segments, the metadata buffer and the iovec array (preallocated in
    /// the in-flight slot) stay owned by the queue until
    /// [`reap_all`](Self::reap_all) hands the buffers back; nothing is
    /// allocated per command (the `Vec` is moved, and handed back for reuse).
    /// A full queue hands everything back as [`Rejected::Full`].
    pub fn push_vec(
        &mut self,
        cmd: &Cmd,
        segments: Vec<UringBuf>,
        metadata: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<CmdBufs>> {
        let bufs = CmdBufs {
            data: None,
            segments,
            metadata,
        };
        self.push_bufs(cmd, bufs, true, tag)
    }

    /// Hands every ready completion to `f` with all the buffers its command
    /// owned (data, segments, metadata), without a syscall. Use this instead
    /// of [`Backend::reap`] when commands were queued with
    /// [`push_vec`](Self::push_vec) or [`push_with`](Self::push_with):
    /// `Backend::reap` returns only the data buffer and drops the rest (after
    /// the completion, so safely, but the caller loses them).
    pub fn reap_all(&mut self, f: impl FnMut(Reaped<CmdBufs>)) -> usize {
        self.io.reap(f)
    }

    fn push_bufs(
        &mut self,
        cmd: &Cmd,
        bufs: CmdBufs,
        vectored: bool,
        tag: u64,
    ) -> Result<(), Rejected<CmdBufs>> {
        let reject = |bufs, e| {
            Err(Rejected::Invalid {
                error: e,
                buf: Some(bufs),
            })
        };
        let (need, meta_need) = match self.plan(cmd, bufs.metadata.is_some()) {
            Ok(n) => n,
            Err(e) => return reject(bufs, e),
        };
        if cmd.queue == QueueKind::Admin && self.admin_ring.is_some() {
            return reject(
                bufs,
                Error::Unsupported(
                    "admin commands cannot be queued on an IOPOLL ring (the controller \
                     device does not poll); use execute",
                ),
            );
        }
        let (file, cmd_op) = match self.file_for(cmd.queue, vectored) {
            Ok(f) => f,
            Err(e) => return reject(bufs, e),
        };
        if vectored && need == 0 {
            return reject(
                bufs,
                Error::Invalid("a vectored command must move data (its transfer length is 0)"),
            );
        }
        if !vectored && need > 0 {
            let Some(b) = &bufs.data else {
                return reject(
                    bufs,
                    Error::BufferMismatch {
                        expected: cmd.dir,
                        given: "no buffer",
                    },
                );
            };
            if let Err(e) = nvmeq_core::backend::check_len(need as u64, b.len()) {
                return reject(bufs, e);
            }
        }
        if meta_need > 0 {
            let have = bufs.metadata.as_ref().map_or(0, |m| m.len());
            if let Err(e) = nvmeq_core::backend::check_len(meta_need as u64, have) {
                return reject(bufs, e);
            }
        }
        if !self.io.has_room() {
            return Err(Rejected::Full(Some(bufs)));
        }
        let (target, timeout_ms) = (self.target, self.timeout_ms);
        // The buffers move into the slot; their memory does not move.
        let ud = match self.io.slab.insert(tag, Some(bufs)) {
            Ok(ud) => ud,
            Err(buf) => return Err(Rejected::Full(buf)),
        };
        let Some((Some(owned), iov)) = self.io.slab.in_flight_parts(ud) else {
            let buf = self.io.slab.cancel_insert(ud);
            return Err(Rejected::Invalid {
                error: Error::Invalid("the in-flight slot vanished"),
                buf,
            });
        };
        let (addr, data_len, fixed) = if vectored {
            let segs = owned.segments.iter_mut().map(|b| {
                let s = b.as_mut_slice();
                (s.as_mut_ptr() as usize, s.len())
            });
            match iov::fill_iovecs(iov, segs, need) {
                // Registered segments go as plain memory: the kernel refuses
                // IORING_URING_CMD_FIXED on vectored commands.
                Ok(n) => (iov.as_ptr() as u64, n as u32, None),
                Err(e) => {
                    let buf = self.io.slab.cancel_insert(ud);
                    return Err(Rejected::Invalid { error: e, buf });
                }
            }
        } else {
            match (&mut owned.data, need) {
                (Some(b), n) if n > 0 => {
                    let (a, fixed) = buf_addr(self.pool.as_ref(), b);
                    (a, n, fixed)
                }
                _ => (0, 0, None),
            }
        };
        let maddr = match (&mut owned.metadata, meta_need) {
            (Some(m), n) if n > 0 => m.as_mut_slice().as_mut_ptr() as u64,
            _ => 0,
        };
        let mut ucmd = NvmeUringCmd::from_command(&cmd.sqe, addr, data_len);
        ucmd.metadata = maddr;
        ucmd.metadata_len = meta_need;
        ucmd.timeout_ms = timeout_ms;
        let entry = Self::entry(target, file, cmd_op, &ucmd, fixed);
        // SAFETY: every buffer `ucmd` names (data, metadata, the segments in
        // the iovec array) and the iovec array itself are owned by slot `ud`
        // until reap takes this command's completion (or drop waits for it);
        // each length was checked against its buffer and cut to the command's.
        if !unsafe { self.io.push(&entry.user_data(ud.encode())) } {
            let buf = self.io.slab.cancel_insert(ud);
            return Err(Rejected::Full(buf));
        }
        Ok(())
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

impl Backend for Uring {
    type Buf = UringBuf;

    fn caps(&self) -> Caps {
        self.caps
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.ns_format(nsid).map(|f| f.block_bytes)
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
        self.execute_with(cmd, data, Data::None)
    }

    fn push(
        &mut self,
        cmd: &Cmd,
        buf: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<UringBuf>> {
        let bufs = CmdBufs {
            data: buf,
            segments: Vec::new(),
            metadata: None,
        };
        self.push_bufs(cmd, bufs, false, tag).map_err(|r| match r {
            Rejected::Full(b) => Rejected::Full(b.and_then(|b| b.data)),
            Rejected::Invalid { error, buf } => Rejected::Invalid {
                error,
                buf: buf.and_then(|b| b.data),
            },
        })
    }

    /// One `io_uring_enter` that submits every pushed command and waits for
    /// `min_complete` completions. With IOPOLL this is also what polls the
    /// device, so call it (with 0) to make completions appear.
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        let in_flight = self.io.slab.in_use();
        if min_complete as usize > in_flight {
            return Err(Error::Invalid(
                "submit would wait for more completions than commands in flight",
            ));
        }
        let want = (min_complete as usize).saturating_sub(self.io.ready());
        let submitted = self.io.submit(want)?;
        // With IOPOLL the kernel stops waiting when nothing is on its poll
        // list: a command it had to punt to a worker (e.g. one whose segments
        // are bounced) joins the list only once issued. Poll again until the
        // completions asked for are there.
        while self.iopoll {
            let ready = self.io.ready();
            if ready >= min_complete as usize {
                break;
            }
            self.io.submit(min_complete as usize - ready)?;
        }
        Ok(submitted as u32)
    }

    /// Hands out completions with their data buffers. Segments and metadata
    /// buffers of commands queued with [`Uring::push_vec`] or
    /// [`Uring::push_with`] are dropped here (after their completion); use
    /// [`Uring::reap_all`] to get them back.
    fn reap(&mut self, mut f: impl FnMut(Reaped<UringBuf>)) -> usize {
        self.io.reap(|r: Reaped<CmdBufs>| {
            f(Reaped {
                tag: r.tag,
                result: r.result,
                buf: r.buf.and_then(|b| b.data),
            })
        })
    }

    fn in_flight(&self) -> u32 {
        self.io.slab.in_use() as u32
    }

    /// `io_uring_enter` calls so far (both rings; `push` and `reap` make none).
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
        u.push(&Flush::new(1).build(), None, 7).unwrap();
        u.submit(1).unwrap();
        let mut got = Vec::new();
        u.reap(|r| got.push((r.tag, r.result)));
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 7);
        // The slot that command used (slot 0, sequence 1) is free again: a
        // second completion for it is stale.
        let stale = UserData { slot: 0, seq: 1 }.encode();
        let out_of_range = UserData { slot: 9, seq: 1 }.encode();
        // A live command whose slot is reused must not be disturbed.
        u.push(&Flush::new(1).build(), None, 8).unwrap();
        inject(&mut u, stale);
        inject(&mut u, out_of_range);
        u.io.submit(3).unwrap();
        got.clear();
        u.reap(|r| got.push((r.tag, r.result)));
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
        u.reap(|r| got.push((r.tag, r.result)));
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
        let e = Uring::entry(
            real.target,
            FileRef::Fd(5),
            NVME_URING_CMD_IO,
            &ucmd,
            Some(3),
        );
        assert_eq!(e.get_opcode(), opcode::UringCmd80::CODE as u32);
        real.target = Target::Loopback;
        let e = Uring::entry(real.target, FileRef::Fd(5), NVME_URING_CMD_IO, &ucmd, None);
        assert_eq!(e.get_opcode(), opcode::Nop::CODE as u32);
    }

    #[test]
    fn write_vec_points_the_kernel_at_the_slots_own_iovec_array() {
        use crate::iov::Iov;
        use nvmeq_core::cmd::Write;
        let mut u = Uring::loopback(UringOptions::new().depth(2).max_segments(4), 512).unwrap();
        let segs = vec![
            UringBuf::zeroed(1000),
            UringBuf::zeroed(3000),
            UringBuf::zeroed(200),
            UringBuf::zeroed(512),
        ];
        let at: Vec<usize> = segs
            .iter()
            .map(|b| b.as_slice().as_ptr() as usize)
            .collect();
        u.push_vec(&Write::new(1, 0, 7).build(), segs, None, 1)
            .unwrap();
        let first = UserData { slot: 0, seq: 1 };
        let (bufs, iov) = u.io.slab.in_flight_parts(first).unwrap();
        assert_eq!(
            bufs.unwrap().segments.len(),
            4,
            "the slot owns every segment"
        );
        assert_eq!(
            iov,
            [
                Iov {
                    base: at[0],
                    len: 1000
                },
                Iov {
                    base: at[1],
                    len: 3000
                },
                Iov {
                    base: at[2],
                    len: 96
                },
                Iov::default(),
            ],
            "4096 bytes: the third segment cut, the spare left out"
        );
        let first_array = iov.as_ptr();
        // A second command in flight at the same time has its own array.
        u.push_vec(
            &Write::new(1, 0, 0).build(),
            vec![UringBuf::zeroed(512)],
            None,
            2,
        )
        .unwrap();
        let second = UserData { slot: 1, seq: 1 };
        let (_, iov2) = u.io.slab.in_flight_parts(second).unwrap();
        assert_ne!(iov2.as_ptr(), first_array);
        assert_eq!(iov2[0].len, 512);
        let (_, iov) = u.io.slab.in_flight_parts(first).unwrap();
        assert_eq!((iov.as_ptr(), iov[2].len), (first_array, 96), "untouched");
        u.submit(2).unwrap();
        assert_eq!(u.reap_all(|r| assert!(r.result.is_ok())), 2);
        assert!(
            u.io.slab.in_flight_parts(first).is_none(),
            "the slot (and its array) is free only after reaping"
        );
    }

    #[test]
    fn namespace_changing_admin_commands_trigger_a_rescan() {
        use nvmeq_core::AdminOpcode;
        for op in [
            AdminOpcode::FORMAT_NVM,
            AdminOpcode::NS_MANAGEMENT,
            AdminOpcode::NS_ATTACHMENT,
        ] {
            assert!(changes_namespaces(op.0), "{op:?}");
        }
        for op in [
            AdminOpcode::IDENTIFY,
            AdminOpcode::GET_LOG_PAGE,
            AdminOpcode::SET_FEATURES,
        ] {
            assert!(!changes_namespaces(op.0), "{op:?}");
        }
        // On a loopback ring the rescan only forgets cached formats.
        let mut u = Uring::loopback(UringOptions::new().depth(2), 512).unwrap();
        u.formats.push((
            7,
            NsFormat {
                block_bytes: 4096,
                meta_bytes: 0,
            },
        ));
        u.rescan().unwrap();
        assert!(u.formats.is_empty());
    }
}
