//! The in-flight table: one slot per command the queue may hold, allocated
//! once. A slot owns the command's buffers, the caller's tag and (for
//! vectored commands) the `iovec` array the kernel reads, from `push` until
//! the completion is handed out, so none of them can be freed, reused or
//! rewritten while the kernel may still access them.

use std::collections::VecDeque;

use crate::iov::Iov;
use crate::tag::UserData;
use nvmeq_core::{Completion, Error};

/// Where a slot's command is: a byte beside the slot's tag and buffer, so
/// taking a slot in and out moves only those, never a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    /// Written to the SQ (submitted or not); the kernel may access `buf`.
    InFlight,
    /// Completed and parked (it arrived while `execute` waited for its own);
    /// its result waits in [`Slab::done`].
    Done,
}

/// A slot's buffers stay in place (`B::default()` when empty): a command's
/// completion takes what its caller wants out of them where they are.
#[derive(Debug)]
struct Slot<B> {
    seq: u64,
    tag: u64,
    state: State,
    buf: B,
}

/// A fixed-capacity table of in-flight commands.
#[derive(Debug)]
pub struct Slab<B> {
    slots: Box<[Slot<B>]>,
    free: Vec<u16>,
    /// Parked completions in arrival order: slot and result. Never holds
    /// more than the slots, so it never grows past its first allocation.
    done: VecDeque<(u16, Result<Completion, Error>)>,
    /// `segs` iovecs per slot, slot `i` at `i * segs`; allocated once, never
    /// resized, so the addresses handed to the kernel stay put.
    iovs: Box<[Iov]>,
    segs: usize,
}

impl<B: Default> Slab<B> {
    /// A table with `capacity` slots (at most [`crate::tag::MAX_SLOTS`]), each
    /// with room for `segs` iovecs; the only allocations.
    pub fn new(capacity: usize, segs: usize) -> Self {
        assert!(capacity > 0 && capacity < crate::tag::MAX_SLOTS);
        let slots = (0..capacity)
            .map(|_| Slot {
                seq: 0,
                tag: 0,
                state: State::Free,
                buf: B::default(),
            })
            .collect();
        // Hand out low slots first.
        let free = (0..capacity as u16).rev().collect();
        Slab {
            slots,
            free,
            done: VecDeque::with_capacity(capacity),
            iovs: vec![Iov::default(); capacity * segs].into_boxed_slice(),
            segs,
        }
    }

    /// The slot of the command in flight that `ud` names exactly.
    #[inline]
    fn live(&mut self, ud: UserData) -> Option<&mut Slot<B>> {
        self.slots
            .get_mut(ud.slot as usize)
            .filter(|s| s.seq == ud.seq && s.state == State::InFlight)
    }

    /// The buffers and the iovec array of the command in flight in `ud`'s
    /// slot (`None` unless that exact command is in flight). The array's
    /// address is stable for the slab's life.
    pub fn in_flight_parts(&mut self, ud: UserData) -> Option<(&mut B, &mut [Iov])> {
        let segs = self.segs;
        let s = self.slots.get_mut(ud.slot as usize)?;
        if s.seq != ud.seq || s.state != State::InFlight {
            return None;
        }
        let at = ud.slot as usize * segs;
        Some((&mut s.buf, &mut self.iovs[at..at + segs]))
    }

