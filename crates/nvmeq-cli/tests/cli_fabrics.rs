//! `connect`, `connect-all`, `disconnect`, `disconnect-all`: what is refused
//! before the kernel is asked (the guest tests in `tests/guest/fabrics.rs`
//! connect for real, against nvme-cli).

mod common;

use common::{fails_with, nvmeq};

#[test]
fn connect_names_what_is_missing_or_malformed() {
    fails_with(
        &nvmeq(&["connect", "-t", "tcp", "-a", "127.0.0.1"]),
        2,
        "required argument [--nqn | -n] not specified",
    );
    fails_with(
        &nvmeq(&["connect", "-n", "nqn.x", "-a", "127.0.0.1"]),
        2,
        "required argument [--transport | -t] not specified",
    );
    fails_with(
        &nvmeq(&["connect", "-t", "tcp", "-n", "nqn.x"]),
        2,
        "required argument [--traddr | -a] not specified for transport tcp",
    );
    fails_with(
        &nvmeq(&["connect", "-t", "pcie", "-n", "nqn.x", "-a", "1"]),
        2,
        "transport `pcie`: not one of tcp, rdma, fc, loop",
    );
    // A comma would let one option smuggle in another.
    fails_with(
        &nvmeq(&[
            "connect",
            "-t",
            "tcp",
            "-n",
            "nqn.x",
            "-a",
            "127.0.0.1,duplicate_connect",
        ]),
        2,
        "traddr=`127.0.0.1,duplicate_connect`",
    );
    fails_with(
        &nvmeq(&["connect", "-t", "tcp", "-n", "nqn.x", "-a", "1", "-q", ""]),
        2,
        "hostnqn=``",
    );
}

#[test]
fn connect_all_and_disconnect_refusals() {
    fails_with(
        &nvmeq(&["connect-all", "-t", "rdma", "-a", "10.0.0.1"]),
        2,
        "transport rdma is not supported (use tcp)",
    );
    fails_with(
        &nvmeq(&["connect-all", "-t", "tcp"]),
        2,
        "required argument [--traddr | -a] not specified",
    );
    fails_with(
        &nvmeq(&["connect-all", "-t", "tcp", "-a", "127.0.0.1", "-s", "http"]),
        2,
        "--trsvcid `http`: not a TCP port",
    );
    fails_with(
        &nvmeq(&["disconnect", "-n", "nqn.x", "-d", "nvme1"]),
        2,
        "Both device name [--device | -d] and NQN [--nqn | -n] are specified",
    );
    fails_with(
        &nvmeq(&["disconnect"]),
        2,
        "Neither device name [--device | -d] nor NQN [--nqn | -n] provided",
    );
    fails_with(
        &nvmeq(&["disconnect", "-d", "nvme4242"]),
        1,
        "Did not find device nvme4242",
    );
    fails_with(
        &nvmeq(&["disconnect-all", "-r", "pci"]),
        2,
        "transport `pci`: not one of tcp, rdma, fc, loop",
    );
}
