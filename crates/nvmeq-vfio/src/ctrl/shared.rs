//! One controller, several threads: [`Controller::into_shared`] hands the
//! controller to a [`SharedController`], whose [`queue`](SharedController::queue)
//! gives out [`QueueHandle`]s. Each handle owns one of the controller's I/O
//! queue pairs (its SQ, its CQ and, with interrupts, its MSI-X vector): its
//! commands go to that queue only and it reaps that queue's completions
//! only, so handles on different threads never see each other's commands.
//! The controller itself (registers, admin queue, recovery) sits behind one
//! lock that a handle takes per call; a handle waiting for completions
//! waits outside it. The controller stays up while the `SharedController`
//! or any handle lives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use nvmeq_core::{
    Backend, Caps, Cmd, Completion, Data, Error, QueueKind, Reaped, Rejected, WithMeta,
};

use super::backend::{data_only, Placement, Scope};
use super::{Controller, NAP};
use crate::dma::DmaBuf;
use crate::error::OpenError;
use crate::irq::Irqs;

struct Shared {
    ctrl: Mutex<Controller>,
    /// `taken[qi]`: whether I/O queue `qs[qi]` has a handle (index 0, the
    /// admin queue, is never handed out).
    taken: Vec<AtomicBool>,
    bdf: String,
    irqs: Option<Arc<Irqs>>,
}

const POISONED: Error = Error::Aborted("another thread panicked while it held the controller");

impl Shared {
    fn lock(&self) -> Result<MutexGuard<'_, Controller>, Error> {
        self.ctrl.lock().map_err(|_| POISONED)
    }
}

/// A controller whose I/O queues are handed out to threads as
/// [`QueueHandle`]s (see [`Controller::into_shared`]).
#[derive(Clone)]
pub struct SharedController {
    inner: Arc<Shared>,
}

impl std::fmt::Debug for SharedController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedController")
            .field("bdf", &self.inner.bdf)
            .field("io_queues", &(self.inner.taken.len() - 1))
            .finish()
    }
}

impl Controller {
    /// Shares the controller between threads: each [`SharedController::queue`]
    /// call hands out one of its [`io_queues`](Controller::io_queues) (open
    /// with [`Options::io_queues`](crate::Options::io_queues) set to the
    /// number of threads). Commands still in flight on the controller's own
    /// queue interface are waited for first, so every queue starts empty.
    pub fn into_shared(mut self) -> SharedController {
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
        SharedController {
            inner: Arc::new(Shared {
                ctrl: Mutex::new(self),
                taken,
                bdf,
                irqs,
            }),
        }
    }

    /// A handle's submit: rings its queue, and waits for `min_complete`
    /// completions of that queue, taking the lock only to poll.
    fn submit_queue(shared: &Shared, qi: usize, min_complete: u32) -> Result<u32, Error> {
        let (n, target) = {
            let mut c = shared.lock()?;
            if let Some(why) = c.dead {
                return Err(Error::Aborted(why));
            }
            let n = c.ring(qi, Instant::now()) as u32;
            let pending = c.qs[qi].slots.busy_count() + c.done[qi].len();
            (n, (min_complete as usize).min(pending))
        };
        loop {
            {
                let mut c = shared.lock()?;
                if c.done[qi].len() >= target {
                    break;
                }
                c.poll_queue(qi);
                if c.done[qi].len() >= target {
                    break;
                }
                c.tick();
                if c.dead.is_some() {
                    // The reset completed every command with an error.
                    break;
                }
            }
            // Outside the lock, so the other handles' threads go on.
            match &shared.irqs {
                // A vector that fired since it was last cleared may stand
                // for a completion not polled yet: poll again first.
                Some(irqs) if !irqs.clear(qi) => {
                    irqs.wait(qi, NAP);
                }
                Some(_) => {}
                None => std::hint::spin_loop(),
            }
        }
        Ok(n)
    }
}

impl SharedController {
    /// A handle on the next I/O queue nobody holds. Fails when every I/O
    /// queue has one.
    pub fn queue(&self) -> Result<QueueHandle, OpenError> {
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
        Ok(self.inner.lock()?.stats())
    }
}

