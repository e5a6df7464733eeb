//! The log pages whose length the page itself gives, from any bytes: the
//! walkers (Persistent Event Log events, event aggregates, ANA groups, LBA
//! Status elements, Media Unit Status, Supported Capacity Configuration List)
//! and the fixed layouts decoded with them (telemetry, endurance group,
//! reservation notification, predictable latency, boot partition, sanitize
//! status, supported log pages, FID and MI command effects). Nothing may
//! panic, and nothing a walker yields may lie outside the bytes it was given
//! or exceed the counts the page announces.
#![no_main]

use core::mem::size_of;
use libfuzzer_sys::fuzz_target;
use nvmeq_core::log::{
    aggregate_entries, capacity_configs, lba_status_elements, media_units, pel_events, AnaLog,
    BootPartitionHeader, CapacityConfigDesc, ChangeNsEvent, EgConfigDesc, EnduranceGroupLog,
    FidEffectsLog, FormatCompletionEvent, FormatStartEvent, FwCommitEvent, LbaStatusLog, LogId,
    MediaUnitStatusLog, MiEffectsLog, NssHwErrorEvent, PelEventHeader, PelEventType, PelHeader,
    PredictableLatencyLog, ResetInfo, ResvNotificationLog, SanitizeCompletionEvent,
    SanitizeStartEvent, SanitizeStatusLog, SmartLog, SupportedLogPages, TelemetryArea,
    TelemetryLog, ThermalExcursionEvent, TimestampChangeEvent,
};
use std::hint::black_box;
use zerocopy::FromBytes;

/// `T` from the front of `data`, zero-padded to its size.
fn read<T: FromBytes>(data: &[u8]) -> T {
    let mut buf = vec![0u8; size_of::<T>()];
    let n = data.len().min(buf.len());
    buf[..n].copy_from_slice(&data[..n]);
    T::read_from_bytes(&buf).expect("sized buffer")
}

