//! NVM command set I/O command builders (NVM Command Set Specification 1.0,
//! "I/O Commands for the NVM Command Set").
//!
//! Through Linux: `NVME_IOCTL_IO64_CMD` on `/dev/ngXnY` (or the block device),
//! or `IORING_OP_URING_CMD` with `NVME_URING_CMD_IO` on `/dev/ngXnY`, which
//! needs Linux 5.19. Reservation commands are in `reservation.rs` and
//! re-exported here.

use bitfield_struct::bitfield;

use super::admin::DirectiveType;
use super::{Cmd, QueueKind, Xfer};
use crate::opcode::NvmOpcode;
use crate::sqe::Command;

pub use super::reservation::*;

#[inline]
const fn io(sqe: Command, xfer: Xfer) -> Cmd {
    Cmd::with_xfer(QueueKind::Io, sqe, xfer)
}

/// Protection Information Field (PRINFO), NVM Command Set spec "Protection
/// Information Field Definition": bits 3:0 of the 4-bit field.
#[bitfield(u8)]
#[derive(PartialEq, Eq, Hash)]
pub struct Prinfo {
    /// PRCHK bit 0: check the reference tag.
    pub prchk_ref: bool,
    /// PRCHK bit 1: check the application tag.
    pub prchk_app: bool,
    /// PRCHK bit 2: check the guard.
    pub prchk_guard: bool,
    /// Protection Information Action (PRACT): the controller inserts/strips PI.
    pub pract: bool,
    /// Not part of the field (the byte's upper nibble).
    #[bits(4)]
    _rsvd: u8,
}

/// Command Dword 12 of Read, Write, Compare, Verify, Write Zeroes and Write
/// Uncorrectable (NVM Command Set spec, "Read – Command Dword 12" and the
/// same figure of each command). Fields a command does not define stay zero.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct RwCdw12 {
    /// Number of Logical Blocks (NLB), zero-based.
    pub nlb_z: u16,
    /// Reserved (bits 19:16; Command Extension Type in later revisions).
    #[bits(4)]
    _rsvd: u8,
    /// Directive Type (DTYPE), Write only.
    #[bits(4)]
    pub dtype: u8,
    /// Storage Tag Check (STC).
    pub stc: bool,
    /// Deallocate (DEAC), Write Zeroes only.
    pub deac: bool,
    /// Protection Information Field (PRINFO).
    #[bits(4)]
    pub prinfo: u8,
    /// Force Unit Access (FUA).
    pub fua: bool,
    /// Limited Retry (LR).
    pub lr: bool,
}

/// Command Dword 13 of Read and Write (NVM Command Set spec, "Write – Command
/// Dword 13").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct RwCdw13 {
    /// Dataset Management (DSM): access frequency (3:0), latency (5:4),
    /// sequential request (6), incompressible (7).
    pub dsm: u8,
    /// Reserved (bits 15:8).
    #[bits(8)]
    _rsvd: u8,
    /// Directive Specific (DSPEC), Write only.
    pub dspec: u16,
}

/// Command Dword 15: the (expected) Logical Block Application Tag and its mask.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct AppTagCdw15 {
    /// Logical Block Application Tag (LBAT / ELBAT).
    pub lbat: u16,
    /// Logical Block Application Tag Mask (LBATM / ELBATM).
    pub lbatm: u16,
}

/// The fields Read, Write, Compare, Verify, Write Zeroes and Write
/// Uncorrectable share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rw {
    nsid: u32,
    slba: u64,
    cdw12: RwCdw12,
    cdw13: RwCdw13,
    cdw14: u32,
    cdw15: AppTagCdw15,
}

impl Rw {
    #[inline]
    const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        Rw {
            nsid,
            slba,
            cdw12: RwCdw12::new().with_nlb_z(nlb_z),
            cdw13: RwCdw13::new(),
            cdw14: 0,
            cdw15: AppTagCdw15::new(),
        }
    }
    #[inline]
    const fn sqe(self, opcode: NvmOpcode) -> Command {
        let mut sqe = Command::new(opcode.0, self.nsid);
        sqe.cdw10 = self.slba as u32;
        sqe.cdw11 = (self.slba >> 32) as u32;
        sqe.cdw12 = self.cdw12.into_bits();
        sqe.cdw13 = self.cdw13.into_bits();
        sqe.cdw14 = self.cdw14;
        sqe.cdw15 = self.cdw15.into_bits();
        sqe
    }
    #[inline]
    const fn blocks(self) -> Xfer {
        Xfer::Blocks(self.cdw12.nlb_z() as u32 + 1)
    }
}

