//! `connect`, `connect-all`, `disconnect`, `disconnect-all`: the kernel's
//! NVMe over Fabrics host, driven as `nvme connect` drives it (the option
//! string to `/dev/nvme-fabrics`, `delete_controller` in sysfs), with
//! nvme-cli 2.13's option names and messages. `connect-all` reads the
//! Discovery log through nvmeq's own NVMe/TCP initiator, so no temporary
//! kernel discovery controller is made.

use clap::Args;
use nvmeq_core::fabrics::discovery::{DiscoveryEntry, DiscoveryLog, SubType, TrType};
use nvmeq_linux::fabrics::{
    self, ConnectOptions, Connected, FabricsController, FabricsError, Transport, DISCOVERY_NQN,
};
use nvmeq_linux::Sysfs;
use serde::Serialize;

use crate::error::{usage, CliError, Result};
use crate::output::{self, Format};

/// Options every connect takes (nvme-cli's `NVMF_ARGS`).
#[derive(Debug, Args)]
pub struct FabricsArgs {
    /// Transport: tcp, rdma, fc or loop.
    #[arg(short = 't', long)]
    pub transport: Option<String>,
    /// Subsystem NQN.
    #[arg(short = 'n', long)]
    pub nqn: Option<String>,
    /// Transport address of the target.
    #[arg(short = 'a', long)]
    pub traddr: Option<String>,
    /// Transport service id (the TCP port; default 4420, 8009 for discovery).
    #[arg(short = 's', long)]
    pub trsvcid: Option<String>,
    /// Local address to connect from.
    #[arg(short = 'w', long = "host-traddr")]
    pub host_traddr: Option<String>,
    /// Local interface to connect through.
    #[arg(short = 'f', long = "host-iface")]
    pub host_iface: Option<String>,
    /// This host's NQN (default: LIBNVME_HOSTNQN, /etc/nvme/hostnqn, else generated).
    #[arg(short = 'q', long)]
    pub hostnqn: Option<String>,
    /// This host's ID (default: LIBNVME_HOSTID, /etc/nvme/hostid, else from the NQN or generated).
    #[arg(short = 'I', long)]
    pub hostid: Option<String>,
    /// DH-HMAC-CHAP host secret.
    #[arg(short = 'S', long = "dhchap-secret")]
    pub dhchap_secret: Option<String>,
    /// I/O queues.
    #[arg(short = 'i', long = "nr-io-queues")]
    pub nr_io_queues: Option<u32>,
    /// Additional write queues.
    #[arg(short = 'W', long = "nr-write-queues")]
    pub nr_write_queues: Option<u32>,
    /// Additional poll queues.
    #[arg(short = 'P', long = "nr-poll-queues")]
    pub nr_poll_queues: Option<u32>,
    /// Entries per I/O queue.
    #[arg(short = 'Q', long = "queue-size")]
    pub queue_size: Option<u32>,
    /// Keep Alive Timeout, seconds.
    #[arg(short = 'k', long = "keep-alive-tmo")]
    pub keep_alive_tmo: Option<u32>,
    /// Reconnect delay, seconds.
    #[arg(short = 'c', long = "reconnect-delay")]
    pub reconnect_delay: Option<u32>,
    /// Controller loss timeout, seconds (-1: never give up).
    #[arg(short = 'l', long = "ctrl-loss-tmo", allow_hyphen_values = true)]
    pub ctrl_loss_tmo: Option<i32>,
    /// Fast I/O fail timeout, seconds.
    #[arg(short = 'F', long = "fast_io_fail_tmo")]
    pub fast_io_fail_tmo: Option<u32>,
    /// IP type of service.
    #[arg(short = 'T', long)]
    pub tos: Option<u32>,
    /// Connect even if a controller to the same target exists.
    #[arg(short = 'D', long = "duplicate-connect")]
    pub duplicate_connect: bool,
    /// Disable SQ flow control.
    #[arg(long = "disable-sqflow")]
    pub disable_sqflow: bool,
    /// Header digests (TCP).
    #[arg(short = 'g', long = "hdr-digest")]
    pub hdr_digest: bool,
    /// Data digests (TCP).
    #[arg(short = 'G', long = "data-digest")]
    pub data_digest: bool,
}

