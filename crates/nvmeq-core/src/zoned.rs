//! Zoned Namespace Command Set data structures: NVMe Zoned Namespace Command
//! Set Specification 1.1, "I/O Command Set Specific Identify Controller Data
//! Structure for the Zoned Namespace Command Set", "I/O Command Set Specific
//! Identify Namespace Data Structure for the Zoned Namespace Command Set",
//! "Report Zones Data Structure" and "Zone Descriptor Data Structure".

use core::mem::{offset_of, size_of};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Identify Controller, Zoned Namespace Command Set specific (CNS 06h, CSI
/// 02h; ZNS spec 1.1, "I/O Command Set Specific Identify Controller Data
/// Structure for the Zoned Namespace Command Set"): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IdentifyControllerZns {
    /// Zone Append Size Limit (ZASL): a power of two in units of CAP.MPSMIN;
    /// 0 means the MDTS limit applies.
    pub zasl: u8,
    /// Reserved (bytes 1..4096).
    pub rsvd1: [u8; 4095],
}

const _: () = assert!(size_of::<IdentifyControllerZns>() == 4096);

impl Default for IdentifyControllerZns {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl IdentifyControllerZns {
    /// Zone Append size limit in bytes given CAP.MPSMIN in bytes; `None` when
    /// ZASL is 0 (MDTS applies instead) or the limit does not fit in a `u64`.
    pub const fn zasl_bytes(&self, mps_min_bytes: u32) -> Option<u64> {
        if self.zasl == 0 || self.zasl >= 64 {
            return None;
        }
        (mps_min_bytes as u64).checked_mul(1u64 << self.zasl)
    }
}

/// LBA Format Extension Data Structure (ZNS spec 1.1): 16 bytes, one per LBA
/// format of the namespace.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct LbaFormatExtension {
    /// Zone Size (ZSZE), logical blocks.
    pub zsze: u64,
    /// Zone Descriptor Extension Size (ZDES), in 64-byte units.
    pub zdes: u8,
    /// Reserved (bytes 9..16).
    pub rsvd9: [u8; 7],
}

const _: () = assert!(size_of::<LbaFormatExtension>() == 16);

impl LbaFormatExtension {
    /// Zone descriptor extension size in bytes.
    pub const fn zdes_bytes(&self) -> usize {
        self.zdes as usize * 64
    }
}

/// Identify Namespace, Zoned Namespace Command Set specific (CNS 05h, CSI
/// 02h; ZNS spec 1.1, "I/O Command Set Specific Identify Namespace Data
/// Structure for the Zoned Namespace Command Set"): 4096 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IdentifyNamespaceZns {
    /// Zone Operation Characteristics (ZOC): bit 0 variable zone capacity,
    /// bit 1 zone active excursions.
    pub zoc: u16,
    /// Optional Zoned Command Support (OZCS): bit 0 read across zone
    /// boundaries, bit 1 ZRWA supported.
    pub ozcs: u16,
    /// Maximum Active Resources (MAR), zero-based; FFFFFFFFh no limit.
    pub mar_z: u32,
    /// Maximum Open Resources (MOR), zero-based; FFFFFFFFh no limit.
    pub mor_z: u32,
    /// Reset Recommended Limit (RRL), seconds.
    pub rrl: u32,
    /// Finish Recommended Limit (FRL), seconds.
    pub frl: u32,
    /// Reset Recommended Limit 1 (RRL1), seconds.
    pub rrl1: u32,
    /// Reset Recommended Limit 2 (RRL2), seconds.
    pub rrl2: u32,
    /// Reset Recommended Limit 3 (RRL3), seconds.
    pub rrl3: u32,
    /// Finish Recommended Limit 1 (FRL1), seconds.
    pub frl1: u32,
    /// Finish Recommended Limit 2 (FRL2), seconds.
    pub frl2: u32,
    /// Finish Recommended Limit 3 (FRL3), seconds.
    pub frl3: u32,
    /// Number of ZRWA Resources (NUMZRWA), zero-based.
    pub numzrwa_z: u32,
    /// ZRWA Flush Granularity (ZRWAFG), logical blocks.
    pub zrwafg: u16,
    /// ZRWA Size (ZRWASZ), logical blocks.
    pub zrwasz: u16,
    /// ZRWA Capability (ZRWACAP).
    pub zrwacap: u8,
    /// Reserved (bytes 53..2816).
    pub rsvd53: [u8; 2763],
    /// LBA Format Extensions 0..63, matching the namespace's LBA formats.
    pub lbafe: [LbaFormatExtension; 64],
    /// Vendor Specific (bytes 3840..4096).
    pub vs: [u8; 256],
}

