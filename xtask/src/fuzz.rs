//! `cargo xtask fuzz`: coverage-guided fuzzing of the decoders, parsers and
//! the ram controller with libFuzzer (`cargo fuzz`, installed on first use).
//!
//! The targets live in `fuzz/` (its own workspace: libFuzzer's flags must not
//! reach the project's build). Each run starts from the committed seeds in
//! `fuzz/seeds/TARGET` and grows a working corpus in `fuzz/corpus/TARGET`; a
//! crash leaves its input in `fuzz/artifacts/TARGET` and fails the command.

use std::path::Path;
use std::process::Command;

use crate::util::{self, cargo, root};

const USAGE: &str = "usage: cargo xtask fuzz [--target T]... [--time SECS | --runs N] [--list]

  --target T   fuzz only T (repeatable; default: every target)
  --time SECS  seconds per target (default 60)
  --runs N     inputs per target instead of a time (e.g. 10000000)
  --list       print the targets and exit";

/// How long each target runs.
#[derive(Debug, Clone, Copy)]
enum Budget {
    Secs(u64),
    Runs(u64),
}

/// Every target of `fuzz/Cargo.toml`, in the order a full run takes them.
pub const TARGETS: &[&str] = &[
    "identify",
    "log_pages",
    "log_walkers",
    "zone_report",
    "sqe",
    "prp_sgl",
    "parsers",
    "ram",
    "ram_state",
    "tcp_pdu",
];

/// What one target's run did.
#[derive(Debug)]
struct Outcome {
    target: &'static str,
    runs: u64,
    secs: u64,
    crashed: bool,
}

/// The flags every build and run shares: optimised, with debug assertions
/// (and so overflow checks), and no sanitizer: the fuzzed code is safe Rust,
/// where AddressSanitizer finds nothing and halves the speed.
const FLAGS: &[&str] = &["-O", "--debug-assertions", "--sanitizer", "none"];

pub fn run(args: &[String]) -> Result<(), String> {
    let mut targets: Vec<&'static str> = Vec::new();
    let mut budget = Budget::Secs(60);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--target" => {
                let t = it.next().ok_or("--target needs a value")?;
                let t = TARGETS
                    .iter()
                    .find(|k| *k == t)
                    .ok_or_else(|| format!("unknown fuzz target `{t}`: {TARGETS:?}"))?;
                targets.push(t);
            }
            "--time" => {
                let v = it.next().ok_or("--time needs a value")?;
                budget = Budget::Secs(
                    v.parse()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| format!("--time takes whole seconds above 0, not `{v}`"))?,
                );
            }
            "--runs" => {
                let v = it.next().ok_or("--runs needs a value")?;
                budget = Budget::Runs(
                    v.parse()
                        .ok()
                        .filter(|s| *s > 0)
                        .ok_or_else(|| format!("--runs takes a count above 0, not `{v}`"))?,
                );
            }
            "--list" => {
                for t in TARGETS {
                    println!("{t}");
                }
                return Ok(());
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    if targets.is_empty() {
        targets = TARGETS.to_vec();
    }
    ensure_cargo_fuzz()?;
    let dir = root().join("fuzz");
    let mut build = fuzz_cmd(&dir);
    build.arg("build").args(FLAGS);
    util::run(build)?;
    let mut outcomes = Vec::new();
    for t in targets {
        outcomes.push(run_one(&dir, t, budget)?);
    }
    println!("\n| target | runs | seconds | runs/s | crashes |");
    println!("|---|---:|---:|---:|---:|");
    for o in &outcomes {
        println!(
            "| {} | {} | {} | {} | {} |",
            o.target,
            o.runs,
            o.secs,
            o.runs / o.secs.max(1),
            u8::from(o.crashed)
        );
    }
    let crashed: Vec<&str> = outcomes
        .iter()
        .filter(|o| o.crashed)
        .map(|o| o.target)
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz targets crashed: {crashed:?}; inputs in fuzz/artifacts/<target>/ \
             (replay: cd fuzz && cargo fuzz run <target> <input>)"
        ))
    }
}

/// `cargo fuzz` in `fuzz/`. It needs unstable compiler flags; this
/// toolchain is stable, so RUSTC_BOOTSTRAP lets it pass them.
fn fuzz_cmd(dir: &Path) -> Command {
    let mut c = cargo();
    c.current_dir(dir).arg("fuzz").env("RUSTC_BOOTSTRAP", "1");
    c
}

fn ensure_cargo_fuzz() -> Result<(), String> {
    let mut probe = cargo();
    probe.args(["fuzz", "--version"]);
    probe.stdout(std::process::Stdio::null());
    probe.stderr(std::process::Stdio::null());
    if probe.status().is_ok_and(|s| s.success()) {
        return Ok(());
    }
    let mut c = cargo();
    c.args(["install", "cargo-fuzz", "--locked"]);
    util::run(c)
}

fn run_one(dir: &Path, target: &'static str, budget: Budget) -> Result<Outcome, String> {
    let corpus = dir.join("corpus").join(target);
    let seeds = dir.join("seeds").join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let mut c = fuzz_cmd(dir);
    c.arg("run").args(FLAGS).arg(target).arg(&corpus);
    if seeds.is_dir() {
        c.arg(&seeds);
    }
    c.arg("--").arg(match budget {
        Budget::Secs(s) => format!("-max_total_time={s}"),
        Budget::Runs(n) => format!("-runs={n}"),
    });
    c.stderr(std::process::Stdio::piped());
    eprintln!("$ {}", util::show(&c));
    let out = c
        .output()
        .map_err(|e| format!("cannot start cargo fuzz: {e}"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    // libFuzzer ends a clean run with `Done N runs in S second(s)`.
    let done = log.lines().rev().find_map(|l| {
        let rest = l.strip_prefix("Done ")?;
        let (runs, rest) = rest.split_once(" runs in ")?;
        let (s, _) = rest.split_once(' ')?;
        Some((runs.parse().ok()?, s.parse().ok()?))
    });
    match (out.status.success(), done) {
        (true, Some((runs, secs))) => Ok(Outcome {
            target,
            runs,
            secs,
            crashed: false,
        }),
        (true, None) => Err(format!(
            "fuzz target {target}: libFuzzer exited cleanly without its `Done` line:\n{log}"
        )),
        (false, _) => {
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            for l in tail.into_iter().rev() {
                eprintln!("{l}");
            }
            Ok(Outcome {
                target,
                runs: 0,
                secs: 0,
                crashed: true,
            })
        }
    }
}
