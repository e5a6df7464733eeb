//! Identify data structures: NVMe Base Specification 2.0, "Identify Controller
//! Data Structure", the NVM Command Set Specification 2.0, "Identify Namespace
//! Data Structure", "Active Namespace ID list" and "Namespace Identification
//! Descriptor".
//!
//! Every layout is `#[repr(C)]` with the spec's byte offsets asserted at compile
//! time. Naturally aligned fields are native integers (the crate refuses
//! big-endian targets); fields the spec places off their natural alignment, or
//! wider than 64 bits, use `zerocopy`'s little-endian byte types.
//!
//! Parsing: `T::read_from_bytes(buf)` copies and accepts any buffer;
//! `T::ref_from_bytes(buf)` borrows and needs `buf` aligned to `align_of::<T>()`
//! (DMA buffers are page aligned, so this holds for the buffers backends hand out).

use bitfield_struct::bitfield;
use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::U128;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use crate::pi::{PiLocation, PiType};
mod independent;
mod lists;
mod nvm_ctrl;

pub use independent::IdentifyNamespaceIndependent;
pub use lists::*;
pub use nvm_ctrl::*;

use crate::regs::Vs;

mod nvm;

pub use nvm::{Elbaf, IdentifyNamespaceNvm};

/// The text of a spec string field (`sn`, `mn`, `fr`, `subnqn`, firmware
/// revisions): ASCII, left-justified, padded with spaces or NUL-terminated.
///
/// Cuts at the first NUL, trims trailing spaces, and returns `None` when the
/// rest is not UTF-8 (a conforming controller only sends ASCII).
pub fn spec_str(bytes: &[u8]) -> Option<&str> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let s = core::str::from_utf8(&bytes[..end]).ok()?;
    Some(s.trim_end_matches(' '))
}

/// Write `s` into a spec string field the way controllers fill `sn`, `mn`
/// and `fr`: left-justified, padded with spaces.
///
/// Returns `false` and leaves `dst` untouched if `s` does not fit.
#[must_use]
pub fn put_spec_str(dst: &mut [u8], s: &str) -> bool {
    let Some(head) = dst.get_mut(..s.len()) else {
        return false;
    };
    head.copy_from_slice(s.as_bytes());
    dst[s.len()..].fill(b' ');
    true
}

/// A Power State Descriptor (Base spec 2.0, "Power State Descriptor Data
/// Structure"): 32 bytes, 32 of them from byte 2048 of Identify Controller.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct PowerStateDescriptor {
    /// Maximum Power (MP), in units of 0.01 W or 0.0001 W (see `mxps`).
    pub mp: u16,
    /// Reserved (byte 2).
    pub rsvd2: u8,
    /// Bit 0 Max Power Scale (MXPS), bit 1 Non-Operational State (NOPS).
    pub flags: u8,
    /// Entry Latency (ENLAT), microseconds.
    pub enlat: u32,
    /// Exit Latency (EXLAT), microseconds.
    pub exlat: u32,
    /// Relative Read Throughput (RRT), bits 4:0.
    pub rrt: u8,
    /// Relative Read Latency (RRL), bits 4:0.
    pub rrl: u8,
    /// Relative Write Throughput (RWT), bits 4:0.
    pub rwt: u8,
    /// Relative Write Latency (RWL), bits 4:0.
    pub rwl: u8,
    /// Idle Power (IDLP).
    pub idlp: u16,
    /// Idle Power Scale (IPS) in bits 7:6.
    pub ips: u8,
    /// Reserved (byte 19).
    pub rsvd19: u8,
    /// Active Power (ACTP).
    pub actp: u16,
    /// Active Power Workload (APW, bits 2:0) and Active Power Scale (APS, bits 7:6).
    pub apw_aps: u8,
    /// Emergency Power Fail Recovery Time (EPFRT).
    pub epfrt: u8,
    /// Forced Quiescence Vault Time (FQVT).
    pub fqvt: u8,
    /// Emergency Power Fail Vault Time (EPFVT).
    pub epfvt: u8,
    /// EPFRT scale (bits 3:0) and FQVT scale (bits 7:4).
    pub epfr_fqv_ts: u8,
    /// EPFVT scale (bits 3:0).
    pub epfvts: u8,
    /// Reserved (bytes 28..32).
    pub rsvd28: [u8; 4],
}

const _: () = assert!(size_of::<PowerStateDescriptor>() == 32);
const _: () = assert!(offset_of!(PowerStateDescriptor, enlat) == 4);
const _: () = assert!(offset_of!(PowerStateDescriptor, idlp) == 16);
const _: () = assert!(offset_of!(PowerStateDescriptor, actp) == 20);

impl PowerStateDescriptor {
    /// Max Power Scale (MXPS): `mp` is in 0.0001 W units when set, 0.01 W when clear.
    pub const fn mxps(&self) -> bool {
        self.flags & 1 != 0
    }

    /// Non-Operational State (NOPS): no I/O is processed in this state.
    pub const fn nops(&self) -> bool {
        self.flags & 2 != 0
    }

    /// Maximum power in microwatts (`mp` scaled by `mxps`).
    pub const fn max_power_uw(&self) -> u32 {
        if self.mxps() {
            self.mp as u32 * 100
        } else {
            self.mp as u32 * 10_000
        }
    }
}

