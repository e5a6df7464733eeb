//! Telemetry Host-Initiated and Telemetry Controller-Initiated (Base spec
//! 2.0, "Telemetry Host-Initiated Log Page", LID 07h, and "Telemetry
//! Controller-Initiated Log Page", LID 08h): a 512-byte header, then data
//! areas 1 to 4 in 512-byte blocks, each area ending where the next begins.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Bytes in one telemetry data block (and in the header, block 0).
pub const TELEMETRY_BLOCK: usize = 512;

/// Log Page Attributes (Identify Controller LPA) bits about telemetry.
pub mod telemetry_lpa {
    /// Bit 3: Telemetry Host-Initiated and Controller-Initiated logs supported.
    pub const TELEMETRY: u8 = 1 << 3;
    /// Bit 6: Telemetry Data Area 4 supported.
    pub const DA4: u8 = 1 << 6;
}

/// Log Specific Parameter bits of Telemetry Host-Initiated (LID 07h).
pub mod telemetry_lsp {
    /// Create Telemetry Host-Initiated Data: capture a new snapshot (and a
    /// new generation number) before returning the log.
    pub const CREATE: u8 = 1 << 0;
    /// Maximum Created Data Area (bits 2:1, NVMe 2.1): the largest area the
    /// capture fills; 0 lets the controller choose.
    pub const fn mcda(area: u8) -> u8 {
        (area & 0x3) << 1
    }
}

open_enum! {
    /// A telemetry data area, as `telemetry-log --data-area` names it.
    TelemetryArea {
        /// Let the controller determine: area 4 if supported, else area 3.
        CTRL_DETERMINE = 0 => "Controller Determined",
        /// Data Area 1: small, always captured.
        DA1 = 1 => "Data Area 1",
        /// Data Areas 1 and 2.
        DA2 = 2 => "Data Area 2",
        /// Data Areas 1 to 3.
        DA3 = 3 => "Data Area 3",
        /// Data Areas 1 to 4 (LPA bit 6, Telemetry Data Area 4 Supported).
        DA4 = 4 => "Data Area 4",
    }
}

/// The telemetry log header (both LIDs share it): 512 bytes. Byte 381 is the
/// Host-Initiated Data Generation Number in LID 07h and reserved in LID 08h;
/// bytes 382 and 383 are the controller-initiated data's availability and
/// generation, reported in both.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct TelemetryLog {
    /// Log Identifier: 07h or 08h.
    pub lpi: u8,
    /// Reserved (bytes 1..5).
    pub rsvd1: [u8; 4],
    /// IEEE OUI Identifier of the vendor that can interpret the data areas.
    pub ieee: [u8; 3],
    /// Data Area 1 Last Block (DA1LB), in 512-byte blocks from the header.
    pub dalb1: U16,
    /// Data Area 2 Last Block (DA2LB), at least DA1LB.
    pub dalb2: U16,
    /// Data Area 3 Last Block (DA3LB), at least DA2LB.
    pub dalb3: U16,
    /// Reserved (bytes 14..16).
    pub rsvd14: [u8; 2],
    /// Data Area 4 Last Block (DA4LB), at least DA3LB.
    pub dalb4: U32,
    /// Reserved (bytes 20..380).
    pub rsvd20: [u8; 360],
    /// Telemetry Host-Initiated Scope (NVMe 2.1), reserved before.
    pub ths: u8,
    /// Telemetry Host-Initiated Data Generation Number: changes with every
    /// capture the host asks for.
    pub hostdgn: u8,
    /// Telemetry Controller-Initiated Data Available: 1 if the controller
    /// saved its state on its own.
    pub ctrlavail: u8,
    /// Telemetry Controller-Initiated Data Generation Number.
    pub ctrldgn: u8,
    /// Reason Identifier: vendor specific, why and in what state the data was captured.
    pub rsnident: [u8; 128],
}

