//! Device strings, parsed once into a [`Locator`]: `ram:1G`,
//! `ram:512M,lba=4096`, `ram:64M,file=/var/tmp/ctrl.nvmeq`, `/dev/ng0n1`, `ioctl:/dev/nvme0`, `uring:/dev/ng0n1`,
//! `vfio:0000:00:04.0` (or a bare PCI address),
//! `tcp://127.0.0.1:4420/SUBNQN?hostnqn=…&nr_io_queues=N&hdgst&ddgst`.
//!
//! Parsing is separate from opening so a string can be checked (and its
//! mistakes named) without touching a device, and so it can be tested.

use core::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use nvmeq_core::bdf::BdfError;
use nvmeq_core::pi::{Pi, PiLocation, PiType, Pif};
use nvmeq_core::{BackendKind, Bdf};

/// Default namespace size of `ram` without a size: 1 GiB.
pub const DEFAULT_RAM_SIZE: u64 = 1 << 30;

/// Where a device is and which backend reaches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// `ram[:SIZE][,lba=512|4096][,nn=N][,mdts=N][,qd=N]` and the metadata
    /// options `ms=N`, `meta=sep|ext`, `pi=0..3`, `guard=16|32|64`, `sts=N`,
    /// `pil=last|first`, and for namespace management `cap=SIZE` (total
    /// capacity) and `maxnn=N` (highest NSID): the in-memory controller.
    /// `file=PATH`, last, keeps its whole state in PATH across processes
    /// (see [`RamParams::file`]).
    Ram(RamParams),
    /// A `/dev/…` path with no prefix: io_uring passthrough when compiled in
    /// and the kernel and node allow it, else ioctl.
    Path(PathBuf),
    /// `ioctl:/dev/…`: blocking NVMe passthrough ioctls.
    Ioctl(PathBuf),
    /// `uring:/dev/ngXnY`: io_uring `IORING_OP_URING_CMD` passthrough.
    Uring(PathBuf),
    /// `vfio:DDDD:BB:DD.F` (or the bare address): the userspace VFIO driver.
    Vfio(Bdf),
    /// `tcp://HOST[:PORT]/SUBNQN[?…]`: the NVMe/TCP initiator.
    Tcp(TcpParams),
}

/// Default NVMe/TCP port of `tcp://` without one.
pub const DEFAULT_TCP_PORT: u16 = 4420;

/// Where an NVMe/TCP subsystem is and how to connect to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpParams {
    /// Host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The subsystem NQN; empty for a discovery controller (`nvmeq discover`).
    pub subnqn: String,
    /// `hostnqn=`: this host's NQN.
    pub hostnqn: Option<String>,
    /// `nr_io_queues=`: I/O queues to connect.
    pub nr_io_queues: Option<u16>,
    /// `queue_size=`: entries per I/O queue.
    pub queue_size: Option<u16>,
    /// `hdgst`: header digests.
    pub hdgst: bool,
    /// `ddgst`: data digests.
    pub ddgst: bool,
}

/// `tcp://HOST:PORT/SUBNQN` and the options that differ from the defaults.
impl fmt::Display for TcpParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "tcp://[{}]:{}/{}", self.host, self.port, self.subnqn)?;
        } else {
            write!(f, "tcp://{}:{}/{}", self.host, self.port, self.subnqn)?;
        }
        let mut sep = '?';
        let mut opt = |f: &mut fmt::Formatter<'_>, s: &str| {
            let r = write!(f, "{sep}{s}");
            sep = '&';
            r
        };
        if let Some(h) = &self.hostnqn {
            opt(f, &format!("hostnqn={h}"))?;
        }
        if let Some(n) = self.nr_io_queues {
            opt(f, &format!("nr_io_queues={n}"))?;
        }
        if let Some(n) = self.queue_size {
            opt(f, &format!("queue_size={n}"))?;
        }
        if self.hdgst {
            opt(f, "hdgst")?;
        }
        if self.ddgst {
            opt(f, "ddgst")?;
        }
        Ok(())
    }
}

/// `//HOST[:PORT][/SUBNQN][?OPTIONS]` (what follows `tcp:`).
fn parse_tcp(rest: &str) -> Result<TcpParams, LocatorError> {
    let text = format!("tcp:{rest}");
    let bad = |why| LocatorError::BadTcp {
        text: text.clone(),
        why,
    };
    let r = rest
        .strip_prefix("//")
        .ok_or_else(|| bad("expected tcp://HOST:PORT/SUBNQN"))?;
    let (r, query) = r.split_once('?').unwrap_or((r, ""));
    let (authority, subnqn) = r.split_once('/').unwrap_or((r, ""));
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("an IPv6 address needs its closing `]`"))?;
        (h, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let port = match port {
        None => DEFAULT_TCP_PORT,
        Some(p) => p
            .parse()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| bad("the port must be 1 to 65535"))?,
    };
    if subnqn.len() > 255 {
        return Err(bad("an NQN is at most 255 bytes"));
    }
    let mut t = TcpParams {
        host: host.into(),
        port,
        subnqn: subnqn.into(),
        hostnqn: None,
        nr_io_queues: None,
        queue_size: None,
        hdgst: false,
        ddgst: false,
    };
    for opt in query.split('&').filter(|o| !o.is_empty()) {
        match opt.split_once('=') {
            None if opt == "hdgst" => t.hdgst = true,
            None if opt == "ddgst" => t.ddgst = true,
            Some(("hostnqn", v)) if !v.is_empty() && v.len() <= 255 => t.hostnqn = Some(v.into()),
            Some(("nr_io_queues", v)) => {
                t.nr_io_queues = Some(
                    v.parse()
                        .ok()
                        .filter(|&n| n >= 1)
                        .ok_or_else(|| bad("nr_io_queues must be 1 to 65535"))?,
                )
            }
            Some(("queue_size", v)) => {
                t.queue_size = Some(
                    v.parse()
                        .ok()
                        .filter(|&n| n >= 2)
                        .ok_or_else(|| bad("queue_size must be 2 to 65535"))?,
                )
            }
            _ => return Err(bad(
                "unknown option (options: hostnqn=NQN, nr_io_queues=N, queue_size=N, hdgst, ddgst)",
            )),
        }
    }
    Ok(t)
}

