//! The whole suite against the in-memory controller, on the host: proves the
//! tests themselves (their expectations, buffer placements, queue handling)
//! before they meet real or emulated hardware. Runs with `--features ram`
//! (`cargo xtask ci` enables all features).

use std::path::PathBuf;
use std::time::Duration;

use nvmeq_hwtest::registry;
use nvmeq_hwtest::report::{self, Outcome};
use nvmeq_hwtest::runner::Runner;
use nvmeq_hwtest::target::Target;

fn suite(lba: u32) {
    let t = Target {
        label: format!("ram{lba}"),
        ctrl: None,
        ns: PathBuf::from(format!("ram:{lba}")),
        destructive: true,
        named_nsid: None,
        differential: false,
        zns: None,
        format: false,
        fault: None,
    };
    let r = Runner::new(Duration::from_secs(60));
    registry::run("ram", &t, &r).unwrap();
    let rows = r.rows();
    let mut out = Vec::new();
    report::print(&rows, &mut out).unwrap();
    let table = String::from_utf8(out).unwrap();
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
        label: "ro".into(),
        ctrl: None,
        ns: PathBuf::from("ram:512"),
        destructive: false,
        named_nsid: None,
        differential: false,
        zns: None,
        format: false,
        fault: None,
    };
    let r = Runner::new(Duration::from_secs(60));
    registry::run("ram", &t, &r).unwrap();
    let rows = r.rows();
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
        label: "g".into(),
        ctrl: None,
        ns: PathBuf::from("ram:512"),
        destructive: true,
        named_nsid: Some(2),
        differential: false,
        zns: None,
        format: false,
        fault: None,
    };
    let r = Runner::new(Duration::from_secs(60));
    registry::run("ram", &t, &r).unwrap();
    let rows = r.rows();
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
