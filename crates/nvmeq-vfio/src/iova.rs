//! The IOVA allocator: hands out device-visible address ranges inside the
//! windows the IOMMU accepts. Pure bookkeeping, no system calls.

/// One range the IOMMU accepts, `start..=end` (as VFIO reports it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IovaRange {
    /// First address.
    pub start: u64,
    /// Last address (inclusive).
    pub end: u64,
}

/// The lowest IOVA handed out: keeps page 0 (and the legacy low megabyte)
/// unused, so a zero or tiny DMA address from a bug faults instead of hitting a buffer.
pub const MIN_IOVA: u64 = 1 << 20;

/// Where allocations stop when the kernel reports no ranges: 39 bits is the
/// smallest address width Intel VT-d implementations (and QEMU's vIOMMU) use.
pub const DEFAULT_IOVA_END: u64 = (1 << 39) - 1;

/// The x86 MSI window, never usable for DMA.
const MSI_WINDOW: IovaRange = IovaRange {
    start: 0xfee0_0000,
    end: 0xfeef_ffff,
};

/// Why an allocation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IovaError {
    /// No free window is large enough.
    Exhausted,
    /// Size zero, not a multiple of the page, or a bad alignment.
    BadRequest,
}

/// A first-fit allocator over a sorted list of free `[start, end)` extents,
/// coalescing on free. Sizes are multiples of 4 KiB.
#[derive(Debug, Clone)]
pub struct IovaAllocator {
    free: Vec<(u64, u64)>,
}

/// The IOMMU page the allocator works in.
pub const IOVA_PAGE: u64 = 4096;

impl IovaAllocator {
    /// An allocator over `ranges` (or the default window when `None`), minus
    /// everything below [`MIN_IOVA`] and the MSI window.
    pub fn new(ranges: Option<&[IovaRange]>) -> Self {
        let default = [IovaRange {
            start: 0,
            end: DEFAULT_IOVA_END,
        }];
        let ranges = ranges.unwrap_or(&default);
        let mut free = Vec::new();
        for r in ranges {
            // Exclusive end, capped so the arithmetic below cannot overflow.
            let end = r.end.min(DEFAULT_IOVA_END.max(r.start)).saturating_add(1);
            let start = r.start.max(MIN_IOVA);
            for (s, e) in subtract((start, end), (MSI_WINDOW.start, MSI_WINDOW.end + 1)) {
                let s = align_up(s, IOVA_PAGE);
                let e = e & !(IOVA_PAGE - 1);
                if s < e {
                    free.push((s, e));
                }
            }
        }
        free.sort_unstable();
        IovaAllocator { free }
    }

    /// Allocates `size` bytes aligned to `align` (a power of two, at least 4 KiB).
    pub fn alloc(&mut self, size: u64, align: u64) -> Result<u64, IovaError> {
        if size == 0 || size % IOVA_PAGE != 0 || !align.is_power_of_two() || align < IOVA_PAGE {
            return Err(IovaError::BadRequest);
        }
        for i in 0..self.free.len() {
            let (s, e) = self.free[i];
            let a = align_up(s, align);
            if a < e && e - a >= size {
                // Split [s, e) into [s, a), used [a, a+size), [a+size, e).
                let mut rest = Vec::with_capacity(2);
                if s < a {
                    rest.push((s, a));
                }
                if a + size < e {
                    rest.push((a + size, e));
                }
                self.free.splice(i..=i, rest);
                return Ok(a);
            }
        }
        Err(IovaError::Exhausted)
    }

    /// Returns `[iova, iova + size)` to the free list.
    ///
    /// # Panics
    /// Never for ranges this allocator handed out; an overlapping free (a bug)
    /// is detected and ignored rather than corrupting the list.
    pub fn free(&mut self, iova: u64, size: u64) {
        let end = iova + size;
        let i = self.free.partition_point(|&(s, _)| s < iova);
        // Overlap with neighbours means a double free: refuse it.
        if i > 0 && self.free[i - 1].1 > iova {
            debug_assert!(false, "IOVA double free at {iova:#x}");
            return;
        }
        if i < self.free.len() && self.free[i].0 < end {
            debug_assert!(false, "IOVA double free at {iova:#x}");
            return;
        }
        let merge_prev = i > 0 && self.free[i - 1].1 == iova;
        let merge_next = i < self.free.len() && self.free[i].0 == end;
        match (merge_prev, merge_next) {
            (true, true) => {
                self.free[i - 1].1 = self.free[i].1;
                self.free.remove(i);
            }
            (true, false) => self.free[i - 1].1 = end,
            (false, true) => self.free[i].0 = iova,
            (false, false) => self.free.insert(i, (iova, end)),
        }
    }

