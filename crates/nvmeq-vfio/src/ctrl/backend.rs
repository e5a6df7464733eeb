//! [`Backend`] for [`Controller`]: `execute` through the bounce buffer; the
//! queue interface with caller-owned [`DmaBuf`]s, no syscalls, no allocation.

use std::sync::Arc;
use std::time::Instant;

use nvmeq_core::backend::check_len;
use nvmeq_core::format::{self, NsFormat};
use nvmeq_core::{
    AdminOpcode, Backend, Caps, Cmd, Completion, Data, DataDir, Error, IoBuf, NvmOpcode, QueueKind,
    Reaped, Rejected, WithMeta, Xfer,
};

use super::{Controller, PAGE};
use crate::dma::{DmaBuf, DmaSpace};
use crate::platform::Platform;

/// Admin opcodes that manage the queues this driver owns: a caller sending
/// them would pull queues out from under the driver.
const DRIVER_ONLY: [AdminOpcode; 5] = [
    AdminOpcode::DELETE_IO_SQ,
    AdminOpcode::CREATE_IO_SQ,
    AdminOpcode::DELETE_IO_CQ,
    AdminOpcode::CREATE_IO_CQ,
    AdminOpcode::DOORBELL_BUFFER_CONFIG,
];

/// The queues one call serves: every queue (the [`Controller`]'s own
/// [`Backend`]), or one [`QueueHandle`](crate::QueueHandle)'s I/O queue
/// (index into `qs`; admin commands still use the admin queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Queue(usize),
}

/// How [`Controller::push_inner`] places a command: the buffer regions the
/// transfer uses (its first bytes when `None`), whether the caller marked
/// it safe to repeat, and the queues it may go to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement<'a> {
    pub regions: Option<&'a [(usize, usize)]>,
    pub marked: bool,
    pub scope: Scope,
}

impl Placement<'_> {
    /// A plain command on any queue of `scope`.
    pub(crate) const fn on(scope: Scope) -> Self {
        Placement {
            regions: None,
            marked: false,
            scope,
        }
    }
}

/// [`Controller::xfer_len`] of the common I/O command decided in a few
/// comparisons: a Read or Write on the I/O queue in the opcode's
/// direction, declaring the NLB of its entry, on a namespace of `ns`
/// whose format has neither separate metadata nor PI, without a metadata
/// buffer, within `max_xfer`. The full path gives the same length for it
/// (the fields imply exactly the declared blocks, no metadata moves);
/// `None` sends everything else, errors included, through the full checks.
#[inline]
pub(super) fn plain_rw_len(
    ns: &[(u32, NsFormat)],
    max_xfer: u32,
    cmd: &Cmd,
    has_meta: bool,
) -> Option<u32> {
    let Xfer::Blocks(n) = cmd.xfer else {
        return None;
    };
    let dir = match NvmOpcode(cmd.sqe.opcode()) {
        NvmOpcode::READ => DataDir::FromDevice,
        NvmOpcode::WRITE => DataDir::ToDevice,
        _ => return None,
    };
    if cmd.queue != QueueKind::Io || cmd.dir != dir || has_meta || n != (cmd.sqe.cdw12 & 0xffff) + 1
    {
        return None;
    }
    let nsid = cmd.nsid();
    let &(_, f) = ns.iter().find(|(id, _)| *id == nsid)?;
    if f.meta_bytes != 0 || f.pi.is_some() {
        return None;
    }
    let len = n.checked_mul(f.block_bytes)?;
    (len > 0 && len <= max_xfer).then_some(len)
}

/// The buffers of a command that moves `len` data bytes (over `regions`
/// of the buffer, or its first `len` bytes) and `meta_len` metadata bytes,
/// checked before they are handed to the device: present when needed,
/// long enough, and mapped in this controller's IOMMU space.
#[inline]
pub(super) fn check_bufs<P: Platform>(
    space: &Arc<DmaSpace<P>>,
    cmd: &Cmd,
    len: u32,
    meta_len: u32,
    regions: Option<&[(usize, usize)]>,
    buf: &Option<DmaBuf<P>>,
    meta: &Option<DmaBuf<P>>,
) -> Result<(), Error> {
    if len > 0 {
        let Some(b) = buf else {
            return Err(Error::BufferMismatch {
                expected: cmd.dir,
                given: "no buffer",
            });
        };
        if regions.is_none() {
            check_len(len as u64, b.len())?;
        }
        if !b.belongs_to(space) {
            return Err(Error::ForeignBuffer);
        }
    }
    if let Some(m) = meta {
        check_len(meta_len as u64, m.len())?;
        if !m.belongs_to(space) {
            return Err(Error::ForeignBuffer);
        }
    }
    Ok(())
}

