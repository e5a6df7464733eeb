//! Admin command builders (NVMe Base Specification 2.0, "Admin Command Set").
//!
//! Queue creation and deletion live in `queues.rs`, Set/Get Features in
//! `features.rs`; all are re-exported here. Through Linux passthrough these
//! go via `NVME_IOCTL_ADMIN64_CMD` on `/dev/nvmeX`, or `IORING_OP_URING_CMD`
//! with `NVME_URING_CMD_ADMIN` (Linux 6.0).

use bitfield_struct::bitfield;

use super::{Cmd, Numd, QueueKind, Xfer};
use crate::cqe::Completion;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

pub use super::features::*;
pub use super::queues::*;

const fn admin(sqe: Command, xfer: Xfer) -> Cmd {
    Cmd::with_xfer(QueueKind::Admin, sqe, xfer)
}

// ---------------------------------------------------------------- Identify

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
    /// Reserved (bits 31:7; Get Log Page uses some, see [`GetLogPageCdw14`]).
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
    pub const fn new(cns: u8, nsid: u32) -> Self {
        Identify {
            nsid,
            cdw10: IdentifyCdw10::new().with_cns(cns),
            cdw11: IdentifyCdw11::new(),
            cdw14: UuidCdw14::new(),
        }
    }
    /// Identify Controller.
    pub const fn controller() -> Self {
        Self::new(Self::CNS_CONTROLLER, 0)
    }
    /// Identify Namespace for `nsid`.
    pub const fn namespace(nsid: u32) -> Self {
        Self::new(Self::CNS_NAMESPACE, nsid)
    }
    /// Active Namespace ID list, starting after `nsid`.
    pub const fn active_ns_list(nsid: u32) -> Self {
        Self::new(Self::CNS_ACTIVE_NS_LIST, nsid)
    }
    /// I/O Command Set specific Identify Namespace (e.g. `csi` 2 for ZNS).
    pub const fn csi_namespace(nsid: u32, csi: u8) -> Self {
        Self::new(Self::CNS_CSI_NAMESPACE, nsid).csi(csi)
    }
    /// I/O Command Set specific Identify Controller.
    pub const fn csi_controller(csi: u8) -> Self {
        Self::new(Self::CNS_CSI_CONTROLLER, 0).csi(csi)
    }
    /// Controller Identifier (CNTID).
    pub const fn cntid(mut self, cntid: u16) -> Self {
        self.cdw10 = self.cdw10.with_cntid(cntid);
        self
    }
    /// CNS Specific Identifier (CNSSID).
    pub const fn cnssid(mut self, cnssid: u16) -> Self {
        self.cdw11 = self.cdw11.with_cnssid(cnssid);
        self
    }
    /// Command Set Identifier (CSI).
    pub const fn csi(mut self, csi: u8) -> Self {
        self.cdw11 = self.cdw11.with_csi(csi);
        self
    }
    /// UUID Index (UIDX); bits above 6 are ignored.
    pub const fn uidx(mut self, uidx: u8) -> Self {
        self.cdw14 = self.cdw14.with_uidx(uidx & 0x7f);
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::IDENTIFY.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        sqe.cdw14 = self.cdw14.into_bits();
        admin(sqe, Xfer::Bytes(Self::DATA_LEN))
    }
}

// ------------------------------------------------------------ Get Log Page

