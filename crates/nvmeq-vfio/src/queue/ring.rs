//! Submission and completion ring indices: pure state, no memory access.

/// A submission queue's producer state. A ring of `size` entries holds at most
/// `size - 1` commands (head == tail means empty).
#[derive(Debug, Clone)]
pub(crate) struct SqRing {
    size: u16,
    tail: u16,
    head: u16,
}

impl SqRing {
    pub(crate) fn new(size: u16) -> Self {
        debug_assert!(size >= 2);
        SqRing {
            size,
            tail: 0,
            head: 0,
        }
    }

    pub(crate) fn tail(&self) -> u16 {
        self.tail
    }

    /// Entries that can still be written.
    pub(crate) fn free(&self) -> u16 {
        self.size - 1 - self.used()
    }

    fn used(&self) -> u16 {
        ring_distance(self.head, self.tail, self.size)
    }

    /// The index to write the next entry at, advancing the tail; `None` when full.
    pub(crate) fn push(&mut self) -> Option<u16> {
        if self.free() == 0 {
            return None;
        }
        let at = self.tail;
        self.tail = ring_next(self.tail, self.size);
        Some(at)
    }

    /// Records the controller's SQ Head Pointer from a completion. A value
    /// outside the ring is ignored (a broken controller must not make us
    /// overwrite entries it has not fetched).
    pub(crate) fn set_head(&mut self, sqhd: u16) {
        if sqhd < self.size {
            self.head = sqhd;
        }
    }
}

/// A completion queue's consumer state: head index and expected phase.
#[derive(Debug, Clone)]
pub(crate) struct CqRing {
    size: u16,
    head: u16,
    phase: bool,
}

impl CqRing {
    /// A fresh ring: the controller writes phase 1 on its first pass over
    /// zeroed memory.
    pub(crate) fn new(size: u16) -> Self {
        CqRing {
            size,
            head: 0,
            phase: true,
        }
    }

    pub(crate) fn head(&self) -> u16 {
        self.head
    }

    /// Whether an entry with phase tag `p` at the head is new.
    pub(crate) fn is_new(&self, p: bool) -> bool {
        p == self.phase
    }

    /// Consumes the head entry; the phase flips on wrap.
    pub(crate) fn advance(&mut self) {
        self.head += 1;
        if self.head == self.size {
            self.head = 0;
            self.phase = !self.phase;
        }
    }
}

/// Entries from `from` to `to` going forward in a ring of `size` (both
/// below `size`). A compare instead of `%`: a division per command costs more
/// than the rest of the index arithmetic, and `to + size` overflows `u16`
/// for rings above 32 Ki entries.
#[inline]
pub(crate) fn ring_distance(from: u16, to: u16, size: u16) -> u16 {
    if to >= from {
        to - from
    } else {
        (size - from) + to
    }
}

/// The index after `i` in a ring of `size`.
#[inline]
pub(crate) fn ring_next(i: u16, size: u16) -> u16 {
    if i + 1 == size {
        0
    } else {
        i + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sq_holds_size_minus_one_and_wraps() {
        let mut sq = SqRing::new(4);
        assert_eq!(sq.free(), 3);
        assert_eq!(sq.push(), Some(0));
        assert_eq!(sq.push(), Some(1));
        assert_eq!(sq.push(), Some(2));
        assert_eq!(sq.push(), None, "full at size - 1");
        sq.set_head(2); // controller fetched two
        assert_eq!(sq.free(), 2);
        assert_eq!(sq.push(), Some(3));
        assert_eq!(sq.push(), Some(0), "wrapped");
        assert_eq!(sq.tail(), 1);
        assert_eq!(sq.push(), None);
        sq.set_head(9); // out of range: ignored
        assert_eq!(sq.free(), 0);
        sq.set_head(1);
        assert_eq!(sq.free(), 3);
    }

    #[test]
    fn distance_and_next_match_modular_arithmetic() {
        for size in [2u16, 3, 7, 64, 1024, 40_000, 65_535] {
            for (a, b) in [
                (0, 0),
                (0, size - 1),
                (size - 1, 0),
                (1, size / 2),
                (size / 2, 1),
            ] {
                let want = ((b as u32 + size as u32 - a as u32) % size as u32) as u16;
                assert_eq!(ring_distance(a, b, size), want, "{size}: {a} -> {b}");
            }
            assert_eq!(ring_next(size - 1, size), 0);
            assert_eq!(ring_next(0, size), 1 % size);
        }
        let mut sq = SqRing::new(65_535);
        for _ in 0..65_534 {
            sq.push().unwrap();
        }
        assert_eq!(
            (sq.free(), sq.push()),
            (0, None),
            "no overflow near u16::MAX"
        );
    }

    #[test]
    fn cq_phase_flips_on_every_wrap() {
        let mut cq = CqRing::new(3);
        assert!(cq.is_new(true) && !cq.is_new(false));
        for pass in 0..4 {
            let phase = pass % 2 == 0;
            for i in 0..3 {
                assert_eq!(cq.head(), i);
                assert!(cq.is_new(phase), "pass {pass} entry {i}");
                assert!(!cq.is_new(!phase));
                cq.advance();
            }
        }
        assert_eq!(cq.head(), 0);
    }
}
