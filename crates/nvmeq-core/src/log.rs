//! Get Log Page data structures: NVMe Base Specification 2.0, "Log Page
//! Identifiers" and the figures for each page named below.
//!
//! Counters wider than 64 bits and fields the spec places off their natural
//! alignment use `zerocopy`'s little-endian byte types (alignment 1, read with
//! `.get()`); every other field is a native integer.

use bitfield_struct::bitfield;
use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U128, U16, U32, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use crate::identify::spec_str;
use crate::status::Status;

mod aggregate;
mod ana;
mod ave_discovery;
mod boot_partition;
mod capacity;
mod dispersed_ns;
mod endurance;
mod fid_effects;
mod host_discovery;
mod lba_status;
mod mgmt_addr;
mod persistent_event;
mod phy_rx_eom;
mod pull_model_ddc;
mod reachability;
mod rotational_media;
mod sanitize;
mod supported;
mod telemetry;

pub use aggregate::*;
pub use ana::*;
pub use ave_discovery::*;
pub use boot_partition::*;
pub use capacity::*;
pub use dispersed_ns::*;
pub use endurance::*;
pub use fid_effects::*;
pub use host_discovery::*;
pub use lba_status::*;
pub use mgmt_addr::*;
pub use persistent_event::*;
pub use phy_rx_eom::*;
pub use pull_model_ddc::*;
pub use reachability::*;
pub use rotational_media::*;
pub use sanitize::*;
pub use supported::*;
pub use telemetry::*;

open_enum! {
    /// Log Page Identifier (LID). An open enum: unknown identifiers are data.
    LogId {
        /// Supported Log Pages.
        SUPPORTED_LOG_PAGES = 0x00 => "Supported Log Pages",
        /// Error Information ([`ErrorLogEntry`] array).
        ERROR = 0x01 => "Error Information",
        /// SMART / Health Information ([`SmartLog`]).
        SMART = 0x02 => "SMART / Health Information",
        /// Firmware Slot Information ([`FwSlotLog`]).
        FW_SLOT = 0x03 => "Firmware Slot Information",
        /// Changed Attached Namespace List ([`ChangedNsList`]).
        CHANGED_NS = 0x04 => "Changed Namespace List",
        /// Commands Supported and Effects ([`CommandEffectsLog`]).
        CMD_EFFECTS = 0x05 => "Commands Supported and Effects",
        /// Device Self-test ([`SelfTestLog`]).
        DEVICE_SELF_TEST = 0x06 => "Device Self-test",
        /// Telemetry Host-Initiated.
        TELEMETRY_HOST = 0x07 => "Telemetry Host-Initiated",
        /// Telemetry Controller-Initiated.
        TELEMETRY_CTRL = 0x08 => "Telemetry Controller-Initiated",
        /// Endurance Group Information.
        ENDURANCE_GROUP = 0x09 => "Endurance Group Information",
        /// Predictable Latency Per NVM Set.
        PREDICTABLE_LATENCY = 0x0a => "Predictable Latency Per NVM Set",
        /// Predictable Latency Event Aggregate.
        PREDICTABLE_LATENCY_AGG = 0x0b => "Predictable Latency Event Aggregate",
        /// Asymmetric Namespace Access.
        ANA = 0x0c => "Asymmetric Namespace Access",
        /// Persistent Event Log.
        PERSISTENT_EVENT = 0x0d => "Persistent Event Log",
        /// LBA Status Information.
        LBA_STATUS = 0x0e => "LBA Status Information",
        /// Endurance Group Event Aggregate.
        ENDURANCE_GROUP_EVENT = 0x0f => "Endurance Group Event Aggregate",
        /// Media Unit Status.
        MEDIA_UNIT_STATUS = 0x10 => "Media Unit Status",
        /// Supported Capacity Configuration List.
        CAPACITY_CONFIG_LIST = 0x11 => "Supported Capacity Configuration List",
        /// Feature Identifiers Supported and Effects.
        FID_EFFECTS = 0x12 => "Feature Identifiers Supported and Effects",
        /// NVMe-MI Commands Supported and Effects.
        MI_EFFECTS = 0x13 => "NVMe-MI Commands Supported and Effects",
        /// Command and Feature Lockdown.
        LOCKDOWN = 0x14 => "Command and Feature Lockdown",
        /// Boot Partition.
        BOOT_PARTITION = 0x15 => "Boot Partition",
        /// Rotational Media Information.
        ROTATIONAL_MEDIA = 0x16 => "Rotational Media Information",
        /// Dispersed Namespace Participating NVM Subsystems.
        DISPERSED_NS = 0x17 => "Dispersed Namespace Participating NVM Subsystems",
        /// Management Address List.
        MGMT_ADDR_LIST = 0x18 => "Management Address List",
        /// Physical Interface Receiver Eye Opening Measurement.
        PHY_RX_EOM = 0x19 => "Physical Interface Receiver Eye Opening Measurement",
        /// Reachability Groups.
        REACHABILITY_GROUPS = 0x1a => "Reachability Groups",
        /// Reachability Associations.
        REACHABILITY_ASSOCIATIONS = 0x1b => "Reachability Associations",
        /// Changed Allocated Namespace List.
        CHANGED_ALLOC_NS = 0x1c => "Changed Allocated Namespace List",
        /// FDP Configurations.
        FDP_CONFIGS = 0x20 => "FDP Configurations",
        /// Reclaim Unit Handle Usage.
        FDP_RUH_USAGE = 0x21 => "Reclaim Unit Handle Usage",
        /// FDP Statistics.
        FDP_STATS = 0x22 => "FDP Statistics",
        /// FDP Events.
        FDP_EVENTS = 0x23 => "FDP Events",
        /// Discovery (fabrics).
        DISCOVERY = 0x70 => "Discovery",
        /// Host Discovery (fabrics).
        HOST_DISCOVERY = 0x71 => "Host Discovery",
        /// AVE Discovery (fabrics).
        AVE_DISCOVERY = 0x72 => "AVE Discovery",
        /// Pull Model DDC Request (fabrics).
        PULL_MODEL_DDC = 0x73 => "Pull Model DDC Request",
        /// Reservation Notification.
        RESERVATION = 0x80 => "Reservation Notification",
        /// Sanitize Status.
        SANITIZE = 0x81 => "Sanitize Status",
        /// Changed Zone List (Zoned Namespace Command Set).
        ZNS_CHANGED_ZONES = 0xbf => "Changed Zone List",
    }
}

