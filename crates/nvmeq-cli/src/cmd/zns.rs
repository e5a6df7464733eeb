//! Zoned namespaces: `zns report-zones | open | close | finish | reset | append`,
//! with nvme-cli's zns plugin options.

use clap::{Args, Subcommand};
use nvmeq_core::cmd::{
    Csi, Identify, Numd, ZoneAppend, ZoneFilter, ZoneMgmtRecv, ZoneMgmtSend, ZoneRecvAction,
    ZoneSendAction,
};
use nvmeq_core::identify::IdentifyNamespace;
use nvmeq_core::zoned::{IdentifyNamespaceZns, ZoneDescriptor, ZoneReport};
use nvmeq_core::Data;
use serde::Serialize;
use zerocopy::FromBytes;

use super::identify::identify;
use super::io::{check_max_xfer, read_input, transfer_size};
use super::{done, require_nsid, Ctx, DevArg};
use crate::device::Device;
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, cx, hexdump, Format};

/// `nvmeq zns …`.
#[derive(Debug, Subcommand)]
pub enum Zns {
    /// Report the zones of a zoned namespace.
    #[command(alias = "report-zone")]
    ReportZones(ReportArgs),
    /// Open a zone explicitly.
    #[command(alias = "open-zone")]
    Open(SendArgs),
    /// Close a zone.
    #[command(alias = "close-zone")]
    Close(SendArgs),
    /// Finish a zone (move it to Full). Needs --namespace-id.
    #[command(alias = "finish-zone")]
    Finish(SendArgs),
    /// Reset a zone (discard its data). Needs --namespace-id.
    #[command(alias = "reset-zone")]
    Reset(SendArgs),
    /// Append data to a zone; prints the LBA the controller assigned. Needs --namespace-id.
    #[command(alias = "zone-append")]
    Append(AppendArgs),
}

/// `zns report-zones`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default: the device's, else 1).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Report zones from the one containing this LBA.
    #[arg(short = 's', long = "start-lba", value_parser = num::suffixed, default_value = "0")]
    pub slba: u64,
    /// Number of zone descriptors to report (default: all).
    #[arg(short = 'd', long = "descs", value_parser = num::u32)]
    pub descs: Option<u32>,
    /// Only zones in this state: 0 all, 1 empty, 2 implicitly opened, 3 explicitly
    /// opened, 4 closed, 5 full, 6 read only, 7 offline.
    #[arg(short = 'S', long = "state", value_parser = num::u8, default_value = "0")]
    pub state: u8,
    /// Extended report (with zone descriptor extensions).
    #[arg(short = 'e', long = "extended")]
    pub extended: bool,
    /// Partial report: Number of Zones counts only the descriptors returned.
    #[arg(short = 'p', long = "partial")]
    pub partial: bool,
    /// Name zone states and types.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Write the raw reports to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// Zone Management Send (`open`, `close`, `finish`, `reset`).
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required for finish and reset).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Start LBA of the zone.
    #[arg(short = 's', long = "start-lba", value_parser = num::suffixed, default_value = "0")]
    pub slba: u64,
    /// Act on every zone the action applies to.
    #[arg(short = 'a', long = "select-all")]
    pub select_all: bool,
}

/// `zns append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Start LBA of the zone to append to.
    #[arg(short = 's', long = "zslba", value_parser = num::suffixed, default_value = "0")]
    pub zslba: u64,
    /// Bytes to append (a whole number of logical blocks).
    #[arg(short = 'z', long = "data-size", value_parser = num::suffixed)]
    pub data_size: u64,
    /// Data file (default stdin).
    #[arg(short = 'd', long = "data")]
    pub data: Option<std::path::PathBuf>,
    /// Limited Retry.
    #[arg(short = 'l', long = "limited-retry")]
    pub limited_retry: bool,
    /// Force Unit Access.
    #[arg(short = 'f', long = "force-unit-access")]
    pub fua: bool,
}

