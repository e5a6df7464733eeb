//! Identify: `id-ctrl`, `id-ns`, `list-ns`, `ns-descs`, `id-ns-lba-format`
//! here; the other controller structures and the lists in the files below.

mod bits;
pub(crate) mod ctrl_data;
pub(crate) mod ctrl_human;
pub(crate) mod formats;
mod human;
pub(crate) mod independent;
pub(crate) mod lists;

pub use ctrl_data::{
    id_iocs, nvm_id_ctrl, primary_caps, IdIocsArgs, NvmIdCtrlArgs, PrimaryCapsArgs,
};
pub use formats::{id_ns_lba_format, nvm_id_ns, nvm_id_ns_lba_format, LbaFormatArgs, NvmIdNsArgs};
pub use independent::{cmdset_ind_id_ns, list_endgrp, CmdsetIndIdNsArgs, ListEndgrpArgs};
pub use lists::{
    id_domain, id_ns_granularity, id_nvmset, id_uuid, list_ctrl, list_secondary, IdDomainArgs,
    IdNsGranularityArgs, IdNvmsetArgs, IdUuidArgs, ListCtrlArgs, ListSecondaryArgs,
};

use clap::Args;
use nvmeq_core::cmd::{Cns, Csi, Identify};
use nvmeq_core::identify::{
    ns_descriptors, IdentifyController, IdentifyNamespace, Nidt, NsList, PowerStateDescriptor,
};
use nvmeq_core::Data;
use serde::Serialize;
use zerocopy::FromBytes;

use super::{Ctx, DevArg};
use crate::device::Device;
use crate::error::{CliError, Result};
use crate::json::id_ctrl::IdCtrl;
use crate::json::id_ns::IdNs;
use crate::num;
use crate::output::{self, ascii, cx, hex, hexdump, uuid};

/// `id-ctrl`.
#[derive(Debug, Args)]
pub struct IdCtrlArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Dump the vendor specific field (vs[]) as hex.
    #[arg(short = 'v', long = "vendor-specific")]
    pub vs: bool,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// Decode each field's bits under it (normal output; nvme-cli 2.13's
    /// layout, JSON unchanged).
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
}

/// `id-ns`.
#[derive(Debug, Args)]
pub struct IdNsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default: the device's, else 1).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Dump the vendor specific field (vs[]) as hex.
    #[arg(short = 'v', long = "vendor-specific")]
    pub vs: bool,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// Decode each field's bits under it (normal output).
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
}

/// `list-ns`.
#[derive(Debug, Args)]
pub struct ListNsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// List namespace IDs greater than this one.
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "0")]
    pub nsid: u32,
    /// Only namespaces of this I/O command set (CNS 07h).
    #[arg(short = 'y', long = "csi", value_parser = num::u8)]
    pub csi: Option<u8>,
    /// Allocated namespaces too, attached or not (CNS 10h/11h).
    #[arg(short = 'a', long = "all")]
    pub all: bool,
}

/// `ns-descs`.
#[derive(Debug, Args)]
pub struct NsDescsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default: the device's, else 1).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Write the raw 4096-byte list to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// Runs an Identify and returns its 4096 bytes.
pub fn identify(dev: &mut Device, op: &str, cmd: Identify) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    dev.exec(op, &cmd.build(), Data::FromDevice(&mut buf))?;
    Ok(buf)
}

/// An Identify data structure from its bytes.
fn parse<T: FromBytes>(raw: &[u8], op: &str) -> Result<T> {
    T::read_from_prefix(raw)
        .map(|(t, _)| t)
        .map_err(|_| CliError::Device(format!("{op}: short structure")))
}

/// Identify Controller, parsed.
pub fn id_ctrl_of(dev: &mut Device) -> Result<(IdentifyController, Vec<u8>)> {
    let buf = identify(dev, "Identify Controller", Identify::controller())?;
    let c = IdentifyController::read_from_bytes(&buf)
        .map_err(|_| CliError::Device("Identify Controller: short structure".into()))?;
    Ok((c, buf))
}

fn ps_power(power: u16, scale: u8) -> String {
    match scale & 3 {
        0 => "-".into(),
        1 => format!("{}.{:04}W", power / 10000, power % 10000),
        2 => format!("{}.{:02}W", power / 100, power % 100),
        _ => "reserved".into(),
    }
}