/// Identify Controller data structure (Base spec 2.0, "Identify Controller
/// Data Structure", CNS 01h): 4096 bytes.
///
/// Field names are the spec's mnemonics; zero-based counts carry `_z`.
/// Bytes 1792..2048 are defined for NVMe over Fabrics only.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IdentifyController {
    /// PCI Vendor ID (VID).
    pub vid: u16,
    /// PCI Subsystem Vendor ID (SSVID).
    pub ssvid: u16,
    /// Serial Number (SN), ASCII, space padded. See [`Self::sn`].
    pub sn: [u8; 20],
    /// Model Number (MN), ASCII, space padded. See [`Self::mn`].
    pub mn: [u8; 40],
    /// Firmware Revision (FR), ASCII, space padded. See [`Self::fr`].
    pub fr: [u8; 8],
    /// Recommended Arbitration Burst (RAB), a power of two.
    pub rab: u8,
    /// IEEE OUI Identifier (IEEE), least significant byte first.
    pub ieee: [u8; 3],
    /// Controller Multi-Path I/O and Namespace Sharing Capabilities (CMIC).
    pub cmic: u8,
    /// Maximum Data Transfer Size (MDTS): a power of two in units of the
    /// minimum memory page size (CAP.MPSMIN); 0 means no limit. See [`Self::mdts_bytes`].
    pub mdts: u8,
    /// Controller ID (CNTLID).
    pub cntlid: u16,
    /// Version (VER), same layout as the VS register.
    pub ver: Vs,
    /// RTD3 Resume Latency (RTD3R), microseconds.
    pub rtd3r: u32,
    /// RTD3 Entry Latency (RTD3E), microseconds.
    pub rtd3e: u32,
    /// Optional Asynchronous Events Supported (OAES).
    pub oaes: u32,
    /// Controller Attributes (CTRATT).
    pub ctratt: u32,
    /// Read Recovery Levels Supported (RRLS).
    pub rrls: u16,
    /// Boot Partition Capabilities (BPCAP).
    pub bpcap: u8,
    /// Reserved (byte 103).
    pub rsvd103: u8,
    /// NVM Subsystem Shutdown Latency (NSSL), microseconds.
    pub nssl: u32,
    /// Reserved (bytes 108..110).
    pub rsvd108: [u8; 2],
    /// Power Loss Signaling Information (PLSI).
    pub plsi: u8,
    /// Controller Type (CNTRLTYPE): 1 I/O, 2 discovery, 3 administrative.
    pub cntrltype: u8,
    /// FRU Globally Unique Identifier (FGUID).
    pub fguid: [u8; 16],
    /// Command Retry Delay Time 1 (CRDT1), units of 100 ms.
    pub crdt1: u16,
    /// Command Retry Delay Time 2 (CRDT2), units of 100 ms.
    pub crdt2: u16,
    /// Command Retry Delay Time 3 (CRDT3), units of 100 ms.
    pub crdt3: u16,
    /// Controller Reachability Capabilities (CRCAP).
    pub crcap: u8,
    /// Reserved (bytes 135..253).
    pub rsvd135: [u8; 118],
    /// NVM Subsystem Report (NVMSR), NVMe-MI.
    pub nvmsr: u8,
    /// VPD Write Cycle Information (VWCI), NVMe-MI.
    pub vwci: u8,
    /// Management Endpoint Capabilities (MEC), NVMe-MI.
    pub mec: u8,
    /// Optional Admin Command Support (OACS).
    pub oacs: u16,
    /// Abort Command Limit (ACL), zero-based.
    pub acl_z: u8,
    /// Asynchronous Event Request Limit (AERL), zero-based.
    pub aerl_z: u8,
    /// Firmware Updates (FRMW).
    pub frmw: u8,
    /// Log Page Attributes (LPA).
    pub lpa: u8,
    /// Error Log Page Entries (ELPE), zero-based.
    pub elpe_z: u8,
    /// Number of Power States Support (NPSS), zero-based.
    pub npss_z: u8,
    /// Admin Vendor Specific Command Configuration (AVSCC).
    pub avscc: u8,
    /// Autonomous Power State Transition Attributes (APSTA).
    pub apsta: u8,
    /// Warning Composite Temperature Threshold (WCTEMP), kelvin.
    pub wctemp: u16,
    /// Critical Composite Temperature Threshold (CCTEMP), kelvin.
    pub cctemp: u16,
    /// Maximum Time for Firmware Activation (MTFA), units of 100 ms.
    pub mtfa: u16,
    /// Host Memory Buffer Preferred Size (HMPRE), 4 KiB units.
    pub hmpre: u32,
    /// Host Memory Buffer Minimum Size (HMMIN), 4 KiB units.
    pub hmmin: u32,
    /// Total NVM Capacity (TNVMCAP), bytes.
    pub tnvmcap: U128,
    /// Unallocated NVM Capacity (UNVMCAP), bytes.
    pub unvmcap: U128,
    /// Replay Protected Memory Block Support (RPMBS).
    pub rpmbs: u32,
    /// Extended Device Self-test Time (EDSTT), minutes.
    pub edstt: u16,
    /// Device Self-test Options (DSTO).
    pub dsto: u8,
    /// Firmware Update Granularity (FWUG), 4 KiB units; FFh means no restriction.
    pub fwug: u8,
    /// Keep Alive Support (KAS), units of 100 ms.
    pub kas: u16,
    /// Host Controlled Thermal Management Attributes (HCTMA).
    pub hctma: u16,
    /// Minimum Thermal Management Temperature (MNTMT), kelvin.
    pub mntmt: u16,
    /// Maximum Thermal Management Temperature (MXTMT), kelvin.
    pub mxtmt: u16,
    /// Sanitize Capabilities (SANICAP).
    pub sanicap: u32,
    /// Host Memory Buffer Minimum Descriptor Entry Size (HMMINDS), 4 KiB units.
    pub hmminds: u32,
    /// Host Memory Maximum Descriptors Entries (HMMAXD).
    pub hmmaxd: u16,
    /// NVM Set Identifier Maximum (NSETIDMAX).
    pub nsetidmax: u16,
    /// Endurance Group Identifier Maximum (ENDGIDMAX).
    pub endgidmax: u16,
    /// ANA Transition Time (ANATT), seconds.
    pub anatt: u8,
    /// Asymmetric Namespace Access Capabilities (ANACAP).
    pub anacap: u8,
    /// ANA Group Identifier Maximum (ANAGRPMAX).
    pub anagrpmax: u32,
    /// Number of ANA Group Identifiers (NANAGRPID).
    pub nanagrpid: u32,
    /// Persistent Event Log Size (PELS), 64 KiB units.
    pub pels: u32,
    /// Domain Identifier (DOMAINID).
    pub domainid: u16,
    /// Key Per I/O Capabilities (KPIOC).
    pub kpioc: u8,
    /// Reserved (byte 359).
    pub rsvd359: u8,
    /// Max Processing Time for Firmware Activation Without Reset (MPTFAWR), 100 ms units.
    pub mptfawr: u16,
    /// Reserved (bytes 362..368).
    pub rsvd362: [u8; 6],
    /// Max Endurance Group Capacity (MEGCAP), bytes.
    pub megcap: U128,
    /// Temperature Threshold Hysteresis Attributes (TMPTHHA).
    pub tmpthha: u8,
    /// Reserved (byte 385).
    pub rsvd385: u8,
    /// Command Quiesce Time (CQT), milliseconds.
    pub cqt: u16,
    /// Reserved (bytes 388..512).
    pub rsvd388: [u8; 124],
    /// Submission Queue Entry Size (SQES): required log2 in bits 3:0, maximum in 7:4.
    pub sqes: u8,
    /// Completion Queue Entry Size (CQES): required log2 in bits 3:0, maximum in 7:4.
    pub cqes: u8,
    /// Maximum Outstanding Commands (MAXCMD), fabrics.
    pub maxcmd: u16,
    /// Number of Namespaces (NN): the largest valid namespace ID.
    pub nn: u32,
    /// Optional NVM Command Support (ONCS). See [`oncs`].
    pub oncs: u16,
    /// Fused Operation Support (FUSES).
    pub fuses: u16,
    /// Format NVM Attributes (FNA).
    pub fna: u8,
    /// Volatile Write Cache (VWC).
    pub vwc: u8,
    /// Atomic Write Unit Normal (AWUN), logical blocks, zero-based.
    pub awun_z: u16,
    /// Atomic Write Unit Power Fail (AWUPF), logical blocks, zero-based.
    pub awupf_z: u16,
    /// I/O Command Set Vendor Specific Command Configuration (ICSVSCC).
    pub icsvscc: u8,
    /// Namespace Write Protection Capabilities (NWPC).
    pub nwpc: u8,
    /// Atomic Compare & Write Unit (ACWU), logical blocks, zero-based.
    pub acwu_z: u16,
    /// Copy Descriptor Formats Supported (OCFS).
    pub ocfs: u16,
    /// SGL Support (SGLS). See [`sgls`].
    pub sgls: u32,
    /// Maximum Number of Allowed Namespaces (MNAN).
    pub mnan: u32,
    /// Maximum Domain Namespace Attachments (MAXDNA).
    pub maxdna: U128,
    /// Maximum I/O Controller Namespace Attachments (MAXCNA).
    pub maxcna: u32,
    /// Optimal Aggregated Queue Depth (OAQD).
    pub oaqd: u32,
    /// Recommended Host-Initiated Refresh Interval (RHIRI), hours.
    pub rhiri: u8,
    /// Host-Initiated Refresh Time (HIRT), seconds.
    pub hirt: u8,
    /// Controller Maximum Memory Range Tracking Descriptors (CMMRTD).
    pub cmmrtd: u16,
    /// NVM Subsystem Maximum Memory Range Tracking Descriptors (NMMRTD).
    pub nmmrtd: u16,
    /// Minimum Memory Range Tracking Granularity (MINMRTG).
    pub minmrtg: u8,
    /// Maximum Memory Range Tracking Granularity (MAXMRTG).
    pub maxmrtg: u8,
    /// Tracking Attributes (TRATTR).
    pub trattr: u8,
    /// Reserved (byte 577).
    pub rsvd577: u8,
    /// Maximum Controller User Data Migration Queues (MCUDMQ).
    pub mcudmq: u16,
    /// Maximum NVM Subsystem User Data Migration Queues (MNSUDMQ).
    pub mnsudmq: u16,
    /// Maximum CDQ Memory Ranges (MCMR).
    pub mcmr: u16,
    /// NVM Subsystem Maximum CDQ Memory Ranges (NMCMR).
    pub nmcmr: u16,
    /// Maximum Controller Data Queue PRP Count (MCDQPC).
    pub mcdqpc: u16,
    /// Reserved (bytes 588..768).
    pub rsvd588: [u8; 180],
    /// NVM Subsystem NVMe Qualified Name (SUBNQN), NUL terminated. See [`Self::subnqn`].
    pub subnqn: [u8; 256],
    /// Reserved (bytes 1024..1792).
    pub rsvd1024: [u8; 768],
    /// I/O Queue Command Capsule Supported Size (IOCCSZ), fabrics, 16-byte units.
    pub ioccsz: u32,
    /// I/O Queue Response Capsule Supported Size (IORCSZ), fabrics, 16-byte units.
    pub iorcsz: u32,
    /// In Capsule Data Offset (ICDOFF), fabrics, 16-byte units.
    pub icdoff: u16,
    /// Fabrics Controller Attributes (FCATT).
    pub fcatt: u8,
    /// Maximum SGL Data Block Descriptors (MSDBD), fabrics.
    pub msdbd: u8,
    /// Optional Fabric Commands Support (OFCS).
    pub ofcs: u16,
    /// Discovery Controller Type (DCTYPE).
    pub dctype: u8,
    /// Reserved (bytes 1807..2048).
    pub rsvd1807: [u8; 241],
    /// Power State Descriptors 0..=31 (PSD0..PSD31); `npss_z + 1` are valid.
    pub psd: [PowerStateDescriptor; 32],
    /// Vendor Specific (bytes 3072..4096).
    pub vs: [u8; 1024],
}

