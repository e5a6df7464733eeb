//! [`Backend`] for [`Uring`].

use super::Uring;
use nvmeq_core::{
    Backend, Caps, Cmd, Completion, Data, Error, Reaped, Rejected, VecData, WithMeta,
};

use crate::buf::{CmdBufs, UringBuf};

/// How long a polled wait goes on without a single completion before it
/// gives up, when no command timeout is set: beyond Linux's default I/O
/// timeout (30 s), after which the kernel itself would have failed the command.
const IOPOLL_STALL_MS: u32 = 60_000;

impl Backend for Uring {
    type Buf = UringBuf;

    fn caps(&self) -> Caps {
        self.caps
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.ns_format(nsid).map(|f| f.block_bytes)
    }

    /// A registered buffer when the ring has a pool with a free buffer large
    /// enough, else a page-aligned heap buffer.
    fn alloc(&mut self, len: usize) -> Result<UringBuf, Error> {
        if let Some(b) = self.pool.as_ref().and_then(|p| p.take(len)) {
            return Ok(UringBuf::Fixed(b));
        }
        Ok(UringBuf::zeroed(len))
    }

    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        self.execute_meta(cmd, data, meta)
    }

    fn execute_vec(
        &mut self,
        cmd: &Cmd,
        data: VecData<'_, '_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        self.execute_segments(cmd, data, meta)
    }

    #[inline]
    fn push(
        &mut self,
        cmd: &Cmd,
        buf: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<UringBuf>> {
        let bufs = CmdBufs {
            data: buf,
            segments: Vec::new(),
            metadata: None,
        };
        self.push_bufs(cmd, bufs, false, tag).map_err(|r| match r {
            Rejected::Full(b) => Rejected::Full(b.and_then(|b| b.data)),
            Rejected::Invalid { error, buf } => Rejected::Invalid {
                error,
                buf: buf.and_then(|b| b.data),
            },
        })
    }

    /// Queues a command with its data buffer and a separate metadata buffer;
    /// [`reap`](Backend::reap) returns both.
    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<UringBuf>,
        meta: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<UringBuf>>> {
        let bufs = CmdBufs {
            data,
            segments: Vec::new(),
            metadata: meta,
        };
        self.push_bufs(cmd, bufs, false, tag).map_err(|r| {
            r.map_buf(|b| WithMeta {
                data: b.data,
                meta: b.metadata,
            })
        })
    }

    /// One `io_uring_enter` that submits every pushed command and waits for
    /// `min_complete` completions. With IOPOLL this is also what polls the
    /// device, so call it (with 0) to make completions appear.
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        let in_flight = self.io.slab.in_use();
        if min_complete as usize > in_flight {
            return Err(Error::WaitExceedsInFlight {
                want: min_complete,
                in_flight: in_flight as u32,
            });
        }
        let want = (min_complete as usize).saturating_sub(self.io.ready());
        // Nothing to submit or wait for on an interrupt-driven ring: its
        // completions are posted without entering, so a spinning caller's
        // `submit(0)` costs no syscall.
        if want == 0 && self.io.ring.sq().is_empty() {
            // Deferred or cooperative task work is flagged in the SQ ring
            // (set up with IORING_SETUP_TASKRUN_FLAG): without it pending,
            // entering would find nothing to complete. IOPOLL must enter to
            // poll the device.
            let nothing_pending = match (self.iopoll, self.enter_to_complete) {
                (true, _) => false,
                (false, false) => true,
                (false, true) => !self.io.ring.sq().taskrun(),
            };
            if nothing_pending {
                return Ok(0);
            }
        }
        // On an IOPOLL ring even `want == 0` enters with GETEVENTS (the
        // io-uring crate sets it for IOPOLL rings): one poll of the device,
        // which is how a spinning caller's completions appear.
        let submitted = self.io.submit(want)?;
        // With IOPOLL the kernel stops waiting when nothing is on its poll
        // list: a command it had to punt to a worker (e.g. one whose segments
        // are bounced) joins the list only once issued. Poll again until the
        // completions asked for are there.
        // A wait in which no completion comes for longer than a command may
        // take (the kernel's own timeout, else `IOPOLL_STALL_MS`) ends with a
        // timeout rather than spinning for ever.
        let mut last = usize::MAX;
        let mut since = None;
        while self.iopoll {
            let ready = self.io.ready();
            if ready >= min_complete as usize {
                break;
            }
            if ready != last {
                (last, since) = (ready, None);
            }
            let ms = match self.timeout_ms {
                0 => IOPOLL_STALL_MS,
                t => t,
            };
            let stalled = since.get_or_insert_with(std::time::Instant::now).elapsed();
            if stalled.as_millis() > u128::from(ms) {
                return Err(Error::Timeout { ms });
            }
            self.io.submit(min_complete as usize - ready)?;
        }
        Ok(submitted as u32)
    }

    /// Hands out completions with their data and metadata buffers. The
    /// segments of commands queued with [`Uring::push_vec`] are dropped here
    /// (after their completion); use [`Uring::reap_all`] to get them back.
    #[inline]
    fn reap(&mut self, mut f: impl FnMut(Reaped<UringBuf>)) -> usize {
        self.io.reap(|tag, result, bufs| {
            let (buf, meta) = match bufs {
                Some(b) => {
                    // Only vectored commands have segments; the kernel is
                    // done with them, so they go now.
                    if b.segments.capacity() != 0 {
                        drop(std::mem::take(&mut b.segments));
                    }
                    (b.data.take(), b.metadata.take())
                }
                None => (None, None),
            };
            f(Reaped {
                tag,
                result,
                buf,
                meta,
            })
        })
    }

    fn in_flight(&self) -> u32 {
        self.io.slab.in_use() as u32
    }

    /// `io_uring_enter` calls so far (both rings; `push` and `reap` make none).
    fn syscalls(&self) -> Option<u64> {
        Some(self.io.enters + self.admin_ring.as_ref().map_or(0, |a| a.enters))
    }
}
