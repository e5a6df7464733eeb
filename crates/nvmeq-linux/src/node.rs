//! Which NVMe device node a path is: one [`NodeKind`], told by name
//! ([`NodeName::parse`], pure) or by the device number and sysfs
//! ([`classify`], before anything is opened, so `/dev/null` never gets an
//! NVMe ioctl).

use std::fmt;
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// The three kinds of NVMe device node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// `/dev/nvmeX`: a controller char device (sysfs class `nvme`), admin commands.
    Controller,
    /// `/dev/ngXnY`: a namespace's generic char device (class `nvme-generic`),
    /// which both passthrough ioctls and io_uring take.
    Generic,
    /// `/dev/nvmeXnY`: a namespace's block device; passthrough ioctls only.
    Block,
}

impl NodeKind {
    /// Whether the node names a namespace (generic or block).
    pub fn is_namespace(self) -> bool {
        self != NodeKind::Controller
    }
}

impl fmt::Display for NodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NodeKind::Controller => "NVMe controller",
            NodeKind::Generic => "NVMe namespace char device",
            NodeKind::Block => "NVMe namespace block device",
        })
    }
}

/// A kernel NVMe node name taken apart: `nvme3` (controller instance 3),
/// `ng10n12` or `nvme10n12` (controller instance 10, namespace instance 12).
///
/// The instance numbers are the kernel's, not NSIDs or controller IDs; a
/// hidden multipath path (`nvme0c1n1`) and a partition (`nvme0n1p1`) are not
/// node names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeName {
    /// Which node.
    pub kind: NodeKind,
    /// Controller (or, for a multipath head, subsystem) instance `X`.
    pub ctrl: u32,
    /// Namespace instance `Y`; `None` for a controller.
    pub ns: Option<u32>,
}

fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn ctrl_ns(rest: &str) -> Option<(u32, u32)> {
    let (x, y) = rest.split_once('n')?;
    Some((number(x)?, number(y)?))
}

impl NodeName {
    /// Parses a kernel name or a `/dev` path's last component.
    pub fn parse(name: &str) -> Option<NodeName> {
        let name = name.rsplit('/').next().unwrap_or(name);
        if let Some(rest) = name.strip_prefix("ng") {
            let (ctrl, ns) = ctrl_ns(rest)?;
            return Some(NodeName {
                kind: NodeKind::Generic,
                ctrl,
                ns: Some(ns),
            });
        }
        let rest = name.strip_prefix("nvme")?;
        if let Some(ctrl) = number(rest) {
            return Some(NodeName {
                kind: NodeKind::Controller,
                ctrl,
                ns: None,
            });
        }
        let (ctrl, ns) = ctrl_ns(rest)?;
        Some(NodeName {
            kind: NodeKind::Block,
            ctrl,
            ns: Some(ns),
        })
    }

    /// The name of this node of `kind` (`NodeKind::Generic` of `nvme0n1` is
    /// `ng0n1`); `None` asking a controller for a namespace node.
    pub fn as_kind(self, kind: NodeKind) -> Option<String> {
        let (x, ns) = (self.ctrl, self.ns);
        match kind {
            NodeKind::Controller => Some(format!("nvme{x}")),
            NodeKind::Generic => ns.map(|y| format!("ng{x}n{y}")),
            NodeKind::Block => ns.map(|y| format!("nvme{x}n{y}")),
        }
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_kind(self.kind) {
            Some(n) => f.write_str(&n),
            None => write!(f, "nvme{}", self.ctrl),
        }
    }
}

/// A device node, classified through its device number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// The kernel's name (`ng0n1`, `nvme0`, `nvme0n1`), whatever the path is called.
    pub name: String,
    /// `/sys/dev/{char,block}/MAJ:MIN`.
    pub sysfs: PathBuf,
}

impl Node {
    /// The name taken apart; `None` only for a name the kernel did not give.
    pub fn parsed(&self) -> Option<NodeName> {
        NodeName::parse(&self.name)
    }
}

