//! `io-mgmt-recv` and `io-mgmt-send`: I/O Management Receive and Send
//! (Flexible Data Placement) with nvme-cli 2.13's options (`-n -s -m -d -l`)
//! and text: the success line, then the received data as a hex dump (or to
//! `--data`). nvme-cli prints only that text; nvmeq's `-o json` decodes a
//! Reclaim Unit Handle Status with the keys of `nvme fdp status -o json`
//! (`nruhsd`, `ruhss`: `pid`, `ruhid`, `earutr`, `ruamw`), and `-o binary`
//! writes the data raw.
//!
//! Differences on purpose: `io-mgmt-recv` needs `--data-len` (nvme-cli sends
//! NUMD FFFFFFFFh without one); `io-mgmt-send` needs `--namespace-id` (it
//! changes which reclaim units writes go to) and for a Reclaim Unit Handle
//! Update (MO 1) sends exactly MOS + 1 placement identifiers, the length
//! the controller reads (`--data-len` defaults to it and must match).

use std::path::PathBuf;

use clap::Args;
use nvmeq_core::cmd::{IoMgmtRecv, IoMgmtRecvOp, IoMgmtSend, IoMgmtSendOp, Numd};
use nvmeq_core::fdp::{ruh_status, RuhStatusDesc};
use nvmeq_core::Data;
use serde::Serialize;

use super::io::{read_input, write_output};
use super::{require_nsid, Ctx, DevArg, Done};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, hexdump, Format};

/// `io-mgmt-recv`.
#[derive(Debug, Args)]
pub struct RecvArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default: the device's, else 1).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Management Operation Specific (MOS).
    #[arg(short = 's', long = "mos", value_parser = num::u16, default_value = "0")]
    pub mos: u16,
    /// Management Operation (MO): 1 Reclaim Unit Handle Status.
    #[arg(short = 'm', long = "mo", value_parser = num::u8, default_value = "0")]
    pub mo: u8,
    /// File to write the data to (default: a hex dump on stdout).
    #[arg(short = 'd', long = "data")]
    pub data: Option<PathBuf>,
    /// Bytes to receive: a multiple of 4 (required).
    #[arg(short = 'l', long = "data-len", value_parser = num::u32, default_value = "0")]
    pub data_len: u32,
}

/// `io-mgmt-send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: the command changes where writes are placed).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Management Operation Specific (MOS): for MO 1 the number of placement identifiers, zero-based.
    #[arg(short = 's', long = "mos", value_parser = num::u16, default_value = "0")]
    pub mos: u16,
    /// Management Operation (MO): 1 Reclaim Unit Handle Update.
    #[arg(short = 'm', long = "mo", value_parser = num::u8, default_value = "0")]
    pub mo: u8,
    /// File with the data (default stdin): for MO 1, the 16-bit placement identifiers.
    #[arg(short = 'd', long = "data")]
    pub data: Option<PathBuf>,
    /// Bytes to send (MO 1: 2 × (MOS + 1), the default).
    #[arg(short = 'l', long = "data-len", value_parser = num::u32, default_value = "0")]
    pub data_len: u32,
}

/// One descriptor in `nvme fdp status -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct RuhsJson {
    pid: u16,
    ruhid: u16,
    earutr: u32,
    ruamw: u64,
}

/// `nvme fdp status -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct RuhStatusJson {
    nruhsd: u16,
    ruhss: Vec<RuhsJson>,
}

fn status_json(buf: &[u8]) -> RuhStatusJson {
    let (h, d) = ruh_status(buf);
    RuhStatusJson {
        nruhsd: h.nruhsd.get(),
        ruhss: d
            .map(|r: RuhStatusDesc| RuhsJson {
                pid: r.pid.get(),
                ruhid: r.ruhid.get(),
                earutr: r.earutr.get(),
                ruamw: r.ruamw.get(),
            })
            .collect(),
    }
}

/// The JSON `io-mgmt-recv` prints: the decoded status for MO 1, else what
/// any command without a structure prints.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum RecvJson {
    Status(RuhStatusJson),
    Other(Done),
}

/// nvme-cli's line (`%u` MOS and MO, `%d` NSID).
fn line(op: &str, mos: u16, mo: u8, nsid: u32) -> String {
    format!("{op}: Success, mos:{mos} mo:{mo} nsid:{}\n", nsid as i32)
}

