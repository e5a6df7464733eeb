//! Controller data beyond Identify Controller: `nvm-id-ctrl` (CNS 06h,
//! CSI 00h), `primary-ctrl-caps` (CNS 14h), `id-iocs` (CNS 1Ch); text laid
//! out like nvme-cli 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::{Cns, Csi, Identify};
use nvmeq_core::identify::{iocsc, IdentifyControllerNvm, IoCommandSets, PrimaryControllerCaps};

use super::{identify, parse};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::num;
use crate::output::{self, cx};
use serde::Serialize;

/// `nvm-id-ctrl`.
#[derive(Debug, Args)]
pub struct NvmIdCtrlArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Decode AOCS.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `primary-ctrl-caps`.
#[derive(Debug, Args)]
pub struct PrimaryCapsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Controller Identifier (CNTID).
    #[arg(short = 'c', long = "cntlid", value_parser = num::u16, default_value = "0")]
    pub cntid: u16,
    /// Decode CRT.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `id-iocs`.
#[derive(Debug, Args)]
pub struct IdIocsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Controller Identifier (CNTID).
    #[arg(short = 'c', long = "controller-id", value_parser = num::u16, default_value = "0")]
    pub cntid: u16,
    /// Decode each combination's command sets.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// The NVM Identify Controller laid out like `nvme nvm-id-ctrl`.
pub fn nvm_id_ctrl_text(c: &IdentifyControllerNvm, verbose: bool) -> String {
    let mut s = String::from("NVMe Identify Controller NVM:\n");
    s += &format!("vsl    : {}\n", c.vsl);
    s += &format!("wzsl   : {}\n", c.wzsl);
    s += &format!("wusl   : {}\n", c.wusl);
    s += &format!("dmrl   : {}\n", c.dmrl);
    s += &format!("dmrsl  : {}\n", c.dmrsl);
    s += &format!("dmsl   : {}\n", c.dmsl.get());
    s += &format!("kpiocap: {}\n", c.kpiocap);
    if verbose {
        let k = c.kpiocap;
        if k >> 2 != 0 {
            s += &format!("  [7:2] : {}\tReserved\n", cx(k >> 2));
        }
        s += &format!(
            "  [1:1] : {}\tKey Per I/O capability enabled and disabled {} in theNVM subsystem\n",
            cx((k >> 1) & 1),
            if k & 2 != 0 {
                "all namespaces"
            } else {
                "each namespace"
            }
        );
        s += &format!(
            "  [0:0] : {}\tKey Per I/O capability {}Supported\n",
            cx(k & 1),
            if k & 1 != 0 { "" } else { "Not " }
        );
    }
    s += &format!("wzdsl  : {}\n", c.wzdsl);
    s += &format!("aocs   : {}\n", c.aocs);
    if verbose {
        let rsvd = (c.aocs & 0xfffe) >> 1;
        if rsvd != 0 {
            s += &format!("  [15:1] : {}\tReserved\n", cx(rsvd));
        }
        s += &format!(
            "  [0:0] : {}\tReporting Allocated LBA {}Supported\n\n",
            cx(c.aocs & 1),
            if c.aocs & 1 != 0 { "" } else { "Not " }
        );
    }
    let ver = c.ver.get();
    s += &format!("ver    : {ver:#x}\n");
    if verbose {
        s += &format!(
            "  NVM command set specification: {}.{}.{}\n\n",
            ver >> 16,
            (ver >> 8) & 0xff,
            ver & 0xff
        );
    }
    s += &format!("lbamqf : {}\n", c.lbamqf);
    if verbose {
        let kind = match c.lbamqf {
            0 => "LBA Migration Queue Entry Type 0",
            0xc0..=0xff => "Vendor Specific",
            _ => "Reserved",
        };
        s += &format!("  {:#x}: {kind}\n\n", c.lbamqf);
    }
    s
}

