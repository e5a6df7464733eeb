//! PRP construction ("Physical Region Page Entry and List" in the Base spec):
//! PRP1 points at the first byte, PRP2 at the second page or at a PRP list;
//! a list whose entries do not fit one page chains through its last entry.
//!
//! Pure logic over an IOVA-contiguous buffer; the list pages come from a
//! [`PrpListSink`] (per-slot DMA pages in the driver, a `Vec` in tests).

/// Where PRP list entries go: `count()` pages of `page / 8` entries each.
pub(crate) trait PrpListSink {
    /// Stores entry `index` (flat: page `index / per_page`, slot `index % per_page`).
    fn set(&mut self, index: usize, entry: u64);
    /// The device address of list page `page`.
    fn page_iova(&self, page: usize) -> u64;
    /// How many list pages there are.
    fn pages(&self) -> usize;
}

/// Why PRPs could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrpError {
    /// The transfer needs more list pages than the slot has.
    TooLong,
}

/// List pages needed for a transfer of `len` bytes starting at page offset
/// `offset` (0 when PRP1/PRP2 suffice).
pub(crate) fn list_pages_needed(offset: usize, len: usize, page: usize) -> usize {
    let per = page / 8;
    let first = page - offset % page;
    if len <= first {
        return 0;
    }
    let n = (len - first).div_ceil(page);
    if n <= 1 {
        return 0;
    }
    if n <= per {
        1
    } else {
        // Every page but the last gives up one entry to the chain pointer.
        (n - 1).div_ceil(per - 1)
    }
}

/// PRP1 and PRP2 for `len` bytes at `iova` (IOVA-contiguous), writing any list
/// into `list`. `page` is the controller's memory page size (CC.MPS).
pub(crate) fn build(
    iova: u64,
    len: usize,
    page: usize,
    list: &mut impl PrpListSink,
) -> Result<[u64; 2], PrpError> {
    let page64 = page as u64;
    let offset = (iova % page64) as usize;
    let first = page - offset;
    if len <= first {
        return Ok([iova, 0]);
    }
    let base = iova - offset as u64 + page64; // second page
    let n = (len - first).div_ceil(page);
    if n == 1 {
        return Ok([iova, base]);
    }
    let need = list_pages_needed(offset, len, page);
    if need > list.pages() {
        return Err(PrpError::TooLong);
    }
    let per = page / 8;
    let mut lp = 0; // current list page
    let mut slot = 0; // next entry in it
    for i in 0..n {
        let remaining = n - i;
        if slot == per - 1 && remaining > 1 {
            // Last entry of a full page, more than one entry to go: chain.
            list.set(lp * per + slot, list.page_iova(lp + 1));
            lp += 1;
            slot = 0;
        }
        list.set(lp * per + slot, base + i as u64 * page64);
        slot += 1;
    }
    Ok([iova, list.page_iova(0)])
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 4096;

    /// A fake IOVA space: list pages live at 0x9000_0000 + p * PAGE.
    struct FakeList {
        entries: Vec<u64>,
        pages: usize,
    }
    impl FakeList {
        fn new(pages: usize) -> Self {
            FakeList {
                entries: vec![0; pages * PAGE / 8],
                pages,
            }
        }
        fn page_of(&self, iova: u64) -> usize {
            ((iova - 0x9000_0000) / PAGE as u64) as usize
        }
    }
    impl PrpListSink for FakeList {
        fn set(&mut self, i: usize, e: u64) {
            self.entries[i] = e;
        }
        fn page_iova(&self, p: usize) -> u64 {
            0x9000_0000 + (p * PAGE) as u64
        }
        fn pages(&self) -> usize {
            self.pages
        }
    }

    /// Walks PRPs like a controller and returns the pages it would touch.
    fn walk(prp: [u64; 2], len: usize, l: &FakeList) -> Vec<u64> {
        let per = PAGE / 8;
        let first = PAGE - (prp[0] as usize % PAGE);
        let mut out = vec![prp[0] & !(PAGE as u64 - 1)];
        if len <= first {
            assert_eq!(prp[1], 0);
            return out;
        }
        let n = (len - first).div_ceil(PAGE);
        if n == 1 {
            out.push(prp[1]);
            return out;
        }
        let mut page = l.page_of(prp[1]);
        let mut slot = 0;
        let mut got = 0;
        while got < n {
            let e = l.entries[page * per + slot];
            if slot == per - 1 && n - got > 1 {
                page = l.page_of(e);
                slot = 0;
                continue;
            }
            assert_eq!(e % PAGE as u64, 0, "list entries are page aligned");
            out.push(e);
            got += 1;
            slot += 1;
        }
        out
    }

    fn check(iova: u64, len: usize, list_pages: usize) {
        let mut l = FakeList::new(list_pages);
        let prp = build(iova, len, PAGE, &mut l).unwrap();
        assert_eq!(prp[0], iova);
        let pages = walk(prp, len, &l);
        let start = iova & !(PAGE as u64 - 1);
        let expect: Vec<u64> = (0..pages.len() as u64)
            .map(|i| start + i * PAGE as u64)
            .collect();
        assert_eq!(pages, expect, "iova {iova:#x} len {len}");
        let end = iova + len as u64;
        assert_eq!(expect.len() as u64, (end - start).div_ceil(PAGE as u64));
    }

    #[test]
    fn one_and_two_pages_need_no_list() {
        assert_eq!(
            build(0x10_0000, 512, PAGE, &mut FakeList::new(0)),
            Ok([0x10_0000, 0])
        );
        assert_eq!(
            build(0x10_0000, 4096, PAGE, &mut FakeList::new(0)),
            Ok([0x10_0000, 0])
        );
        assert_eq!(
            build(0x10_0000, 8192, PAGE, &mut FakeList::new(0)),
            Ok([0x10_0000, 0x10_1000])
        );
        // An offset pushes a 4 KiB transfer across a page boundary.
        assert_eq!(
            build(0x10_0200, 4096, PAGE, &mut FakeList::new(0)),
            Ok([0x10_0200, 0x10_1000])
        );
    }

    #[test]
    fn lists_cover_every_page_exactly() {
        for len in [8193, 12288, 65536, 128 * 1024, 512 * 1024] {
            check(0x20_0000, len, 1);
            check(0x20_0e00, len, 1);
        }
    }

    #[test]
    fn lists_chain_past_one_page() {
        // 513 list entries (2 MiB + 2 pages) need a second list page.
        let len = (514) * PAGE;
        assert_eq!(list_pages_needed(0, len, PAGE), 2);
        check(0x4000_0000, len, 2);
        // Exactly 512 entries fit one page with no chain.
        assert_eq!(list_pages_needed(0, 513 * PAGE, PAGE), 1);
        check(0x4000_0000, 513 * PAGE, 1);
        // Three pages.
        let len = (1 + 511 + 511 + 5) * PAGE;
        assert_eq!(list_pages_needed(0, len, PAGE), 3);
        check(0x4000_0000, len, 3);
    }

    #[test]
    fn too_few_list_pages_is_an_error_not_an_overrun() {
        assert_eq!(
            build(0, 3 * PAGE, PAGE, &mut FakeList::new(0)),
            Err(PrpError::TooLong)
        );
        assert_eq!(
            build(0, 600 * PAGE, PAGE, &mut FakeList::new(1)),
            Err(PrpError::TooLong)
        );
    }
}
