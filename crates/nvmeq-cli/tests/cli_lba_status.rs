//! `get-lba-status` on the in-memory controller: it loses no block, so both
//! actions return an empty list that covers the range (CMPC 2h); its checks
//! of the action, namespace and starting LBA come back as named statuses.
//! Lists with descriptors are tested on bytes in `src/cmd/lba_status.rs`.

mod common;

use common::{fails_with, json, nvmeq, stdout};

const DEV: &str = "ram:64M";

#[test]
fn both_actions_report_nothing_complete() {
    for a in ["0x10", "0x11"] {
        let o = nvmeq(&[
            "get-lba-status",
            DEV,
            "-a",
            a,
            "-m",
            "15",
            "-s",
            "8",
            "-l",
            "64",
        ]);
        assert!(o.status.success(), "{o:?}");
        assert_eq!(
            stdout(&o),
            "Number of LBA Status Descriptors(NLSD): 0\nCompletion Condition(CMPC): 2\n\
             \tCompleted the specified action over the number of LBAs specified\n\
             \tin the Range Length field and transferred all available LBA Status\n\
             \tDescriptor Entries\n"
        );
    }
    let j = json(&nvmeq(&[
        "get-lba-status",
        DEV,
        "-a",
        "17",
        "-m",
        "1",
        "-o",
        "json",
    ]));
    assert_eq!(j["Number of LBA Status Descriptors (NLSD)"], 0);
    assert_eq!(j["Completion Condition (CMPC)"], 2);
    assert_eq!(
        j["cmpc-definition"],
        "Completed the specified action over the number of LBAs specifiedin the Range \
         Length field and transferred all available LBA StatusDescriptor Entries"
    );
    let o = nvmeq(&["get-lba-status", DEV, "-a", "17", "-m", "3", "-o", "binary"]);
    assert_eq!(o.stdout, [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    // nvme-cli's default MNDW 0 returns the count only: no condition.
    let o = nvmeq(&["get-lba-status", DEV, "-a", "17"]);
    assert_eq!(
        stdout(&o),
        "Number of LBA Status Descriptors(NLSD): 0\nCompletion Condition(CMPC): 0\n\
         \tNo indication of the completion condition\n"
    );
}

#[test]
fn refusals_are_named() {
    let blocks = (64u64 << 20) / 512;
    let end = blocks.to_string();
    for (args, code, want) in [
        (
            vec!["-a", "0x12"],
            1,
            "Get LBA Status: Invalid Field in Command (sct 0x0, sc 0x02)",
        ),
        (
            vec!["-a", "0x11", "-s", end.as_str()],
            1,
            "LBA Out of Range",
        ),
        (
            vec!["-a", "0x11", "-n", "5"],
            1,
            "Invalid Namespace or Format",
        ),
        (vec![], 2, "--action"),
    ] {
        let mut a = vec!["get-lba-status", DEV];
        a.extend(args);
        fails_with(&nvmeq(&a), code, want);
    }
}
