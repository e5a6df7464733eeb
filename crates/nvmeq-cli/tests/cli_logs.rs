//! The log page commands on the in-memory controller (`ram:64M`): `get-log`
//! (pieces, offsets, refusals), `supported-log-pages`, `self-test-log`,
//! `device-self-test`, `sanitize-log`, `changed-ns-list-log`,
//! `fid-support-effects-log`, `mi-cmd-support-effects-log`; every output
//! format and the decoded statuses.

mod common;

use common::{fails_with, json, nvmeq, ok, stdout};

const DEV: &str = "ram:64M";

#[test]
fn get_log_reads_any_page_in_pieces_at_the_offset() {
    let smart = ok(&["smart-log", DEV, "-b"]).stdout;
    // Raw: the same bytes as the dedicated command.
    let raw = ok(&["get-log", DEV, "-i", "2", "-l", "512", "-b"]).stdout;
    assert_eq!(raw, smart);
    // In pieces of 128 bytes: four commands at offsets 0, 128, 256, 384.
    let pieces = ok(&["get-log", DEV, "-i", "2", "-l", "512", "-x", "128", "-b"]).stdout;
    assert_eq!(pieces, smart);
    // From an offset.
    let tail = ok(&["get-log", DEV, "-i", "2", "-l", "256", "-L", "256", "-b"]).stdout;
    assert_eq!(tail, smart[256..]);
    // 1024 bytes of a 512-byte page in one command: the controller pads it;
    // in two, the second asks for offset 512, past the page, and says so.
    assert_eq!(
        ok(&["get-log", DEV, "-i", "2", "-l", "1024", "-b"])
            .stdout
            .len(),
        1024
    );
    fails_with(
        &nvmeq(&["get-log", DEV, "-i", "2", "-l", "1024", "-x", "512"]),
        1,
        "Get Log Page: Invalid Field in Command (sct 0x0, sc 0x02)",
    );
    // Human: nvme-cli's header and hex dump.
    let t = stdout(&ok(&["get-log", DEV, "-i", "2", "-l", "32"]));
    assert!(
        t.starts_with("Device:ram:64M log-id:2 namespace-id:0xffffffff\n       0  1  2"),
        "{t}"
    );
    assert!(t.contains("\n0000: 00 2c 01 64 0a"), "{t}");
    assert!(t.contains("\n0010: "), "{t}");
    // JSON: the bytes as hex.
    let v = json(&ok(&["get-log", DEV, "-i", "2", "-l", "8", "-o", "json"]));
    assert_eq!(v["log_id"], 2);
    assert_eq!(v["namespace_id"], 0xffff_ffffu32);
    assert_eq!(v["data"], "002c01640a000000");
    // --aen picks the page from bits 23:16 and reads 4096 bytes.
    let e = ok(&["get-log", DEV, "--aen", "0x010000", "-b"]).stdout;
    assert_eq!(e, ok(&["error-log", DEV, "-b"]).stdout);
}

#[test]
fn get_log_refusals_name_the_problem() {
    fails_with(
        &nvmeq(&["get-log", DEV, "-i", "2", "-l", "6"]),
        2,
        "multiple of 4",
    );
    fails_with(
        &nvmeq(&["get-log", DEV, "-i", "2", "-l", "0"]),
        2,
        "multiple of 4",
    );
    fails_with(
        &nvmeq(&["get-log", DEV, "-i", "2", "-l", "512", "-x", "3"]),
        2,
        "--xfer-len 3",
    );
    fails_with(
        &nvmeq(&["get-log", DEV, "-i", "2", "-l", "512", "-s", "128"]),
        2,
        "--lsp 128",
    );
    fails_with(
        &nvmeq(&["get-log", DEV, "-i", "2", "-l", "512", "-U", "200"]),
        2,
        "--uuid-index 200",
    );
    // clap: --log-id and --log-len are required without --aen.
    assert_eq!(nvmeq(&["get-log", DEV, "-i", "2"]).status.code(), Some(2));
    // A page the controller does not keep: its status, decoded.
    fails_with(
        &nvmeq(&["get-log", DEV, "-i", "0x70", "-l", "512"]),
        1,
        "Invalid Log Page (sct 0x1, sc 0x09)",
    );
    // An unaligned offset.
    fails_with(
        &nvmeq(&["get-log", DEV, "-i", "2", "-l", "512", "-L", "2"]),
        1,
        "Invalid Field in Command",
    );
}

