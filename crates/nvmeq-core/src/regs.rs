//! Controller registers: NVMe Base Specification 2.0, "Controller Registers"
//! (the register map figure, "Offset") and the per-register figures
//! ("Offset 0h: CAP – Controller Capabilities", "Offset 14h: CC – Controller
//! Configuration", …).
//!
//! Each register is a bitfield over its native width. These are plain values:
//! reading and writing the BAR (with accesses of the register's width) is the
//! job of the transport that maps it.

use bitfield_struct::bitfield;
use core::mem::{offset_of, size_of};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Controller Capabilities.
pub const CAP: usize = 0x00;
/// Version.
pub const VS: usize = 0x08;
/// Interrupt Mask Set.
pub const INTMS: usize = 0x0c;
/// Interrupt Mask Clear.
pub const INTMC: usize = 0x10;
/// Controller Configuration.
pub const CC: usize = 0x14;
/// Controller Status.
pub const CSTS: usize = 0x1c;
/// NVM Subsystem Reset.
pub const NSSR: usize = 0x20;
/// Admin Queue Attributes.
pub const AQA: usize = 0x24;
/// Admin Submission Queue Base Address.
pub const ASQ: usize = 0x28;
/// Admin Completion Queue Base Address.
pub const ACQ: usize = 0x30;
/// Controller Memory Buffer Location.
pub const CMBLOC: usize = 0x38;
/// Controller Memory Buffer Size.
pub const CMBSZ: usize = 0x3c;
/// Boot Partition Information.
pub const BPINFO: usize = 0x40;
/// Boot Partition Read Select.
pub const BPRSEL: usize = 0x44;
/// Boot Partition Memory Buffer Location.
pub const BPMBL: usize = 0x48;
/// Controller Memory Buffer Memory Space Control.
pub const CMBMSC: usize = 0x50;
/// Controller Memory Buffer Status.
pub const CMBSTS: usize = 0x58;
/// NVM Subsystem Shutdown.
pub const NSSD: usize = 0x64;
/// Controller Ready Timeouts.
pub const CRTO: usize = 0x68;
/// Controller Memory Buffer Elasticity Buffer Size.
pub const CMBEBS: usize = 0x5c;
/// Controller Memory Buffer Sustained Write Throughput.
pub const CMBSWTP: usize = 0x60;
/// Persistent Memory Region Capabilities.
pub const PMRCAP: usize = 0xe00;
/// Persistent Memory Region Control.
pub const PMRCTL: usize = 0xe04;
/// Persistent Memory Region Status.
pub const PMRSTS: usize = 0xe08;
/// Persistent Memory Region Elasticity Buffer Size.
pub const PMREBS: usize = 0xe0c;
/// Persistent Memory Region Sustained Write Throughput.
pub const PMRSWTP: usize = 0xe10;
/// Persistent Memory Region Controller Memory Space Control Lower.
pub const PMRMSCL: usize = 0xe14;
/// Persistent Memory Region Controller Memory Space Control Upper.
pub const PMRMSCU: usize = 0xe18;
/// First doorbell register (SQ 0 Tail Doorbell).
pub const DOORBELLS: usize = 0x1000;

