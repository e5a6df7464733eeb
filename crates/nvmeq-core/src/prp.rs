//! Physical Region Page (PRP) math: NVMe Base Specification, "Physical
//! Region Page Entry and List" (and the "Data Pointer (DPTR)" field of the
//! common command format).
//!
//! A transfer of `len` bytes starting at bus address `addr` (an IOVA under
//! VFIO) touches `n` memory pages of the controller's page size (CC.MPS).
//! PRP1 is `addr` itself and may carry an offset into its page; every later
//! page must be page aligned. With `n == 1` PRP2 is unused, with `n == 2` it
//! is the second page, and with more it points to a PRP list: page-sized
//! arrays of 8-byte entries in host memory. When a list page fills up and
//! entries remain, its last entry points to the next list page instead.
//!
//! Nothing here allocates or touches device memory: the caller supplies the
//! list pages ([`PrpListPages`], e.g. one preallocated page per command slot
//! plus spares for chaining) and gets the values for PRP1/PRP2 back.
//!
//! ```
//! use nvmeq_core::prp::{PageSize, PrpListPage, Prps};
//! // A 16 KiB transfer from a contiguous DMA buffer at IOVA 0x10_0000.
//! let mut list = [0u64; 512];
//! let mut pages = [PrpListPage { addr: 0x20_0000, entries: &mut list }];
//! let p = Prps::contiguous(0x10_0000, 16384, PageSize::P4K, &mut pages[..]).unwrap();
//! assert_eq!((p.prp1, p.prp2), (0x10_0000, 0x20_0000));
//! assert_eq!(&list[..3], &[0x10_1000, 0x10_2000, 0x10_3000]);
//! ```

use crate::sqe::Command;

/// The controller's memory page size: 2^(12 + CC.MPS) bytes, 4 KiB to 128 MiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageSize {
    shift: u8,
}

impl PageSize {
    /// 4 KiB (CC.MPS = 0), what every controller supports.
    pub const P4K: PageSize = PageSize { shift: 12 };

    /// The page size CC.MPS selects; `None` above 15 (the field has 4 bits).
    pub const fn from_mps(mps: u8) -> Option<PageSize> {
        if mps > 15 {
            None
        } else {
            Some(PageSize { shift: 12 + mps })
        }
    }

    /// The page size of `bytes`, a power of two from 4 KiB to 128 MiB.
    pub const fn from_bytes(bytes: u32) -> Option<PageSize> {
        if !bytes.is_power_of_two() {
            return None;
        }
        Self::from_mps((bytes.trailing_zeros() as u8).wrapping_sub(12))
    }

    /// The CC.MPS value.
    pub const fn mps(self) -> u8 {
        self.shift - 12
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u32 {
        1 << self.shift
    }

    /// PRP entries in one page-aligned list page.
    pub const fn entries_per_page(self) -> usize {
        (self.bytes() / 8) as usize
    }

    const fn mask(self) -> u64 {
        self.bytes() as u64 - 1
    }
}

/// Why PRPs could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PrpError {
    /// PRP1's offset must be dword aligned (bits 1:0 clear).
    #[error("the transfer starts at {addr:#x}, which is not dword aligned (PRP offsets must be)")]
    UnalignedStart {
        /// The start address.
        addr: u64,
    },
    /// A page after the first is not aligned to the memory page size.
    #[error(
        "page {index} of the transfer is at {addr:#x}, not aligned to the {page_size}-byte memory page"
    )]
    Misaligned {
        /// Which page of the transfer (1 is the second).
        index: usize,
        /// Its address.
        addr: u64,
        /// The memory page size.
        page_size: u32,
    },
    /// A list page is not qword aligned or holds fewer than two entries.
    #[error(
        "PRP list page {index} at {addr:#x} is not qword aligned or holds fewer than 2 entries"
    )]
    BadListPage {
        /// Which list page.
        index: usize,
        /// Its address.
        addr: u64,
    },
    /// The transfer needs more list pages than were supplied.
    #[error("the transfer needs PRP list page {index} but only {index} were supplied")]
    ListExhausted {
        /// The first missing list page.
        index: usize,
    },
    /// The buffer's pages run past the end of the 64-bit address space.
    #[error("the transfer's addresses overflow 64 bits")]
    AddressOverflow,
}

/// Where PRP lists go: the bus address and the memory of list pages, by
/// index (0 is the page PRP2 points to; later ones are chained).
///
/// Entries are written as native `u64`s, which are little-endian on every
/// target this crate builds for.
pub trait PrpListPages {
    /// The bus address of list page `index` (qword aligned), or `None` when
    /// there is no such page.
    fn addr(&self, index: usize) -> Option<u64>;
    /// The entries of list page `index`.
    fn entries(&mut self, index: usize) -> Option<&mut [u64]>;
}

/// One list page: its bus address and its memory.
#[derive(Debug)]
pub struct PrpListPage<'a> {
    /// Bus address (IOVA) of `entries[0]`.
    pub addr: u64,
    /// The page's memory.
    pub entries: &'a mut [u64],
}

impl PrpListPages for [PrpListPage<'_>] {
    fn addr(&self, index: usize) -> Option<u64> {
        self.get(index).map(|p| p.addr)
    }
    fn entries(&mut self, index: usize) -> Option<&mut [u64]> {
        self.get_mut(index).map(|p| &mut *p.entries)
    }
}

impl PrpListPages for PrpListPage<'_> {
    fn addr(&self, index: usize) -> Option<u64> {
        (index == 0).then_some(self.addr)
    }
    fn entries(&mut self, index: usize) -> Option<&mut [u64]> {
        (index == 0).then_some(&mut *self.entries)
    }
}

/// No list pages: for transfers known to span at most two memory pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoListPages;

