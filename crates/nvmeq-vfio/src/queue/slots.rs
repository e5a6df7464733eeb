//! Per-queue command slots: what each in-flight command owns (its tag, its
//! buffer, its deadline). Slot numbers form the low bits of the cid.

use std::time::Instant;

use nvmeq_core::Command;

use super::cid::{CidCodec, CidError};

/// One command slot.
#[derive(Debug)]
pub(crate) struct Slot<B> {
    /// Sequence number of the current (or last) command.
    seq: u16,
    busy: bool,
    /// The caller's tag.
    pub(crate) tag: u64,
    /// The buffer, owned here while the command is in flight.
    pub(crate) buf: Option<B>,
    /// The separate metadata buffer (MPTR), owned here the same way.
    pub(crate) meta: Option<B>,
    /// When the command times out (set when its doorbell is rung).
    pub(crate) deadline: Option<Instant>,
    /// A synchronous command (`execute`): its completion goes to the waiter,
    /// not the reap list.
    pub(crate) sync: bool,
    /// An Abort was sent for it.
    pub(crate) aborting: bool,
    /// No timeout applies (Asynchronous Event Request: completes only on an event).
    pub(crate) untimed: bool,
    /// The command may change namespaces' formats (Format NVM, Namespace
    /// Management or Attachment): cached LBA sizes are stale once it ends.
    pub(crate) ns_change: bool,
    /// PRP list entries written by the last command in this slot (stale ones
    /// beyond the next command's are zeroed, so an over-long transfer faults).
    pub(crate) prp_used: usize,
    /// The entry as written (cid and data pointer included), for resubmission:
    /// stored only for a command pushed with retries (the only kind resubmitted).
    pub(crate) sqe: Command,
    /// How many more times a controller reset may resubmit the command.
    pub(crate) retries_left: u8,
}

/// The slots of one queue.
#[derive(Debug)]
pub(crate) struct Slots<B> {
    slots: Vec<Slot<B>>,
    free: Vec<u16>,
    codec: CidCodec,
}

impl<B> Slots<B> {
    pub(crate) fn new(n: u16) -> Self {
        let slots = (0..n)
            .map(|_| Slot {
                seq: 0,
                busy: false,
                tag: 0,
                buf: None,
                meta: None,
                deadline: None,
                sync: false,
                aborting: false,
                untimed: false,
                ns_change: false,
                prp_used: 0,
                sqe: Command::default(),
                retries_left: 0,
            })
            .collect();
        // Popped from the end: slot 0 first.
        let free = (0..n).rev().collect();
        Slots {
            slots,
            free,
            codec: CidCodec::new(n),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// Slots holding a command.
    pub(crate) fn busy_count(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Takes a free slot for a new command (next sequence number); `None` if all busy.
    pub(crate) fn take(&mut self) -> Option<u16> {
        let i = self.free.pop()?;
        let s = &mut self.slots[i as usize];
        s.seq = self.codec.next_seq(i, s.seq);
        s.busy = true;
        s.deadline = None;
        s.sync = false;
        s.aborting = false;
        s.untimed = false;
        s.ns_change = false;
        s.retries_left = 0;
        Some(i)
    }

    /// The cid of the command in `slot`.
    pub(crate) fn cid(&self, slot: u16) -> u16 {
        self.codec.encode(slot, self.slots[slot as usize].seq)
    }

    /// The slot a completion's cid names, if that slot's current command has it.
    pub(crate) fn lookup(&self, cid: u16) -> Result<u16, CidError> {
        let (slot, seq) = self.codec.decode(cid);
        let s = self.slots.get(slot as usize).ok_or(CidError::NoSuchSlot)?;
        if !s.busy {
            return Err(CidError::SlotIdle);
        }
        if s.seq != seq {
            return Err(CidError::StaleSequence);
        }
        Ok(slot)
    }

    pub(crate) fn get(&self, slot: u16) -> &Slot<B> {
        &self.slots[slot as usize]
    }

    pub(crate) fn get_mut(&mut self, slot: u16) -> &mut Slot<B> {
        &mut self.slots[slot as usize]
    }

    /// Frees `slot`, returning its tag, buffer, metadata buffer and whether
    /// it was synchronous.
    pub(crate) fn release(&mut self, slot: u16) -> (u64, Option<B>, Option<B>, bool) {
        let s = &mut self.slots[slot as usize];
        debug_assert!(s.busy);
        s.busy = false;
        s.deadline = None;
        let out = (s.tag, s.buf.take(), s.meta.take(), s.sync);
        self.free.push(slot);
        out
    }

    /// Busy slot numbers.
    pub(crate) fn busy(&self) -> impl Iterator<Item = u16> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.busy)
            .map(|(i, _)| i as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_are_matched_by_slot_and_sequence() {
        let mut s: Slots<Vec<u8>> = Slots::new(4);
        let a = s.take().unwrap();
        let cid_a = s.cid(a);
        s.get_mut(a).tag = 7;
        s.get_mut(a).buf = Some(vec![1]);
        s.get_mut(a).meta = Some(vec![2]);
        assert_eq!(s.lookup(cid_a), Ok(a));
        let (tag, buf, meta, sync) = s.release(a);
        assert_eq!(
            (tag, buf, meta, sync),
            (7, Some(vec![1]), Some(vec![2]), false)
        );
        // A duplicate completion for the released command is refused.
        assert_eq!(s.lookup(cid_a), Err(CidError::SlotIdle));
        // The slot is reused with a new sequence: the old cid is stale.
        let b = s.take().unwrap();
        assert_eq!(b, a, "LIFO reuse");
        assert_ne!(s.cid(b), cid_a);
        assert_eq!(s.lookup(cid_a), Err(CidError::StaleSequence));
        assert_eq!(s.lookup(s.cid(b)), Ok(b));
        // Slot numbers beyond the queue (3 slots use 2 bits; slot 3 does not exist).
        let t: Slots<()> = Slots::new(3);
        assert_eq!(t.lookup(0x0003), Err(CidError::NoSuchSlot));
    }

    #[test]
    fn a_new_command_starts_without_retries_and_keeps_its_entry() {
        let mut s: Slots<()> = Slots::new(2);
        let a = s.take().unwrap();
        s.get_mut(a).retries_left = 3;
        s.get_mut(a).sqe.cdw10 = 42;
        let cid = s.cid(a);
        // Kept across a reset: still busy, same cid, entry intact.
        assert_eq!(s.lookup(cid), Ok(a));
        assert_eq!(s.get(a).sqe.cdw10, 42);
        s.release(a);
        let b = s.take().unwrap();
        assert_eq!(b, a);
        assert_eq!(s.get(b).retries_left, 0, "retries are per command");
    }

    #[test]
    fn all_slots_can_be_busy_then_none() {
        let mut s: Slots<()> = Slots::new(3);
        let got: Vec<u16> = (0..3).map(|_| s.take().unwrap()).collect();
        assert_eq!(got, vec![0, 1, 2]);
        assert_eq!(s.take(), None);
        assert_eq!(s.busy_count(), 3);
        assert_eq!(s.busy().collect::<Vec<_>>(), vec![0, 1, 2]);
        s.release(1);
        assert_eq!(s.busy().collect::<Vec<_>>(), vec![0, 2]);
        assert_eq!(s.take(), Some(1));
    }
}
