//! `list-subsys` and `show-topology`: the kernel's NVM subsystems, their
//! controllers and namespaces, from sysfs ([`nvmeq_linux::topology`]), with
//! nvme-cli 2.13's JSON field names and text layout. Only what the kernel's
//! nvme driver holds is shown: a controller bound to vfio-pci, a `ram:`
//! controller or an nvmeq-tcp connection is no kernel controller and is
//! left out, as nvme-cli leaves it out (`nvmeq list` shows those).
//!
//! Tests point `NVMEQ_SYSFS_ROOT` at a fake tree (its `etc/nvme` too).

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use nvmeq_linux::topology::{self, Filter, Host, Subsystem};
use serde::Serialize;

use crate::error::{usage, CliError, Result};
use crate::output::{self, Format};

fn root() -> PathBuf {
    std::env::var_os("NVMEQ_SYSFS_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// `list-subsys` options.
#[derive(Debug, Args)]
pub struct ListSubsysArgs {
    /// Only the subsystem of this namespace (`nvmeXnY`, a path or a name),
    /// with each path's ANA state.
    #[arg(value_name = "DEVICE")]
    pub device: Option<String>,
    /// Also each subsystem's model, firmware, I/O policy and type.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// `show-topology -r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Ranking {
    /// Namespaces, each with the controllers that reach it.
    Namespace,
    /// Controllers, each with the namespaces it reaches.
    Ctrl,
}

/// `show-topology` options.
#[derive(Debug, Args)]
pub struct ShowTopologyArgs {
    /// What the text form ranks first (JSON is always by namespace, as nvme-cli).
    #[arg(short = 'r', long, value_enum, default_value = "namespace")]
    pub ranking: Ranking,
    /// Also each subsystem's model, firmware, I/O policy and type.
    #[arg(short = 'v', long)]
    pub verbose: bool,
}

/// One controller (or path) object of nvme-cli's JSON.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct PathJson<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Transport")]
    transport: &'a str,
    #[serde(rename = "Address")]
    address: Option<&'a str>,
    #[serde(rename = "State")]
    state: Option<&'a str>,
    #[serde(rename = "ANAState", skip_serializing_if = "Option::is_none")]
    ana_state: Option<&'a str>,
}

/// A namespace of `show-topology`'s JSON: its paths (multipath) or its one
/// controller.
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct NsJson<'a> {
    #[serde(rename = "NSID")]
    nsid: u32,
    #[serde(rename = "Paths", skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<PathJson<'a>>>,
    #[serde(rename = "Controller", skip_serializing_if = "Option::is_none")]
    controller: Option<Vec<PathJson<'a>>>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct SubsysJson<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "NQN")]
    nqn: &'a str,
    #[serde(rename = "Model", skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(rename = "Firmware", skip_serializing_if = "Option::is_none")]
    firmware: Option<Option<&'a str>>,
    #[serde(rename = "IOPolicy", skip_serializing_if = "Option::is_none")]
    iopolicy: Option<Option<&'a str>>,
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    subsystype: Option<&'a str>,
    #[serde(rename = "Paths", skip_serializing_if = "Option::is_none")]
    paths: Option<Vec<PathJson<'a>>>,
    #[serde(rename = "Namespaces", skip_serializing_if = "Option::is_none")]
    namespaces: Option<Vec<NsJson<'a>>>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct HostJson<'a> {
    #[serde(rename = "HostNQN")]
    hostnqn: &'a str,
    #[serde(rename = "HostID", skip_serializing_if = "Option::is_none")]
    hostid: Option<&'a str>,
    #[serde(rename = "Subsystems")]
    subsystems: Vec<SubsysJson<'a>>,
}

/// A controller of `s` by name.
fn ctrl<'a>(s: &'a Subsystem, name: &str) -> Option<&'a topology::Controller> {
    s.controllers.iter().find(|c| c.name == name)
}

fn ctrl_json<'a>(c: &'a topology::Controller, ana: Option<&'a str>) -> PathJson<'a> {
    PathJson {
        name: &c.name,
        transport: &c.transport,
        address: c.address.as_deref(),
        state: c.state.as_deref(),
        ana_state: ana,
    }
}

/// The paths of the subsystem's first namespace (nvme-cli's multipath view
/// for `list-subsys DEVICE`), or `None` when it has none.
fn first_ns_paths(s: &Subsystem) -> Option<Vec<PathJson<'_>>> {
    let n = s.namespaces.first()?;
    let v: Vec<PathJson<'_>> = n
        .paths
        .iter()
        .filter_map(|p| {
            let c = ctrl(s, &p.controller)?;
            Some(PathJson {
                ana_state: Some(&p.ana_state),
                ..ctrl_json(c, None)
            })
        })
        .collect();
    (!v.is_empty()).then_some(v)
}

