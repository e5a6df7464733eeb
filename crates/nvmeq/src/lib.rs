//! `nvmeq`: NVMe from Rust, through whichever backend the device needs.
//!
//! ```
//! use nvmeq::BackendExt;
//!
//! # #[cfg(feature = "ram")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut dev = nvmeq::open("ram:64M,lba=4096")?;
//! dev.write_blocks(1, 8, &[0xab; 8192])?;
//! let mut back = [0u8; 8192];
//! dev.read_blocks(1, 8, &mut back)?;
//! assert_eq!(back, [0xab; 8192]);
//! # Ok(()) }
//! # #[cfg(not(feature = "ram"))]
//! # fn main() {}
//! ```
//!
//! [`open`] takes a device string, parsed into a [`Locator`], and returns a
//! [`Device`], an enum with one variant per backend compiled in through cargo
//! features (`ram`, `ioctl`, `uring` by default; `vfio`, `tcp`). A `Device` is
//! itself a [`Backend`], so the typed commands of [`nvmeq_core`]
//! (re-exported as [`nvme`]) go through it unchanged; [`BackendExt`] adds
//! the everyday calls.
// Unsafe only where the tokio feature registers an eventfd (aio/tokio.rs).
#![deny(unsafe_code)]
#![warn(missing_docs)]

/// The README's examples, compiled and run as doctests.
#[cfg(all(doctest, feature = "ram", feature = "tokio"))]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;

pub mod aio;
mod device;
mod error;
mod ext;
pub mod locator;
pub mod shared;

pub use aio::{AsyncDevice, BufResult};
pub use device::{open, open_locator, AnyBuf, Device};
pub use error::OpenError;
pub use ext::BackendExt;
pub use locator::{Locator, LocatorError};
pub use nvmeq_core as nvme;
pub use nvmeq_core::{
    Backend, BackendKind, Bdf, Cmd, Completion, Data, Error, IdentifyController, IdentifyNamespace,
    IoBuf, Reaped, Rejected, Status,
};
pub use shared::{open_shared, open_shared_locator, QueueError, QueueHandle, SharedDevice};

#[cfg(feature = "ram")]
pub use device::ram_controller;
#[cfg(feature = "tcp")]
pub use device::tcp_options;
#[cfg(feature = "ioctl")]
pub use nvmeq_ioctl as ioctl;
#[cfg(feature = "ram")]
pub use nvmeq_ram as ram;
#[cfg(feature = "tcp")]
pub use nvmeq_tcp as tcp;
#[cfg(feature = "uring")]
pub use nvmeq_uring as uring;
#[cfg(feature = "vfio")]
pub use nvmeq_vfio as vfio;
