//! `cargo xtask soak`: one guest boot (with the vIOMMU) running `nvmeq-hwtest soak` on every
//! backend in turn, each a step with its own time limit (`vm::run_steps`: a step the emulator
//! fails in gets one more boot), then a verdict per backend from the reports the guest leaves in
//! `target/vm/soak-out`.

use std::path::Path;
use std::time::Duration;

use crate::vm;

const USAGE: &str = "\
usage: cargo xtask soak [--minutes N] [--backend B]... [--seed S] [--no-build]

  --minutes N    minutes of random workload in all, divided evenly between the backends
                 (default 1; the final read-back of each comes on top)
  --backend B    a backend of `nvmeq-hwtest backends` (repeatable; default: every one the
                 guest has: ioctl, the io_uring variants, NVMe/TCP and the VFIO variants)
  --seed S       the workload's seed (default: from the clock, printed)
  --no-build     do not rebuild the guest binaries";

/// Seconds a backend's step may run past its share: the read-back of what it wrote, opening
/// (VFIO's rebind to vfio-pci and back) under TCG.
const SLACK_SECS: u64 = 240;
/// Backends the guest's nvmeq-hwtest has by default, for the boot's backstop timeout only.
const DEFAULT_COUNT: u64 = 8;

#[derive(Debug, PartialEq)]
struct Args {
    seconds: u64,
    backends: Vec<String>,
    seed: Option<u64>,
    build: bool,
}

fn parse(args: &[String]) -> Result<Option<Args>, String> {
    let mut a = Args {
        seconds: 60,
        backends: Vec::new(),
        seed: None,
        build: true,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--minutes" => {
                let v = value()?;
                let m: f64 = v
                    .parse()
                    .ok()
                    .filter(|m: &f64| *m > 0.0 && m.is_finite())
                    .ok_or_else(|| format!("--minutes: `{v}` is not a positive number"))?;
                a.seconds = (m * 60.0).round().max(1.0) as u64;
            }
            "--backend" => {
                let b = value()?;
                if b.is_empty() || !b.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(format!("--backend: `{b}` is not a backend name"));
                }
                a.backends.push(b);
            }
            "--seed" => {
                let v = value()?;
                a.seed = Some(
                    v.parse()
                        .map_err(|_| format!("--seed: `{v}` is not a number"))?,
                );
            }
            "--no-build" => a.build = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Some(a))
}

pub fn run(args: &[String]) -> Result<(), String> {
    let Some(a) = parse(args)? else {
        return Ok(());
    };
    let seed = a.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(1)
    });
    let count = if a.backends.is_empty() {
        DEFAULT_COUNT
    } else {
        a.backends.len() as u64
    };
    let list = format!(
        "soak_steps {} {SLACK_SECS} {seed} {}",
        a.seconds,
        a.backends.join(" ")
    );
    let paths = vm::Paths::new();
    // Its own /out, kept across the boots that follow a step QEMU died in (vm's own is
    // emptied at each boot).
    let out = paths.vm.join("soak-out");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let boot = vm::Boot {
        iommu: true,
        build: a.build,
        out: Some(out.clone()),
        // A backstop: every step has its own limit.
        timeout: Some(Duration::from_secs(a.seconds + count * SLACK_SECS + 300)),
        ..vm::Boot::default()
    };
    eprintln!(
        "xtask soak: {} s of workload in all, seed {seed}, backends: {}",
        a.seconds,
        if a.backends.is_empty() {
            "every one the guest has".to_string()
        } else {
            a.backends.join(", ")
        }
    );
    let status = vm::run_steps(&paths, &boot, &list).map(|s| s.status);
    let verdicts = summary(&out)?;
    eprintln!("xtask soak: seed {seed}, reports in {}", out.display());
    for v in &verdicts {
        eprintln!("  {v}");
    }
    let failed = verdicts.iter().filter(|v| v.starts_with("FAIL")).count();
    match status {
        Err(e) => Err(format!("the guest did not finish: {e}")),
        Ok(s) if s != 0 || failed > 0 => Err(format!(
            "{failed} backend target(s) failed (guest steps exit status {s})"
        )),
        Ok(_) if verdicts.is_empty() => Err("no soak report came back from the guest".into()),
        Ok(_) => Ok(()),
    }
}

/// One line per report in `out`: its `SOAK` lines as PASS, FAIL or SKIP; a report without
/// one (the step was killed or crashed) is a FAIL.
fn summary(out: &Path) -> Result<Vec<String>, String> {
    let mut files: Vec<_> = std::fs::read_dir(out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("soak-") && n.ends_with(".txt"))
        })
        .collect();
    // In the order they ran.
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    let mut v = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        v.extend(verdicts(&f.display().to_string(), &text));
    }
    Ok(v)
}

/// The verdicts of one report: `PASS|FAIL|SKIP  <the SOAK line>`.
fn verdicts(file: &str, text: &str) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("SOAK "))
        .map(|l| {
            let verdict = if l.ends_with(": PASS") {
                "PASS"
            } else if l.contains(": SKIP: ") {
                "SKIP"
            } else {
                "FAIL"
            };
            format!("{verdict}  {l}")
        })
        .collect();
    if lines.is_empty() {
        return vec![format!(
            "FAIL  {file}: no SOAK line (killed at its limit, or crashed)"
        )];
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn arguments() {
        let a = parse(&s(&[
            "--minutes",
            "0.5",
            "--backend",
            "uring",
            "--backend",
            "tcp",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(a.seconds, 30);
        assert_eq!(a.backends, s(&["uring", "tcp"]));
        assert!(parse(&s(&["--minutes", "0"])).is_err());
        assert!(parse(&s(&["--backend", "a;rm"])).is_err());
        assert!(parse(&s(&["--bogus"])).unwrap_err().contains("--bogus"));
        assert_eq!(parse(&s(&[])).unwrap().unwrap().seconds, 60);
    }

    #[test]
    fn verdicts_from_reports() {
        let r = "soak uring on A ...\nSOAK uring A: 10 ios, 0 mismatches, 0 errors, p99 5 us, \
                 0 outliers: PASS\nSOAK uring C1: 3 ios, 1 mismatches, 0 errors, p99 5 us, \
                 0 outliers: FAIL\nSOAK uring-poll A: SKIP: no poll queues\n";
        let v = verdicts("f", r);
        assert_eq!(v.len(), 3);
        assert!(v[0].starts_with("PASS") && v[1].starts_with("FAIL") && v[2].starts_with("SKIP"));
        assert!(verdicts("f", "thread panicked")[0].starts_with("FAIL  f: no SOAK"));
        assert!(verdicts("f", "SOAK tcp T: FAIL: connect refused")[0].starts_with("FAIL"));
    }
}
