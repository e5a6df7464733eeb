//! Objects whose keys are data, as nvme-cli builds some: the device name
//! (`{"nvme0": {…}}`), a log identifier (`{"lid_0x2 ": 1}`). A struct cannot
//! name such a key, so [`Keyed`] holds it, and its schema pins what the key
//! looks like (a [`Key`] pattern) instead of its name.

use std::borrow::Cow;
use std::marker::PhantomData;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// What the keys of a [`Keyed`] object look like.
pub trait Key {
    /// A name for the schema's definitions.
    const NAME: &'static str;
    /// The ECMA-262 pattern every key matches.
    const PATTERN: &'static str;
}

/// A device name as the CLI reports it (`nvme0`, `ram:64M`): not empty.
#[derive(Debug)]
pub struct DevName;

impl Key for DevName {
    const NAME: &'static str = "DevName";
    const PATTERN: &'static str = "^.+$";
}

/// A JSON object of `(key, value)` entries in order; the schema says each
/// key matches `K` and each value is a `T`, and `ONE` that there is
/// exactly one entry.
#[derive(Debug)]
pub struct Keyed<K, T, const ONE: bool = false> {
    entries: Vec<(String, T)>,
    key: PhantomData<K>,
}

/// An object with the one entry `key: value`.
pub fn one<K, T>(key: impl Into<String>, value: T) -> Keyed<K, T, true> {
    Keyed {
        entries: vec![(key.into(), value)],
        key: PhantomData,
    }
}

impl<K, T> FromIterator<(String, T)> for Keyed<K, T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(it: I) -> Self {
        Keyed {
            entries: it.into_iter().collect(),
            key: PhantomData,
        }
    }
}

impl<K, T: Serialize, const ONE: bool> Serialize for Keyed<K, T, ONE> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<K: Key, T: JsonSchema, const ONE: bool> JsonSchema for Keyed<K, T, ONE> {
    fn schema_name() -> Cow<'static, str> {
        let n = if ONE { "One" } else { "Keyed" };
        format!("{n}{}{}", K::NAME, T::schema_name()).into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let mut s = json_schema!({
            "type": "object",
            "propertyNames": {"pattern": K::PATTERN},
            "additionalProperties": g.subschema_for::<T>(),
        });
        if ONE {
            s.insert("minProperties".into(), 1.into());
            s.insert("maxProperties".into(), 1.into());
        }
        s
    }
}

/// An object of `head`'s fields followed by keyed entries, as nvme-cli
/// builds some pages (`{"chngc": 1, "nrgd": 1, "rgid: 7": {…}}`): the
/// schema admits `H`'s properties and keys matching `K`, each a `T`.
#[derive(Debug, Serialize)]
#[serde(bound(serialize = "H: Serialize, T: Serialize"))]
pub struct Headed<H, K, T> {
    #[serde(flatten)]
    pub head: H,
    #[serde(flatten)]
    pub entries: Keyed<K, T>,
}

impl<H: JsonSchema, K: Key, T: JsonSchema> JsonSchema for Headed<H, K, T> {
    fn schema_name() -> Cow<'static, str> {
        format!("{}{}", H::schema_name(), K::NAME).into()
    }

    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let head = H::json_schema(g);
        let props = head.get("properties").cloned().unwrap_or_default();
        let required = head.get("required").cloned().unwrap_or_default();
        let mut s = json_schema!({
            "type": "object",
            "properties": props,
            "patternProperties": {(K::PATTERN): g.subschema_for::<T>()},
            "additionalProperties": false,
        });
        if required.as_array().is_some_and(|r| !r.is_empty()) {
            s.insert("required".into(), required);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Lid;
    impl Key for Lid {
        const NAME: &'static str = "Lid";
        const PATTERN: &'static str = "^lid_0x[0-9a-f]+ $";
    }

    #[test]
    fn writes_its_entries_in_order() {
        let k: Keyed<Lid, u8> = [("b".to_string(), 1), ("a".to_string(), 2)]
            .into_iter()
            .collect();
        assert_eq!(serde_json::to_string(&k).unwrap(), r#"{"b":1,"a":2}"#);
        let o = one::<DevName, _>("nvme0", 7u8);
        assert_eq!(serde_json::to_string(&o).unwrap(), r#"{"nvme0":7}"#);
    }
}
