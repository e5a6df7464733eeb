//! `virt-mgmt` against nvme-cli 2.13's on controller A. QEMU 10 implements
//! Virtualization Management only on an SR-IOV primary controller
//! (`sriov_max_vfs`), which the test bed does not have: both tools must
//! fail every action, nvmeq naming the status nvme-cli prints.

use super::super::{env, nvmeq_bin, outcome, run_json};

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn virt_mgmt_refused_alike_without_sr_iov() {
    let ctrl = env("NVMEQ_CTRL_A");
    let bin = nvmeq_bin();
    let id = run_json(&bin, &["id-ctrl", &ctrl, "-o", "json"]);
    if id["oacs"].as_u64().unwrap_or(0) & 1 << 7 != 0 {
        eprintln!(
            "SKIP: {ctrl} has Virtualization Management (OACS bit 7): this test is for one without"
        );
        return;
    }
    let mut failures = Vec::new();
    for (act, rt, nr) in [
        ("1", "0", "1"),
        ("7", "0", "0"),
        ("8", "1", "1"),
        ("9", "0", "0"),
    ] {
        let common = [
            "virt-mgmt",
            ctrl.as_str(),
            "-c",
            "1",
            "-a",
            act,
            "-r",
            rt,
            "-n",
            nr,
        ];
        let (tcode, tout, terr) = outcome("nvme", &common);
        let mut ours: Vec<&str> = common.to_vec();
        ours.push("--force");
        let (code, out, err) = outcome(&bin, &ours);
        // nvmeq: `Virtualization Management: <status name> (sct …`.
        let name = err
            .split_once("Virtualization Management: ")
            .and_then(|(_, r)| r.split_once(" (sct"))
            .map(|(n, _)| n.to_string());
        let agree = name.as_deref().is_some_and(|n| terr.contains(n));
        if tcode == Some(0) || code != Some(1) || !out.is_empty() || !agree {
            failures.push(format!(
                "virt-mgmt -a {act}: nvme {tcode:?} {} {terr}; nvmeq {code:?} {err}",
                String::from_utf8_lossy(&tout)
            ));
        } else {
            eprintln!("virt-mgmt -a {act}: both refuse: {}", err.trim());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
