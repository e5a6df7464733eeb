//! `endurance-event-agg-log` (LID 0Fh), `pred-lat-event-agg-log` (LID 0Bh)
//! and `predictable-lat-log` (LID 0Ah): text laid out like nvme-cli 2.13's,
//! JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{aggregate_entries, EventAggregateHeader, PredictableLatencyLog};
use zerocopy::FromBytes;

use super::{parse, read_log, LogReq};
use crate::cmd::identify::id_ctrl_of;
use crate::cmd::{Ctx, DevArg};
use crate::error::{usage, Result};
use crate::num;
use crate::output;
use serde::Serialize;

/// `endurance-event-agg-log` and `pred-lat-event-agg-log`.
#[derive(Debug, Args)]
pub struct AggregateArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Entries to read (at most the controller's ENDGIDMAX or NSETIDMAX).
    #[arg(short = 'e', long = "log-entries", value_parser = num::parse_u64, default_value = "2044")]
    pub log_entries: u64,
    /// Retain the asynchronous event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
    /// Write the raw page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `predictable-lat-log`.
#[derive(Debug, Args)]
pub struct PredLatArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// NVM Set Identifier (the Log Specific Identifier).
    #[arg(short = 'i', long = "nvmset-id", value_parser = num::u16, default_value = "1")]
    pub nvmset_id: u16,
    /// Write the raw 512-byte page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// Which aggregate page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// Endurance Group Event Aggregate.
    Endurance,
    /// Predictable Latency Event Aggregate.
    PredictableLatency,
}

/// An aggregate page laid out like nvme-cli's: the endurance page lists
/// `shown` entries as read, the latency page at most Number of Entries.
pub fn aggregate_text(which: Aggregate, log: &[u8], shown: u64, devname: &str) -> String {
    let n = EventAggregateHeader::read_from_prefix(log).map_or(0, |(h, _)| h.num_entries.get());
    let (title, limit) = match which {
        Aggregate::Endurance => ("Endurance Group Event Aggregate", u64::MAX),
        Aggregate::PredictableLatency => ("Predictable Latency Event Aggregate", n),
    };
    let mut s = format!("{title} Log for device: {devname}\nNumber of Entries Available: {n}\n");
    let raw = log.get(8..).unwrap_or_default();
    for (i, e) in raw
        .chunks_exact(2)
        .take(shown.min(limit) as usize)
        .enumerate()
    {
        s += &format!("Entry[{}]: {}\n", i + 1, u16::from_le_bytes([e[0], e[1]]));
    }
    s
}

/// One aggregate entry: an Endurance Group or NVM Set identifier.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AggregateEntryJson {
    entry: u16,
}

/// `endurance-event-agg-log` / `pred-lat-event-agg-log -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AggregateJson {
    num_entries_avail: u64,
    list_of_entries: Vec<AggregateEntryJson>,
}

/// nvme-cli's JSON for both aggregates.
pub fn aggregate_json(which: Aggregate, log: &[u8], shown: u64) -> AggregateJson {
    let n = EventAggregateHeader::read_from_prefix(log).map_or(0, |(h, _)| h.num_entries.get());
    let entries: Vec<u16> = match which {
        Aggregate::Endurance => log
            .get(8..)
            .unwrap_or_default()
            .chunks_exact(2)
            .take(shown as usize)
            .map(|e| u16::from_le_bytes([e[0], e[1]]))
            .collect(),
        Aggregate::PredictableLatency => aggregate_entries(log, shown).collect(),
    };
    AggregateJson {
        num_entries_avail: n,
        list_of_entries: entries
            .into_iter()
            .map(|entry| AggregateEntryJson { entry })
            .collect(),
    }
}

/// `nvmeq endurance-event-agg-log` / `pred-lat-event-agg-log`.
pub fn aggregate(ctx: &Ctx, a: &AggregateArgs, which: Aggregate) -> Result<()> {
    if a.log_entries == 0 {
        return Err(usage("non-zero log-entries is required param"));
    }
    let mut dev = ctx.open(&a.dev)?;
    let (id, _) = id_ctrl_of(&mut dev)?;
    let (lid, max, op) = match which {
        Aggregate::Endurance => (
            LogId::ENDURANCE_GROUP_EVENT,
            id.endgidmax,
            "Endurance Group Event Aggregate log",
        ),
        Aggregate::PredictableLatency => (
            LogId::PREDICTABLE_LATENCY_AGG,
            id.nsetidmax,
            "Predictable Latency Event Aggregate log",
        ),
    };
    let shown = a.log_entries.min(u64::from(max));
    // Whole dwords: one more entry's bytes when the count is odd.
    let len = (8 + shown as usize * 2).next_multiple_of(4);
    let req = LogReq {
        rae: a.rae,
        ..LogReq::new(lid, 0)
    };
    let piece = (dev.max_xfer() as usize & !3).clamp(4, len);
    let raw = read_log(&mut dev, op, &req, len, piece)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || aggregate_text(which, &raw, shown, &dev.name),
        || aggregate_json(which, &raw, shown),
        &raw,
    )
}

