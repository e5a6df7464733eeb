//! Golden bytes for Capacity Management, Lockdown, I/O Management
//! Receive/Send and the named Streams directive operations. Offsets follow
//! the specification's dword figures (Base spec 2.0; libnvme builds the same
//! dwords). Unlisted bytes must be zero.

use nvmeq_core::cmd::*;
use nvmeq_core::{Cmd, DataDir, QueueKind, Xfer};
use zerocopy::IntoBytes;

fn bytes(cmd: &Cmd, fields: &[(usize, &[u8])], queue: QueueKind, dir: DataDir, xfer: Xfer) {
    let mut want = [0u8; 64];
    for &(off, b) in fields {
        want[off..off + b.len()].copy_from_slice(b);
    }
    assert_eq!(cmd.sqe.as_bytes(), &want[..], "{cmd:?}");
    assert_eq!(cmd.queue, queue);
    assert_eq!(cmd.dir, dir);
    assert_eq!(cmd.xfer, xfer);
}

/// [`bytes`], and the decoder a passthrough uses agrees on the transfer.
fn check(cmd: &Cmd, fields: &[(usize, &[u8])], queue: QueueKind, dir: DataDir, xfer: Xfer) {
    bytes(cmd, fields, queue, dir, xfer);
    assert_eq!(Cmd::from_sqe(queue, cmd.sqe).map(|c| c.xfer), Some(xfer));
}

#[test]
fn capacity_management() {
    let c = CapacityMgmt::new(CapacityOperation::CREATE_NVMSET, 0x0102)
        .capacity(0x1_2345_6789)
        .build();
    let f: &[(usize, &[u8])] = &[
        (0, &[0x20]),
        (40, &[0x03, 0, 0x02, 0x01]),
        (44, &[0x89, 0x67, 0x45, 0x23]),
        (48, &[1, 0, 0, 0]),
    ];
    check(&c, f, QueueKind::Admin, DataDir::None, Xfer::None);
}

#[test]
fn lockdown() {
    // SCP 3:0, PRHBT 4, IFC 6:5, OFI 15:8; UUID index cdw14 6:0.
    let c = Lockdown::new(
        LockdownScope::FEATURE_ID,
        0x06,
        LockdownInterface::ADMIN_AND_OOB,
        true,
    )
    .uidx(0xff)
    .build();
    let f: &[(usize, &[u8])] = &[(0, &[0x24]), (40, &[0x32, 0x06]), (56, &[0x7f])];
    check(&c, f, QueueKind::Admin, DataDir::None, Xfer::None);
}

#[test]
fn io_management() {
    let c = IoMgmtRecv::ruh_status(1, Numd::BYTES_4096)
        .mos(0x0a0b)
        .build();
    let f: &[(usize, &[u8])] = &[
        (0, &[0x12]),
        (4, &[1, 0, 0, 0]),
        (40, &[0x01, 0, 0x0b, 0x0a]),
        (44, &[0xff, 0x03]),
    ];
    check(&c, f, QueueKind::Io, DataDir::FromDevice, Xfer::Bytes(4096));

    let c = IoMgmtSend::ruh_update(2, 3).unwrap().build();
    let f: &[(usize, &[u8])] = &[(0, &[0x1d]), (4, &[2, 0, 0, 0]), (40, &[0x01, 0, 2, 0])];
    check(&c, f, QueueKind::Io, DataDir::ToDevice, Xfer::Bytes(6));
    assert!(IoMgmtSend::ruh_update(2, 0).is_none());
    assert!(IoMgmtSend::ruh_update(2, (1 << 16) + 1).is_none());
    assert!(IoMgmtSend::ruh_update(2, 1 << 16).is_some());
    // The update's transfer follows MOS, not the length asked for.
    let c = IoMgmtSend::new(2, IoMgmtSendOp::RUH_UPDATE, 3, 2).build();
    assert_eq!(c.xfer, Xfer::Bytes(8));
    let c = IoMgmtSend::new(2, IoMgmtSendOp::NONE, 3, 0).build();
    assert_eq!(c.xfer, Xfer::None);
}

#[test]
fn streams_operations() {
    // numd@40 doper@44 dtype@45 dspec@46, cdw12@48.
    let c = Directive::streams_params(1).build();
    let f: &[(usize, &[u8])] = &[(0, &[0x1a]), (4, &[1, 0, 0, 0]), (40, &[7, 0, 0, 0, 1, 1])];
    check(
        &c,
        f,
        QueueKind::Admin,
        DataDir::FromDevice,
        Xfer::Bytes(32),
    );

    let c = Directive::streams_status(1, Numd::from_bytes(64).unwrap()).build();
    let f: &[(usize, &[u8])] = &[(0, &[0x1a]), (4, &[1, 0, 0, 0]), (40, &[15, 0, 0, 0, 2, 1])];
    check(
        &c,
        f,
        QueueKind::Admin,
        DataDir::FromDevice,
        Xfer::Bytes(64),
    );

    // No-data operations: NUMD 0 decodes as 4 bytes (over-covering), so
    // only the builder's bytes are compared.
    let c = Directive::streams_allocate(1, 0x0102).build();
    let f: &[(usize, &[u8])] = &[
        (0, &[0x1a]),
        (4, &[1, 0, 0, 0]),
        (44, &[3, 1]),
        (48, &[2, 1]),
    ];
    bytes(&c, f, QueueKind::Admin, DataDir::None, Xfer::None);

    let c = Directive::streams_release_id(1, 9).build();
    let f: &[(usize, &[u8])] = &[(0, &[0x19]), (4, &[1, 0, 0, 0]), (44, &[1, 1, 9, 0])];
    bytes(&c, f, QueueKind::Admin, DataDir::None, Xfer::None);

    let c = Directive::streams_release_resources(1).build();
    let f: &[(usize, &[u8])] = &[(0, &[0x19]), (4, &[1, 0, 0, 0]), (44, &[2, 1])];
    bytes(&c, f, QueueKind::Admin, DataDir::None, Xfer::None);
}
