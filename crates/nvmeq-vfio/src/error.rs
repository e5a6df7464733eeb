//! [`OpenError`]: why a controller could not be opened, with what to do about it.

use std::io;

/// Why [`crate::Controller::open`] (or [`crate::bind_vfio`] / [`crate::bind_kernel`])
/// failed. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The PCI address is malformed.
    #[error("bad PCI address {given:?}: {why} (expected e.g. 0000:00:04.0)")]
    BadAddress {
        /// What the caller gave.
        given: String,
        /// What is wrong with it.
        why: nvmeq_core::bdf::BdfError,
    },
    /// There is no PCI device at the address.
    #[error("no PCI device {bdf}: /sys/bus/pci/devices/{bdf} does not exist (list devices with lspci -D)")]
    NoSuchDevice {
        /// The address.
        bdf: String,
    },
    /// The device is not an NVMe controller.
    #[error("{bdf} is not an NVMe controller (PCI class {class:#08x}, expected 0x010802)")]
    NotNvme {
        /// The address.
        bdf: String,
        /// The PCI class code.
        class: u32,
    },
    /// The device is bound to another driver (usually `nvme`).
    #[error(
        "{bdf} is bound to the {driver} driver, not vfio-pci. Hand it to vfio-pci (as root) with\n  \
         echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override\n  \
         echo {bdf} > /sys/bus/pci/devices/{bdf}/driver/unbind\n  \
         echo {bdf} > /sys/bus/pci/drivers_probe\n\
         or call nvmeq_vfio::bind_vfio(\"{bdf}\")"
    )]
    BoundToDriver {
        /// The address.
        bdf: String,
        /// The driver it is bound to.
        driver: String,
    },
    /// The device is bound to no driver at all.
    #[error(
        "{bdf} is bound to no driver. Bind it to vfio-pci (as root, after modprobe vfio-pci) with\n  \
         echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override\n  \
         echo {bdf} > /sys/bus/pci/drivers_probe"
    )]
    Unbound {
        /// The address.
        bdf: String,
    },
    /// The device has no IOMMU group: the IOMMU is off.
    #[error(
        "{bdf} has no IOMMU group, so the IOMMU is off: boot with intel_iommu=on (Intel) or \
         amd_iommu=on (AMD) and enable VT-d/AMD-Vi in the firmware"
    )]
    NoIommuGroup {
        /// The address.
        bdf: String,
    },
    /// `/dev/vfio/vfio` or the group node does not exist.
    #[error("{path} does not exist: load the VFIO modules (modprobe vfio-pci) and boot with intel_iommu=on / amd_iommu=on")]
    NoVfio {
        /// The missing path.
        path: String,
    },
    /// Opening a VFIO node or writing sysfs was refused.
    #[error("permission denied on {path}: run as root, or chown the /dev/vfio/<group> node to your user and raise RLIMIT_MEMLOCK")]
    PermissionDenied {
        /// The path.
        path: String,
    },
    /// Another process (or another nvmeq instance) holds the VFIO group.
    #[error("{path} is busy: another process (or an open Controller in this one) already uses this VFIO group")]
    GroupBusy {
        /// The group node.
        path: String,
    },
    /// Some device in the IOMMU group is not bound to vfio-pci.
    #[error(
        "IOMMU group {group} is not viable: every device in it must be bound to vfio-pci (or no \
         driver), but {others} {verb} not. Bind them with nvmeq_vfio::bind_vfio or the \
         driver_override commands"
    )]
    GroupNotViable {
        /// The group number.
        group: u32,
        /// The devices in the way, with their drivers.
        others: String,
        /// "is" or "are".
        verb: &'static str,
    },
    /// The kernel lacks something this driver needs.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A system call failed.
    #[error("{op}: {source}")]
    Os {
        /// What was being done.
        op: String,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The controller did not come up.
    #[error("controller {bdf}: {what}")]
    Controller {
        /// The address.
        bdf: String,
        /// What went wrong.
        what: String,
    },
    /// An admin command during bring-up failed.
    #[error("controller {bdf}: {what} failed: {source}")]
    Command {
        /// The address.
        bdf: String,
        /// The command.
        what: &'static str,
        /// Why.
        #[source]
        source: nvmeq_core::Error,
    },
}

impl OpenError {
    /// An [`OpenError::Os`] for `op`, turning ENOENT/EACCES/EPERM/EBUSY on
    /// `path` into their specific variants.
    pub(crate) fn os_at(op: impl Into<String>, path: &str, source: io::Error) -> OpenError {
        match source.raw_os_error() {
            Some(libc::EACCES) | Some(libc::EPERM) => OpenError::PermissionDenied {
                path: path.to_string(),
            },
            Some(libc::EBUSY) if path.starts_with("/dev/vfio/") => OpenError::GroupBusy {
                path: path.to_string(),
            },
            Some(libc::ENOENT) if path.starts_with("/dev/vfio") => OpenError::NoVfio {
                path: path.to_string(),
            },
            _ => OpenError::Os {
                op: op.into(),
                source,
            },
        }
    }
}

/// Why [`crate::Controller::set_register`] refused a store.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The offset starts no register of the register map.
    #[error("offset {0:#x} starts no controller register")]
    NotARegister(usize),
    /// The register holds a host memory address the controller DMAs to.
    #[error("offset {0:#x} holds a host memory address the controller would DMA to: not written")]
    DmaAddress(usize),
}
