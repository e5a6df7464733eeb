//! The soak on the in-memory controller: a clean run passes with every
//! block checked, and blocks changed behind its back are reported as
//! mismatches with their LBAs. Runs with `--features ram`.

use std::time::Duration;

use nvmeq_core::cmd::Write;
use nvmeq_core::pi::{Pi, PiType, Pif};
use nvmeq_core::{Backend, Data};
use nvmeq_hwtest::pattern::{stamp, Stamp};
use nvmeq_hwtest::soak::model::Block;
use nvmeq_hwtest::soak::stats::Kind;
use nvmeq_hwtest::soak::{Options, Outcome, Report, Soak};
use nvmeq_hwtest::target::Target;
use nvmeq_ram::{RamConfig, RamController};

fn target() -> Target {
    Target::ram("ram", "ram:512")
}

fn options(qd: u32) -> Options {
    Options {
        duration: Duration::from_millis(700),
        qd,
        seed: 0x50a4,
        region_bytes: 2 << 20,
        max_xfer: 32 << 10,
    }
}

fn ram(pi: bool) -> RamController {
    let mut cfg = RamConfig::new(8 << 20, 512);
    if pi {
        cfg.ms = 8;
        cfg.pi = Some(Pi::new(PiType::Type1, Pif::Guard16));
    }
    RamController::new(cfg).unwrap()
}

fn soak(pi: bool, qd: u32) -> Soak<RamController> {
    match Soak::with_backend(ram(pi), &target(), &options(qd)) {
        Ok(s) => s,
        Err(e) => panic!("soak did not start: {e:?}"),
    }
}

fn assert_clean(r: &Report) {
    assert!(r.passed(), "{r}");
    assert_eq!((r.mismatches, r.errors), (0, 0), "{r}");
    for k in [
        Kind::Write,
        Kind::Read,
        Kind::Flush,
        Kind::Dsm,
        Kind::Verify,
    ] {
        let c = r.counts[k as usize].1;
        assert!(c.commands > 0, "no {} commands:\n{r}", k.name());
    }
    // Every block the model holds is read back at the end.
    let verified = r.counts[Kind::Verify as usize].1.bytes / r.lba as u64;
    assert_eq!(verified, r.written + r.deallocated, "{r}");
    assert!(r.to_string().ends_with("PASS"), "{r}");
}

#[test]
fn clean_soak_passes_queued_and_one_at_a_time() {
    for qd in [16, 1] {
        let mut s = soak(false, qd);
        s.workload(options(qd).duration);
        s.verify();
        let r = s.report();
        assert_eq!(r.qd, qd);
        assert!(r.pi.starts_with("none"), "{r}");
        assert_clean(&r);
    }
}

#[test]
fn clean_soak_with_pi_has_the_controller_generate_and_check_it() {
    let mut s = soak(true, 8);
    let p = s.prinfo().expect("PI type 1 format");
    assert!(p.pract() && p.prchk_guard() && p.prchk_ref());
    s.workload(options(8).duration);
    s.verify();
    let r = s.report();
    assert!(r.pi.starts_with("Type1"), "{r}");
    // Deallocated PI blocks are not read again: nothing is promised of their PI.
    assert_eq!(r.deallocated, 0, "{r}");
    assert_clean(&r);
}

/// Overwrites written blocks through the same controller, one with a stale
/// generation of its own LBA and one with another LBA's stamp, and checks
/// that the final pass names both.
fn corruption_is_caught(pi: bool) {
    let mut s = soak(pi, 8);
    s.workload(options(8).duration);
    let m = s.model();
    let written: Vec<u64> = (m.base()..m.base() + m.len())
        .filter(|&l| matches!(m.get(l), Block::Written(g) if g > 1))
        .collect();
    assert!(written.len() > 2, "too few blocks written");
    let (stale, moved) = (written[0], written[written.len() / 2]);
    let Block::Written(g) = m.get(stale) else {
        unreachable!()
    };
    let seed = m.seed();
    let (nsid, p) = (s.nsid(), s.prinfo().unwrap_or_default());
    for (lba, st) in [
        (
            stale,
            Stamp {
                lba: stale,
                seed,
                generation: g - 1,
            },
        ),
        (
            moved,
            Stamp {
                lba: moved + 1,
                seed,
                generation: 1,
            },
        ),
    ] {
        let mut blk = vec![0u8; 512];
        stamp(&mut blk, st);
        let cmd = Write::new(nsid, lba, 0).prinfo(p).ilbrt(lba as u32).build();
        s.backend().execute(&cmd, Data::ToDevice(&blk)).unwrap();
    }
    s.verify();
    let r = s.report();
    assert!(!r.passed(), "{r}");
    assert_eq!(r.mismatches, 2, "{r}");
    assert_eq!(r.errors, 0, "{r}");
    let text = r.to_string();
    assert!(text.ends_with("FAIL"), "{text}");
    assert!(
        text.contains(&format!(
            "MISMATCH LBA {stale}: expected generation {g}, found header lba {stale} seed {seed:#x} generation {}",
            g - 1
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("MISMATCH LBA {moved}: expected generation")),
        "{text}"
    );
    assert!(
        text.contains(&format!("found header lba {} ", moved + 1)),
        "{text}"
    );
}

#[test]
fn corruption_behind_the_soaks_back_is_reported() {
    corruption_is_caught(false);
}

#[test]
fn corruption_behind_the_soaks_back_is_reported_with_pi() {
    corruption_is_caught(true);
}

#[test]
fn a_format_with_metadata_beyond_pi_is_skipped_with_the_reason() {
    let mut cfg = RamConfig::new(8 << 20, 512);
    cfg.ms = 16;
    cfg.pi = Some(Pi::new(PiType::Type1, Pif::Guard16));
    let b = RamController::new(cfg).unwrap();
    match Soak::with_backend(b, &target(), &options(4)) {
        Err(Outcome::Skipped(why)) => assert!(why.contains("metadata buffer"), "{why}"),
        other => panic!("expected a skip, got {other:?}"),
    }
}
