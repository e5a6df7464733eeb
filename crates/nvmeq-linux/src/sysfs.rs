//! NVMe controllers and namespaces as sysfs shows them: `/sys/class/nvme`
//! (controllers), `/sys/class/nvme-generic` (namespace char devices),
//! `/sys/block` (namespace block devices) and `/sys/class/nvme-subsystem`
//! (multipath heads).
//!
//! [`Sysfs`] takes a root so tests can point it at a fixture tree.

use std::path::{Path, PathBuf};

use crate::node::{NodeKind, NodeName};

/// A sysfs tree: `/` on a live system, a fixture directory in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sysfs {
    root: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs::new()
    }
}

/// An attribute's text without the kernel's padding: strings such as
/// `serial` and `model` are space-padded to their Identify field width.
pub fn read_attr(path: &Path) -> Option<String> {
    let s = std::fs::read_to_string(path).ok()?;
    Some(
        s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
            .to_string(),
    )
}

fn file_name(p: &Path) -> Option<String> {
    Some(p.file_name()?.to_string_lossy().into_owned())
}

fn is_controller(name: &str) -> bool {
    NodeName::parse(name).is_some_and(|n| n.kind == NodeKind::Controller)
}

impl Sysfs {
    /// The live system's sysfs.
    pub fn new() -> Self {
        Sysfs::at("/")
    }

