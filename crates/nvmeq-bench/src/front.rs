//! Device strings and backend options for `nvmeq bench`.
//!
//! The engine is generic over [`Backend`]; here the device is opened once
//! as an [`nvmeq::SharedDevice`] (cargo features `uring`, `ioctl`, `vfio`
//! with their options, everything else through the facade) and each job
//! runs on one of its queue handles, so `--jobs N` means the same on every
//! backend: N threads, N queues of one device.

// Without a backend feature only the parsing is left.
#![cfg_attr(
    not(any(feature = "ioctl", feature = "facade", feature = "uring")),
    allow(dead_code, unused_mut, unused_variables)
)]

use std::fmt;
use std::str::FromStr;

use crate::{BenchError, Config, Progress, Report};
#[allow(unused_imports)]
use nvmeq_core::Backend;

/// How an io_uring ring runs completion work (task work) for its
/// submitter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Taskrun {
    /// `IORING_SETUP_COOP_TASKRUN | SINGLE_ISSUER | DEFER_TASKRUN`: completion
    /// work runs only when the one submitting task enters the ring, with
    /// no interrupt of the task to run it. What fio's io_uring engines and
    /// t/io_uring set by default, so the default here too (Linux ≥ 6.1;
    /// not with `sqpoll`, where the kernel thread submits).
    #[default]
    Defer,
    /// `IORING_SETUP_COOP_TASKRUN` only (Linux ≥ 5.19).
    Coop,
    /// None of them: the kernel interrupts the task to run completion work.
    Signal,
}

/// Backend options, from a comma-separated list such as `fixedbufs,poll`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackendOpts {
    /// io_uring: registered buffers, one per queue slot (`IORING_URING_CMD_FIXED`).
    pub fixedbufs: bool,
    /// io_uring: polled completions (`IORING_SETUP_IOPOLL`; needs poll queues).
    pub poll: bool,
    /// io_uring: a kernel thread polls the SQ, sleeping after this many ms idle.
    pub sqpoll: Option<u32>,
    /// io_uring: registered device file.
    pub regfiles: bool,
    /// uring: enter through the registered ring fd (`regring`).
    pub regring: bool,
    /// VFIO: MSI-X interrupts, waits sleep instead of spinning (`poll`, or
    /// nothing, polls).
    pub irq: bool,
    /// io_uring: how completion work runs (`coop`, `signal`; default: defer).
    pub taskrun: Taskrun,
}

impl BackendOpts {
    /// True when no option is set.
    pub fn is_empty(&self) -> bool {
        *self == BackendOpts::default()
    }

    /// Fails naming the first option set, for backends that take none.
    fn none_for(&self, backend: &str) -> Result<(), BenchError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(BenchError::Config(format!(
                "backend options `{self}` apply to the uring and vfio backends, not {backend}"
            )))
        }
    }
}

impl FromStr for BackendOpts {
    type Err = BenchError;

    /// `fixedbufs`, `poll`, `sqpoll[=IDLE_MS]` (default 2000 ms), `regfiles`,
    /// `irq`, and one of `defer` (the default), `coop`, `signal`,
    /// comma-separated; empty or `none` for the defaults.
    fn from_str(s: &str) -> Result<Self, BenchError> {
        let mut o = BackendOpts::default();
        for w in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match w {
                "none" => {}
                "fixedbufs" | "fixed" => o.fixedbufs = true,
                "poll" | "iopoll" | "hipri" => o.poll = true,
                "regfiles" => o.regfiles = true,
                "regring" => o.regring = true,
                "irq" | "interrupts" => o.irq = true,
                "sqpoll" => o.sqpoll = Some(2000),
                "defer" => o.taskrun = Taskrun::Defer,
                "coop" => o.taskrun = Taskrun::Coop,
                "signal" | "notaskrun" => o.taskrun = Taskrun::Signal,
                _ => match w.strip_prefix("sqpoll=") {
                    Some(ms) => {
                        o.sqpoll = Some(ms.parse().map_err(|_| {
                            BenchError::Config(format!("sqpoll={ms}: not a number of milliseconds"))
                        })?)
                    }
                    None => {
                        return Err(BenchError::Config(format!(
                            "unknown backend option `{w}` (fixedbufs, poll, sqpoll[=MS], regfiles, regring, irq, \
                             defer, coop, signal)"
                        )))
                    }
                },
            }
        }
        Ok(o)
    }
}

