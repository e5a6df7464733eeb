//! Reading the runs' JSON back on the host, the comparison table, and the
//! section of docs/benchmarks.md it goes into.

use std::fmt::Write;

use super::json::Json;
use super::plan::{Run, Tool};

/// The heading of our section of docs/benchmarks.md.
pub const SECTION: &str = "## Guest: nvmeq vs fio";

/// What one run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub ios: f64,
    pub iops: f64,
    pub cpu_us_per_io: f64,
    /// Counted by the backend; `None`: not counted (fio never is).
    pub syscalls_per_io: Option<f64>,
    /// nvmeq only: commits per I/O (each at most one syscall).
    pub commits_per_io: Option<f64>,
    /// nvmeq only: the whole process's CPU (`getrusage(RUSAGE_SELF)`) per
    /// I/O, which counts an SQPOLL thread; `None` from older reports.
    pub process_cpu_us_per_io: Option<f64>,
    pub p50_us: f64,
    pub p99_us: f64,
}

/// `nvmeq bench --json`, which must have run on `backend`.
pub fn parse_nvmeq(text: &str, backend: &str) -> Result<Measured, String> {
    let j = Json::parse(text)?;
    match j.str("backend") {
        Some(b) if b == backend => {}
        other => return Err(format!("nvmeq ran on backend {other:?}, not {backend:?}")),
    }
    let n = |k: &str| j.num(k).ok_or_else(|| format!("nvmeq report has no `{k}`"));
    Ok(Measured {
        ios: n("ios")?,
        iops: n("iops")?,
        cpu_us_per_io: n("cpu_us_per_io")?,
        syscalls_per_io: j.num("syscalls_per_io"),
        commits_per_io: j.num("commits_per_io"),
        process_cpu_us_per_io: j.num("process_cpu_us_per_io"),
        p50_us: n("lat/p50_ns")? / 1e3,
        p99_us: n("lat/p99_ns")? / 1e3,
    })
}

/// fio's `--output-format=json` (one job, reads). CPU µs/IO =
/// (usr_cpu + sys_cpu) % × job_runtime / total_ios.
pub fn parse_fio(text: &str) -> Result<Measured, String> {
    let j = Json::parse(text)?;
    let n = |k: &str| {
        j.num(&format!("jobs/0/{k}"))
            .ok_or_else(|| format!("fio report has no `jobs[0].{k}`"))
    };
    if n("error")? != 0.0 {
        return Err(format!("fio job failed with error {}", n("error")?));
    }
    let ios = n("read/total_ios")?;
    let runtime_ms = n("job_runtime")?;
    let cpu_pct = n("usr_cpu")? + n("sys_cpu")?;
    let cpu_us = cpu_pct / 100.0 * runtime_ms * 1e3;
    let pct = |p: &str| {
        j.num(&format!("jobs/0/read/lat_ns/percentile/{p}"))
            .or_else(|| j.num(&format!("jobs/0/read/clat_ns/percentile/{p}")))
            .ok_or_else(|| format!("fio report has no latency percentile {p}"))
    };
    Ok(Measured {
        ios,
        iops: n("read/iops")?,
        cpu_us_per_io: if ios > 0.0 { cpu_us / ios } else { 0.0 },
        syscalls_per_io: None,
        commits_per_io: None,
        process_cpu_us_per_io: None,
        p50_us: pct("50.000000")? / 1e3,
        p99_us: pct("99.000000")? / 1e3,
    })
}

/// A run and what became of it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub run: Run,
    pub result: Result<Measured, String>,
}

/// Rows of the main table (kernel driver, no SQPOLL): an nvmeq run and the fio run it is compared with.
pub fn pairs(outcomes: &[Outcome]) -> Vec<(&Outcome, Option<&Outcome>)> {
    let find = |tool: Tool, r: &Run| {
        outcomes
            .iter()
            .find(|o| o.run.tool == tool && o.run.qd == r.qd && o.run.opts == r.opts)
    };
    let mut v = Vec::new();
    let main_table = |o: &&Outcome| {
        !o.run.tool.is_fio()
            && !o.run.tool.is_tcp()
            && o.run.tool != Tool::NvmeqVfio
            && !matches!(o.run.tool, Tool::Queues(_))
            && !o.run.opts.sqpoll
    };
    for o in outcomes.iter().filter(main_table) {
        let fio = match o.run.tool {
            // ioctl has no ring options: compared with plain io_uring_cmd.
            Tool::NvmeqIoctl => outcomes.iter().find(|f| {
                f.run.tool == Tool::FioCmd
                    && f.run.qd == o.run.qd
                    && f.run.opts == Default::default()
            }),
            _ => find(Tool::FioCmd, &o.run),
        };
        v.push((o, fio));
        // The plain uring run is also set against fio submitting as nvmeq
        // does, and fio on the block device.
        if o.run.tool == Tool::NvmeqUring && o.run.opts == Default::default() {
            if let Some(f) = find(Tool::FioCmdTopUp, &o.run) {
                v.push((o, Some(f)));
            }
            v.push((o, find(Tool::FioBlk, &o.run)));
        }
    }
    v
}

