//! `mgmt-addr-list-log` (LID 18h): the eight descriptors of one 4 KiB page;
//! text laid out like nvme-cli 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::MgmtAddrListLog;
use serde::{Serialize, Serializer};

use super::{parse, read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::output;

const OP: &str = "Management Address List log";

/// What nvme-cli says when no descriptor holds an address.
const NONE: &str = "All management address descriptors reserved";

/// `mgmt-addr-list-log`.
#[derive(Debug, Args)]
pub struct MgmtAddrArgs {
    #[command(flatten)]
    pub dev: DevArg,
}

/// The page laid out like `nvme mgmt-addr-list-log`.
pub fn mgmt_addr_text(l: &MgmtAddrListLog) -> String {
    let mut s = String::from("Management Address List:\n");
    let mut any = false;
    for (i, d) in l.addresses() {
        any = true;
        s += &format!(
            "Descriptor: {i}, Type: {} ({}), Address: {}\n",
            d.mat,
            d.kind().name().unwrap_or_default(),
            output::ascii(d.address())
        );
    }
    if !any {
        s += NONE;
        s.push('\n');
    }
    s
}

/// One descriptor: `{"type: N": {"definition": …}, "address": …}`.
#[derive(Debug)]
struct AddrJson {
    mat: u8,
    definition: &'static str,
    address: String,
}

/// `{"definition": …}`.
#[derive(Debug, Serialize)]
struct Definition {
    definition: &'static str,
}

impl Serialize for AddrJson {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry(
            &format!("type: {}", self.mat),
            &Definition {
                definition: self.definition,
            },
        )?;
        m.serialize_entry("address", &self.address)?;
        m.end()
    }
}

/// nvme-cli's `json_mgmt_addr_list_log`: `"descriptor: I"` per descriptor
/// with an address, or `"list"` saying none has one. Written by hand: the
/// descriptor index and type are in the keys.
#[derive(Debug)]
pub struct MgmtAddrJson(Vec<(usize, AddrJson)>);

impl Serialize for MgmtAddrJson {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len().max(1)))?;
        for (i, d) in &self.0 {
            m.serialize_entry(&format!("descriptor: {i}"), d)?;
        }
        if self.0.is_empty() {
            m.serialize_entry("list", NONE)?;
        }
        m.end()
    }
}

impl schemars::JsonSchema for MgmtAddrJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "MgmtAddrList".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Each descriptor with an address under `descriptor: I`, or `list` when none has one.",
            "type": "object",
            "properties": {
                "list": {"const": NONE}
            },
            "patternProperties": {
                "^descriptor: [0-7]$": {
                    "type": "object",
                    "properties": {
                        "address": {"type": "string"}
                    },
                    "patternProperties": {
                        "^type: [12]$": {
                            "type": "object",
                            "properties": {
                                "definition": {"enum": ["NVM subsystem management agent", "fabric interface manager"]}
                            },
                            "required": ["definition"],
                            "additionalProperties": false
                        }
                    },
                    "required": ["address"],
                    "minProperties": 2,
                    "maxProperties": 2,
                    "additionalProperties": false
                }
            },
            "minProperties": 1,
            "additionalProperties": false
        })
    }
}

/// `mgmt-addr-list-log -o json`.
pub fn mgmt_addr_json(l: &MgmtAddrListLog) -> MgmtAddrJson {
    MgmtAddrJson(
        l.addresses()
            .map(|(i, d)| {
                (
                    i,
                    AddrJson {
                        mat: d.mat,
                        definition: d.kind().name().unwrap_or_default(),
                        address: output::ascii(d.address()),
                    },
                )
            })
            .collect(),
    )
}

/// `nvmeq mgmt-addr-list-log`.
pub fn mgmt_addr(ctx: &Ctx, a: &MgmtAddrArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let req = LogReq::new(LogId::MGMT_ADDR_LIST, u32::MAX);
    let piece = (dev.max_xfer() as usize & !3).clamp(4, 4096);
    let raw = read_log(&mut dev, OP, &req, 4096, piece)?;
    let l: MgmtAddrListLog = parse(&raw, OP)?;
    output::emit(ctx.fmt, || mgmt_addr_text(&l), || mgmt_addr_json(&l), &raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_json() {
        let mut l = MgmtAddrListLog::default();
        let t = mgmt_addr_text(&l);
        assert_eq!(
            t,
            "Management Address List:\nAll management address descriptors reserved\n"
        );
        let j = serde_json::to_value(mgmt_addr_json(&l)).unwrap();
        assert_eq!(j, serde_json::json!({"list": NONE}));
        assert!(crate::schema::errors("mgmt-addr-list-log", &j).is_empty());

        l.mad[1].mat = 2;
        l.mad[1].madrs[..12].copy_from_slice(b"192.168.0.9\0");
        l.mad[3].mat = 1;
        l.mad[3].madrs[..4].copy_from_slice(b"mctp");
        l.mad[4].mat = 0xff;
        l.mad[5].mat = 1;
        assert_eq!(
            mgmt_addr_text(&l),
            "Management Address List:\nDescriptor: 1, Type: 2 (fabric interface manager), Address: 192.168.0.9\nDescriptor: 3, Type: 1 (NVM subsystem management agent), Address: mctp\n"
        );
        let j = serde_json::to_value(mgmt_addr_json(&l)).unwrap();
        assert_eq!(
            j["descriptor: 1"],
            serde_json::json!({"type: 2": {"definition": "fabric interface manager"}, "address": "192.168.0.9"})
        );
        assert_eq!(j["descriptor: 3"]["address"], "mctp");
        assert!(j.get("descriptor: 5").is_none() && j.get("list").is_none());
        let e = crate::schema::errors("mgmt-addr-list-log", &j);
        assert!(e.is_empty(), "{e:?}");
    }
}