/// `nvmeq connect` options.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub f: FabricsArgs,
    /// DH-HMAC-CHAP controller secret (bidirectional authentication).
    #[arg(short = 'C', long = "dhchap-ctrl-secret")]
    pub dhchap_ctrl_secret: Option<String>,
}

/// `nvmeq connect-all` options.
#[derive(Debug, Args)]
pub struct ConnectAllArgs {
    #[command(flatten)]
    pub f: FabricsArgs,
    /// Do not report subsystems that are already connected.
    #[arg(long)]
    pub quiet: bool,
}

/// `nvmeq disconnect` options.
#[derive(Debug, Args)]
pub struct DisconnectArgs {
    /// Disconnect every controller of these subsystems (comma-separated NQNs).
    #[arg(short = 'n', long)]
    pub nqn: Option<String>,
    /// Disconnect these controllers (comma-separated, `nvme1` or `/dev/nvme1`).
    #[arg(short = 'd', long)]
    pub device: Option<String>,
}

/// `nvmeq disconnect-all` options.
#[derive(Debug, Args)]
pub struct DisconnectAllArgs {
    /// Only controllers of this transport.
    #[arg(short = 'r', long)]
    pub transport: Option<String>,
}

/// What `connect -o json` prints (nvme-cli's `device`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ConnectMsg {
    device: String,
}

fn fab(e: FabricsError) -> CliError {
    CliError::Device(e.to_string())
}

impl FabricsArgs {
    /// The options for a connect to `nqn` over `transport` at `traddr:trsvcid`,
    /// with everything else from the command line. The host NQN and ID are
    /// the options, else the host's as nvme-cli finds them (`LIBNVME_HOSTNQN`,
    /// /etc/nvme/hostnqn and hostid, each derived from the other, generated
    /// when neither is configured).
    fn options(
        &self,
        transport: Transport,
        nqn: String,
        traddr: Option<String>,
        trsvcid: Option<String>,
    ) -> ConnectOptions {
        let mut o = ConnectOptions::new(transport, nqn);
        o.traddr = traddr;
        o.trsvcid = trsvcid;
        o.host_traddr = self.host_traddr.clone();
        o.host_iface = self.host_iface.clone();
        let host = nvmeq_linux::host::HostConfig::from_env("/");
        let ids = host.default_ids().ok();
        o.hostnqn = self
            .hostnqn
            .clone()
            .or_else(|| ids.as_ref().map(|i| i.hostnqn.clone()));
        o.hostid = self.hostid.clone().or_else(|| ids.map(|i| i.hostid));
        o.dhchap_secret = self.dhchap_secret.clone();
        o.nr_io_queues = self.nr_io_queues;
        o.nr_write_queues = self.nr_write_queues;
        o.nr_poll_queues = self.nr_poll_queues;
        o.queue_size = self.queue_size;
        o.keep_alive_tmo = self.keep_alive_tmo;
        o.reconnect_delay = self.reconnect_delay;
        if let Some(l) = self.ctrl_loss_tmo {
            o.ctrl_loss_tmo = l;
        }
        o.fast_io_fail_tmo = self.fast_io_fail_tmo;
        o.tos = self.tos;
        o.duplicate_connect = self.duplicate_connect;
        o.disable_sqflow = self.disable_sqflow;
        o.hdr_digest = self.hdr_digest;
        o.data_digest = self.data_digest;
        o
    }

    fn transport(&self) -> Result<Transport> {
        let t = self
            .transport
            .as_deref()
            .ok_or_else(|| usage("required argument [--transport | -t] not specified"))?;
        t.parse().map_err(|e: FabricsError| usage(e.to_string()))
    }
}

