//! The NVM command set against the ram controller: data paths and every error.

mod common;
use common::*;
use nvmeq_core::{Backend, Data, Error};
use nvmeq_ram::{RamConfig, RamController};

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn write_pattern(c: &mut RamController, slba: u64, nlb: u32, seed: u8) -> Vec<u8> {
    let lba = c.lba_size(1).unwrap() as usize;
    let data = pattern(nlb as usize * lba, seed);
    c.execute(&write(1, slba, nlb), Data::ToDevice(&data))
        .unwrap();
    data
}

fn read_back(c: &mut RamController, slba: u64, nlb: u32) -> Vec<u8> {
    let lba = c.lba_size(1).unwrap() as usize;
    run_in(c, &read(1, slba, nlb), nlb as usize * lba).unwrap()
}

#[test]
fn write_then_read_returns_the_data_for_both_lba_sizes() {
    for lba in [512u32, 4096] {
        let mut c = ctrl(64 << 20, lba);
        let data = write_pattern(&mut c, 100, 40, 3);
        assert_eq!(read_back(&mut c, 100, 40), data);
        // A read overlapping the written range sees old and new parts.
        let mixed = read_back(&mut c, 99, 2);
        assert!(mixed[..lba as usize].iter().all(|&b| b == 0));
        assert_eq!(&mixed[lba as usize..], &data[..lba as usize]);
    }
}

#[test]
fn never_written_blocks_read_as_zeroes_without_allocating() {
    let mut c = ctrl(1 << 30, 512);
    let b = read_back(&mut c, 1_000_000, 8);
    assert!(b.iter().all(|&x| x == 0));
    assert_eq!(c.allocated_bytes(), 0);
}

#[test]
fn a_one_gib_namespace_is_not_allocated_up_front() {
    let c = ctrl(1 << 30, 512);
    assert_eq!(c.allocated_bytes(), 0);
    let c = RamController::new(RamConfig::new(1 << 40, 4096)).unwrap();
    assert_eq!(c.allocated_bytes(), 0);
    // 1024 namespaces of 1 TiB: nothing per namespace until it is written.
    let mut cfg = RamConfig::new(1 << 40, 4096);
    cfg.nn = 1024;
    let mut c = RamController::new(cfg).unwrap();
    c.execute(&write(1024, (1 << 28) - 1, 1), Data::ToDevice(&[1; 4096]))
        .unwrap();
    let back = run_in(&mut c, &read(1024, (1 << 28) - 1, 1), 4096).unwrap();
    assert!(back.iter().all(|&b| b == 1));
    assert_eq!(
        c.allocated_bytes(),
        16 << 20,
        "one 16 MiB chunk (1 TiB / 65536)"
    );
}

#[test]
fn the_last_block_is_addressable_and_the_next_is_out_of_range() {
    let mut c = ctrl(1 << 20, 512);
    let last = (1 << 20) / 512 - 1;
    write_pattern(&mut c, last, 1, 9);
    let mut b = vec![0u8; 1024];
    let s = status_of(c.execute(&read(1, last, 2), Data::FromDevice(&mut b)));
    assert_eq!(sct_sc(s), (0, 0x80));
    assert!(s.dnr());
    assert_eq!(s.to_string(), "LBA Out of Range (sct 0x0, sc 0x80) [DNR]");
    let s = status_of(c.execute(&write(1, last + 1, 1), Data::ToDevice(&[0; 512])));
    assert_eq!(sct_sc(s), (0, 0x80));
}

#[test]
fn an_slba_that_wraps_64_bits_is_out_of_range() {
    let mut c = ctrl(1 << 20, 512);
    let mut b = vec![0u8; 1024];
    let s = status_of(c.execute(&read(1, u64::MAX, 2), Data::FromDevice(&mut b)));
    assert_eq!(sct_sc(s), (0, 0x80));
}