impl Locator {
    /// The backend the string names; `None` for a bare path, where the
    /// facade chooses when opening.
    pub fn backend(&self) -> Option<BackendKind> {
        match self {
            Locator::Ram(_) => Some(BackendKind::Ram),
            Locator::Path(_) => None,
            Locator::Ioctl(_) => Some(BackendKind::Ioctl),
            Locator::Uring(_) => Some(BackendKind::Uring),
            Locator::Vfio(_) => Some(BackendKind::Vfio),
            Locator::Tcp(_) => Some(BackendKind::Tcp),
        }
    }

    /// The `/dev` path, for the path backends.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Locator::Path(p) | Locator::Ioctl(p) | Locator::Uring(p) => Some(p),
            Locator::Ram(_) | Locator::Vfio(_) | Locator::Tcp(_) => None,
        }
    }

    /// The backends that can open this locator, first choice first.
    pub fn candidates(&self) -> &'static [BackendKind] {
        match self {
            Locator::Ram(_) => &[BackendKind::Ram],
            Locator::Path(_) => &[BackendKind::Uring, BackendKind::Ioctl],
            Locator::Ioctl(_) => &[BackendKind::Ioctl],
            Locator::Uring(_) => &[BackendKind::Uring],
            Locator::Vfio(_) => &[BackendKind::Vfio],
            Locator::Tcp(_) => &[BackendKind::Tcp],
        }
    }

    /// Fails with [`LocatorError::NotCompiled`] when none of
    /// [`Locator::candidates`] is compiled into this build.
    pub fn require_compiled(&self) -> Result<(), LocatorError> {
        let backends = self.candidates();
        if backends.iter().any(|&k| compiled(k)) {
            Ok(())
        } else {
            Err(LocatorError::NotCompiled {
                target: self.to_string(),
                backends,
            })
        }
    }

    /// Parses a device string.
    pub fn parse(s: &str) -> Result<Locator, LocatorError> {
        parse(s)
    }

    /// Parses `target` for `backend`, whatever prefix it carries: a command
    /// line's `--backend` choice over its device string (`--backend ram 64M`,
    /// `--backend ioctl uring:/dev/ng0n1`).
    pub fn parse_as(backend: BackendKind, target: &str) -> Result<Locator, LocatorError> {
        let t = target.trim();
        let rest = BackendKind::ALL
            .into_iter()
            .find_map(|k| t.strip_prefix(k.name())?.strip_prefix(':'))
            .unwrap_or(t);
        if backend == BackendKind::Ram && (rest.is_empty() || rest == "ram") {
            return Ok(Locator::Ram(RamParams::default()));
        }
        parse_target(backend, rest)
    }
}

fn parse_target(backend: BackendKind, rest: &str) -> Result<Locator, LocatorError> {
    match backend {
        BackendKind::Ram => parse_ram(rest).map(Locator::Ram),
        BackendKind::Ioctl => path(rest, backend).map(Locator::Ioctl),
        BackendKind::Uring => path(rest, backend).map(Locator::Uring),
        BackendKind::Vfio if rest.is_empty() => Err(LocatorError::MissingTarget(backend)),
        BackendKind::Vfio => bdf(rest).map(Locator::Vfio),
        BackendKind::Tcp => parse_tcp(rest).map(Locator::Tcp),
    }
}

/// Whether `kind`'s cargo feature is compiled into this build.
pub const fn compiled(kind: BackendKind) -> bool {
    match kind {
        BackendKind::Ram => cfg!(feature = "ram"),
        BackendKind::Ioctl => cfg!(feature = "ioctl"),
        BackendKind::Uring => cfg!(feature = "uring"),
        BackendKind::Vfio => cfg!(feature = "vfio"),
        BackendKind::Tcp => cfg!(feature = "tcp"),
    }
}

/// The canonical string, which parses back to the same locator.
impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Locator::Ram(r) => write!(f, "ram:{r}"),
            Locator::Path(p) => write!(f, "{}", p.display()),
            Locator::Ioctl(p) => write!(f, "ioctl:{}", p.display()),
            Locator::Uring(p) => write!(f, "uring:{}", p.display()),
            Locator::Vfio(b) => write!(f, "vfio:{b}"),
            Locator::Tcp(t) => write!(f, "{t}"),
        }
    }
}

