//! The NVMe/TCP section of docs/benchmarks.md: nvmeq-tcp against the kernel
//! host on the guest's loopback nvmet-tcp target, with the guest's whole CPU
//! time per I/O besides the job thread's.

use std::fmt::Write;
use std::path::Path;

use super::plan::{Tool, TCP_NSID, TCP_QUEUE_SIZE};
use super::results::{cell, find, lat, num, ok, ratio, syscalls, Measured, Outcome};

/// The heading of the section.
pub const SECTION: &str = "## Guest: NVMe/TCP, nvmeq tcp vs the kernel host";

/// Hand-written observations kept under the table.
const NOTES: &str = include_str!("tcp_notes.md");

/// USER_HZ: the unit of `/proc/stat`.
const TICK_US: f64 = 10_000.0;

/// Busy ticks of a `/proc/stat` `cpu` line: all but idle and iowait.
pub fn busy_ticks(line: &str) -> Option<u64> {
    let mut w = line.split_whitespace();
    if w.next()? != "cpu" {
        return None;
    }
    let v: Vec<u64> = w.map(|x| x.parse().ok()).collect::<Option<_>>()?;
    if v.len() < 5 {
        return None;
    }
    // user nice system idle iowait irq softirq steal [guest guest_nice]:
    // guest time is already in user.
    let all: u64 = v.iter().take(8).sum();
    Some(all - v[3] - v[4])
}

/// The guest's busy CPU µs per I/O in a run: the busy ticks between its
/// `.stat0` and `.stat1` samples (each a `cpu` line and `/proc/uptime`),
/// over the I/Os its IOPS gives for the seconds between them.
pub fn guest_cpu(out: &Path, name: &str, m: &Measured) -> Option<f64> {
    let read = |ext: &str| -> Option<(u64, f64)> {
        let t = std::fs::read_to_string(out.join(format!("{name}.{ext}"))).ok()?;
        let mut l = t.lines();
        Some((busy_ticks(l.next()?)?, l.next()?.trim().parse().ok()?))
    };
    let ((a, ta), (b, tb)) = (read("stat0")?, read("stat1")?);
    let ios = m.iops * (tb - ta);
    (ios > 0.0).then(|| b.saturating_sub(a) as f64 * TICK_US / ios)
}

/// One row per queue depth: the three runs side by side.
pub fn table(outcomes: &[Outcome], guest: &dyn Fn(&Outcome) -> Option<f64>) -> String {
    let mut t = String::from(
        "| QD | batch | IOPS nvmeq tcp | IOPS kernel host fio io_uring_cmd | IOPS kernel host \
         nvmeq uring | tcp ÷ fio | tcp ÷ uring | CPU µs/IO job thread: tcp / fio / uring | \
         guest CPU µs/IO: tcp / fio / uring | syscalls/IO tcp | p50 / p99 µs tcp | \
         p50 / p99 µs fio |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for o in outcomes.iter().filter(|o| o.run.tool == Tool::NvmeqTcp) {
        let qd = o.run.qd;
        let f = find(outcomes, Tool::HostFioCmd, qd, false);
        let u = find(outcomes, Tool::HostUring, qd, false);
        let a = ok(Some(o));
        let r = |b: Option<&Measured>| match (a, b) {
            (Some(a), Some(b)) => ratio(a.iops, b.iops),
            _ => String::new(),
        };
        let g = |x: Option<&Outcome>| match x.and_then(guest) {
            Some(v) => num(v),
            None => "–".into(),
        };
        let c = |x: Option<&Outcome>| match ok(x) {
            Some(m) => num(m.cpu_us_per_io),
            None => "–".into(),
        };
        let _ = writeln!(
            t,
            "| {qd} | {} | {} | {} | {} | {} | {} | {} / {} / {} | {} / {} / {} | {} | {} | {} |",
            o.run.batch,
            cell(Some(o), |m| num(m.iops)),
            cell(f, |m| num(m.iops)),
            cell(u, |m| num(m.iops)),
            r(ok(f)),
            r(ok(u)),
            c(Some(o)),
            c(f),
            c(u),
            g(Some(o)),
            g(f),
            g(u),
            a.map(syscalls).unwrap_or_default(),
            cell(Some(o), lat),
            cell(f, lat),
        );
    }
    t
}

/// The targets against the kernel host's fio io_uring_cmd: IOPS ≥ 1.0× at
/// QD 32 (shown at every QD), CPU µs/IO ≤ the kernel host's, judged on the
/// guest's whole CPU (the kernel host's socket work runs in its workqueue,
/// outside fio's thread) and shown for the job threads too.
pub fn verdicts(outcomes: &[Outcome], guest: &dyn Fn(&Outcome) -> Option<f64>) -> Vec<String> {
    let yes = |ok: bool| if ok { "met" } else { "**not met**" };
    let mut v = Vec::new();
    for o in outcomes.iter().filter(|o| o.run.tool == Tool::NvmeqTcp) {
        let qd = o.run.qd;
        let f = find(outcomes, Tool::HostFioCmd, qd, false);
        let (Some(a), Some(b)) = (ok(Some(o)), ok(f)) else {
            v.push(format!(
                "QD {qd}: no comparison (nvmeq tcp: {}; kernel host fio: {})",
                cell(Some(o), |_| "ok".into()),
                cell(f, |_| "ok".into())
            ));
            continue;
        };
        let x = a.iops / b.iops;
        let mut line = if qd == 32 {
            format!(
                "QD {qd}: IOPS {x:.2}× the kernel host (≥ 1.0: {})",
                yes(x >= 1.0)
            )
        } else {
            format!("QD {qd}: IOPS {x:.2}× the kernel host")
        };
        if let (Some(ga), Some(gb)) = (guest(o), f.and_then(guest)) {
            let _ = write!(
                line,
                ", guest CPU µs/IO {} vs {} (≤: {})",
                num(ga),
                num(gb),
                yes(ga <= gb)
            );
        }
        let _ = write!(
            line,
            ", job-thread CPU µs/IO {} vs {}",
            num(a.cpu_us_per_io),
            num(b.cpu_us_per_io)
        );
        v.push(line);
    }
    v
}

