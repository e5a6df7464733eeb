//! `dir-receive` and `dir-send` on the in-memory controller, which supports
//! the Identify directive only: its parameters in every format, the
//! Streams operations and Enable Directive refused by the controller with
//! the status named, and nvme-cli's option checks made before anything is
//! sent. The Streams layouts are tested on bytes in `src/cmd/directive.rs`.

mod common;

use common::{fails_with, json, nvmeq, stdout};

const DEV: &str = "ram:64M";
const INVALID_FIELD: &str = "Invalid Field in Command (sct 0x0, sc 0x02)";

#[test]
fn identify_directive_parameters_in_every_format() {
    let o = nvmeq(&["dir-receive", DEV, "-D", "0", "-O", "1", "-H"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        stdout(&o),
        "dir-receive: type:0 operation:0x1 spec:0 nsid:0x1 result:0\n\
         \tDirective support\n\
         \t\tIdentify Directive       : supported\n\
         \t\tStream Directive         : not supported\n\
         \t\tData Placement Directive : not supported\n\
         \tDirective enabled\n\
         \t\tIdentify Directive       : enabled\n\
         \t\tStream Directive         : disabled\n\
         \t\tData Placement Directive : disabled\n\
         \tDirective Persistent Across Controller Level Resets\n\
         \t\tIdentify Directive       : enabled\n\
         \t\tStream Directive         : disabled\n\
         \t\tData Placement Directive : disabled\n"
    );
    let j = json(&nvmeq(&["dir-receive", DEV, "-O", "1", "-H", "-o", "json"]));
    assert_eq!(j["Directive support"]["Identify Directive"], "Supported");
    assert_eq!(j["Directive support"]["Stream Directive"], "Not supported");
    assert_eq!(j["Directive enabled"]["Identify Directive"], "Enabled");
    assert_eq!(j["Result"], "0");

    // Without -H: the hex dump of all 4096 bytes, and JSON's data rows.
    let o = nvmeq(&["dir-receive", DEV, "-O", "1"]);
    let t = stdout(&o);
    assert!(t.contains("\n0000: 01 00 00"), "{t}");
    assert!(t.contains("\n0020: 01 00"), "{t}");
    assert!(t.contains("\n0ff0: 00"), "{t}");
    let j = json(&nvmeq(&["dir-receive", DEV, "-O", "1", "-o", "json"]));
    assert_eq!(j["data"].as_array().unwrap().len(), 256);
    assert_eq!(j["data"][0], "................");

    let o = nvmeq(&["dir-receive", DEV, "-O", "1", "-b"]);
    assert_eq!(o.stdout.len(), 4096);
    assert_eq!((o.stdout[0], o.stdout[32], o.stdout[64]), (1, 1, 1));
    // -l asks for less.
    let o = nvmeq(&["dir-receive", DEV, "-O", "1", "-l", "40", "-b"]);
    assert_eq!(o.stdout.len(), 40);
    assert_eq!(o.stdout[32], 1);
}

#[test]
fn the_controller_refuses_streams_and_enable_by_name() {
    for args in [
        &["dir-receive", DEV, "-D", "1", "-O", "1"][..],
        &["dir-receive", DEV, "-D", "1", "-O", "2", "-l", "64"][..],
        &["dir-receive", DEV, "-D", "1", "-O", "3", "-r", "4"][..],
        &["dir-send", DEV, "-n", "1", "-D", "1", "-O", "1", "-S", "1"][..],
        &["dir-send", DEV, "-n", "1", "-D", "1", "-O", "2"][..],
        &["dir-send", DEV, "-n", "1", "-D", "0", "-O", "1", "-T", "1"][..],
        &[
            "dir-send", DEV, "-n", "1", "-D", "0", "-O", "1", "-T", "1", "-e", "0",
        ][..],
    ] {
        let o = nvmeq(args);
        let op = if args[0] == "dir-send" {
            "Directive Send"
        } else {
            "Directive Receive"
        };
        fails_with(&o, 1, &format!("{op}: {INVALID_FIELD}"));
    }
    // A namespace that does not exist.
    fails_with(
        &nvmeq(&["dir-receive", DEV, "-n", "9", "-O", "1"]),
        1,
        "Invalid Namespace or Format",
    );
}

#[test]
fn option_checks_happen_before_sending() {
    fails_with(
        &nvmeq(&["dir-send", DEV, "-D", "0", "-O", "1", "-T", "1"]),
        2,
        "--namespace-id",
    );
    fails_with(
        &nvmeq(&["dir-send", DEV, "-n", "1", "-D", "0", "-O", "1"]),
        2,
        "--target-dir",
    );
    fails_with(
        &nvmeq(&["dir-send", DEV, "-n", "1", "-D", "1", "-O", "3"]),
        2,
        "invalid directive operation 0x3 for the Streams directive",
    );
    fails_with(
        &nvmeq(&["dir-receive", DEV, "-D", "0", "-O", "2"]),
        2,
        "invalid directive operation 0x2 for the Identify directive",
    );
    fails_with(
        &nvmeq(&["dir-receive", DEV, "-D", "2", "-O", "1"]),
        2,
        "invalid directive type 0x2",
    );
    fails_with(
        &nvmeq(&["dir-receive", DEV, "-O", "1", "-l", "6"]),
        2,
        "not a multiple of 4",
    );
}
