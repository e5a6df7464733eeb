//! The command and identify side of end-to-end protection: tag dwords in
//! Read/Write, the CNS 05h builder and the NVM Identify Namespace layout.

use nvmeq_core::cmd::{Identify, Prinfo, Read, Write};
use nvmeq_core::identify::{Elbaf, IdentifyNamespace, IdentifyNamespaceNvm};
use nvmeq_core::pi::{Pi, PiLocation, PiType, Pif, Prchk, Tags};
use zerocopy::{FromBytes, FromZeros, IntoBytes};

#[test]
fn pi_tags_land_in_cdw2_cdw3_cdw14_cdw15() {
    let pi = Pi::new(PiType::Type1, Pif::Guard64);
    let tags = Tags::new(0x8765_4321_0fed).with_app(0x1111, 0xff00);
    let cmd = Read::new(1, 0x8765_4321_0fed, 7)
        .prinfo(Prchk::ALL.prinfo())
        .pi_tags(pi.tag_dwords(&tags))
        .build();
    let b = cmd.sqe.as_bytes();
    assert_eq!(b[8..12], [0, 0, 0, 0], "CDW2: no bits above 64");
    assert_eq!(
        b[12..16],
        0x8765u32.to_le_bytes(),
        "CDW3: reference tag bits 47:32"
    );
    assert_eq!(b[56..60], 0x4321_0fedu32.to_le_bytes(), "CDW14");
    assert_eq!(
        b[60..64],
        [0x11, 0x11, 0x00, 0xff],
        "CDW15: LBAT then LBATM"
    );
    assert_eq!(
        (cmd.sqe.cdw12 >> 26) & 0xf,
        0b0111,
        "PRCHK all, PRACT clear"
    );
    assert_eq!(pi.tags_of(&cmd.sqe), tags);

    let w = Write::new(1, 0, 0)
        .prinfo(Prinfo::new().with_pract(true))
        .pi_tags(Pi::new(PiType::Type2, Pif::Guard16).tag_dwords(&Tags::new(5)))
        .build();
    assert_eq!((w.sqe.cdw2, w.sqe.cdw3, w.sqe.cdw14), (0, 0, 5));
    assert_eq!((w.sqe.cdw12 >> 26) & 0xf, 0b1000);
}

#[test]
fn prchk_maps_to_and_from_prinfo() {
    let p = Prinfo::new().with_prchk_guard(true).with_prchk_ref(true);
    let c = Prchk::from_prinfo(p);
    assert!(c.guard() && c.ref_tag() && !c.app_tag());
    assert_eq!(c.prinfo(), p);
    assert_eq!(Prchk::ALL.into_bits(), 0b111);
}

#[test]
fn cns_05h_for_the_nvm_command_set() {
    let cmd = Identify::nvm_namespace(3).build();
    assert_eq!(cmd.sqe.opcode(), 0x06);
    assert_eq!(cmd.sqe.nsid, 3);
    assert_eq!(cmd.sqe.cdw10, 0x05);
    assert_eq!(cmd.sqe.cdw11, 0, "CSI 00h: NVM");
}

#[test]
fn golden_nvm_identify_namespace() {
    let mut page = [0u8; 4096];
    page[..8].copy_from_slice(&0xffffu64.to_le_bytes());
    page[8] = 0b101;
    // ELBAF1: STS 8, PIF 10b (64b guard) = 0x108.
    page[16..20].copy_from_slice(&0x108u32.to_le_bytes());
    let nvm = IdentifyNamespaceNvm::read_from_bytes(&page[..]).unwrap();
    assert_eq!(nvm.lbstm, 0xffff);
    assert_eq!(nvm.pic, 0b101);
    let e = nvm.elbaf(1).unwrap();
    assert_eq!(
        (e.sts(), e.pif(), e.pi_format()),
        (8, 2, Some(Pif::Guard64))
    );
    assert_eq!(nvm.elbaf(0).unwrap().pi_format(), Some(Pif::Guard16));
    assert_eq!(nvm.elbaf(64), None);
    assert_eq!(Elbaf::new().with_pif(1).with_sts(16).into_bits(), 0x90);
    assert_eq!(nvm.as_bytes(), &page[..]);
}

#[test]
fn dpc_and_dps_typed() {
    let mut ns = IdentifyNamespace::new_zeroed();
    ns.dpc = 0b1_1101;
    ns.dps = 0b1011;
    let dpc = ns.dpc_bits();
    assert!(dpc.supports(PiType::Type1) && !dpc.supports(PiType::Type2));
    assert!(dpc.supports(PiType::Type3) && dpc.first() && dpc.last());
    let dps = ns.dps_bits();
    assert_eq!(dps.pi_type(), Some(PiType::Type3));
    assert_eq!(dps.location(), PiLocation::First);
    ns.dps = 0b0110;
    assert_eq!(ns.dps_bits().pi_type(), None, "PIT 6 is reserved");
}
