//! The model's commands: the admin set the driver uses, Read, Write and
//! Flush, and the walk of PRP and SGL data pointers.

use nvmeq_core::identify::oacs;
use nvmeq_core::sgl::{SglDescriptor, SglType};
use nvmeq_core::{
    AdminOpcode, Command, IdentifyController, IdentifyNamespace, LbaFormat, NvmOpcode, Status,
};
use zerocopy::{FromBytes, FromZeros, IntoBytes};

use super::{pattern, Cq, DataMode, Sq, State, MAX_QUEUES};

/// The model's memory page (CC.MPS 0).
const PAGE: u64 = 4096;

/// A command's result: its status and dword 0; `None`: no completion
/// (yet): an Asynchronous Event Request.
type Done = Option<(Status, u32)>;

fn ok(dw0: u32) -> Done {
    Some((Status::SUCCESS, dw0))
}

fn fail(s: Status) -> Done {
    Some((s, 0))
}

impl State {
    pub(super) fn admin(&mut self, sqe: &Command) -> Done {
        let op = AdminOpcode(sqe.opcode());
        let qid = (sqe.cdw10 & 0xffff) as u16;
        let qsize_z = (sqe.cdw10 >> 16) as u16;
        match op {
            AdminOpcode::IDENTIFY => self.identify(sqe),
            AdminOpcode::SET_FEATURES if sqe.cdw10 & 0xff == 0x07 => {
                // Number of Queues: NSQR and NCQR, zero-based.
                let max = (MAX_QUEUES - 2) as u16;
                let nsq = (sqe.cdw11 & 0xffff) as u16;
                let ncq = (sqe.cdw11 >> 16) as u16;
                if nsq == 0xffff || ncq == 0xffff {
                    return fail(Status::INVALID_FIELD);
                }
                let (nsq, ncq) = (nsq.min(max), ncq.min(max));
                self.nq = nsq.min(ncq) + 1;
                ok(nsq as u32 | (ncq as u32) << 16)
            }
            AdminOpcode::CREATE_IO_CQ => {
                if let Some(s) = self.check_new_queue(qid, qsize_z, &self.cqs, sqe) {
                    return fail(s);
                }
                self.cqs[qid as usize] = Some(Cq {
                    iova: sqe.dptr[0],
                    size: qsize_z + 1,
                    tail: 0,
                    head: 0,
                    phase: true,
                });
                ok(0)
            }
            AdminOpcode::CREATE_IO_SQ => {
                if let Some(s) = self.check_new_queue(qid, qsize_z, &self.sqs, sqe) {
                    return fail(s);
                }
                let cqid = (sqe.cdw11 >> 16) as u16;
                if cqid == 0 || self.cqs.get(cqid as usize).is_none_or(|q| q.is_none()) {
                    return fail(Status::COMPLETION_QUEUE_INVALID);
                }
                self.sqs[qid as usize] = Some(Sq {
                    iova: sqe.dptr[0],
                    size: qsize_z + 1,
                    head: 0,
                    tail: 0,
                    cqid,
                });
                ok(0)
            }
            AdminOpcode::DELETE_IO_SQ | AdminOpcode::DELETE_IO_CQ => {
                let sq = op == AdminOpcode::DELETE_IO_SQ;
                let found = match sq {
                    true => self.sqs.get(qid as usize).is_some_and(|q| q.is_some()),
                    false => self.cqs.get(qid as usize).is_some_and(|q| q.is_some()),
                };
                if qid == 0 || !found {
                    return fail(Status::INVALID_QUEUE_IDENTIFIER);
                }
                if !sq && self.sqs.iter().flatten().any(|q| q.cqid == qid) {
                    return fail(Status::INVALID_QUEUE_DELETION);
                }
                if sq {
                    self.sqs[qid as usize] = None;
                    self.held.retain(|&(s, _)| s != qid);
                } else {
                    self.cqs[qid as usize] = None;
                }
                ok(0)
            }
            AdminOpcode::DOORBELL_BUFFER_CONFIG if self.cfg.dbbuf => {
                let [dbs, eis] = sqe.dptr;
                if dbs % PAGE != 0 || eis % PAGE != 0 || dbs == 0 || eis == 0 {
                    return fail(Status::INVALID_FIELD);
                }
                self.shadow = Some((dbs, eis));
                ok(0)
            }
            AdminOpcode::ABORT => {
                let cid = (sqe.cdw10 >> 16) as u16;
                match self.held.iter().position(|&h| h == (qid, cid)) {
                    Some(i) => {
                        self.held.swap_remove(i);
                        self.post(qid, cid, Status::ABORT_REQUESTED, 0, false);
                        // Dword 0 bit 0 clear: the command was aborted.
                        ok(0)
                    }
                    None => ok(1),
                }
            }
            AdminOpcode::ASYNC_EVENT_REQUEST => None,
            _ => fail(Status::INVALID_OPCODE),
        }
    }

