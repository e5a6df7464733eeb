//! `admin-passthru` and `io-passthru`: any opcode, built by hand from the
//! options, with nvme-cli's option names (`--opcode` is `-O` here because
//! `-o` is the output format on every nvmeq command).

use clap::Args;
use nvmeq_core::{AdminOpcode, Cmd, Command, Data, DataDir, NvmOpcode, Xfer};
use serde::Serialize;

use super::{require_force, require_nsid, Ctx, DevArg};
use crate::cmd::io::{read_input, show_command, write_output};
use crate::device::Device;
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, Format};

/// Options shared by both passthrough commands.
#[derive(Debug, Args)]
pub struct PassthruArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Opcode (CDW0 bits 7:0).
    #[arg(short = 'O', long = "opcode", value_parser = num::u8)]
    pub opcode: u8,
    /// Command flags (CDW0 bits 15:8: FUSE, PSDT).
    #[arg(short = 'f', long = "flags", value_parser = num::u8, default_value = "0")]
    pub flags: u8,
    /// Namespace ID (required for commands that write or are destructive).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Data length in bytes.
    #[arg(short = 'l', long = "data-len", value_parser = num::suffixed, default_value = "0")]
    pub data_len: u64,
    /// Separate metadata length in bytes (I/O commands that move blocks on a
    /// format with separate metadata; default: what the command's NLB moves).
    #[arg(short = 'm', long = "metadata-len", value_parser = num::suffixed, default_value = "0")]
    pub metadata_len: u64,
    /// Metadata file: sent by a command that writes, written by one that reads.
    #[arg(short = 'M', long = "metadata")]
    pub metadata: Option<std::path::PathBuf>,
    /// Byte to prefill a read buffer with.
    #[arg(short = 'p', long = "prefill", value_parser = num::u8, default_value = "0")]
    pub prefill: u8,
    /// Command dword 2.
    #[arg(short = '2', long = "cdw2", value_parser = num::u32, default_value = "0")]
    pub cdw2: u32,
    /// Command dword 3.
    #[arg(short = '3', long = "cdw3", value_parser = num::u32, default_value = "0")]
    pub cdw3: u32,
    /// Command dword 10.
    #[arg(short = '4', long = "cdw10", value_parser = num::u32, default_value = "0")]
    pub cdw10: u32,
    /// Command dword 11.
    #[arg(short = '5', long = "cdw11", value_parser = num::u32, default_value = "0")]
    pub cdw11: u32,
    /// Command dword 12.
    #[arg(short = '6', long = "cdw12", value_parser = num::u32, default_value = "0")]
    pub cdw12: u32,
    /// Command dword 13.
    #[arg(short = '7', long = "cdw13", value_parser = num::u32, default_value = "0")]
    pub cdw13: u32,
    /// Command dword 14.
    #[arg(short = '8', long = "cdw14", value_parser = num::u32, default_value = "0")]
    pub cdw14: u32,
    /// Command dword 15.
    #[arg(short = '9', long = "cdw15", value_parser = num::u32, default_value = "0")]
    pub cdw15: u32,
    /// File with the data to send (default stdin) for host-to-controller commands.
    #[arg(short = 'i', long = "input-file")]
    pub input: Option<std::path::PathBuf>,
    /// Write returned data raw to stdout instead of a hex dump.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// Print the command before sending it.
    #[arg(short = 's', long = "show-command")]
    pub show: bool,
    /// Print the command and do not send it.
    #[arg(short = 'd', long = "dry-run")]
    pub dry_run: bool,
    /// The command reads data from the controller (for opcodes whose low bits say otherwise).
    #[arg(short = 'r', long = "read", conflicts_with = "write")]
    pub read: bool,
    /// The command writes data to the controller.
    #[arg(short = 'w', long = "write")]
    pub write: bool,
    /// Confirm a destructive admin opcode (Format NVM, Sanitize).
    #[arg(long = "force")]
    pub force: bool,
}

