//! The queue-handle section of docs/benchmarks.md (issue #13): the async
//! engine against the sync queue loop, `--jobs 2` against `--jobs 1`, and
//! VFIO with MSI-X interrupts against polling, on uring and VFIO.

use std::fmt::Write;

use super::plan::{batch_for, Opts, QueueRow, Run, Tool};
use super::results::{cell, find, lat, num, ok, ratio, syscalls, Measured, Outcome};

/// The heading of the section.
pub const SECTION: &str = "## Guest: queue handles per thread, the async engine, VFIO interrupts";

/// The queue depth the async target is judged at.
const TARGET_QD: u32 = 32;

fn row(vfio: bool) -> QueueRow {
    QueueRow {
        vfio,
        asynchronous: false,
        jobs: 1,
        irq: false,
    }
}

/// The runs this section adds, per queue depth: the async engine (batch 1:
/// each task submits its own command) and two jobs (each with the plain
/// run's QD and batch) on uring and VFIO, and VFIO with interrupts at the
/// smallest QD.
pub fn runs(qds: &[u32]) -> Vec<Run> {
    let mut v = Vec::new();
    let run = |q: QueueRow, qd: u32, batch: u32| Run {
        tool: Tool::Queues(q),
        opts: Opts::default(),
        qd,
        batch,
    };
    for &qd in qds {
        for vfio in [false, true] {
            let asynchronous = QueueRow {
                asynchronous: true,
                ..row(vfio)
            };
            v.push(run(asynchronous, qd, 1));
            let jobs = QueueRow {
                jobs: 2,
                ..row(vfio)
            };
            v.push(run(jobs, qd, batch_for(qd)));
        }
    }
    if let Some(&qd) = qds.iter().min() {
        let irq = QueueRow {
            irq: true,
            ..row(true)
        };
        v.push(run(irq, qd, 1));
    }
    v
}

/// The plain runs the section compares with (also rows of the first table
/// and the VFIO table), for `--queues-only`.
pub fn baselines(qds: &[u32]) -> Vec<Run> {
    let mut v = Vec::new();
    for &qd in qds {
        for tool in [Tool::NvmeqUring, Tool::NvmeqVfio] {
            v.push(Run {
                tool,
                opts: Opts::default(),
                qd,
                batch: batch_for(qd),
            });
        }
    }
    v
}

fn base(outcomes: &[Outcome], vfio: bool, qd: u32) -> Option<&Outcome> {
    let tool = if vfio {
        Tool::NvmeqVfio
    } else {
        Tool::NvmeqUring
    };
    find(outcomes, tool, qd, false)
}

fn queued(outcomes: &[Outcome], q: QueueRow, qd: u32) -> Option<&Outcome> {
    outcomes
        .iter()
        .find(|o| o.run.tool == Tool::Queues(q) && o.run.qd == qd)
}

fn name(vfio: bool) -> &'static str {
    if vfio {
        "vfio"
    } else {
        "uring"
    }
}

/// `a ÷ b` of two runs' IOPS, when both ran.
fn iops_ratio(a: Option<&Measured>, b: Option<&Measured>) -> String {
    match (a, b) {
        (Some(a), Some(b)) => ratio(a.iops, b.iops),
        _ => String::new(),
    }
}

/// Async against sync, one row per backend and QD.
pub fn async_table(outcomes: &[Outcome], qds: &[u32]) -> String {
    let mut t = String::from(
        "| backend | QD | IOPS sync (batch QD/4) | IOPS async | async ÷ sync | CPU µs/IO sync | \
         CPU µs/IO async | p50 / p99 µs sync | p50 / p99 µs async |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for vfio in [false, true] {
        for &qd in qds {
            let s = base(outcomes, vfio, qd);
            let a = queued(
                outcomes,
                QueueRow {
                    asynchronous: true,
                    ..row(vfio)
                },
                qd,
            );
            let _ = writeln!(
                t,
                "| {} | {qd} | {} | {} | {} | {} | {} | {} | {} |",
                name(vfio),
                cell(s, |m| num(m.iops)),
                cell(a, |m| num(m.iops)),
                iops_ratio(ok(a), ok(s)),
                cell(s, |m| num(m.cpu_us_per_io)),
                cell(a, |m| num(m.cpu_us_per_io)),
                cell(s, lat),
                cell(a, lat),
            );
        }
    }
    t
}

/// Two jobs against one, one row per backend and QD (per job).
pub fn jobs_table(outcomes: &[Outcome], qds: &[u32]) -> String {
    let mut t = String::from(
        "| backend | QD per job | batch | IOPS 1 job | IOPS 2 jobs | scaling (2 ÷ 1) | \
         CPU µs/IO 1 job | CPU µs/IO 2 jobs | p50 / p99 µs 1 job | p50 / p99 µs 2 jobs |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for vfio in [false, true] {
        for &qd in qds {
            let one = base(outcomes, vfio, qd);
            let two = queued(
                outcomes,
                QueueRow {
                    jobs: 2,
                    ..row(vfio)
                },
                qd,
            );
            let _ = writeln!(
                t,
                "| {} | {qd} | {} | {} | {} | {} | {} | {} | {} | {} |",
                name(vfio),
                batch_for(qd),
                cell(one, |m| num(m.iops)),
                cell(two, |m| num(m.iops)),
                iops_ratio(ok(two), ok(one)),
                cell(one, |m| num(m.cpu_us_per_io)),
                cell(two, |m| num(m.cpu_us_per_io)),
                cell(one, lat),
                cell(two, lat),
            );
        }
    }
    t
}

