//! The queue interface's inherent part: commands with metadata or
//! vectored data, owned by their in-flight slot until reaped.

use super::{buf_addr, Uring};
use nvmeq_core::{Cmd, Error, IoBuf, QueueKind, Reaped, Rejected};

use crate::buf::{CmdBufs, UringBuf};
use crate::iov;
use nvmeq_linux::uapi::NvmeUringCmd;

impl Uring {
    /// Queues a vectored command (`NVME_URING_CMD_IO_VEC` /
    /// `NVME_URING_CMD_ADMIN_VEC`) whose data is spread over `segments`, cut
    /// to exactly the command's length as in [`execute_vec`](nvmeq_core::Backend::execute_vec),
    /// with an optional separate metadata buffer.
    ///
    /// The segments, the metadata buffer and the iovec array (preallocated in
    /// the in-flight slot) stay owned by the queue until
    /// [`reap_all`](Self::reap_all) hands the buffers back; nothing is
    /// allocated per command (the `Vec` is moved, and handed back for reuse).
    /// A full queue hands everything back as [`Rejected::Full`].
    pub fn push_vec(
        &mut self,
        cmd: &Cmd,
        segments: Vec<UringBuf>,
        metadata: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<CmdBufs>> {
        let bufs = CmdBufs {
            data: None,
            segments,
            metadata,
        };
        self.push_bufs(cmd, bufs, true, tag)
    }

    /// Hands every ready completion to `f` with all the buffers its command
    /// owned (data, segments, metadata), without a syscall. Use this instead
    /// of [`Backend::reap`](nvmeq_core::Backend::reap) when commands were
    /// queued with [`push_vec`](Self::push_vec): `Backend::reap` returns the
    /// data and metadata buffers but drops the segments (after the
    /// completion, so safely, but the caller loses them).
    pub fn reap_all(&mut self, mut f: impl FnMut(Reaped<CmdBufs>)) -> usize {
        self.io.reap(|tag, result, bufs| {
            f(Reaped {
                tag,
                result,
                buf: bufs.map(std::mem::take),
                meta: None,
            })
        })
    }

    /// The one queued path: plans and checks the command, moves the buffers
    /// into a free slot (each field into place: a plain command's empty
    /// segment list is not moved), encodes the SQE and writes it to the SQ.
    #[inline]
    pub(super) fn push_bufs(
        &mut self,
        cmd: &Cmd,
        bufs: CmdBufs,
        vectored: bool,
        tag: u64,
    ) -> Result<(), Rejected<CmdBufs>> {
        let reject = |bufs, e| {
            Err(Rejected::Invalid {
                error: e,
                buf: Some(bufs),
            })
        };
        let (need, meta_need) = match self.plan(cmd, bufs.metadata.is_some()) {
            Ok(n) => n,
            Err(e) => return reject(bufs, e),
        };
        if cmd.queue == QueueKind::Admin && self.admin_ring.is_some() {
            return reject(
                bufs,
                Error::Unsupported(
                    "admin commands cannot be queued on an IOPOLL ring (the controller \
                     device does not poll); use execute",
                ),
            );
        }
        let (file, cmd_op) = match self.file_for(cmd.queue, vectored) {
            Ok(f) => f,
            Err(e) => return reject(bufs, e),
        };
        if vectored && need == 0 {
            return reject(bufs, Error::ZeroLength);
        }
        if !vectored && need > 0 {
            let Some(b) = &bufs.data else {
                return reject(
                    bufs,
                    Error::BufferMismatch {
                        expected: cmd.dir,
                        given: "no buffer",
                    },
                );
            };
            if let Err(e) = nvmeq_core::backend::check_len(need as u64, b.len()) {
                return reject(bufs, e);
            }
        }
        if meta_need > 0 {
            let have = bufs.metadata.as_ref().map_or(0, |m| m.len());
            if let Err(e) = nvmeq_core::backend::check_len(meta_need as u64, have) {
                return reject(bufs, e);
            }
        }
        let (target, timeout_ms) = (self.target, self.timeout_ms);
        // The buffers move into the slot; their memory does not move.
        let Some((ud, owned, iov)) = self.io.slab.insert_with(tag) else {
            return Err(Rejected::Full(Some(bufs)));
        };
        let CmdBufs {
            data,
            segments,
            metadata,
        } = bufs;
        owned.data = data;
        owned.metadata = metadata;
        let (addr, data_len, fixed) = if vectored {
            owned.segments = segments;
            let segs = owned.segments.iter_mut().map(|b| {
                let s = b.as_mut_slice();
                (s.as_mut_ptr() as usize, s.len())
            });
            let limits = self.limits.filter(|_| cmd.queue == QueueKind::Io);
            match iov::fill_iovecs(iov, segs, need)
                .and_then(|n| iov::check_mapping(&iov[..n], limits).map(|()| n))
            {
                // Registered segments go as plain memory: the kernel refuses
                // IORING_URING_CMD_FIXED on vectored commands.
                Ok(n) => (iov.as_ptr() as u64, n as u32, None),
                Err(e) => {
                    let buf = self.io.slab.cancel_insert(ud);
                    return Err(Rejected::Invalid { error: e, buf });
                }
            }
        } else {
            // A plain command's list is empty (`Backend::push` makes it
            // with `Vec::new()`); one that is not is kept, never given to
            // the kernel, and handed back with the completion.
            if segments.capacity() != 0 {
                owned.segments = segments;
            } else {
                // No allocation and no elements: nothing to drop.
                std::mem::forget(segments);
            }
            match (&mut owned.data, need) {
                (Some(b), n) if n > 0 => {
                    let (a, fixed) = buf_addr(self.pool.as_ref(), b);
                    (a, n, fixed)
                }
                _ => (0, 0, None),
            }
        };
        let maddr = match (&mut owned.metadata, meta_need) {
            (Some(m), n) if n > 0 => m.as_mut_slice().as_mut_ptr() as u64,
            _ => 0,
        };
        let mut ucmd = NvmeUringCmd::from_command(&cmd.sqe, addr, data_len);
        ucmd.metadata = maddr;
        ucmd.metadata_len = meta_need;
        ucmd.timeout_ms = timeout_ms;
        let entry = Self::entry(target, file, cmd_op, &ucmd, fixed, ud.encode());
        // SAFETY: every buffer `ucmd` names (data, metadata, the segments in
        // the iovec array) and the iovec array itself are owned by slot `ud`
        // until reap takes this command's completion (or drop waits for it);
        // each length was checked against its buffer and cut to the command's.
        if !unsafe { self.io.push(&entry) } {
            let buf = self.io.slab.cancel_insert(ud);
            return Err(Rejected::Full(buf));
        }
        Ok(())
    }
}
