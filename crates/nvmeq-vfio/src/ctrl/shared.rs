//! One controller, several threads: [`Controller::into_shared`] hands the
//! controller to a [`SharedController`], whose [`queue`](SharedController::queue)
//! gives out [`QueueHandle`]s. Each handle owns one of the controller's I/O
//! queue pairs (its SQ, its CQ and, with interrupts, its MSI-X vector): its
//! commands go to that queue only and it reaps that queue's completions
//! only, so handles on different threads never see each other's commands.
//!
//! Each queue sits in its own [`Lane`] behind its own lock: a handle's
//! plain Reads and Writes, its doorbells and its reaps take that lock
//! only. The controller (registers, admin queue, recovery) sits behind
//! another; whatever needs it (admin commands, `execute`, commands the
//! plain path does not decide, an expired deadline, fatal status, a reset)
//! takes the controller lock and then every lane's, in order, and lends
//! all the queues back to the controller for the duration, so a reset
//! stops and fails every handle's commands, with their buffers back. A
//! thread never waits for the controller lock while it holds a lane's.
//! The controller stays up while the `SharedController` or any handle
//! lives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use nvmeq_core::{
    Backend, Caps, Cmd, Completion, Data, Error, QueueKind, Reaped, Rejected, WithMeta,
};

use super::backend::{data_only, Placement, Scope};
use super::lane::{self, Check, Lane};
use super::{Controller, NAP};
use crate::dma::{DmaBuf, DmaSpace};
use crate::error::OpenError;
use crate::irq::Irqs;
use crate::platform::{Platform, Vfio};

struct Shared<P: Platform> {
    /// `lanes[qi - 1]`: I/O queue `qs[qi]`. Declared before `ctrl`, so
    /// their copies of the register mapping go before the controller's.
    lanes: Vec<Mutex<Lane<P>>>,
    ctrl: Mutex<Controller<P>>,
    /// `taken[qi]`: whether I/O queue `qs[qi]` has a handle (index 0, the
    /// admin queue, is never handed out).
    taken: Vec<AtomicBool>,
    bdf: String,
    irqs: Option<Arc<Irqs>>,
    space: Arc<DmaSpace<P>>,
}

const POISONED: Error = Error::Aborted("another thread panicked while it held the controller");

impl<P: Platform> Shared<P> {
    fn lane(&self, qi: usize) -> Result<MutexGuard<'_, Lane<P>>, Error> {
        self.lanes[qi - 1].lock().map_err(|_| POISONED)
    }

    /// Runs `f` on the controller with every queue lent back to it: the
    /// controller lock, then each lane's in order (the one lock order).
    fn with_ctrl<R>(&self, f: impl FnOnce(&mut Controller<P>) -> R) -> Result<R, Error> {
        let mut c = self.ctrl.lock().map_err(|_| POISONED)?;
        let mut guards = self
            .lanes
            .iter()
            .map(|l| l.lock().map_err(|_| POISONED))
            .collect::<Result<Vec<_>, _>>()?;
        let mut lanes: Vec<&mut Lane<P>> = guards.iter_mut().map(|g| &mut **g).collect();
        lane::lend(&mut c, &mut lanes)?;
        let r = f(&mut c);
        lane::take_back(&mut c, &mut lanes);
        Ok(r)
    }
}

impl<P: Platform> Drop for Shared<P> {
    /// The controller gets its queues back before it is dropped (it waits
    /// for their commands, deletes them and shuts down).
    fn drop(&mut self) {
        let Ok(c) = self.ctrl.get_mut() else { return };
        let mut lanes: Vec<&mut Lane<P>> = self
            .lanes
            .iter_mut()
            .filter_map(|l| l.get_mut().ok())
            .collect();
        let _ = lane::lend(c, &mut lanes);
    }
}

/// A controller whose I/O queues are handed out to threads as
/// [`QueueHandle`]s (see [`Controller::into_shared`]).
pub struct SharedController<P: Platform = Vfio> {
    inner: Arc<Shared<P>>,
}

