//! Golden bytes for every admin command builder.
//!
//! Each expectation is written as (byte offset, bytes) following the field
//! offsets of the Linux kernel's wire structs in `include/linux/nvme.h`
//! (`struct nvme_identify`, `nvme_get_log_page_command`, `nvme_features`,
//! `nvme_create_cq`, `nvme_create_sq`, `nvme_delete_queue`, `nvme_abort_cmd`,
//! `nvme_download_firmware`, `nvme_format_cmd`, `nvme_dbbuf`,
//! `nvme_directive_cmd`, `nvmf_auth_send_command` for the security layout),
//! or the specification's dword figures where the kernel names no field.
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
    let parsed = Command::read_from_bytes(&want).unwrap();
    assert_eq!(parsed, cmd.sqe);
}

fn admin(cmd: &Cmd, dir: DataDir, xfer: Xfer) {
    assert_eq!(cmd.queue, QueueKind::Admin);
    assert_eq!(cmd.dir, dir);
    assert_eq!(cmd.xfer, xfer);
}

#[test]
fn identify() {
    // struct nvme_identify: cns@40 ctrlid@42 cnssid@44 csi@47.
    let c = Identify::new(Cns::CSI_NAMESPACE, 3)
        .cntid(0x1234)
        .cnssid(0x5678)
        .csi(Csi::ZNS)
        .uidx(0x7f)
        .build();
    check(
        &c,
        &[
            (0, &[0x06]),
            (4, &[3, 0, 0, 0]),
            (40, &[0x05, 0x00, 0x34, 0x12, 0x78, 0x56, 0x00, 0x02]),
            (56, &[0x7f]),
        ],
    );
    admin(&c, DataDir::FromDevice, Xfer::Bytes(4096));
    let c = Identify::controller().build();
    check(&c, &[(0, &[0x06]), (40, &[0x01])]);
    let c = Identify::namespace(1).build();
    check(&c, &[(0, &[0x06]), (4, &[1, 0, 0, 0])]);
    assert_eq!(
        Identify::csi_controller(Csi::ZNS).build(),
        Identify::new(Cns(0x06), 0).csi(Csi(2)).build()
    );
    // CNS 09h/0Ah: NSID 0, the LBA format index in CNSSID (CDW11 bits 15:0),
    // the command set in CSI (CDW11 bits 31:24).
    let c = Identify::ns_user_data_format(5, Csi::NVM).build();
    check(&c, &[(0, &[0x06]), (40, &[0x09]), (44, &[0x05, 0x00])]);
    admin(&c, DataDir::FromDevice, Xfer::Bytes(4096));
    let c = Identify::csi_ns_user_data_format(0x13, Csi::ZNS).build();
    check(
        &c,
        &[(0, &[0x06]), (40, &[0x0a]), (44, &[0x13, 0x00, 0x00, 0x02])],
    );
}

#[test]
fn get_log_page() {
    // struct nvme_get_log_page_command: lid@40 lsp@41 (RAE bit 7) numdl@42
    // numdu@44 lsi@46 lpol@48 lpou@52 (UIDX@56, OT = byte 58 bit 7) csi@59.
    let numd = Numd::from_z(0x0001_0203).unwrap();
    let c = GetLogPage::new(LogId::SMART, numd)
        .nsid(1)
        .lsp(0x7f)
        .rae(true)
        .lsi(0xbeef)
        .lpo(0x1_0000_0200)
        .ot(true)
        .csi(Csi::ZNS)
        .uidx(3)
        .build();
    check(
        &c,
        &[
            (0, &[0x02]),
            (4, &[1, 0, 0, 0]),
            (40, &[0x02, 0xff, 0x03, 0x02, 0x01, 0x00, 0xef, 0xbe]),
            (48, &[0x00, 0x02, 0, 0, 1, 0, 0, 0]),
            (56, &[3, 0, 0x80, 2]),
        ],
    );
    admin(&c, DataDir::FromDevice, Xfer::Bytes(0x1_0204 * 4));

    // Controller-scope default NSID, 512 bytes: NUMD 127.
    let c = GetLogPage::new(LogId::SMART, Numd::BYTES_512).build();
    check(
        &c,
        &[
            (0, &[0x02]),
            (4, &[0xff; 4]),
            (40, &[0x02, 0x00, 0x7f, 0x00]),
        ],
    );
    admin(&c, DataDir::FromDevice, Xfer::Bytes(512));
}

