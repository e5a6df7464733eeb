//! Every command on the in-memory controller (`ram:64M`): JSON shapes and
//! values, human layout, raw binary, data in and out, and the NVMe statuses
//! the controller returns, decoded.
//!
//! A ram device lives for one process, so each test is one invocation (or a
//! sequence that needs no state carried between them).

mod common;

use common::{fails_with, json, nvmeq, nvmeq_stdin, stderr, stdout, TempDir};

const DEV: &str = "ram:64M";

// ---------------------------------------------------------------- identify

#[test]
fn id_ctrl_json_has_nvme_cli_fields() {
    let v = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    let obj = v.as_object().unwrap();
    let keys: Vec<&str> = obj.keys().map(|k| k.as_str()).collect();
    assert_eq!(
        &keys[..12],
        [
            "vid", "ssvid", "sn", "mn", "fr", "rab", "ieee", "cmic", "mdts", "cntlid", "ver",
            "rtd3r"
        ]
    );
    for k in [
        "oacs", "acl", "aerl", "frmw", "lpa", "elpe", "npss", "sqes", "cqes", "nn", "oncs", "sgls",
        "tnvmcap", "psds",
    ] {
        assert!(obj.contains_key(k), "missing {k}");
    }
    assert!(v["vid"].is_u64() && v["ver"].is_u64() && v["tnvmcap"].is_u64());
    assert!(v["sn"].as_str().unwrap().starts_with("nvmeq-ram"));
    // nvme-cli 2.3 keeps the space padding of the 20-byte field.
    assert_eq!(v["sn"].as_str().unwrap().len(), 20);
    assert_eq!(v["nn"], 1);
    let psds = v["psds"].as_array().unwrap();
    assert_eq!(psds.len() as u64, v["npss"].as_u64().unwrap() + 1);
    assert!(psds[0].get("max_power").is_some() && psds[0].get("active_scale").is_some());
    // sqes/cqes: required and maximum entry sizes 64 and 16 bytes.
    assert_eq!(v["sqes"].as_u64().unwrap() & 0xf, 6);
    assert_eq!(v["cqes"].as_u64().unwrap() & 0xf, 4);
}

#[test]
fn id_ctrl_human_and_binary() {
    let out = nvmeq(&["id-ctrl", DEV]);
    assert!(out.status.success(), "{}", stderr(&out));
    let t = stdout(&out);
    assert!(
        t.starts_with("NVME Identify Controller:\nvid       : "),
        "{t}"
    );
    assert!(t.contains("\nsn        : nvmeq-ram"), "{t}");
    assert!(t.contains("\nnn        : 1\n"), "{t}");
    assert!(t.contains("\nps      0 : mp:"), "{t}");
    let raw = nvmeq(&["id-ctrl", DEV, "-o", "binary"]);
    assert_eq!(raw.stdout.len(), 4096);
    assert_eq!(&raw.stdout[4..13], b"nvmeq-ram");
    // -b is nvme-cli's spelling of the same.
    assert_eq!(nvmeq(&["id-ctrl", DEV, "-b"]).stdout, raw.stdout);
    let vs = stdout(&nvmeq(&["id-ctrl", DEV, "-v"]));
    assert!(vs.contains("vs[]:\n       0  1  2"), "{vs}");
}

