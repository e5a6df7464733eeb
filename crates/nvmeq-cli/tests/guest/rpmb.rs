//! `rpmb` against nvme-cli 2.13's on QEMU's controller A, read-only
//! actions only (info, read-counter; no key is ever programmed outside the
//! ram controller): QEMU's controller reports RPMBS 0, so both tools refuse
//! before sending anything RPMB, and nvmeq says why (exit 1).

use super::super::{env, nvmeq_bin, outcome, run_json};

/// A key for read-counter's MAC check; never sent to the drive as a key.
const KEY: &str = "0123456789abcdef0123456789abcdef";

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn both_tools_refuse_rpmb_on_a_controller_without_it() {
    let ctrl = env("NVMEQ_CTRL_A");
    let bin = nvmeq_bin();
    let id = run_json(&bin, &["id-ctrl", &ctrl, "-o", "json"]);
    let rpmbs = id["rpmbs"].as_u64().expect("id-ctrl rpmbs");
    if rpmbs & 7 != 0 {
        println!("SKIP: {ctrl} reports RPMBS {rpmbs:#x} (RPMB units): the refusal cannot be shown, and this test writes nothing");
        return;
    }
    let mut failures = Vec::new();
    for cmd in [&["-c", "info"][..], &["-c", "read-counter", "-k", KEY][..]] {
        let mut a = vec!["rpmb", ctrl.as_str()];
        a.extend(cmd);
        let (tc, tout, terr) = outcome("nvme", &a);
        // nvme-cli 2.13 names the refusal on stderr and prints nothing else.
        if !terr.contains("No RPMB targets are supported by the drive") || !tout.is_empty() {
            failures.push(format!(
                "nvme {a:?}: exit {tc:?}, stderr {terr:?}, stdout {tout:?}"
            ));
        }
        for fmt in ["normal", "json", "binary"] {
            let mut b = a.clone();
            b.extend(["-o", fmt]);
            let (oc, out, err) = outcome(&bin, &b);
            if oc != Some(1)
                || !out.is_empty()
                || !err.contains("No RPMB targets are supported by the drive")
                || !err.contains("RPMBS is 0x0")
            {
                failures.push(format!(
                    "nvmeq {b:?}: exit {oc:?}, stderr {err:?}, stdout {out:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
