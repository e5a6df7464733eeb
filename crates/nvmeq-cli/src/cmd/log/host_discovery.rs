//! `host-discovery-log` (LID 71h): the 1024-byte header, then the rest of
//! the page up to its Total Host Discovery Log Page Length; text laid out
//! like nvme-cli 2.13's. Only a centralized discovery controller has it.
//!
//! nvme-cli 2.13 builds this page's JSON object but never prints it (and
//! reads no byte past the header); the JSON here is that object, with its
//! keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{host_discovery_records, HostDiscoveryLog, HostDiscoveryRecord};
use serde::Serialize;
use zerocopy::FromZeros;

use super::nvmf_names as names;
use super::{parse, read_on, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::{CliError, Result};
use crate::json::keyed::{Headed, Key};
use crate::output;

/// `host-discovery-log`.
#[derive(Debug, Args)]
pub struct HostDiscoveryArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// All Host Entries (LSP bit 0): every host's entries, not only this host's.
    #[arg(short = 'a', long = "all-host-entries")]
    pub allhoste: bool,
    /// Retain the asynchronous event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
}

/// TSAS as nvme-cli shows it for the entry's transport.
#[derive(Debug, Serialize, schemars::JsonSchema, PartialEq, Eq)]
#[serde(untagged)]
pub enum TsasJson {
    /// RDMA: provider, queue pair and connection management types, P_KEY.
    Rdma {
        prtype: &'static str,
        qptype: &'static str,
        cms: &'static str,
        pkey: String,
    },
    /// TCP: the security type.
    Tcp { sectype: &'static str },
    /// Any other transport: the 256 bytes as `d_json` rows.
    Common { common: Vec<String> },
}

fn tsas(trtype: u8, t: &[u8; 256]) -> TsasJson {
    match trtype {
        1 => TsasJson::Rdma {
            prtype: names::prtype(t[1]),
            qptype: names::qptype(t[0]),
            cms: names::cms(t[2]),
            pkey: format!("0x{:04x}", u16::from_le_bytes([t[8], t[9]])),
        },
        3 => TsasJson::Tcp {
            sectype: names::sectype(t[0]),
        },
        _ => TsasJson::Common {
            common: output::ascii_rows(t),
        },
    }
}

/// An `hedlpe: N` key.
#[derive(Debug)]
pub struct HedlpeKey;

impl Key for HedlpeKey {
    const NAME: &'static str = "Hedlpe";
    const PATTERN: &'static str = "^hedlpe: [0-9]+$";
}

/// An `exat: N` key.
#[derive(Debug)]
pub struct ExatKey;

impl Key for ExatKey {
    const NAME: &'static str = "Exat";
    const PATTERN: &'static str = "^exat: [0-9]+$";
}

/// An extended attribute.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExatJson {
    exattype: u16,
    exatlen: u16,
    /// The value as `d_json` rows.
    exatval: Vec<String>,
}

/// An entry's fixed keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HedlpeHeadJson {
    trtype: &'static str,
    /// Empty when the entry has no transport address.
    adrfam: &'static str,
    eflags: &'static str,
    hostnqn: String,
    traddr: String,
    tsas: TsasJson,
    tel: u32,
    numexat: u16,
}

/// The page header's keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HostDiscoveryHeadJson {
    genctr: u64,
    numrec: u64,
    recfmt: u16,
    /// Host Discovery Log Page Flags, `0x%02x`.
    hdlpf: String,
    thdlpl: u32,
}

/// One entry, under its `hedlpe: N` key.
pub type HedlpeJson = Headed<HedlpeHeadJson, ExatKey, ExatJson>;

/// `host-discovery-log -o json`.
pub type HostDiscoveryJson = Headed<HostDiscoveryHeadJson, HedlpeKey, HedlpeJson>;

fn entry_json(r: &HostDiscoveryRecord<'_>) -> HedlpeJson {
    let e = r.entry;
    let traddr = output::ascii(&e.traddr);
    Headed {
        head: HedlpeHeadJson {
            trtype: names::trtype(e.trtype),
            adrfam: if traddr.is_empty() {
                ""
            } else {
                names::adrfam(e.adrfam)
            },
            eflags: names::eflags(e.eflags.get()),
            hostnqn: output::ascii(&e.hostnqn),
            traddr,
            tsas: tsas(e.trtype, &e.tsas),
            tel: e.tel.get(),
            numexat: e.numexat.get(),
        },
        entries: r
            .attrs()
            .enumerate()
            .map(|(j, a)| {
                (
                    format!("exat: {j}"),
                    ExatJson {
                        exattype: a.head.exattype.get(),
                        exatlen: a.head.exatlen.get(),
                        exatval: output::ascii_rows(a.value),
                    },
                )
            })
            .collect(),
    }
}

/// `host-discovery-log -o json`: nvme-cli's `json_host_discovery_log` object.
pub fn host_discovery_json(log: &[u8]) -> HostDiscoveryJson {
    let h: HostDiscoveryLog = parse(log, "").unwrap_or_else(|_| FromZeros::new_zeroed());
    Headed {
        head: HostDiscoveryHeadJson {
            genctr: h.genctr.get(),
            numrec: h.numrec.get(),
            recfmt: h.recfmt.get(),
            hdlpf: format!("0x{:02x}", h.hdlpf),
            thdlpl: h.thdlpl.get(),
        },
        entries: host_discovery_records(log)
            .enumerate()
            .map(|(i, r)| (format!("hedlpe: {i}"), entry_json(&r)))
            .collect(),
    }
}