pub(super) fn num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

pub(super) fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "n/a".into()
    }
}

/// nvmeq's syscalls per I/O: counted, or the commit bound.
pub(super) fn syscalls(m: &Measured) -> String {
    match (m.syscalls_per_io, m.commits_per_io) {
        (Some(s), _) => format!("{s:.3}"),
        (None, Some(c)) => format!("≤ {c:.3}¹"),
        (None, None) => "n/a".into(),
    }
}

/// The markdown table.
pub fn table(outcomes: &[Outcome]) -> String {
    let mut t = String::from(
        "| QD | batch | nvmeq | vs fio | IOPS nvmeq | IOPS fio | IOPS ratio | CPU µs/IO nvmeq | \
         CPU µs/IO fio | CPU ratio | syscalls/IO nvmeq | syscalls/IO fio | p50 / p99 µs nvmeq | \
         p50 / p99 µs fio |\n\
         |---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for (n, f) in pairs(outcomes) {
        let r = &n.run;
        let label = |o: &Outcome| {
            let opts = o.run.opts.tag();
            if opts.is_empty() {
                o.run.tool.label().to_string()
            } else {
                format!("{} {opts}", o.run.tool.label())
            }
        };
        let _ = write!(t, "| {} | {} | {} | ", r.qd, r.batch, label(n));
        let _ = write!(
            t,
            "{} | ",
            f.map(label).unwrap_or_else(|| "(not run)".into())
        );
        let fm = f.and_then(|f| f.result.as_ref().ok());
        match (&n.result, fm) {
            (Ok(a), Some(b)) => {
                let _ = writeln!(
                    t,
                    "{} | {} | {} | {} | {} | {} | {} | ~{:.3}² | {} / {} | {} / {} |",
                    num(a.iops),
                    num(b.iops),
                    ratio(a.iops, b.iops),
                    num(a.cpu_us_per_io),
                    num(b.cpu_us_per_io),
                    ratio(a.cpu_us_per_io, b.cpu_us_per_io),
                    syscalls(a),
                    2.0 / r.batch as f64,
                    num(a.p50_us),
                    num(a.p99_us),
                    num(b.p50_us),
                    num(b.p99_us),
                );
            }
            (Ok(a), None) => {
                let why = match f.map(|f| &f.result) {
                    Some(Err(e)) => format!("fio failed: {}", one_line(e)),
                    _ => "no fio run".into(),
                };
                let _ = writeln!(
                    t,
                    "{} | {why} | | {} | | | {} | | {} / {} | |",
                    num(a.iops),
                    num(a.cpu_us_per_io),
                    syscalls(a),
                    num(a.p50_us),
                    num(a.p99_us)
                );
            }
            (Err(e), _) => {
                let fio = fm.map(|b| num(b.iops)).unwrap_or_default();
                let _ = writeln!(t, "failed: {} | {fio} | | | | | | | | |", one_line(e));
            }
        }
    }
    t
}

