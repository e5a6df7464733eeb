//! Buffers the kernel reads and writes: page-aligned heap buffers and a pool
//! of registered ("fixed") buffers.
//!
//! Both are *owned* types: the queue interface takes them by value and hands
//! them back only with the command's completion, so no safe code can touch or
//! free memory the kernel may still access.

use std::alloc::{self, Layout};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use nvmeq_core::IoBuf;

const PAGE: usize = 4096;

/// A zero-filled, page-aligned heap buffer.
#[derive(Debug)]
pub struct AlignedBuf {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: AlignedBuf uniquely owns its allocation, like a Vec<u8>.
unsafe impl Send for AlignedBuf {}
// SAFETY: shared access only gives out `&[u8]`.
unsafe impl Sync for AlignedBuf {}

impl AlignedBuf {
    fn layout(len: usize) -> Layout {
        // A zero-length buffer still gets a (one-page) allocation so the
        // pointer is always real; `len` stays 0.
        Layout::from_size_align(len.max(1).next_multiple_of(PAGE), PAGE)
            .expect("page-rounded length overflows isize")
    }

    /// `len` zero bytes aligned to 4096. Aborts on out-of-memory like `Vec`.
    pub fn zeroed(len: usize) -> Self {
        let layout = Self::layout(len);
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc::alloc_zeroed(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            alloc::handle_alloc_error(layout)
        };
        AlignedBuf { ptr, len }
    }

