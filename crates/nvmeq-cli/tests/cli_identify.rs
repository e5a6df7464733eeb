//! The Identify commands beyond id-ctrl/id-ns on the in-memory controller:
//! `nvm-id-ctrl`, `primary-ctrl-caps`, `id-iocs`, `list-ctrl`,
//! `list-secondary` in every format, and `id-uuid`, `id-nvmset`,
//! `id-domain`, `id-ns-granularity`, which the ram controller refuses (it has
//! no UUIDs, NVM Sets, domains or namespace management) with a decoded status.

mod common;

use common::{fails_with, json, nvmeq, ok, stdout};
use serde_json::json;

const DEV: &str = "ram:64M";

#[test]
fn nvm_id_ctrl_every_format() {
    let t = stdout(&ok(&["nvm-id-ctrl", DEV]));
    assert!(
        t.starts_with("NVMe Identify Controller NVM:\nvsl    : 0\nwzsl   : 0\n"),
        "{t}"
    );
    assert!(
        t.ends_with("aocs   : 0\nver    : 0x10000\nlbamqf : 0\n"),
        "{t}"
    );
    let v = stdout(&ok(&["nvm-id-ctrl", DEV, "-v"]));
    assert!(
        v.contains("  NVM command set specification: 1.0.0\n"),
        "{v}"
    );
    assert!(
        v.contains("  [0:0] : 0\tReporting Allocated LBA Not Supported\n"),
        "{v}"
    );
    let j = json(&ok(&["nvm-id-ctrl", DEV, "-o", "json"]));
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "vsl", "wzsl", "wusl", "dmrl", "dmrsl", "dmsl", "kpiocap", "wzdsl", "aocs", "ver",
            "lbamqf"
        ]
    );
    assert_eq!(j["ver"], 0x10000);
    let j = json(&ok(&["nvm-id-ctrl", DEV, "-v", "-o", "json"]));
    assert_eq!(j["[0:0]: Reporting Allocated LBA Supported"], 0);
    assert_eq!(ok(&["nvm-id-ctrl", DEV, "-b"]).stdout.len(), 4096);
}

#[test]
fn primary_ctrl_caps_and_secondary_list() {
    let t = stdout(&ok(&["primary-ctrl-caps", DEV]));
    assert!(
        t.starts_with("NVME Identify Primary Controller Capabilities:\ncntlid    : 0x1\nportid    : 0\ncrt       : 0\nvqfrt     : 0\n"),
        "{t}"
    );
    assert!(t.ends_with("vigran    : 0\n"), "{t}");
    let h = stdout(&ok(&["primary-ctrl-caps", DEV, "-H"]));
    assert!(h.contains("crt       : 0\n  [1:1] 0\tVI Resources are not supported\n  [0:0] 0\tVQ Resources are not supported\n"), "{h}");
    let j = json(&ok(&["primary-ctrl-caps", DEV, "-o", "json"]));
    assert_eq!(j["cntlid"], 1);
    assert_eq!(j.as_object().unwrap().len(), 15);
    assert_eq!(ok(&["primary-ctrl-caps", DEV, "-b"]).stdout.len(), 4096);

    assert_eq!(
        stdout(&ok(&["list-secondary", DEV])),
        "Identify Secondary Controller List:\n   NUMID       : Number of Identifiers           : 0\n"
    );
    assert_eq!(
        json(&ok(&["list-secondary", DEV, "-o", "json"])),
        json!({"num": 0, "secondary-controllers": []})
    );
    fails_with(
        &nvmeq(&["list-secondary", DEV, "-e", "0"]),
        2,
        "--num-entries",
    );
}

#[test]
fn list_ctrl_whole_subsystem_or_one_namespace() {
    assert_eq!(
        stdout(&ok(&["list-ctrl", DEV])),
        "num of ctrls present: 1\n[   0]:0x1\n"
    );
    assert_eq!(
        json(&ok(&["list-ctrl", DEV, "-n", "1", "-o", "json"])),
        json!({"num_ctrl": 1, "ctrl_list": [{"ctrl_id": 1}]})
    );
    // Identifiers from 2 up: none.
    assert_eq!(
        stdout(&ok(&["list-ctrl", DEV, "-c", "2"])),
        "num of ctrls present: 0\n"
    );
    assert_eq!(
        ok(&["list-ctrl", DEV, "-o", "binary"]).stdout[..4],
        [1, 0, 1, 0]
    );
    fails_with(
        &nvmeq(&["list-ctrl", DEV, "-n", "5"]),
        1,
        "Identify Namespace Attached Controller List: Invalid Namespace or Format (sct 0x0, sc 0x0b)",
    );
}

#[test]
fn id_iocs_every_format() {
    assert_eq!(
        stdout(&ok(&["id-iocs", DEV])),
        "NVMe Identify I/O Command Set:\nI/O Command Set Combination[0]:1\n"
    );
    let v = stdout(&ok(&["id-iocs", DEV, "-v"]));
    assert!(v.contains("  [2:2] : 0\tZoned Namespace Command Set Not Selected\n  [1:1] : 0\tKey Value Command Set Not Selected\n  [0:0] : 0x1\tNVM Command Set Selected\n\n"), "{v}");
    let j = json(&ok(&["id-iocs", DEV, "-o", "json"]));
    assert_eq!(j["I/O Command Set Combination[0]"], 1);
    assert_eq!(j["IOCSC0"]["NVM Command Set"], "Selected");
    assert_eq!(j["IOCSC0"]["Zoned Namespace Command Set"], "Not selected");
    let b = ok(&["id-iocs", DEV, "-b"]).stdout;
    assert_eq!(b.len(), 4096);
    assert_eq!(b[0], 1);
}

