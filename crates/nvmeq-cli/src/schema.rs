//! The published JSON schema of `-o json` (docs/schema): one JSON Schema
//! (draft 2020-12) document per command, generated from the serde types
//! that shape the command's output, so the schema cannot drift from the
//! code. `cargo xtask schema` writes the files; the test below fails when
//! the committed ones differ. docs/schema/README.md says what a version
//! bump means.

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};

use crate::cmd;
use crate::json;

/// The schema version in every `$id`: bumped on an incompatible change.
pub const VERSION: &str = "v1";

/// What every `$id` starts with (a URN: the schema is identified, not fetched).
const ID_PREFIX: &str = "urn:nvmeq:schema";

/// One command's output shape.
#[derive(Debug)]
pub struct Entry {
    /// The subcommands that print it (the file is named after the first).
    pub commands: &'static [&'static str],
    /// The schema of what they print with `-o json`.
    pub schema: fn() -> Schema,
}

const fn of<T: JsonSchema>(commands: &'static [&'static str]) -> Entry {
    Entry {
        commands,
        schema: root::<T>,
    }
}

/// Every command whose JSON has a schema. A new command adds one line (or
/// its name to an existing line when it prints an existing shape).
pub const COVERED: &[Entry] = &[
    of::<json::id_ctrl::IdCtrl>(&["id-ctrl"]),
    of::<json::id_ns::IdNs>(&["id-ns"]),
    of::<cmd::identify::formats::NvmIdNsJson>(&["nvm-id-ns", "nvm-id-ns-lba-format"]),
    of::<cmd::identify::formats::FormatIdNsJson>(&["id-ns-lba-format"]),
    of::<cmd::identify::independent::IndependentJson>(&["cmdset-ind-id-ns"]),
    of::<cmd::identify::independent::EndgrpListJson>(&["list-endgrp"]),
    of::<cmd::identify::lists::CtrlListJson>(&["list-ctrl"]),
    of::<cmd::identify::lists::SecondaryListJson>(&["list-secondary"]),
    of::<cmd::identify::lists::UuidListJson>(&["id-uuid"]),
    of::<cmd::identify::lists::NvmSetListJson>(&["id-nvmset"]),
    of::<cmd::identify::lists::DomainListJson>(&["id-domain"]),
    of::<cmd::identify::lists::GranularityListJson>(&["id-ns-granularity"]),
    of::<json::log::Smart<'static>>(&["smart-log"]),
    of::<json::log::ErrorLog>(&["error-log"]),
    of::<[json::log::Effects; 1]>(&["effects-log"]),
    of::<json::log::FwLog>(&["fw-log"]),
    of::<cmd::log::pages::SupportedJson>(&["supported-log-pages"]),
    of::<cmd::log::self_test::SelfTestJson>(&["self-test-log"]),
    of::<cmd::log::self_test::DeviceSelfTestJson>(&["device-self-test"]),
    of::<cmd::log::pages::SanitizeLogJson>(&["sanitize-log"]),
    of::<cmd::log::pages::ChangedNsJson>(&["changed-ns-list-log"]),
    of::<cmd::log::pages::ChangedAllocNsJson>(&["changed-alloc-ns-list-log"]),
    of::<cmd::log::pages::FidEffectsJson>(&["fid-support-effects-log"]),
    of::<cmd::log::pages::MiEffectsJson>(&["mi-cmd-support-effects-log"]),
    of::<cmd::identify::ctrl_data::NvmIdCtrlJson>(&["nvm-id-ctrl"]),
    of::<cmd::identify::ctrl_data::PrimaryCapsJson>(&["primary-ctrl-caps"]),
    of::<cmd::identify::ctrl_data::IocsJson>(&["id-iocs"]),
    of::<cmd::log::health::AnaJson>(&["ana-log"]),
    of::<cmd::log::health::ResvNotifJson>(&["resv-notif-log"]),
    of::<cmd::log::aggregate::AggregateJson>(&[
        "endurance-event-agg-log",
        "pred-lat-event-agg-log",
    ]),
    of::<cmd::log::aggregate::PredLatJson>(&["predictable-lat-log"]),
    of::<cmd::log::lba_status::LbaStatusLogJson>(&["lba-status-log"]),
    of::<cmd::log::capacity::MediaUnitStatJson>(&["media-unit-stat-log"]),
    of::<cmd::log::capacity::CapConfigListJson>(&["supported-cap-config-log"]),
    of::<cmd::log::reachability::GroupsJson>(&["reachability-groups-log"]),
    of::<cmd::log::reachability::AssociationsJson>(&["reachability-associations-log"]),
    of::<cmd::log::host_discovery::HostDiscoveryJson>(&["host-discovery-log"]),
    of::<cmd::log::ave_discovery::AveDiscoveryJson>(&["ave-discovery-log"]),
    of::<cmd::log::pull_model_ddc::PullModelDdcJson>(&["pull-model-ddc-req-log"]),
    of::<cmd::log::phy_rx_eom::PhyRxEomJson>(&["phy-rx-eom-log"]),
    of::<cmd::log::mgmt_addr::MgmtAddrJson>(&["mgmt-addr-list-log"]),
    of::<cmd::log::rotational::RotationalJson>(&["rotational-media-info-log"]),
    of::<cmd::log::dispersed_ns::DispersedNsJson>(&["dispersed-ns-participating-nss-log"]),
    of::<cmd::identify::NsDescsJson>(&["ns-descs"]),
    of::<cmd::zns::AppendJson>(&["zns append"]),
    of::<cmd::lba_status::LbaStatusJson>(&["get-lba-status"]),
    of::<cmd::directive::DirectiveJson>(&["dir-receive", "dir-send"]),
    of::<cmd::log::persistent_event::PelJson>(&["persistent-event-log"]),
    of::<nvmeq_bench::Report>(&["bench"]),
    of::<Vec<cmd::list::Entry>>(&["list"]),
    of::<Vec<cmd::topology::HostJson<'static>>>(&["show-topology", "list-subsys"]),
    of::<cmd::identify::NsidList>(&["list-ns"]),
    of::<cmd::discover::Discovery>(&["discover"]),
    of::<cmd::fabrics::ConnectMsg>(&["connect"]),
    of::<cmd::features::GetOut>(&["get-feature"]),
    of::<cmd::features::SetJson>(&["set-feature"]),
    of::<cmd::log::generic::GetLogJson<'static>>(&["get-log"]),
    of::<cmd::log::boot_part::BootPartJson>(&["boot-part-log"]),
    of::<cmd::log::telemetry::TelemetryJson<'static>>(&["telemetry-log"]),
    of::<cmd::log::health::EnduranceJson>(&["endurance-log"]),
    of::<cmd::ns_id::NsIdJson<'static>>(&["get-ns-id"]),
    of::<cmd::io::ReadJson>(&["read"]),
    of::<cmd::passthru::PassthruJson>(&["admin-passthru", "io-passthru"]),
    of::<cmd::resv::ReportJson>(&["resv-report"]),
    of::<cmd::security::RecvJson>(&["security-recv"]),
    of::<cmd::rpmb::RpmbJson>(&["rpmb"]),
    of::<cmd::nvme_mi::MiJson>(&["nvme-mi-recv", "nvme-mi-send"]),
    of::<Vec<cmd::dim::DimJson>>(&["dim"]),
    of::<cmd::io_mgmt::RecvJson>(&["io-mgmt-recv"]),
    of::<cmd::zns::ReportJson>(&["zns report-zones"]),
    of::<cmd::property::PropertyJson>(&["get-property", "set-property"]),
    of::<cmd::admin::ShowRegsJson>(&["show-regs"]),
    of::<cmd::register::GetRegJson>(&["get-reg"]),
    of::<Vec<cmd::register::SetRegJson>>(&["set-reg"]),
    of::<cmd::Done>(&[
        "flush",
        "write",
        "compare",
        "write-zeroes",
        "write-uncor",
        "verify",
        "dsm",
        "copy",
        "resv-register",
        "resv-acquire",
        "resv-release",
        "capacity-mgmt",
        "lockdown",
        "io-mgmt-send",
        "security-send",
        "zns open",
        "zns close",
        "zns finish",
        "zns reset",
        "create-ns",
        "attach-ns",
        "detach-ns",
        "delete-ns",
        "fw-download",
        "fw-commit",
        "format",
        "sanitize",
        "reset",
        "ns-rescan",
        "subsystem-reset",
        "virt-mgmt",
    ]),
];