#[test]
fn set_features() {
    // struct nvme_features: fid@40 (SV = bit 31) dword11@44 .. dword15@60.
    let c = SetFeatures::new(FeatureId::ARBITRATION, 0x1122_3344)
        .sv(true)
        .cdw12(5)
        .cdw13(6)
        .cdw14(7)
        .cdw15(9)
        .build();
    check(
        &c,
        &[
            (0, &[0x09]),
            (40, &[0x01, 0, 0, 0x80]),
            (44, &[0x44, 0x33, 0x22, 0x11]),
            (48, &[5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 9, 0, 0, 0]),
        ],
    );
    admin(&c, DataDir::None, Xfer::None);

    let c = SetFeatures::num_queues(3, 4).build();
    check(&c, &[(0, &[0x09]), (40, &[0x07]), (44, &[3, 0, 4, 0])]);
    let done = Completion::from_result(0x0007_0005, Status::SUCCESS);
    assert_eq!(SetFeatures::queues_allocated(&done), (5, 7));

    let c = SetFeatures::volatile_wc(true).nsid(1).build();
    check(
        &c,
        &[(0, &[0x09]), (4, &[1, 0, 0, 0]), (40, &[0x06]), (44, &[1])],
    );

    let c = SetFeatures::timestamp().build();
    check(&c, &[(0, &[0x09]), (40, &[0x0e])]);
    admin(&c, DataDir::ToDevice, Xfer::Bytes(8));

    let c = SetFeatures::kato(5000).build();
    check(&c, &[(0, &[0x09]), (40, &[0x0f]), (44, &[0x88, 0x13])]);

    // Data lengths: known structures, never less than known, caller's for unknown.
    let len = |c: Cmd| c.xfer;
    assert_eq!(
        len(SetFeatures::new(FeatureId::LBA_RANGE_TYPE, 0).build()),
        Xfer::Bytes(4096)
    );
    assert_eq!(
        len(SetFeatures::new(FeatureId::AUTO_PST, 1).build()),
        Xfer::Bytes(256)
    );
    assert_eq!(
        len(SetFeatures::new(FeatureId::HOST_BEHAVIOR, 0).build()),
        Xfer::Bytes(512)
    );
    assert_eq!(
        len(SetFeatures::new(FeatureId::HOST_ID, 0).build()),
        Xfer::Bytes(8)
    );
    assert_eq!(
        len(SetFeatures::new(FeatureId::HOST_ID, 1).build()),
        Xfer::Bytes(16)
    );
    assert_eq!(
        len(SetFeatures::new(FeatureId::HOST_MEM_BUF, 1).build()),
        Xfer::None
    );
    assert_eq!(
        len(SetFeatures::new(FeatureId::AUTO_PST, 1).data_len(8).build()),
        Xfer::Bytes(256)
    );
    assert_eq!(
        len(SetFeatures::new(FeatureId(0xc1), 0).data_len(100).build()),
        Xfer::Bytes(100)
    );
}

#[test]
fn get_features() {
    // fid@40, SEL = bits 10:8 (byte 41 bits 2:0).
    let c = GetFeatures::new(FeatureId::LBA_RANGE_TYPE)
        .sel(Sel::Saved)
        .nsid(1)
        .uidx(1)
        .build();
    check(
        &c,
        &[
            (0, &[0x0a]),
            (4, &[1, 0, 0, 0]),
            (40, &[0x03, 0x02]),
            (56, &[1]),
        ],
    );
    admin(&c, DataDir::FromDevice, Xfer::Bytes(4096));

    let c = GetFeatures::new(FeatureId::IRQ_CONFIG).cdw11(4).build();
    check(&c, &[(0, &[0x0a]), (40, &[0x09]), (44, &[4])]);
    admin(&c, DataDir::None, Xfer::None);

    let c = GetFeatures::new(FeatureId::HOST_ID).cdw11(1).build();
    admin(&c, DataDir::FromDevice, Xfer::Bytes(16));
    let c = GetFeatures::new(FeatureId::HOST_MEM_BUF).build();
    admin(&c, DataDir::FromDevice, Xfer::Bytes(4096));
    let c = GetFeatures::new(FeatureId::TIMESTAMP)
        .sel(Sel::Supported)
        .build();
    check(&c, &[(0, &[0x0a]), (40, &[0x0e, 0x03])]);
    admin(&c, DataDir::None, Xfer::None);
}

