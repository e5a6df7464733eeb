//! [`Backend`] for [`Controller`]: `execute` through the bounce buffer; the
//! queue interface with caller-owned [`DmaBuf`]s, no syscalls, no allocation.

use std::time::Instant;

use nvmeq_core::backend::check_len;
use nvmeq_core::{
    AdminOpcode, Backend, Caps, Cmd, Completion, Data, DataDir, Error, IoBuf, QueueKind, Reaped,
    Rejected, Xfer,
};

use super::{Controller, PAGE};
use crate::dma::DmaBuf;

/// Admin opcodes that manage the queues this driver owns: a caller sending
/// them would pull queues out from under the driver.
const DRIVER_ONLY: [AdminOpcode; 5] = [
    AdminOpcode::DELETE_IO_SQ,
    AdminOpcode::CREATE_IO_SQ,
    AdminOpcode::DELETE_IO_CQ,
    AdminOpcode::CREATE_IO_CQ,
    AdminOpcode::DOORBELL_BUFFER_CONFIG,
];

impl Controller {
    /// Bytes `cmd` transfers, checked against the transfer limit; refuses
    /// commands this backend keeps for itself.
    fn xfer_len(&mut self, cmd: &Cmd) -> Result<u32, Error> {
        if cmd.queue == QueueKind::Admin && DRIVER_ONLY.contains(&AdminOpcode(cmd.sqe.opcode())) {
            return Err(Error::Unsupported(
                "queue creation, deletion and Doorbell Buffer Config: the VFIO driver owns the queues",
            ));
        }
        // What the entry's own fields (NLB, NUMD, a structure size) make the
        // device move, for the opcodes the core can size.
        let implied = Cmd::from_sqe(cmd.queue, cmd.sqe).map(|c| c.xfer);
        let blocks =
            matches!(cmd.xfer, Xfer::Blocks(_)) || matches!(implied, Some(Xfer::Blocks(_)));
        let lba = if blocks {
            self.lba_size(cmd.nsid())?
        } else {
            1
        };
        let len = cmd.xfer.bytes(lba).ok_or(Error::TransferTooLarge {
            len: cmd.xfer.bytes_u64(lba),
        })?;
        // A data command with nothing to move would still make the device
        // transfer (a Read of NLB 0 moves one block): refuse it.
        if len == 0 && cmd.dir != DataDir::None {
            return Err(Error::ZeroLength);
        }
        match implied.map(|x| x.bytes(lba)) {
            // Declaring less than the fields move would let the device run
            // past the PRPs (a 2-page PRP2 read as a list pointer).
            Some(Some(need)) if need > len => {
                return Err(Error::XferMismatch {
                    declared: len as u64,
                    implied: need as u64,
                })
            }
            Some(None) => {
                return Err(Error::TransferTooLarge {
                    len: implied.map_or(0, |x| x.bytes_u64(lba)),
                })
            }
            // Unknown (e.g. vendor specific) opcodes: any over-transfer hits
            // IOVA 0 and faults, except past a 2-page transfer, where PRP2
            // is a data page the device would read as a PRP list. An SGL
            // bounds the transfer itself (the device reports a length error).
            None if len as usize > PAGE
                && len as usize <= 2 * PAGE
                && !(cmd.queue == QueueKind::Io && self.sgl.is_some()) =>
            {
                return Err(Error::Unsupported(
                    "over VFIO, a 4-8 KiB transfer of an opcode whose size nvmeq cannot verify (vendor specific?): use one page or more than two",
                ))
            }
            _ => {}
        }
        if len > self.max_xfer {
            return Err(Error::AboveMdts {
                len: len as u64,
                max: self.max_xfer,
            });
        }
        Ok(len)
    }

    /// Queue index for `cmd`: the admin queue, or an I/O queue with room
    /// (round robin), or `None` when all are full.
    fn pick_queue(&mut self, kind: QueueKind) -> Option<usize> {
        match kind {
            QueueKind::Admin => (self.qs[0].free() > 0).then_some(0),
            QueueKind::Io => {
                let n = self.qs.len() - 1;
                for k in 0..n {
                    let qi = 1 + (self.next_io - 1 + k) % n;
                    if self.qs[qi].free() > 0 {
                        self.next_io = 1 + qi % n;
                        return Some(qi);
                    }
                }
                None
            }
        }
    }

