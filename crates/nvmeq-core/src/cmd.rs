//! [`Cmd`]: a submission entry plus the facts a backend needs to move its data
//! safely, and the typed builders that make one.
//!
//! Builders follow one pattern: required fields go in `new`, optional ones are
//! setters, and `build()` returns a [`Cmd`]. A `Cmd` says how many bytes the
//! command transfers ([`Xfer`]), so a backend can check the caller's buffer and
//! derive the transfer length from the command, never from the caller's word.

use crate::opcode::{AdminOpcode, NvmOpcode};
use crate::sqe::Command;

/// Which queue a command goes to. Admin and I/O opcodes overlap, so a command
/// always says which set it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueKind {
    /// The admin queue (`/dev/nvmeX`).
    Admin,
    /// An I/O queue (`/dev/ngXnY`).
    Io,
}

/// Data direction, from the opcode's bits 1:0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataDir {
    /// No data (00b).
    None,
    /// Host to controller (01b), e.g. Write.
    ToDevice,
    /// Controller to host (10b), e.g. Read.
    FromDevice,
    /// Bidirectional (11b).
    Both,
}

impl DataDir {
    /// The direction encoded in an opcode's low two bits.
    pub const fn from_opcode_bits(opcode: u8) -> Self {
        match opcode & 3 {
            0 => DataDir::None,
            1 => DataDir::ToDevice,
            2 => DataDir::FromDevice,
            _ => DataDir::Both,
        }
    }
}

/// How many bytes a command transfers, as the command itself defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Xfer {
    /// No data.
    None,
    /// A fixed number of bytes (Identify: 4096; Get Log Page: NUMD).
    Bytes(u32),
    /// A number of logical blocks (1-based) of the namespace's current LBA
    /// format; the backend multiplies by the LBA data size of `nsid`.
    Blocks(u32),
}

impl Xfer {
    /// The transfer length in bytes, given the namespace's LBA data size.
    /// `None` on overflow (a length no buffer can have).
    pub const fn bytes(self, lba_size: u32) -> Option<u32> {
        match self {
            Xfer::None => Some(0),
            Xfer::Bytes(n) => Some(n),
            Xfer::Blocks(n) => n.checked_mul(lba_size),
        }
    }
}

/// A command ready for a backend: the 64-byte entry, the queue it goes to, its
/// data direction and its transfer size.
///
/// Builders leave `dptr`, `mptr`, `cid` and `psdt` zero: the backend owns them,
/// because only the backend knows where the buffer lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cmd {
    /// The submission entry (data pointers left to the backend).
    pub sqe: Command,
    /// Admin or I/O.
    pub queue: QueueKind,
    /// Data direction.
    pub dir: DataDir,
    /// Transfer size, as the command defines it.
    pub xfer: Xfer,
}

impl Cmd {
    /// An admin command whose entry was built by hand. The transfer size is
    /// what the caller says it is; for opcodes the builders know, prefer them.
    pub const fn admin(sqe: Command, dir: DataDir, xfer: Xfer) -> Self {
        Cmd {
            sqe,
            queue: QueueKind::Admin,
            dir,
            xfer,
        }
    }

    /// An I/O command whose entry was built by hand.
    pub const fn io(sqe: Command, dir: DataDir, xfer: Xfer) -> Self {
        Cmd {
            sqe,
            queue: QueueKind::Io,
            dir,
            xfer,
        }
    }

    /// The namespace the command addresses.
    pub const fn nsid(&self) -> u32 {
        self.sqe.nsid
    }
}

/// Identify (admin 0x06), Base spec "Identify – Command Dword 10".
///
/// Always transfers one 4096-byte data structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identify {
    nsid: u32,
    cns: u8,
    cntid: u16,
    cnssid: u16,
    csi: u8,
}

impl Identify {
    /// CNS 00h: Identify Namespace.
    pub const CNS_NAMESPACE: u8 = 0x00;
    /// CNS 01h: Identify Controller.
    pub const CNS_CONTROLLER: u8 = 0x01;
    /// CNS 02h: Active Namespace ID list.
    pub const CNS_ACTIVE_NS_LIST: u8 = 0x02;
    /// CNS 03h: Namespace Identification Descriptor list.
    pub const CNS_NS_DESCRIPTORS: u8 = 0x03;
    /// CNS 05h: I/O Command Set specific Identify Namespace.
    pub const CNS_CSI_NAMESPACE: u8 = 0x05;
    /// CNS 06h: I/O Command Set specific Identify Controller.
    pub const CNS_CSI_CONTROLLER: u8 = 0x06;

