//! Admin commands against the ram controller: Identify, logs, features.

mod common;
use common::*;
use nvmeq_core::{Backend, Cmd, Command, Data, DataDir, Xfer};
use nvmeq_ram::{RamConfig, RamController};

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b)
        .unwrap()
        .trim_end_matches([' ', '\0'])
}

#[test]
fn identify_controller_describes_the_configuration() {
    let mut cfg = RamConfig::new(256 << 20, 4096);
    cfg.nn = 2;
    cfg.mdts = 5;
    cfg.serial = "SER123".into();
    let mut c = RamController::new(cfg).unwrap();
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    assert_eq!(text(&id[4..24]), "SER123");
    assert_eq!(text(&id[24..64]), "nvmeq ram controller");
    assert_eq!(text(&id[64..72]), "1.0");
    assert_eq!(id[77], 5, "mdts");
    assert_eq!(u32_at(&id, 80), 0x0002_0000, "ver");
    assert_eq!(id[512], 0x66, "sqes");
    assert_eq!(id[513], 0x44, "cqes");
    assert_eq!(u32_at(&id, 516), 2, "nn");
    let oncs = u16_at(&id, 520);
    for bit in [0, 2, 3, 7, 8] {
        assert_ne!(oncs & 1 << bit, 0, "oncs bit {bit}");
    }
    assert_eq!(oncs & 1 << 1, 0, "no Write Uncorrectable");
    assert_eq!(id[525] & 1, 1, "volatile write cache present");
    assert_eq!(id[262], 63, "elpe");
    assert_eq!(u128_at(&id, 280), 2 * (256 << 20), "tnvmcap");
    assert_eq!(text(&id[768..1024]), "nqn.2024-01.invalid.nvmeq:ram:SER123");
}

#[test]
fn identify_namespace_matches_size_and_lba_format() {
    for (size, lba, lbads) in [(1u64 << 30, 512u32, 9u8), (256 << 20, 4096, 12)] {
        let mut c = ctrl(size, lba);
        let id = run_in(&mut c, &identify(0x00, 1), 4096).unwrap();
        let nlb = size / lba as u64;
        assert_eq!(u64_at(&id, 0), nlb, "nsze");
        assert_eq!(u64_at(&id, 8), nlb, "ncap");
        assert_eq!(u64_at(&id, 16), nlb, "nuse");
        assert_eq!(id[25], 0, "nlbaf: one format");
        assert_eq!(id[26] & 0xf, 0, "flbas: format 0");
        assert_eq!(id[33] & 0x7, 1, "dlfeat: deallocated reads zeroes");
        assert_eq!(u16_at(&id, 128), 0, "lbaf0.ms");
        assert_eq!(id[130], lbads, "lbaf0.lbads");
        assert_ne!(&id[104..120], &[0u8; 16], "nguid set");
    }
}

#[test]
fn identify_rejects_bad_nsids_and_unknown_cns() {
    let mut c = ctrl(1 << 20, 512);
    for nsid in [0, 2, 0xffff_ffff] {
        if nsid != 0xffff_ffff {
            let s = status_of(run_in(&mut c, &identify(0x00, nsid), 4096));
            assert_eq!(sct_sc(s), (0, 0x0b), "identify ns {nsid:#x}");
        }
        let s = status_of(run_in(&mut c, &identify(0x03, nsid), 4096));
        assert_eq!(sct_sc(s), (0, 0x0b), "ns descriptors {nsid:#x}");
    }
    // With namespace management, NSID FFFFFFFFh names what every namespace
    // shares: the LBA format, no size.
    let id = run_in(&mut c, &identify(0x00, 0xffff_ffff), 4096).unwrap();
    assert_eq!(u64_at(&id, 0), 0, "nsze");
    assert_eq!(id[130], 9, "lbaf0.lbads");
    let s = status_of(run_in(&mut c, &identify(0x02, 0xffff_fffe), 4096));
    assert_eq!(sct_sc(s), (0, 0x0b));
    let s = status_of(run_in(&mut c, &identify(0x1f, 0), 4096));
    assert_eq!(sct_sc(s), (0, 0x02));
}

