//! `cargo xtask vm`: a QEMU guest with emulated NVMe controllers, for the conformance suite, the
//! CLI and peer tools (fio, nvme-cli). See docs/testing.md.

mod apt;
mod cpio;
mod initramfs;
mod kernel;
mod modules;
mod peers;
mod prepare;
mod qemu;
mod qmp;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use kernel::Series;

const USAGE: &str = "\
usage: cargo xtask vm <command> [options] [-- args]

commands:
  prepare          install QEMU if missing, fetch the guest kernel and tools, build the initramfs
                   (re-checks the kernel version; boots prepare what they lack by themselves)
  exec -- CMD...   boot, run CMD with the guest's sh (args joined by spaces, as ssh does, so
                   '$NVMEQ_CTRL_A' expands in the guest), print its output, exit with its status
  run -- CMD...    same as exec
  test [-- ARGS]   boot with the vIOMMU and run `nvmeq-hwtest guest ARGS`, then the
                   guest-only integration tests (the CLI against nvme-cli)
  shell            boot to an interactive shell (stdin must be a terminal; Ctrl-A X quits QEMU)

options:
  --kernel 7|6.12|6.1 guest kernel (default: the one prepared last, else 7 from trixie-backports,
                      falling back to 6.12); `vm test --kernels all|7,6.12,…` runs on each
  --iommu             virtual Intel IOMMU (VFIO works; `test` always has it)
  --null              controller A on a null block device (fast, reads return zeros; benchmarks)
  --timeout SECS      kill the guest after SECS (default 3600 for test, whose every step also
                      has its own limit; 600 otherwise)
  --out DIR           host directory shared as /out (default target/vm/out, emptied each boot)
  --append WORDS      extra kernel command line (`module.param=value` reaches our insmod)
  --mem SIZE          guest memory (default 2G)      --smp N   guest CPUs (default 2)
  --accel auto|tcg|kvm  (default auto: KVM only with vmx/svm and a usable /dev/kvm)
  --verbose           show the kernel's messages
  --no-build          do not rebuild our guest binaries
";

/// Where everything lives.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The workspace root.
    pub root: PathBuf,
    /// `target/vm`.
    pub vm: PathBuf,
}

impl Paths {
    /// `target/vm` of this workspace.
    pub fn new() -> Self {
        let root = crate::util::root();
        let vm = root.join("target/vm");
        Self { root, vm }
    }
}

/// One boot: the machine and the command its init runs.
#[derive(Debug, Clone)]
pub struct Boot {
    pub series: Option<Series>,
    /// `vm test --kernels`: run the steps once on each (empty: `series` only).
    pub kernels: Vec<Series>,
    pub iommu: bool,
    pub null: bool,
    pub timeout: Option<Duration>,
    pub out: Option<PathBuf>,
    pub append: String,
    pub mem: String,
    pub smp: u32,
    /// `None`: decide from the host.
    pub kvm: Option<bool>,
    pub verbose: bool,
    pub build: bool,
}

