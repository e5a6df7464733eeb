//! `security-send` and `security-recv` on the in-memory controller: it
//! answers Security Protocol 00h's Supported Security Protocols List (00h
//! and EAh, RPMB, whose frames cli_rpmb.rs tests) and refuses every other
//! protocol by name;
//! the option checks (--tl, --force, one length) come before anything is
//! sent.

mod common;

use common::{fails_with, json, nvmeq, nvmeq_stdin, stdout};

const DEV: &str = "ram:64M";
const INVALID_FIELD: &str = "Invalid Field in Command (sct 0x0, sc 0x02)";

#[test]
fn supported_protocols_list() {
    let j = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    assert_eq!(j["oacs"].as_u64().unwrap() & 1, 1, "OACS: security");
    let o = nvmeq(&["security-recv", DEV, "-p", "0", "-x", "16", "-b"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        o.stdout,
        [0, 0, 0, 0, 0, 0, 0, 2, 0, 0xea, 0, 0, 0, 0, 0, 0]
    );
    let o = nvmeq(&["security-recv", DEV, "-t", "12"]);
    let t = stdout(&o);
    assert!(
        t.starts_with("NVME Security Receive Command Success\n       0  1"),
        "{t}"
    );
    assert!(
        t.contains("\n0000: 00 00 00 00 00 00 00 02 00 ea 00 00"),
        "{t}"
    );
    let j = json(&nvmeq(&["security-recv", DEV, "-x", "9", "-o", "json"]));
    assert_eq!(j["data"], "000000000000000200");
    assert_eq!(j["status"], "Successful Completion");
}

#[test]
fn the_controller_refuses_other_protocols_and_sends_by_name() {
    for args in [
        &["security-recv", DEV, "-p", "1", "-x", "512"][..],
        &["security-recv", DEV, "-p", "0", "-s", "1", "-x", "512"][..],
    ] {
        fails_with(
            &nvmeq(args),
            1,
            &format!("Security Receive: {INVALID_FIELD}"),
        );
    }
    fails_with(
        &nvmeq_stdin(
            &["security-send", DEV, "-p", "1", "-t", "4", "--force"],
            &[1, 2, 3, 4],
        ),
        1,
        &format!("Security Send: {INVALID_FIELD}"),
    );
}

#[test]
fn option_checks_happen_before_sending() {
    fails_with(
        &nvmeq(&["security-send", DEV, "-p", "1", "--force"]),
        2,
        "--tl",
    );
    fails_with(
        &nvmeq(&["security-send", DEV, "-p", "1", "-t", "4"]),
        2,
        "--force",
    );
    fails_with(
        &nvmeq(&["security-recv", DEV, "-x", "16", "-t", "32"]),
        2,
        "differ",
    );
}
