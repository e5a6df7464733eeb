//! `nvmeq-vfio`: a userspace NVMe driver over VFIO.
//!
//! nvmeq owns the controller: it maps BAR0, brings the controller up, creates
//! the admin and I/O queues in IOMMU-mapped memory and polls completions by
//! phase tag. The hot path (`push` / `submit` / `reap`) makes no system
//! call and allocates nothing; an SQ doorbell is written once per batch per
//! queue, a CQ head doorbell only when the controller needs room (both
//! skipped when the shadow doorbell's EventIdx allows it).
//!
//! ```no_run
//! use nvmeq_core::{cmd::Read, Backend, IoBuf};
//! nvmeq_vfio::bind_vfio("0000:00:04.0")?; // as root: nvme -> vfio-pci
//! let mut ctrl = nvmeq_vfio::Controller::open("0000:00:04.0")?;
//! let buf = ctrl.alloc(4096)?;
//! ctrl.push(&Read::new(1, 0, 7).build(), Some(buf), 7).map_err(nvmeq_core::Rejected::into_error)?;
//! ctrl.submit(1)?;
//! ctrl.reap(|done| println!("tag {} -> {:?}", done.tag, done.result));
//! drop(ctrl); // CC.SHN shutdown
//! nvmeq_vfio::bind_kernel("0000:00:04.0")?; // back to nvme
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Data pointers: PRPs or SGLs
//! [`Options::data_pointer`] chooses how I/O commands describe their buffer:
//! [`DataPointer::Auto`] (the default) uses SGLs when Identify Controller's
//! SGLS bits 1:0 say the controller supports them for NVM commands (QEMU
//! 7.2: `0x1`, no alignment requirement), else PRPs; `Prp` and `Sgl` force
//! one (`Sgl` refuses to open a controller without SGL support). Admin
//! commands always use PRPs. A contiguous transfer is one Data Block
//! descriptor in DPTR; [`Controller::push_regions`] moves data to or from
//! several regions of one [`DmaBuf`], as a Last Segment (chained Segments
//! when longer) in the slot's preallocated list page. [`Stats::sgl_commands`]
//! counts the commands sent with PSDT 01b or 10b.
//!
//! # Metadata pointers
//! A separate metadata buffer is one contiguous [`DmaBuf`] named by MPTR
//! (PSDT 00b with PRPs, 01b with an SGL; the buffer is page aligned, so
//! the dword alignment MPTR needs holds). When the data has an SGL and
//! Identify Controller's SGLS bit 19 allows it, the metadata is described
//! by an SGL instead (PSDT 10b): MPTR names one Data Block descriptor in
//! the slot's descriptor entry. QEMU (10.0) does not set bit 19, so there
//! the contiguous form is used.
//!
//! # Retries after a reset
//! With [`Options::retries`] `n > 0`, a controller reset (after a timed-out
//! command, a fatal status, or [`Controller::reset`]) resubmits the commands
//! that are safe to repeat instead of completing them with `Timeout` or
//! `Aborted`: Read, Compare and Verify, and I/O commands written with
//! [`Controller::push_retryable`]; at most `n` times each. Writes and other
//! commands that change state are never repeated unless marked; admin and
//! fused commands never. A resubmitted command keeps its slot, buffer, cid
//! and data pointer (the recreated queues cannot complete the old one).
//! [`Stats::retries`] counts resubmissions.
//!
//! # Doorbell accounting
//! [`nvmeq_core::Backend::syscalls`] returns the MMIO doorbell writes (SQ
//! tails and CQ heads), the userspace driver's per-batch cost;
//! [`Stats::skipped_doorbells`] counts the updates only written to the
//! shadow doorbell buffer because the controller's EventIdx did not ask for
//! an MMIO write. I/O queues' CQ head doorbells are written lazily
//! ([`Options::lazy_cq_doorbells`]): only before a command is queued that
//! might otherwise find the controller's view of the CQ full, because each
//! MMIO write is the driver's main per-batch cost (a trap into the
//! hypervisor under emulation). The measured counts are in
//! `docs/benchmarks.md` ("Doorbells per I/O").
//!
//! Layers, bottom up (one module each):
//! - `vfio` — container, group and device fds, region info, PCI config,
//!   IOMMU map/unmap (`unsafe`: ioctls);
//! - `mmio` — BAR0 mapped, volatile register access (`unsafe`);
//! - `iova`, `dma` — IOVA allocator; DMA mappings and [`DmaBuf`] (`dma` is `unsafe`);
//! - `queue` — SQ/CQ rings, doorbells and shadow doorbells, command slots
//!   (cid = slot + sequence), data pointers (PRP lists, SGL segments);
//! - `platform` — the [`Regs`] (register window) and [`DmaMap`] (IOMMU)
//!   traits the layers above are generic over, and [`Vfio`], the real
//!   [`Platform`]; monomorphised, so the VFIO build has no indirection;
//! - `ctrl` — bring-up, admin commands, I/O queue pairs, recovery (timeout →
//!   Abort → controller reset), shutdown, and the [`nvmeq_core::Backend`] impl
//!   ([`Controller`]);
//! - `model` (feature `model`) — an in-memory controller as a second
//!   [`Platform`]: it executes entries from the rings when a doorbell is
//!   written and posts completions by phase, so tests and callgrind counts
//!   (`per_io vfio-model`) run the code above without a device.
//!
//! `unsafe` is confined to `vfio`, `mmio`, `dma` and `irq` (and the
//! model, which plays the device's DMA); everything above them is safe Rust
//! over their small APIs.
//!
//! # Why DMA stays inside live buffers
//! - The device sees only IOMMU-mapped memory: queue rings, PRP list pages,
//!   shadow doorbells, the bounce buffer and live [`DmaBuf`]s. Nothing is
//!   mapped below 1 MiB, so a zero pointer faults.
//! - A caller's command never carries its own pointers: DPTR is rebuilt from
//!   the buffer and the command's transfer length ([`nvmeq_core::Xfer`]),
//!   MPTR names the command's metadata buffer or is zeroed, and stale list
//!   entries are cleared.
//! - Metadata: on a namespace with separate metadata, a command whose own
//!   fields (NLB) move blocks needs a metadata buffer of NLB × the metadata
//!   size ([`nvmeq_core::Backend::push_with`], `execute_with`), or it is
//!   refused with [`nvmeq_core::Error::MetadataRequired`] before anything
//!   is written to a queue; PRACT on a format whose metadata is only PI
//!   moves none, and a buffer given then is refused
//!   (`MetadataForbidden`). The length comes from the command and the
//!   format ([`nvmeq_core::format::plan`]), never from the buffer. Buffer regions
//!   ([`Controller::push_regions`]) are checked to lie inside the buffer
//!   and to add up to the transfer length.
//! - The declared length is checked against what the entry's own fields move
//!   ([`nvmeq_core::Cmd::from_sqe`]: NLB, NUMD, structure sizes); an entry
//!   that would move more is refused. For opcodes nvmeq cannot size, any
//!   over-transfer runs into IOVA 0 and faults, except past a 2-page
//!   transfer (PRP2 would be read as a list), which is therefore refused
//!   under PRPs; an SGL bounds the transfer itself.
//! - A command resubmitted after a reset still owns its buffer, so its
//!   unchanged data pointer still names live memory.
//! - Queue-management opcodes (create/delete queues, Doorbell Buffer Config)
//!   are refused: the driver owns the queues.
//! - In-flight buffers are owned by their slot until reaped; a timeout
//!   returns them only after the controller is disabled (CSTS.RDY = 0). If it
//!   cannot be stopped, buffers and queue memory are leaked, never freed.
//! - Memory is unmapped from the IOMMU before it is freed, and only freed if
//!   the kernel reports the whole range unmapped.

