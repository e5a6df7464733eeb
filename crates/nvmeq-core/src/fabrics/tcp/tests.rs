//! Golden bytes against the offsets of `include/linux/nvme-tcp.h`, and a
//! parser proptest.

extern crate std;
use std::vec;

use super::*;
use proptest::prelude::*;
use zerocopy::IntoBytes;

fn ch(t: PduType, flags: u8, hlen: u8, pdo: u8, plen: u32) -> [u8; 8] {
    let mut b = [t.0, flags, hlen, pdo, 0, 0, 0, 0];
    b[4..].copy_from_slice(&plen.to_le_bytes());
    b
}

#[test]
fn icreq_golden_bytes() {
    let r = IcReq::new(DigestTypes::new().with_hdgst(true).with_ddgst(true), 0);
    let b = r.as_bytes();
    assert_eq!(
        &b[..8],
        &[0x00, 0x00, 128, 0, 128, 0, 0, 0],
        "type, flags, hlen, pdo, plen"
    );
    assert_eq!(&b[8..10], &[0, 0], "pfv");
    assert_eq!(b[10], 0, "hpda");
    assert_eq!(
        b[11], 0b11,
        "digest: NVME_TCP_HDR_DIGEST_ENABLE | NVME_TCP_DATA_DIGEST_ENABLE"
    );
    assert_eq!(&b[12..16], &[0; 4], "maxr2t");
    assert!(b[16..].iter().all(|&x| x == 0));
}

#[test]
fn icresp_parses() {
    let mut b = [0u8; 128];
    b[..8].copy_from_slice(&ch(PduType::IC_RESP, 0, 128, 0, 128));
    b[10] = 1; // cpda
    b[11] = 0b01;
    b[12..16].copy_from_slice(&0x0004_0000u32.to_le_bytes());
    let Pdu::IcResp(r) = Pdu::parse(&b).unwrap() else {
        panic!("not an ICResp")
    };
    assert_eq!(r.cpda, 1);
    assert!(r.dgst.hdgst() && !r.dgst.ddgst());
    assert_eq!(r.maxh2cdata.get(), 0x40000);
    let l = r.ch.layout(false, false).unwrap();
    assert_eq!((l.data_len, l.plen), (0, 128));
}

#[test]
fn data_and_r2t_golden_offsets() {
    // struct nvme_tcp_data_pdu / nvme_tcp_r2t_pdu: command_id at 8, ttag at
    // 10, offset at 12, length at 16.
    let mut d = DataHdr::new_zeroed();
    d.cccid = U16::new(0x1234);
    d.ttag = U16::new(0x5678);
    d.datao = U32::new(0x9abc_def0);
    d.datal = U32::new(0x0102_0304);
    let b = d.as_bytes();
    assert_eq!(&b[8..10], &[0x34, 0x12]);
    assert_eq!(&b[10..12], &[0x78, 0x56]);
    assert_eq!(&b[12..16], &[0xf0, 0xde, 0xbc, 0x9a]);
    assert_eq!(&b[16..20], &[4, 3, 2, 1]);
    let mut r = R2t::new_zeroed();
    r.r2tl = U32::new(7);
    assert_eq!(&r.as_bytes()[16..20], &[7, 0, 0, 0]);
    // struct nvme_tcp_term_pdu: fes at 8, feil at 10, feiu at 12.
    let mut t = TermReq::new_zeroed();
    t.fes = U16::new(Fes::HEADER_DIGEST.0);
    t.fei = U32::new(0x0002_0001);
    assert_eq!(&t.as_bytes()[8..14], &[3, 0, 1, 0, 2, 0]);
}

#[test]
fn capsule_cmd_layout_with_digests_and_alignment() {
    // CapsuleCmd with 512 bytes in-capsule, header digest, data digest, CPDA 0.
    let l = Layout::outgoing(PduType::CAPSULE_CMD, true, true, 0, 512);
    assert_eq!((l.hlen, l.pdo, l.plen), (72, 76, 76 + 512 + 4));
    assert_eq!(l.pad(), 0);
    // CPDA 31 (128-byte alignment): data starts at 128.
    let l = Layout::outgoing(PduType::CAPSULE_CMD, true, false, 31, 8);
    assert_eq!((l.pdo, l.plen, l.pad()), (128, 136, 52));
    let c = CommonHeader::outgoing(PduType::CAPSULE_CMD, &l, PduFlags::new());
    assert_eq!(c.as_bytes(), &ch(PduType::CAPSULE_CMD, 0b01, 72, 128, 136));
    assert_eq!(c.layout(true, false).unwrap(), l);
    // No data: PDO 0, PLEN = HLEN (+ digest).
    let l = Layout::outgoing(PduType::CAPSULE_CMD, false, true, 0, 0);
    assert_eq!((l.pdo, l.plen, l.ddgst), (0, 72, false));
    let cmd = CapsuleCmd {
        ch: CommonHeader::outgoing(PduType::CAPSULE_CMD, &l, PduFlags::new()),
        sqe: crate::cmd::KeepAlive.build().sqe,
    };
    let b = cmd.as_bytes();
    assert_eq!(b.len(), 72);
    assert_eq!(b[8], 0x18, "the command follows the common header");
}

