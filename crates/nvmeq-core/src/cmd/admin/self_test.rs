//! Device Self-test (Base spec, "Device Self-test command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::log::SelfTestCode;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Device Self-test Command Dword 10.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct SelfTestCdw10 {
    /// Self-test Code (STC).
    #[bits(4)]
    pub stc: u8,
    /// Reserved (bits 31:4).
    #[bits(28)]
    _rsvd: u32,
}

/// Device Self-test (admin 14h), Base spec "Device Self-test command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceSelfTest {
    nsid: u32,
    cdw10: SelfTestCdw10,
}

impl DeviceSelfTest {
    /// Run `stc` on namespace `nsid` (0: controller only; FFFFFFFFh: all
    /// namespaces): [`SelfTestCode::SHORT`], [`SelfTestCode::EXTENDED`],
    /// [`SelfTestCode::VENDOR`], or [`SelfTestCode::ABORT`] to stop the test
    /// in progress. Bits above 3 are ignored.
    #[inline]
    pub const fn new(nsid: u32, stc: SelfTestCode) -> Self {
        DeviceSelfTest {
            nsid,
            cdw10: SelfTestCdw10::new().with_stc(stc.0 & 0xf),
        }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::DEVICE_SELF_TEST.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
}
