//! The admin and FDP management commands added for issue #14
//! (`io-mgmt-recv`, `io-mgmt-send`, `dir-receive`, `dir-send`,
//! `get-lba-status`, `capacity-mgmt`, `lockdown`) against nvme-cli 2.13 on
//! controllers D (Flexible Data Placement) and A (none). Where QEMU answers,
//! both tools print the same text (and `io-mgmt-recv -o json` the same
//! fields as `nvme fdp status -o json`); where it refuses, both fail with
//! the same status code, nvmeq naming it.

use super::super::common::compare::diff;
use super::super::{env, nvmeq_bin, outcome};
use serde_json::Value;

/// The status nvme-cli reports, `NVMe status: NAME(0xVALUE)`: (SCT, SC).
fn nvme_cli_status(stderr: &str) -> Option<(u8, u8)> {
    let line = stderr.lines().find(|l| l.contains("NVMe status"))?;
    let v = line.rsplit_once("(0x")?.1.trim_end_matches(')');
    let v = u16::from_str_radix(v, 16).ok()?;
    Some((((v >> 8) & 0x7) as u8, v as u8))
}

/// The status nvmeq names, `… (sct 0xT, sc 0xCC)`: (SCT, SC).
fn nvmeq_status(stderr: &str) -> Option<(u8, u8)> {
    let (_, rest) = stderr.rsplit_once("(sct 0x")?;
    let (sct, rest) = rest.split_once(", sc 0x")?;
    let sc = rest.split(')').next()?;
    Some((
        u8::from_str_radix(sct, 16).ok()?,
        u8::from_str_radix(sc, 16).ok()?,
    ))
}

/// How the two outputs are compared when both tools succeed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Same {
    /// stdout byte for byte.
    Text,
    /// JSON field by field.
    Json,
}

/// Runs nvme-cli with `theirs` and nvmeq with `ours`: both succeed with
/// the same output, or both fail with the same status; anything else is a
/// failure. Returns whether both succeeded.
fn agree(
    label: &str,
    theirs: &[&str],
    ours: &[&str],
    same: Same,
    failures: &mut Vec<String>,
) -> bool {
    let (tc, tout, terr) = outcome("nvme", theirs);
    let (oc, oout, oerr) = outcome(&nvmeq_bin(), ours);
    match (tc, oc) {
        (Some(0), Some(0)) => {
            match same {
                Same::Text if tout != oout => failures.push(format!(
                    "{label}: different text\nnvme-cli:\n{}\nnvmeq:\n{}",
                    String::from_utf8_lossy(&tout),
                    String::from_utf8_lossy(&oout)
                )),
                Same::Json => {
                    let t: Value = serde_json::from_slice(&tout).unwrap_or_default();
                    let o: Value = serde_json::from_slice(&oout).unwrap_or_default();
                    let d = diff(label, &t, &o, &[]);
                    if t.is_null() || !d.is_empty() {
                        failures.push(format!("{label}:\n  {}\n{t}\n{o}", d.join("\n  ")));
                    }
                }
                _ => {}
            }
            true
        }
        (Some(t), Some(1)) if t != 0 => {
            let (ts, os) = (nvme_cli_status(&terr), nvmeq_status(&oerr));
            if ts.is_none() || ts != os {
                failures.push(format!(
                    "{label}: both fail, statuses differ: nvme-cli {ts:?} ({}), nvmeq {os:?} ({})",
                    terr.trim(),
                    oerr.trim()
                ));
            }
            false
        }
        _ => {
            failures.push(format!(
                "{label}: nvme-cli exit {tc:?} ({}), nvmeq exit {oc:?} ({})",
                terr.trim(),
                oerr.trim()
            ));
            false
        }
    }
}

/// Bytes of a Reclaim Unit Handle Status with room for every descriptor
/// of D's namespace (2 reclaim groups × 4 placement handles), and more.
const RUHS_LEN: &str = "512";

fn fdp_agrees(backend: &str, failures: &mut Vec<String>) {
    let ns = env("NVMEQ_NS_D");
    let ours = format!("{backend}:{ns}");
    let recv = ["-n", "1", "-m", "1", "-l", RUHS_LEN];
    let t: Vec<&str> = ["io-mgmt-recv", ns.as_str()]
        .into_iter()
        .chain(recv)
        .collect();
    let o: Vec<&str> = ["io-mgmt-recv", ours.as_str()]
        .into_iter()
        .chain(recv)
        .collect();
    let label = format!("{backend} io-mgmt-recv D");
    if !agree(&label, &t, &o, Same::Text, failures) {
        failures.push(format!("{label}: QEMU's FDP controller should answer"));
        return;
    }
    let mut oj = o.clone();
    oj.extend(["-o", "json"]);
    agree(
        &format!("{backend} io-mgmt-recv -o json / fdp status D"),
        &["fdp", "status", &ns, "-o", "json"],
        &oj,
        Same::Json,
        failures,
    );
    // A Reclaim Unit Handle Update of placement identifier 0, from each
    // tool; the status both read after is the same.
    let dir = std::env::temp_dir().join("nvmeq-guest-mgmt");
    std::fs::create_dir_all(&dir).unwrap();
    let pid = dir.join("pid0");
    std::fs::write(&pid, [0u8, 0]).unwrap();
    let pid = pid.to_string_lossy().into_owned();
    let (tc, _, terr) = outcome(
        "nvme",
        &[
            "io-mgmt-send",
            &ns,
            "-n",
            "1",
            "-m",
            "1",
            "-s",
            "0",
            "-l",
            "2",
            "-d",
            &pid,
        ],
    );
    let (oc, oout, oerr) = outcome(
        &nvmeq_bin(),
        &[
            "io-mgmt-send",
            &ours,
            "-n",
            "1",
            "-m",
            "1",
            "-s",
            "0",
            "-d",
            &pid,
        ],
    );
    if tc != Some(0) || oc != Some(0) {
        failures.push(format!(
            "{backend} io-mgmt-send D: nvme-cli {tc:?} ({}), nvmeq {oc:?} ({})",
            terr.trim(),
            oerr.trim()
        ));
    } else if String::from_utf8_lossy(&oout) != "io-mgmt-send: Success, mos:0 mo:1 nsid:1\n" {
        failures.push(format!(
            "{backend} io-mgmt-send D: {}",
            String::from_utf8_lossy(&oout)
        ));
    }
    agree(
        &format!("{label} after update"),
        &t,
        &o,
        Same::Text,
        failures,
    );
}