const _: () = assert!(size_of::<IdentifyNamespaceZns>() == 4096);
const _: () = assert!(offset_of!(IdentifyNamespaceZns, mar_z) == 4);
const _: () = assert!(offset_of!(IdentifyNamespaceZns, mor_z) == 8);
const _: () = assert!(offset_of!(IdentifyNamespaceZns, rrl) == 12);
const _: () = assert!(offset_of!(IdentifyNamespaceZns, frl) == 16);
const _: () = assert!(offset_of!(IdentifyNamespaceZns, numzrwa_z) == 44);
const _: () = assert!(offset_of!(IdentifyNamespaceZns, zrwacap) == 52);
const _: () = assert!(offset_of!(IdentifyNamespaceZns, lbafe) == 2816);
const _: () = assert!(offset_of!(IdentifyNamespaceZns, vs) == 3840);

impl Default for IdentifyNamespaceZns {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl IdentifyNamespaceZns {
    /// Maximum active zones, `None` for no limit.
    pub const fn max_active_zones(&self) -> Option<u64> {
        if self.mar_z == u32::MAX {
            None
        } else {
            Some(self.mar_z as u64 + 1)
        }
    }

    /// Maximum open zones, `None` for no limit.
    pub const fn max_open_zones(&self) -> Option<u64> {
        if self.mor_z == u32::MAX {
            None
        } else {
            Some(self.mor_z as u64 + 1)
        }
    }
}

open_enum! {
    /// Zone Type (ZT). An open enum.
    ZoneType {
        /// Sequential Write Required.
        SEQ_WRITE_REQUIRED = 0x2 => "Sequential Write Required",
    }
}

open_enum! {
    /// Zone State (ZS). An open enum.
    ZoneState {
        /// ZSE: Empty.
        EMPTY = 0x1 => "Empty",
        /// ZSIO: Implicitly Opened.
        IMPLICITLY_OPENED = 0x2 => "Implicitly Opened",
        /// ZSEO: Explicitly Opened.
        EXPLICITLY_OPENED = 0x3 => "Explicitly Opened",
        /// ZSC: Closed.
        CLOSED = 0x4 => "Closed",
        /// ZSRO: Read Only.
        READ_ONLY = 0xd => "Read Only",
        /// ZSF: Full.
        FULL = 0xe => "Full",
        /// ZSO: Offline.
        OFFLINE = 0xf => "Offline",
    }
}

/// Zone Descriptor Data Structure (ZNS spec 1.1): 64 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ZoneDescriptor {
    /// Zone Type in bits 3:0. See [`Self::zone_type`].
    pub zt: u8,
    /// Zone State in bits 7:4. See [`Self::state`].
    pub zs: u8,
    /// Zone Attributes (ZA): bit 0 ZFC, 1 FZR, 2 RZR, 3 ZRWAV, 7 ZDEV.
    pub za: u8,
    /// Zone Attributes Information (ZAI).
    pub zai: u8,
    /// Reserved (bytes 4..8).
    pub rsvd4: [u8; 4],
    /// Zone Capacity (ZCAP), logical blocks.
    pub zcap: u64,
    /// Zone Start Logical Block Address (ZSLBA).
    pub zslba: u64,
    /// Write Pointer (WP).
    pub wp: u64,
    /// Reserved (bytes 32..64).
    pub rsvd32: [u8; 32],
}

const _: () = assert!(size_of::<ZoneDescriptor>() == 64);
const _: () = assert!(offset_of!(ZoneDescriptor, zcap) == 8);
const _: () = assert!(offset_of!(ZoneDescriptor, zslba) == 16);
const _: () = assert!(offset_of!(ZoneDescriptor, wp) == 24);

impl ZoneDescriptor {
    /// ZA bit 0: Zone Finished by Controller.
    pub const ZA_ZFC: u8 = 1 << 0;
    /// ZA bit 1: Finish Zone Recommended.
    pub const ZA_FZR: u8 = 1 << 1;
    /// ZA bit 2: Reset Zone Recommended.
    pub const ZA_RZR: u8 = 1 << 2;
    /// ZA bit 3: Zone Random Write Area Valid.
    pub const ZA_ZRWAV: u8 = 1 << 3;
    /// ZA bit 7: Zone Descriptor Extension Valid.
    pub const ZA_ZDEV: u8 = 1 << 7;

    /// The zone's type.
    pub const fn zone_type(&self) -> ZoneType {
        ZoneType(self.zt & 0xf)
    }

    /// The zone's state.
    pub const fn state(&self) -> ZoneState {
        ZoneState(self.zs >> 4)
    }
}

/// Report Zones data structure header (ZNS spec 1.1, "Report Zones Data
/// Structure"): 64 bytes, followed by zone descriptors.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ReportZonesHeader {
    /// Number of Zones: with Partial Report clear, every zone matching the
    /// request; with it set, the descriptors in this buffer.
    pub nr_zones: u64,
    /// Reserved (bytes 8..64).
    pub rsvd8: [u8; 56],
}

const _: () = assert!(size_of::<ReportZonesHeader>() == 64);

