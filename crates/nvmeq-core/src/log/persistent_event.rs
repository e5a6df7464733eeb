//! Persistent Event Log (Base spec 2.0, "Persistent Event Log Page", LID
//! 0Dh): a 512-byte header, then events, each a 24-byte event header, event
//! data of the type's layout and vendor specific information.
//!
//! Events sit back to back at any byte offset, so every multi-byte field is a
//! little-endian byte type (alignment 1).

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use super::LogId;

/// Identify Controller LPA bit 4: the Persistent Event Log is supported.
pub const LPA_PERSISTENT_EVENT: u8 = 1 << 4;

open_enum! {
    /// Log Specific Field of Get Log Page for LID 0Dh (bits 1:0 of the LSP):
    /// what to do with the reporting context, `persistent-event-log --action`.
    PelAction {
        /// Read Log Data, from the reporting context that exists.
        READ = 0 => "Read Log Data",
        /// Establish Context and Read Log Data.
        ESTABLISH = 1 => "Establish Context and Read Log Data",
        /// Release Context.
        RELEASE = 2 => "Release Context",
    }
}

open_enum! {
    /// Persistent event type (Base spec 2.0, "Persistent Event Log Event Types").
    PelEventType {
        /// SMART / Health Log Snapshot: a [`SmartLog`](super::SmartLog).
        SMART_HEALTH = 0x01 => "SMART/Health Log Snapshot Event",
        /// Firmware Commit: [`FwCommitEvent`].
        FW_COMMIT = 0x02 => "Firmware Commit Event",
        /// Timestamp Change: [`TimestampChangeEvent`].
        TIMESTAMP = 0x03 => "Timestamp Change Event",
        /// Power-on or Reset: a firmware revision, then [`ResetInfo`] descriptors.
        POWER_ON_RESET = 0x04 => "Power-on or Reset Event",
        /// NVM Subsystem Hardware Error: [`NssHwErrorEvent`].
        NSS_HW_ERROR = 0x05 => "NVM Subsystem Hardware Error Event",
        /// Change Namespace: [`ChangeNsEvent`].
        CHANGE_NS = 0x06 => "Change Namespace Event",
        /// Format NVM Start: [`FormatStartEvent`].
        FORMAT_START = 0x07 => "Format NVM Start Event",
        /// Format NVM Completion: [`FormatCompletionEvent`].
        FORMAT_COMPLETION = 0x08 => "Format NVM Completion Event",
        /// Sanitize Start: [`SanitizeStartEvent`].
        SANITIZE_START = 0x09 => "Sanitize Start Event",
        /// Sanitize Completion: [`SanitizeCompletionEvent`].
        SANITIZE_COMPLETION = 0x0a => "Sanitize Completion Event",
        /// Set Feature: a layout dword ([`SetFeatureLayout`]), the command's dwords.
        SET_FEATURE = 0x0b => "Set Feature Event",
        /// Telemetry Log Create: the 512-byte Telemetry Host-Initiated header.
        TELEMETRY_CREATE = 0x0c => "Set Telemetry CRT Event",
        /// Thermal Excursion: [`ThermalExcursionEvent`].
        THERMAL_EXCURSION = 0x0d => "Thermal Excursion Event",
        /// Sanitize Media Verification (NVMe 2.1).
        SANITIZE_MEDIA_VERIFICATION = 0x0e => "Sanitize Media Verification Event",
        /// Vendor Specific.
        VENDOR_SPECIFIC = 0xde => "Vendor Specific Event",
        /// TCG Defined.
        TCG_DEFINED = 0xdf => "TCG Defined Event",
    }
}

/// Persistent Event Log header: 512 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct PelHeader {
    /// Log Identifier: 0Dh.
    pub lid: u8,
    /// Reserved (bytes 1..4).
    pub rsvd1: [u8; 3],
    /// Total Number of Events (TNEV).
    pub tnev: U32,
    /// Total Log Length (TLL): bytes of the header and every event.
    pub tll: U64,
    /// Log Revision (RV).
    pub rv: u8,
    /// Reserved (byte 17).
    pub rsvd17: u8,
    /// Log Header Length (LHL).
    pub lhl: U16,
    /// Timestamp when the reporting context was established (the Timestamp
    /// feature's format: milliseconds in bits 47:0, attributes in 55:48).
    pub ts: U64,
    /// Power on Hours (POH), 128 bits.
    pub poh: [u8; 16],
    /// Power Cycle Count (PCC).
    pub pcc: U64,
    /// PCI Vendor ID (VID).
    pub vid: U16,
    /// PCI Subsystem Vendor ID (SSVID).
    pub ssvid: U16,
    /// Serial Number (SN), ASCII, space padded.
    pub sn: [u8; 20],
    /// Model Number (MN), ASCII, space padded.
    pub mn: [u8; 40],
    /// NVM Subsystem NVMe Qualified Name (SUBNQN), NUL padded.
    pub subnqn: [u8; 256],
    /// Generation Number: changes whenever events are lost from the log's start.
    pub gen_number: U16,
    /// Reporting Context Information (RCI), see [`Self::rce`].
    pub rci: U32,
    /// Reserved (bytes 378..480).
    pub rsvd378: [u8; 102],
    /// Supported Events Bitmap (SEB): bit N set if event type N is reported.
    pub seb: [u8; 32],
}

