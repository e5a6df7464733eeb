//! The engine against the in-memory controller, through an adapter that
//! checks the queue discipline on every call.

mod common;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use nvmeq_bench::{BenchError, Config, Limit, Pattern, Region, Report};
use nvmeq_core::{Backend, Caps, Cmd, Completion, Data, Error, NvmOpcode, Reaped, Rejected};
use nvmeq_ram::{RamBuf, RamConfig, RamController};

/// Wraps the ram backend: asserts `in_flight ≤ qd` on every write, counts
/// commits as syscalls, and records what was sent.
struct Checked<'a> {
    inner: RamController,
    qd: u32,
    commits: u64,
    max_in_flight: &'a AtomicU32,
    writes_sent: &'a AtomicUsize,
    slbas: Option<&'a Mutex<Vec<u64>>>,
    /// Model a device slower than the host: commands complete only when the
    /// caller waits for completions, so the queue must fill up.
    lazy: bool,
}

impl<'a> Checked<'a> {
    fn new(qd: u32, max_in_flight: &'a AtomicU32, writes_sent: &'a AtomicUsize) -> Self {
        let mut cfg = RamConfig::new(64 << 20, 512);
        // The controller's own queue is deeper than the benchmark's, so only
        // the engine's discipline keeps in_flight ≤ qd.
        cfg.queue_depth = 1024;
        Checked {
            inner: RamController::new(cfg).unwrap(),
            qd,
            commits: 0,
            max_in_flight,
            writes_sent,
            slbas: None,
            lazy: true,
        }
    }
}

impl Backend for Checked<'_> {
    forward_to_inner!();
    fn push(&mut self, cmd: &Cmd, buf: Option<RamBuf>, tag: u64) -> Result<(), Rejected<RamBuf>> {
        assert!(
            self.inner.in_flight() < self.qd,
            "a command was written with {} already in flight at QD {}",
            self.inner.in_flight(),
            self.qd
        );
        if cmd.sqe.opcode() == NvmOpcode::WRITE.0 {
            self.writes_sent.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(s) = self.slbas {
            let slba = cmd.sqe.cdw10 as u64 | (cmd.sqe.cdw11 as u64) << 32;
            s.lock().unwrap().push(slba);
        }
        let r = self.inner.push(cmd, buf, tag);
        self.max_in_flight
            .fetch_max(self.inner.in_flight(), Ordering::Relaxed);
        r
    }
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.commits += 1;
        if self.lazy && min_complete == 0 {
            return Ok(0);
        }
        self.inner.submit(min_complete)
    }
    fn reap(&mut self, f: impl FnMut(Reaped<RamBuf>)) -> usize {
        self.inner.reap(f)
    }
    fn in_flight(&self) -> u32 {
        self.inner.in_flight()
    }
    fn syscalls(&self) -> Option<u64> {
        Some(self.commits)
    }
}

fn cfg(pattern: Pattern, qd: u32, batch: u32, ios: u64) -> Config {
    let mut c = Config::new(pattern);
    c.qd = qd;
    c.batch = batch;
    c.limit = Limit::Ios(ios);
    c
}

fn run_checked(c: &Config) -> (Result<Report, BenchError>, u32, usize) {
    let max = AtomicU32::new(0);
    let writes = AtomicUsize::new(0);
    let r = nvmeq_bench::run(c, || Ok::<_, String>(Checked::new(c.qd, &max, &writes)));
    (r, max.into_inner(), writes.into_inner())
}

#[test]
fn counts_add_up_and_qd_is_kept() {
    for (qd, batch) in [(1, 1), (4, 1), (32, 8), (128, 32), (7, 3)] {
        let c = cfg(Pattern::RandRead, qd, batch, 5_000);
        let (r, max, _) = run_checked(&c);
        let r = r.unwrap();
        assert_eq!(r.ios, 5_000, "qd {qd} batch {batch}");
        assert_eq!((r.reads, r.writes), (5_000, 0));
        assert_eq!(r.bytes, 5_000 * 4096);
        assert_eq!(r.lat.samples, 5_000, "every I/O has a latency sample");
        assert!(r.lat.min_ns >= 1 && r.lat.max_ns >= r.lat.p50_ns);
        assert!(r.lat.p50_ns <= r.lat.p90_ns && r.lat.p90_ns <= r.lat.p99_ns);
        assert!(r.lat.p99_ns <= r.lat.p99_9_ns && r.lat.p99_9_ns <= r.lat.max_ns);
        assert!(max <= qd, "in flight reached {max} at QD {qd}");
        assert_eq!(max, qd, "the engine fills the queue to QD {qd}");
        assert!(r.iops > 0.0 && r.elapsed_s > 0.0);
        assert_eq!(
            r.region,
            Region {
                start_lba: 0,
                blocks: (64 << 20) / 512
            }
        );
    }
}