#[test]
fn c2h_data_layout() {
    let b = ch(PduType::C2H_DATA, 0b1100, 24, 24, 24 + 4096);
    let c = CommonHeader::parse(&b).unwrap();
    let l = c.layout(false, false).unwrap();
    assert_eq!((l.pdo, l.data_len), (24, 4096));
    assert!(c.flags.success() && c.flags.last_pdu());
    // SUCCESS without LAST_PDU.
    let b = ch(PduType::C2H_DATA, 0b1000, 24, 24, 28);
    assert_eq!(
        CommonHeader::parse(&b).unwrap().layout(false, false),
        Err(PduError::SuccessNotLast)
    );
    // With both digests: header digest at 24, data at 28, data digest at the end.
    let b = ch(PduType::C2H_DATA, 0b0111, 24, 28, 28 + 16 + 4);
    let l = CommonHeader::parse(&b).unwrap().layout(true, true).unwrap();
    assert_eq!(
        (l.header_len(), l.pdo, l.data_len, l.ddgst),
        (28, 28, 16, true)
    );
}

#[test]
fn bad_headers_name_the_field() {
    assert_eq!(
        CommonHeader::parse(&[5, 0, 24]),
        Err(PduError::Truncated { need: 8, have: 3 })
    );
    assert_eq!(
        CommonHeader::parse(&ch(PduType(8), 0, 24, 0, 24)),
        Err(PduError::UnknownType(8))
    );
    assert!(matches!(
        CommonHeader::parse(&ch(PduType::CAPSULE_RESP, 0, 16, 0, 24)),
        Err(PduError::BadHlen {
            expected: 24,
            hlen: 16,
            ..
        })
    ));
    assert!(matches!(
        CommonHeader::parse(&ch(PduType::CAPSULE_RESP, 0, 24, 0, 8)),
        Err(PduError::BadPlen { plen: 8, .. })
    ));
    let c = CommonHeader::parse(&ch(PduType::CAPSULE_RESP, 0, 24, 0, 24)).unwrap();
    assert!(matches!(
        c.layout(true, false),
        Err(PduError::DigestFlag {
            flag: "HDGSTF",
            set: false,
            negotiated: true,
            ..
        })
    ));
    // A response with trailing bytes it cannot have.
    let c = CommonHeader::parse(&ch(PduType::CAPSULE_RESP, 0, 24, 0, 40)).unwrap();
    assert!(matches!(
        c.layout(false, false),
        Err(PduError::BadPlen { .. })
    ));
    // Data whose PDO points into the header.
    let c = CommonHeader::parse(&ch(PduType::C2H_DATA, 0, 24, 8, 100)).unwrap();
    assert!(matches!(
        c.layout(false, false),
        Err(PduError::BadPdo { pdo: 8, .. })
    ));
    // A data digest flag on a connection without data digests.
    let c = CommonHeader::parse(&ch(PduType::C2H_DATA, 0b10, 24, 24, 100)).unwrap();
    assert!(matches!(
        c.layout(false, false),
        Err(PduError::DigestFlag { flag: "DDGSTF", .. })
    ));
    // A terminate request with more than 128 bytes of error data.
    let c = CommonHeader::parse(&ch(PduType::C2H_TERM_REQ, 0, 24, 0, 24 + 129)).unwrap();
    assert!(matches!(
        c.layout(false, false),
        Err(PduError::BadPlen { .. })
    ));
    let c = CommonHeader::parse(&ch(PduType::C2H_TERM_REQ, 0, 24, 0, 24 + 8)).unwrap();
    assert_eq!(c.layout(true, true).unwrap().data_len, 8);
    assert_eq!(PduType::R2T.name(), Some("R2T"));
    assert_eq!(Fes(5).name(), Some("Data Transfer Limit Exceeded"));
}

proptest! {
    /// Whatever the bytes, parsing returns (never panics), and an accepted
    /// header's layout adds up to PLEN.
    #[test]
    fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..160),
                           hd in any::<bool>(), dd in any::<bool>()) {
        let _ = Pdu::parse(&bytes);
        if let Ok(c) = CommonHeader::parse(&bytes) {
            prop_assert_eq!(c.hlen, c.pdu_type().hlen().unwrap());
            if let Ok(l) = c.layout(hd, dd) {
                let dg = if l.ddgst { DIGEST_LEN } else { 0 };
                if l.data_len > 0 && !matches!(c.pdu_type(), PduType::H2C_TERM_REQ | PduType::C2H_TERM_REQ) {
                    prop_assert!(l.pdo >= l.header_len());
                    prop_assert_eq!(l.pdo + l.data_len + dg, l.plen);
                } else if l.data_len == 0 {
                    prop_assert_eq!(l.header_len(), l.plen);
                }
            }
        }
    }

    /// Every layout the host builds parses back to itself.
    #[test]
    fn outgoing_round_trips(t in prop::sample::select(vec![PduType::CAPSULE_CMD, PduType::H2C_DATA]),
                            hd in any::<bool>(), dd in any::<bool>(), cpda in 0u8..32,
                            len in 0u32..(1 << 20)) {
        let len = if t == PduType::H2C_DATA { len.max(1) } else { len };
        let l = Layout::outgoing(t, hd, dd, cpda, len);
        let c = CommonHeader::outgoing(t, &l, PduFlags::new());
        let back = CommonHeader::parse(c.as_bytes()).unwrap().layout(hd, dd).unwrap();
        prop_assert_eq!(back, l);
        if len > 0 {
            prop_assert_eq!(l.pdo % ((cpda as u32 + 1) * 4), 0);
        }
    }
}
