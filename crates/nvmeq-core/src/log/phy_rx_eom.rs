//! Physical Interface Receiver Eye Opening Measurement (NVMe Base 2.1,
//! "Physical Interface Receiver Eye Opening Measurement Log Page" and its
//! "EOM Lane Descriptor" figure, LID 19h): a 64-byte header, then one
//! descriptor per lane and eye once a measurement has completed. The LSP
//! asks for an action and a quality ([`EomLsp`]); the LSI names the
//! controller whose port is measured.

use core::mem::{offset_of, size_of};

use bitfield_struct::bitfield;
use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

open_enum! {
    /// EOM In Progress (EOMIP) of [`PhyRxEomLog::eomip`].
    EomProgress {
        /// No measurement was started.
        NOT_STARTED = 0 => "Not Started",
        /// A measurement is running.
        IN_PROGRESS = 1 => "In Progress",
        /// A measurement completed: the descriptors hold its results.
        COMPLETED = 2 => "Completed",
    }
}

open_enum! {
    /// Measurement Quality of the LSP (bits 1:0).
    EomQuality {
        /// Good quality, the fastest.
        GOOD = 0 => "Good",
        /// Better quality.
        BETTER = 1 => "Better",
        /// Best quality, the slowest.
        BEST = 2 => "Best",
    }
}

open_enum! {
    /// Action of the LSP (bits 3:2).
    EomAction {
        /// Read the log data only.
        READ = 0 => "Read Log Data",
        /// Start a measurement.
        START = 1 => "Start Measurement",
        /// Abort the measurement in progress.
        ABORT = 2 => "Abort Measurement",
    }
}

/// The Log Specific Parameter of a Get Log Page for LID 19h (7 bits used).
#[bitfield(u8)]
#[derive(PartialEq, Eq)]
pub struct EomLsp {
    /// Measurement Quality.
    #[bits(2)]
    pub quality: EomQuality,
    /// Action.
    #[bits(2)]
    pub action: EomAction,
    /// Reserved (bits 7:4).
    #[bits(4)]
    pub _rsvd: u8,
}

/// Physical Interface Receiver Eye Opening Measurement header: 64 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct PhyRxEomLog {
    /// Log Identifier: 19h.
    pub lid: u8,
    /// EOM In Progress (EOMIP), see [`Self::progress`].
    pub eomip: u8,
    /// Header Size (HSIZE): bytes before the first descriptor.
    pub hsize: U16,
    /// Result Size (RSIZE).
    pub rsize: U32,
    /// EOM Data Generation Number (EOMDGN).
    pub eomdgn: u8,
    /// Log Revision (LR).
    pub lr: u8,
    /// Optional Data Present (ODP): bit 0 Printable Eye, bit 1 Eye Data.
    pub odp: u8,
    /// Lanes configured for the port.
    pub lanes: u8,
    /// Eyes Per Lane (EPL).
    pub epl: u8,
    /// Log Specific Parameter Field Copy (LSPFC).
    pub lspfc: u8,
    /// Link Information (LI).
    pub li: u8,
    /// Reserved (bytes 15..18).
    pub rsvd15: [u8; 3],
    /// Log Specific Identifier Copy (LSIC).
    pub lsic: U16,
    /// Descriptor Size (DSIZE): bytes of each descriptor.
    pub dsize: U32,
    /// Number of Descriptors (ND).
    pub nd: U16,
    /// Maximum Top Bottom (MAXTB).
    pub maxtb: U16,
    /// Maximum Left Right (MAXLR).
    pub maxlr: U16,
    /// Estimated Time for Good Quality (ETGOOD).
    pub etgood: U16,
    /// Estimated Time for Better Quality (ETBETTER).
    pub etbetter: U16,
    /// Estimated Time for Best Quality (ETBEST).
    pub etbest: U16,
    /// Reserved (bytes 36..64).
    pub rsvd36: [u8; 28],
}

