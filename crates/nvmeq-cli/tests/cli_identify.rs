//! `id-ctrl -H` on the in-memory controller, and the Identify commands
//! beyond id-ctrl/id-ns there:
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

/// `id-ctrl -H`: the ram controller's decoded fields under their lines, in
/// nvme-cli 2.13's order (its newer fields among the plain ones), the power
/// state's times, and JSON that `-H` leaves as it is.
#[test]
fn id_ctrl_human_readable() {
    let h = stdout(&ok(&["id-ctrl", DEV, "-H"]));
    for block in [
        "cmic      : 0\n  [3:3] : 0\tANA not supported\n  [2:2] : 0\tPCI\n  \
         [1:1] : 0\tSingle Controller\n  [0:0] : 0\tSingle Port\n\nmdts      : 7\n",
        "cntrltype : 1\n  [7:2] : 0\tReserved\n  [1:0] : 0x1\tI/O Controller\nfguid     : ",
        "oacs      : 0x23d\n  [11:11] : 0\tHost Managed Live Migration Not Supported\n",
        "  [9:9] : 0x1\tGet LBA Status Capability Supported\n",
        "  [1:1] : 0\tFormat NVM Not Supported\n  [0:0] : 0x1\tSecurity Send and Receive Supported\n\n",
        "frmw      : 0x17\n  [5:5] : 0\tMultiple FW or Boot Update Detection Not Supported\n  \
         [4:4] : 0x1\tFirmware Activate Without Reset Supported\n  \
         [3:1] : 0x3\tNumber of Firmware Slots\n  [0:0] : 0x1\tFirmware Slot 1 Read-Only\n\n",
        "lpa       : 0x7e\n  [6:6] : 0x1\tTelemetry Log Data Area 4 Supported\n",
        "elpe      : 63\n  [7:0] : 63 (0's based)\tError Log Page Entries (ELPE)\n\n",
        "wctemp    : 343\n [15:0] : 70 °C (343 K)\tWarning Composite Temperature Threshold (WCTEMP)\n\n",
        "tnvmcap   : 67108864\n[127:0] : 67108864\n\tTotal NVM Capacity (TNVMCAP)\n\n",
        "dsto      : 1\n  [1:1] : 0\tHost-Initiated Refresh capability Not Supported\n  \
         [0:0] : 0x1\tNVM subsystem supports only one device self-test operation in progress at a time\n\n",
        "sanicap   : 0x7\n  [31:30] : 0\t",
        "  [2:2] : 0x1\tOverwrite Sanitize Operation Supported\n",
        "sqes      : 0x66\n  [7:4] : 0x6\tMax SQ Entry Size (64)\n  [3:0] : 0x6\tMin SQ Entry Size (64)\n\n",
        "cqes      : 0x44\n  [7:4] : 0x4\tMax CQ Entry Size (16)\n  [3:0] : 0x4\tMin CQ Entry Size (16)\n\n",
        "oncs      : 0x19d\n  [12:12] : 0\tNamespace Zeroes Not Supported\n",
        "  [8:8] : 0x1\tCopy Supported\n  [7:7] : 0x1\tVerify Supported\n  [6:6] : 0\tTimestamp Not Supported\n",
        "vwc       : 0x7\n  [2:1] : 0x3\tThe Flush command supports NSID set to FFFFFFFFh\n  \
         [0:0] : 0x1\tVolatile Write Cache Present\n\n",
        "ocfs      : 0x1\n  [3:3] : 0\tController Copy Format 3h Not Supported\n",
        "  [0:0] : 0x1\tController Copy Format 0h Supported\n\n",
        "sgls      : 0\n [15:8] : 0\tSGL Descriptor Threshold\n [1:0]  : 0\tScatter-Gather Lists Not Supported\n\n",
        "rrls      : 0\nbpcap     : 0\n  [2:2] : 0\t",
        "maxcna    : 0\noaqd      : 0\n",
        "            active_power_workload:-\n            emergency power fail recovery time: -\n",
    ] {
        assert!(h.contains(block), "{block:?} not in:\n{h}");
    }
    // Every field nvme-cli 2.13 decodes, once each, in its order.
    let order = [
        "cmic",
        "oaes",
        "ctratt",
        "bpcap",
        "plsi",
        "cntrltype",
        "crcap",
        "nvmsr",
        "vwci",
        "mec",
        "oacs",
        "frmw",
        "lpa",
        "elpe",
        "npss",
        "avscc",
        "apsta",
        "wctemp",
        "cctemp",
        "tnvmcap",
        "unvmcap",
        "rpmbs",
        "dsto",
        "hctma",
        "mntmt",
        "mxtmt",
        "sanicap",
        "anacap",
        "kpioc",
        "tmpthha",
        "sqes",
        "cqes",
        "oncs",
        "fuses",
        "fna",
        "vwc",
        "icsvscc",
        "nwpc",
        "ocfs",
        "sgls",
        "trattr",
        "fcatt",
        "ofcs",
    ];
    let mut decoded = Vec::new();
    let mut field = "";
    for l in h.lines() {
        if l.starts_with(' ') || l.starts_with('[') || l.starts_with('\t') {
            if !l.starts_with("            ") && decoded.last() != Some(&field) {
                decoded.push(field);
            }
        } else if !l.is_empty() {
            field = l.split(':').next().unwrap().trim_end();
        }
    }
    assert_eq!(decoded, order, "{h}");
    // The plain lines are the plain output's, in order, with 2.13's among them.
    let plain = stdout(&ok(&["id-ctrl", DEV]));
    let kept: Vec<&str> = h
        .lines()
        .filter(|l| plain.lines().any(|p| p == *l))
        .collect();
    let plain_lines: Vec<&str> = plain.lines().collect();
    assert_eq!(kept, plain_lines);
    // JSON is nvme-cli's with or without -H.
    assert_eq!(
        json(&ok(&["id-ctrl", DEV, "-H", "-o", "json"])),
        json(&ok(&["id-ctrl", DEV, "-o", "json"]))
    );
}