/// The controller already connected to the target `o` names, if any (as
/// `nvme connect` checks before asking the kernel).
fn existing(sys: &Sysfs, o: &ConnectOptions) -> Option<FabricsController> {
    fabrics::fabrics_controllers(sys).into_iter().find(|c| {
        c.matches(o) && (o.hostnqn.is_none() || c.hostnqn.is_none() || c.hostnqn == o.hostnqn)
    })
}

fn connect_one(sys: &Sysfs, o: &ConnectOptions) -> std::result::Result<Connected, String> {
    if !o.duplicate_connect {
        if let Some(c) = existing(sys, o) {
            return Err(format!(
                "already connected: {} is that target (pass --duplicate-connect/-D for another)",
                c.name
            ));
        }
    }
    fabrics::connect(o).map_err(|e| e.to_string())
}

/// Runs `nvmeq connect`.
pub fn connect(fmt: Format, a: &ConnectArgs) -> Result<()> {
    let nqn =
        a.f.nqn
            .clone()
            .ok_or_else(|| usage("required argument [--nqn | -n] not specified"))?;
    let transport = a.f.transport()?;
    if transport != Transport::Loop && a.f.traddr.is_none() {
        return Err(usage(format!(
            "required argument [--traddr | -a] not specified for transport {transport}"
        )));
    }
    let mut o =
        a.f.options(transport, nqn, a.f.traddr.clone(), a.f.trsvcid.clone());
    o.dhchap_ctrl_secret = a.dhchap_ctrl_secret.clone();
    o.to_kernel_string().map_err(|e| usage(e.to_string()))?;
    let c = connect_one(&Sysfs::new(), &o).map_err(CliError::Device)?;
    match fmt {
        Format::Json => output::json(&ConnectMsg { device: c.name() }),
        _ => output::text(&format!("connecting to device: {}\n", c.name())),
    }
}

fn trimmed(s: Option<&str>) -> Option<String> {
    s.map(|s| s.trim_end().to_string())
        .filter(|s| !s.is_empty())
}

/// How many discovery controllers deep `connect-all` follows referrals.
const MAX_REFERRAL_DEPTH: u32 = 4;

/// Runs `nvmeq connect-all`: the Discovery log of the target, then a kernel
/// connect to every NVM subsystem in it not yet connected.
pub fn connect_all(a: &ConnectAllArgs) -> Result<()> {
    let transport = a.f.transport()?;
    if transport != Transport::Tcp {
        return Err(usage(format!(
            "connect-all reads the Discovery log with nvmeq's NVMe/TCP initiator: transport {transport} is not supported (use tcp)"
        )));
    }
    let traddr = a.f.traddr.clone().ok_or_else(|| {
        usage("required argument [--traddr | -a] not specified for transport tcp")
    })?;
    let trsvcid = a.f.trsvcid.clone().unwrap_or_else(|| "8009".into());
    let nqn = a.f.nqn.clone().unwrap_or_else(|| DISCOVERY_NQN.into());
    let sys = Sysfs::new();
    let mut failed = 0;
    let mut todo = vec![(traddr, trsvcid, nqn, 0u32)];
    let mut seen = Vec::new();
    while let Some((addr, port, dnqn, depth)) = todo.pop() {
        if seen.contains(&(addr.clone(), port.clone())) {
            continue;
        }
        seen.push((addr.clone(), port.clone()));
        let p: u16 = port
            .parse()
            .map_err(|_| usage(format!("--trsvcid `{port}`: not a TCP port")))?;
        let mut t = nvmeq::tcp::TcpOptions::new(addr.clone(), p, dnqn);
        t.hostnqn = a.f.hostnqn.clone();
        let page = nvmeq::tcp::discover(&t).map_err(|e| {
            CliError::Device(format!(
                "failed to get discovery log from {addr}:{port}: {e}"
            ))
        })?;
        let log = DiscoveryLog::parse(&page)
            .map_err(|e| CliError::Device(format!("Discovery log page: {e}")))?;
        for e in log.entries() {
            if e.trtype() != TrType::TCP {
                continue;
            }
            let (Some(eaddr), Some(eport), Some(enqn)) = (
                trimmed(e.traddr()),
                trimmed(e.trsvcid()),
                trimmed(e.subnqn()),
            ) else {
                eprintln!("skipping a Discovery log entry without address, port or NQN");
                continue;
            };
            match e.subtype() {
                SubType::NVME => {}
                SubType::REFERRAL | SubType::CURRENT_DISCOVERY => {
                    if depth < MAX_REFERRAL_DEPTH && !duplicate_info(e) {
                        todo.push((eaddr, eport, enqn, depth + 1));
                    }
                    continue;
                }
                _ => continue,
            }
            let o = a.f.options(
                Transport::Tcp,
                enqn.clone(),
                Some(eaddr.clone()),
                Some(eport.clone()),
            );
            if existing(&sys, &o).is_some() && !a.f.duplicate_connect {
                if !a.quiet {
                    eprintln!(
                        "already connected to hostnqn={},nqn={enqn},transport=tcp,traddr={eaddr},trsvcid={eport}",
                        o.hostnqn.as_deref().unwrap_or("(kernel default)")
                    );
                }
                continue;
            }
            if let Err(err) = fabrics::connect(&o) {
                if fabrics::is_already_connected(&err) && a.quiet {
                    continue;
                }
                eprintln!("{enqn} at {eaddr}:{eport}: {err}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        return Err(CliError::Device(format!(
            "connect-all: {failed} subsystem(s) could not be connected"
        )));
    }
    Ok(())
}

