//! A submission/completion queue pair in DMA memory, its doorbells and its
//! command slots. Safe code over [`DmaRegion`]'s volatile accessors and
//! [`Bar`]'s register accessors.

pub(crate) mod cid;
pub(crate) mod doorbell;
pub(crate) mod dptr;
pub(crate) mod prp_lists;
pub(crate) mod ring;
pub(crate) mod slots;

use std::io;
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nvmeq_core::backend::check_len;
use nvmeq_core::sgl::SglDescriptor;
use nvmeq_core::{AdminOpcode, Command, Completion, Error, IoBuf};

use crate::dma::{DmaBuf, DmaRegion, DmaSpace};
use crate::platform::{Platform, Regs};
use nvmeq_core::prp::{PageSize, Prps};
use ring::{CqRing, SqRing};
use slots::Slots;

/// Size of a submission queue entry (CC.IOSQES = 6).
pub(crate) const SQE_SIZE: usize = 64;
/// Size of a completion queue entry (CC.IOCQES = 4).
pub(crate) const CQE_SIZE: usize = 16;

/// Whose data pointers an entry carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Raw {
    /// A caller's command: DPTR and MPTR are set by the driver.
    No,
    /// A queue-management command built by the driver (queue, doorbell-buffer
    /// addresses in DPTR): kept as is.
    DriverPointers,
}

/// What a pushed command needs besides its entry and buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Push<'a> {
    /// The command's transfer length in bytes.
    pub(crate) len: usize,
    /// (offset, length) regions of the buffer the transfer uses, in order;
    /// `None`: its first `len` bytes.
    pub(crate) regions: Option<&'a [(usize, usize)]>,
    pub(crate) tag: u64,
    pub(crate) sync: bool,
    pub(crate) raw: Raw,
    pub(crate) dptr: dptr::Dptr,
    /// How many times a controller reset may resubmit the command.
    pub(crate) retries: u8,
    /// Bytes the command moves through its separate metadata buffer (MPTR),
    /// from its own fields and the namespace format; 0: none.
    pub(crate) meta_len: usize,
    /// Describe the metadata with an SGL (PSDT 10b: MPTR names one Data
    /// Block descriptor) when the data has one, as SGLS bit 19 allows;
    /// else MPTR is the buffer's address.
    pub(crate) meta_sgl: bool,
}

/// A refused push: the data and metadata buffers handed back, and why
/// (`None`: the queue is full).
pub(crate) type Refused<P> = (Option<DmaBuf<P>>, Option<DmaBuf<P>>, Option<Error>);

impl Push<'_> {
    /// A synchronous driver command with PRPs and no retries.
    pub(crate) fn sync(len: usize, raw: Raw) -> Push<'static> {
        Push {
            len,
            regions: None,
            tag: 0,
            sync: true,
            raw,
            dptr: dptr::Dptr::Prp,
            retries: 0,
            meta_len: 0,
            meta_sgl: false,
        }
    }
}

/// MPTR and PSDT for a command's metadata at `meta` (IOVA, `len` bytes),
/// given the data pointer's PSDT: a contiguous buffer's address (PSDT 00b
/// with PRPs, 01b with an SGL), or with `sgl` and SGL data, PSDT 10b and
/// the address `desc_at` where the one Data Block descriptor `desc` goes.
/// No metadata (`len` 0): MPTR 0, so anything the device would still move
/// faults in the IOMMU.
pub(crate) fn mptr(
    psdt: u8,
    meta: u64,
    len: usize,
    sgl: bool,
    desc_at: u64,
) -> (u64, u8, Option<SglDescriptor>) {
    match len {
        0 => (0, psdt, None),
        _ if sgl && psdt == 1 => (
            desc_at,
            2,
            Some(SglDescriptor::data_block(meta, len as u32)),
        ),
        _ => (meta, psdt, None),
    }
}

/// The shadow doorbell and EventIdx pages (Doorbell Buffer Config).
#[derive(Debug)]
pub(crate) struct Shadow<P: Platform> {
    pub(crate) dbs: DmaRegion<P>,
    pub(crate) eis: DmaRegion<P>,
}

