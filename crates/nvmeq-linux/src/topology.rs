//! The kernel's NVMe topology: hosts, their NVM subsystems, each
//! subsystem's controllers and namespaces, and (with native multipath) each
//! namespace's paths, from `/sys/class/nvme` and `/sys/class/nvme-subsystem`,
//! walked in the order libnvme 1.13 walks them so that `list-subsys` and
//! `show-topology` print what nvme-cli 2.13 prints:
//!
//! - controllers in name order (byte order: `nvme10` before `nvme2`); each
//!   joins the host its `hostnqn`/`hostid` attributes name (fabrics), or
//!   the default host ([`HostConfig::default_ids`]) when it has none (PCIe);
//!   its subsystem is the first `nvme-subsysN` (in name order) that holds a
//!   link named after it, so subsystems come in the order of their first
//!   controller;
//! - a controller's paths (`nvmeXcYnZ`) and private namespaces (`nvmeXnY`,
//!   without multipath) in name order;
//! - a subsystem's multipath heads (`nvmeXnY` in its directory) in name
//!   order, each with the paths of its controllers whose name says
//!   `nvmeXc*nY`; a subsystem no controller named is added to the default
//!   host after the others.
//!
//! Attributes read as libnvme reads them: one trailing newline and trailing
//! spaces dropped, empty means absent.

use std::path::{Path, PathBuf};

use crate::host::{HostConfig, HostIds};

/// A host and the subsystems it reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// Host NQN.
    pub hostnqn: String,
    /// Host Identifier, when known.
    pub hostid: Option<String>,
    /// Its subsystems, in scan order.
    pub subsystems: Vec<Subsystem>,
}

/// An NVM subsystem (`/sys/class/nvme-subsystem/nvme-subsysN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subsystem {
    /// `nvme-subsysN`.
    pub name: String,
    /// `subsysnqn`.
    pub nqn: String,
    /// `model` (`undefined` when absent, as libnvme says).
    pub model: String,
    /// `firmware_rev`.
    pub firmware: Option<String>,
    /// `iopolicy`.
    pub iopolicy: Option<String>,
    /// `subsystype`; when absent `discovery` for the discovery NQN, else `nvm`.
    pub subsystype: String,
    /// Its controllers, in scan order.
    pub controllers: Vec<Controller>,
    /// Its multipath heads.
    pub namespaces: Vec<Namespace>,
}

/// A controller (`/sys/class/nvme/nvmeN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Controller {
    /// `nvmeN`.
    pub name: String,
    /// `transport` (`pcie`, `tcp`, `rdma`, `fc`, `loop`).
    pub transport: String,
    /// `address` (for PCIe without one: the PCI function its device links to).
    pub address: Option<String>,
    /// `state` (`live`, `resetting`, …).
    pub state: Option<String>,
    /// Namespace IDs of its private namespaces (`nvmeXnY` in its directory:
    /// no multipath).
    pub namespaces: Vec<u32>,
}

/// A multipath namespace head (`nvmeXnY` in the subsystem's directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    /// `nvmeXnY`.
    pub name: String,
    /// `nsid`.
    pub nsid: u32,
    /// Its paths, one per controller that reaches it.
    pub paths: Vec<NsPath>,
}

/// One path of a multipath namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsPath {
    /// The controller's name (`nvmeN`), an index into nothing: look it up
    /// in the subsystem's [`Subsystem::controllers`].
    pub controller: String,
    /// `ana_state` of the path (`optimized` when the controller has no ANA).
    pub ana_state: String,
}

/// The NQN of the discovery subsystem (NVMe Base 2.1, 4.7).
pub const DISCOVERY_NQN: &str = "nqn.2014-08.org.nvmexpress.discovery";

/// An attribute as libnvme reads it.
pub fn attr(dir: &Path, name: &str) -> Option<String> {
    let s = std::fs::read_to_string(dir.join(name)).ok()?;
    let s = s.strip_suffix('\n').unwrap_or(&s);
    let s = s.trim_end_matches(' ');
    (!s.is_empty()).then(|| s.to_string())
}

