//! The NVM command set's namespace structures and the per-format Identify
//! views: `nvm-id-ns` (CNS 05h, CSI 00h), `id-ns-lba-format` (CNS 09h) and
//! `nvm-id-ns-lba-format` (CNS 0Ah); text laid out like nvme-cli 2.13's,
//! JSON with its keys (`json_nvme_nvm_id_ns`, `json_nvme_id_ns` with
//! `cap_only`).

use clap::Args;
use nvmeq_core::cmd::{Csi, Identify};
use nvmeq_core::identify::{IdentifyNamespace, IdentifyNamespaceNvm};
use serde::Serialize;

use super::{identify, parse};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::json::id_ns::Lbaf;
use crate::num;
use crate::output::{self, cx};

/// `nvm-id-ns`.
#[derive(Debug, Args)]
pub struct NvmIdNsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default: the device's, else 1).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// UUID index (UIDX) of the vendor's structure, 0 for none.
    #[arg(short = 'U', long = "uuid-index", value_parser = num::uidx, default_value = "0")]
    pub uuid_index: u8,
}

/// `id-ns-lba-format` and `nvm-id-ns-lba-format`.
#[derive(Debug, Args)]
pub struct LbaFormatArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// The LBA format index (CNSSID).
    #[arg(short = 'i', long = "lba-format-index", value_parser = num::u16, default_value = "0")]
    pub index: u16,
    /// UUID index (UIDX) of the vendor's structure, 0 for none.
    #[arg(short = 'U', long = "uuid-index", value_parser = num::uidx, default_value = "0")]
    pub uuid_index: u8,
}

/// One extended LBA format (`elbafs[]`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct ElbafJson {
    sts: u8,
    pif: u8,
    qpif: u8,
}

/// `nvm-id-ns -o json`. `lbstm` is left out for a format (CNS 0Ah), and
/// `npdgl` unless Identify Namespace NSFEAT bit 5 says it is valid.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct NvmIdNsJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    lbstm: Option<u64>,
    pic: u8,
    pifa: u8,
    elbafs: Vec<ElbafJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    npdgl: Option<u32>,
    nprg: u32,
    npra: u32,
    nors: u32,
    npdal: u32,
    lbapss: u32,
    tlbaag: u32,
}

/// What the NVM structure is about: a namespace (with the format in use
/// marked) or one LBA format index.
#[derive(Debug, Clone, Copy)]
enum Subject {
    Namespace(u32),
    Format(u16),
}

/// The ELBAF entries nvme-cli shows: formats 0..=NLBAF+NULBAF of `ns`.
fn format_count(ns: &IdentifyNamespace) -> usize {
    (usize::from(ns.nlbaf_z) + usize::from(ns.nulbaf) + 1).min(64)
}

fn nvm_json(n: &IdentifyNamespaceNvm, ns: &IdentifyNamespace, of: Subject) -> NvmIdNsJson {
    NvmIdNsJson {
        lbstm: matches!(of, Subject::Namespace(_)).then_some(n.lbstm),
        pic: n.pic,
        pifa: n.pifa,
        elbafs: n
            .elbaf
            .iter()
            .take(format_count(ns))
            .map(|e| ElbafJson {
                sts: e.sts(),
                pif: e.pif(),
                qpif: e.qpif(),
            })
            .collect(),
        npdgl: (ns.nsfeat & 0x20 != 0).then_some(n.npdgl),
        nprg: n.nprg,
        npra: n.npra,
        nors: n.nors,
        npdal: n.npdal,
        lbapss: n.lbapss,
        tlbaag: n.tlbaag,
    }
}

