//! Namespace Management and Attachment on the ram controller: capacity
//! accounting, the attach state, the Identify lists that follow it, the
//! Changed Attached Namespace List, and every refusal's status.

mod common;
use common::*;
use nvmeq_core::cmd::{NsAttachment, NsManagement};
use nvmeq_core::identify::{ControllerList, Csi, IdentifyNamespace};
use nvmeq_core::{Backend, Data};
use nvmeq_ram::{RamConfig, RamController};
use zerocopy::{FromZeros, IntoBytes};

const MIB: u64 = 1 << 20;

/// 2 namespaces of 4 MiB, 512-byte blocks, 16 MiB in all, NN 4.
fn mgmt_ctrl() -> RamController {
    let mut cfg = RamConfig::new(4 * MIB, 512);
    cfg.nn = 2;
    cfg.capacity = Some(16 * MIB);
    cfg.max_nn = Some(4);
    RamController::new(cfg).unwrap()
}

fn host(nsze: u64) -> IdentifyNamespace {
    let mut h = IdentifyNamespace::new_zeroed();
    h.nsze = nsze;
    h.ncap = nsze;
    h
}

fn create(c: &mut RamController, h: &IdentifyNamespace) -> Result<u32, (u8, u8)> {
    c.execute(
        &NsManagement::create(Csi::NVM).build(),
        Data::ToDevice(h.as_bytes()),
    )
    .map(|cqe| NsManagement::created_nsid(&cqe))
    .map_err(|e| sct_sc(status_of::<()>(Err(e))))
}

fn delete(c: &mut RamController, nsid: u32) -> Result<(), (u8, u8)> {
    c.execute(&NsManagement::delete(nsid).build(), Data::None)
        .map(|_| ())
        .map_err(|e| sct_sc(status_of::<()>(Err(e))))
}

fn ctrl_list(ids: &[u16]) -> ControllerList {
    let mut l = ControllerList::new_zeroed();
    l.num = ids.len() as u16;
    l.ids[..ids.len()].copy_from_slice(ids);
    l
}

fn attach(c: &mut RamController, nsid: u32, on: bool, ids: &[u16]) -> Result<(), (u8, u8)> {
    let cmd = if on {
        NsAttachment::attach(nsid)
    } else {
        NsAttachment::detach(nsid)
    };
    c.execute(&cmd.build(), Data::ToDevice(ctrl_list(ids).as_bytes()))
        .map(|_| ())
        .map_err(|e| sct_sc(status_of::<()>(Err(e))))
}

fn id_ctrl(c: &mut RamController) -> Vec<u8> {
    run_in(c, &identify(0x01, 0), 4096).unwrap()
}

fn list(c: &mut RamController, cns: u8) -> Vec<u32> {
    let l = run_in(c, &identify(cns, 0), 4096).unwrap();
    (0..1024)
        .map(|i| u32_at(&l, 4 * i))
        .take_while(|&n| n != 0)
        .collect()
}

fn changed(c: &mut RamController) -> Vec<u32> {
    let l = run_in(c, &get_log(0x04, 0, 4096, 0), 4096).unwrap();
    (0..1024)
        .map(|i| u32_at(&l, 4 * i))
        .take_while(|&n| n != 0)
        .collect()
}

#[test]
fn identify_controller_reports_management_and_capacity() {
    let mut c = mgmt_ctrl();
    let id = id_ctrl(&mut c);
    assert_ne!(u16_at(&id, 256) & 1 << 3, 0, "OACS bit 3");
    assert_eq!(u128_at(&id, 280), (16 * MIB) as u128, "tnvmcap");
    assert_eq!(u128_at(&id, 296), (8 * MIB) as u128, "unvmcap");
    assert_eq!(u32_at(&id, 516), 4, "nn");
}