fn subsys_json(s: &Subsystem, verbose: bool) -> SubsysJson<'_> {
    SubsysJson {
        name: &s.name,
        nqn: &s.nqn,
        model: verbose.then_some(s.model.as_str()),
        firmware: verbose.then_some(s.firmware.as_deref()),
        iopolicy: verbose.then_some(s.iopolicy.as_deref()),
        subsystype: verbose.then_some(s.subsystype.as_str()),
        paths: None,
        namespaces: None,
    }
}

fn is_multipath(s: &Subsystem) -> bool {
    s.namespaces.iter().any(|n| !n.paths.is_empty())
}

/// The namespaces of `show-topology`'s JSON.
fn topology_namespaces(s: &Subsystem) -> Vec<NsJson<'_>> {
    if !s.namespaces.is_empty() {
        return s
            .namespaces
            .iter()
            .map(|n| NsJson {
                nsid: n.nsid,
                paths: Some(
                    n.paths
                        .iter()
                        .filter_map(|p| {
                            Some(PathJson {
                                ana_state: Some(&p.ana_state),
                                ..ctrl_json(ctrl(s, &p.controller)?, None)
                            })
                        })
                        .collect(),
                ),
                controller: None,
            })
            .collect();
    }
    s.controllers
        .iter()
        .flat_map(|c| {
            c.namespaces.iter().map(move |&nsid| NsJson {
                nsid,
                paths: None,
                controller: Some(vec![ctrl_json(c, None)]),
            })
        })
        .collect()
}

/// `printf("%s", NULL)` in nvme-cli's text output.
fn or_null(s: Option<&str>) -> &str {
    s.unwrap_or("(null)")
}

/// The subsystem's heading lines, as nvme-cli writes them.
fn subsys_header(out: &mut String, h: &Host, s: &Subsystem, verbose: bool) {
    let pad = " ".repeat(s.name.len());
    let _ = writeln!(out, "{} - NQN={}", s.name, s.nqn);
    let _ = writeln!(out, "{pad}   hostnqn={}", h.hostnqn);
    if verbose {
        let _ = writeln!(out, "{pad}   model={}", s.model);
        let _ = writeln!(out, "{pad}   firmware={}", or_null(s.firmware.as_deref()));
        let _ = writeln!(out, "{pad}   iopolicy={}", or_null(s.iopolicy.as_deref()));
        let _ = writeln!(out, "{pad}   type={}", s.subsystype);
    }
    out.push_str("\\\n");
}

fn ctrl_line(c: &topology::Controller) -> String {
    format!(
        "{} {} {}",
        c.name,
        c.transport,
        or_null(c.address.as_deref())
    )
}

/// `list-subsys`'s text.
fn subsys_text(hosts: &[Host], show_ana: bool, verbose: bool) -> String {
    let mut out = String::new();
    let mut first = true;
    for h in hosts {
        for s in &h.subsystems {
            if !first {
                out.push('\n');
            }
            first = false;
            subsys_header(&mut out, h, s, verbose);
            let paths = if show_ana { first_ns_paths(s) } else { None };
            match paths {
                Some(ps) => {
                    for p in ps {
                        let _ = writeln!(
                            out,
                            " +- {} {} {} {} {}",
                            p.name,
                            p.transport,
                            or_null(p.address),
                            or_null(p.state),
                            or_null(p.ana_state)
                        );
                    }
                }
                None => {
                    for c in &s.controllers {
                        let _ =
                            writeln!(out, " +- {} {}", ctrl_line(c), or_null(c.state.as_deref()));
                    }
                }
            }
        }
    }
    out
}

