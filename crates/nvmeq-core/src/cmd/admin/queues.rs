//! I/O queue creation and deletion (Base spec, "Create I/O Completion Queue
//! command", "Create I/O Submission Queue command", "Delete I/O … Queue command").
//!
//! These are for a driver that owns the controller (the VFIO backend): the
//! kernel owns its queues and refuses them through passthrough. PRP1 is the
//! queue memory, not a data buffer: the driver that allocated the queue gives
//! its bus address with `prp1`, and the command's transfer is [`Xfer::None`]
//! (nothing for a backend to check against a caller's buffer).

use bitfield_struct::bitfield;

use crate::cmd::{Cmd, QueueKind, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Command Dword 10 of the queue commands: Queue Identifier and zero-based
/// Queue Size (Base spec, "Create I/O Completion Queue – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct QueueCdw10 {
    /// Queue Identifier (QID).
    pub qid: u16,
    /// Queue Size (QSIZE), zero-based entries (reserved for the delete commands).
    pub qsize_z: u16,
}

/// Create I/O Completion Queue Command Dword 11.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct CreateCqCdw11 {
    /// Physically Contiguous (PC).
    pub pc: bool,
    /// Interrupts Enabled (IEN).
    pub ien: bool,
    /// Reserved (bits 15:2).
    #[bits(14)]
    _rsvd: u16,
    /// Interrupt Vector (IV).
    pub iv: u16,
}

/// Queue Priority (QPRIO) for weighted round robin arbitration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum QueuePriority {
    /// 00b: Urgent.
    #[default]
    Urgent = 0,
    /// 01b: High.
    High = 1,
    /// 10b: Medium.
    Medium = 2,
    /// 11b: Low.
    Low = 3,
}

/// Create I/O Submission Queue Command Dword 11.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct CreateSqCdw11 {
    /// Physically Contiguous (PC).
    pub pc: bool,
    /// Queue Priority (QPRIO).
    #[bits(2)]
    pub qprio: u8,
    /// Reserved (bits 15:3).
    #[bits(13)]
    _rsvd: u16,
    /// Completion Queue Identifier (CQID).
    pub cqid: u16,
}

/// Create I/O Submission Queue Command Dword 12.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct CreateSqCdw12 {
    /// NVM Set Identifier (NVMSETID).
    pub nvmsetid: u16,
    /// Reserved (bits 31:16).
    #[bits(16)]
    _rsvd: u16,
}

/// Create I/O Completion Queue (admin 05h).
///
/// Defaults: physically contiguous, interrupts disabled (polled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateIoCq {
    cdw10: QueueCdw10,
    cdw11: CreateCqCdw11,
    prp1: u64,
}

impl CreateIoCq {
    /// Completion queue `qid` of `qsize_z + 1` entries.
    #[inline]
    pub const fn new(qid: u16, qsize_z: u16) -> Self {
        CreateIoCq {
            cdw10: QueueCdw10::new().with_qid(qid).with_qsize_z(qsize_z),
            cdw11: CreateCqCdw11::new().with_pc(true),
            prp1: 0,
        }
    }
    /// Physically Contiguous (PC); when clear, PRP1 is a PRP list.
    #[inline]
    pub const fn pc(mut self, pc: bool) -> Self {
        self.cdw11 = self.cdw11.with_pc(pc);
        self
    }
    /// Enable interrupts on vector `iv` (IEN = 1, IV).
    #[inline]
    pub const fn irq(mut self, iv: u16) -> Self {
        self.cdw11 = self.cdw11.with_ien(true).with_iv(iv);
        self
    }
    /// PRP Entry 1: the bus address of the queue memory (or of its PRP list).
    #[inline]
    pub const fn prp1(mut self, addr: u64) -> Self {
        self.prp1 = addr;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::CREATE_IO_CQ.0, 0);
        sqe.dptr[0] = self.prp1;
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        Cmd::with_xfer(QueueKind::Admin, sqe, Xfer::None)
    }
}

/// Create I/O Submission Queue (admin 01h).
///
/// Defaults: physically contiguous, QPRIO 00b (ignored under round robin
/// arbitration), NVM Set 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateIoSq {
    cdw10: QueueCdw10,
    cdw11: CreateSqCdw11,
    cdw12: CreateSqCdw12,
    prp1: u64,
}

impl CreateIoSq {
    /// Submission queue `qid` of `qsize_z + 1` entries, completing to `cqid`.
    #[inline]
    pub const fn new(qid: u16, qsize_z: u16, cqid: u16) -> Self {
        CreateIoSq {
            cdw10: QueueCdw10::new().with_qid(qid).with_qsize_z(qsize_z),
            cdw11: CreateSqCdw11::new().with_pc(true).with_cqid(cqid),
            cdw12: CreateSqCdw12::new(),
            prp1: 0,
        }
    }
    /// Physically Contiguous (PC); when clear, PRP1 is a PRP list.
    #[inline]
    pub const fn pc(mut self, pc: bool) -> Self {
        self.cdw11 = self.cdw11.with_pc(pc);
        self
    }
    /// Queue Priority (QPRIO), used with weighted round robin arbitration.
    #[inline]
    pub const fn qprio(mut self, qprio: QueuePriority) -> Self {
        self.cdw11 = self.cdw11.with_qprio(qprio as u8);
        self
    }
    /// NVM Set Identifier (NVMSETID).
    #[inline]
    pub const fn nvmsetid(mut self, nvmsetid: u16) -> Self {
        self.cdw12 = self.cdw12.with_nvmsetid(nvmsetid);
        self
    }
    /// PRP Entry 1: the bus address of the queue memory (or of its PRP list).
    #[inline]
    pub const fn prp1(mut self, addr: u64) -> Self {
        self.prp1 = addr;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::CREATE_IO_SQ.0, 0);
        sqe.dptr[0] = self.prp1;
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        sqe.cdw12 = self.cdw12.into_bits();
        Cmd::with_xfer(QueueKind::Admin, sqe, Xfer::None)
    }
}

/// Delete I/O Submission Queue (admin 00h). Delete a submission queue before
/// the completion queue it posts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteIoSq {
    qid: u16,
}

impl DeleteIoSq {
    /// Delete submission queue `qid`.
    #[inline]
    pub const fn new(qid: u16) -> Self {
        DeleteIoSq { qid }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::DELETE_IO_SQ.0, 0);
        sqe.cdw10 = QueueCdw10::new().with_qid(self.qid).into_bits();
        Cmd::with_xfer(QueueKind::Admin, sqe, Xfer::None)
    }
}

/// Delete I/O Completion Queue (admin 04h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteIoCq {
    qid: u16,
}

impl DeleteIoCq {
    /// Delete completion queue `qid`.
    #[inline]
    pub const fn new(qid: u16) -> Self {
        DeleteIoCq { qid }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::DELETE_IO_CQ.0, 0);
        sqe.cdw10 = QueueCdw10::new().with_qid(self.qid).into_bits();
        Cmd::with_xfer(QueueKind::Admin, sqe, Xfer::None)
    }
}
