//! DMA memory: anonymous (hugepage when possible) memory mapped into the IOMMU
//! at an IOVA from [`crate::iova`], handed out as [`DmaBuf`] (caller data) or
//! [`DmaRegion`] (memory the controller shares with the driver: queues, PRP
//! lists, shadow doorbells).
//!
//! Lifetime rule: a mapping is removed from the IOMMU *before* its memory is
//! returned to the OS, and only if the kernel confirms it unmapped the whole
//! range. Otherwise the memory (and its IOVA) is leaked on purpose: a device that
//! could still reach it must never reach memory reused for something else.

use std::fmt;
use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use nvmeq_core::IoBuf;
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::iova::{IovaAllocator, IovaRange, IOVA_PAGE};
use crate::platform::{DmaMap, Platform, Vfio};

/// 2 MiB, the x86 huge page.
const HUGE_PAGE: usize = 2 << 20;

/// The IOMMU address space of one opened controller and its IOVA allocator.
#[derive(Debug)]
pub(crate) struct DmaSpace<P: Platform> {
    iommu: P::Map,
    iova: Mutex<IovaAllocator>,
}

impl<P: Platform> DmaSpace<P> {
    /// The space of `iommu`, handing out IOVAs inside `ranges` (all of the
    /// usable space when `None`).
    pub(crate) fn new(iommu: P::Map, ranges: Option<&[IovaRange]>) -> Arc<DmaSpace<P>> {
        Arc::new(DmaSpace {
            iova: Mutex::new(IovaAllocator::new(ranges)),
            iommu,
        })
    }
}

/// One mmap'd, IOMMU-mapped range.
struct Mapping<P: Platform> {
    space: Arc<DmaSpace<P>>,
    ptr: NonNull<u8>,
    /// Mapped length (a multiple of the page it was allocated with).
    len: usize,
    iova: u64,
    huge: bool,
}

// SAFETY: the memory is owned by this value alone (anonymous private mapping);
// moving the owner to another thread moves exclusive access with it.
unsafe impl<P: Platform> Send for Mapping<P> {}
// SAFETY: shared references only permit reads (or volatile accesses through
// `DmaRegion`, which are per-element and racy only with the device, as with MMIO).
unsafe impl<P: Platform> Sync for Mapping<P> {}

impl<P: Platform> Mapping<P> {
    fn new(space: &Arc<DmaSpace<P>>, want: usize) -> io::Result<Mapping<P>> {
        let want = want.max(1);
        let (ptr, len, huge) = match alloc_huge(want) {
            Some((p, l)) => (p, l, true),
            None => {
                let len = want
                    .checked_next_multiple_of(IOVA_PAGE as usize)
                    .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
                (mmap_anon(len, 0)?, len, false)
            }
        };
        let align = if huge { HUGE_PAGE as u64 } else { IOVA_PAGE };
        let iova = {
            let mut a = space.iova.lock().unwrap_or_else(|e| e.into_inner());
            a.alloc(len as u64, align)
        };
        let iova = match iova {
            Ok(i) => i,
            Err(_) => {
                // SAFETY: unmapping the fresh mapping made above, never shared.
                unsafe { libc::munmap(ptr.as_ptr().cast(), len) };
                return Err(io::Error::new(
                    io::ErrorKind::OutOfMemory,
                    "IOVA space exhausted",
                ));
            }
        };
        // SAFETY: [ptr, ptr+len) is our private mapping; it stays allocated until
        // `Drop` has unmapped it from the IOMMU (and is leaked if that fails).
        if let Err(e) = unsafe { space.iommu.map_dma(ptr.as_ptr(), iova, len as u64) } {
            // SAFETY: the IOMMU mapping failed, so nothing but us refers to it.
            unsafe { libc::munmap(ptr.as_ptr().cast(), len) };
            space
                .iova
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .free(iova, len as u64);
            return Err(e);
        }
        Ok(Mapping {
            space: space.clone(),
            ptr,
            len,
            iova,
            huge,
        })
    }
}

impl<P: Platform> Drop for Mapping<P> {
    fn drop(&mut self) {
        match self.space.iommu.unmap_dma(self.iova, self.len as u64) {
            Ok(n) if n == self.len as u64 => {
                // SAFETY: the device can no longer reach the memory (the kernel
                // confirmed the full unmap) and no Rust reference outlives `self`.
                unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
                self.space
                    .iova
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .free(self.iova, self.len as u64);
            }
            // Partial or failed unmap: leak memory and IOVA (see module docs).
            _ => {}
        }
    }
}

fn mmap_anon(len: usize, extra_flags: libc::c_int) -> io::Result<NonNull<u8>> {
    // SAFETY: a fresh anonymous mapping; it aliases nothing.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | extra_flags,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    NonNull::new(p.cast()).ok_or_else(|| io::Error::other("mmap returned NULL"))
}

/// Hugepage memory for requests of at least one huge page, when the system has
/// huge pages reserved (`vm.nr_hugepages`).
fn alloc_huge(want: usize) -> Option<(NonNull<u8>, usize)> {
    if want < HUGE_PAGE {
        return None;
    }
    let len = want.checked_next_multiple_of(HUGE_PAGE)?;
    let p = mmap_anon(len, libc::MAP_HUGETLB | (21 << libc::MAP_HUGE_SHIFT)).ok()?;
    Some((p, len))
}

