//! `reachability-groups-log` (LID 1Ah) and `reachability-associations-log`
//! (LID 1Bh): the header, then each descriptor and its identifier list,
//! read one after the other as nvme-cli 2.13 sizes them; text and JSON
//! keys like its.
//!
//! nvme-cli 2.13's JSON writes every NSID of a group to the group's `nnid`
//! key and every RGID of an association to one `rgid` key, so each object
//! keeps only the last identifier. Here `nnid` stays the count and the
//! lists are arrays: `nsid` for a group, `rgid` for an association.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{
    reachability_entries, ReachabilityAssociationDesc, ReachabilityDesc, ReachabilityGroupDesc,
    ReachabilityHeader,
};
use serde::Serialize;

use super::{parse, read_on, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::device::Device;
use crate::error::Result;
use crate::json::keyed::{Headed, Key};
use crate::output;

/// `reachability-groups-log`.
#[derive(Debug, Args)]
pub struct ReachGroupsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Return Groups Only (LSP bit 0): the groups without their NSIDs.
    #[arg(short = 'g', long = "groups-only")]
    pub rgo: bool,
    /// Retain the asynchronous event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
}

/// `reachability-associations-log`.
#[derive(Debug, Args)]
pub struct ReachAssociationsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Return Associations Only (LSP bit 0): the associations without their RGIDs.
    #[arg(short = 'a', long = "associations-only")]
    pub rao: bool,
    /// Retain the asynchronous event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
}

/// Reads the header, then each descriptor and its list, each at the next
/// offset, as nvme-cli does (the page says its length only piece by piece).
fn read_page<D: ReachabilityDesc>(dev: &mut Device, op: &str, req: &LogReq) -> Result<Vec<u8>> {
    let mut page = Vec::new();
    read_on(dev, op, req, &mut page, size_of::<ReachabilityHeader>())?;
    let h: ReachabilityHeader = parse(&page, op)?;
    for _ in 0..h.ndesc.get() {
        let at = page.len();
        read_on(dev, op, req, &mut page, size_of::<D>())?;
        let d: D = parse(&page[at..], op)?;
        read_on(dev, op, req, &mut page, d.count() as usize * 4)?;
    }
    Ok(page)
}

/// The Reachability Groups page laid out like `nvme reachability-groups-log`.
pub fn groups_text(log: &[u8]) -> String {
    let h: ReachabilityHeader = parse(log, "").unwrap_or_default();
    let mut s = format!("chngc: {}\nnrgd: {}\n", h.chngc.get(), h.ndesc.get());
    for e in reachability_entries::<ReachabilityGroupDesc>(log) {
        s += &format!(
            "rgid: {}\nnnid: {}\nchngc: {}\n",
            e.desc.rgid.get(),
            e.desc.nnid.get(),
            e.desc.chngc.get()
        );
        for (j, nsid) in e.ids().enumerate() {
            s += &format!("nsid{j}: {nsid}\n");
        }
    }
    s
}

/// The Reachability Associations page laid out like
/// `nvme reachability-associations-log`.
pub fn associations_text(log: &[u8]) -> String {
    let h: ReachabilityHeader = parse(log, "").unwrap_or_default();
    let mut s = format!("chngc: {}\nnrad: {}\n", h.chngc.get(), h.ndesc.get());
    for e in reachability_entries::<ReachabilityAssociationDesc>(log) {
        s += &format!(
            "rasid: {}\nnrid: {}\nchngc: {}\nrac: {}\n",
            e.desc.rasid.get(),
            e.desc.nrid.get(),
            e.desc.chngc.get(),
            e.desc.rac
        );
        for (j, rgid) in e.ids().enumerate() {
            s += &format!("rgid{j}: {rgid}\n");
        }
    }
    s
}

/// An `rgid: N` key.
#[derive(Debug)]
pub struct RgidKey;

impl Key for RgidKey {
    const NAME: &'static str = "Rgid";
    const PATTERN: &'static str = "^rgid: [0-9]+$";
}

/// A `rasid: N` key.
#[derive(Debug)]
pub struct RasidKey;

impl Key for RasidKey {
    const NAME: &'static str = "Rasid";
    const PATTERN: &'static str = "^rasid: [0-9]+$";
}

/// The Reachability Groups header's keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GroupsHeadJson {
    chngc: u64,
    nrgd: u16,
}

/// One group, under its `rgid: N` key.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GroupJson {
    nnid: u32,
    chngc: u64,
    nsid: Vec<u32>,
}

/// `reachability-groups-log -o json`.
pub type GroupsJson = Headed<GroupsHeadJson, RgidKey, GroupJson>;

/// The Reachability Associations header's keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AssociationsHeadJson {
    chngc: u64,
    nrad: u16,
}

/// One association, under its `rasid: N` key.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AssociationJson {
    nrid: u32,
    chngc: u64,
    rac: u8,
    rgid: Vec<u32>,
}