impl fmt::Display for BackendOpts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if self.fixedbufs {
            parts.push("fixedbufs".into());
        }
        if self.poll {
            parts.push("poll".into());
        }
        if let Some(ms) = self.sqpoll {
            parts.push(format!("sqpoll={ms}"));
        }
        if self.regfiles {
            parts.push("regfiles".into());
        }
        if self.regring {
            parts.push("regring".into());
        }
        if self.irq {
            parts.push("irq".into());
        }
        match self.taskrun {
            Taskrun::Defer => {}
            Taskrun::Coop => parts.push("coop".into()),
            Taskrun::Signal => parts.push("signal".into()),
        }
        f.write_str(&parts.join(","))
    }
}

/// Whether the io_uring backend is compiled in.
const URING: bool = cfg!(feature = "uring");

/// Which backend a device string names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    #[cfg_attr(not(feature = "uring"), allow(dead_code))]
    Uring(std::path::PathBuf),
    #[cfg_attr(not(feature = "ioctl"), allow(dead_code))]
    Ioctl(std::path::PathBuf),
    /// Anything else goes to the `nvmeq` facade (ram, vfio…).
    Facade(String),
}

fn target(device: &str) -> Target {
    if let Some(p) = device.strip_prefix("uring:") {
        return Target::Uring(p.into());
    }
    if let Some(p) = device.strip_prefix("ioctl:") {
        return Target::Ioctl(p.into());
    }
    if let Some(name) = device.strip_prefix("/dev/") {
        // Generic char devices go through io_uring when it is compiled in;
        // block devices and controllers only through ioctls.
        if name.starts_with("ng") && URING {
            return Target::Uring(device.into());
        }
        return Target::Ioctl(device.into());
    }
    Target::Facade(device.to_string())
}

/// What the caller asked for besides the engine's [`Config`].
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The device string: `uring:/dev/ngXnY`, `ioctl:/dev/…`, a bare
    /// `/dev/…` path, or anything the `nvmeq` facade opens (`ram:1G`).
    pub device: String,
    /// Backend options.
    pub opts: BackendOpts,
    /// The namespace the user named (`--namespace-id`); required for writes
    /// and checked against the device's.
    pub nsid: Option<u32>,
    /// Draw a progress bar on a terminal (`progress` feature).
    pub bar: bool,
}

