//! An in-memory NVMe controller behind the driver's [`Regs`] and [`DmaMap`]
//! traits, so the driver's own code (bring-up, queues, data pointers,
//! doorbells, completion reaping, recovery) runs on a host with no device:
//! for tests and for counting the hot path's instructions with callgrind.
//!
//! The model plays the device's part synchronously: a doorbell write makes
//! it fetch every new entry of the queue from ring memory, execute it and
//! post its completion (phase tag last, with Release ordering) while the
//! completion queue has room. Its "IOMMU" records the driver's mappings,
//! and every device access goes through them, so an address outside a
//! live mapping is a DMA fault (counted, and the command fails with Data
//! Transfer Error), as it would be under VFIO.
//!
//! What it implements: the registers the driver uses (CAP, VS, INTMS/INTMC,
//! CC, CSTS, AQA, ASQ, ACQ, doorbells with stride 0), Identify (controller,
//! namespace, active namespace list), Set Features (Number of Queues),
//! Create/Delete I/O SQ and CQ, Doorbell Buffer Config (shadow doorbells
//! with EventIdx), Abort, and Read, Write and Flush on one namespace.
//! Faults can be injected into I/O completions ([`ModelHandle`]).

mod exec;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use nvmeq_core::regs::{self, Cap, Cc, Csts};
use nvmeq_core::{Completion, Status};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::bdf::Bdf;
use crate::ctrl::{Controller, Options};
use crate::dma::DmaSpace;
use crate::error::OpenError;
use crate::platform::{DmaMap, Platform, Regs};

/// The model as a [`Platform`]: `Controller<Model>` is the driver on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Model;

impl Platform for Model {
    type Regs = ModelRegs;
    type Map = ModelMap;
    type Device = ();

    fn msix_fd(_: &()) -> Option<&File> {
        None
    }
}

/// What the model's reads and writes do with data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataMode {
    /// Nothing is moved (QEMU's null-co without read zeroes): the data
    /// pointer is not walked. For counting the driver's own work.
    Null,
    /// Every data pointer is walked through the mappings; a read fills
    /// each block with [`pattern`] of its LBA, a write is read back and
    /// must hold it (else Data Transfer Error, counted as a bad write).
    Pattern,
}

/// The 8-byte word `word` of block `lba` that [`DataMode::Pattern`] reads
/// return and writes must hold.
pub fn pattern(lba: u64, word: u64) -> u64 {
    (lba << 20) ^ word ^ 0x6e76_6d65_0000_0000
}

/// How the model controller looks.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// Bytes per logical block (a power of two, 512 or more).
    pub lba_bytes: u32,
    /// Namespace 1's size in blocks.
    pub nsze: u64,
    /// CAP.MQES (zero-based).
    pub mqes_z: u16,
    /// Identify Controller MDTS (2^n pages; 0: no limit).
    pub mdts: u8,
    /// Identify Controller SGLS (bits 1:0 = 01b: SGLs, any alignment).
    pub sgls: u32,
    /// Doorbell Buffer Config supported (OACS bit 8).
    pub dbbuf: bool,
    /// What reads and writes do with data.
    pub data: DataMode,
}

impl ModelConfig {
    /// Like the guest's controller A on null-co: 4 KiB blocks, 1 GiB, MQES
    /// 2047, MDTS 7, SGLs (SGLS 1h), shadow doorbells; data not moved.
    pub fn qemu_null() -> Self {
        ModelConfig {
            lba_bytes: 4096,
            nsze: 1 << 18,
            mqes_z: 2047,
            mdts: 7,
            sgls: 0x1,
            dbbuf: true,
            data: DataMode::Null,
        }
    }
}

/// Counters of what the model saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelStats {
    /// Commands fetched from submission queues (admin and I/O).
    pub commands: u64,
    /// I/O commands fetched.
    pub io_commands: u64,
    /// Completions posted.
    pub completions: u64,
    /// Register writes to doorbells.
    pub doorbell_writes: u64,
    /// Device accesses outside every live mapping.
    pub dma_faults: u64,
    /// Doorbell values outside the queue, or for a queue that does not exist.
    pub bad_doorbells: u64,
    /// Writes whose data was not [`pattern`] ([`DataMode::Pattern`]).
    pub bad_writes: u64,
}