    /// A buffer holding a copy of `data`.
    pub fn from_slice(data: &[u8]) -> Self {
        let mut b = Self::zeroed(data.len());
        b.as_mut_slice().copy_from_slice(data);
        b
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `zeroed` with this exact layout.
        unsafe { alloc::dealloc(self.ptr.as_ptr(), Self::layout(self.len)) }
    }
}

impl IoBuf for AlignedBuf {
    fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr is valid for `len` initialised bytes, owned by self.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: ptr is valid for `len` initialised bytes owned by self (see
        // `zeroed`), and `&mut self` means no other reference to them exists.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// The memory and free list shared by a pool and the buffers it handed out.
#[derive(Debug)]
pub(crate) struct PoolInner {
    base: NonNull<u8>,
    len: usize,
    buf_size: usize,
    count: u16,
    free: Mutex<Vec<u16>>,
}

// SAFETY: the region is only accessed through FixedBufs, each of which owns a
// distinct, non-overlapping chunk (the free list hands each index out once).
unsafe impl Send for PoolInner {}
// SAFETY: `&PoolInner` gives no access to the region itself (only `chunk`,
// which returns a raw pointer); bytes are reached through the FixedBuf that
// owns each chunk, and the free list, the one shared mutable part, is behind
// a Mutex.
unsafe impl Sync for PoolInner {}

impl Drop for PoolInner {
    fn drop(&mut self) {
        // SAFETY: mapped in FixedBufPool::new with this length; every
        // FixedBuf and the ring hold an Arc, so none is alive any more.
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// A pool of `count` buffers of `buf_size` bytes each, allocated once as one
/// page-aligned region, to be registered with a ring (`IORING_REGISTER_BUFFERS`).
///
/// Buffers handed out are owned [`FixedBuf`]s; dropping one returns it to the
/// pool. The memory lives as long as the pool, the ring or any buffer does.
#[derive(Debug, Clone)]
pub struct FixedBufPool {
    inner: Arc<PoolInner>,
}

impl FixedBufPool {
    /// Allocates the pool; `buf_size` is rounded up to a page.
    pub fn new(count: u16, buf_size: usize) -> Result<Self, nvmeq_core::Error> {
        if count == 0 || buf_size == 0 {
            const WHY: &str = "a fixed-buffer pool needs at least one buffer of at least one byte";
            return Err(nvmeq_core::Error::BadArgument(if count == 0 {
                &nvmeq_core::error::BadArg {
                    name: "count",
                    why: WHY,
                }
            } else {
                &nvmeq_core::error::BadArg {
                    name: "buf_size",
                    why: WHY,
                }
            }));
        }
        let buf_size = buf_size.next_multiple_of(PAGE);
        // The kernel limits one registered buffer to 1 GiB.
        if buf_size > 1 << 30 {
            return Err(nvmeq_core::Error::BadArgument(&nvmeq_core::error::BadArg {
                name: "buf_size",
                why: "the kernel limits a registered buffer to 1 GiB",
            }));
        }
        let total = buf_size
            .checked_mul(count as usize)
            .ok_or(nvmeq_core::Error::BadArgument(&nvmeq_core::error::BadArg {
                name: "count",
                why: "count × buf_size overflows usize",
            }))?;
        // Its own anonymous mapping: zero-filled, page-aligned, and returned
        // to the system (not to the heap) when the last user drops it.
        // SAFETY: a fresh private anonymous mapping; no existing memory is affected.
        let raw = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                total,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if raw == libc::MAP_FAILED {
            return Err(nvmeq_core::Error::Os {
                op: "mmap (fixed-buffer pool)",
                errno: std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::ENOMEM),
            });
        }
        let base = NonNull::new(raw.cast::<u8>()).expect("mmap never returns null on success");
        Ok(FixedBufPool {
            inner: Arc::new(PoolInner {
                base,
                len: total,
                buf_size,
                count,
                free: Mutex::new((0..count).rev().collect()),
            }),
        })
    }

    /// Size of each buffer in bytes (page-rounded).
    pub fn buf_size(&self) -> usize {
        self.inner.buf_size
    }

    /// Number of buffers.
    pub fn count(&self) -> u16 {
        self.inner.count
    }

    /// Buffers currently free.
    pub fn available(&self) -> usize {
        self.inner.free.lock().map(|f| f.len()).unwrap_or(0)
    }

    /// Takes a free buffer of `len` bytes (zero-filled), or `None` when the
    /// pool is exhausted or `len` exceeds [`buf_size`](Self::buf_size).
    pub fn take(&self, len: usize) -> Option<FixedBuf> {
        if len > self.inner.buf_size {
            return None;
        }
        let index = self.inner.free.lock().ok()?.pop()?;
        let mut b = FixedBuf {
            pool: self.inner.clone(),
            index,
            len,
        };
        b.as_mut_slice().fill(0);
        Some(b)
    }

    /// The iovecs to register, one per buffer, in index order.
    pub(crate) fn iovecs(&self) -> Vec<libc::iovec> {
        (0..self.inner.count)
            .map(|i| libc::iovec {
                iov_base: self.inner.chunk(i).cast(),
                iov_len: self.inner.buf_size,
            })
            .collect()
    }

    pub(crate) fn same_pool(&self, b: &FixedBuf) -> bool {
        Arc::ptr_eq(&self.inner, &b.pool)
    }
}

impl PoolInner {
    fn chunk(&self, index: u16) -> *mut u8 {
        debug_assert!(index < self.count);
        // SAFETY: index < count, so the offset is inside the allocation.
        unsafe { self.base.as_ptr().add(index as usize * self.buf_size) }
    }
}

/// One buffer of a [`FixedBufPool`]; goes back to the pool when dropped.
#[derive(Debug)]
pub struct FixedBuf {
    pool: Arc<PoolInner>,
    index: u16,
    len: usize,
}

impl FixedBuf {
    /// The buffer's index in the ring's registered-buffer table (`buf_index`).
    pub fn index(&self) -> u16 {
        self.index
    }
}

impl Drop for FixedBuf {
    fn drop(&mut self) {
        if let Ok(mut free) = self.pool.free.lock() {
            // Never grows: the list's capacity is the pool's count.
            free.push(self.index);
        }
    }
}

impl IoBuf for FixedBuf {
    fn as_slice(&self) -> &[u8] {
        // SAFETY: this FixedBuf is the only holder of chunk `index`, which is
        // valid for buf_size >= len initialised bytes while the pool lives.
        unsafe { std::slice::from_raw_parts(self.pool.chunk(self.index), self.len) }
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: this FixedBuf is the only holder of chunk `index` (the free
        // list hands each index out once), valid for buf_size >= len
        // initialised bytes while the pool lives (we hold an Arc to it), and
        // `&mut self` means no other reference to the chunk exists.
        unsafe { std::slice::from_raw_parts_mut(self.pool.chunk(self.index), self.len) }
    }
}

/// The io_uring backend's buffer: a heap buffer or a registered one.
#[derive(Debug)]
pub enum UringBuf {
    /// A page-aligned heap buffer (the kernel maps its pages per command).
    Heap(AlignedBuf),
    /// A registered buffer (`IORING_URING_CMD_FIXED`: no per-command page pinning).
    Fixed(FixedBuf),
}

impl UringBuf {
    /// A zero-filled heap buffer.
    pub fn zeroed(len: usize) -> Self {
        UringBuf::Heap(AlignedBuf::zeroed(len))
    }

    /// A heap buffer holding a copy of `data`.
    pub fn from_slice(data: &[u8]) -> Self {
        UringBuf::Heap(AlignedBuf::from_slice(data))
    }

    /// True for a registered buffer.
    pub fn is_fixed(&self) -> bool {
        matches!(self, UringBuf::Fixed(_))
    }
}

impl IoBuf for UringBuf {
    fn as_slice(&self) -> &[u8] {
        match self {
            UringBuf::Heap(b) => b.as_slice(),
            UringBuf::Fixed(b) => b.as_slice(),
        }
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        match self {
            UringBuf::Heap(b) => b.as_mut_slice(),
            UringBuf::Fixed(b) => b.as_mut_slice(),
        }
    }
}

/// Every buffer a queued command owns, handed back together with its
/// completion by [`Uring::reap_all`](crate::Uring::reap_all) (and in a
/// [`Rejected`](nvmeq_core::Rejected) when the queue refuses the command).
///
/// A plain command has `data`; a vectored one
/// ([`Uring::push_vec`](crate::Uring::push_vec)) has `segments` (all of
/// them, also any the transfer did not reach); either may have `metadata`
/// ([`push_with`](nvmeq_core::Backend::push_with)). An empty `Vec` does
/// not allocate, and the caller may reuse the one handed back.
#[derive(Debug, Default)]
pub struct CmdBufs {
    /// The data buffer of a plain command.
    pub data: Option<UringBuf>,
    /// The data segments of a vectored command, in order.
    pub segments: Vec<UringBuf>,
    /// The separate metadata buffer.
    pub metadata: Option<UringBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_buf_is_zeroed_and_aligned() {
        let mut b = AlignedBuf::zeroed(5000);
        assert_eq!(b.len(), 5000);
        assert_eq!(b.as_slice().as_ptr() as usize % PAGE, 0);
        assert!(b.as_slice().iter().all(|&x| x == 0));
        b.as_mut_slice()[4999] = 7;
        assert_eq!(AlignedBuf::from_slice(b.as_slice()).as_slice()[4999], 7);
        assert!(AlignedBuf::zeroed(0).is_empty());
    }

    #[test]
    fn pool_hands_out_each_buffer_once_and_takes_it_back() {
        let pool = FixedBufPool::new(2, 100).unwrap();
        assert_eq!(pool.buf_size(), PAGE);
        let mut a = pool.take(10).unwrap();
        let b = pool.take(PAGE).unwrap();
        assert_ne!(a.index(), b.index());
        assert!(pool.take(1).is_none(), "exhausted");
        assert!(pool.take(PAGE + 1).is_none(), "too large");
        a.as_mut_slice().fill(0xAA);
        assert!(
            b.as_slice().iter().all(|&x| x == 0),
            "chunks do not overlap"
        );
        let ia = a.index();
        drop(a);
        let again = pool.take(10).unwrap();
        assert_eq!(again.index(), ia);
        assert!(again.as_slice().iter().all(|&x| x == 0), "re-zeroed");
        let iov = pool.iovecs();
        assert_eq!(iov.len(), 2);
        assert_eq!(iov[1].iov_base as usize - iov[0].iov_base as usize, PAGE);
    }

    #[test]
    fn buffers_outlive_the_pool_handle() {
        let pool = FixedBufPool::new(1, 4096).unwrap();
        let mut b = pool.take(4096).unwrap();
        drop(pool);
        b.as_mut_slice()[0] = 1;
        assert_eq!(b.as_slice()[0], 1);
    }

    #[test]
    fn bad_pool_sizes_are_refused() {
        assert!(FixedBufPool::new(0, 4096).is_err());
        assert!(FixedBufPool::new(1, 0).is_err());
        assert!(FixedBufPool::new(1, 2 << 30).is_err());
    }
}