/// The in-memory controller's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RamParams {
    /// Bytes per namespace.
    pub size: u64,
    /// LBA data size (`lba=`), 512 or 4096.
    pub lba_size: u32,
    /// Number of namespaces (`nn=`).
    pub nn: u32,
    /// MDTS (`mdts=`), `None` for the backend's default.
    pub mdts: Option<u8>,
    /// Queue depth (`qd=`), `None` for the backend's default.
    pub queue_depth: Option<u32>,
    /// Metadata bytes per block (`ms=`); `pi=` alone sets the tuple's size.
    pub ms: u16,
    /// Metadata interleaved with the data (`meta=ext`) rather than in a
    /// separate buffer (`meta=sep`, the default).
    pub extended: bool,
    /// End-to-end protection: `pi=1|2|3` with `guard=16|32|64` (default 16),
    /// `sts=N` (storage tag bits, default 0; 16 or more for the 32b guard)
    /// and `pil=last|first` (default last).
    pub pi: Option<Pi>,
    /// Total NVM capacity in bytes (`cap=`), for Namespace Management;
    /// `None`: exactly the namespaces' bytes.
    pub capacity: Option<u64>,
    /// Highest NSID (`maxnn=`, Identify Controller NN); `None`: `nn`.
    pub max_nn: Option<u32>,
    /// `file=PATH`, the last option (the path runs to the end of the
    /// string, commas and all): the controller's whole state lives in PATH,
    /// loaded when it opens and written back when it closes, so a sequence
    /// of `nvmeq` runs sees one controller. The other options must be the
    /// ones the file was made with (the queue depth aside): a different
    /// size or format would reinterpret the stored blocks, so a mismatch is
    /// an error naming the option rather than the file silently winning.
    pub file: Option<PathBuf>,
}

impl Default for RamParams {
    fn default() -> Self {
        RamParams {
            size: DEFAULT_RAM_SIZE,
            lba_size: 512,
            nn: 1,
            mdts: None,
            queue_depth: None,
            ms: 0,
            extended: false,
            pi: None,
            capacity: None,
            max_nn: None,
            file: None,
        }
    }
}

/// `SIZE[,lba=…][,nn=…][,mdts=…][,qd=…]`, the size in the largest exact unit.
impl fmt::Display for RamParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sized = |v: u64| {
            [(40, "T"), (30, "G"), (20, "M"), (10, "K")]
                .into_iter()
                .find(|&(shift, _)| v % (1 << shift) == 0)
                .map_or((v, ""), |(shift, u)| (v >> shift, u))
        };
        let (n, unit) = sized(self.size);
        write!(f, "{n}{unit}")?;
        if self.lba_size != 512 {
            write!(f, ",lba={}", self.lba_size)?;
        }
        if self.nn != 1 {
            write!(f, ",nn={}", self.nn)?;
        }
        if let Some(m) = self.mdts {
            write!(f, ",mdts={m}")?;
        }
        if let Some(q) = self.queue_depth {
            write!(f, ",qd={q}")?;
        }
        if self.ms != 0 {
            write!(f, ",ms={}", self.ms)?;
        }
        if self.extended {
            f.write_str(",meta=ext")?;
        }
        if let Some(pi) = self.pi {
            write!(f, ",pi={}", pi.pi_type.into_bits())?;
            if pi.pif != Pif::Guard16 {
                write!(f, ",guard={}", pi.pif.guard_bits())?;
            }
            if pi.sts != 0 {
                write!(f, ",sts={}", pi.sts)?;
            }
            if pi.location == PiLocation::First {
                f.write_str(",pil=first")?;
            }
        }
        if let Some(c) = self.capacity {
            let (n, unit) = sized(c);
            write!(f, ",cap={n}{unit}")?;
        }
        if let Some(m) = self.max_nn {
            write!(f, ",maxnn={m}")?;
        }
        if let Some(p) = &self.file {
            write!(f, ",file={}", p.display())?;
        }
        Ok(())
    }
}

fn target_example(kind: BackendKind) -> String {
    match kind {
        BackendKind::Vfio => "a PCI address, e.g. vfio:0000:00:04.0".into(),
        BackendKind::Ram => "a size, e.g. ram:1G".into(),
        BackendKind::Tcp => {
            "//HOST:PORT/SUBNQN, e.g. tcp://127.0.0.1:4420/nqn.2014-08.io.example:sub".into()
        }
        k => format!("a device path, e.g. {k}:/dev/ng0n1"),
    }
}

fn list(backends: &[BackendKind], sep: &str) -> String {
    backends
        .iter()
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(sep)
}

const FORMS: &str = "/dev/ng0n1, ioctl:/dev/nvme0, uring:/dev/ng0n1, vfio:0000:00:04.0, tcp://HOST:PORT/SUBNQN, ram:1G or ram:1G,file=PATH";

