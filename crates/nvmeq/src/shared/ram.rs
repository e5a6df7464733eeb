//! [`RamQueue`]: a queue of its own over an in-memory controller that
//! several threads share.
//!
//! The controller runs every command synchronously, so a handle keeps its
//! pushed commands itself and runs them all inside one lock of the
//! controller at `submit`; its completions never mix with another handle's.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use nvmeq_core::sync_queue::{self, Queued, SyncQueue};
use nvmeq_core::{Backend, Caps, Cmd, Completion, Data, Error, Reaped, Rejected, WithMeta};
use nvmeq_ram::{RamBuf, RamController};

/// Storage sized once, at the queue depth: pushing within it allocates nothing.
#[derive(Debug)]
struct Fifo<T>(VecDeque<T>);

impl<T> sync_queue::Fifo<T> for Fifo<T> {
    fn push_back(&mut self, t: T) -> Result<(), T> {
        self.0.push_back(t);
        Ok(())
    }
    fn pop_front(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

const POISONED: Error =
    Error::Aborted("another thread panicked while it held the in-memory controller");

/// One thread's queue over a shared [`RamController`] (from
/// [`SharedDevice::queue`](super::SharedDevice::queue)).
#[derive(Debug)]
pub struct RamQueue {
    ctrl: Arc<Mutex<RamController>>,
    caps: Caps,
    queue: SyncQueue<RamBuf, Fifo<Queued<RamBuf>>, Fifo<Reaped<RamBuf>>>,
}

impl RamQueue {
    pub(super) fn new(ctrl: Arc<Mutex<RamController>>) -> RamQueue {
        let caps = ctrl.lock().unwrap_or_else(|p| p.into_inner()).caps();
        let depth = caps.queue_depth;
        RamQueue {
            ctrl,
            caps,
            queue: SyncQueue::new(
                Fifo(VecDeque::with_capacity(depth as usize)),
                Fifo(VecDeque::with_capacity(depth as usize)),
                depth,
            ),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, RamController>, Error> {
        self.ctrl.lock().map_err(|_| POISONED)
    }
}

/// The whole buffer's length: the controller checks it against the command
/// when it runs the command (a short buffer fails that command, at reap).
fn len_of(b: &Option<RamBuf>) -> u32 {
    b.as_ref()
        .map_or(0, |b| b.0.len().min(u32::MAX as usize) as u32)
}

impl Backend for RamQueue {
    type Buf = RamBuf;

    fn caps(&self) -> Caps {
        self.caps
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.lock()?.lba_size(nsid)
    }

    fn alloc(&mut self, len: usize) -> Result<RamBuf, Error> {
        Ok(RamBuf::zeroed(len))
    }

    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        self.lock()?.execute_with(cmd, data, meta)
    }

    fn push(&mut self, cmd: &Cmd, buf: Option<RamBuf>, tag: u64) -> Result<(), Rejected<RamBuf>> {
        let len = len_of(&buf);
        self.queue.push(cmd, buf, tag, len)
    }

    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<RamBuf>,
        meta: Option<RamBuf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<RamBuf>>> {
        let (len, meta_len) = (len_of(&data), len_of(&meta));
        self.queue.push_with(cmd, data, meta, tag, len, meta_len)
    }

    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.queue.check_wait(min_complete)?;
        let RamQueue { ctrl, queue, .. } = self;
        let mut c = ctrl.lock().map_err(|_| POISONED)?;
        Ok(queue.run_pending_with(|cmd, data, meta| c.execute_with(cmd, data, meta)))
    }

    fn reap(&mut self, f: impl FnMut(Reaped<RamBuf>)) -> usize {
        self.queue.reap(f)
    }

    fn in_flight(&self) -> u32 {
        self.queue.in_flight()
    }
}