open_enum! {
    /// Log Page Identifier (LID), Base spec "Log Page Identifiers" (plus the
    /// command set specifications' pages).
    LogId {
        /// Supported Log Pages.
        SUPPORTED = 0x00 => "Supported Log Pages",
        /// Error Information.
        ERROR = 0x01 => "Error Information",
        /// SMART / Health Information.
        SMART = 0x02 => "SMART / Health Information",
        /// Firmware Slot Information.
        FW_SLOT = 0x03 => "Firmware Slot Information",
        /// Changed Namespace List.
        CHANGED_NS = 0x04 => "Changed Namespace List",
        /// Commands Supported and Effects.
        CMD_EFFECTS = 0x05 => "Commands Supported and Effects",
        /// Device Self-test.
        DEVICE_SELF_TEST = 0x06 => "Device Self-test",
        /// Telemetry Host-Initiated.
        TELEMETRY_HOST = 0x07 => "Telemetry Host-Initiated",
        /// Telemetry Controller-Initiated.
        TELEMETRY_CTRL = 0x08 => "Telemetry Controller-Initiated",
        /// Endurance Group Information.
        ENDURANCE_GROUP = 0x09 => "Endurance Group Information",
        /// Predictable Latency Per NVM Set.
        PLM_PER_SET = 0x0a => "Predictable Latency Per NVM Set",
        /// Predictable Latency Event Aggregate.
        PLM_EVENT_AGG = 0x0b => "Predictable Latency Event Aggregate",
        /// Asymmetric Namespace Access.
        ANA = 0x0c => "Asymmetric Namespace Access",
        /// Persistent Event Log.
        PERSISTENT_EVENT = 0x0d => "Persistent Event Log",
        /// Endurance Group Event Aggregate.
        ENDURANCE_EVENT_AGG = 0x0f => "Endurance Group Event Aggregate",
        /// Media Unit Status.
        MEDIA_UNIT_STATUS = 0x10 => "Media Unit Status",
        /// Supported Capacity Configuration List.
        CAPACITY_CONFIG = 0x11 => "Supported Capacity Configuration List",
        /// Feature Identifiers Supported and Effects.
        FEATURES_SUPPORTED = 0x12 => "Feature Identifiers Supported and Effects",
        /// NVMe-MI Commands Supported and Effects.
        MI_CMDS_SUPPORTED = 0x13 => "NVMe-MI Commands Supported and Effects",
        /// Command and Feature Lockdown.
        LOCKDOWN = 0x14 => "Command and Feature Lockdown",
        /// Boot Partition.
        BOOT_PARTITION = 0x15 => "Boot Partition",
        /// Rotational Media Information.
        ROTATIONAL_MEDIA = 0x16 => "Rotational Media Information",
        /// Discovery (fabrics).
        DISCOVERY = 0x70 => "Discovery",
        /// Reservation Notification.
        RESERVATION = 0x80 => "Reservation Notification",
        /// Sanitize Status.
        SANITIZE = 0x81 => "Sanitize Status",
        /// Changed Zone List (ZNS).
        CHANGED_ZONES = 0xbf => "Changed Zone List",
    }
}

/// Get Log Page Command Dword 10 (Base spec, "Get Log Page – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetLogPageCdw10 {
    /// Log Page Identifier (LID).
    pub lid: u8,
    /// Log Specific Parameter (LSP).
    #[bits(7)]
    pub lsp: u8,
    /// Retain Asynchronous Event (RAE).
    pub rae: bool,
    /// Number of Dwords Lower (NUMDL): bits 15:0 of the zero-based NUMD.
    pub numdl: u16,
}

/// Get Log Page Command Dword 11 (Base spec, "Get Log Page – Command Dword 11").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetLogPageCdw11 {
    /// Number of Dwords Upper (NUMDU): bits 31:16 of the zero-based NUMD.
    pub numdu: u16,
    /// Log Specific Identifier (LSI).
    pub lsi: u16,
}

/// Get Log Page Command Dword 14 (Base spec, "Get Log Page – Command Dword 14").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetLogPageCdw14 {
    /// UUID Index (UIDX).
    #[bits(7)]
    pub uidx: u8,
    /// Reserved (bits 22:7).
    #[bits(16)]
    _rsvd: u16,
    /// Offset Type (OT): the offset is an index of entries, not bytes.
    pub ot: bool,
    /// Command Set Identifier (CSI).
    pub csi: u8,
}

/// Get Log Page (admin 02h), Base spec "Get Log Page command".
///
/// Transfers `(NUMD + 1) * 4` bytes, NUMD split over NUMDL (CDW10) and NUMDU
/// (CDW11); the 64-bit Log Page Offset is split over LPOL/LPOU (CDW12/13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetLogPage {
    nsid: u32,
    cdw10: GetLogPageCdw10,
    cdw11: GetLogPageCdw11,
    lpo: u64,
    cdw14: GetLogPageCdw14,
    numd: Numd,
}

