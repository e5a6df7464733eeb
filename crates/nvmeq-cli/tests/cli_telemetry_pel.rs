//! `telemetry-log` and `persistent-event-log` on the in-memory controller:
//! the file written, the data areas, pieces no larger than MDTS, the
//! reporting context actions, every output format and the refusals.

mod common;

use common::{fails_with, json, nvmeq, ok, stderr, stdout, TempDir};

const DEV: &str = "ram:64M";

#[test]
fn telemetry_log_writes_the_header_and_the_data_areas_asked_for() {
    let dir = TempDir::new("telemetry");
    let f = |n: &str| dir.path().join(n).to_string_lossy().into_owned();
    // Default: a new host-initiated capture, data areas 1 to 3; nothing on stdout.
    let out = ok(&["telemetry-log", DEV, "-O", &f("d3")]);
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    let d3 = std::fs::read(f("d3")).unwrap();
    assert_eq!(d3.len(), (7 + 1) * 512);
    assert_eq!(d3[0], 0x07, "LID");
    assert_eq!(d3[381], 1, "first capture: generation 1");
    assert_eq!(&d3[8..14], &[1, 0, 3, 0, 7, 0], "DA1LB..DA3LB");
    assert_eq!(&d3[512..520], b"NVMEQ-TD");
    // Area 1 only, and area 4 (LPA bit 6 is set).
    ok(&["telemetry-log", DEV, "-O", &f("d1"), "-d", "1"]);
    assert_eq!(std::fs::read(f("d1")).unwrap(), d3[..1024]);
    ok(&["telemetry-log", DEV, "-O", &f("d4"), "--data-area", "4"]);
    let d4 = std::fs::read(f("d4")).unwrap();
    assert_eq!(d4.len(), 32 * 512);
    assert_eq!(d4[..4096], d3[..]);
    // At MDTS 1 (8 KiB) the 16 KiB log takes two commands (ram refuses any
    // larger transfer): the same bytes.
    ok(&[
        "telemetry-log",
        "ram:64M,mdts=1",
        "-O",
        &f("d4p"),
        "-d",
        "4",
    ]);
    assert_eq!(std::fs::read(f("d4p")).unwrap(), d4);
    // --mcda 0: the controller decides, area 4 here.
    ok(&["telemetry-log", DEV, "-O", &f("m0"), "-m", "0"]);
    assert_eq!(std::fs::read(f("m0")).unwrap().len(), 32 * 512);

    // JSON: the header written, with libnvme's names.
    let v = json(&ok(&["telemetry-log", DEV, "-O", &f("j"), "-o", "json"]));
    assert_eq!(v["lpi"], 7);
    assert_eq!(v["hostdgn"], 1);
    assert_eq!(
        (v["dalb1"].clone(), v["dalb3"].clone(), v["dalb4"].clone()),
        (1.into(), 7.into(), 31.into())
    );
    assert_eq!(v["bytes_written"], 4096);
    assert_eq!(v["ctrlavail"], 0);
    assert!(
        v["rsnident"].as_str().unwrap().starts_with("6e766d6571"),
        "{v}"
    );

    // Controller-initiated: nothing captured, so the header and nvme-cli's warning.
    let out = ok(&["telemetry-log", DEV, "-O", &f("c"), "-c", "-r"]);
    assert!(stderr(&out).contains("Warning: Telemetry Controller-Initiated Data Not Available."));
    let c = std::fs::read(f("c")).unwrap();
    assert_eq!((c.len(), c[0], c[382]), (512, 0x08, 0));
    // Without --rae nvmeq reads the header once more, RAE clear: the same file.
    ok(&["telemetry-log", DEV, "-O", &f("c2"), "-c"]);
    assert_eq!(std::fs::read(f("c2")).unwrap(), c);
}