/// Writes a doorbell, through the shadow buffer when `shadow` is given: the
/// MMIO write then happens only if the controller's EventIdx asks for it
/// (`always_mmio` forces it, for the admin queue).
fn ring_doorbell<P: Platform>(
    bar: &P::Regs,
    shadow: Option<&Shadow<P>>,
    always_mmio: bool,
    bar_off: usize,
    shadow_off: usize,
    new: u16,
) -> bool {
    // Queue entries (SQEs written, CQEs consumed) before the doorbell value.
    fence(Ordering::SeqCst);
    if let Some(sh) = shadow {
        let old = sh.dbs.read::<u32>(shadow_off) as u16;
        sh.dbs.write::<u32>(shadow_off, new as u32);
        // The shadow value must be visible before EventIdx is read, or the
        // controller and we could both decide the other one will act.
        fence(Ordering::SeqCst);
        let ei = sh.eis.read::<u32>(shadow_off) as u16;
        if !always_mmio && !doorbell::need_event(ei, new, old) {
            return false;
        }
    }
    bar.write32(bar_off, new as u32);
    true
}

/// A queue pair: `size`-entry SQ and CQ, `size - 1` command slots, and one
/// preallocated PRP list area per slot.
#[derive(Debug)]
pub(crate) struct QueuePair<P: Platform> {
    pub(crate) qid: u16,
    size: u16,
    sq_mem: DmaRegion<P>,
    cq_mem: DmaRegion<P>,
    prp_mem: DmaRegion<P>,
    prp_pages: usize,
    /// One 16-byte metadata SGL descriptor per slot (PSDT 10b).
    msgl_mem: DmaRegion<P>,
    /// Where PRP lists are built before being copied into `prp_mem` with
    /// volatile stores (the core's PRP math works on plain slices).
    prp_scratch: Vec<u64>,
    page: usize,
    sq: SqRing,
    cq: CqRing,
    pub(crate) slots: Slots<DmaBuf<P>>,
    /// The slot whose command sits at each SQ index (to stamp deadlines at
    /// doorbell time).
    sq_slot: Vec<u16>,
    dstrd: u8,
    /// SQ tail and CQ head as last told to the controller.
    db_tail: u16,
    db_head: u16,
    /// Doorbell updates written to BAR0, and those the shadow EventIdx let us skip.
    pub(crate) mmio_doorbells: u64,
    pub(crate) skipped_doorbells: u64,
    /// Commands written with an SGL (PSDT 01b), resubmissions included.
    pub(crate) sgl_commands: u64,
}

impl<P: Platform> QueuePair<P> {
    /// Allocates a queue pair of `size` entries whose slots can each describe a
    /// transfer of up to `max_xfer` bytes in pages of `page` bytes.
    pub(crate) fn new(
        space: &Arc<DmaSpace<P>>,
        qid: u16,
        size: u16,
        page: usize,
        max_xfer: usize,
        dstrd: u8,
    ) -> io::Result<QueuePair<P>> {
        let sq_mem = DmaRegion::new(space, size as usize * SQE_SIZE)?;
        let cq_mem = DmaRegion::new(space, size as usize * CQE_SIZE)?;
        let prp_pages = Prps::list_pages_needed(0, max_xfer as u32, PageSize::P4K).max(1);
        let nslots = size - 1;
        let prp_mem = DmaRegion::new(space, nslots as usize * prp_pages * page)?;
        let msgl_mem = DmaRegion::new(space, nslots as usize * SglDescriptor::LEN as usize)?;
        Ok(QueuePair {
            qid,
            size,
            sq_mem,
            cq_mem,
            prp_mem,
            prp_pages,
            msgl_mem,
            prp_scratch: vec![0; prp_pages * page / 8],
            page,
            sq: SqRing::new(size),
            cq: CqRing::new(size),
            slots: Slots::new(nslots),
            sq_slot: vec![0; size as usize],
            dstrd,
            db_tail: 0,
            db_head: 0,
            mmio_doorbells: 0,
            skipped_doorbells: 0,
            sgl_commands: 0,
        })
    }

    pub(crate) fn size(&self) -> u16 {
        self.size
    }

    pub(crate) fn sq_iova(&self) -> u64 {
        self.sq_mem.iova()
    }

    pub(crate) fn cq_iova(&self) -> u64 {
        self.cq_mem.iova()
    }

