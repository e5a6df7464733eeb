//! BAR0 mapped into this process: the controller's registers and doorbells.
//!
//! All register access in the crate goes through [`Bar`], which does bounds- and
//! alignment-checked volatile 32-bit loads and stores on the mapping.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;

/// A memory-mapped PCI BAR.
#[derive(Debug)]
pub struct Bar {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain MMIO owned by this value; accesses are volatile
// and need no thread affinity, so moving it to another thread is fine.
unsafe impl Send for Bar {}
// SAFETY: shared references only make volatile 32-bit loads and stores to
// the mapping, never a Rust reference into it; threads ringing different
// queues' doorbells (or reading CSTS) at once are separate MMIO
// transactions, which the device orders, with no data race in Rust's model.
unsafe impl Sync for Bar {}

impl Bar {
    /// Maps `len` bytes of the device fd at file offset `offset` (a region's
    /// offset from `VFIO_DEVICE_GET_REGION_INFO`).
    pub(crate) fn map(dev: &File, offset: u64, len: usize) -> io::Result<Bar> {
        if len < 0x1000 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("BAR0 is {len} bytes, too small for NVMe registers and doorbells"),
            ));
        }
        // SAFETY: a fresh shared mapping of the device region; no existing
        // memory is affected. The result is checked below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                dev.as_raw_fd(),
                offset as libc::off_t,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr =
            NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap returned NULL"))?;
        Ok(Bar { ptr, len })
    }

    fn check(&self, off: usize) {
        // Offsets come from register constants and doorbell math validated
        // against `len` at bring-up; this catches bugs, not input.
        assert!(
            off % 4 == 0 && off.checked_add(4).is_some_and(|e| e <= self.len),
            "MMIO offset {off:#x} outside BAR0 ({:#x} bytes) or unaligned",
            self.len
        );
    }

    /// Volatile 32-bit load of the register at `off`.
    #[inline]
    pub(crate) fn read32(&self, off: usize) -> u32 {
        self.check(off);
        // SAFETY: `off` is 4-aligned and inside the live mapping (checked above);
        // the mapping's base is page aligned, so the pointer is aligned for u32.
        unsafe { self.ptr.as_ptr().add(off).cast::<u32>().read_volatile() }
    }

    /// Volatile 32-bit store to the register at `off`.
    #[inline]
    pub(crate) fn write32(&self, off: usize, v: u32) {
        self.check(off);
        // SAFETY: as in `read32`. MMIO stores do not alias Rust memory.
        unsafe { self.ptr.as_ptr().add(off).cast::<u32>().write_volatile(v) }
    }
}

impl crate::platform::Regs for Bar {
    #[inline]
    fn read32(&self, off: usize) -> u32 {
        Bar::read32(self, off)
    }

    #[inline]
    fn write32(&self, off: usize, v: u32) {
        Bar::write32(self, off, v)
    }

    fn size(&self) -> usize {
        self.len
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping created in `map`; no reference
        // into it outlives `self` (accessors return values, never pointers).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}