/// `nvmeq io-mgmt-recv`.
pub fn recv(ctx: &Ctx, a: &RecvArgs) -> Result<()> {
    let numd = match a.data_len {
        0 => {
            return Err(usage(
                "io-mgmt-recv: give the bytes to receive with --data-len/-l (a multiple of 4; \
                 e.g. 16 + 32 per reclaim unit handle for MO 1)",
            ))
        }
        n => Numd::from_bytes(n).ok_or_else(|| {
            usage(format!(
                "io-mgmt-recv: --data-len {n} is not a multiple of 4 (NUMD counts dwords)"
            ))
        })?,
    };
    let mut dev = ctx.open(&a.dev)?;
    let nsid = a.nsid.unwrap_or_else(|| dev.default_nsid());
    let cmd = IoMgmtRecv::new(nsid, IoMgmtRecvOp(a.mo), numd)
        .mos(a.mos)
        .build();
    let mut buf = vec![0u8; numd.bytes() as usize];
    let c = dev.exec("I/O Management Receive", &cmd, Data::FromDevice(&mut buf))?;
    match ctx.fmt {
        Format::Normal => {
            output::text(&line("io-mgmt-recv", a.mos, a.mo, nsid))?;
            match &a.data {
                Some(p) => write_output(Some(p), &buf),
                None => output::text(&hexdump(&buf)),
            }
        }
        Format::Json => output::json(&if IoMgmtRecvOp(a.mo) == IoMgmtRecvOp::RUH_STATUS {
            RecvJson::Status(status_json(&buf))
        } else {
            RecvJson::Other(Done {
                command: "io-mgmt-recv".into(),
                nsid: Some(nsid),
                status: "Successful Completion".into(),
                result: c.result(),
            })
        }),
        Format::Binary => write_output(a.data.as_deref(), &buf),
    }
}

/// The bytes `io-mgmt-send` sends.
fn send_len(a: &SendArgs) -> Result<u32> {
    if IoMgmtSendOp(a.mo) != IoMgmtSendOp::RUH_UPDATE {
        return Ok(a.data_len);
    }
    let need = 2 * (a.mos as u32 + 1);
    match a.data_len {
        0 => Ok(need),
        n if n == need => Ok(n),
        n => Err(usage(format!(
            "io-mgmt-send: a Reclaim Unit Handle Update with --mos {} sends {} placement \
             identifiers, {need} bytes; --data-len is {n}",
            a.mos,
            a.mos as u32 + 1
        ))),
    }
}

/// `nvmeq io-mgmt-send`.
pub fn send(ctx: &Ctx, a: &SendArgs) -> Result<()> {
    let nsid = require_nsid("io-mgmt-send", a.nsid)?;
    let len = send_len(a)?;
    let buf = if len == 0 {
        Vec::new()
    } else {
        read_input(a.data.as_deref(), len as usize)?
    };
    let cmd = IoMgmtSend::new(nsid, IoMgmtSendOp(a.mo), a.mos, len).build();
    let mut dev = ctx.open(&a.dev)?;
    let data = if buf.is_empty() {
        Data::None
    } else {
        Data::ToDevice(&buf)
    };
    let c = dev.exec("I/O Management Send", &cmd, data)?;
    match ctx.fmt {
        Format::Normal => output::text(&line("io-mgmt-send", a.mos, a.mo, nsid)),
        Format::Json => output::json(&Done {
            command: "io-mgmt-send".into(),
            nsid: Some(nsid),
            status: "Successful Completion".into(),
            result: c.result(),
        }),
        Format::Binary => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_json_as_fdp_status() {
        let mut b = vec![0u8; 16 + 64];
        b[14] = 2;
        b[16] = 1; // pid
        b[18] = 1; // ruhid
        b[20] = 10; // earutr
        b[24..32].copy_from_slice(&2048u64.to_le_bytes());
        b[48] = 2;
        b[50] = 3;
        let j = serde_json::to_value(RecvJson::Status(status_json(&b))).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"nruhsd": 2, "ruhss": [
                {"pid": 1, "ruhid": 1, "earutr": 10, "ruamw": 2048},
                {"pid": 2, "ruhid": 3, "earutr": 0, "ruamw": 0}]})
        );
        let e = crate::schema::errors("io-mgmt-recv", &j);
        assert!(e.is_empty(), "breaks docs/schema/io-mgmt-recv.json: {e:?}");
        assert_eq!(
            line("io-mgmt-recv", 0, 1, u32::MAX),
            "io-mgmt-recv: Success, mos:0 mo:1 nsid:-1\n"
        );
    }

    fn send_args(mo: u8, mos: u16, data_len: u32) -> SendArgs {
        SendArgs {
            dev: DevArg {
                device: "ram:1M".into(),
            },
            nsid: Some(1),
            mos,
            mo,
            data: None,
            data_len,
        }
    }

    #[test]
    fn update_length_follows_mos() {
        assert_eq!(send_len(&send_args(1, 2, 0)).unwrap(), 6);
        assert_eq!(send_len(&send_args(1, 2, 6)).unwrap(), 6);
        assert!(send_len(&send_args(1, 2, 4)).is_err());
        assert_eq!(send_len(&send_args(0, 2, 0)).unwrap(), 0);
    }
}