    /// Back to the state of a freshly created queue (after a controller reset).
    /// Slots still busy are commands kept for resubmission.
    pub(crate) fn reset(&mut self) {
        self.sq_mem.zero();
        self.cq_mem.zero();
        self.sq = SqRing::new(self.size);
        self.cq = CqRing::new(self.size);
        self.db_tail = 0;
        self.db_head = 0;
    }

    /// Commands that can still be queued.
    pub(crate) fn free(&self) -> usize {
        (self.slots.len() - self.slots.busy_count()).min(self.sq.free() as usize)
    }

    /// Commands in flight that a timeout applies to.
    pub(crate) fn busy_timed(&self) -> usize {
        self.slots
            .busy()
            .filter(|&s| !self.slots.get(s).untimed)
            .count()
    }

    /// Commands written but not yet announced with a doorbell.
    pub(crate) fn unsubmitted(&self) -> u16 {
        ring::ring_distance(self.db_tail, self.sq.tail(), self.size)
    }

    /// Writes `sqe` into the SQ with a data pointer (PRPs or an SGL, as
    /// `p.dptr` says) for `p.regions` of `buf` (all of its first `p.len`
    /// bytes when `None`). Lengths and regions are checked here against the
    /// buffer and `p.len`, the command's transfer length. The buffer moves
    /// into the slot. A full queue or a bad length hands the buffer back.
    ///
    /// The entry's data and metadata pointers are always replaced (PRPs or
    /// an SGL for `buf`, the metadata buffer's, or zero), so a caller's entry can never point the
    /// device at memory of its choosing. Only the driver's own
    /// queue-management commands keep theirs: `Raw::DriverPointers`.
    ///
    /// The separate metadata buffer: `p.meta_len` bytes of `meta`,
    /// checked here, go to MPTR (a contiguous buffer, or an SGL as
    /// `p.meta_sgl` allows). The metadata buffer moves into the slot with
    /// the data buffer; a refusal hands both back (by value, as the
    /// `Backend` trait's rejections do; only the refused path carries them).
    #[allow(clippy::result_large_err)]
    pub(crate) fn push_with(
        &mut self,
        mut sqe: Command,
        buf: Option<DmaBuf<P>>,
        meta: Option<DmaBuf<P>>,
        p: &Push<'_>,
    ) -> Result<u16, Refused<P>> {
        let len = p.len;
        if self.free() == 0 {
            return Err((buf, meta, None));
        }
        let whole = [(0, len)];
        let regions = p.regions.unwrap_or(&whole);
        let iova = match &buf {
            _ if len == 0 => 0,
            Some(b) => match dptr::check_regions(regions, b.len(), len) {
                Ok(()) => b.iova(),
                Err(e) => return Err((buf, meta, Some(e))),
            },
            None => {
                return Err((
                    buf,
                    meta,
                    Some(Error::BufferTooSmall {
                        need: len as u64,
                        have: 0,
                    }),
                ))
            }
        };
        let meta_iova = match (&meta, p.meta_len) {
            (None, 0) => 0,
            (Some(_), 0) => return Err((buf, meta, Some(Error::MetadataForbidden))),
            (None, _) => return Err((buf, meta, Some(Error::MetadataRequired))),
            (Some(m), n) => match check_len(n as u64, m.len()) {
                Ok(_) => m.iova(),
                Err(e) => return Err((buf, meta, Some(e))),
            },
        };
        let Some(slot) = self.slots.take() else {
            return Err((buf, meta, None));
        };
        let base = slot as usize * self.prp_pages * self.page;
        let mut used = 0;
        let mut psdt = 0;
        let fast = match p.regions {
            None if len > 0 => dptr::contiguous(iova, len, self.page, p.dptr),
            _ => None,
        };
        let data_ptr = if len == 0 {
            [0, 0]
        } else if let Some(b) = fast {
            psdt = b.psdt;
            b.dptr
        } else {
            let max_prp = self.max_prp_xfer();
            match dptr::build(
                &mut self.prp_scratch,
                self.prp_mem.iova() + base as u64,
                self.page,
                iova,
                regions,
                p.dptr,
                max_prp,
            ) {
                Ok(b) => {
                    used = b.words;
                    psdt = b.psdt;
                    for (i, &e) in self.prp_scratch[..used].iter().enumerate() {
                        self.prp_mem.write::<u64>(base + i * 8, e);
                    }
                    b.dptr
                }
                Err(e) => {
                    self.slots.release(slot);
                    return Err((buf, meta, Some(e)));
                }
            }
        };
        let desc_off = slot as usize * SglDescriptor::LEN as usize;
        let (meta_ptr, psdt, desc) = mptr(
            psdt,
            meta_iova,
            p.meta_len,
            p.meta_sgl,
            self.msgl_mem.iova() + desc_off as u64,
        );
        if let Some(d) = desc {
            self.msgl_mem.write(desc_off, d);
        }
        // Zero what the slot's previous command left beyond this one's list,
        // so a transfer longer than described reads IOVA 0 and faults in the
        // IOMMU instead of reaching another buffer.
        let s = self.slots.get_mut(slot);
        let stale = s.prp_used;
        s.prp_used = used;
        s.tag = p.tag;
        // A free slot holds no buffers (release took them), so nothing is
        // dropped here; were one left, leaking it is the safe side (the
        // device may still know its address).
        let old = (
            std::mem::replace(&mut s.buf, buf),
            std::mem::replace(&mut s.meta, meta),
        );
        debug_assert!(old.0.is_none() && old.1.is_none());
        std::mem::forget(old);
        s.sync = p.sync;
        s.retries_left = p.retries;
        let op = AdminOpcode(sqe.opcode());
        s.untimed = self.qid == 0 && op == AdminOpcode::ASYNC_EVENT_REQUEST;
        s.ns_change = self.qid == 0
            && [
                AdminOpcode::FORMAT_NVM,
                AdminOpcode::NS_MANAGEMENT,
                AdminOpcode::NS_ATTACHMENT,
            ]
            .contains(&op);
        for i in used..stale {
            self.prp_mem.write::<u64>(base + i * 8, 0);
        }
        let cid = self.slots.cid(slot);
        sqe.cdw0 = sqe.cdw0.with_cid(cid).with_psdt(psdt);
        if !(p.raw == Raw::DriverPointers && len == 0) {
            sqe.dptr = data_ptr;
            sqe.mptr = meta_ptr;
        }
        let Some(at) = self.sq.push() else {
            // Unreachable: free() counted SQ room. Undo rather than panic.
            let (_, buf, meta, _) = self.slots.release(slot);
            return Err((
                buf,
                meta,
                Some(Error::Internal("the SQ had no room free() counted")),
            ));
        };
        if psdt != 0 {
            self.sgl_commands += 1;
        }
        if p.retries > 0 {
            // Only a command a reset may resubmit needs its entry kept; the
            // copy would otherwise be a second 64-byte store per command.
            self.slots.get_mut(slot).sqe = sqe;
        }
        self.sq_slot[at as usize] = slot;
        self.sq_mem.write(at as usize * SQE_SIZE, sqe);
        Ok(slot)
    }