#[test]
fn id_ns_json_and_lbaf_lines() {
    let v = json(&nvmeq(&["id-ns", DEV, "-n", "1", "-o", "json"]));
    assert_eq!(v["nsze"], 64 * 1024 * 1024 / 512);
    assert_eq!(v["ncap"], v["nsze"]);
    assert_eq!(v["nlbaf"], 0);
    assert_eq!(v["flbas"], 0);
    assert_eq!(v["lbafs"], serde_json::json!([{"ms": 0, "ds": 9, "rp": 0}]));
    for k in [
        "nsfeat", "mc", "dpc", "dps", "nmic", "rescap", "fpi", "dlfeat", "nawun", "nvmcap",
        "eui64", "nguid",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert_eq!(v["nguid"].as_str().unwrap().len(), 32);
    let t = stdout(&nvmeq(&["id-ns", DEV]));
    assert!(
        t.starts_with("NVME Identify Namespace 1:\nnsze    : 0x20000\n"),
        "{t}"
    );
    assert!(t.contains("lbaf  0 : ms:0   lbads:9  rp:0 (in use)"), "{t}");

    let v = json(&nvmeq(&["id-ns", "ram:64M,lba=4096", "-o", "json"]));
    assert_eq!(v["nsze"], 64 * 1024 * 1024 / 4096);
    assert_eq!(v["lbafs"][0]["ds"], 12);
    assert_eq!(nvmeq(&["id-ns", DEV, "-b"]).stdout.len(), 4096);
}

#[test]
fn id_ns_of_a_missing_namespace_is_a_decoded_status() {
    let out = nvmeq(&["id-ns", DEV, "-n", "7"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("(sct 0x"), "{}", stderr(&out));
}

#[test]
fn list_ns_and_ns_descs() {
    let v = json(&nvmeq(&["list-ns", "ram:64M,nn=3", "-o", "json"]));
    assert_eq!(
        v,
        serde_json::json!({"nsid_list": [{"nsid": 1}, {"nsid": 2}, {"nsid": 3}]})
    );
    let t = stdout(&nvmeq(&["list-ns", "ram:64M,nn=2"]));
    assert_eq!(t, "[   0]:0x1\n[   1]:0x2\n");
    // IDs greater than 1 only.
    let v = json(&nvmeq(&[
        "list-ns",
        "ram:64M,nn=3",
        "-n",
        "1",
        "-o",
        "json",
    ]));
    assert_eq!(
        v["nsid_list"],
        serde_json::json!([{"nsid": 2}, {"nsid": 3}])
    );

    let v = json(&nvmeq(&["ns-descs", DEV, "-o", "json"]));
    let d = v["ns-descs"].as_array().unwrap();
    let csi = d
        .iter()
        .find(|e| e["type"] == "csi")
        .expect("a CSI descriptor");
    assert_eq!(csi["csi"], "0");
    assert_eq!(csi["nidt"], 4);
    assert_eq!(d[0]["loc"], 0);
    let t = stdout(&nvmeq(&["ns-descs", DEV]));
    assert!(
        t.starts_with("NVME Namespace Identification Descriptors NS 1:\n"),
        "{t}"
    );
    assert!(t.contains("csi     : 0\n"), "{t}");
}

// ---------------------------------------------------------------- logs

#[test]
fn smart_log_json_human_binary() {
    let v = json(&nvmeq(&["smart-log", DEV, "-o", "json"]));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(
        &keys[..7],
        [
            "critical_warning",
            "temperature",
            "avail_spare",
            "spare_thresh",
            "percent_used",
            "endurance_grp_critical_warning_summary",
            "data_units_read"
        ]
    );
    for k in [
        "data_units_written",
        "host_read_commands",
        "host_write_commands",
        "controller_busy_time",
        "power_cycles",
        "power_on_hours",
        "unsafe_shutdowns",
        "media_errors",
        "num_err_log_entries",
        "warning_temp_time",
        "critical_comp_time",
        "thm_temp1_trans_count",
        "thm_temp2_total_time",
    ] {
        assert!(v[k].is_u64(), "{k}: {}", v[k]);
    }
    // Kelvin, as nvme-cli 2.3's JSON.
    let k = v["temperature"].as_u64().unwrap();
    assert!((250..400).contains(&k), "{k}");
    let t = stdout(&nvmeq(&["smart-log", DEV]));
    assert!(
        t.starts_with("Smart Log for NVME device:ram:64M namespace-id:ffffffff\n"),
        "{t}"
    );
    assert!(t.contains(&format!("°C ({k} Kelvin)")), "{t}");
    assert_eq!(nvmeq(&["smart-log", DEV, "-b"]).stdout.len(), 512);
}

#[test]
fn error_log_has_elpe_plus_one_entries_at_most() {
    let c = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    let max = c["elpe"].as_u64().unwrap() + 1;
    let v = json(&nvmeq(&["error-log", DEV, "-o", "json"]));
    let e = v["errors"].as_array().unwrap();
    assert_eq!(e.len() as u64, max.min(64));
    for k in [
        "error_count",
        "sqid",
        "cmdid",
        "status_field",
        "phase_tag",
        "parm_error_location",
        "lba",
        "nsid",
        "vs",
        "trtype",
        "cs",
        "trtype_spec_info",
    ] {
        assert!(e[0].get(k).is_some(), "missing {k}");
    }
    let v = json(&nvmeq(&["error-log", DEV, "-e", "1", "-o", "json"]));
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);
    assert_eq!(nvmeq(&["error-log", DEV, "-e", "1", "-b"]).stdout.len(), 64);
    let t = stdout(&nvmeq(&["error-log", DEV, "-e", "2"]));
    assert!(
        t.starts_with("Error Log Entries for device:ram:64M entries:2\n"),
        "{t}"
    );
    fails_with(&nvmeq(&["error-log", DEV, "-e", "0"]), 2, "at least 1");
}

#[test]
fn fw_log_is_keyed_by_device() {
    let v = json(&nvmeq(&["fw-log", DEV, "-o", "json"]));
    let slots = &v["ram:64M"];
    let afi = slots["Active Firmware Slot (afi)"].as_u64().unwrap();
    let active = afi & 7;
    assert!((1..=7).contains(&active), "{afi}");
    let frs = slots[format!("Firmware Rev Slot {active}").as_str()]
        .as_str()
        .unwrap();
    // "<u64 of the 8 bytes> (<printable revision>)", as nvme-cli prints it.
    let (n, rev) = frs.split_once(" (").unwrap();
    let fr = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]))["fr"]
        .as_str()
        .unwrap()
        .to_string();
    let mut bytes = [b' '; 8];
    bytes[..fr.len()].copy_from_slice(fr.as_bytes());
    assert_eq!(n.parse::<u64>().unwrap(), u64::from_le_bytes(bytes));
    assert_eq!(&rev[..fr.trim_end().len()], fr.trim_end());
    let t = stdout(&nvmeq(&["fw-log", DEV]));
    assert!(
        t.starts_with("Firmware Log for device:ram:64M\nafi  : "),
        "{t}"
    );
    assert_eq!(nvmeq(&["fw-log", DEV, "-b"]).stdout.len(), 512);
}

#[test]
fn effects_log_prints_the_page_or_the_decoded_refusal() {
    let out = nvmeq(&["effects-log", DEV, "-o", "json"]);
    if out.status.success() {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v[0]["command_set_identifier"], 0);
        assert!(v[0]["admin_cmd_set"]["ACS_6 (Identify)"].is_u64(), "{v}");
    } else {
        // The ram controller does not keep this page; the status is named.
        fails_with(&out, 1, "Invalid Log Page (sct 0x1, sc 0x09)");
    }
}

