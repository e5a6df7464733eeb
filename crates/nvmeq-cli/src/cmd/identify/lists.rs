//! Identify lists: `list-ctrl` (CNS 12h/13h), `list-secondary` (CNS 15h),
//! `id-uuid` (CNS 17h), `id-nvmset` (CNS 04h), `id-domain` (CNS 18h),
//! `id-ns-granularity` (CNS 16h); text laid out like nvme-cli 2.13's, JSON
//! with its keys.

use clap::Args;
use nvmeq_core::cmd::{Cns, Identify};
use nvmeq_core::identify::{
    ControllerList, DomainList, NsGranularityList, NvmSetList, SecondaryControllerList, UuidList,
};
use serde::Serialize;

use super::{identify, parse};
use crate::cmd::{Ctx, DevArg};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, cx, uuid};

/// `list-ctrl`.
#[derive(Debug, Args)]
pub struct ListCtrlArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// List controllers with this identifier or greater.
    #[arg(short = 'c', long = "cntid", value_parser = num::u16, default_value = "0")]
    pub cntid: u16,
    /// Only the controllers attached to this namespace (CNS 12h).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
}

/// `list-secondary`.
#[derive(Debug, Args)]
pub struct ListSecondaryArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// List secondary controllers with this identifier or greater.
    #[arg(short = 'c', long = "cntid", value_parser = num::u16, default_value = "0")]
    pub cntid: u16,
    /// Entries to show (1 to 127).
    #[arg(short = 'e', long = "num-entries", value_parser = num::u32, default_value = "127")]
    pub entries: u32,
}

/// `id-uuid`.
#[derive(Debug, Args)]
pub struct IdUuidArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Name each UUID's association.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
    /// Write the raw 4096-byte list to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `id-nvmset`.
#[derive(Debug, Args)]
pub struct IdNvmsetArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// List NVM Sets with this identifier or greater.
    #[arg(short = 'i', long = "nvmset_id", value_parser = num::u16, default_value = "0")]
    pub nvmset_id: u16,
}

/// `id-domain`.
#[derive(Debug, Args)]
pub struct IdDomainArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// List domains with this identifier or greater.
    #[arg(short = 'd', long = "dom-id", value_parser = num::u16, default_value = "0")]
    pub dom_id: u16,
}

/// `id-ns-granularity`.
#[derive(Debug, Args)]
pub struct IdNsGranularityArgs {
    #[command(flatten)]
    pub dev: DevArg,
}

/// The controller list laid out like `nvme list-ctrl`.
pub fn ctrl_list_text(l: &ControllerList) -> String {
    let mut s = format!("num of ctrls present: {}\n", l.num);
    for (i, id) in l.ids().iter().enumerate() {
        s += &format!("[{i:4}]:{}\n", cx(*id));
    }
    s
}

/// One `ctrl_list` entry.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CtrlId {
    ctrl_id: u16,
}

/// nvme-cli's `json_nvme_list_ctrl`: `num_ctrl` is the count the
/// controller reports, `ctrl_list` the identifiers the list holds.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CtrlListJson {
    num_ctrl: u16,
    ctrl_list: Vec<CtrlId>,
}

/// nvme-cli's `json_nvme_list_ctrl`.
pub fn ctrl_list_json(l: &ControllerList) -> CtrlListJson {
    CtrlListJson {
        num_ctrl: l.num,
        ctrl_list: l.ids().iter().map(|&ctrl_id| CtrlId { ctrl_id }).collect(),
    }
}

/// `nvmeq list-ctrl`.
pub fn list_ctrl(ctx: &Ctx, a: &ListCtrlArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let (op, cmd) = match a.nsid {
        Some(nsid) => (
            "Identify Namespace Attached Controller List",
            Identify::new(Cns::NS_CONTROLLER_LIST, nsid),
        ),
        None => (
            "Identify Controller List",
            Identify::new(Cns::CONTROLLER_LIST, 0),
        ),
    };
    let raw = identify(&mut dev, op, cmd.cntid(a.cntid))?;
    let l: ControllerList = parse(&raw, op)?;
    output::emit(ctx.fmt, || ctrl_list_text(&l), || ctrl_list_json(&l), &raw)
}

