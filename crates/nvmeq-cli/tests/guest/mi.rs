//! `security-send`/`security-recv`, `nvme-mi-send`/`nvme-mi-recv` and `dim`
//! against nvme-cli 2.13 in the guest. QEMU's controller A implements
//! neither Security Send/Receive nor NVMe-MI Send/Receive, so both tools
//! fail on every one and nvmeq names the controller's status (never an
//! unknown one). The kernel's nvmet discovery controller reports no DCTYPE
//! (neither a Direct nor a Centralized Discovery Controller), so both tools
//! refuse `dim` before sending it; nvmeq says so, whether it reaches the
//! controller through its own NVMe/TCP connection or the kernel's.

use super::super::{env, nvmeq_bin, outcome};
use super::fabrics::{controllers_of, tcp_target};

const DISCOVERY_NQN: &str = "nqn.2014-08.org.nvmexpress.discovery";

/// One command in both tools on controller A: where nvme-cli fails, nvmeq
/// fails too (exit 1) and names an NVMe status; where nvme-cli succeeds,
/// nvmeq does too.
fn both(
    backend: &str,
    theirs: &[&str],
    ours: &[&str],
    stdin: Option<&[u8]>,
    failures: &mut Vec<String>,
) {
    let ctrl = env("NVMEQ_CTRL_A");
    let dev = format!("{backend}:{ctrl}");
    let mut t: Vec<&str> = vec![theirs[0], &ctrl];
    t.extend(&theirs[1..]);
    let mut o: Vec<&str> = vec![ours[0], &dev];
    o.extend(&ours[1..]);
    let run = |bin: &str, args: &[&str]| match stdin {
        Some(input) => {
            use std::io::Write;
            let mut c = std::process::Command::new(bin)
                .args(args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("running {bin}: {e}"));
            let _ = c.stdin.take().unwrap().write_all(input);
            let out = c.wait_with_output().unwrap();
            (
                out.status.code(),
                out.stdout,
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
        None => outcome(bin, args),
    };
    let (tc, _, terr) = run("nvme", &t);
    let (oc, _, err) = run(&nvmeq_bin(), &o);
    match (tc, oc) {
        (Some(0), Some(0)) => {}
        (Some(t), Some(1))
            if t != 0 && err.contains("(sct 0x") && !err.contains("Unknown Status") => {}
        _ => failures.push(format!(
            "{backend} {o:?}: nvme-cli exit {tc:?} ({}), nvmeq exit {oc:?} ({})",
            terr.trim(),
            err.trim()
        )),
    }
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn security_and_nvme_mi_agree_with_nvme_cli() {
    let mut failures = Vec::new();
    for backend in ["ioctl", "uring"] {
        both(
            backend,
            &["security-recv", "-p", "0", "-x", "16", "-t", "16"],
            &["security-recv", "-p", "0", "-x", "16"],
            None,
            &mut failures,
        );
        both(
            backend,
            &["security-send", "-p", "1", "-t", "4"],
            &["security-send", "-p", "1", "-t", "4", "--force"],
            Some(&[1, 2, 3, 4]),
            &mut failures,
        );
        // NVM Subsystem Health Status Poll (NVMe-MI opcode 01h), 32 bytes.
        let recv = ["nvme-mi-recv", "-O", "1", "-m", "1", "-l", "32"];
        both(backend, &recv, &recv, None, &mut failures);
        // Read NVMe-MI Data Structure (00h) with no data.
        let recv0 = ["nvme-mi-recv", "-O", "0", "-m", "1"];
        both(backend, &recv0, &recv0, None, &mut failures);
        // Configuration Set (03h) of 4 bytes, which nothing here implements.
        let send = ["nvme-mi-send", "-O", "3", "-m", "1", "-l", "4"];
        let mut ours = send.to_vec();
        ours.push("--force");
        both(backend, &send, &ours, Some(&[0; 4]), &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Disconnects the kernel's discovery controllers the test made.
struct DiscoveryCleanup;

impl Drop for DiscoveryCleanup {
    fn drop(&mut self) {
        let _ = outcome("nvme", &["disconnect", "-n", DISCOVERY_NQN]);
    }
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn dim_is_refused_by_both_tools_on_nvmet() {
    let (_nqn, addr, port, _cleanup) = tcp_target();
    let _dc = DiscoveryCleanup;
    let bin = nvmeq_bin();
    let mut failures = Vec::new();
    let refused = |what: &str, code: Option<i32>, err: &str, failures: &mut Vec<String>| {
        if code != Some(1) || !err.contains("DCTYPE 0h (not reported)") {
            failures.push(format!("{what}: exit {code:?} ({})", err.trim()));
        }
    };

    // nvmeq's own NVMe/TCP connection to the discovery controller.
    for t in ["register", "deregister", "update"] {
        let dev = format!("tcp://{addr}:{port}");
        let (code, _, err) = outcome(&bin, &["dim", "-d", &dev, "-t", t]);
        refused(
            &format!("nvmeq dim -d {dev} -t {t}"),
            code,
            &err,
            &mut failures,
        );
    }

    // A kernel discovery controller, which both tools can use.
    let (tc, _, terr) = outcome(
        "nvme",
        &[
            "connect",
            "-t",
            "tcp",
            "-a",
            &addr,
            "-s",
            &port,
            "-n",
            DISCOVERY_NQN,
        ],
    );
    let dcs = controllers_of(DISCOVERY_NQN);
    let Some(dc) = dcs.first().filter(|_| tc == Some(0)) else {
        panic!("nvme connect to {DISCOVERY_NQN}: {tc:?} {terr}; controllers {dcs:?}");
    };
    for t in ["register", "deregister"] {
        let (tc, _, terr) = outcome("nvme", &["dim", "-d", dc, "-t", t]);
        if tc == Some(0) {
            failures.push(format!("nvme dim -d {dc} -t {t} succeeded: {terr}"));
        }
        let (code, _, err) = outcome(&bin, &["dim", "-d", dc, "-t", t]);
        refused(
            &format!("nvmeq dim -d {dc} -t {t}"),
            code,
            &err,
            &mut failures,
        );
        let (code, _, err) = outcome(&bin, &["dim", "-n", DISCOVERY_NQN, "-t", t]);
        refused(
            &format!("nvmeq dim -n {DISCOVERY_NQN} -t {t}"),
            code,
            &err,
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
