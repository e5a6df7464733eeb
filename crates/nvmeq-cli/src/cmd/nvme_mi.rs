//! `nvme-mi-send` and `nvme-mi-recv`: NVMe-MI Send/Receive (admin 1Dh/1Eh)
//! tunnelling an NVMe-MI request through the admin queue, with nvme-cli
//! 2.13's options (`-O -n -l -m -0 -1 -i`) and its result line: completion
//! dword 0 split into the NVMe-MI status (bits 7:0, named when not
//! Success) and the NVMe Management Response (bits 31:8).
//!
//! The transfer is `--data-len` bytes, checked against the device's largest
//! transfer before anything is read or sent; `nvme-mi-send` reads exactly
//! that many bytes from `--input-file` (or stdin) and refuses a shorter
//! input. An NVMe-MI request can write VPD, reset the subsystem or shut it
//! down, so `nvme-mi-send` needs `--force`, as `security-send` does.
//! `nvme-mi-recv` writes the response data to `--input-file` when one is
//! given (nvme-cli names it so for both), else prints a hex dump.

use std::path::PathBuf;

use clap::Args;
use nvmeq_core::cmd::{MiMessageType, MiResponse, NvmeMi};
use nvmeq_core::{AdminOpcode, Data};
use serde::Serialize;

use super::io::{read_input, write_output};
use super::{Ctx, DevArg};
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, hex, hexdump, Format};

/// The options both commands take.
#[derive(Debug, Args)]
pub struct MiArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// The NVMe-MI opcode (CDW11).
    #[arg(short = 'O', long = "opcode", value_parser = num::u8, default_value = "0")]
    pub opcode: u8,
    /// Namespace ID (default 0, as nvme-cli).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "0")]
    pub nsid: u32,
    /// Bytes of request (send) or response (receive) data.
    #[arg(short = 'l', long = "data-len", value_parser = num::u32, default_value = "0")]
    pub data_len: u32,
    /// NVMe-MI Message Type (NMIMT, 0-15): 1 NVMe-MI command, 2 admin, 4 PCIe.
    #[arg(short = 'm', long = "nmimt", value_parser = num::u32, default_value = "0")]
    pub nmimt: u32,
    /// NVMe Management Dword 0 (NMD0, CDW12).
    #[arg(short = '0', long = "nmd0", value_parser = num::u32, default_value = "0")]
    pub nmd0: u32,
    /// NVMe Management Dword 1 (NMD1, CDW13).
    #[arg(short = '1', long = "nmd1", value_parser = num::u32, default_value = "0")]
    pub nmd1: u32,
    /// Send: the request data (default stdin). Receive: where the response
    /// data goes (default a hex dump on stdout).
    #[arg(short = 'i', long = "input-file")]
    pub file: Option<PathBuf>,
}

/// `nvme-mi-send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub mi: MiArgs,
    /// Confirm: an NVMe-MI request can write VPD, reset or shut down the subsystem.
    #[arg(long)]
    pub force: bool,
}

/// `nvme-mi-send -o json` and `nvme-mi-recv -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct MiJson {
    /// The command's name.
    command: String,
    /// The namespace it addressed.
    nsid: u32,
    /// The NVMe status.
    status: String,
    /// Completion dword 0 (and dword 1 in the high half).
    result: u64,
    /// The NVMe-MI Response Message Status (dword 0 bits 7:0).
    mi_status: u8,
    /// Its name ("Unknown status" for a reserved or vendor value).
    mi_status_name: String,
    /// The NVMe Management Response (dword 0 bits 31:8).
    response: u32,
    /// Receive: the response data, as hex (absent with --input-file).
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
}

fn nmimt(a: &MiArgs, op: &str) -> Result<MiMessageType> {
    u8::try_from(a.nmimt)
        .ok()
        .filter(|&m| m <= 0xf)
        .map(MiMessageType)
        .ok_or_else(|| {
            usage(format!(
                "{op}: --nmimt {} does not fit the 4-bit NVMe-MI Message Type \
                 (0 control primitive, 1 NVMe-MI command, 2 admin, 4 PCIe)",
                a.nmimt
            ))
        })
}

/// `nvmeq nvme-mi-send`.
pub fn send(ctx: &Ctx, a: &SendArgs) -> Result<()> {
    let op = "nvme-mi-send";
    let m = &a.mi;
    let nmimt = nmimt(m, op)?;
    if m.data_len == 0 && m.file.is_some() {
        return Err(usage(format!(
            "{op}: --input-file given but --data-len is 0: give --data-len/-l, the bytes to send"
        )));
    }
    if !a.force {
        return Err(usage(format!(
            "{op} can change the subsystem (VPD Write, Reset, Shutdown, Configuration Set): \
             pass --force to confirm"
        )));
    }
    let mut dev = ctx.open(&m.dev)?;
    check_len(&dev, op, m.data_len)?;
    let buf = read_input(m.file.as_deref(), m.data_len as usize).map_err(|e| match e {
        CliError::Usage(_) => usage(format!(
            "{op}: {} holds fewer than the --data-len {} bytes to send",
            m.file
                .as_deref()
                .map_or("stdin".into(), |p| p.display().to_string()),
            m.data_len
        )),
        e => e,
    })?;
    let cmd = NvmeMi::send(nmimt, m.opcode, m.data_len)
        .nsid(m.nsid)
        .nmd0(m.nmd0)
        .nmd1(m.nmd1)
        .build();
    let data = if buf.is_empty() {
        Data::None
    } else {
        Data::ToDevice(&buf)
    };
    let c = dev.exec("NVMe-MI Send", &cmd, data)?;
    report(ctx, AdminOpcode::NVME_MI_SEND, m, c.result(), None)
}

