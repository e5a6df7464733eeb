//! Device self-test on the ram controller: start, progress with commands,
//! result log, abort, the refusals; the log pages that describe what the
//! controller implements (Supported Log Pages, effects, FID effects,
//! sanitize status, changed namespaces); and the Identify structures of its
//! one controller (NVM controller data, controller lists, virtualization
//! capabilities, command set combinations, LBA formats).

mod common;
use common::*;
use nvmeq_core::cmd::{DeviceSelfTest, GetLogPage, Numd, SelfTestCode};
use nvmeq_core::log::{
    CommandEffectsLog, FidEffectsLog, LogId, SanitizeOpStatus, SanitizeStatusLog, SelfTestLog,
    SelfTestOutcome, SupportedLogPages,
};
use nvmeq_core::{AdminOpcode, Backend, Data, NvmOpcode};
use nvmeq_ram::{RamController, EXTENDED_STEPS, SHORT_STEPS};
use zerocopy::FromBytes;

fn dst(c: &mut RamController, nsid: u32, code: SelfTestCode) -> Result<(), nvmeq_core::Error> {
    c.execute(&DeviceSelfTest::new(nsid, code).build(), Data::None)
        .map(|_| ())
}

fn log<T: FromBytes>(c: &mut RamController, lid: LogId, len: usize) -> T {
    let cmd = GetLogPage::new(lid, Numd::from_bytes(len as u32).unwrap()).build();
    T::read_from_bytes(&run_in(c, &cmd, len).unwrap()).unwrap()
}

#[test]
fn a_short_test_progresses_with_commands_and_leaves_its_result() {
    let mut c = ctrl(64 << 20, 512);
    let l: SelfTestLog = log(&mut c, LogId::DEVICE_SELF_TEST, 564);
    assert_eq!(l.current(), None);
    assert_eq!(l.results().count(), 0, "a new controller has no results");

    dst(&mut c, 1, SelfTestCode::SHORT).unwrap();
    // Each command after the start advances the test one step.
    let l: SelfTestLog = log(&mut c, LogId::DEVICE_SELF_TEST, 564);
    assert_eq!(l.current(), Some(SelfTestCode::SHORT));
    assert_eq!(l.percent_complete() as u32, 100 / SHORT_STEPS);
    // A second test while one runs is refused with its own status.
    let s = status_of(dst(&mut c, 1, SelfTestCode::EXTENDED));
    assert_eq!(sct_sc(s), (1, 0x1d));
    let mut last = l.percent_complete();
    for _ in 0..SHORT_STEPS {
        let l: SelfTestLog = log(&mut c, LogId::DEVICE_SELF_TEST, 564);
        if l.current().is_none() {
            break;
        }
        assert!(l.percent_complete() >= last, "progress never goes back");
        last = l.percent_complete();
    }
    let l: SelfTestLog = log(&mut c, LogId::DEVICE_SELF_TEST, 564);
    assert_eq!(l.current(), None, "the short test finished");
    assert_eq!(l.completion, 0);
    let r: Vec<_> = l.results().collect();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].code(), SelfTestCode::SHORT);
    assert_eq!(r[0].outcome(), SelfTestOutcome::NO_ERROR);
    assert_eq!(r[0].vdi, 0, "no failure to locate");
}

#[test]
fn abort_records_an_aborted_result_newest_first() {
    let mut c = ctrl(64 << 20, 512);
    dst(&mut c, u32::MAX, SelfTestCode::EXTENDED).unwrap();
    let l: SelfTestLog = log(&mut c, LogId::DEVICE_SELF_TEST, 564);
    assert_eq!(l.current(), Some(SelfTestCode::EXTENDED));
    assert_eq!(l.percent_complete() as u32, 100 / EXTENDED_STEPS);
    dst(&mut c, u32::MAX, SelfTestCode::ABORT).unwrap();
    // Abort with nothing running is not an error.
    dst(&mut c, u32::MAX, SelfTestCode::ABORT).unwrap();
    dst(&mut c, 0, SelfTestCode::SHORT).unwrap();
    for _ in 0..SHORT_STEPS {
        c.execute(&identify(0x01, 0), Data::FromDevice(&mut [0u8; 4096]))
            .unwrap();
    }
    let l: SelfTestLog = log(&mut c, LogId::DEVICE_SELF_TEST, 564);
    let r: Vec<_> = l.results().map(|r| (r.code(), r.outcome())).collect();
    assert_eq!(
        r,
        [
            (SelfTestCode::SHORT, SelfTestOutcome::NO_ERROR),
            (SelfTestCode::EXTENDED, SelfTestOutcome::ABORTED),
        ]
    );
}