/// Data bytes per block and separate metadata bytes that `cmd` moves on a
/// namespace of format `fmt`, from what the entry's own fields make the
/// device move (its NLB, for the opcodes the core can size; else the
/// declared block count), honouring PRACT ([`format::plan`]): with PRACT on
/// a format whose metadata is only PI, neither buffer carries any.
/// `decoded` is [`Cmd::from_sqe`] of the entry, which the caller has made.
fn sizes(cmd: &Cmd, decoded: Option<Cmd>, fmt: NsFormat) -> Result<(u32, u32), Error> {
    let sizing = match decoded {
        Some(c) if matches!(c.xfer, Xfer::Blocks(_)) => Some(c),
        _ if cmd.queue == QueueKind::Io => Some(*cmd),
        _ => None,
    };
    match sizing {
        Some(
            c @ Cmd {
                xfer: Xfer::Blocks(n @ 1..),
                ..
            },
        ) => {
            // Planned as if a metadata buffer were given when the format
            // has separate metadata: only the sizes are wanted here; whether
            // the caller has one is checked last (`check_meta`), after the
            // data checks. Without separate metadata a buffer could only be
            // refused (MetadataForbidden, then planned again without one),
            // so that plan is made at once.
            let with = fmt.meta_bytes != 0;
            let p = match format::plan(&c, Some(fmt), u32::MAX, with) {
                Err(Error::MetadataForbidden) if with => {
                    format::plan(&c, Some(fmt), u32::MAX, false)?
                }
                p => p?,
            };
            Ok((p.data / n, p.meta))
        }
        _ => Ok((fmt.block_bytes, 0)),
    }
}

/// The metadata buffer's presence against what the command moves:
/// [`Error::MetadataRequired`] when it moves metadata and none was given
/// (the device would use MPTR 0), [`Error::MetadataForbidden`] for a buffer
/// it would not use.
fn check_meta(meta_len: u32, has_meta: bool) -> Result<(), Error> {
    match (meta_len, has_meta) {
        (0, true) => Err(Error::MetadataForbidden),
        (1.., false) => Err(Error::MetadataRequired),
        _ => Ok(()),
    }
}

/// [`sizes`], then [`check_meta`].
#[cfg(test)]
fn block_sizes(cmd: &Cmd, fmt: NsFormat, has_meta: bool) -> Result<(u32, u32), Error> {
    let (lba, meta) = sizes(cmd, Cmd::from_sqe(cmd.queue, cmd.sqe), fmt)?;
    check_meta(meta, has_meta)?;
    Ok((lba, meta))
}

impl<P: Platform> Controller<P> {
    /// The current format of namespace `nsid` (learnt at open, or from
    /// Identify Namespace on first use after a format change).
    pub fn ns_format(&mut self, nsid: u32) -> Result<NsFormat, Error> {
        if let Some(&(_, f)) = self.ns.iter().find(|(n, _)| *n == nsid) {
            return Ok(f);
        }
        if nsid == 0 || nsid == u32::MAX {
            return Err(Error::UnknownNamespace(nsid));
        }
        // Not seen at open (attached since?): ask the controller.
        match self.identify_ns(nsid)? {
            Some(f) => {
                self.ns.push((nsid, f));
                Ok(f)
            }
            None => Err(Error::UnknownNamespace(nsid)),
        }
    }

    /// Forgets the namespace formats learnt so far; each is asked for again
    /// (Identify Namespace) the next time a command needs it.
    pub fn forget_formats(&mut self) {
        self.ns.clear();
    }

