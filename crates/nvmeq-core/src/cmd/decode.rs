//! [`Cmd::from_sqe`]: the transfer a raw submission entry implies, for the
//! opcodes this crate knows. Raw passthrough (the CLI's `admin-passthru` and
//! `io-passthru`) checks a user's buffer against it, and an emulated
//! controller uses it to know how much data a received command moves.

use super::admin::feature_data_len;
use super::nvm::CopyFormat;
use super::zns::ZoneSendAction;
use super::{Cmd, QueueKind, Xfer};
use crate::opcode::{AdminOpcode, NvmOpcode};
use crate::sqe::Command;

/// `(numd_z + 1) * 4` when it fits a `u32`.
#[inline]
const fn numd_bytes(numd_z: u32) -> Option<Xfer> {
    match numd_z.checked_add(1) {
        Some(d) => match d.checked_mul(4) {
            Some(b) => Some(Xfer::Bytes(b)),
            None => None,
        },
        None => None,
    }
}

#[inline]
const fn bytes_or_none(len: u32) -> Xfer {
    if len == 0 {
        Xfer::None
    } else {
        Xfer::Bytes(len)
    }
}

impl Cmd {
    /// The command an entry is, with the transfer its own fields define
    /// (NLB, NUMD, NR, a fixed structure size), exactly as the builders
    /// would have made it. `None` for opcodes whose transfer cannot be told
    /// from the entry alone: unknown and vendor specific opcodes, NVMe-MI
    /// Send/Receive, features with variable data (FDP Events, unknown
    /// FIDs), a Get Log Page or similar of 4 GiB or more, an unknown SEL or
    /// Copy descriptor format.
    ///
    /// Transfers the entry's metadata pointer describes (MPTR) are not
    /// included; like the builders, this covers the data buffer only.
    #[inline]
    pub const fn from_sqe(queue: QueueKind, sqe: Command) -> Option<Cmd> {
        let xfer = match queue {
            QueueKind::Admin => admin_xfer(&sqe),
            QueueKind::Io => io_xfer(&sqe),
        };
        match xfer {
            Some(x) => Some(Cmd::with_xfer(queue, sqe, x)),
            None => None,
        }
    }
}

#[inline]
const fn admin_xfer(s: &Command) -> Option<Xfer> {
    Some(match AdminOpcode(s.opcode()) {
        AdminOpcode::DELETE_IO_SQ
        | AdminOpcode::CREATE_IO_SQ
        | AdminOpcode::DELETE_IO_CQ
        | AdminOpcode::CREATE_IO_CQ
        | AdminOpcode::ABORT
        | AdminOpcode::ASYNC_EVENT_REQUEST
        | AdminOpcode::FIRMWARE_COMMIT
        | AdminOpcode::DEVICE_SELF_TEST
        | AdminOpcode::KEEP_ALIVE
        | AdminOpcode::VIRTUALIZATION_MANAGEMENT
        | AdminOpcode::DOORBELL_BUFFER_CONFIG
        | AdminOpcode::FORMAT_NVM
        | AdminOpcode::SANITIZE
        | AdminOpcode::CAPACITY_MANAGEMENT
        | AdminOpcode::LOCKDOWN => Xfer::None,
        AdminOpcode::GET_LOG_PAGE => {
            return numd_bytes(s.cdw10 >> 16 | (s.cdw11 & 0xffff) << 16);
        }
        AdminOpcode::IDENTIFY => Xfer::Bytes(4096),
        AdminOpcode::SET_FEATURES | AdminOpcode::GET_FEATURES => {
            let get = s.opcode() == AdminOpcode::GET_FEATURES.0;
            let fid = super::admin::FeatureId(s.cdw10 as u8);
            if get && (s.cdw10 >> 8) & 7 == 3 {
                // SEL = supported capabilities: the answer is in dword 0.
                Xfer::None
            } else if fid.name().is_none() || fid.0 == super::admin::FeatureId::FDP_EVENTS.0 {
                return None;
            } else {
                bytes_or_none(feature_data_len(fid, s.cdw11, get))
            }
        }
        AdminOpcode::NS_MANAGEMENT => match s.cdw10 & 0xf {
            0 => Xfer::Bytes(4096),
            1 => Xfer::None,
            _ => return None,
        },
        AdminOpcode::FIRMWARE_DOWNLOAD => return numd_bytes(s.cdw10),
        AdminOpcode::NS_ATTACHMENT => Xfer::Bytes(4096),
        // NUMD counts dwords from 1 here too: a no-data operation's NUMD of
        // 0 reads as 4 bytes, which over-covers and so is safe.
        AdminOpcode::DIRECTIVE_SEND | AdminOpcode::DIRECTIVE_RECEIVE => {
            return numd_bytes(s.cdw10);
        }
        AdminOpcode::SECURITY_SEND | AdminOpcode::SECURITY_RECEIVE => bytes_or_none(s.cdw11),
        AdminOpcode::GET_LBA_STATUS => return numd_bytes(s.cdw12),
        _ => return None,
    })
}

#[inline]
const fn io_xfer(s: &Command) -> Option<Xfer> {
    let nlb = Xfer::Blocks((s.cdw12 & 0xffff) + 1);
    Some(match NvmOpcode(s.opcode()) {
        NvmOpcode::FLUSH
        | NvmOpcode::WRITE_UNCORRECTABLE
        | NvmOpcode::WRITE_ZEROES
        | NvmOpcode::VERIFY => Xfer::None,
        NvmOpcode::WRITE | NvmOpcode::READ | NvmOpcode::COMPARE | NvmOpcode::ZONE_APPEND => nlb,
        NvmOpcode::DATASET_MANAGEMENT => Xfer::Bytes(16 * ((s.cdw10 & 0xff) + 1)),
        NvmOpcode::RESERVATION_REGISTER | NvmOpcode::RESERVATION_ACQUIRE => Xfer::Bytes(16),
        NvmOpcode::RESERVATION_RELEASE => Xfer::Bytes(8),
        NvmOpcode::RESERVATION_REPORT => return numd_bytes(s.cdw10),
        NvmOpcode::COPY => {
            let n = (s.cdw12 & 0xff) + 1;
            let f = match (s.cdw12 >> 8) & 0xf {
                0 => CopyFormat::Format0,
                1 => CopyFormat::Format1,
                2 => CopyFormat::Format2,
                3 => CopyFormat::Format3,
                _ => return None,
            };
            Xfer::Bytes(f.desc_len() * n)
        }
        NvmOpcode::ZONE_MGMT_SEND => {
            // The extension size is the namespace's (ZDES); assume the
            // largest, as the builder does without one.
            if s.cdw13 & 0xff == ZoneSendAction::SET_ZDE.0 as u32 {
                Xfer::Bytes(255 * 64)
            } else {
                Xfer::None
            }
        }
        NvmOpcode::ZONE_MGMT_RECV => return numd_bytes(s.cdw12),
        NvmOpcode::IO_MGMT_RECV => return numd_bytes(s.cdw11),
        // Reclaim Unit Handle Update: MOS + 1 placement identifiers.
        NvmOpcode::IO_MGMT_SEND if s.cdw10 & 0xff == 1 => Xfer::Bytes(2 * ((s.cdw10 >> 16) + 1)),
        _ => return None,
    })
}
