//! One module per command group; this one holds what they share: the context
//! (output format, backend override), opening the device, the safety rules for
//! destructive commands, and the success report.

pub mod admin;
pub mod bench;
pub mod capacity;
pub mod dhchap;
pub mod dim;
pub mod directive;
pub mod discover;
pub mod fabrics;
pub mod features;
pub mod fw;
pub mod hostnqn;
pub mod identify;
pub mod io;
pub mod io_mgmt;
pub mod lba_status;
pub mod list;
pub mod lockdown;
pub mod log;
pub mod ns_id;
pub mod ns_mgmt;
pub mod nvme_mi;
pub mod passthru;
pub mod property;
pub mod reg_human;
pub mod register;
pub mod resv;
pub mod rpmb;
pub mod secret;
pub mod security;
pub mod tls_key;
pub mod topology;
pub mod virt;
pub mod zns;

use clap::Args;
use serde::Serialize;

use crate::device::{self, Device};
use crate::error::{usage, Result};
use crate::output::{self, Format};
use nvmeq::BackendKind;

/// What every command gets besides its own options.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    /// `-o/--output-format`.
    pub fmt: Format,
    /// `--backend`.
    pub backend: Option<BackendKind>,
}

impl Ctx {
    /// The format, with `-b/--raw-binary` taking precedence as in nvme-cli.
    pub fn fmt_raw(&self, raw: bool) -> Format {
        if raw {
            Format::Binary
        } else {
            self.fmt
        }
    }

    /// Parses, checks and opens the device.
    pub fn open(&self, dev: &DevArg) -> Result<Device> {
        device::open(device::parse(&dev.device, self.backend)?)
    }
}

/// The positional device argument.
#[derive(Debug, Args)]
pub struct DevArg {
    /// The device: /dev/ngXnY or /dev/nvmeX (io_uring when available, else
    /// ioctl), ioctl:/dev/…, uring:/dev/…, vfio:DDDD:BB:DD.F,
    /// tcp://HOST:PORT/SUBNQN, or ram:SIZE (ram:SIZE,file=PATH keeps it
    /// across runs).
    #[arg(value_name = "DEVICE")]
    pub device: String,
}

/// Commands that change data or controller state only run when the user names
/// the namespace; the rule is the same for `ram:` devices so scripts tested
/// on ram behave the same on hardware.
pub fn require_nsid(op: &str, nsid: Option<u32>) -> Result<u32> {
    nsid.ok_or_else(|| {
        usage(format!(
            "{op} changes data on the device: name the namespace explicitly with \
             --namespace-id/-n (nvmeq does not guess for destructive commands)"
        ))
    })
}

/// `format` and `sanitize` destroy every block they touch: they also need `--force`.
pub fn require_force(op: &str, force: bool) -> Result<()> {
    if force {
        Ok(())
    } else {
        Err(usage(format!(
            "{op} erases data irrecoverably: pass --force to confirm (and --namespace-id)"
        )))
    }
}

/// The JSON a command without a data structure prints on success.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Done {
    /// The command's name.
    pub command: String,
    /// The namespace it addressed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsid: Option<u32>,
    /// The decoded status.
    pub status: String,
    /// Completion dword 0 (and dword 1 in the high half).
    pub result: u64,
}

/// Reports a successful command: `op: Success` on stderr (as nvme-cli does) in
/// normal mode, a [`Done`] object in JSON mode, nothing in binary mode.
pub fn done(ctx: &Ctx, op: &str, nsid: Option<u32>, result: u64) -> Result<()> {
    match ctx.fmt {
        Format::Normal => {
            eprintln!("{op}: Success");
            Ok(())
        }
        Format::Json => output::json(&Done {
            command: op.to_string(),
            nsid,
            status: "Successful Completion".into(),
            result,
        }),
        Format::Binary => Ok(()),
    }
}