/// Opens `req.device` once for all jobs and runs `cfg` on it, each job on a
/// queue handle of its own ([`nvmeq::SharedDevice::queue`]): its own ring
/// (uring) or file descriptor (ioctl), its own I/O queue pair (VFIO) or
/// connection (NVMe/TCP), its own queue over the one in-memory controller
/// (ram). The namespace is the device node's (`cfg.nsid` is set from it);
/// write patterns need both `cfg.allow_destructive` and `req.nsid`.
pub fn run_device(req: &Request, cfg: &Config) -> Result<Report, BenchError> {
    if cfg.pattern.writes() && cfg.allow_destructive && req.nsid.is_none() {
        return Err(BenchError::Config(format!(
            "pattern `{}` writes: name the namespace with --namespace-id as well",
            cfg.pattern
        )));
    }
    cfg.validate()?;
    let mut cfg = cfg.clone();
    let opts_s = req.opts.to_string();
    if cfg.engine == crate::Engine::Async {
        #[cfg(feature = "tokio")]
        {
            let dev = open_device(req, &mut cfg)?;
            return crate::aio::run(&cfg, &opts_s, &Progress::new(), dev);
        }
        #[cfg(not(feature = "tokio"))]
        return Err(not_compiled("tokio"));
    }
    #[cfg(feature = "facade")]
    {
        // One VFIO job drives the controller itself: no shared lock in the
        // measured loop.
        #[cfg(feature = "vfio")]
        if cfg.jobs == 1 {
            if let Target::Facade(s) = target(&req.device) {
                if let Some(bdf) = vfio_bdf(&s) {
                    cfg.nsid = req.nsid.unwrap_or(cfg.nsid);
                    let opts = vfio_options(&req.opts, 1)?;
                    return go(req, &cfg, &opts_s, || {
                        nvmeq::vfio::Controller::open_with(&bdf, opts.clone())
                    });
                }
            }
        }
        let shared = open_shared(req, &mut cfg)?;
        run_shared(req, &cfg, &opts_s, &shared)
    }
    #[cfg(not(feature = "facade"))]
    Err(BenchError::Config(format!(
        "`{}`: this build has no backend (cargo features uring, ioctl, facade)",
        req.device
    )))
}

/// Runs every job on a queue handle of `shared`, unwrapped to the
/// backend's own type so the measured loop (`run_with`) is monomorphised per
/// backend rather than matching the [`nvmeq::QueueHandle`] enum on every
/// push, submit and reap. Backends this build does not name (NVMe/TCP) run
/// on the enum.
#[cfg(feature = "facade")]
fn run_shared(
    req: &Request,
    cfg: &Config,
    opts: &str,
    shared: &nvmeq::SharedDevice,
) -> Result<Report, BenchError> {
    use nvmeq::QueueHandle as Q;
    macro_rules! concrete {
        ($variant:ident) => {
            go(req, cfg, opts, || match shared.queue() {
                Ok(Q::$variant(q)) => Ok(q),
                Ok(_) => Err(format!(
                    "queue handle is not {} (the device is {:?})",
                    stringify!($variant),
                    shared.backend()
                )),
                Err(e) => Err(e.to_string()),
            })
        };
    }
    match shared.backend() {
        nvmeq::BackendKind::Ram => concrete!(Ram),
        #[cfg(feature = "uring")]
        nvmeq::BackendKind::Uring => concrete!(Uring),
        #[cfg(feature = "ioctl")]
        nvmeq::BackendKind::Ioctl => concrete!(Ioctl),
        #[cfg(feature = "vfio")]
        nvmeq::BackendKind::Vfio => concrete!(Vfio),
        _ => go(req, cfg, opts, || shared.queue()),
    }
}