impl<P: Platform> Clone for SharedController<P> {
    fn clone(&self) -> Self {
        SharedController {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P: Platform> std::fmt::Debug for SharedController<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedController")
            .field("bdf", &self.inner.bdf)
            .field("io_queues", &(self.inner.taken.len() - 1))
            .finish()
    }
}

impl<P: Platform> Controller<P> {
    /// Shares the controller between threads: each [`SharedController::queue`]
    /// call hands out one of its [`io_queues`](Controller::io_queues) (open
    /// with [`Options::io_queues`](crate::Options::io_queues) set to the
    /// number of threads). Commands still in flight on the controller's own
    /// queue interface are waited for first, so every queue starts empty.
    pub fn into_shared(mut self) -> SharedController<P> {
        while self.busy() > 0 && self.dead.is_none() {
            self.submit_all();
            self.poll_all();
            self.tick();
            self.idle(None);
        }
        for d in &mut self.done {
            d.clear();
        }
        let irqs = self.irqs.as_ref().map(|(i, _)| Arc::clone(i));
        let taken = (0..self.qs.len())
            .map(|i| AtomicBool::new(i == 0))
            .collect();
        let bdf = self.bdf.to_string();
        let space = Arc::clone(&self.space);
        let lanes = lane::split(&mut self).into_iter().map(Mutex::new).collect();
        SharedController {
            inner: Arc::new(Shared {
                lanes,
                ctrl: Mutex::new(self),
                taken,
                bdf,
                irqs,
                space,
            }),
        }
    }

    /// Housekeeping now (fatal status, expired commands), for a lane that
    /// found something only the controller can handle.
    fn check_now(&mut self) {
        self.spins = 63;
        self.next_check = std::time::Instant::now();
        self.tick();
    }
}

impl<P: Platform> SharedController<P> {
    /// A handle on the next I/O queue nobody holds. Fails when every I/O
    /// queue has one.
    pub fn queue(&self) -> Result<QueueHandle<P>, OpenError> {
        let free = self.inner.taken.iter().enumerate().skip(1).find(|(_, t)| {
            t.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        });
        match free {
            Some((qi, _)) => Ok(QueueHandle {
                inner: Arc::clone(&self.inner),
                qi,
            }),
            None => Err(OpenError::Controller {
                bdf: self.inner.bdf.clone(),
                what: format!(
                    "all {} I/O queues have handles: open it with Options::io_queues set to \
                     the number of threads",
                    self.inner.taken.len() - 1
                ),
            }),
        }
    }

    /// The controller's I/O queue pairs (the most handles at once).
    pub fn io_queues(&self) -> usize {
        self.inner.taken.len() - 1
    }

    /// The controller's counters, all queues together.
    pub fn stats(&self) -> Result<crate::Stats, Error> {
        self.inner.with_ctrl(|c| c.stats())
    }

    /// [`Controller::reset`]: every handle's commands in flight complete
    /// with `Error::Aborted` (or, with retries, are resubmitted), their
    /// buffers back in the completions each handle reaps.
    pub fn reset(&self) -> Result<(), Error> {
        self.inner.with_ctrl(|c| c.reset())?
    }
}

/// One I/O queue pair of a [`SharedController`], for one thread: a
/// [`Backend`] whose queue interface uses that queue alone, and whose
/// `execute` runs I/O commands on it (admin commands on the shared admin
/// queue). Dropping it waits for its commands still in flight.
///
/// `reap` runs its closure with the handle's queue held, so the closure
/// must not call into this handle; collect the completions and act on them
/// after `reap` returns.
pub struct QueueHandle<P: Platform = Vfio> {
    inner: Arc<Shared<P>>,
    qi: usize,
}

impl<P: Platform> std::fmt::Debug for QueueHandle<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueHandle")
            .field("bdf", &self.inner.bdf)
            .field("queue", &self.qi)
            .finish()
    }
}

impl<P: Platform> QueueHandle<P> {
    /// The I/O queue's index among the controller's queues (1 is the first
    /// I/O queue; its queue ID is the same number).
    pub fn queue_index(&self) -> usize {
        self.qi
    }

    /// Between polls of a wait loop, outside every lock: with interrupts,
    /// sleep until the queue's vector fires (a vector that fired since it
    /// was last cleared may stand for a completion not polled yet: poll
    /// again first); else poll again at once (no `pause`, as
    /// `Controller::idle` says why).
    fn idle(&self) {
        if let Some(irqs) = &self.inner.irqs {
            if !irqs.clear(self.qi) {
                irqs.wait(self.qi, NAP);
            }
        }
    }
}

/// Queued admin commands would complete into the admin queue's list, which
/// no handle reaps.
const ADMIN_QUEUED: Error =
    Error::Unsupported("a queue handle queues I/O commands only: run admin commands with execute");

