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

/// Whether the CQ head doorbell must be written before one more command is
/// queued, when it is written lazily. The controller posts a completion only
/// while it sees a free CQ entry, and it counts the `lag` entries consumed
/// but not yet reported as used; each of the `busy` commands may still post
/// one. Keeping `lag + busy + 1 <= size - 1` leaves room for all of them.
pub(crate) const fn cq_head_due(lag: u16, busy: u16, size: u16) -> bool {
    lag as u32 + busy as u32 + 1 > size as u32 - 1
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
    fn lazy_cq_head_leaves_room_for_every_completion() {
        // 256 entries: at most 255 posted-but-unreported entries.
        assert!(!cq_head_due(0, 254, 256), "room for the 255th command");
        assert!(cq_head_due(0, 255, 256));
        assert!(!cq_head_due(200, 54, 256));
        assert!(cq_head_due(200, 55, 256));
        assert!(cq_head_due(255, 0, 256));
        assert!(!cq_head_due(0, 0, 2));
        assert!(cq_head_due(1, 0, 2));
        // The invariant it keeps, exhaustively for a small ring: after the
        // push (busy + 1), unreported + busy never exceeds size - 1.
        for size in 2u16..12 {
            for lag in 0..size {
                for busy in 0..size - 1 {
                    let lag_after = if cq_head_due(lag, busy, size) { 0 } else { lag };
                    assert!(lag_after + busy < size - 1, "{size} {lag} {busy}");
                }
            }
        }
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