    /// Writes the entry of `slot`, a command kept across a controller reset,
    /// into the (recreated, empty) SQ again, cid, data pointer and list pages
    /// unchanged. Returns false if the SQ has no room (cannot happen: the
    /// ring holds as many entries as there are slots).
    pub(crate) fn resubmit(&mut self, slot: u16) -> bool {
        let Some(at) = self.sq.push() else {
            return false;
        };
        let s = self.slots.get_mut(slot);
        s.deadline = None;
        s.aborting = false;
        let sqe = s.sqe;
        if sqe.cdw0.psdt() != 0 {
            self.sgl_commands += 1;
        }
        self.sq_slot[at as usize] = slot;
        self.sq_mem.write(at as usize * SQE_SIZE, sqe);
        true
    }

    /// The cid of the command in `slot`.
    pub(crate) fn cid(&self, slot: u16) -> u16 {
        self.slots.cid(slot)
    }

    /// Tells the controller about every written entry (one doorbell write, or
    /// none when the shadow EventIdx says it is not needed) and starts their
    /// timeouts. Returns how many commands were submitted.
    pub(crate) fn ring_sq(
        &mut self,
        bar: &P::Regs,
        shadow: Option<&Shadow<P>>,
        now: Instant,
        timeout: Duration,
    ) -> u16 {
        let n = self.unsubmitted();
        if n == 0 {
            return 0;
        }
        let deadline = now + timeout;
        let mut i = self.db_tail;
        while i != self.sq.tail() {
            let slot = self.sq_slot[i as usize];
            let s = self.slots.get_mut(slot);
            if !s.untimed {
                s.deadline = Some(deadline);
            }
            i = ring::ring_next(i, self.size);
        }
        let tail = self.sq.tail();
        let mmio = ring_doorbell::<P>(
            bar,
            shadow,
            self.qid == 0,
            doorbell::sq_tail(self.qid, self.dstrd),
            doorbell::shadow_sq(self.qid, self.dstrd),
            tail,
        );
        self.count(mmio);
        self.db_tail = tail;
        n
    }