fn directives_agree(backend: &str, ctrl: &str, failures: &mut Vec<String>) {
    let ns = env(&format!("NVMEQ_NS_{ctrl}"));
    let ours = format!("{backend}:{ns}");
    let l = |what: &str| format!("{backend} {what} {ctrl}");
    // Identify directive parameters: decoded and as the hex dump.
    for extra in [&["-H"][..], &[][..]] {
        let mut t = vec!["dir-receive", ns.as_str(), "-n", "1", "-D", "0", "-O", "1"];
        let mut o = vec![
            "dir-receive",
            ours.as_str(),
            "-n",
            "1",
            "-D",
            "0",
            "-O",
            "1",
        ];
        t.extend(extra);
        o.extend(extra);
        if !agree(
            &l(&format!("dir-receive identify {extra:?}")),
            &t,
            &o,
            Same::Text,
            failures,
        ) {
            failures.push(l("dir-receive identify: QEMU answers Return Parameters"));
        }
    }
    // Streams (QEMU has none) and Enable Directive of Data Placement.
    agree(
        &l("dir-receive streams"),
        &["dir-receive", &ns, "-n", "1", "-D", "1", "-O", "1", "-H"],
        &["dir-receive", &ours, "-n", "1", "-D", "1", "-O", "1", "-H"],
        Same::Text,
        failures,
    );
    agree(
        &l("dir-send release resources"),
        &["dir-send", &ns, "-n", "1", "-D", "1", "-O", "2"],
        &["dir-send", &ours, "-n", "1", "-D", "1", "-O", "2"],
        Same::Text,
        failures,
    );
}

fn refusals_agree(backend: &str, failures: &mut Vec<String>) {
    let ns = env("NVMEQ_NS_A");
    let ours = format!("{backend}:{ns}");
    let l = |what: &str| format!("{backend} {what} A");
    agree(
        &l("get-lba-status"),
        &["get-lba-status", &ns, "-n", "1", "-a", "0x11", "-m", "3"],
        &["get-lba-status", &ours, "-n", "1", "-a", "0x11", "-m", "3"],
        Same::Text,
        failures,
    );
    agree(
        &l("capacity-mgmt"),
        &["capacity-mgmt", &ns, "-O", "1", "-l", "0x100000"],
        &[
            "capacity-mgmt",
            &ours,
            "-O",
            "1",
            "-l",
            "0x100000",
            "--force",
        ],
        Same::Text,
        failures,
    );
    agree(
        &l("lockdown"),
        &["lockdown", &ns, "-O", "0x80", "-p", "0"],
        &["lockdown", &ours, "-O", "0x80", "-p", "0"],
        Same::Text,
        failures,
    );
    agree(
        &l("io-mgmt-recv (no FDP)"),
        &["io-mgmt-recv", &ns, "-n", "1", "-m", "1", "-l", RUHS_LEN],
        &["io-mgmt-recv", &ours, "-n", "1", "-m", "1", "-l", RUHS_LEN],
        Same::Text,
        failures,
    );
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn management_commands_agree_with_nvme_cli() {
    let mut failures = Vec::new();
    for backend in ["ioctl", "uring"] {
        fdp_agrees(backend, &mut failures);
        directives_agree(backend, "D", &mut failures);
        directives_agree(backend, "A", &mut failures);
        refusals_agree(backend, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn status_parsers() {
    assert_eq!(
        nvme_cli_status(
            "NVMe status: Invalid Command Opcode: A reserved coded value or an unsupported \
             value in the command opcode field(0x4001)\n"
        ),
        Some((0, 1))
    );
    assert_eq!(
        nvme_cli_status("NVMe status: Invalid Field in Command: x(0x2)"),
        Some((0, 2))
    );
    assert_eq!(nvme_cli_status("other"), None);
    assert_eq!(
        nvmeq_status("nvmeq: Lockdown: Invalid Command Opcode (sct 0x0, sc 0x01)\n"),
        Some((0, 1))
    );
    assert_eq!(nvmeq_status("nvmeq: x (sct 0x1, sc 0x80)"), Some((1, 0x80)));
    assert_eq!(nvmeq_status("nope"), None);
}
