//! Get Log Page (Base spec 2.0, "Get Log Page command") and the pages the
//! controller keeps: Supported Log Pages, Error Information, SMART / Health
//! Information, Firmware Slot Information, Changed Attached Namespace List,
//! Commands Supported and Effects, Device Self-test, Feature Identifiers
//! Supported and Effects, Changed Allocated Namespace List, Sanitize Status.

use core::mem::size_of;
use std::collections::BTreeSet;

use nvmeq_core::log::{
    scope, ChangedNsList, CommandEffects, CommandEffectsLog, ErrorLogEntry, FeatureEffects,
    FidEffectsLog, LogId, SmartLog, SupportedLogPages,
};
use nvmeq_core::{AdminOpcode, Command, Data, NvmOpcode, Status};
use zerocopy::byteorder::little_endian::{U128, U16};
use zerocopy::{FromZeros, IntoBytes};

use crate::admin::fid;
use crate::controller::{data_in, RamController};
use crate::health::{Smart, ERROR_LOG_ENTRIES};
use crate::status::{at, dnr, Fail};

/// Byte of the Log Page Offset Lower (CDW12), for the Parameter Error Location.
const LPOL: u8 = 48;
/// Byte of the CSI field (CDW14 bits 31:24), for the Parameter Error Location.
const CSI_BYTE: u8 = 59;

/// Composite Temperature reported in the SMART log: 300 K, a room.
const TEMPERATURE_K: u16 = 300;

/// The log pages kept, as the Supported Log Pages page lists them.
pub(crate) const SUPPORTED: [LogId; 14] = [
    LogId::SUPPORTED_LOG_PAGES,
    LogId::ERROR,
    LogId::SMART,
    LogId::FW_SLOT,
    LogId::CHANGED_NS,
    LogId::CMD_EFFECTS,
    LogId::DEVICE_SELF_TEST,
    LogId::TELEMETRY_HOST,
    LogId::TELEMETRY_CTRL,
    LogId::PERSISTENT_EVENT,
    LogId::LBA_STATUS,
    LogId::FID_EFFECTS,
    LogId::CHANGED_ALLOC_NS,
    LogId::SANITIZE,
];

/// Admin commands executed (see `admin.rs`), for the effects log.
const ADMIN_COMMANDS: [AdminOpcode; 10] = [
    AdminOpcode::GET_LOG_PAGE,
    AdminOpcode::IDENTIFY,
    AdminOpcode::SET_FEATURES,
    AdminOpcode::GET_FEATURES,
    AdminOpcode::DEVICE_SELF_TEST,
    AdminOpcode::DIRECTIVE_SEND,
    AdminOpcode::DIRECTIVE_RECEIVE,
    AdminOpcode::GET_LBA_STATUS,
    AdminOpcode::SECURITY_SEND,
    AdminOpcode::SECURITY_RECEIVE,
];

/// NVM commands executed (see `nvm.rs`) and whether each changes logical
/// block content (LBCC).
const IO_COMMANDS: [(NvmOpcode, bool); 8] = [
    (NvmOpcode::FLUSH, false),
    (NvmOpcode::WRITE, true),
    (NvmOpcode::READ, false),
    (NvmOpcode::COMPARE, false),
    (NvmOpcode::WRITE_ZEROES, true),
    (NvmOpcode::DATASET_MANAGEMENT, true),
    (NvmOpcode::VERIFY, false),
    (NvmOpcode::COPY, true),
];

impl RamController {
    pub(crate) fn get_log_page(&mut self, sqe: &Command, mut data: Data<'_>) -> Result<u64, Fail> {
        let lid = LogId((sqe.cdw10 & 0xff) as u8);
        let numd = ((sqe.cdw10 >> 16) | (sqe.cdw11 & 0xffff) << 16) as u64 + 1;
        let lpo = sqe.cdw12 as u64 | (sqe.cdw13 as u64) << 32;
        let csi = (sqe.cdw14 >> 24) as u8;
        let len = numd * 4;
        if len > self.cfg.max_xfer() as u64 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10 + 2));
        }
        if lpo % 4 != 0 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), LPOL));
        }
        match lid {
            LogId::TELEMETRY_HOST | LogId::TELEMETRY_CTRL => {
                return self.telemetry_log(sqe, lid, lpo, len, data)
            }
            LogId::PERSISTENT_EVENT => return self.persistent_event_log(sqe, lpo, len, data),
            _ => {}
        }
        // The largest page kept is 4096 bytes; the error log is built in place.
        let mut page = [0u8; 4096];
        let size = match lid {
            LogId::SUPPORTED_LOG_PAGES => put(&mut page, &supported_log_pages()),
            LogId::ERROR => ERROR_LOG_ENTRIES * size_of::<ErrorLogEntry>(),
            LogId::SMART => {
                if sqe.nsid != 0 && sqe.nsid != u32::MAX {
                    // LPA bit 0 is clear: no per-namespace SMART data.
                    return Err(Fail::new(dnr(Status::INVALID_FIELD), at::NSID));
                }
                put(&mut page, &self.smart_log())
            }
            LogId::FW_SLOT => put(&mut page, &self.firmware.log()),
            LogId::CHANGED_NS => put(&mut page, &changed_list(&mut self.changed_ns, sqe)),
            LogId::CHANGED_ALLOC_NS => {
                put(&mut page, &changed_list(&mut self.changed_alloc_ns, sqe))
            }
            LogId::CMD_EFFECTS => {
                // Only the NVM Command Set is implemented.
                if csi != 0 {
                    return Err(Fail::new(dnr(Status::INVALID_FIELD), CSI_BYTE));
                }
                put(&mut page, &effects_log())
            }
            LogId::DEVICE_SELF_TEST => put(&mut page, &self.self_test.log()),
            LogId::FID_EFFECTS => put(&mut page, &fid_effects_log()),
            LogId::SANITIZE => put(&mut page, &self.sanitize_status_log()),
            LogId::LBA_STATUS => put(&mut page, &crate::lba_status::lba_status_log()),
            _ => return Err(Fail::new(dnr(Status::INVALID_LOG_PAGE), at::CDW10)),
        };
        if lpo >= size as u64 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), LPOL));
        }
        let out = data_in(&mut data, len)?;
        out.fill(0);
        let lpo = lpo as usize;
        if lid == LogId::ERROR {
            // Entry i occupies bytes [64 i, 64 i + 64); copy the overlap.
            for (i, e) in self.errors.newest_first().enumerate() {
                copy_window(e.as_bytes(), i * 64, lpo, out);
            }
        } else {
            copy_window(&page[..size], 0, lpo, out);
        }
        Ok(0)
    }

    /// SMART / Health Information (Log Identifier 02h).
    fn smart_log(&self) -> SmartLog {
        let s = &self.smart;
        let mut log = SmartLog::new_zeroed();
        // Critical Warning 0, Percentage Used 0.
        log.temperature = U16::new(TEMPERATURE_K);
        log.avail_spare = 100;
        log.spare_thresh = 10;
        log.data_units_read = U128::new(Smart::data_units(s.read_units_512));
        log.data_units_written = U128::new(Smart::data_units(s.written_units_512));
        log.host_reads = U128::new(s.host_read_cmds);
        log.host_writes = U128::new(s.host_write_cmds);
        // Controller busy time, power cycles, power on hours, unsafe
        // shutdowns and media errors stay 0: memory has none of them.
        log.num_err_log_entries = U128::new(self.errors.count as u128);
        log
    }
}