    /// Whether a new completion waits at the CQ head.
    pub(crate) fn has_completion(&self) -> bool {
        let off = self.cq.head() as usize * CQE_SIZE + 12;
        // Acquire: once the phase tag says the entry is new, the reads of the
        // rest of it (after this load) see what the controller wrote before
        // the tag.
        let dw3 = self.cq_mem.load_acquire_u32(off);
        self.cq.is_new(dw3 & (1 << 16) != 0)
    }

    /// Consumes the completion at the head, if there is a new one. Call
    /// [`QueuePair::ring_cq`] after a batch.
    pub(crate) fn next_completion(&mut self) -> Option<Completion> {
        if !self.has_completion() {
            return None;
        }
        // The phase tag was loaded with Acquire; the rest of the entry after it.
        let cqe: Completion = self.cq_mem.read(self.cq.head() as usize * CQE_SIZE);
        self.cq.advance();
        self.sq.set_head(cqe.sqhd);
        Some(cqe)
    }

    /// Consumed CQ entries not yet reported with the CQ head doorbell.
    pub(crate) fn cq_lag(&self) -> u16 {
        ring::ring_distance(self.db_head, self.cq.head(), self.size)
    }

    /// Before one more command is queued: writes the CQ head doorbell if the
    /// controller could otherwise run out of CQ entries ([`doorbell::cq_head_due`]).
    #[inline]
    pub(crate) fn make_cq_room(&mut self, bar: &P::Regs, shadow: Option<&Shadow<P>>) {
        if doorbell::cq_head_due(self.cq_lag(), self.slots.busy_count() as u16, self.size) {
            self.ring_cq(bar, shadow);
        }
    }

    /// Writes the CQ head doorbell if entries were consumed since the last one.
    pub(crate) fn ring_cq(&mut self, bar: &P::Regs, shadow: Option<&Shadow<P>>) {
        let head = self.cq.head();
        if head == self.db_head {
            return;
        }
        let mmio = ring_doorbell::<P>(
            bar,
            shadow,
            self.qid == 0,
            doorbell::cq_head(self.qid, self.dstrd),
            doorbell::shadow_cq(self.qid, self.dstrd),
            head,
        );
        self.count(mmio);
        self.db_head = head;
    }

    fn count(&mut self, mmio: bool) {
        if mmio {
            self.mmio_doorbells += 1;
        } else {
            self.skipped_doorbells += 1;
        }
    }

    /// The largest transfer one slot's PRP lists can describe (page-aligned
    /// buffer): PRP1's page plus `k` chained list pages of `page / 8 - 1` data
    /// entries each, the last page's final entry included.
    pub(crate) fn max_prp_xfer(&self) -> usize {
        (self.prp_pages * (self.page / 8 - 1) + 2) * self.page
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::sgl::SglType;

    #[test]
    fn metadata_pointer_follows_the_data_pointer_and_sgls() {
        // No metadata: MPTR 0 (anything moved faults), PSDT kept.
        assert_eq!(mptr(1, 0x20_0000, 0, true, 0x9000), (0, 1, None));
        // PRPs: the contiguous buffer, even if SGLs were allowed.
        assert_eq!(mptr(0, 0x20_0000, 64, true, 0x9000), (0x20_0000, 0, None));
        // SGL data without SGLS bit 19: PSDT 01b, a contiguous buffer.
        assert_eq!(mptr(1, 0x20_0000, 64, false, 0x9000), (0x20_0000, 1, None));
        // With it: PSDT 10b, MPTR names one Data Block descriptor.
        let (at, psdt, d) = mptr(1, 0x20_0000, 64, true, 0x9000);
        assert_eq!((at, psdt), (0x9000, 2));
        let d = d.unwrap();
        assert_eq!((d.addr, d.len), (0x20_0000, 64));
        assert_eq!(d.sgl_type(), SglType::DATA_BLOCK);
    }
}