impl Default for Boot {
    fn default() -> Self {
        Self {
            series: None,
            kernels: Vec::new(),
            iommu: false,
            null: false,
            timeout: None,
            out: None,
            append: String::new(),
            mem: "2G".into(),
            smp: 2,
            kvm: None,
            verbose: false,
            build: true,
        }
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return Err("missing command".into());
    };
    if matches!(cmd.as_str(), "-h" | "--help" | "help") {
        print!("{USAGE}");
        return Ok(());
    }
    let (boot, extra) = parse(rest)?;
    let paths = Paths::new();
    let status = match cmd.as_str() {
        "prepare" => {
            no_extra(&extra)?;
            let started = std::time::Instant::now();
            let p = prepare::prepare(
                &paths,
                prepare::Options {
                    series: boot.series,
                    refresh: true,
                    build: boot.build,
                },
            )?;
            eprintln!(
                "xtask vm: ready in {:.0} s: kernel {}, initramfs {}, our binaries: {}",
                started.elapsed().as_secs_f64(),
                p.kernel.release,
                p.initrd.display(),
                if p.bins.is_empty() {
                    "none".to_string()
                } else {
                    p.bins.join(" ")
                }
            );
            return Ok(());
        }
        "exec" | "run" => {
            if extra.is_empty() {
                return Err(format!("`vm {cmd}` needs a command: vm {cmd} -- CMD..."));
            }
            boot_and_run(&paths, &boot, &extra.join(" "), false)?
        }
        "test" => {
            let boot = Boot {
                iommu: true,
                // Each step has its own limit; this one only bounds a boot.
                timeout: boot.timeout.or(Some(Duration::from_secs(3600))),
                ..boot
            };
            if boot.kernels.is_empty() {
                test_steps(&paths, &boot, &extra, true)?.status
            } else {
                let mut worst = 0;
                let mut verdicts = Vec::new();
                for (ki, k) in boot.kernels.iter().enumerate() {
                    let b = Boot {
                        series: Some(*k),
                        ..boot.clone()
                    };
                    let started = std::time::Instant::now();
                    // Controllers C, D and E on the first kernel only (CI's budget).
                    let Steps {
                        status: s,
                        problems,
                    } = test_steps(&paths, &b, &extra, ki == 0)?;
                    // What went wrong is named here too: the last lines of a long run are
                    // often all a reader (or CI's log excerpt) gets.
                    verdicts.push(format!(
                        "kernel {}: {} in {:.0} s{}",
                        k.name(),
                        if s == 0 { "passed" } else { "FAILED" },
                        started.elapsed().as_secs_f64(),
                        if problems.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", problems.join("; "))
                        }
                    ));
                    worst = worst.max(s);
                }
                eprintln!("xtask vm: {}", verdicts.join("; "));
                worst
            }
        }
        "shell" => {
            no_extra(&extra)?;
            if !std::io::stdin().is_terminal() {
                return Err("`vm shell` needs a terminal on stdin; use `vm exec -- CMD`".into());
            }
            eprintln!("xtask vm: Ctrl-A X quits QEMU; `exit` powers the guest off");
            boot_and_run(&paths, &boot, "exec setsid cttyhack sh -l", true)?
        }
        other => {
            eprint!("{USAGE}");
            return Err(format!("unknown vm command `{other}`"));
        }
    };
    if status == 0 {
        Ok(())
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "xtask vm: the guest command exited with status {status}"
        );
        std::process::exit(status.clamp(1, 255));
    }
}

fn no_extra(extra: &[String]) -> Result<(), String> {
    match extra.first() {
        Some(a) => Err(format!("unexpected argument `{a}`")),
        None => Ok(()),
    }
}

/// Options, then everything after `--` (or from the first non-option word on).
fn parse(args: &[String]) -> Result<(Boot, Vec<String>), String> {
    let mut b = Boot::default();
    let mut it = args.iter();
    let mut extra = Vec::new();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match a.as_str() {
            "--" => {
                extra.extend(it.by_ref().cloned());
                break;
            }
            "--kernel" => b.series = Some(Series::parse(&value(a)?)?),
            "--kernels" => {
                let v = value(a)?;
                b.kernels = if v == "all" {
                    Series::ALL.to_vec()
                } else {
                    v.split(',').map(Series::parse).collect::<Result<_, _>>()?
                };
            }
            "--iommu" => b.iommu = true,
            "--null" => b.null = true,
            "--verbose" | "-v" => b.verbose = true,
            "--no-build" => b.build = false,
            "--timeout" => {
                let v = value(a)?;
                let s: u64 = v
                    .parse()
                    .map_err(|_| format!("--timeout: `{v}` is not a number of seconds"))?;
                b.timeout = Some(Duration::from_secs(s));
            }
            "--out" => b.out = Some(PathBuf::from(value(a)?)),
            "--append" => {
                let v = value(a)?;
                if !b.append.is_empty() {
                    b.append.push(' ');
                }
                b.append.push_str(&v);
            }
            "--mem" => b.mem = value(a)?,
            "--smp" => {
                let v = value(a)?;
                b.smp = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--smp: `{v}` is not a CPU count"))?;
            }
            "--accel" => {
                b.kvm = match value(a)?.as_str() {
                    "auto" => None,
                    "tcg" => Some(false),
                    "kvm" => Some(true),
                    v => return Err(format!("--accel: `{v}` is not auto, tcg or kvm")),
                }
            }
            s if s.starts_with('-') && extra.is_empty() => {
                return Err(format!("unknown option `{s}` (see `cargo xtask vm help`)"))
            }
            _ => {
                extra.push(a.clone());
                extra.extend(it.by_ref().cloned());
                break;
            }
        }
    }
    Ok((b, extra))
}