/// `nvm-id-ctrl -o json`; with `-v`, AOCS's bits follow it (the reserved
/// ones only when set), as nvme-cli's.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NvmIdCtrlJson {
    vsl: u8,
    wzsl: u8,
    wusl: u8,
    dmrl: u8,
    dmrsl: u32,
    dmsl: u64,
    kpiocap: u8,
    wzdsl: u8,
    aocs: u16,
    #[serde(rename = "[15:1]: Reserved", skip_serializing_if = "Option::is_none")]
    aocs_rsvd: Option<u16>,
    #[serde(
        rename = "[0:0]: Reporting Allocated LBA Supported",
        skip_serializing_if = "Option::is_none"
    )]
    aocs_ralbas: Option<u16>,
    ver: u32,
    lbamqf: u8,
}

/// nvme-cli's `json_nvme_id_ctrl_nvm`.
pub fn nvm_id_ctrl_json(c: &IdentifyControllerNvm, verbose: bool) -> NvmIdCtrlJson {
    let rsvd = (c.aocs & 0xfffe) >> 1;
    NvmIdCtrlJson {
        vsl: c.vsl,
        wzsl: c.wzsl,
        wusl: c.wusl,
        dmrl: c.dmrl,
        dmrsl: c.dmrsl,
        dmsl: c.dmsl.get(),
        kpiocap: c.kpiocap,
        wzdsl: c.wzdsl,
        aocs: c.aocs,
        aocs_rsvd: (verbose && rsvd != 0).then_some(rsvd),
        aocs_ralbas: verbose.then_some(c.aocs & 1),
        ver: c.ver.get(),
        lbamqf: c.lbamqf,
    }
}

/// `nvmeq nvm-id-ctrl`.
pub fn nvm_id_ctrl(ctx: &Ctx, a: &NvmIdCtrlArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Controller (NVM Command Set)";
    let raw = identify(&mut dev, op, Identify::csi_controller(Csi::NVM))?;
    let c: IdentifyControllerNvm = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || nvm_id_ctrl_text(&c, a.verbose),
        || nvm_id_ctrl_json(&c, a.verbose),
        &raw,
    )
}

/// Primary Controller Capabilities laid out like `nvme primary-ctrl-caps`.
pub fn primary_caps_text(c: &PrimaryControllerCaps, human: bool) -> String {
    let mut s = String::from("NVME Identify Primary Controller Capabilities:\n");
    s += &format!("cntlid    : {}\n", cx(c.cntlid));
    s += &format!("portid    : {}\n", cx(c.portid));
    s += &format!("crt       : {}\n", cx(c.crt));
    if human {
        let crt = c.crt;
        if crt >> 2 != 0 {
            s += &format!("  [7:2] : {}\tReserved\n", cx(crt >> 2));
        }
        s += &format!(
            "  [1:1] {}\tVI Resources are {}supported\n",
            cx((crt >> 1) & 1),
            if crt & 2 != 0 { "" } else { "not " }
        );
        s += &format!(
            "  [0:0] {}\tVQ Resources are {}supported\n",
            cx(crt & 1),
            if crt & 1 != 0 { "" } else { "not " }
        );
    }
    for (k, v) in [("vqfrt", c.vqfrt), ("vqrfa", c.vqrfa)] {
        s += &format!("{k:<10}: {v}\n");
    }
    for (k, v) in [
        ("vqrfap", c.vqrfap),
        ("vqprt", c.vqprt),
        ("vqfrsm", c.vqfrsm),
        ("vqgran", c.vqgran),
    ] {
        s += &format!("{k:<10}: {v}\n");
    }
    for (k, v) in [("vifrt", c.vifrt), ("virfa", c.virfa)] {
        s += &format!("{k:<10}: {v}\n");
    }
    for (k, v) in [
        ("virfap", c.virfap),
        ("viprt", c.viprt),
        ("vifrsm", c.vifrsm),
        ("vigran", c.vigran),
    ] {
        s += &format!("{k:<10}: {v}\n");
    }
    s
}

