//! The `nvmeq-hwtest` binary: see the library's documentation.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use nvmeq_hwtest::registry;
use nvmeq_hwtest::report::{self, Outcome};
use nvmeq_hwtest::runner::Runner;
use nvmeq_hwtest::target::{guest_targets, guest_tcp_targets, GuestSet, Target};

#[derive(Parser, Debug)]
#[command(
    name = "nvmeq-hwtest",
    version,
    about = "NVMe conformance suite for nvmeq's backends"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
    /// Backend to test (`all`: every one compiled in).
    #[arg(long, global = true, default_value = "all")]
    backend: String,
    /// Seconds a single test may take before the suite is stopped.
    #[arg(long, global = true, default_value_t = 120)]
    test_timeout: u64,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Inside the nvmeq QEMU guest: every test on controllers A and B
    /// (from NVMEQ_CTRL_A, NVMEQ_NS_A, …), or C, D and E, writing tests included.
    Guest {
        /// The controllers: `ab`, `cde` (protection, FDP, small limits), or `c`
        /// (protection only).
        #[arg(long, value_enum, default_value = "ab")]
        set: GuestSet,
    },
    /// On a real host: read-only unless --allow-destructive --nsid N.
    Run {
        /// Controller char device, e.g. /dev/nvme0 (found from --ns when omitted).
        #[arg(long)]
        ctrl: Option<PathBuf>,
        /// Namespace device, e.g. /dev/ng0n1 or /dev/nvme0n1; or `vfio:BDF`, a
        /// controller bound to vfio-pci (namespace --nsid, else 1; VFIO backends only).
        #[arg(long)]
        ns: PathBuf,
        /// Allow tests that WRITE to the namespace (destroys its data). Needs --nsid.
        #[arg(long, requires = "nsid")]
        allow_destructive: bool,
        /// The namespace id you allow to be overwritten; must be --ns's.
        #[arg(long, requires = "allow_destructive")]
        nsid: Option<u32>,
        /// A zoned namespace device for the ZNS tests (only with --allow-destructive).
        #[arg(long, requires = "allow_destructive")]
        zns: Option<PathBuf>,
        /// Also compare Identify data with `nvme id-ctrl/id-ns -o json` (nvme-cli in PATH).
        #[arg(long)]
        nvme_cli: bool,
    },
    /// Inside the nvmeq QEMU guest: only the cross-backend differential
    /// check (`guest` runs it last, after every backend's suite).
    Differential,
    /// Lists the backends compiled in.
    Backends,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // After every backend of a full guest run, or alone.
    let differential = match cli.cmd {
        Cmd::Guest { set } => cli.backend == "all" && set == GuestSet::Ab,
        Cmd::Differential => true,
        _ => false,
    };
    let targets = match cli.cmd {
        Cmd::Backends => {
            for b in registry::names() {
                println!("{b}");
            }
            return ExitCode::SUCCESS;
        }
        Cmd::Differential => Vec::new(),
        // A fabrics backend's guest target is the guest's NVMe/TCP target.
        Cmd::Guest { .. } if registry::reach(&cli.backend) == Some(registry::Reach::Fabrics) => {
            match guest_tcp_targets() {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("nvmeq-hwtest guest: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        Cmd::Guest { set } => match guest_targets(set) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("nvmeq-hwtest guest: {e}");
                return ExitCode::from(2);
            }
        },
        Cmd::Run {
            ctrl,
            ns,
            allow_destructive,
            nsid,
            zns,
            nvme_cli,
        } => {
            if allow_destructive {
                eprintln!(
                    "WARNING: --allow-destructive: writing tests will OVERWRITE data on namespace {} ({}){}.",
                    nsid.unwrap_or(0),
                    ns.display(),
                    zns.as_ref().map(|z| format!(" and reset zones of {}", z.display())).unwrap_or_default()
                );
            } else {
                eprintln!(
                    "read-only run: identify, logs, features, reads and refused bad inputs only"
                );
            }
            vec![Target {
                label: "dev".into(),
                ctrl,
                ns,
                destructive: allow_destructive,
                named_nsid: nsid,
                differential: nvme_cli,
                zns,
                format: false,
            }]
        }
    };
    let vfio_named = targets
        .iter()
        .any(|t| t.ns.to_str().is_some_and(|n| n.starts_with("vfio:")));
    let tcp_named = targets
        .iter()
        .any(|t| t.ns.to_str().is_some_and(|n| n.starts_with("tcp:")));
    let backends: Vec<&str> = if cli.backend == "all" && tcp_named {
        registry::BACKENDS
            .iter()
            .filter(|e| e.reach == registry::Reach::Fabrics)
            .map(|e| e.name)
            .collect()
    } else if cli.backend == "all" && vfio_named {
        // A `vfio:BDF` name means nothing to the kernel's backends.
        registry::BACKENDS
            .iter()
            .filter(|e| e.reach == registry::Reach::Vfio)
            .map(|e| e.name)
            .collect()
    } else if cli.backend == "all" {
        // A `/dev` path means nothing to a fabrics backend (its own guest step
        // runs it on the NVMe/TCP target).
        registry::BACKENDS
            .iter()
            .filter(|e| e.reach != registry::Reach::Fabrics)
            .map(|e| e.name)
            .collect()
    } else {
        vec![cli.backend.as_str()]
    };
    if backends.is_empty() {
        eprintln!("nvmeq-hwtest: no backend compiled in (enable a cargo feature such as `ioctl`)");
        return ExitCode::from(2);
    }
    let runner = Runner::new(Duration::from_secs(cli.test_timeout));
    for b in &backends {
        for t in &targets {
            if let Err(e) = registry::run(b, t, &runner) {
                runner.record(&format!("{}/open", t.label), b, Outcome::Fail, e);
            }
        }
    }
    if differential {
        nvmeq_hwtest::differential::run_guest(&runner);
    }
    let rows = runner.rows();
    let _ = report::print(&rows, &mut std::io::stdout());
    let (_, failed, _) = report::counts(&rows);
    if failed == 0 && !rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
