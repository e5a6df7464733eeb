//! Host-side PI generation and checking over a command's buffers (NVM
//! Command Set spec 1.0, 5.2.2 "Control of Protection Information Checking":
//! the checks PRCHK selects and the escapes that disable them).

use super::tuple::{self, Fields};
use super::{Pi, PiBuffer, PiError, PiField, PiType, Prchk, Tags};
use crate::format::NsFormat;

/// Where each block's data and tuple sit in the buffers.
#[derive(Clone, Copy)]
struct Layout {
    pi: Pi,
    /// LBA data size.
    lba: usize,
    /// Metadata bytes per block.
    ms: usize,
    /// Tuple offset in the metadata (metadata bytes the guard covers).
    off: usize,
    extended: bool,
}

impl Layout {
    fn of(fmt: &NsFormat) -> Result<Layout, PiError> {
        let pi = fmt.pi.ok_or(PiError::NotProtected)?;
        pi.check(fmt.ms)?;
        Ok(Layout {
            pi,
            lba: fmt.lba_size() as usize,
            ms: fmt.ms as usize,
            off: pi.offset(fmt.ms) as usize,
            extended: fmt.meta_bytes == 0,
        })
    }

    /// The number of blocks the buffers hold, checked to agree.
    fn blocks(&self, data: usize, meta: usize) -> Result<u32, PiError> {
        let per = if self.extended {
            self.lba + self.ms
        } else {
            self.lba
        };
        let bad = |buffer, len, blocks, per_block: usize| PiError::BadLength {
            buffer,
            len,
            blocks,
            per_block: per_block as u32,
        };
        let n = data / per;
        let n32 = u32::try_from(n).map_err(|_| bad(PiBuffer::Data, data, u32::MAX, per))?;
        if data % per != 0 {
            return Err(bad(PiBuffer::Data, data, n32 + 1, per));
        }
        let meta_per = if self.extended { 0 } else { self.ms };
        if meta != n * meta_per {
            return Err(bad(PiBuffer::Metadata, meta, n32, meta_per));
        }
        Ok(n32)
    }

    /// The reference tag block `i` carries: counting up for Types 1 and 2,
    /// the same for every block for Type 3.
    fn ref_tag(&self, tags: &Tags, i: u32) -> u64 {
        let step = match self.pi.pi_type {
            PiType::Type3 => 0,
            PiType::Type1 | PiType::Type2 => i as u64,
        };
        tags.ref_tag.wrapping_add(step) & self.pi.ref_mask()
    }

    fn space(&self, ref_tag: u64, storage: u64) -> u128 {
        let st = (storage & self.pi.storage_mask()) as u128;
        (st << self.pi.ref_bits()) | ref_tag as u128
    }
}

/// Fills in the PI of every block in `data` (and `meta`, for a format with
/// separate metadata; empty for an extended-LBA format, whose tuples are in
/// `data`) for the namespace format `fmt`: the guard from each block's data
/// (and the metadata before the tuple), the application tag, the storage
/// tag, and the reference tag counting from `tags.ref_tag` as the type says.
/// Returns the number of blocks.
///
/// Other metadata bytes are left as they are. Fails without writing if the
/// format has no PI or the buffers do not hold the same whole number of blocks.
pub fn generate(
    fmt: &NsFormat,
    data: &mut [u8],
    meta: &mut [u8],
    tags: &Tags,
) -> Result<u32, PiError> {
    let l = Layout::of(fmt)?;
    let n = l.blocks(data.len(), meta.len())?;
    let storage = tags.storage_tag.unwrap_or(0);
    let pif = l.pi.pif;
    let put = |i: u32, guard: u64, m: &mut [u8]| {
        let f = Fields {
            guard,
            app_tag: tags.app_tag,
            space: l.space(l.ref_tag(tags, i), storage),
        };
        // Cannot fail: Pi::check put the tuple inside MS.
        let _ = tuple::write(pif, &mut m[l.off..], f);
    };
    if l.extended {
        for (i, blk) in (0..n).zip(data.chunks_exact_mut(l.lba + l.ms)) {
            // Data and the metadata before the tuple are contiguous here.
            let guard = pif.guard(&blk[..l.lba + l.off], &[]);
            put(i, guard, &mut blk[l.lba..]);
        }
    } else {
        let blocks = data.chunks_exact(l.lba).zip(meta.chunks_exact_mut(l.ms));
        for (i, (d, m)) in (0..n).zip(blocks) {
            let guard = pif.guard(d, &m[..l.off]);
            put(i, guard, m);
        }
    }
    Ok(n)
}

