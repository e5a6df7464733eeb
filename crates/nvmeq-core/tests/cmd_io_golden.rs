//! Golden bytes for every NVM and ZNS I/O command builder.
//!
//! Each expectation is written as (byte offset, bytes) following the field
//! offsets of the Linux kernel's wire structs in `include/linux/nvme.h`
//! (`struct nvme_rw_command`, `nvme_write_zeroes_cmd`, `nvme_dsm_cmd`,
//! `nvme_copy_command`, `nvme_zone_mgmt_send_cmd`, `nvme_zone_mgmt_recv_cmd`),
//! or of the specification's dword figures where the kernel names none.
//! Unlisted bytes must be zero.

use nvmeq_core::cmd::*;
use nvmeq_core::{Cmd, Command, Completion, DataDir, QueueKind, Status, Xfer};
use zerocopy::{FromBytes, IntoBytes};

fn check(cmd: &Cmd, fields: &[(usize, &[u8])]) {
    let mut want = [0u8; 64];
    for &(off, b) in fields {
        want[off..off + b.len()].copy_from_slice(b);
    }
    let got = cmd.sqe.as_bytes();
    for i in 0..64 {
        assert_eq!(
            got[i], want[i],
            "byte {i}: got {:#04x}, want {:#04x}\n got {got:02x?}\nwant {want:02x?}",
            got[i], want[i]
        );
    }
    // And back: the wire bytes parse to the same entry.
    let parsed = Command::read_from_bytes(&want).unwrap();
    assert_eq!(parsed, cmd.sqe);
}

fn io(cmd: &Cmd, dir: DataDir, xfer: Xfer) {
    assert_eq!(cmd.queue, QueueKind::Io);
    assert_eq!(cmd.dir, dir);
    assert_eq!(cmd.xfer, xfer);
}

const SLBA: [u8; 8] = [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11];

// struct nvme_rw_command: slba@40 length@48 control@50 dsmgmt@52 reftag@56
// lbat@60 lbatm@62. control = cdw12 bits 31:16 (LR 15, FUA 14, PRACT 13,
// PRCHK guard 12 / app 11 / ref 10, DEAC 9 / PIREMAP 9, STC 8, DTYPE 7:4).

#[test]
fn read() {
    let c = Read::new(1, 0x1122_3344_5566_7788, 7)
        .fua(true)
        .lr(true)
        .prinfo(Prinfo::new().with_pract(true).with_prchk_guard(true))
        .dsm(0x21)
        .eilbrt(0xdead_beef)
        .elbat(0x1234, 0xffff)
        .build();
    check(
        &c,
        &[
            (0, &[0x02]),
            (4, &[1, 0, 0, 0]),
            (40, &SLBA),
            (48, &[7, 0]),
            (50, &[0x00, 0xf0]),
            (52, &[0x21, 0, 0, 0]),
            (56, &[0xef, 0xbe, 0xad, 0xde]),
            (60, &[0x34, 0x12]),
            (62, &[0xff, 0xff]),
        ],
    );
    io(&c, DataDir::FromDevice, Xfer::Blocks(8));
}

#[test]
fn read_minimal_is_unchanged_from_the_original_builder() {
    let c = Read::new(1, 0x10, 7).fua(true).lr(true).build();
    assert_eq!(c.sqe.cdw10, 0x10);
    assert_eq!(c.sqe.cdw12, 7 | 1 << 30 | 1 << 31);
    io(&c, DataDir::FromDevice, Xfer::Blocks(8));
}

#[test]
fn write() {
    let c = Write::new(2, 0x10, 0xffff)
        .dtype(DirectiveType::STREAMS)
        .dspec(0xabcd)
        .stc(true)
        .prinfo(Prinfo::new().with_prchk_ref(true).with_prchk_app(true))
        .dsm(0x03)
        .ilbrt(5)
        .lbat(0xa, 0xb)
        .build();
    check(
        &c,
        &[
            (0, &[0x01]),
            (4, &[2, 0, 0, 0]),
            (40, &[0x10, 0, 0, 0, 0, 0, 0, 0]),
            (48, &[0xff, 0xff]),
            (50, &[0x10, 0x0d]),
            (52, &[0x03, 0x00, 0xcd, 0xab]),
            (56, &[5, 0, 0, 0]),
            (60, &[0x0a, 0x00, 0x0b, 0x00]),
        ],
    );
    io(&c, DataDir::ToDevice, Xfer::Blocks(0x1_0000));
}