#[test]
fn create_io_cq() {
    // struct nvme_create_cq: prp1@24 cqid@40 qsize@42 cq_flags@44
    // (NVME_QUEUE_PHYS_CONTIG 1<<0, NVME_CQ_IRQ_ENABLED 1<<1) irq_vector@46.
    let c = CreateIoCq::new(1, 1023)
        .irq(5)
        .prp1(0x1122_3344_5566_7000)
        .build();
    check(
        &c,
        &[
            (0, &[0x05]),
            (24, &[0x00, 0x70, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]),
            (40, &[1, 0, 0xff, 0x03, 0x03, 0, 5, 0]),
        ],
    );
    admin(&c, DataDir::None, Xfer::None);
    let c = CreateIoCq::new(2, 15).pc(false).build();
    check(&c, &[(0, &[0x05]), (40, &[2, 0, 15, 0])]);
}

#[test]
fn create_io_sq() {
    // struct nvme_create_sq: prp1@24 sqid@40 qsize@42 sq_flags@44
    // (PC 1<<0, NVME_SQ_PRIO_LOW 3<<1) cqid@46; NVMSETID = cdw12 15:0.
    let c = CreateIoSq::new(2, 63, 1)
        .qprio(QueuePriority::Low)
        .nvmsetid(7)
        .prp1(0x2000)
        .build();
    check(
        &c,
        &[
            (0, &[0x01]),
            (24, &[0x00, 0x20, 0, 0, 0, 0, 0, 0]),
            (40, &[2, 0, 63, 0, 0x07, 0, 1, 0]),
            (48, &[7, 0]),
        ],
    );
    admin(&c, DataDir::None, Xfer::None);
}

#[test]
fn delete_queues() {
    // struct nvme_delete_queue: qid@40.
    let c = DeleteIoSq::new(0x1234).build();
    check(&c, &[(0, &[0x00]), (40, &[0x34, 0x12])]);
    admin(&c, DataDir::None, Xfer::None);
    let c = DeleteIoCq::new(3).build();
    check(&c, &[(0, &[0x04]), (40, &[3, 0])]);
    admin(&c, DataDir::None, Xfer::None);
}

#[test]
fn abort() {
    // struct nvme_abort_cmd: sqid@40 cid@42.
    let c = Abort::new(1, 0xabcd).build();
    check(&c, &[(0, &[0x08]), (40, &[1, 0, 0xcd, 0xab])]);
    admin(&c, DataDir::None, Xfer::None);
    assert!(Abort::aborted(&Completion::from_result(0, Status::SUCCESS)));
    assert!(!Abort::aborted(&Completion::from_result(
        1,
        Status::SUCCESS
    )));
}

#[test]
fn async_event_request() {
    let c = AsyncEventRequest::new().build();
    check(&c, &[(0, &[0x0c])]);
    admin(&c, DataDir::None, Xfer::None);
    // AET 2 (notice), AEI 0 (namespace attribute changed), LID 04h.
    let e = AsyncEventRequest::event(&Completion::from_result(0x0004_0002, Status::SUCCESS));
    assert_eq!(
        (e.aet(), e.aei(), e.lid()),
        (AsyncEventType::NOTICE, 0, LogId::CHANGED_NS)
    );
}

#[test]
fn namespace_management() {
    let c = NsManagement::create(Csi::ZNS).build();
    check(&c, &[(0, &[0x0d]), (44, &[0, 0, 0, 2])]);
    admin(&c, DataDir::ToDevice, Xfer::Bytes(4096));
    let c = NsManagement::delete(5).build();
    check(&c, &[(0, &[0x0d]), (4, &[5, 0, 0, 0]), (40, &[1])]);
    admin(&c, DataDir::None, Xfer::None);
    let done = Completion::from_result(9, Status::SUCCESS);
    assert_eq!(NsManagement::created_nsid(&done), 9);
}

#[test]
fn namespace_attachment() {
    let c = NsAttachment::attach(1).build();
    check(&c, &[(0, &[0x15]), (4, &[1, 0, 0, 0])]);
    admin(&c, DataDir::ToDevice, Xfer::Bytes(4096));
    let c = NsAttachment::detach(1).build();
    check(&c, &[(0, &[0x15]), (4, &[1, 0, 0, 0]), (40, &[1])]);
    admin(&c, DataDir::ToDevice, Xfer::Bytes(4096));
}

