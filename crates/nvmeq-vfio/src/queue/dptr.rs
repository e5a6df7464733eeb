//! A command's data pointer: PRPs or an SGL for the regions of one buffer,
//! built in a slot's list pages (a scratch copy; the queue moves the words
//! into DMA memory). Pure math over IOVAs, tested against a fake IOVA space.

use nvmeq_core::prp::{PageSize, PrpError, Prps};
use nvmeq_core::sgl::{Sgl, SglDescriptor, SglError, SglSegments};
use nvmeq_core::Error;
use zerocopy::FromBytes;

use super::prp_lists::SlotLists;

/// How data is described to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dptr {
    /// PRP entries (PSDT 00b).
    Prp,
    /// An SGL (PSDT 01b); `dword`: the controller needs data blocks whose
    /// address and length are dword multiples (SGLS bits 1:0 = 10b).
    Sgl { dword: bool },
}

/// A data pointer built for one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Built {
    pub(crate) dptr: [u64; 2],
    pub(crate) psdt: u8,
    /// Words (u64) written from the start of the slot's list area.
    pub(crate) words: usize,
}

/// A slot's list pages seen as SGL segments: one segment per page.
struct SlotSegments<'a> {
    iova: u64,
    page: usize,
    descs: &'a mut [SglDescriptor],
}

impl SglSegments for SlotSegments<'_> {
    fn addr(&self, index: usize) -> Option<u64> {
        let per = self.page / SglDescriptor::LEN as usize;
        (index < self.descs.len() / per).then(|| self.iova + (index * self.page) as u64)
    }
    fn descriptors(&mut self, index: usize) -> Option<&mut [SglDescriptor]> {
        let per = self.page / SglDescriptor::LEN as usize;
        self.descs.get_mut(index * per..(index + 1) * per)
    }
}

/// Checks `regions` ((offset, length) into a buffer of `buf_len` bytes)
/// against the buffer and the command's transfer length `xfer`.
pub(crate) fn check_regions(
    regions: &[(usize, usize)],
    buf_len: usize,
    xfer: usize,
) -> Result<(), Error> {
    if regions.is_empty() {
        return Err(Error::ZeroLength);
    }
    let mut total = 0usize;
    for (index, &(off, len)) in regions.iter().enumerate() {
        if len == 0 {
            return Err(Error::EmptySegment { index });
        }
        let end = off.checked_add(len).ok_or(Error::BufferTooSmall {
            need: u64::MAX,
            have: buf_len,
        })?;
        if end > buf_len {
            return Err(Error::BufferTooSmall {
                need: end as u64,
                have: buf_len,
            });
        }
        total = total.saturating_add(len);
    }
    if total != xfer {
        return Err(Error::SegmentsMismatch {
            need: xfer as u64,
            have: total as u64,
        });
    }
    Ok(())
}