#[test]
fn structures_the_ram_controller_lacks_are_refused_by_name() {
    for (cmd, op) in [
        ("id-uuid", "Identify UUID List"),
        ("id-nvmset", "Identify NVM Set List"),
        ("id-domain", "Identify Domain List"),
        ("id-ns-granularity", "Identify Namespace Granularity List"),
    ] {
        for fmt in ["normal", "json", "binary"] {
            fails_with(
                &nvmeq(&[cmd, DEV, "-o", fmt]),
                1,
                &format!("{op}: Invalid Field in Command (sct 0x0, sc 0x02) [DNR]"),
            );
        }
    }
}

#[test]
fn nvm_id_ns_every_format() {
    let pi = "ram:64M,lba=4096,ms=16,pi=1,guard=64,sts=8";
    let j = json(&ok(&["nvm-id-ns", pi, "-n", "1", "-o", "json"]));
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["lbstm", "pic", "pifa", "elbafs", "nprg", "npra", "nors", "npdal", "lbapss", "tlbaag"]
    );
    assert_eq!(j["lbstm"], 0xff, "every storage tag bit is checked");
    assert_eq!(j["elbafs"], json!([{"sts": 8, "pif": 2, "qpif": 0}]));
    let t = stdout(&ok(&["nvm-id-ns", pi]));
    assert!(
        t.starts_with("NVMe NVM Identify Namespace 1:\nlbstm : 0xff\npic   : 0\npifa  : 0\n"),
        "{t}"
    );
    assert!(
        t.contains("elbaf  0 : qpif:0 pif:2 sts:8  (in use)\n"),
        "{t}"
    );
    assert!(t.ends_with("lbapss: 0\ntlbaag: 0\n"), "{t}");
    assert_eq!(ok(&["nvm-id-ns", DEV, "-o", "binary"]).stdout.len(), 4096);
    fails_with(
        &nvmeq(&["nvm-id-ns", DEV, "-n", "9"]),
        1,
        "Identify Namespace: Invalid Namespace or Format (sct 0x0, sc 0x0b)",
    );
    fails_with(&nvmeq(&["nvm-id-ns", DEV, "-U", "0x80"]), 2, "'0x80'");
}

#[test]
fn lba_format_identify_every_format() {
    let dev = "ram:64M,lba=4096";
    let j = json(&ok(&["id-ns-lba-format", dev, "-i", "0", "-o", "json"]));
    assert_eq!(
        j,
        json!({"nlbaf": 0, "mc": 0, "dpc": 0, "nulbaf": 0,
            "lbafs": [{"ms": 0, "ds": 12, "rp": 0}]})
    );
    let t = stdout(&ok(&["id-ns-lba-format", dev]));
    assert_eq!(
        t,
        "NVMe Identify Namespace for LBA format[0]:\nnlbaf   : 0\nmc      : 0\ndpc     : 0\n\
         nulbaf  : 0\nlbaf  0 : ms:0   lbads:12 rp:0 \n"
    );
    assert_eq!(
        ok(&["id-ns-lba-format", dev, "-o", "binary"]).stdout.len(),
        4096
    );
    fails_with(
        &nvmeq(&["id-ns-lba-format", dev, "-i", "1"]),
        1,
        "Identify Namespace for LBA Format: Invalid Field in Command (sct 0x0, sc 0x02)",
    );
    // Ram answers Identify Namespace for NSID FFFFFFFFh (it has namespace
    // management) with NLBAF 0, so its one format is listed, as nvme-cli does.
    let j = json(&ok(&["nvm-id-ns-lba-format", dev, "-o", "json"]));
    assert!(j.get("lbstm").is_none(), "a format has no storage tag mask");
    assert_eq!(j["elbafs"].as_array().unwrap().len(), 1);
    assert_eq!(j["elbafs"][0], json!({"sts": 0, "pif": 0, "qpif": 0}));
    let t = stdout(&ok(&["nvm-id-ns-lba-format", dev, "-i", "0"]));
    assert!(
        t.starts_with("NVMe NVM Identify Namespace for LBA format[0]:\npic   : 0\npifa  : 0\nelbaf  0 : qpif:0 pif:0 sts:0  \n"),
        "{t}"
    );
    assert!(!t.contains("(in use)"), "{t}");
    fails_with(
        &nvmeq(&["nvm-id-ns-lba-format", dev, "--lba-format-index", "2"]),
        1,
        "Identify Namespace for LBA Format (NVM Command Set): Invalid Field in Command (sct 0x0, sc 0x02)",
    );
    fails_with(
        &nvmeq(&["id-ns-lba-format", dev, "-i", "70000"]),
        2,
        "70000",
    );
}