/// The registers the map figure defines below the doorbells, by offset, with
/// their width, nvme-cli's symbol and the spec's name; [`width`], [`symbol`]
/// and [`name`] read it.
const MAP: [(usize, u8, &str, &str); 28] = [
    (CAP, 8, "cap", "Controller Capabilities"),
    (VS, 4, "version", "Version"),
    (INTMS, 4, "intms", "Interrupt Vector Mask Set"),
    (INTMC, 4, "intmc", "Interrupt Vector Mask Clear"),
    (CC, 4, "cc", "Controller Configuration"),
    (CSTS, 4, "csts", "Controller Status"),
    (NSSR, 4, "nssr", "NVM Subsystem Reset"),
    (AQA, 4, "aqa", "Admin Queue Attributes"),
    (ASQ, 8, "asq", "Admin Submission Queue Base Address"),
    (ACQ, 8, "acq", "Admin Completion Queue Base Address"),
    (CMBLOC, 4, "cmbloc", "Controller Memory Buffer Location"),
    (CMBSZ, 4, "cmbsz", "Controller Memory Buffer Size"),
    (BPINFO, 4, "bpinfo", "Boot Partition Information"),
    (BPRSEL, 4, "bprsel", "Boot Partition Read Select"),
    (BPMBL, 8, "bpmbl", "Boot Partition Memory Buffer Location"),
    (
        CMBMSC,
        8,
        "cmbmsc",
        "Controller Memory Buffer Memory Space Control",
    ),
    (CMBSTS, 4, "cmbsts", "Controller Memory Buffer Status"),
    (
        CMBEBS,
        4,
        "cmbebs",
        "Controller Memory Buffer Elasticity Buffer Size",
    ),
    (
        CMBSWTP,
        4,
        "cmbswtp",
        "Controller Memory Buffer Sustained Write Throughput",
    ),
    (NSSD, 4, "nssd", "NVM Subsystem Shutdown"),
    (CRTO, 4, "crto", "Controller Ready Timeouts"),
    (PMRCAP, 4, "pmrcap", "Persistent Memory Region Capabilities"),
    (PMRCTL, 4, "pmrctl", "Persistent Memory Region Control"),
    (PMRSTS, 4, "pmrsts", "Persistent Memory Region Status"),
    (
        PMREBS,
        4,
        "pmrebs",
        "Persistent Memory Region Elasticity Buffer Size",
    ),
    (
        PMRSWTP,
        4,
        "pmrswtp",
        "Persistent Memory Region Sustained Write Throughput",
    ),
    (
        PMRMSCL,
        4,
        "pmrmscl",
        "Persistent Memory Region Memory Space Control Lower",
    ),
    (
        PMRMSCU,
        4,
        "pmrmscu",
        "Persistent Memory Region Memory Space Control Upper",
    ),
];

fn entry(offset: usize) -> Option<&'static (usize, u8, &'static str, &'static str)> {
    MAP.iter().find(|r| r.0 == offset)
}

/// The width in bytes (4 or 8) of the register at `offset`, `None` for an
/// offset that starts no register. CAP, ASQ, ACQ, BPMBL and CMBMSC are the
/// 64-bit ones; a Property Get/Set of them uses the 8-byte size.
pub fn width(offset: usize) -> Option<u8> {
    entry(offset).map(|r| r.1)
}

/// The spec's name of the register at `offset` ("Controller Capabilities").
pub fn name(offset: usize) -> Option<&'static str> {
    entry(offset).map(|r| r.3)
}

/// nvme-cli's symbol for the register at `offset`: the mnemonic in lower
/// case, except VS, which it calls `version` (`show-regs`, `get-reg -o json`).
pub fn symbol(offset: usize) -> Option<&'static str> {
    entry(offset).map(|r| r.2)
}

/// The offsets of the register map, in order.
pub fn offsets() -> impl Iterator<Item = usize> {
    MAP.iter().map(|r| r.0)
}

/// Whether the register at `offset` holds a host memory address the
/// controller reads or writes by DMA: ASQ, ACQ (the admin queues) and BPMBL
/// (the Boot Partition Memory Buffer). Writing one from outside the driver
/// that owns that memory points the device at memory nobody lent it.
pub const fn holds_dma_address(offset: usize) -> bool {
    matches!(offset, ASQ | ACQ | BPMBL)
}

/// Whether the register at `offset` is one a Fabrics controller has as a
/// property (Base spec 2.0, "Property Definition": CAP, VS, CC, CSTS, NSSR).
pub const fn is_fabrics_property(offset: usize) -> bool {
    matches!(offset, CAP | VS | CC | CSTS | NSSR)
}

/// Value written to NSSR to start an NVM Subsystem Reset: "NVMe" in ASCII.
pub const NSSR_RESET: u32 = 0x4E56_4D65;

