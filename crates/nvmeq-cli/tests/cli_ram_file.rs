//! `ram:…,file=PATH`: one controller across separate `nvmeq` processes, and
//! the state file's refusals as the user sees them.

mod common;
use common::*;

/// The lifecycle sequence of issue 14, each step its own process: the
/// namespace, its data and the committed firmware are there in the next.
#[test]
fn a_lifecycle_sequence_carries_across_processes() {
    let dir = TempDir::new("ram-file");
    let state = dir.path().join("ctrl.nvmeq");
    let dev = format!("ram:64M,cap=128M,maxnn=2,file={}", state.display());
    let dev = dev.as_str();
    let line = |args: &[&str]| stdout(&ok(args)).lines().next().unwrap_or("").to_owned();
    assert_eq!(
        line(&["create-ns", dev, "-s", "16384", "-c", "16384", "-f", "0"]),
        "create-ns: Success, created nsid:2"
    );
    assert!(state.exists(), "the first process saved the controller");
    assert_eq!(
        line(&["attach-ns", dev, "-n", "2", "-c", "1"]),
        "attach-ns: Success, nsid:2"
    );
    let data: Vec<u8> = (0..1024u32).map(|i| (i * 7 % 251) as u8).collect();
    let out = nvmeq_stdin(&["write", dev, "-n", "2", "-s", "5", "-c", "1"], &data);
    assert_eq!(stderr(&out), "write: Success\n");
    let img = dir.path().join("fw.bin");
    let mut fw = vec![0xa5u8; 10000];
    fw[..8].copy_from_slice(b"2.0     ");
    std::fs::write(&img, &fw).unwrap();
    let img = img.to_str().unwrap();
    assert_eq!(
        line(&["fw-download", dev, "-f", img, "--force"]),
        "Firmware download success"
    );
    assert_eq!(
        line(&["fw-commit", dev, "-s", "2", "-a", "1", "--force"]),
        "Success committing firmware action:1 slot:2"
    );
    let log = stdout(&ok(&["fw-log", dev]));
    assert!(
        log.contains("afi  : 0x21\n"),
        "slot 2 next, 1 active: {log}"
    );
    assert!(
        log.contains("frs2 : 0x2020202020302e32 (2.0.....)"),
        "{log}"
    );
    let j = json(&ok(&["fw-log", dev, "-o", "json"]));
    assert_eq!(j[dev]["Active Firmware Slot (afi)"], 0x21);
    assert!(
        j[dev]["Firmware Rev Slot 2"]
            .as_str()
            .unwrap()
            .ends_with("(2.0.....)"),
        "{j}"
    );
    let read = ok(&["read", dev, "-n", "2", "-s", "5", "-c", "1"]);
    assert_eq!(read.stdout, data);
    // Blocks never written read as zeroes.
    let read = ok(&["read", dev, "-n", "2", "-s", "100", "-c", "0"]);
    assert_eq!(read.stdout, vec![0; 512]);
    // Without the file the same options are a fresh controller.
    fails_with(
        &nvmeq(&["read", "ram:64M,cap=128M,maxnn=2", "-n", "2", "-c", "0"]),
        1,
        "namespace 2 is not active",
    );
}

#[test]
fn a_bad_state_file_is_named_and_left_alone() {
    let dir = TempDir::new("ram-file-bad");
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "not a controller\n").unwrap();
    let dev = format!("ram:64M,file={}", junk.display());
    fails_with(
        &nvmeq(&["id-ctrl", &dev]),
        1,
        &format!("state file {}: not an nvmeq ram state file", junk.display()),
    );
    assert_eq!(std::fs::read(&junk).unwrap(), b"not a controller\n");
    let state = dir.path().join("ctrl.nvmeq");
    ok(&["id-ctrl", &format!("ram:64M,file={}", state.display())]);
    fails_with(
        &nvmeq(&["id-ctrl", &format!("ram:32M,file={}", state.display())]),
        1,
        "has size=64M, not size=32M",
    );
    fails_with(
        &nvmeq(&["id-ctrl", "ram:64M,file="]),
        1,
        "the state file needs a path",
    );
}

/// While one process has the file open, another `nvmeq` is refused by name
/// (the lock is an flock, so it is another process's in earnest here).
#[test]
fn a_second_process_is_locked_out() {
    let dir = TempDir::new("ram-file-lock");
    let dev = format!("ram:64M,file={}", dir.path().join("ctrl.nvmeq").display());
    let held = ::nvmeq::open(&dev).unwrap();
    fails_with(
        &nvmeq(&["id-ctrl", &dev]),
        1,
        "ctrl.nvmeq: in use by another process",
    );
    drop(held);
    ok(&["id-ctrl", &dev]);
}
