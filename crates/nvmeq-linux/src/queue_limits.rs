//! A namespace's block-queue limits (`/sys/block/nvmeXnY/queue/`): they
//! bound what the kernel maps for one passthrough command, ioctl or
//! io_uring alike (`blk_rq_map_user_iov` in `block/blk-map.c`).
//!
//! The kernel maps a user buffer in one of two ways:
//! - **bounce**: when any segment's address or length is not a multiple of
//!   the queue's `dma_alignment` + 1, or (queues with a `virt_boundary_mask`)
//!   segments leave gaps inside a page, it copies through freshly allocated
//!   pages: one block-layer segment per page of the transfer;
//! - **direct**: otherwise it pins the user pages: up to one segment per page
//!   each buffer segment touches (fewer only when pages happen to be
//!   physically contiguous, which user memory does not promise).
//!
//! A request with more segments than `max_segments` fails with `EINVAL`, so
//! whether a vectored buffer maps depends on where its segments sit in
//! pages. [`QueueLimits::check_mapping`] predicts the worst case before the
//! syscall and names the problem instead.

use std::path::Path;

use nvmeq_core::Error;

/// The page size the kernel maps user memory in (x86-64 and the common
/// arm64 configuration).
pub const PAGE: usize = 4096;

/// The limits of one block queue, as sysfs reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// `max_hw_sectors_kb` × 1024: the largest transfer, in bytes.
    pub max_hw_bytes: u64,
    /// `max_segments`: block-layer segments per request.
    pub max_segments: u32,
    /// `dma_alignment`: a mask; addresses and lengths with these bits set
    /// are bounced.
    pub dma_alignment: u64,
    /// `virt_boundary_mask`: a mask (0: none); gaps at these bits between
    /// segments are bounced.
    pub virt_boundary_mask: u64,
}

fn read_u64(dir: &Path, attr: &str) -> Option<u64> {
    std::fs::read_to_string(dir.join(attr))
        .ok()?
        .trim()
        .parse()
        .ok()
}

impl QueueLimits {
    /// Reads a block device's `queue/` directory (`/sys/block/nvme0n1/queue`).
    /// `None` when `max_hw_sectors_kb` or `max_segments` is missing; the
    /// masks default to 0 (kernels before 6.x have no `virt_boundary_mask`
    /// file).
    pub fn read(queue_dir: &Path) -> Option<Self> {
        Some(QueueLimits {
            max_hw_bytes: read_u64(queue_dir, "max_hw_sectors_kb")?.saturating_mul(1024),
            max_segments: u32::try_from(read_u64(queue_dir, "max_segments")?).ok()?,
            dma_alignment: read_u64(queue_dir, "dma_alignment").unwrap_or(0),
            virt_boundary_mask: read_u64(queue_dir, "virt_boundary_mask").unwrap_or(0),
        })
    }

    /// The largest contiguous transfer that always maps: `max_hw_bytes`, and
    /// `max_segments` minus one pages (a buffer starting inside a page spans
    /// one page more than an aligned one).
    pub fn max_xfer(&self) -> u32 {
        let segs = (self.max_segments.saturating_sub(1).max(1) as u64).saturating_mul(PAGE as u64);
        u32::try_from(self.max_hw_bytes.min(segs)).unwrap_or(u32::MAX)
    }

    /// Whether the kernel bounces `segs` (address, length; already cut to
    /// the command's length) instead of pinning them.
    pub fn bounces<I>(&self, segs: I) -> bool
    where
        I: IntoIterator<Item = (usize, usize)>,
        I::IntoIter: Clone,
    {
        let segs = segs.into_iter();
        let bits = segs.clone().fold(0u64, |a, (b, l)| a | b as u64 | l as u64);
        if bits & self.dma_alignment != 0 {
            return true;
        }
        if self.virt_boundary_mask == 0 {
            return false;
        }
        // `iov_iter_gap_alignment`: where a segment starts after the first
        // and where one ends before the last.
        let n = segs.clone().count();
        let gaps = segs.enumerate().fold(0u64, |a, (i, (b, l))| {
            let start = if i > 0 { b as u64 } else { 0 };
            let end = if i + 1 < n { (b + l) as u64 } else { 0 };
            a | start | end
        });
        gaps & self.virt_boundary_mask != 0
    }

