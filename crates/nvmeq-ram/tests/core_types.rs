//! The ram controller against nvmeq-core's own builders and layouts: what a
//! host using the library sees (the other tests decode bytes by hand).

use nvmeq_core::cmd::{
    Cns, Compare, CopyFormat, CopyRanges, Dsm, GetLogPage, Identify, LogId, Numd, Read, Verify,
    Write, WriteZeroes,
};
use nvmeq_core::identify::{
    ns_descriptors, oncs, Csi, IdentifyController, IdentifyNamespace, Nidt, NsList,
};
use nvmeq_core::log::{ErrorLogEntry, FwSlotLog, SmartLog};
use nvmeq_core::ranges::{CopySourceRangeFormat0, DsmRange};
use nvmeq_core::{Backend, Cmd, Data, Error, Sct};
use nvmeq_ram::{RamConfig, RamController};
use zerocopy::{FromBytes, IntoBytes};

fn ctrl(size: u64, lba: u32) -> RamController {
    RamController::new(RamConfig::new(size, lba)).unwrap()
}

fn fetch(c: &mut RamController, cmd: &Cmd, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    c.execute(cmd, Data::FromDevice(&mut b)).unwrap();
    b
}

fn log(c: &mut RamController, lid: LogId, len: u32) -> Vec<u8> {
    let cmd = GetLogPage::new(lid, Numd::from_bytes(len).unwrap()).build();
    fetch(c, &cmd, len as usize)
}

#[test]
fn identify_controller_parses_with_the_core_layout() {
    let mut c = ctrl(1 << 30, 512);
    let b = fetch(&mut c, &Identify::controller().build(), 4096);
    let id = IdentifyController::read_from_bytes(&b).unwrap();
    assert_eq!(id.mn(), Some("nvmeq ram controller"));
    assert_eq!(id.sn(), Some("nvmeq-ram-0001"));
    assert_eq!(id.fr(), Some("1.0"));
    assert_eq!(id.ver.to_string(), "2.0.0");
    assert_eq!(id.mdts_bytes(4096), Some(512 << 10));
    assert_eq!(id.mdts_bytes(4096), Some(c.caps().max_xfer as u64));
    assert_eq!((id.sqe_size(), id.cqe_size()), (64, 16));
    assert_eq!(id.nn, 1);
    assert!(id.supports(oncs::COMPARE | oncs::DSM | oncs::WRITE_ZEROES | oncs::VERIFY | oncs::COPY));
    assert!(!id.supports(oncs::WRITE_UNCORRECTABLE));
    assert!(id.subnqn().unwrap().starts_with("nqn."));
}

#[test]
fn identify_namespace_and_lists_parse_with_the_core_layouts() {
    let mut cfg = RamConfig::new(256 << 20, 4096);
    cfg.nn = 2;
    let mut c = RamController::new(cfg).unwrap();
    let b = fetch(&mut c, &Identify::namespace(2).build(), 4096);
    let ns = IdentifyNamespace::read_from_bytes(&b).unwrap();
    assert_eq!(ns.nsze, (256 << 20) / 4096);
    assert_eq!(ns.lba_size(), Some(4096));
    assert_eq!(ns.metadata_size(), 0);
    assert_eq!(ns.lba_format_count(), 1);
    assert!(!ns.thin_provisioned());
    let b = fetch(&mut c, &Identify::active_ns_list(0).build(), 4096);
    let list = NsList::read_from_bytes(&b).unwrap();
    assert_eq!(list.ids().collect::<Vec<_>>(), [1, 2]);
    let b = fetch(&mut c, &Identify::new(Cns::NS_DESCRIPTORS, 2).build(), 4096);
    let descs: Vec<_> = ns_descriptors(&b).collect();
    assert_eq!(descs.len(), 2, "{descs:?}");
    let d0 = descs[0].as_ref().unwrap();
    assert_eq!((d0.nidt, d0.nid), (Nidt::NGUID, &ns.nguid[..]));
    let d1 = descs[1].as_ref().unwrap();
    assert_eq!((d1.nidt, d1.nid), (Nidt::CSI, &[Csi::NVM.0][..]));
}

