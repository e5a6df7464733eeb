//! What the running kernel and the device support, found before the first
//! command: kernel version, whether a path is an NVMe char device, the
//! namespace's block size and poll queues (sysfs), and the open errors.

use std::fs;
use std::path::{Path, PathBuf};

use nvmeq_linux::{Node, NodeKind, NodeName, QueueLimits, Sysfs};

/// Why [`Uring::open`](crate::Uring::open) failed.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The device could not be opened or inspected.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The path is not an NVMe char device.
    #[error(
        "{path} is not an NVMe character device ({why}); io_uring passthrough needs a \
         namespace char device /dev/ngXnY (or a controller char device /dev/nvmeX for admin only)"
    )]
    NotNvme {
        /// The path.
        path: String,
        /// What it is instead.
        why: String,
    },
    /// This kernel cannot carry NVMe commands over io_uring.
    #[error(
        "io_uring NVMe passthrough is unavailable: {why}; use the ioctl backend instead \
         (ioctl:{path})"
    )]
    NoUringCmd {
        /// The device path.
        path: String,
        /// Why.
        why: String,
    },
    /// An option is not available here.
    #[error("option {option} is unavailable: {why}")]
    Option {
        /// The option's name.
        option: &'static str,
        /// Why, and what to do.
        why: String,
    },
    /// A bad argument or a failed command while opening.
    #[error("{0}")]
    Nvme(#[from] nvmeq_core::Error),
}

/// The running kernel's (major, minor) version, from `/proc/sys/kernel/osrelease`.
pub fn kernel_version() -> Option<(u32, u32)> {
    parse_version(&fs::read_to_string("/proc/sys/kernel/osrelease").ok()?)
}

