//! Property tests: wire encode -> bytes -> decode is the identity for the
//! entries, the statuses and every builder's fields; PRP and SGL structures
//! walked back give exactly the transfer's pages and regions.

use nvmeq_core::cmd::*;
use nvmeq_core::prp::{PageSize, PrpListPage, Prps};
use nvmeq_core::sgl::{Sgl, SglDescriptor, SglSegment, SglType};
use nvmeq_core::{Command, Completion, DataDir, Status, Xfer};
use proptest::prelude::*;
use zerocopy::{FromBytes, IntoBytes};

/// The entry a backend would put on the wire, parsed back.
fn wire(c: &nvmeq_core::Cmd) -> Command {
    let bytes: [u8; 64] = c.sqe.as_bytes().try_into().unwrap();
    Command::read_from_bytes(&bytes).unwrap()
}

proptest! {
    #[test]
    fn command_bytes_roundtrip(bytes in prop::array::uniform32(any::<u8>()), tail in prop::array::uniform32(any::<u8>())) {
        let mut b = [0u8; 64];
        b[..32].copy_from_slice(&bytes);
        b[32..].copy_from_slice(&tail);
        let c = Command::read_from_bytes(&b).unwrap();
        prop_assert_eq!(c.as_bytes(), &b[..]);
        prop_assert_eq!(c.opcode(), b[0]);
        prop_assert_eq!(c.cdw0.cid(), u16::from_le_bytes([b[2], b[3]]));
        prop_assert_eq!(c.cdw0.fuse(), b[1] & 3);
        prop_assert_eq!(c.cdw0.psdt(), b[1] >> 6);
        prop_assert_eq!(c.nsid, u32::from_le_bytes(b[4..8].try_into().unwrap()));
        prop_assert_eq!(c.cdw15, u32::from_le_bytes(b[60..64].try_into().unwrap()));
    }

    #[test]
    fn completion_bytes_roundtrip(b in prop::array::uniform16(any::<u8>())) {
        let c = Completion::read_from_bytes(&b).unwrap();
        prop_assert_eq!(c.as_bytes(), &b[..]);
        let sf = u16::from_le_bytes([b[14], b[15]]);
        prop_assert_eq!(c.phase(), sf & 1 == 1);
        prop_assert_eq!(c.status().into_bits() & 0x7fff, sf >> 1);
        prop_assert_eq!(c.cid, u16::from_le_bytes([b[12], b[13]]));
        prop_assert_eq!(c.result(), u64::from_le_bytes(b[0..8].try_into().unwrap()));
    }

    #[test]
    fn status_fields_roundtrip(sc in any::<u8>(), sct in 0u8..8, crd in 0u8..4, more: bool, dnr: bool) {
        let s = Status::new().with_sc(sc).with_sct_raw(sct).with_crd(crd).with_more(more).with_dnr(dnr);
        let back = Status::from_bits(s.into_bits());
        prop_assert_eq!((back.sc(), back.sct_raw(), back.crd(), back.more(), back.dnr()), (sc, sct, crd, more, dnr));
        let c = Completion::from_result(0, s);
        prop_assert_eq!(c.status(), s);
        prop_assert_eq!(s.is_retryable(), !dnr && (sc != 0 || sct != 0));
        let text = s.to_string();
        let suffix = format!("(sct {:#x}, sc {:#04x})", sct, sc);
        prop_assert!(text.contains(&suffix));
        prop_assert_eq!(text.ends_with(" [DNR]"), dnr);
    }

    #[test]
    fn read_write_fields_roundtrip(nsid: u32, slba: u64, nlb_z: u16, fua: bool, lr: bool, p in 0u8..16,
                                  stc: bool, dsm: u8, tag: u32, lbat: u16, lbatm: u16, dspec: u16, dtype in 0u8..16) {
        let prinfo = Prinfo::from_bits(p);
        let r = Read::new(nsid, slba, nlb_z).fua(fua).lr(lr).prinfo(prinfo).stc(stc).dsm(dsm).eilbrt(tag).elbat(lbat, lbatm).build();
        let w = Write::new(nsid, slba, nlb_z).fua(fua).lr(lr).prinfo(prinfo).stc(stc).dsm(dsm)
            .dtype(DirectiveType(dtype)).dspec(dspec).ilbrt(tag).lbat(lbat, lbatm).build();
        for (c, opc, dir) in [(r, 0x02, DataDir::FromDevice), (w, 0x01, DataDir::ToDevice)] {
            let e = wire(&c);
            prop_assert_eq!(e.opcode(), opc);
            prop_assert_eq!(e.nsid, nsid);
            prop_assert_eq!(e.cdw10 as u64 | (e.cdw11 as u64) << 32, slba);
            let d12 = RwCdw12::from_bits(e.cdw12);
            prop_assert_eq!((d12.nlb_z(), d12.fua(), d12.lr(), d12.prinfo(), d12.stc(), d12.deac()), (nlb_z, fua, lr, p, stc, false));
            let d13 = RwCdw13::from_bits(e.cdw13);
            prop_assert_eq!(d13.dsm(), dsm);
            prop_assert_eq!(e.cdw14, tag);
            let d15 = AppTagCdw15::from_bits(e.cdw15);
            prop_assert_eq!((d15.lbat(), d15.lbatm()), (lbat, lbatm));
            prop_assert_eq!(c.xfer, Xfer::Blocks(nlb_z as u32 + 1));
            prop_assert_eq!(c.dir, dir);
            if opc == 0x01 {
                prop_assert_eq!((d12.dtype(), d13.dspec()), (dtype, dspec));
            } else {
                prop_assert_eq!((d12.dtype(), d13.dspec()), (0, 0));
            }
        }
    }

    #[test]
    fn get_log_page_fields_roundtrip(lid: u8, numd_z in 0u32..=Numd::MAX_Z, lsp in 0u8..0x80, rae: bool, lsi: u16,
                                     lpo: u64, ot: bool, csi: u8, uidx in 0u8..0x80, nsid: u32) {
        let c = GetLogPage::new(LogId(lid), Numd::from_z(numd_z).unwrap())
            .nsid(nsid).lsp(lsp).rae(rae).lsi(lsi).lpo(lpo).ot(ot).csi(Csi(csi)).uidx(uidx).build();
        let e = wire(&c);
        let d10 = GetLogPageCdw10::from_bits(e.cdw10);
        let d11 = GetLogPageCdw11::from_bits(e.cdw11);
        let d14 = GetLogPageCdw14::from_bits(e.cdw14);
        prop_assert_eq!((d10.lid(), d10.lsp(), d10.rae(), d11.lsi()), (LogId(lid), lsp, rae, lsi));
        prop_assert_eq!(d10.numdl() as u32 | (d11.numdu() as u32) << 16, numd_z);
        prop_assert_eq!(e.cdw12 as u64 | (e.cdw13 as u64) << 32, lpo);
        prop_assert_eq!((d14.ot(), d14.csi(), d14.uidx()), (ot, Csi(csi), uidx));
        prop_assert_eq!(c.xfer, Xfer::Bytes((numd_z + 1) * 4));
    }

    #[test]
    fn numd_commands_transfer_what_they_say(numd_z in 0u32..=Numd::MAX_Z, slba: u64) {
        let n = Numd::from_z(numd_z).unwrap();
        let bytes = Xfer::Bytes((numd_z + 1) * 4);
        prop_assert_eq!(Numd::from_bytes(n.bytes()), Some(n));
        let z = ZoneMgmtRecv::new(2, slba, n).build();
        prop_assert_eq!((wire(&z).cdw12, z.xfer), (numd_z, bytes));
        let f = FirmwareDownload::new(n, 0).build();
        prop_assert_eq!((wire(&f).cdw10, f.xfer), (numd_z, bytes));
        let r = ReservationReport::new(1, n).build();
        prop_assert_eq!((wire(&r).cdw10, r.xfer), (numd_z, bytes));
        let g = GetLbaStatus::new(1, slba, n, LbaStatusAtype::TRACKED).build();
        prop_assert_eq!((wire(&g).cdw12, g.xfer), (numd_z, bytes));
        let d = Directive::receive(1, DirectiveType::STREAMS, 2).data(n).build();
        prop_assert_eq!((wire(&d).cdw10, d.xfer), (numd_z, bytes));
    }

    #[test]
    fn dsm_and_copy_sizes(nr_z: u8, fmt1: bool, sdlba: u64) {
        let d = Dsm::new(1, nr_z).build();
        prop_assert_eq!(DsmCdw10::from_bits(wire(&d).cdw10).nr_z(), nr_z);
        prop_assert_eq!(d.xfer, Xfer::Bytes(16 * (nr_z as u32 + 1)));
        let f = if fmt1 { CopyFormat::Format1 } else { CopyFormat::Format0 };
        let c = CopyRanges::new(1, sdlba, nr_z, f).build();
        let e = wire(&c);
        let d12 = CopyCdw12::from_bits(e.cdw12);
        prop_assert_eq!((d12.nr_z(), d12.desfmt()), (nr_z, f as u8));
        prop_assert_eq!(e.cdw10 as u64 | (e.cdw11 as u64) << 32, sdlba);
        prop_assert_eq!(c.xfer, Xfer::Bytes(f.desc_len() * (nr_z as u32 + 1)));
    }

    #[test]
    fn admin_fields_roundtrip(lbaf in 0u8..64, cns: u8, cntid: u16, cnssid: u16, csi: u8, qid: u16, qsize_z: u16,
                              cqid: u16, iv: u16, fid: u8, cdw11: u32, sv: bool, sqid: u16, cid: u16) {
        let e = wire(&FormatNvm::new(1, lbaf).build());
        let f = FormatCdw10::from_bits(e.cdw10);
        prop_assert_eq!(f.lbafl() | f.lbafu() << 4, lbaf);

        let e = wire(&Identify::new(Cns(cns), 7).cntid(cntid).cnssid(cnssid).csi(Csi(csi)).build());
        let (a, b) = (IdentifyCdw10::from_bits(e.cdw10), IdentifyCdw11::from_bits(e.cdw11));
        prop_assert_eq!((a.cns(), a.cntid(), b.cnssid(), b.csi()), (Cns(cns), cntid, cnssid, Csi(csi)));

        let e = wire(&CreateIoCq::new(qid, qsize_z).irq(iv).build());
        let (a, b) = (QueueCdw10::from_bits(e.cdw10), CreateCqCdw11::from_bits(e.cdw11));
        prop_assert_eq!((a.qid(), a.qsize_z(), b.ien(), b.iv(), b.pc()), (qid, qsize_z, true, iv, true));

        let e = wire(&CreateIoSq::new(qid, qsize_z, cqid).build());
        prop_assert_eq!(CreateSqCdw11::from_bits(e.cdw11).cqid(), cqid);

        let e = wire(&SetFeatures::new(FeatureId(fid), cdw11).sv(sv).build());
        let a = SetFeaturesCdw10::from_bits(e.cdw10);
        prop_assert_eq!((a.fid(), a.sv(), e.cdw11), (fid, sv, cdw11));

        let e = wire(&Abort::new(sqid, cid).build());
        let a = AbortCdw10::from_bits(e.cdw10);
        prop_assert_eq!((a.sqid(), a.cid()), (sqid, cid));
    }

    #[test]
    fn zone_append_reports_its_lba(zslba: u64, nlb_z: u16, assigned: u64) {
        let c = ZoneAppend::new(2, zslba, nlb_z).build();
        let e = wire(&c);
        prop_assert_eq!(e.cdw10 as u64 | (e.cdw11 as u64) << 32, zslba);
        prop_assert_eq!(ZoneAppendCdw12::from_bits(e.cdw12).nlb_z(), nlb_z);
        prop_assert_eq!(c.xfer, Xfer::Blocks(nlb_z as u32 + 1));
        let done = Completion::from_result(assigned, Status::SUCCESS);
        prop_assert_eq!(ZoneAppend::assigned_lba(&done), assigned);
    }

    /// Walking PRP1, PRP2 and the (chained) lists gives every page of the
    /// transfer, in order, and nothing else.
    #[test]
    fn prps_cover_exactly_the_transfer(start_dw in 0u64..(1 << 20), len in 0u32..(3 << 20), cap in 2usize..600) {
        let ps = PageSize::P4K;
        let addr = 0x1_0000_0000 + start_dw * 4;
        let n = Prps::pages(addr, len, ps);
        let cap = cap.min(512);
        let mut mem = vec![vec![0u64; cap]; n / (cap - 1) + 2];
        let mut pages: Vec<PrpListPage<'_>> = mem
            .iter_mut()
            .enumerate()
            .map(|(i, e)| PrpListPage { addr: 0x8000_0000 + i as u64 * 4096, entries: e })
            .collect();
        let p = Prps::contiguous(addr, len, ps, &mut pages[..]).unwrap();
        if cap == 512 {
            prop_assert_eq!(p.list_pages, Prps::list_pages_needed(addr, len, ps));
        }
        drop(pages);
        let mut got = Vec::new();
        if n >= 1 { got.push(p.prp1); }
        if n == 2 { got.push(p.prp2); }
        if n > 2 {
            let mut page = ((p.prp2 - 0x8000_0000) / 4096) as usize;
            let mut slot = 0;
            while got.len() < n {
                let e = mem[page][slot];
                if slot == cap - 1 && got.len() < n - 1 {
                    page = ((e - 0x8000_0000) / 4096) as usize;
                    slot = 0;
                    continue;
                }
                got.push(e);
                slot += 1;
            }
        }
        let want: Vec<u64> = (0..n as u64)
            .map(|i| if i == 0 { addr } else { (addr & !4095) + i * 4096 })
            .collect();
        prop_assert_eq!(got, want);
    }

    /// Walking DPTR and the segments gives the regions, in order.
    #[test]
    fn sgl_walks_back_to_the_regions(lens in prop::collection::vec(1u32..1 << 20, 1..40), cap in 2usize..8) {
        let regions: Vec<(u64, u32)> = lens.iter().enumerate().map(|(i, &l)| ((i as u64) << 32, l)).collect();
        let mut mem = vec![vec![SglDescriptor::default(); cap]; regions.len()];
        let mut segs: Vec<SglSegment<'_>> = mem
            .iter_mut()
            .enumerate()
            .map(|(i, d)| SglSegment { addr: 0x9000_0000 + i as u64 * 0x1000, descs: d })
            .collect();
        let s = Sgl::describe(&regions, &mut segs[..]).unwrap();
        drop(segs);
        prop_assert_eq!(s.len, lens.iter().sum::<u32>());
        let mut got = Vec::new();
        let mut todo = vec![s.dptr];
        while let Some(d) = todo.pop() {
            match d.sgl_type() {
                SglType::DATA_BLOCK => got.push((d.addr, d.len)),
                SglType::SEGMENT | SglType::LAST_SEGMENT => {
                    let seg = &mem[((d.addr - 0x9000_0000) / 0x1000) as usize];
                    let count = (d.len / 16) as usize;
                    prop_assert!(count <= cap);
                    for x in seg[..count].iter().rev() { todo.push(*x); }
                }
                t => prop_assert!(false, "unexpected descriptor type {:?}", t),
            }
        }
        prop_assert_eq!(got, regions);
    }
}

