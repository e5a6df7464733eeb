//! Log page layouts: bytes at the spec's offsets decode to the right fields
//! and encode back unchanged.

use nvmeq_core::log::{
    critical_warning, ChangedNsList, CommandEffects, CommandEffectsLog, ErrorLogEntry, FwSlotLog,
    LogId, SelfTestCode, SelfTestLog, SelfTestOutcome, SelfTestResult, SmartLog,
};
use nvmeq_core::{Sct, Status};
use zerocopy::{FromBytes, IntoBytes};

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

#[test]
fn log_ids_and_names() {
    assert_eq!(LogId::ERROR.0, 1);
    assert_eq!(LogId::SMART.0, 2);
    assert_eq!(LogId::FW_SLOT.0, 3);
    assert_eq!(LogId::CHANGED_NS.0, 4);
    assert_eq!(LogId::CMD_EFFECTS.0, 5);
    assert_eq!(LogId::DEVICE_SELF_TEST.0, 6);
    assert_eq!(LogId::SANITIZE.0, 0x81);
    assert_eq!(LogId::SMART.name(), Some("SMART / Health Information"));
    assert_eq!(LogId(0xc5).name(), None);
    assert!(LogId(0xc5).is_vendor_specific());
    assert_eq!(LogId(0x50).name(), None);
    assert!(!LogId(0x50).is_vendor_specific());
}

#[test]
fn error_log_entry() {
    let mut b = [0u8; 64];
    put(&mut b, 0, &42u64.to_le_bytes()); // error count
    put(&mut b, 8, &1u16.to_le_bytes()); // sqid
    put(&mut b, 10, &0x1234u16.to_le_bytes()); // cid
                                               // Status field: phase 1, SC 0x80 (LBA Out of Range), SCT 0, DNR.
    let sf: u16 = 1 | (0x80 << 1) | (1 << 15);
    put(&mut b, 12, &sf.to_le_bytes());
    put(&mut b, 14, &0x0328u16.to_le_bytes()); // pel: bit 3 of byte 0x28
    put(&mut b, 16, &0xdead_beefu64.to_le_bytes()); // lba
    put(&mut b, 24, &1u32.to_le_bytes()); // nsid
    b[28] = 0; // vsia
    b[29] = 0; // trtype
    b[30] = 0; // csi
    b[31] = 0x02; // opcode: read
    put(&mut b, 32, &0x55u64.to_le_bytes()); // command specific
    put(&mut b, 40, &0x77u16.to_le_bytes()); // ttsi
    b[63] = 1; // log page version
    let e = ErrorLogEntry::read_from_bytes(&b).unwrap();
    assert_eq!(e.error_count, 42);
    assert!(!e.is_empty());
    assert_eq!(e.sqid, 1);
    assert_eq!(e.cid, 0x1234);
    assert_eq!(
        e.status(),
        Status::from_parts(Sct::GENERIC, 0x80).with_dnr(true)
    );
    assert_eq!(e.pel, 0x0328);
    assert_eq!(e.lba, 0xdead_beef);
    assert_eq!(e.nsid, 1);
    assert_eq!(e.opc, 0x02);
    assert_eq!(e.cs, 0x55);
    assert_eq!(e.ttsi, 0x77);
    assert_eq!(e.lpver, 1);
    assert_eq!(e.as_bytes(), &b[..]);

    // A whole error log page of 4 entries parses as a slice.
    let mut page = vec![0u8; 256];
    put(&mut page, 64, &b);
    // Vec<u8> has no alignment guarantee; a u64 buffer gives the 8 bytes a borrow needs.
    let mut words = vec![0u64; 32];
    words.as_mut_bytes().copy_from_slice(&page);
    let entries = <[ErrorLogEntry]>::ref_from_bytes(words.as_bytes()).unwrap();
    assert_eq!(entries.len(), 4);
    assert!(entries[0].is_empty());
    assert_eq!(entries[1].error_count, 42);
}