/// Byte offset of a doorbell register in BAR0 (Base spec 2.0, "Offset (1000h +
/// ((2y) * (4 << CAP.DSTRD))): SQyTDBL" and the CQyHDBL figure):
/// `0x1000 + (2 * qid + completion) * (4 << dstrd)`.
///
/// `dstrd` is CAP.DSTRD (4 bits; higher bits are ignored). Saturates at
/// `usize::MAX` where the offset cannot be represented (only possible on
/// targets narrower than 64 bits, far beyond any real BAR).
pub const fn doorbell_offset(qid: u16, completion: bool, dstrd: u8) -> usize {
    let stride = 4u64 << (dstrd & 0xf);
    let index = 2 * qid as u64 + completion as u64;
    // At most 0x1000 + 131071 * 2^17, well inside u64.
    let off = DOORBELLS as u64 + index * stride;
    if off > usize::MAX as u64 {
        usize::MAX
    } else {
        off as usize
    }
}

/// CAP – Controller Capabilities (offset 0h, 64 bits).
#[bitfield(u64)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct Cap {
    /// Maximum Queue Entries Supported (MQES), zero-based (minimum 1, i.e. 2 entries).
    pub mqes_z: u16,
    /// Contiguous Queues Required (CQR).
    pub cqr: bool,
    /// Arbitration Mechanism Supported (AMS): bit 0 weighted round robin, bit 1 vendor specific.
    #[bits(2)]
    pub ams: u8,
    /// Reserved (bits 23:19).
    #[bits(5)]
    pub _rsvd19: u8,
    /// Timeout (TO): worst-case time for CSTS.RDY to change, in 500 ms units.
    pub to: u8,
    /// Doorbell Stride (DSTRD): doorbells are `4 << dstrd` bytes apart.
    #[bits(4)]
    pub dstrd: u8,
    /// NVM Subsystem Reset Supported (NSSRS).
    pub nssrs: bool,
    /// Command Sets Supported (CSS): bit 0 NVM, bit 6 I/O command sets, bit 7 admin only.
    pub css: u8,
    /// Boot Partition Support (BPS).
    pub bps: bool,
    /// Controller Power Scope (CPS).
    #[bits(2)]
    pub cps: u8,
    /// Memory Page Size Minimum (MPSMIN): 2^(12 + mpsmin) bytes.
    #[bits(4)]
    pub mpsmin: u8,
    /// Memory Page Size Maximum (MPSMAX): 2^(12 + mpsmax) bytes.
    #[bits(4)]
    pub mpsmax: u8,
    /// Persistent Memory Region Supported (PMRS).
    pub pmrs: bool,
    /// Controller Memory Buffer Supported (CMBS).
    pub cmbs: bool,
    /// NVM Subsystem Shutdown Supported (NSSS).
    pub nsss: bool,
    /// Controller Ready Modes Supported (CRMS): bit 0 with media, bit 1 independent of media.
    #[bits(2)]
    pub crms: u8,
    /// NVM Subsystem Shutdown Enhancements Supported (NSSES, Base spec 2.1).
    pub nsses: bool,
    /// Reserved (bits 63:62).
    #[bits(2)]
    pub _rsvd62: u8,
}

impl Cap {
    /// CAP.CSS bit 0: NVM Command Set.
    pub const CSS_NVM: u8 = 1 << 0;
    /// CAP.CSS bit 6: one or more I/O Command Sets (CC.CSS = 110b).
    pub const CSS_IO_SETS: u8 = 1 << 6;
    /// CAP.CSS bit 7: no I/O Command Set (admin only, CC.CSS = 111b).
    pub const CSS_ADMIN_ONLY: u8 = 1 << 7;

    /// Maximum entries per I/O queue (`mqes_z + 1`).
    pub const fn max_queue_entries(&self) -> u32 {
        self.mqes_z() as u32 + 1
    }

    /// Worst-case time for CSTS.RDY to change after CC.EN changes, in milliseconds.
    pub const fn timeout_ms(&self) -> u32 {
        self.to() as u32 * 500
    }

    /// Smallest memory page size the controller supports, in bytes.
    pub const fn mps_min_bytes(&self) -> u32 {
        1u32 << (12 + self.mpsmin())
    }

    /// Largest memory page size the controller supports, in bytes.
    pub const fn mps_max_bytes(&self) -> u32 {
        1u32 << (12 + self.mpsmax())
    }

