//! Firmware: `fw-download` (Firmware Image Download in pieces) and
//! `fw-commit` (Firmware Commit), with nvme-cli 2.13's options and lines.
//! Both change what the controller will run, so both need `--force`
//! (nvmeq's; nvme-cli asks nothing). Unlike nvme-cli, a failed piece is not
//! resent: the status is reported at once, naming the piece's offset.

use std::path::PathBuf;

use clap::Args;
use nvmeq_core::cmd::{CommitAction, FirmwareCommit, FirmwareDownload, Numd};
use nvmeq_core::{Data, Status};

use super::identify::id_ctrl_of;
use super::{done, Ctx, DevArg};
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, Format};

/// `fw-download`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// The firmware image (a whole number of dwords).
    #[arg(short = 'f', long = "fw")]
    pub fw: PathBuf,
    /// Bytes per command: a multiple of 4096 (default: FWUG × 4 KiB, else 4096).
    #[arg(short = 'x', long = "xfer", value_parser = num::u32, default_value = "0")]
    pub xfer: u32,
    /// Dword offset of the image's first byte.
    #[arg(short = 'O', long = "offset", value_parser = num::u32, default_value = "0")]
    pub offset: u32,
    /// Print the progress on stdout.
    #[arg(short = 'p', long = "progress")]
    pub progress: bool,
    /// Take an Overlapping Range status as success.
    #[arg(short = 'i', long = "ignore-ovr")]
    pub ignore_ovr: bool,
    /// Confirm sending an image to the controller.
    #[arg(long)]
    pub force: bool,
}

/// `fw-commit`.
#[derive(Debug, Args)]
pub struct CommitArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Firmware slot, 0..=7 (0: the controller chooses).
    #[arg(short = 's', long = "slot", value_parser = num::u8, default_value = "0")]
    pub slot: u8,
    /// Commit action: 0 replace, 1 replace and activate at reset, 2 activate
    /// at reset, 3 replace and activate now, 6/7 boot partition replace/activate.
    #[arg(short = 'a', long = "action", value_parser = action, default_value = "0")]
    pub action: CommitAction,
    /// Boot partition ID, 0 or 1 (actions 6 and 7).
    #[arg(short = 'b', long = "bpid", value_parser = num::u8, default_value = "0")]
    pub bpid: u8,
    /// Confirm changing the controller's firmware.
    #[arg(long)]
    pub force: bool,
}

fn action(s: &str) -> Result<CommitAction, String> {
    use CommitAction::*;
    Ok(match num::u8(s)? {
        0 => Replace,
        1 => ReplaceAndActivate,
        2 => Activate,
        3 => ReplaceAndActivateNow,
        6 => ReplaceBootPartition,
        7 => ActivateBootPartition,
        v => {
            return Err(format!(
                "{v} is not a commit action: 0, 1, 2, 3, 6 or 7 (4 and 5 are reserved)"
            ))
        }
    })
}

fn confirm(op: &str, force: bool) -> Result<()> {
    if force {
        Ok(())
    } else {
        Err(usage(format!(
            "{op} changes the controller's firmware: pass --force to confirm"
        )))
    }
}