#[test]
fn supported_log_pages_every_format() {
    let t = stdout(&ok(&["supported-log-pages", DEV]));
    assert!(t.starts_with("Support Log Pages Details for ram:64M:\nLID 0 - Supported Log Pages\nLID 0x1 - Error Information\n"), "{t}");
    assert!(t.contains("LID 0x6 - Device Self-test\n"), "{t}");
    assert!(t.ends_with("LID 0x81 - Sanitize Status\n"), "{t}");
    let v = stdout(&ok(&["supported-log-pages", DEV, "-v"]));
    assert!(
        v.contains(
            "LID 0x2 - SMART / Health Information\n  LSUPP is supported\n  IOS is not supported\n"
        ),
        "{v}"
    );
    let j = json(&ok(&["supported-log-pages", DEV, "-o", "json"]));
    let list = j["supported_logs"].as_array().unwrap();
    // nvme-cli's key has a trailing space.
    assert_eq!(list[0], serde_json::json!({"lid_0x0 ": 1}));
    assert_eq!(list.last().unwrap(), &serde_json::json!({"lid_0x81 ": 1}));
    assert_eq!(list.len(), t.lines().count() - 1);
    let b = ok(&["supported-log-pages", DEV, "-b"]).stdout;
    assert_eq!(b.len(), 1024);
    assert_eq!(&b[0x81 * 4..0x81 * 4 + 4], &[1, 0, 0, 0]);
}

#[test]
fn self_test_log_every_format() {
    let t = stdout(&ok(&["self-test-log", DEV]));
    assert!(
        t.starts_with("Device Self Test Log for NVME device:ram:64M\nCurrent operation  : 0\nCurrent Completion : 0%\nSelf Test Result[0]:\n  Operation Result             : 0xf\n"),
        "{t}"
    );
    assert_eq!(t.matches("Self Test Result[").count(), 20);
    let t = stdout(&ok(&["self-test-log", DEV, "-e", "2", "-v"]));
    assert_eq!(t.matches("Self Test Result[").count(), 2);
    assert!(
        t.contains(": 0xf Entry not used (does not contain a result)\n"),
        "{t}"
    );
    let j = json(&ok(&["self-test-log", DEV, "-o", "json"]));
    assert_eq!(j["Current Device Self-Test Operation"], 0);
    assert_eq!(j["Current Device Self-Test Completion"], 0);
    let r = j["List of Valid Reports"].as_array().unwrap();
    assert_eq!(r.len(), 20);
    assert_eq!(r[0], serde_json::json!({"Self test result": 15}));
    assert_eq!(ok(&["self-test-log", DEV, "-b"]).stdout.len(), 564);
}

#[test]
fn device_self_test_runs_waits_and_reports() {
    // Nothing running.
    assert_eq!(
        stdout(&ok(&["device-self-test", DEV])),
        "no self test running\n"
    );
    // Short test, waited for: the bar reaches 100%.
    let t = stdout(&ok(&["device-self-test", DEV, "-s", "1", "-w"]));
    assert!(
        t.starts_with("Short Device self-test started\nWaiting for self test completion...\n"),
        "{t}"
    );
    assert!(
        t.ends_with(&format!("\r[{}] 100%\n", "=".repeat(50))),
        "{t:?}"
    );
    let t = stdout(&ok(&["device-self-test", DEV, "-s", "2"]));
    assert_eq!(t, "Extended Device self-test started\n");
    let t = stdout(&ok(&["device-self-test", DEV, "-s", "0xf"]));
    assert_eq!(t, "Aborting device self-test operation\n");
    let j = json(&ok(&[
        "device-self-test",
        DEV,
        "-s",
        "1",
        "-n",
        "1",
        "-o",
        "json",
    ]));
    assert_eq!(j["command"], "device-self-test");
    assert_eq!(j["nsid"], 1);
    assert_eq!(j["status"], "Successful Completion");
    // Refusals: the controller's statuses, decoded.
    fails_with(
        &nvmeq(&["device-self-test", DEV, "-s", "1", "-n", "7"]),
        1,
        "Device Self-test: Invalid Namespace or Format (sct 0x0, sc 0x0b)",
    );
    fails_with(
        &nvmeq(&["device-self-test", DEV, "-s", "3"]),
        1,
        "Device Self-test: Invalid Field in Command (sct 0x0, sc 0x02)",
    );
}