impl GetLogPage {
    /// Read `numd` of log page `lid` (controller scope: NSID FFFFFFFFh, the
    /// value Linux uses for controller-wide pages; change it with [`Self::nsid`]).
    pub const fn new(lid: LogId, numd: Numd) -> Self {
        GetLogPage {
            nsid: 0xffff_ffff,
            cdw10: GetLogPageCdw10::new()
                .with_lid(lid.0)
                .with_numdl(numd.z() as u16),
            cdw11: GetLogPageCdw11::new().with_numdu((numd.z() >> 16) as u16),
            lpo: 0,
            cdw14: GetLogPageCdw14::new(),
            numd,
        }
    }
    /// Namespace Identifier.
    pub const fn nsid(mut self, nsid: u32) -> Self {
        self.nsid = nsid;
        self
    }
    /// Log Specific Parameter (LSP); bits above 6 are ignored.
    pub const fn lsp(mut self, lsp: u8) -> Self {
        self.cdw10 = self.cdw10.with_lsp(lsp & 0x7f);
        self
    }
    /// Retain Asynchronous Event (RAE).
    pub const fn rae(mut self, rae: bool) -> Self {
        self.cdw10 = self.cdw10.with_rae(rae);
        self
    }
    /// Log Specific Identifier (LSI).
    pub const fn lsi(mut self, lsi: u16) -> Self {
        self.cdw11 = self.cdw11.with_lsi(lsi);
        self
    }
    /// Log Page Offset (LPOL/LPOU): bytes (dword aligned), or an entry index
    /// with [`Self::ot`].
    pub const fn lpo(mut self, lpo: u64) -> Self {
        self.lpo = lpo;
        self
    }
    /// Offset Type (OT): `lpo` is an index of entries.
    pub const fn ot(mut self, ot: bool) -> Self {
        self.cdw14 = self.cdw14.with_ot(ot);
        self
    }
    /// Command Set Identifier (CSI).
    pub const fn csi(mut self, csi: u8) -> Self {
        self.cdw14 = self.cdw14.with_csi(csi);
        self
    }
    /// UUID Index (UIDX); bits above 6 are ignored.
    pub const fn uidx(mut self, uidx: u8) -> Self {
        self.cdw14 = self.cdw14.with_uidx(uidx & 0x7f);
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::GET_LOG_PAGE.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11.into_bits();
        sqe.cdw12 = self.lpo as u32;
        sqe.cdw13 = (self.lpo >> 32) as u32;
        sqe.cdw14 = self.cdw14.into_bits();
        admin(sqe, Xfer::Bytes(self.numd.bytes()))
    }
}

// ------------------------------------------------------------------- Abort

/// Abort Command Dword 10 (Base spec, "Abort – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct AbortCdw10 {
    /// Submission Queue Identifier (SQID).
    pub sqid: u16,
    /// Command Identifier (CID).
    pub cid: u16,
}

/// Abort (admin 08h), Base spec "Abort command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abort {
    cdw10: AbortCdw10,
}

impl Abort {
    /// Abort command `cid` of submission queue `sqid`.
    pub const fn new(sqid: u16, cid: u16) -> Self {
        Abort {
            cdw10: AbortCdw10::new().with_sqid(sqid).with_cid(cid),
        }
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::ABORT.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
    /// Whether the command was aborted: completion dword 0 bit 0 is cleared
    /// when it was ("Abort – Completion Queue Entry Dword 0").
    pub const fn aborted(c: &Completion) -> bool {
        c.dw0 & 1 == 0
    }
}

// --------------------------------------------- Asynchronous Event Request

/// Completion dword 0 of an Asynchronous Event Request (Base spec,
/// "Asynchronous Event Request – Completion Queue Entry Dword 0").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct AsyncEvent {
    /// Asynchronous Event Type (AET): 0 error, 1 SMART/health, 2 notice,
    /// 6 I/O command set specific, 7 vendor specific.
    #[bits(3)]
    pub aet: u8,
    /// Reserved (bits 7:3).
    #[bits(5)]
    _rsvd: u8,
    /// Asynchronous Event Information (AEI).
    pub aei: u8,
    /// Log Page Identifier (LID) to read to clear the event.
    pub lid: u8,
    /// Reserved (bits 31:24).
    #[bits(8)]
    _rsvd2: u8,
}

/// Asynchronous Event Request (admin 0Ch), Base spec "Asynchronous Event
/// Request command". No data; completes only when an event occurs, so
/// backends must not apply their normal command timeout to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsyncEventRequest;

impl AsyncEventRequest {
    /// The request.
    pub const fn new() -> Self {
        AsyncEventRequest
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        admin(
            Command::new(AdminOpcode::ASYNC_EVENT_REQUEST.0, 0),
            Xfer::None,
        )
    }
    /// The event a completion reports.
    pub const fn event(c: &Completion) -> AsyncEvent {
        AsyncEvent::from_bits(c.dw0)
    }
}

