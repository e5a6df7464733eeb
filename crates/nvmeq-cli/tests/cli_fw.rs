//! `fw-download` and `fw-commit` on the in-memory controller, which keeps no
//! firmware slots to write (OACS bit 2 clear): both need `--force`, check
//! the image and options before sending, and name the controller's refusal
//! (for a download, with the piece's offset).

mod common;

use common::{fails_with, json, nvmeq, TempDir};

const DEV: &str = "ram:64M";

#[test]
fn ram_refuses_firmware_commands_by_name() {
    let j = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    assert_eq!(
        j["oacs"].as_u64().unwrap() & 0x4,
        0,
        "OACS bit 2: no firmware commands"
    );
    let dir = TempDir::new("fw-refused");
    let img = dir.path().join("fw.bin");
    std::fs::write(&img, vec![0xa5u8; 8192]).unwrap();
    let img = img.to_str().unwrap();
    fails_with(
        &nvmeq(&["fw-download", DEV, "-f", img, "--force", "-x", "4096"]),
        1,
        "Firmware Image Download (offset 0x00000000/0x00002000): Invalid Command Opcode (sct 0x0, sc 0x01)",
    );
    fails_with(
        &nvmeq(&[
            "fw-commit",
            DEV,
            "-s",
            "1",
            "-a",
            "1",
            "--force",
            "-o",
            "json",
        ]),
        1,
        "Firmware Commit: Invalid Command Opcode (sct 0x0, sc 0x01)",
    );
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