/// Parses the start of a release string such as `6.18.0-1-amd64`.
pub fn parse_version(release: &str) -> Option<(u32, u32)> {
    let mut it = release.trim().split(['.', '-', '+']);
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

/// Classifies `path`: io_uring passthrough takes a namespace char device
/// (`/dev/ngXnY`) or, for admin commands, a controller char device (`/dev/nvmeX`).
pub fn classify(path: &Path) -> Result<Node, OpenError> {
    use nvmeq_linux::ClassifyError as C;
    let p = path.display().to_string();
    let not_nvme = |why: String| OpenError::NotNvme {
        path: p.clone(),
        why,
    };
    match nvmeq_linux::classify(path) {
        Ok(n) if n.kind == NodeKind::Block => Err(not_nvme(
            "a block device without an NVMe generic char device: use /dev/ngXnY".into(),
        )),
        Ok(n) => Ok(n),
        Err(C::Missing { .. }) => Err(OpenError::Io {
            path: p.clone(),
            source: std::io::Error::from_raw_os_error(libc::ENOENT),
        }),
        Err(C::Permission { .. }) => Err(OpenError::Io {
            path: p.clone(),
            source: std::io::Error::from_raw_os_error(libc::EACCES),
        }),
        Err(C::Io { source, .. }) => Err(OpenError::Io {
            path: p.clone(),
            source,
        }),
        Err(C::NotADevice { kind, .. }) => Err(not_nvme(format!("a {kind}"))),
        Err(C::NotNvme {
            kind,
            major,
            minor,
            name,
            ..
        }) => Err(not_nvme(if name == "unknown" {
            format!("{kind} {major}:{minor} unknown to sysfs")
        } else {
            format!("{kind} {major}:{minor} is {name}")
        })),
        Err(C::Partition { name, .. }) => Err(not_nvme(format!(
            "partition {name}: passthrough needs the whole namespace"
        ))),
    }
}

/// For an NVMe namespace *block* device (`/dev/nvmeXnY`), its generic char
/// device `/dev/ngXnY` (same numbers: both name the namespace head), when
/// it exists. io_uring passthrough only works on the char device.
pub fn generic_for_block(path: &Path) -> Option<PathBuf> {
    let node = nvmeq_linux::classify(path).ok()?;
    if node.kind != NodeKind::Block {
        return None;
    }
    let ng = PathBuf::from("/dev").join(node.parsed()?.as_kind(NodeKind::Generic)?);
    (nvmeq_linux::classify(&ng).ok()?.kind == NodeKind::Generic).then_some(ng)
}

/// The controller char device of a namespace char device: the first
/// controller sysfs lists behind it, else `/dev/nvmeX` by instance number.
pub fn controller_of(ng: &Node) -> Option<PathBuf> {
    let listed = Sysfs::new()
        .controllers_behind(&ng.sysfs)
        .into_iter()
        .next();
    listed
        .map(|c| PathBuf::from("/dev").join(c))
        .or_else(|| Some(PathBuf::from(format!("/dev/nvme{}", ng.parsed()?.ctrl))))
}

/// The block device name for `ngXnY` (`nvmeXnY`).
fn block_name(ng: &str) -> Option<String> {
    NodeName::parse(ng)?.as_kind(NodeKind::Block)
}

fn read_u64(path: &str) -> Option<u64> {
    fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The namespace's logical block size from sysfs, when it has a block device
/// and sysfs says it has no metadata (`metadata_bytes`, Linux ≥ 6.9): with
/// metadata the format may be extended and the block size alone too small.
pub fn sysfs_lba_size(ng: &str) -> Option<u32> {
    let b = block_name(ng)?;
    if read_u64(&format!("/sys/block/{b}/metadata_bytes"))? != 0 {
        return None;
    }
    read_u64(&format!("/sys/block/{b}/queue/logical_block_size")).map(|v| v as u32)
}

/// The namespace's block-queue limits (`/sys/block/nvmeXnY/queue/`).
pub fn sysfs_queue_limits(ng: &str) -> Option<QueueLimits> {
    QueueLimits::read(Path::new(&format!("/sys/block/{}/queue", block_name(ng)?)))
}

/// Whether the namespace has poll queues (`/sys/block/nvmeXnY/queue/io_poll`).
pub fn io_poll(ng: &str) -> Result<(), String> {
    let b = block_name(ng).ok_or_else(|| format!("{ng} is not a namespace device name"))?;
    let path = format!("/sys/block/{b}/queue/io_poll");
    match fs::read_to_string(&path) {
        Ok(s) if s.trim() == "1" => Ok(()),
        Ok(s) => Err(format!(
            "namespace {b} has no poll queues ({path} = {}): load the nvme driver with \
             poll_queues=N (nvme.poll_queues=N on the kernel command line)",
            s.trim()
        )),
        Err(e) => Err(format!(
            "cannot tell whether namespace {b} has poll queues ({path}: {e})"
        )),
    }
}

pub use nvmeq_core::format::NsFormat;

/// The current format from an Identify Namespace data structure.
pub fn format_from_id_ns(id: &[u8]) -> Result<NsFormat, nvmeq_core::Error> {
    use zerocopy::FromBytes;
    let ns = nvmeq_core::IdentifyNamespace::read_from_prefix(id)
        .map_err(|_| nvmeq_core::Error::Malformed("Identify Namespace (short)"))?
        .0;
    NsFormat::from_identify(&ns)?.ok_or(nvmeq_core::Error::Malformed(
        "Identify Namespace: the namespace is inactive (NSZE 0)",
    ))
}

/// The current format from Identify Namespace and the NVM Command Set's
/// Identify Namespace (CNS 05h: the PI guard format and storage tag size).
pub fn format_from_id_ns_nvm(id: &[u8], nvm: &[u8]) -> Result<NsFormat, nvmeq_core::Error> {
    use zerocopy::FromBytes;
    let ns = nvmeq_core::IdentifyNamespace::read_from_prefix(id)
        .map_err(|_| nvmeq_core::Error::Malformed("Identify Namespace (short)"))?
        .0;
    let nvm = nvmeq_core::IdentifyNamespaceNvm::read_from_prefix(nvm)
        .map_err(|_| nvmeq_core::Error::Malformed("NVM Identify Namespace (short)"))?
        .0;
    NsFormat::from_identify_nvm(&ns, Some(&nvm))?.ok_or(nvmeq_core::Error::Malformed(
        "Identify Namespace: the namespace is inactive (NSZE 0)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("6.18.0-1-amd64\n"), Some((6, 18)));
        assert_eq!(parse_version("5.19-rc1"), Some((5, 19)));
        assert_eq!(parse_version("garbage"), None);
        let v = kernel_version().expect("/proc/sys/kernel/osrelease readable");
        assert!(v.0 >= 3);
    }

    #[test]
    fn block_names() {
        assert_eq!(block_name("ng1n2").as_deref(), Some("nvme1n2"));
        assert_eq!(block_name("ng10n12").as_deref(), Some("nvme10n12"));
        assert_eq!(block_name("nvme0"), None);
    }

    #[test]
    fn dev_null_is_not_nvme() {
        match classify(Path::new("/dev/null")) {
            Err(e @ OpenError::NotNvme { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains("/dev/null"), "{msg}");
                assert!(msg.contains("char device 1:3 is null"), "{msg}");
                assert!(msg.contains("/dev/ngXnY"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        match classify(Path::new("/etc/hostname")) {
            Err(OpenError::NotNvme { why, .. }) => assert_eq!(why, "a regular file"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            classify(Path::new("/dev/ng-does-not-exist")),
            Err(OpenError::Io { .. })
        ));
    }

    fn lba_size_from_id_ns(id: &[u8]) -> Result<u32, nvmeq_core::Error> {
        format_from_id_ns(id).map(|f| f.block_bytes)
    }

    #[test]
    fn lba_size_from_identify() {
        let mut id = vec![0u8; 4096];
        assert!(lba_size_from_id_ns(&id).is_err(), "inactive: NSZE 0");
        id[0] = 1; // NSZE: active
        id[25] = 1; // two formats
        id[26] = 1; // format 1 in use
        id[128 + 2] = 9;
        id[132 + 2] = 12;
        assert_eq!(lba_size_from_id_ns(&id), Ok(4096));
        id[26] = 0;
        assert_eq!(lba_size_from_id_ns(&id), Ok(512));
        // Format 0 with 8 bytes of metadata: separate buffer, then extended.
        id[128] = 8;
        assert_eq!(lba_size_from_id_ns(&id), Ok(512));
        assert_eq!(format_from_id_ns(&id), Ok(NsFormat::separate(512, 8)));
        id[26] = 0x10;
        assert_eq!(lba_size_from_id_ns(&id), Ok(520));
        assert_eq!(format_from_id_ns(&id), Ok(NsFormat::extended(512, 8)));
        // FLBAS bits 6:5 extend the index: format 16 + 1 = 17.
        id[26] = 0x21;
        id[128 + 4 * 17 + 2] = 13;
        assert_eq!(lba_size_from_id_ns(&id), Ok(8192));
        id[26] = 0;
        id[128 + 2] = 0;
        assert!(lba_size_from_id_ns(&id).is_err());
        assert!(lba_size_from_id_ns(&id[..100]).is_err());
    }

    #[test]
    fn io_poll_of_a_missing_namespace_says_why() {
        let e = io_poll("ng999n1").unwrap_err();
        assert!(e.contains("nvme999n1"), "{e}");
    }
}
