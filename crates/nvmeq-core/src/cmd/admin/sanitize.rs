//! Sanitize (Base spec 2.0, "Sanitize command"): erases all user data of the
//! NVM subsystem.

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

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
