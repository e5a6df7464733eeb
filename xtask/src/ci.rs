//! `cargo xtask ci`: every check, in the order that fails fastest, then the
//! conformance suite in the QEMU guest (real kernel NVMe paths) and a one-minute soak.

use crate::util::{self, cargo};

const USAGE: &str = "usage: cargo xtask ci [--host-only]

  --host-only   skip the QEMU guest (`vm test`); CI never passes this";

/// What CI builds is only run once, so it carries line tables and no incremental state:
/// a clean clone's `target/` stays well under half the size full debug info makes it, and
/// a runner with a small disk gets through (a full-debug run once filled one mid-build).
const LEAN_BUILD: [(&str, &str); 4] = [
    ("CARGO_INCREMENTAL", "0"),
    ("CARGO_PROFILE_DEV_DEBUG", "line-tables-only"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "line-tables-only"),
    ("CARGO_PROFILE_BENCH_DEBUG", "line-tables-only"),
];

/// Sets [`LEAN_BUILD`] for this process and every cargo it starts, leaving alone what
/// the caller set already.
fn lean_build() {
    for (k, v) in LEAN_BUILD {
        if std::env::var_os(k).is_none() {
            std::env::set_var(k, v);
        }
    }
}

/// The free space under the workspace, as `df` reports it, so that a run that fills the
/// disk says so before the step that fails.
fn report_free_space() {
    let out = std::process::Command::new("df")
        .args(["-h", "--output=avail,target"])
        .arg(util::root())
        .output();
    if let Ok(o) = out {
        let text = String::from_utf8_lossy(&o.stdout);
        if let Some(line) = text.lines().nth(1) {
            eprintln!("xtask ci: free space: {}", line.trim());
        }
    }
}

fn run_step(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    report_free_space();
    let mut c = cargo();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    util::run(c)
}

pub fn run(args: &[String]) -> Result<(), String> {
    let mut host_only = false;
    for a in args {
        match a.as_str() {
            "--host-only" => host_only = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    lean_build();
    run_step(&["fmt", "--all", "--check"], &[])?;
    run_step(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    run_step(&["test", "--workspace", "--all-features"], &[])?;
    run_step(
        &["doc", "--workspace", "--no-deps", "--all-features"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    run_step(&["build", "-p", "nvmeq-core", "--no-default-features"], &[])?;
    run_step(&["bench", "--workspace", "--no-run"], &[])?;
    // Every fuzz target briefly: the seeds and whatever ten seconds find.
    crate::fuzz::run(&["--time".into(), "10".into()])?;
    if host_only {
        eprintln!("xtask ci: host checks passed (guest suite skipped: --host-only)");
        return Ok(());
    }
    // The default kernel (7.x) and 6.12: each run of the steps takes about 2 min under TCG, so
    // both fit well inside the half hour a clean clone's CI may take.
    report_free_space();
    crate::vm::run(&["test".into(), "--kernels".into(), "7,6.12".into()])?;
    // One more boot: a minute of soak divided between every backend (docs/testing.md, Soak).
    crate::soak::run(&["--minutes".into(), "1".into(), "--no-build".into()])?;
    eprintln!("xtask ci: all checks passed, host and guest");
    Ok(())
}