#[test]
fn lifecycle_create_attach_io_detach_delete() {
    let mut c = mgmt_ctrl();
    let nsid = create(&mut c, &host(2 * MIB / 512)).unwrap();
    assert_eq!(nsid, 3, "first free NSID");
    assert_eq!(u128_at(&id_ctrl(&mut c), 296), (6 * MIB) as u128, "unvmcap");
    // Allocated, not active.
    assert_eq!(list(&mut c, 0x02), [1, 2]);
    assert_eq!(list(&mut c, 0x10), [1, 2, 3]);
    let id = run_in(&mut c, &identify(0x00, 3), 4096).unwrap();
    assert!(id.iter().all(|&b| b == 0), "inactive NSID reads as zeroes");
    let id = run_in(&mut c, &identify(0x11, 3), 4096).unwrap();
    assert_eq!(u64_at(&id, 0), 4096, "allocated nsze");
    assert_eq!(u128_at(&id, 48), (2 * MIB) as u128, "nvmcap");
    let l = run_in(&mut c, &identify(0x12, 3), 4096).unwrap();
    assert_eq!(u16_at(&l, 0), 0, "attached to no controller");
    // Detached: I/O is refused with Invalid Namespace or Format.
    let mut buf = vec![0u8; 512];
    let s = status_of(c.execute(&read(3, 0, 1), Data::FromDevice(&mut buf)));
    assert_eq!(sct_sc(s), (0, 0x0b));
    assert!(
        changed(&mut c).is_empty(),
        "create changes no attached namespace"
    );

    attach(&mut c, 3, true, &[1]).unwrap();
    assert_eq!(list(&mut c, 0x02), [1, 2, 3]);
    let l = run_in(&mut c, &identify(0x12, 3), 4096).unwrap();
    assert_eq!((u16_at(&l, 0), u16_at(&l, 2)), (1, 1), "controller 1");
    assert_eq!(changed(&mut c), [3]);
    assert!(changed(&mut c).is_empty(), "reading clears the list");
    let data = vec![0x5a; 512];
    c.execute(&write(3, 7, 1), Data::ToDevice(&data)).unwrap();
    c.execute(&read(3, 7, 1), Data::FromDevice(&mut buf))
        .unwrap();
    assert_eq!(buf, data);
    let s = status_of(c.execute(&read(3, 4096, 1), Data::FromDevice(&mut buf)));
    assert_eq!(sct_sc(s), (0, 0x80), "LBA Out of Range past NSZE");

    attach(&mut c, 3, false, &[1]).unwrap();
    assert_eq!(list(&mut c, 0x02), [1, 2]);
    delete(&mut c, 3).unwrap();
    assert_eq!(list(&mut c, 0x10), [1, 2]);
    assert_eq!(
        u128_at(&id_ctrl(&mut c), 296),
        (8 * MIB) as u128,
        "capacity back"
    );
    assert_eq!(changed(&mut c), [3]);
    // A new namespace in the same NSID starts as zeroes.
    assert_eq!(create(&mut c, &host(8)).unwrap(), 3);
    attach(&mut c, 3, true, &[1]).unwrap();
    c.execute(&read(3, 7, 1), Data::FromDevice(&mut buf))
        .unwrap();
    assert!(buf.iter().all(|&b| b == 0));
}

