//! Identify layouts: bytes placed at the spec's offsets decode to the right
//! fields, and encode back to the same bytes.

#![allow(clippy::field_reassign_with_default)] // tests mutate one field at a time

use nvmeq_core::identify::{
    ns_descriptors, oncs, put_spec_str, spec_str, Csi, IdentifyController, IdentifyNamespace,
    IdentifyNamespaceNvm, LbaFormat, Nidt, NsDescriptor, NsDescriptorError, NsList,
};
use zerocopy::{FromBytes, IntoBytes};

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

fn padded<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [b' '; N];
    out[..s.len()].copy_from_slice(s.as_bytes());
    out
}

/// An Identify Controller page shaped like QEMU's hw/nvme controller
/// (facts from its nvme_init_ctrl: Red Hat vendor ID, model "QEMU NVMe Ctrl",
/// QEMU's locally assigned OUI, 64-byte SQEs and 16-byte CQEs, MDTS 7,
/// write zeroes/timestamp in ONCS, SGLs, subsystem NQN "nqn.2019-08.org.qemu:<serial>",
/// power state 0 with MP 0x9c4, ENLAT 0x10, EXLAT 0x4).
fn qemu_like_id_ctrl() -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    put(&mut b, 0, &0x1b36u16.to_le_bytes()); // vid
    put(&mut b, 2, &0x1af4u16.to_le_bytes()); // ssvid
    put(&mut b, 4, &padded::<20>("nvmeqA"));
    put(&mut b, 24, &padded::<40>("QEMU NVMe Ctrl"));
    put(&mut b, 64, &padded::<8>("7.2.0"));
    b[72] = 6; // rab
    put(&mut b, 73, &[0x00, 0x54, 0x52]); // ieee
    b[76] = 0; // cmic
    b[77] = 7; // mdts
    put(&mut b, 78, &0x0001u16.to_le_bytes()); // cntlid
    put(&mut b, 80, &0x0001_0400u32.to_le_bytes()); // ver 1.4
    put(&mut b, 96, &0x8000_0000u32.to_le_bytes()); // ctratt
    put(&mut b, 256, &0x0108u16.to_le_bytes()); // oacs: dbbuf + ns mgmt
    b[258] = 3; // acl
    b[259] = 3; // aerl
    b[262] = 0x3f; // elpe
    b[263] = 0; // npss
    put(&mut b, 266, &343u16.to_le_bytes()); // wctemp
    put(&mut b, 268, &373u16.to_le_bytes()); // cctemp
    put(&mut b, 280, &(1u128 << 40).to_le_bytes()); // tnvmcap
    b[512] = 0x66; // sqes
    b[513] = 0x44; // cqes
    put(&mut b, 516, &256u32.to_le_bytes()); // nn
    put(&mut b, 520, &0x015du16.to_le_bytes()); // oncs
    b[525] = 1; // vwc
    put(&mut b, 536, &0x0000_0001u32.to_le_bytes()); // sgls
    put(&mut b, 768, b"nqn.2019-08.org.qemu:nvmeqA");
    put(&mut b, 2048, &0x9c4u16.to_le_bytes()); // psd0.mp
    put(&mut b, 2052, &0x10u32.to_le_bytes()); // psd0.enlat
    put(&mut b, 2056, &0x4u32.to_le_bytes()); // psd0.exlat
    put(&mut b, 2048 + 31 * 32, &0x1234u16.to_le_bytes()); // psd31.mp
    b[3072] = 0xa5; // vendor specific
    b[4095] = 0x5a;
    b
}

