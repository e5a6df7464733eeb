//! `lockdown`: Lockdown (admin 24h) with nvme-cli 2.13's options (`-O -f -p
//! -s -U`), its range checks and its line. A prohibition can lock this
//! host out of a command until the controller is power cycled, so it needs
//! `--force`; allowing does not.

use clap::Args;
use nvmeq_core::cmd::{Lockdown, LockdownInterface, LockdownScope};
use nvmeq_core::Data;

use super::{Ctx, DevArg, Done};
use crate::error::{usage, Result};
use crate::num;
use crate::output::{self, Format};

/// `lockdown`.
#[derive(Debug, Args)]
pub struct LockdownArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Opcode or Feature Identifier (OFI) the Scope names.
    #[arg(short = 'O', long = "ofi", value_parser = num::u8, default_value = "0")]
    pub ofi: u8,
    /// Interface (IFC, 0..3): 0 Admin Submission Queue, 1 and out-of-band, 2 out-of-band only.
    #[arg(short = 'f', long = "ifc", value_parser = num::u8, default_value = "0")]
    pub ifc: u8,
    /// Prohibit (PRHBT, 0..1): 1 prohibits, 0 allows.
    #[arg(short = 'p', long = "prhbt", value_parser = num::u8, default_value = "0")]
    pub prhbt: u8,
    /// Scope (SCP, 0..15): 0 admin opcode, 2 Set Features FID, 3 MI opcode, 4 PCIe opcode.
    #[arg(short = 's', long = "scp", value_parser = num::u8, default_value = "0")]
    pub scp: u8,
    /// UUID Index (0..127, 0: none).
    #[arg(short = 'U', long = "uuid", value_parser = num::u8, default_value = "0")]
    pub uuid: u8,
    /// Confirm a prohibition (-p 1).
    #[arg(long)]
    pub force: bool,
}

/// The command, with nvme-cli's range checks.
fn lockdown_cmd(a: &LockdownArgs) -> Result<Lockdown> {
    for (name, v, max) in [
        ("interface (--ifc)", a.ifc, 3),
        ("prohibit (--prhbt)", a.prhbt, 1),
        ("scope (--scp)", a.scp, 15),
        ("UUID index (--uuid)", a.uuid, 127),
    ] {
        if v > max {
            return Err(usage(format!("lockdown: invalid {name} {v}: 0..={max}")));
        }
    }
    if a.prhbt == 1 && !a.force {
        return Err(usage(
            "lockdown: a prohibition can lock the host out of the command until a power \
             cycle: pass --force to confirm",
        ));
    }
    Ok(Lockdown::new(
        LockdownScope(a.scp),
        a.ofi,
        LockdownInterface(a.ifc),
        a.prhbt == 1,
    )
    .uidx(a.uuid))
}

/// `nvmeq lockdown`.
pub fn lockdown(ctx: &Ctx, a: &LockdownArgs) -> Result<()> {
    let cmd = lockdown_cmd(a)?.build();
    let mut dev = ctx.open(&a.dev)?;
    let c = dev.exec("Lockdown", &cmd, Data::None)?;
    match ctx.fmt {
        Format::Normal => output::text("Lockdown Command is Successful\n"),
        Format::Json => output::json(&Done {
            command: "lockdown".into(),
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

    fn args(ifc: u8, prhbt: u8, scp: u8, uuid: u8, force: bool) -> LockdownArgs {
        LockdownArgs {
            dev: DevArg {
                device: "ram:1M".into(),
            },
            ofi: 0x09,
            ifc,
            prhbt,
            scp,
            uuid,
            force,
        }
    }

    #[test]
    fn dword_10_and_checks() {
        let c = lockdown_cmd(&args(1, 1, 2, 5, true)).unwrap().build();
        assert_eq!(c.sqe.cdw10, 0x09 << 8 | 1 << 5 | 1 << 4 | 2);
        assert_eq!(c.sqe.cdw14, 5);
        assert!(lockdown_cmd(&args(0, 0, 0, 0, false)).is_ok());
        for bad in [
            args(4, 0, 0, 0, true),
            args(0, 2, 0, 0, true),
            args(0, 0, 16, 0, true),
            args(0, 0, 0, 128, true),
            args(0, 1, 0, 0, false),
        ] {
            assert!(lockdown_cmd(&bad).is_err(), "{bad:?}");
        }
    }
}