#[test]
fn self_test_refusals_are_decoded_statuses() {
    let mut c = ctrl(64 << 20, 512);
    // Namespace 9 does not exist.
    assert_eq!(
        sct_sc(status_of(dst(&mut c, 9, SelfTestCode::SHORT))),
        (0, 0x0b)
    );
    // Host-Initiated Refresh and vendor specific tests are not implemented.
    for code in [
        SelfTestCode::HOST_REFRESH,
        SelfTestCode::VENDOR,
        SelfTestCode(0),
    ] {
        assert_eq!(
            sct_sc(status_of(dst(&mut c, 1, code))),
            (0, 0x02),
            "{code:?}"
        );
    }
    // Identify says Device Self-test is supported, with an extended test time.
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    assert_ne!(u16_at(&id, 256) & 1 << 4, 0, "oacs self-test");
    assert_ne!(u16_at(&id, 316), 0, "edstt");
}

#[test]
fn supported_log_pages_list_exactly_the_pages_kept() {
    let mut c = ctrl(64 << 20, 512);
    let l: SupportedLogPages = log(&mut c, LogId::SUPPORTED_LOG_PAGES, 1024);
    let ids: Vec<u8> = l.supported().map(|(id, _)| id.0).collect();
    assert_eq!(
        ids,
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0d, 0x0e, 0x12, 0x1c, 0x81]
    );
    for lid in 0..=255u8 {
        let mut cmd = get_log(lid, 0xffff_ffff, 512, 0);
        if lid == 0x0d {
            // The Persistent Event Log is read through a reporting context:
            // Read Log Data without one is out of sequence.
            let r = run_in(&mut c, &cmd, 512);
            assert_eq!(
                sct_sc(status_of(r)),
                (0, 0x0c),
                "PEL read without a context"
            );
            cmd.sqe.cdw10 |= 1 << 8; // Establish Context and Read
        }
        let r = run_in(&mut c, &cmd, 512);
        assert_eq!(
            r.is_ok(),
            ids.contains(&lid),
            "LID {lid:#x}: listed iff readable ({r:?})"
        );
    }
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    assert_eq!(
        id[261] & 0b10_0110,
        0b10_0110,
        "lpa: effects, extended, LID 0"
    );
}

#[test]
fn effects_match_the_commands_executed() {
    let mut c = ctrl(64 << 20, 512);
    let l: CommandEffectsLog = log(&mut c, LogId::CMD_EFFECTS, 4096);
    let admin: Vec<u8> = (0..=255u8).filter(|&o| l.admin(o).csupp()).collect();
    assert_eq!(
        admin,
        [
            0x02, 0x06, 0x09, 0x0a, 0x0d, 0x10, 0x11, 0x14, 0x15, 0x19, 0x1a, 0x81, 0x82, 0x84,
            0x86
        ]
    );
    let io: Vec<u8> = (0..=255u8).filter(|&o| l.io(o).csupp()).collect();
    assert_eq!(io, [0x00, 0x01, 0x02, 0x05, 0x08, 0x09, 0x0c, 0x19]);
    assert!(l.io(NvmOpcode::WRITE.0).lbcc() && !l.io(NvmOpcode::READ.0).lbcc());
    // Every listed admin command executes (no Invalid Command Opcode) and
    // every other one is refused with it.
    for op in 0..=255u8 {
        let mut s = nvmeq_core::Command::new(op, 0);
        s.cdw10 = 0xff; // invalid fields, so no listed command succeeds by accident
        let cmd = nvmeq_core::Cmd::admin(s, nvmeq_core::DataDir::None, nvmeq_core::Xfer::None);
        let r = c.execute(&cmd, Data::None);
        let invalid_op = matches!(r, Err(nvmeq_core::Error::Status(s)) if sct_sc(s) == (0, 0x01));
        assert_eq!(invalid_op, !l.admin(op).csupp(), "{:?}", AdminOpcode(op));
    }
    // Only the NVM Command Set's page exists.
    let zns = GetLogPage::new(LogId::CMD_EFFECTS, Numd::from_bytes(4096).unwrap())
        .csi(nvmeq_core::cmd::Csi::ZNS)
        .build();
    assert_eq!(sct_sc(status_of(run_in(&mut c, &zns, 4096))), (0, 0x02));
}