#[test]
fn compare() {
    let c = Compare::new(1, 0x1122_3344_5566_7788, 0)
        .lr(true)
        .eilbrt(1)
        .elbat(2, 3)
        .build();
    check(
        &c,
        &[
            (0, &[0x05]),
            (4, &[1, 0, 0, 0]),
            (40, &SLBA),
            (48, &[0, 0]),
            (50, &[0x00, 0x80]),
            (56, &[1, 0, 0, 0]),
            (60, &[2, 0, 3, 0]),
        ],
    );
    io(&c, DataDir::ToDevice, Xfer::Blocks(1));
}

#[test]
fn verify() {
    let c = Verify::new(1, 0x1122_3344_5566_7788, 255)
        .fua(true)
        .stc(true)
        .build();
    check(
        &c,
        &[
            (0, &[0x0c]),
            (4, &[1, 0, 0, 0]),
            (40, &SLBA),
            (48, &[0xff, 0]),
            (50, &[0x00, 0x41]),
        ],
    );
    io(&c, DataDir::None, Xfer::None);
}

#[test]
fn write_zeroes() {
    // struct nvme_write_zeroes_cmd, NVME_WZ_DEAC = control bit 9.
    let c = WriteZeroes::new(1, 100, 15)
        .deac(true)
        .fua(true)
        .ilbrt(7)
        .build();
    check(
        &c,
        &[
            (0, &[0x08]),
            (4, &[1, 0, 0, 0]),
            (40, &[100, 0, 0, 0, 0, 0, 0, 0]),
            (48, &[15, 0]),
            (50, &[0x00, 0x42]),
            (56, &[7, 0, 0, 0]),
        ],
    );
    io(&c, DataDir::None, Xfer::None);
}

#[test]
fn write_uncorrectable() {
    let c = WriteUncorrectable::new(3, 0x1122_3344_5566_7788, 0x102).build();
    check(
        &c,
        &[
            (0, &[0x04]),
            (4, &[3, 0, 0, 0]),
            (40, &SLBA),
            (48, &[0x02, 0x01]),
        ],
    );
    io(&c, DataDir::None, Xfer::None);
    // DTYPE in CDW12 bits 23:20 (byte 50's high nibble), DSPEC in CDW13 31:16.
    let d = WriteUncorrectable::new(3, 0, 0)
        .dtype(DirectiveType::DATA_PLACEMENT)
        .dspec(0xabcd)
        .build();
    check(
        &d,
        &[(0, &[0x04]), (4, &[3]), (50, &[0x20]), (54, &[0xcd, 0xab])],
    );
}

#[test]
fn flush() {
    let c = Flush::new(0xffff_ffff).build();
    check(&c, &[(0, &[0x00]), (4, &[0xff; 4])]);
    io(&c, DataDir::None, Xfer::None);
}

#[test]
fn dataset_management() {
    // struct nvme_dsm_cmd: nr@40, attributes@44 (IDR 1<<0, IDW 1<<1, AD 1<<2).
    let c = Dsm::deallocate(1, 3).idr(true).build();
    check(
        &c,
        &[
            (0, &[0x09]),
            (4, &[1, 0, 0, 0]),
            (40, &[3, 0, 0, 0]),
            (44, &[5, 0, 0, 0]),
        ],
    );
    io(&c, DataDir::ToDevice, Xfer::Bytes(64));

    let c = Dsm::new(1, 255).idw(true).build();
    check(
        &c,
        &[
            (0, &[0x09]),
            (4, &[1, 0, 0, 0]),
            (40, &[255, 0, 0, 0]),
            (44, &[2, 0, 0, 0]),
        ],
    );
    io(&c, DataDir::ToDevice, Xfer::Bytes(16 * 256));
}