/// nvme-cli's `json_nvme_primary_ctrl_cap`: the structure's fields by
/// their mnemonics.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PrimaryCapsJson {
    cntlid: u16,
    portid: u16,
    crt: u8,
    vqfrt: u32,
    vqrfa: u32,
    vqrfap: u16,
    vqprt: u16,
    vqfrsm: u16,
    vqgran: u16,
    vifrt: u32,
    virfa: u32,
    virfap: u16,
    viprt: u16,
    vifrsm: u16,
    vigran: u16,
}

/// `primary-ctrl-caps -o json`.
pub fn primary_caps_json(c: &PrimaryControllerCaps) -> PrimaryCapsJson {
    PrimaryCapsJson {
        cntlid: c.cntlid,
        portid: c.portid,
        crt: c.crt,
        vqfrt: c.vqfrt,
        vqrfa: c.vqrfa,
        vqrfap: c.vqrfap,
        vqprt: c.vqprt,
        vqfrsm: c.vqfrsm,
        vqgran: c.vqgran,
        vifrt: c.vifrt,
        virfa: c.virfa,
        virfap: c.virfap,
        viprt: c.viprt,
        vifrsm: c.vifrsm,
        vigran: c.vigran,
    }
}

/// `nvmeq primary-ctrl-caps`.
pub fn primary_caps(ctx: &Ctx, a: &PrimaryCapsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Primary Controller Capabilities";
    let cmd = Identify::new(Cns::PRIMARY_CONTROLLER_CAPS, 0).cntid(a.cntid);
    let raw = identify(&mut dev, op, cmd)?;
    let c: PrimaryControllerCaps = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || primary_caps_text(&c, a.human),
        || primary_caps_json(&c),
        &raw,
    )
}

const IOCSC_SETS: [(u64, &str, &str); 5] = [
    (
        iocsc::COMPUTATIONAL,
        "4:4",
        "Computational Programs Namespace Command Set",
    ),
    (iocsc::SLM, "3:3", "Subsystem Local Memory Command Set"),
    (iocsc::ZONED, "2:2", "Zoned Namespace Command Set"),
    (iocsc::KEY_VALUE, "1:1", "Key Value Command Set"),
    (iocsc::NVM, "0:0", "NVM Command Set"),
];

/// The I/O Command Set data structure laid out like `nvme id-iocs`.
pub fn iocs_text(l: &IoCommandSets, verbose: bool) -> String {
    let mut s = String::from("NVMe Identify I/O Command Set:\n");
    for (i, &v) in l.iocsc.iter().enumerate() {
        if v == 0 {
            continue;
        }
        s += &format!("I/O Command Set Combination[{i}]:{v:x}\n");
        if verbose {
            for (bit, range, name) in IOCSC_SETS {
                let on = v & bit != 0;
                s += &format!(
                    "  [{range}] : {}\t{name} {}Selected\n",
                    cx(on as u8),
                    if on { "" } else { "Not " }
                );
            }
            s.push('\n');
        }
    }
    s
}

/// nvme-cli's `json_id_iocs`: for each non-zero combination `i`,
/// `"I/O Command Set Combination[i]": value` and then `"IOCSCi"`, an object
/// saying which sets it selects. Written by hand: the keys hold the index.
#[derive(Debug)]
pub struct IocsJson(Vec<(usize, u64)>);

struct Selected(u64);

impl Serialize for Selected {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(IOCSC_SETS.len()))?;
        for (bit, _, name) in IOCSC_SETS {
            let on = self.0 & bit != 0;
            m.serialize_entry(name, if on { "Selected" } else { "Not selected" })?;
        }
        m.end()
    }
}

impl Serialize for IocsJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2 * self.0.len()))?;
        for &(i, v) in &self.0 {
            m.serialize_entry(&format!("I/O Command Set Combination[{i}]"), &v)?;
            m.serialize_entry(&format!("IOCSC{i}"), &Selected(v))?;
        }
        m.end()
    }
}

