//! Format NVM (Base spec 2.0, "Format NVM command"): destroys the data of
//! the namespaces it formats.

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Protection Information (PI) type to format with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ProtectionType {
    /// No protection information.
    None = 0,
    /// Type 1.
    Type1 = 1,
    /// Type 2.
    Type2 = 2,
    /// Type 3.
    Type3 = 3,
}

/// Secure Erase Settings (SES).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SecureErase {
    /// 000b: no secure erase.
    None = 0,
    /// 001b: user data erase.
    UserData = 1,
    /// 010b: cryptographic erase.
    Cryptographic = 2,
}

/// Format NVM Command Dword 10 (Base spec, "Format NVM – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct FormatCdw10 {
    /// LBA Format Lower (LBAFL): bits 3:0 of the format index.
    #[bits(4)]
    pub lbafl: u8,
    /// Metadata Settings (MSET): metadata transferred as part of an extended LBA.
    pub mset: bool,
    /// Protection Information (PI).
    #[bits(3)]
    pub pi: u8,
    /// Protection Information Location (PIL): first bytes of metadata.
    pub pil: bool,
    /// Secure Erase Settings (SES).
    #[bits(3)]
    pub ses: u8,
    /// LBA Format Upper (LBAFU): bits 5:4 of the format index.
    #[bits(2)]
    pub lbafu: u8,
    /// Reserved (bits 31:14).
    #[bits(18)]
    _rsvd: u32,
}

/// Format NVM (admin 80h), Base spec "Format NVM command". No data.
/// Destructive: erases the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatNvm {
    nsid: u32,
    cdw10: FormatCdw10,
}

impl FormatNvm {
    /// Format `nsid` (FFFFFFFFh: all) with LBA format index `lbaf` (0..=63;
    /// bits above 5 are ignored), split into LBAFL and LBAFU.
    #[inline]
    pub const fn new(nsid: u32, lbaf: u8) -> Self {
        FormatNvm {
            nsid,
            cdw10: FormatCdw10::new()
                .with_lbafl(lbaf & 0xf)
                .with_lbafu((lbaf >> 4) & 3),
        }
    }
    /// Metadata Settings (MSET).
    #[inline]
    pub const fn mset(mut self, mset: bool) -> Self {
        self.cdw10 = self.cdw10.with_mset(mset);
        self
    }
    /// Protection Information (PI).
    #[inline]
    pub const fn pi(mut self, pi: ProtectionType) -> Self {
        self.cdw10 = self.cdw10.with_pi(pi as u8);
        self
    }
    /// Protection Information Location (PIL).
    #[inline]
    pub const fn pil(mut self, pil: bool) -> Self {
        self.cdw10 = self.cdw10.with_pil(pil);
        self
    }
    /// Secure Erase Settings (SES).
    #[inline]
    pub const fn ses(mut self, ses: SecureErase) -> Self {
        self.cdw10 = self.cdw10.with_ses(ses as u8);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::FORMAT_NVM.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
}