/// Single-quotes `s` for the guest's sh when it needs it.
pub fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Prepares what is missing, boots, runs `line` with the guest's sh, returns its exit status.
pub fn boot_and_run(
    paths: &Paths,
    boot: &Boot,
    line: &str,
    interactive: bool,
) -> Result<i32, String> {
    match boot_and_run_ended(paths, boot, line, interactive)? {
        qemu::Ended::Exit(s) => Ok(s),
        qemu::Ended::Hung { name, .. } => Err(format!("the guest hung in step `{name}`")),
        qemu::Ended::EmulatorFailed { name, why, .. } => {
            Err(format!("the emulator failed ({why}) during step `{name}`"))
        }
    }
}

/// Boots a step gets when the emulator fails in it (not the step's verdict).
const EMULATOR_TRIES: u32 = 3;

/// Seconds each step of `vm test` may take: a backend's suite, and one guest-only test.
const SUITE_STEP_SECS: u64 = 300;
const TEST_STEP_SECS: u64 = 180;

/// `vm test`: the conformance suite (a step per backend on A and B, the differential, and
/// with `cde` a step per backend on C, D and E) and every guest-only test (a step each), each
/// with its own limit. A step that hangs the whole guest is counted FAILED and a new boot
/// continues with the next step.
fn test_steps(paths: &Paths, boot: &Boot, args: &[String], cde: bool) -> Result<Steps, String> {
    let mut suite_args = String::new();
    for a in args {
        suite_args.push(' ');
        suite_args.push_str(&sh_quote(a));
    }
    let bins: Vec<&str> = prepare::GUEST_TESTS.iter().map(|t| t.2).collect();
    let list = format!(
        "{{ hwtest_steps {SUITE_STEP_SECS} {}{suite_args}; test_steps {TEST_STEP_SECS} {}; }}",
        u8::from(cde),
        bins.join(" ")
    );
    run_steps(paths, boot, &list)
}

/// What a run of steps came to: the guest's exit status (1 when a step hung or a DMA fault was
/// logged), and one line for each thing that went wrong or had to be run again.
pub struct Steps {
    pub status: i32,
    pub problems: Vec<String>,
}