#[test]
fn invalid_namespaces_are_rejected_with_invalid_namespace_or_format() {
    let mut c = ctrl(1 << 20, 512);
    let mut b = vec![0u8; 512];
    for nsid in [0, 2, 0xffff_ffff] {
        let s = status_of(c.execute(&read(nsid, 0, 1), Data::FromDevice(&mut b)));
        assert_eq!(sct_sc(s), (0, 0x0b), "nsid {nsid:#x}");
        let s = status_of(c.execute(&write_zeroes(nsid, 0, 1), Data::None));
        assert_eq!(sct_sc(s), (0, 0x0b), "nsid {nsid:#x}");
    }
    assert_eq!(c.lba_size(2), Err(Error::UnknownNamespace(2)));
}

#[test]
fn several_namespaces_are_independent() {
    let mut cfg = RamConfig::new(1 << 20, 4096);
    cfg.nn = 3;
    let mut c = RamController::new(cfg).unwrap();
    c.execute(&write(3, 0, 1), Data::ToDevice(&[5u8; 4096]))
        .unwrap();
    let b1 = run_in(&mut c, &read(1, 0, 1), 4096).unwrap();
    let b3 = run_in(&mut c, &read(3, 0, 1), 4096).unwrap();
    assert!(b1.iter().all(|&x| x == 0));
    assert!(b3.iter().all(|&x| x == 5));
    let s = status_of(run_in(&mut c, &read(4, 0, 1), 4096));
    assert_eq!(sct_sc(s), (0, 0x0b));
}

#[test]
fn unknown_io_opcodes_are_invalid_command_opcode() {
    let mut c = ctrl(1 << 20, 512);
    // 0x04 Write Uncorrectable (not in ONCS), 0x7f vendor, 0x0d Reservation Register.
    for op in [0x04u8, 0x7f, 0x0d] {
        let cmd = nvmeq_core::Cmd::io(
            nvmeq_core::Command::new(op, 1),
            nvmeq_core::DataDir::None,
            nvmeq_core::Xfer::None,
        );
        let s = status_of(c.execute(&cmd, Data::None).map(|_| ()));
        assert_eq!(sct_sc(s), (0, 0x01), "opcode {op:#x}");
        assert_eq!(
            s.to_string(),
            "Invalid Command Opcode (sct 0x0, sc 0x01) [DNR]"
        );
    }
}

#[test]
fn transfers_above_mdts_are_invalid_field_in_command() {
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.mdts = 1; // 8 KiB
    let mut c = RamController::new(cfg).unwrap();
    assert_eq!(c.caps().max_xfer, 8192);
    let mut b = vec![0u8; 8192 + 512];
    c.execute(&read(1, 0, 16), Data::FromDevice(&mut b[..8192]))
        .unwrap();
    let s = status_of(c.execute(&read(1, 0, 17), Data::FromDevice(&mut b)));
    assert_eq!(sct_sc(s), (0, 0x02));
    let s = status_of(c.execute(&write(1, 0, 17), Data::ToDevice(&b)));
    assert_eq!(sct_sc(s), (0, 0x02));
    let s = status_of(c.execute(&compare(1, 0, 17), Data::ToDevice(&b)));
    assert_eq!(sct_sc(s), (0, 0x02));
    // Write Zeroes and Verify move no data: MDTS does not limit them.
    c.execute(&write_zeroes(1, 0, 1000), Data::None).unwrap();
    c.execute(&verify(1, 0, 1000), Data::None).unwrap();
}

#[test]
fn a_short_buffer_is_refused_before_the_command_runs() {
    let mut c = ctrl(1 << 20, 512);
    let before = write_pattern(&mut c, 0, 2, 1);
    let new = vec![0xeeu8; 1023];
    let e = c
        .execute(&write(1, 0, 2), Data::ToDevice(&new))
        .unwrap_err();
    assert_eq!(
        e,
        Error::BufferTooSmall {
            need: 1024,
            have: 1023
        }
    );
    assert_eq!(read_back(&mut c, 0, 2), before, "nothing was written");
    let mut small = vec![0u8; 100];
    let e = c
        .execute(&read(1, 0, 1), Data::FromDevice(&mut small))
        .unwrap_err();
    assert_eq!(
        e,
        Error::BufferTooSmall {
            need: 512,
            have: 100
        }
    );
    // Nothing failed at the controller, so nothing was logged.
    let log = run_in(&mut c, &get_log(0x01, 0, 64, 0), 64).unwrap();
    assert_eq!(u64_at(&log, 0), 0);
}

