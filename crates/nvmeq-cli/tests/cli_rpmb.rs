//! `rpmb` on the in-memory controller, kept in a state file so a sequence
//! of processes sees one device: info, program-key, read-counter,
//! write-data, read-data, write-config and read-config in every output
//! format; the refusals before sending (no --force, no key, a key of the
//! wrong size, a target past the last unit, too many blocks); and the
//! device's result codes named (key not programmed, authentication
//! failure, address failure, a key programmed twice).

mod common;

use common::schema::assert_valid;
use common::{fails_with, nvmeq, ok, stdout, TempDir};

/// stdout as JSON, valid against the rpmb schema.
fn json(o: &std::process::Output) -> serde_json::Value {
    let v = common::json(o);
    assert_valid("rpmb", &v);
    v
}

const KEY: &str = "0123456789abcdef0123456789abcdef";
const WRONG: &str = "fedcba9876543210fedcba9876543210";

fn dev(dir: &TempDir) -> String {
    format!("ram:64M,file={}", dir.path().join("state").display())
}

fn run(dev: &str, extra: &[&str]) -> std::process::Output {
    let mut a = vec!["rpmb", dev];
    a.extend(extra);
    nvmeq(&a)
}

#[test]
fn info_in_every_format() {
    let o = ok(&["rpmb", "ram:64M"]);
    assert_eq!(
        stdout(&o),
        " [31:24]: 0x1\tAccess Size\n [23:16]: 0\tTotal Size\n  [5:3] : 0\tAuthentication \
         Method\n  [2:0] : 0x2\tNumber of RPMB Units\n\n"
    );
    let j = json(&nvmeq(&["rpmb", "ram:64M", "-c", "info", "-o", "json"]));
    assert_eq!(j["cmd"], "info");
    assert_eq!(j["rpmbs"]["[2:0]: Number of RPMB Units"], "0x2");
    assert_eq!(j["rpmbs"]["[31:24]: Access Size"], "0x1");
    let o = ok(&["rpmb", "ram:64M", "-o", "binary"]);
    assert_eq!(o.stdout, 0x0100_0002u32.to_le_bytes());
    let id = common::json(&nvmeq(&["id-ctrl", "ram:64M", "-o", "json"]));
    assert_eq!(id["rpmbs"], 0x0100_0002);
}

