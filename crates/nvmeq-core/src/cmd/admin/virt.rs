//! Virtualization Management (Base spec 2.0, "Virtualization Management
//! command"): SR-IOV resource management for the driver that owns the
//! controller.

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Resource Type (RT) of Virtualization Management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ResourceType {
    /// 000b: VQ Resources (queues).
    Vq = 0,
    /// 001b: VI Resources (interrupt vectors).
    Vi = 1,
}

/// Action (ACT) of Virtualization Management, with the fields each uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VirtAction {
    /// 1h: Primary Controller Flexible Allocation of `nr` resources.
    PrimaryFlexibleAllocation {
        /// Resource Type.
        rt: ResourceType,
        /// Number of Controller Resources (NR).
        nr: u16,
    },
    /// 7h: Secondary Controller Offline.
    SecondaryOffline,
    /// 8h: Secondary Controller Assign `nr` resources.
    SecondaryAssign {
        /// Resource Type.
        rt: ResourceType,
        /// Number of Controller Resources (NR).
        nr: u16,
    },
    /// 9h: Secondary Controller Online.
    SecondaryOnline,
}

/// Virtualization Management Command Dword 10.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct VirtMgmtCdw10 {
    /// Action (ACT).
    #[bits(4)]
    pub act: u8,
    /// Reserved (bits 7:4).
    #[bits(4)]
    _rsvd: u8,
    /// Resource Type (RT).
    #[bits(3)]
    pub rt: u8,
    /// Reserved (bits 15:11).
    #[bits(5)]
    _rsvd2: u8,
    /// Controller Identifier (CNTLID).
    pub cntlid: u16,
}

/// Virtualization Management (admin 1Ch), Base spec "Virtualization
/// Management command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtMgmt {
    cdw10: VirtMgmtCdw10,
    nr: u16,
}

impl VirtMgmt {
    /// Apply `act` to controller `cntlid`.
    #[inline]
    pub const fn new(act: VirtAction, cntlid: u16) -> Self {
        let (a, rt, nr) = match act {
            VirtAction::PrimaryFlexibleAllocation { rt, nr } => (1, rt as u8, nr),
            VirtAction::SecondaryOffline => (7, 0, 0),
            VirtAction::SecondaryAssign { rt, nr } => (8, rt as u8, nr),
            VirtAction::SecondaryOnline => (9, 0, 0),
        };
        VirtMgmt {
            cdw10: VirtMgmtCdw10::new()
                .with_act(a)
                .with_rt(rt)
                .with_cntlid(cntlid),
            nr,
        }
    }
    /// The command: CDW11 bits 15:0 are NR.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::VIRTUALIZATION_MANAGEMENT.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.nr as u32;
        admin(sqe, Xfer::None)
    }
}