    /// Distance between doorbell registers, in bytes.
    pub const fn doorbell_stride(&self) -> usize {
        4usize << self.dstrd()
    }
}

/// VS – Version (offset 8h), also the layout of Identify Controller `ver`.
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq, PartialOrd, Ord)]
pub struct Vs {
    /// Tertiary Version Number (TER).
    pub ter: u8,
    /// Minor Version Number (MNR).
    pub mnr: u8,
    /// Major Version Number (MJR).
    pub mjr: u16,
}

impl Vs {
    /// A version from its parts.
    pub const fn from_parts(mjr: u16, mnr: u8, ter: u8) -> Self {
        Vs::new().with_mjr(mjr).with_mnr(mnr).with_ter(ter)
    }
}

impl core::fmt::Display for Vs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}.{}", self.mjr(), self.mnr(), self.ter())
    }
}

/// CC – Controller Configuration (offset 14h).
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct Cc {
    /// Enable (EN).
    pub en: bool,
    /// Reserved (bits 3:1).
    #[bits(3)]
    pub _rsvd1: u8,
    /// I/O Command Set Selected (CSS): 000b NVM, 110b all supported I/O sets, 111b admin only.
    #[bits(3)]
    pub css: u8,
    /// Memory Page Size (MPS): 2^(12 + mps) bytes.
    #[bits(4)]
    pub mps: u8,
    /// Arbitration Mechanism Selected (AMS): 000b round robin, 001b WRR, 111b vendor.
    #[bits(3)]
    pub ams: u8,
    /// Shutdown Notification (SHN): 01b normal, 10b abrupt.
    #[bits(2)]
    pub shn: u8,
    /// I/O Submission Queue Entry Size (IOSQES), log2 bytes (6 for 64).
    #[bits(4)]
    pub iosqes: u8,
    /// I/O Completion Queue Entry Size (IOCQES), log2 bytes (4 for 16).
    #[bits(4)]
    pub iocqes: u8,
    /// Controller Ready Independent of Media Enable (CRIME).
    pub crime: bool,
    /// Reserved (bits 31:25).
    #[bits(7)]
    pub _rsvd25: u8,
}

impl Cc {
    /// CC.CSS: NVM Command Set.
    pub const CSS_NVM: u8 = 0b000;
    /// CC.CSS: all supported I/O Command Sets.
    pub const CSS_ALL_IO: u8 = 0b110;
    /// CC.CSS: admin command set only.
    pub const CSS_ADMIN_ONLY: u8 = 0b111;
    /// CC.SHN: normal shutdown.
    pub const SHN_NORMAL: u8 = 0b01;
    /// CC.SHN: abrupt shutdown.
    pub const SHN_ABRUPT: u8 = 0b10;

    /// Memory page size in bytes.
    pub const fn mps_bytes(&self) -> u32 {
        1u32 << (12 + self.mps())
    }
}

/// CSTS – Controller Status (offset 1Ch).
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct Csts {
    /// Ready (RDY).
    pub rdy: bool,
    /// Controller Fatal Status (CFS).
    pub cfs: bool,
    /// Shutdown Status (SHST): 00b normal, 01b in progress, 10b complete.
    #[bits(2)]
    pub shst: u8,
    /// NVM Subsystem Reset Occurred (NSSRO).
    pub nssro: bool,
    /// Processing Paused (PP).
    pub pp: bool,
    /// Shutdown Type (ST): set for an NVM subsystem shutdown.
    pub st: bool,
    /// Reserved (bits 31:7).
    #[bits(25)]
    pub _rsvd7: u32,
}

impl Csts {
    /// CSTS.SHST: normal operation.
    pub const SHST_NORMAL: u8 = 0b00;
    /// CSTS.SHST: shutdown processing occurring.
    pub const SHST_OCCURRING: u8 = 0b01;
    /// CSTS.SHST: shutdown processing complete.
    pub const SHST_COMPLETE: u8 = 0b10;
}

