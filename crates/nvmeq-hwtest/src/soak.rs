//! `nvmeq-hwtest soak`: random stamped writes mixed with checked reads,
//! flushes and deallocations on a region of one namespace, through the
//! queue interface with several commands in flight, then a read-back of
//! every block written. Every block carries its LBA, the run's seed and the
//! write's generation ([`crate::pattern::stamp`]); on a namespace with
//! protection information the controller also generates (PRACT) and checks
//! (PRCHK) the PI of every command.
//!
//! Commands in flight never overlap in LBAs, so what a read must return is
//! known when it is sent. What cannot be known is not checked, and counted:
//! blocks the run never wrote, blocks a failed command touched, and
//! deallocated blocks where DLFEAT promises nothing.

pub mod model;
pub mod stats;

use std::fmt;
use std::time::{Duration, Instant};

use nvmeq_core::cmd::{Dsm, Flush, Prinfo, Read, Write};
use nvmeq_core::pi::PiType;
use nvmeq_core::ranges::DsmRange;
use nvmeq_core::{Cmd, Data, Error, IoBuf, NvmOpcode, Reaped, Rejected};
use zerocopy::IntoBytes;

use crate::registry::{self, HwBackend, Reach};
use crate::suite::{Ctx, Support, CMD_TIMEOUT_MS};
use crate::target::{kernel_queue_depth, Target};
use model::{DeallocRead, Model};
use stats::{Kind, Stats};

/// What a soak runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long the random workload runs (the final read-back comes after).
    pub duration: Duration,
    /// Commands kept in flight, at most; bounded by the backend and controller.
    pub qd: u32,
    /// Seeds the workload's choices and every block's stamp. Give each run
    /// on the same media its own ([`run_seed`]), so that blocks an earlier run
    /// left, with the same generation numbers, never pass as this run's.
    pub seed: u64,
    /// Bytes of the namespace the soak writes, from LBA 0 (at most the namespace).
    pub region_bytes: u64,
    /// Largest transfer of one command, at most (bounded by MDTS and the transport).
    pub max_xfer: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            duration: Duration::from_secs(10),
            qd: 16,
            seed: 1,
            region_bytes: 16 << 20,
            max_xfer: 128 << 10,
        }
    }
}

/// How a soak on one target ended.
#[derive(Debug)]
pub enum Outcome {
    /// It ran; [`Report::passed`] says whether everything checked out.
    Done(Box<Report>),
    /// It cannot run here, and why (a SKIP, never a pass).
    Skipped(String),
    /// It could not start or had to stop, and why.
    Failed(String),
}