fn psd_lines(i: usize, p: &PowerStateDescriptor) -> String {
    let mp = if p.flags & 1 != 0 {
        format!("{}.{:04}W", p.mp / 10000, p.mp % 10000)
    } else {
        format!("{}.{:02}W", p.mp / 100, p.mp % 100)
    };
    let workload = match p.apw_aps & 7 {
        0 => "-",
        1 => "1MiB 32 RW, 30s idle",
        2 => "80K 128KiB SW",
        _ => "reserved",
    };
    format!(
        "ps   {i:4} : mp:{mp} {}operational enlat:{} exlat:{} rrt:{} rrl:{}\n            \
         rwt:{} rwl:{} idle_power:{} active_power:{}\n            active_power_workload:{workload}\n",
        if p.flags & 2 != 0 { "non-" } else { "" },
        p.enlat,
        p.exlat,
        p.rrt,
        p.rrl,
        p.rwt,
        p.rwl,
        ps_power(p.idlp, p.ips >> 6),
        ps_power(p.actp, p.apw_aps >> 6),
    )
}

/// Identify Controller laid out like `nvme id-ctrl`.
pub fn id_ctrl_text(c: &IdentifyController, vs: bool) -> String {
    let mut s = String::from("NVME Identify Controller:\n");
    let mut kv = |k: &str, v: String| s.push_str(&format!("{k:<10}: {v}\n"));
    kv("vid", cx(c.vid));
    kv("ssvid", cx(c.ssvid));
    kv("sn", ascii(&c.sn));
    kv("mn", ascii(&c.mn));
    kv("fr", ascii(&c.fr));
    kv("rab", c.rab.to_string());
    kv(
        "ieee",
        format!("{:02x}{:02x}{:02x}", c.ieee[2], c.ieee[1], c.ieee[0]),
    );
    kv("cmic", cx(c.cmic));
    kv("mdts", c.mdts.to_string());
    kv("cntlid", cx(c.cntlid));
    kv("ver", cx(u32::from(c.ver)));
    kv("rtd3r", cx(c.rtd3r));
    kv("rtd3e", cx(c.rtd3e));
    kv("oaes", cx(c.oaes));
    kv("ctratt", cx(c.ctratt));
    kv("rrls", cx(c.rrls));
    kv("cntrltype", c.cntrltype.to_string());
    kv("fguid", uuid(&c.fguid));
    kv("crdt1", c.crdt1.to_string());
    kv("crdt2", c.crdt2.to_string());
    kv("crdt3", c.crdt3.to_string());
    kv("nvmsr", c.nvmsr.to_string());
    kv("vwci", c.vwci.to_string());
    kv("mec", c.mec.to_string());
    kv("oacs", cx(c.oacs));
    kv("acl", c.acl_z.to_string());
    kv("aerl", c.aerl_z.to_string());
    kv("frmw", cx(c.frmw));
    kv("lpa", cx(c.lpa));
    kv("elpe", c.elpe_z.to_string());
    kv("npss", c.npss_z.to_string());
    kv("avscc", cx(c.avscc));
    kv("apsta", cx(c.apsta));
    kv("wctemp", c.wctemp.to_string());
    kv("cctemp", c.cctemp.to_string());
    kv("mtfa", c.mtfa.to_string());
    kv("hmpre", c.hmpre.to_string());
    kv("hmmin", c.hmmin.to_string());
    kv("tnvmcap", c.tnvmcap.get().to_string());
    kv("unvmcap", c.unvmcap.get().to_string());
    kv("rpmbs", cx(c.rpmbs));
    kv("edstt", c.edstt.to_string());
    kv("dsto", c.dsto.to_string());
    kv("fwug", c.fwug.to_string());
    kv("kas", c.kas.to_string());
    kv("hctma", cx(c.hctma));
    kv("mntmt", c.mntmt.to_string());
    kv("mxtmt", c.mxtmt.to_string());
    kv("sanicap", cx(c.sanicap));
    kv("hmminds", c.hmminds.to_string());
    kv("hmmaxd", c.hmmaxd.to_string());
    kv("nsetidmax", c.nsetidmax.to_string());
    kv("endgidmax", c.endgidmax.to_string());
    kv("anatt", c.anatt.to_string());
    kv("anacap", c.anacap.to_string());
    kv("anagrpmax", c.anagrpmax.to_string());
    kv("nanagrpid", c.nanagrpid.to_string());
    kv("pels", c.pels.to_string());
    kv("domainid", c.domainid.to_string());
    kv("megcap", c.megcap.get().to_string());
    kv("sqes", cx(c.sqes));
    kv("cqes", cx(c.cqes));
    kv("maxcmd", c.maxcmd.to_string());
    kv("nn", c.nn.to_string());
    kv("oncs", cx(c.oncs));
    kv("fuses", cx(c.fuses));
    kv("fna", cx(c.fna));
    kv("vwc", cx(c.vwc));
    kv("awun", c.awun_z.to_string());
    kv("awupf", c.awupf_z.to_string());
    kv("icsvscc", c.icsvscc.to_string());
    kv("nwpc", c.nwpc.to_string());
    kv("acwu", c.acwu_z.to_string());
    kv("ocfs", cx(c.ocfs));
    kv("sgls", cx(c.sgls));
    kv("mnan", c.mnan.to_string());
    kv("maxdna", c.maxdna.get().to_string());
    kv("maxcna", c.maxcna.to_string());
    kv("subnqn", ascii(&c.subnqn));
    kv("ioccsz", c.ioccsz.to_string());
    kv("iorcsz", c.iorcsz.to_string());
    kv("icdoff", c.icdoff.to_string());
    kv("fcatt", cx(c.fcatt));
    kv("msdbd", c.msdbd.to_string());
    kv("ofcs", c.ofcs.to_string());
    for (i, p) in c.psd.iter().take(usize::from(c.npss_z) + 1).enumerate() {
        s.push_str(&psd_lines(i, p));
    }
    if vs {
        s.push_str("vs[]:\n");
        s.push_str(&hexdump(&c.vs));
    }
    s
}