#[test]
fn core_builders_drive_every_nvm_command() {
    let mut c = ctrl(16 << 20, 512);
    let data = vec![0x3cu8; 16 * 512];
    c.execute(&Write::new(1, 0, 15).build(), Data::ToDevice(&data))
        .unwrap();
    c.execute(&Compare::new(1, 0, 15).build(), Data::ToDevice(&data))
        .unwrap();
    c.execute(&Verify::new(1, 0, 15).build(), Data::None)
        .unwrap();
    // Copy blocks 0..16 to 100..116.
    let ranges = [CopySourceRangeFormat0::new(0, 16).unwrap()];
    let copy = CopyRanges::new(1, 100, 0, CopyFormat::Format0).build();
    c.execute(&copy, Data::ToDevice(ranges.as_bytes())).unwrap();
    let back = fetch(&mut c, &Read::new(1, 100, 15).build(), 16 * 512);
    assert_eq!(back, data);
    // Deallocate 2..4 and Write Zeroes 10..12: both read back as zeroes.
    let r = [DsmRange::new(2, 2)];
    c.execute(&Dsm::deallocate(1, 0).build(), Data::ToDevice(r.as_bytes()))
        .unwrap();
    c.execute(&WriteZeroes::new(1, 10, 1).deac(true).build(), Data::None)
        .unwrap();
    let back = fetch(&mut c, &Read::new(1, 0, 15).build(), 16 * 512);
    for blk in 0..16 {
        let zero = (2..4).contains(&blk) || (10..12).contains(&blk);
        let want = if zero { 0 } else { 0x3c };
        assert!(
            back[blk * 512..(blk + 1) * 512].iter().all(|&b| b == want),
            "block {blk}"
        );
    }
    // A mismatching Compare is a media error, Compare Failure.
    match c.execute(&Compare::new(1, 0, 15).build(), Data::ToDevice(&data)) {
        Err(Error::Status(s)) => {
            assert_eq!((s.sct(), s.sc()), (Sct::MEDIA, 0x85));
            assert_eq!(s.to_string(), "Compare Failure (sct 0x2, sc 0x85)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn logs_parse_with_the_core_layouts() {
    let mut c = ctrl(16 << 20, 512);
    c.execute(
        &Write::new(1, 0, 1999).build(),
        Data::ToDevice(&vec![1; 2000 * 512]),
    )
    .unwrap_err(); // above MDTS (512 KiB): Invalid Field in Command
    c.execute(
        &Write::new(1, 0, 999).build(),
        Data::ToDevice(&vec![1; 1000 * 512]),
    )
    .unwrap();
    let smart = SmartLog::read_from_bytes(&log(&mut c, LogId::SMART, 512)).unwrap();
    assert_eq!(smart.data_units_written.get(), 1);
    assert_eq!(smart.bytes_written(), 512_000);
    assert_eq!(smart.host_writes.get(), 1);
    assert_eq!(smart.num_err_log_entries.get(), 1);
    assert_eq!(smart.temperature_celsius(), 300 - 273);
    let errors = log(&mut c, LogId::ERROR, 4096);
    let e = ErrorLogEntry::read_from_bytes(&errors[..64]).unwrap();
    assert_eq!(e.error_count, 1);
    assert_eq!(e.opc, 0x01, "the failed command was a Write");
    assert_eq!((e.status().sct(), e.status().sc()), (Sct::GENERIC, 0x02));
    assert!(ErrorLogEntry::read_from_bytes(&errors[64..128])
        .unwrap()
        .is_empty());
    let fw = FwSlotLog::read_from_bytes(&log(&mut c, LogId::FW_SLOT, 512)).unwrap();
    assert_eq!(fw.active_slot(), 1);
    assert_eq!(fw.next_slot(), None);
    assert_eq!(fw.frs(1), Some("1.0"));
}