/// The secondary controller list laid out like `nvme list-secondary`.
pub fn secondary_text(l: &SecondaryControllerList, count: u32) -> String {
    let mut s = format!(
        "Identify Secondary Controller List:\n   NUMID       : Number of Identifiers           : {}\n",
        l.num
    );
    let n = u32::from(l.num).min(count).min(127) as usize;
    // C's "%#.04x": at least 4 digits after 0x, and no 0x for zero.
    let h = |v: u16| {
        if v == 0 {
            "0000".to_string()
        } else {
            format!("{v:#06x}")
        }
    };
    for (i, e) in l.entries[..n].iter().enumerate() {
        s += &format!("   SCEntry[{i:<3}]:\n................\n");
        s += &format!(
            "     SCID      : Secondary Controller Identifier : {}\n",
            h(e.scid)
        );
        s += &format!(
            "     PCID      : Primary Controller Identifier   : {}\n",
            h(e.pcid)
        );
        s += &format!(
            "     SCS       : Secondary Controller State      : {} ({})\n",
            h(e.scs.into()),
            if e.scs & 1 != 0 { "Online" } else { "Offline" }
        );
        s += &format!(
            "     VFN       : Virtual Function Number         : {}\n",
            h(e.vfn)
        );
        s += &format!(
            "     NVQ       : Num VQ Flex Resources Assigned  : {}\n",
            h(e.nvq)
        );
        s += &format!(
            "     NVI       : Num VI Flex Resources Assigned  : {}\n",
            h(e.nvi)
        );
    }
    s
}

/// One secondary controller entry, with nvme-cli's long key names.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SecondaryJson {
    #[serde(rename = "secondary-controller-identifier")]
    scid: u16,
    #[serde(rename = "primary-controller-identifier")]
    pcid: u16,
    #[serde(rename = "secondary-controller-state")]
    scs: u8,
    #[serde(rename = "virtual-function-number")]
    vfn: u16,
    #[serde(rename = "num-virtual-queues")]
    nvq: u16,
    #[serde(rename = "num-virtual-interrupts")]
    nvi: u16,
}

/// `list-secondary -o json`: `num` is the entries shown (at most
/// `--num-entries`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SecondaryListJson {
    num: usize,
    #[serde(rename = "secondary-controllers")]
    secondary_controllers: Vec<SecondaryJson>,
}

/// nvme-cli's `json_nvme_list_secondary_ctrl`.
pub fn secondary_json(l: &SecondaryControllerList, count: u32) -> SecondaryListJson {
    let n = u32::from(l.num).min(count).min(127) as usize;
    SecondaryListJson {
        num: n,
        secondary_controllers: l.entries[..n]
            .iter()
            .map(|e| SecondaryJson {
                scid: e.scid,
                pcid: e.pcid,
                scs: e.scs,
                vfn: e.vfn,
                nvq: e.nvq,
                nvi: e.nvi,
            })
            .collect(),
    }
}

/// `nvmeq list-secondary`.
pub fn list_secondary(ctx: &Ctx, a: &ListSecondaryArgs) -> Result<()> {
    if a.entries == 0 {
        return Err(usage("--num-entries must be at least 1"));
    }
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Secondary Controller List";
    let cmd = Identify::new(Cns::SECONDARY_CONTROLLER_LIST, 0).cntid(a.cntid);
    let raw = identify(&mut dev, op, cmd)?;
    let l: SecondaryControllerList = parse(&raw, op)?;
    output::emit(
        ctx.fmt,
        || secondary_text(&l, a.entries),
        || secondary_json(&l, a.entries),
        &raw,
    )
}

/// The UUID list laid out like `nvme id-uuid`.
pub fn uuid_text(l: &UuidList, human: bool) -> String {
    let mut s = String::from("NVME Identify UUID:\n");
    for (i, e) in l.used().enumerate() {
        let assoc = e.header & 3;
        let name = if human {
            match assoc {
                0 => "No association reported",
                1 => "associated with PCI Vendor ID",
                2 => "associated with PCI Subsystem Vendor ID",
                _ => "Reserved",
            }
        } else {
            ""
        };
        s += &format!(" Entry[{:3}]\n.................\n", i + 1);
        s += &format!("association  : {} {name}\n", cx(assoc));
        s += &format!("UUID         : {}", uuid(&e.uuid));
        if e.uuid == [0xff; 16] {
            s += " (Invalid UUID)";
        }
        s += "\n.................\n";
    }
    s
}

/// One UUID List entry.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct UuidJson {
    association: u8,
    uuid: String,
}