#[test]
fn firmware_commit() {
    // FS 2:0, CA 5:3 (NVME_FWACT_REPL_ACTV = 1<<3), BPID 31.
    let c = FirmwareCommit::new(2, CommitAction::ReplaceAndActivate)
        .bpid(true)
        .build();
    check(&c, &[(0, &[0x10]), (40, &[0x0a, 0, 0, 0x80])]);
    admin(&c, DataDir::None, Xfer::None);
    let c = FirmwareCommit::new(9, CommitAction::ActivateBootPartition).build();
    check(&c, &[(0, &[0x10]), (40, &[0x39])]);
}

#[test]
fn firmware_download() {
    // struct nvme_download_firmware: numd@40 offset@44.
    let c = FirmwareDownload::new(Numd::from_bytes(4096).unwrap(), 0x400).build();
    check(
        &c,
        &[(0, &[0x11]), (40, &[0xff, 0x03, 0, 0, 0, 0x04, 0, 0])],
    );
    admin(&c, DataDir::ToDevice, Xfer::Bytes(4096));
}

#[test]
fn device_self_test() {
    let c = DeviceSelfTest::new(0xffff_ffff, SelfTestCode::EXTENDED).build();
    check(&c, &[(0, &[0x14]), (4, &[0xff; 4]), (40, &[2])]);
    admin(&c, DataDir::None, Xfer::None);
    let c = DeviceSelfTest::new(1, SelfTestCode::ABORT).build();
    check(&c, &[(0, &[0x14]), (4, &[1, 0, 0, 0]), (40, &[0x0f])]);
}

#[test]
fn keep_alive() {
    let c = KeepAlive::new().build();
    check(&c, &[(0, &[0x18])]);
    admin(&c, DataDir::None, Xfer::None);
}

#[test]
fn directives() {
    // struct nvme_directive_cmd: numd@40 doper@44 dtype@45 dspec@46 endir@48 tdtype@49.
    let c = Directive::enable(1, DirectiveType::STREAMS, true).build();
    check(
        &c,
        &[
            (0, &[0x19]),
            (4, &[1, 0, 0, 0]),
            (44, &[0x01, 0x00]),
            (48, &[1, 1]),
        ],
    );
    admin(&c, DataDir::None, Xfer::None);

    let c = Directive::receive(1, DirectiveType::STREAMS, 0x01)
        .dspec(0x55)
        .data(Numd::from_bytes(32).unwrap())
        .build();
    check(
        &c,
        &[
            (0, &[0x1a]),
            (4, &[1, 0, 0, 0]),
            (40, &[7, 0, 0, 0, 0x01, 0x01, 0x55, 0x00]),
        ],
    );
    admin(&c, DataDir::FromDevice, Xfer::Bytes(32));

    let c = Directive::identify_params(1).build();
    check(
        &c,
        &[
            (0, &[0x1a]),
            (4, &[1, 0, 0, 0]),
            (40, &[0xff, 0x03, 0, 0, 0x01]),
        ],
    );
    admin(&c, DataDir::FromDevice, Xfer::Bytes(4096));

    // Release Identifier: a send with no data.
    let c = Directive::send(1, DirectiveType::STREAMS, 0x01)
        .dspec(3)
        .build();
    check(&c, &[(0, &[0x19]), (4, &[1, 0, 0, 0]), (44, &[1, 1, 3, 0])]);
    admin(&c, DataDir::None, Xfer::None);
}

#[test]
fn virtualization_management() {
    // ACT 3:0, RT 10:8, CNTLID 31:16; NR = cdw11 15:0.
    let c = VirtMgmt::new(
        VirtAction::SecondaryAssign {
            rt: ResourceType::Vi,
            nr: 4,
        },
        0x12,
    )
    .build();
    check(&c, &[(0, &[0x1c]), (40, &[0x08, 0x01, 0x12, 0x00, 4, 0])]);
    admin(&c, DataDir::None, Xfer::None);
    let c = VirtMgmt::new(VirtAction::SecondaryOnline, 3).build();
    check(&c, &[(0, &[0x1c]), (40, &[0x09, 0x00, 3, 0])]);
}