// ---------------------------------------------------------------- features

#[test]
fn get_and_set_feature() {
    let v = json(&nvmeq(&["get-feature", DEV, "-f", "7", "-o", "json"]));
    assert_eq!(v["feature_id"], 7);
    assert_eq!(v["name"], "Number of Queues");
    assert_eq!(v["sel"], "Current");
    assert!(v["value"].is_u64());
    let t = stdout(&nvmeq(&["get-feature", DEV, "-f", "0x07"]));
    assert!(
        t.starts_with("get-feature:0x07 (Number of Queues), Current value:"),
        "{t}"
    );
    fails_with(
        &nvmeq(&["get-feature", DEV, "-f", "7", "-s", "4"]),
        2,
        "not a select value",
    );

    fails_with(
        &nvmeq(&["set-feature", DEV, "-f", "6", "-V", "1"]),
        2,
        "--namespace-id",
    );
    let t = stdout(&nvmeq(&[
        "set-feature",
        DEV,
        "-f",
        "6",
        "-v",
        "1",
        "-n",
        "1",
    ]));
    assert_eq!(
        t,
        "set-feature:0x06 (Volatile Write Cache), value:0x00000001, cdw12:00000000, save:0\n"
    );
}

// ---------------------------------------------------------------- I/O

/// `-D`, `-T` and `-S` land in the dwords the NVM Command Set gives them
/// (DTYPE CDW12 23:20, DSPEC CDW13 31:16, DSM CDW13 7:0), only in the
/// commands that define them.
#[test]
fn hints_and_directives_reach_their_fields() {
    let shown = |args: &[&str]| {
        let mut a = vec![args[0], DEV, "-n", "1", "-z", "512", "-w"];
        a.extend(&args[1..]);
        stderr(&nvmeq_stdin(&a, &[0u8; 512]))
    };
    let w = shown(&["write", "-T", "2", "-S", "0x1234", "-D", "0x7"]);
    assert!(w.contains("cdw12        : 00200000"), "{w}");
    assert!(w.contains("cdw13        : 12340007"), "{w}");
    let r = shown(&["read", "-D", "0x41"]);
    assert!(r.contains("cdw13        : 00000041"), "{r}");
    fails_with(
        &nvmeq(&["read", DEV, "-T", "1"]),
        2,
        "read: --dir-type and --dir-spec are Write fields",
    );
    fails_with(
        &nvmeq_stdin(&["compare", DEV, "-z", "512", "-D", "1"], &[0u8; 512]),
        2,
        "compare: --dsm is a Read and Write field",
    );
    for cmd in ["write", "write-uncor", "copy"] {
        fails_with(
            &nvmeq(&[cmd, DEV, "-n", "1", "-T", "0x10"]),
            2,
            "'0x10' is out of range for a 4-bit field",
        );
    }
    // Write Uncorrectable takes the directive too; ram has no such command,
    // so the controller's refusal comes back after the fields are checked.
    fails_with(
        &nvmeq(&["write-uncor", DEV, "-n", "1", "-T", "2", "-S", "1"]),
        1,
        "Write Uncorrectable: Invalid Command Opcode (sct 0x0, sc 0x01)",
    );
}

