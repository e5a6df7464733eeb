//! `reset` and `ns-rescan` against nvme-cli's on controller A: both tools
//! succeed, and the controller answers Identify the same way afterwards; on
//! VFIO the driver's own reset, then Identify through it.

use super::super::{bind_to_nvme, bind_to_vfio, env, nvmeq_bin, outcome, run_json};

/// The fields of Identify Controller that a reset leaves as they were.
fn identity(v: &serde_json::Value) -> (String, String, u64) {
    (
        v["sn"].as_str().unwrap_or("").trim().to_string(),
        v["mn"].as_str().unwrap_or("").trim().to_string(),
        v["cntlid"].as_u64().unwrap_or(u64::MAX),
    )
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn reset_and_ns_rescan_agree_with_nvme_cli() {
    let ctrl = env("NVMEQ_CTRL_A");
    let bin = nvmeq_bin();
    let before = identity(&run_json(&bin, &["id-ctrl", &ctrl, "-o", "json"]));
    let mut failures = Vec::new();
    for args in [
        vec!["reset", ctrl.as_str()],
        vec!["ns-rescan", ctrl.as_str()],
    ] {
        let (theirs, _, terr) = outcome("nvme", &args);
        for dev in [ctrl.clone(), format!("ioctl:{ctrl}")] {
            let mut ours_args = args.clone();
            ours_args[1] = &dev;
            let (ours, _, err) = outcome(&bin, &ours_args);
            if ours != Some(0) || theirs != Some(0) {
                failures.push(format!(
                    "{ours_args:?}: nvmeq {ours:?} {err}; nvme-cli {theirs:?} {terr}"
                ));
            }
        }
        // The controller is back and the same one (a reset may briefly make
        // the kernel answer "busy": run_json retries nothing, so wait once).
        std::thread::sleep(std::time::Duration::from_millis(500));
        let after = identity(&run_json(&bin, &["id-ctrl", &ctrl, "-o", "json"]));
        if after != before {
            failures.push(format!("after {}: {after:?}, before {before:?}", args[0]));
        }
    }
    // io_uring has no reset: refused by name, the controller untouched.
    let (code, _, err) = outcome(&bin, &["reset", &format!("uring:{}", env("NVMEQ_NS_A"))]);
    if code != Some(1) || !err.contains("goes through the kernel (ioctl:/dev/nvmeX)") {
        failures.push(format!("reset on uring: {code:?} {err}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The VFIO driver's reset: every queue set up again, Identify answered.
#[test]
#[ignore = "needs the nvmeq guest with --iommu: see crates/nvmeq-cli/README.md"]
fn reset_on_vfio() {
    let pci = env("NVMEQ_PCI_A");
    let bin = nvmeq_bin();
    let before = identity(&run_json(
        &bin,
        &["id-ctrl", &env("NVMEQ_CTRL_A"), "-o", "json"],
    ));
    bind_to_vfio(&pci);
    let dev = format!("vfio:{pci}");
    let (code, _, err) = outcome(&bin, &["reset", &dev]);
    let after = identity(&run_json(&bin, &["id-ctrl", &dev, "-o", "json"]));
    bind_to_nvme(&pci);
    assert_eq!(code, Some(0), "reset {dev}: {err}");
    assert_eq!(after, before, "Identify Controller after the reset");
}
