//! `telemetry-log`: a host-initiated capture (created, or the last one) or
//! the controller-initiated data, data areas 1 to 3 (or 4), written to a file
//! as nvme-cli 2.13 writes it: header and data blocks, unchanged.

use std::io::Write;

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{telemetry_lpa, telemetry_lsp, TelemetryArea, TelemetryLog, TELEMETRY_BLOCK};
use serde::Serialize;

use super::{parse, read_log, LogReq};
use crate::cmd::identify::id_ctrl_of;
use crate::cmd::{Ctx, DevArg};
use crate::device::Device;
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, hex, Format};

/// `telemetry-log`.
#[derive(Debug, Args)]
pub struct TelemetryArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// File to write the log to, header included.
    #[arg(short = 'O', long = "output-file")]
    pub output_file: Option<std::path::PathBuf>,
    /// Non-zero (the default): have the controller capture new host-initiated
    /// data first; 0: read the last capture.
    #[arg(short = 'g', long = "host-generate", value_parser = num::u32, default_value = "1")]
    pub host_generate: u32,
    /// Read the controller-initiated data instead.
    #[arg(short = 'c', long = "controller-init")]
    pub controller_init: bool,
    /// Read data areas 1 up to this one: 1, 2, 3 (default) or 4.
    #[arg(short = 'd', long = "data-area", value_parser = num::u8, default_value = "3")]
    pub data_area: u8,
    /// Retain the asynchronous event (controller-initiated only).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
    /// Maximum Created Data Area of a new capture, 0 (the controller decides)
    /// to 4; replaces --data-area.
    #[arg(short = 'm', long = "mcda", value_parser = num::u8)]
    pub mcda: Option<u8>,
}

/// `telemetry-log -o json`: nvme-cli prints nothing on success; this is the
/// header that was written, with libnvme's field names, and where it went.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct TelemetryJson<'a> {
    device: &'a str,
    output_file: String,
    bytes_written: usize,
    lpi: u8,
    ieee: u32,
    dalb1: u16,
    dalb2: u16,
    dalb3: u16,
    dalb4: u32,
    hostdgn: u8,
    ctrlavail: u8,
    ctrldgn: u8,
    /// Reason Identifier, as lowercase hex.
    rsnident: String,
}

/// nvme-cli's `parse_telemetry_da`: the bytes to read for `area`.
fn area_bytes(h: &TelemetryLog, area: TelemetryArea, da4: bool) -> Result<usize> {
    let last = h.last_block(area, da4).ok_or_else(|| {
        if area == TelemetryArea::DA4 {
            usage("Data area 4 unsupported, bit 6 of Log Page Attributes not set")
        } else {
            usage(format!("Invalid data area parameter - {}", area.0))
        }
    })?;
    if last == 0 {
        return Err(CliError::Device(
            "telemetry-log: no telemetry data block (the data area's last block is 0)".into(),
        ));
    }
    Ok(TelemetryLog::bytes_through(last) as usize)
}

/// Reads the first `len` bytes of `lid` in pieces no larger than MDTS.
fn read_pieces(dev: &mut Device, op: &str, req: &LogReq, len: usize) -> Result<Vec<u8>> {
    let piece = (dev.max_xfer() as usize & !3).clamp(4, len);
    read_log(dev, op, req, len, piece)
}

/// `nvmeq telemetry-log`.
pub fn telemetry_log(ctx: &Ctx, a: &TelemetryArgs) -> Result<()> {
    let Some(path) = &a.output_file else {
        return Err(usage("Please provide an output file! (-O/--output-file)"));
    };
    let host_gen = a.host_generate != 0;
    let area = match a.mcda {
        Some(_) if a.controller_init || !host_gen => {
            return Err(usage("mcda allowed for Host-init Creation!"));
        }
        Some(m) if m <= 4 => TelemetryArea(m),
        Some(m) => return Err(usage(format!("--mcda {m}: 0 to 4"))),
        None if (1..=4).contains(&a.data_area) => TelemetryArea(a.data_area),
        None => {
            return Err(usage(format!(
                "Invalid data area parameter - {} (1, 2, 3 or 4)",
                a.data_area
            )))
        }
    };
    let mut file = std::fs::File::create(path)
        .map_err(|e| CliError::io(format!("Failed to open output file {}", path.display()), e))?;
    let mut dev = ctx.open(&a.dev)?;
    let (id, _) = id_ctrl_of(&mut dev)?;
    let da4 = id.lpa & telemetry_lpa::DA4 != 0;
    let (lid, op) = if a.controller_init {
        (LogId::TELEMETRY_CTRL, "Telemetry Controller-Initiated log")
    } else {
        (LogId::TELEMETRY_HOST, "Telemetry Host-Initiated log")
    };
    let base = LogReq::new(lid, 0);
    // The header first: it says how long each data area is.
    let first = if a.controller_init {
        // RAE set so reading the header does not clear the event.
        let req = LogReq { rae: true, ..base };
        read_log(&mut dev, op, &req, TELEMETRY_BLOCK, TELEMETRY_BLOCK)?
    } else if host_gen {
        let req = LogReq {
            lsp: telemetry_lsp::CREATE | telemetry_lsp::mcda(area.0),
            ..base
        };
        read_log(
            &mut dev,
            "Create Telemetry Host-Initiated Data",
            &req,
            TELEMETRY_BLOCK,
            TELEMETRY_BLOCK,
        )?
    } else {
        read_log(&mut dev, op, &base, TELEMETRY_BLOCK, TELEMETRY_BLOCK)?
    };
    let header: TelemetryLog = parse(&first, op)?;
    let log = if a.controller_init && header.ctrlavail == 0 {
        if !a.rae {
            // As nvme-cli: read the header again with RAE clear, which
            // releases the asynchronous event.
            read_log(&mut dev, op, &base, TELEMETRY_BLOCK, TELEMETRY_BLOCK)?;
        }
        eprintln!("Warning: Telemetry Controller-Initiated Data Not Available.");
        first
    } else {
        let len = area_bytes(&header, area, da4)?;
        let req = LogReq {
            rae: a.controller_init && a.rae,
            ..base
        };
        read_pieces(&mut dev, op, &req, len)?
    };
    file.write_all(&log)
        .and_then(|_| file.sync_all())
        .map_err(|e| CliError::io(format!("writing {}", path.display()), e))?;
    let h: TelemetryLog = parse(&log, op)?;
    match ctx.fmt {
        Format::Json => output::json(&TelemetryJson {
            device: &dev.name,
            output_file: path.display().to_string(),
            bytes_written: log.len(),
            lpi: h.lpi,
            ieee: h.oui(),
            dalb1: h.dalb1.get(),
            dalb2: h.dalb2.get(),
            dalb3: h.dalb3.get(),
            dalb4: h.dalb4.get(),
            hostdgn: h.hostdgn,
            ctrlavail: h.ctrlavail,
            ctrldgn: h.ctrldgn,
            rsnident: hex(&h.rsnident),
        }),
        // nvme-cli prints nothing: the log is in the file.
        Format::Normal | Format::Binary => Ok(()),
    }
}
