//! Event aggregates and predictable latency: Predictable Latency Per NVM Set
//! (Base spec 2.0, "Predictable Latency Per NVM Set Log Page", LID 0Ah),
//! Predictable Latency Event Aggregate (LID 0Bh) and Endurance Group Event
//! Aggregate (LID 0Fh). Both aggregates are a 64-bit entry count followed by
//! 16-bit identifiers (NVM Sets, Endurance Groups) with events pending.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// The fixed start of an event aggregate page: Number of Entries, then
/// that many (or as many as were read) 16-bit identifiers.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct EventAggregateHeader {
    /// Number of Entries: identifiers with events pending.
    pub num_entries: U64,
}

const _: () = assert!(size_of::<EventAggregateHeader>() == 8);

/// The identifiers of an aggregate page `log`, at most `max` of them and of
/// its Number of Entries.
pub fn aggregate_entries(log: &[u8], max: u64) -> impl Iterator<Item = u16> + '_ {
    let n = EventAggregateHeader::read_from_prefix(log).map_or(0, |(h, _)| h.num_entries.get());
    log.get(8..)
        .unwrap_or_default()
        .chunks_exact(2)
        .take(n.min(max).min(usize::MAX as u64) as usize)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
}

open_enum! {
    /// Predictable Latency Per NVM Set Status (byte 0, bits 2:0): the window.
    PlmStatus {
        /// Predictable Latency Mode not enabled.
        DISABLED = 0 => "Not used",
        /// Deterministic Window (DTWIN).
        DTWIN = 1 => "Deterministic Window",
        /// Non-Deterministic Window (NDWIN).
        NDWIN = 2 => "Non-Deterministic Window",
    }
}

/// Predictable Latency Per NVM Set log page: 512 bytes (the LSI names the set).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct PredictableLatencyLog {
    /// Status ([`PlmStatus`]).
    pub status: u8,
    /// Reserved (byte 1).
    pub rsvd1: u8,
    /// Event Type: bit 0 DTWIN reads warning, 1 writes, 2 time, 14 DTWIN
    /// exceeded, 15 deterministic excursion.
    pub event_type: U16,
    /// Reserved (bytes 4..32).
    pub rsvd4: [u8; 28],
    /// DTWIN Reads Typical.
    pub dtwin_rt: U64,
    /// DTWIN Writes Typical.
    pub dtwin_wt: U64,
    /// DTWIN Time Maximum.
    pub dtwin_tmax: U64,
    /// NDWIN Time Minimum High.
    pub ndwin_tmin_hi: U64,
    /// NDWIN Time Minimum Low.
    pub ndwin_tmin_lo: U64,
    /// Reserved (bytes 72..128).
    pub rsvd72: [u8; 56],
    /// DTWIN Reads Estimate.
    pub dtwin_re: U64,
    /// DTWIN Writes Estimate.
    pub dtwin_we: U64,
    /// DTWIN Time Estimate.
    pub dtwin_te: U64,
    /// Reserved (bytes 152..512).
    pub rsvd152: [u8; 360],
}

const _: () = assert!(size_of::<PredictableLatencyLog>() == 512);
const _: () = assert!(offset_of!(PredictableLatencyLog, dtwin_rt) == 32);
const _: () = assert!(offset_of!(PredictableLatencyLog, ndwin_tmin_lo) == 64);
const _: () = assert!(offset_of!(PredictableLatencyLog, dtwin_re) == 128);
const _: () = assert!(offset_of!(PredictableLatencyLog, dtwin_te) == 144);

impl Default for PredictableLatencyLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut p = PredictableLatencyLog::new_zeroed();
        p.status = PlmStatus::DTWIN.0;
        p.event_type.set(1 << 15 | 1);
        p.dtwin_rt.set(0x0102);
        p.dtwin_te.set(9);
        let b = p.as_bytes();
        assert_eq!(&b[..4], &[1, 0, 1, 0x80]);
        assert_eq!(&b[32..34], &[2, 1]);
        assert_eq!(b[144], 9);

        let mut log = [0u8; 16];
        log[0] = 3; // three entries, only four bytes of them read
        log[8..12].copy_from_slice(&[5, 0, 7, 0]);
        let ids: heapless::Vec<u16, 4> = aggregate_entries(&log[..12], 10).collect();
        assert_eq!(ids.as_slice(), &[5, 7]);
        let ids: heapless::Vec<u16, 4> = aggregate_entries(&log, 1).collect();
        assert_eq!(ids.as_slice(), &[5]);
    }
}
