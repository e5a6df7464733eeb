//! NVM command set I/O command builders (NVM Command Set Specification 1.0,
//! "I/O Commands for the NVM Command Set"), one file per command or command
//! family, all re-exported here.
//!
//! Through Linux: `NVME_IOCTL_IO64_CMD` on `/dev/ngXnY` (or the block device),
//! or `IORING_OP_URING_CMD` with `NVME_URING_CMD_IO` on `/dev/ngXnY`, which
//! needs Linux 5.19.

use super::{Cmd, QueueKind, Xfer};
use crate::sqe::Command;

mod copy;
mod dsm;
mod flush;
mod io_mgmt;
mod reservation;
mod rw;

pub use copy::*;
pub use dsm::*;
pub use flush::*;
pub use io_mgmt::*;
pub use reservation::*;
pub use rw::*;

#[inline]
const fn io(sqe: Command, xfer: Xfer) -> Cmd {
    Cmd::with_xfer(QueueKind::Io, sqe, xfer)
}
