//! `get-feature` and `set-feature`; `-H` decoding in [`decode`].

mod decode;

use clap::Args;
use nvmeq_core::cmd::{FeatureId, GetFeatures, Sel, SetFeatures};
use nvmeq_core::{Data, DataDir, Xfer};
use serde::Serialize;

use super::{require_nsid, Ctx, DevArg};
use crate::cmd::io::read_input;
use crate::device::Device;
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, hexdump, Format};

/// `get-feature`.
#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Feature Identifier (default: every feature the controller answers for).
    #[arg(short = 'f', long = "feature-id", value_parser = num::u8)]
    pub fid: Option<u8>,
    /// Namespace ID, for namespace-specific features.
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "0")]
    pub nsid: u32,
    /// Select: 0 current, 1 default, 2 saved, 3 supported capabilities.
    #[arg(short = 's', long = "sel", value_parser = num::u8, default_value = "0")]
    pub sel: u8,
    /// Data buffer length for features that return a data structure
    /// (default: the feature's structure size).
    #[arg(short = 'l', long = "data-len", value_parser = num::u32)]
    pub data_len: Option<u32>,
    /// Command dword 11 (feature specific).
    #[arg(short = 'c', long = "cdw11", value_parser = num::u32, default_value = "0")]
    pub cdw11: u32,
    /// UUID index.
    #[arg(short = 'U', long = "uuid-index", value_parser = num::u8, default_value = "0")]
    pub uuid_index: u8,
    /// Write the returned data structure raw to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// Decode the value field by field (instead of the data structure's hex dump).
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
}

/// `set-feature`.
#[derive(Debug, Args)]
pub struct SetArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: Set Features changes controller state).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Feature Identifier.
    #[arg(short = 'f', long = "feature-id", value_parser = num::u8)]
    pub fid: u8,
    /// New value (command dword 11).
    #[arg(short = 'V', short_alias = 'v', long = "value", value_parser = num::u32, default_value = "0")]
    pub value: u32,
    /// Command dword 12.
    #[arg(short = 'c', long = "cdw12", value_parser = num::u32, default_value = "0")]
    pub cdw12: u32,
    /// UUID index (command dword 14 bits 6:0).
    #[arg(short = 'U', long = "uuid-index", value_parser = num::u8, default_value = "0")]
    pub uuid_index: u8,
    /// Data length for features that take a data structure (default: the structure's size).
    #[arg(short = 'l', long = "data-len", value_parser = num::u32)]
    pub data_len: Option<u32>,
    /// File with the feature's data structure (default stdin, when it has one).
    #[arg(short = 'd', long = "data")]
    pub data: Option<std::path::PathBuf>,
    /// Make the setting persist across power cycles (SV).
    #[arg(short = 's', long = "save")]
    pub save: bool,
}

fn sel_of(v: u8) -> Result<Sel> {
    Ok(match v {
        0 => Sel::Current,
        1 => Sel::Default,
        2 => Sel::Saved,
        3 => Sel::Supported,
        _ => {
            return Err(usage(format!(
                "--sel {v} is not a select value: 0 current, 1 default, 2 saved, 3 supported capabilities"
            )))
        }
    })
}

fn sel_name(v: u8) -> &'static str {
    match v {
        0 => "Current",
        1 => "Default",
        2 => "Saved",
        3 => "Supported capabilities",
        _ => "Reserved",
    }
}

/// A value as nvme-cli's `%#0*x` prints it: zero has no `0x`.
fn c_hex(v: u64, width_nonzero: usize) -> String {
    if v == 0 {
        "0".repeat(width_nonzero - 2)
    } else {
        format!("{v:#0width_nonzero$x}")
    }
}

fn feature_name(fid: u8) -> &'static str {
    FeatureId(fid).name().unwrap_or(if fid >= 0xc0 {
        "Vendor Specific"
    } else {
        "Unknown"
    })
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct GetJson {
    feature_id: u8,
    name: &'static str,
    sel: &'static str,
    value: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
}

/// `get-feature -o json`: one object with `--feature-id`, else one per
/// supported feature.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum GetOut {
    One(GetJson),
    All(Vec<GetJson>),
}

/// `set-feature -o json`: what was set and completion dword 0.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SetJson {
    feature_id: u8,
    name: &'static str,
    value: u32,
    cdw12: u32,
    save: bool,
    result: u32,
}

/// One Get Features: completion dword 0 and the data structure, if any.
fn get_one(dev: &mut Device, a: &GetArgs, fid: u8, sel: Sel) -> Result<(u32, Option<Vec<u8>>)> {
    let mut b = GetFeatures::new(FeatureId(fid))
        .nsid(a.nsid)
        .sel(sel)
        .cdw11(a.cdw11)
        .uidx(a.uuid_index);
    if let Some(l) = a.data_len {
        b = b.data_len(l);
    }
    let cmd = b.build();
    let len = match cmd.xfer {
        Xfer::Bytes(n) => n as usize,
        _ => 0,
    };
    if len == 0 || cmd.dir == DataDir::None {
        let c = dev.exec("Get Features", &cmd, Data::None)?;
        Ok((c.dw0, None))
    } else {
        let mut buf = vec![0u8; len];
        let c = dev.exec("Get Features", &cmd, Data::FromDevice(&mut buf))?;
        Ok((c.dw0, Some(buf)))
    }
}