#[test]
fn identify_controller_fields_at_spec_offsets() {
    let bytes = qemu_like_id_ctrl();
    let id = IdentifyController::read_from_bytes(&bytes).unwrap();
    assert_eq!(id.vid, 0x1b36);
    assert_eq!(id.ssvid, 0x1af4);
    assert_eq!(id.sn(), Some("nvmeqA"));
    assert_eq!(id.mn(), Some("QEMU NVMe Ctrl"));
    assert_eq!(id.fr(), Some("7.2.0"));
    assert_eq!(id.rab, 6);
    assert_eq!(id.ieee_oui(), 0x52_54_00);
    assert_eq!(id.mdts, 7);
    assert_eq!(id.cntlid, 1);
    assert_eq!(id.ver.into_bits(), 0x0001_0400);
    assert_eq!(id.ver.to_string(), "1.4.0");
    assert_eq!(id.ctratt, 0x8000_0000);
    assert_eq!(id.oacs, 0x0108);
    assert_eq!(id.acl_z, 3);
    assert_eq!(id.aerl_z, 3);
    assert_eq!(id.elpe_z, 0x3f);
    assert_eq!(id.power_states(), 1);
    assert_eq!(id.wctemp, 343);
    assert_eq!(id.cctemp, 373);
    assert_eq!(id.tnvmcap.get(), 1u128 << 40);
    assert_eq!(id.sqes, 0x66);
    assert_eq!(id.cqes, 0x44);
    assert_eq!(id.sqe_size(), 64);
    assert_eq!(id.cqe_size(), 16);
    assert_eq!(id.nn, 256);
    assert!(id.supports(oncs::WRITE_ZEROES | oncs::DSM | oncs::COPY));
    assert!(!id.supports(oncs::WRITE_UNCORRECTABLE));
    assert_eq!(id.vwc, 1);
    assert!(id.sgl_supported());
    assert_eq!(id.subnqn(), Some("nqn.2019-08.org.qemu:nvmeqA"));
    assert_eq!(id.psd[0].mp, 0x9c4);
    assert_eq!(id.psd[0].enlat, 0x10);
    assert_eq!(id.psd[0].exlat, 0x4);
    assert_eq!(id.psd[0].max_power_uw(), 0x9c4 * 10_000);
    assert_eq!(id.psd[31].mp, 0x1234);
    assert_eq!(id.vs[0], 0xa5);
    assert_eq!(id.vs[1023], 0x5a);
    // 2^7 pages of 4 KiB.
    assert_eq!(id.mdts_bytes(4096), Some(512 * 1024));

    // Emit: the same bytes come back.
    assert_eq!(id.as_bytes(), &bytes[..]);
}

#[test]
fn identify_controller_borrows_from_aligned_buffer() {
    // A u64-backed buffer is 8-byte aligned, which is what ref_from_bytes needs.
    let bytes = qemu_like_id_ctrl();
    let mut words = [0u64; 512];
    words.as_mut_bytes().copy_from_slice(&bytes);
    let id = IdentifyController::ref_from_bytes(words.as_bytes()).unwrap();
    assert_eq!(id.mn(), Some("QEMU NVMe Ctrl"));
    // Wrong length is an error, not a panic.
    assert!(IdentifyController::read_from_bytes(&bytes[..4095]).is_err());
}

#[test]
fn mdts_edge_cases() {
    let mut id = IdentifyController::default();
    assert_eq!(id.mdts_bytes(4096), None, "MDTS 0 means no limit");
    id.mdts = 5;
    assert_eq!(id.mdts_bytes(4096), Some(128 * 1024));
    id.mdts = 63;
    assert_eq!(id.mdts_bytes(4096), None, "overflowing limit is no limit");
    id.mdts = 255;
    assert_eq!(id.mdts_bytes(4096), None);
}

#[test]
fn spec_strings_trim_and_reject_non_utf8() {
    assert_eq!(spec_str(b"abc   "), Some("abc"));
    assert_eq!(spec_str(b"abc\0\0garbage"), Some("abc"));
    assert_eq!(spec_str(b"  lead"), Some("  lead"));
    assert_eq!(spec_str(b"\xff\xfe  "), None);
    assert_eq!(spec_str(b""), Some(""));
    let mut id = IdentifyController::default();
    id.sn = [0xff; 20];
    assert_eq!(id.sn(), None);
}

fn id_ns_bytes() -> Vec<u8> {
    let mut b = vec![0u8; 4096];
    put(&mut b, 0, &0x20_0000u64.to_le_bytes()); // nsze: 2 Mi blocks
    put(&mut b, 8, &0x1f_0000u64.to_le_bytes()); // ncap
    put(&mut b, 16, &0x10_0000u64.to_le_bytes()); // nuse
    b[24] = 0x01; // nsfeat: thin
    b[25] = 19; // nlbaf: 20 formats
    b[26] = 0x00; // flbas: format 0
    b[27] = 0x03; // mc
    b[28] = 0x1f; // dpc
    b[29] = 0x00; // dps
    put(&mut b, 48, &(0x1234_5678_9abc_def0u128 << 8).to_le_bytes()); // nvmcap
    put(&mut b, 74, &128u16.to_le_bytes()); // mssrl
    put(&mut b, 76, &1024u32.to_le_bytes()); // mcl
    b[80] = 127; // msrc
    put(&mut b, 104, &[0x11; 16]); // nguid
    put(&mut b, 120, &[0x22; 8]); // eui64
                                  // lbaf[0]: 512 B, no metadata, RP best.
    put(&mut b, 128, &[0x00, 0x00, 9, 0]);
    // lbaf[1]: 4 KiB, 8 B metadata, RP better.
    put(&mut b, 132, &[8, 0, 12, 1]);
    // lbaf[16] (the first NVMe 2.0 extra format, byte 192): 16 KiB, 64 B metadata, RP good.
    put(&mut b, 192, &[64, 0, 14, 2]);
    // lbaf[19] at byte 204: 8 KiB.
    put(&mut b, 204, &[0, 0, 13, 3]);
    b[384] = 0x77; // vendor specific
    b
}

