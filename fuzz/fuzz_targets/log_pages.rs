//! Every log page layout the core decodes, from any bytes: SMART / Health,
//! Error Information, Firmware Slot, Changed Namespace List, Commands
//! Supported and Effects, Device Self-test.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvmeq_core::log::{
    ChangedNsList, CommandEffectsLog, ErrorLogEntry, FwSlotLog, SelfTestLog, SmartLog,
};
use std::hint::black_box;
use zerocopy::FromBytes;

/// `T` from the front of `data`, zero-padded to its size.
fn read<T: FromBytes>(data: &[u8]) -> T {
    let mut buf = vec![0u8; core::mem::size_of::<T>()];
    let n = data.len().min(buf.len());
    buf[..n].copy_from_slice(&data[..n]);
    T::read_from_bytes(&buf).expect("sized buffer")
}

fuzz_target!(|data: &[u8]| {
    let s: SmartLog = read(data);
    black_box((s.temperature_celsius(), s.bytes_read(), s.bytes_written()));

    for chunk in data.chunks(core::mem::size_of::<ErrorLogEntry>()) {
        let e: ErrorLogEntry = read(chunk);
        black_box((e.status(), e.is_empty(), format!("{}", e.status())));
    }

    let fw: FwSlotLog = read(data);
    black_box((fw.active_slot(), fw.next_slot()));
    for slot in 0..=8 {
        black_box(fw.frs(slot));
    }

    let ch: ChangedNsList = read(data);
    let ids: Vec<u32> = ch.ids().collect();
    assert!(ids.len() <= 1024);
    black_box(ch.overflowed());

    let fx: CommandEffectsLog = read(data);
    for op in 0..=255u8 {
        black_box((fx.admin(op), fx.io(op)));
    }

    let st: SelfTestLog = read(data);
    black_box((st.current(), st.percent_complete()));
    for r in st.results() {
        assert!(r.is_used());
        black_box((r.outcome(), r.code(), r.failing_nsid(), r.failing_lba()));
    }
});
