//! A device string parsed by the facade and, for `/dev` paths, checked
//! against the node it names without opening it.

use std::path::Path;

use nvmeq::{BackendKind, Locator, LocatorError};
use nvmeq_linux::{ClassifyError, Node, NodeKind, Sysfs};

use crate::error::{CliError, Result};

/// A parsed, checked device string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Where the device is and which backend reaches it.
    pub locator: Locator,
    /// For `/dev` paths, the node it is.
    pub node: Option<Node>,
}

impl Target {
    /// The backend the string or `--backend` names; `None` lets the facade
    /// choose (io_uring when available, else ioctl).
    pub fn backend(&self) -> Option<BackendKind> {
        self.locator.backend()
    }

    /// The namespace ID a `/dev/ngXnY` or `/dev/nvmeXnY` node stands for, from
    /// sysfs (`/sys/block/nvmeXnY/nsid`): `Y` is an instance number, not always
    /// the NSID. `NVMEQ_SYSFS_ROOT` moves sysfs for tests.
    pub fn node_nsid(&self) -> Option<u32> {
        let name = self.node.as_ref()?.parsed()?;
        let root = std::env::var_os("NVMEQ_SYSFS_ROOT").unwrap_or_else(|| "/".into());
        Sysfs::at(root).nsid(name)
    }
}

/// Parses a device string and applies `--backend`, checking it without opening it.
pub fn parse(s: &str, backend: Option<BackendKind>) -> Result<Target> {
    let parsed = match backend {
        Some(b) => Locator::parse_as(b, s),
        None => Locator::parse(s),
    };
    let locator = parsed.map_err(|e| match e {
        LocatorError::Empty => {
            CliError::Device(format!("{e} (`nvmeq list` shows this host's devices)"))
        }
        e => CliError::Device(e.to_string()),
    })?;
    let node = match locator.path() {
        Some(p) => Some(check_node(p, locator.backend())?),
        None => None,
    };
    Ok(Target { locator, node })
}

/// Checks a `/dev` path: it exists and is an NVMe controller or namespace
/// node. Block devices (`/dev/nvmeXnY`) take ioctl passthrough but not
/// io_uring's, which needs the generic character device.
fn check_node(p: &Path, backend: Option<BackendKind>) -> Result<Node> {
    let p_ = p.display();
    let bad = |msg: String| Err(CliError::Device(msg));
    match nvmeq_linux::classify(p) {
        Ok(n) if n.kind == NodeKind::Block && backend == Some(BackendKind::Uring) => {
            let generic = n
                .parsed()
                .and_then(|b| b.as_kind(NodeKind::Generic))
                .unwrap_or_else(|| "ngXnY".into());
            bad(format!(
                "{p_} is a block device: io_uring passthrough needs the namespace's generic \
                 character device /dev/{generic}"
            ))
        }
        Ok(n) => Ok(n),
        Err(ClassifyError::Missing { .. }) => bad(format!(
            "{p_}: no such device (`nvmeq list` shows the NVMe devices on this host)"
        )),
        Err(ClassifyError::NotADevice { .. }) => bad(format!(
            "{p_} is not a device file: expected an NVMe character device such as /dev/ng0n1 \
             or /dev/nvme0"
        )),
        Err(ClassifyError::NotNvme {
            kind: "block device",
            ..
        }) => bad(format!(
            "{p_} is a block device but not an NVMe namespace: expected /dev/nvmeXnY, \
             /dev/ngXnY or /dev/nvmeX"
        )),
        Err(ClassifyError::NotNvme { .. }) => bad(format!(
            "{p_} is a character device but not an NVMe one: expected /dev/ngXnY or /dev/nvmeX"
        )),
        Err(e @ ClassifyError::Partition { .. }) => bad(e.to_string()),
        Err(e) => bad(format!("{p_}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_overrides() {
        let d = parse("ram:64M", None).unwrap();
        assert_eq!(d.backend(), Some(BackendKind::Ram));
        assert_eq!(d.locator.to_string(), "ram:64M");
        assert_eq!(d.node, None);
        let d = parse("vfio:0000:00:04.0", None).unwrap();
        assert_eq!(d.backend(), Some(BackendKind::Vfio));
        let d = parse("0000:00:05.0", None).unwrap();
        assert_eq!(d.locator.to_string(), "vfio:0000:00:05.0");
        let d = parse("1G", Some(BackendKind::Ram)).unwrap();
        assert_eq!(d.locator.to_string(), "ram:1G");
        assert_eq!(parse("ram", None).unwrap().locator.to_string(), "ram:1G");
        let d = parse("ram:64M", Some(BackendKind::Vfio)).unwrap_err();
        assert!(d.to_string().contains("bad PCI address `64M`"), "{d}");
    }

    #[test]
    fn bad_strings_say_why() {
        let e = parse("vfio:0000:00:4.0", None).unwrap_err().to_string();
        assert!(e.contains("bad PCI address"), "{e}");
        let e = parse("vfio:0000:00:20.0", None).unwrap_err().to_string();
        assert!(e.contains("at most 1f"), "{e}");
        let e = parse("spdk:/dev/ng0n1", None).unwrap_err().to_string();
        assert!(e.contains("unknown backend `spdk:`"), "{e}");
        let e = parse("/dev/ng97n3", None).unwrap_err().to_string();
        assert!(e.contains("no such device"), "{e}");
        let e = parse("/dev/null", None).unwrap_err().to_string();
        assert!(e.contains("not an NVMe one"), "{e}");
        let e = parse("/etc/hostname", Some(BackendKind::Ioctl))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a device file"), "{e}");
        let e = parse("nvme0", None).unwrap_err().to_string();
        assert!(e.contains("is not a device"), "{e}");
        let e = parse("", None).unwrap_err().to_string();
        assert!(e.contains("`nvmeq list`"), "{e}");
    }
}
