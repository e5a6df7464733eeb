//! 128-bit counters in JSON objects built as `serde_json` values.
//!
//! nvme-cli 2.13 writes every 128-bit field (`obj_add_uint128`: SMART and
//! endurance counters, the persistent event log's power-on hours, capacities)
//! as a bare decimal number with all its digits; 2.3 quoted the digits. The
//! serde structs (`EnduranceJson`, `IdCtrlJson`) already write `u128` that
//! way, but a `serde_json::Value` cannot hold an integer above `u64::MAX`
//! (short of serde_json's `arbitrary_precision` feature, which would change
//! how every number in the workspace is stored). So such a value travels
//! through the tree as a tagged string, and [`Exact`] writes it out as the
//! number.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use super::Ordered;

/// What marks a string in the tree as a 128-bit number (a NUL never comes
/// from a decoded field: `output::ascii` stops at the first).
const TAG: &str = "\u{0}u128:";

/// `v` as a JSON value: a number while it fits 64 bits, else a tagged string
/// that [`Exact`] prints as the number.
pub fn u128_value(v: u128) -> Value {
    match u64::try_from(v) {
        Ok(n) => n.into(),
        Err(_) => Value::String(format!("{TAG}{v}")),
    }
}

/// A JSON object whose [`u128_value`]s are written as numbers.
#[derive(Debug)]
pub struct Exact(pub Ordered);

impl Serialize for Exact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        map(&self.0, s)
    }
}

struct Ref<'a>(&'a Value);

impl Serialize for Ref<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::String(t) => match t.strip_prefix(TAG).and_then(|d| d.parse::<u128>().ok()) {
                Some(v) => s.serialize_u128(v),
                None => s.serialize_str(t),
            },
            Value::Array(a) => {
                let mut q = s.serialize_seq(Some(a.len()))?;
                for e in a {
                    q.serialize_element(&Ref(e))?;
                }
                q.end()
            }
            Value::Object(m) => map(m, s),
            other => other.serialize(s),
        }
    }
}

fn map<S: Serializer>(m: &Ordered, s: S) -> Result<S::Ok, S::Error> {
    let mut q = s.serialize_map(Some(m.len()))?;
    for (k, e) in m {
        q.serialize_entry(k, &Ref(e))?;
    }
    q.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_every_digit_at_any_depth() {
        let mut inner = Ordered::new();
        inner.insert("big".into(), u128_value(u128::MAX));
        inner.insert("small".into(), u128_value(7));
        let mut o = Ordered::new();
        o.insert("poh".into(), u128_value(1 << 64));
        o.insert("list".into(), Value::Array(vec![Value::Object(inner)]));
        o.insert("sn".into(), "12345".into());
        let s = serde_json::to_string(&Exact(o)).unwrap();
        assert_eq!(
            s,
            format!(
                r#"{{"poh":18446744073709551616,"list":[{{"big":{},"small":7}}],"sn":"12345"}}"#,
                u128::MAX
            )
        );
        // Below 2^64 the value is an ordinary number in the tree too.
        assert_eq!(u128_value(u64::MAX as u128), Value::from(u64::MAX));
    }
}
