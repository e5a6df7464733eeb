//! `security-send` and `security-recv`: Security Send/Receive (admin
//! 81h/82h) with nvme-cli 2.13's options (`-n -f -N -p -s -t`; `-x -t -b`)
//! and lines. A security protocol can lock a drive or erase it (TCG Opal's
//! Revert), so `security-send` needs `--force`. The transfer is the
//! Transfer / Allocation Length itself, so the controller never moves more
//! than the buffer holds: `security-recv`'s `--size` and `--al` name one
//! length (either, or both equal).

use std::path::PathBuf;

use clap::Args;
use nvmeq_core::cmd::Security;
use nvmeq_core::Data;
use serde::Serialize;

use super::io::read_input;
use super::{require_force, Ctx, DevArg, Done};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, hex, hexdump, Format};

/// `security-send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default 0, as nvme-cli).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "0")]
    pub nsid: u32,
    /// File with the payload (default stdin).
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// NVMe Security Specific Field (NSSF).
    #[arg(short = 'N', long = "nssf", value_parser = num::u8, default_value = "0")]
    pub nssf: u8,
    /// Security Protocol (SECP).
    #[arg(short = 'p', long = "secp", value_parser = num::u8, default_value = "0")]
    pub secp: u8,
    /// SP Specific (SPSP).
    #[arg(short = 's', long = "spsp", value_parser = num::u16, default_value = "0")]
    pub spsp: u16,
    /// Transfer Length (TL) in bytes (required).
    #[arg(short = 't', long = "tl", value_parser = num::u32, default_value = "0")]
    pub tl: u32,
    /// Confirm: a security protocol can lock or erase the device.
    #[arg(long)]
    pub force: bool,
}

/// `security-recv`.
#[derive(Debug, Args)]
pub struct RecvArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default 0, as nvme-cli).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "0")]
    pub nsid: u32,
    /// Bytes to receive (the buffer).
    #[arg(short = 'x', long = "size", value_parser = num::u32)]
    pub size: Option<u32>,
    /// NVMe Security Specific Field (NSSF).
    #[arg(short = 'N', long = "nssf", value_parser = num::u8, default_value = "0")]
    pub nssf: u8,
    /// Security Protocol (SECP): 0 lists the supported protocols.
    #[arg(short = 'p', long = "secp", value_parser = num::u8, default_value = "0")]
    pub secp: u8,
    /// SP Specific (SPSP).
    #[arg(short = 's', long = "spsp", value_parser = num::u16, default_value = "0")]
    pub spsp: u16,
    /// Allocation Length (AL) in bytes (the same as --size).
    #[arg(short = 't', long = "al", value_parser = num::u32)]
    pub al: Option<u32>,
    /// Write the data raw.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `security-recv -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct RecvJson {
    #[serde(flatten)]
    done: Done,
    /// The data, as hex.
    data: String,
}

/// The one length `security-recv` transfers.
fn recv_len(a: &RecvArgs) -> Result<u32> {
    match (a.size, a.al) {
        (Some(x), Some(t)) if x != t => Err(usage(format!(
            "security-recv: --size {x} and --al {t} differ: the controller may return AL \
             bytes, so nvmeq receives into a buffer of exactly that length (give one)"
        ))),
        (Some(x), _) | (None, Some(x)) => Ok(x),
        (None, None) => Ok(0),
    }
}

/// `nvmeq security-recv`.
pub fn recv(ctx: &Ctx, a: &RecvArgs) -> Result<()> {
    let len = recv_len(a)?;
    let mut dev = ctx.open(&a.dev)?;
    let cmd = Security::receive(a.secp, a.spsp, len)
        .nsid(a.nsid)
        .nssf(a.nssf)
        .build();
    let mut buf = vec![0u8; len as usize];
    let data = if len == 0 {
        Data::None
    } else {
        Data::FromDevice(&mut buf)
    };
    let c = dev.exec("Security Receive", &cmd, data)?;
    match ctx.fmt_raw(a.raw) {
        Format::Normal => {
            let mut s = String::from("NVME Security Receive Command Success\n");
            if !buf.is_empty() {
                s.push_str(&hexdump(&buf));
            }
            output::text(&s)
        }
        Format::Json => output::json(&RecvJson {
            done: Done {
                command: "security-recv".into(),
                nsid: Some(a.nsid),
                status: "Successful Completion".into(),
                result: c.result(),
            },
            data: hex(&buf),
        }),
        Format::Binary => output::raw(&buf),
    }
}

/// `nvmeq security-send`.
pub fn send(ctx: &Ctx, a: &SendArgs) -> Result<()> {
    if a.tl == 0 {
        return Err(usage(
            "security-send: give the Transfer Length with --tl/-t (bytes of --file to send)",
        ));
    }
    require_force("security-send", a.force)?;
    let buf = read_input(a.file.as_deref(), a.tl as usize)?;
    let mut dev = ctx.open(&a.dev)?;
    let cmd = Security::send(a.secp, a.spsp, a.tl)
        .nsid(a.nsid)
        .nssf(a.nssf)
        .build();
    let c = dev.exec("Security Send", &cmd, Data::ToDevice(&buf))?;
    match ctx.fmt {
        Format::Normal => output::text("NVME Security Send Command Success\n"),
        Format::Json => output::json(&Done {
            command: "security-send".into(),
            nsid: Some(a.nsid),
            status: "Successful Completion".into(),
            result: c.result(),
        }),
        Format::Binary => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(size: Option<u32>, al: Option<u32>) -> RecvArgs {
        RecvArgs {
            dev: DevArg {
                device: "ram:1M".into(),
            },
            nsid: 0,
            size,
            nssf: 0,
            secp: 0,
            spsp: 0,
            al,
            raw: false,
        }
    }

    #[test]
    fn one_length() {
        assert_eq!(recv_len(&args(Some(16), None)).unwrap(), 16);
        assert_eq!(recv_len(&args(None, Some(16))).unwrap(), 16);
        assert_eq!(recv_len(&args(Some(16), Some(16))).unwrap(), 16);
        assert_eq!(recv_len(&args(None, None)).unwrap(), 0);
        assert!(recv_len(&args(Some(16), Some(32))).is_err());
    }
}
