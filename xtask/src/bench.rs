//! `cargo xtask bench`: criterion on the host; `bench vm`: nvmeq against fio
//! in one QEMU guest, written into docs/benchmarks.md.

mod json;
mod plan;
mod queues;
mod results;
mod tcp;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::util;
use crate::vm::{self, Boot, Paths};
use plan::Run;
use results::Outcome;

const USAGE: &str = "\
usage: cargo xtask bench [ARGS]       criterion benches on the host (cargo bench -p nvmeq-benches ARGS)
       cargo xtask bench vm [options] nvmeq against fio in one guest (controller A on null-co,
                                      vIOMMU; then nvmeq's VFIO backend on the same controller)

bench vm options:
  --runtime SECS   seconds per run (default 5)
  --qd LIST        queue depths, comma-separated (default 1,32,128); batch = QD/4 (1 at QD 1)
  --tcp-only       only the NVMe/TCP rows (nvmeq tcp vs the kernel host on the guest's
                   nvmet-tcp target) and only their section of docs/benchmarks.md
  --queues-only    only the queue-handle rows (async engine vs sync, --jobs 2 vs 1, VFIO irq
                   vs poll, on uring and VFIO, with their plain baselines) and only their
                   section of docs/benchmarks.md
  --no-docs        do not write the table into docs/benchmarks.md
  --script         print the guest script and exit
  --report-only    no boot: rebuild the table from the last run's outputs (target/vm/bench-out)
  --accel, --no-build, --verbose   as for `cargo xtask vm`
";

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("vm") => vm_bench(&args[1..]),
        Some("-h" | "--help" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => {
            let mut c = util::cargo();
            c.args(["bench", "-p", "nvmeq-benches"]);
            if !args.is_empty() {
                c.arg("--").args(args);
            }
            util::run(c)
        }
    }
}

#[derive(Debug)]
struct Options {
    runtime: u32,
    qds: Vec<u32>,
    docs: bool,
    script_only: bool,
    report_only: bool,
    /// Only the NVMe/TCP runs and section.
    tcp_only: bool,
    /// Only the queue-handle runs (and their baselines) and section.
    queues_only: bool,
    /// Arguments passed through to the boot (`vm` options).
    vm_args: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        runtime: 5,
        qds: vec![1, 32, 128],
        docs: true,
        script_only: false,
        report_only: false,
        tcp_only: false,
        queues_only: false,
        vm_args: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--runtime" => {
                let v = value()?;
                o.runtime = v
                    .parse()
                    .ok()
                    .filter(|&s| s > 0)
                    .ok_or_else(|| format!("--runtime: `{v}` is not a number of seconds"))?;
            }
            "--qd" => {
                let v = value()?;
                o.qds = v
                    .split(',')
                    .map(|q| {
                        q.trim()
                            .parse()
                            .ok()
                            .filter(|&n: &u32| (1..=4096).contains(&n))
                    })
                    .collect::<Option<Vec<u32>>>()
                    .ok_or_else(|| format!("--qd: `{v}` is not a list of queue depths"))?;
            }
            "--no-docs" => o.docs = false,
            "--script" => o.script_only = true,
            "--report-only" => o.report_only = true,
            "--tcp-only" => o.tcp_only = true,
            "--queues-only" => o.queues_only = true,
            "--accel" => {
                o.vm_args.push(a.clone());
                o.vm_args.push(value()?);
            }
            "--no-build" | "--verbose" => o.vm_args.push(a.clone()),
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    if o.tcp_only && o.queues_only {
        return Err("--tcp-only and --queues-only each leave the other's rows out".into());
    }
    Ok(o)
}