#[test]
fn active_namespace_list_lists_greater_nsids() {
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.nn = 3;
    let mut c = RamController::new(cfg).unwrap();
    let l = run_in(&mut c, &identify(0x02, 0), 4096).unwrap();
    assert_eq!(
        [u32_at(&l, 0), u32_at(&l, 4), u32_at(&l, 8), u32_at(&l, 12)],
        [1, 2, 3, 0]
    );
    let l = run_in(&mut c, &identify(0x02, 2), 4096).unwrap();
    assert_eq!([u32_at(&l, 0), u32_at(&l, 4)], [3, 0]);
}

#[test]
fn namespace_descriptors_carry_the_nguid_and_csi() {
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.nn = 2;
    let mut c = RamController::new(cfg).unwrap();
    let mut nguids = Vec::new();
    for nsid in 1..=2 {
        let d = run_in(&mut c, &identify(0x03, nsid), 4096).unwrap();
        let ns = run_in(&mut c, &identify(0x00, nsid), 4096).unwrap();
        // Walk the descriptor list as a host does.
        let (mut off, mut nguid, mut csi) = (0usize, None, None);
        while off + 4 <= 4096 && d[off] != 0 {
            let (nidt, nidl) = (d[off], d[off + 1] as usize);
            let nid = &d[off + 4..off + 4 + nidl];
            match nidt {
                2 => nguid = Some(nid.to_vec()),
                4 => csi = Some(nid[0]),
                _ => {}
            }
            off += 4 + nidl;
        }
        assert_eq!(nguid.as_deref(), Some(&ns[104..120]), "nsid {nsid}");
        assert_eq!(csi, Some(0), "NVM command set");
        nguids.push(nguid.unwrap());
    }
    assert_ne!(nguids[0], nguids[1], "NGUIDs are unique");
}

#[test]
fn unknown_admin_opcodes_are_invalid_command_opcode() {
    let mut c = ctrl(1 << 20, 512);
    for op in [0x80u8, 0x7c, 0xc0] {
        let cmd = Cmd::admin(Command::new(op, 0), DataDir::None, Xfer::None);
        let s = status_of(c.execute(&cmd, Data::None));
        assert_eq!(sct_sc(s), (0, 0x01), "opcode {op:#x}");
    }
}

#[test]
fn smart_log_counts_data_units_and_commands() {
    let mut c = ctrl(64 << 20, 512);
    let smart =
        |c: &mut RamController| run_in(c, &get_log(0x02, 0xffff_ffff, 512, 0), 512).unwrap();
    let s = smart(&mut c);
    assert_eq!((u128_at(&s, 32), u128_at(&s, 48)), (0, 0));
    assert_eq!(s[3], 100, "available spare");
    // 1000 blocks of 512 B written is exactly one data unit.
    let data = vec![1u8; 500 * 512];
    c.execute(&write(1, 0, 500), Data::ToDevice(&data)).unwrap();
    c.execute(&write(1, 500, 500), Data::ToDevice(&data))
        .unwrap();
    let s = smart(&mut c);
    assert_eq!(u128_at(&s, 48), 1, "data units written");
    assert_eq!(u128_at(&s, 80), 2, "host write commands");
    // One more block rounds up to two units.
    c.execute(&write(1, 0, 1), Data::ToDevice(&data[..512]))
        .unwrap();
    let s = smart(&mut c);
    assert_eq!(u128_at(&s, 48), 2);
    assert_eq!(u128_at(&s, 80), 3);
    // One 512 B read is one unit, rounded up; Compare and Verify count as reads.
    run_in(&mut c, &read(1, 0, 1), 512).unwrap();
    c.execute(&compare(1, 0, 1), Data::ToDevice(&data[..512]))
        .unwrap();
    c.execute(&verify(1, 0, 1), Data::None).unwrap();
    let s = smart(&mut c);
    assert_eq!(u128_at(&s, 32), 1, "data units read");
    assert_eq!(u128_at(&s, 64), 3, "host read commands");
    // Power on hours, power cycles, unsafe shutdowns, media errors: zero.
    for off in [96, 112, 128, 144, 160] {
        assert_eq!(u128_at(&s, off), 0, "offset {off}");
    }
    // Failed commands are not counted, but are in the error entry count.
    let _ = run_in(&mut c, &read(1, 1 << 40, 1), 512);
    let s = smart(&mut c);
    assert_eq!(u128_at(&s, 64), 3);
    assert_eq!(
        u128_at(&s, 176),
        1,
        "number of error information log entries"
    );
}

