//! One I/O queue pair driven by its [`QueueHandle`](crate::QueueHandle)
//! without the controller: a [`Lane`] holds the queue, its completions not
//! yet reaped and a copy of what its hot path reads of the controller
//! ([`LaneCtx`]). Whatever needs the controller (admin commands, commands
//! the plain path does not decide, timeouts, fatal status, resets) lends
//! every lane's queue back to it first ([`lend`], [`take_back`]), so the
//! controller's code always sees all of its queues.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nvmeq_core::format::NsFormat;
use nvmeq_core::identify::sgls;
use nvmeq_core::regs::{self, Csts};
use nvmeq_core::{Cmd, Error, Reaped, Rejected, WithMeta};

use super::backend::{check_bufs, plain_rw_len};
use super::{drain_cq, push_params, route, Controller, SyncDone};
use crate::dma::{DmaBuf, DmaSpace};
use crate::platform::{Platform, Regs};
use crate::queue::{QueuePair, Shadow};

/// How often a lane looks at CSTS and its commands' deadlines (as the
/// controller's wait loops do).
const CHECK_EVERY: Duration = Duration::from_millis(1);

/// What a lane's hot path reads of its controller, copied each time the
/// controller gives the queue back (a reset may change any of it).
pub(super) struct LaneCtx<P: Platform> {
    bar: Arc<P::Regs>,
    shadow: Option<Arc<Shadow<P>>>,
    space: Arc<DmaSpace<P>>,
    /// Namespace formats known to the controller.
    ns: Vec<(u32, NsFormat)>,
    max_xfer: u32,
    sgl: Option<bool>,
    mptr_sgl: bool,
    retries: u8,
    io_timeout: Duration,
    lazy_cq: bool,
    dead: Option<&'static str>,
}

impl<P: Platform> LaneCtx<P> {
    fn of(c: &Controller<P>) -> LaneCtx<P> {
        LaneCtx {
            bar: Arc::clone(&c.bar),
            shadow: c.shadow.clone(),
            space: Arc::clone(&c.space),
            ns: c.ns.clone(),
            max_xfer: c.max_xfer,
            sgl: c.sgl,
            mptr_sgl: c.id.sgls & sgls::MPTR_SGL != 0,
            retries: c.opts.retries,
            io_timeout: c.opts.io_timeout,
            lazy_cq: c.opts.lazy_cq_doorbells,
            dead: c.dead,
        }
    }
}

/// What a lane's housekeeping found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    Fine,
    /// A command's deadline passed or the controller reports fatal status:
    /// the controller must look (Abort or reset).
    NeedsController,
}

/// An I/O queue pair with its own lock, for one [`QueueHandle`](crate::QueueHandle).
pub(super) struct Lane<P: Platform> {
    /// The controller's `qs[qi]`; `None` only while lent to the controller,
    /// which happens with this lane's lock held throughout.
    q: Option<QueuePair<P>>,
    /// The controller's `done[qi]`: completions not yet reaped.
    done: VecDeque<Reaped<DmaBuf<P>>>,
    /// Synchronous commands' completions met here (none are expected: a
    /// synchronous command runs while the controller holds the queue).
    sync_done: Vec<SyncDone<P>>,
    unexpected: u64,
    ctx: LaneCtx<P>,
    spins: u32,
    next_check: Instant,
    qi: usize,
}

const LENT: Error =
    Error::Aborted("the queue was not given back (a thread panicked while the controller held it)");

/// Takes `c`'s I/O queues (`qs[1..]`, with their reap lists) out into
/// lanes, one per queue, in order.
pub(super) fn split<P: Platform>(c: &mut Controller<P>) -> Vec<Lane<P>> {
    let qs = c.qs.split_off(1);
    let done = c.done.split_off(1);
    qs.into_iter()
        .zip(done)
        .enumerate()
        .map(|(i, (q, done))| Lane {
            q: Some(q),
            done,
            sync_done: Vec::new(),
            unexpected: 0,
            ctx: LaneCtx::of(c),
            spins: 0,
            next_check: Instant::now(),
            qi: i + 1,
        })
        .collect()
}

/// Lends every lane's queue back to `c` (all of them, in order, or none:
/// `LENT` if one is missing), with what the lanes collected.
pub(super) fn lend<P: Platform>(
    c: &mut Controller<P>,
    lanes: &mut [&mut Lane<P>],
) -> Result<(), Error> {
    if c.qs.len() != 1 || lanes.iter().any(|l| l.q.is_none()) {
        return Err(LENT);
    }
    for l in lanes.iter_mut() {
        c.qs.extend(l.q.take());
        c.done.push(std::mem::take(&mut l.done));
        c.sync_done.append(&mut l.sync_done);
        c.stats.unexpected_cqes += std::mem::take(&mut l.unexpected);
    }
    Ok(())
}

/// Takes the queues lent with [`lend`] back into the lanes, with a fresh
/// copy of the controller's state.
pub(super) fn take_back<P: Platform>(c: &mut Controller<P>, lanes: &mut [&mut Lane<P>]) {
    let qs = c.qs.split_off(1);
    let done = c.done.split_off(1);
    for ((l, q), d) in lanes.iter_mut().zip(qs).zip(done) {
        l.q = Some(q);
        l.done = d;
        l.ctx = LaneCtx::of(c);
    }
}