/// Faults to inject into I/O completions, each counted down per completion.
#[derive(Debug, Clone, Copy, Default)]
struct Faults {
    /// Skip this many I/O completions, then apply the fault to the next one.
    after: u64,
    /// Post the next I/O completions with the wrong phase tag.
    wrong_phase: u32,
    /// Never post the next I/O completions (the commands are held; an
    /// Abort for one completes it with Command Abort Requested).
    lose: u32,
    /// Post the next I/O completions twice.
    duplicate: u32,
}

#[derive(Debug, Clone, Copy)]
struct Sq {
    iova: u64,
    size: u16,
    head: u16,
    tail: u16,
    cqid: u16,
}

#[derive(Debug, Clone, Copy)]
struct Cq {
    iova: u64,
    size: u16,
    tail: u16,
    head: u16,
    phase: bool,
}

/// A live mapping: host address and length.
#[derive(Debug, Clone, Copy)]
struct Region {
    ptr: usize,
    len: u64,
}

#[derive(Debug)]
struct State {
    cfg: ModelConfig,
    maps: BTreeMap<u64, Region>,
    cc: Cc,
    csts: Csts,
    aqa: u32,
    asq: u64,
    acq: u64,
    intms: u32,
    /// Indexed by queue id; 0 is the admin queue.
    sqs: Vec<Option<Sq>>,
    cqs: Vec<Option<Cq>>,
    /// Shadow doorbell and EventIdx buffers (Doorbell Buffer Config).
    shadow: Option<(u64, u64)>,
    /// I/O queue pairs granted by Set Features (Number of Queues).
    nq: u16,
    faults: Faults,
    /// Commands whose completion was lost: (SQ id, cid).
    held: Vec<(u16, u16)>,
    /// Completions posted with the wrong phase: (CQ id, index, entry).
    wrong: Vec<(u16, u16, Completion)>,
    stats: ModelStats,
}

/// Queues the model serves (admin plus 63 I/O).
const MAX_QUEUES: usize = 64;
/// The register window: registers and 64 queue pairs' doorbells.
const BAR_LEN: usize = regs::DOORBELLS + MAX_QUEUES * 8;

#[derive(Debug)]
struct Inner {
    st: Mutex<State>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The model's register window.
#[derive(Debug)]
pub struct ModelRegs {
    inner: Arc<Inner>,
}

/// The model's IOMMU: the driver's mappings, which the model translates
/// every device access through.
#[derive(Debug)]
pub struct ModelMap {
    inner: Arc<Inner>,
}

/// Looks at and steers a running model (its counters, injected faults).
#[derive(Debug, Clone)]
pub struct ModelHandle {
    inner: Arc<Inner>,
}

/// Opens the driver on a fresh model controller: the same bring-up as
/// [`Controller::open`] makes on a PCIe controller, after the mappings.
pub fn open(
    cfg: ModelConfig,
    opts: Options,
) -> Result<(Controller<Model>, ModelHandle), OpenError> {
    let inner = Arc::new(Inner {
        st: Mutex::new(State {
            cfg,
            maps: BTreeMap::new(),
            cc: Cc::new(),
            csts: Csts::new(),
            aqa: 0,
            asq: 0,
            acq: 0,
            intms: 0,
            sqs: vec![None; MAX_QUEUES],
            cqs: vec![None; MAX_QUEUES],
            shadow: None,
            nq: 0,
            faults: Faults::default(),
            held: Vec::new(),
            wrong: Vec::new(),
            stats: ModelStats::default(),
        }),
    });
    let regs = ModelRegs {
        inner: inner.clone(),
    };
    let space = DmaSpace::new(
        ModelMap {
            inner: inner.clone(),
        },
        None,
    );
    // No PCI function: the all-zero address stands for the model.
    let bdf = Bdf {
        domain: 0,
        bus: 0,
        dev: 0,
        func: 0,
    };
    let ctrl = Controller::start(bdf, opts, regs, (), space)?;
    Ok((ctrl, ModelHandle { inner }))
}

impl ModelHandle {
    /// The counters so far.
    pub fn stats(&self) -> ModelStats {
        self.inner.lock().stats
    }

    /// After `after` more I/O completions, posts the next `n` with the
    /// wrong phase tag (the one of the previous pass over the ring).
    pub fn wrong_phase(&self, after: u64, n: u32) {
        let mut st = self.inner.lock();
        st.faults = Faults {
            after,
            wrong_phase: n,
            ..Faults::default()
        };
    }

