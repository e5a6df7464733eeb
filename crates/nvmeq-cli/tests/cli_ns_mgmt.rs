//! `attach-ns`, `detach-ns`, `delete-ns` on the in-memory controller, which
//! has no namespace management (OACS bit 3 clear): the safety rules refuse
//! before anything is sent, and the controller's refusal is named with the
//! reason. The commands themselves are exercised in the guest (QEMU 10
//! attaches and detaches).

mod common;

use common::{fails_with, json, nvmeq};

const DEV: &str = "ram:64M";
const HINT: &str =
    "Invalid Command Opcode (sct 0x0, sc 0x01) [DNR]; the controller reports no namespace management";

#[test]
fn ram_reports_no_namespace_management() {
    let j = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    assert_eq!(j["oacs"].as_u64().unwrap() & 0x8, 0);
}

#[test]
fn refused_by_ram_with_the_reason() {
    fails_with(
        &nvmeq(&["attach-ns", DEV, "-n", "1"]),
        1,
        &format!("Namespace Attachment (attach): {HINT}"),
    );
    fails_with(
        &nvmeq(&[
            "detach-ns",
            DEV,
            "-n",
            "1",
            "-c",
            "2,1",
            "--force",
            "-o",
            "json",
        ]),
        1,
        &format!("Namespace Attachment (detach): {HINT}"),
    );
    fails_with(
        &nvmeq(&["delete-ns", DEV, "-n", "1", "--force"]),
        1,
        &format!("Namespace Management (delete): {HINT}"),
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
