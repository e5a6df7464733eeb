//! Firmware slots on the ram controller: download in pieces at FWUG
//! offsets, commit actions 0 to 3 with their slot and image checks, and the
//! Firmware Slot Information log and Identify Controller FR that follow.

mod common;
use common::*;
use nvmeq_core::cmd::{CommitAction, FirmwareCommit, FirmwareDownload, Numd};
use nvmeq_core::{Backend, Data};
use nvmeq_ram::RamController;

fn download(c: &mut RamController, img: &[u8], ofst_dw: u32) -> Result<(), (u8, u8)> {
    let numd = Numd::from_bytes(img.len() as u32).unwrap();
    c.execute(
        &FirmwareDownload::new(numd, ofst_dw).build(),
        Data::ToDevice(img),
    )
    .map(|_| ())
    .map_err(|e| sct_sc(status_of::<()>(Err(e))))
}

fn commit(c: &mut RamController, fs: u8, ca: CommitAction) -> Result<(), (u8, u8)> {
    c.execute(&FirmwareCommit::new(fs, ca).build(), Data::None)
        .map(|_| ())
        .map_err(|e| sct_sc(status_of::<()>(Err(e))))
}

/// The slot log: AFI and the seven revisions.
fn slots(c: &mut RamController) -> (u8, Vec<String>) {
    let p = run_in(c, &get_log(0x03, 0, 512, 0), 512).unwrap();
    let frs = (0..7)
        .map(|i| {
            String::from_utf8_lossy(&p[8 + 8 * i..16 + 8 * i])
                .trim_end_matches([' ', '\0'])
                .to_string()
        })
        .collect();
    (p[0], frs)
}

fn fr(c: &mut RamController) -> String {
    let id = run_in(c, &identify(0x01, 0), 4096).unwrap();
    String::from_utf8_lossy(&id[64..72]).trim_end().to_string()
}

/// An image of `len` bytes whose revision is `rev`.
fn image(rev: &[u8; 8], len: usize) -> Vec<u8> {
    let mut v = vec![0x5a; len];
    v[..8].copy_from_slice(rev);
    v
}

#[test]
fn identify_reports_slots_granularity_and_firmware_commands() {
    let mut c = ctrl(1 << 20, 512);
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    assert_ne!(u16_at(&id, 256) & 1 << 2, 0, "OACS bit 2");
    assert_eq!(
        id[260],
        1 | 3 << 1 | 1 << 4,
        "FRMW: slot 1 RO, 3 slots, no-reset activation"
    );
    assert_eq!(id[319], 1, "FWUG: 4 KiB");
    assert_eq!(
        slots(&mut c),
        (
            1,
            vec![
                "1.0".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into(),
                "".into()
            ]
        )
    );
}

#[test]
fn download_commit_and_activate() {
    let mut c = ctrl(1 << 20, 512);
    let img = image(b"2.0-rc1 ", 12288);
    // Three pieces; the last is not a whole granule, which is allowed.
    download(&mut c, &img[..4096], 0).unwrap();
    download(&mut c, &img[4096..8192], 1024).unwrap();
    download(&mut c, &img[8192..10000], 2048).unwrap();
    // Replace slot 2, activate at reset: the running revision stays.
    commit(&mut c, 2, CommitAction::ReplaceAndActivate).unwrap();
    let (afi, frs) = slots(&mut c);
    assert_eq!(afi, 1 | 2 << 4, "active 1, next 2");
    assert_eq!(frs[1], "2.0-rc1");
    assert_eq!(fr(&mut c), "1.0");
    // The staged image was consumed.
    assert_eq!(commit(&mut c, 3, CommitAction::Replace), Err((1, 0x07)));
    // Replace slot 3 and activate now: FR changes, nothing pending.
    download(&mut c, &image(b"3.0     ", 4096), 0).unwrap();
    commit(&mut c, 3, CommitAction::ReplaceAndActivateNow).unwrap();
    assert_eq!(fr(&mut c), "3.0");
    let (afi, frs) = slots(&mut c);
    assert_eq!(afi, 3);
    assert_eq!(&frs[..3], ["1.0", "2.0-rc1", "3.0"]);
    // Activate slot 1 again at the next reset.
    commit(&mut c, 1, CommitAction::Activate).unwrap();
    assert_eq!(slots(&mut c).0, 3 | 1 << 4);
    // FS 0: the controller picks a writable slot that is not running (2).
    download(&mut c, &image(b"4.0     ", 4096), 0).unwrap();
    commit(&mut c, 0, CommitAction::Replace).unwrap();
    assert_eq!(slots(&mut c).1[1], "4.0");
}

#[test]
fn refusals_name_the_reason() {
    let mut c = ctrl(1 << 20, 512);
    let img = image(b"2.0     ", 8192);
    assert_eq!(
        download(&mut c, &img[..4096], 1),
        Err((0, 0x02)),
        "offset off the granularity"
    );
    download(&mut c, &img, 0).unwrap();
    assert_eq!(
        download(&mut c, &img[..4096], 1024),
        Err((1, 0x14)),
        "Overlapping Range"
    );
    assert_eq!(
        download(&mut c, &img[..4096], (1 << 20) / 4),
        Err((0, 0x02)),
        "past the largest image"
    );
    assert_eq!(
        commit(&mut c, 1, CommitAction::Replace),
        Err((1, 0x06)),
        "slot 1 is read-only"
    );
    assert_eq!(
        commit(&mut c, 4, CommitAction::Replace),
        Err((1, 0x06)),
        "3 slots"
    );
    assert_eq!(
        commit(&mut c, 3, CommitAction::Activate),
        Err((1, 0x07)),
        "empty slot"
    );
    assert_eq!(
        commit(&mut c, 1, CommitAction::ReplaceBootPartition),
        Err((0, 0x02)),
        "no boot partitions"
    );
    // Not an image of this controller: its revision is not printable.
    let mut c = ctrl(1 << 20, 512);
    download(&mut c, &[0u8; 4096], 0).unwrap();
    assert_eq!(commit(&mut c, 2, CommitAction::Replace), Err((1, 0x07)));
    assert_eq!(slots(&mut c).0, 1, "nothing changed");
}
