//! Set Features and Get Features (Base spec, "Set Features command", "Get
//! Features command", "Feature Identifiers").

use bitfield_struct::bitfield;

use crate::cmd::{Cmd, QueueKind, Xfer};
use crate::cqe::Completion;
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

open_enum! {
    /// Feature Identifier (FID), Base spec "Feature Identifiers".
    FeatureId {
        /// Arbitration.
        ARBITRATION = 0x01 => "Arbitration",
        /// Power Management.
        POWER_MGMT = 0x02 => "Power Management",
        /// LBA Range Type (4096-byte data structure).
        LBA_RANGE_TYPE = 0x03 => "LBA Range Type",
        /// Temperature Threshold.
        TEMP_THRESH = 0x04 => "Temperature Threshold",
        /// Error Recovery.
        ERROR_RECOVERY = 0x05 => "Error Recovery",
        /// Volatile Write Cache.
        VOLATILE_WC = 0x06 => "Volatile Write Cache",
        /// Number of Queues.
        NUM_QUEUES = 0x07 => "Number of Queues",
        /// Interrupt Coalescing.
        IRQ_COALESCE = 0x08 => "Interrupt Coalescing",
        /// Interrupt Vector Configuration.
        IRQ_CONFIG = 0x09 => "Interrupt Vector Configuration",
        /// Write Atomicity Normal.
        WRITE_ATOMIC = 0x0a => "Write Atomicity Normal",
        /// Asynchronous Event Configuration.
        ASYNC_EVENT = 0x0b => "Asynchronous Event Configuration",
        /// Autonomous Power State Transition (256-byte data structure).
        AUTO_PST = 0x0c => "Autonomous Power State Transition",
        /// Host Memory Buffer.
        HOST_MEM_BUF = 0x0d => "Host Memory Buffer",
        /// Timestamp (8-byte data structure).
        TIMESTAMP = 0x0e => "Timestamp",
        /// Keep Alive Timer.
        KATO = 0x0f => "Keep Alive Timer",
        /// Host Controlled Thermal Management.
        HCTM = 0x10 => "Host Controlled Thermal Management",
        /// Non-Operational Power State Config.
        NOPSC = 0x11 => "Non-Operational Power State Config",
        /// Read Recovery Level Config.
        RRL = 0x12 => "Read Recovery Level Config",
        /// Predictable Latency Mode Config (512-byte data structure).
        PLM_CONFIG = 0x13 => "Predictable Latency Mode Config",
        /// Predictable Latency Mode Window.
        PLM_WINDOW = 0x14 => "Predictable Latency Mode Window",
        /// LBA Status Information Attributes.
        LBA_STATUS_INFO = 0x15 => "LBA Status Information Attributes",
        /// Host Behavior Support (512-byte data structure).
        HOST_BEHAVIOR = 0x16 => "Host Behavior Support",
        /// Sanitize Config.
        SANITIZE = 0x17 => "Sanitize Config",
        /// Endurance Group Event Configuration.
        ENDURANCE_EVENT_CONFIG = 0x18 => "Endurance Group Event Configuration",
        /// I/O Command Set Profile.
        IO_CMD_SET_PROFILE = 0x19 => "I/O Command Set Profile",
        /// Spinup Control.
        SPINUP_CONTROL = 0x1a => "Spinup Control",
        /// Flexible Data Placement.
        FDP = 0x1d => "Flexible Data Placement",
        /// FDP Events.
        FDP_EVENTS = 0x1e => "FDP Events",
        /// Enhanced Controller Metadata.
        ENHANCED_CTRL_METADATA = 0x7d => "Enhanced Controller Metadata",
        /// Controller Metadata.
        CTRL_METADATA = 0x7e => "Controller Metadata",
        /// Namespace Metadata.
        NS_METADATA = 0x7f => "Namespace Metadata",
        /// Software Progress Marker.
        SW_PROGRESS = 0x80 => "Software Progress Marker",
        /// Host Identifier (8 or 16 bytes, by EXHID).
        HOST_ID = 0x81 => "Host Identifier",
        /// Reservation Notification Mask.
        RESV_MASK = 0x82 => "Reservation Notification Mask",
        /// Reservation Persistence.
        RESV_PERSIST = 0x83 => "Reservation Persistence",
        /// Namespace Write Protection Config.
        NS_WRITE_PROTECT = 0x84 => "Namespace Write Protection Config",
    }
}

/// Select (SEL) of Get Features: which value to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Sel {
    /// 000b: the current value.
    #[default]
    Current = 0,
    /// 001b: the default value.
    Default = 1,
    /// 010b: the saved value.
    Saved = 2,
    /// 011b: the supported capabilities (in completion dword 0; no data).
    Supported = 3,
}