/// Why a device string does not parse (or cannot be opened by this build).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocatorError {
    /// The string is empty.
    #[error("no device given: use one of {FORMS}")]
    Empty,
    /// The prefix before `:` is not a backend.
    #[error("unknown backend `{0}:`: use ram:, ioctl:, uring:, vfio:, tcp:// or a /dev path")]
    UnknownPrefix(String),
    /// Neither a prefix, a `/dev/…` path nor a PCI address.
    #[error("`{0}` is not a device: use one of {FORMS}")]
    Unrecognized(String),
    /// A backend prefix with nothing after it.
    #[error("`{0}:` needs {needs}", needs = target_example(*.0))]
    MissingTarget(BackendKind),
    /// A path that is not absolute.
    #[error("`{0}` is not an absolute path (expected /dev/…)")]
    RelativePath(String),
    /// A size that is not a number with an optional K/M/G/T suffix.
    #[error("bad size `{text}`: {why} (use bytes or a K/M/G/T suffix, e.g. 512M)")]
    BadSize {
        /// The text given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A `ram` option that is unknown or has a bad value.
    #[error(
        "bad ram option `{text}`: {why} (options: lba=512|4096, nn=N, mdts=N, qd=N, \
         ms=N, meta=sep|ext, pi=0..3, guard=16|32|64, sts=N, pil=last|first, cap=SIZE, \
         maxnn=N, file=PATH last)"
    )]
    BadOption {
        /// The option as given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A PCI address not of the form `DDDD:BB:DD.F`.
    #[error("bad PCI address `{text}`: {why} (expected DDDD:BB:DD.F, e.g. 0000:00:04.0)")]
    BadPci {
        /// The text given.
        text: String,
        /// What is wrong with it.
        why: BdfError,
    },
    /// A `tcp://` string that does not parse.
    #[error("bad NVMe/TCP device `{text}`: {why}")]
    BadTcp {
        /// The text given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// No backend that could open it is compiled into this build.
    #[error(
        "`{target}` needs the {} backend, which this build of nvmeq does not include: \
         rebuild with the `{}` cargo feature",
        list(backends, " or "),
        list(backends, "` or `")
    )]
    NotCompiled {
        /// The device string.
        target: String,
        /// The backends that could open it.
        backends: &'static [BackendKind],
    },
}

impl FromStr for Locator {
    type Err = LocatorError;
    fn from_str(s: &str) -> Result<Self, LocatorError> {
        parse(s)
    }
}

/// Parses a device string.
pub fn parse(s: &str) -> Result<Locator, LocatorError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(LocatorError::Empty);
    }
    if s.starts_with('/') {
        return Ok(Locator::Path(PathBuf::from(s)));
    }
    if s == "ram" {
        return Ok(Locator::Ram(RamParams::default()));
    }
    if let Ok(b) = Bdf::parse(s) {
        return Ok(Locator::Vfio(b));
    }
    let Some((prefix, rest)) = s.split_once(':') else {
        return Err(LocatorError::Unrecognized(s.into()));
    };
    match prefix.parse::<BackendKind>() {
        Ok(kind) => parse_target(kind, rest),
        // `0000:00:4.0`: an attempt at a bare PCI address.
        Err(_) if prefix.bytes().all(|b| b.is_ascii_hexdigit()) => bdf(s).map(Locator::Vfio),
        Err(_) => Err(LocatorError::UnknownPrefix(prefix.into())),
    }
}

fn bdf(text: &str) -> Result<Bdf, LocatorError> {
    Bdf::parse(text).map_err(|why| LocatorError::BadPci {
        text: text.into(),
        why,
    })
}

fn path(rest: &str, backend: BackendKind) -> Result<PathBuf, LocatorError> {
    if rest.is_empty() {
        Err(LocatorError::MissingTarget(backend))
    } else if !rest.starts_with('/') {
        Err(LocatorError::RelativePath(rest.into()))
    } else {
        Ok(PathBuf::from(rest))
    }
}

