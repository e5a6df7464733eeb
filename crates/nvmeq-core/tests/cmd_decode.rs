//! `Cmd::from_sqe` infers from a raw entry the same queue, direction and
//! transfer the builders give, so raw passthrough can be checked like a
//! built command.

use nvmeq_core::cmd::*;
use nvmeq_core::{Cmd, Command, DataDir, QueueKind, Xfer};
use proptest::prelude::*;

fn every_builder() -> Vec<Cmd> {
    let n = Numd::from_bytes(256).unwrap();
    vec![
        Identify::controller().build(),
        Identify::csi_namespace(1, Csi::ZNS).build(),
        GetLogPage::new(LogId::SMART, Numd::BYTES_512).build(),
        GetLogPage::new(LogId::ERROR, Numd::from_z(0x12345).unwrap()).build(),
        Abort::new(1, 2).build(),
        AsyncEventRequest::new().build(),
        NsManagement::create(Csi::NVM).build(),
        NsManagement::delete(1).build(),
        NsAttachment::attach(1).build(),
        NsAttachment::detach(1).build(),
        FirmwareCommit::new(1, CommitAction::Activate).build(),
        FirmwareDownload::new(n, 0).build(),
        DeviceSelfTest::new(1, SelfTestCode::SHORT).build(),
        KeepAlive::new().build(),
        Directive::identify_params(1).build(),
        Directive::receive(1, DirectiveType::STREAMS, 1)
            .data(n)
            .build(),
        VirtMgmt::new(VirtAction::SecondaryOffline, 1).build(),
        DoorbellBufferConfig::new(0x1000, 0x2000).build(),
        FormatNvm::new(1, 0).build(),
        Security::send(1, 0, 512).build(),
        Security::receive(1, 0, 0).build(),
        Sanitize::new(SanitizeAction::BlockErase).build(),
        GetLbaStatus::new(1, 0, n, LbaStatusAtype::TRACKED).build(),
        SetFeatures::num_queues(1, 1).build(),
        SetFeatures::timestamp().build(),
        SetFeatures::new(FeatureId::HOST_ID, 1).build(),
        GetFeatures::new(FeatureId::LBA_RANGE_TYPE).build(),
        GetFeatures::new(FeatureId::HOST_MEM_BUF).build(),
        GetFeatures::new(FeatureId::AUTO_PST)
            .sel(Sel::Supported)
            .build(),
        CreateIoCq::new(1, 63).build(),
        CreateIoSq::new(1, 63, 1).build(),
        DeleteIoSq::new(1).build(),
        DeleteIoCq::new(1).build(),
        Read::new(1, 0, 7).build(),
        Write::new(1, 0, 0xffff).build(),
        Compare::new(1, 0, 3).build(),
        Verify::new(1, 0, 3).build(),
        WriteZeroes::new(1, 0, 3).deac(true).build(),
        WriteUncorrectable::new(1, 0, 3).build(),
        Flush::new(1).build(),
        Dsm::deallocate(1, 9).build(),
        CopyRanges::new(1, 0, 3, CopyFormat::Format0).build(),
        CopyRanges::new(1, 0, 3, CopyFormat::Format1).build(),
        ReservationRegister::new(1, RegisterAction::Register).build(),
        ReservationAcquire::new(1, AcquireAction::Acquire, ReservationType::WriteExclusive).build(),
        ReservationRelease::new(1, ReleaseAction::Release, ReservationType::WriteExclusive).build(),
        ReservationReport::new(1, n).build(),
        ZoneMgmtSend::reset(2, 0).build(),
        ZoneMgmtSend::new(2, 0, ZoneSendAction::SET_ZDE).build(),
        ZoneMgmtRecv::new(2, 0, n).build(),
        ZoneAppend::new(2, 0, 7).build(),
    ]
}

#[test]
fn raw_entries_decode_to_what_the_builders_made() {
    for c in every_builder() {
        assert_eq!(Cmd::from_sqe(c.queue, c.sqe), Some(c), "{c}");
    }
}

#[test]
fn decoding_over_covers_where_the_entry_cannot_say() {
    // The extension size is the namespace's: assume the largest.
    let c = ZoneMgmtSend::set_zde(2, 0, 2).build();
    assert_eq!(c.xfer, Xfer::Bytes(128));
    let d = Cmd::from_sqe(QueueKind::Io, c.sqe).unwrap();
    assert_eq!((d.dir, d.xfer), (DataDir::ToDevice, Xfer::Bytes(255 * 64)));
    // A directive operation without data still has a NUMD field of 0.
    let c = Directive::send(1, DirectiveType::STREAMS, 1).build();
    assert_eq!(c.xfer, Xfer::None);
    assert_eq!(
        Cmd::from_sqe(QueueKind::Admin, c.sqe).unwrap().xfer,
        Xfer::Bytes(4)
    );
}

#[test]
fn undecidable_entries_are_refused() {
    let raw = |opc: u8| Command::new(opc, 1);
    assert_eq!(Cmd::from_sqe(QueueKind::Admin, raw(0xc0)), None); // vendor specific
    assert_eq!(Cmd::from_sqe(QueueKind::Admin, raw(0x1d)), None); // NVMe-MI Send
    assert_eq!(Cmd::from_sqe(QueueKind::Io, raw(0x80)), None);
    let mut s = raw(0x09); // Set Features of an unknown FID
    s.cdw10 = 0xc5;
    assert_eq!(Cmd::from_sqe(QueueKind::Admin, s), None);
    let mut s = raw(0x02); // Get Log Page of 16 GiB
    s.cdw10 = 0xffff_0002;
    s.cdw11 = 0xffff;
    assert_eq!(Cmd::from_sqe(QueueKind::Admin, s), None);
    let mut s = raw(0x19); // Copy with descriptor format 5
    s.cdw12 = 5 << 8;
    assert_eq!(Cmd::from_sqe(QueueKind::Io, s), None);
    let mut s = raw(0x0d); // Namespace Management with SEL 2
    s.cdw10 = 2;
    assert_eq!(Cmd::from_sqe(QueueKind::Admin, s), None);
}

#[test]
fn queue_decides_the_opcode_set() {
    // 02h is Get Log Page on the admin queue and Read on an I/O queue.
    let mut s = Command::new(0x02, 1);
    s.cdw12 = 7;
    assert_eq!(
        Cmd::from_sqe(QueueKind::Io, s).unwrap().xfer,
        Xfer::Blocks(8)
    );
    assert_eq!(
        Cmd::from_sqe(QueueKind::Admin, s).unwrap().xfer,
        Xfer::Bytes(4)
    );
}

proptest! {
    #[test]
    fn rw_decode_matches(slba: u64, nlb_z: u16, fua: bool, nr_z: u8, numd_z in 0u32..=Numd::MAX_Z) {
        let n = Numd::from_z(numd_z).unwrap();
        for c in [
            Read::new(1, slba, nlb_z).fua(fua).build(),
            Write::new(1, slba, nlb_z).fua(fua).build(),
            ZoneAppend::new(1, slba, nlb_z).build(),
            Dsm::new(1, nr_z).build(),
            GetLogPage::new(LogId(nr_z), n).build(),
            ZoneMgmtRecv::new(1, slba, n).build(),
        ] {
            prop_assert_eq!(Cmd::from_sqe(c.queue, c.sqe), Some(c));
        }
    }
}