#[test]
fn fid_effects_sanitize_and_changed_namespaces() {
    let mut c = ctrl(64 << 20, 512);
    let l: FidEffectsLog = log(&mut c, LogId::FID_EFFECTS, 1024);
    let fids: Vec<usize> = (0..256).filter(|&f| l.fids[f].fsupp()).collect();
    assert_eq!(fids, [0x01, 0x06, 0x07]);
    for f in fids {
        // Every FID listed answers Get Features, with the controller scope.
        c.execute(&get_features(f as u8, 0), Data::None).unwrap();
        assert_eq!(l.fids[f].fsp(), nvmeq_core::log::scope::CONTROLLER);
    }
    let s: SanitizeStatusLog = log(&mut c, LogId::SANITIZE, 512);
    assert_eq!(s.sstat.sos(), SanitizeOpStatus::NEVER_SANITIZED);
    assert_eq!(s.sprog, 0xffff);
    assert_eq!(s.eto, 0, "an overwrite completes with its command");
    let ch = run_in(&mut c, &get_log(0x04, 0xffff_ffff, 4096, 0), 4096).unwrap();
    assert!(ch.iter().all(|&b| b == 0), "no namespace changed yet");
}

#[test]
fn identify_structures_of_the_one_controller() {
    use nvmeq_core::cmd::{Cns, Csi, Identify};
    use nvmeq_core::identify::{
        iocsc, ControllerList, IdentifyControllerNvm, IdentifyNamespace, IdentifyNamespaceNvm,
        IoCommandSets, PrimaryControllerCaps, SecondaryControllerList,
    };
    let mut c = ctrl(64 << 20, 4096);
    let mut id = |cmd: Identify| run_in(&mut c, &cmd.build(), 4096);
    let n =
        IdentifyControllerNvm::read_from_bytes(&id(Identify::csi_controller(Csi::NVM)).unwrap())
            .unwrap();
    assert_eq!(n.ver.get(), 0x0001_0000);
    let s = status_of(id(Identify::csi_controller(Csi::ZNS)));
    assert_eq!(sct_sc(s), (0, 0x02), "no ZNS controller structure");
    let l = ControllerList::read_from_bytes(&id(Identify::new(Cns::CONTROLLER_LIST, 0)).unwrap())
        .unwrap();
    assert_eq!(l.ids(), &[1]);
    let l = ControllerList::read_from_bytes(
        &id(Identify::new(Cns::CONTROLLER_LIST, 0).cntid(2)).unwrap(),
    )
    .unwrap();
    assert_eq!(l.ids(), &[] as &[u16], "none from CNTID 2");
    let l =
        ControllerList::read_from_bytes(&id(Identify::new(Cns::NS_CONTROLLER_LIST, 1)).unwrap())
            .unwrap();
    assert_eq!(l.ids(), &[1]);
    let s = status_of(id(Identify::new(Cns::NS_CONTROLLER_LIST, 9)));
    assert_eq!(sct_sc(s), (0, 0x0b));
    let p = PrimaryControllerCaps::read_from_bytes(
        &id(Identify::new(Cns::PRIMARY_CONTROLLER_CAPS, 0)).unwrap(),
    )
    .unwrap();
    assert_eq!((p.cntlid, p.crt), (1, 0));
    let sc = SecondaryControllerList::read_from_bytes(
        &id(Identify::new(Cns::SECONDARY_CONTROLLER_LIST, 0)).unwrap(),
    )
    .unwrap();
    assert_eq!(sc.num, 0);
    let sets = IoCommandSets::read_from_bytes(&id(Identify::new(Cns::IO_COMMAND_SETS, 0)).unwrap())
        .unwrap();
    assert_eq!(sets.iocsc[0], iocsc::NVM);
    assert!(sets.iocsc[1..].iter().all(|&v| v == 0));
    let f = IdentifyNamespace::read_from_bytes(
        &id(Identify::new(Cns::NS_USER_DATA_FORMAT, 0).cnssid(0)).unwrap(),
    )
    .unwrap();
    assert_eq!(f.lbaf[0].lbads(), 12);
    assert_eq!(f.nsze, 0, "a format, not a namespace: no size");
    let s = status_of(id(Identify::new(Cns::NS_USER_DATA_FORMAT, 0).cnssid(1)));
    assert_eq!(sct_sc(s), (0, 0x02), "one LBA format only");
    let f = IdentifyNamespaceNvm::read_from_bytes(
        &id(Identify::csi_ns_user_data_format(0, Csi::NVM)).unwrap(),
    )
    .unwrap();
    assert_eq!(f, IdentifyNamespaceNvm::default(), "format 0 has no PI");
    let s = status_of(id(Identify::csi_ns_user_data_format(1, Csi::NVM)));
    assert_eq!(sct_sc(s), (0, 0x02), "one LBA format only");
    let s = status_of(id(Identify::csi_ns_user_data_format(0, Csi::ZNS)));
    assert_eq!(sct_sc(s), (0, 0x02), "NVM command set only");
    for cns in [
        Cns::UUID_LIST,
        Cns::NVM_SET_LIST,
        Cns::DOMAIN_LIST,
        Cns::NS_GRANULARITY,
    ] {
        assert_eq!(
            sct_sc(status_of(id(Identify::new(cns, 0)))),
            (0, 0x02),
            "{cns:?}"
        );
    }
}