impl<P: Platform> Backend for QueueHandle<P> {
    type Buf = DmaBuf<P>;

    fn caps(&self) -> Caps {
        match self.inner.lane(self.qi) {
            Ok(l) => Caps {
                kind: nvmeq_core::BackendKind::Vfio,
                max_xfer: l.max_xfer(),
                queue_depth: l.slots() as u32,
                admin: true,
                metadata: true,
            },
            // Nothing can be sent through a poisoned controller.
            Err(_) => Caps {
                kind: nvmeq_core::BackendKind::Vfio,
                max_xfer: 0,
                queue_depth: 0,
                admin: false,
                metadata: false,
            },
        }
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        if let Some(n) = self.inner.lane(self.qi)?.lba_size(nsid) {
            return Ok(n);
        }
        self.inner.with_ctrl(|c| c.lba_size(nsid))?
    }

    fn alloc(&mut self, len: usize) -> Result<DmaBuf<P>, Error> {
        DmaBuf::new(&self.inner.space, len).map_err(|e| Error::Os {
            op: "VFIO_IOMMU_MAP_DMA",
            errno: e.raw_os_error().unwrap_or(libc::ENOMEM),
        })
    }

    /// Runs the command on this handle's queue (admin commands on the admin
    /// queue), holding the controller, and so every queue, until it completes.
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        let qi = self.qi;
        self.inner
            .with_ctrl(|c| c.execute_in(Scope::Queue(qi), cmd, data, meta))?
    }

    fn push(
        &mut self,
        cmd: &Cmd,
        buf: Option<DmaBuf<P>>,
        tag: u64,
    ) -> Result<(), Rejected<DmaBuf<P>>> {
        data_only(self.push_with(cmd, buf, None, tag))
    }

    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<DmaBuf<P>>,
        meta: Option<DmaBuf<P>>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<DmaBuf<P>>>> {
        #[allow(clippy::result_large_err)]
        let refuse = |error, data, meta| {
            Err(Rejected::Invalid {
                error,
                buf: Some(WithMeta { data, meta }),
            })
        };
        if cmd.queue == QueueKind::Admin {
            return refuse(ADMIN_QUEUED, data, meta);
        }
        // A plain Read or Write goes on the queue with its lane's lock alone.
        let data = match (&meta, self.inner.lane(self.qi)) {
            (None, Ok(mut l)) => match l.push_plain(cmd, data, tag) {
                Ok(r) => return r,
                Err(data) => data,
            },
            (_, Err(e)) => return refuse(e, data, meta),
            (Some(_), Ok(_)) => data,
        };
        let qi = self.qi;
        let r = self
            .inner
            .with_ctrl(|c| c.push_inner(cmd, data, meta, tag, Placement::on(Scope::Queue(qi))));
        r.unwrap_or_else(|e| {
            Err(Rejected::Invalid {
                error: e,
                buf: None,
            })
        })
    }

    /// Rings the queue and waits for `min_complete` of its completions,
    /// with its lane's lock alone (the controller only when a deadline
    /// passes or the controller reports fatal status).
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        let (n, target) = {
            let mut l = self.inner.lane(self.qi)?;
            if let Some(why) = l.dead() {
                return Err(Error::Aborted(why));
            }
            let n = l.ring()? as u32;
            let pending = l.busy() + l.unreaped();
            (n, (min_complete as usize).min(pending))
        };
        loop {
            let check = {
                let mut l = self.inner.lane(self.qi)?;
                if l.unreaped() >= target {
                    break;
                }
                l.poll(None::<&mut fn(Reaped<DmaBuf<P>>)>);
                if l.unreaped() >= target || l.dead().is_some() {
                    break;
                }
                l.check()
            };
            if check == Check::NeedsController {
                // The lane's lock is released: the controller takes it.
                self.inner.with_ctrl(|c| c.check_now())?;
                continue;
            }
            self.idle();
        }
        Ok(n)
    }

    fn reap(&mut self, mut f: impl FnMut(Reaped<DmaBuf<P>>)) -> usize {
        let Ok(mut l) = self.inner.lane(self.qi) else {
            return 0;
        };
        if let Some(irqs) = &self.inner.irqs {
            irqs.clear(self.qi);
        }
        l.drain_done(&mut f) + l.poll(Some(&mut f))
    }

    fn in_flight(&self) -> u32 {
        self.inner
            .lane(self.qi)
            .map_or(0, |l| (l.busy() + l.unreaped()) as u32)
    }

    /// This queue's MMIO doorbell writes.
    fn syscalls(&self) -> Option<u64> {
        self.inner.lane(self.qi).ok().map(|l| l.mmio_doorbells())
    }
}