// ----------------------------------------------------- Namespace Management

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
    /// Create a namespace of command set `csi` (0 NVM, 2 ZNS) from the
    /// 4096-byte structure in the data buffer. The new NSID is in
    /// completion dword 0 ([`Self::created_nsid`]).
    pub const fn create(csi: u8) -> Self {
        NsManagement {
            nsid: 0,
            cdw10: SelCdw10::new().with_sel(0),
            cdw11: NsMgmtCdw11::new().with_csi(csi),
        }
    }
    /// Delete namespace `nsid` (FFFFFFFFh: all).
    pub const fn delete(nsid: u32) -> Self {
        NsManagement {
            nsid,
            cdw10: SelCdw10::new().with_sel(1),
            cdw11: NsMgmtCdw11::new(),
        }
    }
    /// The command.
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
    pub const fn attach(nsid: u32) -> Self {
        NsAttachment {
            nsid,
            cdw10: SelCdw10::new().with_sel(0),
        }
    }
    /// Detach `nsid` from the controllers in the list (SEL 1).
    pub const fn detach(nsid: u32) -> Self {
        NsAttachment {
            nsid,
            cdw10: SelCdw10::new().with_sel(1),
        }
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::NS_ATTACHMENT.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::Bytes(Self::DATA_LEN))
    }
}

// ------------------------------------------------------------------ Firmware

/// Commit Action (CA) of Firmware Commit (Base spec, "Firmware Commit –
/// Command Dword 10").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum CommitAction {
    /// 000b: replace the image in the slot; do not activate.
    Replace = 0,
    /// 001b: replace the image and activate it at the next reset.
    ReplaceAndActivate = 1,
    /// 010b: activate the image already in the slot at the next reset.
    Activate = 2,
    /// 011b: replace and activate immediately, without a reset.
    ReplaceAndActivateNow = 3,
    /// 110b: replace the boot partition given by BPID.
    ReplaceBootPartition = 6,
    /// 111b: mark the boot partition given by BPID active.
    ActivateBootPartition = 7,
}

/// Firmware Commit Command Dword 10 (Base spec, "Firmware Commit – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct FirmwareCommitCdw10 {
    /// Firmware Slot (FS): 0 lets the controller choose.
    #[bits(3)]
    pub fs: u8,
    /// Commit Action (CA).
    #[bits(3)]
    pub ca: u8,
    /// Reserved (bits 30:6).
    #[bits(25)]
    _rsvd: u32,
    /// Boot Partition ID (BPID).
    pub bpid: bool,
}

/// Firmware Commit (admin 10h), Base spec "Firmware Commit command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareCommit {
    cdw10: FirmwareCommitCdw10,
}

impl FirmwareCommit {
    /// Commit action `ca` on firmware slot `fs` (0..=7; 0 lets the controller
    /// choose; bits above 2 are ignored).
    pub const fn new(fs: u8, ca: CommitAction) -> Self {
        FirmwareCommit {
            cdw10: FirmwareCommitCdw10::new().with_fs(fs & 7).with_ca(ca as u8),
        }
    }
    /// Boot Partition ID (BPID), for the boot partition actions.
    pub const fn bpid(mut self, bpid: bool) -> Self {
        self.cdw10 = self.cdw10.with_bpid(bpid);
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::FIRMWARE_COMMIT.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
}

/// Firmware Image Download (admin 11h), Base spec "Firmware Image Download
/// command": sends `NUMD + 1` dwords of image at dword offset OFST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareDownload {
    numd: Numd,
    ofst: u32,
}

impl FirmwareDownload {
    /// Send `numd` of the image, at dword offset `ofst` (Offset, OFST).
    pub const fn new(numd: Numd, ofst: u32) -> Self {
        FirmwareDownload { numd, ofst }
    }
    /// The command: CDW10 NUMD (zero-based), CDW11 OFST.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::FIRMWARE_DOWNLOAD.0, 0);
        sqe.cdw10 = self.numd.z();
        sqe.cdw11 = self.ofst;
        admin(sqe, Xfer::Bytes(self.numd.bytes()))
    }
}

// --------------------------------------------------------- Device Self-test

/// Self-test Code (STC), Base spec "Device Self-test – Command Dword 10".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SelfTestCode {
    /// 1h: start a short device self-test.
    Short = 0x1,
    /// 2h: start an extended device self-test.
    Extended = 0x2,
    /// Eh: start a vendor specific device self-test.
    VendorSpecific = 0xe,
    /// Fh: abort the device self-test in progress.
    Abort = 0xf,
}

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
    /// Run `stc` on namespace `nsid` (0: controller only; FFFFFFFFh: all namespaces).
    pub const fn new(nsid: u32, stc: SelfTestCode) -> Self {
        DeviceSelfTest {
            nsid,
            cdw10: SelfTestCdw10::new().with_stc(stc as u8),
        }
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::DEVICE_SELF_TEST.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
}

/// Keep Alive (admin 18h), Base spec "Keep Alive command". No fields, no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeepAlive;

