//! Reservations and `get-ns-id` on the in-memory controller. The ram
//! controller keeps no reservations (ONCS bit 5 clear), so every reservation
//! command reaches it and is refused with the status decoded by name; the
//! option checks (reserved actions and types, the namespace a change needs)
//! happen before anything is sent. The report's layout is tested on bytes in
//! `src/cmd/resv.rs`; the commands themselves in the guest where QEMU keeps
//! reservations.

mod common;

use common::{fails_with, json, nvmeq, stderr};

const DEV: &str = "ram:64M";
const NO_RESV: &str = "Invalid Command Opcode (sct 0x0, sc 0x01)";

#[test]
fn ram_says_it_keeps_no_reservations() {
    let j = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    assert_eq!(
        j["oncs"].as_u64().unwrap() & 0x20,
        0,
        "ONCS bit 5: no reservations"
    );
    let j = json(&nvmeq(&["id-ns", DEV, "-o", "json"]));
    assert_eq!(j["rescap"], 0);
}

#[test]
fn every_reservation_command_is_refused_by_name() {
    for (args, op) in [
        (&["resv-report", DEV][..], "Reservation Report"),
        (
            &["resv-report", DEV, "-e", "-d", "9", "-o", "json"][..],
            "Reservation Report",
        ),
        (
            &["resv-register", DEV, "-n", "1", "-k", "0x1234"][..],
            "Reservation Register",
        ),
        (
            &[
                "resv-register",
                DEV,
                "-n",
                "1",
                "-c",
                "1",
                "-k",
                "2",
                "-r",
                "2",
                "-p",
                "3",
                "-i",
            ][..],
            "Reservation Register",
        ),
        (
            &["resv-acquire", DEV, "-n", "1", "-c", "1", "-t", "1"][..],
            "Reservation Acquire",
        ),
        (
            &[
                "resv-acquire",
                DEV,
                "-n",
                "1",
                "-p",
                "2",
                "-t",
                "6",
                "-a",
                "2",
            ][..],
            "Reservation Acquire",
        ),
        (
            &["resv-release", DEV, "-n", "1", "-c", "1", "-t", "3"][..],
            "Reservation Release",
        ),
        (
            &["resv-release", DEV, "-n", "1", "-a", "1"][..],
            "Reservation Release",
        ),
    ] {
        fails_with(&nvmeq(args), 1, &format!("{op}: {NO_RESV}"));
    }
}

#[test]
fn reservation_options_are_checked_before_sending() {
    for cmd in ["resv-register", "resv-acquire", "resv-release"] {
        let mut args = vec![cmd, DEV, "-t", "1"];
        if cmd == "resv-register" {
            args.truncate(2);
        }
        fails_with(&nvmeq(&args), 2, "--namespace-id");
    }
    for (args, needle) in [
        (
            &["resv-register", DEV, "-n", "1", "-r", "3"][..],
            "3 is reserved",
        ),
        (
            &["resv-register", DEV, "-n", "1", "-p", "1"][..],
            "CPTPL is 0",
        ),
        (
            &["resv-acquire", DEV, "-n", "1", "-t", "0"][..],
            "0 is reserved: the reservation type (RTYPE) is 1 Write Exclusive",
        ),
        (
            &["resv-acquire", DEV, "-n", "1", "-t", "7"][..],
            "7 is reserved: the reservation type (RTYPE)",
        ),
        (&["resv-acquire", DEV, "-n", "1"][..], "--rtype"),
        (
            &["resv-acquire", DEV, "-n", "1", "-t", "1", "-a", "3"][..],
            "acquire action",
        ),
        (
            &["resv-release", DEV, "-n", "1", "-a", "2", "-t", "1"][..],
            "release action",
        ),
        (&["resv-release", DEV, "-n", "1"][..], "--rtype"),
        (
            &["resv-register", DEV, "-n", "1", "-k", "0xzz"][..],
            "'0xzz' is not a number",
        ),
        (
            &["resv-report", DEV, "-d", "0x1_0000_0000"][..],
            "0x1_0000_0000",
        ),
    ] {
        fails_with(&nvmeq(args), 2, needle);
    }
}

#[test]
fn get_ns_id_needs_a_namespace_node() {
    let out = nvmeq(&["get-ns-id", DEV]);
    fails_with(
        &out,
        1,
        "ram:64M is an in-memory controller with no namespace device node",
    );
    assert!(
        stderr(&out).contains("nvmeq list-ns ram:64M"),
        "{}",
        stderr(&out)
    );
    fails_with(&nvmeq(&["get-ns-id", "/dev/null"]), 1, "not an NVMe one");
    fails_with(&nvmeq(&["get-ns-id"]), 2, "DEVICE");
}