#[test]
fn smart_log_counts_4k_blocks_in_512_byte_units() {
    let mut c = ctrl(64 << 20, 4096);
    // 125 blocks of 4 KiB = 1000 units of 512 B = one data unit.
    c.execute(&write(1, 0, 125), Data::ToDevice(&vec![1u8; 125 * 4096]))
        .unwrap();
    let s = run_in(&mut c, &get_log(0x02, 0, 512, 0), 512).unwrap();
    assert_eq!(u128_at(&s, 48), 1);
}

#[test]
fn smart_log_is_controller_wide_only() {
    let mut c = ctrl(1 << 20, 512);
    let s = status_of(run_in(&mut c, &get_log(0x02, 1, 512, 0), 512));
    assert_eq!(sct_sc(s), (0, 0x02));
}

#[test]
fn error_log_records_every_failed_command_newest_first() {
    let mut c = ctrl(1 << 20, 512);
    let _ = run_in(&mut c, &read(1, 5000, 1), 512); // LBA out of range
    let _ = run_in(&mut c, &read(9, 0, 1), 512); // invalid namespace
    let bad_op = Cmd::io(Command::new(0x7f, 1), DataDir::None, Xfer::None);
    let _ = c.execute(&bad_op, Data::None); // invalid opcode
    let log = run_in(&mut c, &get_log(0x01, 0, 4096, 0), 4096).unwrap();
    let entry = |i: usize| &log[i * 64..(i + 1) * 64];
    let status = |e: &[u8]| u16_at(e, 12) >> 1;
    // Newest first: invalid opcode, invalid namespace, LBA out of range.
    assert_eq!(u64_at(entry(0), 0), 3, "error count");
    assert_eq!(status(entry(0)) & 0x7ff, 0x001);
    assert_eq!(u16_at(entry(0), 8), 1, "sqid: I/O queue");
    assert_eq!(u64_at(entry(1), 0), 2);
    assert_eq!(status(entry(1)) & 0x7ff, 0x00b);
    assert_eq!(u32_at(entry(1), 24), 9, "nsid");
    assert_eq!(u64_at(entry(2), 0), 1);
    assert_eq!(status(entry(2)) & 0x7ff, 0x080);
    assert_eq!(u64_at(entry(2), 16), 5000, "lba");
    assert_eq!(u32_at(entry(2), 24), 1, "nsid");
    assert_eq!(
        u16_at(entry(2), 14),
        40,
        "parameter error location: CDW10 (SLBA)"
    );
    assert!(entry(3).iter().all(|&b| b == 0), "unused entries are zero");
    // The command ids are those of the failed commands, in order.
    assert_eq!(u16_at(entry(1), 10), u16_at(entry(2), 10).wrapping_add(1));
    // An admin failure is logged with sqid 0.
    let _ = run_in(&mut c, &identify(0x00, 77), 4096);
    let log = run_in(&mut c, &get_log(0x01, 0, 64, 0), 64).unwrap();
    assert_eq!(u64_at(&log, 0), 4);
    assert_eq!(u16_at(&log, 8), 0);
}

#[test]
fn error_log_keeps_the_newest_64_and_reads_at_an_offset() {
    let mut c = ctrl(1 << 20, 512);
    for i in 0..70u64 {
        let _ = run_in(&mut c, &read(1, 10_000 + i, 1), 512);
    }
    let log = run_in(&mut c, &get_log(0x01, 0, 4096, 0), 4096).unwrap();
    assert_eq!(u64_at(&log, 0), 70);
    assert_eq!(u64_at(&log, 63 * 64), 7, "oldest kept");
    // The second entry alone, through the Log Page Offset.
    let one = run_in(&mut c, &get_log(0x01, 0, 64, 64), 64).unwrap();
    assert_eq!(u64_at(&one, 0), 69);
    assert_eq!(u64_at(&one, 16), 10_068);
}