/// Checks the PI of every block in `data` (and `meta`, as for [`generate`])
/// against the format `fmt`, the first block's `tags` and the fields
/// `prchk` selects, plus the storage tag when `tags.storage_tag` is set.
/// Returns the number of blocks, or the first block and field that failed
/// (checked in the order guard, application tag, reference tag, storage tag).
///
/// As the spec says, a block is not checked at all when its application tag
/// is FFFFh (Types 1 and 2), or when its application tag is FFFFh and its
/// reference tag all ones (Type 3); this is how unwritten blocks read back.
pub fn verify(
    fmt: &NsFormat,
    data: &[u8],
    meta: &[u8],
    tags: &Tags,
    prchk: Prchk,
) -> Result<u32, PiError> {
    let l = Layout::of(fmt)?;
    let n = l.blocks(data.len(), meta.len())?;
    if l.extended {
        for (i, blk) in (0..n).zip(data.chunks_exact(l.lba + l.ms)) {
            let (covered, rest) = blk.split_at(l.lba + l.off);
            check_block(&l, tags, prchk, i, covered, &[], rest)?;
        }
    } else {
        let blocks = data.chunks_exact(l.lba).zip(meta.chunks_exact(l.ms));
        for (i, (d, m)) in (0..n).zip(blocks) {
            check_block(&l, tags, prchk, i, d, &m[..l.off], &m[l.off..])?;
        }
    }
    Ok(n)
}