/// Why [`classify`] refused a path.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// The path does not exist.
    #[error("no such device: {path}")]
    Missing {
        /// The path given.
        path: PathBuf,
    },
    /// The path cannot be inspected.
    #[error("permission denied: {path}")]
    Permission {
        /// The path given.
        path: PathBuf,
    },
    /// Another error from `stat`.
    #[error("cannot stat {path}: {source}")]
    Io {
        /// The path given.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A regular file, directory, fifo or socket.
    #[error("{path} is a {kind}, not a device")]
    NotADevice {
        /// The path given.
        path: PathBuf,
        /// "regular file", "directory", …
        kind: &'static str,
    },
    /// A device of another driver (`/dev/null`, `/dev/loop0`).
    #[error("{path} is {kind} {major}:{minor} ({name}, subsystem {subsystem}), not an NVMe node")]
    NotNvme {
        /// The path given.
        path: PathBuf,
        /// "char device" or "block device".
        kind: &'static str,
        /// Device major number.
        major: u64,
        /// Device minor number.
        minor: u64,
        /// The kernel's name for it (`null`, `loop0`), or "unknown".
        name: String,
        /// Its sysfs subsystem (`mem`, `block`), or "unknown".
        subsystem: String,
    },
    /// A partition of an NVMe namespace: the kernel refuses passthrough on it.
    #[error("{path} is partition {name} of an NVMe namespace: passthrough needs the whole namespace (/dev/ngXnY or /dev/nvmeXnY)")]
    Partition {
        /// The path given.
        path: PathBuf,
        /// The partition's kernel name (`nvme0n1p1`).
        name: String,
    },
}

