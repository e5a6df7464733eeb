//! Every command's `-o json` on ram validates against its published schema
//! (docs/schema), and the schema is strict enough to catch a changed key.

mod common;

use common::schema::{self, assert_valid, errors};
use common::{json, nvmeq, nvmeq_env, TempDir};
use serde_json::Value;

const DEV: &str = "ram:64M";

/// Schema files the runs below cannot reach on ram, and where they are checked.
const ELSEWHERE: &[(&str, &str)] = &[
    (
        "endurance-log",
        "the ram controller has no endurance groups: src/cmd/log/health.rs validates a decoded page",
    ),
    (
        "discover",
        "needs a discovery controller: src/cmd/discover.rs validates a decoded page",
    ),
    (
        "dim",
        "needs a Direct or Centralized Discovery Controller: src/cmd/dim.rs validates the array",
    ),
    (
        "nvme-mi-recv",
        "the ram controller has no NVMe-MI Send/Receive: src/cmd/nvme_mi.rs validates both objects",
    ),
    (
        "boot-part-log",
        "the ram controller has no boot partitions (the page is refused): not validated yet",
    ),
    (
        "get-property",
        "ram has no properties (it refuses Property Get): src/cmd/property.rs validates the object",
    ),
    (
        "show-regs",
        "needs a controller's registers (ram has none, cli_register.rs): src/cmd/admin.rs \
         validates show-regs of a file mapped as resource0",
    ),
    (
        "get-reg",
        "needs a controller's registers (ram has none, cli_register.rs): src/cmd/register.rs \
         validates get-reg of a file mapped as resource0",
    ),
    (
        "set-reg",
        "needs a controller's registers (ram has none, cli_register.rs): src/cmd/register.rs \
         validates set-reg's writes to a file mapped as resource0",
    ),
    (
        "get-ns-id",
        "needs a namespace device node (ram has none): not validated yet",
    ),
    ("list", "cli_list.rs validates the listing of a fake sysfs"),
    (
        "show-topology",
        "cli_topology.rs validates list-subsys and show-topology on a fake sysfs",
    ),
    (
        "resv-report",
        "the ram controller has no reservations: src/cmd/resv.rs validates a decoded report",
    ),
    (
        "zns-report-zones",
        "the ram controller has no zoned namespace: src/cmd/zns.rs validates a decoded report",
    ),
    (
        "io-mgmt-recv",
        "the ram controller has no FDP: src/cmd/io_mgmt.rs validates a decoded status",
    ),
    (
        "id-uuid",
        "the ram controller has no UUID list: src/cmd/identify/lists.rs validates a decoded one",
    ),
    (
        "id-nvmset",
        "the ram controller has no NVM sets: src/cmd/identify/lists.rs validates a decoded list",
    ),
    (
        "id-domain",
        "the ram controller has no domains: src/cmd/identify/lists.rs validates a decoded list",
    ),
    (
        "id-ns-granularity",
        "the ram controller reports no granularity: src/cmd/identify/lists.rs validates a decoded list",
    ),
    (
        "mi-cmd-support-effects-log",
        "the ram controller has no NVMe-MI page: src/cmd/log/pages.rs validates a decoded one",
    ),
    (
        "ana-log",
        "the ram controller has no ANA page: src/cmd/log/health.rs validates a decoded one",
    ),
    (
        "resv-notif-log",
        "the ram controller has no reservations: src/cmd/log/health.rs validates a decoded page",
    ),
    (
        "endurance-event-agg-log",
        "the ram controller has neither aggregate page: src/cmd/log/aggregate.rs validates a decoded one",
    ),
    (
        "predictable-lat-log",
        "the ram controller has no NVM sets: src/cmd/log/aggregate.rs validates a decoded page",
    ),
    (
        "media-unit-stat-log",
        "the ram controller has no domains: src/cmd/log/capacity.rs validates a decoded page",
    ),
    (
        "supported-cap-config-log",
        "the ram controller has no domains: src/cmd/log/capacity.rs validates a decoded page",
    ),
    (
        "reachability-groups-log",
        "the ram controller reports no reachability: src/cmd/log/reachability.rs validates a decoded page",
    ),
    (
        "reachability-associations-log",
        "the ram controller reports no reachability: src/cmd/log/reachability.rs validates a decoded page",
    ),
    (
        "host-discovery-log",
        "the ram controller is no discovery controller: src/cmd/log/host_discovery.rs validates a decoded page",
    ),
    (
        "ave-discovery-log",
        "the ram controller is no discovery controller: src/cmd/log/ave_discovery.rs validates a decoded page",
    ),
    (
        "pull-model-ddc-req-log",
        "the ram controller is no discovery controller: src/cmd/log/pull_model_ddc.rs validates a decoded page",
    ),
    (
        "phy-rx-eom-log",
        "the ram controller measures no eye: src/cmd/log/phy_rx_eom.rs validates a decoded page",
    ),
    (
        "mgmt-addr-list-log",
        "the ram controller has no management addresses: src/cmd/log/mgmt_addr.rs validates decoded pages",
    ),
    (
        "rotational-media-info-log",
        "the ram controller has no rotational media: src/cmd/log/rotational.rs validates a decoded page",
    ),
    (
        "dispersed-ns-participating-nss-log",
        "the ram controller has no dispersed namespaces: src/cmd/log/dispersed_ns.rs validates a decoded page",
    ),
    (
        "zns-append",
        "the ram controller has no zoned namespace: not validated yet",
    ),
    (
        "connect",
        "needs the kernel's fabrics driver: not validated yet",
    ),
];