fn get_text(fid: u8, sel: u8, value: u32, data: Option<&[u8]>, human: bool) -> String {
    let mut s = format!(
        "get-feature:{} ({}), {} value:{}\n",
        c_hex(u64::from(fid), 4),
        feature_name(fid),
        sel_name(sel),
        c_hex(u64::from(value), 10)
    );
    if sel == 3 {
        for (bit, what) in [
            (1, "  Feature is saveable\n"),
            (2, "  Feature is per-namespace\n"),
            (4, "  Feature is changeable\n"),
        ] {
            if value & bit != 0 {
                s += what;
            }
        }
    } else if human {
        // As nvme-cli: the decoded fields, without the hex dump.
        s += &decode::show_fields(FeatureId(fid), value, data).unwrap_or_default();
    } else if let Some(d) = data {
        s += &hexdump(d);
    }
    s
}

fn get_json(fid: u8, sel: u8, value: u32, data: Option<&[u8]>) -> GetJson {
    GetJson {
        feature_id: fid,
        name: feature_name(fid),
        sel: sel_name(sel),
        value,
        data: data.map(output::hex),
    }
}

/// `nvmeq get-feature`. Without `--feature-id`, every FID from 01h to FFh is
/// asked and the ones the controller answers with an error status are left
/// out (nvme-cli skips Invalid Field and stops at other statuses; a
/// namespace-scoped FID asked with NSID 0 should not end the sweep).
pub fn get(ctx: &Ctx, a: &GetArgs) -> Result<()> {
    let sel = sel_of(a.sel)?;
    let mut dev = ctx.open(&a.dev)?;
    let fmt = ctx.fmt_raw(a.raw);
    let Some(fid) = a.fid else {
        let mut all = Vec::new();
        for fid in 1..=0xffu8 {
            match get_one(&mut dev, a, fid, sel) {
                Ok((v, d)) => all.push((fid, v, d)),
                // The controller declines this FID (not supported, needs a
                // namespace, …): leave it out of the sweep. OS errors stop it.
                Err(CliError::Nvme { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        return match fmt {
            Format::Json => output::json(&GetOut::All(
                all.iter()
                    .map(|(f, v, d)| get_json(*f, a.sel, *v, d.as_deref()))
                    .collect(),
            )),
            Format::Binary => Err(usage("-o binary needs one --feature-id")),
            Format::Normal => output::text(
                &all.iter()
                    .map(|(f, v, d)| get_text(*f, a.sel, *v, d.as_deref(), a.human))
                    .collect::<String>(),
            ),
        };
    };
    let (value, data) = get_one(&mut dev, a, fid, sel)?;
    match fmt {
        Format::Binary if data.is_some() => output::raw(data.as_deref().unwrap_or(&[])),
        Format::Json => output::json(&GetOut::One(get_json(fid, a.sel, value, data.as_deref()))),
        _ => output::text(&get_text(fid, a.sel, value, data.as_deref(), a.human)),
    }
}

/// `nvmeq set-feature`.
pub fn set(ctx: &Ctx, a: &SetArgs) -> Result<()> {
    let nsid = require_nsid("set-feature", a.nsid)?;
    let mut b = SetFeatures::new(FeatureId(a.fid), a.value)
        .nsid(nsid)
        .sv(a.save)
        .cdw12(a.cdw12)
        .cdw14(u32::from(a.uuid_index & 0x7f));
    if let Some(l) = a.data_len {
        b = b.data_len(l);
    }
    let cmd = b.build();
    let len = match cmd.xfer {
        Xfer::Bytes(n) => n as usize,
        _ => 0,
    };
    let mut dev = ctx.open(&a.dev)?;
    let c = if len == 0 {
        if a.data.is_some() {
            return Err(usage(format!(
                "feature {:#04x} ({}) takes no data structure: drop --data or give --data-len",
                a.fid,
                feature_name(a.fid)
            )));
        }
        dev.exec("Set Features", &cmd, Data::None)?
    } else {
        let buf = read_input(a.data.as_deref(), len)?;
        dev.exec("Set Features", &cmd, Data::ToDevice(&buf))?
    };
    match ctx.fmt {
        Format::Json => output::json(&SetJson {
            feature_id: a.fid,
            name: feature_name(a.fid),
            value: a.value,
            cdw12: a.cdw12,
            save: a.save,
            result: c.dw0,
        }),
        Format::Binary => Ok(()),
        Format::Normal => output::text(&format!(
            "set-feature:{} ({}), value:{}, cdw12:{}, save:{}\n",
            c_hex(u64::from(a.fid), 4),
            feature_name(a.fid),
            c_hex(u64::from(a.value), 10),
            c_hex(u64::from(a.cdw12), 10),
            if a.save { "0x1" } else { "0" }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::c_hex;

    #[test]
    fn c_style_hex() {
        assert_eq!(c_hex(0, 10), "00000000");
        assert_eq!(c_hex(1, 10), "0x00000001");
        assert_eq!(c_hex(6, 4), "0x06");
    }
}
