//! `io-mgmt-recv` and `io-mgmt-send` on the in-memory controller, which
//! has no Flexible Data Placement: both commands reach it and are refused
//! with the status named; the option checks (lengths, the namespace a send
//! needs) happen before anything is sent. The Reclaim Unit Handle Status
//! decoding is tested on bytes in `src/cmd/io_mgmt.rs`, and against QEMU's
//! FDP controller and nvme-cli in the guest (`tests/guest/fdp.rs`).

mod common;

use common::{fails_with, nvmeq, nvmeq_stdin};

const DEV: &str = "ram:64M";
const INVALID_OPCODE: &str = "Invalid Command Opcode (sct 0x0, sc 0x01)";

#[test]
fn the_controller_refuses_both_by_name() {
    fails_with(
        &nvmeq(&["io-mgmt-recv", DEV, "-m", "1", "-l", "4096"]),
        1,
        &format!("I/O Management Receive: {INVALID_OPCODE}"),
    );
    fails_with(
        &nvmeq(&["io-mgmt-recv", DEV, "-m", "1", "-l", "48", "-o", "json"]),
        1,
        &format!("I/O Management Receive: {INVALID_OPCODE}"),
    );
    fails_with(
        &nvmeq_stdin(
            &["io-mgmt-send", DEV, "-n", "1", "-m", "1", "-s", "1"],
            &[0, 0, 1, 0],
        ),
        1,
        &format!("I/O Management Send: {INVALID_OPCODE}"),
    );
}

#[test]
fn option_checks_happen_before_sending() {
    for (args, want) in [
        (&["io-mgmt-recv", DEV, "-m", "1"][..], "--data-len"),
        (
            &["io-mgmt-recv", DEV, "-m", "1", "-l", "10"][..],
            "not a multiple of 4",
        ),
        (&["io-mgmt-send", DEV, "-m", "1"][..], "--namespace-id"),
        (
            &[
                "io-mgmt-send",
                DEV,
                "-n",
                "1",
                "-m",
                "1",
                "-s",
                "1",
                "-l",
                "2",
            ][..],
            "4 bytes",
        ),
    ] {
        fails_with(&nvmeq(args), 2, want);
    }
    // Too little data for the identifiers MOS counts.
    fails_with(
        &nvmeq_stdin(
            &["io-mgmt-send", DEV, "-n", "1", "-m", "1", "-s", "3"],
            &[0, 0],
        ),
        2,
        "stdin holds 2 bytes but the command transfers 8 bytes",
    );
}