impl LogId {
    /// True for the vendor specific range (C0h–FFh), which has no names here.
    #[inline]
    pub const fn is_vendor_specific(self) -> bool {
        self.0 >= 0xc0
    }
}

/// Error Information Log Entry (Base spec 2.0, "Error Information Log Entry
/// Data Structure"): 64 bytes; the log page is an array of these.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ErrorLogEntry {
    /// Error Count: unique, incrementing; 0 means the entry is empty.
    pub error_count: u64,
    /// Submission Queue ID (SQID) of the failed command; FFFFh if none.
    pub sqid: u16,
    /// Command ID (CID) of the failed command; FFFFh if none.
    pub cid: u16,
    /// Status Field (SF): bit 0 phase tag, bits 15:1 the status. See [`Self::status`].
    pub sf: u16,
    /// Parameter Error Location (PEL): byte (bits 7:0) and bit (bits 10:8) of the faulty field.
    pub pel: u16,
    /// First LBA that experienced the error.
    pub lba: u64,
    /// Namespace (NSID) of the error.
    pub nsid: u32,
    /// Vendor Specific Information Available (VSIA): log page ID with more detail.
    pub vsia: u8,
    /// Transport Type (TRTYPE).
    pub trtype: u8,
    /// Command Set Identifier (CSI) of the failed command.
    pub csi: u8,
    /// Opcode (OPC) of the failed command.
    pub opc: u8,
    /// Command Specific Information (CSI field of the spec's figure).
    pub cs: u64,
    /// Transport Type Specific Information (TTSI).
    pub ttsi: u16,
    /// Reserved (bytes 42..63).
    pub rsvd42: [u8; 21],
    /// Log Page Version (LPVER).
    pub lpver: u8,
}

const _: () = assert!(size_of::<ErrorLogEntry>() == 64);
const _: () = assert!(offset_of!(ErrorLogEntry, sqid) == 8);
const _: () = assert!(offset_of!(ErrorLogEntry, sf) == 12);
const _: () = assert!(offset_of!(ErrorLogEntry, lba) == 16);
const _: () = assert!(offset_of!(ErrorLogEntry, nsid) == 24);
const _: () = assert!(offset_of!(ErrorLogEntry, opc) == 31);
const _: () = assert!(offset_of!(ErrorLogEntry, cs) == 32);
const _: () = assert!(offset_of!(ErrorLogEntry, ttsi) == 40);
const _: () = assert!(offset_of!(ErrorLogEntry, lpver) == 63);

