//! Opening a [`Uring`]: the device nodes, the rings and their setup flags,
//! the registered buffers, and the loopback rings for tests.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{FileRef, Nodes, Target, Uring, UringNodes, DEFAULT_MAX_XFER};
use io_uring::{opcode, squeue, Probe};
use nvmeq_core::format::FormatCache;
use nvmeq_core::{Caps, Error};

use crate::buf::FixedBufPool;
use crate::iov::MAX_SEGMENTS;
use crate::options::{UringOptions, MAX_DEPTH};
use crate::probe::{self, NsFormat, OpenError};
use crate::queue::{Queue, Ring};
use crate::sys;
use nvmeq_linux::{Node, NodeKind};

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
    if opts.coop_taskrun || opts.defer_taskrun {
        // The kernel then flags pending task work in the SQ ring
        // (IORING_SQ_TASKRUN): a caller that only polls enters the ring,
        // with GETEVENTS, exactly when there is some to run.
        b.setup_taskrun_flag();
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
    /// controller (`/dev/nvmeX`, or [`UringOptions::ctrl`](crate::UringOptions::ctrl)) for admin
    /// commands when it can be opened. A namespace block device
    /// (`/dev/nvmeXnY`) is opened through its char device `/dev/ngXnY`.
    /// Opening a controller char device gives an admin-only backend.
    ///
    /// Fails with [`OpenError::NotNvme`] for anything else (e.g. `/dev/null`),
    /// [`OpenError::NoUringCmd`] on a kernel without NVMe passthrough over
    /// io_uring (naming the ioctl backend as the fallback), and
    /// [`OpenError::Option`] for an option this kernel or device lacks.
    ///
    /// The same as [`UringNodes::open`] then [`UringNodes::ring`]; keep the
    /// nodes ([`Uring::nodes`]) to build more rings on the same descriptors.
    pub fn open(path: impl AsRef<Path>, opts: UringOptions) -> Result<Self, OpenError> {
        // A bad option is named before any node is looked at.
        check_options(&opts)?;
        UringNodes::open(path, &opts)?.ring(opts)
    }
}

