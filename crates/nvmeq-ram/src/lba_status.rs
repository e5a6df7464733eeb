//! LBA status (Base spec 2.0): memory never loses a block, so no namespace
//! has potentially unrecoverable LBAs to report. The LBA Status Information
//! log (LID 0Eh) is its 16-byte header alone, with the generation counter
//! that never had a reason to change, and Get LBA Status (admin 86h)
//! returns an empty LBA Status Descriptor list that covers the whole range
//! asked for.

use nvmeq_core::cmd::{GetLbaStatusCdw13, LbaStatusAtype};
use nvmeq_core::lba_status::{Cmpc, LbaStatusListHeader};
use nvmeq_core::log::LbaStatusLog;
use nvmeq_core::{Command, Data, Status};
use zerocopy::IntoBytes;

use crate::controller::{data_in, RamController};
use crate::status::{at, dnr, Fail};

/// The page: Log Page Length 16, no namespace elements, no estimate.
pub(crate) fn lba_status_log() -> LbaStatusLog {
    let mut l = LbaStatusLog::default();
    l.lslplen.set(size_of::<LbaStatusLog>() as u32);
    l
}

impl RamController {
    /// Get LBA Status: both actions (scan, tracked) find nothing, so the
    /// list has no descriptors and Completion Condition 2h (complete).
    pub(crate) fn get_lba_status(
        &mut self,
        sqe: &Command,
        mut data: Data<'_>,
    ) -> Result<u64, Fail> {
        let cdw13 = GetLbaStatusCdw13::from_bits(sqe.cdw13);
        match LbaStatusAtype(cdw13.atype()) {
            LbaStatusAtype::SCAN_UNTRACKED | LbaStatusAtype::TRACKED => {}
            _ => return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW12 + 7)),
        }
        let nsze = self
            .namespace(sqe.nsid)
            .ok_or(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID))?
            .nsze;
        let slba = sqe.cdw10 as u64 | (sqe.cdw11 as u64) << 32;
        if slba >= nsze {
            return Err(Fail::at_lba(dnr(Status::LBA_OUT_OF_RANGE), slba, at::CDW10));
        }
        let out = data_in(&mut data, (sqe.cdw12 as u64 + 1) * 4)?;
        let h = LbaStatusListHeader {
            cmpc: Cmpc::COMPLETE.0,
            ..Default::default()
        };
        let b = h.as_bytes();
        let n = out.len().min(b.len());
        out[..n].copy_from_slice(&b[..n]);
        out[n..].fill(0);
        Ok(0)
    }
}
