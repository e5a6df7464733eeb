//! Identify (Base spec, "Identify command").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Xfer};
use crate::identify::Csi;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

/// Identify Command Dword 10 (Base spec, "Identify – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct IdentifyCdw10 {
    /// Controller or Namespace Structure (CNS).
    #[bits(8)]
    pub cns: Cns,
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
    #[bits(8)]
    pub csi: Csi,
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

open_enum! {
    /// Controller or Namespace Structure (CNS): which Identify data structure
    /// to return (Base spec 2.0, "CNS Values").
    Cns {
        /// 00h: Identify Namespace.
        NAMESPACE = 0x00 => "Identify Namespace",
        /// 01h: Identify Controller.
        CONTROLLER = 0x01 => "Identify Controller",
        /// 02h: Active Namespace ID list.
        ACTIVE_NS_LIST = 0x02 => "Active Namespace ID List",
        /// 03h: Namespace Identification Descriptor list.
        NS_DESCRIPTORS = 0x03 => "Namespace Identification Descriptor List",
        /// 04h: NVM Set List.
        NVM_SET_LIST = 0x04 => "NVM Set List",
        /// 05h: I/O Command Set specific Identify Namespace.
        CSI_NAMESPACE = 0x05 => "I/O Command Set Specific Identify Namespace",
        /// 06h: I/O Command Set specific Identify Controller.
        CSI_CONTROLLER = 0x06 => "I/O Command Set Specific Identify Controller",
        /// 07h: I/O Command Set specific Active Namespace ID list.
        CSI_ACTIVE_NS_LIST = 0x07 => "I/O Command Set Specific Active Namespace ID List",
        /// 08h: I/O Command Set Independent Identify Namespace.
        CS_INDEP_NAMESPACE = 0x08 => "I/O Command Set Independent Identify Namespace",
        /// 09h: Identify Namespace for a User Data Format (the LBA format
        /// index in CNSSID), what a namespace created with it would report.
        NS_USER_DATA_FORMAT = 0x09 => "Identify Namespace for the Specified User Data Format",
        /// 0Ah: I/O Command Set specific Identify Namespace for a User Data
        /// Format (the LBA format index in CNSSID, the command set in CSI).
        CSI_NS_USER_DATA_FORMAT = 0x0a => "I/O Command Set Specific Identify Namespace for the Specified User Data Format",
        /// 10h: Allocated Namespace ID list.
        ALLOCATED_NS_LIST = 0x10 => "Allocated Namespace ID List",
        /// 11h: Identify Namespace for an allocated NSID.
        ALLOCATED_NAMESPACE = 0x11 => "Identify Namespace (Allocated NSID)",
        /// 12h: Controller list attached to NSID.
        NS_CONTROLLER_LIST = 0x12 => "Namespace Attached Controller List",
        /// 13h: Controller list in the NVM subsystem.
        CONTROLLER_LIST = 0x13 => "Controller List",
        /// 14h: Primary Controller Capabilities.
        PRIMARY_CONTROLLER_CAPS = 0x14 => "Primary Controller Capabilities",
        /// 15h: Secondary Controller list.
        SECONDARY_CONTROLLER_LIST = 0x15 => "Secondary Controller List",
        /// 16h: Namespace Granularity list.
        NS_GRANULARITY = 0x16 => "Namespace Granularity List",
        /// 17h: UUID list.
        UUID_LIST = 0x17 => "UUID List",
        /// 18h: Domain list.
        DOMAIN_LIST = 0x18 => "Domain List",
        /// 19h: Endurance Group list.
        ENDURANCE_GROUP_LIST = 0x19 => "Endurance Group List",
        /// 1Ah: I/O Command Set specific Allocated Namespace ID list.
        CSI_ALLOCATED_NS_LIST = 0x1a => "I/O Command Set Specific Allocated Namespace ID List",
        /// 1Ch: I/O Command Set data structure (the controller's command set profiles).
        IO_COMMAND_SETS = 0x1c => "I/O Command Set Data Structure",
    }
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
    /// The size of every Identify data structure.
    pub const DATA_LEN: u32 = 4096;

    /// An Identify with the given CNS and NSID.
    #[inline]
    pub const fn new(cns: Cns, nsid: u32) -> Self {
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
        Self::new(Cns::CONTROLLER, 0)
    }
    /// Identify Namespace for `nsid`.
    #[inline]
    pub const fn namespace(nsid: u32) -> Self {
        Self::new(Cns::NAMESPACE, nsid)
    }
    /// Active Namespace ID list, starting after `nsid`.
    #[inline]
    pub const fn active_ns_list(nsid: u32) -> Self {
        Self::new(Cns::ACTIVE_NS_LIST, nsid)
    }
    /// I/O Command Set specific Identify Namespace (e.g. [`Csi::ZNS`]).
    #[inline]
    pub const fn csi_namespace(nsid: u32, csi: Csi) -> Self {
        Self::new(Cns::CSI_NAMESPACE, nsid).csi(csi)
    }
    /// The NVM command set's Identify Namespace (CNS 05h, CSI 00h), whose
    /// ELBAF gives each format's PI format and storage tag size
    /// ([`IdentifyNamespaceNvm`](crate::identify::IdentifyNamespaceNvm)).
    #[inline]
    pub const fn nvm_namespace(nsid: u32) -> Self {
        Self::csi_namespace(nsid, Csi::NVM)
    }
    /// Identify Namespace for User Data Format `lbaf` (CNS 09h, Base spec 2.0
    /// figure "CNS Values"): the format fields a namespace created in LBA
    /// format `lbaf` would report; `csi` is the command set it would be in.
    #[inline]
    pub const fn ns_user_data_format(lbaf: u16, csi: Csi) -> Self {
        Self::new(Cns::NS_USER_DATA_FORMAT, 0).cnssid(lbaf).csi(csi)
    }
    /// I/O Command Set specific Identify Namespace for User Data Format
    /// `lbaf` (CNS 0Ah): for [`Csi::NVM`], the
    /// [`IdentifyNamespaceNvm`](crate::identify::IdentifyNamespaceNvm) of
    /// that format.
    #[inline]
    pub const fn csi_ns_user_data_format(lbaf: u16, csi: Csi) -> Self {
        Self::new(Cns::CSI_NS_USER_DATA_FORMAT, 0)
            .cnssid(lbaf)
            .csi(csi)
    }
    /// I/O Command Set specific Identify Controller.
    #[inline]
    pub const fn csi_controller(csi: Csi) -> Self {
        Self::new(Cns::CSI_CONTROLLER, 0).csi(csi)
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
    pub const fn csi(mut self, csi: Csi) -> Self {
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
