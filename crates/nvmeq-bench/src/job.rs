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
            cfg.qd, caps.kind, caps.queue_depth
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
        err(nvmeq_core::Error::Malformed(
            "Identify Namespace (shorter than the structure)",
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

/// One queue slot: its buffer (`None` while its command is in flight) and
/// what that command was, together so a completion touches one place.
struct Slot<Buf> {
    buf: Option<Buf>,
    lba: u64,
    /// When it was submitted, in ns since the loop's start (timed slots only).
    submitted_ns: u64,
    write: bool,
    /// The command is timed ([`crate::LatMode`]).
    timed: bool,
}

/// Nanoseconds from `start` to now: one clock read.
fn ns_since(start: Instant) -> u64 {
    start.elapsed().as_nanos() as u64
}

/// Per-slot state of the measured loop and what its completions added up to.
struct Track<B: Backend> {
    job: u32,
    slots: Vec<Slot<B::Buf>>,
    /// Slots whose buffer is back, ready to issue.
    free: Vec<usize>,
    start: Instant,
    hist: Histogram<u64>,
    reads: u64,
    writes: u64,
    failed: Option<BenchError>,
}

impl<B: Backend> Track<B> {
    /// One [`Backend::reap`]: returns buffers to their slots, counts and
    /// times what completed. The clock is read at most once, and only when a
    /// timed command completed.
    fn reap(&mut self, b: &mut B) -> usize {
        let mut now = None;
        let start = self.start;
        b.reap(|r| {
            let i = r.tag as usize;
            let Some(slot) = self.slots.get_mut(i).filter(|s| s.buf.is_none()) else {
                self.failed.get_or_insert(BenchError::Geometry {
                    job: self.job,
                    reason: format!("the backend completed tag {} that was not in flight", r.tag),
                });
                return;
            };
            if slot.timed {
                let now = *now.get_or_insert_with(|| ns_since(start));
                let ns = now.saturating_sub(slot.submitted_ns);
                self.hist.saturating_record(ns.clamp(1, MAX_LATENCY_NS));
            }
            slot.buf = r.buf;
            self.free.push(i);
            match r.result {
                Ok(_) if slot.write => self.writes += 1,
                Ok(_) => self.reads += 1,
                Err(source) => {
                    self.failed.get_or_insert(BenchError::Io {
                        job: self.job,
                        op: if slot.write { "write" } else { "read" },
                        slba: slot.lba,
                        source,
                    });
                }
            }
        })
    }
}

/// Completions counted into [`Progress`] at a time: one shared atomic per
/// this many I/Os rather than per call.
const PROGRESS_EVERY: u64 = 256;

/// The measured loop, t/io_uring's: keep `qd` in flight; each call writes at
/// most `batch` new commands (no more than the queue has room for) and
/// commits them, waiting for `batch` completions only when the queue is
/// full; then it reaps what is there and goes round. So in steady
/// state each call submits and reaps about `batch`, staggered, instead of
/// draining and refilling the whole queue.
fn looped<B: Backend>(
    b: &mut B,
    cfg: &Config,
    job: u32,
    progress: &Progress,
    s: Setup,
    bufs: Slots<B>,
) -> Result<JobResult, BenchError> {
    let qd = cfg.qd as usize;
    let batch = cfg.batch as usize;
    let read_pct = cfg.pattern.read_pct() as u64;
    let random = cfg.pattern.random();
    let nlb_z = (s.nlb - 1) as u16;
    let every = cfg.lat.every();
    let mut rng = SplitMix64::new(cfg.seed.wrapping_add(job as u64));
    // Sequential jobs start at evenly spaced points of the region.
    let mut cursor = s.units * job as u64 / cfg.jobs as u64;

    let syscalls0 = b.syscalls();
    let cpu0 = CpuTime::thread();
    let proc0 = CpuTime::process();
    let start = Instant::now();
    let deadline = match cfg.limit {
        Limit::Runtime(d) => Some(start + d),
        Limit::Ios(_) => None,
    };
    let mut t = Track::<B> {
        job,
        slots: bufs
            .into_iter()
            .map(|buf| Slot {
                buf,
                lba: 0,
                submitted_ns: 0,
                write: false,
                timed: false,
            })
            .collect(),
        free: (0..qd).rev().collect(),
        start,
        hist: new_histogram(),
        reads: 0,
        writes: 0,
        failed: None,
    };
    // Timed slots written since the last commit, stamped when it submits them.
    let mut stamp: Vec<usize> = Vec::with_capacity(qd);

    let max_ios = match cfg.limit {
        Limit::Ios(n) => n,
        Limit::Runtime(_) => u64::MAX,
    };
    let (mut issued, mut commits, mut submitted, mut reaped) = (0u64, 0u64, 0u64, 0u64);
    let mut unreported = 0u64;
    // I/Os until the next timed one (`every` is 0 when none are).
    let mut until_timed = 1u64;
    let mut issuing = true;

    loop {
        // At most one batch, and never more than `qd` in flight.
        let room = t.free.len().min(batch);
        for _ in 0..room {
            if !issuing || issued >= max_ios {
                break;
            }
            let Some(slot) = t.free.pop() else { break };
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
            let sl = &mut t.slots[slot];
            match b.push(&cmd, sl.buf.take(), slot as u64) {
                Ok(()) => {
                    sl.lba = slba;
                    sl.write = is_write;
                    sl.timed = false;
                    if every != 0 {
                        until_timed -= 1;
                        if until_timed == 0 {
                            until_timed = every;
                            sl.timed = true;
                            stamp.push(slot);
                        }
                    }
                    issued += 1;
                }
                Err(rej) => {
                    let source = rej.error().copied();
                    sl.buf = rej.into_buf();
                    t.free.push(slot);
                    if let Some(source) = source {
                        t.failed.get_or_insert(BenchError::Io {
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
        let in_flight = qd - t.free.len();
        if in_flight == 0 {
            if issuing && t.failed.is_none() {
                t.failed = Some(BenchError::Geometry {
                    job,
                    reason: format!(
                        "the {} backend refused a command with none in flight",
                        b.caps().kind
                    ),
                });
            }
            break;
        }
        // Wait only when the queue is full (or nothing more will be issued):
        // while there is room, submitting comes first.
        let want = if issuing && in_flight < qd {
            0
        } else {
            batch.min(in_flight)
        };
        if !stamp.is_empty() {
            let now = ns_since(start);
            for &slot in &stamp {
                t.slots[slot].submitted_ns = now;
            }
            stamp.clear();
        }
        let mut n = 0;
        let mut first = true;
        // Spinning: `submit(0)` and reap until `want` have come. On a polled
        // backend (an IOPOLL ring) completions appear only when the kernel
        // is entered, so each round commits again rather than only reaping.
        while first || (cfg.spin && n < want && t.failed.is_none()) {
            if !first {
                std::hint::spin_loop();
            }
            first = false;
            match b.submit(if cfg.spin { 0 } else { want as u32 }) {
                Ok(k) => submitted += k as u64,
                // Commands may still be in flight; the backend keeps their
                // buffers until it is dropped, which waits for them.
                Err(source) => return Err(t.failed.unwrap_or(BenchError::Commit { job, source })),
            }
            commits += 1;
            n += t.reap(b);
        }
        reaped += n as u64;
        unreported += n as u64;
        if unreported >= PROGRESS_EVERY {
            progress.ios.fetch_add(unreported, Ordering::Relaxed);
            unreported = 0;
        }
        if t.failed.is_some() || progress.stopped() || deadline.is_some_and(|d| Instant::now() >= d)
        {
            issuing = false;
        }
    }
    progress.ios.fetch_add(unreported, Ordering::Relaxed);
    let elapsed = start.elapsed();
    let cpu = CpuTime::thread().since(cpu0);
    let process_cpu = CpuTime::process().since(proc0);
    if let Some(e) = t.failed {
        return Err(e);
    }
    Ok(JobResult {
        backend: b.caps().kind.name(),
        region: s.region,
        reads: t.reads,
        writes: t.writes,
        elapsed,
        cpu,
        process_cpu,
        syscalls: syscalls0
            .zip(b.syscalls())
            .map(|(a, z)| z.saturating_sub(a)),
        commits,
        submitted,
        reaped,
        hist: t.hist,
    })
}