#[test]
fn copy() {
    // struct nvme_copy_command: sdlba@40 nr_range@48 (byte 49: DESFMT 3:0,
    // PRINFOR 7:4) control@50 dspec@54 ilbrt@56 lbat@60 lbatm@62.
    let c = CopyRanges::new(1, 0x2000, 1, CopyFormat::Format1)
        .fua(true)
        .prinfor(Prinfo::new().with_pract(true))
        .prinfow(Prinfo::new().with_prchk_ref(true))
        .directive(DirectiveType::STREAMS, 7)
        .stcw(true)
        .ilbrt(9)
        .lbat(1, 2)
        .build();
    check(
        &c,
        &[
            (0, &[0x19]),
            (4, &[1, 0, 0, 0]),
            (40, &[0x00, 0x20, 0, 0, 0, 0, 0, 0]),
            (48, &[1, 0x81]),
            (50, &[0x10, 0x45]),
            (54, &[7, 0]),
            (56, &[9, 0, 0, 0]),
            (60, &[1, 0, 2, 0]),
        ],
    );
    io(&c, DataDir::ToDevice, Xfer::Bytes(80));
    let c = CopyRanges::new(1, 0, 0, CopyFormat::Format0)
        .lr(true)
        .build();
    check(&c, &[(0, &[0x19]), (4, &[1, 0, 0, 0]), (50, &[0, 0x80])]);
    io(&c, DataDir::ToDevice, Xfer::Bytes(32));
}

#[test]
fn reservation_register() {
    // NVME_PR_REGISTER_ACT_REPLACE = 2, NVME_PR_IGNORE_KEY = 1<<3,
    // NVME_PR_CPTPL_PERSIST = 3<<30.
    let c = ReservationRegister::new(1, RegisterAction::Replace)
        .iekey(true)
        .cptpl(Cptpl::Persist)
        .build();
    check(
        &c,
        &[(0, &[0x0d]), (4, &[1, 0, 0, 0]), (40, &[0x0a, 0, 0, 0xc0])],
    );
    io(&c, DataDir::ToDevice, Xfer::Bytes(16));
}

#[test]
fn reservation_acquire() {
    let c = ReservationAcquire::new(
        1,
        AcquireAction::PreemptAndAbort,
        ReservationType::ExclusiveAccess,
    )
    .build();
    check(
        &c,
        &[(0, &[0x11]), (4, &[1, 0, 0, 0]), (40, &[0x02, 0x02, 0, 0])],
    );
    io(&c, DataDir::ToDevice, Xfer::Bytes(16));
}

#[test]
fn reservation_release() {
    let c = ReservationRelease::new(1, ReleaseAction::Clear, ReservationType::WriteExclusive)
        .iekey(true)
        .build();
    check(
        &c,
        &[(0, &[0x15]), (4, &[1, 0, 0, 0]), (40, &[0x09, 0x01, 0, 0])],
    );
    io(&c, DataDir::ToDevice, Xfer::Bytes(8));
    // Clear without a type: RRELA 1 in CDW10 bits 2:0, RTYPE (bits 15:8) 0.
    let c = ReservationRelease::clear(7).build();
    check(
        &c,
        &[(0, &[0x15]), (4, &[7, 0, 0, 0]), (40, &[0x01, 0, 0, 0])],
    );
}

#[test]
fn reservation_report() {
    let c = ReservationReport::new(1, Numd::BYTES_4096)
        .eds(true)
        .build();
    check(
        &c,
        &[
            (0, &[0x0e]),
            (4, &[1, 0, 0, 0]),
            (40, &[0xff, 0x03, 0, 0]),
            (44, &[1, 0, 0, 0]),
        ],
    );
    io(&c, DataDir::FromDevice, Xfer::Bytes(4096));
}