fn sorted(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| keep(n))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `prefix` then decimal digits, then `rest`: the digits' value.
fn number_after<'a>(s: &'a str, prefix: &str) -> Option<(u32, &'a str)> {
    let s = s.strip_prefix(prefix)?;
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// `nvmeN` → N.
pub fn controller_instance(name: &str) -> Option<u32> {
    match number_after(name, "nvme")? {
        (n, "") => Some(n),
        _ => None,
    }
}

/// `nvmeXnY` → (X, Y).
pub fn namespace_name(name: &str) -> Option<(u32, u32)> {
    let (x, rest) = number_after(name, "nvme")?;
    match number_after(rest, "n")? {
        (y, "") => Some((x, y)),
        _ => None,
    }
}

/// `nvmeXcYnZ` → (X, Y, Z).
pub fn path_name(name: &str) -> Option<(u32, u32, u32)> {
    let (x, rest) = number_after(name, "nvme")?;
    let (y, rest) = number_after(rest, "c")?;
    match number_after(rest, "n")? {
        (z, "") => Some((x, y, z)),
        _ => None,
    }
}

/// `nvme-subsysN` → N.
pub fn subsystem_instance(name: &str) -> Option<u32> {
    match number_after(name, "nvme-subsys")? {
        (n, "") => Some(n),
        _ => None,
    }
}

/// Which part of the topology to keep: everything, or (nvme-cli's
/// `list-subsys nvmeXnY`) subsystem X and its namespace `nvmeXnY` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter<'a> {
    /// The whole topology.
    All,
    /// The namespace head of this name (`nvmeXnY`).
    Namespace(&'a str),
}

/// A private path record while scanning.
struct ScannedPath {
    name: String,
    ana_state: String,
}

/// The topology under `root` (`root/sys/class/…`). `default_host` is asked
/// for at most once, when a controller or subsystem has no host of its own.
pub fn scan(
    root: &Path,
    filter: Filter<'_>,
    default_host: &mut dyn FnMut() -> std::io::Result<HostIds>,
) -> std::io::Result<Vec<Host>> {
    let class = root.join("sys/class/nvme");
    let subsys_dir = root.join("sys/class/nvme-subsystem");
    let subsystems = sorted(&subsys_dir, |n| subsystem_instance(n).is_some());
    let keep_instance = match filter {
        Filter::All => None,
        Filter::Namespace(n) => Some(namespace_name(n).map(|(x, _)| x)),
    };
    let keep_subsys = |name: &str| match keep_instance {
        None => true,
        Some(x) => subsystem_instance(name) == x,
    };
    let mut hosts: Vec<Host> = Vec::new();
    let mut default: Option<HostIds> = None;
    // Paths of each controller, by controller name, for the heads below.
    let mut paths: Vec<(String, Vec<ScannedPath>)> = Vec::new();
    for name in sorted(&class, |n| controller_instance(n).is_some()) {
        let dir = class.join(&name);
        let hi = match attr(&dir, "hostnqn") {
            Some(nqn) => host_index(&mut hosts, &nqn, attr(&dir, "hostid").as_deref()),
            None => default_index(&mut hosts, &mut default, default_host)?,
        };
        let Some(nqn) = attr(&dir, "subsysnqn") else {
            continue;
        };
        let Some(sname) = subsystems
            .iter()
            .find(|s| subsys_dir.join(s).join(&name).exists())
        else {
            continue;
        };
        if !keep_subsys(sname) {
            continue;
        }
        let Some(transport) = attr(&dir, "transport") else {
            continue;
        };
        let address = attr(&dir, "address").or_else(|| {
            (transport == "pcie")
                .then(|| pci_function_of(&dir))
                .flatten()
        });
        let namespaces = sorted(&dir, |n| namespace_name(n).is_some())
            .iter()
            .filter(|n| match filter {
                Filter::All => true,
                Filter::Namespace(want) => n.as_str() == want,
            })
            .filter_map(|n| nsid_of(&dir.join(n)))
            .collect();
        let ps = sorted(&dir, |n| path_name(n).is_some())
            .into_iter()
            .map(|p| ScannedPath {
                ana_state: attr(&dir.join(&p), "ana_state").unwrap_or_else(|| "optimized".into()),
                name: p,
            })
            .collect();
        paths.push((name.clone(), ps));
        let s = subsystem_in(&mut hosts[hi], sname, &nqn, &subsys_dir);
        s.controllers.push(Controller {
            name,
            transport,
            address,
            state: attr(&dir, "state"),
            namespaces,
        });
    }
    for sname in subsystems.iter().filter(|s| keep_subsys(s)) {
        let dir = subsys_dir.join(sname);
        let Some(nqn) = attr(&dir, "subsysnqn") else {
            continue;
        };
        let found = hosts
            .iter()
            .position(|h| h.subsystems.iter().any(|s| &s.name == sname));
        let hi = match found {
            Some(i) => i,
            None => default_index(&mut hosts, &mut default, default_host)?,
        };
        let s = subsystem_in(&mut hosts[hi], sname, &nqn, &subsys_dir);
        if s.nqn != nqn {
            continue;
        }
        for head in sorted(&dir, |n| namespace_name(n).is_some()) {
            if let Filter::Namespace(want) = filter {
                if head != want {
                    continue;
                }
            }
            let Some(nsid) = nsid_of(&dir.join(&head)) else {
                continue;
            };
            let (x, y) = namespace_name(&head).unwrap();
            let mut ns_paths = Vec::new();
            for c in &s.controllers {
                let Some((_, ps)) = paths.iter().find(|(n, _)| n == &c.name) else {
                    continue;
                };
                for p in ps {
                    if let Some((px, _, pz)) = path_name(&p.name) {
                        if (px, pz) == (x, y) {
                            ns_paths.push(NsPath {
                                controller: c.name.clone(),
                                ana_state: p.ana_state.clone(),
                            });
                        }
                    }
                }
            }
            s.namespaces.push(Namespace {
                name: head,
                nsid,
                paths: ns_paths,
            });
        }
    }
    Ok(hosts)
}

/// The namespace ID of a namespace directory: its `nsid` attribute (the Y
/// of `nvmeXnY` is the kernel's instance number, not the nsid).
fn nsid_of(dir: &Path) -> Option<u32> {
    attr(dir, "nsid")?.parse().ok()
}

/// The PCI function a controller's `device` link resolves to.
fn pci_function_of(dir: &Path) -> Option<String> {
    let p: PathBuf = std::fs::canonicalize(dir.join("device")).ok()?;
    Some(p.file_name()?.to_string_lossy().into_owned())
}

/// The index of the default host, whose identity `f` gives (asked once).
fn default_index(
    hosts: &mut Vec<Host>,
    default: &mut Option<HostIds>,
    f: &mut dyn FnMut() -> std::io::Result<HostIds>,
) -> std::io::Result<usize> {
    if default.is_none() {
        *default = Some(f()?);
    }
    let ids = default.as_ref().expect("set above");
    Ok(host_index(hosts, &ids.hostnqn, Some(&ids.hostid)))
}

/// The index of the host of this NQN (and ID, when given), added when new.
fn host_index(hosts: &mut Vec<Host>, nqn: &str, id: Option<&str>) -> usize {
    if let Some(i) = hosts
        .iter()
        .position(|h| h.hostnqn == nqn && id.is_none_or(|id| h.hostid.as_deref() == Some(id)))
    {
        return i;
    }
    hosts.push(Host {
        hostnqn: nqn.to_string(),
        hostid: id.map(str::to_string),
        subsystems: Vec::new(),
    });
    hosts.len() - 1
}

/// The host's subsystem of this name, read from sysfs and added when new.
fn subsystem_in<'h>(h: &'h mut Host, name: &str, nqn: &str, dir: &Path) -> &'h mut Subsystem {
    if let Some(i) = h.subsystems.iter().position(|s| s.name == name) {
        return &mut h.subsystems[i];
    }
    let d = dir.join(name);
    h.subsystems.push(Subsystem {
        name: name.to_string(),
        nqn: nqn.to_string(),
        model: attr(&d, "model").unwrap_or_else(|| "undefined".into()),
        firmware: attr(&d, "firmware_rev"),
        iopolicy: attr(&d, "iopolicy"),
        subsystype: attr(&d, "subsystype").unwrap_or_else(|| {
            if nqn == DISCOVERY_NQN {
                "discovery".into()
            } else {
                "nvm".into()
            }
        }),
        controllers: Vec::new(),
        namespaces: Vec::new(),
    });
    h.subsystems.last_mut().unwrap()
}

/// The default host of the live system or a fixture tree.
pub fn default_host(root: &Path) -> impl FnMut() -> std::io::Result<HostIds> + '_ {
    move || HostConfig::from_env(root).default_ids()
}
