//! serde shapes that map nvmeq-core's layouts onto nvme-cli 2.3's JSON keys.
//!
//! nvme-cli builds objects with json-c, which keeps insertion order; serde
//! structs keep field order and `serde_json::Map` keeps insertion order here
//! (the `preserve_order` feature), so keys come out in nvme-cli's order.

pub mod id_ctrl;
pub mod id_ns;
pub mod keyed;
pub mod log;

/// A JSON object that keeps its keys in insertion order.
pub type Ordered = serde_json::Map<String, serde_json::Value>;
