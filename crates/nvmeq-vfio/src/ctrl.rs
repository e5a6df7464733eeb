//! The controller: bring-up, the admin queue, I/O queue pairs, recovery and
//! shutdown. [`Controller`] implements [`nvmeq_core::Backend`] (in `backend.rs`).

mod backend;
mod info;
mod lane;
mod recovery;
mod shared;

pub use shared::{QueueHandle, SharedController};

use std::collections::VecDeque;
use std::os::fd::OwnedFd;
use std::path::Path;
use std::sync::Arc;
use std::thread::sleep;
use std::time::{Duration, Instant};

use nvmeq_core::cmd::{CreateIoCq, CreateIoSq, DoorbellBufferConfig, Identify, SetFeatures};
use nvmeq_core::format::NsFormat;
use nvmeq_core::identify::{oacs, sgls};
use nvmeq_core::{Cmd, Completion, Error, IoBuf, Reaped, Xfer};
use nvmeq_core::{IdentifyController, IdentifyNamespace, IdentifyNamespaceNvm, NsList};
use zerocopy::{FromBytes, FromZeros};

use crate::bdf::Bdf;
use crate::dma::{DmaBuf, DmaRegion, DmaSpace};
use crate::error::{OpenError, RegisterError};
use crate::irq::{self, Irqs};
use crate::mmio::Bar;
use crate::platform::{Platform, Regs, Vfio};
use crate::queue::dptr::Dptr;
use crate::queue::{doorbell, Push, QueuePair, Raw, Shadow};
use crate::sysfs;
use crate::vfio::Iommu;
use nvmeq_core::regs::{self, Aqa, Cap, Cc, Csts};

/// Why every command fails once the kernel asked for the device back (the
/// VFIO device request of a hot-unplug or an unbind): the driver shut the
/// controller down (what was in flight had its bounded time to finish; what
/// did not completes with this error), and the removal finishes when the
/// controller is dropped.
pub const REMOVAL_REQUESTED: &str =
    "the kernel asked for the device back (hot-unplug or unbind): the controller was shut \
     down; drop it to let the removal finish";

/// PCI config space: Command register and its Memory Space / Bus Master bits.
const PCI_COMMAND: u64 = 0x04;
const PCI_COMMAND_MEMORY: u16 = 1 << 1;
const PCI_COMMAND_MASTER: u16 = 1 << 2;

/// The only memory page size this driver uses (CC.MPS = 0).
pub(crate) const PAGE: usize = 4096;

/// Longest sleep of a wait loop with interrupts, so timeouts are still seen.
const NAP: Duration = Duration::from_millis(10);

/// How a controller is opened.
#[derive(Debug, Clone)]
pub struct Options {
    /// I/O queue pairs to create (the controller may grant fewer).
    pub io_queues: u16,
    /// Commands each I/O queue can hold (entries - 1; capped by CAP.MQES).
    pub queue_depth: u16,
    /// Admin queue entries.
    pub admin_depth: u16,
    /// Time an I/O command may take before it is aborted.
    pub io_timeout: Duration,
    /// Time an admin command (and an Abort) may take before the controller is reset.
    pub admin_timeout: Duration,
    /// Upper bound on one transfer, below the controller's MDTS (sizes the
    /// bounce buffer and the per-slot PRP lists).
    pub max_xfer: u32,
    /// Use shadow doorbells (Doorbell Buffer Config) when the controller has them.
    pub shadow_doorbells: bool,
    /// Write I/O queues' CQ head doorbells only when the controller could
    /// otherwise run out of completion entries (before a command is queued
    /// that might not find one), instead of after every batch of
    /// completions, which saves the CQ head MMIO write of most batches.
    /// The admin queue's is always written at once.
    pub lazy_cq_doorbells: bool,
    /// How I/O commands describe their data: PRPs or SGLs. Admin commands
    /// always use PRPs (the specification allows nothing else over PCIe).
    pub data_pointer: DataPointer,
    /// How many times a command that is safe to repeat is resubmitted after
    /// a controller reset (recovery from a timeout or fatal status, or
    /// [`Controller::reset`]) instead of completing with `Timeout` or
    /// `Aborted`. 0 (the default): never. Safe to repeat: Read, Compare and
    /// Verify (they change nothing), and any I/O command written with
    /// [`Controller::push_retryable`]; never a fused command, an admin
    /// command or, by default, anything that writes. A resubmitted command
    /// gets a fresh timeout; one written but not yet committed when the reset
    /// came is submitted by it.
    pub retries: u8,
    /// Completions signal MSI-X interrupts (one vector and eventfd per
    /// completion queue) and waits sleep on them instead of spinning; a
    /// reactor can watch [`Controller::completion_fd`]. Off (the default):
    /// completions are polled. Needs MSI-X through VFIO; the I/O queues are
    /// capped at the vectors it offers minus the admin queue's.
    pub interrupts: bool,
}

/// How I/O commands describe their data buffers ([`Options::data_pointer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataPointer {
    /// SGLs when Identify Controller's SGLS (bits 1:0) says the controller
    /// supports them for NVM commands, else PRPs.
    #[default]
    Auto,
    /// Always PRPs.
    Prp,
    /// Always SGLs: opening a controller without SGL support fails.
    Sgl,
}

impl Options {
    /// Sets [`Options::data_pointer`].
    pub fn data_pointer(mut self, d: DataPointer) -> Self {
        self.data_pointer = d;
        self
    }
    /// Sets [`Options::retries`].
    pub fn retries(mut self, n: u8) -> Self {
        self.retries = n;
        self
    }
    /// Sets [`Options::interrupts`].
    pub fn interrupts(mut self, on: bool) -> Self {
        self.interrupts = on;
        self
    }
}