    /// Free bytes left.
    #[cfg(test)]
    pub fn free_bytes(&self) -> u64 {
        self.free.iter().map(|&(s, e)| e - s).sum()
    }

    /// The free extents, `[start, end)`, sorted (for tests).
    #[cfg(test)]
    pub fn extents(&self) -> &[(u64, u64)] {
        &self.free
    }
}

const fn align_up(v: u64, a: u64) -> u64 {
    (v + a - 1) & !(a - 1)
}

/// `a` minus `b`, both `[start, end)`.
fn subtract(a: (u64, u64), b: (u64, u64)) -> impl Iterator<Item = (u64, u64)> {
    let left = (a.0, a.1.min(b.0));
    let right = (a.0.max(b.1), a.1);
    [left, right].into_iter().filter(|&(s, e)| s < e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_window_skips_low_memory_and_msi() {
        let a = IovaAllocator::new(None);
        assert_eq!(
            a.extents(),
            &[(MIN_IOVA, 0xfee0_0000), (0xfef0_0000, 1 << 39)]
        );
    }

    #[test]
    fn reported_ranges_are_honoured() {
        let r = [
            IovaRange {
                start: 0,
                end: 0x1f_ffff,
            },
            IovaRange {
                start: 0x1000_0000,
                end: 0x1000_3fff,
            },
        ];
        let mut a = IovaAllocator::new(Some(&r));
        assert_eq!(
            a.extents(),
            &[(0x10_0000, 0x20_0000), (0x1000_0000, 0x1000_4000)]
        );
        assert_eq!(a.alloc(0x10_0000, 4096), Ok(0x10_0000));
        assert_eq!(a.alloc(0x4000, 4096), Ok(0x1000_0000));
        assert_eq!(a.alloc(4096, 4096), Err(IovaError::Exhausted));
        // A range ending at u64::MAX does not overflow.
        let mut a = IovaAllocator::new(Some(&[IovaRange {
            start: 0,
            end: u64::MAX,
        }]));
        assert!(a.alloc(1 << 30, 1 << 21).is_ok());
    }

    #[test]
    fn alignment_and_coalescing() {
        let mut a = IovaAllocator::new(None);
        let total = a.free_bytes();
        let x = a.alloc(4096, 4096).unwrap();
        assert_eq!(x, MIN_IOVA);
        let h = a.alloc(2 << 20, 2 << 20).unwrap();
        assert_eq!(h % (2 << 20), 0);
        assert!(h > x);
        let y = a.alloc(8192, 4096).unwrap();
        // The gap below the 2 MiB-aligned block is used first-fit.
        assert_eq!(y, x + 4096);
        assert_eq!(a.free_bytes(), total - 4096 - (2 << 20) - 8192);
        a.free(x, 4096);
        a.free(h, 2 << 20);
        a.free(y, 8192);
        assert_eq!(a.free_bytes(), total);
        assert_eq!(
            a.extents(),
            &[(MIN_IOVA, 0xfee0_0000), (0xfef0_0000, 1 << 39)]
        );
    }

    #[test]
    fn no_two_live_allocations_overlap() {
        let mut a = IovaAllocator::new(Some(&[IovaRange {
            start: 0x10_0000,
            end: 0x10_ffff,
        }]));
        let mut live: Vec<(u64, u64)> = Vec::new();
        // Deterministic pseudo-random churn.
        let mut seed = 0x1234_5678u64;
        for _ in 0..2000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if seed >> 63 == 0 || live.is_empty() {
                let pages = 1 + (seed >> 40) % 4;
                if let Ok(at) = a.alloc(pages * 4096, 4096) {
                    let r = (at, at + pages * 4096);
                    assert!(r.1 <= 0x11_0000);
                    for l in &live {
                        assert!(r.1 <= l.0 || r.0 >= l.1, "{r:x?} overlaps {l:x?}");
                    }
                    live.push(r);
                }
            } else {
                let i = (seed >> 20) as usize % live.len();
                let (s, e) = live.swap_remove(i);
                a.free(s, e - s);
            }
        }
        for (s, e) in live.drain(..) {
            a.free(s, e - s);
        }
        assert_eq!(a.extents(), &[(0x10_0000, 0x11_0000)]);
    }

    #[test]
    fn bad_requests() {
        let mut a = IovaAllocator::new(None);
        assert_eq!(a.alloc(0, 4096), Err(IovaError::BadRequest));
        assert_eq!(a.alloc(100, 4096), Err(IovaError::BadRequest));
        assert_eq!(a.alloc(4096, 3000), Err(IovaError::BadRequest));
    }
}
