//! `virt-mgmt` on the in-memory controller, which has no SR-IOV (OACS bit 7
//! clear, no secondary controllers): the command reaches it and is refused
//! with the status named, in every output format. The option checks (the
//! defined actions and resource types, `--force`) happen before sending.

mod common;

use common::{fails_with, json, nvmeq, stdout};

const DEV: &str = "ram:1M";

#[test]
fn ram_has_no_virtualization_management() {
    let j = json(&nvmeq(&["id-ctrl", DEV, "-o", "json"]));
    assert_eq!(j["oacs"].as_u64().unwrap() & 1 << 7, 0, "OACS bit 7");
    for fmt in ["normal", "json", "binary"] {
        for act in ["1", "7", "8", "9"] {
            let o = nvmeq(&[
                "virt-mgmt",
                DEV,
                "-c",
                "1",
                "-r",
                "1",
                "-a",
                act,
                "-n",
                "2",
                "--force",
                "-o",
                fmt,
            ]);
            fails_with(
                &o,
                1,
                "Virtualization Management: Invalid Command Opcode (sct 0x0, sc 0x01)",
            );
            assert!(stdout(&o).is_empty(), "{fmt} {act}: {}", stdout(&o));
        }
    }
}

#[test]
fn options_are_checked_before_sending() {
    fails_with(
        &nvmeq(&["virt-mgmt", DEV, "-a", "9"]),
        2,
        "virt-mgmt: the action changes a secondary controller's state or resources: \
         pass --force to confirm",
    );
    fails_with(
        &nvmeq(&["virt-mgmt", DEV, "--force"]),
        2,
        "virt-mgmt: action (--act) 0 is not defined",
    );
    fails_with(
        &nvmeq(&["virt-mgmt", DEV, "-a", "8", "-r", "2", "--force"]),
        2,
        "virt-mgmt: resource type (--rt) 2 is not defined: 0 (VQ) or 1 (VI)",
    );
    fails_with(
        &nvmeq(&["virt-mgmt", DEV, "-a", "8", "-n", "65536", "--force"]),
        2,
        "out of range for a 16-bit field",
    );
}
