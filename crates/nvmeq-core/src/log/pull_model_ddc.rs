//! Pull Model DDC Request (LID 73h; Base spec 2.1, the "Pull Model DDC
//! Request Log Page" figure): what a centralized discovery controller asks
//! of a direct discovery controller that pulls its requests. An 8-byte
//! header, then TPDRPL - 8 bytes of operation specific parameters.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::U32;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The Pull Model DDC Request log header: 8 bytes, then the parameters.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct PullModelDdcReqLog {
    /// Operation Request Identifier (ORI).
    pub ori: u8,
    /// Reserved (bytes 1..4).
    pub rsvd1: [u8; 3],
    /// Total Pull Model DDC Request Log Page Length (TPDRPL).
    pub tpdrpl: U32,
}

const _: () = assert!(size_of::<PullModelDdcReqLog>() == 8);
const _: () = assert!(offset_of!(PullModelDdcReqLog, tpdrpl) == 4);

/// The Operation Specific Parameters of a page: the bytes after the header
/// up to TPDRPL, bounded by the bytes read.
pub fn pull_model_ddc_osp(log: &[u8]) -> &[u8] {
    let end = PullModelDdcReqLog::read_from_prefix(log)
        .map_or(0, |(h, _)| (h.tpdrpl.get() as usize).min(log.len()));
    log.get(size_of::<PullModelDdcReqLog>()..end).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut h = PullModelDdcReqLog {
            ori: 2,
            ..Default::default()
        };
        h.tpdrpl.set(12);
        assert_eq!(h.as_bytes(), &[2, 0, 0, 0, 12, 0, 0, 0]);
        let mut log = h.as_bytes().to_vec();
        log.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(pull_model_ddc_osp(&log), &[1, 2, 3, 4]);
        assert_eq!(pull_model_ddc_osp(&log[..10]), &[1, 2]);
        h.tpdrpl.set(4);
        assert_eq!(pull_model_ddc_osp(h.as_bytes()), &[] as &[u8]);
        assert_eq!(pull_model_ddc_osp(&[]), &[] as &[u8]);
    }
}