    /// Rings every queue with written entries. Returns the number submitted.
    pub(super) fn submit_all(&mut self) -> u32 {
        let now = Instant::now();
        (0..self.qs.len()).map(|qi| self.ring(qi, now) as u32).sum()
    }

    fn busy(&self) -> usize {
        self.qs.iter().map(|q| q.slots.busy_count()).sum()
    }

    /// [`Backend::push`] for a transfer over `regions` of `buf`, in order:
    /// (offset, length) pairs inside the buffer that add up to the command's
    /// transfer length. With SGLs ([`crate::DataPointer`]) each region is a
    /// Data Block descriptor (one in DPTR, or a segment list in the slot's
    /// list page), at any offset the controller allows (SGLS 01b: any byte;
    /// 10b: dwords). With PRPs only the first region may start and only the
    /// last may end inside a page, and the first must start on a dword.
    /// The device touches only the regions: the rest of the buffer is left
    /// as it was. The whole buffer is owned by the command until reaped.
    pub fn push_regions(
        &mut self,
        cmd: &Cmd,
        buf: DmaBuf,
        regions: &[(usize, usize)],
        tag: u64,
    ) -> Result<(), Rejected<DmaBuf>> {
        self.push_inner(cmd, Some(buf), tag, Some(regions), false)
    }

    /// [`Backend::push`] for a command the caller declares safe to repeat:
    /// with [`crate::Options::retries`] set, a controller reset resubmits it
    /// (as it does reads) instead of completing it with an error. Admin and
    /// fused commands are never resubmitted.
    pub fn push_retryable(
        &mut self,
        cmd: &Cmd,
        buf: Option<DmaBuf>,
        tag: u64,
    ) -> Result<(), Rejected<DmaBuf>> {
        self.push_inner(cmd, buf, tag, None, true)
    }

    /// [`Backend::push`] with the buffer regions the transfer uses (its
    /// first bytes when `None`) and whether the caller marked the command
    /// safe to repeat.
    pub(super) fn push_inner(
        &mut self,
        cmd: &Cmd,
        buf: Option<DmaBuf>,
        tag: u64,
        regions: Option<&[(usize, usize)]>,
        marked: bool,
    ) -> Result<(), Rejected<DmaBuf>> {
        let reject = |buf, e| Err(Rejected::Invalid { error: e, buf });
        if let Some(why) = self.dead {
            return reject(buf, Error::Aborted(why));
        }
        let len = match self.xfer_len(cmd) {
            Ok(l) => l,
            Err(e) => return reject(buf, e),
        };
        if len > 0 {
            let Some(b) = &buf else {
                return reject(
                    buf,
                    Error::BufferMismatch {
                        expected: cmd.dir,
                        given: "no buffer",
                    },
                );
            };
            if regions.is_none() {
                if let Err(e) = check_len(len as u64, b.len()) {
                    return reject(buf, e);
                }
            }
            if !b.belongs_to(&self.space) {
                return reject(buf, Error::ForeignBuffer);
            }
        }
        // Back-pressure also when completions wait to be reaped: the reap
        // list's preallocated capacity bounds commands plus completions.
        if self.busy() + self.done.len() >= self.reap_cap {
            return Err(Rejected::Full(buf));
        }
        let Some(qi) = self.pick_queue(cmd.queue) else {
            return Err(Rejected::Full(buf));
        };
        let mut p = self.push_for(qi, &cmd.sqe, len as usize, regions, marked);
        p.tag = tag;
        self.qs[qi].make_cq_room(&self.bar, self.shadow.as_ref());
        match self.qs[qi].push(cmd.sqe, buf, &p) {
            Ok(_) => Ok(()),
            Err((buf, Some(error))) => Err(Rejected::Invalid { error, buf }),
            Err((buf, None)) => Err(Rejected::Full(buf)),
        }
    }
}

impl Backend for Controller {
    type Buf = DmaBuf;