#[test]
fn identify_namespace_fields_and_formats() {
    let bytes = id_ns_bytes();
    let ns = IdentifyNamespace::read_from_bytes(&bytes).unwrap();
    assert_eq!(ns.nsze, 0x20_0000);
    assert_eq!(ns.ncap, 0x1f_0000);
    assert_eq!(ns.nuse, 0x10_0000);
    assert!(ns.thin_provisioned());
    assert_eq!(ns.lba_format_count(), 20);
    assert_eq!(ns.lba_formats().len(), 20);
    assert_eq!(ns.mc, 3);
    assert_eq!(ns.dpc, 0x1f);
    assert_eq!(ns.nvmcap.get(), 0x1234_5678_9abc_def0u128 << 8);
    assert_eq!(ns.mssrl, 128);
    assert_eq!(ns.mcl, 1024);
    assert_eq!(ns.msrc_z, 127);
    assert_eq!(ns.nguid, [0x11; 16]);
    assert_eq!(ns.eui64, [0x22; 8]);
    assert_eq!(ns.lbaf[0].lbads(), 9);
    assert_eq!(
        ns.lbaf[1],
        LbaFormat::new().with_ms(8).with_lbads(12).with_rp(1)
    );
    assert_eq!(ns.lbaf[16].ms(), 64);
    assert_eq!(ns.lbaf[16].lbads(), 14);
    assert_eq!(ns.lbaf[16].rp(), 2);
    assert_eq!(ns.lbaf[19].lba_size(), Some(8192));
    assert_eq!(ns.vs[0], 0x77);

    assert_eq!(ns.flbas_index(), 0);
    assert_eq!(ns.lba_size(), Some(512));
    assert_eq!(ns.metadata_size(), 0);
    assert!(!ns.extended_lba());
    assert_eq!(ns.as_bytes(), &bytes[..]);
}

#[test]
fn flbas_index_uses_upper_bits() {
    let mut bytes = id_ns_bytes();
    // Format 1 with extended metadata: bits 3:0 = 1, bit 4 set.
    bytes[26] = 0x11;
    let ns = IdentifyNamespace::read_from_bytes(&bytes).unwrap();
    assert_eq!(ns.flbas_index(), 1);
    assert_eq!(ns.lba_size(), Some(4096));
    assert_eq!(ns.metadata_size(), 8);
    assert!(ns.extended_lba());

    // Format 16: bits 3:0 = 0, bits 6:5 = 01 -> index 0b01_0000.
    bytes[26] = 0b0010_0000;
    let ns = IdentifyNamespace::read_from_bytes(&bytes).unwrap();
    assert_eq!(ns.flbas_index(), 16);
    assert_eq!(ns.lba_size(), Some(16384));
    assert!(!ns.extended_lba());

    // Format 19: bits 3:0 = 3, bits 6:5 = 01.
    bytes[26] = 0b0010_0011;
    let ns = IdentifyNamespace::read_from_bytes(&bytes).unwrap();
    assert_eq!(ns.flbas_index(), 19);
    assert_eq!(ns.lba_size(), Some(8192));

    // Format 63 (all index bits; bit 7 is reserved and ignored): unused, LBADS 0.
    bytes[26] = 0xff;
    let ns = IdentifyNamespace::read_from_bytes(&bytes).unwrap();
    assert_eq!(ns.flbas_index(), 63);
    assert_eq!(ns.lba_size(), None);
}

#[test]
fn bogus_lbads_is_none_not_a_panic() {
    let mut ns = IdentifyNamespace::default();
    for lbads in [0u8, 8, 32, 200, 255] {
        ns.lbaf[0] = LbaFormat::new().with_lbads(lbads);
        assert_eq!(ns.lba_size(), None, "lbads {lbads}");
    }
    ns.lbaf[0] = LbaFormat::new().with_lbads(31);
    assert_eq!(ns.lba_size(), Some(1 << 31));
    // nlbaf 255 (invalid, > 64 formats) is clamped.
    ns.nlbaf_z = 255;
    assert_eq!(ns.lba_formats().len(), 64);
}