fn vm_bench(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let mut runs = if o.tcp_only {
        Vec::new()
    } else if o.queues_only {
        queues::baselines(&o.qds)
    } else {
        plan::runs(&o.qds)
    };
    if !o.tcp_only {
        runs.extend(queues::runs(&o.qds));
    }
    if !o.queues_only {
        runs.extend(plan::tcp_runs(&o.qds));
    }
    let paths = Paths::new();
    let out = paths.vm.join("bench-out");
    if o.script_only {
        print!("{}", plan::script(&runs, "nvmeq bench", o.runtime));
        return Ok(());
    }
    let mut boot = vm_boot_options(&o.vm_args)?;
    boot.null = true;
    // The VFIO runs need the virtual IOMMU; the kernel runs share the boot.
    boot.iommu = !o.tcp_only;
    let nvmeq = "nvmeq bench";
    if !o.report_only {
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        std::fs::write(out.join("bench.sh"), plan::script(&runs, nvmeq, o.runtime))
            .map_err(|e| format!("{}: {e}", out.display()))?;
        // Each run takes its runtime plus start-up; leave room for the boot.
        let budget = 120 + runs.len() as u64 * (o.runtime as u64 + 10);
        boot.out = Some(out.clone());
        boot.timeout = Some(Duration::from_secs(budget));
        let status = vm::boot_and_run(&paths, &boot, "sh /out/bench.sh", false)?;
        // The guest's own clock around the runs (boot and build excluded).
        let secs = |f: &str| {
            std::fs::read_to_string(out.join(f))
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok())
        };
        let took = match (secs("t0"), secs("t1")) {
            (Some(a), Some(b)) => b.saturating_sub(a).to_string(),
            _ => "?".into(),
        };
        if status != 0 {
            return Err(format!("the guest script exited with status {status}"));
        }
        let when = format!("{} {took}\n", utc_now());
        std::fs::write(out.join("when"), when).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    // `when`: the date of the run and how long the boot took, for --report-only.
    let when = std::fs::read_to_string(out.join("when")).map_err(|e| {
        format!(
            "{}: {e} (no finished run to report on)",
            out.join("when").display()
        )
    })?;
    let (date, took) = when.trim().rsplit_once(' ').unwrap_or((when.trim(), "?"));

    let outcomes: Vec<Outcome> = runs
        .iter()
        .map(|r| Outcome {
            run: r.clone(),
            result: read_run(&out, r),
        })
        .collect();
    let kernel = std::fs::read_to_string(out.join("kernel")).unwrap_or_default();
    let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap_or_default();
    let extra = Extra {
        vfio_bind: read("vfio-bind").trim().to_string(),
        sq_threads: runs
            .iter()
            .filter(|r| r.opts.sqpoll && !r.tool.is_fio())
            .map(|r| {
                let t = results::sq_thread(&read(&format!("{}.tasks", r.name())));
                (format!("QD {} {}", r.qd, r.opts.tag()), t)
            })
            .collect(),
    };
    let mut sections = Vec::new();
    if !o.tcp_only && !o.queues_only {
        let body = section(
            &outcomes,
            kernel.trim(),
            &o,
            nvmeq,
            (date, took),
            &boot,
            &extra,
        );
        sections.push((results::SECTION, body));
    }
    let guest = |x: &Outcome| {
        x.result
            .as_ref()
            .ok()
            .and_then(|m| tcp::guest_cpu(&out, &x.run.name(), m))
    };
    let command = if o.tcp_only {
        "cargo xtask bench vm --tcp-only"
    } else if o.queues_only {
        "cargo xtask bench vm --queues-only"
    } else {
        "cargo xtask bench vm"
    };
    if !o.queues_only {
        let body = tcp::section(
            &outcomes,
            &guest,
            (date, took, kernel.trim(), o.runtime),
            read("tcp-host").trim(),
            command,
        );
        sections.push((tcp::SECTION, body));
    }
    if !o.tcp_only {
        let body = queues::section(
            &outcomes,
            &o.qds,
            (date, took, kernel.trim(), o.runtime),
            command,
        );
        sections.push((queues::SECTION, body));
    }
    for (_, body) in &sections {
        println!("\n{body}");
    }
    if o.docs {
        let doc = paths.root.join("docs/benchmarks.md");
        let mut text = std::fs::read_to_string(&doc).unwrap_or_else(|_| "# Benchmarks\n".into());
        for (heading, body) in &sections {
            text = results::replace_named(&text, heading, body);
        }
        std::fs::write(&doc, text).map_err(|e| format!("{}: {e}", doc.display()))?;
        eprintln!("xtask bench: tables written to {}", doc.display());
    }
    Ok(())
}

