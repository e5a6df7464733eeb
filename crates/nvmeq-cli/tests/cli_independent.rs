//! `cmdset-ind-id-ns` (CNS 08h) and `list-endgrp` (CNS 19h) on the
//! in-memory controller in every format: the shared namespace fields agree
//! with its Identify Namespace, NSTAT says ready, the Endurance Group List
//! is empty (ram has no Endurance Groups), and the errors are named.

mod common;

use common::{fails_with, json, nvmeq, stderr, stdout};
use serde_json::json;

const DEV: &str = "ram:64M,nn=4";

fn ok(args: &[&str]) -> std::process::Output {
    let out = nvmeq(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

#[test]
fn independent_namespace_every_format() {
    let j = json(&ok(&["cmdset-ind-id-ns", DEV, "-n", "1", "-o", "json"]));
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "nsfeat", "nmic", "rescap", "fpi", "anagrpid", "nsattr", "nvmsetid", "endgid", "nstat",
            "kpios", "maxkt", "rgrpid"
        ]
    );
    let ns = json(&ok(&["id-ns", DEV, "-n", "1", "-o", "json"]));
    for k in [
        "nsfeat", "nmic", "rescap", "fpi", "anagrpid", "nsattr", "nvmsetid", "endgid",
    ] {
        assert_eq!(j[k], ns[k], "{k}");
    }
    assert_eq!(j["nstat"], 1, "ready");
    let t = stdout(&ok(&["cmdset-ind-id-ns", DEV, "-n", "1"]));
    assert!(
        t.starts_with("NVME Identify Command Set Independent Namespace 1:\nnsfeat  : "),
        "{t}"
    );
    assert!(t.contains("\nnstat   : 0x1\n"), "{t}");
    assert!(t.contains("\nnsattr\t: 0\n"), "{t}");
    let b = ok(&["cmdset-ind-id-ns", DEV, "-n", "1", "-b"]).stdout;
    assert_eq!(b.len(), 4096);
    assert_eq!(b[14], 1, "NSTAT at byte 14");
    // An nsid the controller does not have.
    fails_with(
        &nvmeq(&["cmdset-ind-id-ns", DEV, "-n", "9"]),
        1,
        "I/O Command Set Independent Identify Namespace: Invalid Namespace or Format",
    );
}

#[test]
fn endurance_group_list_is_empty_on_ram() {
    assert_eq!(
        json(&ok(&["list-endgrp", DEV, "-o", "json"])),
        json!({"num_endgrp_id": 0, "endgrp_list": []})
    );
    assert_eq!(
        stdout(&ok(&["list-endgrp", DEV, "-i", "5"])),
        "num of endurance group ids: 0\n"
    );
    fails_with(
        &nvmeq(&["list-endgrp", DEV, "-o", "binary"]),
        2,
        "no binary form",
    );
    fails_with(&nvmeq(&["list-endgrp", DEV, "-i", "70000"]), 2, "70000");
}
