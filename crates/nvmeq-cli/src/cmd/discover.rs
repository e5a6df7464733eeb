//! `nvmeq discover tcp://HOST:PORT`: the Discovery log page of an NVMe/TCP
//! discovery controller, laid out like `nvme discover` (JSON: nvme-cli's
//! `genctr` and `records` with its field names and strings).

use clap::Args;
use nvmeq::locator::{Locator, DEFAULT_TCP_PORT};
use nvmeq_core::fabrics::discovery::{DiscoveryEntry, DiscoveryLog, TrType};
use serde::Serialize;

use crate::error::{CliError, Result};
use crate::output::{self, Format};

/// `nvmeq discover` options.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// The discovery controller: tcp://HOST[:PORT][/NQN] (port 4420 when
    /// omitted; NQN the well-known discovery NQN).
    #[arg(value_name = "TARGET")]
    pub target: String,
    /// This host's NQN (default: /etc/nvme/hostnqn).
    #[arg(short = 'q', long)]
    pub hostnqn: Option<String>,
}

/// One Discovery log entry, with nvme-cli's field names.
#[derive(Debug, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct Record {
    trtype: String,
    adrfam: String,
    subtype: String,
    treq: String,
    portid: u16,
    trsvcid: String,
    subnqn: String,
    traddr: String,
    eflags: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sectype: Option<String>,
}

/// The page as `nvme discover -o json` prints it.
#[derive(Debug, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct Discovery {
    genctr: u64,
    records: Vec<Record>,
}

fn name_or(v: Option<&str>, raw: u8) -> String {
    v.map_or_else(|| format!("unrecognized ({raw})"), str::to_string)
}

/// TREQ as nvme-cli words it: the secure channel requirement, then SQ flow control.
fn treq(t: u8) -> String {
    let mut s = match t & 3 {
        0 => "not specified",
        1 => "required",
        2 => "not required",
        _ => "reserved",
    }
    .to_string();
    if t & 4 != 0 {
        s.push_str(", sq flow control disable supported");
    }
    s
}

fn eflags(e: u16) -> String {
    let names = [
        (1, "duplicate discovery information"),
        (2, "explicit discovery connections"),
        (4, "no cdc connectivity"),
    ];
    let set: Vec<&str> = names
        .iter()
        .filter(|(b, _)| e & b != 0)
        .map(|&(_, n)| n)
        .collect();
    if set.is_empty() {
        "none".into()
    } else {
        set.join(", ")
    }
}

fn sectype(s: u8) -> String {
    match s {
        0 => "none".into(),
        1 => "tls".into(),
        2 => "tls13".into(),
        n => format!("reserved ({n})"),
    }
}

fn record(e: &DiscoveryEntry) -> Record {
    let text = |b: &[u8]| output::ascii(b).trim_end().to_string();
    Record {
        trtype: name_or(e.trtype().name(), e.trtype),
        adrfam: name_or(e.adrfam().name(), e.adrfam),
        subtype: name_or(e.subtype().name(), e.subtype),
        treq: treq(e.treq),
        portid: e.portid.get(),
        trsvcid: text(&e.trsvcid),
        subnqn: text(&e.subnqn),
        traddr: text(&e.traddr),
        eflags: eflags(e.eflags.get()),
        sectype: (e.trtype() == TrType::TCP).then(|| sectype(e.tcp_sectype())),
    }
}

/// The page, decoded.
pub fn decode(page: &[u8]) -> Result<Discovery> {
    let log = DiscoveryLog::parse(page)
        .map_err(|e| CliError::Device(format!("Discovery log page: {e}")))?;
    Ok(Discovery {
        genctr: log.header().genctr.get(),
        records: log.entries().iter().map(record).collect(),
    })
}

/// `nvme discover`'s text layout.
pub fn human(d: &Discovery) -> String {
    let mut s = format!(
        "\nDiscovery Log Number of Records {}, Generation counter {}\n",
        d.records.len(),
        d.genctr
    );
    for (i, r) in d.records.iter().enumerate() {
        s += &format!("=====Discovery Log Entry {i}======\n");
        s += &format!("trtype:  {}\n", r.trtype);
        s += &format!("adrfam:  {}\n", r.adrfam);
        s += &format!("subtype: {}\n", r.subtype);
        s += &format!("treq:    {}\n", r.treq);
        s += &format!("portid:  {}\n", r.portid);
        s += &format!("trsvcid: {}\n", r.trsvcid);
        s += &format!("subnqn:  {}\n", r.subnqn);
        s += &format!("traddr:  {}\n", r.traddr);
        s += &format!("eflags:  {}\n", r.eflags);
        if let Some(t) = &r.sectype {
            s += &format!("sectype: {t}\n");
        }
    }
    s
}

/// Runs `nvmeq discover`.
pub fn run(fmt: Format, a: &DiscoverArgs) -> Result<()> {
    let target = if a.target.contains("://") {
        a.target.clone()
    } else {
        format!("tcp://{}", a.target)
    };
    let Locator::Tcp(t) = Locator::parse(&target).map_err(|e| CliError::Device(e.to_string()))?
    else {
        return Err(CliError::Usage(format!(
            "{}: discover needs tcp://HOST[:PORT] (default port {DEFAULT_TCP_PORT})",
            a.target
        )));
    };
    let mut o = nvmeq::tcp_options(&t);
    if let Some(h) = &a.hostnqn {
        o.hostnqn = Some(h.clone());
    }
    let page = nvmeq::tcp::discover(&o).map_err(|e| CliError::Device(e.to_string()))?;
    let d = decode(&page)?;
    output::emit(fmt, || human(&d), || &d, &page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_like_nvme_cli() {
        let mut p = vec![0u8; 2048];
        p[0] = 5; // genctr
        p[8] = 1; // numrec
        let e = &mut p[1024..];
        e[..4].copy_from_slice(&[3, 1, 3, 4]);
        e[4] = 1;
        e[10] = 2;
        e[32..36].copy_from_slice(b"4420");
        e[256..292].copy_from_slice(b"nqn.2014-08.org.nvmexpress.discovery");
        e[512..521].copy_from_slice(b"127.0.0.1");
        let d = decode(&p).unwrap();
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["genctr"], 5);
        let r = &j["records"][0];
        assert_eq!(r["trtype"], "tcp");
        assert_eq!(r["adrfam"], "ipv4");
        assert_eq!(r["subtype"], "current discovery subsystem");
        assert_eq!(
            r["treq"],
            "not specified, sq flow control disable supported"
        );
        assert_eq!(r["portid"], 1);
        assert_eq!(r["trsvcid"], "4420");
        assert_eq!(r["traddr"], "127.0.0.1");
        assert_eq!(r["eflags"], "explicit discovery connections");
        assert_eq!(r["sectype"], "none");
        let e = crate::schema::errors("discover", &j);
        assert!(e.is_empty(), "breaks docs/schema/discover.json: {e:?}");
        let h = human(&d);
        assert!(h.contains("Discovery Log Number of Records 1, Generation counter 5"));
        assert!(h.contains("subnqn:  nqn.2014-08.org.nvmexpress.discovery\n"));
        p[8] = 2;
        assert!(decode(&p).is_err(), "NUMREC past the page");
    }
}
