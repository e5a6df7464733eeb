//! Admin command builders (NVMe Base Specification 2.0, "Admin Command Set"),
//! one file per command or command family, all re-exported here. Through
//! Linux passthrough these go via `NVME_IOCTL_ADMIN64_CMD` on `/dev/nvmeX`,
//! or `IORING_OP_URING_CMD` with `NVME_URING_CMD_ADMIN` (Linux 6.0).

use super::{Cmd, QueueKind, Xfer};
use crate::sqe::Command;

mod abort;
mod async_event;
mod capacity;
mod directive;
mod doorbell_buffer;
mod features;
mod firmware;
mod format;
mod identify;
mod keep_alive;
mod lba_status;
mod lockdown;
mod log_page;
mod namespace;
mod nvme_mi;
mod queues;
mod sanitize;
mod security;
mod self_test;
mod virt;

/// Command Set Identifier, shared with the Identify layouts in [`crate::identify`].
pub use crate::identify::Csi;
/// Log Page Identifier, shared with the log page layouts in [`crate::log`].
pub use crate::log::LogId;
/// Self-test Code, shared with the Device Self-test log in [`crate::log`].
pub use crate::log::SelfTestCode;
pub use abort::*;
pub use async_event::*;
pub use capacity::*;
pub use directive::*;
pub use doorbell_buffer::*;
pub use features::*;
pub use firmware::*;
pub use format::*;
pub use identify::*;
pub use keep_alive::*;
pub use lba_status::*;
pub use lockdown::*;
pub use log_page::*;
pub use namespace::*;
pub use nvme_mi::*;
pub use queues::*;
pub use sanitize::*;
pub use security::*;
pub use self_test::*;
pub use virt::*;

#[inline]
const fn admin(sqe: Command, xfer: Xfer) -> Cmd {
    Cmd::with_xfer(QueueKind::Admin, sqe, xfer)
}
