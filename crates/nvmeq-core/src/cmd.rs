//! [`Cmd`]: a submission entry plus the facts a backend needs to move its data
//! safely, and the typed builders that make one.
//!
//! Builders follow one pattern (io-uring's `opcode.rs` style): required fields
//! go in `new`, optional ones are chained `const fn` setters, and `build()`
//! returns a [`Cmd`]. A `Cmd` says how many bytes the command transfers
//! ([`Xfer`]), derived from the command's own fields (NLB, NUMD, NR, a fixed
//! structure size), so a backend can check the caller's buffer and never takes
//! the transfer length from the caller's word.
//!
//! Command dwords are bitfield types named after the specification's
//! mnemonics (`_z` marks zero-based counts); they are public so emulators and
//! tests can decode a received entry with the same types. Setters for fields
//! narrower than their Rust type keep only the field's bits (documented on
//! each); fields with a closed set of meanings take enums, so invalid
//! combinations cannot be built.
//!
//! - [`admin`]: admin command set (Base specification).
//! - [`nvm`]: NVM command set I/O commands.
//! - [`zns`]: Zoned Namespace command set I/O commands.
//! - [`Numd`]: zero-based dword counts whose byte length fits [`Xfer`].
//! - [`Cmd::from_sqe`]: the same facts inferred from a raw entry, for raw
//!   passthrough and emulated controllers.
//!
//! # Linux passthrough
//! Every builder's command can go through the kernel's passthrough
//! interfaces: the blocking `NVME_IOCTL_ADMIN64_CMD`/`NVME_IOCTL_IO64_CMD`
//! ioctls, and `IORING_OP_URING_CMD` with `NVME_URING_CMD_IO` on
//! `/dev/ngXnY`, which needs Linux 5.19 (`NVME_URING_CMD_ADMIN` on
//! `/dev/nvmeX`: Linux 6.0). Commands the kernel itself relies on (queue
//! creation and deletion, Doorbell Buffer Config, Asynchronous Event Request)
//! are for a driver that owns the controller (VFIO) only.

use core::fmt;

use crate::opcode::{AdminOpcode, NvmOpcode};
use crate::sqe::Command;

pub mod admin;
mod decode;
pub mod nvm;
pub mod zns;

pub use admin::*;
pub use nvm::*;
pub use zns::*;

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
    #[inline]
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
    /// The transfer length in bytes as a `u64`, which cannot overflow: for
    /// the error when [`Xfer::bytes`] says `None`.
    #[inline]
    pub const fn bytes_u64(self, lba_size: u32) -> u64 {
        match self {
            Xfer::None => 0,
            Xfer::Bytes(n) => n as u64,
            Xfer::Blocks(n) => n as u64 * lba_size as u64,
        }
    }

    /// The transfer length in bytes, given the namespace's LBA data size.
    /// `None` on overflow (a length no buffer can have).
    #[inline]
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
/// because only the backend knows where the buffer lives. (The exceptions are
/// commands whose pointers are not a data buffer: Doorbell Buffer Config and
/// the queue-creation commands of a userspace driver, which take them as
/// setters.)
///
/// `dir` is [`DataDir::None`] exactly when `xfer` is [`Xfer::None`]; otherwise
/// it is the direction of the opcode's bits 1:0.
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
    #[inline]
    pub const fn admin(sqe: Command, dir: DataDir, xfer: Xfer) -> Self {
        Cmd {
            sqe,
            queue: QueueKind::Admin,
            dir,
            xfer,
        }
    }

    /// An I/O command whose entry was built by hand.
    #[inline]
    pub const fn io(sqe: Command, dir: DataDir, xfer: Xfer) -> Self {
        Cmd {
            sqe,
            queue: QueueKind::Io,
            dir,
            xfer,
        }
    }

    /// The namespace the command addresses.
    #[inline]
    pub const fn nsid(&self) -> u32 {
        self.sqe.nsid
    }
}

