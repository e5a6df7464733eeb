//! Doorbell placement (from the core's register map) and the shadow doorbell rule.

use nvmeq_core::regs::{doorbell_offset, DOORBELLS};

/// Byte offset of queue `qid`'s SQ tail doorbell in BAR0.
pub(crate) const fn sq_tail(qid: u16, dstrd: u8) -> usize {
    doorbell_offset(qid, false, dstrd)
}

/// Byte offset of queue `qid`'s CQ head doorbell in BAR0.
pub(crate) const fn cq_head(qid: u16, dstrd: u8) -> usize {
    doorbell_offset(qid, true, dstrd)
}

/// Byte offset of queue `qid`'s SQ entry in the shadow doorbell and EventIdx
/// buffers (Doorbell Buffer Config: the doorbells' layout, from 0).
pub(crate) const fn shadow_sq(qid: u16, dstrd: u8) -> usize {
    sq_tail(qid, dstrd) - DOORBELLS
}

/// Byte offset of queue `qid`'s CQ entry in the shadow buffers.
pub(crate) const fn shadow_cq(qid: u16, dstrd: u8) -> usize {
    cq_head(qid, dstrd) - DOORBELLS
}

/// With shadow doorbells, the MMIO doorbell is needed only if the controller's
/// EventIdx lies in `[old, new)` (modulo 2^16): it asked to be told once the
/// value passes it.
pub(crate) const fn need_event(event_idx: u16, new: u16, old: u16) -> bool {
    new.wrapping_sub(event_idx).wrapping_sub(1) < new.wrapping_sub(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_the_stride() {
        assert_eq!(sq_tail(0, 0), 0x1000);
        assert_eq!(cq_head(0, 0), 0x1004);
        assert_eq!(sq_tail(1, 0), 0x1008);
        assert_eq!(cq_head(3, 0), 0x101c);
        // DSTRD 2: 16-byte stride.
        assert_eq!(sq_tail(1, 2), 0x1020);
        assert_eq!(cq_head(1, 2), 0x1030);
        assert_eq!(shadow_cq(2, 0), 20);
    }

    #[test]
    fn need_event_fires_only_when_passing_event_idx() {
        // Moved 5 -> 8; controller wants an event after 6.
        assert!(need_event(6, 8, 5));
        assert!(need_event(5, 8, 5));
        assert!(need_event(7, 8, 5));
        assert!(!need_event(8, 8, 5), "event index not yet passed");
        assert!(!need_event(4, 8, 5), "already notified past 4");
        // Wrap-around of the 16-bit counters.
        assert!(need_event(0xffff, 2, 0xfffe));
        assert!(need_event(1, 2, 0xfffe));
        assert!(!need_event(2, 2, 0xfffe));
        // No movement never needs an event.
        assert!(!need_event(3, 3, 3));
    }
}
