//! In-memory NVMe controller (see issue: foundation).
#![forbid(unsafe_code)]