#[test]
fn smart_log() {
    let mut b = vec![0u8; 512];
    b[0] = critical_warning::TEMPERATURE | critical_warning::READ_ONLY;
    put(&mut b, 1, &318u16.to_le_bytes()); // 45 °C, unaligned
    b[3] = 100; // avail_spare
    b[4] = 10; // spare_thresh
    b[5] = 3; // percent_used
    b[6] = 0x01; // endurance group summary
    let counters: [(usize, u128); 10] = [
        (32, 1_000),          // data units read
        (48, 2_000),          // data units written
        (64, 1u128 << 70),    // host reads: beyond u64
        (80, 4),              // host writes
        (96, 5),              // busy time
        (112, 6),             // power cycles
        (128, 7),             // power on hours
        (144, 8),             // unsafe shutdowns
        (160, 9),             // media errors
        (176, u128::MAX - 1), // error log entries
    ];
    for (off, v) in counters {
        put(&mut b, off, &v.to_le_bytes());
    }
    put(&mut b, 192, &11u32.to_le_bytes()); // warning temp time
    put(&mut b, 196, &12u32.to_le_bytes()); // critical temp time
    put(&mut b, 200, &300u16.to_le_bytes()); // sensor 1
    put(&mut b, 214, &310u16.to_le_bytes()); // sensor 8
    put(&mut b, 216, &13u32.to_le_bytes());
    put(&mut b, 220, &14u32.to_le_bytes());
    put(&mut b, 224, &15u32.to_le_bytes());
    put(&mut b, 228, &16u32.to_le_bytes());
    b[511] = 0xee;

    let s = SmartLog::read_from_bytes(&b).unwrap();
    assert_eq!(
        s.critical_warning,
        critical_warning::TEMPERATURE | critical_warning::READ_ONLY
    );
    assert_eq!(s.temperature.get(), 318);
    assert_eq!(s.temperature_celsius(), 45);
    assert_eq!(s.avail_spare, 100);
    assert_eq!(s.spare_thresh, 10);
    assert_eq!(s.percent_used, 3);
    assert_eq!(s.endu_grp_crit_warn_sumry, 1);
    assert_eq!(s.data_units_read.get(), 1_000);
    assert_eq!(s.bytes_read(), 512_000_000);
    assert_eq!(s.data_units_written.get(), 2_000);
    assert_eq!(s.bytes_written(), 1_024_000_000);
    assert_eq!(s.host_reads.get(), 1u128 << 70);
    assert_eq!(s.host_writes.get(), 4);
    assert_eq!(s.ctrl_busy_time.get(), 5);
    assert_eq!(s.power_cycles.get(), 6);
    assert_eq!(s.power_on_hours.get(), 7);
    assert_eq!(s.unsafe_shutdowns.get(), 8);
    assert_eq!(s.media_errors.get(), 9);
    assert_eq!(s.num_err_log_entries.get(), u128::MAX - 1);
    assert_eq!(s.warning_temp_time, 11);
    assert_eq!(s.crit_comp_time, 12);
    assert_eq!(s.temp_sensor[0], 300);
    assert_eq!(s.temp_sensor[7], 310);
    assert_eq!(s.thm_temp1_trans_count, 13);
    assert_eq!(s.thm_temp2_trans_count, 14);
    assert_eq!(s.thm_temp1_total_time, 15);
    assert_eq!(s.thm_temp2_total_time, 16);
    assert_eq!(s.rsvd232[279], 0xee);
    assert_eq!(s.as_bytes(), &b[..]);

    // Saturation rather than overflow on absurd counters.
    let mut big = s;
    big.data_units_read.set(u128::MAX);
    assert_eq!(big.bytes_read(), u128::MAX);
}

#[test]
fn fw_slot_log() {
    let mut b = vec![0u8; 512];
    b[0] = 0x21; // active slot 1, next reset slot 2
    put(&mut b, 8, b"1.0     ");
    put(&mut b, 16, b"2.0-rc1 ");
    put(&mut b, 56, b"SEVEN\0\0\0");
    let f = FwSlotLog::read_from_bytes(&b).unwrap();
    assert_eq!(f.active_slot(), 1);
    assert_eq!(f.next_slot(), Some(2));
    assert_eq!(f.frs(1), Some("1.0"));
    assert_eq!(f.frs(2), Some("2.0-rc1"));
    assert_eq!(f.frs(3), None, "empty slot");
    assert_eq!(f.frs(7), Some("SEVEN"));
    assert_eq!(f.frs(0), None, "slots are 1-based");
    assert_eq!(f.frs(8), None);
    assert_eq!(f.as_bytes(), &b[..]);
    assert_eq!(FwSlotLog::default().next_slot(), None);
}