    /// Bytes `cmd` transfers in its data and separate metadata buffers,
    /// checked against the transfer limit and the namespace format (`has_meta`:
    /// whether the caller gave a metadata buffer); refuses commands this
    /// backend keeps for itself.
    fn xfer_len(&mut self, cmd: &Cmd, has_meta: bool) -> Result<(u32, u32), Error> {
        match self.plain_rw_len(cmd, has_meta) {
            Some(len) => Ok((len, 0)),
            None => self.xfer_len_checked(cmd, has_meta),
        }
    }

    /// [`Controller::xfer_len`] for every command: the full checks.
    fn xfer_len_checked(&mut self, cmd: &Cmd, has_meta: bool) -> Result<(u32, u32), Error> {
        if cmd.queue == QueueKind::Admin && DRIVER_ONLY.contains(&AdminOpcode(cmd.sqe.opcode())) {
            return Err(Error::Unsupported(
                "queue creation, deletion and Doorbell Buffer Config: the VFIO driver owns the queues",
            ));
        }
        // What the entry's own fields (NLB, NUMD, a structure size) make the
        // device move, for the opcodes the core can size.
        let decoded = Cmd::from_sqe(cmd.queue, cmd.sqe);
        let implied = decoded.map(|c| c.xfer);
        let blocks =
            matches!(cmd.xfer, Xfer::Blocks(_)) || matches!(implied, Some(Xfer::Blocks(_)));
        let (lba, meta) = if blocks {
            let fmt = self.ns_format(cmd.nsid())?;
            sizes(cmd, decoded, fmt)?
        } else {
            (1, 0)
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
        check_meta(meta, has_meta)?;
        Ok((len, meta))
    }

    #[inline]
    fn plain_rw_len(&self, cmd: &Cmd, has_meta: bool) -> Option<u32> {
        plain_rw_len(&self.ns, self.max_xfer, cmd, has_meta)
    }

    /// Queue index for `cmd`: the admin queue, or an I/O queue with room
    /// (round robin), or `None` when all are full.
    #[inline]
    fn pick_queue(&mut self, kind: QueueKind, scope: Scope) -> Option<usize> {
        match (kind, scope) {
            (QueueKind::Admin, _) => (self.qs[0].free() > 0).then_some(0),
            (QueueKind::Io, Scope::Queue(qi)) => (self.qs[qi].free() > 0).then_some(qi),
            (QueueKind::Io, Scope::All) => {
                let n = self.qs.len() - 1;
                // One I/O queue (one job, the bench's case): no round robin,
                // and no division per command.
                if n == 1 {
                    return (self.qs[1].free() > 0).then_some(1);
                }
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

    /// [`Backend::execute_with`] on the queues of `scope`.
    pub(crate) fn execute_in(
        &mut self,
        scope: Scope,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        if let Some(why) = self.dead {
            return Err(Error::Aborted(why));
        }
        let (len, meta_len) = self.xfer_len(cmd, !meta.is_empty())?;
        let n = data.check(cmd.dir, len as u64)? as usize;
        let mn = meta.check(cmd.dir, meta_len as u64)? as usize;
        let mut mbounce = match self.meta_bounce.take() {
            _ if mn == 0 => None,
            Some(b) if b.len() >= mn => Some(b),
            _ => Some(DmaBuf::new(&self.space, mn).map_err(|e| Error::Os {
                op: "VFIO_IOMMU_MAP_DMA",
                errno: e.raw_os_error().unwrap_or(libc::ENOMEM),
            })?),
        };
        let mut bounce = self.take_bounce()?;
        if bounce.len() < n {
            self.bounce = Some(bounce);
            self.meta_bounce = mbounce;
            return Err(Error::AboveMdts {
                len: n as u64,
                max: self.max_xfer,
            });
        }
        let fill = |dst: &mut DmaBuf<P>, src: &Data<'_>, k: usize| match (src, cmd.dir) {
            (Data::ToDevice(src), _) => dst.as_mut_slice()[..k].copy_from_slice(&src[..k]),
            (Data::FromDevice(src), DataDir::Both) => {
                dst.as_mut_slice()[..k].copy_from_slice(&src[..k])
            }
            _ => {}
        };
        fill(&mut bounce, &data, n);
        if let Some(mb) = &mut mbounce {
            fill(mb, &meta, mn);
        }
        // Wait for room on the queue the command goes to. Written commands
        // are submitted first: unsubmitted ones would never make room.
        let qi = loop {
            if let Some(qi) = self.pick_queue(cmd.queue, scope) {
                break qi;
            }
            match scope {
                Scope::All => {
                    self.submit_all();
                    self.poll_all();
                }
                Scope::Queue(qi) => {
                    self.ring(qi, Instant::now());
                    self.poll_queue(qi);
                }
            }
            self.tick();
            if let Some(why) = self.dead {
                self.bounce = Some(bounce);
                self.meta_bounce = mbounce;
                return Err(Error::Aborted(why));
            }
            self.idle(match scope {
                Scope::All => None,
                Scope::Queue(qi) => Some(qi),
            });
        };
        let timeout = if qi == 0 {
            self.opts.admin_timeout
        } else {
            self.opts.io_timeout
        };
        let mut p = self.push_for(qi, &cmd.sqe, n, None, false);
        p.sync = true;
        p.meta_len = mn;
        let (r, buf, mbuf) = self.run_sync_with(qi, cmd.sqe, Some(bounce), mbounce, &p, timeout);
        if let (Ok(_), Some(b), Data::FromDevice(dst)) = (&r, &buf, data) {
            dst[..n].copy_from_slice(&b.as_slice()[..n]);
        }
        if let (Ok(_), Some(b), Data::FromDevice(dst)) = (&r, &mbuf, meta) {
            dst[..mn].copy_from_slice(&b.as_slice()[..mn]);
        }
        self.bounce = buf;
        if mbuf.is_some() {
            self.meta_bounce = mbuf;
        }
        r
    }

    /// Rings every queue with written entries. Returns the number submitted.
    pub(super) fn submit_all(&mut self) -> u32 {
        let now = Instant::now();
        (0..self.qs.len()).map(|qi| self.ring(qi, now) as u32).sum()
    }

    pub(super) fn busy(&self) -> usize {
        self.qs.iter().map(|q| q.slots.busy_count()).sum()
    }

    /// Completions waiting to be reaped, all queues.
    fn unreaped(&self) -> usize {
        self.done.iter().map(|d| d.len()).sum()
    }

    /// Whether queue `qi` has no room for another command plus its
    /// completion in its reap list, preallocated with the queue's slots'
    /// worth: every entry there came from one of its slots, so its busy
    /// slots plus its unreaped completions bound the list's length.
    #[inline]
    fn no_reap_room(&self, qi: usize) -> bool {
        let q = &self.qs[qi];
        q.slots.busy_count() + self.done[qi].len() >= q.slots.len()
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
        buf: DmaBuf<P>,
        regions: &[(usize, usize)],
        tag: u64,
    ) -> Result<(), Rejected<DmaBuf<P>>> {
        let at = Placement {
            regions: Some(regions),
            ..Placement::on(Scope::All)
        };
        data_only(self.push_inner(cmd, Some(buf), None, tag, at))
    }

    /// [`Backend::push`] for a command the caller declares safe to repeat:
    /// with [`crate::Options::retries`] set, a controller reset resubmits it
    /// (as it does reads) instead of completing it with an error. Admin and
    /// fused commands are never resubmitted.
    pub fn push_retryable(
        &mut self,
        cmd: &Cmd,
        buf: Option<DmaBuf<P>>,
        tag: u64,
    ) -> Result<(), Rejected<DmaBuf<P>>> {
        let at = Placement {
            marked: true,
            ..Placement::on(Scope::All)
        };
        data_only(self.push_inner(cmd, buf, None, tag, at))
    }

    /// [`Backend::push_with`], placed as `at` says. Refusals hand both
    /// buffers back by value, as the trait's do.
    #[allow(clippy::result_large_err)]
    pub(super) fn push_inner(
        &mut self,
        cmd: &Cmd,
        buf: Option<DmaBuf<P>>,
        meta: Option<DmaBuf<P>>,
        tag: u64,
        at: Placement<'_>,
    ) -> Result<(), Rejected<WithMeta<DmaBuf<P>>>> {
        let Placement {
            regions,
            marked,
            scope,
        } = at;
        #[allow(clippy::result_large_err)]
        let reject = |data, meta, error| {
            Err(Rejected::Invalid {
                error,
                buf: Some(WithMeta { data, meta }),
            })
        };
        if let Some(why) = self.dead {
            return reject(buf, meta, Error::Aborted(why));
        }
        // The shortcut here, not through `xfer_len`: its `Result` with an
        // `Error` inside costs a call and a large return per command.
        let (len, meta_len) = match self.plain_rw_len(cmd, meta.is_some()) {
            Some(len) => (len, 0),
            None => match self.xfer_len_checked(cmd, meta.is_some()) {
                Ok(l) => l,
                Err(e) => return reject(buf, meta, e),
            },
        };
        if let Err(e) = check_bufs(&self.space, cmd, len, meta_len, regions, &buf, &meta) {
            return reject(buf, meta, e);
        }
        #[allow(clippy::result_large_err)]
        let full = |data, meta| Err(Rejected::Full(Some(WithMeta { data, meta })));
        let Some(qi) = self.pick_queue(cmd.queue, scope) else {
            return full(buf, meta);
        };
        // Back-pressure also when completions wait to be reaped, so the
        // hot path never grows a reap list (one queue's check: summing
        // every queue's cost more than the rest of the checks).
        if self.no_reap_room(qi) {
            return full(buf, meta);
        }
        let mut p = self.push_for(qi, &cmd.sqe, len as usize, regions, marked);
        p.tag = tag;
        p.meta_len = meta_len as usize;
        self.qs[qi].make_cq_room(&self.bar, self.shadow.as_deref());
        match self.qs[qi].push_with(cmd.sqe, buf, meta, &p) {
            Ok(_) => Ok(()),
            Err((data, meta, Some(error))) => reject(data, meta, error),
            Err((data, meta, None)) => full(data, meta),
        }
    }
}

/// A rejection of a command pushed without metadata, with its data buffer.
pub(super) fn data_only<B>(r: Result<(), Rejected<WithMeta<B>>>) -> Result<(), Rejected<B>> {
    r.map_err(|r| match r {
        Rejected::Full(w) => Rejected::Full(w.and_then(|w| w.data)),
        Rejected::Invalid { error, buf } => Rejected::Invalid {
            error,
            buf: buf.and_then(|w| w.data),
        },
    })
}

impl<P: Platform> Backend for Controller<P> {
    type Buf = DmaBuf<P>;

    fn caps(&self) -> Caps {
        Caps {
            kind: nvmeq_core::BackendKind::Vfio,
            max_xfer: self.max_xfer,
            queue_depth: self.qs[1..].iter().map(|q| q.slots.len() as u32).sum(),
            admin: true,
            metadata: true,
        }
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.ns_format(nsid).map(|f| f.block_bytes)
    }

    fn alloc(&mut self, len: usize) -> Result<DmaBuf<P>, Error> {
        DmaBuf::new(&self.space, len).map_err(|e| Error::Os {
            op: "VFIO_IOMMU_MAP_DMA",
            errno: e.raw_os_error().unwrap_or(libc::ENOMEM),
        })
    }

    /// Runs one command with a separate metadata buffer, both copied
    /// through DMA bounce buffers; MPTR names the metadata bounce buffer.
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        self.execute_in(Scope::All, cmd, data, meta)
    }

    fn push(
        &mut self,
        cmd: &Cmd,
        buf: Option<DmaBuf<P>>,
        tag: u64,
    ) -> Result<(), Rejected<DmaBuf<P>>> {
        data_only(self.push_inner(cmd, buf, None, tag, Placement::on(Scope::All)))
    }

    /// Queues a command with a separate metadata buffer: MPTR names it (or,
    /// with SGL data on a controller whose SGLS has bit 19, one SGL Data
    /// Block descriptor for it in the slot's descriptor page). Its length
    /// comes from the command and the namespace format.
    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<DmaBuf<P>>,
        meta: Option<DmaBuf<P>>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<DmaBuf<P>>>> {
        self.push_inner(cmd, data, meta, tag, Placement::on(Scope::All))
    }

    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        if let Some(why) = self.dead {
            return Err(Error::Aborted(why));
        }
        let n = self.submit_all();
        // Never wait for more completions than can still arrive.
        let target = (min_complete as usize).min(self.busy() + self.unreaped());
        while self.unreaped() < target {
            self.poll_all();
            if self.unreaped() >= target {
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

    fn reap(&mut self, mut f: impl FnMut(Reaped<DmaBuf<P>>)) -> usize {
        self.clear_io_interrupts();
        // What was polled earlier (while `submit` waited) first, then the
        // rings' new completions straight to `f`: a completion is moved
        // once, not into the reap list and out again.
        let mut n = 0;
        for done in &mut self.done {
            while let Some(r) = done.pop_front() {
                f(r);
                n += 1;
            }
        }
        for qi in 0..self.qs.len() {
            if self.qs[qi].has_completion() {
                n += self.poll_queue_with(qi, Some(&mut f));
            }
        }
        n
    }

    fn in_flight(&self) -> u32 {
        (self.busy() + self.unreaped()) as u32
    }

    /// MMIO doorbell writes: this backend makes no system call per I/O, and a
    /// doorbell write (a trap to the device) is its per-batch cost.
    fn syscalls(&self) -> Option<u64> {
        Some(self.qs.iter().map(|q| q.mmio_doorbells).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::cmd::{Flush, Prinfo, Read, Write};
    use nvmeq_core::format::Pi;
    use nvmeq_core::pi::{PiType, Pif};

    const PI1: Pi = Pi::new(PiType::Type1, Pif::Guard16);
    /// nvmeqC nsid 1: 512 + 8 separate, PI type 1 (all of the metadata is PI).
    const SEP_PI: NsFormat = NsFormat::separate(512, 8).with_pi(PI1);
    /// nvmeqC nsid 2: 4096 + 16 separate, PI type 2 with the 64-bit guard.
    const SEP_PI64: NsFormat =
        NsFormat::separate(4096, 16).with_pi(Pi::new(PiType::Type2, Pif::Guard64));
    /// nvmeqC nsid 4: 4096 + 64 separate, no PI.
    const SEP_64: NsFormat = NsFormat::separate(4096, 64);
    /// nvmeqC nsid 3: 4096 + 8 extended, PI type 3.
    const EXT_PI: NsFormat =
        NsFormat::extended(4096, 8).with_pi(Pi::new(PiType::Type3, Pif::Guard16));

    fn pract() -> Prinfo {
        Prinfo::new().with_pract(true)
    }

    #[test]
    fn the_plain_read_write_shortcut_agrees_with_the_full_checks() {
        use crate::model::{open, ModelConfig};
        let (mut c, _h) = open(ModelConfig::qemu_null(), crate::Options::default()).unwrap();
        // Formats the shortcut must leave to the full checks.
        c.ns.push((2, SEP_64));
        c.ns.push((3, EXT_PI));
        let max_nlb = (c.max_xfer / 4096 - 1) as u16;
        let mut cmds = Vec::new();
        for nsid in [1, 2, 3, 9] {
            for nlb in [0, 1, 7, max_nlb, max_nlb + 1, u16::MAX] {
                cmds.push(Read::new(nsid, 5, nlb).build());
                cmds.push(Write::new(nsid, 5, nlb).build());
                cmds.push(Read::new(nsid, 5, nlb).prinfo(pract()).build());
            }
            let sqe = Read::new(nsid, 0, 3).build().sqe;
            cmds.push(Cmd::io(sqe, DataDir::FromDevice, Xfer::Blocks(2)));
            cmds.push(Cmd::io(sqe, DataDir::FromDevice, Xfer::Blocks(5)));
            cmds.push(Cmd::io(sqe, DataDir::ToDevice, Xfer::Blocks(4)));
            cmds.push(Cmd::io(sqe, DataDir::FromDevice, Xfer::Bytes(4 * 4096)));
            let mut admin = Cmd::io(sqe, DataDir::FromDevice, Xfer::Blocks(4));
            admin.queue = QueueKind::Admin;
            cmds.push(admin);
            cmds.push(Flush::new(nsid).build());
        }
        let mut fast = 0;
        for cmd in &cmds {
            for has_meta in [false, true] {
                let full = c.xfer_len_checked(cmd, has_meta);
                if let Some(len) = c.plain_rw_len(cmd, has_meta) {
                    fast += 1;
                    assert_eq!(full, Ok((len, 0)), "{cmd:?} meta {has_meta}");
                }
                assert_eq!(c.xfer_len(cmd, has_meta), full, "{cmd:?} meta {has_meta}");
            }
        }
        // Reads (PRACT or not) and writes of 1, 2, 8 and MDTS blocks on nsid 1.
        assert_eq!(fast, 4 * 3, "the shortcut took the plain commands");
    }

    #[test]
    fn separate_metadata_needs_a_buffer_sized_by_nlb() {
        let read = Read::new(1, 0, 7).build();
        assert_eq!(
            block_sizes(&read, SEP_PI, false),
            Err(Error::MetadataRequired)
        );
        assert_eq!(block_sizes(&read, SEP_PI, true), Ok((512, 64)));
        let w = Write::new(4, 0, 1).build();
        assert_eq!(block_sizes(&w, SEP_64, true), Ok((4096, 128)));
        assert_eq!(
            block_sizes(&w, SEP_64, false),
            Err(Error::MetadataRequired),
            "metadata without PI: PRACT or not, it moves"
        );
        assert_eq!(
            block_sizes(&Write::new(4, 0, 1).prinfo(pract()).build(), SEP_64, false),
            Err(Error::MetadataRequired)
        );
    }

    #[test]
    fn a_read_declared_in_bytes_still_needs_its_metadata() {
        // The entry's NLB makes the device move metadata whatever the
        // declared length says: sized from the fields, not the declaration.
        let sqe = Read::new(1, 0, 3).build().sqe;
        let bytes = Cmd::io(sqe, DataDir::FromDevice, Xfer::Bytes(2048));
        assert_eq!(
            block_sizes(&bytes, SEP_PI, false),
            Err(Error::MetadataRequired)
        );
        assert_eq!(block_sizes(&bytes, SEP_PI, true), Ok((512, 32)));
        let none = Cmd::io(sqe, DataDir::None, Xfer::None);
        assert_eq!(
            block_sizes(&none, SEP_PI, false),
            Err(Error::MetadataRequired)
        );
    }

    #[test]
    fn pract_on_pi_only_formats_moves_no_metadata() {
        let read = Read::new(1, 0, 7).prinfo(pract()).build();
        assert_eq!(block_sizes(&read, SEP_PI, false), Ok((512, 0)));
        assert_eq!(
            block_sizes(&read, SEP_PI, true),
            Err(Error::MetadataForbidden)
        );
        // The 64-bit guard's 16-byte tuple is all of nsid 2's metadata.
        let r2 = Read::new(2, 0, 1).prinfo(pract()).build();
        assert_eq!(block_sizes(&r2, SEP_PI64, false), Ok((4096, 0)));
        assert_eq!(
            block_sizes(&Read::new(2, 0, 1).build(), SEP_PI64, true),
            Ok((4096, 32))
        );
        // Extended LBA: the controller strips the PI from the data too.
        assert_eq!(block_sizes(&read, EXT_PI, false), Ok((4096, 0)));
        let plain = Read::new(1, 0, 7).build();
        assert_eq!(block_sizes(&plain, EXT_PI, false), Ok((4104, 0)));
        assert_eq!(
            block_sizes(&plain, EXT_PI, true),
            Err(Error::MetadataForbidden),
            "interleaved metadata travels in the data buffer"
        );
    }

    #[test]
    fn commands_that_move_no_blocks_take_no_metadata() {
        let flush = Flush::new(1).build();
        assert_eq!(block_sizes(&flush, SEP_PI, false), Ok((512, 0)));
        assert_eq!(
            block_sizes(&flush, SEP_PI, true),
            Err(Error::MetadataForbidden)
        );
    }
}
