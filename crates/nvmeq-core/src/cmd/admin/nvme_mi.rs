//! NVMe-MI Send and NVMe-MI Receive (admin 1Dh/1Eh; Base spec 2.0 "NVMe-MI
//! Send command" / "NVMe-MI Receive command", defined by the NVM Express
//! Management Interface Specification 1.2, "NVMe-MI Commands in-band"):
//! an NVMe-MI request message tunnelled through the admin queue.
//!
//! The request message's first four dwords ride in Command Dwords 10–13:
//! CDW10 is the NVMe-MI Message Header (Message Type 4h, the NVMe-MI
//! Message Type NMIMT), CDW11 the NVMe-MI opcode, CDW12 and CDW13 NVMe
//! Management Dwords 0 and 1 (NMD0, NMD1). The request or response data is
//! the command's data buffer; its length is not in the entry (the NVMe-MI
//! command defines it), so the builder takes it. Completion dword 0 is the
//! response message's first dword: the NVMe-MI status in bits 7:0 and the
//! NVMe Management Response in bits 31:8.

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// The Message Type of every NVMe-MI message (the MCTP message type for
/// NVMe Management Messages), in the header's bits 6:0.
pub const MI_MESSAGE_TYPE_NVME: u8 = 0x4;

open_enum! {
    /// NVMe-MI Message Type (NMIMT): the message header's bits 14:11.
    MiMessageType {
        /// 0h: Control Primitive.
        CONTROL_PRIMITIVE = 0x0 => "Control Primitive",
        /// 1h: NVMe-MI Command.
        MI_COMMAND = 0x1 => "NVMe-MI Command",
        /// 2h: NVMe Admin Command.
        ADMIN_COMMAND = 0x2 => "NVMe Admin Command",
        /// 4h: PCIe Command.
        PCIE_COMMAND = 0x4 => "PCIe Command",
    }
}

open_enum! {
    /// NVMe-MI opcodes of the NVMe-MI Command Set (NMIMT 1h), for the
    /// common ones; any 8-bit value can be sent.
    MiOpcode {
        /// 00h: Read NVMe-MI Data Structure.
        READ_MI_DATA = 0x00 => "Read NVMe-MI Data Structure",
        /// 01h: NVM Subsystem Health Status Poll.
        SUBSYS_HEALTH_STATUS_POLL = 0x01 => "NVM Subsystem Health Status Poll",
        /// 02h: Controller Health Status Poll.
        CTRL_HEALTH_STATUS_POLL = 0x02 => "Controller Health Status Poll",
        /// 03h: Configuration Set.
        CONFIGURATION_SET = 0x03 => "Configuration Set",
        /// 04h: Configuration Get.
        CONFIGURATION_GET = 0x04 => "Configuration Get",
        /// 05h: VPD Read.
        VPD_READ = 0x05 => "VPD Read",
        /// 06h: VPD Write.
        VPD_WRITE = 0x06 => "VPD Write",
        /// 07h: Reset.
        RESET = 0x07 => "Reset",
        /// 08h: SES Receive.
        SES_RECEIVE = 0x08 => "SES Receive",
        /// 09h: SES Send.
        SES_SEND = 0x09 => "SES Send",
        /// 0Ah: Management Endpoint Buffer Read.
        MEB_READ = 0x0a => "Management Endpoint Buffer Read",
        /// 0Bh: Management Endpoint Buffer Write.
        MEB_WRITE = 0x0b => "Management Endpoint Buffer Write",
        /// 0Ch: Shutdown.
        SHUTDOWN = 0x0c => "Shutdown",
    }
}