/// `SIZE[,key=value]…` or just options.
fn parse_ram(rest: &str) -> Result<RamParams, LocatorError> {
    let mut spec = RamParams::default();
    // `file=` is last and takes the rest, so a path may hold commas.
    let (rest, file) = match rest.strip_prefix("file=") {
        Some(p) => ("", Some(p)),
        None => match rest.split_once(",file=") {
            Some((head, p)) => (head, Some(p)),
            None => (rest, None),
        },
    };
    if let Some(p) = file {
        if p.trim().is_empty() {
            return Err(LocatorError::BadOption {
                text: "file=".into(),
                why: "the state file needs a path, e.g. file=/var/tmp/ctrl.nvmeq",
            });
        }
        spec.file = Some(PathBuf::from(p.trim()));
        if rest.is_empty() {
            return Ok(spec);
        }
    }
    // The PI options combine once all are read; `pi_seen` and `pi_opt` are
    // the texts to name in an error.
    let (mut pi_type, mut pif, mut sts, mut location) = (None, Pif::Guard16, 0u8, PiLocation::Last);
    let (mut pi_seen, mut pi_opt): (Option<String>, Option<String>) = (None, None);
    for (i, part) in rest.split(',').enumerate() {
        let part = part.trim();
        match part.split_once('=') {
            None if i == 0 => spec.size = parse_size(part)?,
            None => {
                return Err(LocatorError::BadOption {
                    text: part.into(),
                    why: "expected key=value",
                })
            }
            Some((key, value)) => {
                let bad = |why| LocatorError::BadOption {
                    text: part.into(),
                    why,
                };
                match key.trim() {
                    "lba" => {
                        spec.lba_size = match parse_size(value) {
                            Ok(512) => 512,
                            Ok(4096) => 4096,
                            _ => return Err(bad("the LBA size must be 512 or 4096")),
                        }
                    }
                    "nn" => {
                        spec.nn = value
                            .parse()
                            .ok()
                            .filter(|n| (1..=1024).contains(n))
                            .ok_or_else(|| bad("the namespace count must be 1 to 1024"))?
                    }
                    "cap" => {
                        spec.capacity = Some(
                            parse_size(value)
                                .map_err(|_| bad("the capacity is a size, e.g. cap=1G"))?,
                        )
                    }
                    "maxnn" => {
                        spec.max_nn = Some(
                            value
                                .parse()
                                .ok()
                                .filter(|n| (1..=1024).contains(n))
                                .ok_or_else(|| bad("the highest NSID must be 1 to 1024"))?,
                        )
                    }
                    "mdts" => {
                        spec.mdts = Some(
                            value
                                .parse()
                                .ok()
                                .filter(|n| *n <= 19)
                                .ok_or_else(|| bad("MDTS must be 0 (no limit) to 19"))?,
                        )
                    }
                    "qd" => {
                        spec.queue_depth = Some(
                            value
                                .parse()
                                .ok()
                                .filter(|n| (1..=65536).contains(n))
                                .ok_or_else(|| bad("the queue depth must be 1 to 65536"))?,
                        )
                    }
                    "ms" => {
                        spec.ms = value
                            .parse()
                            .ok()
                            .filter(|n| *n <= 128)
                            .ok_or_else(|| bad("the metadata size must be 0 to 128 bytes"))?
                    }
                    "meta" => {
                        spec.extended =
                            match value.trim() {
                                "sep" | "separate" => false,
                                "ext" | "extended" => true,
                                _ => return Err(bad(
                                    "metadata is sep (a separate buffer) or ext (extended LBAs)",
                                )),
                            }
                    }
                    "pi" => {
                        pi_type =
                            match value.trim() {
                                "0" => None,
                                v => Some(v.parse().ok().and_then(PiType::from_bits).ok_or_else(
                                    || bad("the PI type must be 0 (off), 1, 2 or 3"),
                                )?),
                            };
                        pi_seen = Some(part.to_string());
                    }
                    "guard" => {
                        pif = match value.trim() {
                            "16" => Pif::Guard16,
                            "32" => Pif::Guard32,
                            "64" => Pif::Guard64,
                            _ => return Err(bad("the guard is 16, 32 or 64 bits")),
                        };
                        pi_opt = Some(part.to_string());
                    }
                    "sts" => {
                        sts = value
                            .parse()
                            .ok()
                            .filter(|n| *n <= 64)
                            .ok_or_else(|| bad("the storage tag size must be 0 to 64 bits"))?;
                        pi_opt = Some(part.to_string());
                    }
                    "pil" => {
                        location = match value.trim() {
                            "last" => PiLocation::Last,
                            "first" => PiLocation::First,
                            _ => {
                                return Err(bad(
                                    "PI sits in the first or last bytes of the metadata",
                                ))
                            }
                        };
                        pi_opt = Some(part.to_string());
                    }
                    _ => return Err(bad("unknown option")),
                }
            }
        }
    }
    match (pi_type, &pi_opt) {
        (None, Some(opt)) => {
            return Err(LocatorError::BadOption {
                text: opt.clone(),
                why: "needs pi=1, 2 or 3",
            })
        }
        (None, None) => {}
        (Some(t), _) => {
            let pi = Pi::new(t, pif).with_sts(sts).with_location(location);
            if spec.ms == 0 {
                spec.ms = pi.size() as u16;
            }
            let text = pi_seen.unwrap_or_default();
            match pi.check(spec.ms) {
                Ok(()) => spec.pi = Some(pi),
                Err(nvmeq_core::pi::PiError::MetadataTooSmall { .. }) => {
                    return Err(LocatorError::BadOption {
                        text,
                        why: "the PI tuple does not fit ms= (8 bytes for the 16b guard, 16 for the others)",
                    })
                }
                Err(_) => {
                    return Err(LocatorError::BadOption {
                        text,
                        why: "sts= is out of range for the guard (16b: 0..=32, 32b: 16..=64, 64b: 0..=48)",
                    })
                }
            }
        }
    }
    if spec.extended && spec.ms == 0 {
        return Err(LocatorError::BadOption {
            text: "meta=ext".into(),
            why: "extended LBAs need metadata (ms= or pi=)",
        });
    }
    if spec.size % spec.lba_size as u64 != 0 {
        return Err(LocatorError::BadSize {
            text: rest.into(),
            why: "not a multiple of the LBA size",
        });
    }
    Ok(spec)
}

