//! `nvmeq bench` on controller C's formats (PI types 1–3, separate and
//! extended metadata, metadata without PI), on each backend: as a plain
//! benchmark (PRACT where the metadata is only PI, metadata buffers
//! otherwise) and with `--verify` (host-generated PI that the controller
//! checks on write and read, and the host checks again). On VFIO the same
//! runs passed by hand (docs/benchmarks.md); they are not a `vm test` step
//! because each VFIO open resets and remaps the device, the churn in which
//! QEMU 10.0.2's vIOMMU abort strikes (docs/testing.md).

use super::super::{env, nvmeq_bin, outcome};
use serde_json::Value;

/// Runs every case on `dev(nsid)` with the backend options `opts`,
/// returning the failures.
fn cases(backend: &str, opts: &[&str], dev: &dyn Fn(u32) -> String, failures: &mut Vec<String>) {
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
            let mut args = vec!["bench", d.as_str()];
            args.extend(common);
            args.extend(extra);
            args.extend(opts);
            let (code, out, err) = outcome(&bin, &args);
            let label = format!("{backend} {opts:?} C{nsid} {what}");
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

fn kernel(backend: &str, opts: &[&str]) {
    let mut failures = Vec::new();
    cases(
        backend,
        opts,
        &|nsid| format!("{backend}:{}", env(&format!("NVMEQ_NS_C{nsid}"))),
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn bench_verify_on_protected_formats_on_ioctl() {
    kernel("ioctl", &[]);
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn bench_verify_on_protected_formats_on_uring() {
    kernel("uring", &[]);
}

/// The data in registered buffers (the metadata still travels by address:
/// io_uring registers data buffers only).
#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn bench_verify_on_protected_formats_on_uring_fixed() {
    kernel("uring", &["--backend-opts", "fixedbufs"]);
}
