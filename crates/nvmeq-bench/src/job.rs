//! One job: one backend on one thread, keeping `qd` commands in flight.
//!
//! Everything the loop touches is allocated before it starts (buffers from
//! [`Backend::alloc`], the slot tables, a fixed-range histogram), so the loop
//! itself allocates nothing; `tests/no_alloc.rs` checks it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;
use nvmeq_core::cmd::{Identify, Read, Write};
use nvmeq_core::{Backend, Data, IdentifyNamespace, IoBuf};
use zerocopy::FromBytes;

use crate::config::{Config, Limit, Region};
use crate::error::BenchError;
use crate::report::JobResult;
use crate::rng::SplitMix64;
use crate::sys::CpuTime;

/// Largest latency the histogram holds exactly (larger ones are clamped): 100 s.
const MAX_LATENCY_NS: u64 = 100_000_000_000;

/// A histogram of nanoseconds, 1 ns to 100 s at 3 significant digits. Its
/// size is fixed, so recording never allocates.
pub(crate) fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3).expect("constant bounds are valid")
}

/// Shared between the jobs of one run and whoever watches it.
#[derive(Debug, Default)]
pub struct Progress {
    ios: AtomicU64,
    stop: AtomicBool,
}

impl Progress {
    /// A fresh counter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Commands completed so far, all jobs together.
    pub fn ios(&self) -> u64 {
        self.ios.load(Ordering::Relaxed)
    }