/// `nvmeq fw-download`.
pub fn download(ctx: &Ctx, a: &DownloadArgs) -> Result<()> {
    confirm("fw-download", a.force)?;
    let image = std::fs::read(&a.fw)
        .map_err(|e| CliError::io(format!("reading the image {}", a.fw.display()), e))?;
    if image.is_empty() || image.len() % 4 != 0 {
        return Err(usage(format!(
            "{}: {} bytes is not a whole, nonzero number of dwords",
            a.fw.display(),
            image.len()
        )));
    }
    let len = u32::try_from(image.len())
        .map_err(|_| usage(format!("{}: larger than 4 GiB", a.fw.display())))?;
    if a.xfer % 4096 != 0 {
        return Err(usage(format!(
            "--xfer {}: a multiple of 4096 bytes",
            a.xfer
        )));
    }
    let mut dev = ctx.open(&a.dev)?;
    let xfer = match a.xfer {
        0 => match id_ctrl_of(&mut dev)?.0.fwug {
            0 | 0xff => 4096,
            g => u32::from(g) * 4096,
        },
        x => x,
    };
    let mut pos = 0u32;
    while pos < len {
        let n = xfer.min(len - pos);
        if a.progress && ctx.fmt == Format::Normal {
            output::text(&format!(
                "Firmware download: transferring 0x{pos:08x}/0x{len:08x} bytes: {:03}%\r",
                u64::from(pos) * 100 / u64::from(len)
            ))?;
        }
        let ofst = a.offset + pos / 4;
        let numd = Numd::from_bytes(n).ok_or_else(|| usage("empty piece"))?;
        let piece = &image[pos as usize..(pos + n) as usize];
        let op = format!("Firmware Image Download (offset 0x{:08x}/0x{len:08x})", pos);
        match dev.exec(
            &op,
            &FirmwareDownload::new(numd, ofst).build(),
            Data::ToDevice(piece),
        ) {
            Ok(_) => {}
            Err(CliError::Nvme { status, .. })
                if a.ignore_ovr && status.matches_code(Status::OVERLAPPING_RANGE) => {}
            Err(e) => return Err(e),
        }
        pos += n;
    }
    match ctx.fmt {
        Format::Normal => output::text(&format!(
            "{}Firmware download success\n",
            if a.progress { "\n" } else { "" }
        )),
        _ => done(ctx, "fw-download", None, 0),
    }
}

/// `nvmeq fw-commit`.
pub fn commit(ctx: &Ctx, a: &CommitArgs) -> Result<()> {
    confirm("fw-commit", a.force)?;
    if a.slot > 7 {
        return Err(usage(format!("--slot {}: 0 to 7", a.slot)));
    }
    if a.bpid > 1 {
        return Err(usage(format!("--bpid {}: 0 or 1", a.bpid)));
    }
    let mut dev = ctx.open(&a.dev)?;
    let cmd = FirmwareCommit::new(a.slot, a.action)
        .bpid(a.bpid == 1)
        .build();
    let what = |a: &CommitArgs| {
        let mut s = format!("action:{} slot:{}", a.action as u8, a.slot);
        if matches!(
            a.action,
            CommitAction::ReplaceBootPartition | CommitAction::ActivateBootPartition
        ) {
            s.push_str(&format!(" bpid:{}", a.bpid));
        }
        s
    };
    match dev.exec("Firmware Commit", &cmd, Data::None) {
        Ok(c) => match ctx.fmt {
            Format::Normal => {
                let mut s = format!("Success committing firmware {}\n", what(a));
                // FRMW bit 5: the controller reports Multiple Update Detected.
                if id_ctrl_of(&mut dev)?.0.frmw >> 5 & 1 != 0 {
                    s.push_str(&format!(
                        "Multiple Update Detected (MUD) Value: {}\n",
                        c.result() as u32
                    ));
                }
                output::text(&s)
            }
            _ => done(ctx, "fw-commit", None, c.result()),
        },
        Err(CliError::Nvme { op, status })
            if [
                Status::FW_ACTIVATION_REQUIRES_CONVENTIONAL_RESET,
                Status::FW_ACTIVATION_REQUIRES_SUBSYSTEM_RESET,
                Status::FW_ACTIVATION_REQUIRES_CONTROLLER_RESET,
            ]
            .iter()
            .any(|s| status.matches_code(*s)) =>
        {
            // Committed, but not running until the reset the status names;
            // nvme-cli prints its success line and fails too.
            Err(CliError::Device(format!(
                "{op}: firmware {} committed, but not active: {status}",
                what(a)
            )))
        }
        Err(e) => Err(e),
    }
}