/// `id-uuid -o json`: the entries in use.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct UuidListJson {
    #[serde(rename = "UUID-list")]
    list: Vec<UuidJson>,
}

/// nvme-cli's `json_nvme_id_uuid_list`.
pub fn uuid_json(l: &UuidList) -> UuidListJson {
    UuidListJson {
        list: l
            .used()
            .map(|e| UuidJson {
                association: e.header & 3,
                uuid: uuid(&e.uuid),
            })
            .collect(),
    }
}

/// `nvmeq id-uuid`.
pub fn id_uuid(ctx: &Ctx, a: &IdUuidArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify UUID List";
    let raw = identify(&mut dev, op, Identify::new(Cns::UUID_LIST, 0))?;
    let l: UuidList = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || uuid_text(&l, a.human),
        || uuid_json(&l),
        &raw,
    )
}

/// The NVM Set list laid out like `nvme id-nvmset` (which prints the
/// Endurance Group ID in the `nvmset_id` line too, as here).
pub fn nvmset_text(l: &NvmSetList, id: u16) -> String {
    let mut s = format!(
        "NVME Identify NVM Set List {id}:\nnid     : {}\n.................\n",
        l.nid
    );
    for (i, e) in l.entries.iter().take(l.nid.into()).enumerate() {
        s += &format!(" NVM Set Attribute Entry[{i:2}]\n.................\n");
        s += &format!("nvmset_id               : {}\n", e.endgid);
        s += &format!("endurance_group_id      : {}\n", e.endgid);
        s += &format!("random_4k_read_typical  : {}\n", e.rr4kt);
        s += &format!("optimal_write_size      : {}\n", e.ows);
        s += &format!("total_nvmset_cap        : {}\n", e.tnvmsetcap.get());
        s += &format!("unalloc_nvmset_cap      : {}\n", e.unvmsetcap.get());
        s += ".................\n";
    }
    s
}

/// One NVM Set Attributes entry; the capacities are 128-bit numbers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NvmSetJson {
    nvmset_id: u16,
    endurance_group_id: u16,
    random_4k_read_typical: u32,
    optimal_write_size: u32,
    total_nvmset_cap: u128,
    unalloc_nvmset_cap: u128,
}

/// `id-nvmset -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NvmSetListJson {
    nid: u8,
    #[serde(rename = "NVMSet")]
    sets: Vec<NvmSetJson>,
}

/// nvme-cli's `json_nvme_id_nvmset`.
pub fn nvmset_json(l: &NvmSetList) -> NvmSetListJson {
    NvmSetListJson {
        nid: l.nid,
        sets: l
            .entries
            .iter()
            .take(l.nid.into())
            .map(|e| NvmSetJson {
                nvmset_id: e.nvmsetid,
                endurance_group_id: e.endgid,
                random_4k_read_typical: e.rr4kt,
                optimal_write_size: e.ows,
                total_nvmset_cap: e.tnvmsetcap.get(),
                unalloc_nvmset_cap: e.unvmsetcap.get(),
            })
            .collect(),
    }
}

/// `nvmeq id-nvmset`.
pub fn id_nvmset(ctx: &Ctx, a: &IdNvmsetArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify NVM Set List";
    let cmd = Identify::new(Cns::NVM_SET_LIST, 0).cnssid(a.nvmset_id);
    let raw = identify(&mut dev, op, cmd)?;
    let l: NvmSetList = parse(&raw, op)?;
    output::emit(
        ctx.fmt,
        || nvmset_text(&l, a.nvmset_id),
        || nvmset_json(&l),
        &raw,
    )
}

/// The domain list laid out like `nvme id-domain`.
pub fn domain_text(l: &DomainList) -> String {
    let mut s = format!(
        "NVMe Identify command for Domain List is successful:\nNVMe Identify Domain List:\nNumber of Domain Entries: {}\n",
        l.num
    );
    for (i, e) in l.entries.iter().take(l.num.into()).enumerate() {
        s += &format!("Domain Id for Attr Entry[{i}]: {}\n", e.dom_id);
        s += &format!("Domain Capacity for Attr Entry[{i}]: {}\n", e.dom_cap.get());
        s += &format!(
            "Unallocated Domain Capacity for Attr Entry[{i}]: {}\n",
            e.unalloc_dom_cap.get()
        );
        s += &format!(
            "Max Endurance Group Domain Capacity for Attr Entry[{i}]: {}\n",
            e.max_egrp_dom_cap.get()
        );
    }
    s
}

