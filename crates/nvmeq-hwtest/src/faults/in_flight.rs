//! Commands held in flight while something happens to the controller (a reset, a
//! removal), and the accounting every such row asserts: each tag comes back exactly once,
//! with its buffer; how many ended after the event; the slowest end.

use std::time::{Duration, Instant};

use nvmeq_core::cmd::{Read, Write};
use nvmeq_core::{Backend, Error, IoBuf};

use crate::pattern::fill;
use crate::registry::HwBackend;
use crate::suite::Ctx;

/// One command's end: its result, whether its buffer came back, and when it was reaped.
struct End {
    result: Result<(), Error>,
    buf: bool,
    at: Instant,
}

/// The commands pushed and what came back of them.
pub(super) struct InFlight {
    ends: Vec<Vec<End>>,
    /// When the first command was pushed.
    pub pushed: Instant,
    /// A tag reaped that was never pushed.
    stray: Option<u64>,
}

/// What the ends came to.
pub(super) struct Tally {
    /// What is wrong: a tag not back exactly once, a buffer lost, a disallowed result.
    pub bad: Vec<String>,
    /// Each tag's end, for the report.
    pub seen: Vec<String>,
    /// Commands that ended at or after the event.
    pub after: usize,
    /// The slowest end, from the push.
    pub slowest: Duration,
}

impl InFlight {
    /// Pushes `n` one-block commands on `c`: reads of blocks 1.. and, when `n` > 1, a last
    /// write of a `seed` pattern to `write_slba` (its data may or may not reach the media).
    pub fn push<B: HwBackend>(
        c: &mut Ctx<B>,
        n: u32,
        write_slba: u64,
        seed: u64,
    ) -> Result<InFlight, String> {
        let lba = c.lba;
        let pushed = Instant::now();
        for i in 0..n as u64 {
            let mut buf = c.b.alloc(lba as usize).map_err(|e| format!("alloc: {e}"))?;
            let cmd = if i + 1 == n as u64 && n > 1 {
                fill(buf.as_mut_slice(), lba, write_slba, seed);
                Write::new(c.nsid, write_slba, 0).build()
            } else {
                Read::new(c.nsid, 1 + i, 0).build()
            };
            if let Err(rej) = c.b.push(&cmd, Some(buf), i) {
                return Err(format!("command {i} not queued: {}", rej.into_error()));
            }
        }
        Ok(InFlight {
            ends: (0..n).map(|_| Vec::new()).collect(),
            pushed,
            stray: None,
        })
    }

    /// Reaps what `b` has completed.
    pub fn record<B: Backend>(&mut self, b: &mut B) {
        let (ends, stray) = (&mut self.ends, &mut self.stray);
        b.reap(|r| match ends.get_mut(r.tag as usize) {
            Some(v) => v.push(End {
                result: r.result.map(drop),
                buf: r.buf.is_some(),
                at: Instant::now(),
            }),
            None => *stray = Some(r.tag),
        });
    }

    /// Checks every end against `event` (`what` happened then): `limit` bounds each end
    /// from the push; `allowed` says whether an error is one the event may give.
    pub fn tally(
        &self,
        what: &str,
        event: Instant,
        limit: Option<Duration>,
        allowed: impl Fn(&Error) -> bool,
    ) -> Tally {
        let mut t = Tally {
            bad: Vec::new(),
            seen: Vec::new(),
            after: 0,
            slowest: Duration::ZERO,
        };
        if let Some(tag) = self.stray {
            t.bad
                .push(format!("reaped tag {tag}, which was never pushed"));
        }
        for (i, v) in self.ends.iter().enumerate() {
            let [e] = v.as_slice() else {
                t.bad.push(format!("tag {i} came back {} times", v.len()));
                continue;
            };
            if !e.buf {
                t.bad.push(format!("tag {i}: its buffer did not come back"));
            }
            let took = e.at.duration_since(self.pushed);
            t.slowest = t.slowest.max(took);
            if limit.is_some_and(|l| took > l) {
                t.bad
                    .push(format!("tag {i} ended after {} ms", took.as_millis()));
            }
            t.after += usize::from(e.at >= event);
            match &e.result {
                Ok(()) => t.seen.push(format!("{i}: done")),
                Err(err) if allowed(err) => t.seen.push(format!("{i}: {err}")),
                Err(err) => t
                    .bad
                    .push(format!("tag {i}: not an error {what} gives: {err}")),
            }
        }
        t
    }
}

impl Tally {
    /// `Err` naming everything wrong (and what each tag did), else the tally.
    pub fn into_result(self) -> Result<Tally, String> {
        if self.bad.is_empty() {
            Ok(self)
        } else {
            Err(format!("{}; {}", self.bad.join(", "), self.seen.join(", ")))
        }
    }
}