/// The device for every job, with `cfg.nsid` set to its namespace.
#[cfg(feature = "facade")]
fn open_shared(req: &Request, cfg: &mut Config) -> Result<nvmeq::SharedDevice, BenchError> {
    let open_err = |e: &dyn fmt::Display| BenchError::Open {
        job: 0,
        reason: e.to_string(),
    };
    let jobs = cfg.jobs.min(u16::MAX as u32) as u16;
    match target(&req.device) {
        #[cfg(feature = "uring")]
        Target::Uring(p) => {
            if req.opts.irq {
                return Err(BenchError::Config(
                    "`irq` applies to vfio (io_uring completes by interrupt unless `poll`)".into(),
                ));
            }
            let shared = nvmeq::SharedDevice::uring(&p, uring_options(&req.opts, cfg.qd, cfg.bs))
                .map_err(|e| open_err(&e))?;
            let Some(dev_nsid) = shared.nsid() else {
                return Err(BenchError::Config(format!(
                    "{} is a controller; benchmarks need a namespace device (/dev/ngXnY)",
                    p.display()
                )));
            };
            cfg.nsid = pick_nsid(req.nsid, dev_nsid, &req.device)?;
            Ok(shared)
        }
        #[cfg(not(feature = "uring"))]
        Target::Uring(_) => Err(not_compiled("uring")),
        #[cfg(feature = "ioctl")]
        Target::Ioctl(p) => {
            req.opts.none_for("ioctl")?;
            let shared = nvmeq::SharedDevice::ioctl(&p).map_err(|e| open_err(&e))?;
            let dev_nsid = shared.nsid().ok_or_else(|| {
                BenchError::Config(format!("{} is not a namespace device", p.display()))
            })?;
            cfg.nsid = pick_nsid(req.nsid, dev_nsid, &req.device)?;
            Ok(shared)
        }
        #[cfg(not(feature = "ioctl"))]
        Target::Ioctl(_) => Err(not_compiled("ioctl")),
        #[cfg(feature = "vfio")]
        Target::Facade(s) if vfio_bdf(&s).is_some() => {
            let bdf = vfio_bdf(&s).unwrap_or_default();
            cfg.nsid = req.nsid.unwrap_or(cfg.nsid);
            // One I/O queue pair (and with `irq` one MSI-X vector) per job.
            let opts = vfio_options(&req.opts, jobs)?;
            let shared = nvmeq::vfio::Controller::open_with(&bdf, opts)
                .map_err(|e| open_err(&e))?
                .into_shared();
            if shared.io_queues() < cfg.jobs as usize {
                return Err(BenchError::Config(format!(
                    "--jobs {}: {bdf} granted {} I/O queue pairs (one per job)",
                    cfg.jobs,
                    shared.io_queues()
                )));
            }
            Ok(shared.into())
        }
        Target::Facade(s) => {
            req.opts.none_for(&s)?;
            cfg.nsid = req.nsid.unwrap_or(cfg.nsid);
            let shared = nvmeq::open_shared(&s, jobs).map_err(|e| open_err(&e))?;
            if let Some(max) = shared.max_queues().filter(|&m| m < cfg.jobs as usize) {
                return Err(BenchError::Config(format!(
                    "--jobs {}: {s} has {max} I/O queues (one per job)",
                    cfg.jobs
                )));
            }
            Ok(shared)
        }
    }
}

/// The VFIO driver's options for `jobs` I/O queue pairs, from the backend
/// options (`irq` or `poll`, nothing else).
#[cfg(feature = "vfio")]
fn vfio_options(o: &BackendOpts, jobs: u16) -> Result<nvmeq::vfio::Options, BenchError> {
    if o.fixedbufs
        || o.regfiles
        || o.regring
        || o.sqpoll.is_some()
        || (o.poll && o.irq)
        || o.taskrun != Taskrun::default()
    {
        return Err(BenchError::Config(format!(
            "backend options `{o}`: vfio takes `irq` (MSI-X interrupts) or `poll` (the default)"
        )));
    }
    Ok(nvmeq::vfio::Options {
        io_queues: jobs,
        ..nvmeq::vfio::Options::default()
    }
    .interrupts(o.irq))
}

