//! The SQE's `user_data`: slot index in the low 16 bits, the slot's sequence
//! number in the high 48. A completion whose user_data does not name a slot
//! in flight with that exact sequence is reported as an error, never trusted.

/// Bits of `user_data` that hold the slot index.
pub const SLOT_BITS: u32 = 16;
/// Largest number of slots (queue depth) the encoding allows.
pub const MAX_SLOTS: usize = 1 << SLOT_BITS;
const SEQ_MASK: u64 = (1 << (64 - SLOT_BITS)) - 1;

/// `user_data` of SQEs nvmeq submits for itself (cancellations): never a slot.
pub const INTERNAL: u64 = u64::MAX;

/// A slot index and a sequence number packed into `user_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserData {
    /// Slot index in the in-flight table.
    pub slot: u16,
    /// Sequence number of that slot's current use (48 bits).
    pub seq: u64,
}

impl UserData {
    /// Packs slot and sequence (the sequence is truncated to 48 bits).
    pub const fn encode(self) -> u64 {
        (self.seq & SEQ_MASK) << SLOT_BITS | self.slot as u64
    }

    /// Unpacks a `user_data`.
    pub const fn decode(raw: u64) -> Self {
        UserData {
            slot: raw as u16,
            seq: raw >> SLOT_BITS,
        }
    }

    /// The next sequence number after `seq`, wrapping at 48 bits.
    pub const fn next_seq(seq: u64) -> u64 {
        (seq + 1) & SEQ_MASK
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for (slot, seq) in [
            (0u16, 0u64),
            (1, 1),
            (0xffff, SEQ_MASK),
            (77, 0x1234_5678_9abc),
        ] {
            let ud = UserData { slot, seq };
            assert_eq!(UserData::decode(ud.encode()), ud);
        }
        assert_eq!(UserData { slot: 3, seq: 5 }.encode(), 0x5_0003);
    }

    #[test]
    fn sequence_wraps_at_48_bits() {
        assert_eq!(UserData::next_seq(SEQ_MASK), 0);
        assert_eq!(UserData::next_seq(41), 42);
    }

    #[test]
    fn internal_marker_is_not_a_valid_slot_of_a_real_queue() {
        // Queues are limited to 32768 entries (io_uring's maximum), so slot 0xffff never exists.
        assert_eq!(UserData::decode(INTERNAL).slot, 0xffff);
        const { assert!(crate::options::MAX_DEPTH < 0xffff) };
    }
}
