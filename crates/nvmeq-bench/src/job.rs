//! One job: one backend on one thread, keeping `qd` commands in flight.
//!
//! Everything the loop touches is allocated before it starts (buffers from
//! [`Backend::alloc`], the slot tables, a fixed-range histogram), so the loop
//! itself allocates nothing; `tests/no_alloc.rs` checks it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use hdrhistogram::Histogram;
use nvmeq_core::cmd::{Read, Write};
use nvmeq_core::format::NsFormat;
use nvmeq_core::{Backend, IoBuf, WithMeta};

use crate::config::{Config, Limit, Region};
use crate::error::BenchError;
use crate::report::JobResult;
use crate::rng::SplitMix64;
use crate::sys::CpuTime;
use crate::verify::{Io, Written};

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

    /// Counts `n` more completed commands.
    #[allow(dead_code)]
    pub(crate) fn add(&self, n: u64) {
        self.ios.fetch_add(n, Ordering::Relaxed);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Data and metadata buffers per queue slot; `None` while its command is in
/// flight (metadata: also when the format moves none).
type Slots<B> = Vec<(Option<<B as Backend>::Buf>, Option<<B as Backend>::Buf>)>;

/// What a job needs before its loop: geometry checked against the device.
pub(crate) struct Setup {
    pub lba_size: u32,
    pub nlb: u32,
    pub region: Region,
    /// `bs`-sized units in the region.
    pub units: u64,
    /// How commands meet the namespace's format.
    pub io: Io,
}

pub(crate) fn setup<B: Backend>(b: &mut B, cfg: &Config, job: u32) -> Result<Setup, BenchError> {
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
    // A backend without an admin path (a loopback ring, a namespace opened
    // without its controller) cannot say what the namespace is: with a
    // region given, it runs with the plain format of its block size (the
    // backends still refuse block I/O that lacks a metadata buffer the real
    // format needs). Everywhere else Identify Namespace decides.
    let (nsze, fmt) = match (namespace(b, cfg.nsid, job), cfg.region) {
        (Ok(Some(n)), _) => n,
        (_, Some(r)) if !b.caps().admin => {
            (r.start_lba + r.blocks, NsFormat::separate(lba_size, 0))
        }
        (Ok(None), _) => {
            return Err(geo(format!(
                "namespace {} is not active (Identify Namespace: NSZE 0)",
                cfg.nsid
            )))
        }
        (Err(e), _) => return Err(e),
    };
    if fmt.block_bytes != lba_size {
        return Err(geo(format!(
            "namespace {}: the backend's {lba_size} bytes per block are not Identify \
             Namespace's {}",
            cfg.nsid, fmt.block_bytes
        )));
    }
    let lba_size = fmt.lba_size();
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
            blocks: nsze,
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
        io: Io::plan(fmt, cfg.verify),
    })
}

/// NSZE and the current format, from Identify Namespace (and for a protected
/// format the NVM command set's, whose ELBAF names the guard; a controller
/// without it has the 16-bit guard).
fn namespace<B: Backend>(
    b: &mut B,
    nsid: u32,
    job: u32,
) -> Result<Option<(u64, NsFormat)>, BenchError> {
    let err = |source| BenchError::Setup {
        job,
        what: "Identify Namespace (for the namespace's size and format)",
        source,
    };
    Ok(nvmeq_core::format::query(b, nsid)
        .map_err(err)?
        .map(|q| (q.nsze, q.format)))
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
    // Two builds of the loop: without `--verify` none of its per-I/O
    // bookkeeping (tags, checked reads, the written-units bitmap) is there.
    if cfg.verify {
        looped::<B, true>(b, cfg, job, progress, s, bufs)
    } else {
        looped::<B, false>(b, cfg, job, progress, s, bufs)
    }
}

fn prepare<B: Backend>(b: &mut B, cfg: &Config, job: u32) -> Result<(Setup, Slots<B>), BenchError> {
    let s = setup(b, cfg, job)?;
    let mut fill = SplitMix64::new(cfg.seed ^ 0xb5ad_4ece_da1c_e2a9 ^ job as u64);
    let mut bufs = Vec::with_capacity(cfg.qd as usize);
    let alloc = |b: &mut B, len: u32| {
        b.alloc((len * s.nlb) as usize)
            .map_err(|source| BenchError::Setup {
                job,
                what: "buffer allocation",
                source,
            })
    };
    for _ in 0..cfg.qd {
        let mut buf = alloc(b, s.io.unit)?;
        let meta = match s.io.meta_unit {
            0 => None,
            m => Some(alloc(b, m)?),
        };
        if cfg.pattern.writes() && !cfg.verify {
            // Random contents, so a compressing or deduplicating device
            // cannot make writes look cheaper than they are.
            for chunk in buf.as_mut_slice().chunks_mut(8) {
                let r = fill.next_u64().to_le_bytes();
                chunk.copy_from_slice(&r[..chunk.len()]);
            }
        }
        bufs.push((Some(buf), meta));
    }
    debug_assert!(s.lba_size > 0);
    Ok((s, bufs))
}

