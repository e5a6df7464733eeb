//! `capacity-mgmt` and `lockdown` on the in-memory controller, which has
//! neither (no Endurance Groups or NVM Sets to manage, OACS bit 10 clear):
//! both reach it and are refused with the status named; the option checks
//! (operation and field ranges, --force) happen before anything is sent.

mod common;

use common::{fails_with, json, nvmeq};

const DEV: &str = "ram:64M";
const INVALID_OPCODE: &str = "Invalid Command Opcode (sct 0x0, sc 0x01)";

#[test]
fn ram_has_no_lockdown_or_capacity_management() {
    let j = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    assert_eq!(
        j["oacs"].as_u64().unwrap() & 1 << 10,
        0,
        "OACS: no lockdown"
    );
    let o = nvmeq(&["effects-log", DEV, "-o", "json"]);
    let j = json(&o);
    let text = j.to_string();
    assert!(
        !text.contains("\"acs_32\""),
        "capacity management listed: {text}"
    );
    assert!(!text.contains("\"acs_36\""), "lockdown listed: {text}");
}

#[test]
fn the_controller_refuses_both_by_name() {
    for (args, op) in [
        (
            &["capacity-mgmt", DEV, "-O", "1", "-l", "0x100000", "--force"][..],
            "Capacity Management",
        ),
        (
            &["capacity-mgmt", DEV, "-O", "0", "-i", "1", "--force"][..],
            "Capacity Management",
        ),
        (
            &["lockdown", DEV, "-O", "0x80", "-p", "1", "--force"][..],
            "Lockdown",
        ),
        (
            &["lockdown", DEV, "-O", "6", "-s", "2", "-f", "1"][..],
            "Lockdown",
        ),
        (&["lockdown", DEV, "-o", "json"][..], "Lockdown"),
    ] {
        fails_with(&nvmeq(args), 1, &format!("{op}: {INVALID_OPCODE}"));
    }
}

#[test]
fn option_checks_happen_before_sending() {
    for (args, want) in [
        (&["capacity-mgmt", DEV, "--force"][..], "--operation"),
        (
            &["capacity-mgmt", DEV, "-O", "16", "--force"][..],
            "invalid operation 16",
        ),
        (&["capacity-mgmt", DEV, "-O", "2", "-i", "1"][..], "--force"),
        (
            &["lockdown", DEV, "-f", "4"][..],
            "invalid interface (--ifc) 4",
        ),
        (
            &["lockdown", DEV, "-p", "2"][..],
            "invalid prohibit (--prhbt) 2",
        ),
        (
            &["lockdown", DEV, "-s", "16"][..],
            "invalid scope (--scp) 16",
        ),
        (
            &["lockdown", DEV, "-U", "128"][..],
            "invalid UUID index (--uuid) 128",
        ),
        (&["lockdown", DEV, "-O", "0x80", "-p", "1"][..], "--force"),
    ] {
        fails_with(&nvmeq(args), 2, want);
    }
}
