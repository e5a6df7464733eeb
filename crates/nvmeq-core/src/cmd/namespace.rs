//! Namespace Management, Namespace Attachment, Format NVM and Sanitize
//! (Base spec 2.0, each command's section): the commands that create,
//! attach, delete or erase namespaces. All but attachment destroy data.

use bitfield_struct::bitfield;

use super::admin::admin;
use super::{Cmd, Xfer};
use crate::cqe::Completion;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

// ----------------------------------------------------- Namespace Management

/// Namespace Management / Attachment Command Dword 10: bits 3:0 Select (SEL).
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct SelCdw10 {
    /// Select (SEL).
    #[bits(4)]
    pub sel: u8,
    /// Reserved (bits 31:4).
    #[bits(28)]
    _rsvd: u32,
}

/// Namespace Management Command Dword 11: bits 31:24 Command Set Identifier.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct NsMgmtCdw11 {
    /// Reserved (bits 23:0).
    #[bits(24)]
    _rsvd: u32,
    /// Command Set Identifier (CSI) of the namespace to create.
    pub csi: u8,
}

/// Namespace Management (admin 0Dh), Base spec "Namespace Management command".
///
/// Create (SEL 0) sends the 4096-byte host-specified Identify Namespace
/// structure; Delete (SEL 1) moves no data. Destructive: deletes data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsManagement {
    nsid: u32,
    cdw10: SelCdw10,
    cdw11: NsMgmtCdw11,
}

impl NsManagement {
    /// Create a namespace of command set `csi` (0 NVM, 2 ZNS) from the
    /// 4096-byte structure in the data buffer. The new NSID is in
    /// completion dword 0 ([`Self::created_nsid`]).
    #[inline]
    pub const fn create(csi: u8) -> Self {
        NsManagement {
            nsid: 0,
            cdw10: SelCdw10::new().with_sel(0),
            cdw11: NsMgmtCdw11::new().with_csi(csi),
        }
    }
    /// Delete namespace `nsid` (FFFFFFFFh: all).
    #[inline]
    pub const fn delete(nsid: u32) -> Self {
        NsManagement {
            nsid,
            cdw10: SelCdw10::new().with_sel(1),
            cdw11: NsMgmtCdw11::new(),
        }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::NS_MANAGEMENT.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        let xfer = if self.cdw10.sel() == 0 {
            Xfer::Bytes(4096)
        } else {
            Xfer::None
        };
        admin(sqe, xfer)
    }
    /// The NSID a successful create allocated (completion dword 0).
    #[inline]
    pub const fn created_nsid(c: &Completion) -> u32 {
        c.dw0
    }
}

/// Namespace Attachment (admin 15h), Base spec "Namespace Attachment command".
///
/// Sends a 4096-byte Controller List naming the controllers to attach to or
/// detach from namespace `nsid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsAttachment {
    nsid: u32,
    cdw10: SelCdw10,
}

impl NsAttachment {
    /// The size of the Controller List the command sends.
    pub const DATA_LEN: u32 = 4096;

    /// Attach `nsid` to the controllers in the list (SEL 0).
    #[inline]
    pub const fn attach(nsid: u32) -> Self {
        NsAttachment {
            nsid,
            cdw10: SelCdw10::new().with_sel(0),
        }
    }
    /// Detach `nsid` from the controllers in the list (SEL 1).
    #[inline]
    pub const fn detach(nsid: u32) -> Self {
        NsAttachment {
            nsid,
            cdw10: SelCdw10::new().with_sel(1),
        }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::NS_ATTACHMENT.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::Bytes(Self::DATA_LEN))
    }
}

// ---------------------------------------------------------------- Format NVM

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

// ---------------------------------------------------------------- Sanitize

/// Sanitize Action (SANACT) with the fields only Overwrite uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SanitizeAction {
    /// 001b: Exit Failure Mode.
    ExitFailureMode,
    /// 010b: Start a Block Erase sanitize operation.
    BlockErase,
    /// 011b: Start an Overwrite sanitize operation.
    Overwrite {
        /// Overwrite Pass Count (OWPASS), 4 bits: 0 means 16 passes; bits
        /// above 3 are ignored.
        owpass: u8,
        /// Overwrite Invert Pattern Between Passes (OIPBP).
        oipbp: bool,
        /// Overwrite Pattern (OVRPAT, CDW11).
        ovrpat: u32,
    },
    /// 100b: Start a Crypto Erase sanitize operation.
    CryptoErase,
}

/// Sanitize Command Dword 10 (Base spec, "Sanitize – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct SanitizeCdw10 {
    /// Sanitize Action (SANACT).
    #[bits(3)]
    pub sanact: u8,
    /// Allow Unrestricted Sanitize Exit (AUSE).
    pub ause: bool,
    /// Overwrite Pass Count (OWPASS).
    #[bits(4)]
    pub owpass: u8,
    /// Overwrite Invert Pattern Between Passes (OIPBP).
    pub oipbp: bool,
    /// No-Deallocate After Sanitize (NDAS).
    pub ndas: bool,
    /// Reserved (bits 31:10).
    #[bits(22)]
    _rsvd: u32,
}

/// Sanitize (admin 84h), Base spec "Sanitize command". No data. Destructive:
/// erases all user data of the NVM subsystem's namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sanitize {
    cdw10: SanitizeCdw10,
    ovrpat: u32,
}

impl Sanitize {
    /// Start or exit a sanitize operation.
    #[inline]
    pub const fn new(action: SanitizeAction) -> Self {
        let (sanact, owpass, oipbp, ovrpat) = match action {
            SanitizeAction::ExitFailureMode => (1, 0, false, 0),
            SanitizeAction::BlockErase => (2, 0, false, 0),
            SanitizeAction::Overwrite {
                owpass,
                oipbp,
                ovrpat,
            } => (3, owpass & 0xf, oipbp, ovrpat),
            SanitizeAction::CryptoErase => (4, 0, false, 0),
        };
        Sanitize {
            cdw10: SanitizeCdw10::new()
                .with_sanact(sanact)
                .with_owpass(owpass)
                .with_oipbp(oipbp),
            ovrpat,
        }
    }
    /// Allow Unrestricted Sanitize Exit (AUSE).
    #[inline]
    pub const fn ause(mut self, ause: bool) -> Self {
        self.cdw10 = self.cdw10.with_ause(ause);
        self
    }
    /// No-Deallocate After Sanitize (NDAS).
    #[inline]
    pub const fn ndas(mut self, ndas: bool) -> Self {
        self.cdw10 = self.cdw10.with_ndas(ndas);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::SANITIZE.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.ovrpat;
        admin(sqe, Xfer::None)
    }
}