/// `nvmeq nvme-mi-recv`.
pub fn recv(ctx: &Ctx, a: &MiArgs) -> Result<()> {
    let op = "nvme-mi-recv";
    let nmimt = nmimt(a, op)?;
    if a.data_len == 0 && a.file.is_some() {
        return Err(usage(format!(
            "{op}: --input-file given but --data-len is 0: give --data-len/-l, the bytes to receive"
        )));
    }
    let mut dev = ctx.open(&a.dev)?;
    check_len(&dev, op, a.data_len)?;
    let mut buf = vec![0u8; a.data_len as usize];
    let cmd = NvmeMi::receive(nmimt, a.opcode, a.data_len)
        .nsid(a.nsid)
        .nmd0(a.nmd0)
        .nmd1(a.nmd1)
        .build();
    let data = if buf.is_empty() {
        Data::None
    } else {
        Data::FromDevice(&mut buf)
    };
    let c = dev.exec("NVMe-MI Receive", &cmd, data)?;
    report(ctx, AdminOpcode::NVME_MI_RECEIVE, a, c.result(), Some(&buf))
}

fn check_len(dev: &crate::device::Device, op: &str, len: u32) -> Result<()> {
    let max = dev.max_xfer();
    if len > max {
        return Err(usage(format!(
            "{op}: --data-len {len} exceeds the largest transfer this device accepts \
             ({max} bytes, from MDTS)"
        )));
    }
    Ok(())
}

/// nvme-cli's result line, the status name when not Success, then the
/// response data (receive).
fn report(
    ctx: &Ctx,
    opcode: AdminOpcode,
    a: &MiArgs,
    result: u64,
    data: Option<&[u8]>,
) -> Result<()> {
    let name = opcode.name().unwrap_or("NVMe-MI");
    let r = MiResponse::from_dw0(result as u32);
    let status_name = r.status.name().unwrap_or("Unknown status");
    let to_file = a.file.is_some() && data.is_some();
    if to_file {
        if let Some(d) = data {
            write_output(a.file.as_deref(), d)?;
        }
    }
    match ctx.fmt {
        Format::Normal => {
            let mut s = format!(
                "{name} Command is Success and result: 0x{:08x} (status: 0x{:02x}, response: 0x{:06x})\n",
                result as u32, r.status.0, r.nmresp
            );
            if r.status.0 != 0 {
                s += &format!("status: {status_name}\n");
            }
            if let Some(d) = data.filter(|d| !to_file && !d.is_empty()) {
                s += &hexdump(d);
            }
            output::text(&s)
        }
        Format::Json => output::json(&MiJson {
            command: if data.is_some() {
                "nvme-mi-recv"
            } else {
                "nvme-mi-send"
            }
            .into(),
            nsid: a.nsid,
            status: "Successful Completion".into(),
            result,
            mi_status: r.status.0,
            mi_status_name: status_name.into(),
            response: r.nmresp,
            data: data.filter(|_| !to_file).map(hex),
        }),
        Format::Binary => match data {
            Some(d) if !to_file => output::raw(d),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(nmimt: u32) -> MiArgs {
        MiArgs {
            dev: DevArg {
                device: "ram:1M".into(),
            },
            opcode: 0,
            nsid: 0,
            data_len: 0,
            nmimt,
            nmd0: 0,
            nmd1: 0,
            file: None,
        }
    }

    #[test]
    fn nmimt_is_four_bits() {
        assert_eq!(nmimt(&args(4), "x").unwrap(), MiMessageType::PCIE_COMMAND);
        assert_eq!(nmimt(&args(15), "x").unwrap(), MiMessageType(15));
        let e = nmimt(&args(16), "x").unwrap_err().to_string();
        assert!(e.contains("--nmimt 16"), "{e}");
        assert!(nmimt(&args(0x1_0001), "x").is_err());
    }

    #[test]
    fn json_matches_its_schema() {
        for (cmd, data) in [
            ("nvme-mi-recv", Some("00ff".to_string())),
            ("nvme-mi-send", None),
        ] {
            let v = serde_json::to_value(MiJson {
                command: cmd.into(),
                nsid: 0,
                status: "Successful Completion".into(),
                result: 0x1234_5603,
                mi_status: 3,
                mi_status_name: "Invalid Command Opcode".into(),
                response: 0x12_3456,
                data,
            })
            .unwrap();
            let e = crate::schema::errors(cmd, &v);
            assert!(e.is_empty(), "{e:?}");
        }
    }
}