/// The section: how the runs were made, the table and the verdicts.
pub fn section(
    outcomes: &[Outcome],
    guest: &dyn Fn(&Outcome) -> Option<f64>,
    (date, took, kernel, runtime): (&str, &str, &str, u32),
    host: &str,
    command: &str,
) -> String {
    let mut s = format!(
        "{SECTION}\n\n\
         Written by `{command}` ({date}; the runs took {took} s in one boot). The guest \
         (kernel {kernel}, TCG, 2 vCPUs) is both ends: its nvmet-tcp target on \
         127.0.0.1:4420 exports nsid {TCP_NSID} of `nqn.2024-01.io.nvmeq:tcp`, a memory-backed \
         null_blk disk of 128 MiB (docs/testing.md, \"NVMe over TCP on loopback\"), so target, \
         host and loopback share the two vCPUs. nvmeq tcp is `nvmeq bench \
         \"tcp://127.0.0.1:4420/nqn.2024-01.io.nvmeq:tcp?queue_size={TCP_QUEUE_SIZE}\" -n {TCP_NSID}`: \
         one I/O connection of {TCP_QUEUE_SIZE} entries. The kernel host is `nvme connect … -i 1 \
         -Q {TCP_QUEUE_SIZE}` to the same subsystem (one I/O queue of the same size), then fio \
         `--ioengine=io_uring_cmd --cmd_type=nvme` and `nvmeq bench uring:` on its \
         `/dev/ngXnY` of nsid {TCP_NSID}. Every run: 4 KiB random reads, one job, {runtime} s, \
         batch = QD/4 as in the tables above, plain (no fixed buffers, no polling). \
         Job-thread CPU is as above (`getrusage(RUSAGE_THREAD)`). Guest CPU is the busy time of \
         both vCPUs (`/proc/stat`, all but idle and iowait) between two samples inside each \
         run (2 s after it starts, 1 s before its runtime ends, so start-up is left out) ÷ \
         the I/Os its IOPS gives for that time: it holds the target's work, which is the same \
         for every row, and the kernel host's nvme-tcp work, which runs in its workqueue and \
         not in fio's thread, so it is the figure to compare.\n\n",
    );
    if !host.starts_with("ok") {
        let _ = write!(
            s,
            "**The kernel host was not connected**: {}.\n\n",
            if host.is_empty() {
                "the guest script never got that far"
            } else {
                host
            }
        );
    }
    s.push_str(&table(outcomes, guest));
    s.push_str("\nTargets (nvmeq tcp ≥ 1.0× the kernel host's fio IOPS at QD 32; CPU µs/IO ≤ the kernel host's):\n\n");
    let v = verdicts(outcomes, guest);
    if v.is_empty() {
        s.push_str("- no nvmeq tcp run was planned.\n");
    }
    for l in v {
        let _ = writeln!(s, "- {l}");
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
    use super::super::plan::{Opts, Run};
    use super::*;

    fn m(iops: f64, cpu: f64) -> Measured {
        Measured {
            ios: iops * 5.0,
            iops,
            cpu_us_per_io: cpu,
            syscalls_per_io: Some(0.5),
            commits_per_io: None,
            process_cpu_us_per_io: None,
            p50_us: 100.0,
            p99_us: 300.0,
        }
    }

    fn o(tool: Tool, qd: u32, r: Result<Measured, String>) -> Outcome {
        Outcome {
            run: Run {
                tool,
                opts: Opts::default(),
                qd,
                batch: (qd / 4).max(1),
            },
            result: r,
        }
    }

    #[test]
    fn stat_lines() {
        assert_eq!(
            busy_ticks("cpu  100 5 50 1000 20 3 2 0 0 0"),
            Some(100 + 5 + 50 + 3 + 2)
        );
        assert_eq!(busy_ticks("cpu0 1 2 3 4 5"), None);
        assert_eq!(busy_ticks("cpu 1 2"), None);
    }

    #[test]
    fn rows_and_verdicts() {
        let v = vec![
            o(Tool::NvmeqTcp, 32, Ok(m(12_000.0, 30.0))),
            o(Tool::HostFioCmd, 32, Ok(m(10_000.0, 20.0))),
            o(Tool::HostUring, 32, Err("boom".into())),
            o(Tool::NvmeqTcp, 1, Ok(m(2_000.0, 90.0))),
            o(
                Tool::HostFioCmd,
                1,
                Err("bench: not run, no kernel host".into()),
            ),
        ];
        let guest = |x: &Outcome| match x.run.tool {
            Tool::NvmeqTcp => Some(100.0),
            Tool::HostFioCmd => Some(150.0),
            _ => None,
        };
        let t = table(&v, &guest);
        assert!(
            t.contains("| 32 | 8 | 12000 | 10000 | failed: boom | 1.20× |"),
            "{t}"
        );
        assert!(t.contains("| 30.0 / 20.0 / – | 100 / 150 / – |"), "{t}");
        let vs = verdicts(&v, &guest);
        assert_eq!(vs.len(), 2);
        assert!(vs[0].starts_with("QD 32: IOPS 1.20× the kernel host (≥ 1.0: met), guest CPU µs/IO 100 vs 150 (≤: met)"), "{}", vs[0]);
        assert!(
            vs[1].contains("no comparison") && vs[1].contains("no kernel host"),
            "{}",
            vs[1]
        );
    }
}
