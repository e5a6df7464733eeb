//! What the driver runs on: how it reaches the controller's registers and
//! how its memory is made visible to the device. [`Vfio`] (the default
//! everywhere) is BAR0 mapped through VFIO and the IOMMU; the other is the
//! in-memory controller of `model` (feature `model`), which lets host
//! harnesses run the driver's own queue code without a device.
//!
//! The driver is generic over [`Platform`] and monomorphised: the VFIO
//! build calls [`Bar`](crate::mmio::Bar)'s and the IOMMU's functions
//! directly, with no indirection.

use std::fmt::Debug;
use std::fs::File;
use std::io;

/// A controller's register window: BAR0, registers then doorbells.
/// `Sync`: the queue handles of one controller ring their own queues'
/// doorbells from their own threads.
pub trait Regs: Debug + Send + Sync {
    /// 32-bit load of the register at byte offset `off`.
    fn read32(&self, off: usize) -> u32;
    /// 32-bit store to the register at byte offset `off`.
    fn write32(&self, off: usize, v: u32);
    /// The window's size in bytes.
    fn size(&self) -> usize;

    /// A 64-bit register as two 32-bit loads, low dword first (the NVMe spec
    /// allows 32-bit access to every register; some hosts cannot do 64-bit MMIO).
    fn read64(&self, off: usize) -> u64 {
        let lo = self.read32(off) as u64;
        let hi = self.read32(off + 4) as u64;
        lo | hi << 32
    }

    /// A 64-bit register as two 32-bit stores, low dword first.
    fn write64(&self, off: usize, v: u64) {
        self.write32(off, v as u32);
        self.write32(off + 4, (v >> 32) as u32);
    }
}

/// Makes memory reachable by the device at an IOVA, and unreachable again.
pub trait DmaMap: Debug + Send + Sync + 'static {
    /// Maps `len` bytes at `ptr` for device access at `iova`.
    ///
    /// # Safety
    /// `[ptr, ptr + len)` must stay allocated until [`DmaMap::unmap_dma`]
    /// has returned `len` for this range.
    unsafe fn map_dma(&self, ptr: *mut u8, iova: u64, len: u64) -> io::Result<()>;

    /// Unmaps `len` bytes at `iova`; returns how many bytes were unmapped.
    fn unmap_dma(&self, iova: u64, len: u64) -> io::Result<u64>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Vfio {}
    #[cfg(any(test, feature = "model"))]
    impl Sealed for crate::model::Model {}
}

/// The register window, the DMA mapper and the device handle one
/// controller runs on. Sealed: [`Vfio`], and the model for host harnesses.
pub trait Platform: sealed::Sealed + Debug + Sized + Send + 'static {
    /// BAR0.
    type Regs: Regs;
    /// The IOMMU (or what stands for it).
    type Map: DmaMap;
    /// Kept until the register window is gone (the VFIO device fd, whose
    /// release lets vfio-pci reset the function).
    type Device: Send;

    /// The device fd through which MSI-X eventfds are set, if there is one.
    fn msix_fd(dev: &Self::Device) -> Option<&File>;
}

/// A PCIe controller bound to vfio-pci: BAR0 mapped with mmap, DMA through
/// the IOMMU (VFIO type 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Vfio;

impl Platform for Vfio {
    type Regs = crate::mmio::Bar;
    type Map = crate::vfio::Iommu;
    type Device = crate::vfio::Device;

    fn msix_fd(dev: &Self::Device) -> Option<&File> {
        Some(dev.fd())
    }
}