    /// The most block-layer segments `segs` can take: the transfer's pages
    /// when bounced, else every page each segment touches.
    pub fn worst_segments<I>(&self, segs: I) -> usize
    where
        I: IntoIterator<Item = (usize, usize)>,
        I::IntoIter: Clone,
    {
        let segs = segs.into_iter();
        if self.bounces(segs.clone()) {
            let total: usize = segs.map(|(_, l)| l).sum();
            return total.div_ceil(PAGE);
        }
        segs.filter(|&(_, l)| l > 0)
            .map(|(b, l)| (b + l).div_ceil(PAGE) - b / PAGE)
            .sum()
    }

    /// Refuses, before the syscall, segments the kernel may fail to map
    /// (`EINVAL` when they need more than `max_segments`): see the module
    /// docs.
    pub fn check_mapping<I>(&self, segs: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = (usize, usize)>,
        I::IntoIter: Clone,
    {
        let pages = self.worst_segments(segs);
        let max = self.max_segments as usize;
        if pages > max {
            return Err(Error::PagesAboveLimit { pages, max });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The limits of QEMU's nvme with `mdts=1` under Linux 7.3 (an SGL
    /// controller: no virtual boundary).
    const SMALL: QueueLimits = QueueLimits {
        max_hw_bytes: 8192,
        max_segments: 3,
        dma_alignment: 3,
        virt_boundary_mask: 0,
    };

    #[test]
    fn reads_a_queue_directory() {
        let dir = std::env::temp_dir().join(format!("nvmeq-queue-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (f, v) in [
            ("max_hw_sectors_kb", "8\n"),
            ("max_segments", "3\n"),
            ("dma_alignment", "3\n"),
        ] {
            std::fs::write(dir.join(f), v).unwrap();
        }
        assert_eq!(QueueLimits::read(&dir), Some(SMALL));
        std::fs::remove_file(dir.join("max_segments")).unwrap();
        assert_eq!(QueueLimits::read(&dir), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn max_xfer_keeps_a_page_for_an_unaligned_start() {
        assert_eq!(SMALL.max_xfer(), 8192);
        let wide = QueueLimits {
            max_hw_bytes: 512 * 1024,
            max_segments: 33,
            ..SMALL
        };
        assert_eq!(wide.max_xfer(), 128 * 1024);
    }

    #[test]
    fn pinned_segments_count_every_page_they_touch() {
        // 1536 bytes at the start of a page, 2560 straddling a boundary.
        let segs = [(0x10000, 1536), (0x20000 + 3000, 2560)];
        assert!(!SMALL.bounces(segs));
        assert_eq!(SMALL.worst_segments(segs), 3);
        assert_eq!(SMALL.check_mapping(segs), Ok(()));
        let four = [(0x10000 + 4000, 1536), (0x20000 + 3000, 2560)];
        assert_eq!(SMALL.worst_segments(four), 4);
        let e = SMALL.check_mapping(four).unwrap_err();
        assert_eq!(e, Error::PagesAboveLimit { pages: 4, max: 3 });
        assert!(e.to_string().contains("max_segments"), "{e}");
    }

    #[test]
    fn misaligned_segments_bounce_into_whole_pages() {
        // An odd address: the kernel copies 4 KiB into one fresh page.
        let segs = [(0x10000 + 4001, 1536), (0x20000 + 3000, 2560)];
        assert!(SMALL.bounces(segs));
        assert_eq!(SMALL.worst_segments(segs), 1);
    }

    #[test]
    fn a_virtual_boundary_bounces_gaps_inside_pages() {
        let vb = QueueLimits {
            virt_boundary_mask: 4095,
            ..SMALL
        };
        // The second segment starts inside a page: a gap.
        let gap = [(0x10000, 4096), (0x20000 + 512, 512)];
        assert!(vb.bounces(gap));
        // Page-aligned joins, an unaligned head and tail: no gap.
        let joined = [(0x10000 + 512, 3584), (0x20000, 4096), (0x30000, 100 * 4)];
        assert!(!vb.bounces(joined));
        assert_eq!(vb.worst_segments(joined), 3);
    }
}