impl ErrorLogEntry {
    /// The 15-bit status of the failed command (SF without its phase tag).
    pub const fn status(&self) -> Status {
        Status::from_bits(self.sf >> 1)
    }

    /// True for an unused entry (error count 0).
    pub const fn is_empty(&self) -> bool {
        self.error_count == 0
    }
}

/// Critical Warning bits of [`SmartLog::critical_warning`].
pub mod critical_warning {
    /// Available spare capacity is below the threshold.
    pub const SPARE: u8 = 1 << 0;
    /// A temperature is outside its threshold.
    pub const TEMPERATURE: u8 = 1 << 1;
    /// Reliability is degraded by media or internal errors.
    pub const RELIABILITY: u8 = 1 << 2;
    /// All media is read only.
    pub const READ_ONLY: u8 = 1 << 3;
    /// The volatile memory backup device failed.
    pub const VOLATILE_BACKUP: u8 = 1 << 4;
    /// The Persistent Memory Region became read only or unreliable.
    pub const PMR_READ_ONLY: u8 = 1 << 5;
}

/// SMART / Health Information log page (Base spec 2.0, "SMART / Health
/// Information Log Page", LID 02h): 512 bytes.
///
/// The 16-byte counters are 128-bit little-endian integers (`.get()` gives a `u128`).
/// Data units are thousands of 512-byte units, rounded up.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SmartLog {
    /// Critical Warning bits (see [`critical_warning`]).
    pub critical_warning: u8,
    /// Composite Temperature, kelvin (unaligned in the page).
    pub temperature: U16,
    /// Available Spare, percent.
    pub avail_spare: u8,
    /// Available Spare Threshold, percent.
    pub spare_thresh: u8,
    /// Percentage Used (may exceed 100).
    pub percent_used: u8,
    /// Endurance Group Critical Warning Summary.
    pub endu_grp_crit_warn_sumry: u8,
    /// Reserved (bytes 7..32).
    pub rsvd7: [u8; 25],
    /// Data Units Read, thousands of 512-byte units.
    pub data_units_read: U128,
    /// Data Units Written, thousands of 512-byte units.
    pub data_units_written: U128,
    /// Host Read Commands.
    pub host_reads: U128,
    /// Host Write Commands.
    pub host_writes: U128,
    /// Controller Busy Time, minutes.
    pub ctrl_busy_time: U128,
    /// Power Cycles.
    pub power_cycles: U128,
    /// Power On Hours.
    pub power_on_hours: U128,
    /// Unsafe Shutdowns.
    pub unsafe_shutdowns: U128,
    /// Media and Data Integrity Errors.
    pub media_errors: U128,
    /// Number of Error Information Log Entries over the controller's life.
    pub num_err_log_entries: U128,
    /// Warning Composite Temperature Time, minutes.
    pub warning_temp_time: u32,
    /// Critical Composite Temperature Time, minutes.
    pub crit_comp_time: u32,
    /// Temperature Sensors 1..8, kelvin; 0 if not implemented.
    pub temp_sensor: [u16; 8],
    /// Thermal Management Temperature 1 Transition Count.
    pub thm_temp1_trans_count: u32,
    /// Thermal Management Temperature 2 Transition Count.
    pub thm_temp2_trans_count: u32,
    /// Total Time For Thermal Management Temperature 1, seconds.
    pub thm_temp1_total_time: u32,
    /// Total Time For Thermal Management Temperature 2, seconds.
    pub thm_temp2_total_time: u32,
    /// Reserved (bytes 232..512).
    pub rsvd232: [u8; 280],
}