#[test]
fn key_counter_write_read_across_processes() {
    let dir = TempDir::new("rpmb");
    let d = dev(&dir);
    // Nothing is programmed yet: the device says so.
    fails_with(
        &run(&d, &["-c", "read-counter", "-k", KEY]),
        1,
        "Authentication Key not yet programmed (result 0x0007)",
    );
    let o = run(&d, &["-c", "program-key", "-k", KEY, "-t", "1", "--force"]);
    assert!(o.status.success(), "{o:?}");
    assert!(o.stdout.is_empty());
    // Once only.
    fails_with(
        &run(&d, &["-c", "program-key", "-k", KEY, "-t", "1", "--force"]),
        1,
        "General failure (result 0x0001)",
    );
    let o = run(&d, &["-c", "read-counter", "-k", KEY, "-t", "1"]);
    assert_eq!(stdout(&o), "Write Counter is: 0\n");
    // Target 0 has no key of its own.
    fails_with(
        &run(&d, &["-c", "read-counter", "-k", KEY]),
        1,
        "Authentication Key not yet programmed",
    );

    // Three sectors: two frames (the access size is two sectors).
    let data: Vec<u8> = (0..1536u32).map(|i| (i * 7) as u8).collect();
    let input = dir.path().join("in");
    std::fs::write(&input, &data).unwrap();
    let inp = input.to_str().unwrap();
    let o = run(
        &d,
        &[
            "-c",
            "write-data",
            "-k",
            KEY,
            "-t",
            "1",
            "--address",
            "5",
            "-b",
            "3",
            "-f",
            inp,
            "--force",
        ],
    );
    assert_eq!(
        stdout(&o),
        "Written 3 sectors out of 3 @target(1):0x5\n",
        "{o:?}"
    );
    let j = json(&run(
        &d,
        &["-c", "read-counter", "-k", KEY, "-t", "1", "-o", "json"],
    ));
    assert_eq!(j["write_counter"], 2);
    let o = run(
        &d,
        &["-c", "read-counter", "-k", KEY, "-t", "1", "-o", "binary"],
    );
    assert_eq!(o.stdout, 2u32.to_le_bytes());

    // Read back to a file, as hex, as JSON and raw.
    let outp = dir.path().join("out");
    let o = run(
        &d,
        &[
            "-c",
            "read-data",
            "-k",
            KEY,
            "-t",
            "1",
            "--address",
            "5",
            "-b",
            "3",
            "-f",
            outp.to_str().unwrap(),
        ],
    );
    assert_eq!(
        stdout(&o),
        format!("Writing 1536 bytes to file {}\n", outp.display())
    );
    assert_eq!(std::fs::read(&outp).unwrap(), data);
    let o = run(
        &d,
        &[
            "-c",
            "read-data",
            "-k",
            KEY,
            "-t",
            "1",
            "--address",
            "5",
            "-b",
            "3",
            "-o",
            "binary",
        ],
    );
    assert_eq!(o.stdout, data);
    let j = json(&run(
        &d,
        &[
            "-c",
            "read-data",
            "-k",
            KEY,
            "-t",
            "1",
            "--address",
            "6",
            "-b",
            "1",
            "-o",
            "json",
        ],
    ));
    let hex: String = data[512..1024].iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(j["data"], hex);
    assert_eq!(
        (j["sectors"].as_u64(), j["address"].as_u64()),
        (Some(1), Some(6))
    );
    let o = run(
        &d,
        &[
            "-c",
            "read-data",
            "-k",
            KEY,
            "-t",
            "1",
            "--address",
            "5",
            "-b",
            "1",
        ],
    );
    assert!(stdout(&o).contains("\n0000: 00 07 0e 15"), "{}", stdout(&o));

    // A wrong key: the write is refused by the device, the read's MAC does not check.
    fails_with(
        &run(
            &d,
            &[
                "-c",
                "write-data",
                "-k",
                WRONG,
                "-t",
                "1",
                "-b",
                "1",
                "-f",
                inp,
                "--force",
            ],
        ),
        1,
        "Authentication failure: the response's MAC does not match the key",
    );
    // Past the end of the unit's 256 sectors.
    fails_with(
        &run(
            &d,
            &[
                "-c",
                "write-data",
                "-k",
                KEY,
                "-t",
                "1",
                "--address",
                "255",
                "-b",
                "2",
                "-f",
                inp,
                "--force",
            ],
        ),
        1,
        "Address failure (address out of range, wrong address alignment) (result 0x0004)",
    );
    fails_with(
        &run(
            &d,
            &[
                "-c",
                "read-data",
                "-k",
                KEY,
                "-t",
                "1",
                "--address",
                "300",
                "-b",
                "1",
            ],
        ),
        1,
        "Address failure",
    );
    // The refused writes did not advance the counter.
    let o = run(&d, &["-c", "read-counter", "-k", KEY, "-t", "1"]);
    assert_eq!(stdout(&o), "Write Counter is: 2\n");
}

#[test]
fn a_wrong_key_is_an_authentication_failure() {
    // Every write reads the counter first, so the response's MAC shows the
    // wrong key before a write is signed with it (the device's own MAC
    // check is the ram crate's test).
    let dir = TempDir::new("rpmb-auth");
    let d = dev(&dir);
    ok(&["rpmb", &d, "-c", "program-key", "-k", KEY, "--force"]);
    let msg = "Authentication failure: the response's MAC does not match the key";
    fails_with(&run(&d, &["-c", "read-counter", "-k", WRONG]), 1, msg);
    fails_with(
        &run(
            &d,
            &[
                "-c",
                "write-data",
                "-k",
                WRONG,
                "-b",
                "1",
                "-d",
                &"x".repeat(512),
                "--force",
            ],
        ),
        1,
        msg,
    );
    fails_with(&run(&d, &["-c", "read-config", "-k", WRONG]), 1, msg);
    let o = run(&d, &["-c", "read-counter", "-k", KEY]);
    assert_eq!(stdout(&o), "Write Counter is: 0\n");
}