proptest! {
    /// Any 64 bytes, on either queue: inferring the transfer never panics,
    /// and what it infers is what the command's own fields say.
    #[test]
    fn any_raw_entry_decodes_without_panicking(a in prop::array::uniform32(any::<u8>()), b in prop::array::uniform32(any::<u8>()), admin: bool) {
        let mut raw = [0u8; 64];
        raw[..32].copy_from_slice(&a);
        raw[32..].copy_from_slice(&b);
        let sqe = Command::read_from_bytes(&raw).unwrap();
        let q = if admin { nvmeq_core::QueueKind::Admin } else { nvmeq_core::QueueKind::Io };
        if let Some(c) = nvmeq_core::Cmd::from_sqe(q, sqe) {
            prop_assert_eq!(c.sqe, sqe);
            prop_assert_eq!(c.dir == DataDir::None, c.xfer == Xfer::None);
            if !admin && matches!(sqe.opcode(), 0x01 | 0x02 | 0x05 | 0x7d) {
                prop_assert_eq!(c.xfer, Xfer::Blocks((sqe.cdw12 & 0xffff) + 1));
            }
            let _ = c.to_string();
        }
    }
}

#[test]
fn every_status_value_displays() {
    for v in 0..=0x7fffu16 {
        let s = Status::from_bits(v);
        let text = s.to_string();
        assert!(text.ends_with(')') || text.ends_with(" [DNR]"), "{text}");
    }
}