/// EFLAGS bit 0: this entry returns what the current discovery controller does.
fn duplicate_info(e: &DiscoveryEntry) -> bool {
    e.eflags.get() & 1 != 0
}

/// Runs `nvmeq disconnect`.
pub fn disconnect(a: &DisconnectArgs) -> Result<()> {
    let sys = Sysfs::new();
    match (&a.nqn, &a.device) {
        (Some(_), Some(_)) => Err(usage(
            "Both device name [--device | -d] and NQN [--nqn | -n] are specified",
        )),
        (None, None) => Err(usage(
            "Neither device name [--device | -d] nor NQN [--nqn | -n] provided",
        )),
        (Some(nqns), None) => {
            let wanted: Vec<&str> = nqns.split(',').filter(|n| !n.is_empty()).collect();
            let mut n = 0;
            let mut errors = Vec::new();
            for c in fabrics::fabrics_controllers(&sys) {
                if wanted.contains(&c.subsysnqn.as_str()) {
                    match fabrics::disconnect(&sys, &c.name) {
                        Ok(()) => n += 1,
                        Err(e) => errors.push(e.to_string()),
                    }
                }
            }
            output::text(&format!("NQN:{nqns} disconnected {n} controller(s)\n"))?;
            match errors.is_empty() {
                true => Ok(()),
                false => Err(CliError::Device(errors.join("\n"))),
            }
        }
        (None, Some(devs)) => {
            for d in devs.split(',').filter(|d| !d.is_empty()) {
                fabrics::disconnect(&sys, d).map_err(fab)?;
            }
            Ok(())
        }
    }
}

/// Runs `nvmeq disconnect-all`: every controller but PCIe ones, or those of
/// one transport.
pub fn disconnect_all(a: &DisconnectAllArgs) -> Result<()> {
    if let Some(t) = &a.transport {
        t.parse::<Transport>().map_err(|e| usage(e.to_string()))?;
    }
    let sys = Sysfs::new();
    let mut errors = Vec::new();
    for c in fabrics::fabrics_controllers(&sys) {
        if a.transport.as_deref().is_some_and(|t| t != c.transport) {
            continue;
        }
        if let Err(e) = fabrics::disconnect(&sys, &c.name) {
            errors.push(format!("failed to disconnect {}: {e}", c.name));
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(CliError::Device(errors.join("\n"))),
    }
}
