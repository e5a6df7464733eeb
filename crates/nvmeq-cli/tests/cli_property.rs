//! `get-property` / `set-property` on the in-memory controller, which is a
//! PCIe-style controller with no properties: the Fabrics opcode reaches it
//! and is refused with the status named, in every output format, as a PCIe
//! controller refuses nvme-cli's. The option checks (offset, value,
//! `--force`) happen before anything is sent. The success path is tested in
//! the guest against the kernel's nvmet-tcp target (tests/guest/property.rs).

mod common;

use common::{fails_with, nvmeq, stdout};

const DEV: &str = "ram:1M";
const INVALID_OPCODE: &str = "Invalid Command Opcode (sct 0x0, sc 0x01)";

#[test]
fn ram_refuses_property_get_by_name_in_every_format() {
    for fmt in ["normal", "json", "binary"] {
        for off in ["0", "0x14", "0x1c"] {
            let o = nvmeq(&["get-property", DEV, "-O", off, "-o", fmt]);
            fails_with(&o, 1, &format!("get-property: {INVALID_OPCODE}"));
            assert!(stdout(&o).is_empty(), "{fmt} {off}: {}", stdout(&o));
        }
        let o = nvmeq(&["get-property", DEV, "-O", "0", "-H", "-o", fmt]);
        fails_with(&o, 1, INVALID_OPCODE);
    }
}

#[test]
fn ram_refuses_property_set_by_name() {
    for fmt in ["normal", "json"] {
        let o = nvmeq(&[
            "set-property",
            DEV,
            "-O",
            "0x14",
            "-V",
            "0x460001",
            "--force",
            "-o",
            fmt,
        ]);
        fails_with(&o, 1, &format!("set-property: {INVALID_OPCODE}"));
    }
}

#[test]
fn options_are_checked_before_sending() {
    fails_with(&nvmeq(&["get-property", DEV]), 2, "--offset <OFFSET>");
    fails_with(
        &nvmeq(&["get-property", DEV, "-O", "0x1zz"]),
        2,
        "is not a number",
    );
    fails_with(
        &nvmeq(&["set-property", DEV, "-O", "0x14"]),
        2,
        "--value <VALUE>",
    );
    // A CC or NSSR write can reset or shut down the controller.
    fails_with(
        &nvmeq(&["set-property", DEV, "-O", "0x14", "-V", "0"]),
        2,
        "set-property: writing 0x14 (Controller Configuration) can reset or shut down \
         the controller: pass --force to confirm",
    );
    fails_with(
        &nvmeq(&["get-property", "/dev/nvme-does-not-exist", "-O", "0"]),
        1,
        "nvme-does-not-exist",
    );
}