/// The seed of backend `backend`'s run on target `label` from the user's
/// seed: each differs, and each is reproducible.
pub fn run_seed(seed: u64, backend: &str, label: &str) -> u64 {
    // FNV-1a
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in backend.bytes().chain([b'/']).chain(label.bytes()) {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    seed ^ h
}

/// Runs a soak with backend `B` on `t`.
pub fn run<B: HwBackend>(t: &Target, o: &Options) -> Outcome {
    let mut s = match Soak::<B>::open(t, o) {
        Ok(s) => s,
        Err(out) => return out,
    };
    s.workload(o.duration);
    s.verify();
    Outcome::Done(Box::new(s.report()))
}

/// How the soak asks the controller for protection information.
#[derive(Debug, Clone, Copy)]
struct PiMode {
    pi_type: PiType,
    /// PRACT and PRCHK, on writes and reads alike.
    prinfo: Prinfo,
    tuple_bytes: u8,
}

/// One command in flight.
#[derive(Debug, Clone, Copy)]
struct Slot {
    kind: Kind,
    slba: u64,
    nlb: u32,
    gen: u64,
    sent: Instant,
}

impl Slot {
    /// Whether the two commands touch a common LBA (a flush touches none).
    fn overlaps(&self, slba: u64, nlb: u32) -> bool {
        self.kind != Kind::Flush
            && slba < self.slba + self.nlb as u64
            && self.slba < slba + nlb as u64
    }
}

/// A soak in progress on one opened namespace.
pub struct Soak<B: HwBackend> {
    ctx: Ctx<B>,
    model: Model,
    stats: Stats,
    rng: u64,
    qd: u32,
    qd_note: String,
    max_blocks: u32,
    pi: Option<PiMode>,
    dsm: bool,
    /// Buffers not in flight, each `max_blocks` blocks long.
    pool: Vec<B::Buf>,
    slots: Vec<Option<Slot>>,
    in_flight: u32,
    scratch: Vec<u8>,
    workload_time: Duration,
    verify_time: Duration,
    /// Why the soak stopped early, if it did.
    stopped: Option<String>,
}

impl<B: HwBackend> fmt::Debug for Soak<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Soak")
            .field("target", &self.ctx.t.label)
            .field("qd", &self.qd)
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl<B: HwBackend> Soak<B> {
    /// Opens `t` with `B` and plans the soak.
    pub fn open(t: &Target, o: &Options) -> Result<Self, Outcome> {
        let b = B::open(t).map_err(Outcome::Failed)?;
        Self::with_backend(b, t, o)
    }

    /// Plans a soak on a backend already open on `t`'s namespace.
    pub fn with_backend(b: B, t: &Target, o: &Options) -> Result<Self, Outcome> {
        let mut ctx = Ctx::new(b, t).map_err(Outcome::Failed)?;
        if let Some(n) = t.named_nsid {
            if n != ctx.nsid {
                return Err(Outcome::Failed(format!(
                    "--nsid {n} does not name {} (nsid {}): nothing written",
                    t.ns.display(),
                    ctx.nsid
                )));
            }
        }
        if !t.destructive {
            return Err(Outcome::Failed(format!(
                "{}: the soak writes; it needs a destructive target",
                t.ns.display()
            )));
        }
        let pi = pi_mode(&mut ctx)?;
        let lba = ctx.lba;
        let max_xfer = ctx.max_xfer.min(o.max_xfer);
        if max_xfer < lba {
            return Err(Outcome::Failed(format!(
                "the largest transfer ({max_xfer} B) is below one block ({lba} B)"
            )));
        }
        let region = (o.region_bytes / lba as u64).min(ctx.nsze);
        let max_blocks = ((max_xfer / lba) as u64).min(region).min(1 << 16) as u32;
        if max_blocks == 0 {
            return Err(Outcome::Failed("the namespace has no blocks".into()));
        }
        let (qd, qd_note) = queue_depth(&ctx, o.qd);
        let dsm = ctx.io_support(2, NvmOpcode::DATASET_MANAGEMENT.0) != Support::No;
        // A deallocated block of a PI format need not keep valid PI, so a
        // read with PRCHK may fail: such blocks are not read again.
        let dealloc = match pi {
            Some(_) => DeallocRead::Unspecified,
            None => DeallocRead::from_dlfeat(ctx.id_ns.dlfeat),
        };
        let mut pool = Vec::new();
        for _ in 0..qd {
            pool.push(
                ctx.b
                    .alloc(max_blocks as usize * lba as usize)
                    .map_err(|e| Outcome::Failed(format!("buffer: {e}")))?,
            );
        }
        Ok(Soak {
            model: Model::new(0, region, o.seed, dealloc),
            stats: Stats::default(),
            rng: o.seed ^ 0x5eed_5eed_5eed_5eed,
            qd,
            qd_note,
            max_blocks,
            pi,
            dsm,
            pool,
            slots: vec![None; qd as usize],
            in_flight: 0,
            scratch: vec![0u8; lba as usize],
            workload_time: Duration::ZERO,
            verify_time: Duration::ZERO,
            stopped: None,
            ctx,
        })
    }

    /// The backend, e.g. for a test that changes blocks behind the soak's back.
    pub fn backend(&mut self) -> &mut B {
        &mut self.ctx.b
    }

    /// The model of the region.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The namespace id written.
    pub fn nsid(&self) -> u32 {
        self.ctx.nsid
    }

    /// The PI the soak's commands carry: PRACT and PRCHK (`None`: the format has no PI).
    pub fn prinfo(&self) -> Option<Prinfo> {
        self.pi.map(|p| p.prinfo)
    }

    /// Random writes, reads, flushes and deallocations for `d`, then waits
    /// for every command in flight.
    pub fn workload(&mut self, d: Duration) {
        let start = Instant::now();
        let end = start + d;
        while self.stopped.is_none() {
            if Instant::now() < end {
                self.fill(|s| s.random_op());
            }
            if self.in_flight == 0 {
                if Instant::now() >= end {
                    break;
                }
                continue;
            }
            self.wait();
        }
        self.drain();
        self.workload_time += start.elapsed();
    }

    /// Reads every block the model can check and compares it.
    pub fn verify(&mut self) {
        let start = Instant::now();
        let mut next = self.model.base();
        let end = self.model.base() + self.model.len();
        while self.stopped.is_none() {
            let done = self.fill(|s| {
                while next < end && !s.model.checkable(next) {
                    next += 1;
                }
                if next == end {
                    return None;
                }
                let nlb = s.checkable_run(next, s.max_blocks);
                let op = (Kind::Verify, next, nlb);
                next += nlb as u64;
                Some(op)
            });
            if self.in_flight == 0 {
                if done {
                    break;
                }
                continue;
            }
            self.wait();
        }
        self.drain();
        self.verify_time += start.elapsed();
    }

    /// The figures so far.
    pub fn report(&self) -> Report {
        let lat = self.stats.latency();
        let (written, deallocated, unknown) = self.model.census();
        Report {
            backend: B::NAME,
            target: self.ctx.t.label.clone(),
            ns: self.ctx.t.ns.display().to_string(),
            nsid: self.ctx.nsid,
            lba: self.ctx.lba,
            region_blocks: self.model.len(),
            max_blocks: self.max_blocks,
            qd: self.qd,
            qd_note: self.qd_note.clone(),
            pi: match self.pi {
                Some(p) => format!(
                    "{:?}, {} B tuples: PRACT on every write, PRACT with PRCHK guard{} on every read",
                    p.pi_type,
                    p.tuple_bytes,
                    if p.pi_type == PiType::Type3 { "" } else { " and reference tag" }
                ),
                None => "none (the namespace's format has no protection information)".into(),
            },
            dsm: if self.dsm {
                format!("deallocated blocks read as {:?}", self.model.dealloc())
            } else {
                "not sent (the controller does not support Dataset Management)".into()
            },
            seed: self.model.seed(),
            counts: Kind::ALL.map(|k| (k, self.stats.counts(k))),
            errors: self.stats.errors_total(),
            first_errors: self.stats.errors.clone(),
            mismatches: self.stats.mismatches,
            first_mismatches: self.stats.first_mismatches.iter().map(ToString::to_string).collect(),
            blocks_checked: self.stats.blocks_checked,
            written,
            deallocated,
            unknown,
            latency: lat,
            workload: self.workload_time,
            verify: self.verify_time,
            stopped: self.stopped.clone(),
        }
    }

    fn rand(&mut self) -> u64 {
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Checkable blocks from `slba`, at most `max`.
    fn checkable_run(&self, slba: u64, max: u32) -> u32 {
        let end = (self.model.base() + self.model.len()).min(slba + max as u64);
        (slba..end).take_while(|&l| self.model.checkable(l)).count() as u32
    }

    /// The next random command: half writes, a third reads, the rest
    /// flushes and deallocations. `None` when it would overlap one in flight.
    fn random_op(&mut self) -> Option<(Kind, u64, u32)> {
        let pick = self.rand() % 100;
        let nlb = 1 + (self.rand() % self.max_blocks as u64) as u32;
        let span = self.model.len() - nlb as u64 + 1;
        let slba = self.model.base() + self.rand() % span;
        let (kind, nlb) = match pick {
            0..=49 => (Kind::Write, nlb),
            50..=84 => match self.checkable_run(slba, nlb) {
                0 => (Kind::Write, nlb),
                n => (Kind::Read, n),
            },
            85..=91 => (Kind::Flush, 0),
            _ if self.dsm => (Kind::Dsm, nlb),
            _ => (Kind::Write, nlb),
        };
        let busy = self.slots.iter().flatten().any(|s| s.overlaps(slba, nlb));
        (!(busy && kind != Kind::Flush)).then_some((kind, slba, nlb))
    }

    /// Sends commands from `next` until the queue is full, `next` has none,
    /// or (a few times in a row) they would overlap commands in flight; one
    /// at most without a queue. True when `next` had none with nothing in
    /// flight: its source is done.
    fn fill(&mut self, mut next: impl FnMut(&mut Self) -> Option<(Kind, u64, u32)>) -> bool {
        let mut collisions = 0;
        while self.in_flight < self.qd && self.stopped.is_none() && collisions < 4 {
            let Some(i) = self.slots.iter().position(Option::is_none) else {
                break;
            };
            let Some((kind, slba, nlb)) = next(self) else {
                if self.in_flight == 0 {
                    return true;
                }
                collisions += 1;
                continue;
            };
            if !self.send(i, kind, slba, nlb) || self.qd == 1 {
                break;
            }
        }
        false
    }

    fn command(&self, kind: Kind, slba: u64, nlb: u32) -> Cmd {
        let nsid = self.ctx.nsid;
        let nlb_z = nlb.saturating_sub(1) as u16;
        // Type 1's reference tag is the LBA; the suite uses the same for 2 and 3.
        let (p, tag) = match self.pi {
            Some(m) => (m.prinfo, slba as u32),
            None => (Prinfo::new(), 0),
        };
        match kind {
            Kind::Write => Write::new(nsid, slba, nlb_z).prinfo(p).ilbrt(tag).build(),
            Kind::Read | Kind::Verify => Read::new(nsid, slba, nlb_z).prinfo(p).eilbrt(tag).build(),
            Kind::Flush => Flush::new(nsid).build(),
            Kind::Dsm => Dsm::deallocate(nsid, 0).build(),
        }
    }

    /// Sends one command in slot `i`; false when the queue was full.
    fn send(&mut self, i: usize, kind: Kind, slba: u64, nlb: u32) -> bool {
        let lba = self.ctx.lba as usize;
        let len = nlb as usize * lba;
        let mut gen = 0;
        let mut buf = match kind {
            Kind::Flush => None,
            _ => Some(self.pool.pop().expect("one buffer per free slot")),
        };
        match (kind, buf.as_mut()) {
            (Kind::Write, Some(b)) => {
                gen = self.model.next_gen();
                for (j, blk) in b.as_mut_slice()[..len].chunks_mut(lba).enumerate() {
                    self.model.expected(slba + j as u64, gen, blk);
                }
            }
            (Kind::Dsm, Some(b)) => {
                let r = DsmRange::new(slba, nlb);
                b.as_mut_slice()[..16].copy_from_slice(r.as_bytes());
            }
            _ => {}
        }
        let cmd = self.command(kind, slba, nlb);
        let slot = Slot {
            kind,
            slba,
            nlb,
            gen,
            sent: Instant::now(),
        };
        if self.qd == 1 {
            // A backend without a queue (ioctl): one command at a time.
            let result = match buf.as_mut() {
                None => self.ctx.b.execute(&cmd, Data::None),
                Some(b) => match kind {
                    Kind::Write => self
                        .ctx
                        .b
                        .execute(&cmd, Data::ToDevice(&b.as_slice()[..len])),
                    Kind::Dsm => self
                        .ctx
                        .b
                        .execute(&cmd, Data::ToDevice(&b.as_slice()[..16])),
                    _ => self
                        .ctx
                        .b
                        .execute(&cmd, Data::FromDevice(&mut b.as_mut_slice()[..len])),
                },
            };
            self.complete(slot, result.map(drop), buf);
            return true;
        }
        match self.ctx.b.push(&cmd, buf, i as u64) {
            Ok(()) => {
                self.slots[i] = Some(slot);
                self.in_flight += 1;
                true
            }
            Err(Rejected::Full(b)) => {
                self.pool.extend(b);
                false
            }
            Err(Rejected::Invalid { error, buf }) => {
                self.pool.extend(buf);
                self.stop(format!(
                    "{} of {nlb} blocks at LBA {slba} refused: {error}",
                    kind.name()
                ));
                false
            }
        }
    }

    fn stop(&mut self, why: String) {
        self.stats.failure(why.clone());
        self.stopped.get_or_insert(why);
    }

    /// Submits what was pushed, waits for a completion and handles all ready.
    fn wait(&mut self) {
        if let Err(e) = self.ctx.b.submit(1) {
            self.stop(format!("submit: {e}"));
            return;
        }
        let mut done: Vec<Reaped<B::Buf>> = Vec::with_capacity(self.qd as usize);
        self.ctx.b.reap(|r| done.push(r));
        for r in done {
            let Some(slot) = self.slots.get_mut(r.tag as usize).and_then(Option::take) else {
                self.stop(format!(
                    "a completion with tag {} nothing was sent with",
                    r.tag
                ));
                continue;
            };
            self.in_flight -= 1;
            self.complete(slot, r.result.map(drop), r.buf);
        }
    }

    /// Waits until nothing is in flight (or the backend stops answering).
    fn drain(&mut self) {
        let deadline = Instant::now() + Duration::from_millis(2 * CMD_TIMEOUT_MS as u64);
        while self.in_flight > 0 {
            if Instant::now() > deadline {
                let n = self.in_flight;
                self.stop(format!("{n} commands never completed"));
                return;
            }
            let before = self.in_flight;
            self.wait();
            if self.in_flight == before && self.stopped.is_some() {
                return;
            }
        }
    }

    fn complete(&mut self, s: Slot, result: Result<(), Error>, buf: Option<B::Buf>) {
        let lba = self.ctx.lba as usize;
        let bytes = match s.kind {
            Kind::Flush | Kind::Dsm => 0,
            _ => s.nlb as u64 * lba as u64,
        };
        let error = result.err().map(|e| {
            format!(
                "{} of {} blocks at LBA {}: {e}",
                s.kind.name(),
                s.nlb,
                s.slba
            )
        });
        let failed = error.is_some();
        self.stats.done(s.kind, s.sent.elapsed(), bytes, error);
        match (s.kind, failed) {
            (Kind::Write | Kind::Dsm, true) => self.model.lost(s.slba, s.nlb),
            (Kind::Write, false) => self.model.written(s.slba, s.nlb, s.gen),
            (Kind::Dsm, false) => self.model.deallocated(s.slba, s.nlb),
            (Kind::Read | Kind::Verify, false) => {
                let b = buf.as_ref().expect("a read has its buffer");
                let data = &b.as_slice()[..s.nlb as usize * lba];
                for (j, got) in data.chunks(lba).enumerate() {
                    let l = s.slba + j as u64;
                    self.stats.blocks_checked += 1;
                    if let Err(m) = self.model.check(l, got, &mut self.scratch) {
                        self.stats.mismatch(m);
                    }
                }
            }
            _ => {}
        }
        self.pool.extend(buf);
    }
}

/// The PI the soak asks for on `c`'s namespace, or why it cannot run there.
fn pi_mode<B: HwBackend>(c: &mut Ctx<B>) -> Result<Option<PiMode>, Outcome> {
    let (data, ms, _) = c.format();
    if ms == 0 {
        return Ok(None);
    }
    let l = crate::pi::layout(c).map_err(|why| {
        Outcome::Skipped(format!(
            "format {data} B + {ms} B of metadata ({why}): the soak moves no metadata buffers"
        ))
    })?;
    if !l.fmt.pi_only() {
        return Err(Outcome::Skipped(format!(
            "format {data} B + {ms} B of metadata, {} B of it PI: with PRACT the rest would \
             need a metadata buffer, which the soak does not move",
            l.pi.size()
        )));
    }
    let check_ref = l.pi.pi_type != PiType::Type3;
    Ok(Some(PiMode {
        pi_type: l.pi.pi_type,
        prinfo: Prinfo::new()
            .with_pract(true)
            .with_prchk_guard(true)
            .with_prchk_ref(check_ref),
        tuple_bytes: l.pi.size(),
    }))
}

/// Commands the soak keeps in flight: the wish, bounded by the backend's
/// queue and, for the kernel's passthrough, the controller's kernel queues
/// (which fail what they cannot hold at once; see `Ctx::uring_queue_too_short`).
fn queue_depth<B: HwBackend>(c: &Ctx<B>, want: u32) -> (u32, String) {
    let caps = c.b.caps().queue_depth;
    let kernel = match registry::reach(B::NAME) {
        Some(Reach::Kernel) => c.t.ctrl.as_deref().and_then(kernel_queue_depth),
        _ => None,
    };
    let qd = want.min(caps).min(kernel.unwrap_or(u32::MAX)).max(1);
    let mut note = format!("asked {want}, backend queue {caps}");
    if let Some(k) = kernel {
        note += &format!(", kernel queue {k} (sqsize)");
    }
    if qd == 1 {
        note += ": one command at a time (execute)";
    }
    (qd, note)
}

/// The figures of one soak.
#[derive(Debug, Clone)]
pub struct Report {
    /// Backend name.
    pub backend: &'static str,
    /// Target label.
    pub target: String,
    /// Namespace device or address.
    pub ns: String,
    /// Namespace id.
    pub nsid: u32,
    /// Data bytes per block.
    pub lba: u32,
    /// Blocks of the region, from LBA 0.
    pub region_blocks: u64,
    /// Most blocks in one command.
    pub max_blocks: u32,
    /// Commands kept in flight at most.
    pub qd: u32,
    /// Where `qd` came from.
    pub qd_note: String,
    /// What the PI of every command was.
    pub pi: String,
    /// Whether deallocations were sent and what their blocks read as.
    pub dsm: String,
    /// The seed.
    pub seed: u64,
    /// Commands, bytes and errors by kind.
    pub counts: [(Kind, stats::Counts); 5],
    /// Failed commands and other failures.
    pub errors: u64,
    /// The first of them.
    pub first_errors: Vec<String>,
    /// Blocks that did not read back as expected.
    pub mismatches: u64,
    /// The first of them.
    pub first_mismatches: Vec<String>,
    /// Blocks compared (workload reads and the final pass).
    pub blocks_checked: u64,
    /// Blocks the model holds as written at the end.
    pub written: u64,
    /// Blocks deallocated, checked as the old data or DLFEAT's pattern.
    pub deallocated: u64,
    /// Blocks whose content nobody promises, not checked.
    pub unknown: u64,
    /// Latency of every command.
    pub latency: stats::Latency,
    /// Time of the random workload.
    pub workload: Duration,
    /// Time of the final read-back.
    pub verify: Duration,
    /// Why the soak stopped early, if it did.
    pub stopped: Option<String>,
}

impl Report {
    /// No mismatch, no error, and something was written and checked.
    pub fn passed(&self) -> bool {
        self.mismatches == 0
            && self.errors == 0
            && self.stopped.is_none()
            && self.counts[Kind::Write as usize].1.commands > 0
            && self.blocks_checked > 0
    }
    /// Commands of every kind.
    pub fn ios(&self) -> u64 {
        self.counts.iter().map(|(_, c)| c.commands).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lat = &self.latency;
        writeln!(
            f,
            "soak {} on {} ({} nsid {}, {} B blocks): region LBA 0..{}, 1..{} blocks a command, \
             QD {} ({}), seed {:#x}",
            self.backend,
            self.target,
            self.ns,
            self.nsid,
            self.lba,
            self.region_blocks,
            self.max_blocks,
            self.qd,
            self.qd_note,
            self.seed
        )?;
        writeln!(f, "  PI: {}", self.pi)?;
        writeln!(f, "  DSM: {}", self.dsm)?;
        for (k, c) in &self.counts {
            writeln!(
                f,
                "  {:<7}{:>9} commands {:>12} bytes {:>6} errors",
                k.name(),
                c.commands,
                c.bytes,
                c.errors
            )?;
        }
        writeln!(
            f,
            "  blocks checked {}; at the end {} written, {} deallocated (checked), {} unknown (not checked)",
            self.blocks_checked, self.written, self.deallocated, self.unknown
        )?;
        writeln!(
            f,
            "  latency p50 {} us, p99 {} us, max {} us; outliers: {} above {} ms, {} above {}x p99",
            lat.p50.as_micros(),
            lat.p99.as_micros(),
            lat.max.as_micros(),
            lat.over_abs,
            stats::OUTLIER_ABS.as_millis(),
            lat.over_p99,
            stats::OUTLIER_P99_FACTOR
        )?;
        writeln!(
            f,
            "  elapsed: workload {:.1} s, verify {:.1} s",
            self.workload.as_secs_f64(),
            self.verify.as_secs_f64()
        )?;
        for e in &self.first_errors {
            writeln!(f, "  error: {e}")?;
        }
        for m in &self.first_mismatches {
            writeln!(f, "  MISMATCH {m}")?;
        }
        if let Some(s) = &self.stopped {
            writeln!(f, "  stopped early: {s}")?;
        }
        write!(
            f,
            "SOAK {} {}: {} ios, {} mismatches, {} errors, p99 {} us, {} outliers: {}",
            self.backend,
            self.target,
            self.ios(),
            self.mismatches,
            self.errors,
            lat.p99.as_micros(),
            lat.over_abs.max(lat.over_p99),
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}
