//! nvmeq's renderings of real controller data against nvme-cli 2.3's, from
//! fixtures captured in the nvmeq guest (QEMU 7.2's emulated controllers,
//! Linux 6.12, Debian's nvme-cli 2.3): for each structure, the raw bytes
//! (`nvme … -b`), nvme-cli's JSON (`-o json`) and its text (default output).
//!
//! JSON must match field by field under the rules in
//! `tests/common/compare.rs` (128-bit numbers vs strings, wrapped 32-bit
//! ints); text must match line by line, except where noted.

#[path = "../tests/common/compare.rs"]
mod compare;

use nvmeq_core::identify::{IdentifyController, IdentifyNamespace, NsList};
use nvmeq_core::log::{CommandEffectsLog, ErrorLogEntry, FwSlotLog, SmartLog};
use nvmeq_core::zoned::ZoneReport;
use serde_json::Value;
use zerocopy::FromBytes;

use crate::cmd::{identify, log};
use crate::json;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/qemu72/",
            $name
        ))
        .as_slice()
    };
}

fn nvme_cli_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("fixture JSON")
}

fn same_json(what: &str, theirs: &[u8], ours: impl serde::Serialize) {
    let ours = serde_json::to_value(ours).unwrap();
    let d = compare::diff(what, &nvme_cli_json(theirs), &ours, &[]);
    assert!(
        d.is_empty(),
        "{what} differs from nvme-cli:\n{}",
        d.join("\n")
    );
    // What a QEMU controller returned also fits the published schema.
    let command = match what.split(" --").next().unwrap_or(what) {
        "report-zones" => "zns report-zones",
        c => c,
    };
    let e = crate::schema::errors(command, &ours);
    assert!(e.is_empty(), "{what} breaks its schema: {e:?}");
}

fn same_text(what: &str, theirs: &[u8], ours: &str) {
    let theirs = String::from_utf8_lossy(theirs);
    let t: Vec<&str> = theirs.lines().collect();
    let o: Vec<&str> = ours.lines().collect();
    for (i, (a, b)) in t.iter().zip(&o).enumerate() {
        assert_eq!(a, b, "{what}: line {} differs", i + 1);
    }
    assert_eq!(
        t.len(),
        o.len(),
        "{what}: nvme-cli has {} lines, nvmeq {}",
        t.len(),
        o.len()
    );
}

#[test]
fn id_ctrl_matches_nvme_cli() {
    let c = IdentifyController::read_from_bytes(fixture!("A-id-ctrl.bin")).unwrap();
    same_json(
        "id-ctrl",
        fixture!("A-id-ctrl.json"),
        json::id_ctrl::IdCtrl::from(&c),
    );
    same_text(
        "id-ctrl",
        fixture!("A-id-ctrl.txt"),
        &identify::id_ctrl_text(&c, false),
    );
}

#[test]
fn id_ns_matches_nvme_cli() {
    for (bin, js, txt, nsid) in [
        (
            fixture!("A-id-ns.bin"),
            fixture!("A-id-ns.json"),
            fixture!("A-id-ns.txt"),
            1,
        ),
        (
            fixture!("B-id-ns1.bin"),
            fixture!("B-id-ns1.json"),
            fixture!("B-id-ns1.txt"),
            1,
        ),
        (
            fixture!("B-id-ns2.bin"),
            fixture!("B-id-ns2.json"),
            fixture!("B-id-ns2.txt"),
            2,
        ),
    ] {
        let n = IdentifyNamespace::read_from_bytes(bin).unwrap();
        same_json("id-ns", js, json::id_ns::IdNs::from(&n));
        same_text("id-ns", txt, &identify::id_ns_text(&n, nsid, false));
    }
}

#[test]
fn smart_log_matches_nvme_cli() {
    let l = SmartLog::read_from_bytes(fixture!("A-smart-log.bin")).unwrap();
    same_json(
        "smart-log",
        fixture!("A-smart-log.json"),
        json::log::Smart(&l, false),
    );
    same_text(
        "smart-log",
        fixture!("A-smart-log.txt"),
        &log::smart_text(&l, "nvme0", u32::MAX, false),
    );
}

