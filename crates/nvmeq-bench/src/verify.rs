//! How a job's commands meet the namespace format ([`Io`]), and `--verify`:
//! writes carry contents that are a function of the LBA and the seed (and,
//! on a protected format, PI generated on the host, which the controller
//! checks), and a read of a unit this run has written checks them (and
//! the PI, on the host and with PRCHK on the controller).
//!
//! Because a block's contents depend only on its LBA, overlapping writes
//! and reads in flight together cannot make a correct device look wrong:
//! either copy of the block is the expected one.

use nvmeq_core::cmd::Prinfo;
use nvmeq_core::format::NsFormat;
use nvmeq_core::pi::{self, PiType, Prchk, TagDwords, Tags};

use crate::rng::SplitMix64;

/// The application tag `--verify` writes, checked under a full mask (not
/// FFFFh, which would switch checking off).
const APP_TAG: u16 = 0x6e71;

/// What the commands of a job look like on its namespace's format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Io {
    pub fmt: NsFormat,
    /// Bytes of the data buffer per block (LBA data, plus the metadata on an
    /// extended-LBA format unless PRACT strips it).
    pub unit: u32,
    /// Bytes of the separate metadata buffer per block (0: none moves).
    pub meta_unit: u32,
    /// PRINFO of the commands whose PI is checked (see [`Io::prinfo`]).
    prinfo: Prinfo,
    /// `--verify`: stamp writes, check reads of written units.
    pub verify: bool,
}

impl Io {
    /// The plan for `fmt`. Without `--verify`, a format whose metadata is
    /// only PI runs with PRACT (the controller inserts and strips it, no
    /// metadata moves); other metadata moves in buffers of its own. With
    /// `--verify`, a protected format gets host-generated PI that the
    /// controller checks on write and read (every field the type allows).
    pub fn plan(fmt: NsFormat, verify: bool) -> Io {
        let pract = fmt.pi_only() && !verify;
        let prinfo = match fmt.pi {
            _ if pract => Prinfo::new().with_pract(true),
            Some(p) if verify => prchk(p.pi_type).prinfo(),
            _ => Prinfo::new(),
        };
        let unit = if pract {
            fmt.lba_size()
        } else {
            fmt.block_bytes
        };
        Io {
            fmt,
            unit,
            meta_unit: if pract { 0 } else { fmt.meta_bytes },
            prinfo,
            verify,
        }
    }

    /// PRINFO of a command: PRACT or nothing without `--verify`; with it,
    /// the checks of a write or a read of blocks this run wrote (`checked`),
    /// none for a read of others, whose PI this run did not write.
    pub fn prinfo(&self, checked: bool) -> Prinfo {
        if self.verify && !checked {
            Prinfo::new()
        } else {
            self.prinfo
        }
    }

    /// The tag dwords of a command at `slba` (none without PI).
    pub fn tag_dwords(&self, slba: u64) -> TagDwords {
        match self.fmt.pi {
            Some(p) if self.verify => p.tag_dwords(&self.tags(slba)),
            _ => TagDwords::default(),
        }
    }

    fn tags(&self, slba: u64) -> Tags {
        let ref_tag = match self.fmt.pi {
            Some(p) if p.pi_type != PiType::Type3 => p.ref_tag_for_lba(slba),
            _ => 0,
        };
        Tags::new(ref_tag).with_app(APP_TAG, 0xffff)
    }

    /// Fills a write's buffers for the blocks from `slba` (`--verify` only).
    pub fn fill(&self, seed: u64, slba: u64, data: &mut [u8], meta: &mut [u8]) {
        let lba = self.fmt.lba_size() as usize;
        for (i, blk) in data.chunks_exact_mut(self.unit as usize).enumerate() {
            fill_block(seed, slba + i as u64, &mut blk[..lba]);
        }
        if self.fmt.pi.is_some() {
            // Cannot fail: the buffers were sized from this format.
            let _ = pi::generate(&self.fmt, data, meta, &self.tags(slba));
        }
    }

    /// Checks a read of the blocks from `slba`: the contents `fill` wrote,
    /// then the PI; names the first block and what differs.
    pub fn check(&self, seed: u64, slba: u64, data: &[u8], meta: &[u8]) -> Result<(), String> {
        let lba = self.fmt.lba_size() as usize;
        let mut want = [0u8; 8];
        for (i, blk) in data.chunks_exact(self.unit as usize).enumerate() {
            let at = slba + i as u64;
            let mut r = block_rng(seed, at);
            for (j, got) in blk[..lba].chunks(8).enumerate() {
                want.copy_from_slice(&r.next_u64().to_le_bytes());
                if got != &want[..got.len()] {
                    return Err(format!(
                        "LBA {at}: the data read differs from what was written, from byte {}",
                        j * 8
                    ));
                }
            }
        }
        if let Some(p) = self.fmt.pi {
            pi::verify(&self.fmt, data, meta, &self.tags(slba), prchk(p.pi_type))
                .map_err(|e| format!("LBA {slba} on: {e}"))?;
        }
        Ok(())
    }
}

