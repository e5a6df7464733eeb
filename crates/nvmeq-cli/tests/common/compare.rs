//! Field-by-field comparison of `nvmeq … -o json` with `nvme … -o json`
//! (nvme-cli 2.3), with the differences nvmeq makes on purpose:
//!
//! - 128-bit fields (`tnvmcap`, `nvmcap`, SMART counters…): nvme-cli 2.3
//!   prints a decimal *string*, nvmeq a JSON number. Equal when the digits are.
//! - 32-bit fields: nvme-cli 2.3 stores them in a signed 32-bit json-c int, so
//!   values of 2^31 and above come out negative. Equal modulo 2^32.
//! - `zns report-zones`: nvme-cli 2.3 writes `attrs` twice (the second time
//!   with ZAI); nvmeq names them `attrs` and `attrs_info` (not compared here).
//!
//! Counters that move between two invocations (listed by the caller) only
//! have to be non-decreasing from nvme-cli's run to nvmeq's.
#![allow(dead_code)]

use serde_json::Value;

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
