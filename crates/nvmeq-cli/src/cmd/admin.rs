//! Controller administration: `show-regs` (VFIO only), `format`, `sanitize`.

use clap::Args;

use super::{Ctx, DevArg};
use crate::device::{self, BackendKind};
use crate::error::{CliError, Result};

/// `show-regs`.
#[derive(Debug, Args)]
pub struct ShowRegsArgs {
    #[command(flatten)]
    pub dev: DevArg,
}

/// `nvmeq show-regs`: the controller registers (CAP, VS, CC, CSTS, AQA…) can
/// only be read by the driver that maps BAR0, which for nvmeq is VFIO.
pub fn show_regs(ctx: &Ctx, a: &ShowRegsArgs) -> Result<()> {
    let spec = device::parse(&a.dev.device, ctx.backend)?;
    if spec.backend != Some(BackendKind::Vfio) {
        return Err(CliError::Device(format!(
            "show-regs needs the vfio backend: the registers of {} belong to the {} \
             (bind the controller to vfio-pci and use vfio:DDDD:BB:DD.F)",
            a.dev.device,
            match spec.backend {
                Some(BackendKind::Ram) => "in-memory controller, which has no register file",
                _ => "kernel's nvme driver",
            }
        )));
    }
    let _dev = crate::open::open(spec)?;
    Err(CliError::Device(
        "show-regs: the vfio backend does not expose its registers to the CLI yet".into(),
    ))
}