/// One [`nvmeq::Device`] for the async engine, with `cfg.nsid` set as
/// [`open_shared`] sets it.
#[cfg(feature = "tokio")]
fn open_device(req: &Request, cfg: &mut Config) -> Result<nvmeq::Device, BenchError> {
    let open_err = |e: &dyn fmt::Display| BenchError::Open {
        job: 0,
        reason: e.to_string(),
    };
    match target(&req.device) {
        #[cfg(feature = "uring")]
        Target::Uring(p) => {
            if req.opts.irq {
                return Err(BenchError::Config(
                    "`irq` applies to vfio (io_uring completes by interrupt unless `poll`)".into(),
                ));
            }
            let u = nvmeq_uring::Uring::open(&p, uring_options(&req.opts, cfg.qd, cfg.bs))
                .map_err(|e| open_err(&e))?;
            if u.nsid() == 0 {
                return Err(BenchError::Config(format!(
                    "{} is a controller; benchmarks need a namespace device (/dev/ngXnY)",
                    p.display()
                )));
            }
            cfg.nsid = pick_nsid(req.nsid, u.nsid(), &req.device)?;
            Ok(u.into())
        }
        #[cfg(feature = "ioctl")]
        Target::Ioctl(p) => {
            req.opts.none_for("ioctl")?;
            let b = nvmeq_ioctl::IoctlBackend::open(None, Some(&p)).map_err(|e| open_err(&e))?;
            let dev_nsid = b.nsid().ok_or_else(|| {
                BenchError::Config(format!("{} is not a namespace device", p.display()))
            })?;
            cfg.nsid = pick_nsid(req.nsid, dev_nsid, &req.device)?;
            Ok(b.into())
        }
        #[cfg(feature = "vfio")]
        Target::Facade(s) if vfio_bdf(&s).is_some() => {
            let bdf = vfio_bdf(&s).unwrap_or_default();
            cfg.nsid = req.nsid.unwrap_or(cfg.nsid);
            nvmeq::vfio::Controller::open_with(&bdf, vfio_options(&req.opts, 1)?)
                .map(Into::into)
                .map_err(|e| open_err(&e))
        }
        Target::Facade(s) => {
            req.opts.none_for(&s)?;
            cfg.nsid = req.nsid.unwrap_or(cfg.nsid);
            nvmeq::open(&s).map_err(|e| open_err(&e))
        }
        #[allow(unreachable_patterns)]
        _ => Err(BenchError::Config(format!(
            "`{}`: its backend is not compiled into this build",
            req.device
        ))),
    }
}

/// A ring sized for the run: `qd` entries, and with `fixedbufs` one
/// registered buffer of `bs` bytes per queue slot.
#[cfg(feature = "uring")]
fn uring_options(o: &BackendOpts, qd: u32, bs: u32) -> nvmeq_uring::UringOptions {
    let mut u = nvmeq_uring::UringOptions::new()
        .depth(qd)
        .iopoll(o.poll)
        .register_files(o.regfiles)
        .register_ring_fd(o.regring);
    if o.fixedbufs {
        // Validated elsewhere: qd ≤ the ring's largest depth (32768) fits u16.
        u = u.fixed_buffers(qd.min(u16::MAX as u32) as u16, bs as usize);
    }
    if let Some(ms) = o.sqpoll {
        u = u.sqpoll(ms);
    }
    // The kernel thread that polls the SQ is the submitter with sqpoll, so
    // the submitting task's task-work modes do not apply there.
    u = match (o.taskrun, o.sqpoll) {
        (_, Some(_)) | (Taskrun::Signal, _) => u,
        (Taskrun::Coop, None) => u.coop_taskrun(true),
        (Taskrun::Defer, None) => u.coop_taskrun(true).single_issuer(true).defer_taskrun(true),
    };
    u
}

/// The PCI address of a `vfio:` device string (or a bare address).
#[cfg(feature = "vfio")]
fn vfio_bdf(s: &str) -> Option<String> {
    match nvmeq::Locator::parse(s) {
        Ok(nvmeq::Locator::Vfio(b)) => Some(b.to_string()),
        _ => None,
    }
}

#[allow(dead_code)]
fn not_compiled(backend: &str) -> BenchError {
    BenchError::Config(format!(
        "the {backend} backend is not compiled into this build (cargo feature `{backend}`)"
    ))
}

/// The device's namespace, or the user's if they agree.
#[allow(dead_code)]
fn pick_nsid(given: Option<u32>, dev: u32, device: &str) -> Result<u32, BenchError> {
    match given {
        Some(n) if n != dev => Err(BenchError::Config(format!(
            "--namespace-id {n} does not match {device}, which is namespace {dev}"
        ))),
        _ => Ok(dev),
    }
}

