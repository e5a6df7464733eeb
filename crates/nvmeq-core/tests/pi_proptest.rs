//! Property tests of end-to-end protection: whatever the format, PI that
//! `generate` writes passes `verify`, and a flipped bit in the data, the
//! reference tag or the application tag is caught at its block and field.

use nvmeq_core::format::NsFormat;
use nvmeq_core::pi::{
    generate, verify, Pi, PiError, PiField, PiLocation, PiType, Pif, Prchk, Tags,
};
use proptest::prelude::*;

const LBA: u32 = 512;

fn format() -> impl Strategy<Value = NsFormat> {
    (
        prop_oneof![
            Just(PiType::Type1),
            Just(PiType::Type2),
            Just(PiType::Type3)
        ],
        prop_oneof![Just(Pif::Guard16), Just(Pif::Guard32), Just(Pif::Guard64)],
        any::<bool>(),
        any::<bool>(),
        0u16..3,
        0u8..=16,
    )
        .prop_map(|(ty, pif, first, extended, extra, sts)| {
            let sts = match pif {
                Pif::Guard32 => 16 + sts,
                _ => sts,
            };
            let loc = if first {
                PiLocation::First
            } else {
                PiLocation::Last
            };
            let pi = Pi::new(ty, pif).with_sts(sts).with_location(loc);
            // PI only, or with 8 or 16 bytes of user metadata beside it.
            let ms = pif.size() as u16 + 8 * extra;
            let f = if extended {
                NsFormat::extended(LBA, ms)
            } else {
                NsFormat::separate(LBA, ms)
            };
            f.with_pi(pi)
        })
}

/// Buffers for `n` blocks of `f`, filled from `seed`.
fn buffers(f: &NsFormat, n: usize, seed: u8) -> (Vec<u8>, Vec<u8>) {
    let fill = |len: usize, k: u8| -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed ^ k))
            .collect()
    };
    (
        fill(n * f.block_bytes as usize, 0),
        fill(n * f.meta_bytes as usize, 0x5a),
    )
}

/// Where block `b`'s tuple starts, in (data, meta).
fn tuple_at(f: &NsFormat, b: usize) -> (bool, usize) {
    let pi = f.pi.unwrap();
    let off = pi.offset(f.ms) as usize;
    if f.meta_bytes == 0 {
        (
            true,
            b * f.block_bytes as usize + f.lba_size() as usize + off,
        )
    } else {
        (false, b * f.ms as usize + off)
    }
}

proptest! {
    #[test]
    fn generated_pi_verifies(
        f in format(),
        n in 1usize..6,
        seed in any::<u8>(),
        ref_tag in any::<u64>(),
        app in 0u16..0xffff,
        storage in any::<u64>(),
    ) {
        let (mut d, mut m) = buffers(&f, n, seed);
        let tags = Tags::new(ref_tag).with_app(app, 0xffff).with_storage(storage);
        prop_assert_eq!(generate(&f, &mut d, &mut m, &tags), Ok(n as u32));
        prop_assert_eq!(verify(&f, &d, &m, &tags, Prchk::ALL), Ok(n as u32));
    }

    #[test]
    fn a_flipped_data_bit_is_a_guard_error_at_its_block(
        f in format(),
        n in 1usize..6,
        seed in any::<u8>(),
        app in 0u16..0xffff,
        pick in any::<prop::sample::Index>(),
        bit in 0u8..8,
    ) {
        let (mut d, mut m) = buffers(&f, n, seed);
        let tags = Tags::new(1000).with_app(app, 0xffff);
        generate(&f, &mut d, &mut m, &tags).unwrap();
        let blk = pick.index(n);
        let at = blk * f.block_bytes as usize + pick.index(LBA as usize);
        d[at] ^= 1 << bit;
        let r = verify(&f, &d, &m, &tags, Prchk::ALL);
        let is_guard_at_blk = matches!(
            r,
            Err(PiError::Mismatch { block, field: PiField::Guard, .. }) if block as usize == blk
        );
        prop_assert!(is_guard_at_blk, "{:?}", r);
        // The guard is the only check the data touches.
        prop_assert_eq!(
            verify(&f, &d, &m, &tags, Prchk::ALL.with_guard(false)),
            Ok(n as u32)
        );
    }

    #[test]
    fn a_wrong_ref_or_app_tag_is_named(
        f in format(),
        n in 1usize..6,
        app in 0u16..0xfffe,
        pick in any::<prop::sample::Index>(),
    ) {
        let (mut d, mut m) = buffers(&f, n, 3);
        let tags = Tags::new(77).with_app(app, 0xffff);
        generate(&f, &mut d, &mut m, &tags).unwrap();
        let blk = pick.index(n);
        let pi = f.pi.unwrap();
        let (in_data, at) = tuple_at(&f, blk);
        let buf = if in_data { &mut d } else { &mut m };
        // The last byte of the tuple is the reference tag's lowest byte.
        let ref_end = at + pi.size() as usize - 1;
        let app_at = at + pi.pif.guard_bits() as usize / 8;
        let mut bad_ref = buf.clone();
        bad_ref[ref_end] ^= 1;
        let mut bad_app = buf.clone();
        bad_app[app_at + 1] ^= 1;
        let check = |buf: &Vec<u8>| {
            if in_data {
                verify(&f, buf, &m, &tags, Prchk::ALL.with_guard(false))
            } else {
                verify(&f, &d, buf, &tags, Prchk::ALL.with_guard(false))
            }
        };
        let want_ref = match pi.pi_type {
            PiType::Type3 => 77,
            _ => (77 + blk as u64) & pi.ref_mask(),
        };
        prop_assert_eq!(
            check(&bad_ref),
            Err(PiError::Mismatch { block: blk as u32, field: PiField::RefTag, expected: want_ref, found: want_ref ^ 1 })
        );
        prop_assert_eq!(
            check(&bad_app),
            Err(PiError::Mismatch { block: blk as u32, field: PiField::AppTag, expected: app as u64, found: (app ^ 1) as u64 })
        );
    }
}
