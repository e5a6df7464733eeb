//! `cmdset-ind-id-ns` (CNS 08h) and `list-endgrp` (CNS 19h) on the
//! in-memory controller in every format: the shared namespace fields agree
//! with its Identify Namespace, NSTAT says ready, the Endurance Group List
//! is empty (ram has no Endurance Groups), and the errors are named; and
//! `id-ns -H` / `cmdset-ind-id-ns -H`.

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

/// `-H`: every field's bits under its line, as nvme-cli 2.13 words them;
/// the plain lines stay as they were.
#[test]
fn human_readable_identify_namespace() {
    let pi = "ram:64M,lba=4096,ms=16,pi=2,guard=64";
    let plain = stdout(&ok(&["id-ns", pi, "-n", "1"]));
    let h = stdout(&ok(&["id-ns", pi, "-n", "1", "-H"]));
    for needle in [
        "\tTotal size in logical blocks\n",
        "\tMaximum size in logical blocks\n",
        "nsfeat  : 0\n  [7:7] : 0\tNPRG, NPRA and NORS are Not Supported\n",
        "  [4:4] : 0\tMetadata Transferred in Separate Contiguous Buffer\n",
        "  [1:1] : 0x1\tMetadata Pointer Supported\n",
        "  [1:1] : 0x1\tProtection Information Type 2 Supported\n",
        "  [2:0] : 0x2\tProtection Information Type 2 Enabled\n",
        "  [0:0] : 0\tNamespace Multipath Not Capable\n",
        "  [0:0] : 0\tPersist Through Power Loss Not Supported\n",
        "  [3:3] : 0x1\tDeallocate Bit in the Write Zeroes Command is Supported\n",
        "nsattr\t: 0\n  [0:0] : 0\tNamespace Not Write Protected\n\n",
        "LBA Format  0 : Metadata Size: 16  bytes - Data Size: 4096 bytes - Relative Performance: 0 Best (in use)\n",
    ] {
        assert!(h.contains(needle), "{needle:?} not in\n{h}");
    }
    // Only decoded lines and 2.13's kpios / kpiodaag lines were added.
    assert!(
        h.contains(
            "\nmsrc    : 127\nkpios   : 0\n  [1:1] : 0\tKey Per I/O Capability Not Supported\n"
        ),
        "{h}"
    );
    assert!(h.contains("\nnulbaf  : 0\nkpiodaag: 0\n"), "{h}");
    let kept: Vec<&str> = h
        .lines()
        .filter(|l| !l.starts_with("  [") && !l.is_empty())
        .collect();
    assert_eq!(kept.len(), plain.lines().count() + 2, "{h}");
    let t = stdout(&ok(&["cmdset-ind-id-ns", DEV, "-n", "1", "-H"]));
    assert!(
        t.contains("nstat   : 0x1\n  [2:1] : 0\tI/O performance degradation is not reported\n  [0:0] : 0x1\tName space is ready\n\n"),
        "{t}"
    );
    assert!(
        t.contains("  [4:4] : 0\tNamespace does not store data on rotational media\n"),
        "{t}"
    );
}