/// Set Features Command Dword 10 (Base spec, "Set Features – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct SetFeaturesCdw10 {
    /// Feature Identifier (FID).
    pub fid: u8,
    /// Reserved (bits 30:8).
    #[bits(23)]
    _rsvd: u32,
    /// Save (SV): keep the value across power cycles and resets.
    pub sv: bool,
}

/// Get Features Command Dword 10 (Base spec, "Get Features – Command Dword 10").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct GetFeaturesCdw10 {
    /// Feature Identifier (FID).
    pub fid: u8,
    /// Select (SEL).
    #[bits(3)]
    pub sel: u8,
    /// Reserved (bits 31:11).
    #[bits(21)]
    _rsvd: u32,
}

/// The bytes a feature's data structure has, for the features that have
/// one (Base spec, each feature's "… – Data Structure" figure). Set Features
/// of Host Memory Buffer moves no data (its fields are in CDW12..15); Get
/// Features of it returns the 4096-byte attributes structure.
pub(crate) const fn feature_data_len(fid: FeatureId, cdw11: u32, get: bool) -> u32 {
    match fid {
        FeatureId::LBA_RANGE_TYPE => 4096,
        FeatureId::AUTO_PST => 256,
        FeatureId::TIMESTAMP => 8,
        FeatureId::HOST_BEHAVIOR | FeatureId::PLM_CONFIG => 512,
        FeatureId::HOST_MEM_BUF if get => 4096,
        // Extended Host Identifier (EXHID, CDW11 bit 0): 128-bit identifier.
        FeatureId::HOST_ID if cdw11 & 1 == 1 => 16,
        FeatureId::HOST_ID => 8,
        _ => 0,
    }
}

#[inline]
const fn xfer_of(len: u32) -> Xfer {
    if len == 0 {
        Xfer::None
    } else {
        Xfer::Bytes(len)
    }
}

/// Set Features (admin 09h), Base spec "Set Features command".
///
/// The transfer is the feature's data structure for the features that have
/// one (LBA Range Type 4096 B, Autonomous Power State Transition 256 B,
/// Timestamp 8 B, Host Behavior Support and Predictable Latency Mode Config
/// 512 B, Host Identifier 8 or 16 B), or what [`Self::data_len`] says,
/// whichever is larger, so the buffer a backend checks always covers what the
/// controller reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetFeatures {
    nsid: u32,
    cdw10: SetFeaturesCdw10,
    cdw11_15: [u32; 5],
    data_len: u32,
}