/// The event data decoded as its type's layout, as `persistent-event-log` does.
fn event_data(t: PelEventType, d: &[u8]) {
    match t {
        PelEventType::SMART_HEALTH => {
            black_box(SmartLog::read_from_prefix(d).ok());
        }
        PelEventType::FW_COMMIT => {
            black_box(FwCommitEvent::read_from_prefix(d).ok());
        }
        PelEventType::TIMESTAMP => {
            black_box(TimestampChangeEvent::read_from_prefix(d).ok());
        }
        PelEventType::POWER_ON_RESET => {
            // Firmware revision (8 bytes), then reset information entries.
            for c in d
                .get(8..)
                .unwrap_or_default()
                .chunks_exact(size_of::<ResetInfo>())
            {
                black_box(ResetInfo::read_from_bytes(c).expect("one entry"));
            }
        }
        PelEventType::NSS_HW_ERROR => {
            black_box(NssHwErrorEvent::read_from_prefix(d).ok());
        }
        PelEventType::CHANGE_NS => {
            black_box(ChangeNsEvent::read_from_prefix(d).ok());
        }
        PelEventType::FORMAT_START => {
            black_box(FormatStartEvent::read_from_prefix(d).ok());
        }
        PelEventType::FORMAT_COMPLETION => {
            black_box(FormatCompletionEvent::read_from_prefix(d).ok());
        }
        PelEventType::SANITIZE_START => {
            black_box(SanitizeStartEvent::read_from_prefix(d).ok());
        }
        PelEventType::SANITIZE_COMPLETION => {
            black_box(SanitizeCompletionEvent::read_from_prefix(d).ok());
        }
        PelEventType::THERMAL_EXCURSION => {
            black_box(ThermalExcursionEvent::read_from_prefix(d).ok());
        }
        _ => {
            black_box(d.len());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // Persistent Event Log: at most TNEV events, each inside the log and
    // after the one before.
    let h: PelHeader = read(data);
    black_box((h.rce(), h.rcpit(), h.rcpid()));
    for t in 0..=255u8 {
        black_box(h.supports(PelEventType(t)));
    }
    let mut end = size_of::<PelHeader>();
    let mut events = 0u64;
    for e in pel_events(data) {
        events += 1;
        assert!(e.header.data_offset() >= size_of::<PelEventHeader>());
        assert_eq!(e.data.len(), e.header.el.get() as usize);
        end += e.header.total_len();
        assert!(end <= data.len(), "event past the log's end");
        let d = e.event_data();
        assert!(d.len() <= e.data.len());
        black_box((e.header.event_type().name(), e.header.cntlid.get()));
        event_data(e.header.event_type(), d);
    }
    assert!(events <= h.tnev.get() as u64);

    // Event aggregates: 16-bit identifiers after the count, no more than it
    // announces or the bytes hold.
    for max in [0u64, 1, 64, u64::MAX] {
        let n = aggregate_entries(data, max).count() as u64;
        let have = data.len().saturating_sub(8) as u64 / 2;
        let announced = if data.len() >= 8 {
            u64::from_le_bytes(data[..8].try_into().unwrap())
        } else {
            0
        };
        assert!(n <= max && n <= have && n <= announced);
    }

    // ANA: a page that parses holds every group and namespace it announces.
    if let Ok(ana) = AnaLog::parse(data) {
        let mut groups = 0u64;
        for (g, ids) in ana.groups() {
            groups += 1;
            assert_eq!(ids.count(), g.nnsids as usize);
            black_box(g.ana_state().name());
        }
        assert_eq!(groups, ana.header.ngrps as u64);
    }

    // LBA Status: at most NLSLNE elements, each with NLRD descriptors.
    let lh: LbaStatusLog = read(data);
    let mut elements = 0u64;
    for el in lba_status_elements(data) {
        elements += 1;
        let nlrd = el.element.nlrd.get();
        let want = if nlrd == u32::MAX { 0 } else { nlrd as usize };
        assert_eq!(el.ranges().count(), want);
        assert!(el.ranges.len() <= data.len());
    }
    assert!(elements <= lh.nlslne.get() as u64);

    // Media Unit Status: at most NMU descriptors, all within the bytes.
    let mh: MediaUnitStatusLog = read(data);
    let n = media_units(data).count();
    assert!(n <= mh.nmu.get() as usize && n <= data.len().saturating_sub(16) / 16);

    // Supported Capacity Configuration List: the nesting never outgrows
    // the bytes or the counts.
    let mut bytes = 16usize;
    let configs = capacity_configs(data).count();
    assert!(configs <= data.first().copied().unwrap_or(0) as usize);
    for c in capacity_configs(data) {
        assert_eq!(c.groups.len(), c.desc.egcn.get() as usize);
        bytes += size_of::<CapacityConfigDesc>();
        for g in &c.groups {
            assert_eq!(g.nvmset_ids().count(), g.desc.egsets.get() as usize);
            bytes += size_of::<EgConfigDesc>() + g.nvmsets.len() + 2;
            let mut chans = 0usize;
            for ch in g.channels() {
                chans += 1;
                bytes += 4 + ch.media_units.len();
                black_box(ch.media_units().count());
            }
            assert_eq!(chans, g.egchans as usize);
            black_box(g.desc.tegcap.get());
        }
    }
    assert!(
        bytes <= data.len().max(16),
        "configurations past the log's end"
    );

    // The fixed layouts.
    let t: TelemetryLog = read(data);
    for a in 0..=5u8 {
        for da4 in [false, true] {
            if let Some(last) = t.last_block(TelemetryArea(a), da4) {
                black_box(TelemetryLog::bytes_through(last));
            }
        }
    }
    black_box(t.oui());
    black_box(read::<EnduranceGroupLog>(data));
    black_box(read::<ResvNotificationLog>(data));
    black_box(read::<PredictableLatencyLog>(data));
    let bp: BootPartitionHeader = read(data);
    black_box((bp.bpsz(), bp.abpid(), bp.data_bytes()));
    let s: SanitizeStatusLog = read(data);
    black_box((s.sans().name(), s.fails().name(), s.sstat));
    let sup: SupportedLogPages = read(data);
    let listed = sup.supported().count();
    assert_eq!(
        listed,
        (0..=255u8).filter(|l| sup.get(LogId(*l)).lsupp()).count()
    );
    let fx: FidEffectsLog = read(data);
    black_box(fx.fids.iter().filter(|f| f.fsupp()).count());
    let mi: MiEffectsLog = read(data);
    black_box(mi);
});
