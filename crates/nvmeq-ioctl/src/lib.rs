//! `nvmeq-ioctl`: the blocking NVMe passthrough backend for Linux.
//!
//! Admin commands go through the controller's char device (`/dev/nvmeX`,
//! `NVME_IOCTL_ADMIN64_CMD`), I/O commands through a namespace device — the
//! generic char device `/dev/ngXnY` or the block device `/dev/nvmeXnY` —
//! with `NVME_IOCTL_IO64_CMD`, or `NVME_IOCTL_IO64_CMD_VEC` for data spread
//! over several buffers ([`execute_vec`](nvmeq_core::Backend::execute_vec)). Minimum kernels: the
//! 64-bit-result ioctls date from 2019 (Linux 5.5), `/dev/ngXnY` from 5.13 and
//! the VEC ioctl from 5.19; the test guest runs 6.12.
//!
//! Every command blocks until it completes. Before any ioctl the transfer
//! length is derived from the command (blocks × the namespace's LBA size,
//! learnt once from Identify Namespace) and checked against the buffer; the
//! kernel is given that length, never the buffer's. All `unsafe` lives in
//! one private module (`sys`), around three ioctl calls.
//!
//! ```no_run
//! use nvmeq_core::{Backend, Data, cmd::Read};
//! use nvmeq_ioctl::IoctlBackend;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut b = IoctlBackend::open(None, Some("/dev/ng0n1".as_ref()))?;
//! let nsid = b.nsid().unwrap();
//! let mut buf = vec![0u8; b.lba_size(nsid)? as usize];
//! b.execute(&Read::new(nsid, 0, 0).build(), Data::FromDevice(&mut buf))?;
//! # Ok(()) }
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod buf;
mod open;
// The NVMe passthrough ioctls.
#[allow(unsafe_code)]
mod sys;

pub use backend::{mdts_bytes, parse_ns_format, IoctlBackend, NsFormat, QUEUE_SLOTS};
pub use buf::{IoctlBuf, BUF_ALIGN};
pub use open::OpenError;