/// The data pointer an I/O command gets: `Some(dword)` for SGLs (`dword`:
/// the controller needs dword-aligned data blocks), `None` for PRPs, from the
/// option and Identify Controller's SGLS. `Err` when SGLs are demanded but
/// unsupported.
fn sgl_choice(want: DataPointer, sgls: u32) -> Result<Option<bool>, String> {
    let support = sgls & nvmeq_core::identify::sgls::SUPPORTED_MASK;
    match (want, support) {
        (DataPointer::Prp, _) | (DataPointer::Auto, 0) => Ok(None),
        (DataPointer::Sgl, 0) => Err(format!(
            "SGLs were requested (DataPointer::Sgl) but the controller does not support them for NVM commands (Identify Controller SGLS = {sgls:#x}, bits 1:0 = 00b)"
        )),
        (_, 0b11) => Err(format!(
            "Identify Controller SGLS = {sgls:#x}: bits 1:0 = 11b is reserved; use DataPointer::Prp"
        )),
        (_, s) => Ok(Some(s == 0b10)),
    }
}

/// How many resubmissions a command gets ([`Options::retries`]): none on
/// the admin queue, for fused commands, or for commands that change data
/// unless the caller marked them.
fn retry_budget(retries: u8, admin: bool, sqe: &nvmeq_core::Command, marked: bool) -> u8 {
    use nvmeq_core::NvmOpcode;
    if retries == 0 {
        return 0;
    }
    let op = NvmOpcode(sqe.opcode());
    let reads = [NvmOpcode::READ, NvmOpcode::COMPARE, NvmOpcode::VERIFY];
    if admin || sqe.cdw0.fuse() != 0 || !(marked || reads.contains(&op)) {
        0
    } else {
        retries
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            io_queues: 1,
            queue_depth: 255,
            admin_depth: 32,
            io_timeout: Duration::from_secs(30),
            admin_timeout: Duration::from_secs(10),
            max_xfer: 1 << 20,
            shadow_doorbells: true,
            lazy_cq_doorbells: true,
            data_pointer: DataPointer::Auto,
            retries: 0,
            interrupts: false,
        }
    }
}

/// Counters of unusual events, for diagnostics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Completions whose cid matched no command in flight (ignored).
    pub unexpected_cqes: u64,
    /// Abort commands sent for timed-out commands.
    pub aborts: u64,
    /// Controller resets (timeouts, fatal status, or [`Controller::reset`]).
    pub resets: u64,
    /// Doorbell updates written to BAR0 (SQ tails and CQ heads).
    pub mmio_doorbells: u64,
    /// Doorbell updates only written to the shadow buffer, because the
    /// controller's EventIdx did not ask for an MMIO write.
    pub skipped_doorbells: u64,
    /// Commands written with an SGL data pointer (PSDT 01b or 10b), resubmissions included.
    pub sgl_commands: u64,
    /// Commands resubmitted after a controller reset ([`Options::retries`]).
    pub retries: u64,
}

/// A synchronous command's outcome, waiting for its caller: queue index and
/// cid (slot + sequence, so a reused slot cannot be confused), result,
/// data and metadata buffers.
type SyncDone<P> = (
    usize,
    u16,
    Result<Completion, Error>,
    Option<DmaBuf<P>>,
    Option<DmaBuf<P>>,
);

/// A synchronous command's result with its data and metadata buffers.
type SyncResult<P> = (
    Result<Completion, Error>,
    Option<DmaBuf<P>>,
    Option<DmaBuf<P>>,
);

/// An NVMe controller driven from userspace through VFIO.
///
/// Open it with [`Controller::open`]; it is an [`nvmeq_core::Backend`]. Dropping
/// it shuts the controller down (CC.SHN) so the kernel driver can take it back.
///
/// `P` is what it runs on: [`Vfio`], or for host harnesses the in-memory
/// controller of `model` (feature `model`).
pub struct Controller<P: Platform = Vfio> {
    bdf: Bdf,
    opts: Options,
    cap: Cap,
    vs: u32,
    id: Box<IdentifyController>,
    max_xfer: u32,
    /// SGLs for I/O data: `Some(dword-aligned only)`, or `None` for PRPs.
    sgl: Option<bool>,
    /// `qs[0]` is the admin queue, `qs[1..]` the I/O queues.
    qs: Vec<QueuePair<P>>,
    next_io: usize,
    /// Shared with the [`QueueHandle`]s' queues (lent again after each
    /// reset, which may drop it).
    shadow: Option<Arc<Shadow<P>>>,
    bounce: Option<DmaBuf<P>>,
    /// The bounce buffer for `execute_with`'s metadata, made on first use
    /// (and again when too small).
    meta_bounce: Option<DmaBuf<P>>,
    /// Completions not yet reaped, per queue (`done[qi]`), so a
    /// [`QueueHandle`](crate::QueueHandle) reaps only its own queue's.
    /// Each queue's list is preallocated with its slots' worth; its commands
    /// in slots plus its completions not yet reaped may not exceed that, so
    /// the hot path never allocates.
    done: Vec<VecDeque<Reaped<DmaBuf<P>>>>,
    /// Wait-loop iterations since the last clock read.
    spins: u32,
    sync_done: Vec<SyncDone<P>>,
    /// Active namespaces and their current formats.
    ns: Vec<(u32, NsFormat)>,
    /// With [`Options::interrupts`]: vector `i` is queue `qs[i]`'s, and an
    /// epoll set over the I/O queues' eventfds.
    irqs: Option<(Arc<Irqs>, OwnedFd)>,
    /// The VFIO device request, when the device offers one: wait loops look
    /// at it with the other housekeeping ([`REMOVAL_REQUESTED`]).
    pub(crate) request: Option<irq::Request>,
    /// Why the controller is unusable, once it is.
    dead: Option<&'static str>,
    in_recovery: bool,
    resetting: bool,
    next_check: Instant,
    stats: Stats,
    // Dropped last, in this order: the register mapping, the device fd (which
    // lets vfio-pci reset the function), then the IOMMU space once no DMA
    // memory refers to it.
    /// Shared with the [`QueueHandle`]s' queues, whose doorbells it holds;
    /// they live inside the handles' shared state, which drops them before
    /// this controller.
    bar: Arc<P::Regs>,
    _device: P::Device,
    space: Arc<DmaSpace<P>>,
}

impl<P: Platform> std::fmt::Debug for Controller<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("bdf", &self.bdf.to_string())
            .field("mn", &self.id.mn().unwrap_or("?"))
            .field("io_queues", &(self.qs.len() - 1))
            .field("shadow_doorbells", &self.shadow.is_some())
            .field("dead", &self.dead)
            .finish()
    }
}

