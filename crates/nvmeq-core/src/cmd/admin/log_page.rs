//! Get Log Page (Base spec, "Get Log Page command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Numd, Xfer};
use crate::identify::Csi;
use crate::log::LogId;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Get Log Page Command Dword 10 (Base spec, "Get Log Page – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetLogPageCdw10 {
    /// Log Page Identifier (LID).
    #[bits(8)]
    pub lid: LogId,
    /// Log Specific Parameter (LSP).
    #[bits(7)]
    pub lsp: u8,
    /// Retain Asynchronous Event (RAE).
    pub rae: bool,
    /// Number of Dwords Lower (NUMDL): bits 15:0 of the zero-based NUMD.
    pub numdl: u16,
}

/// Get Log Page Command Dword 11 (Base spec, "Get Log Page – Command Dword 11").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetLogPageCdw11 {
    /// Number of Dwords Upper (NUMDU): bits 31:16 of the zero-based NUMD.
    pub numdu: u16,
    /// Log Specific Identifier (LSI).
    pub lsi: u16,
}

/// Get Log Page Command Dword 14 (Base spec, "Get Log Page – Command Dword 14").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetLogPageCdw14 {
    /// UUID Index (UIDX).
    #[bits(7)]
    pub uidx: u8,
    /// Reserved (bits 22:7).
    #[bits(16)]
    _rsvd: u16,
    /// Offset Type (OT): the offset is an index of entries, not bytes.
    pub ot: bool,
    /// Command Set Identifier (CSI).
    #[bits(8)]
    pub csi: Csi,
}

/// Get Log Page (admin 02h), Base spec "Get Log Page command".
///
/// Transfers `(NUMD + 1) * 4` bytes, NUMD split over NUMDL (CDW10) and NUMDU
/// (CDW11); the 64-bit Log Page Offset is split over LPOL/LPOU (CDW12/13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetLogPage {
    nsid: u32,
    cdw10: GetLogPageCdw10,
    cdw11: GetLogPageCdw11,
    lpo: u64,
    cdw14: GetLogPageCdw14,
    numd: Numd,
}

impl GetLogPage {
    /// Read `numd` of log page `lid` (controller scope: NSID FFFFFFFFh, the
    /// value Linux uses for controller-wide pages; change it with [`Self::nsid`]).
    #[inline]
    pub const fn new(lid: LogId, numd: Numd) -> Self {
        GetLogPage {
            nsid: 0xffff_ffff,
            cdw10: GetLogPageCdw10::new()
                .with_lid(lid)
                .with_numdl(numd.z() as u16),
            cdw11: GetLogPageCdw11::new().with_numdu((numd.z() >> 16) as u16),
            lpo: 0,
            cdw14: GetLogPageCdw14::new(),
            numd,
        }
    }
    /// Namespace Identifier.
    #[inline]
    pub const fn nsid(mut self, nsid: u32) -> Self {
        self.nsid = nsid;
        self
    }
    /// Log Specific Parameter (LSP); bits above 6 are ignored.
    #[inline]
    pub const fn lsp(mut self, lsp: u8) -> Self {
        self.cdw10 = self.cdw10.with_lsp(lsp & 0x7f);
        self
    }
    /// Retain Asynchronous Event (RAE).
    #[inline]
    pub const fn rae(mut self, rae: bool) -> Self {
        self.cdw10 = self.cdw10.with_rae(rae);
        self
    }
    /// Log Specific Identifier (LSI).
    #[inline]
    pub const fn lsi(mut self, lsi: u16) -> Self {
        self.cdw11 = self.cdw11.with_lsi(lsi);
        self
    }
    /// Log Page Offset (LPOL/LPOU): bytes (dword aligned), or an entry index
    /// with [`Self::ot`].
    #[inline]
    pub const fn lpo(mut self, lpo: u64) -> Self {
        self.lpo = lpo;
        self
    }
    /// Offset Type (OT): `lpo` is an index of entries.
    #[inline]
    pub const fn ot(mut self, ot: bool) -> Self {
        self.cdw14 = self.cdw14.with_ot(ot);
        self
    }
    /// Command Set Identifier (CSI).
    #[inline]
    pub const fn csi(mut self, csi: Csi) -> Self {
        self.cdw14 = self.cdw14.with_csi(csi);
        self
    }
    /// UUID Index (UIDX); bits above 6 are ignored.
    #[inline]
    pub const fn uidx(mut self, uidx: u8) -> Self {
        self.cdw14 = self.cdw14.with_uidx(uidx & 0x7f);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::GET_LOG_PAGE.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        sqe.cdw12 = self.lpo as u32;
        sqe.cdw13 = (self.lpo >> 32) as u32;
        sqe.cdw14 = self.cdw14.into_bits();
        admin(sqe, Xfer::Bytes(self.numd.bytes()))
    }
}
