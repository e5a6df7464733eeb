//! `id-ns -H` and `cmdset-ind-id-ns -H` against nvme-cli 2.13 on controller
//! A and controller C's protected namespaces, and `id-ctrl -H` on every
//! controller: the decoded lines (`  [hi:lo]` and `LBA Format`) the same and
//! in the same order; `id-ctrl -H`'s whole text too. The plain lines are
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

/// `id-ctrl -H` on controllers A to E (and F when the guest has it): the
/// decoded lines the same, field by field; and the whole text the same line
/// for line (`-H` prints nvme-cli 2.13's layout, the power states' times
/// included), so the lines nvme-cli indents otherwise (` [15:0]`,
/// `[127:0]`, SGLS) are compared too.
#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn human_identify_controller_agrees_with_nvme_cli() {
    let mut failures = Vec::new();
    let mut ctrls: Vec<String> = ["A", "B", "C", "D", "E"]
        .iter()
        .map(|c| env(&format!("NVMEQ_CTRL_{c}")))
        .collect();
    if let Ok(f) = std::env::var("NVMEQ_CTRL_F") {
        if !f.is_empty() {
            ctrls.push(f);
        }
    }
    for ctrl in &ctrls {
        let args = ["id-ctrl", ctrl.as_str(), "-H"];
        let (tc, t, terr) = outcome("nvme", &args);
        let (oc, o, oerr) = outcome(&nvmeq_bin(), &args);
        if (tc, oc) != (Some(0), Some(0)) {
            failures.push(format!(
                "{args:?}: nvme-cli {tc:?} {terr}; nvmeq {oc:?} {oerr}"
            ));
            continue;
        }
        let (t, o) = (String::from_utf8_lossy(&t), String::from_utf8_lossy(&o));
        let (dt, dd) = (decoded(&t), decoded(&o));
        if dt.len() < 100 || dt != dd {
            failures.push(format!(
                "{args:?}: decoded lines differ\n--- nvme-cli\n{}\n--- nvmeq\n{}",
                dt.join("\n"),
                dd.join("\n")
            ));
            continue;
        }
        let (lt, lo): (Vec<&str>, Vec<&str>) = (t.lines().collect(), o.lines().collect());
        if lt != lo {
            let first = lt
                .iter()
                .zip(&lo)
                .position(|(a, b)| a != b)
                .unwrap_or(lt.len().min(lo.len()));
            failures.push(format!(
                "{args:?}: text differs from line {} ({} lines vs {}): nvme-cli {:?}, nvmeq {:?}",
                first + 1,
                lt.len(),
                lo.len(),
                lt.get(first),
                lo.get(first)
            ));
        }
    }
    // -H changes no JSON key (nvme-cli's JSON has no decoded form of id-ctrl).
    let ctrl = env("NVMEQ_CTRL_A");
    let json = |bin: &str, human: bool| {
        let mut args = vec!["id-ctrl", ctrl.as_str(), "-o", "json"];
        if human {
            args.push("-H");
        }
        let (_, out, _) = outcome(bin, &args);
        serde_json::from_slice::<serde_json::Value>(&out).unwrap_or_default()
    };
    let (t, th) = (json("nvme", false), json("nvme", true));
    let (o, oh) = (json(&nvmeq_bin(), false), json(&nvmeq_bin(), true));
    if t.is_null() || t != th || o.is_null() || o != oh {
        failures.push(format!(
            "id-ctrl -H -o json: nvme-cli {}, nvmeq {}",
            if t == th { "unchanged" } else { "changed" },
            if o == oh { "unchanged" } else { "changed" }
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
