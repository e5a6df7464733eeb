//! Identify (Base spec, "Identify command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Identify Command Dword 10 (Base spec, "Identify – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct IdentifyCdw10 {
    /// Controller or Namespace Structure (CNS).
    pub cns: u8,
    /// Reserved (bits 15:8).
    #[bits(8)]
    _rsvd: u8,
    /// Controller Identifier (CNTID).
    pub cntid: u16,
}

/// Identify Command Dword 11 (Base spec, "Identify – Command Dword 11").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct IdentifyCdw11 {
    /// CNS Specific Identifier (CNSSID).
    pub cnssid: u16,
    /// Reserved (bits 23:16).
    #[bits(8)]
    _rsvd: u8,
    /// Command Set Identifier (CSI).
    pub csi: u8,
}

/// Command Dword 14 of the commands that take a UUID index (Identify, Get
/// Log Page, Set/Get Features): bits 6:0 UUID Index (UIDX).
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct UuidCdw14 {
    /// UUID Index (UIDX): 0 for none.
    #[bits(7)]
    pub uidx: u8,
    /// Reserved (bits 31:7; Get Log Page uses some, see [`super::GetLogPageCdw14`]).
    #[bits(25)]
    _rsvd: u32,
}

/// Identify (admin 06h), Base spec "Identify command" (figures "Identify –
/// Command Dword 10/11").
///
/// Always transfers one 4096-byte data structure, whatever the CNS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identify {
    nsid: u32,
    cdw10: IdentifyCdw10,
    cdw11: IdentifyCdw11,
    cdw14: UuidCdw14,
}

impl Identify {
    /// CNS 00h: Identify Namespace.
    pub const CNS_NAMESPACE: u8 = 0x00;
    /// CNS 01h: Identify Controller.
    pub const CNS_CONTROLLER: u8 = 0x01;
    /// CNS 02h: Active Namespace ID list.
    pub const CNS_ACTIVE_NS_LIST: u8 = 0x02;
    /// CNS 03h: Namespace Identification Descriptor list.
    pub const CNS_NS_DESCRIPTORS: u8 = 0x03;
    /// CNS 05h: I/O Command Set specific Identify Namespace.
    pub const CNS_CSI_NAMESPACE: u8 = 0x05;
    /// CNS 06h: I/O Command Set specific Identify Controller.
    pub const CNS_CSI_CONTROLLER: u8 = 0x06;
    /// CNS 07h: I/O Command Set specific Active Namespace ID list.
    pub const CNS_CSI_ACTIVE_NS_LIST: u8 = 0x07;
    /// CNS 08h: I/O Command Set Independent Identify Namespace.
    pub const CNS_CS_INDEP_NAMESPACE: u8 = 0x08;
    /// CNS 10h: Allocated Namespace ID list.
    pub const CNS_ALLOCATED_NS_LIST: u8 = 0x10;
    /// CNS 11h: Identify Namespace for an allocated NSID.
    pub const CNS_ALLOCATED_NAMESPACE: u8 = 0x11;
    /// CNS 12h: Controller list attached to NSID.
    pub const CNS_NS_CONTROLLER_LIST: u8 = 0x12;
    /// CNS 13h: Controller list in the NVM subsystem.
    pub const CNS_CONTROLLER_LIST: u8 = 0x13;
    /// CNS 14h: Primary Controller Capabilities.
    pub const CNS_PRIMARY_CONTROLLER_CAPS: u8 = 0x14;
    /// CNS 15h: Secondary Controller list.
    pub const CNS_SECONDARY_CONTROLLER_LIST: u8 = 0x15;
    /// CNS 16h: Namespace Granularity list.
    pub const CNS_NS_GRANULARITY: u8 = 0x16;
    /// CNS 17h: UUID list.
    pub const CNS_UUID_LIST: u8 = 0x17;
    /// CNS 1Ch: I/O Command Set data structure (the controller's command set profiles).
    pub const CNS_IO_COMMAND_SETS: u8 = 0x1c;

    /// The size of every Identify data structure.
    pub const DATA_LEN: u32 = 4096;

    /// An Identify with the given CNS and NSID.
    #[inline]
    pub const fn new(cns: u8, nsid: u32) -> Self {
        Identify {
            nsid,
            cdw10: IdentifyCdw10::new().with_cns(cns),
            cdw11: IdentifyCdw11::new(),
            cdw14: UuidCdw14::new(),
        }
    }
    /// Identify Controller.
    #[inline]
    pub const fn controller() -> Self {
        Self::new(Self::CNS_CONTROLLER, 0)
    }
    /// Identify Namespace for `nsid`.
    #[inline]
    pub const fn namespace(nsid: u32) -> Self {
        Self::new(Self::CNS_NAMESPACE, nsid)
    }
    /// Active Namespace ID list, starting after `nsid`.
    #[inline]
    pub const fn active_ns_list(nsid: u32) -> Self {
        Self::new(Self::CNS_ACTIVE_NS_LIST, nsid)
    }
    /// I/O Command Set specific Identify Namespace (e.g. `csi` 2 for ZNS).
    #[inline]
    pub const fn csi_namespace(nsid: u32, csi: u8) -> Self {
        Self::new(Self::CNS_CSI_NAMESPACE, nsid).csi(csi)
    }
    /// I/O Command Set specific Identify Controller.
    #[inline]
    pub const fn csi_controller(csi: u8) -> Self {
        Self::new(Self::CNS_CSI_CONTROLLER, 0).csi(csi)
    }
    /// Controller Identifier (CNTID).
    #[inline]
    pub const fn cntid(mut self, cntid: u16) -> Self {
        self.cdw10 = self.cdw10.with_cntid(cntid);
        self
    }
    /// CNS Specific Identifier (CNSSID).
    #[inline]
    pub const fn cnssid(mut self, cnssid: u16) -> Self {
        self.cdw11 = self.cdw11.with_cnssid(cnssid);
        self
    }
    /// Command Set Identifier (CSI).
    #[inline]
    pub const fn csi(mut self, csi: u8) -> Self {
        self.cdw11 = self.cdw11.with_csi(csi);
        self
    }
    /// UUID Index (UIDX); bits above 6 are ignored.
    #[inline]
    pub const fn uidx(mut self, uidx: u8) -> Self {
        self.cdw14 = self.cdw14.with_uidx(uidx & 0x7f);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::IDENTIFY.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        sqe.cdw14 = self.cdw14.into_bits();
        admin(sqe, Xfer::Bytes(Self::DATA_LEN))
    }
}