/// AQA – Admin Queue Attributes (offset 24h).
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct Aqa {
    /// Admin Submission Queue Size (ASQS), zero-based entries.
    #[bits(12)]
    pub asqs_z: u16,
    /// Reserved (bits 15:12).
    #[bits(4)]
    pub _rsvd12: u8,
    /// Admin Completion Queue Size (ACQS), zero-based entries.
    #[bits(12)]
    pub acqs_z: u16,
    /// Reserved (bits 31:28).
    #[bits(4)]
    pub _rsvd28: u8,
}

/// CMBLOC – Controller Memory Buffer Location (offset 38h).
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct Cmbloc {
    /// Base Indicator Register (BIR): the BAR holding the CMB.
    #[bits(3)]
    pub bir: u8,
    /// CMB Queue Mixed Memory Support (CQMMS).
    pub cqmms: bool,
    /// CMB Queue Physically Discontiguous Support (CQPDS).
    pub cqpds: bool,
    /// CMB Data Pointer Mixed Locations Support (CDPMLS).
    pub cdpmls: bool,
    /// CMB Data Pointer and Command Independent Locations Support (CDPCILS).
    pub cdpcils: bool,
    /// CMB Data Metadata Mixed Memory Support (CDMMMS).
    pub cdmmms: bool,
    /// CMB Queue Dword Alignment (CQDA).
    pub cqda: bool,
    /// Reserved (bits 11:9).
    #[bits(3)]
    pub _rsvd9: u8,
    /// Offset (OFST) into the BAR, in CMBSZ.SZU units.
    #[bits(20)]
    pub ofst: u32,
}

impl Cmbloc {
    /// Byte offset of the CMB in its BAR, given CMBSZ (which holds the unit).
    pub const fn offset_bytes(&self, cmbsz: Cmbsz) -> Option<u64> {
        match cmbsz.unit_bytes() {
            Some(unit) => Some(self.ofst() as u64 * unit),
            None => None,
        }
    }
}

/// CMBSZ – Controller Memory Buffer Size (offset 3Ch).
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct Cmbsz {
    /// Submission Queue Support (SQS).
    pub sqs: bool,
    /// Completion Queue Support (CQS).
    pub cqs: bool,
    /// PRP SGL List Support (LISTS).
    pub lists: bool,
    /// Read Data Support (RDS).
    pub rds: bool,
    /// Write Data Support (WDS).
    pub wds: bool,
    /// Reserved (bits 7:5).
    #[bits(3)]
    pub _rsvd5: u8,
    /// Size Units (SZU): 0 4 KiB, 1 64 KiB, 2 1 MiB, 3 16 MiB, 4 256 MiB, 5 4 GiB, 6 64 GiB.
    #[bits(4)]
    pub szu: u8,
    /// Size (SZ), in SZU units.
    #[bits(20)]
    pub sz: u32,
}

impl Cmbsz {
    /// Bytes per size unit; `None` for a reserved SZU (7..15).
    pub const fn unit_bytes(&self) -> Option<u64> {
        let szu = self.szu();
        if szu > 6 {
            None
        } else {
            Some(4096u64 << (4 * szu))
        }
    }

    /// CMB size in bytes; `None` for a reserved SZU.
    pub const fn size_bytes(&self) -> Option<u64> {
        match self.unit_bytes() {
            Some(unit) => Some(self.sz() as u64 * unit),
            None => None,
        }
    }
}

/// The first 40h bytes of the controller's register map (Base spec 2.0,
/// "Controller Registers"), as a snapshot. Build it from values read with the
/// right access widths; do not copy it out of a BAR in one go.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Registers {
    /// Controller Capabilities (CAP), 0h.
    pub cap: Cap,
    /// Version (VS), 8h.
    pub vs: Vs,
    /// Interrupt Mask Set (INTMS), Ch.
    pub intms: u32,
    /// Interrupt Mask Clear (INTMC), 10h.
    pub intmc: u32,
    /// Controller Configuration (CC), 14h.
    pub cc: Cc,
    /// Reserved, 18h.
    pub rsvd18: u32,
    /// Controller Status (CSTS), 1Ch.
    pub csts: Csts,
    /// NVM Subsystem Reset (NSSR), 20h.
    pub nssr: u32,
    /// Admin Queue Attributes (AQA), 24h.
    pub aqa: Aqa,
    /// Admin Submission Queue Base Address (ASQ), 28h.
    pub asq: u64,
    /// Admin Completion Queue Base Address (ACQ), 30h.
    pub acq: u64,
    /// Controller Memory Buffer Location (CMBLOC), 38h.
    pub cmbloc: Cmbloc,
    /// Controller Memory Buffer Size (CMBSZ), 3Ch.
    pub cmbsz: Cmbsz,
}

