//! `get-lba-status`: Get LBA Status (admin 86h) with nvme-cli 2.13's options
//! (`-n -s -m -a -l`), text (`stdout_lba_status`) and JSON keys
//! (`json_lba_status`; nvmeq prints each `LSD entry N` as an object where
//! nvme-cli adds keys to an array). The namespace defaults to the device's
//! (nvme-cli sends NSID 0); descriptors beyond what MNDW returned are not
//! printed (nvme-cli walks NLSD past its buffer).

use clap::Args;
use nvmeq_core::cmd::{GetLbaStatus, LbaStatusAtype, Numd};
use nvmeq_core::lba_status::{lba_status_list, Cmpc, LbaStatusDesc, LbaStatusListHeader};
use nvmeq_core::Data;
use serde::Serialize;

use super::{Ctx, DevArg};
use crate::error::{usage, Result};
use crate::num;
use crate::output;

/// `get-lba-status`.
#[derive(Debug, Args)]
pub struct GetLbaStatusArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default: the device's, else 1).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Starting LBA (SLBA).
    #[arg(short = 's', long = "start-lba", value_parser = num::suffixed, default_value = "0")]
    pub slba: u64,
    /// Maximum Number of Dwords (MNDW) to return, zero-based.
    #[arg(short = 'm', long = "max-dw", value_parser = num::u32, default_value = "0")]
    pub mndw: u32,
    /// Action Type (ATYPE): 0x10 scan and report untracked, 0x11 report tracked (required).
    #[arg(short = 'a', long = "action", value_parser = num::u8, default_value = "0")]
    pub atype: u8,
    /// Range Length (RL) in logical blocks (0: to the end of the namespace).
    #[arg(short = 'l', long = "range-len", value_parser = num::u16, default_value = "0")]
    pub rl: u16,
}

/// C's `%#0Nx`: zero has no `0x` and is padded to N digits.
fn c_hex(v: u64, width: usize) -> String {
    if v == 0 {
        "0".repeat(width)
    } else {
        format!("{v:#0width$x}")
    }
}

/// nvme-cli's words for each Completion Condition (text: wrapped lines).
fn cmpc_text(c: Cmpc) -> Option<&'static str> {
    Some(match c {
        Cmpc::NONE => "\tNo indication of the completion condition\n",
        Cmpc::INCOMPLETE => {
            "\tCompleted transferring the amount of data specified in the\n\
             \tMNDW field. But, additional LBA Status Descriptor Entries are\n\
             \tavailable to transfer or scan did not complete (if ATYPE = 10h)\n"
        }
        Cmpc::COMPLETE => {
            "\tCompleted the specified action over the number of LBAs specified\n\
             \tin the Range Length field and transferred all available LBA Status\n\
             \tDescriptor Entries\n"
        }
        _ => return None,
    })
}

/// The same words as nvme-cli's JSON joins them (without spaces between
/// its pieces).
fn cmpc_json(c: Cmpc) -> Option<&'static str> {
    Some(match c {
        Cmpc::NONE => "No indication of the completion condition",
        Cmpc::INCOMPLETE => {
            "Completed transferring the amount of data specified in theMNDW field. \
             But, additional LBA Status Descriptor Entries areavailable to transfer \
             or scan did not complete (if ATYPE = 10h)"
        }
        Cmpc::COMPLETE => {
            "Completed the specified action over the number of LBAs specifiedin the \
             Range Length field and transferred all available LBA StatusDescriptor Entries"
        }
        _ => return None,
    })
}

fn text(h: &LbaStatusListHeader, descs: &[LbaStatusDesc]) -> String {
    let mut s = format!(
        "Number of LBA Status Descriptors(NLSD): {}\nCompletion Condition(CMPC): {}\n",
        h.nlsd.get(),
        h.cmpc
    );
    s.push_str(cmpc_text(Cmpc(h.cmpc)).unwrap_or(""));
    for d in descs {
        s.push_str(&format!(
            "{{ DSLBA: {}, NLB: {}, Status: {} }}\n",
            c_hex(d.dslba.get(), 16),
            c_hex(d.nlb.get().into(), 8),
            c_hex(d.status.into(), 2)
        ));
    }
    s
}

/// One LBA Status Descriptor, its numbers as fixed-width hex (nvme-cli's).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LsdJson {
    #[serde(rename = "DSLBA")]
    dslba: String,
    #[serde(rename = "NLB")]
    nlb: String,
    status: String,
}

const NLSD: &str = "Number of LBA Status Descriptors (NLSD)";
const CMPC: &str = "Completion Condition (CMPC)";
const CMPC_DEF: &str = "cmpc-definition";

/// `get-lba-status -o json`: the header, the condition's definition when
/// it is a known one, then `"LSD entry N"` per descriptor. Written by hand:
/// the entries' keys hold their index.
#[derive(Debug)]
pub struct LbaStatusJson {
    nlsd: u32,
    cmpc: u8,
    definition: Option<&'static str>,
    descs: Vec<LsdJson>,
}