#[test]
fn firmware_slot_log_reports_the_active_slot_and_revision() {
    let mut c = ctrl(1 << 20, 512);
    let p = run_in(&mut c, &get_log(0x03, 0, 512, 0), 512).unwrap();
    assert_eq!(p[0] & 0x7, 1, "active slot 1");
    assert_eq!(text(&p[8..16]), "1.0");
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    assert_eq!(&p[8..16], &id[64..72], "FRS1 equals FR");
}

#[test]
fn get_log_page_rejects_unknown_pages_and_offsets() {
    let mut c = ctrl(1 << 20, 512);
    let s = status_of(run_in(&mut c, &get_log(0x70, 0, 512, 0), 512));
    assert_eq!(sct_sc(s), (1, 0x09));
    let s = status_of(run_in(&mut c, &get_log(0x02, 0, 512, 512), 512));
    assert_eq!(sct_sc(s), (0, 0x02), "offset past the page");
    let s = status_of(run_in(&mut c, &get_log(0x02, 0, 8, 2), 8));
    assert_eq!(sct_sc(s), (0, 0x02), "offset not dword aligned");
}

#[test]
fn number_of_queues_is_capped_and_reported() {
    let mut c = ctrl(1 << 20, 512);
    let r = c.execute(&get_features(0x07, 0), Data::None).unwrap();
    assert_eq!(r.dw0, 63 << 16 | 63);
    let r = c
        .execute(&set_features(0x07, 3 << 16 | 1, false), Data::None)
        .unwrap();
    assert_eq!(r.dw0, 3 << 16 | 1);
    let r = c
        .execute(&set_features(0x07, 1000 << 16 | 1000, false), Data::None)
        .unwrap();
    assert_eq!(r.dw0, 63 << 16 | 63, "the controller allocates at most 64");
    let s = status_of(c.execute(&set_features(0x07, 0xffff, false), Data::None));
    assert_eq!(sct_sc(s), (0, 0x02));
}

#[test]
fn volatile_write_cache_and_arbitration_round_trip_with_select() {
    let mut c = ctrl(1 << 20, 512);
    assert_eq!(
        c.execute(&get_features(0x06, 0), Data::None).unwrap().dw0,
        1
    );
    c.execute(&set_features(0x06, 0, false), Data::None)
        .unwrap();
    assert_eq!(
        c.execute(&get_features(0x06, 0), Data::None).unwrap().dw0,
        0
    );
    assert_eq!(
        c.execute(&get_features(0x06, 1), Data::None).unwrap().dw0,
        1,
        "default"
    );
    assert_eq!(
        c.execute(&get_features(0x06, 3), Data::None).unwrap().dw0,
        1 << 2,
        "changeable"
    );
    let arb = 0x0102_0303;
    c.execute(&set_features(0x01, arb, false), Data::None)
        .unwrap();
    assert_eq!(
        c.execute(&get_features(0x01, 0), Data::None).unwrap().dw0,
        arb
    );
    assert_eq!(
        c.execute(&get_features(0x01, 2), Data::None).unwrap().dw0,
        0b111,
        "saved = default"
    );
}

#[test]
fn features_reject_unknown_ids_saving_and_bad_select() {
    let mut c = ctrl(1 << 20, 512);
    let s = status_of(c.execute(&get_features(0x55, 0), Data::None));
    assert_eq!(sct_sc(s), (0, 0x02));
    let s = status_of(c.execute(&set_features(0x55, 0, false), Data::None));
    assert_eq!(sct_sc(s), (0, 0x02));
    let s = status_of(c.execute(&set_features(0x06, 1, true), Data::None));
    assert_eq!(sct_sc(s), (1, 0x0d), "Feature Identifier Not Saveable");
    let s = status_of(c.execute(&get_features(0x06, 4), Data::None));
    assert_eq!(sct_sc(s), (0, 0x02));
}
