//! PRP construction: one page, two pages, lists, chained lists, offsets,
//! zero length and every rejection.

use nvmeq_core::prp::{NoListPages, PageSize, PrpError, PrpListPage, Prps};
use nvmeq_core::Command;

const P: u64 = 4096;

fn contiguous(addr: u64, len: u32, pages: &mut [PrpListPage<'_>]) -> Result<Prps, PrpError> {
    Prps::contiguous(addr, len, PageSize::P4K, pages)
}

#[test]
fn page_size_from_mps() {
    assert_eq!(PageSize::from_mps(0), Some(PageSize::P4K));
    assert_eq!(PageSize::from_mps(4).unwrap().bytes(), 64 * 1024);
    assert_eq!(PageSize::from_mps(15).unwrap().bytes(), 128 << 20);
    assert_eq!(PageSize::from_mps(16), None);
    assert_eq!(PageSize::from_bytes(8192).unwrap().mps(), 1);
    assert_eq!(PageSize::from_bytes(2048), None);
    assert_eq!(PageSize::from_bytes(12288), None);
    assert_eq!(PageSize::from_bytes(0), None);
    assert_eq!(PageSize::P4K.entries_per_page(), 512);
}

#[test]
fn zero_length_has_no_prps() {
    let mut list = [7u64; 4];
    let mut pages = [PrpListPage {
        addr: 0x9000,
        entries: &mut list,
    }];
    let p = contiguous(0x1234_5000, 0, &mut pages).unwrap();
    assert_eq!(p, Prps::default());
    assert_eq!(list, [7; 4]);
    assert_eq!(Prps::pages(0x1000, 0, PageSize::P4K), 0);
}

#[test]
fn one_page() {
    let p = Prps::contiguous(0x1000, 4096, PageSize::P4K, &mut NoListPages).unwrap();
    assert_eq!((p.prp1, p.prp2, p.list_pages), (0x1000, 0, 0));
    // A short transfer inside one page, with an offset.
    let p = Prps::contiguous(0x1200, 512, PageSize::P4K, &mut NoListPages).unwrap();
    assert_eq!((p.prp1, p.prp2), (0x1200, 0));
    // Up to the page's end exactly.
    let p = Prps::contiguous(0x1e00, 512, PageSize::P4K, &mut NoListPages).unwrap();
    assert_eq!((p.prp1, p.prp2), (0x1e00, 0));
}

#[test]
fn two_pages() {
    let p = Prps::contiguous(0x1000, 8192, PageSize::P4K, &mut NoListPages).unwrap();
    assert_eq!((p.prp1, p.prp2, p.list_pages), (0x1000, 0x2000, 0));
    // Unaligned first page: 4096 bytes from 0x1800 span two pages.
    let p = Prps::contiguous(0x1800, 4096, PageSize::P4K, &mut NoListPages).unwrap();
    assert_eq!((p.prp1, p.prp2), (0x1800, 0x2000));
    // One byte over a page boundary.
    let p = Prps::contiguous(0x1ffc, 8, PageSize::P4K, &mut NoListPages).unwrap();
    assert_eq!((p.prp1, p.prp2), (0x1ffc, 0x2000));
}

#[test]
fn list() {
    let mut list = [0u64; 512];
    let mut pages = [PrpListPage {
        addr: 0x20_0000,
        entries: &mut list,
    }];
    let p = contiguous(0x10_0000, 16384, &mut pages).unwrap();
    assert_eq!(
        (p.prp1, p.prp2, p.list_pages, p.list_entries),
        (0x10_0000, 0x20_0000, 1, 3)
    );
    assert_eq!(&list[..4], &[0x10_1000, 0x10_2000, 0x10_3000, 0]);
}

#[test]
fn list_with_unaligned_first_page() {
    let mut list = [0u64; 512];
    let mut pages = [PrpListPage {
        addr: 0x20_0000,
        entries: &mut list,
    }];
    // 0x200 into the first page, 3 pages of data: spans 4 pages.
    let p = contiguous(0x10_0200, 3 * 4096, &mut pages).unwrap();
    assert_eq!(Prps::pages(0x10_0200, 3 * 4096, PageSize::P4K), 4);
    assert_eq!((p.prp1, p.prp2, p.list_entries), (0x10_0200, 0x20_0000, 3));
    assert_eq!(&list[..3], &[0x10_1000, 0x10_2000, 0x10_3000]);
}

#[test]
fn full_list_page_does_not_chain() {
    // 513 pages: 512 entries after PRP1, exactly one 4 KiB list page.
    let len = 513 * 4096;
    assert_eq!(Prps::list_pages_needed(0, len, PageSize::P4K), 1);
    let mut list = [0u64; 512];
    let mut pages = [PrpListPage {
        addr: 0x800_0000,
        entries: &mut list,
    }];
    let p = contiguous(0x100_0000, len, &mut pages).unwrap();
    assert_eq!((p.list_pages, p.list_entries), (1, 512));
    for (i, e) in list.iter().enumerate() {
        assert_eq!(*e, 0x100_0000 + (i as u64 + 1) * P);
    }
}

#[test]
fn chained_list_across_list_pages() {
    // 514 pages: 513 entries; the first list page holds 511 and a pointer.
    let len = 514 * 4096;
    assert_eq!(Prps::list_pages_needed(0, len, PageSize::P4K), 2);
    let mut l0 = [0u64; 512];
    let mut l1 = [0u64; 512];
    let mut pages = [
        PrpListPage {
            addr: 0x800_0000,
            entries: &mut l0,
        },
        PrpListPage {
            addr: 0x900_0000,
            entries: &mut l1,
        },
    ];
    let p = contiguous(0x100_0000, len, &mut pages).unwrap();
    assert_eq!((p.prp2, p.list_pages, p.list_entries), (0x800_0000, 2, 514));
    for (i, e) in l0[..511].iter().enumerate() {
        assert_eq!(*e, 0x100_0000 + (i as u64 + 1) * P);
    }
    assert_eq!(
        l0[511], 0x900_0000,
        "the last entry chains to the next list page"
    );
    assert_eq!(&l1[..3], &[0x100_0000 + 512 * P, 0x100_0000 + 513 * P, 0]);
}

#[test]
fn chained_over_three_small_list_pages() {
    // List pages of 4 entries: 9 entries go 3 + ptr, 3 + ptr, 3.
    let (mut a, mut b, mut c) = ([0u64; 4], [0u64; 4], [0u64; 4]);
    let mut pages = [
        PrpListPage {
            addr: 0xa000,
            entries: &mut a,
        },
        PrpListPage {
            addr: 0xb000,
            entries: &mut b,
        },
        PrpListPage {
            addr: 0xc000,
            entries: &mut c,
        },
    ];
    let p = contiguous(0x10_0000, 10 * 4096, &mut pages).unwrap();
    assert_eq!((p.prp2, p.list_pages, p.list_entries), (0xa000, 3, 11));
    assert_eq!(a, [0x10_1000, 0x10_2000, 0x10_3000, 0xb000]);
    assert_eq!(b, [0x10_4000, 0x10_5000, 0x10_6000, 0xc000]);
    assert_eq!(c, [0x10_7000, 0x10_8000, 0x10_9000, 0]);
}

#[test]
fn list_page_never_crosses_a_memory_page() {
    // A list page starting 24 bytes before a page boundary holds 3 entries
    // however large its slice is.
    let mut a = [0u64; 64];
    let mut b = [0u64; 64];
    let mut pages = [
        PrpListPage {
            addr: 0x2fe8,
            entries: &mut a,
        },
        PrpListPage {
            addr: 0x5000,
            entries: &mut b,
        },
    ];
    let p = contiguous(0x10_0000, 5 * 4096, &mut pages).unwrap();
    assert_eq!((p.prp2, p.list_pages), (0x2fe8, 2));
    assert_eq!(&a[..4], &[0x10_1000, 0x10_2000, 0x5000, 0]);
    assert_eq!(&b[..3], &[0x10_3000, 0x10_4000, 0]);
}

#[test]
fn scattered_pages() {
    let frames = [0x7000u64, 0x3000, 0x9000, 0x1000];
    let mut list = [0u64; 8];
    let mut pages = [PrpListPage {
        addr: 0xf000,
        entries: &mut list,
    }];
    let p = Prps::scattered(
        0x7100,
        4 * 4096 - 0x100,
        PageSize::P4K,
        |i| frames[i],
        &mut pages[..],
    )
    .unwrap();
    assert_eq!((p.prp1, p.prp2), (0x7100, 0xf000));
    assert_eq!(&list[..4], &[0x3000, 0x9000, 0x1000, 0]);
}

#[test]
fn misaligned_middle_page_is_rejected() {
    let frames = [0x7000u64, 0x3000, 0x9008, 0x1000];
    let mut list = [0u64; 8];
    let mut pages = [PrpListPage {
        addr: 0xf000,
        entries: &mut list,
    }];
    let e = Prps::scattered(
        0x7000,
        4 * 4096,
        PageSize::P4K,
        |i| frames[i],
        &mut pages[..],
    )
    .unwrap_err();
    assert_eq!(
        e,
        PrpError::Misaligned {
            index: 2,
            addr: 0x9008,
            page_size: 4096
        }
    );
    assert!(e.to_string().contains("page 2"));
    // Also as PRP2 itself.
    let e = Prps::scattered(0x7000, 8192, PageSize::P4K, |_| 0x3010, &mut NoListPages).unwrap_err();
    assert!(matches!(e, PrpError::Misaligned { index: 1, .. }));
}

#[test]
fn unaligned_start_is_rejected() {
    let e = Prps::contiguous(0x1002, 16, PageSize::P4K, &mut NoListPages).unwrap_err();
    assert_eq!(e, PrpError::UnalignedStart { addr: 0x1002 });
}

#[test]
fn missing_or_bad_list_pages_are_rejected() {
    let e = Prps::contiguous(0x1000, 3 * 4096, PageSize::P4K, &mut NoListPages).unwrap_err();
    assert_eq!(e, PrpError::ListExhausted { index: 0 });

    let mut l0 = [0u64; 512];
    let mut one = [PrpListPage {
        addr: 0x800_0000,
        entries: &mut l0,
    }];
    let e = contiguous(0x100_0000, 514 * 4096, &mut one).unwrap_err();
    assert_eq!(e, PrpError::ListExhausted { index: 1 });

    let mut l = [0u64; 8];
    let mut bad = [PrpListPage {
        addr: 0x8004,
        entries: &mut l,
    }];
    let e = contiguous(0x1000, 3 * 4096, &mut bad).unwrap_err();
    assert_eq!(
        e,
        PrpError::BadListPage {
            index: 0,
            addr: 0x8004
        }
    );

    let mut l = [0u64; 8];
    let mut tiny = [PrpListPage {
        addr: 0x8ff8,
        entries: &mut l,
    }];
    let e = contiguous(0x1000, 3 * 4096, &mut tiny).unwrap_err();
    assert_eq!(
        e,
        PrpError::BadListPage {
            index: 0,
            addr: 0x8ff8
        }
    );
}

#[test]
fn address_overflow_is_rejected() {
    let e = Prps::contiguous(u64::MAX - 4095, 8192, PageSize::P4K, &mut NoListPages).unwrap_err();
    assert_eq!(e, PrpError::AddressOverflow);
}

#[test]
fn larger_memory_page() {
    let ps = PageSize::from_mps(4).unwrap(); // 64 KiB
    let p = Prps::contiguous(0x1_0000, 0x2_0000, ps, &mut NoListPages).unwrap();
    assert_eq!((p.prp1, p.prp2), (0x1_0000, 0x2_0000));
    // 4 KiB aligned is not 64 KiB aligned.
    let e = Prps::scattered(0x1_0000, 0x2_0000, ps, |_| 0x3_1000, &mut NoListPages).unwrap_err();
    assert!(matches!(
        e,
        PrpError::Misaligned {
            page_size: 0x1_0000,
            ..
        }
    ));
}

#[test]
fn apply_fills_dptr_and_selects_prps() {
    let mut sqe = Command::new(0x02, 1);
    sqe.cdw0.set_psdt(1);
    let p = Prps::contiguous(0x1800, 4096, PageSize::P4K, &mut NoListPages).unwrap();
    p.apply(&mut sqe);
    assert_eq!(sqe.dptr, [0x1800, 0x2000]);
    assert_eq!(sqe.cdw0.psdt(), 0);
}

#[test]
fn errors_convert_to_the_crate_error() {
    let e: nvmeq_core::Error = PrpError::ListExhausted { index: 1 }.into();
    assert_eq!(
        e,
        nvmeq_core::Error::Prp(PrpError::ListExhausted { index: 1 })
    );
    // The PRP error stays the source, not a flattened string.
    let src = std::error::Error::source(&e).expect("a source");
    assert_eq!(
        src.to_string(),
        PrpError::ListExhausted { index: 1 }.to_string()
    );
    assert!(e.to_string().starts_with("PRP: "));
}
