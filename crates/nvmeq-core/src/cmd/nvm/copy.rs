//! Copy (NVM Command Set spec, "Copy command").

use bitfield_struct::bitfield;

use super::io;
use super::{AppTagCdw15, Prinfo};
use crate::cmd::admin::DirectiveType;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::NvmOpcode;
use crate::sqe::Command;

/// Descriptor Format (DESFMT) of the Copy command's source ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum CopyFormat {
    /// 0h: Source Range Entries Copy Descriptor Format 0h, 32 bytes each
    /// (16-bit guard protection information).
    #[default]
    Format0 = 0,
    /// 1h: Copy Descriptor Format 1h, 40 bytes each (32/64-bit guard PI).
    Format1 = 1,
    /// 2h: format 0h with a source namespace per range (NVM Command Set
    /// 1.1), 32 bytes each. The host enables it in Host Behavior Support
    /// (CDFE) first.
    Format2 = 2,
    /// 3h: format 1h with a source namespace per range, 40 bytes each.
    Format3 = 3,
}

impl CopyFormat {
    /// The size of one source range descriptor.
    #[inline]
    pub const fn desc_len(self) -> u32 {
        match self {
            CopyFormat::Format0 | CopyFormat::Format2 => 32,
            CopyFormat::Format1 | CopyFormat::Format3 => 40,
        }
    }
}

/// Copy Command Dword 12 (NVM Command Set spec, "Copy – Command Dword 12").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct CopyCdw12 {
    /// Number of Ranges (NR), zero-based.
    pub nr_z: u8,
    /// Descriptor Format (DESFMT).
    #[bits(4)]
    pub desfmt: u8,
    /// Protection Information Field Read (PRINFOR).
    #[bits(4)]
    pub prinfor: u8,
    /// Reserved (bits 19:16).
    #[bits(4)]
    _rsvd: u8,
    /// Directive Type (DTYPE).
    #[bits(4)]
    pub dtype: u8,
    /// Storage Tag Check Write (STCW).
    pub stcw: bool,
    /// Reserved (bit 25).
    #[bits(1)]
    _rsvd2: u8,
    /// Protection Information Field Write (PRINFOW).
    #[bits(4)]
    pub prinfow: u8,
    /// Force Unit Access (FUA).
    pub fua: bool,
    /// Limited Retry (LR).
    pub lr: bool,
}

/// Copy (NVM 19h), NVM Command Set spec "Copy command": copies the source
/// ranges described by `nr_z + 1` descriptors in the data buffer to
/// consecutive blocks from SDLBA.
///
/// Named `CopyRanges` rather than `Copy` so a glob import cannot shadow the
/// `Copy` trait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyRanges {
    nsid: u32,
    sdlba: u64,
    cdw12: CopyCdw12,
    dspec: u16,
    cdw14: u32,
    cdw15: AppTagCdw15,
    format: CopyFormat,
}

impl CopyRanges {
    /// Copy `nr_z + 1` ranges, described in `format`, to `sdlba`.
    #[inline]
    pub const fn new(nsid: u32, sdlba: u64, nr_z: u8, format: CopyFormat) -> Self {
        CopyRanges {
            nsid,
            sdlba,
            cdw12: CopyCdw12::new().with_nr_z(nr_z).with_desfmt(format as u8),
            dspec: 0,
            cdw14: 0,
            cdw15: AppTagCdw15::new(),
            format,
        }
    }
    /// Force Unit Access (FUA).
    #[inline]
    pub const fn fua(mut self, fua: bool) -> Self {
        self.cdw12 = self.cdw12.with_fua(fua);
        self
    }
    /// Limited Retry (LR).
    #[inline]
    pub const fn lr(mut self, lr: bool) -> Self {
        self.cdw12 = self.cdw12.with_lr(lr);
        self
    }
    /// Protection Information Field Read (PRINFOR), for the source blocks.
    #[inline]
    pub const fn prinfor(mut self, p: Prinfo) -> Self {
        self.cdw12 = self.cdw12.with_prinfor(p.into_bits() & 0xf);
        self
    }
    /// Protection Information Field Write (PRINFOW), for the destination.
    #[inline]
    pub const fn prinfow(mut self, p: Prinfo) -> Self {
        self.cdw12 = self.cdw12.with_prinfow(p.into_bits() & 0xf);
        self
    }
    /// Storage Tag Check Write (STCW).
    #[inline]
    pub const fn stcw(mut self, stcw: bool) -> Self {
        self.cdw12 = self.cdw12.with_stcw(stcw);
        self
    }
    /// Directive Type (DTYPE) and Directive Specific (DSPEC, CDW13 31:16) of
    /// the write; bits of `dtype` above 3 are ignored.
    #[inline]
    pub const fn directive(mut self, dtype: DirectiveType, dspec: u16) -> Self {
        self.cdw12 = self.cdw12.with_dtype(dtype.0 & 0xf);
        self.dspec = dspec;
        self
    }
    /// Initial Logical Block Reference Tag (ILBRT, CDW14) of the destination.
    #[inline]
    pub const fn ilbrt(mut self, ilbrt: u32) -> Self {
        self.cdw14 = ilbrt;
        self
    }
    /// Logical Block Application Tag (LBAT) and mask (LBATM) of the destination.
    #[inline]
    pub const fn lbat(mut self, lbat: u16, lbatm: u16) -> Self {
        self.cdw15 = self.cdw15.with_lbat(lbat).with_lbatm(lbatm);
        self
    }
    /// The command: sends `(nr_z + 1)` descriptors of the format's size.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::COPY.0, self.nsid);
        sqe.cdw10 = self.sdlba as u32;
        sqe.cdw11 = (self.sdlba >> 32) as u32;
        sqe.cdw12 = self.cdw12.into_bits();
        sqe.cdw13 = (self.dspec as u32) << 16;
        sqe.cdw14 = self.cdw14;
        sqe.cdw15 = self.cdw15.into_bits();
        let n = self.cdw12.nr_z() as u32 + 1;
        io(sqe, Xfer::Bytes(self.format.desc_len() * n))
    }
}
