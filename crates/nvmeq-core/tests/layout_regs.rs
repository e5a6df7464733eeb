//! Controller register bitfields and the register map.

use nvmeq_core::regs::{self, doorbell_offset, Aqa, Cap, Cc, Cmbloc, Cmbsz, Csts, Registers, Vs};
use zerocopy::{FromBytes, IntoBytes};

#[test]
fn cap_fields_decode_from_raw_bits() {
    // A QEMU-like CAP: MQES 0x7ff, CQR, TO 15 (7.5 s), DSTRD 0, NSSRS,
    // CSS NVM + I/O sets, MPSMIN 0, MPSMAX 4, CMBS.
    let raw: u64 = 0x7ff | 1 << 16 | 0xf << 24 | 1 << 36 | (0x41u64) << 37 | 4 << 52 | 1 << 57;
    let cap = Cap::from_bits(raw);
    assert_eq!(cap.mqes_z(), 0x7ff);
    assert_eq!(cap.max_queue_entries(), 2048);
    assert!(cap.cqr());
    assert_eq!(cap.ams(), 0);
    assert_eq!(cap.to(), 15);
    assert_eq!(cap.timeout_ms(), 7500);
    assert_eq!(cap.dstrd(), 0);
    assert!(cap.nssrs());
    assert_eq!(cap.css(), Cap::CSS_NVM | Cap::CSS_IO_SETS);
    assert!(!cap.bps());
    assert_eq!(cap.mpsmin(), 0);
    assert_eq!(cap.mps_min_bytes(), 4096);
    assert_eq!(cap.mpsmax(), 4);
    assert_eq!(cap.mps_max_bytes(), 64 * 1024);
    assert!(!cap.pmrs());
    assert!(cap.cmbs());
    assert!(!cap.nsss());
    assert_eq!(cap.crms(), 0);
    assert_eq!(cap.doorbell_stride(), 4);
    assert_eq!(u64::from(cap), raw);

    // Individual high fields land on the right bits.
    assert_eq!(Cap::new().with_ams(0b11).into_bits(), 0b11 << 17);
    assert_eq!(Cap::new().with_dstrd(0xf).into_bits(), 0xf << 32);
    assert_eq!(Cap::new().with_bps(true).into_bits(), 1 << 45);
    assert_eq!(Cap::new().with_cps(0b11).into_bits(), 0b11 << 46);
    assert_eq!(Cap::new().with_mpsmin(0xf).into_bits(), 0xf << 48);
    assert_eq!(Cap::new().with_pmrs(true).into_bits(), 1 << 56);
    assert_eq!(Cap::new().with_nsss(true).into_bits(), 1 << 58);
    assert_eq!(Cap::new().with_crms(0b11).into_bits(), 0b11 << 59);
}

#[test]
fn vs_and_cc_and_csts() {
    let vs = Vs::from_bits(0x0002_0100);
    assert_eq!((vs.mjr(), vs.mnr(), vs.ter()), (2, 1, 0));
    assert_eq!(vs.to_string(), "2.1.0");
    assert_eq!(Vs::from_parts(1, 4, 0).into_bits(), 0x0001_0400);
    assert!(Vs::from_parts(1, 4, 0) < Vs::from_parts(2, 0, 0));

    // What a driver writes to enable: EN, NVM, 4 KiB pages, RR, 64 B SQEs, 16 B CQEs.
    let cc = Cc::new()
        .with_en(true)
        .with_css(Cc::CSS_NVM)
        .with_mps(0)
        .with_iosqes(6)
        .with_iocqes(4);
    assert_eq!(cc.into_bits(), 0x0046_0001);
    assert_eq!(cc.mps_bytes(), 4096);
    let cc = Cc::from_bits(0x0146_4061 | 1 << 14);
    assert!(cc.en());
    assert_eq!(cc.css(), Cc::CSS_ALL_IO);
    assert_eq!(cc.ams(), 0);
    assert_eq!(cc.shn(), Cc::SHN_NORMAL);
    assert_eq!(cc.iosqes(), 6);
    assert_eq!(cc.iocqes(), 4);
    assert!(cc.crime());
    assert_eq!(Cc::new().with_mps(2).into_bits(), 2 << 7);
    assert_eq!(Cc::new().with_ams(0b111).into_bits(), 0b111 << 11);

    let csts = Csts::from_bits(0b111_1011);
    assert!(csts.rdy());
    assert!(csts.cfs());
    assert_eq!(csts.shst(), Csts::SHST_COMPLETE);
    assert!(csts.nssro());
    assert!(csts.pp());
    assert!(csts.st());
    assert_eq!(Csts::from_bits(0b0100).shst(), Csts::SHST_OCCURRING);
}