/// Commands whose JSON has no schema yet (an untyped map, `json::Ordered`):
/// none now. docs/schema/README.md lists them too, and says why.
pub const NOT_YET_COVERED: &[&str] = &[];

/// Commands whose output is the same text whatever `-o` says (as
/// nvme-cli's), so they print no JSON.
pub const NO_JSON: &[&str] = &[
    "gen-hostnqn",
    "show-hostnqn",
    "connect-all",
    "disconnect",
    "disconnect-all",
    "gen-dhchap-key",
    "check-dhchap-key",
    "gen-tls-key",
    "check-tls-key",
];

fn root<T: JsonSchema>() -> Schema {
    // The serialize contract: a key skipped when empty is not required.
    SchemaSettings::draft2020_12()
        .for_serialize()
        .with_transform(RecursiveTransform(strict))
        .into_generator()
        .into_root_schema_for::<T>()
}

/// Every object with declared properties admits no others, so a renamed or
/// added key fails validation instead of passing unnoticed.
fn strict(s: &mut Schema) {
    if let Some(o) = s.as_object_mut() {
        if o.contains_key("properties") && !o.contains_key("additionalProperties") {
            o.insert("additionalProperties".into(), false.into());
        }
    }
}

/// An entry's name: its first command, `zns report-zones` as
/// `zns-report-zones`.
pub fn name(e: &Entry) -> String {
    e.commands[0].replace(' ', "-")
}

