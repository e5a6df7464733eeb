//! PRP and SGL construction for any buffer address, length, page size and
//! supply of list pages or segments. When they succeed, walking what they
//! built must cover exactly the transfer, page by page or region by region.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use nvmeq_core::prp::{PageSize, PrpListPage, Prps};
use nvmeq_core::sgl::{Sgl, SglDescriptor, SglSegment};

#[derive(Debug, Arbitrary)]
struct Input {
    addr: u64,
    len: u32,
    mps: u8,
    list_pages: u8,
    regions: Vec<(u64, u32)>,
    segments: u8,
    seg_len: u8,
}

fuzz_target!(|i: Input| {
    prps(&i);
    sgl(&i);
});

fn prps(i: &Input) {
    let Some(ps) = PageSize::from_mps(i.mps % 4) else {
        return;
    };
    // Keep the walk small: at most 64 pages of transfer.
    let len = i.len % (64 * ps.bytes());
    let per = ps.entries_per_page();
    let n = usize::from(i.list_pages % 4);
    let mut mem = vec![vec![0u64; per]; n];
    let mut pages: Vec<PrpListPage<'_>> = mem
        .iter_mut()
        .enumerate()
        .map(|(k, e)| PrpListPage {
            addr: list_addr(k),
            entries: e,
        })
        .collect();
    let Ok(p) = Prps::contiguous(i.addr, len, ps, &mut pages[..]) else {
        return;
    };
    let want = Prps::pages(i.addr, len, ps);
    if want == 0 {
        assert_eq!(p, Prps::default());
        return;
    }
    assert_eq!(p.prp1, i.addr);
    // Page i of the buffer, as the device will walk it.
    let base = i.addr & !u64::from(ps.bytes() - 1);
    let page = |k: usize| base + (k as u64) * u64::from(ps.bytes());
    let mut got = vec![p.prp1 & !u64::from(ps.bytes() - 1)];
    if want == 2 {
        got.push(p.prp2);
    } else if want > 2 {
        assert_eq!(p.list_pages, Prps::list_pages_needed(i.addr, len, ps));
        assert_eq!(p.prp2, list_addr(0), "PRP2 points to the first list page");
        let mut list = 0usize;
        let mut k = 0usize;
        while got.len() < want {
            let e = mem[list][k];
            if k == per - 1 && got.len() < want - 1 {
                assert_eq!(e, list_addr(list + 1), "the chain points to the next page");
                list += 1;
                k = 0;
                continue;
            }
            got.push(e);
            k += 1;
        }
    }
    let expect: Vec<u64> = (0..want).map(page).collect();
    assert_eq!(got, expect, "the PRPs cover the buffer's pages in order");
}

/// The bus address of list page `k`.
fn list_addr(k: usize) -> u64 {
    0x1_0000_0000 + ((k as u64) << 20)
}

fn sgl(i: &Input) {
    let regions: Vec<(u64, u32)> = i.regions.iter().take(64).copied().collect();
    let per = usize::from(i.seg_len % 16) + 1;
    let mut mem = vec![vec![SglDescriptor::bit_bucket(0); per]; usize::from(i.segments % 8)];
    let mut segs: Vec<SglSegment<'_>> = mem
        .iter_mut()
        .enumerate()
        .map(|(k, d)| SglSegment {
            addr: 0x2_0000_0000 + ((k as u64) << 20),
            descs: d,
        })
        .collect();
    let Ok(s) = Sgl::describe(&regions, &mut segs[..]) else {
        return;
    };
    let total: u64 = regions.iter().map(|r| u64::from(r.1)).sum();
    assert_eq!(u64::from(s.len), total);
    if regions.len() == 1 {
        assert_eq!(s.segments, 0);
        assert_eq!(
            s.dptr,
            SglDescriptor::data_block(regions[0].0, regions[0].1)
        );
    }
}
