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
    /// (from NVMEQ_CTRL_A, NVMEQ_NS_A, …), or C, D and E, or the fault rows
    /// on F, writing tests included.
    Guest {
        /// The controllers: `ab`, `cde` (protection, FDP, small limits), `c`
        /// (protection only), or `f` (fault injection).
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
    /// Random stamped writes, checked reads, flushes and deallocations for
    /// --seconds, then a read-back of everything written, with one backend
    /// (--backend NAME). In the guest without --ns: controller A's nsid 1
    /// and C's nsid 1 (PI type 1), or the NVMe/TCP target, time split evenly.
    Soak {
        /// Seconds of random workload in all (the final read-back is extra).
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Commands in flight at most (bounded by the backend and the controller).
        #[arg(long, default_value_t = 16)]
        qd: u32,
        /// Seeds the workload and the stamps, mixed with the backend's and
        /// target's names (default: from the clock; each run prints its own).
        #[arg(long)]
        seed: Option<u64>,
        /// MiB of the namespace written, from LBA 0 (at most the namespace).
        #[arg(long, default_value_t = 16)]
        region_mib: u64,
        /// Namespace to soak (device, `vfio:BDF`, `tcp://…`, `ram:512`) instead
        /// of the guest's; a device needs --allow-destructive --nsid N.
        #[arg(long)]
        ns: Option<PathBuf>,
        /// Controller char device for --ns (found from --ns when omitted).
        #[arg(long, requires = "ns")]
        ctrl: Option<PathBuf>,
        /// Allow the soak to OVERWRITE --ns. Needs --nsid.
        #[arg(long, requires = "nsid")]
        allow_destructive: bool,
        /// The namespace id you allow to be overwritten; must be --ns's.
        #[arg(long, requires = "allow_destructive")]
        nsid: Option<u32>,
    },
    /// Lists the backends compiled in.
    Backends,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Cmd::Soak { .. } = cli.cmd {
        return soak(&cli);
    }
    // After every backend of a full guest run, or alone.
    let differential = match cli.cmd {
        Cmd::Guest { set } => cli.backend == "all" && set == GuestSet::Ab,
        Cmd::Differential => true,
        _ => false,
    };
    let guest_faults = matches!(cli.cmd, Cmd::Guest { set: GuestSet::F });
    let targets = match cli.cmd {
        Cmd::Backends => {
            for b in registry::names() {
                println!("{b}");
            }
            return ExitCode::SUCCESS;
        }
        Cmd::Differential | Cmd::Soak { .. } => Vec::new(),
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
                fault: None,
            }]
        }
    };
    // Controller F's fault rows are `guest --set f`; a guest without F gets SKIP rows
    // saying why.
    let mut targets = targets;
    let mut faults_absent = None;
    if guest_faults && registry::reach(&cli.backend) != Some(registry::Reach::Fabrics) {
        match nvmeq_hwtest::faults::guest_targets() {
            Ok(f) => targets.extend(f),
            Err(why) => faults_absent = Some(why),
        }
    }
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
    if let Some(why) = &faults_absent {
        for b in &backends {
            nvmeq_hwtest::faults::skip_all(&runner, b, why);
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

/// `nvmeq-hwtest soak`: 0 when every target passed, 1 on a failure or
/// mismatch, 2 on bad arguments, 3 when every target was skipped.
fn soak(cli: &Cli) -> ExitCode {
    let Cmd::Soak {
        seconds,
        qd,
        seed,
        region_mib,
        ns,
        ctrl,
        allow_destructive,
        nsid,
    } = &cli.cmd
    else {
        unreachable!("called for soak only")
    };
    let name = cli.backend.as_str();
    let Some(reach) = registry::reach(name) else {
        eprintln!(
            "nvmeq-hwtest soak: --backend names one backend: {:?}",
            registry::names().collect::<Vec<_>>()
        );
        return ExitCode::from(2);
    };
    let targets = match soak_targets(reach, ns.as_ref(), ctrl.as_ref(), *allow_destructive, *nsid) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("nvmeq-hwtest soak: {e}");
            return ExitCode::from(2);
        }
    };
    let seed = seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    let share = Duration::from_secs(*seconds) / targets.len() as u32;
    let (mut failed, mut skipped) = (0, 0);
    for t in &targets {
        let o = nvmeq_hwtest::soak::Options {
            duration: share,
            qd: *qd,
            seed: nvmeq_hwtest::soak::run_seed(seed, name, &t.label),
            region_bytes: region_mib << 20,
            ..Default::default()
        };
        match registry::soak(name, t, &o) {
            nvmeq_hwtest::soak::Outcome::Done(r) => {
                println!("{r}");
                failed += usize::from(!r.passed());
            }
            nvmeq_hwtest::soak::Outcome::Skipped(why) => {
                println!("SOAK {name} {}: SKIP: {why}", t.label);
                skipped += 1;
            }
            nvmeq_hwtest::soak::Outcome::Failed(why) => {
                println!("SOAK {name} {}: FAIL: {why}", t.label);
                failed += 1;
            }
        }
    }
    if failed > 0 {
        ExitCode::FAILURE
    } else if skipped == targets.len() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// The soak's targets: --ns (a device only with --allow-destructive), or the
/// guest's for the backend's reach.
fn soak_targets(
    reach: registry::Reach,
    ns: Option<&PathBuf>,
    ctrl: Option<&PathBuf>,
    allow_destructive: bool,
    nsid: Option<u32>,
) -> Result<Vec<Target>, String> {
    if let Some(ns) = ns {
        let in_memory = reach == registry::Reach::Memory;
        if !in_memory && !allow_destructive {
            return Err(format!(
                "the soak OVERWRITES {}: pass --allow-destructive --nsid N to allow it",
                ns.display()
            ));
        }
        return Ok(vec![Target {
            label: "dev".into(),
            ctrl: ctrl.cloned(),
            ns: ns.clone(),
            destructive: true,
            named_nsid: nsid,
            differential: false,
            zns: None,
            format: false,
            fault: None,
        }]);
    }
    match reach {
        registry::Reach::Memory => Ok(vec![Target::ram("ram", "ram:512")]),
        registry::Reach::Fabrics => Ok(guest_tcp_targets()?.into_iter().take(1).collect()),
        registry::Reach::Kernel | registry::Reach::Vfio => {
            // A (plain, 512 B) and C1 (PI type 1, 512 + 8).
            let ab = guest_targets(GuestSet::Ab)?;
            let c = guest_targets(GuestSet::C)?;
            Ok(ab
                .into_iter()
                .take(1)
                .chain(c.into_iter().take(1))
                .collect())
        }
    }
}