    /// Rewrites the completions posted with the wrong phase with the right
    /// one; returns how many.
    pub fn fix_phase(&self) -> usize {
        let mut st = self.inner.lock();
        let wrong = std::mem::take(&mut st.wrong);
        for &(cqid, at, mut cqe) in &wrong {
            let Some(cq) = st.cqs[cqid as usize] else {
                continue;
            };
            cqe.sf.set_p(!cqe.sf.p());
            st.write_cqe(cq.iova + at as u64 * 16, cqe);
        }
        wrong.len()
    }

    /// After `after` more I/O completions, never posts the next `n`.
    pub fn lose(&self, after: u64, n: u32) {
        let mut st = self.inner.lock();
        st.faults = Faults {
            after,
            lose: n,
            ..Faults::default()
        };
    }

    /// After `after` more I/O completions, posts the next `n` twice.
    pub fn duplicate(&self, after: u64, n: u32) {
        let mut st = self.inner.lock();
        st.faults = Faults {
            after,
            duplicate: n,
            ..Faults::default()
        };
    }

    /// Commands whose completion was lost and not yet aborted.
    pub fn held(&self) -> usize {
        self.inner.lock().held.len()
    }
}

impl Regs for ModelRegs {
    fn read32(&self, off: usize) -> u32 {
        let st = self.inner.lock();
        let cap = st.cap().into_bits();
        match off {
            regs::CAP => cap as u32,
            o if o == regs::CAP + 4 => (cap >> 32) as u32,
            // NVMe 1.4.
            regs::VS => 0x0001_0400,
            regs::INTMS | regs::INTMC => st.intms,
            regs::CC => st.cc.into_bits(),
            regs::CSTS => st.csts.into_bits(),
            regs::AQA => st.aqa,
            regs::ASQ => st.asq as u32,
            o if o == regs::ASQ + 4 => (st.asq >> 32) as u32,
            regs::ACQ => st.acq as u32,
            o if o == regs::ACQ + 4 => (st.acq >> 32) as u32,
            _ => 0,
        }
    }

    fn write32(&self, off: usize, v: u32) {
        let mut st = self.inner.lock();
        let lo = |r: u64| (r & !0xffff_ffff) | v as u64;
        let hi = |r: u64| (r & 0xffff_ffff) | (v as u64) << 32;
        match off {
            regs::INTMS => st.intms |= v,
            regs::INTMC => st.intms &= !v,
            regs::CC => st.set_cc(Cc::from_bits(v)),
            regs::AQA => st.aqa = v,
            regs::ASQ => st.asq = lo(st.asq),
            o if o == regs::ASQ + 4 => st.asq = hi(st.asq),
            regs::ACQ => st.acq = lo(st.acq),
            o if o == regs::ACQ + 4 => st.acq = hi(st.acq),
            o if (regs::DOORBELLS..BAR_LEN).contains(&o) => {
                st.stats.doorbell_writes += 1;
                let i = (o - regs::DOORBELLS) / 4;
                st.doorbell(i / 2, i % 2 == 1, v);
            }
            _ => {}
        }
    }

    fn size(&self) -> usize {
        BAR_LEN
    }
}

impl DmaMap for ModelMap {
    unsafe fn map_dma(&self, ptr: *mut u8, iova: u64, len: u64) -> io::Result<()> {
        let mut st = self.inner.lock();
        let overlaps = st
            .maps
            .range(..iova.saturating_add(len))
            .next_back()
            .is_some_and(|(&at, r)| at + r.len > iova);
        if len == 0 || overlaps {
            return Err(io::Error::from_raw_os_error(libc::EEXIST));
        }
        st.maps.insert(
            iova,
            Region {
                ptr: ptr as usize,
                len,
            },
        );
        Ok(())
    }