/// One Domain Attributes entry; the capacities are 128-bit numbers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DomainJson {
    dom_id: u16,
    dom_cap: u128,
    unalloc_dom_cap: u128,
    max_egrp_dom_cap: u128,
}

/// `id-domain -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DomainListJson {
    num_dom_entries: u8,
    domain_list: Vec<DomainJson>,
}

/// nvme-cli's `json_id_domain_list`.
pub fn domain_json(l: &DomainList) -> DomainListJson {
    DomainListJson {
        num_dom_entries: l.num,
        domain_list: l
            .entries
            .iter()
            .take(l.num.into())
            .map(|e| DomainJson {
                dom_id: e.dom_id,
                dom_cap: e.dom_cap.get(),
                unalloc_dom_cap: e.unalloc_dom_cap.get(),
                max_egrp_dom_cap: e.max_egrp_dom_cap.get(),
            })
            .collect(),
    }
}

/// `nvmeq id-domain`.
pub fn id_domain(ctx: &Ctx, a: &IdDomainArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Domain List";
    let cmd = Identify::new(Cns::DOMAIN_LIST, 0).cnssid(a.dom_id);
    let raw = identify(&mut dev, op, cmd)?;
    let l: DomainList = parse(&raw, op)?;
    output::emit(ctx.fmt, || domain_text(&l), || domain_json(&l), &raw)
}

/// The Namespace Granularity List laid out like `nvme id-ns-granularity`.
pub fn granularity_text(l: &NsGranularityList) -> String {
    let mut s = format!(
        "Identify Namespace Granularity List:\n   ATTR        : Namespace Granularity Attributes: {}\n   NUMD        : Number of Descriptors           : {}\n",
        cx(l.attributes),
        l.num_descriptors_z
    );
    // NUMD is zero-based; the list holds at most 16.
    for (i, e) in l
        .entries
        .iter()
        .take(usize::from(l.num_descriptors_z) + 1)
        .enumerate()
    {
        s += &format!("\n     Entry[{i:2}] :\n................\n");
        s += &format!(
            "     NSG       : Namespace Size Granularity     : {}\n",
            cx(e.nszegran.get())
        );
        s += &format!(
            "     NCG       : Namespace Capacity Granularity : {}\n",
            cx(e.ncapgran.get())
        );
    }
    s
}

/// One Namespace Granularity Descriptor.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GranularityJson {
    #[serde(rename = "namespace-size-granularity")]
    nszegran: u64,
    #[serde(rename = "namespace-capacity-granularity")]
    ncapgran: u64,
}

/// `id-ns-granularity -o json`: `num-descriptors` is zero-based, as in the
/// structure.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GranularityListJson {
    attributes: u32,
    #[serde(rename = "num-descriptors")]
    num_descriptors: u8,
    #[serde(rename = "namespace-granularity-list")]
    list: Vec<GranularityJson>,
}

/// nvme-cli's `json_nvme_id_ns_granularity_list`.
pub fn granularity_json(l: &NsGranularityList) -> GranularityListJson {
    GranularityListJson {
        attributes: l.attributes,
        num_descriptors: l.num_descriptors_z,
        list: l
            .entries
            .iter()
            .take(usize::from(l.num_descriptors_z) + 1)
            .map(|e| GranularityJson {
                nszegran: e.nszegran.get(),
                ncapgran: e.ncapgran.get(),
            })
            .collect(),
    }
}

