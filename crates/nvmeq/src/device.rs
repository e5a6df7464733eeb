//! [`Device`]: one variant per compiled-in backend, itself a [`Backend`].
//!
//! Adding a backend is three small edits here: a variant in [`Device`] and
//! [`AnyBuf`] (behind its cargo feature), an arm in the two dispatch macros,
//! and its `open_*` function.

use nvmeq_core::{
    Backend, BackendKind, Bdf, Caps, Cmd, Completion, Data, Error, IoBuf, Reaped, Rejected,
    VecData, WithMeta,
};

use crate::error::OpenError;
use crate::locator::{Locator, LocatorError, RamParams, TcpParams};
use std::path::Path;

/// An opened device, whichever backend it uses.
#[derive(Debug)]
#[non_exhaustive]
// Opened once and moved rarely: variants of different sizes are fine.
#[allow(clippy::large_enum_variant)]
pub enum Device {
    /// The in-memory controller.
    #[cfg(feature = "ram")]
    Ram(nvmeq_ram::RamController),
    /// Blocking kernel passthrough ioctls.
    #[cfg(feature = "ioctl")]
    Ioctl(nvmeq_ioctl::IoctlBackend),
    /// io_uring passthrough (`IORING_OP_URING_CMD`).
    #[cfg(feature = "uring")]
    Uring(nvmeq_uring::Uring),
    /// The userspace VFIO driver.
    #[cfg(feature = "vfio")]
    Vfio(nvmeq_vfio::Controller),
    /// The NVMe/TCP initiator.
    #[cfg(feature = "tcp")]
    Tcp(nvmeq_tcp::TcpBackend),
}

/// A buffer of whichever backend a [`Device`] uses: [`Backend::Buf`] of
/// `Device`. Get one from [`Backend::alloc`] on the same device.
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyBuf {
    /// A ram backend buffer.
    #[cfg(feature = "ram")]
    Ram(nvmeq_ram::RamBuf),
    /// An ioctl backend buffer.
    #[cfg(feature = "ioctl")]
    Ioctl(nvmeq_ioctl::IoctlBuf),
    /// An io_uring backend buffer (plain or registered).
    #[cfg(feature = "uring")]
    Uring(nvmeq_uring::UringBuf),
    /// A VFIO backend buffer (IOMMU-mapped).
    #[cfg(feature = "vfio")]
    Vfio(nvmeq_vfio::DmaBuf),
    /// An NVMe/TCP backend buffer.
    #[cfg(feature = "tcp")]
    Tcp(nvmeq_tcp::TcpBuf),
}

/// Runs `$body` with `$d` bound to the backend inside a `&Device` / `&mut Device`.
macro_rules! each {
    ($dev:expr, ref $d:ident => $body:expr) => {
        match *$dev {
            #[cfg(feature = "ram")]
            Device::Ram(ref $d) => $body,
            #[cfg(feature = "ioctl")]
            Device::Ioctl(ref $d) => $body,
            #[cfg(feature = "uring")]
            Device::Uring(ref $d) => $body,
            #[cfg(feature = "vfio")]
            Device::Vfio(ref $d) => $body,
            #[cfg(feature = "tcp")]
            Device::Tcp(ref $d) => $body,
        }
    };
    ($dev:expr, mut $d:ident => $body:expr) => {
        match *$dev {
            #[cfg(feature = "ram")]
            Device::Ram(ref mut $d) => $body,
            #[cfg(feature = "ioctl")]
            Device::Ioctl(ref mut $d) => $body,
            #[cfg(feature = "uring")]
            Device::Uring(ref mut $d) => $body,
            #[cfg(feature = "vfio")]
            Device::Vfio(ref mut $d) => $body,
            #[cfg(feature = "tcp")]
            Device::Tcp(ref mut $d) => $body,
        }
    };
}

