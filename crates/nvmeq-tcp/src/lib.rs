//! `nvmeq-tcp`: a native NVMe/TCP initiator. The same typed commands and
//! queue interface as the local backends reach any NVMe/TCP target (Linux
//! `nvmet`, SPDK) over std TCP, in user space, with no kernel module, no
//! root and no `unsafe`.
//!
//! [`TcpBackend::connect`] initializes a TCP connection per queue
//! (ICReq/ICResp, digests negotiated), connects the admin queue, reads CAP
//! and VS, sets CC.EN and waits for CSTS.RDY, sends Identify, then connects
//! the I/O queues. A keep-alive thread sends Keep Alive every half KATO.
//! Writes up to IOCCSZ go in the command capsule; larger ones follow the
//! controller's R2Ts in H2CData PDUs of at most MAXH2CDATA bytes. Reads come
//! in C2HData PDUs, completed by the SUCCESS flag or a response capsule.
//! Header and data digests are CRC-32C ([`digest`]).
//!
//! Every PDU is checked (CID in flight, direction, offsets in order and
//! within the transfer, digests) before a byte reaches a buffer; a PDU that
//! breaks a rule ends the connection with an H2CTermReq, and every command
//! in flight then completes with an error and its buffer. So does a command
//! past its timeout or a lost socket. [`TcpBackend::reconnect`] is explicit.
//!
//! ```no_run
//! use nvmeq_core::{Backend, Data, cmd::Read};
//! use nvmeq_tcp::{TcpBackend, TcpOptions};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut b = TcpBackend::connect(TcpOptions::new("127.0.0.1", 4420, "nqn.2026-01.io.nvmeq:test"))?;
//! let mut buf = vec![0u8; b.lba_size(1)? as usize];
//! b.execute(&Read::new(1, 0, 0).build(), Data::FromDevice(&mut buf))?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod buf;
pub mod connect;
pub mod digest;
mod discover;
mod error;
mod options;
pub mod queue;

pub use backend::{CtrlInfo, TcpBackend, FALLBACK_MAX_XFER};
pub use buf::TcpBuf;
pub use discover::discover;
pub use error::OpenError;
pub use options::{format_uuid, parse_uuid, TcpOptions};