impl<P: Platform> Lane<P> {
    /// Why the controller is unusable, as last seen.
    pub(super) fn dead(&self) -> Option<&'static str> {
        self.ctx.dead
    }

    pub(super) fn slots(&self) -> usize {
        self.q.as_ref().map_or(0, |q| q.slots.len())
    }

    pub(super) fn busy(&self) -> usize {
        self.q.as_ref().map_or(0, |q| q.slots.busy_count())
    }

    pub(super) fn unreaped(&self) -> usize {
        self.done.len()
    }

    pub(super) fn max_xfer(&self) -> u32 {
        self.ctx.max_xfer
    }

    pub(super) fn mmio_doorbells(&self) -> u64 {
        self.q.as_ref().map_or(0, |q| q.mmio_doorbells)
    }

    /// The format of `nsid` if the controller knew it when it gave the queue back.
    pub(super) fn lba_size(&self, nsid: u32) -> Option<u32> {
        self.ctx
            .ns
            .iter()
            .find(|(n, _)| *n == nsid)
            .map(|(_, f)| f.block_bytes)
    }

    /// Pushes a plain Read or Write ([`plain_rw_len`]) with no metadata,
    /// with the checks of [`Controller::push_inner`]. `Err(buf)`: not a
    /// plain command; the controller must place it.
    #[allow(clippy::result_large_err, clippy::type_complexity)]
    pub(super) fn push_plain(
        &mut self,
        cmd: &Cmd,
        buf: Option<DmaBuf<P>>,
        tag: u64,
    ) -> Result<Result<(), Rejected<WithMeta<DmaBuf<P>>>>, Option<DmaBuf<P>>> {
        let Some(len) = plain_rw_len(&self.ctx.ns, self.ctx.max_xfer, cmd, false) else {
            return Err(buf);
        };
        #[allow(clippy::result_large_err)]
        let reject = |data, error| {
            Ok(Err(Rejected::Invalid {
                error,
                buf: Some(WithMeta { data, meta: None }),
            }))
        };
        if let Some(why) = self.ctx.dead {
            return reject(buf, Error::Aborted(why));
        }
        if let Err(e) = check_bufs(&self.ctx.space, cmd, len, 0, None, &buf, &None) {
            return reject(buf, e);
        }
        let unreaped = self.done.len();
        let q = match self.q.as_mut() {
            Some(q) => q,
            None => return reject(buf, LENT),
        };
        // Back-pressure as on the controller: slots plus unreaped
        // completions within the reap list's capacity, and a free slot.
        if q.slots.busy_count() + unreaped >= q.slots.len() || q.free() == 0 {
            return Ok(Err(Rejected::Full(Some(WithMeta {
                data: buf,
                meta: None,
            }))));
        }
        let mut p = push_params(
            self.ctx.sgl,
            self.ctx.retries,
            self.ctx.mptr_sgl,
            self.qi,
            &cmd.sqe,
            len as usize,
            None,
            false,
        );
        p.tag = tag;
        q.make_cq_room(&self.ctx.bar, self.ctx.shadow.as_deref());
        Ok(match q.push_with(cmd.sqe, buf, None, &p) {
            Ok(_) => Ok(()),
            Err((data, meta, Some(error))) => Err(Rejected::Invalid {
                error,
                buf: Some(WithMeta { data, meta }),
            }),
            Err((data, meta, None)) => Err(Rejected::Full(Some(WithMeta { data, meta }))),
        })
    }

    /// Rings the SQ doorbell for the written commands, starting their timeouts.
    pub(super) fn ring(&mut self) -> Result<u16, Error> {
        let Some(q) = self.q.as_mut() else {
            return Err(LENT);
        };
        let (bar, shadow) = (&*self.ctx.bar, self.ctx.shadow.as_deref());
        Ok(q.ring_sq(bar, shadow, Instant::now(), self.ctx.io_timeout))
    }

    /// Consumes the queue's new completions: to `to` when given, else
    /// into the reap list. Returns how many went to `to`.
    pub(super) fn poll<F: FnMut(Reaped<DmaBuf<P>>)>(&mut self, mut to: Option<&mut F>) -> usize {
        let Some(q) = self.q.as_mut() else { return 0 };
        let (qi, mut n) = (self.qi, 0);
        let (done, sync_done) = (&mut self.done, &mut self.sync_done);
        drain_cq(q, &mut self.unexpected, |f| {
            route(qi, f, sync_done, &mut to, done, &mut n)
        });
        if !self.ctx.lazy_cq {
            q.ring_cq(&self.ctx.bar, self.ctx.shadow.as_deref());
        }
        n
    }

    /// The completions polled earlier, to `f`.
    pub(super) fn drain_done(&mut self, f: &mut impl FnMut(Reaped<DmaBuf<P>>)) -> usize {
        let mut n = 0;
        while let Some(r) = self.done.pop_front() {
            f(r);
            n += 1;
        }
        n
    }

    /// Drops the completions not yet reaped (their buffers are freed).
    pub(super) fn clear_done(&mut self) {
        self.done.clear();
    }

    /// Housekeeping from wait loops, at most every millisecond: fatal
    /// status (CSTS) and this queue's deadlines, which only the controller
    /// can act on.
    pub(super) fn check(&mut self) -> Check {
        self.spins = self.spins.wrapping_add(1);
        if self.spins % 64 != 0 || self.ctx.dead.is_some() {
            return Check::Fine;
        }
        let now = Instant::now();
        if now < self.next_check {
            return Check::Fine;
        }
        self.next_check = now + CHECK_EVERY;
        let raw = self.ctx.bar.read32(regs::CSTS);
        if raw == u32::MAX || Csts::from_bits(raw).cfs() {
            return Check::NeedsController;
        }
        let Some(q) = self.q.as_ref() else {
            return Check::Fine;
        };
        let expired = q
            .slots
            .busy()
            .any(|s| q.slots.get(s).deadline.is_some_and(|d| d <= now));
        if expired {
            Check::NeedsController
        } else {
            Check::Fine
        }
    }
}
