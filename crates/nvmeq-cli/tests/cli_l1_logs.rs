//! `phy-rx-eom-log`, `mgmt-addr-list-log`, `rotational-media-info-log`,
//! `changed-alloc-ns-list-log` and `dispersed-ns-participating-nss-log` on
//! the in-memory controller: the Changed Allocated Namespace List served
//! (empty in a fresh process) in every output format, the four pages ram has
//! no feature for refused with the status decoded in every format, and the
//! usage refusals.

mod common;

use common::{fails_with, json, nvmeq, refuses_log_page, stderr, stdout};

const DEV: &str = "ram:64M";

#[test]
fn changed_alloc_ns_list_is_empty_in_every_format() {
    let out = nvmeq(&["changed-alloc-ns-list-log", DEV]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "no ns changed\n");
    let v = json(&nvmeq(&["changed-alloc-ns-list-log", DEV, "-o", "json"]));
    assert_eq!(
        v,
        serde_json::json!({"Changed Allocated Namespace List Log": DEV, (DEV): {}})
    );
    for args in [
        &["changed-alloc-ns-list-log", DEV, "-o", "binary"][..],
        &["changed-alloc-ns-list-log", DEV, "-b"],
    ] {
        let out = nvmeq(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(out.stdout, vec![0u8; 4096], "{args:?}");
    }
}

#[test]
fn supported_log_pages_lists_the_changed_allocated_list() {
    let out = nvmeq(&["supported-log-pages", DEV]);
    assert!(out.status.success(), "{}", stderr(&out));
    let t = stdout(&out);
    assert!(t.contains("Changed Allocated Namespace List"), "{t}");
    for absent in [
        "Rotational Media Information",
        "Dispersed Namespace Participating NVM Subsystems",
        "Management Address List",
        "Physical Interface Receiver Eye Opening Measurement",
    ] {
        assert!(!t.contains(absent), "{absent} listed:\n{t}");
    }
}

#[test]
fn pages_without_their_feature_are_refused_by_name() {
    for (args, op) in [
        (
            vec!["phy-rx-eom-log", DEV],
            "Physical Interface Receiver Eye Opening Measurement log",
        ),
        (
            vec!["phy-rx-eom-log", DEV, "-s", "6", "-c", "1"],
            "Physical Interface Receiver Eye Opening Measurement log",
        ),
        (
            vec!["mgmt-addr-list-log", DEV],
            "Management Address List log",
        ),
        (
            vec!["rotational-media-info-log", DEV, "-e", "1"],
            "Rotational Media Information log",
        ),
        (
            vec!["dispersed-ns-participating-nss-log", DEV],
            "Dispersed Namespace Participating NVM Subsystems log",
        ),
        (
            vec!["dispersed-ns-participating-nss-log", DEV, "-n", "1"],
            "Dispersed Namespace Participating NVM Subsystems log",
        ),
    ] {
        refuses_log_page(&args, op, &["normal", "json", "binary"]);
    }
}

#[test]
fn usage_refusals_name_the_problem() {
    for (lsp, msg) in [
        ("128", "invalid lsp param: 128"),
        ("3", "invalid measurement quality: 3"),
        ("0xc", "invalid action: 12"),
        ("0xf", "invalid measurement quality: 3"),
    ] {
        fails_with(&nvmeq(&["phy-rx-eom-log", DEV, "-s", lsp]), 2, msg);
    }
    fails_with(&nvmeq(&["phy-rx-eom-log", DEV, "-c", "65536"]), 2, "65536");
    fails_with(
        &nvmeq(&["rotational-media-info-log", DEV, "--endg-id", "70000"]),
        2,
        "70000",
    );
    fails_with(
        &nvmeq(&["dispersed-ns-participating-nss-log", DEV, "-n", "x"]),
        2,
        "'x'",
    );
    fails_with(&nvmeq(&["mgmt-addr-list-log", DEV, "-n", "1"]), 2, "'-n'");
    fails_with(
        &nvmeq(&["changed-alloc-ns-list-log", "ram:nonsense"]),
        1,
        "bad size `nonsense`",
    );
}