impl KeepAlive {
    /// The keep alive.
    pub const fn new() -> Self {
        KeepAlive
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        admin(Command::new(AdminOpcode::KEEP_ALIVE.0, 0), Xfer::None)
    }
}

// -------------------------------------------------------------- Directives

open_enum! {
    /// Directive Type (DTYPE), Base spec "Directive Types".
    DirectiveType {
        /// Identify directive.
        IDENTIFY = 0x00 => "Identify",
        /// Streams directive.
        STREAMS = 0x01 => "Streams",
        /// Data Placement directive (Flexible Data Placement).
        DATA_PLACEMENT = 0x02 => "Data Placement",
    }
}

/// Directive Send/Receive Command Dword 11 (Base spec, "Directive Send –
/// Command Dword 11").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct DirectiveCdw11 {
    /// Directive Operation (DOPER).
    pub doper: u8,
    /// Directive Type (DTYPE).
    pub dtype: u8,
    /// Directive Specific (DSPEC).
    pub dspec: u16,
}

/// Directive Send (admin 19h) and Directive Receive (admin 1Ah), Base spec
/// "Directive Send command" / "Directive Receive command".
///
/// CDW10 is NUMD (zero-based); when the operation moves no data the builder
/// leaves it zero and transfers nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Directive {
    opcode: AdminOpcode,
    nsid: u32,
    numd: Option<Numd>,
    cdw11: DirectiveCdw11,
    cdw12: u32,
}

/// Directive Send: see [`Directive`].
pub type DirectiveSend = Directive;
/// Directive Receive: see [`Directive`].
pub type DirectiveReceive = Directive;

impl Directive {
    /// Directive Send of operation `doper` of directive `dtype` on `nsid`.
    pub const fn send(nsid: u32, dtype: DirectiveType, doper: u8) -> Self {
        Self::with(AdminOpcode::DIRECTIVE_SEND, nsid, dtype, doper)
    }
    /// Directive Receive of operation `doper` of directive `dtype` on `nsid`.
    pub const fn receive(nsid: u32, dtype: DirectiveType, doper: u8) -> Self {
        Self::with(AdminOpcode::DIRECTIVE_RECEIVE, nsid, dtype, doper)
    }
    const fn with(opcode: AdminOpcode, nsid: u32, dtype: DirectiveType, doper: u8) -> Self {
        Directive {
            opcode,
            nsid,
            numd: None,
            cdw11: DirectiveCdw11::new().with_doper(doper).with_dtype(dtype.0),
            cdw12: 0,
        }
    }
    /// Identify directive, Enable Directive (DOPER 01h): enable or disable
    /// directive `tdtype` (ENDIR, bit 0; TDTYPE, bits 15:8 of CDW12).
    pub const fn enable(nsid: u32, tdtype: DirectiveType, endir: bool) -> Self {
        Self::send(nsid, DirectiveType::IDENTIFY, 0x01).cdw12(endir as u32 | (tdtype.0 as u32) << 8)
    }
    /// Identify directive, Return Parameters (DOPER 01h): 4096 bytes.
    pub const fn identify_params(nsid: u32) -> Self {
        Self::receive(nsid, DirectiveType::IDENTIFY, 0x01).data(Numd::BYTES_4096)
    }
    /// Directive Specific (DSPEC), e.g. the stream identifier.
    pub const fn dspec(mut self, dspec: u16) -> Self {
        self.cdw11 = self.cdw11.with_dspec(dspec);
        self
    }
    /// The data the operation moves (NUMD).
    pub const fn data(mut self, numd: Numd) -> Self {
        self.numd = Some(numd);
        self
    }
    /// Command Dword 12: directive and operation specific.
    pub const fn cdw12(mut self, cdw12: u32) -> Self {
        self.cdw12 = cdw12;
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(self.opcode.0, self.nsid);
        sqe.cdw11 = self.cdw11.into_bits();
        sqe.cdw12 = self.cdw12;
        let xfer = match self.numd {
            Some(n) => {
                sqe.cdw10 = n.z();
                Xfer::Bytes(n.bytes())
            }
            None => Xfer::None,
        };
        admin(sqe, xfer)
    }
}

// ------------------------------------------------ Virtualization Management

/// Resource Type (RT) of Virtualization Management.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ResourceType {
    /// 000b: VQ Resources (queues).
    Vq = 0,
    /// 001b: VI Resources (interrupt vectors).
    Vi = 1,
}

