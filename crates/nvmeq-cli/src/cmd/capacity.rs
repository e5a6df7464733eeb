//! `capacity-mgmt`: Capacity Management (admin 20h) with nvme-cli 2.13's
//! options (`-O -i -l -u`) and lines. It creates and deletes Endurance
//! Groups and NVM Sets or selects a whole capacity configuration, which
//! can take every namespace's capacity with it, so it needs `--force`.

use clap::Args;
use nvmeq_core::cmd::{CapacityMgmt, CapacityOperation};
use nvmeq_core::Data;

use super::{require_force, Ctx, DevArg, Done};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, Format};

/// `capacity-mgmt`.
#[derive(Debug, Args)]
pub struct CapacityArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Operation (0..15): 0 select configuration, 1 create Endurance Group,
    /// 2 delete Endurance Group, 3 create NVM Set, 4 delete NVM Set.
    #[arg(short = 'O', long = "operation", value_parser = num::u8)]
    pub operation: Option<u8>,
    /// Element Identifier: the configuration, Endurance Group or NVM Set.
    #[arg(short = 'i', long = "element-id", value_parser = num::u16, default_value = "0xffff")]
    pub element_id: u16,
    /// Capacity in bytes of the element to create, bits 31:0.
    #[arg(short = 'l', long = "cap-lower", value_parser = num::u32, default_value = "0")]
    pub cap_lower: u32,
    /// Capacity in bytes of the element to create, bits 63:32.
    #[arg(short = 'u', long = "cap-upper", value_parser = num::u32, default_value = "0")]
    pub cap_upper: u32,
    /// Confirm: the controller may take namespaces' capacity.
    #[arg(long)]
    pub force: bool,
}

/// The text nvme-cli prints on success.
fn success_text(op: CapacityOperation, result: u32) -> String {
    let mut s = String::from("Capacity Management Command is Success\n");
    match op {
        CapacityOperation::CREATE_ENDGRP => s.push_str(&format!(
            "Created Element Identifier for Endurance Group is: {result}\n"
        )),
        CapacityOperation::CREATE_NVMSET => s.push_str(&format!(
            "Created Element Identifier for NVM Set is: {result}\n"
        )),
        _ => {}
    }
    s
}

/// `nvmeq capacity-mgmt`.
pub fn capacity_mgmt(ctx: &Ctx, a: &CapacityArgs) -> Result<()> {
    let op = match a.operation {
        Some(o) if o <= 0xf => CapacityOperation(o),
        Some(o) => {
            return Err(usage(format!(
                "capacity-mgmt: invalid operation {o} (the field is 4 bits: 0..15)"
            )))
        }
        None => {
            return Err(usage(
                "capacity-mgmt: give the operation with --operation/-O (0 select \
                 configuration, 1/2 create/delete Endurance Group, 3/4 create/delete NVM Set)",
            ))
        }
    };
    require_force("capacity-mgmt", a.force)?;
    let mut dev = ctx.open(&a.dev)?;
    let cap = (a.cap_upper as u64) << 32 | a.cap_lower as u64;
    let cmd = CapacityMgmt::new(op, a.element_id).capacity(cap).build();
    let c = dev.exec("Capacity Management", &cmd, Data::None)?;
    match ctx.fmt {
        Format::Normal => output::text(&success_text(op, c.dw0)),
        Format::Json => output::json(&Done {
            command: "capacity-mgmt".into(),
            nsid: None,
            status: "Successful Completion".into(),
            result: c.result(),
        }),
        Format::Binary => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        assert_eq!(
            success_text(CapacityOperation::CREATE_ENDGRP, 3),
            "Capacity Management Command is Success\n\
             Created Element Identifier for Endurance Group is: 3\n"
        );
        assert_eq!(
            success_text(CapacityOperation::CREATE_NVMSET, 9),
            "Capacity Management Command is Success\n\
             Created Element Identifier for NVM Set is: 9\n"
        );
        assert_eq!(
            success_text(CapacityOperation::DELETE_NVMSET, 9),
            "Capacity Management Command is Success\n"
        );
    }
}
