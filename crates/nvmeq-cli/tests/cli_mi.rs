//! `nvme-mi-send`, `nvme-mi-recv` and `dim` on the in-memory controller,
//! which implements neither NVMe-MI Send/Receive (OACS bit 6 is clear) nor
//! Discovery Information Management (it is not a discovery controller):
//! the controller refuses the MI commands by name, and every option check
//! (--force, --nmimt, --data-len against the input and the transfer limit,
//! --task, a device dim cannot use) comes before anything is sent.

mod common;

use common::{fails_with, json, nvmeq, nvmeq_stdin, TempDir};

const DEV: &str = "ram:64M";
const INVALID_OPCODE: &str = "Invalid Command Opcode (sct 0x0, sc 0x01)";

#[test]
fn ram_does_not_advertise_nvme_mi() {
    let j = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    assert_eq!(j["oacs"].as_u64().unwrap() & 1 << 6, 0, "OACS bit 6");
}

#[test]
fn the_controller_refuses_both_by_name() {
    for args in [
        &["nvme-mi-recv", DEV, "-O", "0", "-m", "1", "-l", "256"][..],
        &["nvme-mi-recv", DEV, "--opcode", "1", "--nmimt", "1"][..],
        &[
            "nvme-mi-recv",
            DEV,
            "-O",
            "4",
            "-m",
            "1",
            "-0",
            "0x1",
            "-1",
            "2",
            "-n",
            "1",
            "-l",
            "8",
            "-o",
            "json",
        ][..],
    ] {
        fails_with(
            &nvmeq(args),
            1,
            &format!("NVMe-MI Receive: {INVALID_OPCODE}"),
        );
    }
    fails_with(
        &nvmeq_stdin(
            &[
                "nvme-mi-send",
                DEV,
                "-O",
                "6",
                "-m",
                "1",
                "-1",
                "0x100",
                "-l",
                "4",
                "--force",
            ],
            &[1, 2, 3, 4],
        ),
        1,
        &format!("NVMe-MI Send: {INVALID_OPCODE}"),
    );
    let dir = TempDir::new("mi");
    let f = dir.path().join("vpd.bin");
    std::fs::write(&f, [0u8; 16]).unwrap();
    fails_with(
        &nvmeq(&[
            "nvme-mi-send",
            DEV,
            "-O",
            "6",
            "-m",
            "1",
            "-l",
            "16",
            "-i",
            f.to_str().unwrap(),
            "--force",
        ]),
        1,
        &format!("NVMe-MI Send: {INVALID_OPCODE}"),
    );
}

#[test]
fn option_checks_happen_before_sending() {
    fails_with(
        &nvmeq_stdin(
            &["nvme-mi-send", DEV, "-O", "6", "-m", "1", "-l", "4"],
            &[0; 4],
        ),
        2,
        "--force",
    );
    fails_with(
        &nvmeq_stdin(&["nvme-mi-send", DEV, "-l", "8", "--force"], &[0; 4]),
        2,
        "stdin holds fewer than the --data-len 8 bytes",
    );
    let dir = TempDir::new("mi");
    let f = dir.path().join("in.bin");
    std::fs::write(&f, [0u8; 4]).unwrap();
    let fs = f.to_str().unwrap();
    fails_with(
        &nvmeq(&["nvme-mi-send", DEV, "-i", fs, "--force"]),
        2,
        "--input-file given but --data-len is 0",
    );
    fails_with(
        &nvmeq(&["nvme-mi-recv", DEV, "-i", fs]),
        2,
        "--input-file given but --data-len is 0",
    );
    for cmd in ["nvme-mi-recv", "nvme-mi-send"] {
        fails_with(
            &nvmeq(&[cmd, DEV, "-m", "16", "--force"][..if cmd == "nvme-mi-recv" { 4 } else { 5 }]),
            2,
            "--nmimt 16 does not fit the 4-bit NVMe-MI Message Type",
        );
        fails_with(
            &nvmeq(
                &[cmd, DEV, "-l", "99999999", "--force"]
                    [..if cmd == "nvme-mi-recv" { 4 } else { 5 }],
            ),
            2,
            "--data-len 99999999 exceeds the largest transfer",
        );
    }
    fails_with(&nvmeq(&["nvme-mi-recv", DEV, "-O", "256"]), 2, "256");
}

#[test]
fn dim_refuses_before_connecting() {
    fails_with(
        &nvmeq(&["dim", "-t", "register"]),
        2,
        "Neither device name [--device | -d] nor NQN [--nqn | -n] provided",
    );
    fails_with(
        &nvmeq(&["dim", "-d", "tcp://127.0.0.1:1"]),
        2,
        "Task [--task | -t] must be specified",
    );
    fails_with(
        &nvmeq(&["dim", "-d", "tcp://127.0.0.1:1", "-t", "unregister"]),
        2,
        "Invalid --task: unregister",
    );
    fails_with(
        &nvmeq(&["dim", "-d", DEV, "-t", "reg"]),
        1,
        "Did not find device ram:64M",
    );
    fails_with(
        &nvmeq(&[
            "dim",
            "-n",
            "nqn.2014-08.org.nvmexpress.discovery.none",
            "-t",
            "de",
        ]),
        1,
        "no kernel controller of this subsystem",
    );
    // Nothing listens on port 1: the connection is refused, by name.
    fails_with(
        &nvmeq(&["dim", "-d", "tcp://127.0.0.1:1", "-t", "register"]),
        1,
        "Connection refused",
    );
}