    /// Slots in use (in flight or done but not handed out).
    #[inline]
    pub fn in_use(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Total slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// True when no slot is free.
    #[cfg(test)]
    pub fn is_full(&self) -> bool {
        self.free.is_empty()
    }

    /// Takes a free slot for a command, or gives the buffer back when full.
    pub fn insert(&mut self, tag: u64, buf: B) -> Result<UserData, B> {
        let Some(slot) = self.free.pop() else {
            return Err(buf);
        };
        let s = &mut self.slots[slot as usize];
        s.seq = UserData::next_seq(s.seq);
        s.tag = tag;
        s.state = State::InFlight;
        s.buf = buf;
        Ok(UserData { slot, seq: s.seq })
    }

    /// Takes a free slot for a command and hands out its buffers (as the
    /// last completion left them: empty, every completion takes them out)
    /// and iovec array for the caller to fill; `None` when full.
    #[allow(clippy::type_complexity)]
    #[inline]
    pub fn insert_with(&mut self, tag: u64) -> Option<(UserData, &mut B, &mut [Iov])> {
        let slot = self.free.pop()?;
        let segs = self.segs;
        let s = &mut self.slots[slot as usize];
        s.seq = UserData::next_seq(s.seq);
        s.tag = tag;
        s.state = State::InFlight;
        let ud = UserData { slot, seq: s.seq };
        let at = slot as usize * segs;
        Some((ud, &mut s.buf, &mut self.iovs[at..at + segs]))
    }

    /// Undoes an `insert` whose SQE never reached the ring.
    pub fn cancel_insert(&mut self, ud: UserData) -> Option<B> {
        self.complete(ud.encode()).ok().map(|(_, buf)| buf)
    }

    /// Matches a completion's user_data to its slot and frees the slot,
    /// handing out the command's tag and buffer; `Err` is the slot index of
    /// a user_data that names no command in flight (wrong slot, stale
    /// sequence).
    pub fn complete(&mut self, raw_user_data: u64) -> Result<(u64, B), u16> {
        self.complete_with(raw_user_data, |tag, buf| (tag, core::mem::take(buf)))
    }

    /// [`complete`](Self::complete) that lets `f` take from the slot's
    /// buffers in place (given the tag) instead of moving them all out; the
    /// slot is free once `f` returns. `Err` is the slot index of a user_data
    /// that names no command in flight.
    #[inline]
    pub fn complete_with<R>(
        &mut self,
        raw_user_data: u64,
        f: impl FnOnce(u64, &mut B) -> R,
    ) -> Result<R, u16> {
        let ud = UserData::decode(raw_user_data);
        let Some(s) = self.live(ud) else {
            return Err(ud.slot);
        };
        s.state = State::Free;
        let r = f(s.tag, &mut s.buf);
        // Never grows: one entry per slot, reserved in `new`.
        self.free.push(ud.slot);
        Ok(r)
    }

    /// Parks a completion that arrived for another command while `execute`
    /// waited; [`Slab::pop_done_with`] hands it out later. The slot stays taken.
    pub fn park(&mut self, raw_user_data: u64, result: Result<Completion, Error>) -> bool {
        let ud = UserData::decode(raw_user_data);
        let Some(s) = self.live(ud) else {
            return false;
        };
        s.state = State::Done;
        // At most one entry per slot: within the capacity reserved in `new`.
        self.done.push_back((ud.slot, result));
        true
    }

    /// The oldest parked completion, freeing its slot.
    #[cfg(test)]
    pub fn pop_done(&mut self) -> Option<(u64, B, Result<Completion, Error>)> {
        self.pop_done_with(|tag, buf, r| (tag, core::mem::take(buf), r))
    }

    /// The oldest parked completion, freeing its slot; `f` takes from the slot's
    /// buffers in place.
    #[inline]
    pub fn pop_done_with<R>(
        &mut self,
        f: impl FnOnce(u64, &mut B, Result<Completion, Error>) -> R,
    ) -> Option<R> {
        let (slot, result) = self.done.pop_front()?;
        let s = &mut self.slots[slot as usize];
        debug_assert_eq!(s.state, State::Done);
        s.state = State::Free;
        let r = f(s.tag, &mut s.buf, result);
        self.free.push(slot);
        Some(r)
    }

    /// Parked completions not yet handed out.
    #[inline]
    pub fn done_len(&self) -> usize {
        self.done.len()
    }

    /// Slots whose commands the kernel may still be working on.
    pub fn in_flight(&self) -> usize {
        self.in_use() - self.done.len()
    }

    /// user_data of every command in flight (for cancellation on drop).
    pub fn in_flight_user_data(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.state == State::InFlight)
            .map(|(i, s)| {
                UserData {
                    slot: i as u16,
                    seq: s.seq,
                }
                .encode()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_slab_gives_the_buffer_back() {
        let mut s = Slab::<Option<Vec<u8>>>::new(2, 0);
        s.insert(1, None).unwrap();
        s.insert(2, Some(vec![1])).unwrap();
        assert!(s.is_full());
        assert_eq!(s.insert(3, Some(vec![9, 9])).unwrap_err(), Some(vec![9, 9]));
        assert_eq!(s.in_use(), 2);
    }

    #[test]
    fn completion_returns_tag_and_buffer_once() {
        let mut s = Slab::<Option<Vec<u8>>>::new(4, 0);
        let ud = s.insert(42, Some(vec![7u8; 3])).unwrap();
        match s.complete(ud.encode()) {
            Ok((tag, buf)) => {
                assert_eq!(tag, 42);
                assert_eq!(buf, Some(vec![7; 3]));
            }
            m => panic!("{m:?}"),
        }
        // A second completion with the same user_data is stale.
        assert!(s.complete(ud.encode()).is_err());
        assert_eq!(s.in_use(), 0);
    }

    #[test]
    fn stale_sequence_is_detected_after_slot_reuse() {
        let mut s = Slab::<Option<()>>::new(1, 0);
        let first = s.insert(1, None).unwrap();
        assert!(s.complete(first.encode()).is_ok());
        let second = s.insert(2, None).unwrap();
        assert_eq!(first.slot, second.slot);
        assert_ne!(first.seq, second.seq);
        assert!(matches!(s.complete(first.encode()), Err(0)));
        // The live command is untouched by the stale completion.
        assert!(matches!(s.complete(second.encode()), Ok((2, _))));
    }

    #[test]
    fn out_of_range_slot_is_unexpected() {
        let mut s = Slab::<Option<()>>::new(2, 0);
        let bogus = UserData { slot: 9, seq: 1 }.encode();
        assert!(matches!(s.complete(bogus), Err(9)));
        assert!(matches!(s.complete(crate::tag::INTERNAL), Err(0xffff)));
    }

    #[test]
    fn parked_completions_come_out_in_order() {
        let mut s = Slab::<Option<u8>>::new(3, 0);
        let a = s.insert(10, Some(1)).unwrap();
        let b = s.insert(11, Some(2)).unwrap();
        assert!(s.park(b.encode(), Err(Error::Internal("x"))));
        assert!(s.park(a.encode(), Ok(Completion::default())));
        assert!(
            !s.park(a.encode(), Ok(Completion::default())),
            "already parked"
        );
        assert_eq!(s.in_flight(), 0);
        assert_eq!(s.in_use(), 2);
        let (tag, buf, r) = s.pop_done().unwrap();
        assert_eq!((tag, buf, r), (11, Some(2), Err(Error::Internal("x"))));
        let (tag, _, r) = s.pop_done().unwrap();
        assert_eq!(tag, 10);
        assert!(r.is_ok());
        assert!(s.pop_done().is_none());
        assert_eq!(s.in_use(), 0);
    }

    #[test]
    fn cancel_insert_returns_the_buffer() {
        let mut s = Slab::<Option<String>>::new(1, 0);
        let ud = s.insert(5, Some(String::from("buf"))).unwrap();
        assert_eq!(s.cancel_insert(ud), Some(Some(String::from("buf"))));
        assert!(!s.is_full());
    }

    #[test]
    fn in_flight_user_data_lists_live_commands() {
        let mut s = Slab::<Option<()>>::new(4, 0);
        let a = s.insert(1, None).unwrap();
        let b = s.insert(2, None).unwrap();
        assert!(s.complete(a.encode()).is_ok());
        let live: Vec<u64> = s.in_flight_user_data().collect();
        assert_eq!(live, vec![b.encode()]);
    }

    #[test]
    fn each_slot_owns_a_fixed_iovec_array_until_its_command_completes() {
        let mut s = Slab::<Option<u8>>::new(3, 4);
        let a = s.insert(1, Some(10)).unwrap();
        let b = s.insert(2, None).unwrap();
        let (buf, iov) = s.in_flight_parts(a).unwrap();
        assert_eq!((*buf, iov.len()), (Some(10), 4));
        iov[0] = Iov {
            base: 0xa000,
            len: 1,
        };
        let a_addr = iov.as_ptr();
        let (_, iov) = s.in_flight_parts(b).unwrap();
        assert_eq!(iov[0], Iov::default(), "slots do not share arrays");
        iov[3] = Iov {
            base: 0xb000,
            len: 2,
        };
        let b_addr = iov.as_ptr();
        assert_ne!(a_addr, b_addr);
        // Another command's activity leaves slot a's array alone.
        let c = s.insert(3, None).unwrap();
        assert!(s.complete(c.encode()).is_ok());
        let (_, iov) = s.in_flight_parts(a).unwrap();
        assert_eq!(
            (iov[0], iov.as_ptr()),
            (
                Iov {
                    base: 0xa000,
                    len: 1
                },
                a_addr
            )
        );
        // Once completed (or for a stale user_data) there is no access.
        assert!(s.complete(a.encode()).is_ok());
        assert!(s.in_flight_parts(a).is_none());
        let again = s.insert(4, None).unwrap();
        assert_eq!(again.slot, a.slot);
        assert!(s.in_flight_parts(a).is_none(), "stale sequence");
        assert_eq!(
            s.in_flight_parts(again).unwrap().1.as_ptr(),
            a_addr,
            "same slot, same array"
        );
        // Parked (completed while execute waited): no longer writable either.
        assert!(s.park(b.encode(), Ok(Completion::default())));
        assert!(s.in_flight_parts(b).is_none());
    }

    #[test]
    fn a_slab_without_segments_has_empty_arrays() {
        let mut s = Slab::<Option<()>>::new(2, 0);
        let a = s.insert(1, None).unwrap();
        assert!(s.in_flight_parts(a).unwrap().1.is_empty());
    }
}
