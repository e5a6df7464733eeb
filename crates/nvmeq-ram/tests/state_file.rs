//! The controller in a state file: every piece of state survives a save and
//! a load, each broken file is refused by name and left as it was, and a
//! second opener is locked out.

mod common;
use common::*;
use nvmeq_core::cmd::{
    CommitAction, DeviceSelfTest, FirmwareCommit, FirmwareDownload, NsAttachment, NsManagement,
    Numd, Sanitize, SanitizeAction, SelfTestCode,
};
use nvmeq_core::identify::{ControllerList, Csi, IdentifyNamespace};
use nvmeq_core::{Backend, Data};
use nvmeq_ram::{RamConfig, RamController, StateErrorKind, STATE_VERSION};
use std::path::PathBuf;
use zerocopy::{FromZeros, IntoBytes};

const MIB: u64 = 1 << 20;

/// Two 4 MiB namespaces of 512-byte blocks with 8 bytes of interleaved
/// metadata (so data and metadata are both stored), 16 MiB in all, NN 4.
fn cfg() -> RamConfig {
    RamConfig {
        nn: 2,
        ms: 8,
        extended: true,
        capacity: Some(16 * MIB),
        max_nn: Some(4),
        ..RamConfig::new(4 * MIB, 512)
    }
}

/// A fresh directory for one test's files.
fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nvmeq-ram-state-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One 520-byte block (data and metadata) filled from `seed`.
fn block(seed: u8) -> Vec<u8> {
    (0..520u32)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

fn ok(c: &mut RamController, cmd: &nvmeq_core::Cmd, data: Data<'_>) {
    c.execute(cmd, data).unwrap();
}

/// Puts something in every piece of state the controller keeps.
fn exercise(c: &mut RamController) {
    // Sanitize first: it erases, and leaves its status log.
    ok(
        c,
        &Sanitize::new(SanitizeAction::BlockErase).build(),
        Data::None,
    );
    ok(c, &write(1, 100, 1), Data::ToDevice(&block(1)));
    ok(c, &write(1, 5000, 1), Data::ToDevice(&block(2)));
    // A third namespace, attached, and the second detached.
    let mut h = IdentifyNamespace::new_zeroed();
    h.nsze = 1024;
    h.ncap = 1024;
    h.flbas = IdentifyNamespace::FLBAS_EXTENDED;
    let created = c
        .execute(
            &NsManagement::create(Csi::NVM).build(),
            Data::ToDevice(h.as_bytes()),
        )
        .unwrap();
    assert_eq!(NsManagement::created_nsid(&created), 3);
    let mut list = ControllerList::new_zeroed();
    list.num = 1;
    list.ids[0] = 1;
    ok(
        c,
        &NsAttachment::attach(3).build(),
        Data::ToDevice(list.as_bytes()),
    );
    ok(
        c,
        &NsAttachment::detach(2).build(),
        Data::ToDevice(list.as_bytes()),
    );
    ok(c, &write(3, 7, 1), Data::ToDevice(&block(3)));
    // Slot 2 gets revision 2.0 and runs; a second image stays half downloaded.
    let mut img = vec![0x5a; 4096];
    img[..8].copy_from_slice(b"2.0     ");
    let numd = Numd::from_bytes(4096).unwrap();
    ok(
        c,
        &FirmwareDownload::new(numd, 0).build(),
        Data::ToDevice(&img),
    );
    ok(
        c,
        &FirmwareCommit::new(2, CommitAction::ReplaceAndActivateNow).build(),
        Data::None,
    );
    img[..8].copy_from_slice(b"3.0     ");
    ok(
        c,
        &FirmwareDownload::new(numd, 0).build(),
        Data::ToDevice(&img),
    );
    // Features: no write cache, another arbitration burst, 4 queues.
    ok(c, &set_features(0x06, 0, false), Data::None);
    ok(c, &set_features(0x01, 0b011, false), Data::None);
    ok(c, &set_features(0x07, 3 | 3 << 16, false), Data::None);
    // A host telemetry capture and a persistent event log context.
    let mut create = get_log(0x07, 0, 512, 0);
    create.sqe.cdw10 |= 1 << 8;
    run_in(c, &create, 512).unwrap();
    let mut establish = get_log(0x0d, 0, 512, 0);
    establish.sqe.cdw10 |= 1 << 8;
    run_in(c, &establish, 512).unwrap();
    // A failed command for the error log, then a self-test left running.
    assert!(run_in(c, &read(1, 1 << 20, 1), 520).is_err());
    ok(
        c,
        &DeviceSelfTest::new(0, SelfTestCode::EXTENDED).build(),
        Data::None,
    );
    ok(c, &flush(1), Data::None);
}

/// Everything the host can see, read in a fixed order (reading changes some
/// of it, so two controllers in the same state give the same answers).
fn observe(c: &mut RamController) -> Vec<(String, Vec<u8>)> {
    let mut seen = Vec::new();
    let mut get = |c: &mut RamController, what: &str, cmd: nvmeq_core::Cmd, len: usize| {
        let r = run_in(c, &cmd, len).map_err(|e| e.to_string().into_bytes());
        seen.push((what.to_owned(), r.unwrap_or_else(|e| e)));
    };
    get(c, "id-ctrl", identify(0x01, 0), 4096);
    get(c, "active list", identify(0x02, 0), 4096);
    get(c, "allocated list", identify(0x10, 0), 4096);
    for nsid in 1..=4 {
        get(c, &format!("id-ns {nsid}"), identify(0x11, nsid), 4096);
    }
    get(c, "error log", get_log(0x01, 0, 4096, 0), 4096);
    get(c, "smart", get_log(0x02, 0, 512, 0), 512);
    get(c, "fw log", get_log(0x03, 0, 512, 0), 512);
    get(c, "changed ns", get_log(0x04, 0, 4096, 0), 4096);
    get(c, "changed alloc ns", get_log(0x1c, 0, 4096, 0), 4096);
    get(c, "self-test", get_log(0x06, 0, 564, 0), 564);
    get(c, "telemetry", get_log(0x07, 0, 16384, 0), 16384);
    get(c, "pel", get_log(0x0d, 0, 4096, 0), 4096);
    get(c, "sanitize", get_log(0x81, 0, 512, 0), 512);
    get(c, "ns1 lba 100", read(1, 100, 1), 520);
    get(c, "ns1 lba 5000", read(1, 5000, 1), 520);
    get(c, "ns1 lba 0", read(1, 0, 1), 520);
    get(c, "ns3 lba 7", read(3, 7, 1), 520);
    get(c, "ns2 (detached)", read(2, 0, 1), 520);
    for fid in [0x01, 0x06, 0x07] {
        let cqe = c.execute(&get_features(fid, 0), Data::None).unwrap();
        seen.push((format!("feature {fid}"), cqe.dw0.to_le_bytes().to_vec()));
    }
    seen
}

#[test]
fn every_piece_of_state_survives_a_save_and_a_load() {
    let mut c = RamController::new(cfg()).unwrap();
    exercise(&mut c);
    let state = c.to_state();
    let before = observe(&mut c);
    let mut back = RamController::from_state(cfg(), &state).unwrap();
    let after = observe(&mut back);
    for ((what, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(a, b, "{what} differs after the load");
    }
    // And it is the state exercised, not two defaults that agree.
    let get = |what: &str| &after.iter().find(|(w, _)| w == what).unwrap().1;
    assert_eq!(get("ns1 lba 100"), &block(1));
    assert_eq!(get("ns1 lba 5000"), &block(2));
    assert_eq!(get("ns3 lba 7"), &block(3));
    assert_eq!(get("ns1 lba 0"), &vec![0; 520]);
    assert_eq!(u32_at(get("active list"), 0), 1);
    assert_eq!(u32_at(get("active list"), 4), 3);
    assert_eq!(u32_at(get("allocated list"), 8), 3);
    assert_eq!(get("fw log")[0], 2, "AFI: slot 2 active");
    assert_eq!(&get("fw log")[16..19], b"2.0");
    assert_eq!(u32_at(get("changed ns"), 0), 2);
    assert_eq!(u32_at(get("changed ns"), 4), 3);
    assert_eq!(u32_at(get("changed alloc ns"), 0), 3, "ns 3 was created");
    assert_eq!(get("self-test")[0], 2, "an extended test is running");
    assert_eq!(get("telemetry")[381], 1, "host generation 1");
    assert_eq!(u64_at(get("error log"), 0), 1, "one error logged");
    assert_eq!(u128_at(get("smart"), 80), 3, "host write commands");
    assert_ne!(u16_at(get("sanitize"), 2) & 0x7, 0, "a sanitize completed");
    assert_eq!(get("feature 6"), &[0, 0, 0, 0]);
    assert_eq!(get("feature 1"), &[3, 0, 0, 0]);
    assert_eq!(get("feature 7"), &[3, 0, 3, 0]);
    // The PEL context was captured before the save: its bytes are equal.
    assert_eq!(get("pel")[0], 0x0d);
    // The staged half of the 3.0 image commits after the load.
    back.execute(
        &FirmwareCommit::new(3, CommitAction::Replace).build(),
        Data::None,
    )
    .unwrap();
    let fw = run_in(&mut back, &get_log(0x03, 0, 512, 0), 512).unwrap();
    assert_eq!(&fw[24..27], b"3.0");
}

#[test]
fn a_saved_state_is_sparse() {
    let mut c = RamController::new(RamConfig::new(1 << 40, 4096)).unwrap();
    c.execute(&write(1, 12345, 1), Data::ToDevice(&[7; 4096]))
        .unwrap();
    // A chunk written with zeroes is not kept either.
    c.execute(&write(1, 1 << 27, 1), Data::ToDevice(&[0; 4096]))
        .unwrap();
    let state = c.to_state();
    assert!(
        state.len() < 64 << 20,
        "1 TiB with one block written took {} bytes",
        state.len()
    );
    let mut back = RamController::from_state(RamConfig::new(1 << 40, 4096), &state).unwrap();
    assert_eq!(
        run_in(&mut back, &read(1, 12345, 1), 4096).unwrap(),
        [7; 4096]
    );
    assert_eq!(back.allocated_bytes(), c.allocated_bytes() / 2);
}

#[test]
fn the_file_carries_the_controller_from_one_open_to_the_next() {
    let d = dir("reopen");
    let path = d.join("ctrl.nvmeq");
    {
        let mut c = RamController::open_file(cfg(), &path).unwrap();
        assert!(!path.exists(), "nothing is written before the first save");
        assert_eq!(c.state_path(), Some(path.as_path()));
        c.execute(&write(1, 9, 1), Data::ToDevice(&block(9)))
            .unwrap();
    }
    assert!(path.exists(), "written when the controller drops");
    assert!(
        !d.join("ctrl.nvmeq.tmp").exists(),
        "the temporary file is renamed"
    );
    let mut c = RamController::open_file(cfg(), &path).unwrap();
    assert_eq!(run_in(&mut c, &read(1, 9, 1), 520).unwrap(), block(9));
    // The queue depth is the host's, not the file's.
    drop(c);
    let c = RamController::open_file(
        RamConfig {
            queue_depth: 8,
            ..cfg()
        },
        &path,
    )
    .unwrap();
    assert_eq!(c.config().queue_depth, 8);
    drop(c);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_second_opener_is_locked_out_until_the_first_closes() {
    let d = dir("lock");
    let path = d.join("ctrl.nvmeq");
    let first = RamController::open_file(cfg(), &path).unwrap();
    let e = RamController::open_file(cfg(), &path).unwrap_err();
    assert!(matches!(e.kind, StateErrorKind::InUse), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("in use by another process"), "{msg}");
    assert!(msg.contains(&*path.to_string_lossy()), "{msg}");
    drop(first);
    RamController::open_file(cfg(), &path).unwrap();
    std::fs::remove_dir_all(&d).unwrap();
}

fn crc(b: &[u8]) -> u64 {
    crc::Crc::<u64>::new(&crc::CRC_64_XZ).checksum(b)
}

/// Each broken file is refused with its problem and path named, and left
/// byte for byte as it was.
#[test]
fn broken_files_are_refused_by_name_and_left_alone() {
    let d = dir("broken");
    let path = d.join("ctrl.nvmeq");
    let mut c = RamController::new(cfg()).unwrap();
    c.execute(&write(1, 1, 1), Data::ToDevice(&block(4)))
        .unwrap();
    let good = c.to_state();
    assert_eq!(&good[..8], b"NVMEQRAM");
    assert_eq!(u32_at(&good, 8), STATE_VERSION);
    assert_eq!(u64_at(&good, 16), good.len() as u64 - 32);
    assert_eq!(u64_at(&good, 24), crc(&good[32..]));

    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 1;
    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&(STATE_VERSION + 1).to_le_bytes());
    let mut trailing = good.clone();
    trailing.push(0);
    // A payload one byte short whose header and checksum agree with it.
    let mut short = good[..good.len() - 1].to_vec();
    let n = short.len() as u64 - 32;
    short[16..24].copy_from_slice(&n.to_le_bytes());
    let sum = crc(&short[32..]);
    short[24..32].copy_from_slice(&sum.to_le_bytes());
    let cases: [(&str, Vec<u8>, RamConfig, &str); 9] = [
        ("empty", vec![], cfg(), "not an nvmeq ram state file"),
        (
            "foreign",
            b"#!/bin/sh\necho hi\n".repeat(4),
            cfg(),
            "not an nvmeq ram state file",
        ),
        ("header cut", good[..20].to_vec(), cfg(), "truncated"),
        (
            "payload cut",
            good[..good.len() - 100].to_vec(),
            cfg(),
            "truncated",
        ),
        ("trailing", trailing, cfg(), "trailing bytes"),
        ("bit flip", flipped, cfg(), "checksum does not match"),
        ("newer", newer, cfg(), "newer than this build reads"),
        (
            "short payload",
            short,
            cfg(),
            "corrupt: the state ends in the middle",
        ),
        (
            "other lba",
            good.clone(),
            RamConfig {
                lba_size: 4096,
                ms: 0,
                extended: false,
                ..cfg()
            },
            "has lba=512, not lba=4096",
        ),
    ];
    for (what, bytes, config, want) in cases {
        std::fs::write(&path, &bytes).unwrap();
        let e = RamController::open_file(config, &path).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(want), "{what}: {msg}");
        assert!(msg.contains(&*path.to_string_lossy()), "{what}: {msg}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{what}: the file changed"
        );
    }
    // The good file opens, so the refusals were the file's doing.
    std::fs::write(&path, &good).unwrap();
    let mut c = RamController::open_file(cfg(), &path).unwrap();
    assert_eq!(run_in(&mut c, &read(1, 1, 1), 520).unwrap(), block(4));
    drop(c);
    std::fs::remove_dir_all(&d).unwrap();
}

/// Flush writes the state before it completes: a process that dies after
/// it (here: a controller that is never dropped) leaves the flushed data.
#[test]
fn flush_is_a_save_point() {
    let d = dir("flush");
    let path = d.join("ctrl.nvmeq");
    let mut c = RamController::open_file(cfg(), &path).unwrap();
    c.execute(&write(1, 3, 1), Data::ToDevice(&block(5)))
        .unwrap();
    assert!(!path.exists());
    c.execute(&flush(1), Data::None).unwrap();
    let saved = std::fs::read(&path).unwrap();
    // As if the process were killed here: no drop, so no save on close.
    std::mem::forget(c);
    let mut back = RamController::from_state(cfg(), &saved).unwrap();
    assert_eq!(run_in(&mut back, &read(1, 3, 1), 520).unwrap(), block(5));
    // Flush of an inactive namespace still fails before anything is saved.
    let mut c = RamController::new(cfg()).unwrap();
    assert_eq!(
        sct_sc(status_of(c.execute(&flush(9), Data::None))),
        (0, 0x0b)
    );
    std::fs::remove_dir_all(&d).unwrap();
}

fn refix(mut b: Vec<u8>) -> Vec<u8> {
    let n = b.len() as u64 - 32;
    b[16..24].copy_from_slice(&n.to_le_bytes());
    let sum = crc(&b[32..]);
    b[24..32].copy_from_slice(&sum.to_le_bytes());
    b
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// A payload changed behind a matching checksum (a writer's bug, or a
    /// crafted file) loads or is refused, never panics.
    #[test]
    fn altered_payloads_are_refused_not_panicked_on(
        edits in proptest::collection::vec((0usize..1 << 20, proptest::prelude::any::<u8>()), 1..4),
        cut in proptest::prelude::any::<bool>(),
        cut_at in 0usize..1 << 20,
    ) {
        let mut c = RamController::new(cfg()).unwrap();
        exercise(&mut c);
        let mut b = c.to_state();
        let n = b.len() - 32;
        for (at, v) in edits {
            b[32 + at % n] = v;
        }
        if cut {
            b.truncate(32 + cut_at % n);
        }
        let _ = RamController::from_state(cfg(), &refix(b));
    }
}
