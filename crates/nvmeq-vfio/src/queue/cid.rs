//! Command identifiers: the low bits name the slot (which owns the buffer and
//! tag), the high bits a per-slot sequence number, so a stale or duplicated
//! completion cannot be mistaken for the slot's current command.

/// Splits and builds cids for a queue with `slots` slots.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CidCodec {
    slot_bits: u32,
}

/// Why a completion's cid was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CidError {
    /// The slot number is beyond the queue's slots.
    NoSuchSlot,
    /// The slot holds no command.
    SlotIdle,
    /// The slot holds a newer (or older) command than this completion.
    StaleSequence,
}

impl CidCodec {
    /// A codec for `slots` slots (1..=32768).
    pub(crate) fn new(slots: u16) -> Self {
        let slot_bits = u16::BITS - (slots.max(2) - 1).leading_zeros();
        CidCodec { slot_bits }
    }

    pub(crate) fn encode(&self, slot: u16, seq: u16) -> u16 {
        (seq << self.slot_bits) | slot
    }

    /// `(slot, seq)`.
    pub(crate) fn decode(&self, cid: u16) -> (u16, u16) {
        (cid & ((1 << self.slot_bits) - 1), cid >> self.slot_bits)
    }

    /// The sequence after `seq` for `slot`, wrapping within the free bits and
    /// skipping the one value that would make the cid FFFFh (which the spec
    /// uses for "no command" in error log entries and Abort).
    pub(crate) fn next_seq(&self, slot: u16, seq: u16) -> u16 {
        let bits = 16 - self.slot_bits;
        let mask = if bits == 0 { 0 } else { (1u32 << bits) - 1 } as u16;
        let mut n = seq.wrapping_add(1) & mask;
        if self.encode(slot, n) == 0xffff {
            n = n.wrapping_add(1) & mask;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_uses_minimal_slot_bits() {
        let c = CidCodec::new(256);
        assert_eq!(c.slot_bits, 8);
        assert_eq!(c.encode(0x12, 0x34), 0x3412);
        assert_eq!(c.decode(0x3412), (0x12, 0x34));
        assert_eq!(CidCodec::new(255).slot_bits, 8);
        assert_eq!(CidCodec::new(257).slot_bits, 9);
        assert_eq!(CidCodec::new(31).slot_bits, 5);
        assert_eq!(CidCodec::new(1).slot_bits, 1);
    }

    #[test]
    fn sequence_wraps_and_never_yields_ffff() {
        let c = CidCodec::new(256);
        let slot = 0xff;
        let mut seq = 0;
        let mut seen = std::collections::HashSet::new();
        for _ in 0..600 {
            seq = c.next_seq(slot, seq);
            assert_ne!(c.encode(slot, seq), 0xffff);
            assert!(seq <= 0xff);
            seen.insert(seq);
        }
        assert_eq!(seen.len(), 255, "all sequences but the one giving FFFFh");
        // Another slot uses all 256.
        let mut seen = std::collections::HashSet::new();
        for _ in 0..600 {
            seq = c.next_seq(3, seq);
            seen.insert(seq);
        }
        assert_eq!(seen.len(), 256);
    }
}