    /// Asks every job to stop issuing (commands in flight still complete);
    /// the report covers what ran.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// One buffer per queue slot; `None` while its command is in flight.
type Slots<B> = Vec<Option<<B as Backend>::Buf>>;

/// What a job needs before its loop: geometry checked against the device.
struct Setup {
    lba_size: u32,
    nlb: u32,
    region: Region,
    /// `bs`-sized units in the region.
    units: u64,
}

fn setup<B: Backend>(b: &mut B, cfg: &Config, job: u32) -> Result<Setup, BenchError> {
    let geo = |reason: String| BenchError::Geometry { job, reason };
    let caps = b.caps();
    if cfg.qd > caps.queue_depth {
        return Err(geo(format!(
            "queue depth {} is above what the {} backend was opened with ({})",
            cfg.qd, caps.name, caps.queue_depth
        )));
    }
    if cfg.bs > caps.max_xfer {
        return Err(geo(format!(
            "block size {} is above the largest transfer ({} bytes, from MDTS)",
            cfg.bs, caps.max_xfer
        )));
    }
    let lba_size = b.lba_size(cfg.nsid).map_err(|source| BenchError::Setup {
        job,
        what: "LBA size",
        source,
    })?;
    if lba_size == 0 || cfg.bs % lba_size != 0 {
        return Err(geo(format!(
            "block size {} is not a multiple of namespace {}'s LBA size ({lba_size})",
            cfg.bs, cfg.nsid
        )));
    }
    let nlb = cfg.bs / lba_size;
    if nlb > 1 << 16 {
        return Err(geo(format!(
            "block size {} is {nlb} blocks; one command moves at most 65536",
            cfg.bs
        )));
    }
    let region = match cfg.region {
        Some(r) => r,
        None => Region {
            start_lba: 0,
            blocks: namespace_size(b, cfg.nsid, job)?,
        },
    };
    let units = region.blocks / nlb as u64;
    if units == 0 {
        return Err(geo(format!(
            "the region ({} blocks) is smaller than one {}-byte command",
            region.blocks, cfg.bs
        )));
    }
    Ok(Setup {
        lba_size,
        nlb,
        region,
        units,
    })
}

/// NSZE from Identify Namespace.
fn namespace_size<B: Backend>(b: &mut B, nsid: u32, job: u32) -> Result<u64, BenchError> {
    let err = |source| BenchError::Setup {
        job,
        what: "Identify Namespace (for the namespace size; give a region to skip it)",
        source,
    };
    let mut buf = b.alloc(4096).map_err(err)?;
    b.execute(
        &Identify::namespace(nsid).build(),
        Data::FromDevice(buf.as_mut_slice()),
    )
    .map_err(err)?;
    let (id, _) = IdentifyNamespace::read_from_prefix(buf.as_slice()).map_err(|_| {
        err(nvmeq_core::Error::Invalid(
            "short Identify Namespace buffer",
        ))
    })?;
    Ok(id.nsze)
}

/// Runs one job on `b` once `ready` says every job is set up.
pub(crate) fn run<B: Backend>(
    b: &mut B,
    cfg: &Config,
    job: u32,
    progress: &Progress,
    ready: &std::sync::Barrier,
) -> Result<JobResult, BenchError> {
    let prepared = prepare(b, cfg, job);
    // Every job reaches the barrier, failed or not, so none waits forever.
    ready.wait();
    let (s, bufs) = prepared?;
    looped(b, cfg, job, progress, s, bufs)
}

fn prepare<B: Backend>(b: &mut B, cfg: &Config, job: u32) -> Result<(Setup, Slots<B>), BenchError> {
    let s = setup(b, cfg, job)?;
    let mut fill = SplitMix64::new(cfg.seed ^ 0xb5ad_4ece_da1c_e2a9 ^ job as u64);
    let mut bufs = Vec::with_capacity(cfg.qd as usize);
    for _ in 0..cfg.qd {
        let mut buf = b
            .alloc(cfg.bs as usize)
            .map_err(|source| BenchError::Setup {
                job,
                what: "buffer allocation",
                source,
            })?;
        if cfg.pattern.writes() {
            // Random contents, so a compressing or deduplicating device
            // cannot make writes look cheaper than they are.
            for chunk in buf.as_mut_slice().chunks_mut(8) {
                let r = fill.next_u64().to_le_bytes();
                chunk.copy_from_slice(&r[..chunk.len()]);
            }
        }
        bufs.push(Some(buf));
    }
    debug_assert!(s.lba_size > 0);
    Ok((s, bufs))
}

/// The measured loop.
fn looped<B: Backend>(
    b: &mut B,
    cfg: &Config,
    job: u32,
    progress: &Progress,
    s: Setup,
    mut bufs: Slots<B>,
) -> Result<JobResult, BenchError> {
    let qd = cfg.qd as usize;
    let batch = cfg.batch as usize;
    let read_pct = cfg.pattern.read_pct() as u64;
    let random = cfg.pattern.random();
    let nlb_z = (s.nlb - 1) as u16;
    let mut rng = SplitMix64::new(cfg.seed.wrapping_add(job as u64));
    // Sequential jobs start at evenly spaced points of the region.
    let mut cursor = s.units * job as u64 / cfg.jobs as u64;

    let mut free: Vec<usize> = (0..qd).rev().collect();
    let mut round: Vec<usize> = Vec::with_capacity(qd);
    let mut slot_lba = vec![0u64; qd];
    let mut slot_write = vec![false; qd];
    let mut hist = new_histogram();

    let max_ios = match cfg.limit {
        Limit::Ios(n) => n,
        Limit::Runtime(_) => u64::MAX,
    };
    let (mut reads, mut writes, mut issued, mut commits) = (0u64, 0u64, 0u64, 0u64);
    let mut failed: Option<BenchError> = None;
    let mut issuing = true;

    let syscalls0 = b.syscalls();
    let cpu0 = CpuTime::thread();
    let proc0 = CpuTime::process();
    let start = Instant::now();
    let deadline = match cfg.limit {
        Limit::Runtime(d) => Some(start + d),
        Limit::Ios(_) => None,
    };
    let mut submit_t = vec![start; qd];

    loop {
        // Top the queue up to `qd`.
        while issuing && issued < max_ios {
            let Some(slot) = free.pop() else { break };
            let is_write = read_pct < 100 && (read_pct == 0 || rng.below(100) >= read_pct);
            let unit = if random {
                rng.below(s.units)
            } else {
                let u = cursor;
                cursor = if cursor + 1 == s.units { 0 } else { cursor + 1 };
                u
            };
            let slba = s.region.start_lba + unit * s.nlb as u64;
            let cmd = if is_write {
                Write::new(cfg.nsid, slba, nlb_z).build()
            } else {
                Read::new(cfg.nsid, slba, nlb_z).build()
            };
            match b.push(&cmd, bufs[slot].take(), slot as u64) {
                Ok(()) => {
                    slot_lba[slot] = slba;
                    slot_write[slot] = is_write;
                    round.push(slot);
                    issued += 1;
                }
                Err(rej) => {
                    let source = rej.error().copied();
                    bufs[slot] = rej.into_buf();
                    free.push(slot);
                    if let Some(source) = source {
                        failed.get_or_insert(BenchError::Io {
                            job,
                            op: if is_write { "write" } else { "read" },
                            slba,
                            source,
                        });
                        issuing = false;
                    }
                    // No error: the backend's queue is full; wait, reap, go on.
                    break;
                }
            }
        }
        if issued >= max_ios {
            issuing = false;
        }
        let in_flight = qd - free.len();
        if in_flight == 0 {
            if issuing && failed.is_none() {
                failed = Some(BenchError::Geometry {
                    job,
                    reason: format!(
                        "the {} backend refused a command with none in flight",
                        b.caps().name
                    ),
                });
            }
            break;
        }
        // One commit submits everything written and waits for a batch of
        // completions: each commit (one syscall at most) retires at least
        // `batch` commands, and in steady state submits about `batch`.
        let want = batch.min(in_flight);
        let t = Instant::now();
        for &slot in &round {
            submit_t[slot] = t;
        }
        round.clear();
        // Spinning: submit without waiting, then poll the CQ below.
        let wait = if cfg.spin { 0 } else { want as u32 };
        if let Err(source) = b.submit(wait) {
            // Commands may still be in flight; the backend keeps their
            // buffers until it is dropped, which waits for them.
            return Err(failed.unwrap_or(BenchError::Commit { job, source }));
        }
        commits += 1;

        let mut now;
        let mut n = 0;
        loop {
            now = Instant::now();
            n += b.reap(|r| {
                let slot = r.tag as usize;
                if slot >= qd || bufs[slot].is_some() {
                    failed.get_or_insert(BenchError::Geometry {
                        job,
                        reason: format!(
                            "the backend completed tag {} that was not in flight",
                            r.tag
                        ),
                    });
                    return;
                }
                let ns = now.saturating_duration_since(submit_t[slot]).as_nanos() as u64;
                hist.saturating_record(ns.clamp(1, MAX_LATENCY_NS));
                bufs[slot] = r.buf;
                free.push(slot);
                match r.result {
                    Ok(_) if slot_write[slot] => writes += 1,
                    Ok(_) => reads += 1,
                    Err(source) => {
                        failed.get_or_insert(BenchError::Io {
                            job,
                            op: if slot_write[slot] { "write" } else { "read" },
                            slba: slot_lba[slot],
                            source,
                        });
                    }
                }
            });
            // Without spinning the commit waited; one reap takes what came.
            if !cfg.spin || n >= want || failed.is_some() {
                break;
            }
            std::hint::spin_loop();
        }
        if n > 0 {
            progress.ios.fetch_add(n as u64, Ordering::Relaxed);
        }
        if failed.is_some() || progress.stopped() || deadline.is_some_and(|d| now >= d) {
            issuing = false;
        }
    }
    let elapsed = start.elapsed();
    let cpu = CpuTime::thread().since(cpu0);
    let process_cpu = CpuTime::process().since(proc0);
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(JobResult {
        backend: b.caps().name,
        region: s.region,
        reads,
        writes,
        elapsed,
        cpu,
        process_cpu,
        syscalls: syscalls0
            .zip(b.syscalls())
            .map(|(a, z)| z.saturating_sub(a)),
        commits,
        hist,
    })
}