#[test]
fn doorbell_buffer_config() {
    // struct nvme_dbbuf: prp1@24 prp2@32.
    let c = DoorbellBufferConfig::new(0x1000, 0x2000).build();
    check(
        &c,
        &[(0, &[0x7c]), (24, &[0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20])],
    );
    admin(&c, DataDir::None, Xfer::None);
}

#[test]
fn format_nvm() {
    // LBAFL 3:0, MSET 4, PI 7:5, PIL 8, SES 11:9, LBAFU 13:12; format 18 = 0x12.
    let c = FormatNvm::new(1, 0x12)
        .mset(true)
        .pi(ProtectionType::Type1)
        .pil(true)
        .ses(SecureErase::UserData)
        .build();
    check(&c, &[(0, &[0x80]), (4, &[1, 0, 0, 0]), (40, &[0x32, 0x13])]);
    admin(&c, DataDir::None, Xfer::None);
    let c = FormatNvm::new(1, 0)
        .ses(SecureErase::Cryptographic)
        .pi(ProtectionType::Type3)
        .build();
    check(&c, &[(0, &[0x80]), (4, &[1, 0, 0, 0]), (40, &[0x60, 0x04])]);
}

#[test]
fn security_send_receive() {
    // nvmf_auth_send_command's layout: NSSF@40 spsp0@41 spsp1@42 secp@43 tl@44.
    let c = Security::send(0xea, 0x1234, 512).nssf(1).build();
    check(
        &c,
        &[
            (0, &[0x81]),
            (40, &[0x01, 0x34, 0x12, 0xea, 0x00, 0x02, 0, 0]),
        ],
    );
    admin(&c, DataDir::ToDevice, Xfer::Bytes(512));
    let c = Security::receive(0x01, 0x0001, 2048).nsid(1).build();
    check(
        &c,
        &[
            (0, &[0x82]),
            (4, &[1, 0, 0, 0]),
            (40, &[0, 0x01, 0, 0x01, 0, 0x08, 0, 0]),
        ],
    );
    admin(&c, DataDir::FromDevice, Xfer::Bytes(2048));
    let c = Security::receive(0, 0, 0).build();
    admin(&c, DataDir::None, Xfer::None);
}

#[test]
fn sanitize() {
    // SANACT 2:0, AUSE 3, OWPASS 7:4, OIPBP 8, NDAS 9; OVRPAT = cdw11.
    let c = Sanitize::new(SanitizeAction::Overwrite {
        owpass: 3,
        oipbp: true,
        ovrpat: 0xa5a5_a5a5,
    })
    .ause(true)
    .ndas(true)
    .build();
    check(
        &c,
        &[
            (0, &[0x84]),
            (40, &[0x3b, 0x03, 0, 0, 0xa5, 0xa5, 0xa5, 0xa5]),
        ],
    );
    admin(&c, DataDir::None, Xfer::None);
    for (a, v) in [
        (SanitizeAction::ExitFailureMode, 1),
        (SanitizeAction::BlockErase, 2),
        (SanitizeAction::CryptoErase, 4),
    ] {
        check(&Sanitize::new(a).build(), &[(0, &[0x84]), (40, &[v])]);
    }
}

#[test]
fn get_lba_status() {
    // SLBA cdw10/11, MNDW cdw12, RL cdw13 15:0, ATYPE cdw13 31:24.
    let c = GetLbaStatus::new(
        1,
        0x1_0000_0100,
        Numd::from_z(15).unwrap(),
        LbaStatusAtype::SCAN_UNTRACKED,
    )
    .rl(8)
    .build();
    check(
        &c,
        &[
            (0, &[0x86]),
            (4, &[1, 0, 0, 0]),
            (40, &[0x00, 0x01, 0, 0, 1, 0, 0, 0]),
            (48, &[15, 0, 0, 0, 8, 0, 0, 0x10]),
        ],
    );
    admin(&c, DataDir::FromDevice, Xfer::Bytes(64));
}

#[test]
fn numd_bounds() {
    assert_eq!(Numd::from_bytes(0), None);
    assert_eq!(Numd::from_bytes(6), None);
    assert_eq!(Numd::from_bytes(4).unwrap().z(), 0);
    assert_eq!(Numd::from_z(Numd::MAX_Z).unwrap().bytes(), u32::MAX - 3);
    assert_eq!(Numd::from_z(Numd::MAX_Z + 1), None);
    assert_eq!(Numd::BYTES_4096.bytes(), 4096);
    assert_eq!(Numd::BYTES_512.dwords(), 128);
}