/// The checks a type allows: Type 3 has no reference tag to check.
fn prchk(t: PiType) -> Prchk {
    Prchk::ALL.with_ref_tag(t != PiType::Type3)
}

fn block_rng(seed: u64, lba: u64) -> SplitMix64 {
    SplitMix64::new(seed ^ lba.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn fill_block(seed: u64, lba: u64, blk: &mut [u8]) {
    let mut r = block_rng(seed, lba);
    for chunk in blk.chunks_mut(8) {
        chunk.copy_from_slice(&r.next_u64().to_le_bytes()[..chunk.len()]);
    }
}

/// Which units this run has written (set when the write completes), so a
/// read checks only what it can know. Allocated before the loop.
pub(crate) struct Written(Vec<u64>);

impl Written {
    pub fn new(units: u64, verify: bool) -> Written {
        Written(if verify {
            vec![0; units.div_ceil(64) as usize]
        } else {
            Vec::new()
        })
    }

    pub fn set(&mut self, unit: u64) {
        if let Some(w) = self.0.get_mut((unit / 64) as usize) {
            *w |= 1 << (unit % 64);
        }
    }

    pub fn get(&self, unit: u64) -> bool {
        self.0
            .get((unit / 64) as usize)
            .is_some_and(|w| w & (1 << (unit % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::pi::{Pi, Pif};

    #[test]
    fn plans_follow_the_format() {
        let plain = Io::plan(NsFormat::separate(4096, 0), true);
        assert_eq!((plain.unit, plain.meta_unit), (4096, 0));
        assert_eq!(plain.prinfo(true), Prinfo::new());
        let pi1 = NsFormat::separate(512, 8).with_pi(Pi::new(PiType::Type1, Pif::Guard16));
        // PI only, no --verify: PRACT, nothing moves but the data.
        let p = Io::plan(pi1, false);
        assert_eq!(
            (p.unit, p.meta_unit, p.prinfo(false).pract()),
            (512, 0, true)
        );
        // --verify: host PI, every check.
        let p = Io::plan(pi1, true);
        assert_eq!((p.unit, p.meta_unit), (512, 8));
        assert_eq!(p.prinfo(true).into_bits(), 0x7);
        assert_eq!(p.prinfo(false).into_bits(), 0);
        let pi3 = NsFormat::extended(4096, 8).with_pi(Pi::new(PiType::Type3, Pif::Guard16));
        let p = Io::plan(pi3, true);
        assert_eq!(
            (p.unit, p.meta_unit, p.prinfo(true).into_bits()),
            (4104, 0, 0x6)
        );
        // Metadata that is not PI moves in its own buffer.
        let m = Io::plan(NsFormat::separate(4096, 64), false);
        assert_eq!((m.unit, m.meta_unit), (4096, 64));
    }

    #[test]
    fn what_is_filled_checks_and_a_flipped_bit_is_named() {
        for (fmt, n) in [
            (NsFormat::separate(4096, 0), 2usize),
            (
                NsFormat::separate(512, 8).with_pi(Pi::new(PiType::Type1, Pif::Guard16)),
                8,
            ),
            (
                NsFormat::separate(4096, 16).with_pi(Pi::new(PiType::Type2, Pif::Guard64)),
                1,
            ),
            (
                NsFormat::extended(4096, 8).with_pi(Pi::new(PiType::Type3, Pif::Guard16)),
                2,
            ),
        ] {
            let io = Io::plan(fmt, true);
            let mut d = vec![0; n * io.unit as usize];
            let mut m = vec![0; n * io.meta_unit as usize];
            io.fill(7, 100, &mut d, &mut m);
            io.check(7, 100, &d, &m).unwrap();
            // Another LBA's contents (or seed) do not pass.
            assert!(io.check(7, 101, &d, &m).is_err());
            assert!(io.check(8, 100, &d, &m).is_err());
            d[io.unit as usize * (n - 1) + 9] ^= 1;
            let e = io.check(7, 100, &d, &m).unwrap_err();
            assert!(e.contains(&format!("LBA {}", 100 + n - 1)), "{e}");
            if io.fmt.pi.is_some() {
                // Data as written, PI corrupted: the PI check names it.
                d[io.unit as usize * (n - 1) + 9] ^= 1;
                if io.meta_unit > 0 {
                    m[0] ^= 1;
                } else {
                    d[4096] ^= 1;
                }
                let e = io.check(7, 100, &d, &m).unwrap_err();
                assert!(e.contains("guard"), "{e}");
            }
        }
    }

    #[test]
    fn written_units() {
        let mut w = Written::new(130, true);
        assert!(!w.get(129));
        w.set(129);
        w.set(0);
        assert!(w.get(129) && w.get(0) && !w.get(1));
        // Without --verify nothing is kept, and nothing reads as written.
        let mut w = Written::new(130, false);
        w.set(5);
        assert!(!w.get(5));
    }
}
