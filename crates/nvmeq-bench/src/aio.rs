//! `--engine async`: the facade's [`AsyncDevice`] driven by `qd` tokio
//! tasks on one current-thread runtime, each keeping one command in flight,
//! so the device sees the same queue depth as the sync engine's one job,
//! on the same thread budget (the tasks, the device's driver task and the
//! reactor all run on the calling thread). The geometry checks are the
//! sync engine's; the report is the same, its submit calls being the driver
//! task's (one backend `submit` and reap per drive, for all the futures).
//!
//! Each task allocates its buffer and histogram before the run starts.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hdrhistogram::Histogram;
use nvmeq::{AnyBuf, AsyncDevice, Device, IoBuf};
use nvmeq_core::cmd::{Prinfo, Read, Write};
use nvmeq_core::Backend;

use crate::config::{Config, Limit};
use crate::error::BenchError;
use crate::job::{new_histogram, setup};
use crate::report::{JobResult, Report};
use crate::rng::SplitMix64;
use crate::sys::CpuTime;
use crate::Progress;

/// What every task needs to build its commands.
#[derive(Debug, Clone, Copy)]
struct Plan {
    nsid: u32,
    nlb: u32,
    start_lba: u64,
    units: u64,
    random: bool,
    read_pct: u64,
    prinfo: Prinfo,
    /// Time one I/O in this many (0: none).
    every: u64,
    max_ios: u64,
    deadline: Option<Instant>,
}

/// Shared between the tasks.
#[derive(Debug, Default)]
struct Shared {
    issued: AtomicU64,
    /// The next sequential unit.
    cursor: AtomicU64,
    stop: AtomicBool,
    failed: Mutex<Option<BenchError>>,
}

impl Shared {
    fn fail(&self, e: BenchError) {
        self.stop.store(true, Ordering::Relaxed);
        self.failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert(e);
    }
}

/// One task's counts.
struct Counts {
    hist: Histogram<u64>,
    reads: u64,
    writes: u64,
}

/// Runs `cfg` on `dev` with the async engine (`cfg.engine` is not looked
/// at: the caller chose). `progress` gets the total at the end.
pub(crate) fn run(
    cfg: &Config,
    backend_opts: &str,
    progress: &Progress,
    mut dev: Device,
) -> Result<Report, BenchError> {
    cfg.validate()?;
    let s = setup(&mut dev, cfg, 0)?;
    if s.io.meta_unit != 0 {
        return Err(BenchError::Config(format!(
            "namespace {}: its format moves {} bytes of separate metadata per block; \
             --engine async moves data buffers only (use --engine sync)",
            cfg.nsid, s.io.meta_unit
        )));
    }
    let backend = dev.caps().kind.name();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| BenchError::Config(format!("cannot start a tokio runtime: {e}")))?;
    let mut plan = Plan {
        nsid: cfg.nsid,
        nlb: s.nlb,
        start_lba: s.region.start_lba,
        units: s.units,
        random: cfg.pattern.random(),
        read_pct: cfg.pattern.read_pct() as u64,
        prinfo: s.io.prinfo(true),
        every: cfg.lat.every(),
        max_ios: match cfg.limit {
            Limit::Ios(n) => n,
            Limit::Runtime(_) => u64::MAX,
        },
        deadline: None,
    };
    rt.block_on(async {
        let adev = AsyncDevice::spawn(dev).map_err(|source| BenchError::Setup {
            job: 0,
            what: "the async device's driver",
            source,
        })?;
        let mut fill = SplitMix64::new(cfg.seed ^ 0xb5ad_4ece_da1c_e2a9);
        let mut tasks = Vec::with_capacity(cfg.qd as usize);
        for i in 0..cfg.qd {
            let mut buf = adev
                .alloc(cfg.bs as usize)
                .map_err(|source| BenchError::Setup {
                    job: 0,
                    what: "buffer allocation",
                    source,
                })?;
            for c in buf.as_mut_slice().chunks_mut(8) {
                let r = fill.next_u64().to_le_bytes();
                c.copy_from_slice(&r[..c.len()]);
            }
            tasks.push((i, buf, new_histogram()));
        }
        let shared = Arc::new(Shared::default());
        let syscalls0 = adev.queue().with_backend(|d| d.syscalls());
        let drives0 = adev.queue().drive_stats();
        let cpu0 = CpuTime::thread();
        let proc0 = CpuTime::process();
        let start = Instant::now();
        if let Limit::Runtime(d) = cfg.limit {
            plan.deadline = Some(start + d);
        }
        let handles: Vec<_> = tasks
            .into_iter()
            .map(|(i, buf, hist)| {
                let (dev, sh) = (adev.clone(), Arc::clone(&shared));
                let rng = SplitMix64::new(cfg.seed.wrapping_add(i as u64));
                tokio::spawn(task(dev, sh, plan, rng, buf, hist))
            })
            .collect();
        let mut counts = Vec::with_capacity(handles.len());
        for h in handles {
            match h.await {
                Ok(c) => counts.push(c),
                Err(_) => shared.fail(BenchError::Panicked(0)),
            }
        }
        let elapsed = start.elapsed();
        let cpu = CpuTime::thread().since(cpu0);
        let process_cpu = CpuTime::process().since(proc0);
        let syscalls = syscalls0
            .zip(adev.queue().with_backend(|d| d.syscalls()))
            .map(|(a, z)| z.saturating_sub(a));
        let drives = adev.queue().drive_stats();
        if let Some(e) = shared
            .failed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            return Err(e);
        }
        let mut hist = new_histogram();
        let (mut reads, mut writes) = (0, 0);
        for c in &counts {
            // Same bounds, so adding cannot fail.
            let _ = hist.add(&c.hist);
            reads += c.reads;
            writes += c.writes;
        }
        progress.add(reads + writes);
        let job = JobResult {
            backend,
            region: s.region,
            reads,
            writes,
            verified: 0,
            elapsed,
            cpu,
            process_cpu,
            syscalls,
            // The driver task's backend submits, for every future at once.
            commits: drives.calls - drives0.calls,
            submitted: drives.submitted - drives0.submitted,
            reaped: drives.reaped - drives0.reaped,
            hist,
        };
        Ok(Report::merge(cfg, backend_opts, vec![job]))
    })
}