/// Runs `$body` with `$b` bound to the buffer inside a `&AnyBuf` / `&mut AnyBuf`.
macro_rules! each_buf {
    ($buf:expr, ref $b:ident => $body:expr) => {
        match *$buf {
            #[cfg(feature = "ram")]
            AnyBuf::Ram(ref $b) => $body,
            #[cfg(feature = "ioctl")]
            AnyBuf::Ioctl(ref $b) => $body,
            #[cfg(feature = "uring")]
            AnyBuf::Uring(ref $b) => $body,
            #[cfg(feature = "vfio")]
            AnyBuf::Vfio(ref $b) => $body,
            #[cfg(feature = "tcp")]
            AnyBuf::Tcp(ref $b) => $body,
        }
    };
    ($buf:expr, mut $b:ident => $body:expr) => {
        match *$buf {
            #[cfg(feature = "ram")]
            AnyBuf::Ram(ref mut $b) => $body,
            #[cfg(feature = "ioctl")]
            AnyBuf::Ioctl(ref mut $b) => $body,
            #[cfg(feature = "uring")]
            AnyBuf::Uring(ref mut $b) => $body,
            #[cfg(feature = "vfio")]
            AnyBuf::Vfio(ref mut $b) => $body,
            #[cfg(feature = "tcp")]
            AnyBuf::Tcp(ref mut $b) => $body,
        }
    };
}

impl IoBuf for AnyBuf {
    fn as_slice(&self) -> &[u8] {
        each_buf!(self, ref b => b.as_slice())
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        each_buf!(self, mut b => b.as_mut_slice())
    }
}

#[cfg(feature = "ram")]
impl From<nvmeq_ram::RamController> for Device {
    fn from(c: nvmeq_ram::RamController) -> Self {
        Device::Ram(c)
    }
}

/// Moves a backend's buffer type into and out of [`AnyBuf`].
pub(crate) trait Wrap: Sized {
    fn wrap(self) -> AnyBuf;
    /// The backend's own buffer, or the buffer back if it belongs to another.
    fn unwrap_from(b: AnyBuf) -> Result<Self, AnyBuf>;
}

#[cfg(feature = "ram")]
impl Wrap for nvmeq_ram::RamBuf {
    fn wrap(self) -> AnyBuf {
        AnyBuf::Ram(self)
    }
    fn unwrap_from(b: AnyBuf) -> Result<Self, AnyBuf> {
        #[allow(unreachable_patterns)]
        match b {
            AnyBuf::Ram(b) => Ok(b),
            other => Err(other),
        }
    }
}

#[cfg(feature = "vfio")]
impl Wrap for nvmeq_vfio::DmaBuf {
    fn wrap(self) -> AnyBuf {
        AnyBuf::Vfio(self)
    }
    fn unwrap_from(b: AnyBuf) -> Result<Self, AnyBuf> {
        #[allow(unreachable_patterns)]
        match b {
            AnyBuf::Vfio(b) => Ok(b),
            other => Err(other),
        }
    }
}

#[cfg(feature = "vfio")]
impl From<nvmeq_vfio::Controller> for Device {
    fn from(c: nvmeq_vfio::Controller) -> Self {
        Device::Vfio(c)
    }
}

#[cfg(feature = "tcp")]
impl Wrap for nvmeq_tcp::TcpBuf {
    fn wrap(self) -> AnyBuf {
        AnyBuf::Tcp(self)
    }
    fn unwrap_from(b: AnyBuf) -> Result<Self, AnyBuf> {
        #[allow(unreachable_patterns)]
        match b {
            AnyBuf::Tcp(b) => Ok(b),
            other => Err(other),
        }
    }
}

#[cfg(feature = "tcp")]
impl From<nvmeq_tcp::TcpBackend> for Device {
    fn from(c: nvmeq_tcp::TcpBackend) -> Self {
        Device::Tcp(c)
    }
}

#[cfg(feature = "ioctl")]
impl Wrap for nvmeq_ioctl::IoctlBuf {
    fn wrap(self) -> AnyBuf {
        AnyBuf::Ioctl(self)
    }
    fn unwrap_from(b: AnyBuf) -> Result<Self, AnyBuf> {
        #[allow(unreachable_patterns)]
        match b {
            AnyBuf::Ioctl(b) => Ok(b),
            other => Err(other),
        }
    }
}

#[cfg(feature = "ioctl")]
impl From<nvmeq_ioctl::IoctlBackend> for Device {
    fn from(c: nvmeq_ioctl::IoctlBackend) -> Self {
        Device::Ioctl(c)
    }
}