#[test]
fn a_buffer_in_the_wrong_direction_is_refused() {
    let mut c = ctrl(1 << 20, 512);
    let e = c.execute(&write(1, 0, 1), Data::None).unwrap_err();
    assert!(matches!(e, Error::BufferMismatch { .. }), "{e:?}");
    let e = c
        .execute(&read(1, 0, 1), Data::ToDevice(&[0; 512]))
        .unwrap_err();
    assert!(matches!(e, Error::BufferMismatch { .. }), "{e:?}");
}

#[test]
fn a_command_claiming_less_than_its_sqe_transfers_gets_data_transfer_error() {
    // Hand-built: the SQE says 4 blocks, the Cmd claims 1. The controller
    // must not go past the checked length.
    let mut c = ctrl(1 << 20, 512);
    let mut cmd = read(1, 0, 4);
    cmd.xfer = nvmeq_core::Xfer::Blocks(1);
    let mut b = vec![0u8; 4096];
    let s = status_of(c.execute(&cmd, Data::FromDevice(&mut b)));
    assert_eq!(sct_sc(s), (0, 0x04));
}

#[test]
fn flush_accepts_active_and_broadcast_nsids_only() {
    let mut c = ctrl(1 << 20, 512);
    c.execute(&flush(1), Data::None).unwrap();
    c.execute(&flush(0xffff_ffff), Data::None).unwrap();
    let s = status_of(c.execute(&flush(7), Data::None));
    assert_eq!(sct_sc(s), (0, 0x0b));
}

#[test]
fn write_zeroes_zeroes_and_frees_memory() {
    let mut c = ctrl(1 << 20, 512);
    write_pattern(&mut c, 0, 256, 7);
    let allocated = c.allocated_bytes();
    assert!(allocated > 0);
    c.execute(&write_zeroes(1, 10, 5), Data::None).unwrap();
    let b = read_back(&mut c, 9, 7);
    assert!(b[..512].iter().any(|&x| x != 0));
    assert!(b[512..6 * 512].iter().all(|&x| x == 0));
    assert!(b[6 * 512..].iter().any(|&x| x != 0));
    // 128 blocks of 512 B is one 64 KiB chunk: zeroing it frees it.
    c.execute(&write_zeroes(1, 128, 128), Data::None).unwrap();
    assert_eq!(c.allocated_bytes(), allocated - (64 << 10));
    let s = status_of(c.execute(&write_zeroes(1, 2047, 2), Data::None));
    assert_eq!(sct_sc(s), (0, 0x80));
}

#[test]
fn dataset_management_deallocate_reads_back_zeroes() {
    let mut c = ctrl(1 << 20, 4096);
    let data = write_pattern(&mut c, 0, 32, 2);
    let (cmd, ranges) = dsm(1, &[(4, 2), (10, 3)], true);
    c.execute(&cmd, Data::ToDevice(&ranges)).unwrap();
    let b = read_back(&mut c, 0, 32);
    for blk in 0..32usize {
        let got = &b[blk * 4096..(blk + 1) * 4096];
        let freed = (4..6).contains(&blk) || (10..13).contains(&blk);
        if freed {
            assert!(got.iter().all(|&x| x == 0), "block {blk} reads zero");
        } else {
            assert_eq!(got, &data[blk * 4096..(blk + 1) * 4096], "block {blk} kept");
        }
    }
}

