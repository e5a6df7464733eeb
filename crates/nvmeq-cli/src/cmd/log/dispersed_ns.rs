//! `dispersed-ns-participating-nss-log` (LID 17h): the 256-byte header of
//! the namespace `--namespace-id` names, then its NUMPSUB NQNs from offset
//! 256 in 4 KiB pieces, as nvme-cli 2.13 reads them; text and JSON with its
//! keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{participating_nss, DispersedNsLog};
use serde::{Serialize, Serializer};

use super::{parse, read_log, stated_len, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::num;
use crate::output;

const OP: &str = "Dispersed Namespace Participating NVM Subsystems log";

/// `dispersed-ns-participating-nss-log`.
#[derive(Debug, Args)]
pub struct DispersedNsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID of the dispersed namespace.
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "1")]
    pub nsid: u32,
}

/// The page laid out like `nvme dispersed-ns-participating-nss-log`.
pub fn dispersed_ns_text(log: &[u8]) -> String {
    let h: DispersedNsLog = parse(log, "").unwrap_or_default();
    let mut s = format!("genctr: {}\nnumpsub: {}\n", h.genctr.get(), h.numpsub.get());
    for (i, nqn) in participating_nss(log).enumerate() {
        s += &format!("participating_nss {i}: {}\n", output::ascii(nqn));
    }
    s
}

/// nvme-cli's `json_dispersed_ns_psub_log`: `genctr`, `numpsub`, then
/// `"participating_nss I": NQN` per entry. Written by hand: the index is in
/// the key.
#[derive(Debug)]
pub struct DispersedNsJson {
    genctr: u64,
    numpsub: u64,
    nqns: Vec<String>,
}

impl Serialize for DispersedNsJson {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2 + self.nqns.len()))?;
        m.serialize_entry("genctr", &self.genctr)?;
        m.serialize_entry("numpsub", &self.numpsub)?;
        for (i, nqn) in self.nqns.iter().enumerate() {
            m.serialize_entry(&format!("participating_nss {i}"), nqn)?;
        }
        m.end()
    }
}

impl schemars::JsonSchema for DispersedNsJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DispersedNs".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let uint = serde_json::json!({"type": "integer", "minimum": 0});
        schemars::json_schema!({
            "description": "The header's counters, then each participating NVM subsystem's NQN.",
            "type": "object",
            "properties": {
                "genctr": uint,
                "numpsub": uint
            },
            "required": ["genctr", "numpsub"],
            "patternProperties": {
                "^participating_nss [0-9]+$": {"type": "string", "maxLength": 256}
            },
            "additionalProperties": false
        })
    }
}

/// `dispersed-ns-participating-nss-log -o json`.
pub fn dispersed_ns_json(log: &[u8]) -> DispersedNsJson {
    let h: DispersedNsLog = parse(log, "").unwrap_or_default();
    DispersedNsJson {
        genctr: h.genctr.get(),
        numpsub: h.numpsub.get(),
        nqns: participating_nss(log).map(output::ascii).collect(),
    }
}

/// `nvmeq dispersed-ns-participating-nss-log`.
pub fn dispersed_ns(ctx: &Ctx, a: &DispersedNsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let base = LogReq::new(LogId::DISPERSED_NS, a.nsid);
    let mut raw = read_log(&mut dev, OP, &base, 256, 256)?;
    let h: DispersedNsLog = parse(&raw, OP)?;
    let len = stated_len(OP, h.page_len(), "256 + NUMPSUB × 256")?;
    if len > raw.len() {
        let req = LogReq { lpo: 256, ..base };
        let piece = (dev.max_xfer() as usize & !3).clamp(4, 4096);
        raw.extend(read_log(&mut dev, OP, &req, len - 256, piece)?);
    }
    output::emit(
        ctx.fmt,
        || dispersed_ns_text(&raw),
        || dispersed_ns_json(&raw),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::IntoBytes;

    #[test]
    fn lines_and_json() {
        let mut h = DispersedNsLog::default();
        h.genctr.set(9);
        h.numpsub.set(2);
        let mut log = h.as_bytes().to_vec();
        log.resize(256 * 3, 0);
        log[256..271].copy_from_slice(b"nqn.2014-08.a:1");
        log[512..527].copy_from_slice(b"nqn.2014-08.b:2");
        assert_eq!(
            dispersed_ns_text(&log),
            "genctr: 9\nnumpsub: 2\nparticipating_nss 0: nqn.2014-08.a:1\nparticipating_nss 1: nqn.2014-08.b:2\n"
        );
        let j = serde_json::to_value(dispersed_ns_json(&log)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"genctr": 9, "numpsub": 2,
                "participating_nss 0": "nqn.2014-08.a:1", "participating_nss 1": "nqn.2014-08.b:2"})
        );
        let e = crate::schema::errors("dispersed-ns-participating-nss-log", &j);
        assert!(e.is_empty(), "{e:?}");
        // A page cut short lists what was read.
        assert_eq!(dispersed_ns_json(&log[..600]).nqns.len(), 1);
    }
}