#[cfg(feature = "uring")]
impl Wrap for nvmeq_uring::UringBuf {
    fn wrap(self) -> AnyBuf {
        AnyBuf::Uring(self)
    }
    fn unwrap_from(b: AnyBuf) -> Result<Self, AnyBuf> {
        #[allow(unreachable_patterns)]
        match b {
            AnyBuf::Uring(b) => Ok(b),
            other => Err(other),
        }
    }
}

#[cfg(feature = "uring")]
impl From<nvmeq_uring::Uring> for Device {
    fn from(c: nvmeq_uring::Uring) -> Self {
        Device::Uring(c)
    }
}

/// `Backend::push` for one backend, converting buffers at the edges.
#[allow(dead_code)]
pub(crate) fn push_on<B>(
    d: &mut B,
    cmd: &Cmd,
    buf: Option<AnyBuf>,
    tag: u64,
) -> Result<(), Rejected<AnyBuf>>
where
    B: Backend,
    B::Buf: Wrap,
{
    let own = match buf.map(B::Buf::unwrap_from) {
        None => None,
        Some(Ok(b)) => Some(b),
        Some(Err(other)) => {
            return Err(Rejected::Invalid {
                error: Error::ForeignBuffer,
                buf: Some(other),
            })
        }
    };
    d.push(cmd, own, tag).map_err(|r| r.map_buf(Wrap::wrap))
}

/// `Backend::push_with` for one backend, converting buffers at the edges.
// The rejection carries both buffers back by value: boxing it would allocate.
#[allow(dead_code, clippy::result_large_err)]
pub(crate) fn push_with_on<B>(
    d: &mut B,
    cmd: &Cmd,
    data: Option<AnyBuf>,
    meta: Option<AnyBuf>,
    tag: u64,
) -> Result<(), Rejected<WithMeta<AnyBuf>>>
where
    B: Backend,
    B::Buf: Wrap,
{
    let wrap = |b: WithMeta<B::Buf>| WithMeta {
        data: b.data.map(Wrap::wrap),
        meta: b.meta.map(Wrap::wrap),
    };
    // A foreign buffer hands both back, the other one converted back.
    let (data, meta) = match (
        data.map(B::Buf::unwrap_from).transpose(),
        meta.map(B::Buf::unwrap_from).transpose(),
    ) {
        (Ok(d), Ok(m)) => (d, m),
        (d, m) => {
            let back = |r: Result<Option<B::Buf>, AnyBuf>| match r {
                Ok(b) => b.map(Wrap::wrap),
                Err(o) => Some(o),
            };
            return Err(Rejected::Invalid {
                error: Error::ForeignBuffer,
                buf: Some(WithMeta {
                    data: back(d),
                    meta: back(m),
                }),
            });
        }
    };
    d.push_with(cmd, data, meta, tag)
        .map_err(|r| r.map_buf(wrap))
}

/// `Backend::reap` for one backend, wrapping each returned buffer.
#[allow(dead_code)]
pub(crate) fn reap_on<B>(d: &mut B, mut f: impl FnMut(Reaped<AnyBuf>)) -> usize
where
    B: Backend,
    B::Buf: Wrap,
{
    d.reap(|r| {
        f(Reaped {
            tag: r.tag,
            result: r.result,
            buf: r.buf.map(Wrap::wrap),
            meta: r.meta.map(Wrap::wrap),
        })
    })
}

/// The `Backend` impl of an enum over the backends (`Device`, `QueueHandle`):
/// every method forwards to the variant's backend through the `each!` macro in
/// scope where it is expanded, with buffers wrapped as [`AnyBuf`]s.
macro_rules! forward_backend {
    ($ty:ty) => {
        #[allow(unused_variables)]
        impl Backend for $ty {
    type Buf = AnyBuf;

    fn caps(&self) -> Caps {
        each!(self, ref d => d.caps())
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        each!(self, mut d => d.lba_size(nsid))
    }

    fn alloc(&mut self, len: usize) -> Result<AnyBuf, Error> {
        each!(self, mut d => d.alloc(len).map($crate::device::Wrap::wrap))
    }

    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        each!(self, mut d => d.execute_with(cmd, data, meta))
    }

    fn execute_vec(
        &mut self,
        cmd: &Cmd,
        data: VecData<'_, '_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        each!(self, mut d => d.execute_vec(cmd, data, meta))
    }

    fn push(&mut self, cmd: &Cmd, buf: Option<AnyBuf>, tag: u64) -> Result<(), Rejected<AnyBuf>> {
        each!(self, mut d => push_on(d, cmd, buf, tag))
    }

    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<AnyBuf>,
        meta: Option<AnyBuf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<AnyBuf>>> {
        each!(self, mut d => push_with_on(d, cmd, data, meta, tag))
    }

    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        each!(self, mut d => d.submit(min_complete))
    }

    fn reap(&mut self, f: impl FnMut(Reaped<AnyBuf>)) -> usize {
        each!(self, mut d => reap_on(d, f))
    }

    fn in_flight(&self) -> u32 {
        each!(self, ref d => d.in_flight())
    }

    fn syscalls(&self) -> Option<u64> {
        each!(self, ref d => d.syscalls())
    }
}
    };
}
pub(crate) use forward_backend;

