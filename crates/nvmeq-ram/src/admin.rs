//! Admin commands: the dispatch, and Get Features and Set Features (NVMe
//! Base Specification, "Admin Command Set"). Identify, Get Log Page and
//! Device Self-test, Namespace Management and Attachment, the firmware
//! commands and Sanitize live in their own modules.

use nvmeq_core::{AdminOpcode, Command, Data};

use crate::controller::{data_in, Features, RamController};
use crate::identify;
use crate::status::{at, dnr, Fail};
use nvmeq_core::Status;

/// I/O queues the controller offers through Number of Queues (per kind).
pub(crate) const MAX_IO_QUEUES: u16 = 64;

/// Feature Identifiers implemented.
pub(crate) mod fid {
    pub const ALL: [u8; 3] = [ARBITRATION, VOLATILE_WRITE_CACHE, NUMBER_OF_QUEUES];
    pub const ARBITRATION: u8 = 0x01;
    pub const VOLATILE_WRITE_CACHE: u8 = 0x06;
    pub const NUMBER_OF_QUEUES: u8 = 0x07;
}

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
            AdminOpcode::SET_FEATURES => self
                .set_features(sqe)
                .inspect(|_| self.events.set_feature(sqe)),
            AdminOpcode::DEVICE_SELF_TEST => self.device_self_test(sqe),
            AdminOpcode::NS_MANAGEMENT => self.ns_management(sqe, &data),
            AdminOpcode::NS_ATTACHMENT => self.ns_attachment(sqe, &data),
            AdminOpcode::FIRMWARE_DOWNLOAD => self.fw_download(sqe, &data),
            AdminOpcode::FIRMWARE_COMMIT => self.fw_commit(sqe),
            AdminOpcode::SANITIZE => self.sanitize(sqe),
            AdminOpcode::DIRECTIVE_RECEIVE => self.directive_receive(sqe, data),
            AdminOpcode::DIRECTIVE_SEND => self.directive_send(sqe),
            AdminOpcode::GET_LBA_STATUS => self.get_lba_status(sqe, data),
            AdminOpcode::SECURITY_RECEIVE => self.security_receive(sqe, data),
            AdminOpcode::SECURITY_SEND => self.security_send(sqe, &data),
            _ => Err(Fail::new(dnr(Status::INVALID_OPCODE), at::OPC)),
        }
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
