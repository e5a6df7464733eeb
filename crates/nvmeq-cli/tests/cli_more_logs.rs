//! The remaining log commands on the in-memory controller:
//! `lba-status-log` (served: an empty page), and the pages ram has no
//! feature for (`endurance-event-agg-log`, `pred-lat-event-agg-log`,
//! `predictable-lat-log`, `boot-part-log`, `media-unit-stat-log`,
//! `supported-cap-config-log`), refused with the status decoded in every
//! output format; and the usage refusals.

mod common;

use common::{fails_with, json, nvmeq, refuses_log_page, stderr, stdout, TempDir};

const DEV: &str = "ram:64M";

#[test]
fn lba_status_log_is_an_empty_page_in_every_format() {
    let out = nvmeq(&["lba-status-log", DEV]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "LBA Status Log for device: ram:64M\nLBA Status Log Page Length: 16\nNumber of LBA Status Log Namespace Elements: 0\nEstimate of Unrecoverable Logical Blocks: 0\nLBA Status Generation Counter: 0\n"
    );
    let v = json(&nvmeq(&["lba-status-log", DEV, "-o", "json"]));
    assert_eq!(v["lslplen"], 16);
    assert_eq!(v["nlslne"], 0);
    assert_eq!(v["ns_elements"], serde_json::json!([]));
    let b = nvmeq(&["lba-status-log", DEV, "-o", "binary"]).stdout;
    assert_eq!(b, [16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn pages_without_their_feature_are_refused_by_name() {
    let dir = TempDir::new("boot-part");
    let f = dir.path().join("bp").to_string_lossy().into_owned();
    for (args, op) in [
        (
            vec!["endurance-event-agg-log", DEV],
            "Endurance Group Event Aggregate log",
        ),
        (
            vec!["pred-lat-event-agg-log", DEV],
            "Predictable Latency Event Aggregate log",
        ),
        (
            vec!["predictable-lat-log", DEV, "-i", "1"],
            "Predictable Latency Per NVM Set log",
        ),
        (vec!["boot-part-log", DEV, "-f", &f], "Boot Partition log"),
        (vec!["media-unit-stat-log", DEV], "Media Unit Status log"),
        (
            vec!["supported-cap-config-log", DEV, "-d", "0"],
            "Supported Capacity Configuration List log",
        ),
    ] {
        refuses_log_page(&args, op, &["normal", "json"]);
    }
}

#[test]
fn usage_refusals_name_the_problem() {
    fails_with(
        &nvmeq(&["endurance-event-agg-log", DEV, "-e", "0"]),
        2,
        "non-zero log-entries is required param",
    );
    fails_with(
        &nvmeq(&["pred-lat-event-agg-log", DEV, "--log-entries", "0"]),
        2,
        "non-zero log-entries is required param",
    );
    fails_with(
        &nvmeq(&["boot-part-log", DEV]),
        2,
        "Please provide an output file!",
    );
    fails_with(
        &nvmeq(&["boot-part-log", DEV, "-f", "/tmp/x", "-s", "128"]),
        2,
        "invalid lsp param: 128",
    );
    fails_with(
        &nvmeq(&["media-unit-stat-log", DEV, "-d", "70000"]),
        2,
        "70000",
    );
}