#[test]
fn error_log_matches_nvme_cli() {
    let raw = fixture!("A-error-log.bin");
    let entries: Vec<ErrorLogEntry> = raw
        .chunks_exact(64)
        .map(|c| ErrorLogEntry::read_from_bytes(c).unwrap())
        .collect();
    same_json(
        "error-log",
        fixture!("A-error-log.json"),
        json::log::ErrorLog::new(&entries),
    );
    // nvme-cli follows the status name with its long description
    // ("Successful Completion: The command completed without error"); nvmeq
    // prints the name only. Everything else is the same.
    let theirs = String::from_utf8_lossy(fixture!("A-error-log.txt"))
        .replace(": The command completed without error", "");
    same_text(
        "error-log",
        theirs.as_bytes(),
        &log::error_text(&entries, "nvme0"),
    );
}

#[test]
fn fw_log_matches_nvme_cli() {
    let l = FwSlotLog::read_from_bytes(fixture!("A-fw-log.bin")).unwrap();
    same_json(
        "fw-log",
        fixture!("A-fw-log.json"),
        json::log::fw_log("nvme0", &l),
    );
    same_text(
        "fw-log",
        fixture!("A-fw-log.txt"),
        &log::fw_text(&l, "nvme0"),
    );
}

#[test]
fn effects_log_matches_nvme_cli() {
    let l = CommandEffectsLog::read_from_bytes(fixture!("A-effects0.bin")).unwrap();
    same_json(
        "effects-log",
        fixture!("A-effects0.json"),
        [json::log::Effects::new(0, &l)],
    );
    same_text(
        "effects-log",
        fixture!("A-effects0.txt"),
        &log::effects_text(0, &l, false),
    );
    let l = CommandEffectsLog::read_from_bytes(fixture!("B-effects2.bin")).unwrap();
    same_json(
        "effects-log --csi 2",
        fixture!("B-effects2.json"),
        [json::log::Effects::new(2, &l)],
    );
    same_text(
        "effects-log --csi 2 -H",
        fixture!("B-effects2-H.txt"),
        &log::effects_text(2, &l, true),
    );
}

#[test]
fn ns_descs_and_list_ns_match_nvme_cli() {
    let (text, js) = identify::ns_descs_render(fixture!("B-ns-descs2.bin"), 2).unwrap();
    same_json("ns-descs", fixture!("B-ns-descs2.json"), js);
    same_text("ns-descs", fixture!("B-ns-descs2.txt"), &text);
    // B's namespace list, rebuilt from what nvme-cli printed (it has no -b for list-ns).
    let mut raw = [0u8; 4096];
    raw[0..4].copy_from_slice(&1u32.to_le_bytes());
    raw[4..8].copy_from_slice(&2u32.to_le_bytes());
    let list = NsList::read_from_bytes(&raw).unwrap();
    let (text, js) = identify::list_ns_render(&list);
    same_json("list-ns", fixture!("B-list-ns.json"), js);
    same_text("list-ns", fixture!("B-list-ns.txt"), &text);
}

#[test]
fn report_zones_match_nvme_cli() {
    // nvme-cli prints no raw report; rebuild QEMU's from its JSON: 4 empty
    // sequential-write-required zones of 0x4000 blocks.
    let theirs = nvme_cli_json(fixture!("B-zones.json"));
    let mut raw = vec![0u8; 64 + 4 * 64];
    raw[0..8].copy_from_slice(&4u64.to_le_bytes());
    for (i, z) in theirs["zone_list"].as_array().unwrap().iter().enumerate() {
        let d = &mut raw[64 + i * 64..128 + i * 64];
        d[0] = 0x2;
        d[1] = 0x1 << 4;
        d[8..16].copy_from_slice(&z["cap"].as_u64().unwrap().to_le_bytes());
        d[16..24].copy_from_slice(&z["slba"].as_u64().unwrap().to_le_bytes());
        d[24..32].copy_from_slice(&z["wp"].as_u64().unwrap().to_le_bytes());
    }
    let rep = ZoneReport::parse(&raw, 0).unwrap();
    let zones: Vec<_> = rep.entries().map(|e| (e.desc, e.ext.to_vec())).collect();
    same_json(
        "report-zones",
        fixture!("B-zones.json"),
        crate::cmd::zns::zones_json(4, &zones, false),
    );
    same_text(
        "report-zones",
        fixture!("B-zones.txt"),
        &crate::cmd::zns::zones_text(4, &zones, false),
    );
    same_text(
        "report-zones -v",
        fixture!("B-zones-v.txt"),
        &crate::cmd::zns::zones_text(4, &zones, true),
    );
}