    /// Why a Create I/O queue command cannot make queue `qid` of
    /// `qsize_z + 1` entries, if it cannot.
    fn check_new_queue<Q>(
        &self,
        qid: u16,
        qsize_z: u16,
        list: &[Option<Q>],
        sqe: &Command,
    ) -> Option<Status> {
        if qid == 0 || qid > self.nq || list.get(qid as usize).is_none_or(|q| q.is_some()) {
            return Some(Status::INVALID_QUEUE_IDENTIFIER);
        }
        if qsize_z == 0 || qsize_z > self.cfg.mqes_z {
            return Some(Status::INVALID_QUEUE_SIZE);
        }
        // Physically contiguous (CAP.CQR) and page aligned.
        if sqe.cdw11 & 1 == 0 || sqe.dptr[0] % PAGE != 0 {
            return Some(Status::INVALID_FIELD);
        }
        None
    }

    fn identify(&mut self, sqe: &Command) -> Done {
        let mut page = [0u8; PAGE as usize];
        match sqe.cdw10 & 0xff {
            // Namespace.
            0x00 if sqe.nsid == 1 => {
                let mut id = IdentifyNamespace::new_zeroed();
                id.nsze = self.cfg.nsze;
                id.ncap = self.cfg.nsze;
                id.nuse = self.cfg.nsze;
                id.lbaf[0] = LbaFormat::new().with_lbads(self.cfg.lba_bytes.trailing_zeros() as u8);
                page.copy_from_slice(id.as_bytes());
            }
            0x00 => return fail(Status::INVALID_NS_OR_FORMAT),
            // Controller.
            0x01 => {
                let mut id = IdentifyController::new_zeroed();
                id.sn[..6].copy_from_slice(b"model0");
                id.mn[..11].copy_from_slice(b"nvmeq model");
                id.mdts = self.cfg.mdts;
                id.oacs = if self.cfg.dbbuf { oacs::DBBUF } else { 0 };
                id.sqes = 0x66;
                id.cqes = 0x44;
                id.nn = 1;
                id.sgls = self.cfg.sgls;
                page.copy_from_slice(id.as_bytes());
            }
            // Active namespace IDs above NSID.
            0x02 => {
                if sqe.nsid < 1 {
                    page[..4].copy_from_slice(&1u32.to_le_bytes());
                }
            }
            _ => return fail(Status::INVALID_FIELD),
        }
        let segs = match self.segments(sqe, PAGE as usize, false) {
            Ok(s) => s,
            Err(s) => return fail(s),
        };
        let mut done = 0;
        for (iova, len) in segs {
            if !self.write_bytes(iova, &page[done..done + len]) {
                return fail(Status::DATA_TRANSFER_ERROR);
            }
            done += len;
        }
        ok(0)
    }

    pub(super) fn io(&mut self, sqe: &Command) -> (Status, u32) {
        let op = NvmOpcode(sqe.opcode());
        let r = match op {
            _ if sqe.nsid != 1 => Err(Status::INVALID_NS_OR_FORMAT),
            NvmOpcode::FLUSH => Ok(()),
            NvmOpcode::READ | NvmOpcode::WRITE => self.rw(sqe, op == NvmOpcode::WRITE),
            _ => Err(Status::INVALID_OPCODE),
        };
        (r.err().unwrap_or(Status::SUCCESS), 0)
    }

    fn rw(&mut self, sqe: &Command, write: bool) -> Result<(), Status> {
        let slba = sqe.cdw10 as u64 | (sqe.cdw11 as u64) << 32;
        let nlb = (sqe.cdw12 & 0xffff) as u64 + 1;
        if slba.checked_add(nlb).is_none_or(|e| e > self.cfg.nsze) {
            return Err(Status::LBA_OUT_OF_RANGE);
        }
        let len = nlb * self.cfg.lba_bytes as u64;
        if self.cfg.mdts != 0 && len > PAGE << self.cfg.mdts {
            return Err(Status::INVALID_FIELD);
        }
        if self.cfg.data == DataMode::Null {
            return Ok(());
        }
        let segs = self.segments(sqe, len as usize, true)?;
        let lba_bytes = self.cfg.lba_bytes as u64;
        // Byte offset into the transfer, one 8-byte word at a time (block
        // sizes and the driver's buffers keep words inside one segment).
        let mut off = 0u64;
        for (iova, seg) in segs {
            let mut at = 0;
            while at < seg as u64 {
                let lba = slba + off / lba_bytes;
                let want = pattern(lba, (off % lba_bytes) / 8);
                if write {
                    let got = self
                        .read::<u64>(iova + at)
                        .ok_or(Status::DATA_TRANSFER_ERROR)?;
                    if got != want {
                        self.stats.bad_writes += 1;
                        return Err(Status::DATA_TRANSFER_ERROR);
                    }
                } else if !self.write(iova + at, want) {
                    return Err(Status::DATA_TRANSFER_ERROR);
                }
                at += 8;
                off += 8;
            }
        }
        Ok(())
    }