forward_backend!(Device);

impl Device {
    /// Which backend this device goes through.
    pub fn backend(&self) -> BackendKind {
        self.caps().kind
    }

    /// Resets the controller, as `nvme reset`: through the kernel
    /// (`NVME_IOCTL_RESET` on the controller device) on the ioctl backend,
    /// by the driver itself on VFIO (every command in flight completes with
    /// an error, the queues are set up again). io_uring has no reset of its
    /// own (use `ioctl:/dev/nvmeX`); the in-memory and NVMe/TCP backends have
    /// no controller to reset.
    pub fn reset(&mut self) -> Result<(), Error> {
        match self {
            #[cfg(feature = "ioctl")]
            Device::Ioctl(d) => d.reset(),
            #[cfg(feature = "vfio")]
            Device::Vfio(d) => d.reset(),
            _ => Err(Error::Unsupported(
                "a controller reset goes through the kernel (ioctl:/dev/nvmeX) or the VFIO \
                 driver (vfio:BDF); this backend has none",
            )),
        }
    }

    /// Resets the NVM subsystem, as `nvme subsystem-reset`: through the
    /// kernel (`NVME_IOCTL_SUBSYS_RESET`) on the ioctl backend, by an NSSR
    /// write and a controller bring-up on VFIO (refused when CAP.NSSRS is 0).
    /// Other backends have no subsystem to reset from here (NVMe/TCP: the
    /// CLI writes the NSSR property itself).
    pub fn subsystem_reset(&mut self) -> Result<(), Error> {
        match self {
            #[cfg(feature = "ioctl")]
            Device::Ioctl(d) => d.subsystem_reset(),
            #[cfg(feature = "vfio")]
            Device::Vfio(d) => d.subsystem_reset(),
            _ => Err(Error::Unsupported(
                "an NVM Subsystem Reset goes through the kernel (ioctl:/dev/nvmeX) or the VFIO \
                 driver (vfio:BDF); this backend has none",
            )),
        }
    }

    /// Has the namespaces rescanned, as `nvme ns-rescan`: Linux rescans the
    /// controller's namespaces (ioctl and io_uring); those backends and VFIO
    /// and NVMe/TCP forget the namespace formats they remembered.
    pub fn rescan(&mut self) -> Result<(), Error> {
        match self {
            #[cfg(feature = "ioctl")]
            Device::Ioctl(d) => d.rescan(),
            #[cfg(feature = "uring")]
            Device::Uring(d) => d.rescan(),
            #[cfg(feature = "vfio")]
            Device::Vfio(d) => {
                d.forget_formats();
                Ok(())
            }
            #[cfg(feature = "tcp")]
            Device::Tcp(d) => {
                d.forget_formats();
                Ok(())
            }
            #[allow(unreachable_patterns)]
            _ => Err(Error::Unsupported(
                "the in-memory controller has no kernel view of its namespaces to rescan",
            )),
        }
    }
}

/// Opens a device string (see [`crate::locator`] for the forms).
pub fn open(s: &str) -> Result<Device, OpenError> {
    open_locator(&Locator::parse(s)?)
}

/// Opens a parsed device string.
pub fn open_locator(locator: &Locator) -> Result<Device, OpenError> {
    locator.require_compiled()?;
    match locator {
        Locator::Ram(r) => open_ram(r),
        Locator::Path(p) => open_path(p),
        Locator::Ioctl(p) => open_ioctl(p),
        Locator::Uring(p) => open_uring(p),
        Locator::Vfio(a) => open_vfio(a),
        Locator::Tcp(t) => open_tcp(t),
    }
}