/// A buffer the controller can transfer to and from, zero-filled at allocation.
///
/// Fill it through [`IoBuf::as_mut_slice`]; while a command using it is in
/// flight the queue owns it, so no `&mut` to it exists then.
pub struct DmaBuf<P: Platform = Vfio> {
    /// Boxed: a buffer is moved on every push and reap (into its slot, the
    /// completion and back to the caller), and one pointer moves for less
    /// than the mapping's six words.
    inner: Box<BufInner<P>>,
}

struct BufInner<P: Platform> {
    map: Mapping<P>,
    len: usize,
}

impl<P: Platform> fmt::Debug for DmaBuf<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DmaBuf")
            .field("len", &self.inner.len)
            .field("iova", &format_args!("{:#x}", self.inner.map.iova))
            .field("hugepage", &self.inner.map.huge)
            .finish()
    }
}

impl<P: Platform> DmaBuf<P> {
    pub(crate) fn new(space: &Arc<DmaSpace<P>>, len: usize) -> io::Result<DmaBuf<P>> {
        Ok(DmaBuf {
            inner: Box::new(BufInner {
                map: Mapping::new(space, len)?,
                len,
            }),
        })
    }

    /// The device address of byte 0 (always 4 KiB aligned).
    pub fn iova(&self) -> u64 {
        self.inner.map.iova
    }

    /// Whether the buffer sits in huge pages.
    pub fn is_hugepage(&self) -> bool {
        self.inner.map.huge
    }

    /// Whether this buffer belongs to the IOMMU space `space` (a buffer from
    /// another controller has IOVAs that mean nothing here).
    pub(crate) fn belongs_to(&self, space: &Arc<DmaSpace<P>>) -> bool {
        Arc::ptr_eq(&self.inner.map.space, space)
    }
}

impl<P: Platform> IoBuf for DmaBuf<P> {
    fn as_slice(&self) -> &[u8] {
        // SAFETY: `len <= map.len` bytes of our own mapping, initialized (zeroed
        // by mmap). No device access is in flight: an in-flight buffer is owned
        // by the queue, so no reference to it can be obtained.
        unsafe { std::slice::from_raw_parts(self.inner.map.ptr.as_ptr(), self.inner.len) }
    }

    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.inner.map.ptr.as_ptr(), self.inner.len) }
    }
}

/// Memory shared with the controller while it runs (queue rings, PRP lists,
/// shadow doorbells). Only volatile, bounds-checked element access is offered:
/// the device may write it at any time, so no Rust reference into it is made.
pub(crate) struct DmaRegion<P: Platform> {
    map: Mapping<P>,
}

impl<P: Platform> fmt::Debug for DmaRegion<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DmaRegion({} bytes @ {:#x})",
            self.map.len, self.map.iova
        )
    }
}

impl<P: Platform> DmaRegion<P> {
    pub(crate) fn new(space: &Arc<DmaSpace<P>>, len: usize) -> io::Result<DmaRegion<P>> {
        Ok(DmaRegion {
            map: Mapping::new(space, len)?,
        })
    }

    pub(crate) fn iova(&self) -> u64 {
        self.map.iova
    }

    fn ptr<T>(&self, off: usize) -> *mut T {
        assert!(
            off % align_of::<T>() == 0
                && off
                    .checked_add(size_of::<T>())
                    .is_some_and(|e| e <= self.map.len),
            "DMA region access at {off:#x} out of bounds or unaligned"
        );
        // SAFETY: in bounds of the mapping (checked above).
        unsafe { self.map.ptr.as_ptr().add(off).cast() }
    }

    /// Volatile store of `v` at byte offset `off`.
    pub(crate) fn write<T: IntoBytes + Immutable>(&self, off: usize, v: T) {
        let p = self.ptr::<T>(off);
        // SAFETY: `p` is aligned and in bounds; volatile because the device
        // shares the memory; `T: IntoBytes` has no padding or invalid values.
        unsafe { p.write_volatile(v) }
    }

    /// Volatile load of a `T` at byte offset `off`.
    pub(crate) fn read<T: FromBytes>(&self, off: usize) -> T {
        let p = self.ptr::<T>(off);
        // SAFETY: aligned and in bounds; any bit pattern is a valid `T`
        // (`FromBytes`), so whatever the device wrote is fine.
        unsafe { p.read_volatile() }
    }

    /// Atomic load with `Acquire` ordering of the `u32` at byte offset `off`:
    /// for a word the device writes last (a CQE's phase tag), so reads of the
    /// rest of what it wrote, made after this one, see that data.
    pub(crate) fn load_acquire_u32(&self, off: usize) -> u32 {
        let p = self.ptr::<u32>(off);
        // SAFETY: `p` is 4-byte aligned (checked by `ptr`, and that is
        // AtomicU32's alignment) and valid for reads and writes while `self`
        // (the mapping) lives, which outlives the reference; the process
        // touches this word only through atomic or volatile accesses from
        // the thread that owns the queue, so there is no data race in Rust's
        // model (the device's DMA writes are outside it, as with volatile).
        unsafe { AtomicU32::from_ptr(p) }.load(Ordering::Acquire)
    }

    /// Zeroes the whole region (volatile, 8 bytes at a time).
    pub(crate) fn zero(&self) {
        for off in (0..self.map.len).step_by(8) {
            self.write::<u64>(off, 0);
        }
    }
}
