//! Validating `-o json` output against the published schema (docs/schema).

use std::path::PathBuf;

/// The committed schema documents.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema")
}

/// The validator of `docs/schema/NAME.json`.
pub fn validator(name: &str) -> jsonschema::Validator {
    let path = dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{name}.json: {e}"))
}

/// Every way `v` breaks `docs/schema/NAME.json`, one line each (empty: valid).
pub fn errors(name: &str, v: &serde_json::Value) -> Vec<String> {
    validator(name)
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Asserts that `v` is valid under `docs/schema/NAME.json`.
pub fn assert_valid(name: &str, v: &serde_json::Value) {
    let e = errors(name, v);
    assert!(
        e.is_empty(),
        "{name} output breaks its schema:\n{}\n{v:#}",
        e.join("\n")
    );
}