impl SetFeatures {
    /// Set feature `fid` to the value in `cdw11` (feature specific).
    #[inline]
    pub const fn new(fid: FeatureId, cdw11: u32) -> Self {
        SetFeatures {
            nsid: 0,
            cdw10: SetFeaturesCdw10::new().with_fid(fid.0),
            cdw11_15: [cdw11, 0, 0, 0, 0],
            data_len: 0,
        }
    }
    /// Number of Queues: request `nsqr_z + 1` I/O submission and `ncqr_z + 1`
    /// completion queues (NSQR/NCQR are zero-based). The controller's grant is
    /// in completion dword 0 ([`Self::queues_allocated`]).
    #[inline]
    pub const fn num_queues(nsqr_z: u16, ncqr_z: u16) -> Self {
        Self::new(FeatureId::NUM_QUEUES, nsqr_z as u32 | (ncqr_z as u32) << 16)
    }
    /// Volatile Write Cache Enable (WCE).
    #[inline]
    pub const fn volatile_wc(wce: bool) -> Self {
        Self::new(FeatureId::VOLATILE_WC, wce as u32)
    }
    /// Keep Alive Timeout (KATO) in milliseconds.
    #[inline]
    pub const fn kato(ms: u32) -> Self {
        Self::new(FeatureId::KATO, ms)
    }
    /// Asynchronous Event Configuration: the events to report (CDW11 bitmap).
    #[inline]
    pub const fn async_event(cdw11: u32) -> Self {
        Self::new(FeatureId::ASYNC_EVENT, cdw11)
    }
    /// Timestamp: sends the 8-byte timestamp structure.
    #[inline]
    pub const fn timestamp() -> Self {
        Self::new(FeatureId::TIMESTAMP, 0)
    }
    /// Namespace Identifier, for namespace-scoped features.
    #[inline]
    pub const fn nsid(mut self, nsid: u32) -> Self {
        self.nsid = nsid;
        self
    }
    /// Save (SV).
    #[inline]
    pub const fn sv(mut self, sv: bool) -> Self {
        self.cdw10 = self.cdw10.with_sv(sv);
        self
    }
    /// Command Dword 11 (feature specific).
    #[inline]
    pub const fn cdw11(mut self, v: u32) -> Self {
        self.cdw11_15[0] = v;
        self
    }
    /// Command Dword 12 (feature specific).
    #[inline]
    pub const fn cdw12(mut self, v: u32) -> Self {
        self.cdw11_15[1] = v;
        self
    }
    /// Command Dword 13 (feature specific).
    #[inline]
    pub const fn cdw13(mut self, v: u32) -> Self {
        self.cdw11_15[2] = v;
        self
    }
    /// Command Dword 14 (bits 6:0: UUID Index; the rest feature specific).
    #[inline]
    pub const fn cdw14(mut self, v: u32) -> Self {
        self.cdw11_15[3] = v;
        self
    }
    /// Command Dword 15 (feature specific).
    #[inline]
    pub const fn cdw15(mut self, v: u32) -> Self {
        self.cdw11_15[4] = v;
        self
    }
    /// The data buffer's length, for features this crate does not know the
    /// size of (never less than the known size).
    #[inline]
    pub const fn data_len(mut self, len: u32) -> Self {
        self.data_len = len;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::SET_FEATURES.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        let [c11, c12, c13, c14, c15] = self.cdw11_15;
        sqe.cdw11 = c11;
        sqe.cdw12 = c12;
        sqe.cdw13 = c13;
        sqe.cdw14 = c14;
        sqe.cdw15 = c15;
        let known = feature_data_len(FeatureId(self.cdw10.fid()), c11, false);
        let len = if known > self.data_len {
            known
        } else {
            self.data_len
        };
        Cmd::with_xfer(QueueKind::Admin, sqe, xfer_of(len))
    }
    /// Number of Queues Allocated from a Set/Get Features completion:
    /// `(nsqa_z, ncqa_z)`, both zero-based.
    #[inline]
    pub const fn queues_allocated(c: &Completion) -> (u16, u16) {
        (c.dw0 as u16, (c.dw0 >> 16) as u16)
    }
}

/// Get Features (admin 0Ah), Base spec "Get Features command".
///
/// The value is in completion dword 0; features with a data structure also
/// return it (sizes as for [`SetFeatures`]; Host Memory Buffer returns its
/// 4096-byte attributes). SEL "supported capabilities" returns no data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetFeatures {
    nsid: u32,
    cdw10: GetFeaturesCdw10,
    cdw11: u32,
    cdw14: u32,
    data_len: u32,
}

impl GetFeatures {
    /// Get the current value of feature `fid`.
    #[inline]
    pub const fn new(fid: FeatureId) -> Self {
        GetFeatures {
            nsid: 0,
            cdw10: GetFeaturesCdw10::new().with_fid(fid.0),
            cdw11: 0,
            cdw14: 0,
            data_len: 0,
        }
    }
    /// Namespace Identifier, for namespace-scoped features.
    #[inline]
    pub const fn nsid(mut self, nsid: u32) -> Self {
        self.nsid = nsid;
        self
    }
    /// Select (SEL): current, default, saved or supported capabilities.
    #[inline]
    pub const fn sel(mut self, sel: Sel) -> Self {
        self.cdw10 = self.cdw10.with_sel(sel as u8);
        self
    }
    /// Command Dword 11 (feature specific, e.g. the interrupt vector of
    /// Interrupt Vector Configuration, EXHID of Host Identifier).
    #[inline]
    pub const fn cdw11(mut self, v: u32) -> Self {
        self.cdw11 = v;
        self
    }
    /// UUID Index (UIDX, CDW14 bits 6:0); bits above 6 are ignored.
    #[inline]
    pub const fn uidx(mut self, uidx: u8) -> Self {
        self.cdw14 = (uidx & 0x7f) as u32;
        self
    }
    /// The data buffer's length, for features this crate does not know the
    /// size of (never less than the known size).
    #[inline]
    pub const fn data_len(mut self, len: u32) -> Self {
        self.data_len = len;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::GET_FEATURES.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        sqe.cdw11 = self.cdw11;
        sqe.cdw14 = self.cdw14;
        let known = if self.cdw10.sel() == Sel::Supported as u8 {
            0
        } else {
            feature_data_len(FeatureId(self.cdw10.fid()), self.cdw11, true)
        };
        let len = if known > self.data_len {
            known
        } else {
            self.data_len
        };
        Cmd::with_xfer(QueueKind::Admin, sqe, xfer_of(len))
    }
}
