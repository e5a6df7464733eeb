//! `ave-discovery-log` (LID 72h): the 1024-byte header, then the rest of
//! the page up to its Total AVE Discovery Log Page Length; text laid out
//! like nvme-cli 2.13's. Only a centralized discovery controller has it.
//!
//! nvme-cli 2.13 builds this page's JSON object but never prints it (and
//! reads no byte past the header); the JSON here is that object, except
//! that the page length is `tadlpl`, as its text says, where that object
//! names it `thdlpl`. nvme-cli formats an AVE Transport Address from the
//! address family's name instead of the address; here it is the address,
//! IPv6 for family 2 and the first 4 bytes as IPv4 otherwise.

use std::net::{Ipv4Addr, Ipv6Addr};

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::fabrics::discovery::AdrFam;
use nvmeq_core::log::{ave_discovery_records, AveDiscoveryLog, AveTransportRecord};
use serde::Serialize;
use zerocopy::FromZeros;

use super::nvmf_names as names;
use super::{parse, read_on, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::{CliError, Result};
use crate::json::keyed::{Headed, Key};
use crate::output;

/// `ave-discovery-log`.
#[derive(Debug, Args)]
pub struct AveDiscoveryArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Retain the asynchronous event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
}

/// An `adlpe: N` key.
#[derive(Debug)]
pub struct AdlpeKey;

impl Key for AdlpeKey {
    const NAME: &'static str = "Adlpe";
    const PATTERN: &'static str = "^adlpe: [0-9]+$";
}

/// An `atr: N` key.
#[derive(Debug)]
pub struct AtrKey;

impl Key for AtrKey {
    const NAME: &'static str = "Atr";
    const PATTERN: &'static str = "^atr: [0-9]+$";
}

/// An AVE Transport Record.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AtrJson {
    aveadrfam: &'static str,
    avetrsvcid: u16,
    avetraddr: String,
}

/// An entry's fixed keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AdlpeHeadJson {
    tel: u32,
    avenqn: String,
    numatr: u8,
}

/// The page header's keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AveDiscoveryHeadJson {
    genctr: u64,
    numrec: u64,
    recfmt: u16,
    tadlpl: u32,
}

/// One entry, under its `adlpe: N` key.
pub type AdlpeJson = Headed<AdlpeHeadJson, AtrKey, AtrJson>;

/// `ave-discovery-log -o json`.
pub type AveDiscoveryJson = Headed<AveDiscoveryHeadJson, AdlpeKey, AdlpeJson>;

fn traddr(t: &AveTransportRecord) -> String {
    let a = t.avetraddr;
    if AdrFam(t.aveadrfam) == AdrFam::IPV6 {
        Ipv6Addr::from(a).to_string()
    } else {
        Ipv4Addr::new(a[0], a[1], a[2], a[3]).to_string()
    }
}

/// `ave-discovery-log -o json`: nvme-cli's `json_ave_discovery_log` object.
pub fn ave_discovery_json(log: &[u8]) -> AveDiscoveryJson {
    let h: AveDiscoveryLog = parse(log, "").unwrap_or_else(|_| FromZeros::new_zeroed());
    Headed {
        head: AveDiscoveryHeadJson {
            genctr: h.genctr.get(),
            numrec: h.numrec.get(),
            recfmt: h.recfmt.get(),
            tadlpl: h.tadlpl.get(),
        },
        entries: ave_discovery_records(log)
            .enumerate()
            .map(|(i, r)| {
                let e = Headed {
                    head: AdlpeHeadJson {
                        tel: r.entry.tel.get(),
                        avenqn: output::ascii(&r.entry.avenqn),
                        numatr: r.entry.numatr,
                    },
                    entries: r
                        .transports()
                        .enumerate()
                        .map(|(j, t)| {
                            (
                                format!("atr: {j}"),
                                AtrJson {
                                    aveadrfam: names::adrfam(t.aveadrfam),
                                    avetrsvcid: t.avetrsvcid.get(),
                                    avetraddr: traddr(&t),
                                },
                            )
                        })
                        .collect(),
                };
                (format!("adlpe: {i}"), e)
            })
            .collect(),
    }
}

