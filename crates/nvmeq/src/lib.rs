//! The nvmeq facade.
pub use nvmeq_core as core;