/// The file an entry is written to.
pub fn file_name(e: &Entry) -> String {
    format!("{}.json", name(e))
}

/// An entry's schema document, as committed (pretty, newline-terminated).
pub fn document(e: &Entry) -> String {
    let mut s = (e.schema)();
    let id = format!("{ID_PREFIX}:{VERSION}:{}", name(e));
    if let Some(o) = s.as_object_mut() {
        // `$schema`, `$id` and a title first, then what schemars derived.
        let mut m = serde_json::Map::new();
        if let Some(v) = o.remove("$schema") {
            m.insert("$schema".into(), v);
        }
        m.insert("$id".into(), id.into());
        m.insert(
            "title".into(),
            format!("nvmeq {} -o json", e.commands.join(" | ")).into(),
        );
        for (k, v) in std::mem::take(o) {
            if k != "title" {
                m.insert(k, v);
            }
        }
        *o = m;
    }
    let mut t = serde_json::to_string_pretty(&s).expect("a schema is JSON");
    t.push('\n');
    t
}

/// Every way `v` breaks the schema of `command` (empty: valid), for unit
/// tests of outputs the host CLI tests cannot produce on ram.
pub fn errors(command: &str, v: &serde_json::Value) -> Vec<String> {
    let e = COVERED
        .iter()
        .find(|e| e.commands.contains(&command))
        .unwrap_or_else(|| panic!("{command} has no schema"));
    let s: serde_json::Value = serde_json::from_str(&document(e)).expect("a schema is JSON");
    let v8r = jsonschema::validator_for(&s).expect("a valid schema");
    v8r.iter_errors(v).map(|e| e.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema")
    }

    /// The committed schema is the generated one. With
    /// `NVMEQ_SCHEMA_WRITE=1` (what `cargo xtask schema` sets) it writes the
    /// files instead, and removes schema files no entry generates.
    #[test]
    fn committed_schema_is_generated() {
        let dir = dir();
        let write = std::env::var_os("NVMEQ_SCHEMA_WRITE").is_some();
        let want: Vec<(String, String)> = COVERED
            .iter()
            .map(|e| (file_name(e), document(e)))
            .collect();
        let mut stale = Vec::new();
        for f in std::fs::read_dir(&dir).expect("docs/schema exists") {
            let name = f.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".json") && !want.iter().any(|(n, _)| *n == name) {
                stale.push(name);
            }
        }
        if write {
            for n in &stale {
                std::fs::remove_file(dir.join(n)).unwrap();
            }
            for (n, t) in &want {
                std::fs::write(dir.join(n), t).unwrap();
            }
            return;
        }
        assert!(
            stale.is_empty(),
            "docs/schema has files no type generates: {stale:?} (run `cargo xtask schema`)"
        );
        for (n, t) in &want {
            let got = std::fs::read_to_string(dir.join(n)).unwrap_or_default();
            assert!(
                got == *t,
                "docs/schema/{n} differs from the generated schema: run `cargo xtask schema`"
            );
        }
    }

    /// Every subcommand (`zns` ones as `zns NAME`).
    fn subcommands() -> Vec<String> {
        use clap::CommandFactory;
        let mut all = Vec::new();
        for c in crate::Cli::command().get_subcommands() {
            let subs: Vec<_> = c.get_subcommands().collect();
            if subs.is_empty() {
                all.push(c.get_name().to_string());
            }
            for s in subs {
                all.push(format!("{} {}", c.get_name(), s.get_name()));
            }
        }
        all
    }

    /// A new command fails here until it is given a schema (a line in
    /// [`COVERED`]) or listed as not covered or printing no JSON.
    #[test]
    fn every_command_is_covered_or_listed_as_not() {
        let covered: Vec<&str> = COVERED
            .iter()
            .flat_map(|e| e.commands.iter().copied())
            .collect();
        let all = subcommands();
        for c in &all {
            let n = [&covered[..], NOT_YET_COVERED, NO_JSON]
                .iter()
                .filter(|l| l.contains(&c.as_str()))
                .count();
            assert_eq!(
                n, 1,
                "`{c}` must be in exactly one of COVERED, NOT_YET_COVERED, NO_JSON"
            );
        }
        for c in covered.iter().chain(NOT_YET_COVERED).chain(NO_JSON) {
            assert!(
                all.iter().any(|a| a == c),
                "`{c}` is listed but is no subcommand"
            );
        }
    }

    /// The README's "not yet covered" list is [`NOT_YET_COVERED`].
    #[test]
    fn readme_lists_what_is_not_covered() {
        let readme = std::fs::read_to_string(dir().join("README.md")).unwrap();
        let (_, rest) = readme
            .split_once("## Not yet covered")
            .expect("the README has the section");
        let listed: Vec<&str> = rest
            .lines()
            .filter_map(|l| l.strip_prefix("- `")?.split_once('`'))
            .map(|(c, _)| c)
            .collect();
        assert_eq!(
            listed, NOT_YET_COVERED,
            "docs/schema/README.md's not-yet-covered list"
        );
    }

    #[test]
    fn each_command_has_one_schema_and_a_versioned_id() {
        let mut seen: Vec<&str> = Vec::new();
        for e in COVERED {
            for c in e.commands {
                assert!(!seen.contains(c), "{c} has two schemas");
                assert!(
                    !NOT_YET_COVERED.contains(c),
                    "{c} is covered and listed as not covered"
                );
                seen.push(c);
            }
            let d: serde_json::Value = serde_json::from_str(&document(e)).unwrap();
            assert_eq!(d["$id"], format!("urn:nvmeq:schema:{VERSION}:{}", name(e)));
        }
    }
}
