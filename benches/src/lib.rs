//! Criterion benchmarks for nvmeq; the code is in `benches/benches/`.
//!
//! - `core`: building and encoding a Read command into a 64-byte submission
//!   entry; decoding a 16-byte completion entry and its status.
//! - `ram`: push / submit / reap round trips of 32 commands on the ram
//!   backend, reported in commands per second.
//!
//! Run with `cargo bench -p nvmeq-benches`; results are kept in
//! `docs/benchmarks.md`.