open_enum! {
    /// NVMe-MI Response Message Status (completion dword 0 bits 7:0).
    MiStatus {
        /// 00h: Success.
        SUCCESS = 0x00 => "Success",
        /// 01h: More Processing Required.
        MORE_PROCESSING_REQUIRED = 0x01 => "More Processing Required",
        /// 02h: Internal Error.
        INTERNAL_ERROR = 0x02 => "Internal Error",
        /// 03h: Invalid Command Opcode.
        INVALID_OPCODE = 0x03 => "Invalid Command Opcode",
        /// 04h: Invalid Parameter.
        INVALID_PARAMETER = 0x04 => "Invalid Parameter",
        /// 05h: Invalid Command Size.
        INVALID_COMMAND_SIZE = 0x05 => "Invalid Command Size",
        /// 06h: Invalid Command Input Data Size.
        INVALID_INPUT_SIZE = 0x06 => "Invalid Command Input Data Size",
        /// 07h: Access Denied.
        ACCESS_DENIED = 0x07 => "Access Denied",
        /// 20h: VPD Updates Exceeded.
        VPD_UPDATES_EXCEEDED = 0x20 => "VPD Updates Exceeded",
        /// 21h: PCIe Inaccessible.
        PCIE_INACCESSIBLE = 0x21 => "PCIe Inaccessible",
        /// 22h: Management Endpoint Buffer Cleared Due to Sanitize.
        MEB_SANITIZED = 0x22 => "Management Endpoint Buffer Cleared Due to Sanitize",
        /// 23h: Enclosure Services Failure.
        ENC_SERV_FAILURE = 0x23 => "Enclosure Services Failure",
        /// 24h: Enclosure Services Transfer Failure.
        ENC_SERV_XFER_FAILURE = 0x24 => "Enclosure Services Transfer Failure",
        /// 25h: Enclosure Failure.
        ENC_FAILURE = 0x25 => "Enclosure Failure",
        /// 26h: Enclosure Services Transfer Refused.
        ENC_XFER_REFUSED = 0x26 => "Enclosure Services Transfer Refused",
        /// 27h: Unsupported Enclosure Function.
        ENC_FUNC_UNSUPPORTED = 0x27 => "Unsupported Enclosure Function",
        /// 28h: Enclosure Services Unavailable.
        ENC_SERV_UNAVAILABLE = 0x28 => "Enclosure Services Unavailable",
        /// 29h: Enclosure Degraded.
        ENC_DEGRADED = 0x29 => "Enclosure Degraded",
        /// 2Ah: Sanitize In Progress.
        SANITIZE_IN_PROGRESS = 0x2a => "Sanitize In Progress",
    }
}

/// The NVMe-MI Message Header (NVMe-MI 1.2, "NVMe-MI Message Format"), as
/// NVMe-MI Send/Receive carry it in Command Dword 10.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct MiMessageHeader {
    /// Message Type (MT): 4h, NVMe Management Message.
    #[bits(7)]
    pub mt: u8,
    /// Integrity Check (IC): 0 in-band (the admin queue has its own).
    pub ic: bool,
    /// Command Slot Identifier (CSI).
    #[bits(1)]
    pub csi: u8,
    /// Reserved.
    #[bits(2)]
    _rsvd9: u8,
    /// NVMe-MI Message Type (NMIMT).
    #[bits(4)]
    pub nmimt: u8,
    /// Request or Response (ROR): 0 request.
    pub ror: bool,
    /// Management Endpoint Buffer (MEB): the data is in the buffer.
    pub meb: bool,
    /// Reserved.
    #[bits(15)]
    _rsvd17: u16,
}

/// The response message's first dword, from completion dword 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MiResponse {
    /// Status (bits 7:0).
    pub status: MiStatus,
    /// NVMe Management Response (bits 31:8).
    pub nmresp: u32,
}

impl MiResponse {
    /// Splits completion dword 0.
    #[inline]
    pub const fn from_dw0(dw0: u32) -> Self {
        MiResponse {
            status: MiStatus((dw0 & 0xff) as u8),
            nmresp: dw0 >> 8,
        }
    }
}

/// NVMe-MI Send (admin 1Dh) and NVMe-MI Receive (admin 1Eh): see the
/// module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvmeMi {
    opcode: AdminOpcode,
    nsid: u32,
    header: MiMessageHeader,
    mi_opcode: u8,
    nmd0: u32,
    nmd1: u32,
    len: u32,
}

