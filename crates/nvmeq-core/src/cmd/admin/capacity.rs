//! Capacity Management (Base spec 2.0, "Capacity Management command").

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

open_enum! {
    /// Operation (CDW10 bits 3:0) of Capacity Management.
    CapacityOperation {
        /// 0h: select a capacity configuration (Element Identifier: its
        /// Capacity Configuration Identifier).
        SELECT_CONFIG = 0x0 => "Select Capacity Configuration",
        /// 1h: create an Endurance Group of the given capacity.
        CREATE_ENDGRP = 0x1 => "Create Endurance Group",
        /// 2h: delete Endurance Group Element Identifier.
        DELETE_ENDGRP = 0x2 => "Delete Endurance Group",
        /// 3h: create an NVM Set in Endurance Group Element Identifier.
        CREATE_NVMSET = 0x3 => "Create NVM Set",
        /// 4h: delete NVM Set Element Identifier.
        DELETE_NVMSET = 0x4 => "Delete NVM Set",
    }
}

/// Capacity Management (admin 20h): CDW10 Operation (bits 3:0) and
/// Element Identifier (bits 31:16), CDW11/12 the capacity in bytes (lower
/// and upper 32 bits). No data; a create returns the new identifier in
/// completion dword 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityMgmt {
    op: CapacityOperation,
    element_id: u16,
    capacity: u64,
}

impl CapacityMgmt {
    /// Operation `op` on element `element_id`, capacity 0.
    #[inline]
    pub const fn new(op: CapacityOperation, element_id: u16) -> Self {
        CapacityMgmt {
            op,
            element_id,
            capacity: 0,
        }
    }
    /// The capacity, in bytes, of the element to create.
    #[inline]
    pub const fn capacity(mut self, bytes: u64) -> Self {
        self.capacity = bytes;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::CAPACITY_MANAGEMENT.0, 0);
        sqe.cdw10 = (self.op.0 & 0xf) as u32 | (self.element_id as u32) << 16;
        sqe.cdw11 = self.capacity as u32;
        sqe.cdw12 = (self.capacity >> 32) as u32;
        admin(sqe, Xfer::None)
    }
}