/// `show-topology`'s text.
fn topology_text(hosts: &[Host], ranking: Ranking, verbose: bool) -> String {
    let mut out = String::new();
    let mut first = true;
    for h in hosts {
        for s in &h.subsystems {
            if !first {
                out.push('\n');
            }
            first = false;
            subsys_header(&mut out, h, s, verbose);
            let multipath = is_multipath(s);
            match (multipath, ranking) {
                (true, Ranking::Namespace) => {
                    for n in s.namespaces.iter().filter(|n| !n.paths.is_empty()) {
                        let _ = writeln!(out, " +- ns {}\n \\", n.nsid);
                        for p in &n.paths {
                            if let Some(c) = ctrl(s, &p.controller) {
                                let _ = writeln!(
                                    out,
                                    "  +- {} {} {}",
                                    ctrl_line(c),
                                    or_null(c.state.as_deref()),
                                    p.ana_state
                                );
                            }
                        }
                    }
                }
                (true, Ranking::Ctrl) => {
                    for c in &s.controllers {
                        let _ = writeln!(out, " +- {}\n \\", ctrl_line(c));
                        for n in &s.namespaces {
                            for p in n.paths.iter().filter(|p| p.controller == c.name) {
                                let _ = writeln!(
                                    out,
                                    "  +- ns {} {} {}",
                                    n.nsid,
                                    or_null(c.state.as_deref()),
                                    p.ana_state
                                );
                            }
                        }
                    }
                }
                (false, Ranking::Namespace) => {
                    for c in &s.controllers {
                        for nsid in &c.namespaces {
                            let _ = writeln!(
                                out,
                                " +- ns {nsid}\n \\\n  +- {} {}",
                                ctrl_line(c),
                                or_null(c.state.as_deref())
                            );
                        }
                    }
                }
                (false, Ranking::Ctrl) => {
                    for c in &s.controllers {
                        let _ = writeln!(out, " +- {}\n \\", ctrl_line(c));
                        for nsid in &c.namespaces {
                            let _ = writeln!(out, "  +- ns {nsid} {}", or_null(c.state.as_deref()));
                        }
                    }
                }
            }
        }
    }
    out
}

fn scan(filter: Filter<'_>) -> Result<Vec<Host>> {
    let root = root();
    let mut host = topology::default_host(&root);
    topology::scan(&root, filter, &mut host)
        .map_err(|e| CliError::io("reading the host's NQN and ID", e))
}

/// The JSON of `list-subsys`.
fn subsys_json_all(hosts: &[Host], show_ana: bool, verbose: bool) -> Vec<HostJson<'_>> {
    hosts
        .iter()
        .map(|h| HostJson {
            hostnqn: &h.hostnqn,
            hostid: h.hostid.as_deref(),
            subsystems: h
                .subsystems
                .iter()
                .map(|s| {
                    let paths = show_ana.then(|| first_ns_paths(s)).flatten();
                    SubsysJson {
                        paths: Some(paths.unwrap_or_else(|| {
                            s.controllers.iter().map(|c| ctrl_json(c, None)).collect()
                        })),
                        ..subsys_json(s, verbose)
                    }
                })
                .collect(),
        })
        .collect()
}

/// The JSON of `show-topology`.
fn topology_json(hosts: &[Host], verbose: bool) -> Vec<HostJson<'_>> {
    hosts
        .iter()
        .map(|h| HostJson {
            hostnqn: &h.hostnqn,
            hostid: h.hostid.as_deref(),
            subsystems: h
                .subsystems
                .iter()
                .map(|s| SubsysJson {
                    namespaces: Some(topology_namespaces(s)),
                    ..subsys_json(s, verbose)
                })
                .collect(),
        })
        .collect()
}

/// Runs `list-subsys`.
pub fn list_subsys(fmt: Format, a: &ListSubsysArgs) -> Result<()> {
    let name = a
        .device
        .as_deref()
        .map(|d| d.rsplit('/').next().unwrap_or(d));
    if let Some(n) = name {
        if topology::namespace_name(n).is_none() {
            return Err(usage(format!(
                "list-subsys: {n} is not a namespace device name (nvmeXnY)"
            )));
        }
    }
    let hosts = scan(name.map_or(Filter::All, Filter::Namespace))?;
    let show_ana = name.is_some();
    match fmt {
        Format::Json => output::json(&subsys_json_all(&hosts, show_ana, a.verbose)),
        Format::Normal => output::text(&subsys_text(&hosts, show_ana, a.verbose)),
        Format::Binary => Err(usage(
            "list-subsys has no binary form: use -o normal or -o json",
        )),
    }
}

/// Runs `show-topology`.
pub fn show_topology(fmt: Format, a: &ShowTopologyArgs) -> Result<()> {
    let hosts = scan(Filter::All)?;
    match fmt {
        Format::Json => output::json(&topology_json(&hosts, a.verbose)),
        Format::Normal => output::text(&topology_text(&hosts, a.ranking, a.verbose)),
        Format::Binary => Err(usage(
            "show-topology has no binary form: use -o normal or -o json",
        )),
    }
}