impl Serialize for LbaStatusJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(NLSD, &self.nlsd)?;
        m.serialize_entry(CMPC, &self.cmpc)?;
        if let Some(d) = self.definition {
            m.serialize_entry(CMPC_DEF, d)?;
        }
        for (i, d) in self.descs.iter().enumerate() {
            m.serialize_entry(&format!("LSD entry {i}"), d)?;
        }
        m.end()
    }
}

impl schemars::JsonSchema for LbaStatusJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LbaStatus".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                (NLSD): g.subschema_for::<u32>(),
                (CMPC): g.subschema_for::<u8>(),
                (CMPC_DEF): {"type": "string"}
            },
            "required": [NLSD, CMPC],
            "patternProperties": {
                "^LSD entry [0-9]+$": g.subschema_for::<LsdJson>()
            },
            "additionalProperties": false
        })
    }
}

fn to_json(h: &LbaStatusListHeader, descs: &[LbaStatusDesc]) -> LbaStatusJson {
    LbaStatusJson {
        nlsd: h.nlsd.get(),
        cmpc: h.cmpc,
        definition: cmpc_json(Cmpc(h.cmpc)),
        descs: descs
            .iter()
            .map(|d| LsdJson {
                dslba: format!("0x{:016x}", d.dslba.get()),
                nlb: format!("0x{:08x}", d.nlb.get()),
                status: format!("0x{:02x}", d.status),
            })
            .collect(),
    }
}

/// `nvmeq get-lba-status`.
pub fn get_lba_status(ctx: &Ctx, a: &GetLbaStatusArgs) -> Result<()> {
    if a.atype == 0 {
        return Err(usage(
            "get-lba-status: give the action type with --action/-a \
             (0x10: scan and report untracked, 0x11: report tracked)",
        ));
    }
    let mndw = Numd::from_z(a.mndw).ok_or_else(|| {
        usage(format!(
            "get-lba-status: --max-dw {} is more than one command can return",
            a.mndw
        ))
    })?;
    let mut dev = ctx.open(&a.dev)?;
    let nsid = a.nsid.unwrap_or_else(|| dev.default_nsid());
    let cmd = GetLbaStatus::new(nsid, a.slba, mndw, LbaStatusAtype(a.atype))
        .rl(a.rl)
        .build();
    let mut buf = vec![0u8; mndw.bytes() as usize];
    dev.exec("Get LBA Status", &cmd, Data::FromDevice(&mut buf))?;
    let (h, descs) = lba_status_list(&buf);
    let descs: Vec<LbaStatusDesc> = descs.collect();
    output::emit(ctx.fmt, || text(&h, &descs), || to_json(&h, &descs), &buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Vec<u8> {
        let mut b = vec![0u8; 8 + 32];
        b[0] = 2;
        b[4] = 1;
        b[8] = 0x10;
        b[16] = 8;
        b[21] = 1;
        // Second descriptor: all zero.
        b
    }

    #[test]
    fn text_and_json_as_nvme_cli() {
        let b = list();
        let (h, d) = lba_status_list(&b);
        let d: Vec<_> = d.collect();
        assert_eq!(
            text(&h, &d),
            "Number of LBA Status Descriptors(NLSD): 2\nCompletion Condition(CMPC): 1\n\
             \tCompleted transferring the amount of data specified in the\n\
             \tMNDW field. But, additional LBA Status Descriptor Entries are\n\
             \tavailable to transfer or scan did not complete (if ATYPE = 10h)\n\
             { DSLBA: 0x00000000000010, NLB: 0x000008, Status: 0x1 }\n\
             { DSLBA: 0000000000000000, NLB: 00000000, Status: 00 }\n"
        );
        let j = serde_json::to_value(to_json(&h, &d)).unwrap();
        let e = crate::schema::errors("get-lba-status", &j);
        assert!(e.is_empty(), "{e:?}");
        let mut bad = j.clone();
        bad["LSD entry 0"]["NLB"] = 8.into();
        assert!(!crate::schema::errors("get-lba-status", &bad).is_empty());
        assert_eq!(j["Number of LBA Status Descriptors (NLSD)"], 2);
        assert_eq!(j["Completion Condition (CMPC)"], 1);
        assert_eq!(j["LSD entry 0"]["DSLBA"], "0x0000000000000010");
        assert_eq!(j["LSD entry 0"]["NLB"], "0x00000008");
        assert_eq!(j["LSD entry 0"]["status"], "0x01");
        assert_eq!(j["LSD entry 1"]["NLB"], "0x00000000");
        assert!(j["cmpc-definition"]
            .as_str()
            .unwrap()
            .starts_with("Completed transferring"));
        // An unknown condition prints no definition.
        let mut b = list();
        b[4] = 7;
        let (h, _) = lba_status_list(&b);
        let j = serde_json::to_value(to_json(&h, &[])).unwrap();
        assert!(j.get("cmpc-definition").is_none());
        assert_eq!(
            text(&h, &[]),
            "Number of LBA Status Descriptors(NLSD): 2\nCompletion Condition(CMPC): 7\n"
        );
    }
}