const _: () = assert!(size_of::<PelHeader>() == 512);
const _: () = assert!(offset_of!(PelHeader, tnev) == 4);
const _: () = assert!(offset_of!(PelHeader, tll) == 8);
const _: () = assert!(offset_of!(PelHeader, lhl) == 18);
const _: () = assert!(offset_of!(PelHeader, ts) == 20);
const _: () = assert!(offset_of!(PelHeader, poh) == 28);
const _: () = assert!(offset_of!(PelHeader, pcc) == 44);
const _: () = assert!(offset_of!(PelHeader, vid) == 52);
const _: () = assert!(offset_of!(PelHeader, sn) == 56);
const _: () = assert!(offset_of!(PelHeader, mn) == 76);
const _: () = assert!(offset_of!(PelHeader, subnqn) == 116);
const _: () = assert!(offset_of!(PelHeader, gen_number) == 372);
const _: () = assert!(offset_of!(PelHeader, rci) == 374);
const _: () = assert!(offset_of!(PelHeader, seb) == 480);

impl Default for PelHeader {
    fn default() -> Self {
        let mut h = Self::new_zeroed();
        h.lid = LogId::PERSISTENT_EVENT.0;
        h
    }
}

impl PelHeader {
    /// Reporting Context Exists (RCI bit 18).
    pub const fn rce(&self) -> bool {
        self.rci.get() & 1 << 18 != 0
    }
    /// Reporting Context Port Identifier Type (RCI bits 17:16): 0 none,
    /// 1 an NVM subsystem port, 2 an NVMe-MI port.
    pub const fn rcpit(&self) -> u8 {
        ((self.rci.get() >> 16) & 0x3) as u8
    }
    /// Reporting Context Port Identifier (RCI bits 15:0).
    pub const fn rcpid(&self) -> u16 {
        self.rci.get() as u16
    }
    /// True if event type `t` is in the Supported Events Bitmap.
    pub const fn supports(&self, t: PelEventType) -> bool {
        self.seb[t.0 as usize / 8] & 1 << (t.0 % 8) != 0
    }
    /// Adds event type `t` to the Supported Events Bitmap.
    pub fn set_supported(&mut self, t: PelEventType) {
        self.seb[t.0 as usize / 8] |= 1 << (t.0 % 8);
    }
}

/// Persistent Event Header: 24 bytes before each event's data.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct PelEventHeader {
    /// Event Type ([`PelEventType`]).
    pub etype: u8,
    /// Event Type Revision.
    pub etype_rev: u8,
    /// Event Header Length (EHL): bytes of the header after this field
    /// (21 for this layout), so the data starts at byte `ehl + 3`.
    pub ehl: u8,
    /// Event Header Additional Information (EHAI): bits 1:0 the Port Identifier Type.
    pub ehai: u8,
    /// Controller Identifier of the controller that logged it.
    pub cntlid: U16,
    /// Event Timestamp (the Timestamp feature's format).
    pub ets: U64,
    /// Port Identifier (PELPID).
    pub pelpid: U16,
    /// Reserved (bytes 16..20).
    pub rsvd16: [u8; 4],
    /// Vendor Specific Information Length (VSIL), bytes after the data.
    pub vsil: U16,
    /// Event Length (EL): bytes of data and vendor specific information.
    pub el: U16,
}

const _: () = assert!(size_of::<PelEventHeader>() == 24);
const _: () = assert!(offset_of!(PelEventHeader, cntlid) == 4);
const _: () = assert!(offset_of!(PelEventHeader, ets) == 6);
const _: () = assert!(offset_of!(PelEventHeader, pelpid) == 14);
const _: () = assert!(offset_of!(PelEventHeader, vsil) == 20);
const _: () = assert!(offset_of!(PelEventHeader, el) == 22);

