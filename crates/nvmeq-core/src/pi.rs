//! End-to-end data protection: the protection information (PI) a format
//! keeps in each block's metadata, its guard CRCs, and host-side generation
//! and checking (NVM Command Set Specification 1.0, 5.2 "End-to-end Data
//! Protection").
//!
//! A PI tuple holds a guard (a CRC of the block's data), an application tag
//! and a "storage and reference space" that splits into a storage tag (the
//! upper STS bits) and a reference tag (the rest). Its size and CRC depend on
//! the Protection Information Format (PIF) the NVM command set's Identify
//! Namespace reports per LBA format:
//!
//! | PIF | tuple | guard | space (bits) |
//! |-----|-------|-------|--------------|
//! | [`Pif::Guard16`] | [`Pi16`], 8 bytes  | CRC-16/T10-DIF | 32 |
//! | [`Pif::Guard32`] | [`Pi32`], 16 bytes | CRC-32C        | 80 |
//! | [`Pif::Guard64`] | [`Pi64`], 16 bytes | CRC-64/NVME    | 48 |
//!
//! The tuple sits in the first or last bytes of the metadata ([`PiLocation`]);
//! in the last bytes, the guard also covers the metadata bytes before it.
//! [`generate`] and [`verify`] work on a command's data and metadata buffers
//! for either placement, separate or interleaved (extended LBA).

mod check;
mod crc;
mod tags;
mod tuple;

pub use check::{generate, verify};
pub use crc::{crc16_t10dif, crc32c, crc64_nvme};
pub use tags::TagDwords;
pub use tuple::{Pi16, Pi32, Pi64};

use bitfield_struct::bitfield;

use crate::cmd::admin::ProtectionType;
use crate::cmd::Prinfo;

/// Protection information type (DPS bits 2:0; NVM Command Set spec 1.0,
/// 5.2.1 "Protection Information Types"). Decides how the reference tag
/// relates to the block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiType {
    /// Type 1: the reference tag is the lower bits of the LBA, and the
    /// command's initial reference tag must equal it.
    Type1,
    /// Type 2: the reference tag starts at the command's initial reference
    /// tag and counts up by one per block.
    Type2,
    /// Type 3: the reference tag is opaque; it is not incremented per block,
    /// and a block is unchecked when its application and reference tags are
    /// all ones.
    Type3,
}

impl PiType {
    /// The type DPS bits 2:0 (or Format NVM's PI field) name; `None` for 0
    /// (no protection) and the reserved values 4..=7.
    pub const fn from_bits(v: u8) -> Option<Self> {
        match v {
            1 => Some(PiType::Type1),
            2 => Some(PiType::Type2),
            3 => Some(PiType::Type3),
            _ => None,
        }
    }

    /// The DPS value, 1..=3.
    pub const fn into_bits(self) -> u8 {
        match self {
            PiType::Type1 => 1,
            PiType::Type2 => 2,
            PiType::Type3 => 3,
        }
    }

    /// The value Format NVM's PI field takes to format with this type.
    pub const fn protection_type(self) -> ProtectionType {
        match self {
            PiType::Type1 => ProtectionType::Type1,
            PiType::Type2 => ProtectionType::Type2,
            PiType::Type3 => ProtectionType::Type3,
        }
    }
}

/// Protection Information Format (PIF, ELBAF bits 8:7 of the NVM command
/// set's Identify Namespace; NVM Command Set spec 1.0, 5.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pif {
    /// 00b: 16b Guard, 8-byte tuple, CRC-16/T10-DIF, 32-bit storage and
    /// reference space. The only format before NVMe 2.0.
    Guard16,
    /// 01b: 32b Guard, 16-byte tuple, CRC-32C, 80-bit storage and reference
    /// space (STS 16..=64).
    Guard32,
    /// 10b: 64b Guard, 16-byte tuple, CRC-64/NVME, 48-bit storage and
    /// reference space.
    Guard64,
}

impl Pif {
    /// The format ELBAF's PIF field names; `None` for 11b (reserved in NVM
    /// Command Set 1.0, "qualified" in later revisions).
    pub const fn from_bits(v: u8) -> Option<Self> {
        match v {
            0 => Some(Pif::Guard16),
            1 => Some(Pif::Guard32),
            2 => Some(Pif::Guard64),
            _ => None,
        }
    }

    /// The PIF value.
    pub const fn into_bits(self) -> u8 {
        match self {
            Pif::Guard16 => 0,
            Pif::Guard32 => 1,
            Pif::Guard64 => 2,
        }
    }

    /// Bytes of one PI tuple.
    pub const fn size(self) -> u8 {
        match self {
            Pif::Guard16 => 8,
            Pif::Guard32 | Pif::Guard64 => 16,
        }
    }