#[test]
fn ns_list_iterates_until_first_zero() {
    let mut bytes = vec![0u8; 4096];
    for (i, id) in [1u32, 2, 7, 0x1000].iter().enumerate() {
        put(&mut bytes, i * 4, &id.to_le_bytes());
    }
    // An entry after the terminating zero is not part of the list.
    put(&mut bytes, 4 * 10, &99u32.to_le_bytes());
    let list = NsList::read_from_bytes(&bytes).unwrap();
    assert_eq!(list.ids().collect::<Vec<_>>(), vec![1, 2, 7, 0x1000]);
    assert_eq!(list.len(), 4);
    assert!(!list.is_empty());
    assert!(NsList::default().is_empty());
    assert_eq!(list.as_bytes(), &bytes[..]);
}

fn desc(buf: &mut Vec<u8>, nidt: u8, nid: &[u8]) {
    buf.extend_from_slice(&[nidt, nid.len() as u8, 0, 0]);
    buf.extend_from_slice(nid);
}

#[test]
fn ns_descriptor_list_parses_known_types() {
    let mut b = Vec::new();
    desc(&mut b, 1, &[1, 2, 3, 4, 5, 6, 7, 8]);
    desc(&mut b, 2, &[0xaa; 16]);
    desc(&mut b, 3, &[0xbb; 16]);
    desc(&mut b, 4, &[2]);
    desc(&mut b, 0x80, &[9, 9, 9]); // unknown type: passed through
    b.resize(4096, 0);

    let all: Vec<_> = ns_descriptors(&b).collect::<Result<_, _>>().unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0].nidt, Nidt::EUI64);
    assert_eq!(all[0].nidl, 8);
    assert_eq!(all[0].nid, &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(all[1].nidt, Nidt::NGUID);
    assert_eq!(all[1].nid, &[0xaa; 16]);
    assert_eq!(all[2].nidt, Nidt::UUID);
    assert_eq!(all[3].nidt, Nidt::CSI);
    assert_eq!(Csi(all[3].nid[0]), Csi::ZNS);
    assert_eq!(all[4].nidt, Nidt(0x80));
    assert_eq!(all[4].nid, &[9, 9, 9]);
}

#[test]
fn ns_descriptor_list_stops_at_zero_type_and_empty() {
    assert_eq!(ns_descriptors(&[0u8; 4096]).count(), 0);
    assert_eq!(ns_descriptors(&[]).count(), 0);
    let mut b = Vec::new();
    desc(&mut b, 3, &[0xcc; 16]);
    b.resize(4096, 0);
    // Garbage after the terminator is ignored.
    b[100] = 1;
    b[101] = 200;
    assert_eq!(ns_descriptors(&b).count(), 1);
    // A list that exactly fills the buffer ends cleanly.
    let mut exact = Vec::new();
    desc(&mut exact, 1, &[5; 8]);
    assert_eq!(ns_descriptors(&exact).count(), 1);
}

#[test]
fn ns_descriptor_overrun_is_an_error() {
    // NIDL claims 16 bytes but only 10 follow.
    let mut b = Vec::new();
    desc(&mut b, 1, &[1; 8]);
    b.extend_from_slice(&[2, 16, 0, 0]);
    b.extend_from_slice(&[0xdd; 10]);
    let items: Vec<_> = ns_descriptors(&b).collect();
    assert_eq!(
        items.len(),
        2,
        "one good descriptor, then one error, then the end"
    );
    assert!(items[0].is_ok());
    assert_eq!(
        items[1],
        Err(NsDescriptorError::Overrun {
            offset: 12,
            nidl: 16,
            len: 26
        })
    );
    let msg = items[1].unwrap_err().to_string();
    assert!(msg.contains("byte 12") && msg.contains("NIDL 16"), "{msg}");

    // A header cut short.
    let err = ns_descriptors(&[1, 8]).next().unwrap().unwrap_err();
    assert!(matches!(err, NsDescriptorError::Overrun { offset: 0, .. }));

    // Unknown type at the very end with a huge length.
    let mut b = vec![0u8; 4096];
    put(&mut b, 4092, &[0x7f, 0xff, 0, 0]);
    b[0..4].copy_from_slice(&[0x7f, 0, 0, 0]);
    // First descriptor: unknown type, empty nid; the next starts at 4 and is a terminator.
    assert_eq!(ns_descriptors(&b).count(), 1);
}

