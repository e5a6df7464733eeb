//! Lockdown (Base spec 2.0, "Lockdown command"): prohibit or allow a
//! command or a Set Features Feature Identifier on an interface.

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

open_enum! {
    /// Scope (SCP) of Lockdown: what the Opcode or Feature Identifier names.
    LockdownScope {
        /// 0h: an admin command opcode.
        ADMIN_OPCODE = 0x0 => "Admin Command Opcode",
        /// 2h: a Set Features Feature Identifier.
        FEATURE_ID = 0x2 => "Set Features Feature Identifier",
        /// 3h: a Management Interface command opcode.
        MI_OPCODE = 0x3 => "Management Interface Command Set Opcode",
        /// 4h: a PCIe command opcode.
        PCIE_OPCODE = 0x4 => "PCIe Command Set Opcode",
    }
}

open_enum! {
    /// Interface (IFC) of Lockdown: where the prohibition applies.
    LockdownInterface {
        /// 0h: the Admin Submission Queue.
        ADMIN_QUEUE = 0x0 => "Admin Submission Queue",
        /// 1h: the Admin Submission Queue and out-of-band management.
        ADMIN_AND_OOB = 0x1 => "Admin Submission Queue and Out-of-Band",
        /// 2h: out-of-band management only.
        OOB = 0x2 => "Out-of-Band",
    }
}

/// Lockdown Command Dword 10 (Base spec 2.0, Figure "Lockdown – Command
/// Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct LockdownCdw10 {
    /// Scope (SCP).
    #[bits(4)]
    pub scp: u8,
    /// Prohibit (PRHBT): 1 prohibits, 0 allows.
    pub prhbt: bool,
    /// Interface (IFC).
    #[bits(2)]
    pub ifc: u8,
    /// Reserved.
    #[bits(1)]
    _rsvd7: u8,
    /// Opcode or Feature Identifier (OFI).
    pub ofi: u8,
    /// Reserved.
    _rsvd16: u16,
}

/// Lockdown (admin 24h). No data; CDW14 bits 6:0 the UUID Index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockdown {
    cdw10: LockdownCdw10,
    uidx: u8,
}

impl Lockdown {
    /// Prohibit (`prohibit`) or allow `ofi` of `scope` on `ifc`.
    #[inline]
    pub const fn new(
        scope: LockdownScope,
        ofi: u8,
        ifc: LockdownInterface,
        prohibit: bool,
    ) -> Self {
        Lockdown {
            cdw10: LockdownCdw10::new()
                .with_scp(scope.0 & 0xf)
                .with_prhbt(prohibit)
                .with_ifc(ifc.0 & 0x3)
                .with_ofi(ofi),
            uidx: 0,
        }
    }
    /// UUID Index (bits 6:0).
    #[inline]
    pub const fn uidx(mut self, uidx: u8) -> Self {
        self.uidx = uidx & 0x7f;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::LOCKDOWN.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw14 = self.uidx as u32;
        admin(sqe, Xfer::None)
    }
}