const _: () = assert!(size_of::<SmartLog>() == 512);
const _: () = assert!(offset_of!(SmartLog, temperature) == 1);
const _: () = assert!(offset_of!(SmartLog, avail_spare) == 3);
const _: () = assert!(offset_of!(SmartLog, endu_grp_crit_warn_sumry) == 6);
const _: () = assert!(offset_of!(SmartLog, data_units_read) == 32);
const _: () = assert!(offset_of!(SmartLog, power_on_hours) == 128);
const _: () = assert!(offset_of!(SmartLog, num_err_log_entries) == 176);
const _: () = assert!(offset_of!(SmartLog, warning_temp_time) == 192);
const _: () = assert!(offset_of!(SmartLog, temp_sensor) == 200);
const _: () = assert!(offset_of!(SmartLog, thm_temp1_trans_count) == 216);
const _: () = assert!(offset_of!(SmartLog, thm_temp2_total_time) == 228);

impl Default for SmartLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl SmartLog {
    /// Composite temperature in degrees Celsius.
    pub const fn temperature_celsius(&self) -> i32 {
        self.temperature.get() as i32 - 273
    }

    /// Bytes read, from Data Units Read (each unit is 1000 × 512 bytes);
    /// saturates at `u128::MAX`.
    pub const fn bytes_read(&self) -> u128 {
        self.data_units_read.get().saturating_mul(512_000)
    }

    /// Bytes written, from Data Units Written; saturates at `u128::MAX`.
    pub const fn bytes_written(&self) -> u128 {
        self.data_units_written.get().saturating_mul(512_000)
    }
}

/// Firmware Slot Information log page (Base spec 2.0, "Firmware Slot
/// Information Log Page", LID 03h): 512 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct FwSlotLog {
    /// Active Firmware Info (AFI): bits 2:0 the active slot, bits 6:4 the
    /// slot activated at the next controller reset (0: none).
    pub afi: u8,
    /// Reserved (bytes 1..8).
    pub rsvd1: [u8; 7],
    /// Firmware Revision for Slot 1..7 (FRS1..FRS7), ASCII; all zero if empty.
    pub frs: [[u8; 8]; 7],
    /// Reserved (bytes 64..512).
    pub rsvd64: [u8; 448],
}

const _: () = assert!(size_of::<FwSlotLog>() == 512);
const _: () = assert!(offset_of!(FwSlotLog, frs) == 8);
const _: () = assert!(offset_of!(FwSlotLog, rsvd64) == 64);

impl Default for FwSlotLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl FwSlotLog {
    /// The slot (1..=7) the running firmware came from.
    pub const fn active_slot(&self) -> u8 {
        self.afi & 0x7
    }

    /// The slot to activate at the next controller reset, if one is set.
    pub const fn next_slot(&self) -> Option<u8> {
        match (self.afi >> 4) & 0x7 {
            0 => None,
            s => Some(s),
        }
    }

    /// Firmware revision in `slot` (1..=7), trimmed. `None` for a slot out of
    /// range, an empty slot, or a revision that is not UTF-8.
    pub fn frs(&self, slot: u8) -> Option<&str> {
        let raw = self.frs.get(usize::from(slot).checked_sub(1)?)?;
        spec_str(raw).filter(|s| !s.is_empty())
    }
}

/// Changed Attached Namespace List log page (Base spec 2.0, "Changed
/// Attached Namespace List Log Page", LID 04h): 1024 namespace IDs, 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ChangedNsList {
    /// Changed namespace IDs in increasing order, zero-filled; a first entry
    /// of FFFFFFFFh means more than 1024 namespaces changed.
    pub ns: [u32; 1024],
}

const _: () = assert!(size_of::<ChangedNsList>() == 4096);

impl Default for ChangedNsList {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl ChangedNsList {
    /// True if more than 1024 namespaces changed and the list is not usable:
    /// the host must rescan every namespace.
    pub const fn overflowed(&self) -> bool {
        self.ns[0] == u32::MAX
    }

    /// The changed namespace IDs, up to the first zero (none if overflowed).
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        let skip = self.overflowed();
        self.ns
            .iter()
            .copied()
            .take_while(move |&id| !skip && id != 0)
    }
}

/// Changed Allocated Namespace List log page (NVMe Base 2.1, "Changed
/// Allocated Namespace List Log Page", LID 1Ch): the layout of
/// [`ChangedNsList`], listing the namespaces created or deleted (their
/// allocation changed) instead of those attached or detached.
pub type ChangedAllocNsList = ChangedNsList;

