//! `boot-part-log` (LID 15h): the header shown like nvme-cli 2.13, the Boot
//! Partition's contents written to `--output-file`.

use std::io::Write;

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::BootPartitionHeader;
use serde::Serialize;

use super::{parse, read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, Format};

/// `boot-part-log`.
#[derive(Debug, Args)]
pub struct BootPartArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Log Specific Parameter: the Boot Partition Identifier (bit 0).
    #[arg(short = 's', long = "lsp", value_parser = num::u8, default_value = "0")]
    pub lsp: u8,
    /// File to write the partition's contents to.
    #[arg(short = 'f', long = "output-file")]
    pub output_file: Option<std::path::PathBuf>,
}

/// nvme-cli's `json_boot_part_log` (its `count` is the Log Identifier).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct BootPartJson {
    count: u8,
    abpid: u8,
    bpsz: u32,
}

/// The header laid out like `nvme boot-part-log`.
pub fn boot_part_text(h: &BootPartitionHeader, devname: &str) -> String {
    format!(
        "Boot Partition Log for device: {devname}\nLog ID: {}\nBoot Partition Size: {} KiB\nActive BPID: {}\n",
        h.lid,
        h.bpsz(),
        h.abpid()
    )
}

/// `nvmeq boot-part-log`.
pub fn boot_part(ctx: &Ctx, a: &BootPartArgs) -> Result<()> {
    let Some(path) = &a.output_file else {
        return Err(usage("Please provide an output file! (-f/--output-file)"));
    };
    if a.lsp > 127 {
        return Err(usage(format!("invalid lsp param: {}", a.lsp)));
    }
    let mut file = std::fs::File::create(path)
        .map_err(|e| CliError::io(format!("Failed to open output file {}", path.display()), e))?;
    let mut dev = ctx.open(&a.dev)?;
    let op = "Boot Partition log";
    let req = LogReq {
        lsp: a.lsp,
        ..LogReq::new(LogId::BOOT_PARTITION, 0)
    };
    let first = read_log(&mut dev, op, &req, 16, 16)?;
    let h: BootPartitionHeader = parse(&first, op)?;
    let len = 16 + usize::try_from(h.data_bytes()).unwrap_or(usize::MAX);
    let piece = (dev.max_xfer() as usize & !3).clamp(4, len);
    let raw = read_log(&mut dev, op, &req, len, piece)?;
    let h: BootPartitionHeader = parse(&raw, op)?;
    match ctx.fmt {
        Format::Json => output::json(&BootPartJson {
            count: h.lid,
            abpid: h.abpid(),
            bpsz: h.bpsz(),
        })?,
        Format::Normal => output::text(&boot_part_text(&h, &dev.name))?,
        Format::Binary => output::raw(&raw)?,
    }
    file.write_all(&raw[16..])
        .and_then(|_| file.sync_all())
        .map_err(|e| CliError::io(format!("writing {}", path.display()), e))?;
    if ctx.fmt == Format::Normal {
        output::text(&format!("Data flushed into file {}\n", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lines() {
        let mut h = BootPartitionHeader {
            lid: 0x15,
            ..Default::default()
        };
        h.bpinfo.set(1 << 31 | 4);
        assert_eq!(
            boot_part_text(&h, "nvme0"),
            "Boot Partition Log for device: nvme0\nLog ID: 21\nBoot Partition Size: 4 KiB\nActive BPID: 1\n"
        );
    }
}