impl PrpListPages for NoListPages {
    fn addr(&self, _: usize) -> Option<u64> {
        None
    }
    fn entries(&mut self, _: usize) -> Option<&mut [u64]> {
        None
    }
}

/// The PRP entries of one transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prps {
    /// PRP Entry 1: the first byte's address (0 for no data).
    pub prp1: u64,
    /// PRP Entry 2: unused (0), the second page, or the first list page.
    pub prp2: u64,
    /// List pages used (0 when PRP2 is not a list pointer).
    pub list_pages: usize,
    /// Entries written to list pages, chain pointers included.
    pub list_entries: usize,
}

impl Prps {
    /// The memory pages (PRP entries) a transfer of `len` bytes at `addr` spans.
    pub const fn pages(addr: u64, len: u32, ps: PageSize) -> usize {
        if len == 0 {
            return 0;
        }
        let off = addr & ps.mask();
        let span = off + len as u64;
        span.div_ceil(ps.bytes() as u64) as usize
    }

    /// How many page-aligned, page-sized list pages the transfer needs.
    pub const fn list_pages_needed(addr: u64, len: u32, ps: PageSize) -> usize {
        let n = Self::pages(addr, len, ps);
        if n <= 2 {
            return 0;
        }
        // k chained pages hold k * (cap - 1) + 1 entries.
        let cap = ps.entries_per_page();
        (n - 2).div_ceil(cap - 1)
    }

    /// PRPs for a buffer contiguous in bus address space (a VFIO DMA mapping):
    /// `len` bytes from `addr`.
    pub fn contiguous<L: PrpListPages + ?Sized>(
        addr: u64,
        len: u32,
        ps: PageSize,
        lists: &mut L,
    ) -> Result<Prps, PrpError> {
        let base = addr & !ps.mask();
        // The last page's address must not overflow; checked once here.
        let pages = Self::pages(addr, len, ps) as u64;
        if pages > 0 {
            base.checked_add((pages - 1) << ps.shift)
                .ok_or(PrpError::AddressOverflow)?;
        }
        Self::scattered(addr, len, ps, |i| base + ((i as u64) << ps.shift), lists)
    }

    /// PRPs for a buffer whose pages are scattered: `addr` is the first
    /// byte's address (with any offset into its page) and `page_addr(i)` the
    /// address of the buffer's page `i` for `i >= 1`, which must be page
    /// aligned.
    pub fn scattered<L: PrpListPages + ?Sized>(
        addr: u64,
        len: u32,
        ps: PageSize,
        mut page_addr: impl FnMut(usize) -> u64,
        lists: &mut L,
    ) -> Result<Prps, PrpError> {
        if len == 0 {
            return Ok(Prps::default());
        }
        if addr & 3 != 0 {
            return Err(PrpError::UnalignedStart { addr });
        }
        let n = Self::pages(addr, len, ps);
        let mut entry = |index: usize| {
            let a = page_addr(index);
            if a & ps.mask() != 0 {
                return Err(PrpError::Misaligned {
                    index,
                    addr: a,
                    page_size: ps.bytes(),
                });
            }
            Ok(a)
        };
        let mut out = Prps {
            prp1: addr,
            ..Prps::default()
        };
        match n {
            1 => return Ok(out),
            2 => {
                out.prp2 = entry(1)?;
                return Ok(out);
            }
            _ => {}
        }
        // A PRP list: entries 1..n go to list pages, chained when full.
        let mut page = 0;
        let mut cap = list_capacity(lists, page, ps)?;
        out.prp2 = lists.addr(0).ok_or(PrpError::ListExhausted { index: 0 })?;
        out.list_pages = 1;
        let mut slot = 0;
        let mut i = 1;
        while i < n {
            if slot == cap - 1 && n - i > 1 {
                // The last slot of a full page, with more than one entry to
                // go: it points to the next list page.
                page += 1;
                let next = lists
                    .addr(page)
                    .ok_or(PrpError::ListExhausted { index: page })?;
                let next_cap = list_capacity(lists, page, ps)?;
                write_entry(lists, page - 1, slot, next)?;
                out.list_entries += 1;
                out.list_pages += 1;
                cap = next_cap;
                slot = 0;
                continue;
            }
            write_entry(lists, page, slot, entry(i)?)?;
            out.list_entries += 1;
            slot += 1;
            i += 1;
        }
        Ok(out)
    }

    /// Puts PRP1/PRP2 in a command's data pointer and selects PRPs (PSDT 0).
    pub fn apply(&self, sqe: &mut Command) {
        sqe.dptr = [self.prp1, self.prp2];
        sqe.cdw0.set_psdt(0);
    }
}

/// Entries list page `index` can hold: qword aligned, never crossing a
/// memory page boundary (a list page may start at an offset), at least two.
fn list_capacity<L: PrpListPages + ?Sized>(
    lists: &mut L,
    index: usize,
    ps: PageSize,
) -> Result<usize, PrpError> {
    let addr = lists.addr(index).ok_or(PrpError::ListExhausted { index })?;
    let len = lists
        .entries(index)
        .ok_or(PrpError::ListExhausted { index })?
        .len();
    let in_page = ((ps.bytes() as u64 - (addr & ps.mask())) / 8) as usize;
    let cap = len.min(in_page);
    if addr & 7 != 0 || cap < 2 {
        return Err(PrpError::BadListPage { index, addr });
    }
    Ok(cap)
}

fn write_entry<L: PrpListPages + ?Sized>(
    lists: &mut L,
    page: usize,
    slot: usize,
    value: u64,
) -> Result<(), PrpError> {
    let e = lists
        .entries(page)
        .and_then(|e| e.get_mut(slot))
        .ok_or(PrpError::ListExhausted { index: page })?;
    *e = value;
    Ok(())
}