/// Identify Namespace laid out like `nvme id-ns`.
pub fn id_ns_text(n: &IdentifyNamespace, nsid: u32, vs: bool) -> String {
    let mut s = format!("NVME Identify Namespace {nsid}:\n");
    let mut kv = |k: &str, v: String| s.push_str(&format!("{k:<8}: {v}\n"));
    kv("nsze", cx(n.nsze));
    kv("ncap", cx(n.ncap));
    kv("nuse", cx(n.nuse));
    kv("nsfeat", cx(n.nsfeat));
    kv("nlbaf", n.nlbaf_z.to_string());
    kv("flbas", cx(n.flbas));
    kv("mc", cx(n.mc));
    kv("dpc", cx(n.dpc));
    kv("dps", cx(n.dps));
    kv("nmic", cx(n.nmic));
    kv("rescap", cx(n.rescap));
    kv("fpi", cx(n.fpi));
    kv("dlfeat", n.dlfeat.to_string());
    kv("nawun", n.nawun_z.to_string());
    kv("nawupf", n.nawupf_z.to_string());
    kv("nacwu", n.nacwu_z.to_string());
    kv("nabsn", n.nabsn_z.to_string());
    kv("nabo", n.nabo.to_string());
    kv("nabspf", n.nabspf_z.to_string());
    kv("noiob", n.noiob.to_string());
    kv("nvmcap", n.nvmcap.get().to_string());
    if n.nsfeat & 0x10 != 0 {
        kv("npwg", n.npwg_z.to_string());
        kv("npwa", n.npwa_z.to_string());
        kv("npdg", n.npdg_z.to_string());
        kv("npda", n.npda_z.to_string());
        kv("nows", n.nows_z.to_string());
    }
    kv("mssrl", n.mssrl.to_string());
    kv("mcl", n.mcl.to_string());
    kv("msrc", n.msrc_z.to_string());
    kv("nulbaf", n.nulbaf.to_string());
    kv("anagrpid", n.anagrpid.to_string());
    // nvme-cli 2.3 separates this one key with a tab.
    s.push_str(&format!("nsattr\t: {}\n", n.nsattr));
    let mut kv = |k: &str, v: String| s.push_str(&format!("{k:<8}: {v}\n"));
    kv("nvmsetid", n.nvmsetid.to_string());
    kv("endgid", n.endgid.to_string());
    kv("nguid", hex(&n.nguid));
    kv("eui64", hex(&n.eui64));
    let in_use = n.flbas_index();
    let count = (usize::from(n.nlbaf_z) + usize::from(n.nulbaf) + 1).min(64);
    for (i, f) in n.lbaf.iter().take(count).enumerate() {
        s.push_str(&format!(
            "lbaf {i:2} : ms:{:<3} lbads:{:<2} rp:{} {}\n",
            f.ms(),
            f.lbads(),
            cx(f.rp()),
            if i == in_use { "(in use)" } else { "" }
        ));
    }
    if vs {
        s.push_str("vs[]:\n");
        s.push_str(&hexdump(&n.vs));
    }
    s
}

/// `nvmeq id-ctrl`.
pub fn id_ctrl(ctx: &Ctx, a: &IdCtrlArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let (c, raw) = id_ctrl_of(&mut dev)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || {
            let plain = id_ctrl_text(&c, a.vs);
            if a.human {
                ctrl_human::id_ctrl(&plain, &c)
            } else {
                plain
            }
        },
        || IdCtrl::from(&c),
        &raw,
    )
}