#[test]
fn config_block_write_and_read() {
    let dir = TempDir::new("rpmb-dcb");
    let d = dev(&dir);
    fails_with(
        &run(&d, &["-c", "read-config", "-k", KEY]),
        1,
        "Authenticated Device Configuration Block read request to target 0: Authentication Key not yet programmed",
    );
    ok(&["rpmb", &d, "-c", "program-key", "-k", KEY, "--force"]);
    let o = run(&d, &["-c", "read-config", "-k", KEY]);
    assert_eq!(
        stdout(&o),
        "Boot Partition Protection is Disabled\nBoot Partition 1 is Unlocked\nBoot Partition 0 is Unlocked\n"
    );
    // Enable protection, lock partition 1: bytes 01h 02h.
    let o = run(
        &d,
        &[
            "-c",
            "write-config",
            "-k",
            KEY,
            "-d",
            "\u{1}\u{2}",
            "--force",
        ],
    );
    assert!(o.status.success() && o.stdout.is_empty(), "{o:?}");
    let o = run(&d, &["-c", "read-config", "-k", KEY, "-t", "1"]);
    assert_eq!(
        stdout(&o),
        "Boot Partition Protection is Enabled\nBoot Partition 1 is Locked\nBoot Partition 0 is Unlocked\n"
    );
    let j = json(&run(&d, &["-c", "read-config", "-k", KEY, "-o", "json"]));
    assert_eq!(j["write_counter"], 1);
    assert_eq!(j["config"]["boot_partition_protection"], true);
    assert_eq!(j["config"]["boot_partition_1_locked"], true);
    assert_eq!(j["config"]["boot_partition_0_locked"], false);
    let o = run(&d, &["-c", "read-config", "-k", KEY, "-o", "binary"]);
    assert_eq!(o.stdout.len(), 512);
    assert_eq!(&o.stdout[..3], &[1, 2, 0]);
    let f = dir.path().join("dcb");
    let o = run(
        &d,
        &["-c", "read-config", "-k", KEY, "-f", f.to_str().unwrap()],
    );
    assert_eq!(
        stdout(&o),
        format!("Saving received config data to {} file\n", f.display())
    );
    assert_eq!(std::fs::read(&f).unwrap(), o_bytes(&d));
    // Reserved bits set: the device refuses the block.
    fails_with(
        &run(
            &d,
            &[
                "-c",
                "write-config",
                "-k",
                KEY,
                "-d",
                "\u{1}\u{2}\u{3}",
                "--force",
            ],
        ),
        1,
        "Invalid RPMB Device Configuration Block (result 0x0008)",
    );
    let zero = dir.path().join("zero");
    std::fs::write(&zero, [0u8; 512]).unwrap();
    let z = zero.to_str().unwrap();
    let args = [
        "-c",
        "write-config",
        "-k",
        KEY,
        "-f",
        z,
        "--force",
        "-o",
        "json",
    ];
    let j = json(&run(&d, &args));
    assert_eq!(j["cmd"], "write-config");
}

fn o_bytes(d: &str) -> Vec<u8> {
    run(d, &["-c", "read-config", "-k", KEY, "-o", "binary"]).stdout
}

#[test]
fn refusals_before_sending() {
    let dir = TempDir::new("rpmb-refuse");
    let d = dev(&dir);
    for cmd in ["program-key", "write-data", "write-config"] {
        fails_with(
            &run(&d, &["-c", cmd, "-k", KEY, "-d", "x"]),
            2,
            "pass --force to confirm",
        );
    }
    fails_with(
        &run(&d, &["-c", "read-counter"]),
        2,
        "give the authentication key with --key or --keyfile",
    );
    fails_with(
        &run(&d, &["-c", "program-key", "-k", "short", "--force"]),
        2,
        "the key is 5 bytes; an HMAC SHA-256 RPMB key is 32 bytes",
    );
    fails_with(
        &run(&d, &["-c", "read-counter", "-k", KEY, "-t", "2"]),
        2,
        "target 2 is out of range: the drive has 2 RPMB unit(s), 0 to 1",
    );
    fails_with(
        &run(&d, &["-c", "read-data", "-k", KEY, "-b", "257"]),
        2,
        "invalid transfer size 131584",
    );
    fails_with(
        &run(&d, &["-c", "read-data", "-k", KEY]),
        2,
        "invalid transfer size 0",
    );
    fails_with(
        &run(
            &d,
            &[
                "-c",
                "write-data",
                "-k",
                KEY,
                "-b",
                "1",
                "-d",
                "x",
                "--force",
            ],
        ),
        2,
        "--blocks 1 needs 512 bytes of data, the data holds 1",
    );
    fails_with(
        &run(&d, &["-c", "write-data", "-k", KEY, "-b", "1", "--force"]),
        2,
        "give the data to write with --msg or --msgfile",
    );
    fails_with(&run(&d, &["-c", "bogus"]), 2, "invalid value 'bogus'");
    // None of it reached the device: target 0 still takes its one key.
    ok(&["rpmb", &d, "-c", "program-key", "-k", KEY, "--force"]);
}