impl Controller<Vfio> {
    /// Opens the controller at PCI address `bdf` (e.g. `0000:00:04.0`) with
    /// default [`Options`]. It must be bound to vfio-pci ([`crate::bind_vfio`]).
    pub fn open(bdf: &str) -> Result<Controller, OpenError> {
        Self::open_with(bdf, Options::default())
    }

    /// Opens the controller with `opts`.
    pub fn open_with(bdf: &str, opts: Options) -> Result<Controller, OpenError> {
        let bdf = crate::bdf::parse(bdf)?;
        let b = bdf.to_string();
        let class = sysfs::class_of(&bdf)?;
        if class != 0x010802 {
            return Err(OpenError::NotNvme { bdf: b, class });
        }
        // The IOMMU first: without it, rebinding to vfio-pci would not help.
        let group =
            sysfs::iommu_group_of(&bdf)?.ok_or(OpenError::NoIommuGroup { bdf: b.clone() })?;
        match sysfs::driver_of(&bdf)? {
            Some(d) if d == "vfio-pci" => {}
            Some(driver) => return Err(OpenError::BoundToDriver { bdf: b, driver }),
            None => return Err(OpenError::Unbound { bdf: b }),
        }
        if !Path::new("/dev/vfio/vfio").exists() {
            return Err(OpenError::NoVfio {
                path: "/dev/vfio/vfio".into(),
            });
        }
        check_options(&b, &opts)?;
        let iommu = Iommu::open(group)?;
        let device = iommu.device(&bdf)?;
        let ranges = iommu.iova_ranges();
        let space = DmaSpace::new(iommu, ranges.as_deref());
        let os = |op: &str| {
            let op = format!("{b}: {op}");
            move |source| OpenError::Os { op, source }
        };

        // Memory decoding and bus mastering (DMA) on.
        let cmd = device
            .config_read16(PCI_COMMAND)
            .map_err(os("read PCI command register"))?;
        device
            .config_write16(PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
            .map_err(os("enable bus mastering"))?;

        let bar0 = device
            .region(0)
            .map_err(os("VFIO_DEVICE_GET_REGION_INFO(BAR0)"))?;
        if bar0.flags & vfio_bindings::bindings::vfio::VFIO_REGION_INFO_FLAG_MMAP == 0 {
            return Err(OpenError::Unsupported(format!(
                "{b}: vfio-pci does not allow mapping BAR0"
            )));
        }
        // The whole BAR, or (when vfio-pci keeps the MSI-X table out of
        // reach) its mmap-able part that holds the registers and doorbells.
        let bar = match Bar::map(device.fd(), bar0.offset, bar0.size as usize) {
            Ok(bar) => bar,
            Err(full) => {
                let areas = device
                    .sparse_areas(0)
                    .map_err(os("BAR0 sparse mmap areas"))?;
                let Some(&(_, size)) = areas.iter().find(|&&(off, _)| off == 0) else {
                    return Err(OpenError::Os {
                        op: format!("{b}: mmap BAR0 (no mappable part at offset 0)"),
                        source: full,
                    });
                };
                Bar::map(device.fd(), bar0.offset, size as usize)
                    .map_err(os("mmap the register part of BAR0"))?
            }
        };

        Controller::start(bdf, opts, bar, device, space)
    }
}

/// Options that cannot open any controller.
fn check_options(b: &str, opts: &Options) -> Result<(), OpenError> {
    if opts.io_queues == 0 || opts.queue_depth == 0 || opts.admin_depth < 2 {
        return Err(OpenError::Controller {
            bdf: b.to_string(),
            what: "options need io_queues >= 1, queue_depth >= 1 and admin_depth >= 2".into(),
        });
    }
    Ok(())
}

impl<P: Platform> Controller<P> {
    /// Brings up the controller behind `bar` (its registers and doorbells),
    /// with DMA memory from `space`; `device` is kept until `bar` is gone.
    pub(crate) fn start(
        bdf: Bdf,
        opts: Options,
        bar: P::Regs,
        device: P::Device,
        space: Arc<DmaSpace<P>>,
    ) -> Result<Controller<P>, OpenError> {
        let b = bdf.to_string();
        check_options(&b, &opts)?;
        let cap = Cap::from_bits(bar.read64(regs::CAP));
        let vs = bar.read32(regs::VS);
        let fail = |what: String| OpenError::Controller {
            bdf: b.clone(),
            what,
        };
        if cap.into_bits() == u64::MAX {
            return Err(fail(
                "CAP reads all ones: the device is not responding".into(),
            ));
        }
        if cap.mpsmin() != 0 {
            return Err(fail(format!(
                "CAP.MPSMIN is {} KiB; this driver uses 4 KiB memory pages",
                4u32 << cap.mpsmin()
            )));
        }
        if cap.css() & 1 == 0 {
            return Err(fail(
                "the controller does not support the NVM command set (CAP.CSS)".into(),
            ));
        }

        let admin_size = opts
            .admin_depth
            .min(cap.mqes_z().saturating_add(1))
            .min(4096);
        let dma = |what: &'static str| {
            let b = b.clone();
            move |source| OpenError::Os {
                op: format!("{b}: allocate DMA memory for {what}"),
                source,
            }
        };
        let admin = QueuePair::new(&space, 0, admin_size, PAGE, PAGE * 2, cap.dstrd())
            .map_err(dma("the admin queue"))?;
        // The bounce buffer carries caller data of `execute` and the driver's
        // own admin data; sized for the largest transfer allowed.
        let want_xfer = opts.max_xfer.max(PAGE as u32);
        let bounce = DmaBuf::new(&space, want_xfer as usize).map_err(dma("the bounce buffer"))?;