const _: () = assert!(size_of::<TelemetryLog>() == TELEMETRY_BLOCK);
const _: () = assert!(offset_of!(TelemetryLog, ieee) == 5);
const _: () = assert!(offset_of!(TelemetryLog, dalb1) == 8);
const _: () = assert!(offset_of!(TelemetryLog, dalb3) == 12);
const _: () = assert!(offset_of!(TelemetryLog, dalb4) == 16);
const _: () = assert!(offset_of!(TelemetryLog, ths) == 380);
const _: () = assert!(offset_of!(TelemetryLog, hostdgn) == 381);
const _: () = assert!(offset_of!(TelemetryLog, ctrlavail) == 382);
const _: () = assert!(offset_of!(TelemetryLog, ctrldgn) == 383);
const _: () = assert!(offset_of!(TelemetryLog, rsnident) == 384);

impl Default for TelemetryLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl TelemetryLog {
    /// The last block of `area` (1..=4); `None` for another value.
    /// [`TelemetryArea::CTRL_DETERMINE`] is resolved by [`Self::last_block`].
    pub const fn area_last_block(&self, area: TelemetryArea) -> Option<u32> {
        match area.0 {
            1 => Some(self.dalb1.get() as u32),
            2 => Some(self.dalb2.get() as u32),
            3 => Some(self.dalb3.get() as u32),
            4 => Some(self.dalb4.get()),
            _ => None,
        }
    }

    /// The last block to read for `area` on a controller that does
    /// (`da4_supported`) or does not support Data Area 4; `None` for an area
    /// out of range or area 4 unsupported.
    pub const fn last_block(&self, area: TelemetryArea, da4_supported: bool) -> Option<u32> {
        match area {
            TelemetryArea::CTRL_DETERMINE if da4_supported => Some(self.dalb4.get()),
            TelemetryArea::CTRL_DETERMINE => Some(self.dalb3.get() as u32),
            TelemetryArea::DA4 if !da4_supported => None,
            a => self.area_last_block(a),
        }
    }

    /// Bytes of the log up to and including `last_block` (the header is block 0).
    pub const fn bytes_through(last_block: u32) -> u64 {
        (last_block as u64 + 1) * TELEMETRY_BLOCK as u64
    }

    /// The IEEE OUI as a number (byte 5 least significant, as nvme-cli prints it).
    pub const fn oui(&self) -> u32 {
        self.ieee[0] as u32 | (self.ieee[1] as u32) << 8 | (self.ieee[2] as u32) << 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut t = TelemetryLog::new_zeroed();
        t.lpi = 0x07;
        t.ieee = [0x01, 0x02, 0x03];
        t.dalb1.set(1);
        t.dalb2.set(3);
        t.dalb3.set(0x0107);
        t.dalb4.set(0x0001_0000);
        t.hostdgn = 9;
        t.ctrlavail = 1;
        t.ctrldgn = 2;
        t.rsnident[0] = 0xaa;
        let b = t.as_bytes();
        assert_eq!(
            &b[..20],
            &[7, 0, 0, 0, 0, 1, 2, 3, 1, 0, 3, 0, 7, 1, 0, 0, 0, 0, 1, 0]
        );
        assert_eq!(&b[380..385], &[0, 9, 1, 2, 0xaa]);
        assert_eq!(t.oui(), 0x030201);
        let back = TelemetryLog::read_from_bytes(b).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn areas_resolve_as_the_spec_nests_them() {
        let mut t = TelemetryLog::new_zeroed();
        t.dalb1.set(1);
        t.dalb2.set(3);
        t.dalb3.set(7);
        t.dalb4.set(31);
        assert_eq!(t.last_block(TelemetryArea::DA1, false), Some(1));
        assert_eq!(t.last_block(TelemetryArea::DA3, false), Some(7));
        assert_eq!(t.last_block(TelemetryArea::DA4, false), None);
        assert_eq!(t.last_block(TelemetryArea::DA4, true), Some(31));
        assert_eq!(t.last_block(TelemetryArea::CTRL_DETERMINE, false), Some(7));
        assert_eq!(t.last_block(TelemetryArea::CTRL_DETERMINE, true), Some(31));
        assert_eq!(t.last_block(TelemetryArea(5), true), None);
        assert_eq!(TelemetryLog::bytes_through(7), 4096);
        assert_eq!(telemetry_lsp::CREATE | telemetry_lsp::mcda(3), 0b111);
    }
}
