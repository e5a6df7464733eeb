//! `id-ns -H` and `cmdset-ind-id-ns -H` against nvme-cli 2.13 on controller
//! A and controller C's protected namespaces: the decoded lines (`  [hi:lo]`
//! and `LBA Format`) the same and in the same order. The plain lines are
//! compared by the other tests (nvmeq's plain layout is 2.3's, without
//! `kpios` and `kpiodaag`, which only its -H prints). And the JSON of
//! `cmdset-ind-id-ns` and `list-endgrp`, or both tools refusing.

use super::super::{env, nvmeq_bin, outcome};

/// The decoded lines of a `-H` output, each with the field line above it.
fn decoded(text: &str) -> Vec<String> {
    let mut field = "";
    let mut v = Vec::new();
    for l in text.lines() {
        if l.starts_with("  [") || l.starts_with("LBA Format") {
            v.push(format!("{field} | {l}"));
        } else if !l.is_empty() {
            field = l.split(':').next().unwrap_or("").trim_end();
        }
    }
    v
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn human_identify_namespace_agrees_with_nvme_cli() {
    let mut failures = Vec::new();
    let devs = [
        env("NVMEQ_NS_A"),
        env("NVMEQ_NS_C1"),
        env("NVMEQ_NS_C2"),
        env("NVMEQ_NS_C3"),
        env("NVMEQ_NS_C4"),
    ];
    for dev in &devs {
        for cmd in ["id-ns", "cmdset-ind-id-ns"] {
            let args = [cmd, dev.as_str(), "-H"];
            let (tc, t, terr) = outcome("nvme", &args);
            let (oc, o, oerr) = outcome(&nvmeq_bin(), &args);
            let (t, o) = (String::from_utf8_lossy(&t), String::from_utf8_lossy(&o));
            match (tc, oc) {
                (Some(0), Some(0)) => {
                    let (dt, dd) = (decoded(&t), decoded(&o));
                    if dt.is_empty() || dt != dd {
                        failures.push(format!(
                            "{args:?}: decoded lines differ\n--- nvme-cli\n{}\n--- nvmeq\n{}",
                            dt.join("\n"),
                            dd.join("\n")
                        ));
                    }
                }
                // QEMU may not implement CNS 08h: then both refuse, nvmeq by name.
                (Some(t), Some(o)) if t != 0 && o != 0 && oerr.contains("Invalid Field") => {}
                _ => failures.push(format!(
                    "{args:?}: nvme-cli {tc:?} {terr}; nvmeq {oc:?} {oerr}"
                )),
            }
        }
    }
    // The JSON of both CNS 08h and 19h, or both tools refusing.
    let ctrl = env("NVMEQ_CTRL_A");
    for args in [
        ["cmdset-ind-id-ns", devs[0].as_str(), "-o", "json"],
        ["cmdset-ind-id-ns", devs[2].as_str(), "-o", "json"],
        ["list-endgrp", ctrl.as_str(), "-o", "json"],
    ] {
        let (tc, t, terr) = outcome("nvme", &args);
        let (oc, o, oerr) = outcome(&nvmeq_bin(), &args);
        match (tc, oc) {
            (Some(0), Some(0)) => {
                let tv: serde_json::Value = serde_json::from_slice(&t).unwrap_or_default();
                let ov: serde_json::Value = serde_json::from_slice(&o).unwrap_or_default();
                if tv.is_null() || tv != ov {
                    failures.push(format!("{args:?}: nvme-cli {tv}, nvmeq {ov}"));
                }
            }
            (Some(t), Some(o)) if t != 0 && o != 0 && oerr.contains("Invalid Field") => {}
            _ => failures.push(format!(
                "{args:?}: nvme-cli {tc:?} {terr}; nvmeq {oc:?} {oerr}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