    /// An Identify with the given CNS and NSID.
    pub const fn new(cns: u8, nsid: u32) -> Self {
        Identify {
            nsid,
            cns,
            cntid: 0,
            cnssid: 0,
            csi: 0,
        }
    }
    /// Identify Controller.
    pub const fn controller() -> Self {
        Self::new(Self::CNS_CONTROLLER, 0)
    }
    /// Identify Namespace for `nsid`.
    pub const fn namespace(nsid: u32) -> Self {
        Self::new(Self::CNS_NAMESPACE, nsid)
    }
    /// Controller Identifier (CNTID).
    pub const fn cntid(mut self, cntid: u16) -> Self {
        self.cntid = cntid;
        self
    }
    /// CNS Specific Identifier (CNSSID).
    pub const fn cnssid(mut self, cnssid: u16) -> Self {
        self.cnssid = cnssid;
        self
    }
    /// Command Set Identifier (CSI).
    pub const fn csi(mut self, csi: u8) -> Self {
        self.csi = csi;
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::IDENTIFY.0, self.nsid);
        sqe.cdw10 = self.cns as u32 | (self.cntid as u32) << 16;
        sqe.cdw11 = self.cnssid as u32 | (self.csi as u32) << 24;
        Cmd::admin(sqe, DataDir::FromDevice, Xfer::Bytes(4096))
    }
}

/// Read (NVM 0x02), NVM Command Set spec "Read – Command Dword 12".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    nsid: u32,
    slba: u64,
    nlb_z: u16,
    fua: bool,
    lr: bool,
}

impl Read {
    /// Read `nlb_z + 1` blocks from `slba` (NLB is zero-based, so every `u16`
    /// is a valid count).
    pub const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        Read {
            nsid,
            slba,
            nlb_z,
            fua: false,
            lr: false,
        }
    }
    /// Force Unit Access.
    pub const fn fua(mut self, fua: bool) -> Self {
        self.fua = fua;
        self
    }
    /// Limited Retry.
    pub const fn lr(mut self, lr: bool) -> Self {
        self.lr = lr;
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::READ.0, self.nsid);
        sqe.cdw10 = self.slba as u32;
        sqe.cdw11 = (self.slba >> 32) as u32;
        sqe.cdw12 = self.nlb_z as u32 | (self.fua as u32) << 30 | (self.lr as u32) << 31;
        Cmd::io(
            sqe,
            DataDir::FromDevice,
            Xfer::Blocks(self.nlb_z as u32 + 1),
        )
    }
}

/// Write (NVM 0x01), NVM Command Set spec "Write – Command Dword 12".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Write {
    nsid: u32,
    slba: u64,
    nlb_z: u16,
    fua: bool,
    lr: bool,
}

impl Write {
    /// Write `nlb_z + 1` blocks at `slba`.
    pub const fn new(nsid: u32, slba: u64, nlb_z: u16) -> Self {
        Write {
            nsid,
            slba,
            nlb_z,
            fua: false,
            lr: false,
        }
    }
    /// Force Unit Access.
    pub const fn fua(mut self, fua: bool) -> Self {
        self.fua = fua;
        self
    }
    /// Limited Retry.
    pub const fn lr(mut self, lr: bool) -> Self {
        self.lr = lr;
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::WRITE.0, self.nsid);
        sqe.cdw10 = self.slba as u32;
        sqe.cdw11 = (self.slba >> 32) as u32;
        sqe.cdw12 = self.nlb_z as u32 | (self.fua as u32) << 30 | (self.lr as u32) << 31;
        Cmd::io(sqe, DataDir::ToDevice, Xfer::Blocks(self.nlb_z as u32 + 1))
    }
}

/// Flush (NVM 0x00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flush {
    nsid: u32,
}

impl Flush {
    /// Flush namespace `nsid` (0xffffffff: all namespaces).
    pub const fn new(nsid: u32) -> Self {
        Flush { nsid }
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        Cmd::io(
            Command::new(NvmOpcode::FLUSH.0, self.nsid),
            DataDir::None,
            Xfer::None,
        )
    }
}