        let mut c = Controller {
            bdf,
            cap,
            vs,
            id: Box::new(IdentifyController::new_zeroed()),
            max_xfer: PAGE as u32 * 2,
            sgl: None,
            qs: vec![admin],
            next_io: 1,
            shadow: None,
            bounce: Some(bounce),
            meta_bounce: None,
            done: vec![VecDeque::new()],
            spins: 0,
            sync_done: Vec::with_capacity(4),
            ns: Vec::new(),
            irqs: None,
            // Without it a removal still completes, once the user closes the
            // device: a failure to register is no reason to refuse the open.
            request: P::msix_fd(&device).and_then(|f| irq::Request::enable(f).ok().flatten()),
            dead: None,
            in_recovery: false,
            resetting: false,
            next_check: Instant::now(),
            stats: Stats::default(),
            bar: Arc::new(bar),
            _device: device,
            space,
            opts,
        };

        // A failed bring-up leaves no shutdown to do: mark the controller so
        // dropping it only disables it.
        match c.bring_up(&b, want_xfer) {
            Ok(()) => Ok(c),
            Err(e) => {
                c.dead = Some("bring-up failed");
                Err(e)
            }
        }
    }

    /// Everything after the mappings: disable, enable with the admin queue,
    /// Identify, Number of Queues, the I/O queues, shadow doorbells and the
    /// namespace scan.
    fn bring_up(&mut self, b: &str, want_xfer: u32) -> Result<(), OpenError> {
        let fail = |what: String| OpenError::Controller {
            bdf: b.to_string(),
            what,
        };
        let dma = |what: &'static str| {
            move |source| OpenError::Os {
                op: format!("{b}: allocate DMA memory for {what}"),
                source,
            }
        };
        self.disable().map_err(|w| fail(w.into()))?;
        self.enable().map_err(|w| fail(w.into()))?;

        // Identify Controller.
        let id = self
            .admin_data(Identify::controller().build(), PAGE)
            .map_err(|source| OpenError::Command {
                bdf: b.to_string(),
                what: "Identify Controller",
                source,
            })?;
        self.id = IdentifyController::read_from_bytes(&id)
            .map(Box::new)
            .map_err(|_| fail("short Identify Controller data".into()))?;
        self.sgl = sgl_choice(self.opts.data_pointer, self.id.sgls)
            .map_err(|why| OpenError::Unsupported(format!("{b}: {why}")))?;
        let mdts_bytes = self.id.mdts_bytes(PAGE as u32).unwrap_or(u64::MAX);
        let max_xfer = mdts_bytes.min(want_xfer as u64) as u32;