/// `reachability-associations-log -o json`.
pub type AssociationsJson = Headed<AssociationsHeadJson, RasidKey, AssociationJson>;

/// nvme-cli's `json_reachability_groups_log`, the NSIDs as a list.
pub fn groups_json(log: &[u8]) -> GroupsJson {
    let h: ReachabilityHeader = parse(log, "").unwrap_or_default();
    Headed {
        head: GroupsHeadJson {
            chngc: h.chngc.get(),
            nrgd: h.ndesc.get(),
        },
        entries: reachability_entries::<ReachabilityGroupDesc>(log)
            .map(|e| {
                (
                    format!("rgid: {}", e.desc.rgid.get()),
                    GroupJson {
                        nnid: e.desc.nnid.get(),
                        chngc: e.desc.chngc.get(),
                        nsid: e.ids().collect(),
                    },
                )
            })
            .collect(),
    }
}

/// nvme-cli's `json_reachability_associations_log`, the RGIDs as a list.
pub fn associations_json(log: &[u8]) -> AssociationsJson {
    let h: ReachabilityHeader = parse(log, "").unwrap_or_default();
    Headed {
        head: AssociationsHeadJson {
            chngc: h.chngc.get(),
            nrad: h.ndesc.get(),
        },
        entries: reachability_entries::<ReachabilityAssociationDesc>(log)
            .map(|e| {
                (
                    format!("rasid: {}", e.desc.rasid.get()),
                    AssociationJson {
                        nrid: e.desc.nrid.get(),
                        chngc: e.desc.chngc.get(),
                        rac: e.desc.rac,
                        rgid: e.ids().collect(),
                    },
                )
            })
            .collect(),
    }
}

/// `nvmeq reachability-groups-log`.
pub fn reachability_groups(ctx: &Ctx, a: &ReachGroupsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Reachability Groups log";
    let req = LogReq {
        lsp: u8::from(a.rgo),
        rae: a.rae,
        ..LogReq::new(LogId::REACHABILITY_GROUPS, u32::MAX)
    };
    let raw = read_page::<ReachabilityGroupDesc>(&mut dev, op, &req)?;
    output::emit(ctx.fmt, || groups_text(&raw), || groups_json(&raw), &raw)
}

/// `nvmeq reachability-associations-log`.
pub fn reachability_associations(ctx: &Ctx, a: &ReachAssociationsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Reachability Associations log";
    let req = LogReq {
        lsp: u8::from(a.rao),
        rae: a.rae,
        ..LogReq::new(LogId::REACHABILITY_ASSOCIATIONS, u32::MAX)
    };
    let raw = read_page::<ReachabilityAssociationDesc>(&mut dev, op, &req)?;
    output::emit(
        ctx.fmt,
        || associations_text(&raw),
        || associations_json(&raw),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::IntoBytes;

    fn page(n: u16, descs: &[&[u8]]) -> Vec<u8> {
        let mut h = ReachabilityHeader::default();
        h.chngc.set(9);
        h.ndesc.set(n);
        let mut p = h.as_bytes().to_vec();
        for d in descs {
            p.extend_from_slice(d);
        }
        p
    }

    #[test]
    fn groups_lines_and_json() {
        let mut g = ReachabilityGroupDesc::default();
        g.rgid.set(3);
        g.nnid.set(2);
        g.chngc.set(1);
        let log = page(1, &[g.as_bytes(), &[1, 0, 0, 0, 4, 0, 0, 0]]);
        assert_eq!(
            groups_text(&log),
            "chngc: 9\nnrgd: 1\nrgid: 3\nnnid: 2\nchngc: 1\nnsid0: 1\nnsid1: 4\n"
        );
        let j = serde_json::to_value(groups_json(&log)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"chngc": 9, "nrgd": 1, "rgid: 3": {"nnid": 2, "chngc": 1, "nsid": [1, 4]}})
        );
        let e = crate::schema::errors("reachability-groups-log", &j);
        assert!(e.is_empty(), "{e:?}");
        // A descriptor the page cuts short is not shown.
        assert_eq!(groups_text(&log[..40]), "chngc: 9\nnrgd: 1\n");
    }

    #[test]
    fn associations_lines_and_json() {
        let mut a = ReachabilityAssociationDesc::default();
        a.rasid.set(5);
        a.nrid.set(1);
        a.rac = 1;
        let log = page(1, &[a.as_bytes(), &[3, 0, 0, 0]]);
        assert_eq!(
            associations_text(&log),
            "chngc: 9\nnrad: 1\nrasid: 5\nnrid: 1\nchngc: 0\nrac: 1\nrgid0: 3\n"
        );
        let j = serde_json::to_value(associations_json(&log)).unwrap();
        assert_eq!(j["rasid: 5"]["rgid"], serde_json::json!([3]));
        let e = crate::schema::errors("reachability-associations-log", &j);
        assert!(e.is_empty(), "{e:?}");
    }
}
