//! Dataset Management (NVM Command Set spec, "Dataset Management command").

use bitfield_struct::bitfield;

use super::io;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::NvmOpcode;
use crate::sqe::Command;

/// Dataset Management Command Dword 10.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct DsmCdw10 {
    /// Number of Ranges (NR), zero-based.
    pub nr_z: u8,
    /// Reserved (bits 31:8).
    #[bits(24)]
    _rsvd: u32,
}

/// Dataset Management Command Dword 11: the attributes of all ranges.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct DsmCdw11 {
    /// Attribute – Integral Dataset for Read (IDR).
    pub idr: bool,
    /// Attribute – Integral Dataset for Write (IDW).
    pub idw: bool,
    /// Attribute – Deallocate (AD).
    pub ad: bool,
    /// Reserved (bits 31:3).
    #[bits(29)]
    _rsvd: u32,
}

/// Dataset Management (NVM 09h), NVM Command Set spec "Dataset Management
/// command": sends `nr_z + 1` 16-byte ranges (context attributes, length in
/// blocks, starting LBA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dsm {
    nsid: u32,
    cdw10: DsmCdw10,
    cdw11: DsmCdw11,
}

impl Dsm {
    /// The size of one range.
    pub const RANGE_LEN: u32 = 16;

    /// `nr_z + 1` ranges (1..=256) with no attribute set.
    #[inline]
    pub const fn new(nsid: u32, nr_z: u8) -> Self {
        Dsm {
            nsid,
            cdw10: DsmCdw10::new().with_nr_z(nr_z),
            cdw11: DsmCdw11::new(),
        }
    }
    /// Deallocate (trim) `nr_z + 1` ranges.
    #[inline]
    pub const fn deallocate(nsid: u32, nr_z: u8) -> Self {
        Self::new(nsid, nr_z).ad(true)
    }
    /// Integral Dataset for Read (IDR).
    #[inline]
    pub const fn idr(mut self, idr: bool) -> Self {
        self.cdw11 = self.cdw11.with_idr(idr);
        self
    }
    /// Integral Dataset for Write (IDW).
    #[inline]
    pub const fn idw(mut self, idw: bool) -> Self {
        self.cdw11 = self.cdw11.with_idw(idw);
        self
    }
    /// Deallocate (AD).
    #[inline]
    pub const fn ad(mut self, ad: bool) -> Self {
        self.cdw11 = self.cdw11.with_ad(ad);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::DATASET_MANAGEMENT.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        let n = self.cdw10.nr_z() as u32 + 1;
        io(sqe, Xfer::Bytes(Self::RANGE_LEN * n))
    }
}
