//! Namespace attachment and deletion: `attach-ns`, `detach-ns`,
//! `delete-ns`, with nvme-cli 2.13's options (`-n`, `-c` controller list)
//! and success lines. All need `--namespace-id` (nvme-cli too); `detach-ns`
//! and `delete-ns` also need `--force`: the first takes the namespace away
//! from the hosts of those controllers, the second erases it.

use clap::Args;
use nvmeq_core::cmd::{NsAttachment, NsManagement};
use nvmeq_core::identify::{oacs, ControllerList};
use nvmeq_core::Data;
use zerocopy::{FromZeros, IntoBytes};

use super::identify::id_ctrl_of;
use super::{done, require_force, require_nsid, Ctx, DevArg};
use crate::device::Device;
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, Format};

/// `attach-ns` / `detach-ns`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Controller IDs, comma-separated (default: this controller's CNTLID).
    #[arg(short = 'c', long = "controllers", value_parser = num::list_u32)]
    pub controllers: Option<num::List<u32>>,
    /// detach-ns: confirm taking the namespace away from those controllers.
    #[arg(long)]
    pub force: bool,
}

/// `delete-ns`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required; `all` for every namespace).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Confirm erasing the namespace.
    #[arg(long)]
    pub force: bool,
}

/// The Controller List to send: the given IDs, ascending as the spec
/// requires, or the controller's own.
fn controller_list(dev: &mut Device, ids: &Option<num::List<u32>>) -> Result<ControllerList> {
    let mut ids: Vec<u16> = match ids {
        Some(num::List(v)) => v
            .iter()
            .map(|&id| {
                u16::try_from(id)
                    .map_err(|_| usage(format!("--controllers: {id:#x} is not a 16-bit ID")))
            })
            .collect::<Result<_>>()?,
        None => vec![id_ctrl_of(dev)?.0.cntlid],
    };
    ids.sort_unstable();
    ids.dedup();
    let mut list = ControllerList::new_zeroed();
    if ids.is_empty() || ids.len() > list.ids.len() {
        return Err(usage(format!(
            "--controllers: 1 to {} IDs, not {}",
            list.ids.len(),
            ids.len()
        )));
    }
    list.num = ids.len() as u16;
    list.ids[..ids.len()].copy_from_slice(&ids);
    Ok(list)
}

/// A failed namespace command, with nvme-cli's hint when OACS says the
/// controller has no namespace management at all.
fn explain(dev: &mut Device, err: CliError) -> CliError {
    match err {
        CliError::Nvme { op, status } => match id_ctrl_of(dev) {
            Ok((c, _)) if c.oacs & oacs::NS_MGMT == 0 => CliError::Device(format!(
                "{op}: {status}; the controller reports no namespace management and \
                 attachment (OACS bit 3 clear)"
            )),
            _ => CliError::Nvme { op, status },
        },
        e => e,
    }
}

/// Success: nvme-cli's line on stdout in normal mode, a `Done` in JSON.
fn success(ctx: &Ctx, op: &str, line: String, nsid: u32, result: u64) -> Result<()> {
    match ctx.fmt {
        Format::Normal => output::text(&format!("{line}\n")),
        _ => done(ctx, op, Some(nsid), result),
    }
}

/// `nvmeq attach-ns` (`attach`) or `nvmeq detach-ns`.
pub fn attach(ctx: &Ctx, a: &AttachArgs, attach: bool) -> Result<()> {
    let op = if attach { "attach-ns" } else { "detach-ns" };
    let nsid = require_nsid(op, a.nsid)?;
    if !attach && !a.force {
        return Err(usage(
            "detach-ns takes the namespace away from the controllers' hosts: pass --force \
             to confirm (and --namespace-id)",
        ));
    }
    let mut dev = ctx.open(&a.dev)?;
    let list = controller_list(&mut dev, &a.controllers)?;
    let (name, cmd) = if attach {
        ("Namespace Attachment (attach)", NsAttachment::attach(nsid))
    } else {
        ("Namespace Attachment (detach)", NsAttachment::detach(nsid))
    };
    match dev.exec(name, &cmd.build(), Data::ToDevice(list.as_bytes())) {
        Ok(c) => success(
            ctx,
            op,
            format!("{op}: Success, nsid:{nsid}"),
            nsid,
            c.result(),
        ),
        Err(e) => Err(explain(&mut dev, e)),
    }
}

/// `nvmeq delete-ns`.
pub fn delete(ctx: &Ctx, a: &DeleteArgs) -> Result<()> {
    let nsid = require_nsid("delete-ns", a.nsid)?;
    require_force("delete-ns", a.force)?;
    let mut dev = ctx.open(&a.dev)?;
    match dev.exec(
        "Namespace Management (delete)",
        &NsManagement::delete(nsid).build(),
        Data::None,
    ) {
        Ok(c) => success(
            ctx,
            "delete-ns",
            format!("delete-ns: Success, deleted nsid:{nsid}"),
            nsid,
            c.result(),
        ),
        Err(e) => Err(explain(&mut dev, e)),
    }
}