/// VFIO interrupts against polling at the smallest QD.
pub fn irq_table(outcomes: &[Outcome], qd: u32) -> String {
    let mut t = String::from(
        "| VFIO completions | QD | IOPS | CPU µs/IO | p50 / p99 µs | MMIO doorbell writes/IO |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    let irq = queued(
        outcomes,
        QueueRow {
            irq: true,
            ..row(true)
        },
        qd,
    );
    for (label, o) in [
        ("polled (default)", base(outcomes, true, qd)),
        ("MSI-X interrupts (`irq`)", irq),
    ] {
        let _ = writeln!(
            t,
            "| {label} | {qd} | {} | {} | {} | {} |",
            cell(o, |m| num(m.iops)),
            cell(o, |m| num(m.cpu_us_per_io)),
            cell(o, lat),
            ok(o).map(syscalls).unwrap_or_default(),
        );
    }
    t
}

/// The async target (≥ 0.9× sync IOPS at QD 32) and the scaling ratios.
pub fn verdicts(outcomes: &[Outcome], qds: &[u32]) -> Vec<String> {
    let mut v = Vec::new();
    let yes = |ok: bool| if ok { "met" } else { "**not met**" };
    for vfio in [false, true] {
        let a = QueueRow {
            asynchronous: true,
            ..row(vfio)
        };
        match (
            ok(queued(outcomes, a, TARGET_QD)),
            ok(base(outcomes, vfio, TARGET_QD)),
        ) {
            (Some(a), Some(s)) => {
                let x = a.iops / s.iops;
                v.push(format!(
                    "{} QD {TARGET_QD}: async {x:.2}× sync IOPS (≥ 0.9: {})",
                    name(vfio),
                    yes(x >= 0.9)
                ));
            }
            _ => v.push(format!(
                "{} QD {TARGET_QD}: async vs sync not judged (a run is missing or failed)",
                name(vfio)
            )),
        }
        let scaling: Vec<String> = qds
            .iter()
            .filter_map(|&qd| {
                let two = ok(queued(
                    outcomes,
                    QueueRow {
                        jobs: 2,
                        ..row(vfio)
                    },
                    qd,
                ))?;
                let one = ok(base(outcomes, vfio, qd))?;
                Some(format!("QD {qd} {:.2}×", two.iops / one.iops))
            })
            .collect();
        if !scaling.is_empty() {
            v.push(format!(
                "{} --jobs 2 ÷ --jobs 1 IOPS: {}",
                name(vfio),
                scaling.join(", ")
            ));
        }
    }
    v
}

/// Hand-written observations kept under the tables.
const NOTES: &str = include_str!("queues_notes.md");

