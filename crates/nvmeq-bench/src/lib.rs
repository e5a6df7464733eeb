//! `nvmeq-bench`: the benchmark engine behind `nvmeq bench` and
//! `cargo xtask bench vm`.
//!
//! t/io_uring's loop over any [`Backend`]: each job (thread) opens its own
//! backend through a factory, allocates `qd` buffers once with
//! [`Backend::alloc`] and keeps `qd` commands in flight with the queue
//! interface. Each call [`push`](Backend::push)es at most `batch` new
//! commands (no more than the queue has room for),
//! [`submit`](Backend::submit)s them, waiting for `batch` completions only
//! when the queue is full, and [`reap`](Backend::reap)s what is there; so in
//! steady state every call submits and reaps about `batch`, staggered, and
//! is one syscall at most. With [`Config::spin`] the waits are `submit(0)`
//! and reap rounds instead (a polled backend's completions appear only from
//! a submit). The loop allocates nothing.
//!
//! It measures IOPS, MB/s, submit→reap latency percentiles (an HDR histogram
//! per job, merged; every I/O, one in N or none, [`LatMode`]), commands
//! submitted and reaped per call, CPU µs per I/O (`getrusage(RUSAGE_THREAD)` of the job
//! threads; kernel threads such as an SQPOLL poller are not included) and
//! syscalls per I/O from [`Backend::syscalls`] (`None` when the backend does
//! not count; [`Report::commits_per_io`] is always there and bounds it, since
//! a commit is at most one syscall).
//!
//! Write patterns are refused unless [`Config::allow_destructive`] is set.
//!
//! ```
//! use nvmeq_bench::{Config, Limit, Pattern};
//! use nvmeq_ram::{RamConfig, RamController};
//!
//! let mut cfg = Config::new(Pattern::RandRead);
//! cfg.qd = 8;
//! cfg.batch = 4;
//! cfg.limit = Limit::Ios(1000);
//! let report = nvmeq_bench::run(&cfg, || RamController::new(RamConfig::new(16 << 20, 512)))?;
//! assert_eq!(report.ios, 1000);
//! println!("{report}");
//! # Ok::<(), nvmeq_bench::BenchError>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

// `--engine async`: AsyncDevice futures on tokio.
#[cfg(feature = "tokio")]
mod aio;
#[cfg(feature = "cli")]
pub mod cli;
mod config;
mod error;
pub mod front;
mod job;
#[cfg(feature = "progress")]
mod progress;
mod report;
mod rng;
// getrusage(2).
#[allow(unsafe_code)]
mod sys;
mod verify;

use std::fmt::Display;
use std::sync::Barrier;

pub use config::{Config, Engine, LatMode, Limit, Pattern, Region};
pub use error::BenchError;
pub use job::Progress;
#[cfg(feature = "progress")]
pub use progress::run_with_bar;
pub use report::{describe_limit, Latency, Report};
pub use rng::SplitMix64;
pub use sys::CpuTime;

use nvmeq_core::Backend;

/// Runs `cfg` with backends made by `factory` (called once per job, on the
/// job's thread) and returns the merged report.
pub fn run<B, E, F>(cfg: &Config, factory: F) -> Result<Report, BenchError>
where
    B: Backend,
    E: Display,
    F: Fn() -> Result<B, E> + Sync,
{
    run_with(cfg, "", &Progress::new(), factory)
}

/// [`run`], with the backend options to record in the report and a
/// [`Progress`] another thread can watch (or use to stop the run early).
pub fn run_with<B, E, F>(
    cfg: &Config,
    backend_opts: &str,
    progress: &Progress,
    factory: F,
) -> Result<Report, BenchError>
where
    B: Backend,
    E: Display,
    F: Fn() -> Result<B, E> + Sync,
{
    cfg.validate()?;
    let ready = Barrier::new(cfg.jobs as usize);
    let results: Vec<Result<report::JobResult, BenchError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..cfg.jobs)
            .map(|job| {
                let (factory, ready) = (&factory, &ready);
                s.spawn(move || match factory() {
                    Ok(mut b) => job::run(&mut b, cfg, job, progress, ready),
                    Err(e) => {
                        ready.wait();
                        Err(BenchError::Open {
                            job,
                            reason: e.to_string(),
                        })
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .enumerate()
            .map(|(i, h)| h.join().unwrap_or(Err(BenchError::Panicked(i as u32))))
            .collect()
    });
    let mut jobs = Vec::with_capacity(results.len());
    for r in results {
        jobs.push(r?);
    }
    Ok(Report::merge(cfg, backend_opts, jobs))
}