/// The page laid out like `nvme predictable-lat-log`.
pub fn pred_lat_text(l: &PredictableLatencyLog, set: u16, devname: &str) -> String {
    let mut s = format!("Predictable Latency Per NVM Set Log for device: {devname}\n");
    s += &format!("Predictable Latency Per NVM Set Log for NVM Set ID: {set}\n");
    s += &format!("Status: {}\n", l.status);
    s += &format!("Event Type: {}\n", l.event_type.get());
    for (k, v) in [
        ("DTWIN Reads Typical", l.dtwin_rt.get()),
        ("DTWIN Writes Typical", l.dtwin_wt.get()),
        ("DTWIN Time Maximum", l.dtwin_tmax.get()),
        ("NDWIN Time Minimum High", l.ndwin_tmin_hi.get()),
        ("NDWIN Time Minimum Low", l.ndwin_tmin_lo.get()),
        ("DTWIN Reads Estimate", l.dtwin_re.get()),
        ("DTWIN Writes Estimate", l.dtwin_we.get()),
    ] {
        s += &format!("{k}: {v}\n");
    }
    s += &format!("DTWIN Time Estimate: {}\n\n\n", l.dtwin_te.get());
    s
}

/// nvme-cli's `json_predictable_latency_per_nvmset`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PredLatJson {
    nvmset_id: u16,
    status: u8,
    event_type: u16,
    dtwin_reads_typical: u64,
    dtwin_writes_typical: u64,
    dtwin_time_maximum: u64,
    ndwin_time_minimum_high: u64,
    ndwin_time_minimum_low: u64,
    dtwin_reads_estimate: u64,
    dtwin_writes_estimate: u64,
    dtwin_time_estimate: u64,
}

/// `predictable-lat-log -o json`.
pub fn pred_lat_json(l: &PredictableLatencyLog, set: u16) -> PredLatJson {
    PredLatJson {
        nvmset_id: set,
        status: l.status,
        event_type: l.event_type.get(),
        dtwin_reads_typical: l.dtwin_rt.get(),
        dtwin_writes_typical: l.dtwin_wt.get(),
        dtwin_time_maximum: l.dtwin_tmax.get(),
        ndwin_time_minimum_high: l.ndwin_tmin_hi.get(),
        ndwin_time_minimum_low: l.ndwin_tmin_lo.get(),
        dtwin_reads_estimate: l.dtwin_re.get(),
        dtwin_writes_estimate: l.dtwin_we.get(),
        dtwin_time_estimate: l.dtwin_te.get(),
    }
}

/// `nvmeq predictable-lat-log`.
pub fn predictable_lat(ctx: &Ctx, a: &PredLatArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Predictable Latency Per NVM Set log";
    let req = LogReq {
        lsi: a.nvmset_id,
        ..LogReq::new(LogId::PREDICTABLE_LATENCY, 0)
    };
    let raw = read_log(&mut dev, op, &req, 512, 512)?;
    let l: PredictableLatencyLog = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || pred_lat_text(&l, a.nvmset_id, &dev.name),
        || pred_lat_json(&l, a.nvmset_id),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::{FromZeros, IntoBytes};

    #[test]
    fn aggregates_and_latency_lines() {
        let mut log = vec![0u8; 16];
        log[0] = 2;
        log[8..12].copy_from_slice(&[3, 0, 9, 0]);
        let t = aggregate_text(Aggregate::Endurance, &log, 3, "nvme0");
        assert_eq!(
            t,
            "Endurance Group Event Aggregate Log for device: nvme0\nNumber of Entries Available: 2\nEntry[1]: 3\nEntry[2]: 9\nEntry[3]: 0\n"
        );
        let t = aggregate_text(Aggregate::PredictableLatency, &log, 3, "nvme0");
        assert!(t.ends_with("Entry[2]: 9\n"), "{t}");
        let j =
            serde_json::to_value(aggregate_json(Aggregate::PredictableLatency, &log, 3)).unwrap();
        let e = crate::schema::errors("endurance-event-agg-log", &j);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(j["num_entries_avail"], 2);
        assert_eq!(j["list_of_entries"][1]["entry"], 9);
        assert_eq!(j["list_of_entries"].as_array().unwrap().len(), 2);

        let mut p = PredictableLatencyLog::new_zeroed();
        p.status = 1;
        p.dtwin_we.set(77);
        let t = pred_lat_text(&p, 1, "nvme0");
        assert!(
            t.contains("for NVM Set ID: 1\nStatus: 1\nEvent Type: 0\n"),
            "{t}"
        );
        assert!(t.contains("DTWIN Writes Estimate: 77\n"), "{t}");
        let j = serde_json::to_value(pred_lat_json(&p, 1)).unwrap();
        let e = crate::schema::errors("predictable-lat-log", &j);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(j["dtwin_writes_estimate"], 77);
        assert_eq!(p.as_bytes().len(), 512);
    }
}
