//! `get-ns-id`: the namespace a device node stands for. nvme-cli asks the
//! kernel (`NVME_IOCTL_ID`); nvmeq reads the same number from sysfs
//! (`/sys/block/nvmeXnY/nsid`), since the node's `Y` is an instance number,
//! not always the NSID.

use clap::Args;
use nvmeq::Locator;
use serde::Serialize;

use super::{Ctx, DevArg};
use crate::error::{CliError, Result};
use crate::output::{self, Format};

/// `get-ns-id`.
#[derive(Debug, Args)]
pub struct GetNsIdArgs {
    #[command(flatten)]
    pub dev: DevArg,
}

/// `get-ns-id -o json` (nvme-cli prints its text line whatever the format).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct NsIdJson<'a> {
    device: &'a str,
    #[serde(rename = "namespace-id")]
    nsid: u32,
}

/// `nvmeq get-ns-id`.
pub fn get_ns_id(ctx: &Ctx, a: &GetNsIdArgs) -> Result<()> {
    let dev = ctx.open(&a.dev)?;
    let nsid = match (&dev.target.node, dev.ns_of_node) {
        (_, Some(nsid)) => nsid,
        (Some(node), None) if node.kind.is_namespace() => {
            return Err(CliError::Device(format!(
                "get-ns-id: sysfs reports no nsid for {} ({}/nsid)",
                node.name,
                node.sysfs.display()
            )))
        }
        (Some(node), None) => {
            return Err(CliError::Device(format!(
                "get-ns-id: {} is a controller, not a namespace: name one of its namespace \
                 nodes (/dev/ngXnY or /dev/nvmeXnY; `nvmeq list` shows them)",
                node.name
            )))
        }
        (None, None) => {
            let what = match dev.target.locator {
                Locator::Ram(_) => "an in-memory controller",
                Locator::Vfio(_) => "a controller driven through VFIO",
                Locator::Tcp(_) => "an NVMe/TCP controller",
                _ => "a controller",
            };
            return Err(CliError::Device(format!(
                "get-ns-id: {} is {what} with no namespace device node; its namespaces are \
                 the ones `nvmeq list-ns {}` lists",
                dev.name, a.dev.device
            )));
        }
    };
    match ctx.fmt {
        Format::Json => output::json(&NsIdJson {
            device: &dev.name,
            nsid,
        }),
        _ => output::text(&format!("{}: namespace-id:{nsid}\n", dev.name)),
    }
}