/// One Commands Supported and Effects entry (Base spec 2.0, "Commands
/// Supported and Effects Data Structure").
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct CommandEffects {
    /// Command Supported (CSUPP).
    pub csupp: bool,
    /// Logical Block Content Change (LBCC).
    pub lbcc: bool,
    /// Namespace Capability Change (NCC).
    pub ncc: bool,
    /// Namespace Inventory Change (NIC).
    pub nic: bool,
    /// Controller Capability Change (CCC).
    pub ccc: bool,
    /// Reserved (bits 13:5).
    #[bits(9)]
    pub _rsvd5: u16,
    /// Command Submission and Execution Relaxations (CSER).
    #[bits(2)]
    pub cser: u8,
    /// Command Submission and Execution (CSE): 0 no restriction, 1 one at a
    /// time per namespace, 2 one at a time per subsystem.
    #[bits(3)]
    pub cse: u8,
    /// UUID Selection Supported (USS).
    pub uss: bool,
    /// Command Scope (CSP).
    #[bits(12)]
    pub csp: u16,
}

/// Commands Supported and Effects log page (Base spec 2.0, "Commands
/// Supported and Effects Log Page", LID 05h): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CommandEffectsLog {
    /// Admin Command Supported (ACS0..ACS255), indexed by opcode.
    pub acs: [CommandEffects; 256],
    /// I/O Command Supported (IOCS0..IOCS255), indexed by opcode.
    pub iocs: [CommandEffects; 256],
    /// Reserved (bytes 2048..4096).
    pub rsvd2048: [u8; 2048],
}

const _: () = assert!(size_of::<CommandEffectsLog>() == 4096);
const _: () = assert!(offset_of!(CommandEffectsLog, iocs) == 1024);
const _: () = assert!(offset_of!(CommandEffectsLog, rsvd2048) == 2048);

impl Default for CommandEffectsLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl CommandEffectsLog {
    /// Effects of admin opcode `opcode`.
    pub const fn admin(&self, opcode: u8) -> CommandEffects {
        self.acs[opcode as usize]
    }

    /// Effects of I/O opcode `opcode`.
    pub const fn io(&self, opcode: u8) -> CommandEffects {
        self.iocs[opcode as usize]
    }
}

open_enum! {
    /// Device Self-test Code (the operation), in [`SelfTestLog::current_operation`]
    /// and the top nibble of [`SelfTestResult::dsts`].
    SelfTestCode {
        /// No operation in progress.
        NONE = 0x0 => "No Operation",
        /// Short device self-test.
        SHORT = 0x1 => "Short",
        /// Extended device self-test.
        EXTENDED = 0x2 => "Extended",
        /// Host-initiated refresh.
        HOST_REFRESH = 0x3 => "Host-Initiated Refresh",
        /// Vendor specific.
        VENDOR = 0xe => "Vendor Specific",
        /// Abort device self-test (Device Self-test command only).
        ABORT = 0xf => "Abort",
    }
}

open_enum! {
    /// Device Self-test Result (bits 3:0 of [`SelfTestResult::dsts`]).
    SelfTestOutcome {
        /// Completed without error.
        NO_ERROR = 0x0 => "Completed Without Error",
        /// Aborted by a Device Self-test command.
        ABORTED = 0x1 => "Aborted by Device Self-test Command",
        /// Aborted by a controller level reset.
        ABORTED_RESET = 0x2 => "Aborted by Controller Level Reset",
        /// Aborted by a namespace removal.
        ABORTED_NS_REMOVED = 0x3 => "Aborted by Namespace Removal",
        /// Aborted by a Format NVM command.
        ABORTED_FORMAT = 0x4 => "Aborted by Format NVM",
        /// A fatal or unknown test error.
        FATAL = 0x5 => "Fatal or Unknown Test Error",
        /// Completed with a failed segment, which one unknown.
        FAILED_UNKNOWN_SEGMENT = 0x6 => "Failed Segment Unknown",
        /// Completed with failed segments; the first is in `seg`.
        FAILED_SEGMENT = 0x7 => "Failed Segment",
        /// Aborted for an unknown reason.
        ABORTED_UNKNOWN = 0x8 => "Aborted for Unknown Reason",
        /// Aborted by a sanitize operation.
        ABORTED_SANITIZE = 0x9 => "Aborted by Sanitize",
        /// Entry not used.
        UNUSED = 0xf => "Entry Not Used",
    }
}

