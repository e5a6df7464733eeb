//! `nvmeq-hwtest`: the NVMe conformance suite, generic over [`nvmeq_core::Backend`].
//!
//! Every backend compiled in (cargo features, see [`registry`]) runs the same
//! tests: Identify, log pages, features, reads and writes of every size and
//! buffer placement, the queue interface, flush, write zeroes, deallocate,
//! compare, verify, end-to-end protection (PI inserted, checked and
//! corrupted, on namespaces that have it), a table of bad inputs that must each give a decoded
//! status or a clear error, zoned namespaces, and a differential check of our
//! Identify parsing against nvme-cli's JSON. After every backend, [`differential`]
//! compares the bytes each backend reads from the same controller.
//!
//! Two ways to run it (the binary `nvmeq-hwtest`):
//! - `guest`: inside the nvmeq QEMU guest (`cargo xtask vm test`), on the
//!   controllers named by the `NVMEQ_*` environment; writing allowed.
//! - `run --ctrl /dev/nvme0 --ns /dev/ng0n1`: on a real host, read-only
//!   unless `--allow-destructive --nsid N` names the namespace.
//!
//! Each test catches errors and panics and has a bounded duration; the output
//! is a table ending in `N passed, M failed`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod bad;
pub mod check;
pub mod differential;
pub mod faults;
pub mod io;
pub mod nvme_cli;
pub mod pattern;
pub mod pi;
pub mod registry;
pub mod report;
pub mod runner;
pub mod soak;
pub mod suite;
pub mod target;
#[cfg(feature = "tcp")]
pub mod tcp;
pub mod zns;