#[test]
fn ns_descriptor_wrong_length_for_known_type() {
    let mut b = Vec::new();
    desc(&mut b, 1, &[1; 16]); // EUI-64 must be 8 bytes
    b.resize(4096, 0);
    let err = ns_descriptors(&b).next().unwrap().unwrap_err();
    assert_eq!(
        err,
        NsDescriptorError::BadLength {
            offset: 0,
            nidt: Nidt::EUI64,
            nidl: 16,
            expected: 8
        }
    );
    assert!(err
        .to_string()
        .contains("IEEE EUI-64 must have NIDL 8, found 16"));
    assert_eq!(
        ns_descriptors(&b).count(),
        1,
        "iteration ends after the error"
    );
}

#[test]
fn ns_descriptors_encode_and_round_trip() {
    let uuid = [0x5a; 16];
    let mut page = [0u8; 4096];
    let mut off = 0;
    for d in [
        NsDescriptor::new(Nidt::EUI64, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap(),
        NsDescriptor::new(Nidt::UUID, &uuid).unwrap(),
        NsDescriptor::new(Nidt::CSI, &[Csi::NVM.0]).unwrap(),
    ] {
        off += d.write_to(&mut page[off..]).unwrap();
    }
    assert_eq!(off, 12 + 20 + 5);
    assert_eq!(&page[0..4], &[1, 8, 0, 0]);
    assert_eq!(&page[12..16], &[3, 16, 0, 0]);
    let back: Vec<_> = ns_descriptors(&page).map(Result::unwrap).collect();
    assert_eq!(back.len(), 3);
    assert_eq!(back[1].nid, &uuid);
    assert_eq!(back[2].nidt, Nidt::CSI);

    // Too little room or too long an identifier: nothing written.
    let mut small = [0xeeu8; 10];
    let d = NsDescriptor::new(Nidt::NGUID, &[1; 16]).unwrap();
    assert_eq!(d.write_to(&mut small), None);
    assert_eq!(small, [0xee; 10]);
    assert!(NsDescriptor::new(Nidt(0x90), &[0; 256]).is_none());
}

#[test]
fn spec_strings_are_space_padded_on_write() {
    let mut id = IdentifyController::default();
    assert!(put_spec_str(&mut id.mn, "QEMU NVMe Ctrl"));
    assert_eq!(&id.mn[..16], b"QEMU NVMe Ctrl  ");
    assert_eq!(id.mn(), Some("QEMU NVMe Ctrl"));
    let before = id.fr;
    assert!(!put_spec_str(&mut id.fr, "much-too-long"));
    assert_eq!(id.fr, before);
    assert!(put_spec_str(&mut id.fr, "12345678"));
    assert_eq!(id.fr(), Some("12345678"));
}

/// NVM Command Set 1.1, "I/O Command Set Specific Identify Namespace Data
/// Structure for the NVM Command Set": LBSTM 0..8, PIC 8, PIFA 9, ELBAF
/// 12..268, then NPDGL, NPRG, NPRA, NORS, NPDAL, LBAPSS, TLBAAG (4 bytes each).
#[test]
fn identify_namespace_nvm_offsets() {
    let mut b = [0u8; 4096];
    put(&mut b, 0, &0x0102_0304_0506_0708u64.to_le_bytes());
    put(&mut b, 8, &[0x07, 0x01]);
    put(&mut b, 12 + 4 * 2, &(0x100u32 | 0x20).to_le_bytes()); // elbaf[2]: pif 2, sts 32
    for (i, v) in [11u32, 12, 13, 14, 15, 16, 17].iter().enumerate() {
        put(&mut b, 268 + 4 * i, &v.to_le_bytes());
    }
    let n = IdentifyNamespaceNvm::read_from_bytes(&b).unwrap();
    assert_eq!(n.lbstm, 0x0102_0304_0506_0708);
    assert_eq!((n.pic, n.pifa), (0x07, 0x01));
    let e = n.elbaf(2).unwrap();
    assert_eq!((e.pif(), e.sts(), e.qpif()), (2, 32, 0));
    assert_eq!(
        [n.npdgl, n.nprg, n.npra, n.nors, n.npdal, n.lbapss, n.tlbaag],
        [11, 12, 13, 14, 15, 16, 17]
    );
    assert_eq!(n.as_bytes(), &b[..]);
}