fn one_line(e: &str) -> String {
    let s: String = e.split_whitespace().collect::<Vec<_>>().join(" ");
    let s = s.replace('|', "/");
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

/// The targets, judged per queue depth on the plain io_uring runs (and the
/// syscall bound on every nvmeq uring run).
pub fn verdicts(outcomes: &[Outcome]) -> Vec<String> {
    let mut v = Vec::new();
    for (n, f) in pairs(outcomes) {
        if n.run.tool != Tool::NvmeqUring {
            continue;
        }
        let (Ok(a), Some(Ok(b))) = (&n.result, f.map(|f| &f.result)) else {
            continue;
        };
        let f = f.expect("matched above");
        if f.run.tool != Tool::FioCmd {
            continue;
        }
        let yes = |ok: bool| if ok { "met" } else { "**not met**" };
        let iops = a.iops / b.iops;
        let cpu = a.cpu_us_per_io / b.cpu_us_per_io;
        let bound = 1.0 / n.run.batch as f64;
        let sc = a.syscalls_per_io.or(a.commits_per_io).unwrap_or(f64::NAN);
        let opts = n.run.opts.tag();
        v.push(format!(
            "QD {} {}: IOPS {:.2}× fio (≥ 1.0: {}), CPU {:.2}× fio (≤ 0.8: {}), \
             syscalls/IO {}{:.4} (≤ 1/{} = {:.4}: {})",
            n.run.qd,
            if opts.is_empty() { "plain" } else { &opts },
            iops,
            yes(iops >= 1.0),
            cpu,
            yes(cpu <= 0.8),
            if a.syscalls_per_io.is_some() {
                ""
            } else {
                "≤ "
            },
            sc,
            n.run.batch,
            bound,
            yes(sc <= bound + 1e-9),
        ));
    }
    v
}

pub(super) fn find(outcomes: &[Outcome], tool: Tool, qd: u32, sqpoll: bool) -> Option<&Outcome> {
    outcomes.iter().find(|o| {
        o.run.tool == tool
            && o.run.qd == qd
            && o.run.opts
                == super::plan::Opts {
                    sqpoll,
                    ..Default::default()
                }
    })
}

pub(super) fn lat(m: &Measured) -> String {
    format!("{} / {}", num(m.p50_us), num(m.p99_us))
}

/// A cell for a run that may have failed or not run.
pub(super) fn cell(o: Option<&Outcome>, f: impl Fn(&Measured) -> String) -> String {
    match o.map(|o| &o.result) {
        Some(Ok(m)) => f(m),
        Some(Err(e)) => format!("failed: {}", one_line(e)),
        None => "not run".into(),
    }
}

pub(super) fn ok(o: Option<&Outcome>) -> Option<&Measured> {
    o.and_then(|o| o.result.as_ref().ok())
}

/// nvmeq uring with an SQPOLL thread against fio's io_uring_cmd with
/// `--sqthread_poll=1`, one row per queue depth.
pub fn sqpoll_table(outcomes: &[Outcome]) -> String {
    let mut t = String::from(
        "| QD | batch | nvmeq completions | IOPS nvmeq | IOPS fio | IOPS ratio | \
         CPU µs/IO nvmeq job thread | CPU µs/IO fio job thread | CPU ratio (job threads) | \
         CPU µs/IO nvmeq process (poller included) | syscalls/IO nvmeq | p50 / p99 µs nvmeq | p50 / p99 µs fio |\n\
         |---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for o in outcomes
        .iter()
        .filter(|o| o.run.tool == Tool::NvmeqUring && o.run.opts.sqpoll)
    {
        let qd = o.run.qd;
        let f = find(outcomes, Tool::FioCmd, qd, true);
        let (a, b) = (ok(Some(o)), ok(f));
        let proc_us = a.and_then(|a| a.process_cpu_us_per_io);
        let _ = writeln!(
            t,
            "| {qd} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            o.run.batch,
            reaping(o),
            cell(Some(o), |m| num(m.iops)),
            cell(f, |m| num(m.iops)),
            match (a, b) {
                (Some(a), Some(b)) => ratio(a.iops, b.iops),
                _ => String::new(),
            },
            cell(Some(o), |m| num(m.cpu_us_per_io)),
            cell(f, |m| num(m.cpu_us_per_io)),
            match (a, b) {
                (Some(a), Some(b)) => ratio(a.cpu_us_per_io, b.cpu_us_per_io),
                _ => String::new(),
            },
            proc_us.map(num).unwrap_or_else(|| "n/a".into()),
            a.map(syscalls).unwrap_or_default(),
            cell(Some(o), lat),
            cell(f, lat),
        );
    }
    t
}

fn reaping(o: &Outcome) -> &'static str {
    if o.run.opts.spin {
        "spins on the CQ (`--spin`)"
    } else {
        "waits in `io_uring_enter`"
    }
}

/// The SQPOLL targets per queue depth: IOPS ≥ fio's, CPU ≤ 0.8× fio's (job
/// thread against job thread: fio's figure leaves its poller out too); syscalls/IO ≈ 0 (< 0.01) when spinning,
/// ≤ 1/batch (the waits) otherwise.
pub fn sqpoll_verdicts(outcomes: &[Outcome]) -> Vec<String> {
    let mut v = Vec::new();
    let yes = |ok: bool| if ok { "met" } else { "**not met**" };
    for o in outcomes
        .iter()
        .filter(|o| o.run.tool == Tool::NvmeqUring && o.run.opts.sqpoll)
    {
        let Some(a) = ok(Some(o)) else { continue };
        let sc = a.syscalls_per_io.or(a.commits_per_io).unwrap_or(f64::NAN);
        let mut line = if o.run.opts.spin {
            format!(
                "QD {} sqpoll, spinning: syscalls/IO {sc:.4} (≈ 0, < 0.01: {})",
                o.run.qd,
                yes(sc < 0.01)
            )
        } else {
            let bound = 1.0 / o.run.batch as f64;
            format!(
                "QD {} sqpoll, waiting: syscalls/IO {sc:.4} (only the waits, ≤ 1/{} = {bound:.4}: {})",
                o.run.qd,
                o.run.batch,
                yes(sc <= bound + 1e-9)
            )
        };
        if let Some(b) = ok(find(outcomes, Tool::FioCmd, o.run.qd, true)) {
            let iops = a.iops / b.iops;
            let _ = write!(
                line,
                ", IOPS {iops:.2}× fio sqthread_poll (≥ 1.0: {})",
                yes(iops >= 1.0)
            );
            let cpu = a.cpu_us_per_io / b.cpu_us_per_io;
            let _ = write!(
                line,
                ", CPU (job threads, pollers left out on both sides) {cpu:.2}× fio (≤ 0.8: {})",
                yes(cpu <= 0.8)
            );
        } else {
            line.push_str(", no fio sqthread_poll run to compare with");
        }
        v.push(line);
    }
    v
}

/// nvmeq's VFIO backend against the kernel's passthrough path (nvmeq
/// uring and fio io_uring_cmd, both plain), one row per queue depth.
pub fn vfio_table(outcomes: &[Outcome]) -> String {
    let mut t = String::from(
        "| QD | batch | IOPS vfio | IOPS nvmeq uring | IOPS fio io_uring_cmd | vfio ÷ nvmeq uring | \
         vfio ÷ fio | CPU µs/IO vfio | CPU µs/IO nvmeq uring | CPU µs/IO fio | \
         vfio: MMIO doorbell writes/IO | nvmeq uring: io_uring_enter/IO | p50 / p99 µs vfio | \
         p50 / p99 µs nvmeq uring |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for o in outcomes.iter().filter(|o| o.run.tool == Tool::NvmeqVfio) {
        let qd = o.run.qd;
        let u = find(outcomes, Tool::NvmeqUring, qd, false);
        let f = find(outcomes, Tool::FioCmd, qd, false);
        let a = ok(Some(o));
        let r = |b: Option<&Measured>| match (a, b) {
            (Some(a), Some(b)) => ratio(a.iops, b.iops),
            _ => String::new(),
        };
        let _ = writeln!(
            t,
            "| {qd} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            o.run.batch,
            cell(Some(o), |m| num(m.iops)),
            cell(u, |m| num(m.iops)),
            cell(f, |m| num(m.iops)),
            r(ok(u)),
            r(ok(f)),
            cell(Some(o), |m| num(m.cpu_us_per_io)),
            cell(u, |m| num(m.cpu_us_per_io)),
            cell(f, |m| num(m.cpu_us_per_io)),
            a.map(syscalls).unwrap_or_default(),
            ok(u).map(syscalls).unwrap_or_default(),
            cell(Some(o), lat),
            cell(u, lat),
        );
    }
    t
}

/// The VFIO target: at QD 1, ≥ 1.3× the kernel passthrough's IOPS (nvmeq
/// uring and fio io_uring_cmd); at every QD the MMIO doorbell writes per
/// I/O are set against two per batch, an estimate of what the kernel driver
/// writes without shadow doorbells (one SQ tail per submitted batch, one CQ
/// head per completion pass); its own count cannot be read in the guest.
pub fn vfio_verdicts(outcomes: &[Outcome]) -> Vec<String> {
    let mut v = Vec::new();
    let yes = |ok: bool| if ok { "met" } else { "**not met**" };
    for o in outcomes.iter().filter(|o| o.run.tool == Tool::NvmeqVfio) {
        let qd = o.run.qd;
        let Some(a) = ok(Some(o)) else {
            v.push(format!(
                "QD {qd} vfio: no result ({})",
                cell(Some(o), |_| String::new())
            ));
            continue;
        };
        let mut line = format!("QD {qd} vfio:");
        for (tool, name) in [
            (Tool::NvmeqUring, "nvmeq uring"),
            (Tool::FioCmd, "fio io_uring_cmd"),
        ] {
            if let Some(b) = ok(find(outcomes, tool, qd, false)) {
                let x = a.iops / b.iops;
                if qd == 1 {
                    let _ = write!(line, " IOPS {x:.2}× {name} (≥ 1.3: {}),", yes(x >= 1.3));
                } else {
                    let _ = write!(line, " IOPS {x:.2}× {name},");
                }
            }
        }
        if let Some(d) = a.syscalls_per_io {
            let bound = 2.0 / o.run.batch as f64;
            let _ = write!(
                line,
                " MMIO doorbell writes/IO {d:.3} (≤ 2/{} = {bound:.3}, the kernel's estimated \
                 count without shadow doorbells: {})",
                o.run.batch,
                yes(d <= bound + 1e-9)
            );
        }
        v.push(line.trim_end_matches(',').to_string());
    }
    v
}

/// `/out/NAME.tasks` (thread name, utime, stime in clock ticks, per line):
/// the SQPOLL poller's line, if the process had one.
pub fn sq_thread(tasks: &str) -> Option<(String, u64)> {
    tasks.lines().find_map(|l| {
        let mut w = l.split_whitespace();
        let name = w.next()?;
        if !name.starts_with("iou-sqp") {
            return None;
        }
        let ticks: u64 = w.filter_map(|x| x.parse::<u64>().ok()).sum();
        Some((name.to_string(), ticks))
    })
}

/// Replaces the section of `doc` under `heading` ([`SECTION`] or another
/// table's, up to the next `## ` heading) with `body`, or appends it.
pub fn replace_named(doc: &str, heading: &str, body: &str) -> String {
    let mut out = String::new();
    let mut lines = doc.lines().peekable();
    let mut found = false;
    while let Some(l) = lines.next() {
        if l.trim_end() == heading && !found {
            found = true;
            out.push_str(body.trim_end());
            out.push_str("\n\n");
            while let Some(next) = lines.peek() {
                if next.starts_with("## ") {
                    break;
                }
                lines.next();
            }
            continue;
        }
        out.push_str(l);
        out.push('\n');
    }
    if !found {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(body.trim_end());
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::plan::Opts;
    use super::*;

    const FIO: &str = r#"fio: note
{ "fio version" : "fio-3.33", "jobs" : [ { "jobname" : "x", "error" : 0,
  "job_runtime" : 5000, "usr_cpu" : 10.0, "sys_cpu" : 30.0,
  "read" : { "total_ios" : 100000, "iops" : 20000.0,
    "lat_ns" : { "percentile" : { "50.000000" : 40960, "99.000000" : 99328 } } } } ] }"#;

    const NVMEQ: &str = r#"{"backend":"uring","iops":25000.5,"ios":125000,
        "cpu_us_per_io":9.5,"syscalls_per_io":null,"commits_per_io":0.125,
        "lat":{"p50_ns":30000,"p99_ns":80000}}"#;

    #[test]
    fn fio_cpu_per_io() {
        let m = parse_fio(FIO).unwrap();
        // 40 % of 5 s = 2 s = 2e6 µs over 1e5 I/Os.
        assert!((m.cpu_us_per_io - 20.0).abs() < 1e-9);
        assert_eq!((m.iops, m.p50_us, m.p99_us), (20000.0, 40.96, 99.328));
        assert!(parse_fio(&FIO.replace("\"error\" : 0", "\"error\" : 5"))
            .unwrap_err()
            .contains("error 5"));
    }

    #[test]
    fn nvmeq_report() {
        let m = parse_nvmeq(NVMEQ, "uring").unwrap();
        assert_eq!(m.syscalls_per_io, None);
        assert_eq!(m.commits_per_io, Some(0.125));
        assert_eq!(m.p99_us, 80.0);
        assert!(parse_nvmeq(NVMEQ, "ioctl").unwrap_err().contains("ioctl"));
        assert!(parse_nvmeq(r#"{"backend":"uring"}"#, "uring")
            .unwrap_err()
            .contains("ios"));
    }

    fn run(tool: Tool, qd: u32) -> Run {
        Run {
            tool,
            opts: Opts::default(),
            qd,
            batch: super::super::plan::batch_for(qd),
        }
    }

    #[test]
    fn table_and_verdicts() {
        let outcomes = vec![
            Outcome {
                run: run(Tool::NvmeqUring, 32),
                result: parse_nvmeq(NVMEQ, "uring"),
            },
            Outcome {
                run: run(Tool::FioCmd, 32),
                result: parse_fio(FIO),
            },
            Outcome {
                run: run(Tool::FioBlk, 32),
                result: Err("fio: engine\nnot | found".into()),
            },
        ];
        let t = table(&outcomes);
        assert!(t.contains("| 32 | 8 | nvmeq uring | fio io_uring_cmd | 25000 | 20000 | 1.25× | 9.50 | 20.0 | 0.47× | ≤ 0.125¹ | ~0.250² |"), "{t}");
        assert!(t.contains("fio failed: fio: engine not / found"), "{t}");
        let v = verdicts(&outcomes);
        assert_eq!(v.len(), 1);
        assert!(v[0].contains("IOPS 1.25× fio (≥ 1.0: met)"), "{}", v[0]);
        assert!(v[0].contains("CPU 0.47× fio (≤ 0.8: met)"), "{}", v[0]);
        assert!(v[0].contains("(≤ 1/8 = 0.1250: met)"), "{}", v[0]);
    }

    fn with(tool: Tool, qd: u32, sqpoll: bool, result: Result<Measured, String>) -> Outcome {
        let mut r = run(tool, qd);
        r.opts.sqpoll = sqpoll;
        Outcome { run: r, result }
    }

    fn m(iops: f64, cpu: f64, sc: Option<f64>, process: Option<f64>) -> Measured {
        Measured {
            ios: iops * 5.0,
            iops,
            cpu_us_per_io: cpu,
            syscalls_per_io: sc,
            commits_per_io: Some(0.5),
            process_cpu_us_per_io: process,
            p50_us: 50.0,
            p99_us: 99.0,
        }
    }

    #[test]
    fn sqpoll_rows_use_the_process_cpu_and_judge_zero_syscalls() {
        let mut spun = with(
            Tool::NvmeqUring,
            32,
            true,
            Ok(m(30000.0, 10.0, Some(0.002), Some(40.0))),
        );
        spun.run.opts.spin = true;
        let outcomes = vec![
            spun,
            with(Tool::FioCmd, 32, true, Ok(m(20000.0, 60.0, None, None))),
            // The plain pair must not show up in the SQPOLL table.
            with(
                Tool::NvmeqUring,
                32,
                false,
                Ok(m(1.0, 1.0, Some(1.0), None)),
            ),
            with(
                Tool::NvmeqUring,
                128,
                true,
                Ok(m(10000.0, 10.0, Some(0.05), Some(70.0))),
            ),
            with(Tool::FioCmd, 128, true, Err("fio: bad".into())),
        ];
        let t = sqpoll_table(&outcomes);
        assert!(
            t.contains("| 32 | 8 | spins on the CQ (`--spin`) | 30000 | 20000 | 1.50× | 10.0 | 60.0 | 0.17× | 40.0 | 0.002 | 50.0 / 99.0 | 50.0 / 99.0 |"),
            "{t}"
        );
        assert!(
            t.contains("| 128 | 32 | waits in `io_uring_enter` | 10000 | failed: fio: bad |"),
            "{t}"
        );
        assert_eq!(t.lines().count(), 4, "{t}");
        let v = sqpoll_verdicts(&outcomes);
        assert_eq!(v.len(), 2);
        assert!(
            v[0].contains("spinning: syscalls/IO 0.0020 (≈ 0, < 0.01: met)"),
            "{}",
            v[0]
        );
        assert!(
            v[0].contains("IOPS 1.50× fio sqthread_poll (≥ 1.0: met)"),
            "{}",
            v[0]
        );
        assert!(
            v[0].contains(
                "CPU (job threads, pollers left out on both sides) 0.17× fio (≤ 0.8: met)"
            ),
            "{}",
            v[0]
        );
        assert!(
            v[1].contains(
                "waiting: syscalls/IO 0.0500 (only the waits, ≤ 1/32 = 0.0312: **not met**)"
            ),
            "{}",
            v[1]
        );
        assert!(v[1].contains("no fio sqthread_poll run"), "{}", v[1]);
        // The main table leaves SQPOLL runs out.
        assert!(pairs(&outcomes).iter().all(|(n, _)| !n.run.opts.sqpoll));
    }

    #[test]
    fn vfio_rows_compare_with_both_kernel_paths() {
        let outcomes = vec![
            with(
                Tool::NvmeqUring,
                1,
                false,
                Ok(m(10000.0, 70.0, Some(1.0), None)),
            ),
            with(Tool::FioCmd, 1, false, Ok(m(8000.0, 100.0, None, None))),
            with(
                Tool::NvmeqVfio,
                1,
                false,
                Ok(m(14000.0, 50.0, Some(2.5), None)),
            ),
            with(Tool::NvmeqVfio, 32, false, Err("open failed | x".into())),
        ];
        let t = vfio_table(&outcomes);
        assert!(
            t.contains("| 1 | 1 | 14000 | 10000 | 8000 | 1.40× | 1.75× | 50.0 | 70.0 | 100 | 2.500 | 1.000 |"),
            "{t}"
        );
        assert!(
            t.contains("| 32 | 8 | failed: open failed / x | not run | not run |"),
            "{t}"
        );
        let v = vfio_verdicts(&outcomes);
        assert!(
            v[0].contains("IOPS 1.40× nvmeq uring (≥ 1.3: met)"),
            "{}",
            v[0]
        );
        assert!(
            v[0].contains("IOPS 1.75× fio io_uring_cmd (≥ 1.3: met)"),
            "{}",
            v[0]
        );
        assert!(
            v[0].contains("MMIO doorbell writes/IO 2.500 (≤ 2/1 = 2.000"),
            "{}",
            v[0]
        );
        assert!(v[0].ends_with("**not met**)"), "{}", v[0]);
        assert!(
            v[1].starts_with("QD 32 vfio: no result (failed: open failed"),
            "{}",
            v[1]
        );
        // VFIO runs are not nvmeq rows of the main table.
        assert!(pairs(&outcomes)
            .iter()
            .all(|(n, _)| n.run.tool != Tool::NvmeqVfio));
    }

    #[test]
    fn the_poller_is_found_in_the_task_listing() {
        let tasks = "nvmeq 1 2\nnvmeq-job0 120 300\niou-sqp-77 10 190\n";
        assert_eq!(sq_thread(tasks), Some(("iou-sqp-77".into(), 200)));
        assert_eq!(sq_thread("nvmeq 1 2\n"), None);
        assert_eq!(sq_thread(""), None);
    }

    #[test]
    fn process_cpu_is_read_from_nvmeq_reports() {
        let m = parse_nvmeq(
            &NVMEQ.replace("\"ios\"", "\"process_cpu_us_per_io\":12.5,\"ios\""),
            "uring",
        )
        .unwrap();
        assert_eq!(m.process_cpu_us_per_io, Some(12.5));
        assert_eq!(
            parse_nvmeq(NVMEQ, "uring").unwrap().process_cpu_us_per_io,
            None
        );
    }

    #[test]
    fn section_is_replaced_or_appended() {
        let doc = "# Benchmarks\n\nhost text\n\n## Results\n\nx\n";
        let once = replace_named(doc, SECTION, "## Guest: nvmeq vs fio\n\ntable 1\n");
        assert_eq!(
            once,
            "# Benchmarks\n\nhost text\n\n## Results\n\nx\n\n## Guest: nvmeq vs fio\n\ntable 1\n"
        );
        let twice = replace_named(&once, SECTION, "## Guest: nvmeq vs fio\n\ntable 2\n");
        assert_eq!(twice, once.replace("table 1", "table 2"));
        // Sections after ours are kept.
        let mid = format!("{once}\n## Later\n\ny\n");
        let r = replace_named(&mid, SECTION, "## Guest: nvmeq vs fio\n\nnew\n");
        assert!(r.contains("## Later\n\ny\n") && r.contains("new\n") && !r.contains("table 1"));
        assert_eq!(
            replace_named("", SECTION, "## Guest: nvmeq vs fio\n"),
            "## Guest: nvmeq vs fio\n"
        );
    }
}
