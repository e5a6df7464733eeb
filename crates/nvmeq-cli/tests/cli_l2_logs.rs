//! The reachability and discovery-controller log commands on the in-memory
//! controller: `reachability-groups-log`, `reachability-associations-log`,
//! `host-discovery-log`, `ave-discovery-log` and `pull-model-ddc-req-log`.
//! ram reports no reachability and is no discovery controller, so each is
//! refused with Invalid Log Page, decoded by name, in every output format
//! and with every option; Supported Log Pages does not list them; and the
//! usage refusals name the problem.

mod common;

use common::{fails_with, json, nvmeq, refuses_log_page};

const DEV: &str = "ram:64M";

const PAGES: [(&str, &str, &[&str]); 5] = [
    (
        "reachability-groups-log",
        "Reachability Groups log",
        &["-g", "--groups-only", "-r", "--rae"],
    ),
    (
        "reachability-associations-log",
        "Reachability Associations log",
        &["-a", "--associations-only", "-r", "--rae"],
    ),
    (
        "host-discovery-log",
        "Host Discovery log",
        &["-a", "--all-host-entries", "-r", "--rae"],
    ),
    ("ave-discovery-log", "AVE Discovery log", &["-r", "--rae"]),
    (
        "pull-model-ddc-req-log",
        "Pull Model DDC Request log",
        &["-r", "--rae"],
    ),
];

#[test]
fn every_page_is_refused_by_name_in_every_format() {
    for (cmd, op, flags) in PAGES {
        let mut variants: Vec<Vec<&str>> = vec![vec![]];
        variants.extend(flags.iter().map(|f| vec![*f]));
        for extra in variants {
            let mut a = vec![cmd, DEV];
            a.extend(&extra);
            refuses_log_page(&a, op, &["normal", "json", "binary"]);
        }
    }
}

#[test]
fn supported_log_pages_does_not_list_them() {
    let v = json(&nvmeq(&["supported-log-pages", DEV, "-o", "json"]));
    let listed = v.to_string();
    for lid in [0x1a, 0x1b, 0x71, 0x72, 0x73] {
        assert!(
            !listed.contains(&format!("lid_0x{lid:x} ")),
            "LID {lid:#x} listed: {listed}"
        );
    }
    // A page ram keeps is listed, so the check above looks at the right keys.
    assert!(listed.contains("lid_0x2 "), "{listed}");
}

#[test]
fn usage_refusals_name_the_problem() {
    // nvme-cli's flags take no value and the pages take no namespace.
    fails_with(
        &nvmeq(&["reachability-groups-log", DEV, "--rgo"]),
        2,
        "--rgo",
    );
    fails_with(&nvmeq(&["host-discovery-log", DEV, "-n", "1"]), 2, "'-n'");
    fails_with(&nvmeq(&["ave-discovery-log", DEV, "--rae=2"]), 2, "--rae");
    fails_with(&nvmeq(&["pull-model-ddc-req-log"]), 2, "DEVICE");
    fails_with(
        &nvmeq(&["reachability-associations-log", "ram:nonsense"]),
        1,
        "bad size `nonsense`",
    );
}
