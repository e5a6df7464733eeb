//! [`Report`]: what a run measured, serialisable for `--json` and printable.

use std::fmt;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::config::{Config, LatMode, Limit, Pattern, Region};

/// Latency from submission (the `submit` that sent the command) to reap, in
/// nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
pub struct Latency {
    /// Smallest.
    pub min_ns: u64,
    /// Mean.
    pub mean_ns: f64,
    /// Median.
    pub p50_ns: u64,
    /// 90th percentile.
    pub p90_ns: u64,
    /// 99th percentile.
    pub p99_ns: u64,
    /// 99.9th percentile.
    pub p99_9_ns: u64,
    /// Largest.
    pub max_ns: u64,
    /// Samples in the histogram: the I/O count with [`LatMode::All`], about
    /// one in N with `Sampled(N)`, 0 with `Off` (then every figure is 0).
    pub samples: u64,
}

impl Latency {
    /// Summarises a histogram of nanoseconds.
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        Latency {
            min_ns: h.min(),
            mean_ns: h.mean(),
            p50_ns: h.value_at_quantile(0.50),
            p90_ns: h.value_at_quantile(0.90),
            p99_ns: h.value_at_quantile(0.99),
            p99_9_ns: h.value_at_quantile(0.999),
            max_ns: h.max(),
            samples: h.len(),
        }
    }
}

/// Everything one run measured, summed over its jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
pub struct Report {
    /// The backend's short name (`"uring"`, `"ioctl"`, `"ram"`…).
    pub backend: String,
    /// Backend options in effect, as the caller described them (e.g. `"fixedbufs,poll"`).
    pub backend_opts: String,
    /// Access pattern.
    pub pattern: Pattern,
    /// Namespace.
    pub nsid: u32,
    /// Bytes per command.
    pub bs: u32,
    /// Queue depth per job.
    pub qd: u32,
    /// Commands per commit.
    pub batch: u32,
    /// Completions waited for when the queue is full ([`Config::complete`],
    /// resolved).
    #[serde(default)]
    pub complete: u32,
    /// Completions were polled from user space (`Config::spin`).
    pub spin: bool,
    /// Jobs (threads).
    pub jobs: u32,
    /// The region used (computed from Identify Namespace when not given).
    pub region: Region,
    /// Commands completed.
    pub ios: u64,
    /// Of which reads.
    pub reads: u64,
    /// Of which writes.
    pub writes: u64,
    /// With `--verify`: the reads whose data (and PI) were checked, those of
    /// blocks this run had written. `None` without `--verify`.
    pub verified: Option<u64>,
    /// Bytes transferred.
    pub bytes: u64,
    /// Wall time from the first submission to the last completion (longest job), seconds.
    pub elapsed_s: f64,
    /// I/Os per second.
    pub iops: f64,
    /// Throughput in MB/s (10^6 bytes).
    pub mb_s: f64,
    /// Which I/Os were timed.
    pub lat_mode: LatMode,
    /// Submit→reap latency of the timed I/Os.
    pub lat: Latency,
    /// User CPU seconds of the job threads.
    pub cpu_user_s: f64,
    /// System CPU seconds of the job threads (not kernel threads such as an
    /// SQPOLL poller).
    pub cpu_sys_s: f64,
    /// (user + sys) CPU microseconds per I/O.
    pub cpu_us_per_io: f64,
    /// The whole process's user + sys CPU seconds over the run
    /// (`getrusage(RUSAGE_SELF)`, the longest job's window): unlike the job
    /// threads' figures it includes an SQPOLL poller thread, but also any
    /// other thread of the process (the progress bar, other jobs).
    pub process_cpu_s: f64,
    /// `process_cpu_s` in microseconds per I/O.
    pub process_cpu_us_per_io: f64,
    /// Syscalls (or doorbells) the backends counted; `None` when a backend does not count.
    pub syscalls: Option<u64>,
    /// `syscalls / ios`.
    pub syscalls_per_io: Option<f64>,
    /// `submit` calls made (each is at most one syscall by the Backend contract,
    /// so this bounds syscalls when the backend does not count them).
    pub commits: u64,
    /// `commits / ios`.
    pub commits_per_io: f64,
    /// Commands submitted per `submit` call, on average (t/io_uring's
    /// "IOS/call" submit side).
    pub submitted_per_call: f64,
    /// Completions reaped per `submit` call (each call reaps once after
    /// committing), on average.
    pub reaped_per_call: f64,
    /// Which loop drove the device (the async engine counts no submit calls:
    /// its driver task submits for every future).
    #[serde(default)]
    pub engine: crate::Engine,
}