/// (schema file, arguments): each run's JSON must validate against the file.
fn runs(tmp: &TempDir) -> Vec<(&'static str, Vec<String>)> {
    let f = |n: &str| tmp.path().join(n).to_string_lossy().into_owned();
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let pi = "ram:64M,lba=4096,ms=16,pi=1,guard=64,sts=8";
    let data = f("block");
    std::fs::write(&data, [0xa5u8; 512]).unwrap();
    vec![
        ("id-ctrl", v(&["id-ctrl", DEV])),
        ("id-ns", v(&["id-ns", DEV, "-n", "1"])),
        ("id-ns", v(&["id-ns", pi, "-n", "1"])),
        ("smart-log", v(&["smart-log", DEV])),
        ("smart-log", v(&["smart-log", DEV, "-H"])),
        ("error-log", v(&["error-log", DEV])),
        ("effects-log", v(&["effects-log", DEV])),
        ("list-ns", v(&["list-ns", "ram:64M,nn=3"])),
        ("get-feature", v(&["get-feature", DEV, "-f", "7"])),
        ("get-feature", v(&["get-feature", DEV])),
        (
            "set-feature",
            v(&["set-feature", DEV, "-n", "1", "-f", "6", "-V", "1"]),
        ),
        ("get-log", v(&["get-log", DEV, "-i", "2", "-l", "512"])),
        ("telemetry-log", v(&["telemetry-log", DEV, "-O", &f("tel")])),
        ("flush", v(&["flush", DEV, "-n", "1"])),
        (
            "flush",
            v(&["write-zeroes", DEV, "-n", "1", "-s", "0", "-c", "7"]),
        ),
        (
            "flush",
            v(&["verify", DEV, "-n", "1", "-s", "0", "-c", "7"]),
        ),
        ("flush", v(&["write", DEV, "-n", "1", "-d", &data])),
        (
            "flush",
            v(&["dsm", DEV, "-n", "1", "-s", "0", "-b", "8", "-d"]),
        ),
        ("nvm-id-ns", v(&["nvm-id-ns", DEV, "-n", "1"])),
        ("nvm-id-ns", v(&["nvm-id-ns", pi, "-n", "1"])),
        ("nvm-id-ns", v(&["nvm-id-ns-lba-format", DEV, "-i", "0"])),
        ("id-ns-lba-format", v(&["id-ns-lba-format", DEV, "-i", "0"])),
        ("cmdset-ind-id-ns", v(&["cmdset-ind-id-ns", DEV, "-n", "1"])),
        ("list-endgrp", v(&["list-endgrp", DEV])),
        ("list-ctrl", v(&["list-ctrl", DEV])),
        ("list-ctrl", v(&["list-ctrl", DEV, "-n", "1"])),
        ("list-secondary", v(&["list-secondary", DEV])),
        ("nvm-id-ctrl", v(&["nvm-id-ctrl", DEV])),
        ("nvm-id-ctrl", v(&["nvm-id-ctrl", DEV, "-v"])),
        ("primary-ctrl-caps", v(&["primary-ctrl-caps", DEV])),
        ("id-iocs", v(&["id-iocs", DEV])),
        ("lba-status-log", v(&["lba-status-log", DEV])),
        (
            "changed-alloc-ns-list-log",
            v(&["changed-alloc-ns-list-log", DEV]),
        ),
        ("ns-descs", v(&["ns-descs", DEV, "-n", "1"])),
        ("get-lba-status", v(&["get-lba-status", DEV, "-a", "0x10"])),
        ("dir-receive", v(&["dir-receive", DEV, "-O", "1", "-H"])),
        ("dir-receive", v(&["dir-receive", DEV, "-O", "1"])),
        (
            "persistent-event-log",
            v(&["persistent-event-log", DEV, "-a", "1", "-l", "512"]),
        ),
        (
            "persistent-event-log",
            v(&["persistent-event-log", DEV, "-a", "2"]),
        ),
        (
            "bench",
            v(&["bench", DEV, "--ios", "1000", "--no-progress"]),
        ),
        ("fw-log", v(&["fw-log", DEV])),
        ("supported-log-pages", v(&["supported-log-pages", DEV])),
        ("self-test-log", v(&["self-test-log", DEV])),
        ("self-test-log", v(&["self-test-log", DEV, "-e", "2"])),
        ("device-self-test", v(&["device-self-test", DEV])),
        ("device-self-test", v(&["device-self-test", DEV, "-s", "1"])),
        ("sanitize-log", v(&["sanitize-log", DEV])),
        ("changed-ns-list-log", v(&["changed-ns-list-log", DEV])),
        (
            "fid-support-effects-log",
            v(&["fid-support-effects-log", DEV]),
        ),
        ("read", v(&["read", DEV, "-s", "8"])),
        ("read", v(&["read", DEV, "-s", "8", "-d", &f("read.out")])),
        (
            "admin-passthru",
            v(&[
                "admin-passthru",
                DEV,
                "-O",
                "6",
                "--cdw10",
                "1",
                "-l",
                "4096",
                "-r",
            ]),
        ),
        (
            "admin-passthru",
            v(&["io-passthru", DEV, "-O", "0", "-n", "1"]),
        ),
        ("security-recv", v(&["security-recv", DEV, "-x", "9"])),
        ("rpmb", v(&["rpmb", DEV, "-c", "info"])),
    ]
}