impl<P: Platform> Drop for QueueHandle<P> {
    /// Waits for the queue's commands in flight (their buffers are the
    /// queue's until they complete), drops their completions, and gives the
    /// queue back for another handle.
    fn drop(&mut self) {
        let qi = self.qi;
        loop {
            let check = {
                let Ok(mut l) = self.inner.lane(qi) else {
                    break;
                };
                if l.ring().is_err() {
                    break;
                }
                l.poll(None::<&mut fn(Reaped<DmaBuf<P>>)>);
                l.clear_done();
                if l.busy() == 0 || l.dead().is_some() {
                    break;
                }
                l.check()
            };
            if check == Check::NeedsController {
                if self.inner.with_ctrl(|c| c.check_now()).is_err() {
                    break;
                }
                continue;
            }
            self.idle();
        }
        self.inner.taken[qi].store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::sync::Barrier;
    use std::time::Duration;

    use nvmeq_core::cmd::{Read, Write};
    use nvmeq_core::IoBuf;

    use super::*;
    use crate::model::{self, pattern, DataMode, Model, ModelConfig};
    use crate::Options;

    /// 512-byte blocks whose data the model checks (writes) and fills (reads).
    fn cfg() -> ModelConfig {
        ModelConfig {
            lba_bytes: 512,
            nsze: 1 << 16,
            data: DataMode::Pattern,
            ..ModelConfig::qemu_null()
        }
    }

    fn fill(buf: &mut DmaBuf<Model>, slba: u64) {
        for (i, w) in buf.as_mut_slice()[..512].chunks_mut(8).enumerate() {
            w.copy_from_slice(&pattern(slba, i as u64).to_le_bytes());
        }
    }

    fn holds(buf: &DmaBuf<Model>, slba: u64) -> bool {
        buf.as_slice()[..512]
            .chunks(8)
            .enumerate()
            .all(|(i, w)| u64::from_le_bytes(w.try_into().unwrap()) == pattern(slba, i as u64))
    }

    const QD: u64 = 16;

    /// One round on thread `t`'s own blocks: `QD` commands, writes and
    /// reads alternating, each tagged with its thread and block; every
    /// completion must be one of them, once, with the read data right.
    fn round(q: &mut QueueHandle<Model>, t: u64, r: u64) -> Result<(), String> {
        let lba = |i: u64| t * 10_000 + (r * QD + i) % 5_000;
        for i in 0..QD {
            let mut buf = q.alloc(512).map_err(|e| e.to_string())?;
            let cmd = if i % 2 == 0 {
                fill(&mut buf, lba(i));
                Write::new(1, lba(i), 0).build()
            } else {
                Read::new(1, lba(i), 0).build()
            };
            q.push(&cmd, Some(buf), t << 32 | i)
                .map_err(|e| format!("push: {}", e.into_error()))?;
        }
        q.submit(QD as u32).map_err(|e| e.to_string())?;
        let mut seen = 0u64;
        let mut bad = None;
        q.reap(|c| {
            let i = c.tag & 0xffff_ffff;
            let ok = c.tag >> 32 == t
                && i < QD
                && seen & 1 << i == 0
                && c.result.is_ok()
                && c.buf
                    .as_ref()
                    .is_some_and(|b| i % 2 == 0 || holds(b, lba(i)));
            seen |= 1 << i;
            if !ok {
                bad = Some(format!("thread {t} round {r}: {:#x} {:?}", c.tag, c.result));
            }
        });
        match bad {
            Some(b) => Err(b),
            None if seen != (1 << QD) - 1 => Err(format!("thread {t} round {r}: reaped {seen:#x}")),
            None => Ok(()),
        }
    }

    #[test]
    fn two_handles_on_two_threads_keep_to_their_queues_through_a_reset() {
        let opts = Options {
            io_queues: 2,
            ..Options::default()
        };
        let (c, model) = model::open(cfg(), opts).unwrap();
        assert_eq!(c.io_queues(), 2);
        let shared = c.into_shared();
        const HELD: u64 = 5;
        let sync = Arc::new(Barrier::new(3));
        let (tx, rx) = mpsc::channel();
        let workers: Vec<_> = (1..=2u64)
            .map(|t| {
                let mut q = shared.queue().unwrap();
                let (sync, tx) = (Arc::clone(&sync), tx.clone());
                std::thread::spawn(move || -> Result<(), String> {
                    // 1: verified I/O on both queues at once, while the
                    // main thread holds the controller lock.
                    for r in 0..100 {
                        round(&mut q, t, r)?;
                    }
                    tx.send(t).unwrap();
                    // 2: commands in flight (their completions lost) when
                    // the controller is reset.
                    sync.wait();
                    for i in 0..HELD {
                        let buf = q.alloc(512).unwrap();
                        q.push(
                            &Read::new(1, t * 10_000 + i, 0).build(),
                            Some(buf),
                            t << 32 | i,
                        )
                        .map_err(|e| format!("push: {}", e.into_error()))?;
                    }
                    q.submit(0).map_err(|e| e.to_string())?;
                    sync.wait();
                    sync.wait();
                    let mut back = Vec::new();
                    q.reap(|c| back.push((c.tag, c.result, c.buf.is_some())));
                    back.sort_by_key(|b| b.0);
                    for (i, (tag, result, buf)) in back.iter().enumerate() {
                        if *tag != t << 32 | i as u64
                            || !matches!(result, Err(Error::Aborted(_)))
                            || !buf
                        {
                            return Err(format!("thread {t} after the reset: {back:?}"));
                        }
                    }
                    if back.len() as u64 != HELD || q.in_flight() != 0 {
                        return Err(format!("thread {t}: {} back after the reset", back.len()));
                    }
                    // 3: the recreated queues work.
                    for r in 100..120 {
                        round(&mut q, t, r)?;
                    }
                    Ok(())
                })
            })
            .collect();
        {
            let held = shared.inner.ctrl.lock().unwrap();
            for _ in 0..2 {
                let got = rx.recv_timeout(Duration::from_secs(60));
                assert!(got.is_ok(), "a handle's I/O waited for the controller lock");
            }
            drop(held);
        }
        model.lose(0, 2 * HELD as u32);
        sync.wait();
        sync.wait();
        assert_eq!(
            model.held(),
            2 * HELD as usize,
            "both handles have commands in flight"
        );
        shared.reset().unwrap();
        sync.wait();
        for w in workers {
            w.join().unwrap().unwrap();
        }
        let s = shared.stats().unwrap();
        assert_eq!((s.resets, s.unexpected_cqes), (1, 0));
        let m = model.stats();
        assert_eq!((m.bad_writes, m.dma_faults), (0, 0));
        assert!(m.io_commands >= 2 * (120 * QD + HELD));
    }

    #[test]
    fn a_handles_lost_completion_is_aborted_by_the_controller_once_it_times_out() {
        let opts = Options {
            io_queues: 2,
            io_timeout: Duration::from_millis(30),
            ..Options::default()
        };
        let (c, model) = model::open(cfg(), opts).unwrap();
        let shared = c.into_shared();
        let (mut a, mut b) = (shared.queue().unwrap(), shared.queue().unwrap());
        model.lose(1, 1);
        for tag in 0..3 {
            let buf = a.alloc(512).unwrap();
            a.push(&Read::new(1, tag, 0).build(), Some(buf), tag)
                .map_err(|r| r.into_error())
                .unwrap();
        }
        a.submit(2).unwrap();
        assert_eq!((model.held(), a.in_flight()), (1, 3));
        // The other handle's queue goes on meanwhile.
        round(&mut b, 2, 0).unwrap();
        // Waiting for the lost one: its lane finds the deadline passed and
        // hands over to the controller, which sends Abort; the model
        // answers by completing it with Command Abort Requested.
        a.submit(3).unwrap();
        let mut got = Vec::new();
        a.reap(|r| got.push((r.tag, r.result.map(|_| ()))));
        got.sort_by_key(|g| g.0);
        match &got[..] {
            [(0, Ok(())), (1, Err(Error::Status(s))), (2, Ok(()))] => {
                assert!(s.matches_code(nvmeq_core::Status::ABORT_REQUESTED), "{s:?}")
            }
            other => panic!("{other:?}"),
        }
        let st = shared.stats().unwrap();
        assert_eq!((st.aborts, st.resets, model.held()), (1, 0, 0));
        round(&mut b, 2, 1).unwrap();
    }
}