const _: () = assert!(size_of::<PhyRxEomLog>() == 64);
const _: () = assert!(offset_of!(PhyRxEomLog, rsize) == 4);
const _: () = assert!(offset_of!(PhyRxEomLog, eomdgn) == 8);
const _: () = assert!(offset_of!(PhyRxEomLog, li) == 14);
const _: () = assert!(offset_of!(PhyRxEomLog, lsic) == 18);
const _: () = assert!(offset_of!(PhyRxEomLog, dsize) == 20);
const _: () = assert!(offset_of!(PhyRxEomLog, nd) == 24);
const _: () = assert!(offset_of!(PhyRxEomLog, etbest) == 34);

impl PhyRxEomLog {
    /// The measurement's state.
    pub const fn progress(&self) -> EomProgress {
        EomProgress(self.eomip)
    }

    /// Printable Eye Field Present (ODP bit 0).
    pub const fn printable_eye_present(&self) -> bool {
        self.odp & 1 != 0
    }

    /// Eye Data Field Present (ODP bit 1).
    pub const fn eye_data_present(&self) -> bool {
        self.odp & 2 != 0
    }

    /// Bytes of the whole page: the header, and the descriptors once the
    /// measurement completed.
    pub const fn page_len(&self) -> u64 {
        let h = self.hsize.get() as u64;
        if self.eomip == EomProgress::COMPLETED.0 {
            h + self.dsize.get() as u64 * self.nd.get() as u64
        } else {
            h
        }
    }
}

/// EOM Lane Descriptor: 32 bytes, then the Printable Eye, the Eye Data and
/// padding up to the header's DSIZE.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct EomLaneDesc {
    /// Reserved (byte 0).
    pub rsvd0: u8,
    /// Measurement Status (MSTATUS): bit 0 set when successful.
    pub mstatus: u8,
    /// Lane.
    pub lane: u8,
    /// Eye.
    pub eye: u8,
    /// Top: rows from the center to the eye's top edge.
    pub top: U16,
    /// Bottom: rows from the center to the eye's bottom edge.
    pub bottom: U16,
    /// Left: columns from the center to the eye's left edge.
    pub left: U16,
    /// Right: columns from the center to the eye's right edge.
    pub right: U16,
    /// Number of Rows (NROWS) of the Printable Eye.
    pub nrows: U16,
    /// Number of Columns (NCOLS) of the Printable Eye.
    pub ncols: U16,
    /// Eye Data Length (EDLEN).
    pub edlen: U16,
    /// Reserved (bytes 18..32).
    pub rsvd18: [u8; 14],
}

const _: () = assert!(size_of::<EomLaneDesc>() == 32);
const _: () = assert!(offset_of!(EomLaneDesc, top) == 4);
const _: () = assert!(offset_of!(EomLaneDesc, nrows) == 12);
const _: () = assert!(offset_of!(EomLaneDesc, edlen) == 16);

/// One lane descriptor and the bytes that follow its 32-byte head within
/// DSIZE (as many as were read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EomLane<'a> {
    /// The descriptor's fixed part.
    pub desc: EomLaneDesc,
    /// Printable Eye, Eye Data and padding.
    pub rest: &'a [u8],
}

impl<'a> EomLane<'a> {
    /// The Printable Eye, NROWS × NCOLS characters row by row, when the page
    /// says it is present and it fits in the descriptor.
    pub fn printable_eye(&self, present: bool) -> Option<&'a [u8]> {
        let n = usize::from(self.desc.nrows.get()) * usize::from(self.desc.ncols.get());
        present.then(|| self.rest.get(..n)).flatten()
    }

    /// The Eye Data (vendor specific), after the Printable Eye if present,
    /// when the page says it is present and it fits in the descriptor.
    pub fn eye_data(&self, printable: bool, present: bool) -> Option<&'a [u8]> {
        let skip = self.printable_eye(printable).map_or(0, <[u8]>::len);
        let n = usize::from(self.desc.edlen.get());
        present
            .then(|| self.rest.get(skip..skip.checked_add(n)?))
            .flatten()
    }
}