/// Action (ACT) of Virtualization Management, with the fields each uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VirtAction {
    /// 1h: Primary Controller Flexible Allocation of `nr` resources.
    PrimaryFlexibleAllocation {
        /// Resource Type.
        rt: ResourceType,
        /// Number of Controller Resources (NR).
        nr: u16,
    },
    /// 7h: Secondary Controller Offline.
    SecondaryOffline,
    /// 8h: Secondary Controller Assign `nr` resources.
    SecondaryAssign {
        /// Resource Type.
        rt: ResourceType,
        /// Number of Controller Resources (NR).
        nr: u16,
    },
    /// 9h: Secondary Controller Online.
    SecondaryOnline,
}

/// Virtualization Management Command Dword 10.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct VirtMgmtCdw10 {
    /// Action (ACT).
    #[bits(4)]
    pub act: u8,
    /// Reserved (bits 7:4).
    #[bits(4)]
    _rsvd: u8,
    /// Resource Type (RT).
    #[bits(3)]
    pub rt: u8,
    /// Reserved (bits 15:11).
    #[bits(5)]
    _rsvd2: u8,
    /// Controller Identifier (CNTLID).
    pub cntlid: u16,
}

/// Virtualization Management (admin 1Ch), Base spec "Virtualization
/// Management command". No data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtMgmt {
    cdw10: VirtMgmtCdw10,
    nr: u16,
}

impl VirtMgmt {
    /// Apply `act` to controller `cntlid`.
    pub const fn new(act: VirtAction, cntlid: u16) -> Self {
        let (a, rt, nr) = match act {
            VirtAction::PrimaryFlexibleAllocation { rt, nr } => (1, rt as u8, nr),
            VirtAction::SecondaryOffline => (7, 0, 0),
            VirtAction::SecondaryAssign { rt, nr } => (8, rt as u8, nr),
            VirtAction::SecondaryOnline => (9, 0, 0),
        };
        VirtMgmt {
            cdw10: VirtMgmtCdw10::new()
                .with_act(a)
                .with_rt(rt)
                .with_cntlid(cntlid),
            nr,
        }
    }
    /// The command: CDW11 bits 15:0 are NR.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::VIRTUALIZATION_MANAGEMENT.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.nr as u32;
        admin(sqe, Xfer::None)
    }
}

// ----------------------------------------------- Doorbell Buffer Config

/// Doorbell Buffer Config (admin 7Ch), Base spec "Doorbell Buffer Config
/// command": PRP1 is the Shadow Doorbell buffer, PRP2 the EventIdx buffer,
/// each one memory page the controller keeps using afterwards.
///
/// For a userspace (VFIO) driver only: the pages must stay mapped for the
/// controller's life, so the driver that owns them sets them here; the
/// command moves no data buffer ([`Xfer::None`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DoorbellBufferConfig {
    shadow: u64,
    eventidx: u64,
}

impl DoorbellBufferConfig {
    /// Shadow doorbell page at bus address `shadow`, EventIdx page at `eventidx`
    /// (both memory-page aligned).
    pub const fn new(shadow: u64, eventidx: u64) -> Self {
        DoorbellBufferConfig { shadow, eventidx }
    }
    /// The command, with PRP1/PRP2 set.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::DOORBELL_BUFFER_CONFIG.0, 0);
        sqe.dptr = [self.shadow, self.eventidx];
        admin(sqe, Xfer::None)
    }
}

// ---------------------------------------------------------------- Format NVM

/// Protection Information (PI) type to format with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ProtectionType {
    /// No protection information.
    None = 0,
    /// Type 1.
    Type1 = 1,
    /// Type 2.
    Type2 = 2,
    /// Type 3.
    Type3 = 3,
}

/// Secure Erase Settings (SES).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SecureErase {
    /// 000b: no secure erase.
    None = 0,
    /// 001b: user data erase.
    UserData = 1,
    /// 010b: cryptographic erase.
    Cryptographic = 2,
}

/// Format NVM Command Dword 10 (Base spec, "Format NVM – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct FormatCdw10 {
    /// LBA Format Lower (LBAFL): bits 3:0 of the format index.
    #[bits(4)]
    pub lbafl: u8,
    /// Metadata Settings (MSET): metadata transferred as part of an extended LBA.
    pub mset: bool,
    /// Protection Information (PI).
    #[bits(3)]
    pub pi: u8,
    /// Protection Information Location (PIL): first bytes of metadata.
    pub pil: bool,
    /// Secure Erase Settings (SES).
    #[bits(3)]
    pub ses: u8,
    /// LBA Format Upper (LBAFU): bits 5:4 of the format index.
    #[bits(2)]
    pub lbafu: u8,
    /// Reserved (bits 31:14).
    #[bits(18)]
    _rsvd: u32,
}

