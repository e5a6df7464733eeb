//! `cmdset-ind-id-ns` (CNS 08h) and `list-endgrp` (CNS 19h), laid out like
//! nvme-cli 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::{Cns, Identify};
use nvmeq_core::identify::{EnduranceGroupList, IdentifyNamespaceIndependent};
use serde::Serialize;

use super::{identify, parse};
use crate::cmd::{Ctx, DevArg};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, cx, Format};

/// `cmdset-ind-id-ns`.
#[derive(Debug, Args)]
pub struct CmdsetIndIdNsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace to identify (default: the device's namespace, else 1).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// Decode each field's bits under it (normal output).
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
}

/// `list-endgrp`.
#[derive(Debug, Args)]
pub struct ListEndgrpArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// List Endurance Groups with this identifier or greater.
    #[arg(short = 'i', long = "endgrp-id", value_parser = num::u16, default_value = "0")]
    pub endgrp_id: u16,
}

/// nvme-cli's `json_nvme_cmd_set_independent_id_ns`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct IndependentJson {
    nsfeat: u8,
    nmic: u8,
    rescap: u8,
    fpi: u8,
    anagrpid: u32,
    nsattr: u8,
    nvmsetid: u16,
    endgid: u16,
    nstat: u8,
    kpios: u8,
    maxkt: u16,
    rgrpid: u32,
}

impl From<&IdentifyNamespaceIndependent> for IndependentJson {
    fn from(n: &IdentifyNamespaceIndependent) -> Self {
        IndependentJson {
            nsfeat: n.nsfeat,
            nmic: n.nmic,
            rescap: n.rescap,
            fpi: n.fpi,
            anagrpid: n.anagrpid,
            nsattr: n.nsattr,
            nvmsetid: n.nvmsetid,
            endgid: n.endgid,
            nstat: n.nstat,
            kpios: n.kpios,
            maxkt: n.maxkt,
            rgrpid: n.rgrpid,
        }
    }
}

/// The structure laid out like `nvme cmdset-ind-id-ns` (its `nsattr` line
/// has a tab, as nvme-cli's).
pub fn independent_text(n: &IdentifyNamespaceIndependent, nsid: u32) -> String {
    format!(
        "NVME Identify Command Set Independent Namespace {nsid}:\n\
         nsfeat  : {}\nnmic    : {}\nrescap  : {}\nfpi     : {}\nanagrpid: {}\n\
         nsattr\t: {}\nnvmsetid: {}\nendgid  : {}\nnstat   : {}\nkpios   : {}\n\
         maxkt   : {}\nrgrpid  : {}\n",
        cx(n.nsfeat),
        cx(n.nmic),
        cx(n.rescap),
        cx(n.fpi),
        n.anagrpid,
        n.nsattr,
        n.nvmsetid,
        n.endgid,
        cx(n.nstat),
        cx(n.kpios),
        cx(n.maxkt),
        cx(n.rgrpid),
    )
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct EndgrpId {
    endgrp_id: u16,
}

/// nvme-cli's `json_nvme_endurance_group_list`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EndgrpListJson {
    num_endgrp_id: u16,
    endgrp_list: Vec<EndgrpId>,
}

impl From<&EnduranceGroupList> for EndgrpListJson {
    fn from(l: &EnduranceGroupList) -> Self {
        EndgrpListJson {
            num_endgrp_id: l.num,
            endgrp_list: l
                .listed()
                .iter()
                .map(|&endgrp_id| EndgrpId { endgrp_id })
                .collect(),
        }
    }
}

/// The list laid out like `nvme list-endgrp`.
pub fn endgrp_text(l: &EnduranceGroupList) -> String {
    let mut s = format!("num of endurance group ids: {}\n", l.num);
    for (i, id) in l.listed().iter().enumerate() {
        s += &format!("[{i:4}]:{}\n", cx(*id));
    }
    s
}

/// `nvmeq cmdset-ind-id-ns`.
pub fn cmdset_ind_id_ns(ctx: &Ctx, a: &CmdsetIndIdNsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let nsid = a.nsid.unwrap_or_else(|| dev.default_nsid());
    let op = "I/O Command Set Independent Identify Namespace";
    let raw = identify(&mut dev, op, Identify::new(Cns::CS_INDEP_NAMESPACE, nsid))?;
    let n: IdentifyNamespaceIndependent = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || {
            let plain = independent_text(&n, nsid);
            if a.human {
                super::human::independent(&plain, &n)
            } else {
                plain
            }
        },
        || IndependentJson::from(&n),
        &raw,
    )
}

/// `nvmeq list-endgrp`.
pub fn list_endgrp(ctx: &Ctx, a: &ListEndgrpArgs) -> Result<()> {
    if ctx.fmt == Format::Binary {
        return Err(usage(
            "list-endgrp has no binary form (as nvme-cli): use -o normal or -o json",
        ));
    }
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Endurance Group List";
    let cmd = Identify::new(Cns::ENDURANCE_GROUP_LIST, 0).cnssid(a.endgrp_id);
    let raw = identify(&mut dev, op, cmd)?;
    let l: EnduranceGroupList = parse(&raw, op)?;
    output::emit(
        ctx.fmt,
        || endgrp_text(&l),
        || EndgrpListJson::from(&l),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn text_and_json_as_nvme_cli() {
        let mut n = IdentifyNamespaceIndependent::new_zeroed();
        n.nsfeat = 0x14;
        n.anagrpid = 2;
        n.nstat = 1;
        n.rgrpid = 0x10;
        assert_eq!(
            independent_text(&n, 3),
            "NVME Identify Command Set Independent Namespace 3:\nnsfeat  : 0x14\nnmic    : 0\n\
             rescap  : 0\nfpi     : 0\nanagrpid: 2\nnsattr\t: 0\nnvmsetid: 0\nendgid  : 0\n\
             nstat   : 0x1\nkpios   : 0\nmaxkt   : 0\nrgrpid  : 0x10\n"
        );
        let j = serde_json::to_value(IndependentJson::from(&n)).unwrap();
        assert_eq!(j["nsfeat"], 0x14);
        assert_eq!(j["rgrpid"], 0x10);
        assert_eq!(j.as_object().unwrap().len(), 12);

        let mut l = EnduranceGroupList::new_zeroed();
        l.num = 2;
        l.ids[0] = 1;
        l.ids[1] = 0x1f;
        assert_eq!(
            endgrp_text(&l),
            "num of endurance group ids: 2\n[   0]:0x1\n[   1]:0x1f\n"
        );
        assert_eq!(
            serde_json::to_value(EndgrpListJson::from(&l)).unwrap(),
            serde_json::json!({"num_endgrp_id": 2, "endgrp_list": [{"endgrp_id": 1}, {"endgrp_id": 31}]})
        );
    }
}