#[test]
fn zone_management_send() {
    // struct nvme_zone_mgmt_send_cmd: slba@40 cdw12@48 zsa@52 select_all@53.
    let c = ZoneMgmtSend::reset(2, 0x1122_3344_5566_7788)
        .select_all(true)
        .build();
    check(
        &c,
        &[
            (0, &[0x79]),
            (4, &[2, 0, 0, 0]),
            (40, &SLBA),
            (52, &[0x04, 0x01]),
        ],
    );
    io(&c, DataDir::None, Xfer::None);

    for (zsa, v) in [
        (ZoneSendAction::CLOSE, 1),
        (ZoneSendAction::FINISH, 2),
        (ZoneSendAction::OPEN, 3),
        (ZoneSendAction::OFFLINE, 5),
    ] {
        let c = ZoneMgmtSend::new(2, 0x4000, zsa).build();
        check(
            &c,
            &[
                (0, &[0x79]),
                (4, &[2, 0, 0, 0]),
                (40, &[0, 0x40, 0, 0, 0, 0, 0, 0]),
                (52, &[v]),
            ],
        );
        io(&c, DataDir::None, Xfer::None);
    }

    // Set Zone Descriptor Extension sends ZDES * 64 bytes.
    let c = ZoneMgmtSend::set_zde(2, 0x4000, 2).build();
    check(
        &c,
        &[
            (0, &[0x79]),
            (4, &[2, 0, 0, 0]),
            (40, &[0, 0x40, 0, 0, 0, 0, 0, 0]),
            (52, &[0x10]),
        ],
    );
    io(&c, DataDir::ToDevice, Xfer::Bytes(128));
    // Without ZDES: the largest extension, never less than the device reads.
    let c = ZoneMgmtSend::new(2, 0, ZoneSendAction::SET_ZDE).build();
    io(&c, DataDir::ToDevice, Xfer::Bytes(255 * 64));
}

#[test]
fn zone_management_receive() {
    // struct nvme_zone_mgmt_recv_cmd: slba@40 numd@48 zra@52 zrasf@53 pr@54.
    let c = ZoneMgmtRecv::new(2, 0x1122_3344_5566_7788, Numd::BYTES_4096)
        .zra(ZoneRecvAction::EXTENDED)
        .zrasf(ZoneFilter::FULL)
        .partial(true)
        .build();
    check(
        &c,
        &[
            (0, &[0x7a]),
            (4, &[2, 0, 0, 0]),
            (40, &SLBA),
            (48, &[0xff, 0x03, 0, 0]),
            (52, &[1, 5, 1]),
        ],
    );
    io(&c, DataDir::FromDevice, Xfer::Bytes(4096));
}

#[test]
fn zone_append() {
    // nvme_rw_command layout; NVME_RW_APPEND_PIREMAP = control bit 9.
    let c = ZoneAppend::new(2, 0x1122_3344_5566_7788, 3)
        .piremap(true)
        .fua(true)
        .ilbrt(4)
        .lbat(5, 6)
        .build();
    check(
        &c,
        &[
            (0, &[0x7d]),
            (4, &[2, 0, 0, 0]),
            (40, &SLBA),
            (48, &[3, 0]),
            (50, &[0x00, 0x42]),
            (56, &[4, 0, 0, 0]),
            (60, &[5, 0, 6, 0]),
        ],
    );
    io(&c, DataDir::ToDevice, Xfer::Blocks(4));

    let done = Completion::from_result(0x0000_0001_0000_8000, Status::SUCCESS);
    assert_eq!(ZoneAppend::assigned_lba(&done), 0x1_0000_8000);
}

#[test]
fn describe_names_the_command() {
    let c = Read::new(1, 0x10, 7).build();
    assert_eq!(
        c.to_string(),
        "Read (io 0x02) nsid 0x1, 8 blocks from device, cdw10 0x10 cdw12 0x7"
    );
    let c = Flush::new(1).build();
    assert_eq!(
        c.describe().to_string(),
        "Flush (io 0x00) nsid 0x1, no data"
    );
    let c = Cmd::io(Command::new(0x99, 1), DataDir::None, Xfer::None);
    assert_eq!(c.to_string(), "Unknown Opcode (io 0x99) nsid 0x1, no data");
}