impl PelEventHeader {
    /// EHL for this 24-byte header.
    pub const EHL: u8 = (size_of::<Self>() - 3) as u8;

    /// The event's type.
    pub const fn event_type(&self) -> PelEventType {
        PelEventType(self.etype)
    }
    /// Bytes from the header's start to the event data.
    pub const fn data_offset(&self) -> usize {
        self.ehl as usize + 3
    }
    /// Bytes of the whole event: header, data, vendor specific information.
    pub const fn total_len(&self) -> usize {
        self.data_offset() + self.el.get() as usize
    }
}

/// Firmware Commit Event data: 22 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct FwCommitEvent {
    /// Old Firmware Revision (ASCII, 8 bytes).
    pub old_fw_rev: [u8; 8],
    /// New Firmware Revision.
    pub new_fw_rev: [u8; 8],
    /// Firmware Commit Action (CDW10 CA).
    pub fw_commit_action: u8,
    /// Firmware Slot (CDW10 FS).
    pub fw_slot: u8,
    /// Status Code Type of the Firmware Commit command.
    pub sct_fw: u8,
    /// Status Code of the Firmware Commit command.
    pub sc_fw: u8,
    /// Vendor Assigned Firmware Commit Result Code.
    pub vndr_assign_fw_commit_rc: U16,
}

const _: () = assert!(size_of::<FwCommitEvent>() == 22);
const _: () = assert!(offset_of!(FwCommitEvent, fw_commit_action) == 16);
const _: () = assert!(offset_of!(FwCommitEvent, vndr_assign_fw_commit_rc) == 20);

/// Timestamp Change Event data: 16 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct TimestampChangeEvent {
    /// The Timestamp before the change.
    pub previous_timestamp: U64,
    /// Milliseconds since the last controller reset.
    pub ml_secs_since_reset: U64,
}

const _: () = assert!(size_of::<TimestampChangeEvent>() == 16);

/// Controller Reset Information descriptor of a Power-on or Reset event
/// (after its 8-byte firmware revision): 36 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ResetInfo {
    /// Controller ID.
    pub cid: U16,
    /// Firmware Activation: 1 if the reset activated new firmware.
    pub fw_act: u8,
    /// Operation in Progress: 1 if a sanitize or format was running.
    pub op_in_prog: u8,
    /// Reserved (bytes 4..16).
    pub rsvd4: [u8; 12],
    /// Controller Power Cycle count.
    pub ctrl_power_cycle: U32,
    /// Power on milliseconds.
    pub power_on_ml_seconds: U64,
    /// Controller Timestamp.
    pub ctrl_time_stamp: U64,
}

const _: () = assert!(size_of::<ResetInfo>() == 36);
const _: () = assert!(offset_of!(ResetInfo, ctrl_power_cycle) == 16);
const _: () = assert!(offset_of!(ResetInfo, power_on_ml_seconds) == 20);
const _: () = assert!(offset_of!(ResetInfo, ctrl_time_stamp) == 28);

/// NVM Subsystem Hardware Error Event data, before its additional information: 4 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct NssHwErrorEvent {
    /// NVM Subsystem Hardware Error Event Code ([`NssHwErrorCode`]).
    pub code: U16,
    /// Reserved (bytes 2..4).
    pub rsvd2: [u8; 2],
}

open_enum! {
    /// NVM Subsystem Hardware Error Event Code.
    NssHwErrorCode: u16 {
        /// PCIe Correctable Error.
        PCIE_CORRECTABLE = 0x01 => "PCIe Correctable Error",
        /// PCIe Uncorrectable Non fatal Error.
        PCIE_NONFATAL = 0x02 => "PCIe Uncorrectable Non fatal Error",
        /// PCIe Uncorrectable Fatal Error.
        PCIE_FATAL = 0x03 => "PCIe Uncorrectable Fatal Error",
        /// PCIe Link Status Change.
        PCIE_LINK_STATUS = 0x04 => "PCIe Link Status Change",
        /// PCIe Link Not Active.
        PCIE_LINK_INACTIVE = 0x05 => "PCIe Link Not Active",
        /// Critical Warning Condition.
        CRITICAL_WARNING = 0x06 => "Critical Warning Condition",
        /// Endurance Group Critical Warning Condition.
        EG_CRITICAL_WARNING = 0x07 => "Endurance Group Critical Warning Condition",
        /// Unsafe Shutdown.
        UNSAFE_SHUTDOWN = 0x08 => "Unsafe Shutdown",
        /// Controller Fatal Status.
        CONTROLLER_FATAL = 0x09 => "Controller Fatal Status",
        /// Media and Data Integrity Status.
        MEDIA_INTEGRITY = 0x0a => "Media and Data Integrity Status",
        /// Controller Ready Timeout Exceeded.
        READY_TIMEOUT = 0x0b => "Controller Ready Timeout Exceeded",
    }
}