    fn unmap_dma(&self, iova: u64, len: u64) -> io::Result<u64> {
        let mut st = self.inner.lock();
        match st.maps.get(&iova) {
            Some(r) if r.len == len => {}
            _ => return Err(io::Error::from_raw_os_error(libc::EINVAL)),
        }
        st.maps.remove(&iova);
        // A queue whose memory is gone can no longer be served (the driver
        // deletes its queues first; this keeps the model from touching
        // freed memory if it did not).
        let inside = |a: u64| a >= iova && a < iova + len;
        for q in st.sqs.iter_mut() {
            if q.is_some_and(|q| inside(q.iova)) {
                *q = None;
            }
        }
        for q in st.cqs.iter_mut() {
            if q.is_some_and(|q| inside(q.iova)) {
                *q = None;
            }
        }
        if st.shadow.is_some_and(|(d, e)| inside(d) || inside(e)) {
            st.shadow = None;
        }
        Ok(len)
    }
}

impl State {
    fn cap(&self) -> Cap {
        Cap::new()
            .with_mqes_z(self.cfg.mqes_z)
            .with_cqr(true)
            .with_to(20)
            .with_css(Cap::CSS_NVM)
    }

    fn set_cc(&mut self, cc: Cc) {
        let was = self.cc;
        self.cc = cc;
        if was.en() && !cc.en() {
            // Controller reset: every queue, the shadow buffers and held
            // commands are gone; no DMA after this.
            self.sqs.iter_mut().for_each(|q| *q = None);
            self.cqs.iter_mut().for_each(|q| *q = None);
            self.shadow = None;
            self.held.clear();
            self.wrong.clear();
            self.csts = Csts::new();
            return;
        }
        if !was.en() && cc.en() {
            let size = |z: u32| (z & 0xfff) as u16 + 1;
            self.sqs[0] = Some(Sq {
                iova: self.asq,
                size: size(self.aqa),
                head: 0,
                tail: 0,
                cqid: 0,
            });
            self.cqs[0] = Some(Cq {
                iova: self.acq,
                size: size(self.aqa >> 16),
                tail: 0,
                head: 0,
                phase: true,
            });
            self.csts = Csts::new().with_rdy(true);
        }
        if cc.en() && cc.shn() != 0 {
            self.csts.set_shst(Csts::SHST_COMPLETE);
        }
    }

    fn doorbell(&mut self, qid: usize, cq: bool, v: u32) {
        let ok = if cq {
            match &mut self.cqs[qid] {
                Some(q) if v < q.size as u32 => {
                    q.head = v as u16;
                    true
                }
                _ => false,
            }
        } else {
            match &mut self.sqs[qid] {
                Some(q) if v < q.size as u32 => {
                    q.tail = v as u16;
                    true
                }
                _ => false,
            }
        };
        if !ok {
            self.stats.bad_doorbells += 1;
            return;
        }
        // Shadow doorbells: ask to be told of the next update (EventIdx =
        // the value just seen), as a controller that has caught up does.
        if let Some((_, eis)) = self.shadow {
            let at = eis + (qid as u64 * 2 + cq as u64) * 4;
            self.write(at, v);
        }
        if cq {
            // Room in this CQ: the SQs that post to it may go on.
            for sqid in 0..MAX_QUEUES {
                if self.sqs[sqid].is_some_and(|q| q.cqid as usize == qid) {
                    self.process(sqid);
                }
            }
        } else {
            self.process(qid);
        }
    }

    /// Fetches and executes SQ `qid`'s new entries while its completion
    /// queue has room.
    fn process(&mut self, qid: usize) {
        loop {
            let Some(sq) = self.sqs[qid] else { return };
            if sq.head == sq.tail {
                return;
            }
            let Some(cq) = self.cqs[sq.cqid as usize] else {
                return;
            };
            if (cq.tail + 1) % cq.size == cq.head {
                return;
            }
            let at = sq.iova + sq.head as u64 * 64;
            let head = (sq.head + 1) % sq.size;
            if let Some(q) = &mut self.sqs[qid] {
                q.head = head;
            }
            self.stats.commands += 1;
            let Some(sqe) = self.read::<nvmeq_core::Command>(at) else {
                // The ring itself is unreachable: nothing to answer.
                continue;
            };
            let cid = sqe.cdw0.cid();
            let out = if qid == 0 {
                self.admin(&sqe)
            } else {
                self.stats.io_commands += 1;
                Some(self.io(&sqe))
            };
            if let Some((status, dw0)) = out {
                self.complete(qid as u16, cid, status, dw0);
            }
        }
    }