impl Registers {
    /// The snapshot from `get(offset)`, called once per register at its
    /// offset (the caller reads each at its [`width`]); the first error stops it.
    pub fn read_each<E>(mut get: impl FnMut(usize) -> Result<u64, E>) -> Result<Self, E> {
        Ok(Registers {
            cap: Cap::from_bits(get(CAP)?),
            vs: Vs::from_bits(get(VS)? as u32),
            intms: get(INTMS)? as u32,
            intmc: get(INTMC)? as u32,
            cc: Cc::from_bits(get(CC)? as u32),
            rsvd18: 0,
            csts: Csts::from_bits(get(CSTS)? as u32),
            nssr: get(NSSR)? as u32,
            aqa: Aqa::from_bits(get(AQA)? as u32),
            asq: get(ASQ)?,
            acq: get(ACQ)?,
            cmbloc: Cmbloc::from_bits(get(CMBLOC)? as u32),
            cmbsz: Cmbsz::from_bits(get(CMBSZ)? as u32),
        })
    }
}

const _: () = assert!(size_of::<Registers>() == 0x40);
const _: () = assert!(offset_of!(Registers, cap) == CAP);
const _: () = assert!(offset_of!(Registers, vs) == VS);
const _: () = assert!(offset_of!(Registers, intms) == INTMS);
const _: () = assert!(offset_of!(Registers, intmc) == INTMC);
const _: () = assert!(offset_of!(Registers, cc) == CC);
const _: () = assert!(offset_of!(Registers, csts) == CSTS);
const _: () = assert!(offset_of!(Registers, nssr) == NSSR);
const _: () = assert!(offset_of!(Registers, aqa) == AQA);
const _: () = assert!(offset_of!(Registers, asq) == ASQ);
const _: () = assert!(offset_of!(Registers, acq) == ACQ);
const _: () = assert!(offset_of!(Registers, cmbloc) == CMBLOC);
const _: () = assert!(offset_of!(Registers, cmbsz) == CMBSZ);
const _: () = assert!(size_of::<Cap>() == 8);
const _: () = assert!(size_of::<Cc>() == 4);

#[cfg(test)]
mod map_tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_each_register_at_its_offset() {
        let r = Registers::read_each(|off| Ok::<_, ()>(off as u64 | 0x100)).unwrap();
        assert_eq!(
            (r.cap.into_bits(), r.csts.into_bits(), r.acq),
            (0x100, 0x11c, 0x130)
        );
        assert_eq!(r.rsvd18, 0);
        assert_eq!(
            Registers::read_each(|off| if off == CC { Err(off) } else { Ok(0) }),
            Err(CC)
        );
    }

    #[test]
    fn widths_names_and_fabrics_properties() {
        assert_eq!(width(CAP), Some(8));
        assert_eq!(width(VS), Some(4));
        assert_eq!(width(ACQ), Some(8));
        assert_eq!(width(CMBMSC), Some(8));
        assert_eq!(width(PMRMSCU), Some(4));
        assert_eq!(width(0x18), None);
        assert_eq!(width(0x2a), None);
        assert_eq!(name(CC), Some("Controller Configuration"));
        assert_eq!(name(0x1000), None);
        assert!(is_fabrics_property(NSSR) && !is_fabrics_property(AQA));
        // The map is sorted and no 8-byte register overlaps the next one.
        for w in MAP.windows(2) {
            assert!(w[0].0 + w[0].1 as usize <= w[1].0, "{:x}", w[1].0);
        }
    }
}
