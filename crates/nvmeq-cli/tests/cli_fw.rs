//! `fw-download` and `fw-commit` on the in-memory controller, which has
//! firmware slots (OACS bit 2; slot 1 read-only, 3 slots, FWUG 4 KiB): both
//! need `--force` and check the image and options before sending. Each
//! invocation is a fresh controller, so a download and a commit cannot meet
//! here (nvmeq-ram's tests run the sequence); the commits below meet the
//! controller's slot and image checks, by name.

mod common;

use common::{fails_with, json, nvmeq, stdout, TempDir};

const DEV: &str = "ram:64M";

#[test]
fn ram_reports_firmware_slots() {
    let j = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    assert_ne!(j["oacs"].as_u64().unwrap() & 0x4, 0, "OACS bit 2");
    assert_eq!(j["frmw"], 0x17);
    assert_eq!(j["fwug"], 1);
    let j = json(&nvmeq(&["fw-log", DEV, "-o", "json"]));
    let s = j.to_string();
    assert!(s.contains("1.0"), "{s}");
}

#[test]
fn download_succeeds_in_pieces() {
    let dir = TempDir::new("fw-ok");
    let img = dir.path().join("fw.bin");
    let mut bytes = vec![0xa5u8; 10000];
    bytes[..8].copy_from_slice(b"2.0     ");
    std::fs::write(&img, &bytes).unwrap();
    let img = img.to_str().unwrap();
    let o = nvmeq(&["fw-download", DEV, "-f", img, "--force"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), "Firmware download success\n");
    let o = nvmeq(&["fw-download", DEV, "-f", img, "--force", "-x", "8192", "-p"]);
    assert!(o.status.success(), "{o:?}");
    assert!(
        stdout(&o).ends_with("\nFirmware download success\n"),
        "{}",
        stdout(&o)
    );
    let j = json(&nvmeq(&[
        "fw-download",
        DEV,
        "-f",
        img,
        "--force",
        "-o",
        "json",
    ]));
    assert_eq!(j["command"], "fw-download");
    // An offset off the 4 KiB granularity is the controller's refusal.
    fails_with(
        &nvmeq(&["fw-download", DEV, "-f", img, "--force", "-O", "1"]),
        1,
        "Firmware Image Download (offset 0x00000000/0x00002710): Invalid Field in Command (sct 0x0, sc 0x02)",
    );
}

#[test]
fn commit_statuses_from_the_controller() {
    ok_commit(
        &["-s", "1", "-a", "2"],
        "Success committing firmware action:2 slot:1\n",
    );
    let j = json(&nvmeq(&[
        "fw-commit",
        DEV,
        "-s",
        "1",
        "-a",
        "2",
        "--force",
        "-o",
        "json",
    ]));
    assert_eq!(j["command"], "fw-commit");
    for (args, status) in [
        (
            &["-s", "1", "-a", "0"][..],
            "Invalid Firmware Slot (sct 0x1, sc 0x06)",
        ),
        (
            &["-s", "4", "-a", "1"][..],
            "Invalid Firmware Slot (sct 0x1, sc 0x06)",
        ),
        (
            &["-s", "2", "-a", "1"][..],
            "Invalid Firmware Image (sct 0x1, sc 0x07)",
        ),
        (
            &["-s", "3", "-a", "2"][..],
            "Invalid Firmware Image (sct 0x1, sc 0x07)",
        ),
        (
            &["-a", "6"][..],
            "Invalid Field in Command (sct 0x0, sc 0x02)",
        ),
    ] {
        for fmt in ["normal", "json"] {
            let mut a = vec!["fw-commit", DEV, "--force", "-o", fmt];
            a.extend_from_slice(args);
            fails_with(&nvmeq(&a), 1, &format!("Firmware Commit: {status}"));
        }
    }
}

fn ok_commit(args: &[&str], line: &str) {
    let mut a = vec!["fw-commit", DEV, "--force"];
    a.extend_from_slice(args);
    let o = nvmeq(&a);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(stdout(&o), line);
}

#[test]
fn firmware_options_are_checked_before_sending() {
    let dir = TempDir::new("fw-options");
    let odd = dir.path().join("odd.bin");
    std::fs::write(&odd, [1u8, 2, 3]).unwrap();
    let odd = odd.to_str().unwrap();
    fails_with(&nvmeq(&["fw-download", DEV, "-f", odd]), 2, "pass --force");
    fails_with(
        &nvmeq(&["fw-download", DEV, "-f", odd, "--force"]),
        2,
        "3 bytes is not a whole, nonzero number of dwords",
    );
    fails_with(
        &nvmeq(&["fw-download", DEV, "-f", "/nonexistent/fw.bin", "--force"]),
        1,
        "reading the image /nonexistent/fw.bin",
    );
    let ok = dir.path().join("ok.bin");
    std::fs::write(&ok, [0u8; 4096]).unwrap();
    fails_with(
        &nvmeq(&[
            "fw-download",
            DEV,
            "-f",
            ok.to_str().unwrap(),
            "--force",
            "-x",
            "1000",
        ]),
        2,
        "a multiple of 4096",
    );
    fails_with(&nvmeq(&["fw-commit", DEV, "-a", "1"]), 2, "pass --force");
    fails_with(
        &nvmeq(&["fw-commit", DEV, "-a", "5", "--force"]),
        2,
        "5 is not a commit action",
    );
    fails_with(
        &nvmeq(&["fw-commit", DEV, "-s", "8", "--force"]),
        2,
        "--slot 8: 0 to 7",
    );
    fails_with(
        &nvmeq(&["fw-commit", DEV, "-b", "2", "--force"]),
        2,
        "--bpid 2: 0 or 1",
    );
}