    /// A tree whose `sys/` is under `root`.
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Sysfs { root: root.into() }
    }

    /// `root/sys/<rel>`.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join("sys").join(rel)
    }

    fn sorted(dir: &Path, keep: impl Fn(&str) -> bool) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| keep(n))
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by_key(|n| (NodeName::parse(n).map(|p| (p.ctrl, p.ns)), n.clone()));
        v
    }

    /// Controller names (`nvme0`, …) in `/sys/class/nvme`, by instance.
    pub fn controllers(&self) -> Vec<String> {
        Self::sorted(&self.path("class/nvme"), is_controller)
    }

    /// A controller's attribute (`serial`, `model`, `firmware_rev`,
    /// `transport`, `address`, …), padding removed.
    pub fn controller_attr(&self, ctrl: &str, attr: &str) -> Option<String> {
        read_attr(&self.path("class/nvme").join(ctrl).join(attr))
    }

    /// A controller's serial number, without the space padding.
    pub fn serial(&self, ctrl: &str) -> Option<String> {
        self.controller_attr(ctrl, "serial")
    }

    /// Namespace char device names (`ng0n1`, …) in `/sys/class/nvme-generic`.
    pub fn generic_namespaces(&self) -> Vec<String> {
        Self::sorted(&self.path("class/nvme-generic"), |n| {
            NodeName::parse(n).is_some_and(|p| p.kind == NodeKind::Generic)
        })
    }

    /// Namespace block devices (`nvme0n1`, …) in `/sys/block`: no hidden
    /// multipath paths (`nvme0c1n1`) or other disks.
    pub fn block_namespaces(&self) -> Vec<String> {
        Self::sorted(&self.path("block"), |n| {
            NodeName::parse(n).is_some_and(|p| p.kind == NodeKind::Block)
        })
    }

    /// A namespace node's sysfs directory (`class/nvme-generic/ngXnY` or
    /// `block/nvmeXnY`); `None` for a controller.
    pub fn namespace_dir(&self, ns: NodeName) -> Option<PathBuf> {
        match ns.kind {
            NodeKind::Controller => None,
            NodeKind::Generic => Some(self.path("class/nvme-generic").join(ns.to_string())),
            NodeKind::Block => Some(self.path("block").join(ns.to_string())),
        }
    }

    /// The namespace's block device directory, whichever node names it
    /// (`ngXnY` and `nvmeXnY` are the same namespace).
    pub fn block_dir(&self, ns: NodeName) -> Option<PathBuf> {
        Some(self.path("block").join(ns.as_kind(NodeKind::Block)?))
    }

    /// The namespace's NSID (`/sys/block/nvmeXnY/nsid`): `Y` is an instance
    /// number, not always the NSID.
    pub fn nsid(&self, ns: NodeName) -> Option<u32> {
        read_attr(&self.block_dir(ns)?.join("nsid"))?.parse().ok()
    }

    /// The serial of the controller or subsystem behind a namespace.
    pub fn namespace_serial(&self, ns: NodeName) -> Option<String> {
        read_attr(&self.block_dir(ns)?.join("device/serial"))
    }

    /// The controllers serving the namespace whose sysfs directory is
    /// `ns_dir`, by name, first instance first: its `device` link is the
    /// controller, or with native multipath the subsystem, whose controllers
    /// are listed in `/sys/class/nvme-subsystem/<subsystem>`. Empty when
    /// sysfs cannot tell.
    pub fn controllers_behind(&self, ns_dir: &Path) -> Vec<String> {
        let dev = ns_dir.join("device");
        let Some(owner) = std::fs::read_link(&dev).ok().and_then(|l| file_name(&l)) else {
            return Vec::new();
        };
        if is_controller(&owner) {
            return vec![owner];
        }
        let mut v = Self::sorted(
            &self.path("class/nvme-subsystem").join(&owner),
            is_controller,
        );
        if v.is_empty() {
            // Not under class/nvme-subsystem (older layouts): the device's own entries.
            v = Self::sorted(&dev, is_controller);
        }
        v
    }

    /// [`Sysfs::controllers_behind`] a namespace node by name.
    pub fn controllers_of(&self, ns: NodeName) -> Vec<String> {
        self.namespace_dir(ns)
            .map(|d| self.controllers_behind(&d))
            .unwrap_or_default()
    }

    /// The controller device (`/dev/nvmeX`) of a namespace: the first
    /// controller sysfs lists for it.
    pub fn controller_of(&self, ns: NodeName) -> Option<PathBuf> {
        let c = self.controllers_of(ns).into_iter().next()?;
        Some(PathBuf::from("/dev").join(c))
    }

    /// The controllers (`nvme0`, …) of the PCI function `bdf` bound to the
    /// nvme driver (`/sys/bus/pci/devices/<bdf>/nvme`).
    pub fn controllers_of_pci(&self, bdf: &str) -> std::io::Result<Vec<String>> {
        let dir = self.path("bus/pci/devices").join(bdf).join("nvme");
        std::fs::read_dir(&dir)?;
        Ok(Self::sorted(&dir, is_controller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    struct Tree(PathBuf);
    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tree(tag: &str) -> Tree {
        let root = std::env::temp_dir().join(format!("nvmeq-linux-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let w = |rel: &str, text: &str| {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        // nvme0: a plain controller with ng0n1 / nvme0n1 (nsid 1).
        w("sys/class/nvme/nvme0/serial", "nvmeqA              \n");
        w(
            "sys/class/nvme/nvme0/model",
            "QEMU NVMe Ctrl                          \n",
        );
        w("sys/block/nvme0n1/nsid", "1\n");
        w("sys/block/nvme0n1/device/serial", "nvmeqA              \n");
        // nvme1, nvme2: two controllers of subsystem 1, multipath head ng1n1 (nsid 5).
        w("sys/class/nvme/nvme1/serial", "S1\n");
        w("sys/class/nvme/nvme2/serial", "S1\n");
        w("sys/class/nvme-subsystem/nvme-subsys1/nvme2/x", "");
        w("sys/class/nvme-subsystem/nvme-subsys1/nvme1/x", "");
        w("sys/block/nvme1n1/nsid", "5\n");
        w("sys/block/nvme1c1n1/nsid", "5\n");
        w("sys/block/sda/size", "8\n");
        std::fs::create_dir_all(root.join("sys/class/nvme-generic/ng0n1")).unwrap();
        std::fs::create_dir_all(root.join("sys/class/nvme-generic/ng1n1")).unwrap();
        std::fs::create_dir_all(root.join("sys/class/nvme-generic/ng10n2")).unwrap();
        symlink(
            "../../../devices/pci0000:00/0000:00:04.0/nvme/nvme0",
            root.join("sys/class/nvme-generic/ng0n1/device"),
        )
        .unwrap();
        symlink(
            "../../../devices/virtual/nvme-subsystem/nvme-subsys1",
            root.join("sys/class/nvme-generic/ng1n1/device"),
        )
        .unwrap();
        Tree(root)
    }

    #[test]
    fn controllers_namespaces_and_serials() {
        let t = tree("list");
        let s = Sysfs::at(&t.0);
        assert_eq!(s.controllers(), ["nvme0", "nvme1", "nvme2"]);
        assert_eq!(
            s.serial("nvme0").as_deref(),
            Some("nvmeqA"),
            "padding trimmed"
        );
        assert_eq!(
            s.controller_attr("nvme0", "model").as_deref(),
            Some("QEMU NVMe Ctrl")
        );
        assert_eq!(s.serial("nvme9"), None);
        // Instance order, not string order: ng10n2 after ng1n1.
        assert_eq!(s.generic_namespaces(), ["ng0n1", "ng1n1", "ng10n2"]);
        assert_eq!(s.block_namespaces(), ["nvme0n1", "nvme1n1"]);
        let ng0n1 = NodeName::parse("ng0n1").unwrap();
        assert_eq!(s.nsid(ng0n1), Some(1));
        assert_eq!(s.nsid(NodeName::parse("nvme1n1").unwrap()), Some(5));
        assert_eq!(s.nsid(NodeName::parse("nvme0").unwrap()), None);
        assert_eq!(s.namespace_serial(ng0n1).as_deref(), Some("nvmeqA"));
    }

    #[test]
    fn controller_of_namespaces() {
        let t = tree("ctrl");
        let s = Sysfs::at(&t.0);
        let ng0n1 = NodeName::parse("/dev/ng0n1").unwrap();
        assert_eq!(s.controllers_of(ng0n1), ["nvme0"]);
        assert_eq!(s.controller_of(ng0n1), Some(PathBuf::from("/dev/nvme0")));
        // A multipath head: every controller of its subsystem, first instance first.
        let ng1n1 = NodeName::parse("ng1n1").unwrap();
        assert_eq!(s.controllers_of(ng1n1), ["nvme1", "nvme2"]);
        assert_eq!(s.controller_of(ng1n1), Some(PathBuf::from("/dev/nvme1")));
        // No device link: sysfs cannot tell.
        assert!(s
            .controllers_of(NodeName::parse("ng10n2").unwrap())
            .is_empty());
        assert_eq!(s.controller_of(NodeName::parse("nvme0").unwrap()), None);
    }
}