/// The whole section.
pub fn section(
    outcomes: &[Outcome],
    qds: &[u32],
    (date, took, kernel, runtime): (&str, &str, &str, u32),
    command: &str,
) -> String {
    let min_qd = qds.iter().copied().min().unwrap_or(1);
    let mut s = format!(
        "{SECTION}\n\n\
         Written by `{command}` ({date}; the runs took {took} s in one boot). The guest of the \
         first table (kernel {kernel}, 2 vCPUs, virtual IOMMU, controller A on `null-co`), \
         4 KiB random reads, {runtime} s per run, one after the other. The sync rows are the \
         plain nvmeq uring and VFIO rows (one job, batch QD/4); each other row changes one \
         thing. `--engine async`: `nvmeq::AsyncDevice` futures, QD tokio tasks on one \
         current-thread runtime (each task keeps one command in flight; the device's driver \
         task submits what they queued and wakes them), so the same one thread as the sync \
         engine; for io_uring the ring defers completion work to the submitter (the default \
         `defer`), so the driver task polls it, and VFIO polls by default. `--jobs 2`: two \
         threads, each on its own queue handle of one device \
         (`nvmeq::SharedDevice::queue`: its own ring for uring, its own I/O queue pair for \
         VFIO), each at the QD and batch of the row; CPU µs/IO sums both job threads. `irq`: \
         VFIO completions by MSI-X interrupt (an eventfd the job waits on) instead of \
         polling.\n\n\
         ### The async engine vs the sync queue loop\n\n",
    );
    s.push_str(&async_table(outcomes, qds));
    s.push_str("\n### `--jobs 2` vs `--jobs 1`\n\n");
    s.push_str(&jobs_table(outcomes, qds));
    s.push_str(&format!(
        "\n### VFIO at QD {min_qd}: interrupts vs polling\n\n"
    ));
    s.push_str(&irq_table(outcomes, min_qd));
    s.push_str("\nTargets (async ≥ 0.9× sync IOPS at QD 32) and the scaling ratios:\n\n");
    for line in verdicts(outcomes, qds) {
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
    use super::super::plan::{command, script};
    use super::*;

    fn measured(iops: f64) -> Measured {
        Measured {
            ios: iops * 5.0,
            iops,
            cpu_us_per_io: 10.0,
            syscalls_per_io: Some(1.0),
            commits_per_io: Some(1.0),
            process_cpu_us_per_io: None,
            p50_us: 50.0,
            p99_us: 90.0,
        }
    }

    #[test]
    fn runs_commands_and_script() {
        let rs = runs(&[1, 32]);
        // Per QD: async and two jobs on both backends; one irq row.
        assert_eq!(rs.len(), 2 * 4 + 1);
        let names: Vec<String> = rs.iter().map(Run::name).collect();
        for n in [
            "nvmeq-uring-async-qd1",
            "nvmeq-vfio-jobs2-qd32",
            "nvmeq-vfio-irq-qd1",
        ] {
            assert!(names.iter().any(|x| x == n), "{n}: {names:?}");
        }
        let a = rs
            .iter()
            .find(|r| r.name() == "nvmeq-vfio-async-qd32")
            .unwrap();
        let c = command(a, "nvmeq bench", 5);
        assert!(
            c.starts_with("nvmeq bench vfio:$PCI_A --pattern randread --bs 4k --qd 32 --batch 1 ")
                && c.ends_with("--engine async"),
            "{c}"
        );
        let j = rs
            .iter()
            .find(|r| r.name() == "nvmeq-uring-jobs2-qd32")
            .unwrap();
        let c = command(j, "nvmeq bench", 5);
        assert!(
            c.contains("uring:$NVMEQ_NS_A") && c.contains("--batch 8") && c.ends_with("--jobs 2"),
            "{c}"
        );
        let i = rs
            .iter()
            .find(|r| r.name() == "nvmeq-vfio-irq-qd1")
            .unwrap();
        assert!(command(i, "x", 5).ends_with("--backend-opts irq"));
        // The VFIO ones run in the VFIO phase, the uring ones before it.
        let mut all = baselines(&[1, 32]);
        all.extend(rs);
        let s = script(&all, "nvmeq bench", 5);
        let at = |needle: &str| s.find(needle).unwrap_or_else(|| panic!("{needle}\n{s}"));
        assert!(at("run nvmeq-uring-jobs2-qd32 ") < at("if to_vfio; then"));
        assert!(at("if to_vfio; then") < at("\trun nvmeq-vfio-async-qd1 "));
        assert!(at("\trun nvmeq-vfio-irq-qd1 ") < at("\nto_nvme\n"));
    }

    #[test]
    fn tables_and_verdicts() {
        let qds = [1, 32];
        let mut outcomes: Vec<Outcome> = baselines(&qds)
            .into_iter()
            .map(|run| Outcome {
                run,
                result: Ok(measured(1000.0)),
            })
            .collect();
        for run in runs(&qds) {
            let result = match run.name().as_str() {
                "nvmeq-uring-async-qd32" => Ok(measured(950.0)),
                "nvmeq-vfio-async-qd32" => Ok(measured(800.0)),
                "nvmeq-uring-jobs2-qd32" => Ok(measured(1500.0)),
                "nvmeq-vfio-jobs2-qd1" => Err("open failed | x".into()),
                _ => Ok(measured(1000.0)),
            };
            outcomes.push(Outcome { run, result });
        }
        let v = verdicts(&outcomes, &qds);
        assert!(
            v.iter()
                .any(|l| l == "uring QD 32: async 0.95× sync IOPS (≥ 0.9: met)"),
            "{v:?}"
        );
        assert!(
            v.iter()
                .any(|l| l.starts_with("vfio QD 32: async 0.80×") && l.contains("**not met**")),
            "{v:?}"
        );
        assert!(
            v.iter()
                .any(|l| l == "uring --jobs 2 ÷ --jobs 1 IOPS: QD 1 1.00×, QD 32 1.50×"),
            "{v:?}"
        );
        assert!(
            v.iter()
                .any(|l| l == "vfio --jobs 2 ÷ --jobs 1 IOPS: QD 32 1.00×"),
            "{v:?}"
        );
        let j = jobs_table(&outcomes, &qds);
        assert!(
            j.contains("| uring | 32 | 8 | 1000 | 1500 | 1.50× |"),
            "{j}"
        );
        assert!(j.contains("failed: open failed / x"), "{j}");
        let a = async_table(&outcomes, &qds);
        assert!(a.contains("| vfio | 32 | 1000 | 800 | 0.80× |"), "{a}");
        let i = irq_table(&outcomes, 1);
        assert!(
            i.contains("| MSI-X interrupts (`irq`) | 1 | 1000 | 10.0 | 50.0 / 90.0 | 1.000 |"),
            "{i}"
        );
        // A run that is not there says so.
        let i = irq_table(&outcomes[..4], 1);
        assert!(i.contains("not run"), "{i}");
    }
}
