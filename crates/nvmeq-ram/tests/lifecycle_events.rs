//! The Persistent Event Log records the ram controller's lifecycle: a
//! firmware commit, a namespace created and deleted, and a sanitize's start
//! and completion, each with the data the spec's event layout names.

mod common;
use common::*;
use nvmeq_core::cmd::{
    CommitAction, FirmwareCommit, FirmwareDownload, NsManagement, Numd, Sanitize, SanitizeAction,
};
use nvmeq_core::identify::{Csi, IdentifyNamespace};
use nvmeq_core::log::{
    pel_events, ChangeNsEvent, FwCommitEvent, PelEventType, PelHeader, SanitizeCompletionEvent,
    SanitizeStartEvent,
};
use nvmeq_core::{Backend, Data};
use nvmeq_ram::{RamConfig, RamController};
use zerocopy::{FromBytes, FromZeros, IntoBytes};

fn establish_and_read(c: &mut RamController) -> Vec<u8> {
    let mut est = get_log(0x0d, 0, 512, 0);
    est.sqe.cdw10 |= 1 << 8; // LSP 01b: establish context and read
    let h = PelHeader::read_from_bytes(&run_in(c, &est, 512).unwrap()[..]).unwrap();
    for t in [
        PelEventType::FW_COMMIT,
        PelEventType::CHANGE_NS,
        PelEventType::SANITIZE_START,
        PelEventType::SANITIZE_COMPLETION,
    ] {
        assert!(h.supports(t), "{t:?} not in the Supported Events Bitmap");
    }
    let tll = h.tll.get() as usize;
    let mut log = run_in(
        c,
        &get_log(0x0d, 0, tll.next_multiple_of(4) as u32, 0),
        tll.next_multiple_of(4),
    )
    .unwrap();
    log.truncate(tll);
    log
}

#[test]
fn firmware_commit_namespace_changes_and_sanitize_are_recorded() {
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.capacity = Some(4 << 20);
    cfg.max_nn = Some(2);
    let mut c = RamController::new(cfg).unwrap();
    let mut img = vec![0x5a; 4096];
    img[..8].copy_from_slice(b"NEWFW1.0");
    c.execute(
        &FirmwareDownload::new(Numd::from_bytes(4096).unwrap(), 0).build(),
        Data::ToDevice(&img),
    )
    .unwrap();
    c.execute(
        &FirmwareCommit::new(2, CommitAction::ReplaceAndActivateNow).build(),
        Data::None,
    )
    .unwrap();
    let mut host = IdentifyNamespace::new_zeroed();
    (host.nsze, host.ncap) = (1024, 1024);
    let cqe = c
        .execute(
            &NsManagement::create(Csi::NVM).build(),
            Data::ToDevice(host.as_bytes()),
        )
        .unwrap();
    let nsid = NsManagement::created_nsid(&cqe);
    c.execute(&NsManagement::delete(nsid).build(), Data::None)
        .unwrap();
    c.execute(
        &Sanitize::new(SanitizeAction::BlockErase).build(),
        Data::None,
    )
    .unwrap();

    let log = establish_and_read(&mut c);
    let ev: Vec<_> = pel_events(&log).collect();
    let types: Vec<_> = ev.iter().map(|e| e.header.event_type()).collect();
    assert_eq!(
        types,
        [
            PelEventType::POWER_ON_RESET,
            PelEventType::FW_COMMIT,
            PelEventType::CHANGE_NS,
            PelEventType::CHANGE_NS,
            PelEventType::SANITIZE_START,
            PelEventType::SANITIZE_COMPLETION,
        ]
    );
    let fw = FwCommitEvent::read_from_prefix(ev[1].event_data())
        .unwrap()
        .0;
    assert_eq!(&fw.new_fw_rev, b"NEWFW1.0");
    assert_ne!(fw.old_fw_rev, fw.new_fw_rev);
    assert_eq!((fw.fw_commit_action, fw.fw_slot), (3, 2));
    let created = ChangeNsEvent::read_from_prefix(ev[2].event_data())
        .unwrap()
        .0;
    assert_eq!(
        (
            created.nsmgt_cdw10.get() & 0xf,
            created.nsze.get(),
            created.nsid.get()
        ),
        (0, 1024, nsid)
    );
    let deleted = ChangeNsEvent::read_from_prefix(ev[3].event_data())
        .unwrap()
        .0;
    assert_eq!(
        (deleted.nsmgt_cdw10.get() & 0xf, deleted.nsid.get()),
        (1, nsid)
    );
    let start = SanitizeStartEvent::read_from_prefix(ev[4].event_data())
        .unwrap()
        .0;
    assert_eq!(start.sani_cdw10.get() & 7, 2, "SANACT block erase");
    let done = SanitizeCompletionEvent::read_from_prefix(ev[5].event_data())
        .unwrap()
        .0;
    assert_eq!(done.sani_prog.get(), 0xffff, "SPROG: complete");
    assert_eq!(done.sani_status.get() & 7, 1, "SOS: completed successfully");
}