#[test]
fn changed_ns_list() {
    let mut b = vec![0u8; 4096];
    put(&mut b, 0, &3u32.to_le_bytes());
    put(&mut b, 4, &9u32.to_le_bytes());
    let l = ChangedNsList::read_from_bytes(&b).unwrap();
    assert!(!l.overflowed());
    assert_eq!(l.ids().collect::<Vec<_>>(), vec![3, 9]);
    assert_eq!(l.as_bytes(), &b[..]);

    put(&mut b, 0, &u32::MAX.to_le_bytes());
    let l = ChangedNsList::read_from_bytes(&b).unwrap();
    assert!(l.overflowed());
    assert_eq!(l.ids().count(), 0);
}

#[test]
fn command_effects_log() {
    let mut b = vec![0u8; 4096];
    // Admin Format NVM (0x80): supported, LBCC, NCC, NIC, CSE = 2 (per subsystem).
    let format: u32 = 0b1111 | 2 << 16;
    put(&mut b, 0x80 * 4, &format.to_le_bytes());
    // I/O Write (0x01): supported + LBCC, USS, scope bits.
    let write: u32 = 0b11 | 1 << 19 | 0x123 << 20;
    put(&mut b, 1024 + 4, &write.to_le_bytes());
    // CCC + CSER on admin Set Features (0x09).
    put(
        &mut b,
        0x09 * 4,
        &(1u32 | 1 << 4 | 0b01 << 14).to_le_bytes(),
    );

    let log = CommandEffectsLog::read_from_bytes(&b).unwrap();
    let f = log.admin(0x80);
    assert!(f.csupp() && f.lbcc() && f.ncc() && f.nic());
    assert!(!f.ccc());
    assert_eq!(f.cse(), 2);
    let w = log.io(0x01);
    assert!(w.csupp() && w.lbcc());
    assert!(!w.ncc());
    assert!(w.uss());
    assert_eq!(w.csp(), 0x123);
    let sf = log.admin(0x09);
    assert!(sf.ccc());
    assert_eq!(sf.cser(), 1);
    assert!(!log.io(0x02).csupp());
    assert_eq!(
        CommandEffects::new()
            .with_csupp(true)
            .with_cse(1)
            .into_bits(),
        1 | 1 << 16
    );
    assert_eq!(log.as_bytes(), &b[..]);
}

#[test]
fn self_test_log() {
    let mut b = vec![0u8; 564];
    b[0] = 0x2; // extended test running
    b[1] = 42; // percent
               // Result 0 at byte 4: extended test, failed segment 3, NSID + FLBA valid.
    b[4] = 0x27;
    b[5] = 3;
    b[6] = 0b0011;
    put(&mut b, 8, &1234u64.to_le_bytes()); // poh (unaligned in the page)
    put(&mut b, 16, &1u32.to_le_bytes()); // nsid
    put(&mut b, 20, &0x1_0000_0001u64.to_le_bytes()); // flba
    b[28] = 2; // sct
    b[29] = 0x81; // sc
                  // Result 1 at byte 32: short test, no error.
    b[32] = 0x10;
    put(&mut b, 36, &1000u64.to_le_bytes());
    // Results 2..20 unused.
    for i in 2..20 {
        b[4 + i * 28] = 0x0f;
    }
    let log = SelfTestLog::read_from_bytes(&b).unwrap();
    assert_eq!(log.current(), Some(SelfTestCode::EXTENDED));
    assert_eq!(log.percent_complete(), 42);
    let r = &log.result[0];
    assert_eq!(r.code(), SelfTestCode::EXTENDED);
    assert_eq!(r.outcome(), SelfTestOutcome::FAILED_SEGMENT);
    assert_eq!(r.seg, 3);
    assert_eq!(r.poh.get(), 1234);
    assert_eq!(r.failing_nsid(), Some(1));
    assert_eq!(r.failing_lba(), Some(0x1_0000_0001));
    assert_eq!((r.sct, r.sc), (2, 0x81));
    let r1 = &log.result[1];
    assert_eq!(r1.code(), SelfTestCode::SHORT);
    assert_eq!(r1.outcome(), SelfTestOutcome::NO_ERROR);
    assert_eq!(r1.poh.get(), 1000);
    assert_eq!(r1.failing_nsid(), None);
    assert_eq!(log.results().count(), 2);
    assert_eq!(log.as_bytes(), &b[..]);

    // The 28-byte results are alignment-1: they borrow from any offset.
    let one = SelfTestResult::ref_from_bytes(&b[4..32]).unwrap();
    assert_eq!(one.poh.get(), 1234);
    // And the whole log borrows too (alignment 1).
    assert_eq!(core::mem::align_of::<SelfTestLog>(), 1);
    assert!(SelfTestLog::ref_from_bytes(&b[..563]).is_err());
}
