//! serde shapes that map nvmeq-core's layouts onto nvme-cli 2.3's JSON keys.
//!
//! nvme-cli builds objects with json-c, which keeps insertion order; serde
//! structs keep field order and `serde_json::Map` keeps insertion order here
//! (the `preserve_order` feature), so keys come out in nvme-cli's order.

pub mod id_ctrl;
pub mod id_ns;
pub mod log;

/// A JSON object that keeps its keys in insertion order.
pub type Ordered = serde_json::Map<String, serde_json::Value>;

/// A 128-bit value as nvme-cli's `json_object_add_value_uint128` writes it: a
/// decimal string, which jq and JavaScript read without losing digits.
pub fn u128_str<S: serde::Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}