/// Change Namespace Event data: 48 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ChangeNsEvent {
    /// Namespace Management CDW10 (the select: create or delete).
    pub nsmgt_cdw10: U32,
    /// Reserved (bytes 4..8).
    pub rsvd4: [u8; 4],
    /// Namespace Size (NSZE).
    pub nsze: U64,
    /// Reserved (bytes 16..24).
    pub rsvd16: [u8; 8],
    /// Namespace Capacity (NCAP).
    pub nscap: U64,
    /// Formatted LBA Size (FLBAS).
    pub flbas: u8,
    /// End-to-end Data Protection Type Settings (DPS).
    pub dps: u8,
    /// Namespace Multi-path I/O and Namespace Sharing Capabilities (NMIC).
    pub nmic: u8,
    /// Reserved (byte 35).
    pub rsvd35: u8,
    /// ANA Group Identifier.
    pub ana_grp_id: U32,
    /// NVM Set Identifier.
    pub nvmset_id: U16,
    /// Reserved (bytes 42..44).
    pub rsvd42: U16,
    /// Namespace ID.
    pub nsid: U32,
}

const _: () = assert!(size_of::<ChangeNsEvent>() == 48);
const _: () = assert!(offset_of!(ChangeNsEvent, nscap) == 24);
const _: () = assert!(offset_of!(ChangeNsEvent, flbas) == 32);
const _: () = assert!(offset_of!(ChangeNsEvent, ana_grp_id) == 36);
const _: () = assert!(offset_of!(ChangeNsEvent, nsid) == 44);

/// Format NVM Start Event data: 12 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct FormatStartEvent {
    /// Namespace Identifier.
    pub nsid: U32,
    /// Format NVM Attributes (Identify Controller FNA).
    pub fna: u8,
    /// Reserved (bytes 5..8).
    pub rsvd5: [u8; 3],
    /// The Format NVM command's CDW10.
    pub format_nvm_cdw10: U32,
}

const _: () = assert!(size_of::<FormatStartEvent>() == 12);

/// Format NVM Completion Event data: 12 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct FormatCompletionEvent {
    /// Namespace Identifier.
    pub nsid: U32,
    /// Smallest Format Progress Indicator.
    pub smallest_fpi: u8,
    /// Format NVM Status: 0 completed, 1 failed.
    pub format_nvm_status: u8,
    /// Completion Information.
    pub compln_info: U16,
    /// Status Field of the command's completion.
    pub status_field: U32,
}

const _: () = assert!(size_of::<FormatCompletionEvent>() == 12);

/// Sanitize Start Event data: 12 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SanitizeStartEvent {
    /// SANICAP of Identify Controller.
    pub sani_cap: U32,
    /// The Sanitize command's CDW10.
    pub sani_cdw10: U32,
    /// The Sanitize command's CDW11.
    pub sani_cdw11: U32,
}

const _: () = assert!(size_of::<SanitizeStartEvent>() == 12);

/// Sanitize Completion Event data: 8 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SanitizeCompletionEvent {
    /// Sanitize Progress (SPROG).
    pub sani_prog: U16,
    /// Sanitize Status (SSTAT).
    pub sani_status: U16,
    /// Completion Information.
    pub cmpln_info: U16,
    /// Reserved (bytes 6..8).
    pub rsvd6: [u8; 2],
}

const _: () = assert!(size_of::<SanitizeCompletionEvent>() == 8);

/// The first dword of a Set Feature event: what follows it.
#[bitfield_struct::bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct SetFeatureLayout {
    /// Command dwords logged (from CDW10 on).
    #[bits(3)]
    pub dw_count: u8,
    /// The completion's Dword 0 follows the command dwords.
    pub logged_cdw0: bool,
    /// Reserved (bits 15:4).
    #[bits(12)]
    pub _rsvd4: u16,
    /// Bytes of the command's data buffer that follow.
    pub mb_count: u16,
}

