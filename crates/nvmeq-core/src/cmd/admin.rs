//! Admin command builders (NVMe Base Specification 2.0, "Admin Command Set").
//!
//! This module holds Identify, Get Log Page, Abort, Asynchronous Event
//! Request, Keep Alive, Device Self-test and Get LBA Status; the other admin
//! commands live in files named after them (`queues.rs`, `features.rs`,
//! `namespace.rs`, `firmware.rs`, `directive.rs`, `security.rs`, `virt.rs`)
//! and are re-exported here. Through Linux passthrough these
//! go via `NVME_IOCTL_ADMIN64_CMD` on `/dev/nvmeX`, or `IORING_OP_URING_CMD`
//! with `NVME_URING_CMD_ADMIN` (Linux 6.0).

use bitfield_struct::bitfield;

use super::{Cmd, Numd, QueueKind, Xfer};
use crate::cqe::Completion;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

pub use super::directive::*;
pub use super::features::*;
pub use super::firmware::*;
pub use super::namespace::*;
pub use super::queues::*;
pub use super::security::*;
pub use super::virt::*;
/// Log Page Identifier, shared with the log page layouts in [`crate::log`].
pub use crate::log::LogId;
/// Self-test Code, shared with the Device Self-test log in [`crate::log`].
pub use crate::log::SelfTestCode;

pub(super) const fn admin(sqe: Command, xfer: Xfer) -> Cmd {
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

// ------------------------------------------------------------ Get Log Page

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
    #[inline]
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
    #[inline]
    pub const fn nsid(mut self, nsid: u32) -> Self {
        self.nsid = nsid;
        self
    }
    /// Log Specific Parameter (LSP); bits above 6 are ignored.
    #[inline]
    pub const fn lsp(mut self, lsp: u8) -> Self {
        self.cdw10 = self.cdw10.with_lsp(lsp & 0x7f);
        self
    }
    /// Retain Asynchronous Event (RAE).
    #[inline]
    pub const fn rae(mut self, rae: bool) -> Self {
        self.cdw10 = self.cdw10.with_rae(rae);
        self
    }
    /// Log Specific Identifier (LSI).
    #[inline]
    pub const fn lsi(mut self, lsi: u16) -> Self {
        self.cdw11 = self.cdw11.with_lsi(lsi);
        self
    }
    /// Log Page Offset (LPOL/LPOU): bytes (dword aligned), or an entry index
    /// with [`Self::ot`].
    #[inline]
    pub const fn lpo(mut self, lpo: u64) -> Self {
        self.lpo = lpo;
        self
    }
    /// Offset Type (OT): `lpo` is an index of entries.
    #[inline]
    pub const fn ot(mut self, ot: bool) -> Self {
        self.cdw14 = self.cdw14.with_ot(ot);
        self
    }
    /// Command Set Identifier (CSI).
    #[inline]
    pub const fn csi(mut self, csi: u8) -> Self {
        self.cdw14 = self.cdw14.with_csi(csi);
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
    #[inline]
    pub const fn new(sqid: u16, cid: u16) -> Self {
        Abort {
            cdw10: AbortCdw10::new().with_sqid(sqid).with_cid(cid),
        }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::ABORT.0, 0);
        sqe.cdw10 = self.cdw10.into_bits();
        admin(sqe, Xfer::None)
    }
    /// Whether the command was aborted: completion dword 0 bit 0 is cleared
    /// when it was ("Abort – Completion Queue Entry Dword 0").
    #[inline]
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
/// backends must not apply their normal command timeout to it. For a driver
/// that owns the controller (VFIO): Linux's driver keeps its own requests
/// outstanding and consumes the events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsyncEventRequest;

impl AsyncEventRequest {
    /// The request.
    #[inline]
    pub const fn new() -> Self {
        AsyncEventRequest
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        admin(
            Command::new(AdminOpcode::ASYNC_EVENT_REQUEST.0, 0),
            Xfer::None,
        )
    }
    /// The event a completion reports.
    #[inline]
    pub const fn event(c: &Completion) -> AsyncEvent {
        AsyncEvent::from_bits(c.dw0)
    }
}

// --------------------------------------------------------- Device Self-test

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

/// Keep Alive (admin 18h), Base spec "Keep Alive command". No fields, no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeepAlive;

impl KeepAlive {
    /// The keep alive.
    #[inline]
    pub const fn new() -> Self {
        KeepAlive
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        admin(Command::new(AdminOpcode::KEEP_ALIVE.0, 0), Xfer::None)
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
    #[inline]
    pub const fn new(nsid: u32, slba: u64, mndw: Numd, atype: LbaStatusAtype) -> Self {
        GetLbaStatus {
            nsid,
            slba,
            mndw,
            cdw13: GetLbaStatusCdw13::new().with_atype(atype.0),
        }
    }
    /// Range Length (RL).
    #[inline]
    pub const fn rl(mut self, rl: u16) -> Self {
        self.cdw13 = self.cdw13.with_rl(rl);
        self
    }
    /// The command: CDW10/11 SLBA, CDW12 MNDW (zero-based), CDW13 RL/ATYPE.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::GET_LBA_STATUS.0, self.nsid);
        sqe.cdw10 = self.slba as u32;
        sqe.cdw11 = (self.slba >> 32) as u32;
        sqe.cdw12 = self.mndw.z();
        sqe.cdw13 = self.cdw13.into_bits();
        admin(sqe, Xfer::Bytes(self.mndw.bytes()))
    }
}