#[test]
fn one_commit_per_batch() {
    let c = cfg(Pattern::RandRead, 32, 8, 32_000);
    let (r, _, _) = run_checked(&c);
    let r = r.unwrap();
    // Every commit retires at least a batch: at most one syscall per batch.
    assert!(r.commits <= 32_000 / 8, "{} commits", r.commits);
    assert!(r.commits_per_io <= 1.0 / 8.0, "{}", r.commits_per_io);
    assert_eq!(r.syscalls, Some(r.commits), "the adapter counts commits");
    assert_eq!(r.syscalls_per_io, Some(r.commits_per_io));

    let c = cfg(Pattern::RandRead, 1, 1, 1_000);
    let r = run_checked(&c).0.unwrap();
    assert_eq!(r.commits, 1_000, "QD 1: one commit per I/O");
}

#[test]
fn jobs_each_do_the_count() {
    let mut c = cfg(Pattern::RandRead, 16, 4, 2_000);
    c.jobs = 3;
    let r = run_checked(&c).0.unwrap();
    assert_eq!(r.ios, 6_000);
    assert_eq!(r.lat.samples, 6_000);
    assert_eq!(r.jobs, 3);
}

#[test]
fn writes_are_refused_without_the_flag() {
    for p in [
        Pattern::RandWrite,
        Pattern::Write,
        Pattern::Mixed { read_pct: 50 },
    ] {
        let opened = AtomicUsize::new(0);
        let c = cfg(p, 4, 1, 100);
        let e = nvmeq_bench::run(&c, || {
            opened.fetch_add(1, Ordering::Relaxed);
            RamController::new(RamConfig::new(1 << 20, 512))
        })
        .unwrap_err();
        assert!(matches!(e, BenchError::WritesNotAllowed { .. }), "{e}");
        assert!(e.to_string().contains("destructive"), "{e}");
        assert_eq!(
            opened.into_inner(),
            0,
            "no device is opened for a refused run"
        );
    }
    let mut c = cfg(Pattern::RandWrite, 4, 1, 100);
    c.allow_destructive = true;
    let (r, _, sent) = run_checked(&c);
    assert_eq!(r.unwrap().writes, 100);
    assert_eq!(sent, 100);
}

#[test]
fn mixed_ratio_is_honoured() {
    let mut c = cfg(Pattern::Mixed { read_pct: 70 }, 16, 4, 20_000);
    c.allow_destructive = true;
    let (r, _, sent) = run_checked(&c);
    let r = r.unwrap();
    assert_eq!(r.reads + r.writes, 20_000);
    assert_eq!(r.writes as usize, sent, "writes counted are writes sent");
    let pct = r.reads as f64 / r.ios as f64 * 100.0;
    assert!((67.0..73.0).contains(&pct), "{pct:.1} % reads for 70");
}

#[test]
fn sequential_reads_walk_the_region_in_order() {
    let slbas = Mutex::new(Vec::new());
    let (max, writes) = (AtomicU32::new(0), AtomicUsize::new(0));
    let mut c = cfg(Pattern::Read, 4, 2, 10);
    c.bs = 8192;
    c.region = Some(Region {
        start_lba: 100,
        blocks: 64,
    });
    nvmeq_bench::run(&c, || {
        let mut b = Checked::new(4, &max, &writes);
        b.slbas = Some(&slbas);
        Ok::<_, String>(b)
    })
    .unwrap();
    // 16-block commands over 64 blocks: 100, 116, 132, 148, then wrap.
    let got = slbas.into_inner().unwrap();
    assert_eq!(got, [100, 116, 132, 148, 100, 116, 132, 148, 100, 116]);
}

#[test]
fn random_offsets_stay_in_the_region_and_are_aligned() {
    let slbas = Mutex::new(Vec::new());
    let (max, writes) = (AtomicU32::new(0), AtomicUsize::new(0));
    let mut c = cfg(Pattern::RandRead, 8, 2, 2_000);
    c.region = Some(Region {
        start_lba: 1000,
        blocks: 800,
    });
    nvmeq_bench::run(&c, || {
        let mut b = Checked::new(8, &max, &writes);
        b.slbas = Some(&slbas);
        Ok::<_, String>(b)
    })
    .unwrap();
    let got = slbas.into_inner().unwrap();
    assert_eq!(got.len(), 2_000);
    assert!(got
        .iter()
        .all(|&l| (1000..1800).contains(&l) && (l - 1000) % 8 == 0));
    let distinct: std::collections::BTreeSet<_> = got.iter().collect();
    assert_eq!(distinct.len(), 100, "every 4 KiB unit of the region is hit");
}

#[test]
fn runtime_limit_stops() {
    let mut c = cfg(Pattern::RandRead, 8, 2, 1);
    c.limit = Limit::Runtime(Duration::from_millis(100));
    let r = run_checked(&c).0.unwrap();
    assert!(r.ios > 0);
    assert_eq!(r.ios, r.lat.samples);
    assert!(r.elapsed_s >= 0.1, "{}", r.elapsed_s);
}

