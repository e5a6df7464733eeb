//! `nvmeq`: NVMe from the command line over any nvmeq backend.
//!
//! Command and option names follow nvme-cli so scripts port by changing the
//! binary name; `-o json` works on every command and uses nvme-cli 2.3's field
//! names. See `nvmeq help` and the crate README.

mod cmd;
mod dev;
mod device;
mod error;
mod num;
mod open;
mod output;

use clap::{Parser, Subcommand};

use cmd::{admin, io, list, passthru, Ctx};
use device::BackendKind;
use output::Format;

/// NVMe commands over io_uring, ioctl, VFIO or an in-memory controller.
#[derive(Debug, Parser)]
#[command(
    name = "nvmeq",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// Output format: normal (like nvme-cli), json (nvme-cli 2.3 field names) or binary (raw structure).
    #[arg(
        short = 'o',
        long = "output-format",
        value_enum,
        global = true,
        default_value = "normal"
    )]
    fmt: Format,
    /// Use this backend whatever the device string says.
    #[arg(long, value_enum, global = true)]
    backend: Option<BackendKind>,
    #[command(subcommand)]
    cmd: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List every NVMe controller and namespace on this host and the backends each can use.
    List,
    /// Read logical blocks (to --data or stdout).
    Read(io::DataIo),
    /// Write logical blocks (from --data or stdin). Needs --namespace-id.
    Write(io::DataIo),
    /// Flush the volatile write cache.
    Flush(io::FlushArgs),
    /// Send any admin command.
    AdminPassthru(passthru::PassthruArgs),
    /// Send any I/O command.
    IoPassthru(passthru::PassthruArgs),
    /// Show the controller registers (vfio backend only).
    ShowRegs(admin::ShowRegsArgs),
}

fn run(cli: Cli) -> error::Result<()> {
    let ctx = Ctx {
        fmt: cli.fmt,
        backend: cli.backend,
    };
    match &cli.cmd {
        Command::List => list::run(ctx.fmt),
        Command::Read(a) => io::read(&ctx, a),
        Command::Write(a) => io::write(&ctx, a),
        Command::Flush(a) => io::flush(&ctx, a),
        Command::AdminPassthru(a) => passthru::run(&ctx, a, true),
        Command::IoPassthru(a) => passthru::run(&ctx, a, false),
        Command::ShowRegs(a) => admin::show_regs(&ctx, a),
    }
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("nvmeq: {e}");
        std::process::exit(e.exit_code());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