/// A byte count: digits with an optional binary suffix K, M, G or T (also
/// `KiB`…, `KB`…, case-insensitive; all mean powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, LocatorError> {
    let t = text.trim();
    let bad = |why| LocatorError::BadSize {
        text: text.into(),
        why,
    };
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits_end);
    if num.is_empty() {
        return Err(bad("no number"));
    }
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad("unknown suffix")),
    };
    let n: u64 = num.parse().map_err(|_| bad("number too large"))?;
    if n == 0 {
        return Err(bad("must be greater than zero"));
    }
    n.checked_mul(1 << shift)
        .ok_or_else(|| bad("larger than 2^64 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ram(size: u64, lba_size: u32) -> Locator {
        Locator::Ram(RamParams {
            size,
            lba_size,
            ..RamParams::default()
        })
    }

    #[test]
    fn tcp_strings() {
        let l = parse(
            "tcp://127.0.0.1:4420/nqn.2026-01.io.nvmeq:t?hostnqn=nqn.h&nr_io_queues=2&hdgst&ddgst",
        )
        .unwrap();
        let Locator::Tcp(t) = &l else {
            panic!("not tcp: {l:?}")
        };
        assert_eq!(t.host, "127.0.0.1");
        assert_eq!(t.port, 4420);
        assert_eq!(t.subnqn, "nqn.2026-01.io.nvmeq:t");
        assert_eq!(t.hostnqn.as_deref(), Some("nqn.h"));
        assert_eq!(t.nr_io_queues, Some(2));
        assert!(t.hdgst && t.ddgst);
        assert_eq!(l.backend(), Some(BackendKind::Tcp));
        assert_eq!(parse(&l.to_string()), Ok(l.clone()));
        let v6 = parse("tcp://[::1]/nqn.x").unwrap();
        let Locator::Tcp(t) = &v6 else { panic!() };
        assert_eq!((t.host.as_str(), t.port), ("::1", DEFAULT_TCP_PORT));
        assert_eq!(parse(&v6.to_string()), Ok(v6.clone()));
        assert_eq!(
            Locator::parse_as(BackendKind::Tcp, "tcp://h:8009"),
            parse("tcp://h:8009")
        );
        for (s, why) in [
            ("tcp:h:4420/n", "expected tcp://HOST:PORT/SUBNQN"),
            ("tcp://:4420/n", "no host"),
            ("tcp://h:0/n", "the port must be 1 to 65535"),
            ("tcp://h:99999/n", "the port must be 1 to 65535"),
            (
                "tcp://h/n?nr_io_queues=0",
                "nr_io_queues must be 1 to 65535",
            ),
            ("tcp://[::1/n", "an IPv6 address needs its closing `]`"),
        ] {
            assert_eq!(
                parse(s),
                Err(LocatorError::BadTcp {
                    text: s.into(),
                    why
                }),
                "{s}"
            );
        }
        assert!(matches!(
            parse("tcp://h/n?bogus"),
            Err(LocatorError::BadTcp { .. })
        ));
    }

    #[test]
    fn sizes_with_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4 << 10));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("3T"), Ok(3 << 40));
        assert_eq!(parse_size("16777215T"), Ok(16_777_215u64 << 40));
    }

    #[test]
    fn bad_sizes_say_why() {
        for (s, why) in [
            ("", "no number"),
            ("G", "no number"),
            ("-1G", "no number"),
            ("1.5G", "unknown suffix"),
            ("1X", "unknown suffix"),
            ("1 G", "unknown suffix"),
            ("0", "must be greater than zero"),
            ("0M", "must be greater than zero"),
            ("16777216T", "larger than 2^64 bytes"),
            ("99999999999999999999", "number too large"),
        ] {
            match parse_size(s) {
                Err(LocatorError::BadSize { why: w, .. }) => assert_eq!(w, why, "{s:?}"),
                other => panic!("{s:?}: {other:?}"),
            }
        }
        assert!(parse_size("1X")
            .unwrap_err()
            .to_string()
            .contains("bad size `1X`: unknown suffix"));
    }

    #[test]
    fn ram_strings() {
        assert_eq!(parse("ram:1G"), Ok(ram(1 << 30, 512)));
        assert_eq!(parse("ram:512M,lba=4096"), Ok(ram(512 << 20, 4096)));
        assert_eq!(parse("ram:512M,lba=4k"), Ok(ram(512 << 20, 4096)));
        assert_eq!(parse("ram"), Ok(ram(1 << 30, 512)));
        assert_eq!(parse("  ram:64M  "), Ok(ram(64 << 20, 512)));
        assert_eq!(
            parse("ram:64M,nn=2,mdts=5,qd=32"),
            Ok(Locator::Ram(RamParams {
                size: 64 << 20,
                lba_size: 512,
                nn: 2,
                mdts: Some(5),
                queue_depth: Some(32),
                ..RamParams::default()
            }))
        );
    }

    #[test]
    fn ram_namespace_management_options_parse_and_round_trip() {
        let l = parse("ram:64M,cap=256M,maxnn=8").unwrap();
        assert_eq!(
            l,
            Locator::Ram(RamParams {
                size: 64 << 20,
                capacity: Some(256 << 20),
                max_nn: Some(8),
                ..RamParams::default()
            })
        );
        assert_eq!(l.to_string(), "ram:64M,cap=256M,maxnn=8");
        assert!(parse("ram:64M,maxnn=0").is_err());
        assert!(parse("ram:64M,cap=x").is_err());
    }

    #[test]
    fn ram_metadata_and_pi_options() {
        let p = |s: &str| match parse(s) {
            Ok(Locator::Ram(r)) => r,
            other => panic!("{s}: {other:?}"),
        };
        let r = p("ram:64M,pi=1");
        assert_eq!(
            (r.ms, r.extended),
            (8, false),
            "pi= alone sizes the metadata"
        );
        assert_eq!(r.pi, Some(Pi::new(PiType::Type1, Pif::Guard16)));
        let r = p("ram:64M,lba=4k,ms=64,meta=ext,pi=3,guard=64,sts=8,pil=first");
        assert_eq!((r.ms, r.extended), (64, true));
        assert_eq!(
            r.pi,
            Some(
                Pi::new(PiType::Type3, Pif::Guard64)
                    .with_sts(8)
                    .with_location(PiLocation::First)
            )
        );
        assert_eq!(p("ram:64M,pi=2,guard=32,sts=16").ms, 16);
        let r = p("ram:64M,ms=16");
        assert_eq!((r.ms, r.pi), (16, None));
        assert_eq!(p("ram:64M,ms=8,pi=0").pi, None);
        for (s, why) in [
            ("ram:64M,ms=8,pi=1,guard=64", "does not fit"),
            ("ram:64M,pi=1,guard=32", "sts= is out of range"),
            ("ram:64M,guard=64", "needs pi="),
            ("ram:64M,meta=ext", "need metadata"),
            ("ram:64M,pi=4", "0 (off), 1, 2 or 3"),
            ("ram:64M,ms=129", "0 to 128"),
            ("ram:64M,pil=middle", "first or last"),
        ] {
            match parse(s) {
                Err(e @ LocatorError::BadOption { .. }) => {
                    assert!(e.to_string().contains(why), "{s}: {e}")
                }
                other => panic!("{s}: {other:?}"),
            }
        }
    }

    #[test]
    fn ram_state_file_is_last_and_takes_the_rest() {
        let p = |s| match parse(s) {
            Ok(Locator::Ram(r)) => r,
            other => panic!("{s}: {other:?}"),
        };
        let r = p("ram:64M,lba=4096,file=/var/tmp/a,b.nvmeq");
        assert_eq!(r.size, 64 << 20);
        assert_eq!(r.lba_size, 4096);
        assert_eq!(r.file.as_deref(), Some(Path::new("/var/tmp/a,b.nvmeq")));
        let r = p("ram:file=state.nvmeq");
        assert_eq!(r.size, DEFAULT_RAM_SIZE);
        assert_eq!(r.file.as_deref(), Some(Path::new("state.nvmeq")));
        assert_eq!(p("ram:64M").file, None);
        for s in ["ram:64M,file=", "ram:file= "] {
            let e = parse(s).unwrap_err().to_string();
            assert!(e.contains("needs a path"), "{s}: {e}");
        }
        let l = parse("ram:64M,cap=256M,file=/tmp/x").unwrap();
        assert_eq!(l.to_string(), "ram:64M,cap=256M,file=/tmp/x");
    }

    #[test]
    fn bad_ram_strings() {
        assert!(matches!(parse("ram:"), Err(LocatorError::BadSize { .. })));
        assert!(matches!(parse("ram:1Q"), Err(LocatorError::BadSize { .. })));
        assert!(matches!(
            parse("ram:1G,lba=1024"),
            Err(LocatorError::BadOption { .. })
        ));
        assert!(matches!(
            parse("ram:1G,nn=0"),
            Err(LocatorError::BadOption { .. })
        ));
        assert!(matches!(
            parse("ram:1G,mdts=20"),
            Err(LocatorError::BadOption { .. })
        ));
        assert!(matches!(
            parse("ram:1G,foo=1"),
            Err(LocatorError::BadOption { .. })
        ));
        assert!(matches!(
            parse("ram:1G,2G"),
            Err(LocatorError::BadOption { .. })
        ));
        let e = parse("ram:6K,lba=4096").unwrap_err();
        assert_eq!(
            e,
            LocatorError::BadSize {
                text: "6K,lba=4096".into(),
                why: "not a multiple of the LBA size"
            }
        );
    }

    #[test]
    fn paths_and_prefixes() {
        assert_eq!(parse("/dev/ng0n1"), Ok(Locator::Path("/dev/ng0n1".into())));
        assert_eq!(parse("/dev/nvme0"), Ok(Locator::Path("/dev/nvme0".into())));
        assert_eq!(
            parse("uring:/dev/ng0n1"),
            Ok(Locator::Uring("/dev/ng0n1".into()))
        );
        for p in ["/dev/ng0n1", "/dev/nvme0n1", "/dev/nvme0"] {
            assert_eq!(parse(&format!("ioctl:{p}")), Ok(Locator::Ioctl(p.into())));
        }
        assert_eq!(
            parse("uring:/dev/ng1n2").unwrap().backend(),
            Some(BackendKind::Uring)
        );
        assert_eq!(parse("/dev/ng1n2").unwrap().backend(), None);
        assert_eq!(
            parse("uring:"),
            Err(LocatorError::MissingTarget(BackendKind::Uring))
        );
        assert_eq!(
            parse("ioctl:dev/nvme0"),
            Err(LocatorError::RelativePath("dev/nvme0".into()))
        );
        assert!(parse("ioctl:")
            .unwrap_err()
            .to_string()
            .contains("`ioctl:` needs a device path, e.g. ioctl:/dev/ng0n1"));
    }

    #[test]
    fn unknown_prefixes_and_strings() {
        assert_eq!(
            parse("spdk:0000:00:04.0"),
            Err(LocatorError::UnknownPrefix("spdk".into()))
        );
        assert_eq!(
            parse("RAM:1G"),
            Err(LocatorError::UnknownPrefix("RAM".into()))
        );
        assert_eq!(
            parse("io_uring:/dev/ng0n1"),
            Err(LocatorError::UnknownPrefix("io_uring".into()))
        );
        assert_eq!(
            parse("nvme0"),
            Err(LocatorError::Unrecognized("nvme0".into()))
        );
        assert_eq!(parse(""), Err(LocatorError::Empty));
        assert_eq!(parse("   "), Err(LocatorError::Empty));
        assert!(parse("spdk:x")
            .unwrap_err()
            .to_string()
            .contains("unknown backend `spdk:`"));
    }

    #[test]
    fn pci_addresses() {
        let a: Bdf = "0000:00:04.0".parse().unwrap();
        assert_eq!(parse("vfio:0000:00:04.0"), Ok(Locator::Vfio(a)));
        // A bare address means VFIO too, and the domain may be left out.
        assert_eq!(parse("0000:00:04.0"), Ok(Locator::Vfio(a)));
        assert_eq!(parse(" 0000:00:04.0 "), Ok(Locator::Vfio(a)));
        assert_eq!(parse("vfio:00:04.0"), Ok(Locator::Vfio(a)));
        assert_eq!(
            parse("vfio:"),
            Err(LocatorError::MissingTarget(BackendKind::Vfio))
        );
        assert!(parse("vfio:")
            .unwrap_err()
            .to_string()
            .contains("needs a PCI address"));
    }

    #[test]
    fn bad_pci_addresses_say_why() {
        for (s, why) in [
            ("vfio:0000:00:4.0", BdfError::Device),
            ("vfio:0000:00:20.0", BdfError::DeviceRange),
            ("vfio:0000:00:04.8", BdfError::Function),
            ("vfio:0000:0g:04.0", BdfError::Bus),
            ("vfio:0000:00:04", BdfError::Shape),
            ("0000:00:4.0", BdfError::Device),
            ("0000:00:20.0", BdfError::DeviceRange),
        ] {
            match parse(s) {
                Err(LocatorError::BadPci { why: w, .. }) => assert_eq!(w, why, "{s:?}"),
                other => panic!("{s:?}: {other:?}"),
            }
        }
        let e = parse("vfio:0000:00:20.0").unwrap_err().to_string();
        assert_eq!(
            e,
            "bad PCI address `0000:00:20.0`: the device is at most 1f \
             (expected DDDD:BB:DD.F, e.g. 0000:00:04.0)"
        );
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "ram:1G",
            "ram:512M,lba=4096",
            "ram:64M,nn=2,mdts=5,qd=32",
            "ram:4100K",
            "ram:64M,ms=8,pi=1",
            "ram:64M,lba=4096,ms=16,meta=ext,pi=2,guard=64,sts=8,pil=first",
            "/dev/ng0n1",
            "ioctl:/dev/nvme0",
            "uring:/dev/ng0n1",
            "vfio:0000:00:04.0",
        ] {
            let l = parse(s).unwrap();
            assert_eq!(l.to_string(), s);
            assert_eq!(parse(&l.to_string()), Ok(l));
        }
        assert_eq!(parse("ram").unwrap().to_string(), "ram:1G");
        assert_eq!(
            parse("0000:00:04.0").unwrap().to_string(),
            "vfio:0000:00:04.0"
        );
        assert_eq!(parse("ram:1536").unwrap().to_string(), "ram:1536");
    }

    #[test]
    fn a_chosen_backend_overrides_the_prefix() {
        use BackendKind::*;
        assert_eq!(Locator::parse_as(Ram, "64M"), Ok(ram(64 << 20, 512)));
        assert_eq!(Locator::parse_as(Ram, "ram"), Ok(ram(1 << 30, 512)));
        assert_eq!(Locator::parse_as(Ram, ""), Ok(ram(1 << 30, 512)));
        assert_eq!(
            Locator::parse_as(Vfio, "0000:00:04.0"),
            Ok(Locator::Vfio("0000:00:04.0".parse().unwrap()))
        );
        assert_eq!(
            Locator::parse_as(Ioctl, "uring:/dev/ng0n1"),
            Ok(Locator::Ioctl("/dev/ng0n1".into()))
        );
        assert_eq!(
            Locator::parse_as(Uring, "/dev/ng0n1"),
            Ok(Locator::Uring("/dev/ng0n1".into()))
        );
        assert!(matches!(
            Locator::parse_as(Vfio, "/dev/ng0n1"),
            Err(LocatorError::BadPci { .. })
        ));
        assert!(matches!(
            Locator::parse_as(Ram, "1Q"),
            Err(LocatorError::BadSize { .. })
        ));
    }

    #[test]
    fn backends_not_compiled_in_are_named() {
        for s in [
            "ram:1G",
            "/dev/ng0n1",
            "ioctl:/dev/ng0n1",
            "uring:/dev/ng0n1",
            "vfio:0000:00:04.0",
        ] {
            let l = parse(s).unwrap();
            let any = l.candidates().iter().any(|&k| compiled(k));
            match l.require_compiled() {
                Ok(()) => assert!(any, "{s}"),
                Err(LocatorError::NotCompiled { target, backends }) => {
                    assert!(!any, "{s}");
                    assert_eq!(target, s);
                    assert_eq!(backends, l.candidates());
                }
                Err(e) => panic!("{s}: {e}"),
            }
        }
        assert_eq!(compiled(BackendKind::Ram), cfg!(feature = "ram"));
        assert_eq!(compiled(BackendKind::Vfio), cfg!(feature = "vfio"));
        let e = LocatorError::NotCompiled {
            target: "/dev/ng0n1".into(),
            backends: &[BackendKind::Uring, BackendKind::Ioctl],
        };
        assert_eq!(
            e.to_string(),
            "`/dev/ng0n1` needs the uring or ioctl backend, which this build of nvmeq \
             does not include: rebuild with the `uring` or `ioctl` cargo feature"
        );
    }
}
