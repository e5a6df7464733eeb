//! The whole suite against the in-memory controller, on the host: proves the
//! tests themselves (their expectations, buffer placements, queue handling)
//! before they meet real or emulated hardware. Runs with `--features ram`
//! (`cargo xtask ci` enables all features).

use std::time::Duration;

use nvmeq_hwtest::registry;
use nvmeq_hwtest::report::{self, Outcome};
use nvmeq_hwtest::runner::Runner;
use nvmeq_hwtest::target::Target;

/// The suite on `t` with the ram backend: its rows and the table it prints.
fn run(t: &Target) -> (Vec<report::Row>, String) {
    let r = Runner::new(Duration::from_secs(60));
    registry::run("ram", t, &r).unwrap();
    let rows = r.rows();
    let mut out = Vec::new();
    report::print(&rows, &mut out).unwrap();
    (rows, String::from_utf8(out).unwrap())
}
fn suite(lba: u32) {
    let t = Target::ram(&format!("ram{lba}"), &format!("ram:{lba}"));
    let (rows, table) = run(&t);
    let (passed, failed, skipped) = report::counts(&rows);
    assert_eq!((failed, skipped), (0, 0), "\n{table}");
    assert!(passed >= 30, "only {passed} tests ran:\n{table}");
    assert!(rows.iter().all(|r| r.outcome == Outcome::Pass));
    assert!(
        table.ends_with(&format!("{passed} passed, 0 failed\n")),
        "{table}"
    );
}

#[test]
fn whole_suite_on_ram_512() {
    suite(512);
}

#[test]
fn whole_suite_on_ram_4096() {
    suite(4096);
}

#[test]
fn read_only_run_writes_nothing_and_says_so() {
    let t = Target {
        destructive: false,
        ..Target::ram("ro", "ram:512")
    };
    let (rows, _) = run(&t);
    let skipped: Vec<_> = rows.iter().filter(|r| r.outcome == Outcome::Skip).collect();
    assert!(skipped.iter().any(|r| r.test == "ro/write-read-1-block"));
    assert!(skipped
        .iter()
        .all(|r| r.detail.contains("--allow-destructive --nsid N")));
    assert_eq!(report::counts(&rows).1, 0, "{rows:#?}");
}

#[test]
fn nsid_guard_blocks_writes_on_the_wrong_namespace() {
    let t = Target {
        named_nsid: Some(2),
        ..Target::ram("g", "ram:512")
    };
    let (rows, _) = run(&t);
    let guard = rows
        .iter()
        .find(|r| r.test == "g/destructive-guard")
        .unwrap();
    assert_eq!(guard.outcome, Outcome::Fail);
    assert!(
        guard.detail.contains("--nsid 2 does not name"),
        "{}",
        guard.detail
    );
    assert!(rows
        .iter()
        .filter(|r| r.test.starts_with("g/write"))
        .all(|r| r.outcome == Outcome::Skip));
}

/// The whole suite on a ram format with metadata: nothing fails, and the
/// rows `want` (prefixed by the label) pass.
fn metadata_suite(spec: &str, want: &[&str]) {
    let t = Target::ram("m", spec);
    let (rows, table) = run(&t);
    assert_eq!(report::counts(&rows).1, 0, "{spec}:\n{table}");
    for w in want {
        let row = rows.iter().find(|r| r.test == format!("m/{w}"));
        assert!(
            row.is_some_and(|r| r.outcome == Outcome::Pass),
            "{spec}: m/{w} did not pass:\n{table}"
        );
    }
}

const PI_ROWS: &[&str] = &[
    "facade-blocks",
    "pi-host-generated",
    "pi-pract-round-trip",
    "pi-pract-read-with-prchk",
    "pi-guard-check-error",
];

#[test]
fn pi_rows_on_ram_type1_separate() {
    let mut want = PI_ROWS.to_vec();
    want.extend(["pi-ref-tag-check-error", "pi-no-metadata-refused"]);
    metadata_suite("ram:64M,ms=8,pi=1", &want);
}

#[test]
fn pi_rows_on_ram_type2_extended_64b_guard() {
    let mut want = PI_ROWS.to_vec();
    want.extend(["pi-ref-tag-check-error", "pi-extended-round-trip"]);
    metadata_suite("ram:64M,lba=4096,ms=16,meta=ext,pi=2,guard=64", &want);
}

#[test]
fn pi_rows_on_ram_type3_first_bytes() {
    metadata_suite("ram:64M,ms=16,pi=3,pil=first", PI_ROWS);
}

#[test]
fn facade_blocks_on_ram_metadata_without_pi() {
    metadata_suite("ram:64M,ms=8", &["facade-blocks", "pi-no-metadata-refused"]);
    metadata_suite("ram:64M,lba=4096,ms=8,meta=ext", &["facade-blocks"]);
}
