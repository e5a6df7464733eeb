//! `create-ns`, `attach-ns`, `detach-ns`, `delete-ns` on the in-memory
//! controller, which implements namespace management (OACS bit 3): each
//! invocation starts a fresh controller, so every test is one command and
//! the statuses it meets. `ram:…,cap=SIZE,maxnn=N` leaves capacity and
//! NSIDs unallocated for `create-ns`. The safety rules refuse before
//! anything is sent. The whole lifecycle on one controller is in
//! nvmeq-ram's tests; the guest compares with nvme-cli on QEMU.

mod common;

use common::{fails_with, json, nvmeq, stderr, stdout};

const DEV: &str = "ram:64M";
/// 64 MiB allocated to nsid 1, 64 MiB free, NSID 2 free.
const ROOM: &str = "ram:64M,cap=128M,maxnn=2";

fn ok_line(args: &[&str], line: &str) {
    let o = nvmeq(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    assert_eq!(stdout(&o), format!("{line}\n"), "{args:?}");
}

#[test]
fn ram_reports_namespace_management_and_capacity() {
    let j = json(&nvmeq(&["id-ctrl", ROOM, "-o", "json"]));
    assert_ne!(j["oacs"].as_u64().unwrap() & 0x8, 0);
    let cap = |k: &str| {
        j[k].as_str()
            .map(|s| s.parse::<u64>().unwrap())
            .or(j[k].as_u64())
    };
    assert_eq!(cap("tnvmcap"), Some(128 << 20));
    assert_eq!(cap("unvmcap"), Some(64 << 20));
    assert_eq!(j["nn"].as_u64(), Some(2));
}

#[test]
fn create_ns_prints_the_new_nsid() {
    let blocks = ((64u64 << 20) / 512).to_string();
    ok_line(
        &["create-ns", ROOM, "-s", &blocks, "-c", &blocks, "-f", "0"],
        "create-ns: Success, created nsid:2",
    );
    // Block size instead of FLBAS, and SI sizes: 60M is 60e6 bytes rounded
    // up to 1 MiB, which fits; 100M does not.
    ok_line(
        &[
            "create-ns",
            ROOM,
            "-b",
            "512",
            "--nsze-si",
            "60M",
            "--ncap-si",
            "60M",
        ],
        "create-ns: Success, created nsid:2",
    );
    fails_with(
        &nvmeq(&["create-ns", ROOM, "-b", "512", "-S", "100M", "-C", "100M"]),
        1,
        "Namespace Management (create): Namespace Insufficient Capacity (sct 0x1, sc 0x15)",
    );
    let j = json(&nvmeq(&[
        "create-ns",
        ROOM,
        "--nsze",
        "8",
        "--ncap",
        "8",
        "--flbas",
        "0",
        "-o",
        "json",
    ]));
    assert_eq!(j["command"], "create-ns");
    assert_eq!(j["nsid"], 2);
    assert_eq!(j["result"], 2, "completion dword 0 holds the NSID");
}

#[test]
fn create_ns_statuses_from_the_controller() {
    for (dev, args, status) in [
        (
            DEV,
            &["-s", "8", "-c", "8", "-f", "0"][..],
            "Namespace Insufficient Capacity (sct 0x1, sc 0x15) [DNR]",
        ),
        (
            "ram:64M,cap=128M",
            &["-s", "8", "-c", "8", "-f", "0"][..],
            "Namespace Identifier Unavailable (sct 0x1, sc 0x16) [DNR]",
        ),
        (
            ROOM,
            &["-s", "8", "-c", "4", "-f", "0"][..],
            "Thin Provisioning Not Supported (sct 0x1, sc 0x1b) [DNR]",
        ),
        (
            ROOM,
            &["-s", "8", "-c", "8", "-f", "1"][..],
            "Invalid Format (sct 0x1, sc 0x0a) [DNR]",
        ),
        (
            ROOM,
            &["-s", "8", "-c", "8", "-f", "0", "-m", "1"][..],
            "Invalid Field in Command (sct 0x0, sc 0x02) [DNR]",
        ),
        (
            ROOM,
            &["-s", "8", "-c", "8", "-f", "0", "-y", "2"][..],
            "I/O Command Set Not Supported (sct 0x1, sc 0x29) [DNR]",
        ),
    ] {
        let mut a = vec!["create-ns", dev];
        a.extend_from_slice(args);
        fails_with(
            &nvmeq(&a),
            1,
            &format!("Namespace Management (create): {status}"),
        );
        a.extend_from_slice(&["-o", "json"]);
        fails_with(&nvmeq(&a), 1, status);
    }
}

#[test]
fn create_ns_bad_input_is_refused_before_sending() {
    for (args, needle) in [
        (
            &["-s", "8"][..],
            "--flbas, or its data size with --block-size",
        ),
        (
            &["-s", "8", "-f", "0", "-b", "512"][..],
            "--flbas or --block-size, not both",
        ),
        (
            &["-s", "8", "-b", "1000"][..],
            "--block-size 1000 is not a power of two",
        ),
        (
            &["-s", "8", "-S", "1M", "-f", "0"][..],
            "--nsze or --nsze-si, not both",
        ),
        (
            &["-s", "8", "-f", "0", "--azr"][..],
            "are for zoned namespaces",
        ),
        (
            &["-s", "8", "-f", "0", "-n", "1"][..],
            "--nphndls is 1 but --phndls lists 0",
        ),
        (&["-S", "1.5X", "-f", "0"][..], "unknown SI suffix 'X'"),
        (
            &["-s", "8", "-f", "0x100"][..],
            "out of range for a 8-bit field",
        ),
    ] {
        let mut a = vec!["create-ns", ROOM];
        a.extend_from_slice(args);
        fails_with(&nvmeq(&a), 2, needle);
    }
    // The format lookup asks the controller: ram has 512-byte blocks only.
    fails_with(
        &nvmeq(&["create-ns", ROOM, "-s", "8", "-b", "4096"]),
        1,
        "no LBA format of 4096-byte blocks without metadata",
    );
}

#[test]
fn attach_detach_delete_on_ram() {
    fails_with(
        &nvmeq(&["attach-ns", DEV, "-n", "1"]),
        1,
        "Namespace Attachment (attach): Namespace Already Attached (sct 0x1, sc 0x18) [DNR]",
    );
    ok_line(
        &["detach-ns", DEV, "-n", "1", "--force"],
        "detach-ns: Success, nsid:1",
    );
    let j = json(&nvmeq(&[
        "detach-ns",
        DEV,
        "-n",
        "1",
        "--force",
        "-o",
        "json",
    ]));
    assert_eq!(
        (j["command"].as_str(), j["nsid"].as_u64()),
        (Some("detach-ns"), Some(1))
    );
    fails_with(
        &nvmeq(&["detach-ns", DEV, "-n", "1", "-c", "2,1", "--force"]),
        1,
        "Namespace Attachment (detach): Controller List Invalid (sct 0x1, sc 0x1c) [DNR]",
    );
    fails_with(
        &nvmeq(&["attach-ns", ROOM, "-n", "2"]),
        1,
        "Namespace Attachment (attach): Invalid Field in Command (sct 0x0, sc 0x02) [DNR]",
    );
    ok_line(
        &["delete-ns", DEV, "-n", "1", "--force"],
        "delete-ns: Success, deleted nsid:1",
    );
    ok_line(
        &["delete-ns", DEV, "-n", "all", "--force"],
        "delete-ns: Success, deleted nsid:4294967295",
    );
    let j = json(&nvmeq(&[
        "delete-ns",
        DEV,
        "-n",
        "1",
        "--force",
        "-o",
        "json",
    ]));
    assert_eq!(j["command"], "delete-ns");
    fails_with(
        &nvmeq(&["delete-ns", ROOM, "-n", "2", "--force", "-o", "json"]),
        1,
        "Namespace Management (delete): Invalid Field in Command (sct 0x0, sc 0x02) [DNR]",
    );
}

#[test]
fn safety_rules_and_bad_input() {
    for args in [
        &["attach-ns", DEV][..],
        &["detach-ns", DEV, "--force"][..],
        &["delete-ns", DEV, "--force"][..],
    ] {
        fails_with(&nvmeq(args), 2, "--namespace-id");
    }
    fails_with(&nvmeq(&["detach-ns", DEV, "-n", "1"]), 2, "pass --force");
    fails_with(&nvmeq(&["delete-ns", DEV, "-n", "1"]), 2, "pass --force");
    fails_with(
        &nvmeq(&["attach-ns", DEV, "-n", "1", "-c", "0x10000"]),
        2,
        "--controllers: 0x10000 is not a 16-bit ID",
    );
    fails_with(
        &nvmeq(&["attach-ns", DEV, "-n", "1", "-c", "1,x"]),
        2,
        "'x'",
    );
}