/// `nvmeq id-ns-granularity`.
pub fn id_ns_granularity(ctx: &Ctx, a: &IdNsGranularityArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Namespace Granularity List";
    let raw = identify(&mut dev, op, Identify::new(Cns::NS_GRANULARITY, 0))?;
    let l: NsGranularityList = parse(&raw, op)?;
    output::emit(
        ctx.fmt,
        || granularity_text(&l),
        || granularity_json(&l),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn lists_with_entries_render_like_nvme_cli() {
        let mut u = UuidList::new_zeroed();
        u.entries[0].header = 1;
        u.entries[0].uuid = [0x11; 16];
        u.entries[1].uuid = [0xff; 16];
        let t = uuid_text(&u, true);
        assert!(t.contains(" Entry[  1]\n.................\nassociation  : 0x1 associated with PCI Vendor ID\nUUID         : 11111111-1111-1111-1111-111111111111\n.................\n"), "{t}");
        assert!(
            t.contains("ffffffff-ffff-ffff-ffff-ffffffffffff (Invalid UUID)\n"),
            "{t}"
        );
        let j = serde_json::to_value(uuid_json(&u)).unwrap();
        assert_eq!(j["UUID-list"].as_array().unwrap().len(), 2);
        assert_eq!(j["UUID-list"][0]["association"], 1);
        let e = crate::schema::errors("id-uuid", &j);
        assert!(e.is_empty(), "breaks docs/schema/id-uuid.json: {e:?}");

        let mut n = NvmSetList::new_zeroed();
        n.nid = 1;
        n.entries[0].nvmsetid = 3;
        n.entries[0].endgid = 2;
        n.entries[0].tnvmsetcap.set(1 << 70);
        let t = nvmset_text(&n, 0);
        // nvme-cli prints the Endurance Group ID on the nvmset_id line.
        assert!(
            t.contains("nvmset_id               : 2\nendurance_group_id      : 2\n"),
            "{t}"
        );
        assert!(
            t.contains(&format!("total_nvmset_cap        : {}\n", 1u128 << 70)),
            "{t}"
        );
        // nvme-cli 2.13's form: the number with every digit, not a string
        // (a `Value` cannot hold it, so the text is checked).
        let s = serde_json::to_string(&nvmset_json(&n)).unwrap();
        assert!(
            s.contains(&format!("\"total_nvmset_cap\":{},", 1u128 << 70)),
            "{s}"
        );
        let j: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(j["NVMSet"][0]["nvmset_id"], 3);
        let e = crate::schema::errors("id-nvmset", &j);
        assert!(e.is_empty(), "breaks docs/schema/id-nvmset.json: {e:?}");

        let mut d = DomainList::new_zeroed();
        d.num = 1;
        d.entries[0].dom_id = 7;
        d.entries[0].dom_cap.set(4096);
        let t = domain_text(&d);
        assert!(t.contains("Number of Domain Entries: 1\nDomain Id for Attr Entry[0]: 7\nDomain Capacity for Attr Entry[0]: 4096\n"), "{t}");
        let j = serde_json::to_value(domain_json(&d)).unwrap();
        assert_eq!(j["domain_list"][0]["dom_cap"], 4096);
        let e = crate::schema::errors("id-domain", &j);
        assert!(e.is_empty(), "breaks docs/schema/id-domain.json: {e:?}");

        let mut g = NsGranularityList::new_zeroed();
        g.num_descriptors_z = 1;
        g.entries[1].nszegran.set(0x100000);
        let t = granularity_text(&g);
        assert!(
            t.contains("   NUMD        : Number of Descriptors           : 1\n"),
            "{t}"
        );
        assert!(t.contains("\n     Entry[ 1] :\n................\n     NSG       : Namespace Size Granularity     : 0x100000\n     NCG       : Namespace Capacity Granularity : 0\n"), "{t}");
        let j = serde_json::to_value(granularity_json(&g)).unwrap();
        assert_eq!(j["namespace-granularity-list"].as_array().unwrap().len(), 2);
        let e = crate::schema::errors("id-ns-granularity", &j);
        assert!(
            e.is_empty(),
            "breaks docs/schema/id-ns-granularity.json: {e:?}"
        );

        let mut s = SecondaryControllerList::new_zeroed();
        s.num = 1;
        s.entries[0].scid = 2;
        s.entries[0].pcid = 1;
        s.entries[0].scs = 1;
        let t = secondary_text(&s, 127);
        assert!(t.contains("   SCEntry[0  ]:\n................\n     SCID      : Secondary Controller Identifier : 0x0002\n     PCID      : Primary Controller Identifier   : 0x0001\n     SCS       : Secondary Controller State      : 0x0001 (Online)\n     VFN       : Virtual Function Number         : 0000\n"), "{t}");
        let j = serde_json::to_value(secondary_json(&s, 127)).unwrap();
        assert_eq!(j["num"], 1);
        assert_eq!(
            j["secondary-controllers"][0]["secondary-controller-state"],
            1
        );
        let e = crate::schema::errors("list-secondary", &j);
        assert!(
            e.is_empty(),
            "breaks docs/schema/list-secondary.json: {e:?}"
        );
    }
}