/// Builds the data pointer for `regions` of the buffer at `buf` (IOVA), in
/// `scratch` (the slot's list pages, the first at `lists`). `regions` must
/// have passed [`check_regions`]. `max_prp` is what the slot's PRP lists can
/// describe (for the error when they cannot).
pub(crate) fn build(
    scratch: &mut [u64],
    lists: u64,
    page: usize,
    buf: u64,
    regions: &[(usize, usize)],
    mode: Dptr,
    max_prp: usize,
) -> Result<Built, Error> {
    let ps = PageSize::P4K;
    let total: usize = regions.iter().map(|r| r.1).sum();
    match mode {
        Dptr::Prp => {
            let mut l = SlotLists {
                iova: lists,
                page,
                scratch,
            };
            let addr0 = buf + regions[0].0 as u64;
            let r = if let [(_, len)] = regions {
                Prps::contiguous(addr0, *len as u32, ps, &mut l)
            } else {
                // PRPs name pages: only the first region may start inside
                // a page and only the last may end inside one.
                let mask = page as u64 - 1;
                let last = regions.len() - 1;
                for (i, &(off, len)) in regions.iter().enumerate() {
                    let a = buf + off as u64;
                    if (i > 0 && a & mask != 0) || (i < last && (a + len as u64) & mask != 0) {
                        return Err(Error::NeedsSgl { index: i });
                    }
                }
                let page_addr = |mut i: usize| {
                    for &(off, len) in regions {
                        let a = buf + off as u64;
                        let n = Prps::pages(a, len as u32, ps);
                        if i < n {
                            return (a & !mask) + (i * page) as u64;
                        }
                        i -= n;
                    }
                    0
                };
                Prps::scattered(addr0, total as u32, ps, page_addr, &mut l)
            };
            match r {
                Ok(p) => Ok(Built {
                    dptr: [p.prp1, p.prp2],
                    psdt: 0,
                    words: p.list_entries,
                }),
                Err(PrpError::ListExhausted { .. }) => Err(Error::AboveMdts {
                    len: total as u64,
                    max: max_prp as u32,
                }),
                Err(e) => Err(e.into()),
            }
        }
        Dptr::Sgl { dword } => {
            if dword {
                if let Some(index) = regions
                    .iter()
                    .position(|&(off, len)| (buf + off as u64) & 3 != 0 || len & 3 != 0)
                {
                    return Err(Error::SglNeedsDword { index });
                }
            }
            let descs =
                <[SglDescriptor]>::mut_from_bytes(zerocopy::IntoBytes::as_mut_bytes(&mut *scratch))
                    .map_err(|_| {
                        Error::Internal("the slot's SGL list area is not descriptor aligned")
                    })?;
            let mut segs = SlotSegments {
                iova: lists,
                page,
                descs,
            };
            let mut one = [(0u64, 0u32)];
            let sgl = if let [(off, len)] = regions {
                one[0] = (buf + *off as u64, *len as u32);
                Sgl::describe(&one, &mut segs)
            } else {
                describe_regions(buf, regions, &mut segs)
            };
            match sgl {
                Ok(s) => Ok(Built {
                    dptr: s.dptr.to_dptr(),
                    psdt: 1,
                    words: if s.segments == 0 {
                        0
                    } else {
                        2 * (regions.len() + s.segments - 1)
                    },
                }),
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// [`build`] for the whole of a page-aligned buffer at `buf`, `len` bytes,
/// when it needs no list: one SGL Data Block, or PRP1 and PRP2 for up to
/// two pages. `None` when [`build`] must decide (a PRP list, an SGL the
/// controller's dword rule refuses). The same result as [`build`] with one
/// region, without setting up list pages: the per-command common case.
#[inline]
pub(crate) fn contiguous(buf: u64, len: usize, page: usize, mode: Dptr) -> Option<Built> {
    if len == 0 || buf % page as u64 != 0 {
        return None;
    }
    match mode {
        Dptr::Prp if len <= 2 * page => Some(Built {
            dptr: [buf, if len > page { buf + page as u64 } else { 0 }],
            psdt: 0,
            words: 0,
        }),
        Dptr::Prp => None,
        Dptr::Sgl { dword } if dword && len & 3 != 0 => None,
        Dptr::Sgl { .. } => Some(Built {
            dptr: SglDescriptor::data_block(buf, u32::try_from(len).ok()?).to_dptr(),
            psdt: 1,
            words: 0,
        }),
    }
}

/// [`Sgl::describe`] over regions given relative to `buf`, without
/// allocating: absolute addresses go to a stack array.
fn describe_regions(
    buf: u64,
    regions: &[(usize, usize)],
    segs: &mut SlotSegments<'_>,
) -> Result<Sgl, SglError> {
    // Enough for every region a slot's list pages can describe (one 4 KiB
    // page holds 256 descriptors; slots have at most a few pages).
    const MAX: usize = 1024;
    if regions.len() > MAX {
        return Err(SglError::SegmentsExhausted { index: 0 });
    }
    let mut abs = [(0u64, 0u32); MAX];
    for (a, &(off, len)) in abs.iter_mut().zip(regions) {
        *a = (buf + off as u64, len as u32);
    }
    Sgl::describe(&abs[..regions.len()], segs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::sgl::SglType;

    const PAGE: usize = 4096;
    /// The slot's list pages in the fake IOVA space.
    const LISTS: u64 = 0x9000_0000;
    /// A buffer in the fake IOVA space.
    const BUF: u64 = 0x4020_0000;

    fn desc(words: &[u64], i: usize) -> SglDescriptor {
        zerocopy::transmute!([words[2 * i], words[2 * i + 1]])
    }

    /// Walks an SGL as a controller does, reading segments from the fake
    /// IOVA space (`LISTS` + k * PAGE = scratch page k): the data blocks.
    fn walk_sgl(dptr: [u64; 2], scratch: &[u64]) -> Vec<(u64, u32)> {
        let mut d: SglDescriptor = zerocopy::transmute!(dptr);
        let mut out = vec![];
        loop {
            match d.sgl_type() {
                SglType::DATA_BLOCK => {
                    out.push((d.addr, d.len));
                    return out;
                }
                SglType::SEGMENT | SglType::LAST_SEGMENT => {
                    assert_eq!(d.len % 16, 0);
                    let first = ((d.addr - LISTS) / 16) as usize;
                    let n = (d.len / 16) as usize;
                    let last = d.sgl_type() == SglType::LAST_SEGMENT;
                    for i in first..first + n {
                        let e = desc(scratch, i);
                        match e.sgl_type() {
                            SglType::DATA_BLOCK => out.push((e.addr, e.len)),
                            SglType::SEGMENT | SglType::LAST_SEGMENT => {
                                assert!(!last, "a pointer inside the last segment");
                                assert_eq!(i, first + n - 1, "pointer not last");
                                d = e;
                            }
                            t => panic!("unexpected {t:?}"),
                        }
                    }
                    if last {
                        return out;
                    }
                }
                t => panic!("unexpected {t:?}"),
            }
        }
    }

    fn sgl(
        regions: &[(usize, usize)],
        pages: usize,
        dword: bool,
    ) -> Result<(Built, Vec<u64>), Error> {
        let mut scratch = vec![0u64; pages * PAGE / 8];
        let b = build(
            &mut scratch,
            LISTS,
            PAGE,
            BUF,
            regions,
            Dptr::Sgl { dword },
            1 << 20,
        )?;
        Ok((b, scratch))
    }

    #[test]
    fn the_contiguous_fast_path_builds_what_build_builds() {
        let modes = [
            Dptr::Prp,
            Dptr::Sgl { dword: false },
            Dptr::Sgl { dword: true },
        ];
        for mode in modes {
            for len in [1, 4, 512, 4095, 4096, 4097, 6000, 8192, 8193, 65536] {
                let mut scratch = vec![0u64; PAGE / 8];
                let want = build(&mut scratch, LISTS, PAGE, BUF, &[(0, len)], mode, 1 << 20);
                match contiguous(BUF, len, PAGE, mode) {
                    Some(got) => assert_eq!(Ok(got), want, "{mode:?} {len}"),
                    // Declined: only where build needs a list or refuses.
                    None => assert!(
                        want.as_ref().map_or(true, |b| b.words > 0),
                        "{mode:?} {len}: {want:?}"
                    ),
                }
            }
        }
        assert_eq!(
            contiguous(BUF + 8, 512, PAGE, Dptr::Prp),
            None,
            "not page aligned"
        );
        assert_eq!(contiguous(BUF, 0, PAGE, Dptr::Prp), None);
    }

    #[test]
    fn one_region_is_one_data_block_in_dptr() {
        let (b, _) = sgl(&[(3, 4093)], 1, false).unwrap();
        assert_eq!(b.psdt, 1);
        assert_eq!(b.words, 0, "no segment memory used");
        // Bytes 0..8 address, 8..12 length, 15 identifier (type 0, subtype 0).
        let bytes: [u8; 16] = zerocopy::transmute!(b.dptr);
        assert_eq!(u64::from_le_bytes(bytes[..8].try_into().unwrap()), BUF + 3);
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 4093);
        assert_eq!(&bytes[12..], &[0, 0, 0, 0x00]);
    }

    #[test]
    fn several_regions_go_to_a_last_segment_in_the_slot_page() {
        let regions = [(1, 3583), (8195, 4096), (16390, 513)];
        let (b, scratch) = sgl(&regions, 1, false).unwrap();
        let bytes: [u8; 16] = zerocopy::transmute!(b.dptr);
        assert_eq!(bytes[15], 0x30, "Last Segment, address subtype");
        assert_eq!(u64::from_le_bytes(bytes[..8].try_into().unwrap()), LISTS);
        assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 48);
        assert_eq!(b.words, 6);
        assert!(scratch[6..].iter().all(|&w| w == 0));
        let want: Vec<(u64, u32)> = regions
            .iter()
            .map(|&(o, l)| (BUF + o as u64, l as u32))
            .collect();
        assert_eq!(walk_sgl(b.dptr, &scratch), want);
    }

    #[test]
    fn many_regions_chain_segments_across_the_slot_pages() {
        // 256 descriptors per page: 400 regions need a Segment pointer at
        // the end of page 0 and a Last Segment in page 1.
        let regions: Vec<(usize, usize)> = (0..400).map(|i| (i * 1000, 512)).collect();
        let (b, scratch) = sgl(&regions, 2, false).unwrap();
        assert_eq!(
            desc(&[b.dptr[0], b.dptr[1]], 0).sgl_type(),
            SglType::SEGMENT
        );
        assert_eq!(b.words, 2 * (400 + 1));
        let want: Vec<(u64, u32)> = regions
            .iter()
            .map(|&(o, l)| (BUF + o as u64, l as u32))
            .collect();
        assert_eq!(walk_sgl(b.dptr, &scratch), want);
        // One page is not enough for them.
        assert!(matches!(
            sgl(&regions, 1, false),
            Err(Error::Sgl(SglError::SegmentsExhausted { .. }))
        ));
    }

    #[test]
    fn dword_controllers_refuse_unaligned_blocks() {
        assert!(matches!(
            sgl(&[(1, 512)], 1, true),
            Err(Error::SglNeedsDword { index: 0 })
        ));
        assert!(matches!(
            sgl(&[(0, 510)], 1, true),
            Err(Error::SglNeedsDword { index: 0 })
        ));
        assert!(sgl(&[(4, 512), (1024, 508)], 1, true).is_ok());
    }

    #[test]
    fn prps_take_page_compatible_splits_only() {
        let mut scratch = vec![0u64; PAGE / 8];
        let prp = |regions: &[(usize, usize)], scratch: &mut [u64]| {
            build(scratch, LISTS, PAGE, BUF, regions, Dptr::Prp, 1 << 20)
        };
        // First region to its page end, a whole page elsewhere, a head of a page.
        let b = prp(&[(512, 3584), (8192, 4096), (16384, 512)], &mut scratch).unwrap();
        assert_eq!(b.psdt, 0);
        assert_eq!(b.dptr, [BUF + 512, LISTS]);
        assert_eq!(&scratch[..2], &[BUF + 8192, BUF + 16384]);
        assert_eq!(b.words, 2);
        // An inner boundary inside a page, and an unaligned start.
        assert!(matches!(
            prp(&[(0, 100), (4096, 412)], &mut scratch),
            Err(Error::NeedsSgl { index: 0 })
        ));
        assert!(matches!(
            prp(&[(1, 511)], &mut scratch),
            Err(Error::Prp(PrpError::UnalignedStart { .. }))
        ));
        // One region: as contiguous PRPs.
        let b = prp(&[(0, 8192)], &mut scratch).unwrap();
        assert_eq!(b.dptr, [BUF, BUF + 4096]);
    }

    #[test]
    fn regions_are_checked_against_buffer_and_transfer() {
        assert!(check_regions(&[(0, 512)], 512, 512).is_ok());
        assert_eq!(check_regions(&[], 512, 0), Err(Error::ZeroLength));
        assert_eq!(
            check_regions(&[(0, 0), (0, 512)], 512, 512),
            Err(Error::EmptySegment { index: 0 })
        );
        assert!(matches!(
            check_regions(&[(1, 512)], 512, 512),
            Err(Error::BufferTooSmall { need: 513, .. })
        ));
        assert_eq!(
            check_regions(&[(0, 256), (512, 128)], 1024, 512),
            Err(Error::SegmentsMismatch {
                need: 512,
                have: 384
            })
        );
        assert!(matches!(
            check_regions(&[(usize::MAX, 2)], 1024, 2),
            Err(Error::BufferTooSmall { need: u64::MAX, .. })
        ));
    }
}