#[test]
fn sanitize_log_every_format() {
    let t = stdout(&ok(&["sanitize-log", DEV]));
    assert!(
        t.starts_with("Sanitize Progress                      (SPROG) :  65535\nSanitize Status                        (SSTAT) :  0\nSanitize Command Dword 10 Information (SCDW10) :  0\n"),
        "{t}"
    );
    assert!(
        t.contains("Estimated Time For Overwrite                   :  0\nEstimated Time For Block Erase                 :  0\n")
            && t.contains("Estimated Time For Post-Verification Deallocation:  4294967295 (No time period reported)\n"),
        "{t}"
    );
    assert!(
        t.ends_with("Sanitize State Information               (SSI) : 0\n"),
        "{t}"
    );
    let h = stdout(&ok(&["sanitize-log", DEV, "-H"]));
    assert!(
        h.contains(
            "  [2:0] : Sanitize Operation Status  : 0\tNVM Subsystem has never been sanitized.\n"
        ),
        "{h}"
    );
    assert!(
        h.contains("  [3:0] : Sanitize State : 0\tIdle state\n"),
        "{h}"
    );
    let j = json(&ok(&["sanitize-log", DEV, "-o", "json"]));
    let d = &j["ram:64M"];
    assert_eq!(d["sprog"], 65535);
    assert_eq!(
        d["sstat"]["status"],
        "(0) NVM Subsystem has never been sanitized."
    );
    assert_eq!(
        d["time_over_write"], 0,
        "ram's sanitize completes with its command"
    );
    assert_eq!(
        d["sanitize_state_information"]["sanitize_state"],
        "(0) Idle state"
    );
    assert_eq!(ok(&["sanitize-log", DEV, "-b", "-r"]).stdout.len(), 512);
}

#[test]
fn changed_ns_and_effects_pages_every_format() {
    assert_eq!(
        stdout(&ok(&["changed-ns-list-log", DEV])),
        "no ns changed\n"
    );
    let j = json(&ok(&["changed-ns-list-log", DEV, "-o", "json"]));
    assert_eq!(
        j,
        serde_json::json!({"Changed Attached Namespace List Log": "ram:64M", "ram:64M": {}})
    );
    assert_eq!(
        ok(&["changed-ns-list-log", DEV, "-b"]).stdout,
        vec![0; 4096]
    );

    let t = stdout(&ok(&["fid-support-effects-log", DEV]));
    assert_eq!(
        t,
        "FID Supports Effects Log for device: ram:64M\nAdmin Command Set\n\
         FID 01 -> Support Effects Log: 00200001\n\
         FID 06 -> Support Effects Log: 00200001\n\
         FID 07 -> Support Effects Log: 00200001\n"
    );
    let h = stdout(&ok(&["fid-support-effects-log", DEV, "-H"]));
    assert!(
        h.contains("FID 07 -> Support Effects Log: 00200001  FSUPP+  UDCC-  NCC-  NIC-  CCC-  USS-  NAMESPACE SCOPE-  CONTROLLER SCOPE+  NVM SET SCOPE-"),
        "{h}"
    );
    let j = json(&ok(&["fid-support-effects-log", DEV, "-o", "json"]));
    assert_eq!(
        j,
        serde_json::json!({"fid_support": [{"fid_1": 0x200001}, {"fid_6": 0x200001}, {"fid_7": 0x200001}]})
    );
    assert_eq!(
        ok(&["fid-support-effects-log", DEV, "-b"]).stdout.len(),
        1024
    );

    // The ram controller has no NVMe-MI: the page is refused, by name.
    for fmt in ["normal", "json", "binary"] {
        fails_with(
            &nvmeq(&["mi-cmd-support-effects-log", DEV, "-o", fmt]),
            1,
            "NVMe-MI Commands Supported and Effects log: Invalid Log Page (sct 0x1, sc 0x09)",
        );
    }
}