    /// Bits of the guard.
    pub const fn guard_bits(self) -> u8 {
        match self {
            Pif::Guard16 => 16,
            Pif::Guard32 => 32,
            Pif::Guard64 => 64,
        }
    }

    /// Bits of the storage and reference space.
    pub const fn space_bits(self) -> u8 {
        match self {
            Pif::Guard16 => 32,
            Pif::Guard32 => 80,
            Pif::Guard64 => 48,
        }
    }

    /// The storage tag sizes this format allows (NVM Command Set spec 1.0,
    /// ELBAF STS): up to the whole space for the 16b and 64b guards; 16..=64
    /// for the 32b guard, whose reference tag is then at most 64 bits.
    pub const fn sts_range(self) -> core::ops::RangeInclusive<u8> {
        match self {
            Pif::Guard16 => 0..=32,
            Pif::Guard32 => 16..=64,
            Pif::Guard64 => 0..=48,
        }
    }

    /// The guard of `data` followed by `meta_prefix` (the metadata bytes
    /// before a tuple in the last bytes of the metadata; empty otherwise).
    #[inline]
    pub fn guard(self, data: &[u8], meta_prefix: &[u8]) -> u64 {
        crc::guard(self, data, meta_prefix)
    }
}

/// Where the tuple sits in a block's metadata (DPS bit 3, Format NVM PIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PiLocation {
    /// The last bytes (DPS bit 3 cleared). The guard covers the data and the
    /// metadata bytes before the tuple.
    #[default]
    Last,
    /// The first bytes (DPS bit 3 set). The guard covers the data only.
    First,
}

/// A format's end-to-end protection: type, tuple format, storage tag size
/// and placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pi {
    /// Protection information type (DPS bits 2:0).
    pub pi_type: PiType,
    /// Tuple format and guard (ELBAF PIF).
    pub pif: Pif,
    /// Storage Tag Size (ELBAF STS): bits of the storage and reference space
    /// that hold the storage tag, the upper ones; the rest is the reference tag.
    pub sts: u8,
    /// Placement in the metadata (DPS bit 3).
    pub location: PiLocation,
}

impl Pi {
    /// PI of `pi_type` in `pif` tuples, no storage tag, in the last bytes of
    /// the metadata.
    pub const fn new(pi_type: PiType, pif: Pif) -> Self {
        Pi {
            pi_type,
            pif,
            sts: 0,
            location: PiLocation::Last,
        }
    }

    /// The same with a storage tag of `sts` bits.
    pub const fn with_sts(mut self, sts: u8) -> Self {
        self.sts = sts;
        self
    }

    /// The same in the given place.
    pub const fn with_location(mut self, location: PiLocation) -> Self {
        self.location = location;
        self
    }

    /// Bytes of one tuple.
    pub const fn size(&self) -> u8 {
        self.pif.size()
    }

    /// Bits of the reference tag: the space less the storage tag.
    pub const fn ref_bits(&self) -> u8 {
        self.pif.space_bits().saturating_sub(self.sts)
    }

    /// All ones in the reference tag's bits.
    pub const fn ref_mask(&self) -> u64 {
        mask(self.ref_bits())
    }

    /// All ones in the storage tag's bits.
    pub const fn storage_mask(&self) -> u64 {
        mask(self.sts)
    }

    /// The reference tag a Type 1 block at `lba` carries: its lower bits.
    pub const fn ref_tag_for_lba(&self, lba: u64) -> u64 {
        lba & self.ref_mask()
    }

    /// Byte offset of the tuple in `ms` bytes of metadata; also the number
    /// of metadata bytes the guard covers.
    pub const fn offset(&self, ms: u16) -> u16 {
        match self.location {
            PiLocation::First => 0,
            PiLocation::Last => ms.saturating_sub(self.size() as u16),
        }
    }

    /// Checks that this PI fits a format with `ms` metadata bytes per block
    /// and that its storage tag size is one the format allows.
    pub fn check(&self, ms: u16) -> Result<(), PiError> {
        if (ms as u32) < self.size() as u32 {
            return Err(PiError::MetadataTooSmall {
                ms,
                need: self.size(),
            });
        }
        let r = self.pif.sts_range();
        if self.sts < *r.start() || self.sts > *r.end() {
            return Err(PiError::BadStorageTagSize {
                sts: self.sts,
                pif: self.pif,
            });
        }
        Ok(())
    }
}

pub(crate) const fn mask(bits: u8) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Protection Information Check (PRCHK, PRINFO bits 2:0): which fields the
/// controller (or [`verify`]) checks.
#[bitfield(u8)]
#[derive(PartialEq, Eq, Hash)]
pub struct Prchk {
    /// Bit 0: the reference tag.
    pub ref_tag: bool,
    /// Bit 1: the application tag (under the mask).
    pub app_tag: bool,
    /// Bit 2: the guard.
    pub guard: bool,
    /// Not part of the field.
    #[bits(5)]
    _rsvd: u8,
}