    /// The (address, length) pieces of `len` bytes the data pointer of
    /// `sqe` describes: PRPs (PSDT 00b) or, for I/O commands, an SGL.
    fn segments(
        &mut self,
        sqe: &Command,
        len: usize,
        io: bool,
    ) -> Result<Vec<(u64, usize)>, Status> {
        match sqe.cdw0.psdt() {
            0 => self.prp_segments(sqe.dptr, len),
            1 | 2 if io && self.cfg.sgls & 0x3 != 0 => {
                let d = SglDescriptor::read_from_bytes(sqe.dptr.as_bytes())
                    .map_err(|_| Status::INTERNAL_ERROR)?;
                self.sgl_segments(d, len)
            }
            _ => Err(Status::INVALID_FIELD),
        }
    }

    fn prp_segments(
        &mut self,
        [prp1, prp2]: [u64; 2],
        len: usize,
    ) -> Result<Vec<(u64, usize)>, Status> {
        let first = (PAGE - prp1 % PAGE).min(len as u64) as usize;
        let mut out = vec![(prp1, first)];
        let mut left = len - first;
        if left == 0 {
            return Ok(out);
        }
        if left as u64 <= PAGE {
            if prp2 % PAGE != 0 {
                return Err(Status::PRP_OFFSET_INVALID);
            }
            out.push((prp2, left));
            return Ok(out);
        }
        // PRP2 points at a list; the last entry of a full list page points
        // at the next page of the list when more remain.
        if prp2 % 8 != 0 {
            return Err(Status::PRP_OFFSET_INVALID);
        }
        let mut at = prp2;
        while left > 0 {
            let e = self.read::<u64>(at).ok_or(Status::DATA_TRANSFER_ERROR)?;
            let last_of_page = (at + 8) % PAGE == 0;
            if last_of_page && left as u64 > PAGE {
                if e % 8 != 0 {
                    return Err(Status::PRP_OFFSET_INVALID);
                }
                at = e;
                continue;
            }
            if e % PAGE != 0 {
                return Err(Status::PRP_OFFSET_INVALID);
            }
            let n = left.min(PAGE as usize);
            out.push((e, n));
            left -= n;
            at += 8;
        }
        Ok(out)
    }

    fn sgl_segments(&mut self, d: SglDescriptor, len: usize) -> Result<Vec<(u64, usize)>, Status> {
        let mut out = Vec::new();
        let mut next = Some(d);
        // Bounded: a list longer than one descriptor per byte is broken.
        let mut budget = len + 1;
        while let Some(d) = next.take() {
            budget = budget
                .checked_sub(1)
                .ok_or(Status::INVALID_SGL_SEGMENT_DESCRIPTOR)?;
            match d.sgl_type() {
                SglType::DATA_BLOCK => out.push((d.addr, d.len as usize)),
                SglType::SEGMENT | SglType::LAST_SEGMENT => {
                    let last = d.sgl_type() == SglType::LAST_SEGMENT;
                    let n = d.len / SglDescriptor::LEN;
                    if n == 0 || d.len % SglDescriptor::LEN != 0 {
                        return Err(Status::INVALID_SGL_SEGMENT_DESCRIPTOR);
                    }
                    for i in 0..n {
                        let at = d.addr + (i * SglDescriptor::LEN) as u64;
                        let e: SglDescriptor = self.read(at).ok_or(Status::DATA_TRANSFER_ERROR)?;
                        match e.sgl_type() {
                            SglType::DATA_BLOCK => out.push((e.addr, e.len as usize)),
                            SglType::SEGMENT | SglType::LAST_SEGMENT if !last && i == n - 1 => {
                                next = Some(e);
                            }
                            _ => return Err(Status::SGL_DESCRIPTOR_TYPE_INVALID),
                        }
                    }
                }
                _ => return Err(Status::SGL_DESCRIPTOR_TYPE_INVALID),
            }
        }
        if out.iter().map(|s| s.1).sum::<usize>() != len {
            return Err(Status::DATA_SGL_LENGTH_INVALID);
        }
        Ok(out)
    }
}