const _: () = assert!(size_of::<IdentifyController>() == 4096);
const _: () = assert!(offset_of!(IdentifyController, sn) == 4);
const _: () = assert!(offset_of!(IdentifyController, mn) == 24);
const _: () = assert!(offset_of!(IdentifyController, fr) == 64);
const _: () = assert!(offset_of!(IdentifyController, rab) == 72);
const _: () = assert!(offset_of!(IdentifyController, mdts) == 77);
const _: () = assert!(offset_of!(IdentifyController, cntlid) == 78);
const _: () = assert!(offset_of!(IdentifyController, ver) == 80);
const _: () = assert!(offset_of!(IdentifyController, ctratt) == 96);
const _: () = assert!(offset_of!(IdentifyController, fguid) == 112);
const _: () = assert!(offset_of!(IdentifyController, crdt1) == 128);
const _: () = assert!(offset_of!(IdentifyController, nvmsr) == 253);
const _: () = assert!(offset_of!(IdentifyController, oacs) == 256);
const _: () = assert!(offset_of!(IdentifyController, npss_z) == 263);
const _: () = assert!(offset_of!(IdentifyController, wctemp) == 266);
const _: () = assert!(offset_of!(IdentifyController, tnvmcap) == 280);
const _: () = assert!(offset_of!(IdentifyController, sanicap) == 328);
const _: () = assert!(offset_of!(IdentifyController, anagrpmax) == 344);
const _: () = assert!(offset_of!(IdentifyController, megcap) == 368);
const _: () = assert!(offset_of!(IdentifyController, cqt) == 386);
const _: () = assert!(offset_of!(IdentifyController, sqes) == 512);
const _: () = assert!(offset_of!(IdentifyController, cqes) == 513);
const _: () = assert!(offset_of!(IdentifyController, maxcmd) == 514);
const _: () = assert!(offset_of!(IdentifyController, nn) == 516);
const _: () = assert!(offset_of!(IdentifyController, oncs) == 520);
const _: () = assert!(offset_of!(IdentifyController, vwc) == 525);
const _: () = assert!(offset_of!(IdentifyController, ocfs) == 534);
const _: () = assert!(offset_of!(IdentifyController, sgls) == 536);
const _: () = assert!(offset_of!(IdentifyController, maxdna) == 544);
const _: () = assert!(offset_of!(IdentifyController, mcdqpc) == 586);
const _: () = assert!(offset_of!(IdentifyController, subnqn) == 768);
const _: () = assert!(offset_of!(IdentifyController, ioccsz) == 1792);
const _: () = assert!(offset_of!(IdentifyController, dctype) == 1806);
const _: () = assert!(offset_of!(IdentifyController, psd) == 2048);
const _: () = assert!(offset_of!(IdentifyController, vs) == 3072);