/// One job's raw numbers, merged into a [`Report`].
#[derive(Debug)]
pub(crate) struct JobResult {
    pub backend: &'static str,
    pub region: Region,
    pub reads: u64,
    pub writes: u64,
    /// Reads `--verify` checked.
    pub verified: u64,
    pub elapsed: std::time::Duration,
    pub cpu: crate::sys::CpuTime,
    pub process_cpu: crate::sys::CpuTime,
    pub syscalls: Option<u64>,
    pub commits: u64,
    pub submitted: u64,
    pub reaped: u64,
    pub hist: Histogram<u64>,
}

impl Report {
    /// Sums the jobs of one run.
    pub(crate) fn merge(cfg: &Config, backend_opts: &str, jobs: Vec<JobResult>) -> Report {
        let mut hist = crate::job::new_histogram();
        let (mut reads, mut writes, mut commits, mut verified) = (0, 0, 0, 0);
        let (mut submitted, mut reaped) = (0u64, 0u64);
        let mut syscalls = Some(0u64);
        let (mut user, mut sys) = (0.0, 0.0);
        let mut process = 0.0f64;
        let mut elapsed = std::time::Duration::ZERO;
        let mut backend = "";
        let mut region = cfg.region.unwrap_or(Region {
            start_lba: 0,
            blocks: 0,
        });
        for j in &jobs {
            // Both histograms have the same bounds, so adding cannot fail.
            let _ = hist.add(&j.hist);
            reads += j.reads;
            writes += j.writes;
            verified += j.verified;
            commits += j.commits;
            submitted += j.submitted;
            reaped += j.reaped;
            syscalls = syscalls.zip(j.syscalls).map(|(a, b)| a + b);
            user += j.cpu.user.as_secs_f64();
            sys += j.cpu.sys.as_secs_f64();
            // Each job's window sees the whole process: take the longest.
            process = process.max((j.process_cpu.user + j.process_cpu.sys).as_secs_f64());
            elapsed = elapsed.max(j.elapsed);
            backend = j.backend;
            region = j.region;
        }
        let ios = reads + writes;
        let bytes = ios * cfg.bs as u64;
        let secs = elapsed.as_secs_f64();
        let per_io = |x: f64| if ios == 0 { 0.0 } else { x / ios as f64 };
        let per_call = |x: u64| {
            if commits == 0 {
                0.0
            } else {
                x as f64 / commits as f64
            }
        };
        let lat = if hist.is_empty() {
            Latency {
                min_ns: 0,
                mean_ns: 0.0,
                p50_ns: 0,
                p90_ns: 0,
                p99_ns: 0,
                p99_9_ns: 0,
                max_ns: 0,
                samples: 0,
            }
        } else {
            Latency::from_histogram(&hist)
        };
        Report {
            backend: backend.to_string(),
            backend_opts: backend_opts.to_string(),
            pattern: cfg.pattern,
            nsid: cfg.nsid,
            bs: cfg.bs,
            qd: cfg.qd,
            batch: cfg.batch,
            complete: cfg.complete.unwrap_or(cfg.batch),
            spin: cfg.spin,
            jobs: cfg.jobs,
            region,
            ios,
            reads,
            writes,
            verified: cfg.verify.then_some(verified),
            bytes,
            elapsed_s: secs,
            iops: if secs > 0.0 { ios as f64 / secs } else { 0.0 },
            mb_s: if secs > 0.0 {
                bytes as f64 / secs / 1e6
            } else {
                0.0
            },
            lat_mode: cfg.lat,
            lat,
            cpu_user_s: user,
            cpu_sys_s: sys,
            cpu_us_per_io: per_io((user + sys) * 1e6),
            process_cpu_s: process,
            process_cpu_us_per_io: per_io(process * 1e6),
            syscalls,
            syscalls_per_io: syscalls.map(|s| per_io(s as f64)),
            commits,
            commits_per_io: per_io(commits as f64),
            submitted_per_call: per_call(submitted),
            reaped_per_call: per_call(reaped),
            engine: cfg.engine,
        }
    }
}