/// Admin opcodes that change controller or namespace state whatever their data bits say.
fn admin_destructive(op: u8) -> bool {
    matches!(
        AdminOpcode(op),
        AdminOpcode::DELETE_IO_SQ
            | AdminOpcode::CREATE_IO_SQ
            | AdminOpcode::DELETE_IO_CQ
            | AdminOpcode::CREATE_IO_CQ
            | AdminOpcode::ABORT
            | AdminOpcode::SET_FEATURES
            | AdminOpcode::NS_MANAGEMENT
            | AdminOpcode::FIRMWARE_COMMIT
            | AdminOpcode::FIRMWARE_DOWNLOAD
            | AdminOpcode::DEVICE_SELF_TEST
            | AdminOpcode::NS_ATTACHMENT
            | AdminOpcode::DIRECTIVE_SEND
            | AdminOpcode::VIRTUALIZATION_MANAGEMENT
            | AdminOpcode::DOORBELL_BUFFER_CONFIG
            | AdminOpcode::FORMAT_NVM
            | AdminOpcode::SECURITY_SEND
            | AdminOpcode::SANITIZE
    )
}

/// I/O opcodes that change data without moving any.
fn io_destructive(op: u8) -> bool {
    matches!(
        NvmOpcode(op),
        NvmOpcode::WRITE_UNCORRECTABLE | NvmOpcode::WRITE_ZEROES
    )
}

/// The bytes a command moves as its own dwords define it, for the opcodes
/// where they do. A passthrough buffer smaller than that would let the
/// controller write past it, so it is refused.
fn derived_len(dev: &mut Device, admin: bool, sqe: &Command) -> Result<Option<u64>> {
    let nlb = u64::from(sqe.cdw12 & 0xffff) + 1;
    Ok(match (admin, sqe.opcode()) {
        (true, 0x06) => Some(4096),
        (true, 0x02) => {
            let numd = (u64::from(sqe.cdw11 & 0xffff) << 16) | u64::from(sqe.cdw10 >> 16);
            Some((numd + 1) * 4)
        }
        (false, 0x01 | 0x02 | 0x05 | 0x7d) => Some(nlb * u64::from(dev.lba_size(sqe.nsid)?)),
        (false, 0x09) => Some((u64::from(sqe.cdw10 & 0xff) + 1) * 16),
        (false, 0x7a) => Some((u64::from(sqe.cdw12) + 1) * 4),
        _ => None,
    })
}