/// Runs the steps that the guest shell command `list` prints (one `SECS NAME COMMAND` a line,
/// after `. /etc/nvmeq/steps.sh`) with `run_steps`, each with its own limit. A step that hangs
/// the whole guest is counted FAILED and a new boot continues with the next step; one in which
/// the emulator fails (QEMU dies, the guest reports an RCU stall or its heartbeat stops) is
/// run once more in a new boot.
pub fn run_steps(paths: &Paths, boot: &Boot, list: &str) -> Result<Steps, String> {
    let (failed_before, faults_before) = (qemu::failed_steps().len(), qemu::dma_faults().len());
    let mut problems = Vec::new();
    let mut hung = false;
    let mut from = 0;
    // How often the emulator has failed in each step (seen: QEMU 10.0.2 aborting in
    // iotlb_to_section under multi-threaded TCG with the vIOMMU, or the guest's vCPUs
    // stopping, about one boot in eight on a loaded host, more often in steps that open a
    // VFIO device many times). A step gets EMULATOR_TRIES boots; the emulator failing in
    // every one of them counts it FAILED.
    let mut failed_in: Vec<(usize, u32)> = Vec::new();
    loop {
        let line =
            format!(". /etc/nvmeq/steps.sh; {list} >/tmp/steps; run_steps /tmp/steps {from}");
        match boot_and_run_ended(paths, boot, &line, false)? {
            qemu::Ended::Exit(status) => {
                problems.extend(qemu::failed_steps().into_iter().skip(failed_before));
                // A device that DMAs outside what the driver mapped for it fails the run
                // whatever the steps said (the vIOMMU caught it; real memory would not).
                let faults: Vec<_> = qemu::dma_faults().into_iter().skip(faults_before).collect();
                for f in &faults {
                    eprintln!("xtask vm: FAILED: the guest logged a DMA fault in {f}");
                    problems.push(format!("DMA fault in {f}"));
                }
                for p in &problems {
                    eprintln!("xtask vm: {p}");
                }
                let status = if hung || !faults.is_empty() {
                    status.max(1)
                } else {
                    status
                };
                return Ok(Steps { status, problems });
            }
            qemu::Ended::Hung { index, name, secs } => {
                eprintln!("xtask vm: booting again to run the steps after {index} `{name}`");
                problems.push(format!(
                    "FAILED step {index} `{name}`: hung the guest (limit {secs} s)"
                ));
                hung = true;
                from = index + 1;
            }
            qemu::Ended::EmulatorFailed {
                index,
                name,
                secs,
                why,
            } => {
                let tries = match failed_in.iter_mut().find(|(i, _)| *i == index) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        failed_in.push((index, 1));
                        1
                    }
                };
                if tries >= EMULATOR_TRIES {
                    eprintln!(
                        "xtask vm: the emulator failed ({why}) in step {index} `{name}` again; \
                         booting again to run the steps after it"
                    );
                    problems.push(format!(
                        "FAILED step {index} `{name}`: the emulator failed in each of its \
                         {tries} boots, the last time: {why} (limit {secs} s)"
                    ));
                    hung = true;
                    from = index + 1;
                } else {
                    eprintln!(
                        "xtask vm: the emulator failed ({why}) in step {index} `{name}`, \
                         not the step; booting again to run it once more"
                    );
                    problems.push(format!("step {index} `{name}` ran again after: {why}"));
                    from = index;
                }
            }
        }
    }
}

fn boot_and_run_ended(
    paths: &Paths,
    boot: &Boot,
    line: &str,
    interactive: bool,
) -> Result<qemu::Ended, String> {
    let prepared = prepare::prepare(
        paths,
        prepare::Options {
            series: boot.series,
            refresh: false,
            build: boot.build,
        },
    )?;
    let first = line.split_whitespace().next().unwrap_or("");
    if first.starts_with("nvmeq") && !prepared.bins.iter().any(|b| b == first) {
        return Err(format!(
            "`{first}` is not in the guest: its crate builds no such binary yet"
        ));
    }
    // A guest that dies before its init reaches the command (seen once under
    // TCG: a crash during kernel start-up) proves nothing about our code, so
    // it is booted once more; a failure after the command started is final.
    for attempt in 1..=2 {
        let (result, started) = boot_once(paths, boot, &prepared, line, interactive)?;
        match result {
            Err(e) if !started && !interactive && attempt == 1 => {
                eprintln!(
                    "xtask vm: the guest died before running the command ({e}); booting again"
                );
            }
            other => return other,
        }
    }
    unreachable!("the second attempt always returns")
}

