//! A slot's PRP list pages as the core's PRP math sees them: page-sized
//! slices of a scratch area, at the IOVAs of the slot's list pages in DMA
//! memory. The queue copies the entries written into DMA memory afterwards.

use nvmeq_core::prp::PrpListPages;

/// `scratch.len() / (page / 8)` list pages, the first at `iova`.
pub(crate) struct SlotLists<'a> {
    pub(crate) iova: u64,
    pub(crate) page: usize,
    pub(crate) scratch: &'a mut [u64],
}

impl SlotLists<'_> {
    fn per_page(&self) -> usize {
        self.page / 8
    }
    fn pages(&self) -> usize {
        self.scratch.len() / self.per_page()
    }
}

impl PrpListPages for SlotLists<'_> {
    fn addr(&self, index: usize) -> Option<u64> {
        (index < self.pages()).then(|| self.iova + (index * self.page) as u64)
    }
    fn entries(&mut self, index: usize) -> Option<&mut [u64]> {
        let per = self.per_page();
        self.scratch.get_mut(index * per..(index + 1) * per)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::prp::{PageSize, PrpError, Prps};

    const PAGE: usize = 4096;
    const LISTS: u64 = 0x9000_0000;

    /// Walks PRPs the way a controller does, reading list pages from the
    /// fake IOVA space (`LISTS` + page * PAGE = `scratch` page), and returns
    /// the data pages it would touch.
    fn walk(prp: [u64; 2], addr: u64, len: usize, scratch: &[u64]) -> Vec<u64> {
        let per = PAGE / 8;
        let n = Prps::pages(addr, len as u32, PageSize::P4K);
        let mut out = vec![prp[0] & !(PAGE as u64 - 1)];
        match n {
            1 => return out,
            2 => {
                out.push(prp[1]);
                return out;
            }
            _ => {}
        }
        let page_of = |iova: u64| ((iova - LISTS) / PAGE as u64) as usize;
        let (mut page, mut slot) = (page_of(prp[1]), 0);
        while out.len() < n {
            let e = scratch[page * per + slot];
            if slot == per - 1 && n - out.len() > 1 {
                page = page_of(e);
                slot = 0;
                continue;
            }
            out.push(e);
            slot += 1;
        }
        out
    }

    fn check(addr: u64, len: usize, list_pages: usize) {
        let mut scratch = vec![0u64; list_pages * PAGE / 8];
        let mut l = SlotLists {
            iova: LISTS,
            page: PAGE,
            scratch: &mut scratch,
        };
        let p = Prps::contiguous(addr, len as u32, PageSize::P4K, &mut l).unwrap();
        let pages = walk([p.prp1, p.prp2], addr, len, &scratch);
        let first = addr & !(PAGE as u64 - 1);
        let want: Vec<u64> = (0..pages.len() as u64)
            .map(|i| first + i * PAGE as u64)
            .collect();
        assert_eq!(pages, want, "addr {addr:#x} len {len}");
        assert_eq!(
            want.len() as u64,
            (addr + len as u64 - first).div_ceil(PAGE as u64)
        );
        // Entries written are contiguous from the start of the scratch area,
        // so copying `list_entries` of them moves the whole list.
        assert!(scratch[p.list_entries..].iter().all(|&e| e == 0));
    }

    #[test]
    fn slot_lists_describe_every_page_once() {
        for len in [512, 4096, 8192, 12288, 65536, 512 * 1024] {
            check(0x20_0000, len, 1);
            check(0x20_0e00, len, 1);
        }
    }

    #[test]
    fn slot_lists_chain_into_the_slots_next_page() {
        // 513 list entries need a second page; 3 pages beyond 1023.
        check(0x4000_0000, 514 * PAGE, 2);
        check(0x4000_0000, (2 + 511 * 2 + 5) * PAGE, 3);
        assert_eq!(
            Prps::list_pages_needed(0, (514 * PAGE) as u32, PageSize::P4K),
            2
        );
    }

    #[test]
    fn a_slot_never_writes_past_its_pages() {
        let mut scratch = vec![0u64; PAGE / 8];
        let mut l = SlotLists {
            iova: LISTS,
            page: PAGE,
            scratch: &mut scratch,
        };
        let r = Prps::contiguous(0, (600 * PAGE) as u32, PageSize::P4K, &mut l);
        assert!(
            matches!(r, Err(PrpError::ListExhausted { index: 1 })),
            "{r:?}"
        );
        assert_eq!(l.addr(1), None);
    }
}
