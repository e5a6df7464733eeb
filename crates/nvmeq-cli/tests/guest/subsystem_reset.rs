//! `subsystem-reset` against nvme-cli 2.13's. QEMU 10 never sets CAP.NSSRS
//! (hw/nvme's `nvme_init_ctrl` leaves it 0), so on every controller of the
//! test bed whose CAP says so both tools refuse, and the controller still
//! answers Identify after; a controller that has NSSRS is reset by nvmeq
//! and must answer Identify again.

use super::super::{env, nvmeq_bin, outcome, run_json};

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn subsystem_reset_follows_cap_nssrs() {
    let bin = nvmeq_bin();
    let mut failures = Vec::new();
    for v in ["A", "B", "D", "E", "F"] {
        let ctrl = env(&format!("NVMEQ_CTRL_{v}"));
        let (code, out, err) = outcome(&bin, &["get-reg", &ctrl, "--cap", "-H"]);
        let text = String::from_utf8_lossy(&out);
        if code != Some(0) {
            eprintln!(
                "SKIP {v}: CAP cannot be read ({}): boot with iomem=relaxed",
                err.trim()
            );
            continue;
        }
        let nssrs = text.contains("(NSSRS): Yes");
        let (code, _, err) = outcome(&bin, &["subsystem-reset", &ctrl, "--force"]);
        if nssrs {
            if code != Some(0) {
                failures.push(format!("{v}: NSSRS set but subsystem-reset failed: {err}"));
            }
        } else {
            let (tcode, _, terr) = outcome("nvme", &["subsystem-reset", &ctrl]);
            if code != Some(1)
                || !err.contains("does not support NVM Subsystem Reset (CAP.NSSRS is 0)")
                || tcode == Some(0)
            {
                failures.push(format!(
                    "{v}: nvmeq {code:?} {err}; nvme-cli {tcode:?} {terr}"
                ));
            } else {
                eprintln!(
                    "{v}: NSSRS 0: both refuse ({}; {})",
                    err.trim(),
                    terr.trim()
                );
            }
        }
        // The controller still works either way.
        let id = run_json(&bin, &["id-ctrl", &ctrl, "-o", "json"]);
        if id["vid"].as_u64() != Some(0x1b36) {
            failures.push(format!("{v}: Identify after: {id}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