    /// Posts the completion of `cid` from SQ `sqid`, with the I/O faults.
    fn complete(&mut self, sqid: u16, cid: u16, status: Status, dw0: u32) {
        let mut wrong = false;
        let mut twice = false;
        if sqid != 0 {
            let f = &mut self.faults;
            if f.after > 0 {
                f.after -= 1;
            } else if f.lose > 0 {
                f.lose -= 1;
                self.held.push((sqid, cid));
                return;
            } else if f.wrong_phase > 0 {
                f.wrong_phase -= 1;
                wrong = true;
            } else if f.duplicate > 0 {
                f.duplicate -= 1;
                twice = true;
            }
        }
        self.post(sqid, cid, status, dw0, wrong);
        if twice {
            self.post(sqid, cid, status, dw0, false);
        }
    }

    fn post(&mut self, sqid: u16, cid: u16, status: Status, dw0: u32, wrong: bool) {
        let Some(sq) = self.sqs[sqid as usize] else {
            return;
        };
        let Some(cq) = self.cqs[sq.cqid as usize] else {
            return;
        };
        let mut cqe = Completion {
            dw0,
            sqhd: sq.head,
            sqid,
            cid,
            ..Completion::default()
        };
        cqe.sf = cqe
            .sf
            .with_status(status.into_bits())
            .with_p(cq.phase != wrong);
        let at = cq.tail;
        self.write_cqe(cq.iova + at as u64 * 16, cqe);
        if wrong {
            self.wrong.push((sq.cqid, at, cqe));
        }
        self.stats.completions += 1;
        if let Some(q) = &mut self.cqs[sq.cqid as usize] {
            q.tail = (q.tail + 1) % q.size;
            if q.tail == 0 {
                q.phase = !q.phase;
            }
        }
    }

    /// Host address of `len` bytes at `iova`, if one live mapping holds them.
    fn host(&mut self, iova: u64, len: usize) -> Option<*mut u8> {
        let found = self.maps.range(..=iova).next_back().and_then(|(&at, r)| {
            let off = iova - at;
            (off.checked_add(len as u64)? <= r.len).then_some(r.ptr + off as usize)
        });
        if found.is_none() {
            self.stats.dma_faults += 1;
        }
        found.map(|p| p as *mut u8)
    }

    /// A device read of a `T` at `iova`.
    fn read<T: FromBytes>(&mut self, iova: u64) -> Option<T> {
        let p = self.host(iova, size_of::<T>())?;
        // SAFETY: `p` is inside a live mapping: memory the driver mapped
        // for the device, allocated until it is unmapped (which removes it
        // from `maps` first, under this lock). The driver touches DMA
        // memory with volatile accesses on this thread only, and never
        // during this call (the model runs inside its register write), so
        // this read races with nothing. Any bit pattern is a valid `T`.
        Some(unsafe { p.cast::<T>().read_unaligned() })
    }

    /// A device write of `v` at `iova`; false on a DMA fault.
    fn write<T: IntoBytes + Immutable>(&mut self, iova: u64, v: T) -> bool {
        let Some(p) = self.host(iova, size_of::<T>()) else {
            return false;
        };
        // SAFETY: as in `read`; the device may write any mapped memory
        // (the driver hands it only memory it owns for that purpose).
        unsafe { p.cast::<T>().write_unaligned(v) };
        true
    }

    /// Writes a completion entry: its first 12 bytes, then dword 3 (cid,
    /// phase and status) with Release ordering, so a driver that sees the
    /// new phase with Acquire sees the rest too.
    fn write_cqe(&mut self, iova: u64, cqe: Completion) {
        let Some(p) = self.host(iova, 16) else {
            return;
        };
        let bytes = cqe.as_bytes();
        let dw3 = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        // SAFETY: 16 bytes inside a live mapping (as in `write`). The
        // completion queue is page aligned and entries are 16 bytes, so
        // `p + 12` is 4-byte aligned, as AtomicU32 needs; the driver reads
        // that word only atomically or volatile, from this thread.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), p, 12);
            AtomicU32::from_ptr(p.add(12).cast::<u32>()).store(dw3, Ordering::Release);
        }
    }

    /// `len` bytes from `src` to the device address `iova`.
    fn write_bytes(&mut self, iova: u64, src: &[u8]) -> bool {
        let Some(p) = self.host(iova, src.len()) else {
            return false;
        };
        // SAFETY: as in `write`, for `src.len()` bytes.
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), p, src.len()) };
        true
    }
}