//!
//! # Testing
//! Host unit tests cover everything above the `unsafe` layers; the device
//! paths run in the nvmeq QEMU guest. What each covers is in
//! `docs/testing.md` ("The VFIO backend").

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod bdf;
mod ctrl;
// DMA mappings: memory the device reads and writes.
#[allow(unsafe_code)]
mod dma;
mod error;
mod iova;
// The in-memory controller model: it plays the device, so it reads and
// writes the driver's DMA memory through raw pointers.
#[cfg(any(test, feature = "model"))]
#[allow(unsafe_code)]
pub mod model;
// MSI-X eventfds (VFIO_DEVICE_SET_IRQS), poll(2) and epoll on them.
#[allow(unsafe_code)]
mod irq;
// BAR0 mapped with mmap, volatile register access.
#[allow(unsafe_code)]
mod mmio;
// The register window and DMA mapping traits (declares an `unsafe fn`).
#[allow(unsafe_code)]
mod platform;
mod queue;
mod sysfs;
// The VFIO container, group and device ioctls.
#[allow(unsafe_code)]
mod vfio;

pub use bdf::Bdf;
pub use ctrl::{
    Controller, DataPointer, Options, QueueHandle, SharedController, Stats, REMOVAL_REQUESTED,
};
pub use dma::DmaBuf;
pub use error::{OpenError, RegisterError};
pub use platform::{DmaMap, Platform, Regs, Vfio};
pub use sysfs::{bind_kernel, bind_vfio, driver_of, iommu_group_of};

#[cfg(test)]
mod tests {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}

    #[test]
    fn controller_and_buffers_can_move_between_threads() {
        send::<super::Controller>();
        send::<super::QueueHandle>();
        sync::<super::SharedController>();
        send::<super::DmaBuf>();
        sync::<super::DmaBuf>();
    }
}
