//! `get-property` / `set-property` against nvme-cli 2.13's on the guest's
//! kernel nvmet-tcp target: on the kernel's fabrics controller (`/dev/nvmeX`
//! after `nvme connect`, the admin passthrough carrying opcode 7Fh) both
//! tools print the same lines, JSON and `-H` text; nvmeq's own `tcp://`
//! connection reads the same CAP, VS, CC and CSTS; a PCIe controller fails
//! the command in both, nvmeq naming the status.

use super::super::{env, nvmeq_bin, outcome};
use super::fabrics::{controllers_of, tcp_target};

/// The offsets a fabrics controller has: CAP, VS, CC, CSTS, NSSR.
const PROPERTIES: [&str; 5] = ["0", "0x8", "0x14", "0x1c", "0x20"];

/// `bin ARGS`'s stdout, or `None` with the exit code and stderr recorded in
/// `failures` when it fails.
pub(super) fn text(bin: &str, args: &[&str], failures: &mut Vec<String>) -> Option<String> {
    let (code, out, err) = outcome(bin, args);
    if code != Some(0) {
        failures.push(format!("{bin} {args:?}: exit {code:?}: {err}"));
        return None;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn json(bin: &str, args: &[&str], failures: &mut Vec<String>) -> Option<serde_json::Value> {
    let t = text(bin, args, failures)?;
    serde_json::from_str(&t)
        .map_err(|e| failures.push(format!("{bin} {args:?}: not JSON ({e}): {t}")))
        .ok()
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn properties_agree_with_nvme_cli_on_tcp() {
    let (nqn, addr, port, _cleanup) = tcp_target();
    let bin = nvmeq_bin();
    let (code, _, err) = outcome(
        "nvme",
        &["connect", "-t", "tcp", "-a", &addr, "-s", &port, "-n", &nqn],
    );
    let made = controllers_of(&nqn);
    assert!(
        code == Some(0) && made.len() == 1,
        "nvme connect: {code:?} {err}; {made:?}"
    );
    let kdev = format!("/dev/{}", made[0]);
    let tdev = format!("tcp://{addr}:{port}/{nqn}");
    let mut failures = Vec::new();

    for off in PROPERTIES {
        for extra in [&[][..], &["-H"][..], &["-o", "json"][..]] {
            let mut a = vec!["get-property", kdev.as_str(), "-O", off];
            a.extend(extra);
            let theirs = text("nvme", &a, &mut failures);
            let ours = text(&bin, &a, &mut failures);
            // The JSON values compare as values (nvme-cli's layout differs in whitespace).
            let same = match (&theirs, &ours) {
                (Some(t), Some(o)) if extra.contains(&"json") => {
                    serde_json::from_str::<serde_json::Value>(t).ok()
                        == serde_json::from_str::<serde_json::Value>(o).ok()
                }
                (t, o) => t == o,
            };
            if !same {
                failures.push(format!(
                    "get-property {kdev} -O {off} {extra:?}:\n nvme:  {theirs:?}\n nvmeq: {ours:?}"
                ));
            }
        }
        // nvmeq's own connection is another controller of the same target:
        // the same capabilities, version, configuration and status.
        let k = json(
            &bin,
            &["get-property", &kdev, "-O", off, "-o", "json"],
            &mut failures,
        );
        let t = json(
            &bin,
            &["get-property", &tdev, "-O", off, "-o", "json"],
            &mut failures,
        );
        if k.is_some() && k != t {
            failures.push(format!("get-property -O {off}: kernel {k:?}, tcp:// {t:?}"));
        }
    }

    // Writing CC with the value it has changes nothing; both tools say so
    // alike, and the controller still answers with RDY set.
    let cc = json(
        &bin,
        &["get-property", &kdev, "-O", "0x14", "-o", "json"],
        &mut failures,
    )
    .and_then(|j| j["value"].as_str().map(|v| format!("0x{v}")));
    if let Some(cc) = cc {
        let theirs = text(
            "nvme",
            &["set-property", &kdev, "-O", "0x14", "-V", &cc],
            &mut failures,
        );
        let ours = text(
            &bin,
            &["set-property", &kdev, "-O", "0x14", "-V", &cc, "--force"],
            &mut failures,
        );
        // nvme-cli 2.13 parses -V into the low half of a 64-bit value left
        // at all ones and prints that (`value: 0xffffffff00460061`); the
        // 4-byte CC write ignores the high half, so the lines agree once it
        // is dropped.
        let theirs = theirs.map(|t| match t.split_once("value: 0x") {
            Some((head, v)) => match u64::from_str_radix(v.trim(), 16) {
                Ok(v) => format!("{head}value: {:#x}\n", v as u32),
                Err(_) => t,
            },
            None => t,
        });
        if theirs != ours {
            failures.push(format!(
                "set-property CC {cc}: nvme {theirs:?}, nvmeq {ours:?}"
            ));
        }
        let ours = text(
            &bin,
            &["set-property", &tdev, "-O", "0x14", "-V", &cc, "--force"],
            &mut failures,
        );
        if theirs != ours {
            failures.push(format!(
                "set-property CC {cc} on tcp://: nvme {theirs:?}, nvmeq {ours:?}"
            ));
        }
        for dev in [&kdev, &tdev] {
            let csts = text(&bin, &["get-property", dev, "-O", "0x1c"], &mut failures);
            if csts.as_deref() != Some("property: 0x1c (Controller Status), value: 0x1\n") {
                failures.push(format!("{dev} after the CC write: {csts:?}"));
            }
        }
    }
    // CAP is read-only: the target fails the write, in both tools; nvmeq names the status.
    let (tcode, _, terr) = outcome("nvme", &["set-property", &kdev, "-O", "0", "-V", "0"]);
    for dev in [&kdev, &tdev] {
        let (code, _, err) = outcome(
            &bin,
            &["set-property", dev, "-O", "0", "-V", "0", "--force"],
        );
        if tcode == Some(0)
            || code != Some(1)
            || !err.contains("set-property: Invalid Field in Command")
        {
            failures.push(format!(
                "set-property CAP on {dev}: nvme {tcode:?} {terr}; nvmeq {code:?} {err}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn pcie_controller_refuses_properties_in_both_tools() {
    let ctrl = env("NVMEQ_CTRL_A");
    let bin = nvmeq_bin();
    let mut failures = Vec::new();
    for off in ["0", "0x14"] {
        let (tcode, tout, terr) = outcome("nvme", &["get-property", &ctrl, "-O", off]);
        let (code, out, err) = outcome(&bin, &["get-property", &ctrl, "-O", off]);
        if tcode == Some(0)
            || code != Some(1)
            || !out.is_empty()
            || !err.contains("get-property: Invalid Command Opcode")
            || !terr.contains("Invalid Command Opcode")
        {
            failures.push(format!(
                "get-property {ctrl} -O {off}: nvme {tcode:?} {} {terr}; nvmeq {code:?} {err}",
                String::from_utf8_lossy(&tout)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