#[test]
fn aqa_cmbloc_cmbsz() {
    let aqa = Aqa::new().with_asqs_z(31).with_acqs_z(63);
    assert_eq!(aqa.into_bits(), 63 << 16 | 31);
    assert_eq!(Aqa::from_bits(0x0fff_0fff).asqs_z(), 0xfff);
    assert_eq!(Aqa::from_bits(0x0fff_0fff).acqs_z(), 0xfff);

    // QEMU's CMB: BAR 2, offset 0; 64 MiB in 1 MiB units, SQS/CQS/LISTS/RDS/WDS.
    let cmbloc = Cmbloc::from_bits(2 | 1 << 12);
    assert_eq!(cmbloc.bir(), 2);
    assert_eq!(cmbloc.ofst(), 1);
    let cmbsz = Cmbsz::from_bits(0b1_1111 | 2 << 8 | 64 << 12);
    assert!(cmbsz.sqs() && cmbsz.cqs() && cmbsz.lists() && cmbsz.rds() && cmbsz.wds());
    assert_eq!(cmbsz.szu(), 2);
    assert_eq!(cmbsz.sz(), 64);
    assert_eq!(cmbsz.unit_bytes(), Some(1 << 20));
    assert_eq!(cmbsz.size_bytes(), Some(64 << 20));
    assert_eq!(cmbloc.offset_bytes(cmbsz), Some(1 << 20));
    // Largest unit: 64 GiB.
    assert_eq!(Cmbsz::new().with_szu(6).unit_bytes(), Some(64 << 30));
    // Reserved unit: no size, no panic.
    assert_eq!(Cmbsz::new().with_szu(7).with_sz(1).size_bytes(), None);
    assert_eq!(cmbloc.offset_bytes(Cmbsz::new().with_szu(15)), None);
}

#[test]
fn register_offsets_and_doorbells() {
    assert_eq!(
        [
            regs::CAP,
            regs::VS,
            regs::INTMS,
            regs::INTMC,
            regs::CC,
            regs::CSTS,
            regs::NSSR,
            regs::AQA,
            regs::ASQ,
            regs::ACQ,
            regs::CMBLOC,
            regs::CMBSZ
        ],
        [0x00, 0x08, 0x0c, 0x10, 0x14, 0x1c, 0x20, 0x24, 0x28, 0x30, 0x38, 0x3c]
    );
    assert_eq!(&regs::NSSR_RESET.to_le_bytes(), b"eMVN");
    assert_eq!(&regs::NSSR_RESET.to_be_bytes(), b"NVMe");

    assert_eq!(doorbell_offset(0, false, 0), 0x1000);
    assert_eq!(doorbell_offset(0, true, 0), 0x1004);
    assert_eq!(doorbell_offset(1, false, 0), 0x1008);
    assert_eq!(doorbell_offset(1, true, 0), 0x100c);
    assert_eq!(doorbell_offset(3, true, 2), 0x1000 + 7 * 16);
    assert_eq!(
        doorbell_offset(u16::MAX, true, 15),
        0x1000 + (2 * 65535 + 1) * (4 << 15)
    );
    // Bits above the 4-bit DSTRD field are ignored rather than overflowing.
    assert_eq!(
        doorbell_offset(1, false, 0x10),
        doorbell_offset(1, false, 0)
    );
}

#[test]
fn register_snapshot_layout() {
    let mut b = [0u8; 0x40];
    b[0..8].copy_from_slice(&(0x7ffu64 | 0xf << 24).to_le_bytes());
    b[8..12].copy_from_slice(&0x0001_0400u32.to_le_bytes());
    b[0x14..0x18].copy_from_slice(&0x0046_0001u32.to_le_bytes());
    b[0x1c..0x20].copy_from_slice(&1u32.to_le_bytes());
    b[0x24..0x28].copy_from_slice(&0x001f_001fu32.to_le_bytes());
    b[0x28..0x30].copy_from_slice(&0x1234_5000u64.to_le_bytes());
    b[0x30..0x38].copy_from_slice(&0x1234_6000u64.to_le_bytes());
    b[0x3c..0x40].copy_from_slice(&0x0004_0001u32.to_le_bytes());
    let r = Registers::read_from_bytes(&b).unwrap();
    assert_eq!(r.cap.mqes_z(), 0x7ff);
    assert_eq!(r.cap.timeout_ms(), 7500);
    assert_eq!(r.vs.to_string(), "1.4.0");
    assert!(r.cc.en());
    assert_eq!(r.cc.iosqes(), 6);
    assert!(r.csts.rdy());
    assert_eq!(r.aqa.asqs_z(), 31);
    assert_eq!(r.aqa.acqs_z(), 31);
    assert_eq!(r.asq, 0x1234_5000);
    assert_eq!(r.acq, 0x1234_6000);
    assert!(r.cmbsz.sqs());
    assert_eq!(r.cmbsz.sz(), 64);
    assert_eq!(r.as_bytes(), &b[..]);
}