/// `nvmeq id-ns`.
pub fn id_ns(ctx: &Ctx, a: &IdNsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let nsid = a.nsid.unwrap_or_else(|| dev.default_nsid());
    let raw = identify(&mut dev, "Identify Namespace", Identify::namespace(nsid))?;
    let n = IdentifyNamespace::read_from_bytes(&raw)
        .map_err(|_| CliError::Device("Identify Namespace: short structure".into()))?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || {
            let plain = id_ns_text(&n, nsid, a.vs);
            if a.human {
                human::id_ns(&plain, &n)
            } else {
                plain
            }
        },
        || IdNs::from(&n),
        &raw,
    )
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct NsidEntry {
    nsid: u32,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct NsidList {
    nsid_list: Vec<NsidEntry>,
}

/// `nvmeq list-ns`.
pub fn list_ns(ctx: &Ctx, a: &ListNsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    // CNS 02h active, 07h active of a command set, 10h allocated, 1Ah allocated of a command set.
    let (cns, csi) = match (a.all, a.csi) {
        (false, None) => (Cns::ACTIVE_NS_LIST, Csi::NVM),
        (false, Some(c)) => (Cns::CSI_ACTIVE_NS_LIST, Csi(c)),
        (true, None) => (Cns::ALLOCATED_NS_LIST, Csi::NVM),
        (true, Some(c)) => (Cns::CSI_ALLOCATED_NS_LIST, Csi(c)),
    };
    let raw = identify(
        &mut dev,
        "Identify Namespace List",
        Identify::new(cns, a.nsid).csi(csi),
    )?;
    let list = NsList::read_from_bytes(&raw)
        .map_err(|_| CliError::Device("Identify: short namespace list".into()))?;
    let (text, js) = list_ns_render(&list);
    output::emit(ctx.fmt, || text, || js, &raw)
}

/// A namespace list as `nvme list-ns` prints it, and its JSON.
pub fn list_ns_render(list: &NsList) -> (String, impl Serialize) {
    let text = list
        .ids()
        .enumerate()
        .map(|(i, id)| format!("[{i:4}]:{}\n", cx(id)))
        .collect();
    let js = NsidList {
        nsid_list: list.ids().map(|nsid| NsidEntry { nsid }).collect(),
    };
    (text, js)
}

/// `nvmeq ns-descs`.
pub fn ns_descs(ctx: &Ctx, a: &NsDescsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let nsid = a.nsid.unwrap_or_else(|| dev.default_nsid());
    let raw = identify(
        &mut dev,
        "Identify Namespace Identification Descriptors",
        Identify::new(Cns::NS_DESCRIPTORS, nsid),
    )?;
    let (text, js) = ns_descs_render(&raw, nsid)?;
    output::emit(ctx.fmt_raw(a.raw), || text, || js, &raw)
}

/// One Namespace Identification Descriptor in `ns-descs -o json`: its
/// offset, type and length, the type's name, and the value under that name
/// (exactly one of `eui64`, `nguid`, `uuid`, `csi`).
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
#[schemars(extend("minProperties" = 5, "maxProperties" = 5))]
pub struct NsDescJson {
    loc: usize,
    nidt: u8,
    nidl: u8,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    eui64: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nguid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    csi: Option<String>,
}

/// `ns-descs -o json`: `{}` when the list holds no known descriptor.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NsDescsJson {
    #[serde(rename = "ns-descs", skip_serializing_if = "Vec::is_empty")]
    list: Vec<NsDescJson>,
}

