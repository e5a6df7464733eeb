//! `nvmeq-core`: the NVMe specification as zero-copy Rust types.
//!
//! This crate is `#![no_std]`, allocates nothing and contains no `unsafe`, so
//! hypervisors, emulators and firmware can reuse it as it is. It holds:
//!
//! - the 64-byte submission entry ([`Command`]) and 16-byte completion entry
//!   ([`Completion`]);
//! - open enums for opcodes ([`AdminOpcode`], [`NvmOpcode`]) and decoded statuses
//!   ([`Status`]);
//! - [`Cmd`], a command plus what it transfers, built by the typed builders in
//!   [`cmd`];
//! - the [`Backend`] trait that every transport implements.
//!
//! NVMe is little-endian. The layouts here use the host's native integers, so
//! this crate refuses to build on a big-endian target rather than silently
//! producing byte-swapped commands.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(target_endian = "big")]
compile_error!(
    "nvmeq-core lays out NVMe structures with native integers and NVMe is little-endian: \
     big-endian targets are not supported (every layout would need byte swapping)"
);

#[macro_use]
mod open_enum;

pub mod backend;
mod backend_kind;
pub mod bdf;
pub mod cmd;
pub mod cqe;
pub mod directive;
pub mod error;
pub mod fabrics;
pub mod fdp;
pub mod format;
pub mod identify;
pub mod lba_status;
pub mod log;
pub mod opcode;
pub mod pi;
pub mod prp;
pub mod ranges;
pub mod regs;
pub mod resv;
pub mod rpmb;
pub mod sgl;
pub mod split;
pub mod sqe;
pub mod status;
pub mod sync_queue;
pub mod zoned;

pub use backend::{Backend, Caps, Data, IoBuf, Reaped, Rejected, VecData, WithMeta};
pub use backend_kind::{BackendKind, UnknownBackend};
pub use bdf::Bdf;
pub use cmd::{Cmd, DataDir, QueueKind, Xfer};
pub use cqe::Completion;
pub use error::{Error, Feature};
pub use identify::{
    IdentifyController, IdentifyNamespace, IdentifyNamespaceNvm, LbaFormat, NsList,
};
pub use opcode::{AdminOpcode, NvmOpcode};
pub use sqe::{Cdw0, Command};
pub use status::{Sct, Status};