impl Default for IdentifyController {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl IdentifyController {
    /// Serial number, trimmed; `None` if not UTF-8.
    pub fn sn(&self) -> Option<&str> {
        spec_str(&self.sn)
    }

    /// Model number, trimmed; `None` if not UTF-8.
    pub fn mn(&self) -> Option<&str> {
        spec_str(&self.mn)
    }

    /// Firmware revision, trimmed; `None` if not UTF-8.
    pub fn fr(&self) -> Option<&str> {
        spec_str(&self.fr)
    }

    /// Subsystem NQN up to its NUL; `None` if not UTF-8.
    pub fn subnqn(&self) -> Option<&str> {
        spec_str(&self.subnqn)
    }

    /// The IEEE OUI as a number (`ieee` is stored least significant byte first).
    pub const fn ieee_oui(&self) -> u32 {
        self.ieee[0] as u32 | (self.ieee[1] as u32) << 8 | (self.ieee[2] as u32) << 16
    }

    /// Maximum data transfer size in bytes, given CAP.MPSMIN in bytes
    /// ([`crate::regs::Cap::mps_min_bytes`]).
    ///
    /// `None` means no limit: MDTS is 0, or the limit does not fit in a `u64`.
    pub const fn mdts_bytes(&self, mps_min_bytes: u32) -> Option<u64> {
        if self.mdts == 0 || self.mdts >= 64 {
            return None;
        }
        (mps_min_bytes as u64).checked_mul(1u64 << self.mdts)
    }

    /// Required submission queue entry size in bytes (2^SQES bits 3:0).
    pub const fn sqe_size(&self) -> u32 {
        1u32 << (self.sqes & 0xf)
    }

    /// Required completion queue entry size in bytes (2^CQES bits 3:0).
    pub const fn cqe_size(&self) -> u32 {
        1u32 << (self.cqes & 0xf)
    }

    /// Number of power states supported (`npss_z + 1`).
    pub const fn power_states(&self) -> usize {
        self.npss_z as usize + 1
    }