impl schemars::JsonSchema for IocsJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Iocs".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let sel = serde_json::json!({"enum": ["Selected", "Not selected"]});
        let sets: serde_json::Map<String, serde_json::Value> = IOCSC_SETS
            .iter()
            .map(|(_, _, name)| ((*name).to_string(), sel.clone()))
            .collect();
        let names: Vec<&str> = IOCSC_SETS.iter().map(|(_, _, n)| *n).collect();
        schemars::json_schema!({
            "type": "object",
            "patternProperties": {
                "^I/O Command Set Combination\\[[0-9]{1,3}\\]$": {"type": "integer", "minimum": 1},
                "^IOCSC[0-9]{1,3}$": {
                    "type": "object",
                    "properties": sets,
                    "required": names,
                    "additionalProperties": false
                }
            },
            "additionalProperties": false
        })
    }
}

/// `id-iocs -o json`.
pub fn iocs_json(l: &IoCommandSets) -> IocsJson {
    IocsJson(
        l.iocsc
            .iter()
            .enumerate()
            .filter(|(_, &v)| v != 0)
            .map(|(i, &v)| (i, v))
            .collect(),
    )
}

/// `nvmeq id-iocs`.
pub fn id_iocs(ctx: &Ctx, a: &IdIocsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify I/O Command Set";
    let cmd = Identify::new(Cns::IO_COMMAND_SETS, 0).cntid(a.cntid);
    let raw = identify(&mut dev, op, cmd)?;
    let l: IoCommandSets = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || iocs_text(&l, a.verbose),
        || iocs_json(&l),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn verbose_nvm_id_ctrl_json_adds_the_aocs_bits() {
        let mut c = IdentifyControllerNvm::new_zeroed();
        c.aocs = 0x5;
        let j = serde_json::to_value(nvm_id_ctrl_json(&c, true)).unwrap();
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys[8..12],
            [
                "aocs",
                "[15:1]: Reserved",
                "[0:0]: Reporting Allocated LBA Supported",
                "ver"
            ]
        );
        assert_eq!(j["[15:1]: Reserved"], 2);
        let e = crate::schema::errors("nvm-id-ctrl", &j);
        assert!(e.is_empty(), "{e:?}");
        let plain = serde_json::to_value(nvm_id_ctrl_json(&c, false)).unwrap();
        assert_eq!(plain.as_object().unwrap().len(), 11);
    }

    #[test]
    fn iocs_json_pairs_each_combination_with_its_sets() {
        let mut l = IoCommandSets::new_zeroed();
        l.iocsc[0] = iocsc::NVM;
        l.iocsc[2] = iocsc::NVM | iocsc::ZONED;
        let s = serde_json::to_string(&iocs_json(&l)).unwrap();
        let sets = |zoned: &str, nvm: &str| {
            format!(
                concat!(
                    r#"{{"Computational Programs Namespace Command Set":"Not selected","#,
                    r#""Subsystem Local Memory Command Set":"Not selected","#,
                    r#""Zoned Namespace Command Set":"{}","#,
                    r#""Key Value Command Set":"Not selected","NVM Command Set":"{}"}}"#
                ),
                zoned, nvm
            )
        };
        assert_eq!(
            s,
            format!(
                r#"{{"I/O Command Set Combination[0]":1,"IOCSC0":{},"I/O Command Set Combination[2]":5,"IOCSC2":{}}}"#,
                sets("Not selected", "Selected"),
                sets("Selected", "Selected")
            )
        );
        let mut j: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert!(crate::schema::errors("id-iocs", &j).is_empty());
        j["IOCSC2"]["NVM Command Set"] = "yes".into();
        assert!(!crate::schema::errors("id-iocs", &j).is_empty());
    }
}