/// A duration in ns shown with a readable unit.
struct Ns(f64);

impl fmt::Display for Ns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        if n < 1e3 {
            write!(f, "{n:.0} ns")
        } else if n < 1e6 {
            write!(f, "{:.1} µs", n / 1e3)
        } else if n < 1e9 {
            write!(f, "{:.2} ms", n / 1e6)
        } else {
            write!(f, "{:.2} s", n / 1e9)
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opts = if self.backend_opts.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.backend_opts)
        };
        writeln!(
            f,
            "{}{opts}{}: {} bs={} qd={} batch={}{} jobs={} nsid={} lba {}..{}",
            self.backend,
            match self.engine {
                crate::Engine::Sync => "",
                crate::Engine::Async => " [async]",
            },
            self.pattern,
            self.bs,
            self.qd,
            self.batch,
            if self.complete == self.batch {
                String::new()
            } else {
                format!(" complete={}", self.complete)
            },
            self.jobs,
            self.nsid,
            self.region.start_lba,
            self.region.start_lba + self.region.blocks
        )?;
        writeln!(
            f,
            "  ios={} (read {}, write {}) in {:.2} s: {:.0} IOPS, {:.1} MB/s",
            self.ios, self.reads, self.writes, self.elapsed_s, self.iops, self.mb_s
        )?;
        if let Some(v) = self.verified {
            writeln!(
                f,
                "  verify: {v} reads of blocks this run wrote checked, no difference"
            )?;
        }
        let l = &self.lat;
        if self.lat_mode == LatMode::Off {
            writeln!(f, "  lat: off")?;
        } else {
            writeln!(
                f,
                "  lat ({}, {} samples): min {} mean {} p50 {} p90 {} p99 {} p99.9 {} max {}",
                self.lat_mode,
                l.samples,
                Ns(l.min_ns as f64),
                Ns(l.mean_ns),
                Ns(l.p50_ns as f64),
                Ns(l.p90_ns as f64),
                Ns(l.p99_ns as f64),
                Ns(l.p99_9_ns as f64),
                Ns(l.max_ns as f64)
            )?;
        }
        let sc = match self.syscalls_per_io {
            Some(s) => format!("{s:.3}"),
            None => "n/a".into(),
        };
        if self.engine == crate::Engine::Async {
            return write!(
                f,
                "  cpu: {:.2} µs/IO (usr {:.2} s, sys {:.2} s; whole process {:.2} µs/IO); \
                 syscalls/IO {sc}",
                self.cpu_us_per_io, self.cpu_user_s, self.cpu_sys_s, self.process_cpu_us_per_io,
            );
        }
        write!(
            f,
            "  cpu: {:.2} µs/IO (usr {:.2} s, sys {:.2} s; whole process {:.2} µs/IO); \
             syscalls/IO {sc}; commits/IO {:.3}; IOS/call {:.1}/{:.1} (submitted/reaped)",
            self.cpu_us_per_io,
            self.cpu_user_s,
            self.cpu_sys_s,
            self.process_cpu_us_per_io,
            self.commits_per_io,
            self.submitted_per_call,
            self.reaped_per_call
        )
    }
}

/// The limit as a string for reports and logs.
pub fn describe_limit(l: Limit) -> String {
    match l {
        Limit::Runtime(d) => format!("{:.1} s", d.as_secs_f64()),
        Limit::Ios(n) => format!("{n} I/Os"),
    }
}
