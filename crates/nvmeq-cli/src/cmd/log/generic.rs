//! `get-log`: any log page, raw, read in pieces of `--xfer-len` bytes.

use clap::Args;
use nvmeq_core::cmd::{Csi, LogId};
use serde::Serialize;

use super::{read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, cx, hex, hexdump, Format};

/// `get-log`.
#[derive(Debug, Args)]
pub struct GetLogArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID.
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "0xffffffff")]
    pub nsid: u32,
    /// Log Page Identifier (LID).
    #[arg(short = 'i', long = "log-id", value_parser = num::u8, required_unless_present = "aen")]
    pub lid: Option<u8>,
    /// Bytes to read: a positive multiple of 4.
    #[arg(short = 'l', long = "log-len", value_parser = num::u32, required_unless_present = "aen")]
    pub len: Option<u32>,
    /// An Asynchronous Event result: reads 4096 bytes of the log it names
    /// (bits 23:16), instead of --log-id and --log-len.
    #[arg(short = 'a', long = "aen", value_parser = num::u32)]
    pub aen: Option<u32>,
    /// Log Page Offset (LPO), in bytes (or entries with --ot).
    #[arg(short = 'L', long = "lpo", value_parser = num::suffixed, default_value = "0")]
    pub lpo: u64,
    /// Log Specific Parameter (LSP), 0 to 127.
    #[arg(short = 's', long = "lsp", value_parser = num::u8, default_value = "0")]
    pub lsp: u8,
    /// Log Specific Identifier (LSI).
    #[arg(short = 'S', long = "lsi", value_parser = num::u16, default_value = "0")]
    pub lsi: u16,
    /// Retain Asynchronous Event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
    /// UUID Index, 0 to 127.
    #[arg(short = 'U', long = "uuid-index", value_parser = num::u8, default_value = "0")]
    pub uuid_index: u8,
    /// Command Set Identifier (CSI).
    #[arg(short = 'y', long = "csi", value_parser = num::u8, default_value = "0")]
    pub csi: u8,
    /// Offset Type (OT): --lpo is an index of entries.
    #[arg(short = 'O', long = "ot")]
    pub ot: bool,
    /// Bytes per Get Log Page command: a positive multiple of 4 (nvme-cli: of 4096).
    #[arg(short = 'x', long = "xfer-len", value_parser = num::u32, default_value = "4096")]
    pub xfer_len: u32,
    /// Write the raw log to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `get-log -o json` (nvme-cli has no JSON for it and prints its hex dump).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct GetLogJson<'a> {
    device: &'a str,
    log_id: u8,
    namespace_id: u32,
    lpo: u64,
    /// The bytes as lowercase hex, two digits each.
    data: String,
}

/// `nvmeq get-log`.
pub fn get_log_cmd(ctx: &Ctx, a: &GetLogArgs) -> Result<()> {
    let (lid, len) = match a.aen {
        Some(aen) => (((aen >> 16) & 0xff) as u8, 4096),
        None => match (a.lid, a.len) {
            (Some(lid), Some(len)) => (lid, len),
            // clap requires both without --aen.
            _ => return Err(usage("get-log needs --log-id and --log-len (or --aen)")),
        },
    };
    if len == 0 || len % 4 != 0 {
        return Err(usage(format!(
            "--log-len {len}: a positive multiple of 4 bytes (dwords) is required"
        )));
    }
    if a.lsp > 127 {
        return Err(usage(format!("--lsp {}: at most 127 (7 bits)", a.lsp)));
    }
    if a.uuid_index > 127 {
        return Err(usage(format!(
            "--uuid-index {}: at most 127 (7 bits)",
            a.uuid_index
        )));
    }
    // nvme-cli wants a multiple of 4096; any whole number of dwords works.
    if a.xfer_len == 0 || a.xfer_len % 4 != 0 {
        return Err(usage(format!(
            "--xfer-len {}: a positive multiple of 4 bytes (dwords) is required",
            a.xfer_len
        )));
    }
    let mut dev = ctx.open(&a.dev)?;
    let req = LogReq {
        lsp: a.lsp,
        lsi: a.lsi,
        rae: a.rae,
        csi: Csi(a.csi),
        uidx: a.uuid_index,
        ot: a.ot,
        lpo: a.lpo,
        ..LogReq::new(LogId(lid), a.nsid)
    };
    let raw = read_log(
        &mut dev,
        "Get Log Page",
        &req,
        len as usize,
        a.xfer_len as usize,
    )?;
    match ctx.fmt_raw(a.raw) {
        Format::Binary => output::raw(&raw),
        Format::Json => output::json(&GetLogJson {
            device: &dev.name,
            log_id: lid,
            namespace_id: a.nsid,
            lpo: a.lpo,
            data: hex(&raw),
        }),
        Format::Normal => output::text(&format!(
            "Device:{} log-id:{lid} namespace-id:{}\n{}",
            dev.name,
            cx(a.nsid),
            hexdump(&raw)
        )),
    }
}
