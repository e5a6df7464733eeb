//! Opening the controller and namespace devices, with errors that say what to do.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nvmeq_linux::{NodeKind, QueueLimits, Sysfs};

/// Why [`crate::IoctlBackend::open`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Neither a controller nor a namespace was given.
    #[error("no device given: pass a controller (/dev/nvme0) and/or a namespace (/dev/ng0n1 or /dev/nvme0n1)")]
    NothingGiven,
    /// The path does not exist.
    #[error("no such device: {path} — is the nvme driver loaded? `ls /dev/nvme* /dev/ng*`")]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The path is a regular file, a directory, a socket…
    #[error("{path} is a {kind}, not an NVMe device: give a controller char device (/dev/nvme0) or a namespace device (/dev/ng0n1, /dev/nvme0n1)")]
    NotADevice {
        /// The path given.
        path: PathBuf,
        /// What it is.
        kind: &'static str,
    },
    /// A block device where the controller's char device is needed.
    #[error("{path} is a block device but the controller is a char device: give /dev/nvmeX (the controller of namespace /dev/nvmeXnY)")]
    BlockNotController {
        /// The path given.
        path: PathBuf,
    },
    /// A device node of another driver (e.g. /dev/null, /dev/loop0).
    #[error("{path} is a {kind} of another driver (`{driver}`), not an NVMe {wanted}")]
    NotNvme {
        /// The path given.
        path: PathBuf,
        /// "char device" or "block device".
        kind: &'static str,
        /// The device's sysfs subsystem or name, as far as it could be found.
        driver: String,
        /// "controller" or "namespace".
        wanted: &'static str,
    },
    /// A partition (`/dev/nvme0n1p1`): the kernel refuses passthrough on it.
    #[error("{path} is partition {name} of an NVMe namespace: give the whole namespace (/dev/ngXnY or /dev/nvmeXnY)")]
    Partition {
        /// The path given.
        path: PathBuf,
        /// The partition's kernel name.
        name: String,
    },
    /// A controller where a namespace is needed.
    #[error("{path} is an NVMe controller, not a namespace: give its namespace (/dev/ngXnY or /dev/nvmeXnY) as the namespace")]
    ControllerNotNamespace {
        /// The path given.
        path: PathBuf,
    },
    /// A namespace where the controller is needed.
    #[error("{path} is an NVMe namespace, not a controller: give /dev/nvmeX as the controller, or pass {path} as the namespace alone")]
    NamespaceNotController {
        /// The path given.
        path: PathBuf,
    },
    /// Permission denied.
    #[error("permission denied opening {path}: needs read access to {path} (group disk or root) and CAP_SYS_ADMIN for admin commands")]
    Permission {
        /// The path given.
        path: PathBuf,
    },
    /// The controller of a namespace could not be found in sysfs.
    #[error("cannot find the controller of {path} in sysfs ({sysfs}): pass the controller explicitly (--ctrl /dev/nvmeX)")]
    NoController {
        /// The namespace path.
        path: PathBuf,
        /// Where we looked.
        sysfs: PathBuf,
    },
    /// The controller given does not serve the namespace given.
    #[error("{ns} is not a namespace of {ctrl} (it is served by {serving}): pass the matching controller or omit --ctrl")]
    WrongController {
        /// The controller given.
        ctrl: PathBuf,
        /// The namespace given.
        ns: PathBuf,
        /// The controllers sysfs lists for the namespace.
        serving: String,
    },
    /// Any other OS error while opening or probing.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The namespace device did not answer `NVME_IOCTL_ID`.
    #[error("{path}: NVME_IOCTL_ID failed: {} — is it an NVMe namespace device?", nvmeq_core::error::errno_name(*errno))]
    NoNsid {
        /// The path.
        path: PathBuf,
        /// The errno.
        errno: i32,
    },
    /// Identify Controller failed while probing the controller.
    #[error("Identify Controller through {path} failed: {source}")]
    Identify {
        /// The device used.
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: nvmeq_core::Error,
    },
}

/// A device node, opened and classified.
#[derive(Debug)]
pub(crate) struct Node {
    pub file: File,
    /// What it is, its kernel name and `/sys/dev/{char,block}/MAJ:MIN`.
    pub node: nvmeq_linux::Node,
}

/// Classifies `path` (before opening it, so /dev/null never gets an NVMe ioctl).
fn classify(path: &Path, wanted: &'static str) -> Result<nvmeq_linux::Node, OpenError> {
    use nvmeq_linux::ClassifyError as C;
    nvmeq_linux::classify(path).map_err(|e| match e {
        C::Missing { path } => OpenError::Missing { path },
        C::Permission { path } => OpenError::Permission { path },
        C::Io { path, source } => OpenError::Io {
            what: "cannot stat",
            path,
            source,
        },
        C::NotADevice { path, kind } => OpenError::NotADevice { path, kind },
        C::NotNvme {
            path,
            kind,
            name,
            subsystem,
            ..
        } => OpenError::NotNvme {
            path,
            kind,
            driver: if kind == "char device" {
                subsystem
            } else {
                name
            },
            wanted,
        },
        C::Partition { path, name } => OpenError::Partition { path, name },
    })
}