fn run(args: &[String]) -> Value {
    let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
    a.extend(["-o", "json"]);
    json(&nvmeq(&a))
}

#[test]
fn every_command_output_on_ram_validates_against_its_schema() {
    let tmp = TempDir::new("schema-runs");
    for (name, args) in runs(&tmp) {
        assert_valid(name, &run(&args));
    }
}

#[test]
fn every_schema_file_is_checked_somewhere() {
    let tmp = TempDir::new("schema-files");
    let runs = runs(&tmp);
    for f in std::fs::read_dir(schema::dir()).unwrap() {
        let n = f.unwrap().file_name().into_string().unwrap();
        let Some(n) = n.strip_suffix(".json") else {
            continue;
        };
        let run = runs.iter().any(|(r, _)| *r == n);
        let elsewhere = ELSEWHERE.iter().find(|(e, _)| *e == n);
        if let Some((_, why)) = elsewhere {
            assert!(!run, "{n} is run here and listed as checked elsewhere");
            eprintln!("SKIP {n} here: {why}");
        } else {
            assert!(run, "docs/schema/{n}.json has no run in cli_schema.rs");
        }
    }
}

#[test]
fn a_renamed_missing_retyped_or_added_key_fails() {
    let good = run(&["id-ctrl".into(), DEV.into()]);
    assert_valid("id-ctrl", &good);
    let o = good.as_object().unwrap();

    let mut renamed = o.clone();
    let vid = renamed.shift_remove("vid").unwrap();
    renamed.insert("vendor_id".into(), vid);
    let e = errors("id-ctrl", &Value::Object(renamed));
    assert!(e.iter().any(|e| e.contains("vid")), "{e:?}");
    assert!(e.iter().any(|e| e.contains("vendor_id")), "{e:?}");

    let mut retyped = o.clone();
    retyped.insert("mdts".into(), "7".into());
    assert!(!errors("id-ctrl", &Value::Object(retyped)).is_empty());

    // Nested objects are strict too (`psds[]`).
    let mut nested = good.clone();
    nested["psds"][0]["max_pwr"] = 1.into();
    assert!(!errors("id-ctrl", &nested).is_empty());

    let mut smart = run(&["smart-log".into(), DEV.into()]);
    smart["temperature_sensor_9"] = 300.into();
    assert!(!errors("smart-log", &smart).is_empty());
}

#[test]
fn counters_above_64_bits_validate_as_integers_not_strings() {
    let mut smart = run(&["smart-log".into(), DEV.into()]);
    // What the CLI prints for a 128-bit counter: every digit, a bare number.
    let big: Value = serde_json::from_str(&u128::MAX.to_string()).unwrap();
    smart["data_units_read"] = big;
    assert_valid("smart-log", &smart);
    smart["data_units_read"] = u128::MAX.to_string().into();
    assert!(!errors("smart-log", &smart).is_empty());
}

#[test]
fn an_empty_listing_validates() {
    let t = TempDir::new("schema-list");
    let out = nvmeq_env(&["list", "-o", "json"], &[("NVMEQ_SYSFS_ROOT", t.path())]);
    assert_valid("list", &json(&out));
}

/// Errors are text on stderr in every format, so no error shape needs a
/// schema: a failing `-o json` command leaves stdout empty.
#[test]
fn a_failing_command_prints_no_json() {
    let out = nvmeq(&["id-ns", DEV, "-n", "9", "-o", "json"]);
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Invalid Namespace or Format"), "{err}");
}