/// Format NVM (admin 80h), Base spec "Format NVM command". No data.
/// Destructive: erases the namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormatNvm {
    nsid: u32,
    cdw10: FormatCdw10,
}

impl FormatNvm {
    /// Format `nsid` (FFFFFFFFh: all) with LBA format index `lbaf` (0..=63;
    /// bits above 5 are ignored), split into LBAFL and LBAFU.
    pub const fn new(nsid: u32, lbaf: u8) -> Self {
        FormatNvm {
            nsid,
            cdw10: FormatCdw10::new()
                .with_lbafl(lbaf & 0xf)
                .with_lbafu((lbaf >> 4) & 3),
        }
    }
    /// Metadata Settings (MSET).
    pub const fn mset(mut self, mset: bool) -> Self {
        self.cdw10 = self.cdw10.with_mset(mset);
        self
    }
    /// Protection Information (PI).
    pub const fn pi(mut self, pi: ProtectionType) -> Self {
        self.cdw10 = self.cdw10.with_pi(pi as u8);
        self
    }
    /// Protection Information Location (PIL).
    pub const fn pil(mut self, pil: bool) -> Self {
        self.cdw10 = self.cdw10.with_pil(pil);
        self
    }
    /// Secure Erase Settings (SES).
    pub const fn ses(mut self, ses: SecureErase) -> Self {
        self.cdw10 = self.cdw10.with_ses(ses as u8);
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::FORMAT_NVM.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
}

// ---------------------------------------------------------------- Security

/// Security Send/Receive Command Dword 10 (Base spec, "Security Send –
/// Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct SecurityCdw10 {
    /// NVMe Security Specific Field (NSSF).
    pub nssf: u8,
    /// SP Specific 0 (SPSP0): bits 7:0 of the SP Specific field.
    pub spsp0: u8,
    /// SP Specific 1 (SPSP1): bits 15:8 of the SP Specific field.
    pub spsp1: u8,
    /// Security Protocol (SECP).
    pub secp: u8,
}

/// Security Send (admin 81h) and Security Receive (admin 82h), Base spec
/// "Security Send command" / "Security Receive command".
///
/// CDW11 is the Transfer Length (TL, send) or Allocation Length (AL,
/// receive) in bytes, which is also the transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Security {
    opcode: AdminOpcode,
    nsid: u32,
    cdw10: SecurityCdw10,
    len: u32,
}

/// Security Send: see [`Security`].
pub type SecuritySend = Security;
/// Security Receive: see [`Security`].
pub type SecurityReceive = Security;

impl Security {
    /// Security Send of `tl` bytes to protocol `secp` with SP Specific `spsp`.
    pub const fn send(secp: u8, spsp: u16, tl: u32) -> Self {
        Self::with(AdminOpcode::SECURITY_SEND, secp, spsp, tl)
    }
    /// Security Receive of up to `al` bytes from protocol `secp`.
    pub const fn receive(secp: u8, spsp: u16, al: u32) -> Self {
        Self::with(AdminOpcode::SECURITY_RECEIVE, secp, spsp, al)
    }
    const fn with(opcode: AdminOpcode, secp: u8, spsp: u16, len: u32) -> Self {
        Security {
            opcode,
            nsid: 0,
            cdw10: SecurityCdw10::new()
                .with_secp(secp)
                .with_spsp0(spsp as u8)
                .with_spsp1((spsp >> 8) as u8),
            len,
        }
    }
    /// Namespace Identifier.
    pub const fn nsid(mut self, nsid: u32) -> Self {
        self.nsid = nsid;
        self
    }
    /// NVMe Security Specific Field (NSSF).
    pub const fn nssf(mut self, nssf: u8) -> Self {
        self.cdw10 = self.cdw10.with_nssf(nssf);
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(self.opcode.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.len;
        let xfer = if self.len == 0 {
            Xfer::None
        } else {
            Xfer::Bytes(self.len)
        };
        admin(sqe, xfer)
    }
}

// ---------------------------------------------------------------- Sanitize

/// Sanitize Action (SANACT) with the fields only Overwrite uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SanitizeAction {
    /// 001b: Exit Failure Mode.
    ExitFailureMode,
    /// 010b: Start a Block Erase sanitize operation.
    BlockErase,
    /// 011b: Start an Overwrite sanitize operation.
    Overwrite {
        /// Overwrite Pass Count (OWPASS), 4 bits: 0 means 16 passes; bits
        /// above 3 are ignored.
        owpass: u8,
        /// Overwrite Invert Pattern Between Passes (OIPBP).
        oipbp: bool,
        /// Overwrite Pattern (OVRPAT, CDW11).
        ovrpat: u32,
    },
    /// 100b: Start a Crypto Erase sanitize operation.
    CryptoErase,
}

