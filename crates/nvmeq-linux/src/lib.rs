//! What nvmeq's Linux backends (`nvmeq-ioctl`, `nvmeq-uring`), the CLI and
//! the conformance suite share, written once:
//!
//! - [`fabrics`]: the kernel's NVMe over Fabrics host (`/dev/nvme-fabrics`
//!   connect, `delete_controller` disconnect, fabrics controllers in sysfs);
//! - [`uapi`]: `struct nvme_passthru_cmd64`, `struct nvme_uring_cmd` and the
//!   ioctl / `cmd_op` numbers of `include/uapi/linux/nvme_ioctl.h`;
//! - [`node`]: which NVMe device node a path is (`/dev/nvmeX` controller,
//!   `/dev/ngXnY` namespace char device, `/dev/nvmeXnY` namespace block
//!   device), by name and by device number;
//! - [`sysfs`]: controllers, their namespaces and serials, and the
//!   controller of a namespace, from `/sys/class/nvme*`;
//! - [`host`]: the host's NQN and Host Identifier, found or generated as
//!   nvme-cli finds them (`/etc/nvme`, DMI, a random UUID);
//! - [`topology`]: hosts, NVM subsystems, controllers, namespaces and
//!   multipath paths from sysfs, in libnvme's order (`list-subsys`,
//!   `show-topology`);
//! - [`queue_limits`]: a namespace's block-queue limits, which bound what
//!   the kernel maps for one command, and the check of a vectored buffer
//!   against them;
//! - [`pci_bar`]: a kernel-owned PCIe controller's register page mapped
//!   through sysfs `resource0` (`get-reg`, `set-reg`, `show-regs`).
//!
//! No syscalls beyond file reads and writes and that one mapping (the only
//! unsafe code, in [`pci_bar`]): the ioctls themselves stay in the backends.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod fabrics;
pub mod host;
pub mod node;
#[allow(unsafe_code)]
pub mod pci_bar;
pub mod queue_limits;
pub mod sysfs;
pub mod topology;
pub mod uapi;

pub use node::{classify, ClassifyError, Node, NodeKind, NodeName};
pub use queue_limits::QueueLimits;
pub use sysfs::Sysfs;
pub use uapi::{NvmePassthruCmd64, NvmeUringCmd};
