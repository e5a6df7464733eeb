//! Security Send and Security Receive (Base spec 2.0, "Security Send
//! command", "Security Receive command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

// ---------------------------------------------------------------- Security

/// Security Send/Receive Command Dword 10 (Base spec, "Security Send –
/// Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct SecurityCdw10 {
    /// NVMe Security Specific Field (NSSF).
    pub nssf: u8,
    /// SP Specific 0 (SPSP0): bits 7:0 of the SP Specific field.
    pub spsp0: u8,
    /// SP Specific 1 (SPSP1): bits 15:8 of the SP Specific field.
    pub spsp1: u8,
    /// Security Protocol (SECP).
    pub secp: u8,
}

/// Security Send (admin 81h) and Security Receive (admin 82h), Base spec
/// "Security Send command" / "Security Receive command".
///
/// CDW11 is the Transfer Length (TL, send) or Allocation Length (AL,
/// receive) in bytes, which is also the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Security {
    opcode: AdminOpcode,
    nsid: u32,
    cdw10: SecurityCdw10,
    len: u32,
}

/// Security Send: see [`Security`].
pub type SecuritySend = Security;
/// Security Receive: see [`Security`].
pub type SecurityReceive = Security;

impl Security {
    /// Security Send of `tl` bytes to protocol `secp` with SP Specific `spsp`.
    #[inline]
    pub const fn send(secp: u8, spsp: u16, tl: u32) -> Self {
        Self::with(AdminOpcode::SECURITY_SEND, secp, spsp, tl)
    }
    /// Security Receive of up to `al` bytes from protocol `secp`.
    #[inline]
    pub const fn receive(secp: u8, spsp: u16, al: u32) -> Self {
        Self::with(AdminOpcode::SECURITY_RECEIVE, secp, spsp, al)
    }
    #[inline]
    const fn with(opcode: AdminOpcode, secp: u8, spsp: u16, len: u32) -> Self {
        Security {
            opcode,
            nsid: 0,
            cdw10: SecurityCdw10::new()
                .with_secp(secp)
                .with_spsp0(spsp as u8)
                .with_spsp1((spsp >> 8) as u8),
            len,
        }
    }
    /// Namespace Identifier.
    #[inline]
    pub const fn nsid(mut self, nsid: u32) -> Self {
        self.nsid = nsid;
        self
    }
    /// NVMe Security Specific Field (NSSF).
    #[inline]
    pub const fn nssf(mut self, nssf: u8) -> Self {
        self.cdw10 = self.cdw10.with_nssf(nssf);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(self.opcode.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.len;
        let xfer = if self.len == 0 {
            Xfer::None
        } else {
            Xfer::Bytes(self.len)
        };
        admin(sqe, xfer)
    }
}
