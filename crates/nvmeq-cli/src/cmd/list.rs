//! `nvmeq list`: every NVMe controller and namespace on the host, from sysfs
//! (`/sys/class/nvme`, `/sys/class/nvme-generic`, and PCI functions bound to
//! vfio-pci), with the backends each can be used with right now.
//!
//! Tests point `NVMEQ_SYSFS_ROOT` at a fake tree; normally it is `/`.

use std::fs;
use std::path::{Path, PathBuf};

use nvmeq_linux::{NodeName, Sysfs};
use serde::Serialize;

use crate::error::Result;
use crate::output::{self, Format};

/// One row of `nvmeq list`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct Entry {
    /// `"controller"` or `"namespace"`.
    pub kind: &'static str,
    /// The device string to pass to other commands (`/dev/ng0n1`, `/dev/nvme0`,
    /// `vfio:0000:00:04.0`).
    pub device: String,
    /// The namespace's block device, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<String>,
    /// The controller (`nvme0`), or the PCI address for a vfio-bound function.
    pub controller: String,
    /// Serial Number.
    pub serial: String,
    /// Model Number.
    pub model: String,
    /// Firmware Revision.
    pub firmware: String,
    /// Namespace ID (namespaces only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsid: Option<u32>,
    /// Namespace size in bytes (namespaces only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// LBA data size in bytes (namespaces only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lba_size: Option<u32>,
    /// `pcie`, `tcp`, `rdma`, `fc`, `loop`, or `vfio-pci` for a function bound to VFIO.
    pub transport: String,
    /// The transport address (PCI address for pcie).
    pub address: String,
    /// Backends that can open this device now.
    pub backends: Vec<&'static str>,
}

fn root() -> PathBuf {
    std::env::var_os("NVMEQ_SYSFS_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn read(p: &Path) -> String {
    fs::read_to_string(p)
        .map(|s| s.trim_end_matches(['\n', '\0']).trim().to_string())
        .unwrap_or_default()
}

fn read_num(p: &Path) -> Option<u64> {
    crate::num::parse_u64(&read(p)).ok()
}

fn sorted_dir(p: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    // nvme2 before nvme10.
    v.sort_by_key(|n| {
        let num: Vec<u64> = n
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .filter_map(|s| s.parse().ok())
            .collect();
        (
            n.trim_end_matches(|c: char| c.is_ascii_digit()).len(),
            num,
            n.clone(),
        )
    });
    v
}

/// Whether this build's facade includes a backend.
fn compiled(backend: &str) -> bool {
    backend.parse().is_ok_and(nvmeq::locator::compiled)
}

fn uring_allowed(root: &Path) -> bool {
    // 0: enabled; 1: only for a group; 2: disabled. Older kernels lack the file.
    !matches!(
        read(&root.join("proc/sys/kernel/io_uring_disabled")).as_str(),
        "2"
    )
}

/// Scans sysfs under `root`.
pub fn scan(root: &Path) -> Vec<Entry> {
    scan_with(root, &compiled)
}

/// [`scan`] with the compiled-in test given (so tests can pretend).
pub fn scan_with(root: &Path, compiled: &dyn Fn(&str) -> bool) -> Vec<Entry> {
    let ioctl = compiled("ioctl");
    let uring = compiled("uring") && uring_allowed(root);
    let vfio = compiled("vfio");
    let mut out = Vec::new();
    let sys = Sysfs::at(root);
    let ng_names = sys.generic_namespaces();
    for ctrl in sys.controllers() {
        let dir = sys.path("class/nvme").join(&ctrl);
        let attr = |a: &str| sys.controller_attr(&ctrl, a).unwrap_or_default();
        let serial = attr("serial");
        let model = attr("model");
        let firmware = attr("firmware_rev");
        let transport = attr("transport");
        let address = attr("address");
        let mut backends = Vec::new();
        if ioctl {
            backends.push("ioctl");
        }
        if uring {
            backends.push("uring");
        }
        out.push(Entry {
            kind: "controller",
            device: format!("/dev/{ctrl}"),
            block: None,
            controller: ctrl.clone(),
            serial: serial.clone(),
            model: model.clone(),
            firmware: firmware.clone(),
            nsid: None,
            size: None,
            lba_size: None,
            transport: transport.clone(),
            address: address.clone(),
            backends,
        });
        // Namespaces: the generic char devices whose controller is this one
        // (for a multipath head, one of its subsystem's), or, when sysfs has
        // no `device` link, the one with the same instance number.
        for ng in &ng_names {
            let Some(name) = NodeName::parse(ng) else {
                continue;
            };
            let owners = sys.controllers_of(name);
            let mine = if owners.is_empty() {
                NodeName::parse(&ctrl).is_some_and(|c| c.ctrl == name.ctrl)
            } else {
                owners.contains(&ctrl)
            };
            if !mine {
                continue;
            }
            let suffix = ng.strip_prefix("ng").unwrap_or(ng);
            let blk = format!("nvme{suffix}");
            let bdir = dir.join(&blk);
            let bdir = if bdir.exists() {
                bdir
            } else {
                sys.path("block").join(&blk)
            };
            let nsid = read_num(&bdir.join("nsid")).map(|v| v as u32);
            let lba = read_num(&bdir.join("queue/logical_block_size")).map(|v| v as u32);
            // `size` is in 512-byte sectors whatever the LBA size.
            let size = read_num(&bdir.join("size")).map(|s| s * 512);
            let mut backends = Vec::new();
            if uring {
                backends.push("uring");
            }
            if ioctl {
                backends.push("ioctl");
            }
            out.push(Entry {
                kind: "namespace",
                device: format!("/dev/{ng}"),
                block: bdir.exists().then(|| format!("/dev/{blk}")),
                controller: ctrl.clone(),
                serial: serial.clone(),
                model: model.clone(),
                firmware: firmware.clone(),
                nsid,
                size,
                lba_size: lba,
                transport: transport.clone(),
                address: address.clone(),
                backends,
            });
        }
    }
    // NVMe functions (class 0x010802) handed to vfio-pci: not in /sys/class/nvme.
    let vfio_dir = root.join("sys/bus/pci/drivers/vfio-pci");
    for bdf in sorted_dir(&vfio_dir) {
        if nvmeq::Bdf::parse(&bdf).is_err() {
            continue;
        }
        let dev = vfio_dir.join(&bdf);
        if read(&dev.join("class")) != "0x010802" {
            continue;
        }
        out.push(Entry {
            kind: "controller",
            device: format!("vfio:{bdf}"),
            block: None,
            controller: bdf.clone(),
            serial: String::new(),
            model: String::new(),
            firmware: String::new(),
            nsid: None,
            size: None,
            lba_size: None,
            transport: "vfio-pci".into(),
            address: bdf.clone(),
            backends: if vfio { vec!["vfio"] } else { Vec::new() },
        });
    }
    out
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < UNITS.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.2} {}", UNITS[i])
    }
}