/// The lane descriptors of a completed measurement in `log`, from HSIZE
/// (at least the 64-byte header) in steps of DSIZE, stopping at the first
/// that does not fit in the bytes read; none while no measurement completed.
pub fn eom_lanes(log: &[u8]) -> impl Iterator<Item = EomLane<'_>> + '_ {
    let h = PhyRxEomLog::read_from_prefix(log).map_or_else(|_| PhyRxEomLog::default(), |(h, _)| h);
    let n = if h.progress() == EomProgress::COMPLETED {
        h.nd.get()
    } else {
        0
    };
    let step = h.dsize.get() as usize;
    let mut off = usize::from(h.hsize.get()).max(size_of::<PhyRxEomLog>());
    (0..n).map_while(move |_| {
        if step < size_of::<EomLaneDesc>() {
            return None;
        }
        let bytes = log.get(off..off.checked_add(step)?)?;
        off += step;
        let (desc, rest) = EomLaneDesc::read_from_prefix(bytes).ok()?;
        Some(EomLane { desc, rest })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsp_bits() {
        let l = EomLsp::new()
            .with_action(EomAction::START)
            .with_quality(EomQuality::BEST);
        assert_eq!(l.into_bits(), 0b0110);
        assert_eq!(EomLsp::from_bits(0x0c).action(), EomAction(3));
    }

    #[test]
    fn golden_bytes_and_walk() {
        let mut h = PhyRxEomLog {
            lid: 0x19,
            eomip: 2,
            odp: 1,
            lanes: 1,
            epl: 1,
            ..Default::default()
        };
        h.hsize.set(64);
        h.rsize.set(0x0102_0304);
        h.lsic.set(7);
        h.dsize.set(40);
        h.nd.set(2);
        h.etbest.set(0xabcd);
        let b = h.as_bytes();
        assert_eq!(&b[..12], &[0x19, 2, 64, 0, 4, 3, 2, 1, 0, 0, 1, 1]);
        assert_eq!(&b[18..26], &[7, 0, 40, 0, 0, 0, 2, 0]);
        assert_eq!(&b[34..36], &[0xcd, 0xab]);
        assert_eq!(h.page_len(), 64 + 80);
        assert!(h.printable_eye_present() && !h.eye_data_present());

        let mut d = EomLaneDesc {
            mstatus: 1,
            lane: 0,
            eye: 1,
            ..Default::default()
        };
        d.top.set(3);
        d.nrows.set(2);
        d.ncols.set(3);
        d.edlen.set(2);
        assert_eq!(
            &d.as_bytes()[..18],
            &[0, 1, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 2, 0]
        );
        let mut log = [0u8; 144];
        log[..64].copy_from_slice(b);
        log[64..96].copy_from_slice(d.as_bytes());
        log[96..102].copy_from_slice(b"ab\ncd\n");
        log[102..104].copy_from_slice(&[0xee, 0xff]);
        d.lane = 1;
        log[104..136].copy_from_slice(d.as_bytes());
        let lanes: heapless::Vec<EomLane<'_>, 4> = eom_lanes(&log).collect();
        assert_eq!(lanes.len(), 2);
        assert_eq!(lanes[0].printable_eye(true), Some(&b"ab\ncd\n"[..]));
        assert_eq!(lanes[0].printable_eye(false), None);
        assert_eq!(lanes[0].eye_data(true, true), Some(&[0xee, 0xff][..]));
        assert_eq!(lanes[1].desc.lane, 1);
        drop(lanes);
        // Bounded by the bytes read; nothing before completion.
        assert_eq!(eom_lanes(&log[..140]).count(), 1);
        log[1] = 1;
        assert_eq!(eom_lanes(&log).count(), 0);
        assert_eq!(eom_lanes(&log[..10]).count(), 0);
    }

    #[test]
    fn a_descriptor_smaller_than_its_head_stops_the_walk() {
        let mut h = PhyRxEomLog {
            eomip: 2,
            ..Default::default()
        };
        h.hsize.set(64);
        h.dsize.set(8);
        h.nd.set(3);
        let mut log = [0u8; 128];
        log[..64].copy_from_slice(h.as_bytes());
        assert_eq!(eom_lanes(&log).count(), 0);
        let lane = EomLane {
            desc: EomLaneDesc {
                nrows: U16::new(100),
                ncols: U16::new(100),
                ..Default::default()
            },
            rest: &[0; 8],
        };
        assert_eq!(lane.printable_eye(true), None);
    }
}