/// Sanitize Command Dword 10 (Base spec, "Sanitize – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct SanitizeCdw10 {
    /// Sanitize Action (SANACT).
    #[bits(3)]
    pub sanact: u8,
    /// Allow Unrestricted Sanitize Exit (AUSE).
    pub ause: bool,
    /// Overwrite Pass Count (OWPASS).
    #[bits(4)]
    pub owpass: u8,
    /// Overwrite Invert Pattern Between Passes (OIPBP).
    pub oipbp: bool,
    /// No-Deallocate After Sanitize (NDAS).
    pub ndas: bool,
    /// Reserved (bits 31:10).
    #[bits(22)]
    _rsvd: u32,
}

/// Sanitize (admin 84h), Base spec "Sanitize command". No data. Destructive:
/// erases all user data of the NVM subsystem's namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sanitize {
    cdw10: SanitizeCdw10,
    ovrpat: u32,
}

impl Sanitize {
    /// Start or exit a sanitize operation.
    pub const fn new(action: SanitizeAction) -> Self {
        let (sanact, owpass, oipbp, ovrpat) = match action {
            SanitizeAction::ExitFailureMode => (1, 0, false, 0),
            SanitizeAction::BlockErase => (2, 0, false, 0),
            SanitizeAction::Overwrite {
                owpass,
                oipbp,
                ovrpat,
            } => (3, owpass & 0xf, oipbp, ovrpat),
            SanitizeAction::CryptoErase => (4, 0, false, 0),
        };
        Sanitize {
            cdw10: SanitizeCdw10::new()
                .with_sanact(sanact)
                .with_owpass(owpass)
                .with_oipbp(oipbp),
            ovrpat,
        }
    }
    /// Allow Unrestricted Sanitize Exit (AUSE).
    pub const fn ause(mut self, ause: bool) -> Self {
        self.cdw10 = self.cdw10.with_ause(ause);
        self
    }
    /// No-Deallocate After Sanitize (NDAS).
    pub const fn ndas(mut self, ndas: bool) -> Self {
        self.cdw10 = self.cdw10.with_ndas(ndas);
        self
    }
    /// The command.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::SANITIZE.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.ovrpat;
        admin(sqe, Xfer::None)
    }
}

// ---------------------------------------------------------- Get LBA Status

open_enum! {
    /// Action Type (ATYPE) of Get LBA Status.
    LbaStatusAtype {
        /// 10h: scan for, then report, potentially unrecoverable LBAs.
        SCAN_UNTRACKED = 0x10 => "Scan Untracked",
        /// 11h: report the tracked potentially unrecoverable LBAs.
        TRACKED = 0x11 => "Tracked",
    }
}

/// Get LBA Status Command Dword 13.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetLbaStatusCdw13 {
    /// Range Length (RL) in logical blocks (0: to the end of the namespace).
    pub rl: u16,
    /// Reserved (bits 23:16).
    #[bits(8)]
    _rsvd: u8,
    /// Action Type (ATYPE).
    pub atype: u8,
}

/// Get LBA Status (admin 86h), Base spec "Get LBA Status command": returns up
/// to `MNDW + 1` dwords of LBA Status Descriptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetLbaStatus {
    nsid: u32,
    slba: u64,
    mndw: Numd,
    cdw13: GetLbaStatusCdw13,
}

impl GetLbaStatus {
    /// Report from `slba` of `nsid`, returning at most `mndw` (Maximum Number
    /// of Dwords).
    pub const fn new(nsid: u32, slba: u64, mndw: Numd, atype: LbaStatusAtype) -> Self {
        GetLbaStatus {
            nsid,
            slba,
            mndw,
            cdw13: GetLbaStatusCdw13::new().with_atype(atype.0),
        }
    }
    /// Range Length (RL).
    pub const fn rl(mut self, rl: u16) -> Self {
        self.cdw13 = self.cdw13.with_rl(rl);
        self
    }
    /// The command: CDW10/11 SLBA, CDW12 MNDW (zero-based), CDW13 RL/ATYPE.
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::GET_LBA_STATUS.0, self.nsid);
        sqe.cdw10 = self.slba as u32;
        sqe.cdw11 = (self.slba >> 32) as u32;
        sqe.cdw12 = self.mndw.z();
        sqe.cdw13 = self.cdw13.into_bits();
        admin(sqe, Xfer::Bytes(self.mndw.bytes()))
    }
}