/// A Namespace Identification Descriptor list as `nvme ns-descs` prints it, and its JSON.
pub fn ns_descs_render(raw: &[u8], nsid: u32) -> Result<(String, NsDescsJson)> {
    let mut text = format!("NVME Namespace Identification Descriptors NS {nsid}:\n");
    let mut list = Vec::new();
    let mut loc = 0usize;
    for d in ns_descriptors(raw) {
        let d = d.map_err(|e| CliError::Device(format!("ns-descs: {e}")))?;
        let (name, value) = match d.nidt {
            Nidt::EUI64 => ("eui64", hex(d.nid)),
            Nidt::NGUID => ("nguid", hex(d.nid)),
            Nidt::UUID => (
                "uuid",
                <&[u8; 16]>::try_from(d.nid)
                    .map(uuid)
                    .unwrap_or_else(|_| hex(d.nid)),
            ),
            Nidt::CSI => (
                "csi",
                match d.nid.first().copied().unwrap_or(0) {
                    0 => "0".to_string(),
                    c => format!("{c:#x}"),
                },
            ),
            _ => ("", String::new()),
        };
        if !name.is_empty() {
            text.push_str(&format!("{name:<8}: {value}\n"));
            let mut e = NsDescJson {
                loc,
                nidt: d.nidt.0,
                nidl: d.nidl,
                kind: name,
                ..NsDescJson::default()
            };
            let slot = match d.nidt {
                Nidt::EUI64 => &mut e.eui64,
                Nidt::NGUID => &mut e.nguid,
                Nidt::UUID => &mut e.uuid,
                _ => &mut e.csi,
            };
            *slot = Some(value);
            list.push(e);
        }
        loc += 4 + usize::from(d.nidl);
    }
    Ok((text, NsDescsJson { list }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    fn qemu_like() -> IdentifyController {
        let mut c = IdentifyController::new_zeroed();
        c.vid = 0x1b36;
        c.ssvid = 0x1af4;
        c.sn[..6].copy_from_slice(b"nvmeqA");
        c.sn[6..].fill(b' ');
        c.mn[..14].copy_from_slice(b"QEMU NVMe Ctrl");
        c.mn[14..].fill(b' ');
        c.fr[..5].copy_from_slice(b"8.0.0");
        c.fr[5..].fill(b' ');
        c.ieee = [0x00, 0x54, 0x52];
        c.mdts = 7;
        c.tnvmcap.set(1 << 30);
        c.psd[0].mp = 2500;
        c.psd[0].enlat = 16;
        c.psd[0].exlat = 4;
        c
    }

    #[test]
    fn id_ctrl_lines() {
        let t = id_ctrl_text(&qemu_like(), false);
        for line in [
            "NVME Identify Controller:",
            "vid       : 0x1b36",
            "ssvid     : 0x1af4",
            "sn        : nvmeqA              ",
            "mn        : QEMU NVMe Ctrl                          ",
            "fr        : 8.0.0   ",
            "ieee      : 525400",
            "cmic      : 0",
            "mdts      : 7",
            "tnvmcap   : 1073741824",
            "ps      0 : mp:25.00W operational enlat:16 exlat:4 rrt:0 rrl:0",
            "            rwt:0 rwl:0 idle_power:- active_power:-",
            "            active_power_workload:-",
        ] {
            assert!(t.lines().any(|l| l == line), "{line:?} not in:\n{t}");
        }
        let j = serde_json::to_value(IdCtrl::from(&qemu_like())).unwrap();
        assert_eq!(j["vid"], 0x1b36);
        assert_eq!(j["ieee"], 0x525400);
        assert_eq!(j["sn"], "nvmeqA              ");
        assert_eq!(j["tnvmcap"], 1u64 << 30);
        assert_eq!(j["psds"][0]["max_power"], 2500);
        assert!(
            j.get("subnqn").is_none(),
            "empty subnqn is left out, as nvme-cli does"
        );
    }

    #[test]
    fn id_ns_lines() {
        let mut n = IdentifyNamespace::new_zeroed();
        n.nsze = 0x200000;
        n.nlbaf_z = 1;
        n.flbas = 1;
        n.lbaf[0] = nvmeq_core::LbaFormat::new().with_lbads(9);
        n.lbaf[1] = nvmeq_core::LbaFormat::new()
            .with_lbads(12)
            .with_ms(8)
            .with_rp(2);
        let t = id_ns_text(&n, 1, false);
        assert!(t.contains("nsze    : 0x200000\n"), "{t}");
        assert!(t.contains("lbaf  0 : ms:0   lbads:9  rp:0 \n"), "{t}");
        assert!(
            t.contains("lbaf  1 : ms:8   lbads:12 rp:0x2 (in use)\n"),
            "{t}"
        );
        assert!(t.contains("nsattr\t: 0\n"), "{t}");
        let j = serde_json::to_value(IdNs::from(&n)).unwrap();
        assert_eq!(
            j["lbafs"],
            serde_json::json!([{"ms":0,"ds":9,"rp":0},{"ms":8,"ds":12,"rp":2}])
        );
        assert!(j.get("npwg").is_none());
        n.nsfeat = 0x10;
        n.npwg_z = 7;
        let j = serde_json::to_value(IdNs::from(&n)).unwrap();
        assert_eq!(j["npwg"], 7);
        let keys: Vec<_> = j.as_object().unwrap().keys().cloned().collect();
        let at = |k: &str| keys.iter().position(|x| x == k).unwrap();
        assert!(
            at("nvmsetid") < at("npwg") && at("nows") < at("mssrl"),
            "{keys:?}"
        );
    }
}