/// A backend left out of this build (`open_locator` checks first; the
/// per-backend stubs below say the same if reached).
#[allow(dead_code)]
pub(crate) fn not_compiled(locator: Locator) -> OpenError {
    let backends = locator.candidates();
    OpenError::Locator(LocatorError::NotCompiled {
        target: locator.to_string(),
        backends,
    })
}

#[cfg(feature = "ram")]
fn open_ram(r: &RamParams) -> Result<Device, OpenError> {
    ram_controller(r).map(Device::Ram)
}

/// The in-memory controller a `ram:` locator describes, as
/// [`open`](crate::open) makes it, for code that needs the
/// [`RamController`](nvmeq_ram::RamController) itself rather than a [`Device`].
#[cfg(feature = "ram")]
pub fn ram_controller(r: &RamParams) -> Result<nvmeq_ram::RamController, OpenError> {
    let mut cfg = nvmeq_ram::RamConfig::new(r.size, r.lba_size);
    cfg.nn = r.nn;
    if let Some(m) = r.mdts {
        cfg.mdts = m;
    }
    if let Some(q) = r.queue_depth {
        cfg.queue_depth = q;
    }
    cfg.ms = r.ms;
    cfg.extended = r.extended;
    cfg.pi = r.pi;
    cfg.capacity = r.capacity;
    cfg.max_nn = r.max_nn;
    if let Some(path) = &r.file {
        return nvmeq_ram::RamController::open_file(cfg, path).map_err(OpenError::State);
    }
    nvmeq_ram::RamController::new(cfg).map_err(|e| OpenError::Config {
        backend: BackendKind::Ram,
        reason: e.to_string(),
    })
}

#[cfg(not(feature = "ram"))]
fn open_ram(r: &RamParams) -> Result<Device, OpenError> {
    Err(not_compiled(Locator::Ram(r.clone())))
}

/// A bare `/dev/…` path: io_uring when compiled in and the kernel and
/// device support it, else the ioctl backend.
fn open_path(p: &Path) -> Result<Device, OpenError> {
    #[cfg(feature = "uring")]
    {
        let uring = open_uring(p);
        #[cfg(feature = "ioctl")]
        if uring.is_err() {
            // Older kernels, controllers without uring_cmd: the blocking
            // ioctls reach every NVMe char and block device.
            return open_ioctl(p);
        }
        uring
    }
    #[cfg(all(not(feature = "uring"), feature = "ioctl"))]
    {
        open_ioctl(p)
    }
    #[cfg(not(any(feature = "uring", feature = "ioctl")))]
    {
        Err(not_compiled(Locator::Path(p.into())))
    }
}

/// `ioctl:PATH`: a namespace (`/dev/ngXnY`, `/dev/nvmeXnY`) or a controller
/// (`/dev/nvmeX`, admin commands only).
#[cfg(feature = "ioctl")]
fn open_ioctl(p: &Path) -> Result<Device, OpenError> {
    ioctl_backend(p).map(Device::Ioctl)
}

/// The ioctl backend on a namespace or controller node.
#[cfg(feature = "ioctl")]
pub(crate) fn ioctl_backend(p: &Path) -> Result<nvmeq_ioctl::IoctlBackend, OpenError> {
    use nvmeq_ioctl::{IoctlBackend, OpenError as E};
    let opened = match IoctlBackend::open(None, Some(p)) {
        Err(E::ControllerNotNamespace { .. }) => IoctlBackend::open(Some(p), None),
        other => other,
    };
    opened.map_err(|e| OpenError::Config {
        backend: BackendKind::Ioctl,
        reason: e.to_string(),
    })
}

#[cfg(not(feature = "ioctl"))]
fn open_ioctl(p: &Path) -> Result<Device, OpenError> {
    Err(not_compiled(Locator::Ioctl(p.into())))
}

/// `uring:PATH`: a namespace's generic char device (or its block device,
/// opened through it), admin commands through its controller.
#[cfg(feature = "uring")]
fn open_uring(p: &Path) -> Result<Device, OpenError> {
    uring_with(p, nvmeq_uring::UringOptions::new()).map(Device::Uring)
}