/// Checks block `i`, whose guard covers `data` then `prefix` and whose tuple
/// starts `tuple`.
#[inline]
fn check_block(
    l: &Layout,
    tags: &Tags,
    prchk: Prchk,
    i: u32,
    data: &[u8],
    prefix: &[u8],
    tuple: &[u8],
) -> Result<(), PiError> {
    let pi = &l.pi;
    // Cannot fail: Pi::check put the tuple inside MS.
    let Some(f) = tuple::read(pi.pif, tuple) else {
        return Ok(());
    };
    let ref_found = (f.space & pi.ref_mask() as u128) as u64;
    let escaped =
        f.app_tag == 0xffff && (pi.pi_type != PiType::Type3 || ref_found == pi.ref_mask());
    if escaped {
        return Ok(());
    }
    let fail = |field, expected, found| {
        Err(PiError::Mismatch {
            block: i,
            field,
            expected,
            found,
        })
    };
    if prchk.guard() {
        let g = pi.pif.guard(data, prefix);
        if g != f.guard {
            return fail(PiField::Guard, g, f.guard);
        }
    }
    if prchk.app_tag() {
        let (want, got) = (tags.app_tag & tags.app_mask, f.app_tag & tags.app_mask);
        if want != got {
            return fail(PiField::AppTag, want as u64, got as u64);
        }
    }
    if prchk.ref_tag() {
        let want = l.ref_tag(tags, i);
        if want != ref_found {
            return fail(PiField::RefTag, want, ref_found);
        }
    }
    if let Some(st) = tags.storage_tag {
        let smask = pi.storage_mask();
        let got = (f.space >> pi.ref_bits()) as u64 & smask;
        if pi.sts > 0 && got != st & smask {
            return fail(PiField::StorageTag, st & smask, got);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pi::{PiLocation, Pif};

    const T1: Pi = Pi::new(PiType::Type1, Pif::Guard16);

    fn data(n: usize, lba: usize) -> [u8; 4 * 528] {
        let mut d = [0u8; 4 * 528];
        for (i, b) in d[..n * lba].iter_mut().enumerate() {
            *b = (i * 31 + 7) as u8;
        }
        d
    }

    #[test]
    fn separate_type1_round_trip_and_each_field_named() {
        let fmt = NsFormat::separate(512, 8).with_pi(T1);
        let mut d = data(4, 512);
        let d = &mut d[..2048];
        let mut m = [0u8; 32];
        let tags = Tags::new(100).with_app(0x1234, 0xffff);
        assert_eq!(generate(&fmt, d, &mut m, &tags), Ok(4));
        assert_eq!(verify(&fmt, d, &m, &tags, Prchk::ALL), Ok(4));
        // Block 2's tuple: guard of its data, app tag, reference tag 102.
        let g = crate::pi::crc16_t10dif(&d[1024..1536]);
        assert_eq!(
            m[16..24],
            [(g >> 8) as u8, g as u8, 0x12, 0x34, 0, 0, 0, 102]
        );

        d[1100] ^= 1;
        let g2 = crate::pi::crc16_t10dif(&d[1024..1536]) as u64;
        assert_eq!(
            verify(&fmt, d, &m, &tags, Prchk::ALL),
            Err(PiError::Mismatch {
                block: 2,
                field: PiField::Guard,
                expected: g2,
                found: g as u64
            })
        );
        // Without the guard check the bad data passes.
        let no_guard = Prchk::ALL.with_guard(false);
        assert_eq!(verify(&fmt, d, &m, &tags, no_guard), Ok(4));
        d[1100] ^= 1;

        let other_app = Tags::new(100).with_app(0x1235, 0xffff);
        assert_eq!(
            verify(&fmt, d, &m, &other_app, Prchk::ALL),
            Err(PiError::Mismatch {
                block: 0,
                field: PiField::AppTag,
                expected: 0x1235,
                found: 0x1234
            })
        );
        // The mask hides the differing bit.
        let masked = Tags::new(100).with_app(0x1235, 0xfff0);
        assert_eq!(verify(&fmt, d, &m, &masked, Prchk::ALL), Ok(4));

        assert_eq!(
            verify(
                &fmt,
                d,
                &m,
                &Tags::new(101).with_app(0x1234, 0xffff),
                Prchk::ALL
            ),
            Err(PiError::Mismatch {
                block: 0,
                field: PiField::RefTag,
                expected: 101,
                found: 100
            })
        );
    }

    #[test]
    fn app_tag_ffff_escapes_types_1_and_2_but_type_3_needs_the_ref_tag_too() {
        for ty in [PiType::Type1, PiType::Type2, PiType::Type3] {
            let fmt = NsFormat::separate(512, 8).with_pi(Pi::new(ty, Pif::Guard16));
            let d = [0u8; 512];
            // Garbage guard and ref tag, app tag FFFFh.
            let mut m = [0x55, 0x55, 0xff, 0xff, 1, 2, 3, 4];
            let r = verify(&fmt, &d, &m, &Tags::new(0), Prchk::ALL);
            if ty == PiType::Type3 {
                assert!(matches!(
                    r,
                    Err(PiError::Mismatch {
                        field: PiField::Guard,
                        ..
                    })
                ));
                m[4..].fill(0xff);
                assert_eq!(verify(&fmt, &d, &m, &Tags::new(0), Prchk::ALL), Ok(1));
            } else {
                assert_eq!(r, Ok(1), "{ty:?}");
            }
        }
    }

    #[test]
    fn type3_does_not_count_the_ref_tag() {
        let fmt = NsFormat::separate(512, 8).with_pi(Pi::new(PiType::Type3, Pif::Guard16));
        let d = [9u8; 1024];
        let mut m = [0u8; 16];
        generate(&fmt, &mut d.clone(), &mut m, &Tags::new(7)).unwrap();
        assert_eq!(m[4..8], [0, 0, 0, 7]);
        assert_eq!(m[12..16], [0, 0, 0, 7]);
        assert_eq!(verify(&fmt, &d, &m, &Tags::new(7), Prchk::ALL), Ok(2));
    }

    #[test]
    fn pi_last_in_larger_metadata_guards_the_bytes_before_it() {
        // 16 bytes of metadata, tuple in the last 8: the guard covers the
        // data and metadata bytes 0..8.
        let fmt = NsFormat::separate(512, 16).with_pi(T1);
        let d = [3u8; 512];
        let mut m = [0xa5u8; 16];
        generate(&fmt, &mut d.clone(), &mut m, &Tags::new(0)).unwrap();
        assert_eq!(m[..8], [0xa5; 8], "user metadata kept");
        let g = crate::pi::Pif::Guard16.guard(&d, &[0xa5; 8]) as u16;
        assert_eq!(m[8..10], g.to_be_bytes());
        m[3] = 0;
        assert!(matches!(
            verify(&fmt, &d, &m, &Tags::new(0), Prchk::ALL),
            Err(PiError::Mismatch {
                field: PiField::Guard,
                ..
            })
        ));
        // First: the guard ignores the rest of the metadata.
        let first = NsFormat::separate(512, 16).with_pi(T1.with_location(PiLocation::First));
        let mut m = [0xa5u8; 16];
        generate(&first, &mut d.clone(), &mut m, &Tags::new(0)).unwrap();
        assert_eq!(m[8..], [0xa5; 8]);
        m[12] = 0;
        assert_eq!(verify(&first, &d, &m, &Tags::new(0), Prchk::ALL), Ok(1));
    }

    #[test]
    fn extended_lba_round_trip_all_formats() {
        for (pif, ms) in [(Pif::Guard16, 8u16), (Pif::Guard32, 16), (Pif::Guard64, 16)] {
            let sts = if pif == Pif::Guard32 { 16 } else { 0 };
            let pi = Pi::new(PiType::Type2, pif).with_sts(sts);
            let fmt = NsFormat::extended(512, ms).with_pi(pi);
            let bb = 512 + ms as usize;
            let mut buf = data(4, bb);
            let buf = &mut buf[..4 * bb];
            let tags = Tags::new(0xffff_fffe)
                .with_app(1, 0xffff)
                .with_storage(0xabcd);
            assert_eq!(generate(&fmt, buf, &mut [], &tags), Ok(4), "{pif:?}");
            assert_eq!(verify(&fmt, buf, &[], &tags, Prchk::ALL), Ok(4), "{pif:?}");
            let wrong_st = Tags {
                storage_tag: Some(0xabce),
                ..tags
            };
            let r = verify(&fmt, buf, &[], &wrong_st, Prchk::ALL);
            if sts > 0 {
                assert_eq!(
                    r,
                    Err(PiError::Mismatch {
                        block: 0,
                        field: PiField::StorageTag,
                        expected: 0xabce,
                        found: 0xabcd
                    })
                );
            } else {
                assert_eq!(r, Ok(4), "no storage tag bits to compare");
            }
            // The reference tag wraps at the format's width.
            let refs: [u64; 4] = match pif {
                Pif::Guard16 => [0xffff_fffe, 0xffff_ffff, 0, 1],
                _ => [0xffff_fffe, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001],
            };
            let l = Layout::of(&fmt).unwrap();
            for (i, want) in refs.iter().enumerate() {
                assert_eq!(l.ref_tag(&tags, i as u32), *want);
            }
        }
    }

    #[test]
    fn bad_buffers_and_formats_are_named() {
        let fmt = NsFormat::separate(512, 8).with_pi(T1);
        assert_eq!(
            verify(&fmt, &[0; 1000], &[0; 8], &Tags::new(0), Prchk::ALL),
            Err(PiError::BadLength {
                buffer: PiBuffer::Data,
                len: 1000,
                blocks: 2,
                per_block: 512
            })
        );
        assert_eq!(
            verify(&fmt, &[0; 1024], &[0; 8], &Tags::new(0), Prchk::ALL),
            Err(PiError::BadLength {
                buffer: PiBuffer::Metadata,
                len: 8,
                blocks: 2,
                per_block: 8
            })
        );
        let ext = NsFormat::extended(512, 8).with_pi(T1);
        assert!(matches!(
            generate(&ext, &mut [0; 520], &mut [0; 8], &Tags::new(0)),
            Err(PiError::BadLength {
                buffer: PiBuffer::Metadata,
                ..
            })
        ));
        assert_eq!(
            verify(
                &NsFormat::separate(512, 8),
                &[0; 512],
                &[0; 8],
                &Tags::new(0),
                Prchk::ALL
            ),
            Err(PiError::NotProtected)
        );
        let small = NsFormat::separate(512, 8).with_pi(Pi::new(PiType::Type1, Pif::Guard64));
        assert_eq!(
            verify(&small, &[0; 512], &[0; 8], &Tags::new(0), Prchk::ALL),
            Err(PiError::MetadataTooSmall { ms: 8, need: 16 })
        );
        let sts = NsFormat::separate(512, 16).with_pi(Pi::new(PiType::Type1, Pif::Guard32));
        assert_eq!(
            verify(&sts, &[0; 512], &[0; 16], &Tags::new(0), Prchk::ALL),
            Err(PiError::BadStorageTagSize {
                sts: 0,
                pif: Pif::Guard32
            })
        );
    }
}
