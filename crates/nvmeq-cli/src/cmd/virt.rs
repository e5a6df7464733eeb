//! `virt-mgmt`: Virtualization Management (admin 1Ch) with nvme-cli 2.13's
//! options (`-c/--cntlid -r/--rt -a/--act -n/--nr`) and line. Unlike
//! nvme-cli, an action or resource type the spec does not define is refused
//! before sending, and every action needs `--force`: taking a secondary
//! controller offline or moving its resources stops whatever uses it.

use clap::Args;
use nvmeq_core::cmd::{ResourceType, VirtAction, VirtMgmt};
use nvmeq_core::Data;

use super::{Ctx, DevArg, Done};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, Format};

/// `virt-mgmt`.
#[derive(Debug, Args)]
pub struct VirtMgmtArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Controller Identifier (CNTLID) of the secondary controller.
    #[arg(short = 'c', long = "cntlid", value_parser = num::u16, default_value = "0")]
    pub cntlid: u16,
    /// Resource Type (RT): 0 VQ resources, 1 VI resources.
    #[arg(short = 'r', long = "rt", value_parser = num::u8, default_value = "0")]
    pub rt: u8,
    /// Action (ACT): 1 primary flexible, 7 secondary offline, 8 secondary assign, 9 secondary online.
    #[arg(short = 'a', long = "act", value_parser = num::u8, default_value = "0")]
    pub act: u8,
    /// Number of Controller Resources (NR), for actions 1 and 8.
    #[arg(short = 'n', long = "nr", value_parser = num::u16, default_value = "0")]
    pub nr: u16,
    /// Confirm: the action changes what a secondary controller (a VF) has.
    #[arg(long)]
    pub force: bool,
}

/// The typed action the options name.
fn action(a: &VirtMgmtArgs) -> Result<VirtAction> {
    let rt = || match a.rt {
        0 => Ok(ResourceType::Vq),
        1 => Ok(ResourceType::Vi),
        v => Err(usage(format!(
            "virt-mgmt: resource type (--rt) {v} is not defined: 0 (VQ) or 1 (VI)"
        ))),
    };
    match a.act {
        1 => Ok(VirtAction::PrimaryFlexibleAllocation {
            rt: rt()?,
            nr: a.nr,
        }),
        7 => Ok(VirtAction::SecondaryOffline),
        8 => Ok(VirtAction::SecondaryAssign {
            rt: rt()?,
            nr: a.nr,
        }),
        9 => Ok(VirtAction::SecondaryOnline),
        v => Err(usage(format!(
            "virt-mgmt: action (--act) {v} is not defined: 1 (primary flexible), \
             7 (secondary offline), 8 (secondary assign) or 9 (secondary online)"
        ))),
    }
}

/// nvme-cli's success line: the NRM from completion dword 0.
pub fn success_line(dw0: u32) -> String {
    let nrm = if dw0 == 0 {
        "0".to_string()
    } else {
        format!("{dw0:#x}")
    };
    format!("success, Number of Controller Resources Modified (NRM):{nrm}\n")
}

/// `nvmeq virt-mgmt`.
pub fn virt_mgmt(ctx: &Ctx, a: &VirtMgmtArgs) -> Result<()> {
    let act = action(a)?;
    if !a.force {
        return Err(usage(
            "virt-mgmt: the action changes a secondary controller's state or resources: \
             pass --force to confirm",
        ));
    }
    let cmd = VirtMgmt::new(act, a.cntlid).build();
    let mut dev = ctx.open(&a.dev)?;
    let c = dev.exec("Virtualization Management", &cmd, Data::None)?;
    match ctx.fmt {
        Format::Normal => output::text(&success_line(c.dw0)),
        Format::Json => output::json(&Done {
            command: "virt-mgmt".into(),
            nsid: None,
            status: "Successful Completion".into(),
            result: c.dw0 as u64,
        }),
        Format::Binary => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(act: u8, rt: u8, nr: u16) -> VirtMgmtArgs {
        VirtMgmtArgs {
            dev: DevArg {
                device: "ram:1M".into(),
            },
            cntlid: 3,
            rt,
            act,
            nr,
            force: true,
        }
    }

    #[test]
    fn dwords_from_the_options() {
        let c = VirtMgmt::new(action(&args(8, 1, 4)).unwrap(), 3).build();
        assert_eq!(c.sqe.opcode(), 0x1c);
        assert_eq!(c.sqe.cdw10, 3 << 16 | 1 << 8 | 8);
        assert_eq!(c.sqe.cdw11, 4);
        let c = VirtMgmt::new(action(&args(9, 0, 0)).unwrap(), 3).build();
        assert_eq!(c.sqe.cdw10, 3 << 16 | 9);
        for bad in [args(0, 0, 0), args(2, 0, 0), args(1, 2, 1), args(8, 7, 1)] {
            assert!(action(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            success_line(2),
            "success, Number of Controller Resources Modified (NRM):0x2\n"
        );
        assert_eq!(
            success_line(0),
            "success, Number of Controller Resources Modified (NRM):0\n"
        );
    }
}