/// `vm` options we pass through, parsed by the vm module's own rules.
fn vm_boot_options(args: &[String]) -> Result<Boot, String> {
    let mut b = Boot::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--no-build" => b.build = false,
            "--verbose" => b.verbose = true,
            "--accel" => {
                b.kvm = match it.next().map(String::as_str) {
                    Some("tcg") => Some(false),
                    Some("kvm") => Some(true),
                    Some("auto") => None,
                    v => {
                        return Err(format!(
                            "--accel: `{}` is not auto, tcg or kvm",
                            v.unwrap_or("")
                        ))
                    }
                }
            }
            _ => {}
        }
    }
    Ok(b)
}

fn read_run(out: &Path, r: &Run) -> Result<results::Measured, String> {
    let name = r.name();
    let file: PathBuf = out.join(format!("{name}.json"));
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let parsed = if r.tool.is_fio() {
        results::parse_fio(&text)
    } else {
        let backend = match r.tool {
            plan::Tool::NvmeqUring | plan::Tool::HostUring => "uring",
            plan::Tool::NvmeqVfio => "vfio",
            plan::Tool::Queues(q) if q.vfio => "vfio",
            plan::Tool::Queues(_) => "uring",
            plan::Tool::NvmeqTcp => "tcp",
            _ => "ioctl",
        };
        results::parse_nvmeq(&text, backend)
    };
    parsed.map_err(|e| {
        let err = std::fs::read_to_string(out.join(format!("{name}.err"))).unwrap_or_default();
        let last: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        match last.last() {
            Some(l) => l.to_string(),
            None => e,
        }
    })
}

/// Whether this host would boot with KVM (the vm module's rule: vmx/svm and
/// a usable /dev/kvm).
fn kvm_likely() -> bool {
    let flags = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let hw = flags
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"));
    hw && std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// The current UTC time, `2026-11-24 07:00 UTC`.
fn utc_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|x| String::from_utf8_lossy(&x.stdout).trim().to_string())
        .unwrap_or_default()
}

/// What the guest script recorded besides the runs' reports.
struct Extra {
    /// `/out/vfio-bind`: `ok`, or why controller A could not move to vfio-pci.
    vfio_bind: String,
    /// Per SQPOLL queue depth: the poller thread seen in the nvmeq process's
    /// `/proc/PID/task` two seconds in (name, utime + stime ticks).
    sq_threads: Vec<(String, Option<(String, u64)>)>,
}

/// Hand-written observations kept under the generated tables.
const NOTES: &str = include_str!("bench/notes.md");