#[test]
fn effects_log_lists_what_the_ram_controller_executes() {
    let j = json(&ok(&["effects-log", DEV, "-o", "json"]));
    let admin: Vec<&String> = j[0]["admin_cmd_set"].as_object().unwrap().keys().collect();
    assert_eq!(
        admin,
        [
            "ACS_2 (Get Log Page)",
            "ACS_6 (Identify)",
            "ACS_9 (Set Features)",
            "ACS_10 (Get Features)",
            "ACS_13 (Namespace Management)",
            "ACS_16 (Firmware Commit)",
            "ACS_17 (Firmware Image Download)",
            "ACS_20 (Device Self-test)",
            "ACS_21 (Namespace Attachment)",
            "ACS_25 (Directive Send)",
            "ACS_26 (Directive Receive)",
            "ACS_129 (Security Send)",
            "ACS_130 (Security Receive)",
            "ACS_132 (Sanitize)",
            "ACS_134 (Get LBA Status)"
        ]
    );
    // CSUPP, LBCC and NIC (a delete erases; both change the inventory).
    assert_eq!(
        j[0]["admin_cmd_set"]["ACS_13 (Namespace Management)"],
        0b1011
    );
    assert_eq!(
        j[0]["admin_cmd_set"]["ACS_21 (Namespace Attachment)"],
        0b1001
    );
    assert_eq!(j[0]["io_cmd_set"]["IOCS_1 (Write)"], 3);
    assert_eq!(j[0]["io_cmd_set"]["IOCS_2 (Read)"], 1);
    fails_with(
        &nvmeq(&["effects-log", DEV, "--csi", "2"]),
        1,
        "Invalid Field in Command",
    );
}

#[test]
fn pages_the_ram_controller_lacks_are_refused_by_name() {
    // No endurance groups, ANA or reservations on the ram controller.
    for (cmd, op) in [
        ("endurance-log", "Endurance Group Information log"),
        ("ana-log", "Asymmetric Namespace Access log"),
        ("resv-notif-log", "Reservation Notification log"),
    ] {
        for fmt in ["normal", "json", "binary"] {
            fails_with(
                &nvmeq(&[cmd, DEV, "-o", fmt]),
                1,
                &format!("{op}: Invalid Log Page (sct 0x1, sc 0x09) [DNR]"),
            );
        }
    }
}

#[test]
fn get_feature_human_decodes_each_field() {
    assert_eq!(
        stdout(&ok(&["get-feature", DEV, "-f", "7", "-H"])),
        "get-feature:0x07 (Number of Queues), Current value:0x003f003f\n\
         \tNumber of IO Completion Queues Allocated (NCQA): 64\n\
         \tNumber of IO Submission Queues Allocated (NSQA): 64\n"
    );
    let t = stdout(&ok(&["get-feature", DEV, "-H"]));
    assert!(
        t.contains("get-feature:0x01 (Arbitration), Current value:0x00000007\n\tHigh Priority Weight   (HPW): 1\n"),
        "{t}"
    );
    assert!(
        t.contains("get-feature:0x06 (Volatile Write Cache), Current value:0x00000001\n\tVolatile Write Cache Enable (WCE): Enabled\n"),
        "{t}"
    );
    // Supported capabilities are decoded as before, -H or not.
    let s = stdout(&ok(&["get-feature", DEV, "-f", "6", "-s", "3", "-H"]));
    assert!(s.ends_with("  Feature is changeable\n"), "{s}");
}