/// One queue slot: its buffer (`None` while its command is in flight) and
/// what that command was, together so a completion touches one place.
struct Slot<Buf> {
    buf: Option<Buf>,
    /// The separate metadata buffer, when the format moves one.
    meta: Option<Buf>,
    lba: u64,
    /// `--verify`: the unit, and whether a read of it is checked.
    unit: u64,
    check: bool,
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
    /// Reads whose data (and PI) `--verify` checked.
    verified: u64,
    io: Io,
    seed: u64,
    written: Written,
    failed: Option<BenchError>,
}

impl<B: Backend> Track<B> {
    /// One [`Backend::reap`]: returns buffers to their slots, counts and
    /// times what completed, and with `VERIFY` records writes and checks
    /// reads. The clock is read at most once, and only when a timed command
    /// completed.
    fn reap<const VERIFY: bool>(&mut self, b: &mut B) -> usize {
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
            slot.meta = r.meta;
            self.free.push(i);
            match r.result {
                Ok(_) if slot.write => {
                    self.writes += 1;
                    if VERIFY {
                        self.written.set(slot.unit);
                    }
                }
                Ok(_) if VERIFY && slot.check => {
                    self.reads += 1;
                    let data = slot.buf.as_ref().map_or(&[][..], |b| b.as_slice());
                    let meta = slot.meta.as_ref().map_or(&[][..], |b| b.as_slice());
                    match self.io.check(self.seed, slot.lba, data, meta) {
                        Ok(()) => self.verified += 1,
                        Err(reason) => {
                            self.failed.get_or_insert(BenchError::Verify {
                                job: self.job,
                                reason,
                            });
                        }
                    }
                }
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
fn looped<B: Backend, const VERIFY: bool>(
    b: &mut B,
    cfg: &Config,
    job: u32,
    progress: &Progress,
    s: Setup,
    bufs: Slots<B>,
) -> Result<JobResult, BenchError> {
    let qd = cfg.qd as usize;
    let batch = cfg.batch as usize;
    let complete = cfg.complete.unwrap_or(cfg.batch) as usize;
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
            .map(|(buf, meta)| Slot {
                buf,
                meta,
                lba: 0,
                unit: 0,
                check: false,
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
        verified: 0,
        io: s.io,
        seed: cfg.seed,
        written: Written::new(s.units, cfg.verify),
        failed: None,
    };
    let meta = s.io.meta_unit != 0;
    // Without `--verify` every command has the same PRINFO and no tags.
    let plain_prinfo = s.io.prinfo(true);
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
            // `--verify`: the controller checks the PI of writes and of reads
            // of blocks this run wrote, not of others (their PI is not ours).
            let (tags, check, prinfo) = if VERIFY {
                let check = !is_write && t.written.get(unit);
                (s.io.tag_dwords(slba), check, s.io.prinfo(is_write || check))
            } else {
                (Default::default(), false, plain_prinfo)
            };
            let cmd = if is_write {
                Write::new(cfg.nsid, slba, nlb_z)
                    .prinfo(prinfo)
                    .pi_tags(tags)
                    .build()
            } else {
                Read::new(cfg.nsid, slba, nlb_z)
                    .prinfo(prinfo)
                    .pi_tags(tags)
                    .build()
            };
            let sl = &mut t.slots[slot];
            if VERIFY && is_write {
                if let Some(d) = sl.buf.as_mut() {
                    let mut none: [u8; 0] = [];
                    let m = sl.meta.as_mut().map_or(&mut none[..], |m| m.as_mut_slice());
                    s.io.fill(cfg.seed, slba, d.as_mut_slice(), m);
                }
            }
            let pushed = if meta {
                b.push_with(&cmd, sl.buf.take(), sl.meta.take(), slot as u64)
            } else {
                b.push(&cmd, sl.buf.take(), slot as u64).map_err(|r| {
                    r.map_buf(|d| WithMeta {
                        data: Some(d),
                        meta: None,
                    })
                })
            };
            match pushed {
                Ok(()) => {
                    sl.lba = slba;
                    sl.unit = unit;
                    sl.check = check;
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
                    if let Some(w) = rej.into_buf() {
                        sl.buf = w.data;
                        sl.meta = w.meta;
                    }
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
            complete.min(in_flight)
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
        // No `pause` between rounds (see nvmeq-vfio's `idle`).
        while first || (cfg.spin && n < want && t.failed.is_none()) {
            first = false;
            match b.submit(if cfg.spin { 0 } else { want as u32 }) {
                Ok(k) => submitted += k as u64,
                // Commands may still be in flight; the backend keeps their
                // buffers until it is dropped, which waits for them.
                Err(source) => return Err(t.failed.unwrap_or(BenchError::Commit { job, source })),
            }
            commits += 1;
            n += t.reap::<VERIFY>(b);
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
        verified: t.verified,
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
