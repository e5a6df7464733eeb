//! The telemetry logs (LID 07h, 08h) and the Persistent Event Log (0Dh) on
//! the ram controller: captures with new generation numbers, reads in pieces
//! at an offset, the reporting context's sequence, and events recorded.

mod common;
use common::*;
use nvmeq_core::log::{
    pel_events, PelEventType, PelHeader, SetFeatureLayout, TelemetryLog, TELEMETRY_BLOCK,
};
use nvmeq_core::Backend;
use zerocopy::FromBytes;

fn with_lsp(mut cmd: nvmeq_core::Cmd, lsp: u8) -> nvmeq_core::Cmd {
    cmd.sqe.cdw10 |= (lsp as u32) << 8;
    cmd
}

fn header(b: &[u8]) -> TelemetryLog {
    TelemetryLog::read_from_prefix(b).unwrap().0
}

#[test]
fn host_telemetry_captures_get_new_generations_and_read_in_pieces() {
    let mut c = ctrl(64 << 20, 512);
    // Before any capture: a header with no data areas.
    let h0 = header(&run_in(&mut c, &get_log(0x07, 0, 512, 0), 512).unwrap());
    assert_eq!(
        (h0.lpi, h0.hostdgn, h0.dalb1.get(), h0.dalb3.get()),
        (7, 0, 0, 0)
    );
    // Reading past the header of an empty log is refused.
    let r = run_in(&mut c, &get_log(0x07, 0, 512, 512), 512);
    assert_eq!(sct_sc(status_of(r)), (0, 0x02));

    let create = with_lsp(get_log(0x07, 0, 512, 0), 1);
    let h1 = header(&run_in(&mut c, &create, 512).unwrap());
    assert_eq!(h1.hostdgn, 1);
    assert!(h1.dalb1.get() >= 1 && h1.dalb1.get() <= h1.dalb2.get());
    assert!(h1.dalb2.get() <= h1.dalb3.get() && u32::from(h1.dalb3.get()) <= h1.dalb4.get());
    let size = TelemetryLog::bytes_through(h1.dalb4.get()) as usize;
    // Whole, and in 4 KiB pieces at increasing offsets: the same bytes.
    let whole = run_in(&mut c, &get_log(0x07, 0, size as u32, 0), size).unwrap();
    let mut pieces = Vec::new();
    for off in (0..size).step_by(4096) {
        let n = 4096.min(size - off);
        pieces.extend(run_in(&mut c, &get_log(0x07, 0, n as u32, off as u64), n).unwrap());
    }
    assert_eq!(pieces, whole);
    assert_eq!(header(&whole), h1);
    // Data area 1's first block holds the capture's tag, area and generation.
    assert_eq!(
        &whole[TELEMETRY_BLOCK..TELEMETRY_BLOCK + 10],
        b"NVMEQ-TD\x01\x01"
    );

    // A second capture: a new generation; a plain read does not capture.
    let h2 = header(&run_in(&mut c, &create, 512).unwrap());
    assert_eq!(h2.hostdgn, 2);
    let h2b = header(&run_in(&mut c, &get_log(0x07, 0, 512, 0), 512).unwrap());
    assert_eq!(h2b.hostdgn, 2);

    // Controller-initiated: no data available, generation 0.
    let ci = header(&run_in(&mut c, &get_log(0x08, 0, 512, 0), 512).unwrap());
    assert_eq!(
        (ci.lpi, ci.ctrlavail, ci.ctrldgn, ci.dalb3.get()),
        (8, 0, 0, 0)
    );
    // Identify says telemetry and data area 4 are supported.
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    assert_eq!(id[261] & (1 << 3 | 1 << 6), 1 << 3 | 1 << 6, "lpa");
}

#[test]
fn persistent_event_log_context_sequence_and_events() {
    let mut c = ctrl(64 << 20, 512);
    let read = get_log(0x0d, 0, 512, 0);
    let establish = with_lsp(get_log(0x0d, 0, 512, 0), 1);
    let release = with_lsp(get_log(0x0d, 0, 512, 0), 2);
    // Read without a context: out of sequence.
    assert_eq!(sct_sc(status_of(run_in(&mut c, &read, 512))), (0, 0x0c));
    // Something to record: a Set Features and a telemetry capture.
    c.execute(&set_features(0x06, 0, false), nvmeq_core::Data::None)
        .unwrap();
    run_in(&mut c, &with_lsp(get_log(0x07, 0, 512, 0), 1), 512).unwrap();

    let h = PelHeader::read_from_bytes(&run_in(&mut c, &establish, 512).unwrap()[..]).unwrap();
    assert_eq!(h.lid, 0x0d);
    assert_eq!(h.tnev.get(), 3);
    assert!(h.rce());
    assert!(h.supports(PelEventType::POWER_ON_RESET));
    assert!(h.supports(PelEventType::TELEMETRY_CREATE));
    assert_eq!(
        std::str::from_utf8(&h.sn).unwrap().trim_end(),
        "nvmeq-ram-0001"
    );
    // Establishing again before releasing is out of sequence.
    assert_eq!(
        sct_sc(status_of(run_in(&mut c, &establish, 512))),
        (0, 0x0c)
    );
    let tll = h.tll.get() as usize;
    let log = run_in(
        &mut c,
        &get_log(0x0d, 0, tll.next_multiple_of(4) as u32, 0),
        tll.next_multiple_of(4),
    )
    .unwrap();
    let ev: Vec<_> = pel_events(&log[..tll]).collect();
    let types: Vec<_> = ev.iter().map(|e| e.header.event_type()).collect();
    assert_eq!(
        types,
        [
            PelEventType::POWER_ON_RESET,
            PelEventType::SET_FEATURE,
            PelEventType::TELEMETRY_CREATE
        ]
    );
    assert!(ev
        .windows(2)
        .all(|w| w[0].header.ets.get() <= w[1].header.ets.get()));
    let sf = ev[1].event_data();
    assert_eq!(
        SetFeatureLayout::from_bits(u32::from_le_bytes(sf[..4].try_into().unwrap())).dw_count(),
        2
    );
    assert_eq!(u32_at(sf, 4) & 0xff, 0x06, "FID");
    let t = TelemetryLog::read_from_bytes(ev[2].event_data()).unwrap();
    assert_eq!(t.hostdgn, 1);

    // Events after the context was established wait for the next one.
    c.execute(&set_features(0x06, 1, false), nvmeq_core::Data::None)
        .unwrap();
    let again = PelHeader::read_from_bytes(&run_in(&mut c, &read, 512).unwrap()[..]).unwrap();
    assert_eq!(again.tnev.get(), 3);
    run_in(&mut c, &release, 512).unwrap();
    assert_eq!(sct_sc(status_of(run_in(&mut c, &read, 512))), (0, 0x0c));
    let next = PelHeader::read_from_bytes(&run_in(&mut c, &establish, 512).unwrap()[..]).unwrap();
    assert_eq!(next.tnev.get(), 4);
    // A failed Set Features records nothing.
    let _ = c.execute(&set_features(0x06, 1, true), nvmeq_core::Data::None);
    run_in(&mut c, &release, 512).unwrap();
    let last = PelHeader::read_from_bytes(&run_in(&mut c, &establish, 512).unwrap()[..]).unwrap();
    assert_eq!(last.tnev.get(), 4);
}
