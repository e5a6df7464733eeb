//! Namespace Management and Namespace Attachment (Base spec 2.0, "Namespace
//! Management command", "Namespace Attachment command"): namespaces are
//! created from the Total NVM Capacity, attached to and detached from the
//! one controller, and deleted.
//!
//! The controller models one LBA format (the configuration's) and no ANA,
//! NVM Sets, Endurance Groups, sharing or thin provisioning, so a create
//! that asks for any of them is refused with the status the spec gives.

use nvmeq_core::identify::{ControllerList, Csi, IdentifyNamespace};
use nvmeq_core::log::{ChangeNsEvent, PelEventType};
use nvmeq_core::{Command, Data, Status};
use zerocopy::{FromBytes, FromZeros, IntoBytes};

use crate::controller::{data_out, Namespace, RamController};
use crate::identify::{dps_of, CNTLID};
use crate::status::{at, dnr, Fail};

/// Namespace Management and Attachment Select (SEL, CDW10 bits 3:0).
mod sel {
    /// Management: create. Attachment: attach.
    pub const CREATE_OR_ATTACH: u32 = 0;
    /// Management: delete. Attachment: detach.
    pub const DELETE_OR_DETACH: u32 = 1;
}

/// Byte of the CSI field (CDW11 bits 31:24), for the Parameter Error Location.
const CSI_BYTE: u8 = 47;

impl RamController {
    /// Total NVM capacity not allocated to a namespace (UNVMCAP), bytes.
    pub(crate) fn unallocated_capacity(&self) -> u64 {
        let used: u64 = self.ns.iter().map(Namespace::nvmcap).sum();
        self.cfg.tnvmcap().saturating_sub(used)
    }

