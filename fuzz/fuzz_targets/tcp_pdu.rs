//! NVMe/TCP PDU headers as they come off the wire: any bytes, under any
//! negotiated digests. Nothing may panic; a header that parses has a layout
//! whose parts add up to PLEN, and the header the host would send for that
//! layout lays out the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvmeq_core::fabrics::tcp::{CommonHeader, Pdu, PduFlags};

fuzz_target!(|input: (bool, bool, &[u8])| {
    let (hdgst, ddgst, buf) = input;
    let Ok(pdu) = Pdu::parse(buf) else {
        // The common header alone must never panic either.
        let _ = CommonHeader::parse(buf).map(|ch| ch.layout(hdgst, ddgst));
        return;
    };
    let ch = *pdu.ch();
    assert_eq!(CommonHeader::parse(buf).ok(), Some(ch));
    assert!(buf.len() >= ch.hlen as usize, "parsed past the buffer");
    let Ok(l) = ch.layout(hdgst, ddgst) else {
        return;
    };
    let digest = |on: bool| if on { 4u64 } else { 0 };
    assert_eq!(l.hlen, u32::from(ch.hlen));
    assert_eq!(l.plen, ch.plen.get());
    if l.data_len == 0 {
        assert_eq!(u64::from(l.hlen) + digest(l.hdgst), u64::from(l.plen));
    } else {
        assert!(u64::from(l.pdo) >= u64::from(l.hlen) + digest(l.hdgst));
        assert_eq!(
            u64::from(l.pdo) + u64::from(l.data_len) + digest(l.ddgst),
            u64::from(l.plen)
        );
    }
    let sent = CommonHeader::outgoing(ch.pdu_type(), &l, PduFlags::new());
    if let Ok(again) = sent.layout(hdgst, ddgst) {
        assert_eq!(again, l, "the host's header for {l:?} lays out differently");
    }
});