fn open_rw(path: &Path) -> Result<File, OpenError> {
    // O_RDWR: writes and several admin commands need it; the kernel's
    // passthrough permission checks look at the open mode.
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .or_else(|e| {
            if e.kind() == io::ErrorKind::PermissionDenied {
                // A read-only open still allows reads and identify for unprivileged users.
                OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_CLOEXEC)
                    .open(path)
            } else {
                Err(e)
            }
        })
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => OpenError::Missing { path: path.into() },
            io::ErrorKind::PermissionDenied => OpenError::Permission { path: path.into() },
            _ => OpenError::Io {
                what: "cannot open",
                path: path.into(),
                source: e,
            },
        })
}

/// Opens a controller char device.
pub(crate) fn open_controller(path: &Path) -> Result<Node, OpenError> {
    let node = classify(path, "controller")?;
    match node.kind {
        NodeKind::Controller => {}
        NodeKind::Block => return Err(OpenError::BlockNotController { path: path.into() }),
        NodeKind::Generic => return Err(OpenError::NamespaceNotController { path: path.into() }),
    }
    Ok(Node {
        file: open_rw(path)?,
        node,
    })
}

/// Opens a namespace device, char (`/dev/ngXnY`) or block (`/dev/nvmeXnY`).
pub(crate) fn open_namespace(path: &Path) -> Result<Node, OpenError> {
    let node = classify(path, "namespace")?;
    if node.kind == NodeKind::Controller {
        return Err(OpenError::ControllerNotNamespace { path: path.into() });
    }
    Ok(Node {
        file: open_rw(path)?,
        node,
    })
}

/// Refuses a controller that does not serve the namespace (when sysfs can tell).
pub(crate) fn check_same_controller(
    ctrl: &Path,
    ns_path: &Path,
    ns: &Node,
) -> Result<(), OpenError> {
    let Some(ctrls) = controllers_of(ns) else {
        return Ok(());
    };
    let given = std::fs::canonicalize(ctrl).unwrap_or_else(|_| ctrl.to_path_buf());
    let name = given.file_name().map(|n| n.to_string_lossy().into_owned());
    if name.as_ref().is_some_and(|n| ctrls.contains(n)) {
        return Ok(());
    }
    Err(OpenError::WrongController {
        ctrl: ctrl.into(),
        ns: ns_path.into(),
        serving: ctrls
            .iter()
            .map(|c| format!("/dev/{c}"))
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// The names (`nvme0`, …) of the controllers serving a namespace node.
fn controllers_of(ns: &Node) -> Option<Vec<String>> {
    let v = Sysfs::new().controllers_behind(&ns.node.sysfs);
    (!v.is_empty()).then_some(v)
}

/// The controller device node (`/dev/nvmeX`) of a namespace node, from sysfs:
/// `<node>/device` is the controller (or, with native multipath, the
/// subsystem, whose first `nvmeN` entry is a controller).
pub(crate) fn controller_of(ns_path: &Path, ns: &Node) -> Result<PathBuf, OpenError> {
    controllers_of(ns)
        .and_then(|c| c.into_iter().next())
        .map(|n| PathBuf::from("/dev").join(n))
        .ok_or_else(|| OpenError::NoController {
            path: ns_path.into(),
            sysfs: ns.node.sysfs.join("device"),
        })
}

/// The block-queue limits that bound one passthrough command: the
/// namespace's (`/sys/block/nvmeXnY/queue`), or for a controller alone the
/// tightest over its namespaces.
pub(crate) fn queue_limits(ns: Option<&Node>, ctrl_path: Option<&Path>) -> Option<QueueLimits> {
    if let Some(ns) = ns {
        let blk = match ns.node.kind {
            NodeKind::Block => Some(ns.node.sysfs.clone()),
            // ngXnY -> the block device nvmeXnY of the same namespace.
            _ => ns.node.parsed().and_then(|n| Sysfs::new().block_dir(n)),
        };
        if let Some(v) = blk.and_then(|b| QueueLimits::read(&b.join("queue"))) {
            return Some(v);
        }
    }
    let ctrl = ctrl_path?.file_name()?.to_string_lossy().into_owned();
    let dir = PathBuf::from("/sys/class/nvme").join(&ctrl);
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(&ctrl))
        .filter_map(|e| QueueLimits::read(&e.path().join("queue")))
        .reduce(|a, b| QueueLimits {
            max_hw_bytes: a.max_hw_bytes.min(b.max_hw_bytes),
            max_segments: a.max_segments.min(b.max_segments),
            dma_alignment: a.dma_alignment | b.dma_alignment,
            virt_boundary_mask: a.virt_boundary_mask | b.virt_boundary_mask,
        })
}