macro_rules! rw_setter {
    (fua) => {
        /// Force Unit Access (FUA).
        #[inline]
        pub const fn fua(mut self, fua: bool) -> Self {
            self.0.cdw12 = self.0.cdw12.with_fua(fua);
            self
        }
    };
    (lr) => {
        /// Limited Retry (LR).
        #[inline]
        pub const fn lr(mut self, lr: bool) -> Self {
            self.0.cdw12 = self.0.cdw12.with_lr(lr);
            self
        }
    };
    (prinfo) => {
        /// Protection Information Field (PRINFO).
        #[inline]
        pub const fn prinfo(mut self, prinfo: Prinfo) -> Self {
            self.0.cdw12 = self.0.cdw12.with_prinfo(prinfo.into_bits() & 0xf);
            self
        }
    };
    (stc) => {
        /// Storage Tag Check (STC).
        #[inline]
        pub const fn stc(mut self, stc: bool) -> Self {
            self.0.cdw12 = self.0.cdw12.with_stc(stc);
            self
        }
    };
    (dsm) => {
        /// Dataset Management hints (DSM, CDW13 bits 7:0).
        #[inline]
        pub const fn dsm(mut self, dsm: u8) -> Self {
            self.0.cdw13 = self.0.cdw13.with_dsm(dsm);
            self
        }
    };
    (dtype) => {
        /// Directive Type (DTYPE), e.g. [`DirectiveType::STREAMS`]; bits above
        /// 3 are ignored. Pair with [`Self::dspec`].
        #[inline]
        pub const fn dtype(mut self, dtype: DirectiveType) -> Self {
            self.0.cdw12 = self.0.cdw12.with_dtype(dtype.0 & 0xf);
            self
        }
    };
    (dspec) => {
        /// Directive Specific (DSPEC), e.g. the stream identifier.
        #[inline]
        pub const fn dspec(mut self, dspec: u16) -> Self {
            self.0.cdw13 = self.0.cdw13.with_dspec(dspec);
            self
        }
    };
    (eilbrt) => {
        /// Expected Initial Logical Block Reference Tag (EILBRT, CDW14).
        #[inline]
        pub const fn eilbrt(mut self, eilbrt: u32) -> Self {
            self.0.cdw14 = eilbrt;
            self
        }
    };
    (ilbrt) => {
        /// Initial Logical Block Reference Tag (ILBRT, CDW14).
        #[inline]
        pub const fn ilbrt(mut self, ilbrt: u32) -> Self {
            self.0.cdw14 = ilbrt;
            self
        }
    };
    (elbat) => {
        /// Expected Logical Block Application Tag (ELBAT) and its mask (ELBATM).
        #[inline]
        pub const fn elbat(mut self, elbat: u16, elbatm: u16) -> Self {
            self.0.cdw15 = self.0.cdw15.with_lbat(elbat).with_lbatm(elbatm);
            self
        }
    };
    (lbat) => {
        /// Logical Block Application Tag (LBAT) and its mask (LBATM).
        #[inline]
        pub const fn lbat(mut self, lbat: u16, lbatm: u16) -> Self {
            self.0.cdw15 = self.0.cdw15.with_lbat(lbat).with_lbatm(lbatm);
            self
        }
    };
}

macro_rules! rw_setters {
    ($($s:ident),* $(,)?) => { $(rw_setter!($s);)* };
}

/// Read (NVM 02h), NVM Command Set spec "Read command": transfers
/// `nlb_z + 1` logical blocks from the device.
///
/// Linux passthrough: `NVME_IOCTL_IO64_CMD`, or `IORING_OP_URING_CMD` with
/// `NVME_URING_CMD_IO` on `/dev/ngXnY` (Linux 5.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read(Rw);

