//! Namespace Management and Namespace Attachment (Base spec 2.0, each
//! command's section): the commands that create, attach and delete namespaces.

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::cqe::Completion;
use crate::identify::Csi;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Namespace Management / Attachment Command Dword 10: bits 3:0 Select (SEL).
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct SelCdw10 {
    /// Select (SEL).
    #[bits(4)]
    pub sel: u8,
    /// Reserved (bits 31:4).
    #[bits(28)]
    _rsvd: u32,
}

/// Namespace Management Command Dword 11: bits 31:24 Command Set Identifier.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct NsMgmtCdw11 {
    /// Reserved (bits 23:0).
    #[bits(24)]
    _rsvd: u32,
    /// Command Set Identifier (CSI) of the namespace to create.
    pub csi: u8,
}

/// Namespace Management (admin 0Dh), Base spec "Namespace Management command".
///
/// Create (SEL 0) sends the 4096-byte host-specified Identify Namespace
/// structure; Delete (SEL 1) moves no data. Destructive: deletes data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsManagement {
    nsid: u32,
    cdw10: SelCdw10,
    cdw11: NsMgmtCdw11,
}

impl NsManagement {
    /// Create a namespace of command set `csi` (e.g. [`Csi::NVM`], [`Csi::ZNS`]) from the
    /// 4096-byte structure in the data buffer. The new NSID is in
    /// completion dword 0 ([`Self::created_nsid`]).
    #[inline]
    pub const fn create(csi: Csi) -> Self {
        NsManagement {
            nsid: 0,
            cdw10: SelCdw10::new().with_sel(0),
            cdw11: NsMgmtCdw11::new().with_csi(csi.0),
        }
    }
    /// Delete namespace `nsid` (FFFFFFFFh: all).
    #[inline]
    pub const fn delete(nsid: u32) -> Self {
        NsManagement {
            nsid,
            cdw10: SelCdw10::new().with_sel(1),
            cdw11: NsMgmtCdw11::new(),
        }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::NS_MANAGEMENT.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        let xfer = if self.cdw10.sel() == 0 {
            Xfer::Bytes(4096)
        } else {
            Xfer::None
        };
        admin(sqe, xfer)
    }
    /// The NSID a successful create allocated (completion dword 0).
    #[inline]
    pub const fn created_nsid(c: &Completion) -> u32 {
        c.dw0
    }
}

/// Namespace Attachment (admin 15h), Base spec "Namespace Attachment command".
///
/// Sends a 4096-byte Controller List naming the controllers to attach to or
/// detach from namespace `nsid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsAttachment {
    nsid: u32,
    cdw10: SelCdw10,
}

impl NsAttachment {
    /// The size of the Controller List the command sends.
    pub const DATA_LEN: u32 = 4096;

    /// Attach `nsid` to the controllers in the list (SEL 0).
    #[inline]
    pub const fn attach(nsid: u32) -> Self {
        NsAttachment {
            nsid,
            cdw10: SelCdw10::new().with_sel(0),
        }
    }
    /// Detach `nsid` from the controllers in the list (SEL 1).
    #[inline]
    pub const fn detach(nsid: u32) -> Self {
        NsAttachment {
            nsid,
            cdw10: SelCdw10::new().with_sel(1),
        }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::NS_ATTACHMENT.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::Bytes(Self::DATA_LEN))
    }
}