/// Changed Attached Namespace List (LID 04h: the NSIDs attached, detached
/// or deleted) or Changed Allocated Namespace List (LID 1Ch: the NSIDs
/// created or deleted) from `changed`, the changes since the last read,
/// which clears it unless Retain Asynchronous Event (CDW10 bit 15) is set.
fn changed_list(changed: &mut BTreeSet<u32>, sqe: &Command) -> ChangedNsList {
    let mut l = ChangedNsList::new_zeroed();
    if changed.len() > l.ns.len() {
        l.ns[0] = u32::MAX;
    } else {
        for (slot, &nsid) in l.ns.iter_mut().zip(changed.iter()) {
            *slot = nsid;
        }
    }
    if sqe.cdw10 & 1 << 15 == 0 {
        changed.clear();
    }
    l
}

/// Copies `t` to the front of `page`, returning its size.
fn put<T: IntoBytes + zerocopy::Immutable>(page: &mut [u8], t: &T) -> usize {
    let b = t.as_bytes();
    page[..b.len()].copy_from_slice(b);
    b.len()
}

/// Supported Log Pages (LID 00h). No page takes an index offset (IOS clear).
fn supported_log_pages() -> SupportedLogPages {
    let mut l = SupportedLogPages::new_zeroed();
    for lid in SUPPORTED {
        l.set(lid, false);
    }
    l
}

/// Commands Supported and Effects (LID 05h, NVM Command Set): exactly the
/// commands executed, with their effects: content changes, and the
/// namespace inventory (NIC) for Namespace Management and Attachment.
fn effects_log() -> CommandEffectsLog {
    let mut l = CommandEffectsLog::new_zeroed();
    for op in ADMIN_COMMANDS {
        l.acs[op.0 as usize] = CommandEffects::new().with_csupp(true);
    }
    // Delete erases a namespace's content; both change the inventory.
    l.acs[AdminOpcode::NS_MANAGEMENT.0 as usize] = CommandEffects::new()
        .with_csupp(true)
        .with_lbcc(true)
        .with_nic(true);
    l.acs[AdminOpcode::NS_ATTACHMENT.0 as usize] =
        CommandEffects::new().with_csupp(true).with_nic(true);
    // Activating an image changes the Firmware Revision the controller reports.
    l.acs[AdminOpcode::FIRMWARE_COMMIT.0 as usize] =
        CommandEffects::new().with_csupp(true).with_ccc(true);
    l.acs[AdminOpcode::FIRMWARE_DOWNLOAD.0 as usize] = CommandEffects::new().with_csupp(true);
    l.acs[AdminOpcode::SANITIZE.0 as usize] =
        CommandEffects::new().with_csupp(true).with_lbcc(true);
    for (op, lbcc) in IO_COMMANDS {
        l.iocs[op.0 as usize] = CommandEffects::new().with_csupp(true).with_lbcc(lbcc);
    }
    l
}

/// Feature Identifiers Supported and Effects (LID 12h): the features
/// implemented, all controller scoped, none with effects.
fn fid_effects_log() -> FidEffectsLog {
    let mut l = FidEffectsLog::new_zeroed();
    for f in fid::ALL {
        l.fids[f as usize] = FeatureEffects::new()
            .with_fsupp(true)
            .with_fsp(scope::CONTROLLER);
    }
    l
}

/// Copies the part of `src`, which sits at byte `at` of a log page, that falls
/// in the window starting at log offset `lpo` of length `out.len()`.
fn copy_window(src: &[u8], at: usize, lpo: usize, out: &mut [u8]) {
    let start = at.max(lpo);
    let end = (at + src.len()).min(lpo + out.len());
    if start < end {
        out[start - lpo..end - lpo].copy_from_slice(&src[start - at..end - at]);
    }
}