#[test]
fn create_refusals_name_the_reason() {
    let mut c = mgmt_ctrl();
    let blocks = |bytes: u64| bytes / 512;
    assert_eq!(
        create(&mut c, &host(blocks(8 * MIB) + 1)),
        Err((1, 0x15)),
        "insufficient capacity"
    );
    assert_eq!(create(&mut c, &host(0)), Err((0, 0x02)), "nsze 0");
    let mut h = host(8);
    h.ncap = 4;
    assert_eq!(create(&mut c, &h), Err((1, 0x1b)), "thin provisioning");
    h.ncap = 9;
    assert_eq!(create(&mut c, &h), Err((0, 0x02)), "ncap above nsze");
    let mut h = host(8);
    h.flbas = 1;
    assert_eq!(
        create(&mut c, &h),
        Err((1, 0x0a)),
        "format 1 does not exist"
    );
    let mut h = host(8);
    h.dps = 1;
    assert_eq!(create(&mut c, &h), Err((0, 0x02)), "no PI on this format");
    for f in [
        |h: &mut IdentifyNamespace| h.nmic = 1,
        |h: &mut IdentifyNamespace| h.anagrpid = 1,
        |h: &mut IdentifyNamespace| h.nvmsetid = 1,
        |h: &mut IdentifyNamespace| h.endgid = 1,
    ] {
        let mut h = host(8);
        f(&mut h);
        assert_eq!(create(&mut c, &h), Err((0, 0x02)));
    }
    let s = status_of(c.execute(
        &NsManagement::create(Csi::ZNS).build(),
        Data::ToDevice(host(8).as_bytes()),
    ));
    assert_eq!(sct_sc(s), (1, 0x29), "I/O Command Set Not Supported");
    // NN 4: two more fit, the third has no NSID.
    assert_eq!(create(&mut c, &host(8)), Ok(3));
    assert_eq!(create(&mut c, &host(8)), Ok(4));
    assert_eq!(create(&mut c, &host(8)), Err((1, 0x16)), "NSID unavailable");
}

#[test]
fn default_controller_has_no_room_but_can_delete_and_recreate() {
    let mut c = ctrl(4 * MIB, 512);
    assert_eq!(u128_at(&id_ctrl(&mut c), 296), 0, "unvmcap");
    assert_eq!(create(&mut c, &host(8)), Err((1, 0x15)));
    delete(&mut c, 1).unwrap();
    assert_eq!(list(&mut c, 0x02), Vec::<u32>::new());
    assert_eq!(create(&mut c, &host(4 * MIB / 512)), Ok(1));
}

#[test]
fn delete_and_attach_refusals() {
    let mut c = mgmt_ctrl();
    assert_eq!(delete(&mut c, 3), Err((0, 0x02)), "unallocated");
    assert_eq!(delete(&mut c, 5), Err((0, 0x0b)), "above NN");
    assert_eq!(delete(&mut c, 0), Err((0, 0x0b)));
    assert_eq!(
        attach(&mut c, 1, true, &[1]),
        Err((1, 0x18)),
        "already attached"
    );
    assert_eq!(attach(&mut c, 3, true, &[1]), Err((0, 0x02)), "unallocated");
    assert_eq!(attach(&mut c, 5, true, &[1]), Err((0, 0x0b)));
    assert_eq!(attach(&mut c, 0xffff_ffff, true, &[1]), Err((0, 0x02)));
    assert_eq!(
        attach(&mut c, 1, false, &[2]),
        Err((1, 0x1c)),
        "no controller 2"
    );
    assert_eq!(attach(&mut c, 1, false, &[]), Err((1, 0x1c)), "empty list");
    assert_eq!(attach(&mut c, 1, false, &[1, 1]), Err((1, 0x1c)));
    attach(&mut c, 1, false, &[1]).unwrap();
    assert_eq!(
        attach(&mut c, 1, false, &[1]),
        Err((1, 0x1a)),
        "not attached"
    );
    // Delete all: both namespaces, capacity all free; only the attached
    // one (2) joins the changed list besides the detach of 1.
    delete(&mut c, 0xffff_ffff).unwrap();
    assert_eq!(list(&mut c, 0x10), Vec::<u32>::new());
    assert_eq!(u128_at(&id_ctrl(&mut c), 296), (16 * MIB) as u128);
    assert_eq!(changed(&mut c), [1, 2]);
}

#[test]
fn effects_log_lists_namespace_commands() {
    let mut c = mgmt_ctrl();
    let l = run_in(&mut c, &get_log(0x05, 0, 4096, 0), 4096).unwrap();
    let nm = u32_at(&l, 0x0d * 4);
    let na = u32_at(&l, 0x15 * 4);
    assert_eq!(nm & 1, 1, "Namespace Management supported");
    assert_ne!(nm & 1 << 3, 0, "NIC: namespace inventory changes");
    assert_eq!(na & 1, 1, "Namespace Attachment supported");
    assert_ne!(na & 1 << 3, 0);
}