impl Default for ReportZonesHeader {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

/// Why a Report Zones buffer could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ZoneReportError {
    /// The buffer cannot hold the 64-byte header.
    #[error("report zones buffer of {len} bytes is shorter than its 64-byte header")]
    Truncated {
        /// The buffer's length.
        len: usize,
    },
    /// A partial report claims more descriptors than the buffer holds.
    #[error(
        "report zones claims {nr_zones} zone descriptors but the {len}-byte buffer holds only {fits}"
    )]
    Overrun {
        /// Descriptors the header claims.
        nr_zones: u64,
        /// Descriptors that fit.
        fits: usize,
        /// The buffer's length.
        len: usize,
    },
    /// A zone descriptor extension size that cannot be laid out.
    #[error("zone descriptor extension size {0} bytes is not a multiple of 64")]
    BadExtension(usize),
}

/// A parsed Report Zones (or Extended Report Zones) buffer: the header and
/// the descriptors that are both claimed and present. Descriptors are
/// copied out, so the buffer needs no particular alignment.
#[derive(Debug, Clone, Copy)]
pub struct ZoneReport<'a> {
    header: ReportZonesHeader,
    entries: &'a [u8],
    entry_len: usize,
    ext_len: usize,
    count: usize,
}

/// One entry of a zone report: the descriptor and, for Extended Report
/// Zones, its zone descriptor extension (empty otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneEntry<'a> {
    /// The zone descriptor.
    pub desc: ZoneDescriptor,
    /// The zone descriptor extension (ZDES × 64 bytes; empty for a plain report).
    pub ext: &'a [u8],
}

impl<'a> ZoneReport<'a> {
    /// Parse a Report Zones buffer sent without Partial Report.
    ///
    /// `nr_zones` then counts every matching zone, which may be more than the
    /// buffer holds; the report yields the ones that fit (see
    /// [`Self::is_truncated`]). `ext_bytes` is the zone descriptor extension
    /// size for Extended Report Zones (`LbaFormatExtension::zdes_bytes`), 0 otherwise.
    pub fn parse(buf: &'a [u8], ext_bytes: usize) -> Result<Self, ZoneReportError> {
        Self::parse_inner(buf, ext_bytes, false)
    }

    /// Parse a Report Zones buffer sent with Partial Report set: `nr_zones`
    /// counts the descriptors in this buffer, so claiming more than fit is
    /// an error.
    pub fn parse_partial(buf: &'a [u8], ext_bytes: usize) -> Result<Self, ZoneReportError> {
        Self::parse_inner(buf, ext_bytes, true)
    }

    fn parse_inner(
        buf: &'a [u8],
        ext_bytes: usize,
        partial: bool,
    ) -> Result<Self, ZoneReportError> {
        if ext_bytes % 64 != 0 || ext_bytes > 255 * 64 {
            return Err(ZoneReportError::BadExtension(ext_bytes));
        }
        let (header, entries) = ReportZonesHeader::read_from_prefix(buf)
            .map_err(|_| ZoneReportError::Truncated { len: buf.len() })?;
        let entry_len = size_of::<ZoneDescriptor>() + ext_bytes;
        let fits = entries.len() / entry_len;
        let count = match usize::try_from(header.nr_zones) {
            Ok(n) if n <= fits => n,
            _ if partial => {
                return Err(ZoneReportError::Overrun {
                    nr_zones: header.nr_zones,
                    fits,
                    len: buf.len(),
                })
            }
            _ => fits,
        };
        Ok(ZoneReport {
            header,
            entries,
            entry_len,
            ext_len: ext_bytes,
            count,
        })
    }

    /// The header.
    pub const fn header(&self) -> &ReportZonesHeader {
        &self.header
    }

    /// Number of Zones as reported in the header.
    pub const fn nr_zones(&self) -> u64 {
        self.header.nr_zones
    }

    /// Number of descriptors this report yields.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// True if the report yields no descriptor.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// True if the header counts more zones than the buffer holds: ask again
    /// from the last zone's end for the rest.
    pub const fn is_truncated(&self) -> bool {
        self.header.nr_zones > self.count as u64
    }

    /// Entry `i` (descriptor and extension), if present.
    pub fn get(&self, i: usize) -> Option<ZoneEntry<'a>> {
        if i >= self.count {
            return None;
        }
        let start = i.checked_mul(self.entry_len)?;
        let raw = self
            .entries
            .get(start..start.checked_add(self.entry_len)?)?;
        let (desc, ext) = ZoneDescriptor::read_from_prefix(raw).ok()?;
        Some(ZoneEntry {
            desc,
            ext: &ext[..self.ext_len],
        })
    }

    /// The zone descriptors, in order.
    pub fn descriptors(&self) -> impl Iterator<Item = ZoneDescriptor> + 'a {
        self.entries().map(|e| e.desc)
    }

    /// The entries (descriptor plus extension), in order.
    pub fn entries(&self) -> impl Iterator<Item = ZoneEntry<'a>> + 'a {
        let this = *self;
        (0..self.count).filter_map(move |i| this.get(i))
    }
}