impl Cmd {
    /// The opcode's name in the specification, if known, for logs.
    #[inline]
    pub const fn opcode_name(&self) -> Option<&'static str> {
        match self.queue {
            QueueKind::Admin => AdminOpcode(self.sqe.opcode()).name(),
            QueueKind::Io => NvmOpcode(self.sqe.opcode()).name(),
        }
    }

    /// A one-line description for logs: name, queue, opcode, nsid, transfer and
    /// the non-zero command dwords (see the [`Display`](fmt::Display) impl).
    #[inline]
    pub const fn describe(&self) -> Describe<'_> {
        Describe(self)
    }

    /// Builds a command and sets `dir` to [`DataDir::None`] when nothing moves.
    #[inline]
    pub(crate) const fn with_xfer(queue: QueueKind, sqe: Command, xfer: Xfer) -> Self {
        let dir = match xfer {
            Xfer::None => DataDir::None,
            _ => DataDir::from_opcode_bits(sqe.cdw0.opcode()),
        };
        Cmd {
            sqe,
            queue,
            dir,
            xfer,
        }
    }
}

/// [`Cmd::describe`]'s output: e.g.
/// `Read (io 0x02) nsid 1, 8 blocks from device, cdw10 0x10 cdw12 0x7`.
#[derive(Debug, Clone, Copy)]
pub struct Describe<'a>(&'a Cmd);

impl fmt::Display for Describe<'_> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = self.0;
        let q = match c.queue {
            QueueKind::Admin => "admin",
            QueueKind::Io => "io",
        };
        match c.opcode_name() {
            Some(n) => write!(f, "{n} ({q} {:#04x})", c.sqe.opcode())?,
            None => write!(f, "Unknown Opcode ({q} {:#04x})", c.sqe.opcode())?,
        }
        write!(f, " nsid {:#x}", c.sqe.nsid)?;
        let dir = match c.dir {
            DataDir::None => "",
            DataDir::ToDevice => " to device",
            DataDir::FromDevice => " from device",
            DataDir::Both => " both ways",
        };
        match c.xfer {
            Xfer::None => f.write_str(", no data")?,
            Xfer::Bytes(n) => write!(f, ", {n} bytes{dir}")?,
            Xfer::Blocks(n) => write!(f, ", {n} blocks{dir}")?,
        }
        let s = &c.sqe;
        let dws = [
            ("cdw2", s.cdw2),
            ("cdw3", s.cdw3),
            ("cdw10", s.cdw10),
            ("cdw11", s.cdw11),
            ("cdw12", s.cdw12),
            ("cdw13", s.cdw13),
            ("cdw14", s.cdw14),
            ("cdw15", s.cdw15),
        ];
        let mut first = true;
        for (name, v) in dws {
            if v != 0 {
                f.write_str(if first { ", " } else { " " })?;
                write!(f, "{name} {v:#x}")?;
                first = false;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Cmd {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.describe(), f)
    }
}

/// A zero-based dword count (NUMD and the like: Get Log Page, Directive
/// Send/Receive, Firmware Image Download, Reservation Report, Zone Management
/// Receive, Get LBA Status's MNDW) whose byte length fits [`Xfer::Bytes`].
///
/// The fields are up to 32 bits wide, but a transfer of 4 GiB or more cannot be
/// described by a `u32` byte count, so such counts are unrepresentable here
/// rather than silently truncated (which would let the device write past the
/// buffer a backend checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Numd(u32);

impl Numd {
    /// The largest zero-based count: 2^30 - 1 dwords, 4 GiB - 4 bytes.
    pub const MAX_Z: u32 = (1 << 30) - 2;
    /// One dword.
    pub const ONE: Numd = Numd(0);
    /// 512 bytes (many log pages).
    pub const BYTES_512: Numd = Numd(127);
    /// 4096 bytes (one page, most structures).
    pub const BYTES_4096: Numd = Numd(1023);

    /// A count of `numd_z + 1` dwords; `None` above [`Numd::MAX_Z`].
    #[inline]
    pub const fn from_z(numd_z: u32) -> Option<Numd> {
        if numd_z > Self::MAX_Z {
            None
        } else {
            Some(Numd(numd_z))
        }
    }

    /// The count for a transfer of `len` bytes; `None` when `len` is zero or
    /// not a multiple of 4 (these fields count whole dwords).
    #[inline]
    pub const fn from_bytes(len: u32) -> Option<Numd> {
        if len == 0 || len % 4 != 0 {
            None
        } else {
            Some(Numd(len / 4 - 1))
        }
    }

    /// The zero-based value the command carries.
    #[inline]
    pub const fn z(self) -> u32 {
        self.0
    }

    /// The number of dwords (one-based).
    #[inline]
    pub const fn dwords(self) -> u32 {
        self.0 + 1
    }

    /// The transfer length in bytes.
    #[inline]
    pub const fn bytes(self) -> u32 {
        (self.0 + 1) * 4
    }
}