/// Thermal Excursion Event data: 2 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ThermalExcursionEvent {
    /// Degrees over the threshold.
    pub over_temp: u8,
    /// The threshold crossed (kelvin minus 273, as a degree count).
    pub threshold: u8,
}

/// One event of a read log: its header and the bytes after the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PelEvent<'a> {
    /// The event header.
    pub header: PelEventHeader,
    /// Event data followed by vendor specific information (EL bytes).
    pub data: &'a [u8],
}

impl<'a> PelEvent<'a> {
    /// The event data without the vendor specific information.
    pub fn event_data(&self) -> &'a [u8] {
        let n = self
            .data
            .len()
            .saturating_sub(self.header.vsil.get() as usize);
        &self.data[..n]
    }
}

/// The events of `log` (header included), at most TNEV of them, stopping at
/// the first that does not fit (a log read short, or a corrupt length).
pub fn pel_events(log: &[u8]) -> impl Iterator<Item = PelEvent<'_>> + '_ {
    let tnev = PelHeader::read_from_prefix(log).map_or(0, |(h, _)| h.tnev.get());
    let mut off = size_of::<PelHeader>();
    (0..tnev).map_while(move |_| {
        let (header, _) = PelEventHeader::read_from_prefix(log.get(off..)?).ok()?;
        let start = off.checked_add(header.data_offset())?;
        let end = start.checked_add(header.el.get() as usize)?;
        if header.data_offset() < size_of::<PelEventHeader>() {
            return None;
        }
        let data = log.get(start..end)?;
        off = end;
        Some(PelEvent { header, data })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut h = PelHeader::default();
        h.tnev.set(2);
        h.tll.set(0x0102);
        h.lhl.set(512);
        h.gen_number.set(3);
        h.rci.set(1 << 18 | 1 << 16 | 7);
        h.set_supported(PelEventType::POWER_ON_RESET);
        h.set_supported(PelEventType::TELEMETRY_CREATE);
        let b = h.as_bytes();
        assert_eq!(
            &b[..20],
            &[13, 0, 0, 0, 2, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
        );
        assert_eq!(&b[372..378], &[3, 0, 7, 0, 5, 0]);
        assert_eq!(b[480], 1 << 4);
        assert_eq!(b[481], 1 << 4);
        assert!(h.rce() && h.rcpit() == 1 && h.rcpid() == 7);
        assert!(h.supports(PelEventType::TELEMETRY_CREATE));
        assert!(!h.supports(PelEventType::FW_COMMIT));

        let mut e = PelEventHeader {
            etype: PelEventType::SET_FEATURE.0,
            ehl: PelEventHeader::EHL,
            ..Default::default()
        };
        e.cntlid.set(1);
        e.ets.set(0x0605_0403_0201);
        e.el.set(12);
        assert_eq!(
            e.as_bytes(),
            &[0x0b, 0, 21, 0, 1, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 0]
        );
        let l = SetFeatureLayout::new().with_dw_count(2).with_mb_count(4);
        assert_eq!(l.into_bits(), 0x0004_0002);
    }

    #[test]
    fn events_parse_and_stop_at_a_short_log() {
        let mut log = [0u8; 512 + 24 + 2 + 24 + 12];
        let mut h = PelHeader::default();
        h.tnev.set(3); // one more than there is: the walk stops
        log[..512].copy_from_slice(h.as_bytes());
        let mut e = PelEventHeader {
            etype: PelEventType::THERMAL_EXCURSION.0,
            ehl: PelEventHeader::EHL,
            ..Default::default()
        };
        e.el.set(2);
        log[512..536].copy_from_slice(e.as_bytes());
        log[536..538].copy_from_slice(
            ThermalExcursionEvent {
                over_temp: 4,
                threshold: 70,
            }
            .as_bytes(),
        );
        e.etype = PelEventType::FORMAT_START.0;
        e.el.set(12);
        log[538..562].copy_from_slice(e.as_bytes());
        log[562] = 1;
        let ev: heapless::Vec<PelEvent<'_>, 4> = pel_events(&log).collect();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].header.event_type(), PelEventType::THERMAL_EXCURSION);
        assert_eq!(ev[0].data, &[4, 70]);
        let f = FormatStartEvent::read_from_bytes(ev[1].event_data()).unwrap();
        assert_eq!(f.nsid.get(), 1);
        // Cut into the second event: only the first is whole.
        assert_eq!(pel_events(&log[..560]).count(), 1);
        assert_eq!(pel_events(&log[..100]).count(), 0);
    }
}