    /// True if ONCS has every bit of `mask` (see [`oncs`]).
    pub const fn supports(&self, oncs_mask: u16) -> bool {
        self.oncs & oncs_mask == oncs_mask
    }

    /// SGL support for NVM commands (SGLS bits 1:0 non-zero).
    pub const fn sgl_supported(&self) -> bool {
        self.sgls & sgls::SUPPORTED_MASK != 0
    }
}

/// Optional NVM Command Support (`IdentifyController::oncs`) bits.
pub mod oncs {
    /// Compare.
    pub const COMPARE: u16 = 1 << 0;
    /// Write Uncorrectable.
    pub const WRITE_UNCORRECTABLE: u16 = 1 << 1;
    /// Dataset Management.
    pub const DSM: u16 = 1 << 2;
    /// Write Zeroes.
    pub const WRITE_ZEROES: u16 = 1 << 3;
    /// Save field in Set/Get Features.
    pub const SAVE_FEATURES: u16 = 1 << 4;
    /// Reservations.
    pub const RESERVATIONS: u16 = 1 << 5;
    /// Timestamp feature.
    pub const TIMESTAMP: u16 = 1 << 6;
    /// Verify.
    pub const VERIFY: u16 = 1 << 7;
    /// Copy.
    pub const COPY: u16 = 1 << 8;
}

/// Optional Admin Command Support (`IdentifyController::oacs`) bits.
pub mod oacs {
    /// Security Send and Security Receive.
    pub const SECURITY: u16 = 1 << 0;
    /// Format NVM.
    pub const FORMAT: u16 = 1 << 1;
    /// Firmware Commit and Firmware Image Download.
    pub const FIRMWARE: u16 = 1 << 2;
    /// Namespace Management.
    pub const NS_MGMT: u16 = 1 << 3;
    /// Device Self-test.
    pub const SELF_TEST: u16 = 1 << 4;
    /// Directives.
    pub const DIRECTIVES: u16 = 1 << 5;
    /// NVMe-MI Send and Receive.
    pub const NVME_MI: u16 = 1 << 6;
    /// Virtualization Management.
    pub const VIRT_MGMT: u16 = 1 << 7;
    /// Doorbell Buffer Config (shadow doorbells).
    pub const DBBUF: u16 = 1 << 8;
    /// Get LBA Status.
    pub const LBA_STATUS: u16 = 1 << 9;
    /// Command and Feature Lockdown.
    pub const LOCKDOWN: u16 = 1 << 10;
}

/// SGL Support (`IdentifyController::sgls`) bits.
pub mod sgls {
    /// Bits 1:0: 01b SGLs supported with no alignment requirement, 10b dword aligned.
    pub const SUPPORTED_MASK: u32 = 0b11;
    /// Keyed SGL Data Block descriptor.
    pub const KEYED: u32 = 1 << 2;
    /// SGL Bit Bucket descriptor.
    pub const BIT_BUCKET: u32 = 1 << 16;
    /// Byte-aligned contiguous physical buffer of metadata.
    pub const MPTR_BYTE_ALIGNED: u32 = 1 << 17;
    /// SGL longer than the data transfer.
    pub const OVERSIZE: u32 = 1 << 18;
    /// MPTR may hold an SGL descriptor.
    pub const MPTR_SGL: u32 = 1 << 19;
    /// Address field may hold an offset.
    pub const OFFSET: u32 = 1 << 20;
    /// Transport SGL Data Block descriptor.
    pub const TRANSPORT: u32 = 1 << 21;
}

/// LBA Format Data Structure (NVM Command Set spec 2.0, "LBA Format Data
/// Structure, NVM Command Set Specific"): 4 bytes.
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct LbaFormat {
    /// Metadata Size (MS), bytes per logical block.
    pub ms: u16,
    /// LBA Data Size (LBADS), log2 of the logical block size; 0 if unused.
    pub lbads: u8,
    /// Relative Performance (RP): 0 best .. 3 degraded.
    #[bits(2)]
    pub rp: u8,
    /// Reserved (bits 31:26).
    #[bits(6)]
    pub _rsvd: u8,
}

const _: () = assert!(size_of::<LbaFormat>() == 4);

impl LbaFormat {
    /// Logical block size in bytes; `None` when LBADS is below 9 (unused or
    /// invalid: the spec's minimum is 512 bytes) or too large to represent.
    pub const fn lba_size(&self) -> Option<u32> {
        let lbads = self.lbads();
        if lbads < 9 || lbads >= 32 {
            None
        } else {
            Some(1u32 << lbads)
        }
    }
}

/// Identify Namespace data structure for the NVM Command Set (NVM Command Set
/// spec 2.0, "Identify Namespace Data Structure, NVM Command Set", CNS 00h): 4096 bytes.
///
/// The 64 LBA formats are contiguous from byte 128: formats 0..16 at 128..192
/// (the NVMe 1.x layout) and formats 16..64 at 192..384.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IdentifyNamespace {
    /// Namespace Size (NSZE), logical blocks.
    pub nsze: u64,
    /// Namespace Capacity (NCAP), logical blocks.
    pub ncap: u64,
    /// Namespace Utilization (NUSE), logical blocks.
    pub nuse: u64,
    /// Namespace Features (NSFEAT).
    pub nsfeat: u8,
    /// Number of LBA Formats (NLBAF), zero-based.
    pub nlbaf_z: u8,
    /// Formatted LBA Size (FLBAS): format index bits 3:0 and 6:5, bit 4 extended metadata.
    pub flbas: u8,
    /// Metadata Capabilities (MC).
    pub mc: u8,
    /// End-to-end Data Protection Capabilities (DPC). See [`Self::dpc_bits`].
    pub dpc: u8,
    /// End-to-end Data Protection Type Settings (DPS). See [`Self::dps_bits`].
    pub dps: u8,
    /// Namespace Multi-path I/O and Namespace Sharing Capabilities (NMIC).
    pub nmic: u8,
    /// Reservation Capabilities (RESCAP).
    pub rescap: u8,
    /// Format Progress Indicator (FPI).
    pub fpi: u8,
    /// Deallocate Logical Block Features (DLFEAT).
    pub dlfeat: u8,
    /// Namespace Atomic Write Unit Normal (NAWUN), zero-based.
    pub nawun_z: u16,
    /// Namespace Atomic Write Unit Power Fail (NAWUPF), zero-based.
    pub nawupf_z: u16,
    /// Namespace Atomic Compare & Write Unit (NACWU), zero-based.
    pub nacwu_z: u16,
    /// Namespace Atomic Boundary Size Normal (NABSN), zero-based.
    pub nabsn_z: u16,
    /// Namespace Atomic Boundary Offset (NABO).
    pub nabo: u16,
    /// Namespace Atomic Boundary Size Power Fail (NABSPF), zero-based.
    pub nabspf_z: u16,
    /// Namespace Optimal I/O Boundary (NOIOB), logical blocks.
    pub noiob: u16,
    /// NVM Capacity (NVMCAP), bytes.
    pub nvmcap: U128,
    /// Namespace Preferred Write Granularity (NPWG), zero-based.
    pub npwg_z: u16,
    /// Namespace Preferred Write Alignment (NPWA), zero-based.
    pub npwa_z: u16,
    /// Namespace Preferred Deallocate Granularity (NPDG), zero-based.
    pub npdg_z: u16,
    /// Namespace Preferred Deallocate Alignment (NPDA), zero-based.
    pub npda_z: u16,
    /// Namespace Optimal Write Size (NOWS), zero-based.
    pub nows_z: u16,
    /// Maximum Single Source Range Length (MSSRL), for Copy.
    pub mssrl: u16,
    /// Maximum Copy Length (MCL), for Copy.
    pub mcl: u32,
    /// Maximum Source Range Count (MSRC), for Copy, zero-based.
    pub msrc_z: u8,
    /// Key Per I/O Status (KPIOS).
    pub kpios: u8,
    /// Number of Unique Attribute LBA Formats (NULBAF).
    pub nulbaf: u8,
    /// Reserved (byte 83).
    pub rsvd83: u8,
    /// Key Per I/O Data Access Alignment and Granularity (KPIODAAG).
    pub kpiodaag: u32,
    /// Reserved (bytes 88..92).
    pub rsvd88: [u8; 4],
    /// ANA Group Identifier (ANAGRPID).
    pub anagrpid: u32,
    /// Reserved (bytes 96..99).
    pub rsvd96: [u8; 3],
    /// Namespace Attributes (NSATTR): bit 0 write protected.
    pub nsattr: u8,
    /// NVM Set Identifier (NVMSETID).
    pub nvmsetid: u16,
    /// Endurance Group Identifier (ENDGID).
    pub endgid: u16,
    /// Namespace Globally Unique Identifier (NGUID).
    pub nguid: [u8; 16],
    /// IEEE Extended Unique Identifier (EUI64).
    pub eui64: [u8; 8],
    /// LBA Format 0..63 Support (LBAF0..LBAF63); `nlbaf_z + 1` are valid.
    pub lbaf: [LbaFormat; 64],
    /// Bytes 384..4096: vendor specific in NVMe 1.4; NVMe 2.0 reserves
    /// 384..3072 and leaves 3072..4096 vendor specific.
    pub vs: [u8; 3712],
}