    /// Namespace Management (admin 0Dh).
    pub(crate) fn ns_management(&mut self, sqe: &Command, data: &Data<'_>) -> Result<u64, Fail> {
        match sqe.cdw10 & 0xf {
            sel::CREATE_OR_ATTACH => self.ns_create(sqe, data),
            sel::DELETE_OR_DETACH => self.ns_delete(sqe.nsid),
            _ => Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10)),
        }
    }

    /// Create: the host software specified fields are the Identify
    /// Namespace layout (Base spec 2.0, "Namespace Management – Host Software
    /// Specified Fields" figure); the new NSID is completion dword 0.
    fn ns_create(&mut self, sqe: &Command, data: &Data<'_>) -> Result<u64, Fail> {
        if Csi((sqe.cdw11 >> 24) as u8) != Csi::NVM {
            return Err(Fail::new(
                dnr(Status::IO_COMMAND_SET_NOT_SUPPORTED),
                CSI_BYTE,
            ));
        }
        let raw = data_out(data, 4096)?;
        let host = IdentifyNamespace::read_from_bytes(raw)
            .map_err(|_| Fail::unspecific(dnr(Status::DATA_TRANSFER_ERROR)))?;
        let fmt = self.cfg.format();
        let lbads = self.cfg.lba_size.trailing_zeros() as u8;
        let invalid = Fail::unspecific(dnr(Status::INVALID_FIELD));
        // One LBA format (index 0); FLBAS bit 4 must say how its metadata moves.
        let extended = fmt.ms > 0 && fmt.meta_bytes == 0;
        if host.flbas_index() != 0
            || (host.flbas & IdentifyNamespace::FLBAS_EXTENDED != 0) != extended
            || host.flbas & 0x80 != 0
        {
            return Err(Fail::unspecific(dnr(Status::INVALID_FORMAT)));
        }
        if host.dps != dps_of(&fmt) {
            return Err(invalid);
        }
        // Private namespaces only, no ANA groups, NVM Sets or Endurance Groups.
        if host.nmic != 0 || host.anagrpid != 0 || host.nvmsetid != 0 || host.endgid != 0 {
            return Err(invalid);
        }
        if host.nsze == 0 || host.ncap > host.nsze {
            return Err(invalid);
        }
        if host.ncap != host.nsze {
            return Err(Fail::unspecific(dnr(
                Status::THIN_PROVISIONING_NOT_SUPPORTED,
            )));
        }
        host.nsze
            .checked_mul(1 << lbads)
            .filter(|&b| b <= self.unallocated_capacity())
            .ok_or(Fail::unspecific(dnr(Status::NS_INSUFFICIENT_CAPACITY)))?;
        let slot = self
            .ns
            .iter()
            .position(|n| !n.allocated)
            .ok_or(Fail::unspecific(dnr(Status::NS_ID_UNAVAILABLE)))?;
        self.ns[slot] = Namespace {
            attached: false,
            ..Namespace::new(host.nsze, lbads, fmt)
        };
        let event = ChangeNsEvent {
            nsmgt_cdw10: sqe.cdw10.into(),
            nsze: host.nsze.into(),
            nscap: host.ncap.into(),
            flbas: host.flbas,
            dps: host.dps,
            nsid: (slot as u32 + 1).into(),
            ..ChangeNsEvent::new_zeroed()
        };
        self.events
            .record(PelEventType::CHANGE_NS, event.as_bytes());
        self.changed_alloc_ns.insert(slot as u32 + 1);
        Ok(slot as u64 + 1)
    }

    /// Delete `nsid` (FFFFFFFFh: every allocated namespace), detaching it
    /// first if attached; its capacity returns to UNVMCAP.
    fn ns_delete(&mut self, nsid: u32) -> Result<u64, Fail> {
        let targets: Vec<usize> = if nsid == u32::MAX {
            (0..self.ns.len())
                .filter(|&i| self.ns[i].allocated)
                .collect()
        } else {
            let i = self.valid_nsid(nsid)?;
            if !self.ns[i].allocated {
                return Err(Fail::new(dnr(Status::INVALID_FIELD), at::NSID));
            }
            vec![i]
        };
        for i in targets {
            if self.ns[i].attached {
                self.changed_ns.insert(i as u32 + 1);
            }
            self.ns[i] = Namespace::unallocated(self.ns[i].fmt, self.ns[i].lbads);
            self.changed_alloc_ns.insert(i as u32 + 1);
            let event = ChangeNsEvent {
                nsmgt_cdw10: sel::DELETE_OR_DETACH.into(),
                nsid: (i as u32 + 1).into(),
                ..ChangeNsEvent::new_zeroed()
            };
            self.events
                .record(PelEventType::CHANGE_NS, event.as_bytes());
        }
        Ok(0)
    }

    /// The slot of a valid NSID (1 to NN), allocated or not.
    fn valid_nsid(&self, nsid: u32) -> Result<usize, Fail> {
        match nsid.checked_sub(1) {
            Some(i) if (i as usize) < self.ns.len() => Ok(i as usize),
            _ => Err(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID)),
        }
    }

    /// Namespace Attachment (admin 15h): the Controller List must name
    /// this controller, and only it.
    pub(crate) fn ns_attachment(&mut self, sqe: &Command, data: &Data<'_>) -> Result<u64, Fail> {
        let attach = match sqe.cdw10 & 0xf {
            sel::CREATE_OR_ATTACH => true,
            sel::DELETE_OR_DETACH => false,
            _ => return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10)),
        };
        if sqe.nsid == u32::MAX {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::NSID));
        }
        let i = self.valid_nsid(sqe.nsid)?;
        if !self.ns[i].allocated {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::NSID));
        }
        let raw = data_out(data, 4096)?;
        let list = ControllerList::read_from_bytes(raw)
            .map_err(|_| Fail::unspecific(dnr(Status::DATA_TRANSFER_ERROR)))?;
        // One controller in the subsystem: the list is exactly its CNTLID.
        if list.num != 1 || list.ids[0] != CNTLID {
            return Err(Fail::unspecific(dnr(Status::CONTROLLER_LIST_INVALID)));
        }
        let ns = &mut self.ns[i];
        match (attach, ns.attached) {
            (true, true) => return Err(Fail::unspecific(dnr(Status::NS_ALREADY_ATTACHED))),
            (false, false) => return Err(Fail::unspecific(dnr(Status::NS_NOT_ATTACHED))),
            _ => ns.attached = attach,
        }
        self.changed_ns.insert(sqe.nsid);
        Ok(0)
    }
}