fn nvm_text(n: &IdentifyNamespaceNvm, ns: &IdentifyNamespace, of: Subject) -> String {
    let mut s = String::new();
    let in_use = match of {
        Subject::Namespace(nsid) => {
            s.push_str(&format!("NVMe NVM Identify Namespace {nsid}:\n"));
            s.push_str(&format!("lbstm : {}\n", cx(n.lbstm)));
            Some(ns.flbas_index())
        }
        Subject::Format(i) => {
            s.push_str(&format!(
                "NVMe NVM Identify Namespace for LBA format[{i}]:\n"
            ));
            None
        }
    };
    s.push_str(&format!("pic   : {}\n", cx(n.pic)));
    s.push_str(&format!("pifa  : {}\n", cx(n.pifa)));
    for (i, e) in n.elbaf.iter().take(format_count(ns)).enumerate() {
        s.push_str(&format!(
            "elbaf {i:2} : qpif:{} pif:{} sts:{:<2} {}\n",
            e.qpif(),
            e.pif(),
            e.sts(),
            if in_use == Some(i) { "(in use)" } else { "" }
        ));
    }
    if ns.nsfeat & 0x20 != 0 {
        s.push_str(&format!("npdgl : {}\n", cx(n.npdgl)));
    }
    for (k, v) in [
        ("nprg", n.nprg),
        ("npra", n.npra),
        ("nors", n.nors),
        ("npdal", n.npdal),
        ("lbapss", n.lbapss),
        ("tlbaag", n.tlbaag),
    ] {
        s.push_str(&format!("{k:<6}: {}\n", cx(v)));
    }
    s
}

/// `id-ns-lba-format -o json`: only the fields that describe a format
/// (nvme-cli's `cap_only`), LBA formats 0..=NLBAF.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct FormatIdNsJson {
    nlbaf: u8,
    mc: u8,
    dpc: u8,
    nulbaf: u8,
    lbafs: Vec<Lbaf>,
}

fn format_json(ns: &IdentifyNamespace) -> FormatIdNsJson {
    FormatIdNsJson {
        nlbaf: ns.nlbaf_z,
        mc: ns.mc,
        dpc: ns.dpc,
        nulbaf: ns.nulbaf,
        lbafs: ns
            .lbaf
            .iter()
            .take(usize::from(ns.nlbaf_z) + 1)
            .map(Lbaf::from)
            .collect(),
    }
}

fn format_text(ns: &IdentifyNamespace, index: u16) -> String {
    let mut s = format!("NVMe Identify Namespace for LBA format[{index}]:\n");
    s.push_str(&format!("nlbaf   : {}\n", ns.nlbaf_z));
    s.push_str(&format!("mc      : {}\n", cx(ns.mc)));
    s.push_str(&format!("dpc     : {}\n", cx(ns.dpc)));
    s.push_str(&format!("nulbaf  : {}\n", ns.nulbaf));
    for (i, f) in ns.lbaf.iter().take(format_count(ns)).enumerate() {
        s.push_str(&format!(
            "lbaf {i:2} : ms:{:<3} lbads:{:<2} rp:{} \n",
            f.ms(),
            f.lbads(),
            cx(f.rp())
        ));
    }
    s
}

/// `nvmeq nvm-id-ns`: Identify Namespace first, for the format count and the
/// format in use, then CNS 05h.
pub fn nvm_id_ns(ctx: &Ctx, a: &NvmIdNsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let nsid = a.nsid.unwrap_or_else(|| dev.default_nsid());
    let op = "Identify Namespace";
    let ns: IdentifyNamespace = parse(&identify(&mut dev, op, Identify::namespace(nsid))?, op)?;
    let op = "Identify Namespace (NVM Command Set)";
    let raw = identify(
        &mut dev,
        op,
        Identify::nvm_namespace(nsid).uidx(a.uuid_index),
    )?;
    let n: IdentifyNamespaceNvm = parse(&raw, op)?;
    let of = Subject::Namespace(nsid);
    output::emit(
        ctx.fmt,
        || nvm_text(&n, &ns, of),
        || nvm_json(&n, &ns, of),
        &raw,
    )
}

/// `nvmeq id-ns-lba-format` (CNS 09h, NVM command set).
pub fn id_ns_lba_format(ctx: &Ctx, a: &LbaFormatArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Namespace for LBA Format";
    let raw = identify(
        &mut dev,
        op,
        Identify::ns_user_data_format(a.index, Csi::NVM).uidx(a.uuid_index),
    )?;
    let ns: IdentifyNamespace = parse(&raw, op)?;
    output::emit(
        ctx.fmt,
        || format_text(&ns, a.index),
        || format_json(&ns),
        &raw,
    )
}