const _: () = assert!(size_of::<IdentifyNamespace>() == 4096);
const _: () = assert!(offset_of!(IdentifyNamespace, ncap) == 8);
const _: () = assert!(offset_of!(IdentifyNamespace, nuse) == 16);
const _: () = assert!(offset_of!(IdentifyNamespace, nsfeat) == 24);
const _: () = assert!(offset_of!(IdentifyNamespace, flbas) == 26);
const _: () = assert!(offset_of!(IdentifyNamespace, dps) == 29);
const _: () = assert!(offset_of!(IdentifyNamespace, nawun_z) == 34);
const _: () = assert!(offset_of!(IdentifyNamespace, noiob) == 46);
const _: () = assert!(offset_of!(IdentifyNamespace, nvmcap) == 48);
const _: () = assert!(offset_of!(IdentifyNamespace, npwg_z) == 64);
const _: () = assert!(offset_of!(IdentifyNamespace, mcl) == 76);
const _: () = assert!(offset_of!(IdentifyNamespace, msrc_z) == 80);
const _: () = assert!(offset_of!(IdentifyNamespace, anagrpid) == 92);
const _: () = assert!(offset_of!(IdentifyNamespace, nsattr) == 99);
const _: () = assert!(offset_of!(IdentifyNamespace, nvmsetid) == 100);
const _: () = assert!(offset_of!(IdentifyNamespace, nguid) == 104);
const _: () = assert!(offset_of!(IdentifyNamespace, eui64) == 120);
const _: () = assert!(offset_of!(IdentifyNamespace, lbaf) == 128);
const _: () = assert!(offset_of!(IdentifyNamespace, lbaf) + 16 * 4 == 192);
const _: () = assert!(offset_of!(IdentifyNamespace, vs) == 384);

impl Default for IdentifyNamespace {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl IdentifyNamespace {
    /// FLBAS bit 4: metadata is transferred at the end of each logical block
    /// (extended LBA) rather than in a separate buffer.
    pub const FLBAS_EXTENDED: u8 = 1 << 4;