fn section(
    outcomes: &[Outcome],
    kernel: &str,
    o: &Options,
    nvmeq: &str,
    (date, took): (&str, &str),
    boot: &Boot,
    extra: &Extra,
) -> String {
    let kvm = boot.kvm.unwrap_or_else(kvm_likely);
    let mut s = format!(
        "{}\n\n\
         Written by `cargo xtask bench vm` ({date}; the runs took {took} s in one boot). One QEMU guest \
         (kernel {kernel}, {}, 2 vCPUs, 2 GiB, virtual Intel IOMMU with `intel_iommu=on`, so the \
         kernel driver maps every request's buffer through it), controller A backed by QEMU's `null-co` \
         (reads return zeros at once, so the device is as fast as the emulation allows), \
         `nvme.poll_queues=2`. Every run: 4 KiB random reads over the whole 1 GiB namespace, \
         one job, {} s, one after the other in the same boot. Batch = QD/4 (1 at QD 1): nvmeq's \
         `--batch` and fio's `--iodepth_batch_submit` and `--iodepth_batch_complete_min`. nvmeq's \
         engine runs t/io_uring's loop: each `submit` call sends at most a batch (what the queue has \
         room for) and waits for a batch of completions only when the queue is full, as fio does \
         with those two options; the `submit=QD` fio rows (`--iodepth_batch_submit=QD`) let fio \
         submit whatever it has queued at once instead. \
         nvmeq's `fixedbufs` ↔ fio's `--fixedbufs`, `poll` ↔ `--hipri`; fio with \
         `--norandommap --randrepeat=0 --lat_percentiles=1`. nvmeq ran as `{nvmeq}`.\n\n\
         CPU µs/IO: nvmeq's is `getrusage(RUSAGE_THREAD)` user+sys of its job thread over the \
         run ÷ I/Os; fio's is (`usr_cpu` + `sys_cpu`) % × `job_runtime` ÷ `total_ios`, which \
         fio also takes from `getrusage(RUSAGE_THREAD)` of its job thread. \
         Latency: nvmeq from the `submit` that sent it to the reap; fio's `lat_ns` \
         (submission to completion). Under TCG the absolute numbers measure the emulator more \
         than either program; the ratios are what to read. One row by hand, in the guest: \
         `nvmeq bench uring:$NVMEQ_NS_A --qd 32 --batch 8 --runtime 5 --backend-opts fixedbufs` \
         (add `--json` for the report as JSON).\n\n",
        results::SECTION,
        if kvm {
            "KVM"
        } else {
            "TCG, no hardware virtualization"
        },
        o.runtime,
    );
    let table = results::table(outcomes);
    s.push_str(&table);
    s.push('\n');
    if table.contains('¹') {
        s.push_str(
            "¹ Not counted by the backend (`Backend::syscalls` returns `None`): the number is \
             `submit` calls per I/O, an upper bound since each `submit` makes at most one \
             `io_uring_enter`.  \n",
        );
    }
    s.push_str(
        "² fio cannot count its syscalls; this is an estimate, not a measurement: fio's io_uring \
         engines make one `io_uring_enter` to submit each group (`to_submit`, no wait) and another \
         to wait for completions (`min_complete`), so about 2/batch.\n\n\
         TCG on a shared host is noisy: between otherwise identical runs the QD 1 ratios here \
         have moved by a quarter or more, so compare several runs before concluding. A polled \
         ring may return from `io_uring_enter` before any completion (the kernel stops polling \
         to reschedule) and the engine enters again, so polled runs can sit a hair above one \
         syscall per batch.\n\n\
         Targets (nvmeq uring ≥ 1.0× fio io_uring_cmd IOPS, ≤ 0.8× its CPU µs/IO, \
         syscalls/IO ≤ 1/batch):\n\n",
    );
    let v = results::verdicts(outcomes);
    if v.is_empty() {
        s.push_str("- no nvmeq uring run completed, so none could be judged.\n");
    }
    for line in v {
        s.push_str(&format!("- {line}\n"));
    }

    s.push_str(
        "\n### SQPOLL: nvmeq uring `sqpoll` vs fio io_uring_cmd `--sqthread_poll=1`\n\n\
         Same settings as above plus a kernel thread polling the SQ (nvmeq `--backend-opts \
         sqpoll`, idle 2000 ms, longer than the run, so the thread never sleeps; fio \
         `--sqthread_poll=1`). With the poller awake, submitting is a store to the SQ ring \
         and no syscall. nvmeq runs twice per QD: waiting for each batch of completions in \
         `io_uring_enter` (`min_complete`; SQPOLL does not remove those calls, so \
         syscalls/IO is 1/batch), and with `--spin`, polling the CQ ring from user space, \
         which makes no syscall at all. fio with `--sqthread_poll=1` always reaps the second \
         way (it never enters the kernel to wait), so the `--spin` rows are the matched ones. \
         nvmeq's syscalls/IO are the `io_uring_enter` calls it made. \
         CPU: the poller (`iou-sqp-PID`) is a thread of the process, not of the job thread, \
         so `getrusage(RUSAGE_THREAD)` (\"job thread\") leaves it out; \"process\" is \
         `getrusage(RUSAGE_SELF)` over the run, which sums every thread of the thread group \
         and so includes the poller: on this 6.12 guest the process figure exceeds the job \
         thread's by about one vCPU-second per second, the poller spinning (the `/proc` lines \
         below show it). fio takes `usr_cpu`/`sys_cpu` from `getrusage(RUSAGE_THREAD)` of \
         its job thread (fio's `fio_getrusage` prefers it where it exists), so its figure \
         leaves fio's poller out as well; the CPU ratio therefore sets job thread against job \
         thread, and the process column is nvmeq's full cost.\n\n",
    );
    s.push_str(&results::sqpoll_table(outcomes));
    s.push('\n');
    for (run, t) in &extra.sq_threads {
        match t {
            Some((name, ticks)) => s.push_str(&format!(
                "{run}: `/proc/PID/task` of the nvmeq process 2 s into the run listed the \
                 poller `{name}` with {ticks} clock ticks (utime + stime) of CPU.  \n"
            )),
            None => s.push_str(&format!(
                "{run}: no `iou-sqp-*` thread was seen in the nvmeq process's `/proc/PID/task` \
                 (the run failed or the listing was not taken).  \n"
            )),
        }
    }
    s.push_str(
        "\nTargets (syscalls/IO ≈ 0 when spinning, the waits only otherwise; IOPS ≥ 1.0× fio; \
         CPU ≤ 0.8× fio, job threads):\n\n",
    );
    let v = results::sqpoll_verdicts(outcomes);
    if v.is_empty() {
        s.push_str("- no nvmeq SQPOLL run completed, so none could be judged.\n");
    }
    for line in v {
        s.push_str(&format!("- {line}\n"));
    }

    s.push_str(
        "\n### VFIO: nvmeq's userspace driver vs the kernel passthrough\n\n\
         After every run above, in the same boot, controller A moves from `nvme` to \
         `vfio-pci` (`driver_override`, unbind, `drivers_probe`) and `nvmeq bench \
         vfio:$NVMEQ_PCI_A` runs with the same pattern, QD and batch; then A goes back to \
         `nvme`. The kernel columns repeat the plain nvmeq uring and fio io_uring_cmd rows \
         of the first table. The per-I/O counter means something different per backend: \
         for uring it is `io_uring_enter` calls, for VFIO it is doorbell writes that \
         reached BAR0 (`Backend::syscalls()` of the VFIO backend counts MMIO doorbell \
         writes, SQ tails and CQ heads; the backend makes no system call per I/O). A \
         doorbell write is an MMIO trap into QEMU, the VFIO backend's per-batch cost.\n\n",
    );
    if extra.vfio_bind != "ok" {
        s.push_str(&format!(
            "**Controller A was not moved to vfio-pci**: {}.\n\n",
            if extra.vfio_bind.is_empty() {
                "the guest script never got that far"
            } else {
                &extra.vfio_bind
            }
        ));
    }
    s.push_str(&results::vfio_table(outcomes));
    s.push_str(
        "\nThe kernel's doorbells, for comparison: QEMU's controller advertises the Doorbell \
         Buffer Config command (OACS bit 8) and Linux's nvme driver uses it, so the kernel \
         writes each new SQ tail and CQ head to the shadow buffer in guest memory and makes \
         the MMIO write only when the controller's EventIdx shows it needs one. nvmeq's VFIO \
         backend sets up the same shadow buffers and applies the same EventIdx rule, against \
         the same controller, so at equal queue occupancy both should need about the same \
         MMIO writes; at QD 1 the controller has caught up before every request, so the rule \
         asks for an MMIO write of both the SQ tail and the CQ head each time. Without \
         shadow doorbells the kernel writes one SQ doorbell per request, or per batch when \
         the block layer hands it several (`commit_rqs`), plus a CQ head doorbell per \
         completion pass: about 2 per batch. The guest cannot count the kernel's MMIO \
         writes (no counter exists, and QEMU's tracing would slow the very runs it counts), \
         so the doorbell target below is judged against that 2/batch estimate, not against \
         a measured kernel figure.\n\n\
         Targets (VFIO ≥ 1.3× the kernel passthrough IOPS at QD 1; MMIO doorbell writes/IO \
         ≤ the kernel's):\n\n",
    );
    let v = results::vfio_verdicts(outcomes);
    if v.is_empty() {
        s.push_str("- no VFIO run was planned.\n");
    }
    for line in v {
        s.push_str(&format!("- {line}\n"));
    }
    let notes = NOTES.trim();
    if !notes.is_empty() {
        s.push('\n');
        s.push_str(notes);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn options() {
        let o = parse(&s(&[
            "--runtime",
            "3",
            "--qd",
            "1,64",
            "--no-docs",
            "--no-build",
        ]))
        .unwrap();
        assert_eq!((o.runtime, o.qds.clone(), o.docs), (3, vec![1, 64], false));
        assert_eq!(o.vm_args, s(&["--no-build"]));
        assert!(parse(&s(&["--qd", "0"])).unwrap_err().contains("0"));
        assert!(parse(&s(&["--runtime", "x"])).unwrap_err().contains("x"));
        assert!(parse(&s(&["--bogus"])).unwrap_err().contains("--bogus"));
        assert!(parse(&s(&["--tcp-only"])).unwrap().tcp_only);
        assert!(parse(&s(&["--queues-only"])).unwrap().queues_only);
        assert!(parse(&s(&["--queues-only", "--tcp-only"])).is_err());
    }
}