/// Renders the table.
pub fn table(entries: &[Entry]) -> String {
    let header = [
        "Device",
        "Controller",
        "SN",
        "Model",
        "FW Rev",
        "NSID",
        "Size",
        "LBA",
        "Transport",
        "Backends",
    ];
    let rows: Vec<[String; 10]> = entries
        .iter()
        .map(|e| {
            let opt = |v: Option<String>| v.unwrap_or_else(|| "-".into());
            [
                e.device.clone(),
                e.controller.clone(),
                e.serial.clone(),
                e.model.clone(),
                e.firmware.clone(),
                opt(e.nsid.map(|n| n.to_string())),
                opt(e.size.map(human_size)),
                opt(e.lba_size.map(|l| l.to_string())),
                e.transport.clone(),
                if e.backends.is_empty() {
                    "none in this build".to_string()
                } else {
                    e.backends.join(",")
                },
            ]
        })
        .collect();
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<width$}", width = w[i]))
            .collect::<Vec<_>>()
            .join(" ");
        s.truncate(s.trim_end().len());
        s.push('\n');
        s
    };
    let mut s = line(&header.map(String::from));
    s.push_str(&line(&w.iter().map(|n| "-".repeat(*n)).collect::<Vec<_>>()));
    for r in &rows {
        s.push_str(&line(r));
    }
    s
}

/// Runs `nvmeq list`. `NVMEQ_LIST_ASSUME_BACKENDS=ioctl,uring,vfio` (tests)
/// lists backends as if compiled in.
pub fn run(fmt: Format) -> Result<()> {
    let entries = match std::env::var("NVMEQ_LIST_ASSUME_BACKENDS") {
        Ok(list) => scan_with(&root(), &|b| list.split(',').any(|x| x == b)),
        Err(_) => scan(&root()),
    };
    match fmt {
        Format::Json => output::json(&entries),
        Format::Normal => output::text(&table(&entries)),
        Format::Binary => Err(crate::error::usage(
            "list has no binary form: use -o normal or -o json",
        )),
    }
}
