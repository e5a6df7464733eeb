//! LBA Status Information (LID 0Eh, Base spec 2.0, "LBA Status Information
//! Log Page"): memory never loses a block, so no namespace has potentially
//! unrecoverable LBAs to report and the page is its 16-byte header alone,
//! with the generation counter that never had a reason to change.

use nvmeq_core::log::LbaStatusLog;

/// The page: Log Page Length 16, no namespace elements, no estimate.
pub(crate) fn lba_status_log() -> LbaStatusLog {
    let mut l = LbaStatusLog::default();
    l.lslplen.set(size_of::<LbaStatusLog>() as u32);
    l
}