#[test]
fn dataset_management_without_deallocate_keeps_data() {
    let mut c = ctrl(1 << 20, 4096);
    let data = write_pattern(&mut c, 0, 4, 2);
    let (cmd, ranges) = dsm(1, &[(0, 4)], false);
    c.execute(&cmd, Data::ToDevice(&ranges)).unwrap();
    assert_eq!(read_back(&mut c, 0, 4), data);
}

#[test]
fn dataset_management_checks_every_range_before_changing_any() {
    let mut c = ctrl(1 << 20, 4096);
    let data = write_pattern(&mut c, 0, 4, 2);
    let (cmd, ranges) = dsm(1, &[(0, 4), (255, 2)], true);
    let s = status_of(c.execute(&cmd, Data::ToDevice(&ranges)));
    assert_eq!(sct_sc(s), (0, 0x80));
    assert_eq!(read_back(&mut c, 0, 4), data);
}

#[test]
fn compare_succeeds_on_equal_data_and_fails_with_compare_failure() {
    let mut c = ctrl(1 << 20, 512);
    let mut data = write_pattern(&mut c, 50, 8, 4);
    c.execute(&compare(1, 50, 8), Data::ToDevice(&data))
        .unwrap();
    // Never-written blocks compare equal to zeroes.
    c.execute(&compare(1, 0, 2), Data::ToDevice(&[0u8; 1024]))
        .unwrap();
    data[4000] ^= 1;
    let s = status_of(c.execute(&compare(1, 50, 8), Data::ToDevice(&data)));
    assert_eq!(sct_sc(s), (2, 0x85));
    assert_eq!(s.sct(), nvmeq_core::Sct::MEDIA);
    let s = status_of(c.execute(&compare(1, 2047, 2), Data::ToDevice(&[0; 1024])));
    assert_eq!(sct_sc(s), (0, 0x80));
}

#[test]
fn verify_checks_the_range_only() {
    let mut c = ctrl(1 << 20, 512);
    c.execute(&verify(1, 0, 2048), Data::None).unwrap();
    let s = status_of(c.execute(&verify(1, 1, 2048), Data::None));
    assert_eq!(sct_sc(s), (0, 0x80));
}

#[test]
fn copy_concatenates_source_ranges_at_the_destination() {
    let mut c = ctrl(1 << 20, 512);
    let a = write_pattern(&mut c, 0, 3, 1);
    let b = write_pattern(&mut c, 100, 200, 2);
    let (cmd, ranges) = copy(1, 1000, &[(0, 3), (100, 200)]);
    c.execute(&cmd, Data::ToDevice(&ranges)).unwrap();
    let got = read_back(&mut c, 1000, 203);
    assert_eq!(&got[..3 * 512], &a[..]);
    assert_eq!(&got[3 * 512..], &b[..]);
}

#[test]
fn copy_rejects_bad_ranges_and_formats() {
    let mut c = ctrl(1 << 20, 512);
    // Destination runs past the end.
    let (cmd, r) = copy(1, 2047, &[(0, 2)]);
    assert_eq!(
        sct_sc(status_of(c.execute(&cmd, Data::ToDevice(&r)))),
        (0, 0x80)
    );
    // Source runs past the end.
    let (cmd, r) = copy(1, 0, &[(2047, 2)]);
    assert_eq!(
        sct_sc(status_of(c.execute(&cmd, Data::ToDevice(&r)))),
        (0, 0x80)
    );
    // Descriptor format 1h is not supported.
    let (mut cmd, r) = copy(1, 0, &[(0, 1)]);
    cmd.sqe.cdw12 |= 1 << 8;
    assert_eq!(
        sct_sc(status_of(c.execute(&cmd, Data::ToDevice(&r)))),
        (0, 0x02)
    );
    // More source ranges than MSRC allows: Command Size Limit Exceeded.
    let many: Vec<(u64, u32)> = (0..129).map(|i| (i, 1)).collect();
    let (cmd, r) = copy(1, 1500, &many);
    assert_eq!(
        sct_sc(status_of(c.execute(&cmd, Data::ToDevice(&r)))),
        (1, 0x83)
    );
}