/// Self-test Result Data Structure (Base spec 2.0, "Self-test Result Data
/// Structure"): 28 bytes, so its 64-bit fields are unaligned byte types.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SelfTestResult {
    /// Device Self-test Status: bits 3:0 result ([`SelfTestOutcome`]), bits 7:4 code ([`SelfTestCode`]).
    pub dsts: u8,
    /// Segment Number of the first failing segment.
    pub seg: u8,
    /// Valid Diagnostic Information: bit 0 NSID, 1 FLBA, 2 SCT, 3 SC valid.
    pub vdi: u8,
    /// Reserved (byte 3).
    pub rsvd3: u8,
    /// Power On Hours at completion.
    pub poh: U64,
    /// Namespace Identifier of the failure (if VDI bit 0).
    pub nsid: U32,
    /// Failing LBA (if VDI bit 1).
    pub flba: U64,
    /// Status Code Type of the failure (if VDI bit 2).
    pub sct: u8,
    /// Status Code of the failure (if VDI bit 3).
    pub sc: u8,
    /// Vendor Specific.
    pub vs: [u8; 2],
}

const _: () = assert!(size_of::<SelfTestResult>() == 28);
const _: () = assert!(offset_of!(SelfTestResult, poh) == 4);
const _: () = assert!(offset_of!(SelfTestResult, nsid) == 12);
const _: () = assert!(offset_of!(SelfTestResult, flba) == 16);
const _: () = assert!(offset_of!(SelfTestResult, sct) == 24);

impl SelfTestResult {
    /// The test's result.
    pub const fn outcome(&self) -> SelfTestOutcome {
        SelfTestOutcome(self.dsts & 0xf)
    }

    /// Which test ran.
    pub const fn code(&self) -> SelfTestCode {
        SelfTestCode(self.dsts >> 4)
    }

    /// True unless the entry is marked unused.
    pub const fn is_used(&self) -> bool {
        self.outcome().0 != SelfTestOutcome::UNUSED.0
    }

    /// The failing namespace, if reported.
    pub const fn failing_nsid(&self) -> Option<u32> {
        if self.vdi & 1 != 0 {
            Some(self.nsid.get())
        } else {
            None
        }
    }

    /// The failing LBA, if reported.
    pub const fn failing_lba(&self) -> Option<u64> {
        if self.vdi & 2 != 0 {
            Some(self.flba.get())
        } else {
            None
        }
    }
}

/// Device Self-test log page (Base spec 2.0, "Device Self-test Log Page",
/// LID 06h): 564 bytes, newest result first.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SelfTestLog {
    /// Current Device Self-Test Operation (bits 3:0, a [`SelfTestCode`]).
    pub current_operation: u8,
    /// Current Device Self-Test Completion (bits 6:0), percent.
    pub completion: u8,
    /// Reserved (bytes 2..4).
    pub rsvd2: [u8; 2],
    /// Newest Self-test Result Data Structure first, up to 20.
    pub result: [SelfTestResult; 20],
}

const _: () = assert!(size_of::<SelfTestLog>() == 564);
const _: () = assert!(offset_of!(SelfTestLog, result) == 4);

impl Default for SelfTestLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl SelfTestLog {
    /// The operation in progress, if any.
    pub const fn current(&self) -> Option<SelfTestCode> {
        match self.current_operation & 0xf {
            0 => None,
            c => Some(SelfTestCode(c)),
        }
    }

    /// Percent complete of the operation in progress.
    pub const fn percent_complete(&self) -> u8 {
        self.completion & 0x7f
    }

    /// The used result entries, newest first.
    pub fn results(&self) -> impl Iterator<Item = &SelfTestResult> + '_ {
        self.result.iter().filter(|r| r.is_used())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_alloc_ns_list_golden_bytes() {
        let mut l = ChangedAllocNsList::default();
        assert_eq!(size_of::<ChangedAllocNsList>(), 4096);
        l.ns[0] = 2;
        l.ns[1] = 0x0102_0304;
        assert_eq!(&l.as_bytes()[..12], &[2, 0, 0, 0, 4, 3, 2, 1, 0, 0, 0, 0]);
        let ids: heapless::Vec<u32, 4> = l.ids().collect();
        assert_eq!(&ids[..], &[2, 0x0102_0304]);
        l.ns[0] = u32::MAX;
        assert!(l.overflowed() && l.ids().next().is_none());
    }
}