    /// Index of the format in use: FLBAS bits 3:0, with bits 6:5 as bits 5:4.
    pub const fn flbas_index(&self) -> usize {
        ((self.flbas & 0x0f) | ((self.flbas >> 5) & 0x3) << 4) as usize
    }

    /// The LBA format in use.
    pub const fn current_lbaf(&self) -> LbaFormat {
        // flbas_index() is at most 63, always inside the 64 entries.
        self.lbaf[self.flbas_index()]
    }

    /// Logical block size in bytes of the format in use (2^LBADS); `None` if
    /// that format's LBADS is invalid (below 9, e.g. an unused format).
    pub const fn lba_size(&self) -> Option<u32> {
        self.current_lbaf().lba_size()
    }

    /// Metadata bytes per logical block of the format in use.
    pub const fn metadata_size(&self) -> u16 {
        self.current_lbaf().ms()
    }

    /// True if metadata travels inline with the data (extended LBAs).
    pub const fn extended_lba(&self) -> bool {
        self.flbas & Self::FLBAS_EXTENDED != 0
    }

    /// Number of LBA formats (`nlbaf_z + 1`).
    pub const fn lba_format_count(&self) -> usize {
        self.nlbaf_z as usize + 1
    }

    /// The valid LBA formats (the first `nlbaf_z + 1`, at most 64).
    pub fn lba_formats(&self) -> &[LbaFormat] {
        let n = self.lba_format_count();
        &self.lbaf[..if n > 64 { 64 } else { n }]
    }

    /// NSFEAT bit 0: thin provisioning.
    pub const fn thin_provisioned(&self) -> bool {
        self.nsfeat & 1 != 0
    }

    /// DPC, typed: the protection types and placements the namespace supports.
    pub const fn dpc_bits(&self) -> Dpc {
        Dpc::from_bits(self.dpc)
    }

    /// DPS, typed: the protection the namespace is formatted with.
    pub const fn dps_bits(&self) -> Dps {
        Dps::from_bits(self.dps)
    }
}

/// End-to-end Data Protection Capabilities (DPC, Identify Namespace byte 28;
/// NVM Command Set spec 1.0, "Identify Namespace Data Structure").
#[bitfield(u8)]
#[derive(PartialEq, Eq)]
pub struct Dpc {
    /// Bit 0: Protection Information Type 1 supported.
    pub type1: bool,
    /// Bit 1: Type 2 supported.
    pub type2: bool,
    /// Bit 2: Type 3 supported.
    pub type3: bool,
    /// Bit 3: PI in the first bytes of metadata supported.
    pub first: bool,
    /// Bit 4: PI in the last bytes of metadata supported.
    pub last: bool,
    /// Reserved (bits 7:5).
    #[bits(3)]
    _rsvd: u8,
}

impl Dpc {
    /// True when `t` is among the supported types.
    pub const fn supports(&self, t: PiType) -> bool {
        match t {
            PiType::Type1 => self.type1(),
            PiType::Type2 => self.type2(),
            PiType::Type3 => self.type3(),
        }
    }
}

/// End-to-end Data Protection Type Settings (DPS, Identify Namespace byte 29).
#[bitfield(u8)]
#[derive(PartialEq, Eq)]
pub struct Dps {
    /// Protection Information Type (PIT), bits 2:0: 0 none, 1..=3 the type.
    /// See [`Self::pi_type`].
    #[bits(3)]
    pub pit: u8,
    /// Protection Information Position (PIP), bit 3: set when PI is the
    /// first bytes of the metadata, clear when the last.
    pub pip: bool,
    /// Reserved (bits 7:4).
    #[bits(4)]
    _rsvd: u8,
}

impl Dps {
    /// The protection type; `None` when protection is off or PIT is reserved.
    pub const fn pi_type(&self) -> Option<PiType> {
        PiType::from_bits(self.pit())
    }

    /// Where the PI sits in the metadata.
    pub const fn location(&self) -> PiLocation {
        if self.pip() {
            PiLocation::First
        } else {
            PiLocation::Last
        }
    }
}

/// Active Namespace ID list (Base spec 2.0, "Identify – Active Namespace ID
/// list", CNS 02h): up to 1024 namespace IDs in increasing order, the unused
/// tail zero-filled. 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct NsList {
    /// Namespace identifiers; the list ends at the first 0.
    pub ns: [u32; 1024],
}

const _: () = assert!(size_of::<NsList>() == 4096);

impl Default for NsList {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl NsList {
    /// The namespace IDs, up to the first zero entry.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.ns.iter().copied().take_while(|&id| id != 0)
    }

    /// Number of IDs before the first zero entry.
    pub fn len(&self) -> usize {
        self.ids().count()
    }

    /// True if the list holds no ID.
    pub fn is_empty(&self) -> bool {
        self.ns[0] == 0
    }
}

open_enum! {
    /// Namespace Identifier Type (NIDT) of a namespace identification descriptor.
    /// An open enum: unknown types are passed through.
    Nidt {
        /// IEEE Extended Unique Identifier, 8 bytes (copy of `eui64`).
        EUI64 = 1 => "IEEE EUI-64",
        /// Namespace Globally Unique Identifier, 16 bytes (copy of `nguid`).
        NGUID = 2 => "NGUID",
        /// Namespace UUID (RFC 4122), 16 bytes.
        UUID = 3 => "UUID",
        /// Command Set Identifier, 1 byte.
        CSI = 4 => "Command Set Identifier",
    }
}

