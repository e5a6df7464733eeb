//! Field-by-field comparison of `nvmeq … -o json` with `nvme … -o json`
//! (nvme-cli 2.3 and 2.13, the guest's), with the differences nvmeq makes on
//! purpose:
//!
//! - 128-bit fields (`tnvmcap`, `nvmcap`, SMART counters…): nvme-cli 2.3
//!   prints a decimal *string*, 2.13 and nvmeq a JSON number with every
//!   digit. Equal when the digits are.
//! - 32-bit fields: nvme-cli 2.3 stores them in a signed 32-bit json-c int, so
//!   values of 2^31 and above come out negative. Equal modulo 2^32.
//! - `zns report-zones`: nvme-cli 2.3 writes `attrs` twice (the second time
//!   with ZAI); nvmeq names them `attrs` and `attrs_info` (not compared here).
//!
//! - Fields nvme-cli 2.13 added (NVMe 2.1 Identify fields, [`UNDECODED`]):
//!   nvmeq decodes those bytes as reserved and prints no key. nvme-cli's
//!   value must then be zero (or an empty list): a set bit there is a field
//!   nvmeq fails to show, and is a difference.
//!
//! Counters that move between two invocations (listed by the caller) only
//! have to be non-decreasing from nvme-cli's run to nvmeq's.
#![allow(dead_code)]

use serde_json::Value;

/// Keys nvme-cli 2.13 prints and nvmeq does not (NVMe 2.1 fields in bytes
/// nvmeq treats as reserved), by their last path component.
pub const UNDECODED: &[&str] = &[
    // Identify Controller.
    "bpcap",
    "nssl",
    "plsi",
    "crcap",
    "kpioc",
    "mptfawr",
    "tmpthha",
    "cqt",
    "oaqd",
    "rhiri",
    "hirt",
    "cmmrtd",
    "nmmrtd",
    "minmrtg",
    "maxmrtg",
    "trattr",
    "mcudmq",
    "mnsudmq",
    "mcmr",
    "nmcmr",
    "mcdqpc",
    // Identify Controller, each power state descriptor.
    "max_power_scale",
    "non-operational_state",
    "emerg_power_fail_recover_time",
    "emerg_power_fail_recover_scale",
    "force_quiesce_vault_time",
    "force_quiesce_vault_scale",
    "emerg_power_fail_vault_time",
    "emerg_power_fail_vault_scale",
    // Identify Namespace (`vs`: the vendor-specific bytes, as a list).
    "kpios",
    "kpiodaag",
    "vs",
];

/// Whether nvme-cli's value of an [`UNDECODED`] key is all zero.
fn zero(v: &Value) -> bool {
    match v {
        Value::Number(n) => n.as_u64() == Some(0),
        Value::String(s) => s == "0",
        Value::Array(a) => a.iter().all(zero),
        _ => false,
    }
}

/// Equal under the rules above.
pub fn same_value(theirs: &Value, ours: &Value) -> bool {
    match (theirs, ours) {
        (Value::String(t), Value::Number(o)) => t == &o.to_string(),
        (Value::Number(t), Value::Number(o)) => match (t.as_i64(), o.as_u64()) {
            (Some(t), Some(o)) if t < 0 => (t as i32 as u32) as u64 == o,
            _ => t == o,
        },
        _ => theirs == ours,
    }
}

fn as_u128(v: &Value) -> Option<u128> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64().map(u128::from),
        _ => None,
    }
}

/// Every difference between nvme-cli's object and ours, as readable lines.
/// `volatile` keys must only not go backwards. Keys nvme-cli has that we
/// lack are differences; extra keys of ours are not.
pub fn diff(path: &str, theirs: &Value, ours: &Value, volatile: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    match (theirs, ours) {
        (Value::Object(t), Value::Object(o)) => {
            for (k, tv) in t {
                let p = format!("{path}.{k}");
                match o.get(k) {
                    None if UNDECODED.contains(&k.as_str()) && zero(tv) => {}
                    None => out.push(format!("{p}: nvme-cli has {tv}, nvmeq has no such key")),
                    Some(ov) if volatile.contains(&k.as_str()) => {
                        match (as_u128(tv), as_u128(ov)) {
                            (Some(a), Some(b)) if b >= a => {}
                            _ => {
                                out.push(format!("{p}: nvme-cli {tv}, nvmeq {ov} (went backwards)"))
                            }
                        }
                    }
                    Some(ov) => out.extend(diff(&p, tv, ov, volatile)),
                }
            }
        }
        (Value::Array(t), Value::Array(o)) => {
            if t.len() != o.len() {
                out.push(format!(
                    "{path}: nvme-cli has {} elements, nvmeq {}",
                    t.len(),
                    o.len()
                ));
            }
            for (i, (tv, ov)) in t.iter().zip(o).enumerate() {
                out.extend(diff(&format!("{path}[{i}]"), tv, ov, volatile));
            }
        }
        (t, o) => {
            if !same_value(t, o) {
                out.push(format!("{path}: nvme-cli {t}, nvmeq {o}"));
            }
        }
    }
    out
}