impl Read {
    /// Read `nlb_z + 1` blocks from `slba` (NLB is zero-based, so every `u16`
    /// is a valid count).
    #[inline]
    pub const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        Read(Rw::new(nsid, slba, nlb_z))
    }
    rw_setters!(fua, lr, prinfo, stc, dsm, eilbrt, elbat);
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(self.0.sqe(NvmOpcode::READ), self.0.blocks())
    }
}

/// Write (NVM 01h), NVM Command Set spec "Write command": transfers
/// `nlb_z + 1` logical blocks to the device.
///
/// Linux passthrough: `NVME_IOCTL_IO64_CMD`, or `IORING_OP_URING_CMD` with
/// `NVME_URING_CMD_IO` on `/dev/ngXnY` (Linux 5.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write(Rw);

impl Write {
    /// Write `nlb_z + 1` blocks at `slba`.
    #[inline]
    pub const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        Write(Rw::new(nsid, slba, nlb_z))
    }
    rw_setters!(fua, lr, prinfo, stc, dsm, dtype, dspec, ilbrt, lbat);
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(self.0.sqe(NvmOpcode::WRITE), self.0.blocks())
    }
}

/// Compare (NVM 05h), NVM Command Set spec "Compare command": sends
/// `nlb_z + 1` blocks for the controller to compare with the media. A
/// mismatch completes with Compare Failure (SCT 2h, SC 85h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compare(Rw);

impl Compare {
    /// Compare `nlb_z + 1` blocks at `slba` with the buffer.
    #[inline]
    pub const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        Compare(Rw::new(nsid, slba, nlb_z))
    }
    rw_setters!(fua, lr, prinfo, stc, eilbrt, elbat);
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(self.0.sqe(NvmOpcode::COMPARE), self.0.blocks())
    }
}

/// Verify (NVM 0Ch), NVM Command Set spec "Verify command": checks the
/// integrity of `nlb_z + 1` blocks without transferring them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verify(Rw);

impl Verify {
    /// Verify `nlb_z + 1` blocks from `slba`.
    #[inline]
    pub const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        Verify(Rw::new(nsid, slba, nlb_z))
    }
    rw_setters!(fua, lr, prinfo, stc, eilbrt, elbat);
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(self.0.sqe(NvmOpcode::VERIFY), Xfer::None)
    }
}

/// Write Zeroes (NVM 08h), NVM Command Set spec "Write Zeroes command":
/// zeroes `nlb_z + 1` blocks without a data transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteZeroes(Rw);

impl WriteZeroes {
    /// Zero `nlb_z + 1` blocks at `slba`.
    #[inline]
    pub const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        WriteZeroes(Rw::new(nsid, slba, nlb_z))
    }
    /// Deallocate (DEAC): the controller may deallocate the blocks.
    #[inline]
    pub const fn deac(mut self, deac: bool) -> Self {
        self.0.cdw12 = self.0.cdw12.with_deac(deac);
        self
    }
    rw_setters!(fua, lr, prinfo, stc, ilbrt, lbat);
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(self.0.sqe(NvmOpcode::WRITE_ZEROES), Xfer::None)
    }
}

/// Write Uncorrectable (NVM 04h), NVM Command Set spec "Write Uncorrectable
/// command": marks `nlb_z + 1` blocks invalid (reads fail until rewritten).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteUncorrectable(Rw);

impl WriteUncorrectable {
    /// Mark `nlb_z + 1` blocks at `slba` uncorrectable.
    #[inline]
    pub const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        WriteUncorrectable(Rw::new(nsid, slba, nlb_z))
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(self.0.sqe(NvmOpcode::WRITE_UNCORRECTABLE), Xfer::None)
    }
}

/// Flush (NVM 00h), NVM Command Set spec "Flush command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flush {
    nsid: u32,
}

impl Flush {
    /// Flush namespace `nsid` (0xffffffff: all namespaces).
    #[inline]
    pub const fn new(nsid: u32) -> Self {
        Flush { nsid }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(Command::new(NvmOpcode::FLUSH.0, self.nsid), Xfer::None)
    }
}

// --------------------------------------------------------- Dataset Management

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

// --------------------------------------------------------------------- Copy

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
}

impl CopyFormat {
    /// The size of one source range descriptor.
    #[inline]
    pub const fn desc_len(self) -> u32 {
        match self {
            CopyFormat::Format0 => 32,
            CopyFormat::Format1 => 40,
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
