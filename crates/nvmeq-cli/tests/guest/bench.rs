//! `nvmeq bench` on controller C's formats (PI types 1–3, separate and
//! extended metadata, metadata without PI), on each backend: as a plain
//! benchmark (PRACT where the metadata is only PI, metadata buffers
//! otherwise) and with `--verify` (host-generated PI that the controller
//! checks on write and read, and the host checks again); on VFIO a subset.

use super::super::{bind_to_nvme, bind_to_vfio, env, nvmeq_bin, outcome};
use serde_json::Value;

/// Runs every case on `dev(nsid)`, returning the failures.
/// Which runs of [`cases`]: every format both ways, or (VFIO) fewer opens.
#[derive(Clone, Copy, PartialEq)]
enum Runs {
    All,
    /// C1 and C3 with `--verify` (PI through a separate buffer and inline),
    /// C4 plain (metadata without PI): every VFIO open resets the device and
    /// remaps its memory, the churn in which QEMU 10.0.2's vIOMMU abort
    /// strikes (docs/testing.md), so each one has to earn its place.
    Few,
}

fn cases(backend: &str, dev: &dyn Fn(u32) -> String, runs: Runs, failures: &mut Vec<String>) {
    let bin = nvmeq_bin();
    for nsid in 1..=4u32 {
        let d = dev(nsid);
        let n = nsid.to_string();
        // The ioctl backend runs one command at a time.
        let (qd, batch) = if backend == "ioctl" {
            ("1", "1")
        } else {
            ("8", "4")
        };
        let common = [
            "--qd",
            qd,
            "--batch",
            batch,
            "--ios",
            "3000",
            "--start-lba",
            "2048",
            "--blocks",
            "256",
            "--no-progress",
            "--json",
            "-n",
            &n,
        ];
        for (what, extra) in [
            ("randread", &["--pattern", "randread"][..]),
            (
                "mixed --verify",
                &["--pattern", "mixed:50", "--verify", "--allow-destructive"][..],
            ),
        ] {
            let verify = extra.contains(&"--verify");
            if runs == Runs::Few && !matches!((nsid, verify), (1 | 3, true) | (4, false)) {
                continue;
            }
            let mut args = vec!["bench", d.as_str()];
            args.extend(common);
            args.extend(extra);
            let (code, out, err) = outcome(&bin, &args);
            let label = format!("{backend} C{nsid} {what}");
            if code != Some(0) {
                failures.push(format!("{label}: exit {code:?}: {err}"));
                continue;
            }
            let v: Value = match serde_json::from_slice(&out) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{label}: not JSON ({e})"));
                    continue;
                }
            };
            if v["ios"] != 3000 {
                failures.push(format!("{label}: {} I/Os, want 3000", v["ios"]));
            }
            if verify {
                // 256 blocks and 1500 writes: most reads find a written block.
                let checked = v["verified"].as_u64().unwrap_or(0);
                if checked < v["reads"].as_u64().unwrap_or(0) / 2 {
                    failures.push(format!(
                        "{label}: only {checked} of {} reads checked",
                        v["reads"]
                    ));
                }
            } else if !v["verified"].is_null() {
                failures.push(format!("{label}: verified without --verify"));
            }
        }
    }
}

fn kernel(backend: &str) {
    let mut failures = Vec::new();
    cases(
        backend,
        &|nsid| format!("{backend}:{}", env(&format!("NVMEQ_NS_C{nsid}"))),
        Runs::All,
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn bench_verify_on_protected_formats_on_ioctl() {
    kernel("ioctl");
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn bench_verify_on_protected_formats_on_uring() {
    kernel("uring");
}

/// Controller C moved to vfio-pci for the run, and back.
#[test]
#[ignore = "needs the nvmeq guest with --iommu: see crates/nvmeq-cli/README.md"]
fn bench_verify_on_protected_formats_on_vfio() {
    let pci = env("NVMEQ_PCI_C");
    bind_to_vfio(&pci);
    let mut failures = Vec::new();
    cases("vfio", &|_| format!("vfio:{pci}"), Runs::Few, &mut failures);
    bind_to_nvme(&pci);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