#[allow(dead_code)]
fn go<B, E, F>(req: &Request, cfg: &Config, opts: &str, factory: F) -> Result<Report, BenchError>
where
    B: Backend,
    E: fmt::Display,
    F: Fn() -> Result<B, E> + Sync,
{
    #[cfg(feature = "progress")]
    if req.bar {
        return crate::run_with_bar(cfg, opts, factory);
    }
    let _ = req;
    crate::run_with(cfg, opts, &Progress::new(), factory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_print() {
        let o: BackendOpts = "fixedbufs, poll,sqpoll=10".parse().unwrap();
        assert!(o.fixedbufs && o.poll && o.sqpoll == Some(10) && !o.regfiles && !o.irq);
        assert_eq!(o.to_string(), "fixedbufs,poll,sqpoll=10");
        let o: BackendOpts = "irq".parse().unwrap();
        assert!(o.irq && !o.poll);
        assert_eq!(o.to_string(), "irq");
        assert!("".parse::<BackendOpts>().unwrap().is_empty());
        assert!("none".parse::<BackendOpts>().unwrap().is_empty());
        let e = "turbo".parse::<BackendOpts>().unwrap_err().to_string();
        assert!(e.contains("turbo"), "{e}");
        assert!("sqpoll=x".parse::<BackendOpts>().is_err());
        // Task work: deferred unless asked otherwise, as fio and t/io_uring do.
        assert_eq!(BackendOpts::default().taskrun, Taskrun::Defer);
        let o: BackendOpts = "fixedbufs,coop".parse().unwrap();
        assert_eq!(
            (o.taskrun, o.to_string().as_str()),
            (Taskrun::Coop, "fixedbufs,coop")
        );
        let o: BackendOpts = "signal".parse().unwrap();
        assert_eq!(
            (o.taskrun, o.to_string().as_str()),
            (Taskrun::Signal, "signal")
        );
        assert!("defer".parse::<BackendOpts>().unwrap().is_empty());
    }

    #[test]
    fn device_strings_pick_backends() {
        assert_eq!(
            target("uring:/dev/ng0n1"),
            Target::Uring("/dev/ng0n1".into())
        );
        assert_eq!(
            target("ioctl:/dev/ng0n1"),
            Target::Ioctl("/dev/ng0n1".into())
        );
        assert_eq!(target("/dev/nvme0n1"), Target::Ioctl("/dev/nvme0n1".into()));
        assert_eq!(target("ram:1G"), Target::Facade("ram:1G".into()));
        let bare = target("/dev/ng0n1");
        if URING {
            assert_eq!(bare, Target::Uring("/dev/ng0n1".into()));
        } else {
            assert_eq!(bare, Target::Ioctl("/dev/ng0n1".into()));
        }
    }

    #[test]
    fn writes_need_a_named_namespace() {
        let mut cfg = Config::new(crate::Pattern::RandWrite);
        cfg.allow_destructive = true;
        let req = Request {
            device: "ram:16M".into(),
            ..Request::default()
        };
        let e = run_device(&req, &cfg).unwrap_err().to_string();
        assert!(e.contains("--namespace-id"), "{e}");
        assert!(pick_nsid(Some(2), 1, "/dev/ng0n1").is_err());
        assert_eq!(pick_nsid(None, 3, "x").unwrap(), 3);
    }

    #[cfg(feature = "facade")]
    #[test]
    fn ram_through_the_facade() {
        let mut cfg = Config::new(crate::Pattern::RandWrite);
        cfg.allow_destructive = true;
        cfg.qd = 4;
        cfg.limit = crate::Limit::Ios(300);
        let req = Request {
            device: "ram:16M".into(),
            nsid: Some(1),
            ..Request::default()
        };
        let r = run_device(&req, &cfg).unwrap();
        assert_eq!((r.ios, r.writes, r.backend.as_str()), (300, 300, "ram"));
        let req = Request {
            opts: "poll".parse().unwrap(),
            ..req
        };
        assert!(run_device(&req, &cfg)
            .unwrap_err()
            .to_string()
            .contains("uring"));
    }
}