impl Nidt {
    /// The NIDL the spec requires for this type, if it is a known type.
    pub const fn required_len(self) -> Option<u8> {
        match self.0 {
            1 => Some(8),
            2 | 3 => Some(16),
            4 => Some(1),
            _ => None,
        }
    }
}

open_enum! {
    /// Command Set Identifier values (CSI), as carried by an [`Nidt::CSI`] descriptor.
    Csi {
        /// NVM Command Set.
        NVM = 0 => "NVM Command Set",
        /// Key Value Command Set.
        KEY_VALUE = 1 => "Key Value Command Set",
        /// Zoned Namespace Command Set.
        ZNS = 2 => "Zoned Namespace Command Set",
    }
}

/// One Namespace Identification Descriptor (Base spec 2.0, "Namespace
/// Identification Descriptor"): a 4-byte header (NIDT, NIDL, 2 reserved)
/// followed by NIDL bytes of identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsDescriptor<'a> {
    /// Namespace Identifier Type.
    pub nidt: Nidt,
    /// Namespace Identifier Length, bytes.
    pub nidl: u8,
    /// The identifier (`nidl` bytes).
    pub nid: &'a [u8],
}

impl<'a> NsDescriptor<'a> {
    /// A descriptor holding `nid`; `None` if `nid` is longer than 255 bytes.
    pub fn new(nidt: Nidt, nid: &'a [u8]) -> Option<Self> {
        let nidl = u8::try_from(nid.len()).ok()?;
        Some(NsDescriptor { nidt, nidl, nid })
    }

    /// Bytes this descriptor takes in a list (header plus identifier).
    pub fn encoded_len(&self) -> usize {
        NS_DESCRIPTOR_HEADER + self.nid.len()
    }

    /// Encode the descriptor at the start of `out` (how a controller builds
    /// the CNS 03h list). Returns the bytes written, or `None` if `out` is too
    /// short or `nid` is longer than 255 bytes; nothing is written then.
    pub fn write_to(&self, out: &mut [u8]) -> Option<usize> {
        let nidl = u8::try_from(self.nid.len()).ok()?;
        let len = self.encoded_len();
        let dst = out.get_mut(..len)?;
        dst[..NS_DESCRIPTOR_HEADER].copy_from_slice(&[self.nidt.0, nidl, 0, 0]);
        dst[NS_DESCRIPTOR_HEADER..].copy_from_slice(self.nid);
        Some(len)
    }
}

/// Size of a namespace identification descriptor's header.
pub const NS_DESCRIPTOR_HEADER: usize = 4;

/// Why a namespace identification descriptor list could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NsDescriptorError {
    /// The descriptor's header or identifier runs past the end of the buffer.
    #[error(
        "namespace identification descriptor at byte {offset} (NIDL {nidl}) runs past the {len}-byte buffer"
    )]
    Overrun {
        /// Byte offset of the descriptor.
        offset: usize,
        /// Its NIDL.
        nidl: u8,
        /// The buffer's length.
        len: usize,
    },
    /// A known type with a length the spec does not allow.
    #[error(
        "namespace identification descriptor at byte {offset}: {} must have NIDL {expected}, found {nidl}",
        nidt.name().unwrap_or("its type")
    )]
    BadLength {
        /// Byte offset of the descriptor.
        offset: usize,
        /// Its type.
        nidt: Nidt,
        /// Its NIDL.
        nidl: u8,
        /// The length the spec requires.
        expected: u8,
    },
}

/// Iterator over a Namespace Identification Descriptor list (CNS 03h, 4096
/// bytes). Ends at a descriptor whose NIDT is 0 or at the end of the buffer;
/// yields one error and then ends if a descriptor is malformed.
#[derive(Debug, Clone)]
pub struct NsDescriptors<'a> {
    buf: &'a [u8],
    off: usize,
    done: bool,
}

/// Parse a Namespace Identification Descriptor list. Never panics: malformed
/// input yields an [`NsDescriptorError`].
pub fn ns_descriptors(buf: &[u8]) -> NsDescriptors<'_> {
    NsDescriptors {
        buf,
        off: 0,
        done: false,
    }
}

impl<'a> Iterator for NsDescriptors<'a> {
    type Item = Result<NsDescriptor<'a>, NsDescriptorError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let off = self.off;
        let rest = self.buf.get(off..).unwrap_or(&[]);
        // An empty remainder or a zero type ends the list. A header cut short
        // after a non-zero type is an overrun.
        let Some(&nidt) = rest.first() else {
            self.done = true;
            return None;
        };
        if nidt == 0 {
            self.done = true;
            return None;
        }
        self.done = true; // until proven well-formed
        let nidl = rest.get(1).copied().unwrap_or(0);
        let overrun = NsDescriptorError::Overrun {
            offset: off,
            nidl,
            len: self.buf.len(),
        };
        if rest.len() < NS_DESCRIPTOR_HEADER {
            return Some(Err(overrun));
        }
        let end = NS_DESCRIPTOR_HEADER + nidl as usize;
        let Some(nid) = rest.get(NS_DESCRIPTOR_HEADER..end) else {
            return Some(Err(overrun));
        };
        let nidt = Nidt(nidt);
        if let Some(expected) = nidt.required_len() {
            if expected != nidl {
                return Some(Err(NsDescriptorError::BadLength {
                    offset: off,
                    nidt,
                    nidl,
                    expected,
                }));
            }
        }
        self.off = off + end;
        self.done = false;
        Some(Ok(NsDescriptor { nidt, nidl, nid }))
    }
}

impl core::iter::FusedIterator for NsDescriptors<'_> {}