#[test]
fn read_sizes_and_destinations() {
    let out = nvmeq(&["read", DEV, "-s", "0", "-c", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(out.stdout, vec![0u8; 512]);
    assert_eq!(nvmeq(&["read", DEV, "-c", "7"]).stdout.len(), 4096);
    assert_eq!(nvmeq(&["read", DEV, "-z", "4k"]).stdout.len(), 4096);
    assert_eq!(
        nvmeq(&["read", "ram:64M,lba=4096", "-c", "1"]).stdout.len(),
        8192
    );
    fails_with(
        &nvmeq(&["read", DEV, "-c", "0", "-z", "4096"]),
        2,
        "disagrees with --block-count 0",
    );
    fails_with(
        &nvmeq(&["read", DEV, "-z", "100"]),
        2,
        "whole number of 512-byte",
    );

    let t = TempDir::new("read");
    let f = t.path().join("out.bin");
    let out = nvmeq(&["read", DEV, "-c", "1", "-d", f.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&f).unwrap(), vec![0u8; 1024]);

    let v = json(&nvmeq(&["read", DEV, "-s", "8", "-o", "json"]));
    assert_eq!(v["slba"], 8);
    assert_eq!(v["nlb"], 1);
    assert_eq!(v["data"], "00".repeat(512));
}

#[test]
fn a_reader_that_goes_away_ends_the_read_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_nvmeq"))
        .args(["read", DEV, "-c", "1023"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stderr.is_empty(), "{}", stderr(&out));
}

#[test]
fn out_of_range_io_is_lba_out_of_range() {
    // 64 MiB of 512-byte blocks: the last LBA is 0x1ffff.
    fails_with(
        &nvmeq(&["read", DEV, "-s", "0x20000"]),
        1,
        "LBA Out of Range (sct 0x0, sc 0x80)",
    );
    fails_with(
        &nvmeq(&["read", DEV, "-s", "0x1ffff", "-c", "1"]),
        1,
        "LBA Out of Range (sct 0x0, sc 0x80)",
    );
    fails_with(
        &nvmeq(&["verify", DEV, "-s", "0x20000"]),
        1,
        "LBA Out of Range (sct 0x0, sc 0x80)",
    );
    let out = nvmeq_stdin(&["write", DEV, "-n", "1", "-s", "0x20000"], &[0u8; 512]);
    fails_with(&out, 1, "Write: LBA Out of Range (sct 0x0, sc 0x80)");
    assert!(nvmeq(&["read", DEV, "-s", "0x1ffff"]).status.success());
}

#[test]
fn write_needs_a_namespace_and_enough_data() {
    fails_with(
        &nvmeq_stdin(&["write", DEV], &[1u8; 512]),
        2,
        "--namespace-id",
    );
    let out = nvmeq_stdin(&["write", DEV, "-n", "1", "-c", "1"], &[0xa5; 1024]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "write: Success\n");
    let out = nvmeq_stdin(&["write", DEV, "-n", "1", "-c", "1"], &[0xa5; 100]);
    fails_with(
        &out,
        2,
        "stdin holds 100 bytes but the command transfers 1024 bytes",
    );
    let v = json(&nvmeq_stdin(
        &["write", DEV, "-n", "1", "-o", "json"],
        &[7u8; 512],
    ));
    assert_eq!(v["command"], "write");
    assert_eq!(v["status"], "Successful Completion");

    let t = TempDir::new("write");
    let f = t.path().join("in.bin");
    std::fs::write(&f, [3u8; 4096]).unwrap();
    let out = nvmeq(&[
        "write",
        DEV,
        "-n",
        "1",
        "-z",
        "4096",
        "-d",
        f.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let missing = t.path().join("nope.bin");
    fails_with(
        &nvmeq(&["write", DEV, "-n", "1", "-d", missing.to_str().unwrap()]),
        1,
        "opening data file",
    );
}

#[test]
fn compare_matches_zeroes_and_fails_on_other_data() {
    // A fresh ram namespace reads back zeroes.
    let out = nvmeq_stdin(&["compare", DEV, "-c", "3"], &[0u8; 2048]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut data = vec![0u8; 512];
    data[100] = 1;
    let out = nvmeq_stdin(&["compare", DEV, "-n", "1"], &data);
    fails_with(&out, 1, "Compare Failure");
    assert!(
        stderr(&out).contains("Compare: Compare Failure (sct 0x2, sc 0x85)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn verify_flush_write_zeroes_dsm() {
    assert_eq!(
        stderr(&nvmeq(&["verify", DEV, "-c", "7"])),
        "verify: Success\n"
    );
    assert_eq!(stderr(&nvmeq(&["flush", DEV])), "flush: Success\n");
    let v = json(&nvmeq(&["flush", DEV, "-n", "1", "-o", "json"]));
    assert_eq!(v["nsid"], 1);

    fails_with(
        &nvmeq(&["write-zeroes", DEV, "-c", "7"]),
        2,
        "--namespace-id",
    );
    assert!(
        nvmeq(&["write-zeroes", DEV, "-n", "1", "-c", "7", "--deac"])
            .status
            .success()
    );
    fails_with(
        &nvmeq(&["write-zeroes", DEV, "-n", "1", "-s", "0x20000"]),
        1,
        "LBA Out of Range",
    );

    fails_with(
        &nvmeq(&["dsm", DEV, "-s", "0", "-b", "8", "-d"]),
        2,
        "--namespace-id",
    );
    assert!(
        nvmeq(&["dsm", DEV, "-n", "1", "-s", "0,64", "-b", "8,8", "-d"])
            .status
            .success()
    );
    assert!(
        nvmeq(&["dsm", DEV, "-n", "1", "--ranges", "0+8,0x100+16", "--ad"])
            .status
            .success()
    );
    fails_with(
        &nvmeq(&["dsm", DEV, "-n", "1", "-s", "0,8", "-b", "8"]),
        2,
        "--slbs has 2 entries but --blocks has 1",
    );
    fails_with(&nvmeq(&["dsm", DEV, "-n", "1"]), 2, "dsm needs ranges");
    fails_with(
        &nvmeq(&["dsm", DEV, "-n", "1", "--ranges", "0-8"]),
        2,
        "is not SLBA+NLB",
    );
}

// ---------------------------------------------------------------- passthrough

#[test]
fn verify_and_write_zeroes_take_protection_options() {
    // Never-written blocks pass every check the format allows.
    assert_eq!(
        stderr(&nvmeq(&["verify", "ram:64M,pi=1", "-c", "7", "-p", "0x7"])),
        "verify: Success\n"
    );
    // Type 1's reference tag must be the LBA's low bits: -r 5 at LBA 0 is
    // refused by the controller, by name.
    fails_with(
        &nvmeq(&["verify", "ram:64M,pi=1", "-s", "0", "-p", "0x1", "-r", "5"]),
        1,
        "Invalid Protection Information (sct 0x1, sc 0x81)",
    );
    // PRACT: the controller writes the PI of the zeroed blocks itself.
    assert!(nvmeq(&[
        "write-zeroes",
        "ram:64M,pi=1",
        "-n",
        "1",
        "-c",
        "7",
        "-p",
        "0x8"
    ])
    .status
    .success());
    fails_with(
        &nvmeq(&["verify", DEV, "-p", "0x7"]),
        2,
        "--prinfo needs a namespace formatted with protection information",
    );
    fails_with(
        &nvmeq(&["write-zeroes", "ram:64M,pi=1", "-n", "1", "-p", "0x10"]),
        2,
        "--prinfo 0x10 is not a 4-bit value",
    );
}

#[test]
fn reset_and_rescan_name_what_the_backend_lacks() {
    fails_with(
        &nvmeq(&["reset", DEV]),
        1,
        "reset: not supported by this backend: a controller reset goes through the kernel",
    );
    fails_with(
        &nvmeq(&["ns-rescan", DEV]),
        1,
        "no kernel view of its namespaces to rescan",
    );
}

#[test]
fn io_passthru_moves_separate_metadata_sized_by_nlb() {
    let dir = TempDir::new("passthru-meta");
    let at = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    let (d, m, back) = (at("d"), at("m"), at("back"));
    std::fs::write(&d, [0x5au8; 1024]).unwrap();
    std::fs::write(&m, [7u8; 16]).unwrap();
    let dev = "ram:64M,ms=8";
    // A read of two blocks brings 16 bytes of metadata without being told.
    let v = json(&nvmeq(&[
        "io-passthru",
        dev,
        "-O",
        "2",
        "-n",
        "1",
        "-l",
        "1024",
        "--cdw12",
        "1",
        "-r",
        "-o",
        "json",
    ]));
    assert_eq!(
        (v["data_len"].as_u64(), v["metadata_len"].as_u64()),
        (Some(1024), Some(16))
    );
    assert_eq!(v["metadata"].as_str().map(str::len), Some(32));
    // A write sends what --metadata holds, and needs it.
    fails_with(
        &nvmeq(&[
            "io-passthru",
            dev,
            "-O",
            "1",
            "-n",
            "1",
            "-l",
            "1024",
            "--cdw12",
            "1",
            "-i",
            &d,
        ]),
        2,
        "sends 16 bytes of separate metadata: give them with --metadata FILE",
    );
    assert!(nvmeq(&[
        "io-passthru",
        dev,
        "-O",
        "1",
        "-n",
        "1",
        "-l",
        "1024",
        "--cdw12",
        "1",
        "-i",
        &d,
        "-M",
        &m,
    ])
    .status
    .success());
    // Read back into a file in the same process is not possible (a ram
    // device lives for one call), so the read's metadata goes to a file.
    assert!(nvmeq(&[
        "io-passthru",
        dev,
        "-O",
        "2",
        "-n",
        "1",
        "-l",
        "1024",
        "--cdw12",
        "1",
        "-r",
        "-M",
        &back,
    ])
    .status
    .success());
    assert_eq!(std::fs::read(&back).unwrap().len(), 16);
    fails_with(
        &nvmeq(&[
            "io-passthru",
            dev,
            "-O",
            "2",
            "-n",
            "1",
            "-l",
            "512",
            "-r",
            "-m",
            "4",
        ]),
        2,
        "moves 8 bytes of separate metadata by its NLB and the namespace's format, more than \
         --metadata-len 4",
    );
    // PRACT on PI-only metadata: none moves, so --metadata is refused.
    fails_with(
        &nvmeq(&[
            "io-passthru",
            "ram:64M,pi=1",
            "-O",
            "2",
            "-n",
            "1",
            "-l",
            "512",
            "--cdw12",
            "0x20000000",
            "-r",
            "-M",
            &back,
        ]),
        2,
        "this command moves no separate metadata",
    );
}

#[test]
fn admin_passthru_identify_equals_id_ctrl() {
    let raw = nvmeq(&[
        "admin-passthru",
        DEV,
        "-O",
        "0x06",
        "--cdw10",
        "1",
        "-l",
        "4096",
        "-b",
    ]);
    assert!(raw.status.success(), "{}", stderr(&raw));
    assert_eq!(raw.stdout, nvmeq(&["id-ctrl", DEV, "-b"]).stdout);
    let t = stdout(&nvmeq(&[
        "admin-passthru",
        DEV,
        "-O",
        "6",
        "-4",
        "1",
        "-l",
        "4096",
    ]));
    assert!(
        t.starts_with("NVMe command result:00000000\n       0  1  2"),
        "{t}"
    );
    let v = json(&nvmeq(&[
        "admin-passthru",
        DEV,
        "-O",
        "6",
        "-4",
        "1",
        "-o",
        "json",
    ]));
    assert_eq!(v["opcode"], 6);
    // No --data-len: the length comes from the command (Identify: 4096).
    assert_eq!(v["data_len"], 4096);
    assert_eq!(v["data"].as_str().unwrap().len(), 8192);
    // A buffer smaller than the command's own transfer is refused.
    fails_with(
        &nvmeq(&["admin-passthru", DEV, "-O", "6", "-4", "1", "-l", "16"]),
        2,
        "transfers 4096 bytes by its own dwords, more than --data-len 16",
    );
    // Get Log Page, SMART: NUMD 127 in CDW10 bits 31:16 is 512 bytes.
    let raw = nvmeq(&[
        "admin-passthru",
        DEV,
        "-O",
        "2",
        "-4",
        "0x007f0002",
        "-n",
        "0xffffffff",
        "-b",
    ]);
    assert_eq!(raw.stdout, nvmeq(&["smart-log", DEV, "-b"]).stdout);
    // Get Features, Number of Queues: the value comes back in dword 0.
    let v = json(&nvmeq(&[
        "admin-passthru",
        DEV,
        "-O",
        "0x0a",
        "-4",
        "7",
        "-o",
        "json",
    ]));
    let f = json(&nvmeq(&["get-feature", DEV, "-f", "7", "-o", "json"]));
    assert_eq!(v["result"], f["value"]);
    // Unknown admin opcode: the controller says so.
    fails_with(
        &nvmeq(&["admin-passthru", DEV, "-O", "0xc4"]),
        1,
        "Invalid Command Opcode (sct 0x0, sc 0x01)",
    );
}

#[test]
fn passthru_safety_rules() {
    // Destructive admin opcodes: namespace and --force.
    fails_with(
        &nvmeq(&["admin-passthru", DEV, "-O", "0x80"]),
        2,
        "--namespace-id",
    );
    fails_with(
        &nvmeq(&["admin-passthru", DEV, "-O", "0x80", "-n", "1"]),
        2,
        "--force",
    );
    fails_with(
        &nvmeq(&["admin-passthru", DEV, "-O", "0x84", "-n", "1"]),
        2,
        "--force",
    );
    fails_with(
        &nvmeq(&["admin-passthru", DEV, "-O", "0x09", "-4", "6"]),
        2,
        "Set Features",
    );
    // Host-to-controller data or data-changing I/O: namespace.
    fails_with(
        &nvmeq_stdin(&["io-passthru", DEV, "-O", "1", "-l", "512"], &[0u8; 512]),
        2,
        "Write (opcode 0x01)",
    );
    fails_with(&nvmeq(&["io-passthru", DEV, "-O", "8"]), 2, "Write Zeroes");
    fails_with(
        &nvmeq(&["io-passthru", DEV, "-O", "2", "-l", "512", "-w"]),
        2,
        "--namespace-id",
    );
    // A read needs none; dry run sends nothing.
    let out = nvmeq(&["io-passthru", DEV, "-O", "2", "-n", "1", "-l", "512", "-b"]);
    assert_eq!(out.stdout, vec![0u8; 512], "{}", stderr(&out));
    // Read of NLB 3 (zero-based) with no --data-len: 4 blocks.
    let out = nvmeq(&[
        "io-passthru",
        DEV,
        "-O",
        "2",
        "-n",
        "1",
        "--cdw12",
        "3",
        "-b",
    ]);
    assert_eq!(out.stdout.len(), 2048, "{}", stderr(&out));
    fails_with(
        &nvmeq(&[
            "io-passthru",
            DEV,
            "-O",
            "2",
            "-n",
            "1",
            "-6",
            "3",
            "-l",
            "512",
        ]),
        2,
        "transfers 2048 bytes",
    );
    let out = nvmeq(&[
        "io-passthru",
        DEV,
        "-O",
        "2",
        "-n",
        "1",
        "-l",
        "512",
        "-6",
        "0",
        "-d",
    ]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("opcode       : 02"),
        "{}",
        stderr(&out)
    );
    fails_with(
        &nvmeq(&["io-passthru", DEV, "-O", "0", "-l", "512"]),
        2,
        "transfers no data",
    );
    // A write through passthrough, then its data is compared in the same namespace: zeroes in, zeroes match.
    let out = nvmeq_stdin(
        &["io-passthru", DEV, "-O", "1", "-n", "1", "-l", "512"],
        &[0u8; 512],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

// ---------------------------------------------------------------- zns, format, sanitize, regs

#[test]
fn zns_rules_and_errors() {
    fails_with(&nvmeq(&["zns", "reset", DEV]), 2, "--namespace-id");
    fails_with(
        &nvmeq(&["zns", "finish", DEV, "-s", "0"]),
        2,
        "--namespace-id",
    );
    fails_with(
        &nvmeq_stdin(&["zns", "append", DEV, "-z", "512"], &[0u8; 512]),
        2,
        "--namespace-id",
    );
    fails_with(
        &nvmeq(&["zns", "report-zones", DEV, "-S", "9"]),
        2,
        "zone state filter",
    );
    // The ram namespace is not zoned: the zoned Identify is refused, by name.
    let out = nvmeq(&["zns", "report-zones", DEV]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("(sct 0x") || stderr(&out).contains("not a zoned namespace"),
        "{}",
        stderr(&out)
    );
    // nvme-cli's spellings are aliases.
    assert!(nvmeq(&["zns", "reset-zone", "--help"]).status.success());
}

#[test]
fn format_and_sanitize_need_namespace_and_force() {
    fails_with(&nvmeq(&["format", DEV]), 2, "--namespace-id");
    fails_with(&nvmeq(&["format", DEV, "-n", "1"]), 2, "pass --force");
    fails_with(
        &nvmeq(&["format", DEV, "-n", "1", "--force", "--lbaf", "5"]),
        2,
        "has LBA formats 0..=0",
    );
    fails_with(
        &nvmeq(&["format", DEV, "-n", "1", "--force", "--ses", "3"]),
        2,
        "--ses 3 is out of range",
    );
    fails_with(
        &nvmeq(&["format", DEV, "-n", "1", "--force", "-b", "4096"]),
        2,
        "no LBA format of that size",
    );
    let out = nvmeq(&["format", DEV, "-n", "1", "--force"]);
    if out.status.success() {
        assert_eq!(stdout(&out), "Success formatting namespace:1\n");
    } else {
        // The ram controller does not implement Format NVM: named, exit 1.
        fails_with(&out, 1, "Format NVM: Invalid Command Opcode");
    }

    fails_with(&nvmeq(&["sanitize", DEV, "-a", "2"]), 2, "--namespace-id");
    fails_with(
        &nvmeq(&["sanitize", DEV, "-a", "2", "--namespace-id", "1", "--force"]),
        2,
        "whole subsystem",
    );
    fails_with(
        &nvmeq(&["sanitize", DEV, "-a", "2", "--namespace-id", "all"]),
        2,
        "pass --force",
    );
    fails_with(
        &nvmeq(&["sanitize", DEV, "-a", "9"]),
        2,
        "sanitize action 9 does not exist",
    );
    fails_with(
        &nvmeq(&[
            "sanitize",
            DEV,
            "-a",
            "start-block-erase",
            "-n",
            "2",
            "--namespace-id",
            "all",
            "--force",
        ]),
        2,
        "apply only to --sanact start-overwrite",
    );
    // Ram sanitizes (SANICAP 7h): stderr says so, JSON prints the Done object.
    let out = nvmeq(&[
        "sanitize",
        DEV,
        "-a",
        "start-crypto-erase",
        "--namespace-id",
        "all",
        "--force",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("sanitize: Success"));
    let out = nvmeq(&[
        "sanitize",
        DEV,
        "-a",
        "start-overwrite",
        "--ovrpat",
        "0x11223344",
        "--owpass",
        "2",
        "--oipbp",
        "--namespace-id",
        "all",
        "--force",
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["command"], "sanitize");
}

#[test]
fn show_regs_needs_a_register_file() {
    fails_with(
        &nvmeq(&["show-regs", DEV]),
        1,
        "show-regs: the in-memory controller ram:",
    );
}

// ---------------------------------------------------------------- bad input

#[test]
fn malformed_numbers_are_usage_errors() {
    let out = nvmeq(&["read", DEV, "-s", "0xzz"]);
    fails_with(&out, 2, "'0xzz' is not a number: 'z' is not a hex digit");
    fails_with(
        &nvmeq(&["read", DEV, "-c", "70000"]),
        2,
        "out of range for a 16-bit field",
    );
    fails_with(
        &nvmeq(&["admin-passthru", DEV, "-O", "0x100"]),
        2,
        "out of range for a 8-bit field",
    );
    fails_with(
        &nvmeq(&["admin-passthru", DEV, "-O", "6", "--cdw10", "0x1_0"]),
        2,
        "not a hex digit",
    );
    fails_with(&nvmeq(&["id-ns", DEV, "-n", "-1"]), 2, "");
}

#[test]
fn backend_override_and_bare_ram() {
    let a = nvmeq(&["id-ns", "64M", "--backend", "ram", "-o", "json"]);
    assert_eq!(json(&a)["nsze"], 64 * 1024 * 1024 / 512);
    // `ram` alone: the facade's default size (1 GiB).
    assert_eq!(
        json(&nvmeq(&["id-ns", "ram", "-o", "json"]))["nsze"],
        (1u64 << 30) / 512
    );
    fails_with(
        &nvmeq(&["id-ctrl", "ram:64M", "--backend", "ioctl"]),
        1,
        "`64M` is not an absolute path",
    );
}

#[test]
fn bad_devices_say_what_is_wrong() {
    fails_with(
        &nvmeq(&["id-ctrl", "/dev/ng42n7"]),
        1,
        "/dev/ng42n7: no such device",
    );
    fails_with(&nvmeq(&["id-ctrl", "/dev/null"]), 1, "not an NVMe one");
    fails_with(
        &nvmeq(&["id-ctrl", "ioctl:/etc/hostname"]),
        1,
        "not a device file",
    );
    fails_with(
        &nvmeq(&["id-ctrl", "vfio:0000:00:4.0"]),
        1,
        "bad PCI address",
    );
    fails_with(
        &nvmeq(&["id-ctrl", "vfio:00000:00:04.0"]),
        1,
        "bad PCI address",
    );
    fails_with(
        &nvmeq(&["id-ctrl", "spdk:/dev/ng0n1"]),
        1,
        "unknown backend `spdk:`",
    );
    fails_with(&nvmeq(&["id-ctrl", "ram:lots"]), 1, "bad size");
    fails_with(&nvmeq(&["id-ctrl", "nvme0"]), 1, "is not a device");
    fails_with(&nvmeq(&["id-ctrl"]), 2, "DEVICE");
    fails_with(&nvmeq(&["list", "-o", "binary"]), 2, "no binary form");
}

/// Every command, run with its smallest argument list: none may panic
/// (exit 101) whatever it answers.
#[test]
fn no_command_panics() {
    let cmds: &[&[&str]] = &[
        &["id-ctrl", DEV],
        &["id-ns", DEV],
        &["list-ns", DEV],
        &["ns-descs", DEV],
        &["smart-log", DEV],
        &["error-log", DEV],
        &["fw-log", DEV],
        &["effects-log", DEV],
        &["get-log", DEV, "-i", "2", "-l", "512"],
        &["get-log", DEV, "-i", "0x70", "-l", "4"],
        &["supported-log-pages", DEV],
        &["self-test-log", DEV],
        &["device-self-test", DEV, "-s", "1", "-w"],
        &["device-self-test", DEV, "-s", "3"],
        &["sanitize-log", DEV],
        &["changed-ns-list-log", DEV],
        &["fid-support-effects-log", DEV],
        &["mi-cmd-support-effects-log", DEV],
        &["get-feature", DEV, "-f", "1"],
        &["set-feature", DEV, "-f", "1"],
        &["read", DEV],
        &["write", DEV],
        &["compare", DEV],
        &["verify", DEV],
        &["flush", DEV],
        &["write-zeroes", DEV],
        &["dsm", DEV],
        &["admin-passthru", DEV, "-O", "0"],
        &["io-passthru", DEV, "-O", "0"],
        &["zns", "report-zones", DEV],
        &["zns", "open", DEV],
        &["zns", "close", DEV],
        &["zns", "finish", DEV],
        &["zns", "reset", DEV],
        &["zns", "append", DEV, "-z", "512"],
        &["format", DEV],
        &["sanitize", DEV, "-a", "1"],
        &["show-regs", DEV],
        &["nvm-id-ns", DEV],
        &["id-ns-lba-format", DEV],
        &["nvm-id-ns-lba-format", DEV],
        &["get-ns-id", DEV],
        &["copy", DEV, "-n", "1", "-s", "0", "-b", "0"],
        &["write-uncor", DEV, "-n", "1"],
        &["attach-ns", DEV, "-n", "1"],
        &["detach-ns", DEV, "-n", "1", "--force"],
        &["delete-ns", DEV, "-n", "1", "--force"],
        &["fw-commit", DEV, "--force"],
        &["resv-report", DEV],
        &["resv-register", DEV, "-n", "1"],
        &["resv-acquire", DEV, "-n", "1", "-t", "1"],
        &["resv-release", DEV, "-n", "1", "-a", "1"],
        &["list"],
    ];
    for c in cmds {
        for fmt in ["normal", "json", "binary"] {
            let mut args = c.to_vec();
            args.extend(["-o", fmt]);
            let out = nvmeq(&args);
            assert_ne!(
                out.status.code(),
                Some(101),
                "{args:?} panicked: {}",
                stderr(&out)
            );
            assert!(
                !stderr(&out).contains("panicked"),
                "{args:?}: {}",
                stderr(&out)
            );
        }
    }
}

/// `copy` on ram: one and several ranges succeed with the `Done` JSON; the
/// ranges are checked against the namespace, ram's limits and descriptor
/// format 0 (the only one it keeps); the options before anything is sent.
/// `write-uncor` is refused by ram (no Write Uncorrectable, ONCS bit 1).
#[test]
fn copy_and_write_uncor() {
    let j = json(&nvmeq(&[
        "copy", DEV, "-n", "1", "-d", "100", "-s", "0,16", "-b", "7,3", "-o", "json",
    ]));
    assert_eq!(
        j,
        serde_json::json!({"command": "copy", "nsid": 1, "status": "Successful Completion", "result": 0})
    );
    let out = nvmeq(&["copy", DEV, "-n", "1", "-d", "100", "-s", "0", "-b", "7"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("copy: Success"), "{}", stderr(&out));
    fails_with(
        &nvmeq(&["copy", DEV, "-n", "1", "-d", "131070", "-s", "0", "-b", "7"]),
        1,
        "Copy: LBA Out of Range (sct 0x0, sc 0x80)",
    );
    // ram's OCFS names format 0h alone: the others are refused by the
    // controller, after nvmeq laid them out.
    for f in [
        &["-F", "1"][..],
        &["-F", "2", "-N", "1", "-O", "0x8000"],
        &["-F", "3", "-N", "1"],
    ] {
        let mut a = vec!["copy", DEV, "-n", "1", "-s", "0", "-b", "7"];
        a.extend(f);
        fails_with(
            &nvmeq(&a),
            1,
            "Copy: Invalid Field in Command (sct 0x0, sc 0x02)",
        );
    }
    fails_with(
        &nvmeq(&["copy", DEV, "-s", "0", "-b", "7"]),
        2,
        "--namespace-id",
    );
    for (args, needle) in [
        (
            &["-s", "0,8", "-b", "7"][..],
            "--slbs has 2 entries but --blocks has 1",
        ),
        (
            &["-s", "0", "-b", "65536"][..],
            "--blocks: 0x10000 is not a 16-bit value",
        ),
        (
            &["-s", "0", "-b", "0", "-F", "2"][..],
            "copy --format 2: give the source namespace of each range with --snsids",
        ),
        (
            &["-s", "0", "-b", "0", "-N", "1"][..],
            "--snsids and --sopts are for formats 2 and 3",
        ),
        (
            &["-s", "0,8", "-b", "0,0", "-F", "3", "-N", "1"][..],
            "--snsids has 1 entries for 2 source ranges",
        ),
        (
            &["-s", "0", "-b", "0", "-F", "2", "-N", "0xffffffff"][..],
            "--snsids: 0xffffffff names no one namespace",
        ),
        (
            &[
                "-s",
                "0",
                "-b",
                "0",
                "-F",
                "2",
                "-N",
                "1",
                "-R",
                "0x100000000",
            ][..],
            "use -F 3",
        ),
        (
            &["-s", "0", "-b", "0", "-F", "4"][..],
            "the formats are 0 to 3",
        ),
        (&["-s", "0", "-b", "0", "-R", "0x100000000"][..], "use -F 1"),
        (
            &["-s", "0", "-b", "0", "-A", "1,2"][..],
            "--expected-app-tags has 2 entries",
        ),
        (
            &["-s", "0", "-b", "0", "-p", "0x10"][..],
            "--prinfow 0x10 is not a 4-bit value",
        ),
    ] {
        let mut a = vec!["copy", DEV, "-n", "1"];
        a.extend(args);
        fails_with(&nvmeq(&a), 2, needle);
    }
    fails_with(
        &nvmeq(&["write-uncor", DEV, "-n", "1", "-s", "0", "-c", "7"]),
        1,
        "Write Uncorrectable: Invalid Command Opcode (sct 0x0, sc 0x01)",
    );
    fails_with(
        &nvmeq(&["write-uncor", DEV, "-s", "0"]),
        2,
        "--namespace-id",
    );
    fails_with(
        &nvmeq(&["write-uncor", DEV, "-n", "1", "-c", "65536"]),
        2,
        "16-bit",
    );
}