/// The page laid out like `nvme host-discovery-log`.
pub fn host_discovery_text(log: &[u8]) -> String {
    let j = host_discovery_json(log);
    let h = &j.head;
    let mut s = format!(
        "genctr: {}\nnumrec: {}\nrecfmt: {}\nhdlpf: {}\nthdlpl: {}\n",
        h.genctr,
        h.numrec,
        h.recfmt,
        &h.hdlpf[2..],
        h.thdlpl
    );
    for (n, r) in host_discovery_records(log).enumerate() {
        let e = entry_json(&r).head;
        s += &format!("hedlpe: {n}\n");
        s += &format!(
            "trtype: {}\nadrfam: {}\neflags: {}\nhostnqn: {}\ntraddr: {}\ntsas: ",
            e.trtype, e.adrfam, e.eflags, e.hostnqn, e.traddr
        );
        s += &match e.tsas {
            TsasJson::Rdma {
                prtype,
                qptype,
                cms,
                pkey,
            } => format!("prtype: {prtype}, qptype: {qptype}, cms: {cms}, pkey: {pkey}\n"),
            TsasJson::Tcp { sectype } => format!("sectype: {sectype}\n"),
            TsasJson::Common { .. } => format!("common:\n{}", output::hexdump(&r.entry.tsas)),
        };
        s += &format!("tel: {}\nnumexat: {}\n", e.tel, e.numexat);
        for (j, a) in r.attrs().enumerate() {
            s += &format!(
                "exat: {j}\nexattype: {}\nexatlen: {}\nexatval:\n{}",
                a.head.exattype.get(),
                a.head.exatlen.get(),
                output::hexdump(a.value)
            );
        }
    }
    s
}

/// `nvmeq host-discovery-log`.
pub fn host_discovery(ctx: &Ctx, a: &HostDiscoveryArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Host Discovery log";
    let req = LogReq {
        lsp: u8::from(a.allhoste),
        rae: a.rae,
        ..LogReq::new(LogId::HOST_DISCOVERY, u32::MAX)
    };
    let head = size_of::<HostDiscoveryLog>();
    let mut raw = Vec::new();
    read_on(&mut dev, op, &req, &mut raw, head)?;
    let h: HostDiscoveryLog = parse(&raw, op)?;
    let total = h.thdlpl.get() as usize;
    if total < head {
        return Err(CliError::Device(format!(
            "{op}: a page length (THDLPL) of {total} bytes is shorter than its {head}-byte header"
        )));
    }
    read_on(&mut dev, op, &req, &mut raw, total - head)?;
    output::emit(
        ctx.fmt,
        || host_discovery_text(&raw),
        || host_discovery_json(&raw),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Vec<u8> {
        let mut log = vec![0u8; 1024 + 1032 + 8];
        log[0] = 2;
        log[8] = 1;
        log[18] = 1;
        let len = log.len() as u32;
        log[20..24].copy_from_slice(&len.to_le_bytes());
        let e = &mut log[1024..];
        e[0] = 3;
        e[1] = 1;
        e[10] = 2;
        e[256..264].copy_from_slice(b"nqn.host");
        e[512..521].copy_from_slice(b"127.0.0.1");
        e[768] = 1;
        e[1024..1028].copy_from_slice(&1040u32.to_le_bytes());
        e[1028] = 1;
        e[1032..1036].copy_from_slice(&[2, 0, 2, 0]);
        e[1036..1038].copy_from_slice(b"h1");
        log
    }

    #[test]
    fn lines_and_json() {
        let log = page();
        let t = host_discovery_text(&log);
        assert_eq!(
            t,
            "genctr: 2\nnumrec: 1\nrecfmt: 0\nhdlpf: 01\nthdlpl: 2064\nhedlpe: 0\ntrtype: tcp\nadrfam: ipv4\neflags: explicit discovery connections\nhostnqn: nqn.host\ntraddr: 127.0.0.1\ntsas: sectype: tls\ntel: 1040\nnumexat: 1\nexat: 0\nexattype: 2\nexatlen: 2\nexatval:\n".to_string()
                + &output::hexdump(b"h1")
        );
        let j = serde_json::to_value(host_discovery_json(&log)).unwrap();
        assert_eq!(j["hdlpf"], "0x01");
        assert_eq!(j["hedlpe: 0"]["tsas"]["sectype"], "tls");
        assert_eq!(
            j["hedlpe: 0"]["exat: 0"]["exatval"],
            serde_json::json!(["h1"])
        );
        let e = crate::schema::errors("host-discovery-log", &j);
        assert!(e.is_empty(), "{e:?}");
        // The header alone: no entry.
        let j = serde_json::to_value(host_discovery_json(&log[..1024])).unwrap();
        assert!(j.get("hedlpe: 0").is_none(), "{j}");
    }

    #[test]
    fn rdma_and_other_transports() {
        let mut log = page();
        log[1024] = 1;
        log[1024 + 768..1024 + 771].copy_from_slice(&[1, 4, 1]);
        log[1024 + 776] = 0x34;
        log[1024 + 777] = 0x12;
        let t = host_discovery_text(&log);
        assert!(
            t.contains("tsas: prtype: roce-v2, qptype: connected, cms: rdma-cm, pkey: 0x1234\n"),
            "{t}"
        );
        log[1024] = 2;
        let t = host_discovery_text(&log);
        assert!(t.contains("trtype: fc\n"), "{t}");
        assert!(t.contains("tsas: common:\n     "), "{t}");
        let j = serde_json::to_value(host_discovery_json(&log)).unwrap();
        assert_eq!(
            j["hedlpe: 0"]["tsas"]["common"].as_array().unwrap().len(),
            16
        );
        assert!(crate::schema::errors("host-discovery-log", &j).is_empty());
    }
}