/// One boot: runs `line`, returns its result and whether the guest's init
/// got as far as starting the command.
fn boot_once(
    paths: &Paths,
    boot: &Boot,
    prepared: &prepare::Prepared,
    line: &str,
    interactive: bool,
) -> Result<(Result<qemu::Ended, String>, bool), String> {
    let id = std::process::id();
    remove_stale(&paths.vm);
    let ctl = qemu::fresh_dir(&paths.vm.join(format!("run/{id}")))?;
    let disks = paths.vm.join(format!("disks/{id}"));
    let out = match &boot.out {
        Some(o) => {
            std::fs::create_dir_all(o).map_err(|e| format!("{}: {e}", o.display()))?;
            o.clone()
        }
        None => qemu::fresh_dir(&paths.vm.join("out"))?,
    };
    let out = out
        .canonicalize()
        .map_err(|e| format!("{}: {e}", out.display()))?;
    std::fs::write(ctl.join("cmd"), format!("{line}\n"))
        .map_err(|e| format!("{}: {e}", ctl.display()))?;

    let kvm = boot.kvm.unwrap_or_else(qemu::kvm_usable);
    let timeout = boot.timeout.unwrap_or(Duration::from_secs(600));
    let machine = qemu::Machine {
        iommu: boot.iommu,
        null: boot.null,
        kvm,
        mem: boot.mem.clone(),
        smp: boot.smp,
        append: boot.append.clone(),
        verbose: boot.verbose,
        watchdog: (!interactive).then(|| timeout.as_secs() + 30),
    };
    let files = qemu::Files {
        vmlinuz: &prepared.kernel.vmlinuz,
        initrd: &prepared.initrd,
        disks: &disks,
        out: &out,
        ctl: &ctl,
    };
    let cmd = qemu::command(&machine, &files)?;
    eprintln!(
        "xtask vm: booting {} ({}{}{}), out: {}",
        prepared.kernel.release,
        if kvm { "kvm" } else { "tcg" },
        if boot.iommu { ", vIOMMU" } else { "" },
        if boot.null { ", A on null-co" } else { "" },
        out.display()
    );
    let result = qemu::run(cmd, timeout, &ctl, interactive);
    let started = ctl.join("started").exists();
    cleanup(&[&disks, &ctl]);
    Ok((result, started))
}

/// Removes the run and disk folders of boots whose xtask process is gone (killed, or its output
/// pipe closed mid-run).
fn remove_stale(vm: &Path) {
    for sub in ["run", "disks"] {
        let Ok(rd) = std::fs::read_dir(vm.join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn cleanup(dirs: &[&Path]) {
    for d in dirs {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn options_then_command() {
        let (b, extra) = parse(&s(&[
            "--iommu",
            "--timeout",
            "30",
            "--kernel",
            "6.1",
            "--",
            "nvme",
            "list",
            "-o",
            "json",
        ]))
        .unwrap();
        assert!(b.iommu && !b.null);
        assert_eq!(b.timeout, Some(Duration::from_secs(30)));
        assert_eq!(b.series, Some(Series::V6_1));
        assert_eq!(extra, s(&["nvme", "list", "-o", "json"]));
        // Without `--`, the command starts at the first non-option; its options stay its own.
        let (_, extra) = parse(&s(&["--null", "fio", "--name=x"])).unwrap();
        assert_eq!(extra, s(&["fio", "--name=x"]));
    }

    #[test]
    fn bad_options_are_named() {
        assert!(parse(&s(&["--timeout", "soon"]))
            .unwrap_err()
            .contains("soon"));
        assert!(parse(&s(&["--kernel", "5.10"]))
            .unwrap_err()
            .contains("5.10"));
        assert!(parse(&s(&["--bogus"])).unwrap_err().contains("--bogus"));
        assert!(parse(&s(&["--kernels", "7,5.4"]))
            .unwrap_err()
            .contains("5.4"));
        let (b, _) = parse(&s(&["--kernels", "all"])).unwrap();
        assert_eq!(b.kernels, Series::ALL);
        assert!(parse(&s(&["--timeout"])).unwrap_err().contains("value"));
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("--filter=admin"), "--filter=admin");
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
        assert_eq!(sh_quote(""), "''");
        assert_eq!(sh_quote("$X"), "'$X'");
    }
}
