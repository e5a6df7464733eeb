//! Choosing and checking the device a command runs on.
//!
//! The positional device string picks the backend: `ram:SIZE`, `ioctl:/dev/…`,
//! `uring:/dev/…`, `vfio:DDDD:BB:DD.F`, or a bare `/dev/ngXnY` / `/dev/nvmeX`
//! (io_uring when the host allows it, else ioctl; the facade decides). A bare
//! PCI address means VFIO. `--backend` overrides the prefix. Before anything
//! is opened, the string is checked here so a typo gets a message that says
//! what is wrong rather than an errno.

use std::fmt;
use std::os::unix::fs::FileTypeExt;

use crate::error::{CliError, Result};

/// A backend the user can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// The in-memory controller (`ram:1G`).
    Ram,
    /// Blocking NVMe passthrough ioctls.
    Ioctl,
    /// io_uring passthrough (`IORING_OP_URING_CMD`).
    Uring,
    /// The VFIO userspace driver.
    Vfio,
}

impl BackendKind {
    /// The prefix used in device strings.
    pub fn prefix(self) -> &'static str {
        match self {
            BackendKind::Ram => "ram",
            BackendKind::Ioctl => "ioctl",
            BackendKind::Uring => "uring",
            BackendKind::Vfio => "vfio",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// What kind of `/dev` node a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    /// `/dev/nvmeX`: a controller (admin commands).
    Controller,
    /// `/dev/ngXnY`: a namespace's generic character device (passthrough).
    Generic,
    /// `/dev/nvmeXnY`: a namespace's block device (ioctl passthrough only).
    Block,
}

/// A parsed, checked device string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSpec {
    /// The backend, when the string or `--backend` names one; `None` lets the
    /// facade choose (io_uring when available, else ioctl).
    pub backend: Option<BackendKind>,
    /// The path, PCI address or ram parameters, without the prefix.
    pub target: String,
    /// For `/dev` paths, which kind of node.
    pub node: Option<NodeKind>,
}

impl DeviceSpec {
    /// The string handed to `nvmeq::open`.
    pub fn open_string(&self) -> String {
        match self.backend {
            Some(BackendKind::Ram) if self.target.is_empty() => "ram".into(),
            Some(b) => format!("{}:{}", b.prefix(), self.target),
            None => self.target.clone(),
        }
    }
}

/// Parses a device string and applies `--backend`, checking it without opening it.
pub fn parse(s: &str, backend: Option<BackendKind>) -> Result<DeviceSpec> {
    let s = s.trim();
    if s.is_empty() {
        return Err(CliError::Device(
            "no device given: name one like /dev/ng0n1, /dev/nvme0, vfio:0000:00:04.0 or ram:1G \
             (`nvmeq list` shows this host's devices)"
                .into(),
        ));
    }
    let (prefixed, target) = match (split_prefix(s), backend) {
        (Ok(p), _) => p,
        // `--backend ram 64M`, `--backend vfio 0000:00:04.0`: the string is the target.
        (Err(_), Some(_)) => (None, s),
        (Err(e), None) => return Err(e),
    };
    let kind = match (prefixed, backend) {
        (Some(p), Some(b)) if p != b => {
            // `--backend` overrides, except where the target cannot be used by it.
            b
        }
        (Some(p), _) => p,
        (None, Some(b)) => b,
        (None, None) if is_pci_address(target) => BackendKind::Vfio,
        (None, None) => {
            let node = check_dev_path(target, None)?;
            return Ok(DeviceSpec {
                backend: None,
                target: target.to_string(),
                node: Some(node),
            });
        }
    };
    let node = match kind {
        // The facade parses and names mistakes in `ram:` parameters.
        BackendKind::Ram => None,
        BackendKind::Vfio => {
            check_pci_address(target)?;
            None
        }
        BackendKind::Ioctl | BackendKind::Uring => Some(check_dev_path(target, Some(kind))?),
    };
    Ok(DeviceSpec {
        backend: Some(kind),
        target: target.to_string(),
        node,
    })
}

fn split_prefix(s: &str) -> Result<(Option<BackendKind>, &str)> {
    if s == "ram" {
        return Ok((Some(BackendKind::Ram), ""));
    }
    for kind in [
        BackendKind::Ram,
        BackendKind::Ioctl,
        BackendKind::Uring,
        BackendKind::Vfio,
    ] {
        if let Some(rest) = s
            .strip_prefix(kind.prefix())
            .and_then(|r| r.strip_prefix(':'))
        {
            return Ok((Some(kind), rest));
        }
    }
    if s.starts_with('/') || is_pci_address(s) {
        return Ok((None, s));
    }
    if let Some((p, _)) = s.split_once(':') {
        if p.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(CliError::Device(format!(
                "unknown backend '{p}' in '{s}': use ram:, ioctl:, uring: or vfio:"
            )));
        }
    }
    Err(CliError::Device(format!(
        "'{s}' is not a device: expected /dev/ngXnY, /dev/nvmeX, ioctl:/dev/…, uring:/dev/…, \
         vfio:DDDD:BB:DD.F or ram:SIZE"
    )))
}