/// A ring on `p` with `opts`.
#[cfg(feature = "uring")]
pub(crate) fn uring_with(
    p: &Path,
    opts: nvmeq_uring::UringOptions,
) -> Result<nvmeq_uring::Uring, OpenError> {
    nvmeq_uring::Uring::open(p, opts).map_err(|e| OpenError::Config {
        backend: BackendKind::Uring,
        reason: e.to_string(),
    })
}

#[cfg(not(feature = "uring"))]
fn open_uring(p: &Path) -> Result<Device, OpenError> {
    Err(not_compiled(Locator::Uring(p.into())))
}

/// `vfio:DDDD:BB:DD.F`: the controller must already be bound to vfio-pci
/// (`nvmeq_vfio::bind_vfio`); the error says how when it is not.
#[cfg(feature = "vfio")]
fn open_vfio(a: &Bdf) -> Result<Device, OpenError> {
    vfio_controller(a, nvmeq_vfio::Options::default()).map(Device::Vfio)
}

/// The VFIO driver on `a`, opened with `opts`.
#[cfg(feature = "vfio")]
pub(crate) fn vfio_controller(
    a: &Bdf,
    opts: nvmeq_vfio::Options,
) -> Result<nvmeq_vfio::Controller, OpenError> {
    let target = a.to_string();
    nvmeq_vfio::Controller::open_with(&target, opts).map_err(|e| match e {
        nvmeq_vfio::OpenError::Os { source, .. } => OpenError::Io {
            backend: BackendKind::Vfio,
            target,
            source,
        },
        nvmeq_vfio::OpenError::Command { source, .. } => OpenError::Device {
            backend: BackendKind::Vfio,
            target,
            source,
        },
        e => OpenError::Config {
            backend: BackendKind::Vfio,
            reason: e.to_string(),
        },
    })
}

#[cfg(not(feature = "vfio"))]
fn open_vfio(a: &Bdf) -> Result<Device, OpenError> {
    Err(not_compiled(Locator::Vfio(*a)))
}

/// The initiator's options for a `tcp://` locator.
#[cfg(feature = "tcp")]
pub fn tcp_options(t: &TcpParams) -> nvmeq_tcp::TcpOptions {
    let mut o = nvmeq_tcp::TcpOptions::new(t.host.clone(), t.port, t.subnqn.clone());
    o.hostnqn = t.hostnqn.clone();
    if let Some(n) = t.nr_io_queues {
        o.nr_io_queues = n;
    }
    if let Some(n) = t.queue_size {
        o.queue_size = n;
    }
    o.hdgst = t.hdgst;
    o.ddgst = t.ddgst;
    o
}

/// `tcp://HOST:PORT/SUBNQN`: connects the admin queue and the I/O queues.
#[cfg(feature = "tcp")]
fn open_tcp(t: &TcpParams) -> Result<Device, OpenError> {
    tcp_connect(t, tcp_options(t)).map(Device::Tcp)
}

/// Connects `t` with `opts` (from [`tcp_options`], possibly changed).
#[cfg(feature = "tcp")]
pub(crate) fn tcp_connect(
    t: &TcpParams,
    opts: nvmeq_tcp::TcpOptions,
) -> Result<nvmeq_tcp::TcpBackend, OpenError> {
    if t.subnqn.is_empty() {
        return Err(OpenError::Config {
            backend: BackendKind::Tcp,
            reason: format!(
                "{t} names no subsystem NQN (tcp://HOST:PORT/SUBNQN; `nvmeq discover` lists them)"
            ),
        });
    }
    nvmeq_tcp::TcpBackend::connect(opts).map_err(|e| match e {
        nvmeq_tcp::OpenError::Tcp { addr, source } => OpenError::Io {
            backend: BackendKind::Tcp,
            target: addr,
            source,
        },
        nvmeq_tcp::OpenError::Command { source, step } => OpenError::Device {
            backend: BackendKind::Tcp,
            target: format!("{t} ({step})"),
            source,
        },
        e => OpenError::Config {
            backend: BackendKind::Tcp,
            reason: e.to_string(),
        },
    })
}

#[cfg(not(feature = "tcp"))]
fn open_tcp(t: &TcpParams) -> Result<Device, OpenError> {
    Err(not_compiled(Locator::Tcp(t.clone())))
}