fn state_name(zs: u8) -> &'static str {
    match zs {
        0x1 => "EMPTY",
        0x2 => "IMP_OPENED",
        0x3 => "EXP_OPENED",
        0x4 => "CLOSED",
        0xd => "READONLY",
        0xe => "FULL",
        0xf => "OFFLINE",
        _ => "Unknown State",
    }
}

fn type_name(zt: u8) -> &'static str {
    match zt {
        0x2 => "SEQWRITE_REQ",
        _ => "Unknown",
    }
}

/// `zns append -o json`: `result` is the LBA the controller assigned.
#[derive(Serialize, schemars::JsonSchema)]
pub struct AppendJson {
    command: &'static str,
    nsid: u32,
    zslba: u64,
    status: &'static str,
    result: u64,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ZoneJson {
    slba: u64,
    wp: u64,
    cap: u64,
    state: &'static str,
    #[serde(rename = "type")]
    zt: &'static str,
    attrs: u8,
    attrs_info: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    ext_data: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ReportJson {
    nr_zones: u64,
    zone_list: Vec<ZoneJson>,
}

/// Zone size and descriptor extension size of the namespace's LBA format.
fn zone_geometry(dev: &mut Device, nsid: u32) -> Result<(u64, usize)> {
    let raw = identify(dev, "Identify Namespace", Identify::namespace(nsid))?;
    let ns = IdentifyNamespace::read_from_bytes(&raw)
        .map_err(|_| CliError::Device("Identify Namespace: short structure".into()))?;
    let raw = identify(
        dev,
        "Identify Namespace (Zoned)",
        Identify::csi_namespace(nsid, Csi::ZNS),
    )?;
    let z = IdentifyNamespaceZns::read_from_bytes(&raw)
        .map_err(|_| CliError::Device("Identify Namespace (Zoned): short structure".into()))?;
    let e = z.lbafe[ns.flbas_index()];
    if e.zsze == 0 {
        return Err(CliError::Device(format!(
            "namespace {nsid} reports a zone size of 0: it is not a zoned namespace"
        )));
    }
    Ok((e.zsze, e.zdes_bytes()))
}

fn report_cmd(
    dev: &mut Device,
    a: &ReportArgs,
    nsid: u32,
    slba: u64,
    len: usize,
    partial: bool,
) -> Result<Vec<u8>> {
    let numd = u32::try_from(len)
        .ok()
        .and_then(Numd::from_bytes)
        .ok_or_else(|| usage(format!("a report of {len} bytes is too large")))?;
    let zra = if a.extended {
        ZoneRecvAction::EXTENDED
    } else {
        ZoneRecvAction::REPORT
    };
    let cmd = ZoneMgmtRecv::new(nsid, slba, numd)
        .zra(zra)
        .zrasf(ZoneFilter(a.state))
        .partial(partial)
        .build();
    let mut buf = vec![0u8; len];
    dev.exec("Zone Management Receive", &cmd, Data::FromDevice(&mut buf))?;
    Ok(buf)
}

/// `nvmeq zns report-zones`.
pub fn report(ctx: &Ctx, a: &ReportArgs) -> Result<()> {
    if a.state > 7 {
        return Err(usage(format!(
            "--state {} is not a zone state filter (0..=7)",
            a.state
        )));
    }
    let mut dev = ctx.open(&a.dev)?;
    let nsid = a.nsid.unwrap_or_else(|| dev.default_nsid());
    let (zsze, zdes) = zone_geometry(&mut dev, nsid)?;
    if a.extended && zdes == 0 {
        return Err(usage(format!(
            "namespace {nsid} has no zone descriptor extensions (ZDES 0): \
             an extended report has nothing to add, drop --extended"
        )));
    }
    let ext = if a.extended { zdes } else { 0 };
    let header = report_cmd(&mut dev, a, nsid, a.slba, 64, false)?;
    // Sent without Partial Report: Number of Zones counts every matching zone.
    let total = ZoneReport::parse(&header, 0)
        .map_err(|e| CliError::Device(format!("report zones: {e}")))?
        .nr_zones();
    let want = a.descs.map(u64::from).unwrap_or(total).min(total);
    let chunk = 63u64;
    let mut raw_all = Vec::new();
    let mut zones: Vec<(ZoneDescriptor, Vec<u8>)> = Vec::new();
    let mut slba = a.slba;
    while (zones.len() as u64) < want {
        let n = chunk.min(want - zones.len() as u64) as usize;
        let len = 64 + n * (64 + ext);
        let buf = report_cmd(&mut dev, a, nsid, slba, len, a.partial)?;
        let rep = if a.partial {
            ZoneReport::parse_partial(&buf, ext)
        } else {
            ZoneReport::parse(&buf, ext)
        }
        .map_err(|e| CliError::Device(format!("report zones: {e}")))?;
        let got: Vec<_> = rep.entries().take(n).collect();
        if got.is_empty() {
            break;
        }
        for e in &got {
            zones.push((e.desc, e.ext.to_vec()));
        }
        slba = got[got.len() - 1].desc.zslba.saturating_add(zsze);
        raw_all.extend_from_slice(&buf);
    }
    match ctx.fmt_raw(a.raw) {
        Format::Binary => output::raw(&raw_all),
        Format::Json => output::json(&zones_json(total, &zones, a.extended)),
        Format::Normal => output::text(&zones_text(total, &zones, a.verbose)),
    }
}

pub(crate) fn zones_json(
    total: u64,
    zones: &[(ZoneDescriptor, Vec<u8>)],
    extended: bool,
) -> ReportJson {
    ReportJson {
        nr_zones: total,
        zone_list: zones
            .iter()
            .map(|(d, x)| ZoneJson {
                slba: d.zslba,
                wp: d.wp,
                cap: d.zcap,
                state: state_name(d.zs >> 4),
                zt: type_name(d.zt),
                attrs: d.za,
                attrs_info: d.zai,
                ext_data: extended.then(|| output::hex(x)),
            })
            .collect(),
    }
}

/// Zones laid out like `nvme zns report-zones` (`-v` names states and types).
pub(crate) fn zones_text(total: u64, zones: &[(ZoneDescriptor, Vec<u8>)], verbose: bool) -> String {
    let mut s = format!("nr_zones: {total}\n");
    for (d, x) in zones {
        if verbose {
            s += &format!(
                "SLBA: {:<10} WP: {:<10} Cap: {:<10} State: {:<12} Type: {:<14}\n",
                cx(d.zslba),
                cx(d.wp),
                cx(d.zcap),
                state_name(d.zs >> 4),
                type_name(d.zt)
            );
            // nvme-cli 2.3's wording, spelling included, so outputs diff cleanly.
            s += &format!(
                "Attrs: Zone Descriptor Extension is {}Vaild\n",
                if d.za & ZoneDescriptor::ZA_ZDEV != 0 {
                    ""
                } else {
                    "Not "
                }
            );
            let limit = |v: u8| ["", "1", "2", "3"][usize::from(v & 3)];
            if d.za & ZoneDescriptor::ZA_RZR != 0 {
                s += &format!(
                    "       Reset Zone Recommended with Reset Recommended Limit{}\n",
                    limit((d.zai & 0xd) >> 2)
                );
            }
            if d.za & ZoneDescriptor::ZA_FZR != 0 {
                s += &format!(
                    "       Finish Zone Recommended with Finish Recommended Limit{}\n",
                    limit(d.zai)
                );
            }
            if d.za & ZoneDescriptor::ZA_ZFC != 0 {
                s += "       Zone Finished by Controller\n";
            }
        } else {
            s += &format!(
                "SLBA: {:<10} WP: {:<10} Cap: {:<10} State: {:<4} Type: {:<4} Attrs: {:<4} AttrsInfo: {:<4}\n",
                cx(d.zslba),
                cx(d.wp),
                cx(d.zcap),
                cx(d.zs),
                cx(d.zt),
                cx(d.za),
                cx(d.zai)
            );
        }
        if !x.is_empty() && d.za & ZoneDescriptor::ZA_ZDEV != 0 {
            s += "Extension Data: ";
            s += &hexdump(x);
            s += "..\n";
        }
    }
    s
}

/// `nvmeq zns open|close|finish|reset`.
pub fn send(ctx: &Ctx, a: &SendArgs, zsa: ZoneSendAction, name: &str) -> Result<()> {
    let destructive = matches!(zsa, ZoneSendAction::RESET | ZoneSendAction::FINISH);
    let mut dev;
    let nsid = if destructive {
        let n = require_nsid(&format!("zns {name}"), a.nsid)?;
        dev = ctx.open(&a.dev)?;
        n
    } else {
        dev = ctx.open(&a.dev)?;
        a.nsid.unwrap_or_else(|| dev.default_nsid())
    };
    let cmd = ZoneMgmtSend::new(nsid, a.slba, zsa)
        .select_all(a.select_all)
        .build();
    let c = dev.exec(
        zsa.name().unwrap_or("Zone Management Send"),
        &cmd,
        Data::None,
    )?;
    done(ctx, &format!("zns {name}"), Some(nsid), c.result())
}

/// `nvmeq zns append`.
pub fn append(ctx: &Ctx, a: &AppendArgs) -> Result<()> {
    let nsid = require_nsid("zns append", a.nsid)?;
    let mut dev = ctx.open(&a.dev)?;
    let lba = dev.lba_size(nsid)?;
    let (nlb_z, len) = transfer_size(lba, None, Some(a.data_size))?;
    check_max_xfer(&dev, len)?;
    let cmd = ZoneAppend::new(nsid, a.zslba, nlb_z)
        .fua(a.fua)
        .lr(a.limited_retry)
        .build();
    let buf = read_input(a.data.as_deref(), len)?;
    let c = dev.exec("Zone Append", &cmd, Data::ToDevice(&buf))?;
    let assigned = ZoneAppend::assigned_lba(&c);
    match ctx.fmt {
        Format::Json => output::json(&AppendJson {
            command: "zns append",
            nsid,
            zslba: a.zslba,
            status: "Successful Completion",
            result: assigned,
        }),
        Format::Binary => Ok(()),
        Format::Normal => output::text(&format!("Success and result: {assigned}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn zones_render_like_nvme_cli() {
        let mut a = ZoneDescriptor::new_zeroed();
        a.zt = 2;
        a.zs = 0x1 << 4;
        a.zcap = 0x4000;
        let mut b = a;
        b.zslba = 0x4000;
        b.wp = 0x4008;
        b.zs = 0x2 << 4;
        let zones = vec![(a, vec![]), (b, vec![])];
        let t = zones_text(4, &zones, false);
        assert_eq!(
            t.lines().collect::<Vec<_>>(),
            [
                "nr_zones: 4",
                "SLBA: 0          WP: 0          Cap: 0x4000     State: 0x10 Type: 0x2  Attrs: 0    AttrsInfo: 0   ",
                "SLBA: 0x4000     WP: 0x4008     Cap: 0x4000     State: 0x20 Type: 0x2  Attrs: 0    AttrsInfo: 0   ",
            ]
        );
        let v = zones_text(4, &zones, true);
        assert!(
            v.contains("State: IMP_OPENED   Type: SEQWRITE_REQ  "),
            "{v}"
        );
        let j = serde_json::to_value(zones_json(4, &zones, false)).unwrap();
        assert_eq!(j["nr_zones"], 4);
        assert_eq!(j["zone_list"][1]["wp"], 0x4008);
        assert_eq!(j["zone_list"][0]["state"], "EMPTY");
        assert_eq!(j["zone_list"][1]["type"], "SEQWRITE_REQ");
        assert!(j["zone_list"][0].get("ext_data").is_none());
        let e = crate::schema::errors("zns report-zones", &j);
        assert!(
            e.is_empty(),
            "breaks docs/schema/zns-report-zones.json: {e:?}"
        );
    }
}