impl UringNodes {
    /// Opens the nodes as [`Uring::open`] does, without a ring: the
    /// namespace char device and, when it can be opened, its controller
    /// ([`UringOptions::ctrl`](crate::UringOptions::ctrl) names it; the
    /// other options are the rings').
    pub fn open(path: impl AsRef<Path>, opts: &UringOptions) -> Result<Self, OpenError> {
        let given = path.as_ref();
        // A namespace block device is opened through its generic char device.
        let generic = probe::generic_for_block(given);
        let path = generic.as_deref().unwrap_or(given);
        let p = path.display().to_string();
        let node = probe::classify(path)?;
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
        let (ng, ctrl_path): (Option<String>, Option<PathBuf>) = match node.kind {
            NodeKind::Controller => (None, Some(path.to_path_buf())),
            _ => (
                Some(node.name.clone()),
                opts.ctrl.clone().or_else(|| probe::controller_of(&node)),
            ),
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
                c if c.kind == NodeKind::Controller => Ok(f),
                Node { name: n, .. } => Err(OpenError::NotNvme {
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

        let limits = ng.as_deref().and_then(probe::sysfs_queue_limits);
        let ctrl_path = ctrl_dev.as_ref().and(ctrl_path);
        Ok(UringNodes(Arc::new(Nodes {
            path: p,
            version,
            ng,
            nsid,
            io_dev,
            ctrl_dev,
            ctrl_path,
            admin_missing,
            limits,
        })))
    }

    /// A new ring on these nodes' file descriptors, with `opts`' ring
    /// options (its `ctrl` is the nodes' business and is not looked at).
    /// Each ring has its own submission and completion queues, in-flight
    /// table and registered buffers; the descriptors stay open while any
    /// ring or the nodes do.
    pub fn ring(&self, opts: UringOptions) -> Result<Uring, OpenError> {
        let n = &*self.0;
        let (p, version, ng, nsid) = (&n.path, n.version, &n.ng, n.nsid);
        let (io_dev, ctrl_dev) = (&n.io_dev, &n.ctrl_dev);
        check_options(&opts)?;
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

        if let (Some((_, size)), Some(name), true) = (opts.fixed_bufs, ng, version < (6, 12)) {
            // Before 6.12 the kernel counts every page of the registered buffer
            // as a segment and refuses (EINVAL) buffers with more pages than
            // the queue's max_segments, whatever the command's length (seen on
            // 6.1; 6.12 takes any size).
            let pages = size.div_ceil(4096) as u64;
            let max_segs = probe::sysfs_queue_limits(name).map(|l| l.max_segments as u64);
            if let Some(max) = max_segs.filter(|&m| pages > m) {
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
        let ring = build_ring(&opts, depth, opts.iopoll, p)?;
        probe_uring_cmd(&ring, p)?;
        let pool = register_pool(&ring, &opts)?;

        let (mut io_file, mut admin_file) = (
            io_dev.as_ref().map(|f| FileRef::Fd(f.as_raw_fd())),
            ctrl_dev.as_ref().map(|f| FileRef::Fd(f.as_raw_fd())),
        );
        let mut admin_ring = None;
        if let (true, Some(cd)) = (opts.iopoll, ctrl_dev) {
            // A small interrupt-driven ring for admin commands.
            let plain = UringOptions {
                sqpoll: None,
                ..opts.clone()
            };
            let r = build_ring(&plain, 4, false, p)?;
            if opts.register_files {
                r.submitter()
                    .register_files(&[cd.as_raw_fd()])
                    .map_err(|e| flag_error("register_files", "5.1", &e))?;
            }
            admin_ring = Some(Queue::new(
                r,
                4,
                false,
                opts.max_segments as usize,
                opts.register_ring_fd,
            ));
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

        let limits = n.limits;
        let max_xfer = limits.map_or(DEFAULT_MAX_XFER, |l| l.max_xfer());
        let mut u = Uring {
            io: Queue::new(
                ring,
                depth as usize,
                opts.sqpoll.is_some(),
                opts.max_segments as usize,
                opts.register_ring_fd,
            ),
            admin_ring,
            target: Target::Nvme,
            io_file,
            admin_file,
            admin_missing: n.admin_missing,
            iopoll: opts.iopoll,
            enter_to_complete: opts.iopoll || opts.coop_taskrun || opts.defer_taskrun,
            timeout_ms: 0,
            formats: FormatCache::new(),
            loopback_format: NsFormat::separate(0, 0),
            ng: ng.clone(),
            nsid,
            max_segments: opts.max_segments,
            limits,
            caps: Caps {
                kind: nvmeq_core::BackendKind::Uring,
                max_xfer,
                queue_depth: depth,
                admin: ctrl_dev.is_some(),
                // Separate metadata buffers travel with I/O commands only.
                metadata: io_dev.is_some(),
            },
            pool,
            nodes: Some(self.clone()),
        };
        if ng.is_some() {
            // Identify when admin works (it knows about metadata), else sysfs.
            u.ns_format(nsid)?;
        }
        Ok(u)
    }
}

impl Uring {
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
        let ms = u16::try_from(meta_bytes).map_err(|_| {
            OpenError::Nvme(Error::BadArgument(&nvmeq_core::error::BadArg {
                name: "meta_bytes",
                why: "an LBA format's metadata size (MS) is 16 bits",
            }))
        })?;
        if !lba_size.is_power_of_two() || lba_size < 512 {
            return Err(OpenError::Nvme(Error::BadArgument(
                &nvmeq_core::error::BadArg {
                    name: "lba_size",
                    why: "must be a power of two of at least 512",
                },
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
                opts.register_ring_fd,
            ),
            admin_ring: None,
            target: Target::Loopback,
            io_file: Some(FileRef::Fd(-1)),
            admin_file: Some(FileRef::Fd(-1)),
            admin_missing: "",
            iopoll: false,
            enter_to_complete: opts.coop_taskrun || opts.defer_taskrun,
            timeout_ms: 0,
            formats: FormatCache::new(),
            loopback_format: NsFormat::separate(lba_size, ms),
            ng: None,
            nsid: 1,
            max_segments: opts.max_segments,
            limits: None,
            caps: Caps {
                kind: nvmeq_core::BackendKind::Uring,
                max_xfer: DEFAULT_MAX_XFER,
                queue_depth: opts.depth,
                // Admin commands complete as no-ops: no controller answers.
                admin: false,
                metadata: true,
            },
            pool,
            nodes: None,
        })
    }
}
