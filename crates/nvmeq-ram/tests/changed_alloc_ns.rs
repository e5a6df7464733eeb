//! The Changed Allocated Namespace List (LID 1Ch) on the ram controller:
//! a create or a delete lists the NSID, a read clears the list unless it
//! retains the event, and the pages ram has no feature for (16h–19h) are
//! refused with Invalid Log Page.

mod common;
use common::*;
use nvmeq_core::cmd::NsManagement;
use nvmeq_core::identify::{Csi, IdentifyNamespace};
use nvmeq_core::{Backend, Data};
use nvmeq_ram::{RamConfig, RamController};
use zerocopy::{FromZeros, IntoBytes};

const MIB: u64 = 1 << 20;

fn changed_alloc(c: &mut RamController, rae: bool) -> Vec<u32> {
    let mut cmd = get_log(0x1c, 0xffff_ffff, 4096, 0);
    if rae {
        cmd.sqe.cdw10 |= 1 << 15;
    }
    let l = run_in(c, &cmd, 4096).unwrap();
    (0..1024)
        .map(|i| u32_at(&l, 4 * i))
        .take_while(|&n| n != 0)
        .collect()
}

#[test]
fn create_and_delete_list_the_nsid_until_read() {
    let mut cfg = RamConfig::new(4 * MIB, 512);
    cfg.nn = 2;
    cfg.capacity = Some(16 * MIB);
    cfg.max_nn = Some(4);
    let mut c = RamController::new(cfg).unwrap();
    assert!(
        changed_alloc(&mut c, false).is_empty(),
        "nothing changed yet"
    );
    let mut h = IdentifyNamespace::new_zeroed();
    h.nsze = 8;
    h.ncap = 8;
    let cqe = c
        .execute(
            &NsManagement::create(Csi::NVM).build(),
            Data::ToDevice(h.as_bytes()),
        )
        .unwrap();
    assert_eq!(NsManagement::created_nsid(&cqe), 3);
    assert_eq!(changed_alloc(&mut c, true), [3], "retained");
    assert_eq!(changed_alloc(&mut c, false), [3]);
    assert!(changed_alloc(&mut c, false).is_empty(), "reading clears it");
    // Deleting an attached namespace changes both lists; the attached one
    // is read separately and is not cleared by this page.
    c.execute(&NsManagement::delete(1).build(), Data::None)
        .unwrap();
    c.execute(&NsManagement::delete(3).build(), Data::None)
        .unwrap();
    assert_eq!(changed_alloc(&mut c, false), [1, 3]);
    let l = run_in(&mut c, &get_log(0x04, 0xffff_ffff, 4096, 0), 4096).unwrap();
    assert_eq!((u32_at(&l, 0), u32_at(&l, 4)), (1, 0));
}

#[test]
fn pages_without_their_feature_are_invalid_log_pages() {
    let mut c = ctrl(64 << 20, 512);
    for lid in [0x16, 0x17, 0x18, 0x19] {
        let r = run_in(&mut c, &get_log(lid, 0xffff_ffff, 512, 0), 512);
        assert_eq!(sct_sc(status_of(r)), (1, 0x09), "LID {lid:#x}");
    }
}