/// glibc's `major()`/`minor()` of a `dev_t`.
pub fn major_minor(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

fn uevent_name(dir: &Path) -> Option<String> {
    let u = std::fs::read_to_string(dir.join("uevent")).ok()?;
    u.lines()
        .find_map(|l| l.strip_prefix("DEVNAME="))
        .map(str::to_owned)
}

fn link_name(p: &Path) -> Option<String> {
    let target = std::fs::canonicalize(p).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Classifies `path` through `stat` and sysfs (`/sys/dev/{char,block}`):
/// the node's kind follows its sysfs subsystem (char) or kernel name (block),
/// never the path's spelling, so a renamed or symlinked node is still known.
pub fn classify(path: &Path) -> Result<Node, ClassifyError> {
    let md = std::fs::metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ClassifyError::Missing { path: path.into() },
        io::ErrorKind::PermissionDenied => ClassifyError::Permission { path: path.into() },
        _ => ClassifyError::Io {
            path: path.into(),
            source: e,
        },
    })?;
    let ft = md.file_type();
    let (major, minor) = major_minor(md.rdev());
    let (class, dev_kind) = if ft.is_char_device() {
        ("char", "char device")
    } else if ft.is_block_device() {
        ("block", "block device")
    } else {
        let kind = if ft.is_file() {
            "regular file"
        } else if ft.is_dir() {
            "directory"
        } else if ft.is_fifo() {
            "fifo"
        } else if ft.is_socket() {
            "socket"
        } else {
            "non-device file"
        };
        return Err(ClassifyError::NotADevice {
            path: path.into(),
            kind,
        });
    };
    let sysfs = PathBuf::from(format!("/sys/dev/{class}/{major}:{minor}"));
    let name = uevent_name(&sysfs)
        .or_else(|| link_name(&sysfs))
        .unwrap_or_else(|| "unknown".into());
    let subsystem = link_name(&sysfs.join("subsystem")).unwrap_or_else(|| "unknown".into());
    let kind = match (class, subsystem.as_str(), NodeName::parse(&name)) {
        ("char", "nvme", Some(n)) if n.kind == NodeKind::Controller => Some(NodeKind::Controller),
        ("char", "nvme-generic", Some(n)) if n.kind == NodeKind::Generic => Some(NodeKind::Generic),
        ("block", _, Some(n)) if n.kind == NodeKind::Block => Some(NodeKind::Block),
        _ => None,
    };
    match kind {
        Some(kind) => Ok(Node { kind, name, sysfs }),
        None if class == "block"
            && sysfs.join("partition").exists()
            && name.starts_with("nvme") =>
        {
            Err(ClassifyError::Partition {
                path: path.into(),
                name,
            })
        }
        None => Err(ClassifyError::NotNvme {
            path: path.into(),
            kind: dev_kind,
            major,
            minor,
            name,
            subsystem,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(kind: NodeKind, ctrl: u32, ns: Option<u32>) -> Option<NodeName> {
        Some(NodeName { kind, ctrl, ns })
    }

    #[test]
    fn names_classify() {
        use NodeKind::*;
        assert_eq!(NodeName::parse("/dev/nvme0"), name(Controller, 0, None));
        assert_eq!(NodeName::parse("nvme12"), name(Controller, 12, None));
        assert_eq!(NodeName::parse("/dev/ng0n1"), name(Generic, 0, Some(1)));
        assert_eq!(NodeName::parse("/dev/ng10n12"), name(Generic, 10, Some(12)));
        assert_eq!(NodeName::parse("/dev/nvme0n1"), name(Block, 0, Some(1)));
        assert_eq!(NodeName::parse("nvme10n12"), name(Block, 10, Some(12)));
    }

    #[test]
    fn odd_names_are_not_nodes() {
        for n in [
            "/dev/nvme0n1p1", // partition
            "nvme0c1n1",      // hidden multipath path
            "nvme",
            "nvme-subsys0",
            "nvme-fabrics",
            "ng1",
            "ng0n",
            "ngn1",
            "nvmen1",
            "ng0n1x",
            "nvme+1",
            "/dev/null",
            "/dev/sda",
            "/dev/loop0",
            "",
            "nvme99999999999", // does not fit a u32
        ] {
            assert_eq!(NodeName::parse(n), None, "{n:?}");
        }
    }

    #[test]
    fn names_convert() {
        let b = NodeName::parse("nvme3n2").unwrap();
        assert_eq!(b.as_kind(NodeKind::Generic).as_deref(), Some("ng3n2"));
        assert_eq!(b.as_kind(NodeKind::Controller).as_deref(), Some("nvme3"));
        assert_eq!(b.to_string(), "nvme3n2");
        let c = NodeName::parse("nvme3").unwrap();
        assert_eq!(c.as_kind(NodeKind::Block), None);
        assert_eq!(c.to_string(), "nvme3");
        assert_eq!(NodeName::parse("ng3n2").unwrap().to_string(), "ng3n2");
    }

    #[test]
    fn dev_numbers_split_like_glibc() {
        // makedev(259, 3) = (259 & 0xfff) << 8 | 3
        assert_eq!(major_minor((259 << 8) | 3), (259, 3));
        assert_eq!(major_minor((1 << 8) | 3), (1, 3));
    }

    #[test]
    fn non_nvme_paths_say_what_they_are() {
        match classify(Path::new("/dev/null")) {
            Err(e @ ClassifyError::NotNvme { .. }) => {
                let ClassifyError::NotNvme {
                    kind, major, minor, ..
                } = &e
                else {
                    unreachable!()
                };
                assert_eq!((*kind, *major, *minor), ("char device", 1, 3));
                let msg = e.to_string();
                assert!(msg.contains("/dev/null is char device 1:3 (null"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(Path::new("/etc/hostname")),
            Err(ClassifyError::NotADevice {
                kind: "regular file",
                ..
            })
        ));
        assert!(matches!(
            classify(Path::new("/dev")),
            Err(ClassifyError::NotADevice {
                kind: "directory",
                ..
            })
        ));
        assert!(matches!(
            classify(Path::new("/dev/ng-does-not-exist")),
            Err(ClassifyError::Missing { .. })
        ));
    }
}