/// Checks a `/dev` path: it exists and is an NVMe controller or namespace
/// node. Block devices (`/dev/nvmeXnY`) take ioctl passthrough but not
/// io_uring's, which needs the generic character device.
fn check_dev_path(p: &str, backend: Option<BackendKind>) -> Result<NodeKind> {
    let name = p.rsplit('/').next().unwrap_or(p);
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::Device(format!(
                "{p}: no such device (`nvmeq list` shows the NVMe devices on this host)"
            )))
        }
        Err(e) => return Err(CliError::Device(format!("{p}: {e}"))),
    };
    let ft = meta.file_type();
    if ft.is_block_device() {
        let generic = block_to_generic(name);
        return match (generic, backend) {
            (Some(g), Some(BackendKind::Uring)) => Err(CliError::Device(format!(
                "{p} is a block device: io_uring passthrough needs the namespace's generic \
                 character device /dev/{g}"
            ))),
            (Some(_), _) => Ok(NodeKind::Block),
            (None, _) => Err(CliError::Device(format!(
                "{p} is a block device but not an NVMe namespace: expected /dev/nvmeXnY, \
                 /dev/ngXnY or /dev/nvmeX"
            ))),
        };
    }
    if !ft.is_char_device() {
        return Err(CliError::Device(format!(
            "{p} is not a device file: expected an NVMe character device such as /dev/ng0n1 or /dev/nvme0"
        )));
    }
    if is_ctrl_name(name) {
        Ok(NodeKind::Controller)
    } else if is_generic_name(name) {
        Ok(NodeKind::Generic)
    } else {
        Err(CliError::Device(format!(
            "{p} is a character device but not an NVMe one: expected /dev/ngXnY or /dev/nvmeX"
        )))
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_ctrl_name(n: &str) -> bool {
    n.strip_prefix("nvme").is_some_and(digits)
}

fn is_generic_name(n: &str) -> bool {
    n.strip_prefix("ng")
        .and_then(|r| r.split_once('n'))
        .is_some_and(|(a, b)| digits(a) && digits(b))
}

/// `nvme0n1` → `ng0n1`.
fn block_to_generic(n: &str) -> Option<String> {
    let r = n.strip_prefix("nvme")?;
    let (a, b) = r.split_once('n')?;
    (digits(a) && digits(b)).then(|| format!("ng{a}n{b}"))
}

/// `DDDD:BB:DD.F` or `BB:DD.F`, hex.
pub fn is_pci_address(s: &str) -> bool {
    check_pci_address(s).is_ok()
}

fn check_pci_address(s: &str) -> Result<()> {
    let bad = |why: &str| {
        CliError::Device(format!(
            "'{s}' is not a PCI address ({why}): expected DDDD:BB:DD.F such as 0000:00:04.0"
        ))
    };
    let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit());
    let parts: Vec<&str> = s.split(':').collect();
    let (dom, bus, rest) = match parts.as_slice() {
        [d, b, r] => (Some(*d), *b, *r),
        [b, r] => (None, *b, *r),
        _ => return Err(bad("wrong number of ':'")),
    };
    if dom.is_some_and(|d| !hex(d, 4)) {
        return Err(bad("the domain is 4 hex digits"));
    }
    if !hex(bus, 2) {
        return Err(bad("the bus is 2 hex digits"));
    }
    let (dev, func) = rest
        .split_once('.')
        .ok_or_else(|| bad("missing '.function'"))?;
    if !hex(dev, 2) || u8::from_str_radix(dev, 16).unwrap_or(0xff) > 0x1f {
        return Err(bad("the device is 2 hex digits, at most 1f"));
    }
    if func.len() != 1 || !matches!(func.as_bytes()[0], b'0'..=b'7') {
        return Err(bad("the function is one digit 0-7"));
    }
    Ok(())
}

/// The namespace ID a `/dev/ngXnY` or `/dev/nvmeXnY` node stands for, from
/// sysfs (`/sys/block/nvmeXnY/nsid`): `Y` is an instance number, not always the NSID.
pub fn node_nsid(spec: &DeviceSpec) -> Option<u32> {
    let name = spec.target.rsplit('/').next()?;
    let blk = match spec.node? {
        NodeKind::Generic => format!("nvme{}", name.strip_prefix("ng")?),
        NodeKind::Block => name.to_string(),
        NodeKind::Controller => return None,
    };
    let root = std::env::var_os("NVMEQ_SYSFS_ROOT").unwrap_or_else(|| "/".into());
    let p = std::path::Path::new(&root)
        .join("sys/block")
        .join(blk)
        .join("nsid");
    std::fs::read_to_string(p).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        let d = parse("ram:64M", None).unwrap();
        assert_eq!(d.backend, Some(BackendKind::Ram));
        assert_eq!(d.open_string(), "ram:64M");
        let d = parse("vfio:0000:00:04.0", None).unwrap();
        assert_eq!(d.backend, Some(BackendKind::Vfio));
        let d = parse("0000:00:05.0", None).unwrap();
        assert_eq!(d.open_string(), "vfio:0000:00:05.0");
        let d = parse("1G", Some(BackendKind::Ram)).unwrap();
        assert_eq!(d.open_string(), "ram:1G");
        assert_eq!(parse("ram", None).unwrap().open_string(), "ram");
    }

    #[test]
    fn bad_strings_say_why() {
        let e = parse("vfio:0000:00:4.0", None).unwrap_err().to_string();
        assert!(e.contains("not a PCI address"), "{e}");
        let e = parse("vfio:0000:00:20.0", None).unwrap_err().to_string();
        assert!(e.contains("at most 1f"), "{e}");
        let e = parse("spdk:/dev/ng0n1", None).unwrap_err().to_string();
        assert!(e.contains("unknown backend 'spdk'"), "{e}");
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
        assert!(parse("", None).is_err());
    }

    #[test]
    fn names() {
        assert!(is_ctrl_name("nvme0"));
        assert!(!is_ctrl_name("nvme0n1"));
        assert!(is_generic_name("ng12n3"));
        assert!(!is_generic_name("ng1"));
        assert_eq!(block_to_generic("nvme0n1").as_deref(), Some("ng0n1"));
    }
}
