//! `nvmeq … -o json` against nvme-cli's `nvme … -o json` (2.13 in the guest), field by field,
//! on the QEMU guest's controllers (see the crate README for how to run it
//! there). The comparison rules are in `common/compare.rs`; the host test at
//! the bottom checks them on nvme-cli 2.3-shaped samples.

mod common;
mod guest;

use std::process::Command;

use common::compare::{diff, same_value};
use serde_json::{json, Value};

/// SMART counters and times that move on their own between two runs.
const VOLATILE: &[&str] = &[
    "data_units_read",
    "data_units_written",
    "host_read_commands",
    "host_write_commands",
    "controller_busy_time",
    "power_on_hours",
    "power_cycles",
    "unsafe_shutdowns",
    "warning_temp_time",
    "critical_comp_time",
];

fn env(k: &str) -> String {
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set: run this inside the nvmeq guest"))
}

/// Our binary: `NVMEQ_BIN` (the guest's /bin/nvmeq), else the one cargo built.
fn nvmeq_bin() -> String {
    std::env::var("NVMEQ_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_nvmeq").to_string())
}

fn run_json(bin: &str, args: &[&str]) -> Value {
    let out = Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {bin}: {e}"));
    assert!(
        out.status.success(),
        "{bin} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{bin} {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Runs `nvme CMD DEV ARGS -o json`, then `nvmeq CMD BACKEND:DEV ARGS -o json`, and diffs.
fn check(backend: &str, cmd: &str, dev: &str, args: &[&str], failures: &mut Vec<String>) {
    let mut theirs_args = vec![cmd, dev];
    theirs_args.extend(args);
    theirs_args.extend(["-o", "json"]);
    let theirs = run_json("nvme", &theirs_args);
    let ours_dev = format!("{backend}:{dev}");
    let mut ours_args = vec![cmd, ours_dev.as_str()];
    ours_args.extend(args);
    ours_args.extend(["-o", "json"]);
    let ours = run_json(&nvmeq_bin(), &ours_args);
    let d = diff(cmd, &theirs, &ours, VOLATILE);
    if !d.is_empty() {
        failures.push(format!(
            "{backend} {cmd} {dev} {args:?}:\n  {}",
            d.join("\n  ")
        ));
    }
}

fn compare_all(backend: &str) {
    let mut failures = Vec::new();
    for (ctrl, ns) in [
        (env("NVMEQ_CTRL_A"), env("NVMEQ_NS_A")),
        (env("NVMEQ_CTRL_B"), env("NVMEQ_NS_B")),
    ] {
        check(backend, "id-ctrl", &ctrl, &[], &mut failures);
        check(backend, "id-ns", &ns, &["-n", "1"], &mut failures);
        check(backend, "smart-log", &ctrl, &[], &mut failures);
        check(backend, "error-log", &ctrl, &[], &mut failures);
        check(backend, "fw-log", &ctrl, &[], &mut failures);
        check(backend, "changed-ns-list-log", &ctrl, &[], &mut failures);
        logs_agree(backend, &ctrl, &mut failures);
        for cmd in [
            "nvm-id-ctrl",
            "primary-ctrl-caps",
            "list-secondary",
            "list-ctrl",
        ] {
            check(backend, cmd, &ctrl, &[], &mut failures);
        }
        check(backend, "list-ctrl", &ctrl, &["-n", "1"], &mut failures);
        check(backend, "nvm-id-ns", &ctrl, &["-n", "1"], &mut failures);
        identify_agrees(backend, &ctrl, &mut failures);
        for cmd in ["endurance-log", "ana-log", "resv-notif-log"] {
            agree_or_both_refuse(backend, cmd, &ctrl, &mut failures);
        }
        // -H decodes Number of Queues and Volatile Write Cache line for line.
        for fid in ["7", "6"] {
            let (tc, theirs, _) = outcome("nvme", &["get-feature", &ctrl, "-f", fid, "-H"]);
            let (oc, mine, err) = outcome(
                &nvmeq_bin(),
                &["get-feature", &format!("{backend}:{ctrl}"), "-f", fid, "-H"],
            );
            if tc != Some(0) || oc != Some(0) || theirs != mine {
                failures.push(format!(
                    "{backend} get-feature -f {fid} -H {ctrl}: nvme-cli ({tc:?}):\n{}\nnvmeq ({oc:?}, {err}):\n{}",
                    String::from_utf8_lossy(&theirs),
                    String::from_utf8_lossy(&mine)
                ));
            }
        }
    }
    // The feature sweep answers Number of Queues as nvme-cli's get-feature does.
    let ctrl = env("NVMEQ_CTRL_A");
    let theirs = run("nvme", &["get-feature", &ctrl, "-f", "7"], None);
    let theirs = String::from_utf8_lossy(&theirs.stdout).into_owned();
    let value = theirs.trim().rsplit("value:").next().unwrap().to_string();
    let all = run_json(
        &nvmeq_bin(),
        &["get-feature", &format!("{backend}:{ctrl}"), "-o", "json"],
    );
    let nq = all
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["feature_id"] == 7)
        .unwrap_or_else(|| panic!("no feature 7 in {all}"));
    let ours = nq["value"].as_u64().unwrap();
    assert_eq!(
        u64::from_str_radix(value.trim_start_matches("0x"), 16).unwrap(),
        ours,
        "{theirs}"
    );
    namespace_commands_agree(backend, &mut failures);
    // Controller C's protected namespaces: their extended LBA formats.
    for nsid in ["1", "2", "3", "4"] {
        check(
            backend,
            "nvm-id-ns",
            &env("NVMEQ_CTRL_C"),
            &["-n", nsid],
            &mut failures,
        );
    }
    // Controller B's second namespace is zoned: its NVM Identify Namespace too.
    check(
        backend,
        "id-ns",
        &env("NVMEQ_CTRL_B"),
        &["-n", "2"],
        &mut failures,
    );
    assert!(
        failures.is_empty(),
        "nvmeq differs from nvme-cli:\n{}",
        failures.join("\n")
    );
}

/// Runs `bin ARGS`, returning (exit code, stdout, stderr).
fn outcome(bin: &str, args: &[&str]) -> (Option<i32>, Vec<u8>, String) {
    let o = run(bin, args, None);
    (
        o.status.code(),
        o.stdout,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `get-log` prints the same header and hex dump as nvme-cli, and the same
/// bytes raw, also when nvmeq reads the page in pieces; the pages QEMU does
/// not keep fail in both tools, nvmeq naming the controller's status.
fn logs_agree(backend: &str, ctrl: &str, failures: &mut Vec<String>) {
    let ours_dev = format!("{backend}:{ctrl}");
    let ours = nvmeq_bin();
    // The Firmware Slot page does not change between the two runs.
    let (tc, theirs, _) = outcome("nvme", &["get-log", ctrl, "-i", "3", "-l", "512"]);
    let (oc, mine, err) = outcome(&ours, &["get-log", &ours_dev, "-i", "3", "-l", "512"]);
    if tc != Some(0) || oc != Some(0) || theirs != mine {
        failures.push(format!(
            "{backend} get-log {ctrl} -i 3: nvme-cli ({tc:?}):\n{}\nnvmeq ({oc:?}, {err}):\n{}",
            String::from_utf8_lossy(&theirs),
            String::from_utf8_lossy(&mine)
        ));
    }
    // The effects page, raw: nvme-cli in one piece, nvmeq in four.
    let (tc, theirs, _) = outcome("nvme", &["get-log", ctrl, "-i", "5", "-l", "4096", "-b"]);
    let (oc, mine, err) = outcome(
        &ours,
        &[
            "get-log", &ours_dev, "-i", "5", "-l", "4096", "-x", "1024", "-b",
        ],
    );
    if tc != Some(0) || oc != Some(0) || theirs != mine || mine.len() != 4096 {
        failures.push(format!(
            "{backend} get-log {ctrl} -i 5 -b: nvme-cli {tc:?} {} bytes, nvmeq {oc:?} {} bytes {err}",
            theirs.len(),
            mine.len()
        ));
    }
    // QEMU 10 keeps none of these pages and has no Device Self-test.
    for (args, status) in [
        (
            &["supported-log-pages"][..],
            "Invalid Field in Command (sct 0x0, sc 0x02)",
        ),
        (
            &["self-test-log"][..],
            "Invalid Field in Command (sct 0x0, sc 0x02)",
        ),
        (
            &["sanitize-log"][..],
            "Invalid Field in Command (sct 0x0, sc 0x02)",
        ),
        (
            &["fid-support-effects-log"][..],
            "Invalid Field in Command (sct 0x0, sc 0x02)",
        ),
        (
            &["mi-cmd-support-effects-log"][..],
            "Invalid Field in Command (sct 0x0, sc 0x02)",
        ),
        (
            &["device-self-test", "-s", "1"][..],
            "Invalid Command Opcode (sct 0x0, sc 0x01)",
        ),
    ] {
        let mut t = vec![args[0], ctrl];
        t.extend(&args[1..]);
        let (tc, _, _) = outcome("nvme", &t);
        let mut o = vec![args[0], ours_dev.as_str()];
        o.extend(&args[1..]);
        let (oc, _, err) = outcome(&ours, &o);
        if tc == Some(0) || oc != Some(1) || !err.contains(status) {
            failures.push(format!(
                "{backend} {args:?} {ctrl}: nvme-cli exit {tc:?}; nvmeq exit {oc:?}, {err:?} (expected {status:?})"
            ));
        }
    }
}

/// A page QEMU may or may not keep: both tools succeed with the same JSON,
/// or both fail and nvmeq names the controller's status.
fn agree_or_both_refuse(backend: &str, cmd: &str, ctrl: &str, failures: &mut Vec<String>) {
    let (tc, theirs, _) = outcome("nvme", &[cmd, ctrl, "-o", "json"]);
    let ours_dev = format!("{backend}:{ctrl}");
    let (oc, mine, err) = outcome(&nvmeq_bin(), &[cmd, &ours_dev, "-o", "json"]);
    match (tc, oc) {
        (Some(0), Some(0)) => {
            let t: Value = serde_json::from_slice(&theirs).unwrap_or_default();
            let o: Value = serde_json::from_slice(&mine).unwrap_or_default();
            let d = diff(cmd, &t, &o, &[]);
            if !d.is_empty() {
                failures.push(format!("{backend} {cmd} {ctrl}:\n  {}", d.join("\n  ")));
            }
        }
        (Some(t), Some(1)) if t != 0 && err.contains("(sct 0x") => {}
        _ => failures.push(format!(
            "{backend} {cmd} {ctrl}: nvme-cli exit {tc:?}, nvmeq exit {oc:?}: {err}"
        )),
    }
}

/// The Identify structures beyond id-ctrl/id-ns: text equal line for line,
/// `id-iocs` JSON field by field (nvme-cli prints a header line before its
/// JSON there), and the lists QEMU 10 does not keep refused in both tools.
fn identify_agrees(backend: &str, ctrl: &str, failures: &mut Vec<String>) {
    let ours_dev = format!("{backend}:{ctrl}");
    let ours = nvmeq_bin();
    for args in [
        &["nvm-id-ctrl", "-v"][..],
        &["primary-ctrl-caps", "-H"][..],
        &["list-secondary"][..],
        &["list-ctrl"][..],
        &["id-iocs", "-v"][..],
        &["nvm-id-ns", "-n", "1"][..],
    ] {
        let mut t = vec![args[0], ctrl];
        t.extend(&args[1..]);
        let mut o = vec![args[0], ours_dev.as_str()];
        o.extend(&args[1..]);
        let (tc, theirs, _) = outcome("nvme", &t);
        let (oc, mine, err) = outcome(&ours, &o);
        if tc != Some(0) || oc != Some(0) || theirs != mine {
            failures.push(format!(
                "{backend} {args:?} {ctrl}: nvme-cli ({tc:?}):\n{}\nnvmeq ({oc:?}, {err}):\n{}",
                String::from_utf8_lossy(&theirs),
                String::from_utf8_lossy(&mine)
            ));
        }
    }
    let (_, theirs, _) = outcome("nvme", &["id-iocs", ctrl, "-o", "json"]);
    let theirs = String::from_utf8_lossy(&theirs);
    let theirs: Value = serde_json::from_str(&theirs[theirs.find('{').unwrap_or(0)..])
        .unwrap_or_else(|e| panic!("nvme id-iocs -o json: {e}: {theirs}"));
    let mine = run_json(&ours, &["id-iocs", &ours_dev, "-o", "json"]);
    let d = diff("id-iocs", &theirs, &mine, &[]);
    if !d.is_empty() {
        failures.push(format!("{backend} id-iocs {ctrl}:\n  {}", d.join("\n  ")));
    }
    for cmd in [
        "id-uuid",
        "id-nvmset",
        "id-domain",
        "id-ns-granularity",
        "id-ns-lba-format",
        "nvm-id-ns-lba-format",
    ] {
        let (tc, _, _) = outcome("nvme", &[cmd, ctrl]);
        let (oc, _, err) = outcome(&ours, &[cmd, &ours_dev]);
        let status = "Invalid Field in Command (sct 0x0, sc 0x02)";
        if tc == Some(0) || oc != Some(1) || !err.contains(status) {
            failures.push(format!(
                "{backend} {cmd} {ctrl}: nvme-cli exit {tc:?}; nvmeq exit {oc:?}, {err:?} (expected {status:?})"
            ));
        }
    }
}

/// `get-ns-id` prints nvme-cli's line for namespace nodes (block nodes only
/// over ioctl: io_uring takes the char devices) and both tools fail on a
/// controller node; QEMU 10 keeps no reservations (ONCS bit 5 clear), so
/// both tools fail every reservation command and nvmeq names the status.
fn namespace_commands_agree(backend: &str, failures: &mut Vec<String>) {
    let ours = nvmeq_bin();
    let mut nodes = vec![env("NVMEQ_NS_A"), env("NVMEQ_NS_B"), env("NVMEQ_ZNS_B")];
    if backend == "ioctl" {
        nodes.push(env("NVMEQ_BLK_A"));
    }
    for node in &nodes {
        let (tc, theirs, _) = outcome("nvme", &["get-ns-id", node]);
        let (oc, mine, err) = outcome(&ours, &["get-ns-id", &format!("{backend}:{node}")]);
        if tc != Some(0) || oc != Some(0) || theirs != mine {
            failures.push(format!(
                "{backend} get-ns-id {node}: nvme-cli ({tc:?}) {:?}, nvmeq ({oc:?}, {err}) {:?}",
                String::from_utf8_lossy(&theirs),
                String::from_utf8_lossy(&mine)
            ));
        }
    }
    let ctrl = env("NVMEQ_CTRL_A");
    let (tc, _, _) = outcome("nvme", &["get-ns-id", &ctrl]);
    let (oc, _, err) = outcome(&ours, &["get-ns-id", &format!("{backend}:{ctrl}")]);
    if tc == Some(0) || oc != Some(1) || !err.contains("is a controller, not a namespace") {
        failures.push(format!(
            "{backend} get-ns-id {ctrl}: nvme-cli exit {tc:?}; nvmeq exit {oc:?}, {err:?}"
        ));
    }
    // QEMU 10 has no firmware commands (OACS bit 2 clear): both refuse.
    let img = std::env::temp_dir().join(format!("nvmeq-fw-{backend}.bin"));
    std::fs::write(&img, vec![0x5au8; 8192]).unwrap();
    let img = img.to_str().unwrap();
    let ours_ctrl = format!("{backend}:{ctrl}");
    for (theirs, mine, status) in [
        (
            vec!["fw-download", ctrl.as_str(), "-f", img],
            vec!["fw-download", ours_ctrl.as_str(), "-f", img, "--force"],
            "Firmware Image Download (offset 0x00000000/0x00002000): Invalid Command Opcode (sct 0x0, sc 0x01)",
        ),
        (
            vec!["fw-commit", ctrl.as_str(), "-s", "1", "-a", "1"],
            vec!["fw-commit", ours_ctrl.as_str(), "-s", "1", "-a", "1", "--force"],
            "Firmware Commit: Invalid Command Opcode (sct 0x0, sc 0x01)",
        ),
    ] {
        let (tc, _, _) = outcome("nvme", &theirs);
        let (oc, _, err) = outcome(&ours, &mine);
        if tc == Some(0) || oc != Some(1) || !err.contains(status) {
            failures.push(format!(
                "{backend} {mine:?}: nvme-cli exit {tc:?}; nvmeq exit {oc:?}, {err:?} (expected {status:?})"
            ));
        }
    }
    let ns = env("NVMEQ_NS_A");
    let ours_ns = format!("{backend}:{ns}");
    for args in [
        &["resv-report", "-n", "1"][..],
        &["resv-report", "-n", "1", "-e"][..],
        &["resv-register", "-n", "1", "-k", "0x1234"][..],
        &["resv-acquire", "-n", "1", "-c", "0x1234", "-t", "1"][..],
        &["resv-release", "-n", "1", "-c", "0x1234", "-t", "1"][..],
        &["resv-release", "-n", "1", "-a", "1"][..],
    ] {
        let mut t = vec![args[0], ns.as_str()];
        t.extend(&args[1..]);
        let mut o = vec![args[0], ours_ns.as_str()];
        o.extend(&args[1..]);
        let (tc, _, _) = outcome("nvme", &t);
        let (oc, _, err) = outcome(&ours, &o);
        let status = "Invalid Command Opcode (sct 0x0, sc 0x01)";
        if tc == Some(0) || oc != Some(1) || !err.contains(status) {
            failures.push(format!(
                "{backend} {args:?} {ns}: nvme-cli exit {tc:?}; nvmeq exit {oc:?}, {err:?} (expected {status:?})"
            ));
        }
    }
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn json_matches_nvme_cli_on_ioctl() {
    compare_all("ioctl");
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn json_matches_nvme_cli_on_uring() {
    compare_all("uring");
}

fn run(bin: &str, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(bin)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {bin}: {e}"));
    if let Some(data) = stdin {
        child.stdin.take().unwrap().write_all(data).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Data written by one tool reads back identically through the other, and
/// the statuses nvmeq reports are the controller's.
fn roundtrip(backend: &str) {
    let ns = env("NVMEQ_NS_A");
    let dev = format!("{backend}:{ns}");
    let ours = nvmeq_bin();
    let data: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    let tmp = std::env::temp_dir().join(format!("nvmeq-guest-{backend}.bin"));
    std::fs::write(&tmp, &data).unwrap();
    let tmp_s = tmp.to_str().unwrap();

    // nvmeq writes, nvme-cli reads.
    let w = run(
        &ours,
        &["write", &dev, "-n", "1", "-s", "64", "-c", "7"],
        Some(&data),
    );
    assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
    let r = run(
        "nvme",
        &["read", &ns, "-s", "64", "-c", "7", "-z", "4096"],
        None,
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(r.stdout, data, "nvme-cli reads back what nvmeq wrote");

    // nvme-cli writes, nvmeq reads.
    let inv: Vec<u8> = data.iter().map(|b| !b).collect();
    std::fs::write(&tmp, &inv).unwrap();
    let w = run(
        "nvme",
        &[
            "write", &ns, "-s", "128", "-c", "7", "-z", "4096", "-d", tmp_s,
        ],
        None,
    );
    assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
    let r = run(&ours, &["read", &dev, "-s", "128", "-c", "7"], None);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(r.stdout, inv, "nvmeq reads back what nvme-cli wrote");

    // Compare: equal, then different.
    let c = run(
        &ours,
        &["compare", &dev, "-s", "128", "-c", "7", "-d", tmp_s],
        None,
    );
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let c = run(
        &ours,
        &["compare", &dev, "-s", "64", "-c", "7", "-d", tmp_s],
        None,
    );
    assert_eq!(c.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&c.stderr).contains("Compare Failure"),
        "{c:?}"
    );

    // Copy: QEMU 10's namespaces report MSSRL 0 (no source range may hold
    // a block), so both tools get Command Size Limit Exceeded; where a
    // namespace takes copies, data copied by either is read by the other.
    let id = run_json(&ours, &["id-ns", &dev, "-n", "1", "-o", "json"]);
    let copy_ours = [
        "copy", &dev, "-n", "1", "-d", "256", "-s", "64,68", "-b", "3,3",
    ];
    let copy_theirs = ["copy", &ns, "-n", "1", "-d", "512", "-s", "128", "-b", "7"];
    if id["mssrl"] == 0 {
        let (tc, _, _) = outcome("nvme", &copy_theirs);
        let (oc, _, err) = outcome(&ours, &copy_ours);
        assert!(
            tc != Some(0)
                && oc == Some(1)
                && err.contains("Copy: Command Size Limit Exceeded (sct 0x1, sc 0x83)"),
            "nvme-cli {tc:?}; nvmeq {oc:?} {err}"
        );
    } else {
        let c = run(&ours, &copy_ours, None);
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
        let r = run(
            "nvme",
            &["read", &ns, "-s", "256", "-c", "7", "-z", "4096"],
            None,
        );
        assert_eq!(r.stdout, data, "nvme-cli reads what nvmeq copied");
        let c = run("nvme", &copy_theirs, None);
        assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
        let r = run(&ours, &["read", &dev, "-s", "512", "-c", "7"], None);
        assert_eq!(r.stdout, inv, "nvmeq reads what nvme-cli copied");
    }
    // Format 2 (a source namespace per range): QEMU takes it only once the
    // host sets CDFE in Host Behavior Support, which neither tool does by
    // itself; both must then succeed or fail together, nvmeq naming the status.
    let cross = ["-d", "256", "-s", "64", "-b", "3", "-F", "2", "-N", "1"];
    let mut x_ours = vec!["copy", dev.as_str(), "-n", "1"];
    x_ours.extend(cross);
    let mut x_theirs = vec!["copy", ns.as_str(), "-n", "1"];
    x_theirs.extend(cross);
    let (tc, _, terr) = outcome("nvme", &x_theirs);
    let (oc, _, oerr) = outcome(&ours, &x_ours);
    assert_eq!(
        tc == Some(0),
        oc == Some(0),
        "copy -F 2: nvme-cli {tc:?} {terr}; nvmeq {oc:?} {oerr}"
    );
    assert!(
        oc == Some(0) || (oc == Some(1) && oerr.contains("Copy: ") && oerr.contains("(sct 0x")),
        "copy -F 2: nvmeq {oc:?} {oerr}"
    );
    // QEMU 10 has no Write Uncorrectable (ONCS bit 1 clear): both refuse it.
    let t = run("nvme", &["write-uncor", &ns, "-n", "1", "-s", "0"], None);
    let o = run(&ours, &["write-uncor", &dev, "-n", "1", "-s", "0"], None);
    assert!(!t.status.success(), "nvme-cli: {t:?}");
    assert!(
        o.status.code() == Some(1)
            && String::from_utf8_lossy(&o.stderr)
                .contains("Write Uncorrectable: Invalid Command Opcode (sct 0x0, sc 0x01)"),
        "{o:?}"
    );

    // Past the end of the 1 GiB namespace of 512-byte blocks.
    let e = run(&ours, &["read", &dev, "-s", "0x200000"], None);
    assert_eq!(e.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&e.stderr).contains("LBA Out of Range (sct 0x0, sc 0x80)"),
        "{e:?}"
    );
    let _ = std::fs::remove_file(&tmp);
}

/// Zone reports agree with nvme-cli's, before and after an append.
fn zones(backend: &str) {
    let zns = env("NVMEQ_ZNS_B");
    let dev = format!("{backend}:{zns}");
    let ours = nvmeq_bin();
    let check = |failures: &mut Vec<String>| {
        let theirs = run_json("nvme", &["zns", "report-zones", &zns, "-o", "json"]);
        let mine = run_json(&ours, &["zns", "report-zones", &dev, "-o", "json"]);
        let d = diff("report-zones", &theirs, &mine, &[]);
        if !d.is_empty() {
            failures.push(d.join("\n"));
        }
    };
    let mut failures = Vec::new();
    check(&mut failures);
    let a = run(
        &ours,
        &["zns", "append", &dev, "-n", "2", "-s", "0", "-z", "8192"],
        Some(&[0x5a; 8192]),
    );
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    check(&mut failures);
    let r = run(&ours, &["zns", "reset", &dev, "-n", "2", "-s", "0"], None);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    check(&mut failures);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn data_and_zones_agree_with_nvme_cli_on_ioctl() {
    roundtrip("ioctl");
    zones("ioctl");
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn data_and_zones_agree_with_nvme_cli_on_uring() {
    roundtrip("uring");
    zones("uring");
}

/// Hands a controller to vfio-pci (the guest must have the vIOMMU).
fn bind_to_vfio(pci: &str) {
    assert_eq!(
        std::env::var("NVMEQ_IOMMU").as_deref(),
        Ok("1"),
        "VFIO needs the guest's virtual IOMMU: cargo xtask vm exec --iommu"
    );
    let dev = format!("/sys/bus/pci/devices/{pci}");
    std::fs::write(format!("{dev}/driver_override"), "vfio-pci").unwrap();
    std::fs::write(format!("{dev}/driver/unbind"), pci).unwrap();
    std::fs::write("/sys/bus/pci/drivers_probe", pci).unwrap();
    let driver = std::fs::read_link(format!("{dev}/driver")).unwrap();
    assert!(driver.ends_with("vfio-pci"), "{pci} is bound to {driver:?}");
}

/// Gives the controller back to the kernel's nvme driver.
fn bind_to_nvme(pci: &str) {
    let dev = format!("/sys/bus/pci/devices/{pci}");
    std::fs::write(format!("{dev}/driver_override"), "\n").unwrap();
    std::fs::write("/sys/bus/pci/drivers/vfio-pci/unbind", pci).unwrap();
    std::fs::write("/sys/bus/pci/drivers_probe", pci).unwrap();
}

/// nvme-cli's view of controller A through the kernel, then nvmeq's through
/// VFIO with the kernel driver unbound: the same controller, field by field.
/// Runs last (alphabetically) because it moves controller A between drivers.
#[test]
#[ignore = "needs the nvmeq guest with --iommu: see crates/nvmeq-cli/README.md"]
fn json_matches_nvme_cli_on_vfio() {
    let ctrl = env("NVMEQ_CTRL_A");
    let pci = env("NVMEQ_PCI_A");
    let devname = ctrl.rsplit('/').next().unwrap().to_string();
    let cmds: [(&str, &[&str]); 5] = [
        ("id-ctrl", &[]),
        ("id-ns", &["-n", "1"]),
        ("smart-log", &[]),
        ("error-log", &[]),
        ("fw-log", &[]),
    ];
    let theirs: Vec<Value> = cmds
        .iter()
        .map(|(c, a)| {
            let mut args = vec![*c, ctrl.as_str()];
            args.extend(*a);
            args.extend(["-o", "json"]);
            run_json("nvme", &args)
        })
        .collect();
    bind_to_vfio(&pci);
    let dev = format!("vfio:{pci}");
    let mut failures = Vec::new();
    for ((c, a), t) in cmds.iter().zip(&theirs) {
        let mut args = vec![*c, dev.as_str()];
        args.extend(*a);
        args.extend(["-o", "json"]);
        let mut ours = run_json(&nvmeq_bin(), &args);
        if *c == "fw-log" {
            // Keyed by device name: nvme-cli's `nvme0`, nvmeq's PCI address here.
            let v = ours[pci.as_str()].take();
            ours = json!({ devname.as_str(): v });
        }
        let d = diff(c, t, &ours, VOLATILE);
        if !d.is_empty() {
            failures.push(format!("vfio {c}:\n  {}", d.join("\n  ")));
        }
    }
    bind_to_nvme(&pci);
    assert!(
        failures.is_empty(),
        "nvmeq over VFIO differs from nvme-cli:\n{}",
        failures.join("\n")
    );
}

/// The comparison rules on nvme-cli 2.3-shaped output (strings for 128-bit
/// values, wrapped signed ints, keyed fw-log), on the host.
#[test]
fn comparison_rules() {
    assert!(same_value(&json!("1073741824"), &json!(1073741824u64)));
    assert!(!same_value(&json!("1073741825"), &json!(1073741824u64)));
    assert!(same_value(&json!(-2147483648i64), &json!(0x8000_0000u64)));
    assert!(!same_value(&json!(-1), &json!(1)));
    assert!(same_value(
        &json!("QEMU NVMe Ctrl   "),
        &json!("QEMU NVMe Ctrl   ")
    ));
    assert!(!same_value(&json!("nvmeqA "), &json!("nvmeqA")));

    let theirs = json!({
        "vid": 6966, "sn": "nvmeqA              ", "tnvmcap": "1073741824", "sgls": 1,
        "psds": [{"max_power": 2500, "flags": 0}],
        "host_read_commands": "10", "subnqn": "nqn.2019-08.org.qemu:nvmeqA"
    });
    let ours = json!({
        "vid": 6966, "sn": "nvmeqA              ", "tnvmcap": 1073741824u64, "sgls": 1,
        "psds": [{"max_power": 2500, "flags": 0}],
        "host_read_commands": 12, "subnqn": "nqn.2019-08.org.qemu:nvmeqA", "extra": 1
    });
    assert_eq!(
        diff("id-ctrl", &theirs, &ours, VOLATILE),
        Vec::<String>::new()
    );

    let ours_bad = json!({
        "vid": 6967, "sn": "nvmeqA", "tnvmcap": 1u64, "psds": [],
        "host_read_commands": 9
    });
    // nvme-cli 2.13's NVMe 2.1 fields nvmeq prints no key for: zero is fine, a set bit is not.
    let newer = json!({"vid": 6966, "cqt": 0, "vs": [0, 0], "kpios": 1});
    let d = diff("id-ns", &newer, &json!({"vid": 6966}), VOLATILE);
    assert_eq!(d, ["id-ns.kpios: nvme-cli has 1, nvmeq has no such key"]);

    let d = diff("id-ctrl", &theirs, &ours_bad, VOLATILE);
    for needle in [
        ".vid: nvme-cli 6966, nvmeq 6967",
        ".sn:",
        ".tnvmcap:",
        ".sgls: nvme-cli has 1",
        ".psds: nvme-cli has 1 elements, nvmeq 0",
        ".host_read_commands: nvme-cli \"10\", nvmeq 9 (went backwards)",
        ".subnqn: nvme-cli has",
    ] {
        assert!(
            d.iter().any(|l| l.contains(needle)),
            "{needle} not in {d:#?}"
        );
    }
}

/// `nvmeq write --pi-generate` then `read --pi-check` on controller C's
/// protected namespaces (separate 512 + 8 Type 1, separate 4096 + 16 Type 2
/// with the 64-bit guard, extended 4096 + 8 Type 3); PRACT round trips; and a
/// block written with a corrupted guard through a raw metadata file, which
/// the controller's check names and `--pi-check` names too.
fn pi_round_trips(backend: &str) {
    pi_round_trips_through(backend, |nsid| {
        format!("{backend}:{}", env(&format!("NVMEQ_NS_C{nsid}")))
    });
}

/// [`pi_round_trips`] with each namespace's device named by `device(nsid)`:
/// the namespace's char device for the kernel's backends, the controller's
/// PCI address (the nsid goes in `-n`) for VFIO.
fn pi_round_trips_through(backend: &str, device: impl Fn(u32) -> String) {
    let bin = nvmeq_bin();
    let dir = std::env::temp_dir().join(format!("nvmeq-pi-{backend}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    // (namespace, LBA data size, metadata size, extended, PRCHK this type allows)
    let cases = [
        (1u32, 512usize, 8usize, false, "0x7"),
        (2, 4096, 16, false, "0x7"),
        (3, 4096, 8, true, "0x6"),
    ];
    let mut failures = Vec::new();
    for (nsid, lba, ms, ext, prchk) in cases {
        let dev = device(nsid);
        let n = nsid.to_string();
        let unit = if ext { lba + ms } else { lba };
        let data: Vec<u8> = (0..unit).map(|i| (i * 7 + nsid as usize) as u8).collect();
        std::fs::write(path("d"), &data).unwrap();
        macro_rules! go {
            ($what:expr, $args:expr $(,)?) => {{
                let args: &[&str] = $args;
                let (code, _, err) = outcome(&bin, args);
                if code != Some(0) {
                    failures.push(format!(
                        "{backend} C{nsid} {}: {args:?} → {code:?} {err}",
                        $what
                    ));
                }
            }};
        }
        let pract = format!("{:#x}", 0x8 | u8::from_str_radix(&prchk[2..], 16).unwrap());
        go!(
            "host-generated write",
            &[
                "write",
                &dev,
                "-n",
                &n,
                "-s",
                "40",
                "-c",
                "0",
                "-d",
                &path("d"),
                "--pi-generate",
                "-p",
                prchk,
            ],
        );
        go!(
            "checked read",
            &[
                "read",
                &dev,
                "-n",
                &n,
                "-s",
                "40",
                "-c",
                "0",
                "-d",
                &path("r"),
                "-p",
                prchk,
                "--pi-check",
            ],
        );
        go!(
            "verify with PRCHK",
            &["verify", &dev, "-n", &n, "-s", "40", "-c", "0", "-p", prchk],
        );
        let back = std::fs::read(path("r")).unwrap_or_default();
        let want = if ext { &data[..lba] } else { &data[..] };
        if back.get(..lba) != Some(&want[..lba]) {
            failures.push(format!("{backend} C{nsid}: data read back differs"));
        }
        if !ext {
            go!(
                "PRACT write",
                &[
                    "write",
                    &dev,
                    "-n",
                    &n,
                    "-s",
                    "48",
                    "-c",
                    "0",
                    "-d",
                    &path("d"),
                    "-p",
                    &pract,
                ],
            );
            go!(
                "PRACT read, checked on the host",
                &[
                    "read",
                    &dev,
                    "-n",
                    &n,
                    "-s",
                    "48",
                    "-c",
                    "0",
                    "-d",
                    &path("r2"),
                    "-M",
                    &path("m2"),
                    "-p",
                    prchk,
                    "--pi-check",
                ],
            );
            // The controller's own PI, with the guard's first byte flipped,
            // written back raw: its guard check must fail by name.
            let mut meta = std::fs::read(path("m2")).unwrap_or_default();
            if meta.len() == ms {
                meta[0] ^= 0xff;
                std::fs::write(path("m3"), &meta).unwrap();
                go!(
                    "raw write of a corrupted guard",
                    &[
                        "write",
                        &dev,
                        "-n",
                        &n,
                        "-s",
                        "56",
                        "-c",
                        "0",
                        "-d",
                        &path("d"),
                        "-M",
                        &path("m3"),
                    ],
                );
                let (code, _, err) = outcome(
                    &bin,
                    &[
                        "read",
                        &dev,
                        "-n",
                        &n,
                        "-s",
                        "56",
                        "-c",
                        "0",
                        "-d",
                        &path("r3"),
                        "-p",
                        "0x4",
                    ],
                );
                if code == Some(0) || !err.contains("Guard Check Error") {
                    failures.push(format!(
                        "{backend} C{nsid}: corrupted guard read with PRCHK guard: {code:?} {err}"
                    ));
                }
                let (code, _, err) = outcome(
                    &bin,
                    &[
                        "read",
                        &dev,
                        "-n",
                        &n,
                        "-s",
                        "56",
                        "-c",
                        "0",
                        "-d",
                        &path("r3"),
                        "--pi-check",
                    ],
                );
                if code == Some(0) || !err.contains("block 0: guard check failed") {
                    failures.push(format!(
                        "{backend} C{nsid}: corrupted guard read with --pi-check: {code:?} {err}"
                    ));
                }
                // Verify moves no data: the controller checks the stored PI.
                let (code, _, err) = outcome(
                    &bin,
                    &["verify", &dev, "-n", &n, "-s", "56", "-c", "0", "-p", "0x4"],
                );
                if code == Some(0) || !err.contains("Guard Check Error") {
                    failures.push(format!(
                        "{backend} C{nsid}: verify of a corrupted guard with PRCHK guard: \
                         {code:?} {err}"
                    ));
                }
            } else {
                failures.push(format!(
                    "{backend} C{nsid}: -M wrote {} bytes, want {ms}",
                    meta.len()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn pi_round_trips_on_ioctl() {
    pi_round_trips("ioctl");
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn pi_round_trips_on_uring() {
    pi_round_trips("uring");
}

/// The same on controller C handed to vfio-pci: the VFIO backend's
/// metadata pointer (separate metadata) and extended-LBA transfers, checked
/// by the controller and by `--pi-check`. `vm test` boots with the vIOMMU,
/// which reports any DMA outside the mapped buffers as a `DMAR` fault and
/// fails the run.
#[test]
#[ignore = "needs the nvmeq guest with --iommu: see crates/nvmeq-cli/README.md"]
fn pi_round_trips_on_vfio() {
    let pci = env("NVMEQ_PCI_C");
    bind_to_vfio(&pci);
    let result =
        std::panic::catch_unwind(|| pi_round_trips_through("vfio", |_| format!("vfio:{pci}")));
    bind_to_nvme(&pci);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

/// The bytes a namespace's blocks hold, from `nvmeq id-ns -o json`: its
/// size in blocks times the LBA size of its current format.
fn namespace_bytes(dev: &str, nsid: u32) -> (u64, u64) {
    let v = run_json(
        &nvmeq_bin(),
        &["id-ns", dev, "-n", &nsid.to_string(), "-o", "json"],
    );
    let flbas = v["flbas"].as_u64().unwrap() as usize;
    let f = (flbas & 0xf) | ((flbas >> 5) & 0x3) << 4;
    let lbads = v["lbafs"][f]["ds"].as_u64().unwrap();
    (v["nsze"].as_u64().unwrap(), 1 << lbads)
}

/// `read`, `write` and `compare` of more than one command takes: cut at the
/// device's largest transfer like `dd`, the data comes back byte for byte,
/// and a difference late in the range is named with the command that
/// found it. On A (MDTS 7), on E (MDTS 1: 8 KiB a command), and on C1
/// with host-generated PI, which the controller checks command by command
/// (so each piece's reference tag must follow its first LBA).
fn large_round_trips(backend: &str) {
    let bin = nvmeq_bin();
    let dir = std::env::temp_dir().join(format!("nvmeq-large-{backend}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let mut failures = Vec::new();
    // (label, device, nsid, bytes wanted, extra options)
    let cases: [(&str, String, u32, u64, &[&str]); 3] = [
        ("A", env("NVMEQ_NS_A"), 1, 16 << 20, &[]),
        ("E", env("NVMEQ_NS_E"), 1, 16 << 20, &[]),
        ("C1", env("NVMEQ_NS_C1"), 1, 2 << 20, &["-p", "0x7"]),
    ];
    for (label, ns, nsid, want, extra) in cases {
        let dev = format!("{backend}:{ns}");
        let (nsze, lba) = namespace_bytes(&dev, nsid);
        // Half the namespace at most, from block 0.
        let bytes = want.min(nsze * lba / 2) / lba * lba;
        // A and E must move the whole 16 MiB (E's nsid 1 is 32 MiB for it: docs/testing.md).
        if label != "C1" && bytes < want {
            failures.push(format!(
                "{backend} {label}: the namespace ({} bytes) is too small for a {want}-byte \
                 round trip in half of it",
                nsze * lba
            ));
            continue;
        }
        let data: Vec<u8> = (0..bytes)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 ^ (i / lba) as u8)
            .collect();
        std::fs::write(path("in"), &data).unwrap();
        let (z, n) = (bytes.to_string(), nsid.to_string());
        let pi: &[&'static str] = if extra.is_empty() {
            &[]
        } else {
            &["--pi-generate"]
        };
        let common = ["-n", n.as_str(), "-s", "0", "-z", z.as_str()];
        let with = |verb: &'static str, more: &[&'static str], file: &str| -> Vec<String> {
            let mut v: Vec<String> = vec![verb.into(), dev.clone()];
            v.extend(common.iter().map(|s| s.to_string()));
            v.extend(extra.iter().map(|s| s.to_string()));
            v.extend(more.iter().map(|s| s.to_string()));
            v.extend(["-d".into(), file.into()]);
            v
        };
        // The dry run prints every command the transfer is cut into.
        let dry = with("read", &["--dry-run"], &path("out"));
        let (_, _, err) = outcome(&bin, &dry.iter().map(String::as_str).collect::<Vec<_>>());
        let commands = err.matches("opcode       :").count();
        if commands < 2 {
            failures.push(format!(
                "{backend} {label}: {bytes} bytes were not split ({commands} commands): {err}"
            ));
        }
        let mut go = |what: &str, args: Vec<&str>| -> Option<(Vec<u8>, String)> {
            let (code, out, err) = outcome(&bin, &args);
            if code != Some(0) {
                failures.push(format!(
                    "{backend} {label} {what}: {args:?} → {code:?} {err}"
                ));
                return None;
            }
            Some((out, err))
        };
        let w = with("write", pi, &path("in"));
        if go("write", w.iter().map(String::as_str).collect()).is_none() {
            continue;
        }
        let check: &[&str] = if extra.is_empty() {
            &[]
        } else {
            &["--pi-check"]
        };
        let r = with("read", check, &path("out"));
        if go("read", r.iter().map(String::as_str).collect()).is_none() {
            continue;
        }
        let back = std::fs::read(path("out")).unwrap();
        if back != data {
            let at = back.iter().zip(&data).position(|(a, b)| a != b);
            failures.push(format!(
                "{backend} {label}: {} bytes read back differ from those written (first at {at:?}, {} bytes back)",
                data.len(),
                back.len()
            ));
            continue;
        }
        let c = with("compare", pi, &path("in"));
        go("compare", c.iter().map(String::as_str).collect());
        // One byte changed in the last block: the last command finds it.
        let mut bad = data.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        std::fs::write(path("bad"), &bad).unwrap();
        let c = with("compare", pi, &path("bad"));
        let (code, _, err) = outcome(&bin, &c.iter().map(String::as_str).collect::<Vec<_>>());
        if code == Some(0) || !err.contains("Compare Failure") || !err.contains("command ") {
            failures.push(format!(
                "{backend} {label}: compare of data changed in its last block: {code:?} {err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn large_round_trips_on_ioctl() {
    large_round_trips("ioctl");
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn large_round_trips_on_uring() {
    large_round_trips("uring");
}

/// One PI namespace of controller C as fio's job options see it.
#[derive(Clone, Copy)]
struct FioPi {
    /// LBA data size.
    lba: u64,
    /// Metadata size.
    ms: u64,
    /// Metadata at the end of each block (extended LBA) instead of in a
    /// buffer of its own.
    ext: bool,
    /// fio's `pi_chk`: the checks this PI type has.
    chk: &'static str,
}

/// fio's `io_uring_cmd` engine on a PI namespace: `fio ARGS` with the job's
/// PI options, returning (exit code, its output). fio counts offsets,
/// sizes and `bs` in bytes on the wire: for an extended-LBA format each
/// block is the data and its metadata (fio refuses a `bs` that is not a
/// multiple of that), and there is no separate metadata buffer.
fn fio_pi(ns: &str, rw: &str, lba: u64, blocks: u64, f: FioPi, app: &str) -> (Option<i32>, String) {
    let unit = if f.ext { f.lba + f.ms } else { f.lba };
    let mut args = vec![
        "--name=pi".to_string(),
        format!("--filename={ns}"),
        "--ioengine=io_uring_cmd".into(),
        "--cmd_type=nvme".into(),
        format!("--rw={rw}"),
        format!("--bs={}", unit * 8),
        format!("--offset={}", lba * unit),
        format!("--size={}", blocks * unit),
        "--pi_act=0".into(),
        format!("--pi_chk={}", f.chk),
        format!("--apptag={app}"),
        "--apptag_mask=0xffff".into(),
        "--thread=1".into(),
    ];
    if !f.ext {
        args.push(format!("--md_per_io_size={}", f.ms * 8));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = outcome("fio", &args);
    (code, format!("{}{err}", String::from_utf8_lossy(&out)))
}

/// Protection information that nvmeq generates is what fio checks, and the
/// reverse, on C1 (Type 1, 16-bit guard, 512 + 8) and C2 (Type 2, 64-bit
/// guard, 4096 + 16), both with separate metadata, and on C3 (Type 3,
/// 16-bit guard, extended 4096 + 8; Type 3 has no reference tag to check, so
/// the guard and application tag are, and fio's blocks are checked there by
/// the controller through nvmeq, not by `--pi-check`): nvmeq writes with
/// `--pi-generate` and fio reads with `pi_chk=GUARD,REFTAG,APPTAG`; fio
/// writes its own PI (`pi_act=0`) and nvmeq reads with `--pi-check`. A
/// wrong application tag fails in both directions, so neither side passes
/// by not looking.
fn pi_interop_with_fio(backend: &str) {
    let bin = nvmeq_bin();
    let dir = std::env::temp_dir().join(format!("nvmeq-fio-pi-{backend}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let mut failures = Vec::new();
    // (nsid, LBA data size, metadata size, where this backend's blocks start)
    let area = if backend == "ioctl" { 0 } else { 1 };
    let all = "GUARD,REFTAG,APPTAG";
    let cases = [
        (
            1u32,
            FioPi {
                lba: 512,
                ms: 8,
                ext: false,
                chk: all,
            },
            "0x7",
        ),
        (
            2,
            FioPi {
                lba: 4096,
                ms: 16,
                ext: false,
                chk: all,
            },
            "0x7",
        ),
        (
            3,
            FioPi {
                lba: 4096,
                ms: 8,
                ext: true,
                chk: "GUARD,APPTAG",
            },
            "0x6",
        ),
    ];
    for (nsid, f, prchk) in cases {
        let ns = env(&format!("NVMEQ_NS_C{nsid}"));
        let dev = format!("{backend}:{ns}");
        let n = nsid.to_string();
        let blocks = 64u64;
        let base = 4096 + area * 1024;
        // On an extended-LBA format the data file holds each block's
        // metadata too; nvmeq's --pi-generate fills in its PI.
        let unit = if f.ext { f.lba + f.ms } else { f.lba };
        let data: Vec<u8> = (0..blocks * unit)
            .map(|i| (i * 13 + nsid as u64) as u8)
            .collect();
        std::fs::write(path("d"), &data).unwrap();
        let z = (blocks * unit).to_string();
        let nvmeq_write = |slba: u64, app: &str| {
            let s = slba.to_string();
            outcome(
                &bin,
                &[
                    "write",
                    &dev,
                    "-n",
                    &n,
                    "-s",
                    &s,
                    "-z",
                    &z,
                    "-d",
                    &path("d"),
                    "--pi-generate",
                    "-p",
                    prchk,
                    "-a",
                    app,
                    "-m",
                    "0xffff",
                ],
            )
        };
        // nvmeq writes, fio checks.
        let (code, _, err) = nvmeq_write(base, "0x1234");
        if code != Some(0) {
            failures.push(format!("{backend} C{nsid}: nvmeq write: {code:?} {err}"));
            continue;
        }
        let (code, out) = fio_pi(&ns, "read", base, blocks, f, "0x1234");
        if code != Some(0) {
            failures.push(format!(
                "{backend} C{nsid}: fio read of nvmeq's PI: {code:?}\n{out}"
            ));
        }
        let (code, out) = fio_pi(&ns, "read", base, blocks, f, "0x4321");
        if code == Some(0) {
            failures.push(format!(
                "{backend} C{nsid}: fio read nvmeq's blocks expecting another application tag and passed\n{out}"
            ));
        }
        // fio writes its PI, nvmeq checks.
        let at = base + blocks;
        let (code, out) = fio_pi(&ns, "write", at, blocks, f, "0x1234");
        if code != Some(0) {
            failures.push(format!("{backend} C{nsid}: fio write: {code:?}\n{out}"));
            continue;
        }
        let s = at.to_string();
        let rpath = path("r");
        let read = |app: &str| {
            let m = path("m");
            let mut args = vec![
                "read", &dev, "-n", &n, "-s", &s, "-z", &z, "-d", &rpath, "-a", app, "-m", "0xffff",
            ];
            if f.ext {
                // Type 3: the controller checks fio's guard and application
                // tag. Not --pi-check: nvmeq's host check compares a Type 3
                // reference tag with -r on every block, and fio writes none
                // there (the field keeps its buffer's bytes).
                args.extend(["-p", prchk]);
            } else {
                args.extend(["--pi-check", "-M", m.as_str()]);
            }
            outcome(&bin, &args)
        };
        let (code, _, err) = read("0x1234");
        if code != Some(0) {
            failures.push(format!(
                "{backend} C{nsid}: nvmeq --pi-check of fio's PI: {code:?} {err}"
            ));
        }
        let (code, _, err) = read("0x4321");
        if code == Some(0) || !err.to_lowercase().contains("application tag") {
            failures.push(format!(
                "{backend} C{nsid}: nvmeq --pi-check expecting another application tag: {code:?} {err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn pi_interoperates_with_fio_on_ioctl() {
    pi_interop_with_fio("ioctl");
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn pi_interoperates_with_fio_on_uring() {
    pi_interop_with_fio("uring");
}

/// Namespace attachment on controller B (its namespaces sit in an NVM
/// subsystem, so QEMU 10 detaches and attaches them): nvmeq detaches nsid 1
/// and nvme-cli's controller list agrees, nvme-cli re-attaches it, and the
/// other way round; both tools' success lines are the same. QEMU 10 has no
/// Namespace Management, so both refuse `delete-ns`, nvmeq naming the status.
/// It changes B's namespaces under the kernel: run it alone (`--exact`).
#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn namespace_attachment_agrees_with_nvme_cli_on_ioctl() {
    let ctrl = env("NVMEQ_CTRL_B");
    let dev = format!("ioctl:{ctrl}");
    let ours = nvmeq_bin();
    let attached = |who: &str| -> u64 {
        let theirs = run_json("nvme", &["list-ctrl", &ctrl, "-n", "1", "-o", "json"]);
        let mine = run_json(&ours, &["list-ctrl", &dev, "-n", "1", "-o", "json"]);
        let d = diff("list-ctrl", &theirs, &mine, &[]);
        assert!(d.is_empty(), "after {who}: {d:?}");
        mine["num_ctrl"]
            .as_u64()
            .unwrap_or_else(|| panic!("{mine}"))
    };
    assert_eq!(attached("boot"), 1);
    let o = run(&ours, &["detach-ns", &dev, "-n", "1", "--force"], None);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "detach-ns: Success, nsid:1\n",
        "{o:?}"
    );
    assert_eq!(attached("nvmeq detach-ns"), 0);
    let t = run("nvme", &["attach-ns", &ctrl, "-n", "1"], None);
    assert_eq!(
        String::from_utf8_lossy(&t.stdout),
        "attach-ns: Success, nsid:1\n"
    );
    assert_eq!(attached("nvme attach-ns"), 1);
    let t = run("nvme", &["detach-ns", &ctrl, "-n", "1"], None);
    assert_eq!(
        String::from_utf8_lossy(&t.stdout),
        "detach-ns: Success, nsid:1\n"
    );
    assert_eq!(attached("nvme detach-ns"), 0);
    let o = run(&ours, &["attach-ns", &dev, "-n", "1"], None);
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "attach-ns: Success, nsid:1\n",
        "{o:?}"
    );
    assert_eq!(attached("nvmeq attach-ns"), 1);
    // Attaching it again: the controller names the conflict.
    let (tc, _, _) = outcome("nvme", &["attach-ns", &ctrl, "-n", "1"]);
    let (oc, _, err) = outcome(&ours, &["attach-ns", &dev, "-n", "1"]);
    assert!(
        tc != Some(0) && oc == Some(1) && err.contains("Namespace Already Attached"),
        "nvme-cli {tc:?}; nvmeq {oc:?} {err}"
    );
    let (tc, _, _) = outcome("nvme", &["delete-ns", &ctrl, "-n", "1"]);
    let (oc, _, err) = outcome(&ours, &["delete-ns", &dev, "-n", "1", "--force"]);
    assert!(
        tc != Some(0)
            && oc == Some(1)
            && err.contains(
                "Namespace Management (delete): Invalid Command Opcode (sct 0x0, sc 0x01)"
            ),
        "nvme-cli {tc:?}; nvmeq {oc:?} {err}"
    );
}
