//! Admin commands: Identify, Get Log Page, Get Features and Set Features
//! (NVMe Base Specification, "Admin Command Set").

use core::mem::size_of;

use nvmeq_core::log::{ErrorLogEntry, FwSlotLog, LogId, SmartLog};
use nvmeq_core::{AdminOpcode, Command, Data};
use zerocopy::byteorder::little_endian::{U128, U16};
use zerocopy::{FromZeros, IntoBytes};

use crate::controller::{data_in, Features, RamController};
use crate::health::{Smart, ERROR_LOG_ENTRIES};
use crate::identify;
use crate::status::{at, dnr, Fail};
use nvmeq_core::Status;

/// I/O queues the controller offers through Number of Queues (per kind).
pub(crate) const MAX_IO_QUEUES: u16 = 64;

/// Byte of the Log Page Offset Lower (CDW12), for the Parameter Error Location.
const LPOL: u8 = 48;

/// Feature Identifiers implemented.
pub(crate) mod fid {
    pub const ARBITRATION: u8 = 0x01;
    pub const VOLATILE_WRITE_CACHE: u8 = 0x06;
    pub const NUMBER_OF_QUEUES: u8 = 0x07;
}

/// Composite Temperature reported in the SMART log: 300 K, a room.
const TEMPERATURE_K: u16 = 300;

impl RamController {
    /// Executes an admin command, returning the completion's result dwords.
    pub(crate) fn admin(&mut self, sqe: &Command, mut data: Data<'_>) -> Result<u64, Fail> {
        match AdminOpcode(sqe.opcode()) {
            AdminOpcode::IDENTIFY => {
                let out = data_in(&mut data, 4096)?;
                identify::fill(self, sqe, out)?;
                Ok(0)
            }
            AdminOpcode::GET_LOG_PAGE => self.get_log_page(sqe, data),
            AdminOpcode::GET_FEATURES => self.get_features(sqe),
            AdminOpcode::SET_FEATURES => self.set_features(sqe),
            _ => Err(Fail::new(dnr(Status::INVALID_OPCODE), at::OPC)),
        }
    }

    fn get_log_page(&mut self, sqe: &Command, mut data: Data<'_>) -> Result<u64, Fail> {
        let lid = (sqe.cdw10 & 0xff) as u8;
        let numd = ((sqe.cdw10 >> 16) | (sqe.cdw11 & 0xffff) << 16) as u64 + 1;
        let lpo = sqe.cdw12 as u64 | (sqe.cdw13 as u64) << 32;
        let len = numd * 4;
        if len > self.cfg.max_xfer() as u64 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10 + 2));
        }
        if lpo % 4 != 0 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), LPOL));
        }
        let mut page = [0u8; 512];
        let size = match LogId(lid) {
            // 64 entries of 64 bytes, encoded one at a time below.
            LogId::ERROR => ERROR_LOG_ENTRIES * size_of::<ErrorLogEntry>(),
            LogId::SMART => {
                if sqe.nsid != 0 && sqe.nsid != u32::MAX {
                    // LPA bit 0 is clear: no per-namespace SMART data.
                    return Err(Fail::new(dnr(Status::INVALID_FIELD), at::NSID));
                }
                page.copy_from_slice(self.smart_log().as_bytes());
                512
            }
            LogId::FW_SLOT => {
                page.copy_from_slice(firmware_slot_log().as_bytes());
                512
            }
            _ => return Err(Fail::new(dnr(Status::INVALID_LOG_PAGE), at::CDW10)),
        };
        if lpo >= size as u64 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), LPOL));
        }
        let out = data_in(&mut data, len)?;
        out.fill(0);
        let lpo = lpo as usize;
        if LogId(lid) == LogId::ERROR {
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

    fn get_features(&mut self, sqe: &Command) -> Result<u64, Fail> {
        let fid = (sqe.cdw10 & 0xff) as u8;
        let sel = (sqe.cdw10 >> 8) & 0x7;
        let f = match sel {
            // Current.
            0 => self.features,
            // Default, and Saved: nothing is ever saved, so the default.
            1 | 2 => Features::DEFAULT,
            // Supported capabilities: changeable (bit 2), not saveable, not
            // namespace specific.
            3 => {
                return match fid {
                    fid::ARBITRATION | fid::VOLATILE_WRITE_CACHE | fid::NUMBER_OF_QUEUES => {
                        Ok(1 << 2)
                    }
                    _ => Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10)),
                }
            }
            _ => return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10 + 1)),
        };
        match fid {
            fid::ARBITRATION => Ok(f.arbitration as u64),
            fid::VOLATILE_WRITE_CACHE => Ok(f.wce as u64),
            fid::NUMBER_OF_QUEUES => Ok((f.ncqa_z as u64) << 16 | f.nsqa_z as u64),
            _ => Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10)),
        }
    }

    fn set_features(&mut self, sqe: &Command) -> Result<u64, Fail> {
        let fid = (sqe.cdw10 & 0xff) as u8;
        let save = sqe.cdw10 & (1 << 31) != 0;
        match fid {
            fid::ARBITRATION | fid::VOLATILE_WRITE_CACHE | fid::NUMBER_OF_QUEUES => {}
            _ => return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10)),
        }
        if save {
            return Err(Fail::new(dnr(Status::FEATURE_NOT_SAVEABLE), at::CDW10 + 3));
        }
        match fid {
            fid::ARBITRATION => {
                self.features.arbitration = sqe.cdw11;
                Ok(0)
            }
            fid::VOLATILE_WRITE_CACHE => {
                self.features.wce = sqe.cdw11 & 1 != 0;
                Ok(0)
            }
            _ => {
                let nsqr_z = (sqe.cdw11 & 0xffff) as u16;
                let ncqr_z = (sqe.cdw11 >> 16) as u16;
                if nsqr_z == u16::MAX || ncqr_z == u16::MAX {
                    return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
                }
                // The controller may allocate fewer queues than requested.
                self.features.nsqa_z = nsqr_z.min(MAX_IO_QUEUES - 1);
                self.features.ncqa_z = ncqr_z.min(MAX_IO_QUEUES - 1);
                Ok((self.features.ncqa_z as u64) << 16 | self.features.nsqa_z as u64)
            }
        }
    }
}

/// Firmware Slot Information (Log Identifier 03h): slot 1 active, read-only.
fn firmware_slot_log() -> FwSlotLog {
    let mut log = FwSlotLog::new_zeroed();
    // AFI: bits 2:0 active slot 1, bits 6:4 no next slot.
    log.afi = 1;
    log.frs[0] = identify::FR;
    log
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