/// One I/O queue pair of a [`SharedController`], for one thread: a
/// [`Backend`] whose queue interface uses that queue alone, and whose
/// `execute` runs I/O commands on it (admin commands on the shared admin
/// queue). Dropping it waits for its commands still in flight.
///
/// `reap` runs its closure with the controller held, so the closure must not
/// call into another handle of the same controller (that would wait for
/// itself); collect the completions and act on them after `reap` returns.
pub struct QueueHandle {
    inner: Arc<Shared>,
    qi: usize,
}

impl std::fmt::Debug for QueueHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueHandle")
            .field("bdf", &self.inner.bdf)
            .field("queue", &self.qi)
            .finish()
    }
}

impl QueueHandle {
    /// The I/O queue's index among the controller's queues (1 is the first
    /// I/O queue; its queue ID is the same number).
    pub fn queue_index(&self) -> usize {
        self.qi
    }

    fn lock(&self) -> Result<MutexGuard<'_, Controller>, Error> {
        self.inner.lock()
    }
}

/// Queued admin commands would complete into the admin queue's list, which
/// no handle reaps.
const ADMIN_QUEUED: Error =
    Error::Unsupported("a queue handle queues I/O commands only: run admin commands with execute");

impl Backend for QueueHandle {
    type Buf = DmaBuf;

    fn caps(&self) -> Caps {
        match self.lock() {
            Ok(c) => Caps {
                queue_depth: c.qs[self.qi].slots.len() as u32,
                ..c.caps()
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
        self.lock()?.lba_size(nsid)
    }

    fn alloc(&mut self, len: usize) -> Result<DmaBuf, Error> {
        self.lock()?.alloc(len)
    }

    /// Runs the command on this handle's queue (admin commands on the admin
    /// queue), holding the controller until it completes.
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        self.lock()?
            .execute_in(Scope::Queue(self.qi), cmd, data, meta)
    }

    fn push(&mut self, cmd: &Cmd, buf: Option<DmaBuf>, tag: u64) -> Result<(), Rejected<DmaBuf>> {
        data_only(self.push_with(cmd, buf, None, tag))
    }

    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<DmaBuf>,
        meta: Option<DmaBuf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<DmaBuf>>> {
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
        match self.inner.lock() {
            Ok(mut c) => c.push_inner(cmd, data, meta, tag, Placement::on(Scope::Queue(self.qi))),
            Err(e) => refuse(e, data, meta),
        }
    }

    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        Controller::submit_queue(&self.inner, self.qi, min_complete)
    }

    fn reap(&mut self, mut f: impl FnMut(Reaped<DmaBuf>)) -> usize {
        let Ok(mut c) = self.lock() else { return 0 };
        if let Some(irqs) = &self.inner.irqs {
            irqs.clear(self.qi);
        }
        c.poll_queue(self.qi);
        let mut n = 0;
        while let Some(r) = c.done[self.qi].pop_front() {
            f(r);
            n += 1;
        }
        n
    }

    fn in_flight(&self) -> u32 {
        self.lock().map_or(0, |c| {
            (c.qs[self.qi].slots.busy_count() + c.done[self.qi].len()) as u32
        })
    }

    /// This queue's MMIO doorbell writes.
    fn syscalls(&self) -> Option<u64> {
        self.lock().ok().map(|c| c.qs[self.qi].mmio_doorbells)
    }
}

impl Drop for QueueHandle {
    /// Waits for the queue's commands in flight (their buffers are the
    /// queue's until they complete), drops their completions, and gives the
    /// queue back for another handle.
    fn drop(&mut self) {
        let qi = self.qi;
        loop {
            let Ok(mut c) = self.inner.lock() else { break };
            c.ring(qi, Instant::now());
            c.poll_queue(qi);
            c.done[qi].clear();
            if c.qs[qi].slots.busy_count() == 0 || c.dead.is_some() {
                break;
            }
            c.tick();
            drop(c);
            match &self.inner.irqs {
                Some(irqs) if !irqs.clear(qi) => {
                    irqs.wait(qi, NAP);
                }
                Some(_) => {}
                None => std::hint::spin_loop(),
            }
        }
        self.inner.taken[qi].store(false, Ordering::Release);
    }
}