/// One command in flight at a time until the limit, a failure or a stop.
async fn task(
    dev: AsyncDevice,
    sh: Arc<Shared>,
    p: Plan,
    mut rng: SplitMix64,
    buf: AnyBuf,
    mut hist: Histogram<u64>,
) -> Counts {
    let (mut reads, mut writes) = (0u64, 0u64);
    let mut buf = Some(buf);
    let mut now = Instant::now();
    let mut until_timed = 1u64;
    let nlb_z = (p.nlb - 1) as u16;
    while !sh.stop.load(Ordering::Relaxed) {
        if p.deadline.is_some_and(|d| now >= d)
            || sh.issued.fetch_add(1, Ordering::Relaxed) >= p.max_ios
        {
            break;
        }
        let is_write = p.read_pct < 100 && (p.read_pct == 0 || rng.below(100) >= p.read_pct);
        let unit = if p.random {
            rng.below(p.units)
        } else {
            sh.cursor.fetch_add(1, Ordering::Relaxed) % p.units
        };
        let slba = p.start_lba + unit * p.nlb as u64;
        let cmd = if is_write {
            Write::new(p.nsid, slba, nlb_z).prinfo(p.prinfo).build()
        } else {
            Read::new(p.nsid, slba, nlb_z).prinfo(p.prinfo).build()
        };
        let t0 = now;
        let (r, back) = dev.submit(cmd, buf.take()).await;
        now = Instant::now();
        if let Err(source) = r {
            sh.fail(BenchError::Io {
                job: 0,
                op: if is_write { "write" } else { "read" },
                slba,
                source,
            });
            break;
        }
        buf = back;
        if buf.is_none() {
            sh.fail(BenchError::Config(
                "the async queue kept a completed command's buffer".into(),
            ));
            break;
        }
        if is_write {
            writes += 1;
        } else {
            reads += 1;
        }
        if p.every != 0 {
            until_timed -= 1;
            if until_timed == 0 {
                until_timed = p.every;
                let ns = (now - t0).as_nanos().min(u64::MAX as u128) as u64;
                // Clamped to the histogram's range, so recording cannot fail.
                let _ = hist.record(ns.clamp(1, hist.high()));
            }
        }
    }
    Counts {
        hist,
        reads,
        writes,
    }
}