    fn caps(&self) -> Caps {
        Caps {
            kind: nvmeq_core::BackendKind::Vfio,
            max_xfer: self.max_xfer,
            queue_depth: self.qs[1..].iter().map(|q| q.slots.len() as u32).sum(),
            admin: true,
            metadata: false,
        }
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        if let Some(&(_, lba)) = self.ns.iter().find(|(n, _)| *n == nsid) {
            return Ok(lba);
        }
        if nsid == 0 || nsid == u32::MAX {
            return Err(Error::UnknownNamespace(nsid));
        }
        // Not seen at open (attached since?): ask the controller.
        match self.identify_ns(nsid)? {
            Some(lba) => {
                self.ns.push((nsid, lba));
                Ok(lba)
            }
            None => Err(Error::UnknownNamespace(nsid)),
        }
    }

    fn alloc(&mut self, len: usize) -> Result<DmaBuf, Error> {
        DmaBuf::new(&self.space, len).map_err(|e| Error::Os {
            op: "VFIO_IOMMU_MAP_DMA",
            errno: e.raw_os_error().unwrap_or(libc::ENOMEM),
        })
    }

    fn execute(&mut self, cmd: &Cmd, data: Data<'_>) -> Result<Completion, Error> {
        if let Some(why) = self.dead {
            return Err(Error::Aborted(why));
        }
        let len = self.xfer_len(cmd)?;
        let n = data.check(cmd.dir, len as u64)? as usize;
        let mut bounce = self.take_bounce()?;
        if bounce.len() < n {
            self.bounce = Some(bounce);
            return Err(Error::AboveMdts {
                len: n as u64,
                max: self.max_xfer,
            });
        }
        match (&data, cmd.dir) {
            (Data::ToDevice(src), _) => bounce.as_mut_slice()[..n].copy_from_slice(&src[..n]),
            (Data::FromDevice(src), DataDir::Both) => {
                bounce.as_mut_slice()[..n].copy_from_slice(&src[..n])
            }
            _ => {}
        }
        // Wait for room on the queue the command goes to. Written commands
        // are submitted first: unsubmitted ones would never make room.
        let qi = loop {
            if let Some(qi) = self.pick_queue(cmd.queue) {
                break qi;
            }
            self.submit_all();
            self.poll_all();
            self.tick();
            if let Some(why) = self.dead {
                self.bounce = Some(bounce);
                return Err(Error::Aborted(why));
            }
            self.idle(None);
        };
        let timeout = if qi == 0 {
            self.opts.admin_timeout
        } else {
            self.opts.io_timeout
        };
        let mut p = self.push_for(qi, &cmd.sqe, n, None, false);
        p.sync = true;
        let (r, buf) = self.run_sync(qi, cmd.sqe, Some(bounce), &p, timeout);
        if let (Ok(_), Some(b), Data::FromDevice(dst)) = (&r, &buf, data) {
            dst[..n].copy_from_slice(&b.as_slice()[..n]);
        }
        self.bounce = buf;
        r
    }

    fn push(&mut self, cmd: &Cmd, buf: Option<DmaBuf>, tag: u64) -> Result<(), Rejected<DmaBuf>> {
        self.push_inner(cmd, buf, tag, None, false)
    }

    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        if let Some(why) = self.dead {
            return Err(Error::Aborted(why));
        }
        let n = self.submit_all();
        // Never wait for more completions than can still arrive.
        let target = (min_complete as usize).min(self.busy() + self.done.len());
        while self.done.len() < target {
            self.poll_all();
            if self.done.len() >= target {
                break;
            }
            self.tick();
            if self.dead.is_some() {
                // Every command was completed with an error by the reset.
                break;
            }
            self.idle(None);
        }
        Ok(n)
    }

    fn reap(&mut self, mut f: impl FnMut(Reaped<DmaBuf>)) -> usize {
        self.clear_io_interrupts();
        self.poll_all();
        let mut n = 0;
        while let Some(r) = self.done.pop_front() {
            f(r);
            n += 1;
        }
        n
    }

    fn in_flight(&self) -> u32 {
        (self.busy() + self.done.len()) as u32
    }

    /// MMIO doorbell writes: this backend makes no system call per I/O, and a
    /// doorbell write (a trap to the device) is its per-batch cost.
    fn syscalls(&self) -> Option<u64> {
        Some(self.qs.iter().map(|q| q.mmio_doorbells).sum())
    }
}