#[test]
fn device_errors_are_named() {
    // A region past the end of the 64 MiB namespace.
    let mut c = cfg(Pattern::RandRead, 4, 1, 10);
    c.region = Some(Region {
        start_lba: 1 << 30,
        blocks: 8,
    });
    let e = run_checked(&c).0.unwrap_err();
    assert!(
        e.to_string().contains("LBA Out of Range"),
        "the status is decoded by name: {e}"
    );
    // Geometry the device cannot do.
    let mut c = cfg(Pattern::RandRead, 4, 1, 10);
    c.bs = 1000;
    let e = run_checked(&c).0.unwrap_err();
    assert!(e.to_string().contains("multiple of"), "{e}");
    let c = cfg(Pattern::RandRead, 4096, 1, 10);
    let e = run_checked(&c).0.unwrap_err();
    assert!(e.to_string().contains("queue depth 4096"), "{e}");
    // A factory that fails.
    let c = cfg(Pattern::RandRead, 4, 1, 10);
    let e = nvmeq_bench::run(&c, || Err::<RamController, _>("no such device")).unwrap_err();
    assert!(e.to_string().contains("no such device"), "{e}");
}

#[test]
fn backends_without_counters_report_none() {
    let c = cfg(Pattern::RandRead, 4, 2, 100);
    let r = nvmeq_bench::run(&c, || RamController::new(RamConfig::new(1 << 20, 512))).unwrap();
    assert_eq!(r.backend, "ram");
    assert_eq!(r.syscalls, None);
    assert_eq!(r.syscalls_per_io, None);
    assert!(r.to_string().contains("syscalls/IO n/a"), "{r}");
    assert!(r.commits > 0);
}

#[test]
fn report_round_trips_through_json() {
    let mut c = cfg(Pattern::Mixed { read_pct: 30 }, 4, 2, 500);
    c.allow_destructive = true;
    let r = run_checked(&c).0.unwrap();
    let j = serde_json::to_string(&r).unwrap();
    assert!(j.contains("\"pattern\":\"mixed:30\""), "{j}");
    assert!(j.contains("\"iops\":"), "{j}");
    let back: Report = serde_json::from_str(&j).unwrap();
    // Floats may lose their last bit through decimal text.
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(1.0);
    assert!(close(back.iops, r.iops) && close(back.cpu_us_per_io, r.cpu_us_per_io));
    let ints = |x: &Report| {
        (
            x.ios,
            x.reads,
            x.writes,
            x.commits,
            x.syscalls,
            x.lat.p99_ns,
        )
    };
    assert_eq!(ints(&back), ints(&r));
    assert_eq!((back.pattern, back.region), (r.pattern, r.region));
}

#[test]
fn spinning_reaps_without_waiting_in_commit() {
    // A backend that completes work only when committed (not lazy), and a
    // count of the waits it was asked for: spinning never asks for one.
    for (qd, batch) in [(1, 1), (32, 8)] {
        let mut c = cfg(Pattern::RandRead, qd, batch, 4_000);
        c.spin = true;
        let max = AtomicU32::new(0);
        let writes = AtomicUsize::new(0);
        let waits = AtomicU32::new(0);
        struct NoWait<'a>(Checked<'a>, &'a AtomicU32);
        impl Backend for NoWait<'_> {
            type Buf = RamBuf;
            fn caps(&self) -> Caps {
                self.0.caps()
            }
            fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
                self.0.lba_size(nsid)
            }
            fn alloc(&mut self, len: usize) -> Result<RamBuf, Error> {
                self.0.alloc(len)
            }
            fn execute_with(
                &mut self,
                cmd: &Cmd,
                data: Data<'_>,
                meta: Data<'_>,
            ) -> Result<Completion, Error> {
                self.0.execute_with(cmd, data, meta)
            }
            fn push(
                &mut self,
                cmd: &Cmd,
                buf: Option<RamBuf>,
                tag: u64,
            ) -> Result<(), Rejected<RamBuf>> {
                self.0.push(cmd, buf, tag)
            }
            fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
                self.1.fetch_max(min_complete, Ordering::Relaxed);
                self.0.submit(min_complete)
            }
            fn reap(&mut self, f: impl FnMut(Reaped<RamBuf>)) -> usize {
                self.0.reap(f)
            }
            fn in_flight(&self) -> u32 {
                self.0.in_flight()
            }
        }
        let r = nvmeq_bench::run(&c, || {
            let mut b = Checked::new(qd, &max, &writes);
            b.lazy = false;
            Ok::<_, String>(NoWait(b, &waits))
        })
        .unwrap();
        assert_eq!((r.ios, r.lat.samples), (4_000, 4_000), "qd {qd}");
        assert!(r.spin);
        assert_eq!(waits.into_inner(), 0, "spinning asked commit to wait");
        // This backend completes at every commit: each call submits one
        // batch, which is all that is ever in flight.
        assert_eq!(max.into_inner(), batch);
    }
}

#[test]
fn a_region_does_not_hide_a_namespace_the_controller_refuses() {
    // ram has an admin path, so the controller decides even with a region:
    // nsid 2 does not exist, and the run says so instead of guessing a
    // format.
    let mut c = cfg(Pattern::RandRead, 4, 1, 100);
    c.nsid = 2;
    c.region = Some(Region {
        start_lba: 0,
        blocks: 64,
    });
    let e = nvmeq_bench::run(&c, || RamController::new(RamConfig::new(1 << 20, 512))).unwrap_err();
    assert!(e.to_string().contains("namespace 2 is not active"), "{e}");
}