#[test]
fn telemetry_log_refusals_name_the_problem() {
    let dir = TempDir::new("telemetry-err");
    let f = dir.path().join("t").to_string_lossy().into_owned();
    fails_with(
        &nvmeq(&["telemetry-log", DEV]),
        2,
        "Please provide an output file!",
    );
    fails_with(
        &nvmeq(&["telemetry-log", DEV, "-O", &f, "-d", "5"]),
        2,
        "Invalid data area parameter - 5",
    );
    fails_with(
        &nvmeq(&["telemetry-log", DEV, "-O", &f, "-c", "-m", "1"]),
        2,
        "mcda allowed for Host-init Creation!",
    );
    fails_with(
        &nvmeq(&["telemetry-log", DEV, "-O", &f, "-g", "0", "-m", "1"]),
        2,
        "mcda allowed for Host-init Creation!",
    );
    // Reading the last capture of a fresh controller: there is none.
    fails_with(
        &nvmeq(&["telemetry-log", DEV, "-O", &f, "-g", "0"]),
        1,
        "no telemetry data block",
    );
    fails_with(
        &nvmeq(&["telemetry-log", DEV, "-O", "/nonexistent/dir/t"]),
        1,
        "Failed to open output file /nonexistent/dir/t",
    );
}

#[test]
fn persistent_event_log_actions_and_formats() {
    // Read Log Data without a reporting context: out of sequence, decoded.
    fails_with(
        &nvmeq(&["persistent-event-log", DEV]),
        1,
        "Persistent Event log: Command Sequence Error (sct 0x0, sc 0x0c)",
    );
    // Establish only (no --log_len), and release: nvme-cli's sentences.
    let t = stdout(&ok(&["persistent-event-log", DEV, "-a", "1"]));
    assert_eq!(t, "Establishing Persistent Event Log Context\n");
    let t = stdout(&ok(&["persistent-event-log", DEV, "-a", "2"]));
    assert_eq!(t, "Releasing Persistent Event Log Context\n");
    let v = json(&ok(&["persistent-event-log", DEV, "-a", "2", "-o", "json"]));
    assert_eq!(v["Result"], "Releasing Persistent Event Log Context");

    // Establish and read: the header and the power-on event of a new controller.
    let t = stdout(&ok(&["persistent-event-log", DEV, "-a", "1", "-l", "1024"]));
    for line in [
        "Persistent Event Log for device: ram:64M\nAction for Persistent Event Log: 0\nLog Identifier: 13\nTotal Number of Events: 1\nTotal Log Length : 580\n",
        "Serial Number (SN): nvmeq-ram-0001",
        "Supported Events Bitmap:\n\tSupport Firmware Commit Event(0x2)\n\tSupport Power-on or Reset Event(0x4)\n\tSupport Change Namespace Event(0x6)\n\tSupport Sanitize Start Event(0x9)\n\tSupport Sanitize Completion Event(0xa)\n\tSupport Set Feature Event(0xb)\n\tSupport Set Telemetry CRT Event(0xc)\n",
        "Event Number: 0\nEvent Type: Power-on or Reset Event(0x4)\n",
        "Event Header Length: 21\n",
        "Power On Reset Event Entry:\nFirmware Revision: 2314885530819505713 (1.0.....)\nReset Information List:\nController ID: 1\n",
    ] {
        assert!(t.contains(line), "missing {line:?} in\n{t}");
    }
    assert!(!t.contains("Reporting Context Exists"), "{t}");
    let t = stdout(&ok(&[
        "persistent-event-log",
        DEV,
        "-a",
        "1",
        "-l",
        "1024",
        "-v",
    ]));
    assert!(
        t.contains("\tReporting Context Exists (RCE): true(1)\n"),
        "{t}"
    );

    let v = json(&ok(&[
        "persistent-event-log",
        DEV,
        "-a",
        "1",
        "-l",
        "1024",
        "-o",
        "json",
    ]));
    assert_eq!(v["log_id"], 13);
    assert_eq!(v["total_num_of_events"], 1);
    assert_eq!(v["total_log_len"], 580);
    assert_eq!(v["bitmap_4"], "Support Power-on or Reset Event(0x4)");
    let e = &v["list_of_event_entries"][0];
    assert_eq!(e["event_type"], "Power-on or Reset Event(0x4)");
    assert_eq!(e["event_len"], 44);
    assert_eq!(e["fw_rev"], "2314885530819505713 (1.0.....)");

    // Raw: the bytes read, --log_len of them.
    let b = ok(&["persistent-event-log", DEV, "-a", "1", "-l", "600", "-b"]).stdout;
    assert_eq!((b.len(), b[0]), (600, 0x0d));
    assert_eq!(u64::from_le_bytes(b[8..16].try_into().unwrap()), 580, "TLL");

    fails_with(
        &nvmeq(&["persistent-event-log", DEV, "-a", "3"]),
        2,
        "--action 3: 0 read log data, 1 establish context and read, 2 release context",
    );
}