/// The page laid out like `nvme ave-discovery-log`.
pub fn ave_discovery_text(log: &[u8]) -> String {
    let h: AveDiscoveryLog = parse(log, "").unwrap_or_else(|_| FromZeros::new_zeroed());
    let mut s = format!(
        "genctr: {}\nnumrec: {}\nrecfmt: {}\ntadlpl: {}\n",
        h.genctr.get(),
        h.numrec.get(),
        h.recfmt.get(),
        h.tadlpl.get()
    );
    for (n, r) in ave_discovery_records(log).enumerate() {
        s += &format!(
            "adlpe: {n}\ntel: {}\navenqn: {}\nnumatr: {}\n",
            r.entry.tel.get(),
            output::ascii(&r.entry.avenqn),
            r.entry.numatr
        );
        for (j, t) in r.transports().enumerate() {
            s += &format!(
                "atr: {j}\naveadrfam: {}\navetrsvcid: {}\navetraddr: {}\n",
                names::adrfam(t.aveadrfam),
                t.avetrsvcid.get(),
                traddr(&t)
            );
        }
    }
    s
}

/// `nvmeq ave-discovery-log`.
pub fn ave_discovery(ctx: &Ctx, a: &AveDiscoveryArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "AVE Discovery log";
    let req = LogReq {
        rae: a.rae,
        ..LogReq::new(LogId::AVE_DISCOVERY, u32::MAX)
    };
    let head = size_of::<AveDiscoveryLog>();
    let mut raw = Vec::new();
    read_on(&mut dev, op, &req, &mut raw, head)?;
    let h: AveDiscoveryLog = parse(&raw, op)?;
    let total = h.tadlpl.get() as usize;
    if total < head {
        return Err(CliError::Device(format!(
            "{op}: a page length (TADLPL) of {total} bytes is shorter than its {head}-byte header"
        )));
    }
    read_on(&mut dev, op, &req, &mut raw, total - head)?;
    output::emit(
        ctx.fmt,
        || ave_discovery_text(&raw),
        || ave_discovery_json(&raw),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_json() {
        let mut log = vec![0u8; 1024 + 232 + 40];
        log[0] = 1;
        log[8] = 1;
        let len = log.len() as u32;
        log[20..24].copy_from_slice(&len.to_le_bytes());
        let e = &mut log[1024..];
        e[0..4].copy_from_slice(&272u32.to_le_bytes());
        e[4..12].copy_from_slice(b"nqn.ave1");
        e[228] = 2;
        e[232] = 1;
        e[234..236].copy_from_slice(&4420u16.to_le_bytes());
        e[236..240].copy_from_slice(&[10, 0, 0, 1]);
        e[252] = 2;
        e[254..256].copy_from_slice(&8009u16.to_le_bytes());
        e[256 + 15] = 1;
        assert_eq!(
            ave_discovery_text(&log),
            "genctr: 1\nnumrec: 1\nrecfmt: 0\ntadlpl: 1296\nadlpe: 0\ntel: 272\navenqn: nqn.ave1\nnumatr: 2\n\
             atr: 0\naveadrfam: ipv4\navetrsvcid: 4420\navetraddr: 10.0.0.1\n\
             atr: 1\naveadrfam: ipv6\navetrsvcid: 8009\navetraddr: ::1\n"
        );
        let j = serde_json::to_value(ave_discovery_json(&log)).unwrap();
        assert_eq!(j["tadlpl"], 1296);
        assert_eq!(j["adlpe: 0"]["atr: 1"]["avetraddr"], "::1");
        let e = crate::schema::errors("ave-discovery-log", &j);
        assert!(e.is_empty(), "{e:?}");
    }
}