impl NvmeMi {
    /// NVMe-MI Send of `len` bytes of request data: NVMe-MI opcode
    /// `mi_opcode` of message type `nmimt` (only its 4 bits are kept).
    #[inline]
    pub const fn send(nmimt: MiMessageType, mi_opcode: u8, len: u32) -> Self {
        Self::with(AdminOpcode::NVME_MI_SEND, nmimt, mi_opcode, len)
    }
    /// NVMe-MI Receive of up to `len` bytes of response data.
    #[inline]
    pub const fn receive(nmimt: MiMessageType, mi_opcode: u8, len: u32) -> Self {
        Self::with(AdminOpcode::NVME_MI_RECEIVE, nmimt, mi_opcode, len)
    }
    #[inline]
    const fn with(opcode: AdminOpcode, nmimt: MiMessageType, mi_opcode: u8, len: u32) -> Self {
        NvmeMi {
            opcode,
            nsid: 0,
            header: MiMessageHeader::new()
                .with_mt(MI_MESSAGE_TYPE_NVME)
                .with_nmimt(nmimt.0 & 0xf),
            mi_opcode,
            nmd0: 0,
            nmd1: 0,
            len,
        }
    }
    /// Namespace Identifier.
    #[inline]
    pub const fn nsid(mut self, nsid: u32) -> Self {
        self.nsid = nsid;
        self
    }
    /// NVMe Management Dword 0 (NMD0).
    #[inline]
    pub const fn nmd0(mut self, nmd0: u32) -> Self {
        self.nmd0 = nmd0;
        self
    }
    /// NVMe Management Dword 1 (NMD1).
    #[inline]
    pub const fn nmd1(mut self, nmd1: u32) -> Self {
        self.nmd1 = nmd1;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(self.opcode.0, self.nsid);
        sqe.cdw10 = self.header.into_bits();
        sqe.cdw11 = self.mi_opcode as u32;
        sqe.cdw12 = self.nmd0;
        sqe.cdw13 = self.nmd1;
        let xfer = if self.len == 0 {
            Xfer::None
        } else {
            Xfer::Bytes(self.len)
        };
        admin(sqe, xfer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataDir;

    #[test]
    fn send_dwords() {
        // nvme-cli's `nvme-mi-send -O 6 -m 1 -0 0 -1 0x100 -l 256` (VPD Write).
        let c = NvmeMi::send(MiMessageType::MI_COMMAND, MiOpcode::VPD_WRITE.0, 256)
            .nmd1(0x100)
            .build();
        assert_eq!(c.sqe.opcode(), 0x1d);
        assert_eq!(c.sqe.nsid, 0);
        assert_eq!(c.sqe.cdw10, 1 << 11 | 4);
        assert_eq!(c.sqe.cdw11, 6);
        assert_eq!(c.sqe.cdw12, 0);
        assert_eq!(c.sqe.cdw13, 0x100);
        assert_eq!(c.dir, DataDir::ToDevice);
        assert_eq!(c.xfer, Xfer::Bytes(256));
    }

    #[test]
    fn receive_dwords() {
        let c = NvmeMi::receive(MiMessageType::MI_COMMAND, MiOpcode::READ_MI_DATA.0, 4096)
            .nsid(1)
            .nmd0(0x0100_0000)
            .build();
        assert_eq!(c.sqe.opcode(), 0x1e);
        assert_eq!(c.sqe.nsid, 1);
        assert_eq!(c.sqe.cdw10, 0x0000_0804);
        assert_eq!(c.sqe.cdw12, 0x0100_0000);
        assert_eq!(c.dir, DataDir::FromDevice);
        assert_eq!(c.xfer, Xfer::Bytes(4096));
        let none = NvmeMi::receive(MiMessageType::MI_COMMAND, 1, 0).build();
        assert_eq!(none.xfer, Xfer::None);
        assert_eq!(none.dir, DataDir::None);
    }

    #[test]
    fn nmimt_keeps_four_bits() {
        let c = NvmeMi::send(MiMessageType(0x1f), 0, 0).build();
        assert_eq!(MiMessageHeader::from_bits(c.sqe.cdw10).nmimt(), 0xf);
        assert!(!MiMessageHeader::from_bits(c.sqe.cdw10).ror());
        assert_eq!(MiMessageType::PCIE_COMMAND.name(), Some("PCIe Command"));
    }

    #[test]
    fn response_dword() {
        let r = MiResponse::from_dw0(0x1234_5603);
        assert_eq!(r.status, MiStatus::INVALID_OPCODE);
        assert_eq!(r.status.name(), Some("Invalid Command Opcode"));
        assert_eq!(r.nmresp, 0x12_3456);
        assert_eq!(MiStatus(0x30).name(), None);
    }
}