        // Number of Queues, then allocate what was granted.
        let r = self
            .admin_nodata(
                SetFeatures::num_queues(self.opts.io_queues - 1, self.opts.io_queues - 1).build(),
            )
            .map_err(|source| OpenError::Command {
                bdf: b.to_string(),
                what: "Set Features (Number of Queues)",
                source,
            })?;
        let mut nq = queues_granted(&r).min(self.opts.io_queues);
        if self.opts.interrupts {
            let os = |op: &'static str| {
                move |source| OpenError::Os {
                    op: format!("{b}: {op}"),
                    source,
                }
            };
            let Some(fd) = P::msix_fd(&self._device) else {
                return Err(OpenError::Unsupported(format!(
                    "{b}: interrupts need MSI-X through VFIO; this controller has no device fd"
                )));
            };
            let n = irq::msix_vectors(fd)
                .map_err(os("VFIO_DEVICE_GET_IRQ_INFO (MSI-X)"))?
                .min(irq::MAX_VECTORS);
            if n < 2 {
                return Err(OpenError::Unsupported(format!(
                    "{b}: interrupts need 2 MSI-X vectors through VFIO, the device offers {n}"
                )));
            }
            nq = nq.min(n as u16 - 1);
            let irqs = Irqs::enable(fd, nq as u32 + 1)
                .map_err(os("VFIO_DEVICE_SET_IRQS (MSI-X eventfds)"))?;
            let ep = irqs
                .epoll(1..nq as usize + 1)
                .map_err(os("epoll over the I/O queues' eventfds"))?;
            self.irqs = Some((Arc::new(irqs), ep));
        }
        let size = (self.opts.queue_depth as u32 + 1)
            .min(self.cap.mqes_z() as u32 + 1)
            .min(4096) as u16;
        // Every doorbell must lie inside BAR0.
        if doorbell::cq_head(nq, self.cap.dstrd()) + 4 > self.bar.size() {
            return Err(fail(format!(
                "BAR0 ({} bytes) is too small for {nq} queue pairs' doorbells",
                self.bar.size()
            )));
        }
        for qid in 1..=nq {
            let q = QueuePair::new(
                &self.space,
                qid,
                size,
                PAGE,
                max_xfer as usize,
                self.cap.dstrd(),
            )
            .map_err(dma("an I/O queue"))?;
            self.qs.push(q);
        }
        self.max_xfer = max_xfer.min(self.qs[1].max_prp_xfer() as u32);
        self.done = self
            .qs
            .iter()
            .map(|q| VecDeque::with_capacity(q.slots.len()))
            .collect();

        if self.opts.shadow_doorbells && self.id.oacs & oacs::DBBUF != 0 {
            let need = doorbell::shadow_cq(nq, self.cap.dstrd()) + 4;
            if need <= PAGE {
                let dbs = DmaRegion::new(&self.space, PAGE).map_err(dma("shadow doorbells"))?;
                let eis = DmaRegion::new(&self.space, PAGE).map_err(dma("EventIdx"))?;
                self.shadow = Some(Arc::new(Shadow { dbs, eis }));
            }
        }
        self.setup_io()
            .map_err(|(what, source)| OpenError::Command {
                bdf: b.to_string(),
                what,
                source,
            })?;
        self.scan_namespaces()
            .map_err(|source| OpenError::Command {
                bdf: b.to_string(),
                what: "Identify (namespaces)",
                source,
            })?;
        Ok(())
    }

    /// The PCI address.
    pub fn bdf(&self) -> Bdf {
        self.bdf
    }

    /// A snapshot of the controller registers at 0h..40h (CAP through CMBSZ),
    /// read now with one volatile access per register.
    pub fn registers(&self) -> regs::Registers {
        let read = |off| match regs::width(off) {
            Some(8) => self.bar.read64(off),
            _ => self.bar.read32(off) as u64,
        };
        let Ok(r) = regs::Registers::read_each(|off| Ok::<_, core::convert::Infallible>(read(off)));
        r
    }

    /// The register at `offset` of the register map (Base spec 2.0,
    /// "Controller Registers"), read at its width (a 64-bit one as two
    /// dwords, low first); `None` for an offset that starts no register or
    /// lies past BAR0.
    pub fn register(&self, offset: usize) -> Option<u64> {
        let width = regs::width(offset)? as usize;
        if offset + width > self.bar.size() {
            return None;
        }
        Some(if width == 8 {
            self.bar.read64(offset)
        } else {
            self.bar.read32(offset) as u64
        })
    }

    /// Stores `value` in the register at `offset` at its width (a 64-bit one
    /// as two dwords, low first). Refuses an
    /// offset that starts no register, and the ones that hold a host memory
    /// address the controller would DMA to ([`regs::holds_dma_address`]):
    /// this driver's own queues and buffers are the only memory it may reach.
    pub fn set_register(&mut self, offset: usize, value: u64) -> Result<(), RegisterError> {
        let width = regs::width(offset).ok_or(RegisterError::NotARegister(offset))? as usize;
        if regs::holds_dma_address(offset) {
            return Err(RegisterError::DmaAddress(offset));
        }
        if offset + width > self.bar.size() {
            return Err(RegisterError::NotARegister(offset));
        }
        if width == 8 {
            self.bar.write64(offset, value);
        } else {
            self.bar.write32(offset, value as u32);
        }
        Ok(())
    }

    /// Identify Controller data, as read at open.
    pub fn identify(&self) -> &IdentifyController {
        &self.id
    }

    /// The Version register (VS): major, minor, tertiary.
    pub fn version(&self) -> (u16, u8, u8) {
        ((self.vs >> 16) as u16, (self.vs >> 8) as u8, self.vs as u8)
    }

    /// The number of I/O queue pairs in use.
    pub fn io_queues(&self) -> usize {
        self.qs.len() - 1
    }

    /// Entries per I/O queue (one fewer commands fit).
    pub fn io_queue_size(&self) -> u16 {
        self.qs.get(1).map_or(0, |q| q.size())
    }

    /// Whether shadow doorbells (Doorbell Buffer Config) are in use.
    pub fn shadow_doorbells(&self) -> bool {
        self.shadow.is_some()
    }

    /// The largest transfer one command may have, in bytes.
    pub fn max_xfer(&self) -> u32 {
        self.max_xfer
    }

    /// Namespaces known so far with their bytes per block in the data
    /// buffer: all active ones at open; after a Format NVM or namespace
    /// management command the list is emptied and refilled as
    /// [`nvmeq_core::Backend::lba_size`] or [`Controller::ns_format`] asks.
    pub fn namespaces(&self) -> Vec<(u32, u32)> {
        self.ns.iter().map(|&(n, f)| (n, f.block_bytes)).collect()
    }

    /// Counters of aborts, resets and unexpected completions.
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.mmio_doorbells = self.qs.iter().map(|q| q.mmio_doorbells).sum();
        s.skipped_doorbells = self.qs.iter().map(|q| q.skipped_doorbells).sum();
        s.sgl_commands = self.qs.iter().map(|q| q.sgl_commands).sum();
        s
    }

    /// Whether I/O commands describe their data with SGLs (else PRPs).
    pub fn uses_sgls(&self) -> bool {
        self.sgl.is_some()
    }

    /// Changes [`Options::retries`] for commands written from now on.
    pub fn set_retries(&mut self, n: u8) {
        self.opts.retries = n;
    }

    /// The queue push parameters for a command of the caller on queue `qi`.
    #[inline]
    pub(super) fn push_for<'a>(
        &self,
        qi: usize,
        sqe: &nvmeq_core::Command,
        len: usize,
        regions: Option<&'a [(usize, usize)]>,
        marked: bool,
    ) -> Push<'a> {
        let mptr_sgl = self.id.sgls & sgls::MPTR_SGL != 0;
        push_params(
            self.sgl,
            self.opts.retries,
            mptr_sgl,
            qi,
            sqe,
            len,
            regions,
            marked,
        )
    }

    /// Changes the I/O command timeout for commands submitted from now on.
    pub fn set_io_timeout(&mut self, t: Duration) {
        self.opts.io_timeout = t;
    }

    /// Why the controller is unusable, if it is: a reset failed, it was shut
    /// down, or the kernel asked for the device back ([`REMOVAL_REQUESTED`]).
    pub fn dead(&self) -> Option<&'static str> {
        self.dead
    }

    fn cap_timeout(&self) -> Duration {
        Duration::from_millis(500 * self.cap.to().max(1) as u64)
    }

    fn csts(&self) -> u32 {
        self.bar.read32(regs::CSTS)
    }

    /// Waits until CSTS.RDY equals `rdy`, within CAP.TO.
    fn wait_ready(&self, rdy: bool) -> Result<(), &'static str> {
        let limit = self.cap_timeout();
        let start = Instant::now();
        loop {
            let raw = self.csts();
            if raw == u32::MAX {
                return Err("CSTS reads all ones: the controller stopped responding");
            }
            let csts = Csts::from_bits(raw);
            if rdy && csts.cfs() {
                return Err("controller fatal status (CSTS.CFS) while enabling");
            }
            if csts.rdy() == rdy {
                return Ok(());
            }
            if start.elapsed() > limit {
                return Err(if rdy {
                    "controller did not become ready (CSTS.RDY) within CAP.TO"
                } else {
                    "controller did not stop (CSTS.RDY stayed 1) within CAP.TO"
                });
            }
            sleep(Duration::from_millis(1));
        }
    }

    /// CC.EN = 0 and wait for CSTS.RDY = 0: the controller stops all DMA.
    fn disable(&mut self) -> Result<(), &'static str> {
        let cc = Cc::from_bits(self.bar.read32(regs::CC));
        if cc.en() {
            self.bar
                .write32(regs::CC, cc.with_en(false).with_shn(0).into_bits());
        }
        self.wait_ready(false)
    }

    /// Programs the admin queue and CC, sets CC.EN and waits for ready.
    fn enable(&mut self) -> Result<(), &'static str> {
        let admin = &mut self.qs[0];
        admin.reset();
        let size = admin.size();
        let aqa = Aqa::new().with_asqs_z(size - 1).with_acqs_z(size - 1);
        self.bar.write32(regs::AQA, aqa.into_bits());
        self.bar.write64(regs::ASQ, admin.sq_iova());
        self.bar.write64(regs::ACQ, admin.cq_iova());
        // Polled operation: mask every interrupt vector.
        self.bar.write32(regs::INTMS, u32::MAX);
        // All supported I/O command sets when the controller has several
        // (zoned namespaces need it), else the NVM command set.
        let css = if self.cap.css() & Cap::CSS_IO_SETS != 0 {
            Cc::CSS_ALL_IO
        } else {
            Cc::CSS_NVM
        };
        let cc = Cc::new()
            .with_css(css)
            .with_mps(0)
            .with_ams(0)
            .with_iosqes(6)
            .with_iocqes(4);
        self.bar.write32(regs::CC, cc.into_bits());
        self.bar.write32(regs::CC, cc.with_en(true).into_bits());
        self.wait_ready(true)
    }

    /// Number of Queues, shadow doorbells and the I/O queues: everything after
    /// enable (at open and after a reset).
    fn setup_io(&mut self) -> Result<(), (&'static str, Error)> {
        let nq = (self.qs.len() - 1) as u16;
        let r = self
            .admin_nodata(SetFeatures::num_queues(nq - 1, nq - 1).build())
            .map_err(|e| ("Set Features (Number of Queues)", e))?;
        if queues_granted(&r) < nq {
            return Err((
                "Set Features (Number of Queues)",
                Error::Malformed("Number of Queues result: fewer queues than before the reset"),
            ));
        }
        if let Some(sh) = &self.shadow {
            sh.dbs.zero();
            sh.eis.zero();
            let cmd = DoorbellBufferConfig::new(sh.dbs.iova(), sh.eis.iova()).build();
            if self.admin_nodata(cmd).is_err() {
                // Optional feature: fall back to plain doorbells.
                self.shadow = None;
            }
        }
        for i in 1..self.qs.len() {
            self.qs[i].reset();
            let (qid, size) = (self.qs[i].qid, self.qs[i].size());
            let cq = CreateIoCq::new(qid, size - 1).prp1(self.qs[i].cq_iova());
            // With interrupts, queue i signals vector i.
            let cq = match self.irqs {
                Some(_) => cq.irq(i as u16),
                None => cq,
            }
            .build();
            self.admin_nodata(cq)
                .map_err(|e| ("Create I/O Completion Queue", e))?;
            let sq = CreateIoSq::new(qid, size - 1, qid)
                .prp1(self.qs[i].sq_iova())
                .build();
            self.admin_nodata(sq)
                .map_err(|e| ("Create I/O Submission Queue", e))?;
        }
        Ok(())
    }

    /// Reads the active namespace list and each namespace's LBA size.
    fn scan_namespaces(&mut self) -> Result<(), Error> {
        let list = self.admin_data(Identify::active_ns_list(0).build(), PAGE)?;
        let list = NsList::read_from_bytes(&list)
            .map_err(|_| Error::Malformed("Active Namespace ID list (short)"))?;
        self.ns.clear();
        for nsid in list.ids() {
            if let Some(f) = self.identify_ns(nsid)? {
                self.ns.push((nsid, f));
            }
        }
        Ok(())
    }

    /// The current format of namespace `nsid` from Identify Namespace (and,
    /// with protection information, the NVM Command Set's Identify
    /// Namespace, CNS 05h, for the guard format), `None` when it is not active.
    pub(super) fn identify_ns(&mut self, nsid: u32) -> Result<Option<NsFormat>, Error> {
        let id = match self.admin_data(Identify::namespace(nsid).build(), PAGE) {
            Ok(b) => b,
            Err(Error::Status(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let Ok(id) = IdentifyNamespace::read_from_bytes(&id) else {
            return Ok(None);
        };
        // A controller without CNS 05h (before NVMe 2.0) has the 16-bit
        // guard only, which is what a missing structure means.
        let nvm = if id.dps & 0x7 != 0 {
            match self.admin_data(Identify::nvm_namespace(nsid).build(), PAGE) {
                Ok(b) => IdentifyNamespaceNvm::read_from_bytes(&b).ok(),
                Err(Error::Status(_)) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        Ok(info::ns_format(&id, nvm.as_ref()))
    }

    /// Runs one of the driver's own admin commands without a data buffer
    /// (its DPTR, if any, is the driver's: queue or doorbell-buffer addresses).
    fn admin_nodata(&mut self, cmd: Cmd) -> Result<Completion, Error> {
        debug_assert_eq!(cmd.xfer, Xfer::None);
        let t = self.opts.admin_timeout;
        let (r, buf) = self.run_sync(0, cmd.sqe, None, &Push::sync(0, Raw::DriverPointers), t);
        debug_assert!(buf.is_none());
        r
    }

    /// Runs an admin command that returns `len` bytes, through the bounce buffer.
    fn admin_data(&mut self, cmd: Cmd, len: usize) -> Result<Vec<u8>, Error> {
        debug_assert_eq!(cmd.xfer, Xfer::Bytes(len as u32));
        let bounce = self.take_bounce()?;
        let t = self.opts.admin_timeout;
        let (r, buf) = self.run_sync(0, cmd.sqe, Some(bounce), &Push::sync(len, Raw::No), t);
        let out = buf.as_ref().map(|b| b.as_slice()[..len].to_vec());
        self.bounce = buf;
        r?;
        out.ok_or(Error::Aborted(
            "the command's buffer was lost in a failed reset",
        ))
    }

    fn take_bounce(&mut self) -> Result<DmaBuf<P>, Error> {
        match self.bounce.take() {
            Some(b) => Ok(b),
            None => DmaBuf::new(&self.space, self.opts.max_xfer.max(PAGE as u32) as usize).map_err(
                |e| Error::Os {
                    op: "VFIO_IOMMU_MAP_DMA",
                    errno: e.raw_os_error().unwrap_or(libc::ENOMEM),
                },
            ),
        }
    }

    /// Submits one command on queue `qi` and waits for it, handling
    /// timeouts. Returns the result and the buffer (lost only if a reset failed).
    fn run_sync(
        &mut self,
        qi: usize,
        sqe: nvmeq_core::Command,
        buf: Option<DmaBuf<P>>,
        p: &Push<'_>,
        timeout: Duration,
    ) -> (Result<Completion, Error>, Option<DmaBuf<P>>) {
        let (r, buf, _) = self.run_sync_with(qi, sqe, buf, None, p, timeout);
        (r, buf)
    }

    /// [`Controller::run_sync`] with a separate metadata buffer, returned too.
    fn run_sync_with(
        &mut self,
        qi: usize,
        sqe: nvmeq_core::Command,
        buf: Option<DmaBuf<P>>,
        meta: Option<DmaBuf<P>>,
        p: &Push<'_>,
        timeout: Duration,
    ) -> SyncResult<P> {
        if let Some(why) = self.dead {
            return (Err(Error::Aborted(why)), buf, meta);
        }
        // Wait for room (queue-interface commands may fill the queue; those
        // only written are submitted, or they would never make room).
        while self.qs[qi].free() == 0 {
            self.ring(qi, Instant::now());
            self.poll_queue(qi);
            self.tick();
            if let Some(why) = self.dead {
                return (Err(Error::Aborted(why)), buf, meta);
            }
            self.idle(Some(qi));
        }
        self.qs[qi].make_cq_room(&self.bar, self.shadow.as_deref());
        let cid = match self.qs[qi].push_with(sqe, buf, meta, p) {
            Ok(slot) => self.qs[qi].cid(slot),
            Err((b, m, e)) => return (Err(e.unwrap_or(Error::QueueFull)), b, m),
        };
        self.qs[qi].ring_sq(&self.bar, self.shadow.as_deref(), Instant::now(), timeout);
        loop {
            self.poll_queue(qi);
            if let Some(i) = self.sync_done.iter().position(|d| d.0 == qi && d.1 == cid) {
                let (_, _, r, b, m) = self.sync_done.swap_remove(i);
                return (r, b, m);
            }
            if let Some(why) = self.dead {
                return (Err(Error::Aborted(why)), None, None);
            }
            self.tick();
            self.idle(Some(qi));
        }
    }

    /// Rings queue `qi`'s SQ doorbell for its pushed commands, starting their
    /// timeouts. Returns how many were submitted.
    pub(super) fn ring(&mut self, qi: usize, now: Instant) -> u16 {
        let t = if qi == 0 {
            self.opts.admin_timeout
        } else {
            self.opts.io_timeout
        };
        self.qs[qi].ring_sq(&self.bar, self.shadow.as_deref(), now, t)
    }

    /// Consumes queue `qi`'s completions: synchronous ones go to their
    /// waiter, the rest to the reap list.
    fn poll_queue(&mut self, qi: usize) {
        self.poll_queue_with(qi, None::<&mut fn(Reaped<DmaBuf<P>>)>);
    }

    /// [`Controller::poll_queue`], handing the queue interface's
    /// completions to `to` when given (a reap: straight from the ring to
    /// its callback, not through the reap list); returns how many it got.
    pub(super) fn poll_queue_with<F: FnMut(Reaped<DmaBuf<P>>)>(
        &mut self,
        qi: usize,
        mut to: Option<&mut F>,
    ) -> usize {
        let mut n = 0;
        let q = &mut self.qs[qi];
        let (ns, sync_done, done) = (&mut self.ns, &mut self.sync_done, &mut self.done[qi]);
        drain_cq(q, &mut self.stats.unexpected_cqes, |f| {
            if f.ns_change {
                // Formats may have changed: re-identify on next use.
                ns.clear();
            }
            route(qi, f, sync_done, &mut to, done, &mut n);
        });
        if qi == 0 || !self.opts.lazy_cq_doorbells {
            q.ring_cq(&self.bar, self.shadow.as_deref());
        }
        n
    }

    /// Between polls of a wait loop: with interrupts, sleep until queue
    /// `qi`'s vector (or, for `None`, any I/O queue's) fires, or at most
    /// [`NAP`] so deadlines are still checked; else go straight back to
    /// polling. No `pause` hint between polls, as libvfn's and SPDK's
    /// pollers have none: under QEMU's TCG each one leaves translated
    /// code and takes QEMU's global lock, which its device model holds.
    pub(super) fn idle(&mut self, qi: Option<usize>) {
        let Some((irqs, ep)) = &self.irqs else {
            return;
        };
        // A vector that fired since it was last cleared may have posted
        // completions the caller has not polled yet: go back and poll.
        let fired = match qi {
            Some(q) => irqs.clear(q),
            None => (1..irqs.len()).fold(false, |f, v| irqs.clear(v) | f),
        };
        let pending = match qi {
            Some(q) => self.qs[q].has_completion(),
            None => self.qs[1..].iter().any(|q| q.has_completion()),
        };
        if !fired && !pending {
            match qi {
                Some(q) => irqs.wait(q, NAP),
                None => Irqs::wait_any(ep, NAP),
            };
        }
        // Sleeping took long enough that the next tick looks at the clock.
        self.spins |= 63;
    }

    /// Resets the I/O queues' interrupt eventfds before a reap polls them,
    /// so [`completion_fd`](Self::completion_fd) stays readable only while
    /// completions are unreaped (a vector firing after this is seen again).
    pub(super) fn clear_io_interrupts(&self) {
        if let Some((irqs, _)) = &self.irqs {
            for v in 1..irqs.len() {
                irqs.clear(v);
            }
        }
    }

    /// With [`Options::interrupts`], a descriptor (an epoll set over the I/O
    /// queues' eventfds) that is readable while some I/O queue has a
    /// completion that [`reap`](nvmeq_core::Backend::reap) has not taken:
    /// watch it with a reactor, then reap (reap resets it). `None` when
    /// completions are polled.
    pub fn completion_fd(&self) -> Option<std::io::Result<OwnedFd>> {
        self.irqs.as_ref().map(|(_, ep)| ep.try_clone())
    }

    /// Whether completions signal interrupts ([`Options::interrupts`]).
    pub fn interrupts(&self) -> bool {
        self.irqs.is_some()
    }

    fn poll_all(&mut self) {
        for qi in 0..self.qs.len() {
            if self.qs[qi].has_completion() {
                self.poll_queue(qi);
            }
        }
    }
}

/// The queue push parameters for a caller's command on queue `qi`: its
/// data pointer (SGLs for I/O data when `sgl` says so, else PRPs), its
/// retry budget and whether its metadata may be an SGL (`mptr_sgl`, SGLS
/// bit 19).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(super) fn push_params<'a>(
    sgl: Option<bool>,
    retries: u8,
    mptr_sgl: bool,
    qi: usize,
    sqe: &nvmeq_core::Command,
    len: usize,
    regions: Option<&'a [(usize, usize)]>,
    marked: bool,
) -> Push<'a> {
    let dptr = match sgl {
        Some(dword) if qi != 0 && len > 0 => Dptr::Sgl { dword },
        _ => Dptr::Prp,
    };
    Push {
        len,
        regions,
        tag: 0,
        sync: false,
        raw: Raw::No,
        dptr,
        retries: retry_budget(retries, qi == 0, sqe, marked),
        meta_len: 0,
        meta_sgl: matches!(dptr, Dptr::Sgl { .. }) && mptr_sgl,
    }
}

/// A command whose completion [`drain_cq`] took: its slot is free again.
pub(super) struct Finished<P: Platform> {
    pub cid: u16,
    pub tag: u64,
    pub result: Result<Completion, Error>,
    pub buf: Option<DmaBuf<P>>,
    pub meta: Option<DmaBuf<P>>,
    pub sync: bool,
    pub ns_change: bool,
}

/// Consumes `q`'s new completions: each one's slot is freed and what it
/// held handed to `out`; a cid that names no command in flight (a stale or
/// duplicate completion) is counted in `unexpected` and ignored.
#[inline]
pub(super) fn drain_cq<P: Platform>(
    q: &mut QueuePair<P>,
    unexpected: &mut u64,
    mut out: impl FnMut(Finished<P>),
) {
    while let Some(cqe) = q.next_completion() {
        match q.slots.lookup(cqe.cid) {
            Ok(slot) => {
                let ns_change = q.slots.get(slot).ns_change;
                let (tag, buf, meta, sync) = q.slots.release(slot);
                out(Finished {
                    cid: cqe.cid,
                    tag,
                    result: cqe.ok(),
                    buf,
                    meta,
                    sync,
                    ns_change,
                });
            }
            Err(_) => *unexpected += 1,
        }
    }
}

/// Where one finished command goes: a synchronous one to its waiter, the
/// others to `to` when given (counted in `n`), else to the reap list. The
/// controller's queues and a lane's route alike.
#[inline(always)]
pub(super) fn route<P: Platform, F: FnMut(Reaped<DmaBuf<P>>)>(
    qi: usize,
    f: Finished<P>,
    sync_done: &mut Vec<SyncDone<P>>,
    to: &mut Option<&mut F>,
    done: &mut VecDeque<Reaped<DmaBuf<P>>>,
    n: &mut usize,
) {
    if f.sync {
        sync_done.push((qi, f.cid, f.result, f.buf, f.meta));
        return;
    }
    let r = Reaped {
        tag: f.tag,
        result: f.result,
        buf: f.buf,
        meta: f.meta,
    };
    match to.as_deref_mut() {
        Some(f) => {
            f(r);
            *n += 1;
        }
        None => done.push_back(r),
    }
}

/// I/O queue pairs granted by Set Features – Number of Queues: the smaller of
/// the SQ and CQ counts.
fn queues_granted(c: &Completion) -> u16 {
    let (sq_z, cq_z) = SetFeatures::queues_allocated(c);
    sq_z.min(cq_z).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::cmd::{Read, Write};
    use nvmeq_core::NvmOpcode;

    #[test]
    fn sgls_follow_the_option_and_identify() {
        use DataPointer::*;
        assert_eq!(sgl_choice(Auto, 0x1), Ok(Some(false)), "QEMU: byte aligned");
        assert_eq!(sgl_choice(Auto, 0x2), Ok(Some(true)), "dword aligned");
        assert_eq!(sgl_choice(Auto, 0x0), Ok(None));
        assert_eq!(sgl_choice(Auto, 1 << 16), Ok(None), "bit bucket alone");
        assert_eq!(sgl_choice(Prp, 0x1), Ok(None));
        assert_eq!(sgl_choice(Sgl, 0x30001), Ok(Some(false)));
        let e = sgl_choice(Sgl, 0).unwrap_err();
        assert!(e.contains("does not support them"), "{e}");
        assert!(sgl_choice(Auto, 0x3).is_err(), "reserved value");
    }

    #[test]
    fn only_reads_and_marked_io_commands_are_retried() {
        let read = Read::new(1, 0, 0).build().sqe;
        let write = Write::new(1, 0, 0).build().sqe;
        assert_eq!(retry_budget(3, false, &read, false), 3);
        assert_eq!(retry_budget(0, false, &read, false), 0, "off by default");
        assert_eq!(
            retry_budget(3, false, &write, false),
            0,
            "writes never by default"
        );
        assert_eq!(retry_budget(3, false, &write, true), 3, "unless marked");
        assert_eq!(retry_budget(3, true, &read, true), 0, "never admin");
        let mut fused = read;
        fused.cdw0.set_fuse(1);
        assert_eq!(retry_budget(3, false, &fused, true), 0, "never fused");
        for op in [NvmOpcode::COMPARE, NvmOpcode::VERIFY] {
            let mut c = read;
            c.cdw0.set_opcode(op.0);
            assert_eq!(retry_budget(2, false, &c, false), 2, "{op:?}");
        }
        let opts = Options::default().retries(4).data_pointer(DataPointer::Sgl);
        assert_eq!((opts.retries, opts.data_pointer), (4, DataPointer::Sgl));
        assert_eq!(Options::default().retries, 0);
    }
}
