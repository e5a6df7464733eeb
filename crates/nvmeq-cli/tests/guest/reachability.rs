//! `reachability-groups-log`, `reachability-associations-log`,
//! `host-discovery-log`, `ave-discovery-log` and `pull-model-ddc-req-log`
//! against nvme-cli 2.13: on QEMU's PCIe controllers (kernel ioctl and
//! io_uring paths), and on the guest's kernel NVMe/TCP target, its I/O
//! controller and its discovery controller, each through the kernel's
//! `/dev/nvmeX` and through nvmeq's own `tcp://` initiator. Where a
//! controller answers, both tools print the same text; where it refuses,
//! both fail, nvmeq names the controller's status (never an unknown one),
//! and every nvmeq path names the same one.

use super::super::{env, nvmeq_bin, outcome};
use super::fabrics::{controllers_of, tcp_target};

/// Each command with the option sets nvme-cli 2.13 gives it.
const COMMANDS: [&[&str]; 9] = [
    &["reachability-groups-log"],
    &["reachability-groups-log", "--groups-only"],
    &["reachability-associations-log"],
    &["reachability-associations-log", "--associations-only"],
    &["host-discovery-log"],
    &["host-discovery-log", "--all-host-entries"],
    &["ave-discovery-log"],
    &["pull-model-ddc-req-log"],
    &["pull-model-ddc-req-log", "--rae"],
];

/// The well-known discovery NQN.
const DISCOVERY_NQN: &str = "nqn.2014-08.org.nvmexpress.discovery";

/// `args` with the device put after the command name.
fn with_dev<'a>(args: &[&'a str], dev: &'a str) -> Vec<&'a str> {
    let mut v = vec![args[0], dev];
    v.extend(&args[1..]);
    v
}

/// nvme-cli on `theirs`, nvmeq on each of `ours`: the same text when
/// nvme-cli succeeds; otherwise every nvmeq path fails with exit 1 and the
/// same named status.
fn agree(args: &[&str], theirs: &str, ours: &[&str], failures: &mut Vec<String>) {
    let (tc, tout, terr) = outcome("nvme", &with_dev(args, theirs));
    let bin = nvmeq_bin();
    let mut errs: Vec<(String, String)> = Vec::new();
    for dev in ours {
        let (oc, oout, oerr) = outcome(&bin, &with_dev(args, dev));
        match (tc, oc) {
            (Some(0), Some(0)) => {
                if tout != oout {
                    failures.push(format!(
                        "{args:?} on {theirs} / {dev}: the text differs\n nvme:  {:?}\n nvmeq: {:?}",
                        String::from_utf8_lossy(&tout),
                        String::from_utf8_lossy(&oout)
                    ));
                }
            }
            (Some(t), Some(1))
                if t != 0
                    && oerr.contains("(sct 0x")
                    && !oerr.contains("Unknown Status")
                    && oout.is_empty() =>
            {
                errs.push((dev.to_string(), oerr.trim().to_string()));
            }
            _ => failures.push(format!(
                "{args:?}: nvme-cli on {theirs} exit {tc:?} ({}), nvmeq on {dev} exit {oc:?} ({})",
                terr.trim(),
                oerr.trim()
            )),
        }
    }
    if errs.windows(2).any(|w| w[0].1 != w[1].1) {
        failures.push(format!(
            "{args:?}: the nvmeq paths name different statuses: {errs:?}"
        ));
    }
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn reachability_and_discovery_logs_agree_with_nvme_cli_on_pcie() {
    let mut failures = Vec::new();
    for ctrl in ["NVMEQ_CTRL_A", "NVMEQ_CTRL_B"].map(env) {
        let ours = [format!("ioctl:{ctrl}"), format!("uring:{ctrl}")];
        let ours: Vec<&str> = ours.iter().map(String::as_str).collect();
        for args in COMMANDS {
            agree(args, &ctrl, &ours, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Connects the kernel host to `nqn` on the target; its `/dev/nvmeX`.
fn kernel_connect(nqn: &str, addr: &str, port: &str) -> String {
    let (code, _, err) = outcome(
        "nvme",
        &["connect", "-t", "tcp", "-a", addr, "-s", port, "-n", nqn],
    );
    let made = controllers_of(nqn);
    assert!(
        code == Some(0) && made.len() == 1,
        "nvme connect -n {nqn}: {code:?} {err}; {made:?}"
    );
    format!("/dev/{}", made[0])
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn reachability_and_discovery_logs_agree_with_nvme_cli_on_tcp() {
    let (nqn, addr, port, _cleanup) = tcp_target();
    let _ = outcome("nvme", &["disconnect", "-n", DISCOVERY_NQN]);
    let mut failures = Vec::new();
    // The I/O controller.
    let kdev = kernel_connect(&nqn, &addr, &port);
    let tdev = format!("tcp://{addr}:{port}/{nqn}");
    for args in COMMANDS {
        agree(args, &kdev, &[&kdev, &tdev], &mut failures);
    }
    // The discovery controller: a persistent kernel connection, and nvmeq's
    // own association with it.
    let ddev = kernel_connect(DISCOVERY_NQN, &addr, &port);
    let tdisc = format!("tcp://{addr}:{port}/{DISCOVERY_NQN}");
    for args in COMMANDS {
        agree(args, &ddev, &[&ddev, &tdisc], &mut failures);
    }
    let _ = outcome("nvme", &["disconnect", "-n", DISCOVERY_NQN]);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
