//! `nvmeq-vfio`: a userspace NVMe driver over VFIO.
//!
//! nvmeq owns the controller: it maps BAR0, brings the controller up, creates
//! the admin and I/O queues in IOMMU-mapped memory and polls completions by
//! phase tag. The hot path (`write` / `commit` / `reap`) makes no system
//! call and allocates nothing; a doorbell is written once per batch.
//!
//! Layers, bottom up (each file one layer):
//! - [`vfio`](crate::vfio) — container, group and device fds, region info,
//!   PCI config, IOMMU map/unmap (`unsafe`: ioctls);
//! - `mmio` — BAR0 mapped, volatile register access (`unsafe`);
//! - `iova`, `dma` — IOVA allocator, DMA mappings, [`DmaBuf`] (`dma` is `unsafe`);
//! - `queue` — SQ/CQ rings, doorbells and shadow doorbells, command slots, PRPs;
//! - `ctrl` — bring-up, admin commands, I/O queue pairs, recovery, the
//!   [`nvmeq_core::Backend`] impl ([`Controller`]).
//!
//! `unsafe` is confined to `vfio`, `mmio` and `dma`; everything above them is
//! safe Rust over their small APIs.

#![warn(missing_docs)]

mod bdf;
mod ctrl;
mod dma;
mod error;
mod iova;
mod mmio;
mod prp;
mod queue;
mod sysfs;
mod vfio;

pub use bdf::Bdf;
pub use ctrl::{Controller, Options, Stats};
pub use dma::DmaBuf;
pub use error::OpenError;
pub use sysfs::{bind_kernel, bind_vfio, driver_of, iommu_group_of};