/// The separate metadata a block-moving I/O command takes by its own dwords
/// on its namespace's format: NLB × the metadata size, or none with PRACT on
/// a format whose metadata is only PI (the controller inserts or strips it).
fn derived_meta_len(dev: &mut Device, admin: bool, sqe: &Command) -> Result<u64> {
    if admin || !matches!(sqe.opcode(), 0x01 | 0x02 | 0x05 | 0x7d) {
        return Ok(0);
    }
    // A namespace whose format cannot be read gets no metadata here: the
    // command itself then reports what is wrong with it.
    let Ok(fmt) = dev.format(sqe.nsid) else {
        return Ok(0);
    };
    let pract = sqe.cdw12 & (1 << 29) != 0;
    if fmt.meta_bytes == 0 || (pract && fmt.pi_only()) {
        return Ok(0);
    }
    Ok((u64::from(sqe.cdw12 & 0xffff) + 1) * u64::from(fmt.meta_bytes))
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PassthruJson {
    opcode: u8,
    nsid: u32,
    status: &'static str,
    result: u64,
    data_len: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    metadata_len: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The data direction: `--read`/`--write` override the opcode's low bits.
fn direction(a: &PassthruArgs) -> DataDir {
    if a.read {
        DataDir::FromDevice
    } else if a.write {
        DataDir::ToDevice
    } else {
        match DataDir::from_opcode_bits(a.opcode) {
            // Bidirectional commands are read back through one buffer.
            DataDir::Both => DataDir::FromDevice,
            d => d,
        }
    }
}

/// `nvmeq admin-passthru` (`admin = true`) or `nvmeq io-passthru`.
pub fn run(ctx: &Ctx, a: &PassthruArgs, admin: bool) -> Result<()> {
    let dir = direction(a);
    let what = if admin {
        AdminOpcode(a.opcode).name()
    } else {
        NvmOpcode(a.opcode).name()
    }
    .map(|n| format!("{n} (opcode {:#04x})", a.opcode))
    .unwrap_or_else(|| format!("opcode {:#04x}", a.opcode));
    let destructive = if admin {
        admin_destructive(a.opcode)
    } else {
        io_destructive(a.opcode)
    };
    if dir == DataDir::ToDevice || destructive {
        require_nsid(&format!("passthrough {what}"), a.nsid)?;
    }
    if admin
        && matches!(
            AdminOpcode(a.opcode),
            AdminOpcode::FORMAT_NVM | AdminOpcode::SANITIZE
        )
    {
        require_force(&format!("passthrough {what}"), a.force)?;
    }
    let mut sqe = Command::new(a.opcode, a.nsid.unwrap_or(0));
    sqe.cdw0 = sqe.cdw0.with_fuse(a.flags & 3).with_psdt(a.flags >> 6);
    sqe.cdw2 = a.cdw2;
    sqe.cdw3 = a.cdw3;
    sqe.cdw10 = a.cdw10;
    sqe.cdw11 = a.cdw11;
    sqe.cdw12 = a.cdw12;
    sqe.cdw13 = a.cdw13;
    sqe.cdw14 = a.cdw14;
    sqe.cdw15 = a.cdw15;
    let mut dev = ctx.open(&a.dev)?;
    let mut len = a.data_len;
    if dir != DataDir::None {
        if let Some(need) = derived_len(&mut dev, admin, &sqe)? {
            if len == 0 {
                len = need;
            } else if len < need {
                return Err(usage(format!(
                    "{what} transfers {need} bytes by its own dwords, more than --data-len {len}: \
                     a smaller buffer would let the controller write past it"
                )));
            }
        }
    }
    let len = usize::try_from(len)
        .ok()
        .filter(|&l| u32::try_from(l).is_ok())
        .ok_or_else(|| usage(format!("--data-len {len} does not fit 32 bits")))?;
    let max = dev.max_xfer();
    if len > max as usize {
        return Err(usage(format!(
            "--data-len {len} exceeds the largest transfer this device accepts ({max} bytes, from MDTS)"
        )));
    }
    if dir == DataDir::None && len != 0 {
        return Err(usage(format!(
            "{what} transfers no data (opcode bits 1:0 are 00b): drop --data-len or pass --read/--write"
        )));
    }
    let mut mlen = a.metadata_len;
    if dir != DataDir::None && len != 0 {
        let need = derived_meta_len(&mut dev, admin, &sqe)?;
        if mlen == 0 {
            mlen = need;
        } else if mlen < need {
            return Err(usage(format!(
                "{what} moves {need} bytes of separate metadata by its NLB and the namespace's \
                 format, more than --metadata-len {mlen}"
            )));
        }
    }
    let mlen = usize::try_from(mlen)
        .ok()
        .filter(|&l| u32::try_from(l).is_ok())
        .ok_or_else(|| usage(format!("--metadata-len {mlen} does not fit 32 bits")))?;
    if mlen != 0 && (dir == DataDir::None || len == 0) {
        return Err(usage(
            "--metadata-len: a command without a data transfer moves no metadata",
        ));
    }
    if mlen == 0 && a.metadata.is_some() {
        return Err(usage(
            "--metadata: this command moves no separate metadata (give --metadata-len for one \
             the namespace's format does not size)",
        ));
    }
    let xfer = if len == 0 {
        Xfer::None
    } else {
        Xfer::Bytes(len as u32)
    };
    let dir = if len == 0 { DataDir::None } else { dir };
    let cmd = match (admin, mlen) {
        (true, _) => Cmd::admin(sqe, dir, xfer),
        (false, 0) => Cmd::io(sqe, dir, xfer),
        // Metadata moves: the command's own NLB (as the builders make it) is
        // what the backend sizes both buffers from; a transfer its fields do
        // not define has nothing to size metadata by.
        (false, _) => match Cmd::from_sqe(nvmeq_core::cmd::QueueKind::Io, sqe) {
            Some(c) if matches!(c.xfer, Xfer::Blocks(_)) => Cmd { dir, ..c },
            _ => {
                return Err(usage(format!(
                    "--metadata-len: {what} is not a command whose NLB sizes its metadata \
                     (Read, Write, Compare, Zone Append)"
                )))
            }
        },
    };
    if a.show || a.dry_run {
        eprint!("{}", show_command(&cmd, len));
        if a.dry_run {
            return Ok(());
        }
    }
    let op = if admin {
        "Admin passthru"
    } else {
        "IO passthru"
    };
    let (c, data, meta) = match dir {
        DataDir::ToDevice => {
            let buf = read_input(a.input.as_deref(), len)?;
            if mlen == 0 {
                (dev.exec(op, &cmd, Data::ToDevice(&buf))?, None, None)
            } else {
                let m = match &a.metadata {
                    Some(p) => read_input(Some(p), mlen)?,
                    None => {
                        return Err(usage(format!(
                            "{what} sends {mlen} bytes of separate metadata: give them with \
                             --metadata FILE"
                        )))
                    }
                };
                let c = dev.exec_with(op, &cmd, Data::ToDevice(&buf), Data::ToDevice(&m))?;
                (c, None, None)
            }
        }
        DataDir::FromDevice | DataDir::Both => {
            let mut buf = vec![a.prefill; len];
            if mlen == 0 {
                (
                    dev.exec(op, &cmd, Data::FromDevice(&mut buf))?,
                    Some(buf),
                    None,
                )
            } else {
                let mut m = vec![a.prefill; mlen];
                let c = dev.exec_with(
                    op,
                    &cmd,
                    Data::FromDevice(&mut buf),
                    Data::FromDevice(&mut m),
                )?;
                if let Some(p) = &a.metadata {
                    write_output(Some(p), &m)?;
                }
                (c, Some(buf), Some(m))
            }
        }
        DataDir::None => (dev.exec(op, &cmd, Data::None)?, None, None),
    };
    // Written to --metadata when given; shown with the data otherwise.
    let meta = meta.filter(|_| a.metadata.is_none());
    match ctx.fmt_raw(a.raw) {
        Format::Binary => output::raw(data.as_deref().unwrap_or(&[])),
        Format::Json => output::json(&PassthruJson {
            opcode: a.opcode,
            nsid: cmd.sqe.nsid,
            status: "Successful Completion",
            result: c.result(),
            data_len: len,
            data: data.as_deref().map(output::hex),
            metadata_len: mlen,
            metadata: meta.as_deref().map(output::hex),
        }),
        Format::Normal => {
            let mut s = format!("NVMe command result:{:08x}\n", c.dw0);
            if let Some(d) = &data {
                s.push_str(&output::hexdump(d));
            }
            if let Some(m) = &meta {
                s.push_str("metadata:\n");
                s.push_str(&output::hexdump(m));
            }
            output::text(&s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destructive_sets() {
        assert!(admin_destructive(0x80));
        assert!(admin_destructive(0x84));
        assert!(admin_destructive(0x09));
        assert!(!admin_destructive(0x06));
        assert!(!admin_destructive(0x02));
        assert!(io_destructive(0x08));
        assert!(!io_destructive(0x02));
    }
}