/// `nvmeq nvm-id-ns-lba-format` (CNS 0Ah, NVM command set). The format
/// count comes from Identify Namespace of NSID FFFFFFFFh, the fields common
/// to all namespaces; a controller that refuses it gets all 64 formats
/// shown, as nvme-cli does.
pub fn nvm_id_ns_lba_format(ctx: &Ctx, a: &LbaFormatArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let common = identify(
        &mut dev,
        "Identify Namespace",
        Identify::namespace(u32::MAX),
    )
    .and_then(|raw| parse::<IdentifyNamespace>(&raw, "Identify Namespace"));
    let ns = common.unwrap_or_else(|_| IdentifyNamespace {
        nlbaf_z: 63,
        ..Default::default()
    });
    let op = "Identify Namespace for LBA Format (NVM Command Set)";
    let raw = identify(
        &mut dev,
        op,
        Identify::csi_ns_user_data_format(a.index, Csi::NVM).uidx(a.uuid_index),
    )?;
    let n: IdentifyNamespaceNvm = parse(&raw, op)?;
    let of = Subject::Format(a.index);
    output::emit(
        ctx.fmt,
        || nvm_text(&n, &ns, of),
        || nvm_json(&n, &ns, of),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::identify::Elbaf;
    use nvmeq_core::LbaFormat;
    use zerocopy::FromZeros;

    #[test]
    fn nvm_id_ns_layout() {
        let mut ns = IdentifyNamespace::new_zeroed();
        ns.nlbaf_z = 1;
        ns.flbas = 1;
        let mut n = IdentifyNamespaceNvm::new_zeroed();
        n.lbstm = 0xff;
        n.elbaf[1] = Elbaf::new().with_pif(2).with_sts(8);
        n.nprg = 7;
        let t = nvm_text(&n, &ns, Subject::Namespace(3));
        assert_eq!(
            t,
            "NVMe NVM Identify Namespace 3:\nlbstm : 0xff\npic   : 0\npifa  : 0\n\
             elbaf  0 : qpif:0 pif:0 sts:0  \nelbaf  1 : qpif:0 pif:2 sts:8  (in use)\n\
             nprg  : 0x7\nnpra  : 0\nnors  : 0\nnpdal : 0\nlbapss: 0\ntlbaag: 0\n"
        );
        let j = serde_json::to_value(nvm_json(&n, &ns, Subject::Namespace(3))).unwrap();
        assert_eq!(j["lbstm"], 0xff);
        assert_eq!(
            j["elbafs"][1],
            serde_json::json!({"sts": 8, "pif": 2, "qpif": 0})
        );
        assert!(j.get("npdgl").is_none(), "NSFEAT bit 5 clear");
        let t = nvm_text(&n, &ns, Subject::Format(1));
        assert!(t.starts_with("NVMe NVM Identify Namespace for LBA format[1]:\npic"));
        assert!(!t.contains("(in use)"), "{t}");
        let j = serde_json::to_value(nvm_json(&n, &ns, Subject::Format(1))).unwrap();
        assert!(j.get("lbstm").is_none());
    }

    #[test]
    fn lba_format_layout() {
        let mut ns = IdentifyNamespace::new_zeroed();
        ns.lbaf[0] = LbaFormat::new().with_lbads(12).with_ms(8);
        let t = format_text(&ns, 0);
        assert_eq!(
            t,
            "NVMe Identify Namespace for LBA format[0]:\nnlbaf   : 0\nmc      : 0\n\
             dpc     : 0\nnulbaf  : 0\nlbaf  0 : ms:8   lbads:12 rp:0 \n"
        );
        let j = serde_json::to_value(format_json(&ns)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"nlbaf":0,"mc":0,"dpc":0,"nulbaf":0,
                "lbafs":[{"ms":8,"ds":12,"rp":0}]})
        );
    }
}