impl Prchk {
    /// Every field.
    pub const ALL: Prchk = Prchk::new()
        .with_guard(true)
        .with_app_tag(true)
        .with_ref_tag(true);

    /// The checks a command's PRINFO asks for.
    pub const fn from_prinfo(p: Prinfo) -> Self {
        Prchk::new()
            .with_guard(p.prchk_guard())
            .with_app_tag(p.prchk_app())
            .with_ref_tag(p.prchk_ref())
    }

    /// As PRINFO bits, for a command's builder.
    pub const fn prinfo(self) -> Prinfo {
        Prinfo::new()
            .with_prchk_guard(self.guard())
            .with_prchk_app(self.app_tag())
            .with_prchk_ref(self.ref_tag())
    }
}

/// The tags of a transfer's first block, as a command carries them: initial
/// reference tag (ILBRT/EILBRT), application tag and mask (LBAT/LBATM,
/// ELBAT/ELBATM), storage tag (LBST/ELBST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tags {
    /// Reference tag of the first block; Types 1 and 2 add one per block.
    /// Only the format's reference tag bits count.
    pub ref_tag: u64,
    /// Application tag written, or expected under `app_mask`.
    pub app_tag: u16,
    /// Which application tag bits [`verify`] compares (LBATM).
    pub app_mask: u16,
    /// Storage tag written, and when `Some`, expected too (STC set).
    pub storage_tag: Option<u64>,
}

impl Tags {
    /// Reference tag `ref_tag`, application tag 0 checked in full, no
    /// storage tag.
    pub const fn new(ref_tag: u64) -> Self {
        Tags {
            ref_tag,
            app_tag: 0,
            app_mask: 0xffff,
            storage_tag: None,
        }
    }

    /// The same with application tag `app_tag`, compared under `mask`.
    pub const fn with_app(mut self, app_tag: u16, mask: u16) -> Self {
        self.app_tag = app_tag;
        self.app_mask = mask;
        self
    }

    /// The same with storage tag `tag`, written and checked.
    pub const fn with_storage(mut self, tag: u64) -> Self {
        self.storage_tag = Some(tag);
        self
    }
}

/// A PI field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiField {
    /// The guard CRC.
    Guard,
    /// The application tag (compared under the mask).
    AppTag,
    /// The reference tag.
    RefTag,
    /// The storage tag.
    StorageTag,
}

impl PiField {
    /// The field's name.
    pub const fn name(self) -> &'static str {
        match self {
            PiField::Guard => "guard",
            PiField::AppTag => "application tag",
            PiField::RefTag => "reference tag",
            PiField::StorageTag => "storage tag",
        }
    }
}

impl core::fmt::Display for PiField {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which buffer a length problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiBuffer {
    /// The data buffer (with the metadata, for extended LBAs).
    Data,
    /// The separate metadata buffer.
    Metadata,
}

/// Why PI could not be generated, or what [`verify`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PiError {
    /// The format has no protection information.
    #[error("the namespace format has no protection information")]
    NotProtected,
    /// The format's metadata cannot hold the tuple.
    #[error("{ms} bytes of metadata per block cannot hold a {need}-byte PI tuple")]
    MetadataTooSmall {
        /// Metadata bytes per block (LBAF MS).
        ms: u16,
        /// Tuple size.
        need: u8,
    },
    /// A storage tag size the tuple format does not allow.
    #[error("storage tag size {sts} is not allowed for the {pif:?} format")]
    BadStorageTagSize {
        /// ELBAF STS.
        sts: u8,
        /// The tuple format.
        pif: Pif,
    },
    /// A buffer does not hold whole blocks, or holds a different number of
    /// blocks than the other.
    #[error("{buffer:?} buffer of {len} bytes does not hold {blocks} blocks of {per_block} bytes")]
    BadLength {
        /// The buffer.
        buffer: PiBuffer,
        /// Its length.
        len: usize,
        /// Blocks it should hold.
        blocks: u32,
        /// Its bytes per block.
        per_block: u32,
    },
    /// A block's PI does not match.
    #[error("block {block}: {field} check failed: expected {expected:#x}, found {found:#x}")]
    Mismatch {
        /// Index of the block in the buffers (0: the command's first block).
        block: u32,
        /// The field that failed, the first in the order guard, application
        /// tag, reference tag, storage tag.
        field: PiField,
        /// What it should be (for the application tag: under the mask).
        expected: u64,
        /// What the block holds (likewise).
        found: u64,
    },
}
