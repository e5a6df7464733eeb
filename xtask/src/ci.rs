//! `cargo xtask ci`: every check, in the order that fails fastest.

use crate::util::{self, cargo};

fn run_step(args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let mut c = cargo();
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    util::run(c)
}

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(a) = args.first() {
        return Err(format!("unexpected argument `{a}`"));
    }
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
    eprintln!("xtask ci: all checks passed");
    Ok(())
}
