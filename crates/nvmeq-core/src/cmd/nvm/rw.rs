//! Read, Write, Compare, Verify, Write Zeroes and Write Uncorrectable (NVM
//! Command Set spec, "Read command" and the commands that share its layout).

use bitfield_struct::bitfield;

use super::io;
use crate::cmd::admin::DirectiveType;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::NvmOpcode;
use crate::sqe::Command;

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
    cdw2: u32,
    cdw3: u32,
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
            cdw2: 0,
            cdw3: 0,
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
        sqe.cdw2 = self.cdw2;
        sqe.cdw3 = self.cdw3;
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
    (pi_tags) => {
        /// The PI tags as [`Pi::tag_dwords`](crate::pi::Pi::tag_dwords) lays
        /// them out for the namespace's format: reference and storage tags
        /// (CDW2, CDW3, CDW14), application tag and mask (CDW15). Replaces
        /// what the reference and application tag setters set.
        #[inline]
        pub const fn pi_tags(mut self, t: crate::pi::TagDwords) -> Self {
            self.0.cdw2 = t.cdw2;
            self.0.cdw3 = t.cdw3;
            self.0.cdw14 = t.cdw14;
            self.0.cdw15 = AppTagCdw15::from_bits(t.cdw15);
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
    rw_setters!(fua, lr, prinfo, stc, dsm, eilbrt, elbat, pi_tags);
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
    rw_setters!(fua, lr, prinfo, stc, dsm, dtype, dspec, ilbrt, lbat, pi_tags);
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
    rw_setters!(fua, lr, prinfo, stc, eilbrt, elbat, pi_tags);
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
    rw_setters!(fua, lr, prinfo, stc, eilbrt, elbat, pi_tags);
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
    rw_setters!(fua, lr, prinfo, stc, ilbrt, lbat, pi_tags);
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
    // NVM Command Set spec 1.1, "Write Uncorrectable – Command Dword 12/13":
    // DTYPE and DSPEC place the invalidated blocks (Data Placement).
    rw_setters!(dtype, dspec);
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        io(self.0.sqe(NvmOpcode::WRITE_UNCORRECTABLE), Xfer::None)
    }
}
