//! Timeouts, Abort, controller reset, fatal status and shutdown. Whatever
//! happens, every command in flight completes (with an error if need be) and
//! no wait is unbounded.

use std::thread::sleep;
use std::time::{Duration, Instant};

use nvmeq_core::{Error, Reaped};

use nvmeq_core::cmd::{Abort, DeleteIoCq, DeleteIoSq};

use super::Controller;
use crate::platform::{Platform, Regs};
use crate::queue::{Push, Raw};
use nvmeq_core::regs::{self, Cc, Csts};

/// How often wait loops look at CSTS and deadlines.
const CHECK_EVERY: Duration = Duration::from_millis(1);

impl<P: Platform> Controller<P> {
    /// Housekeeping from wait loops, at most every millisecond: controller
    /// fatal status and expired commands.
    pub(super) fn tick(&mut self) {
        self.tick_with(true);
    }

    /// [`Self::tick`]; with `expire` false, a command past its deadline is
    /// left alone (a shutdown's own bounded wait ends it instead, so what it
    /// comes back with does not depend on which deadline the clock reaches first).
    #[inline]
    fn tick_with(&mut self, expire: bool) {
        // Reading the clock every spin would cost more than polling.
        self.spins = self.spins.wrapping_add(1);
        if self.spins % 64 != 0 {
            return;
        }
        let now = Instant::now();
        if now < self.next_check || self.dead.is_some() {
            return;
        }
        self.next_check = now + CHECK_EVERY;
        let raw = self.csts();
        if !self.resetting && self.request.as_ref().is_some_and(|r| r.asked()) {
            self.give_back();
            return;
        }
        if !self.resetting && (raw == u32::MAX || Csts::from_bits(raw).cfs()) {
            self.reset_controller(
                None,
                "controller fatal status (CSTS.CFS); controller was reset",
                true,
            );
            return;
        }
        if expire {
            self.expire(now);
        }
    }

    /// Handles the first expired command found: Abort for an I/O command (once),
    /// else a controller reset.
    fn expire(&mut self, now: Instant) {
        let mut found = None;
        'scan: for qi in 0..self.qs.len() {
            if self.in_recovery && qi != 0 {
                continue;
            }
            let q = &self.qs[qi];
            for slot in q.slots.busy() {
                if q.slots.get(slot).deadline.is_some_and(|d| d <= now) {
                    found = Some((qi, slot));
                    break 'scan;
                }
            }
        }
        let Some((qi, slot)) = found else { return };
        if qi == 0 || self.in_recovery || self.qs[qi].slots.get(slot).aborting {
            self.reset_controller(
                Some((qi, slot)),
                "controller reset after a command timed out",
                true,
            );
        } else {
            self.abort(qi, slot);
        }
    }

    /// Sends Abort for the command in `slot` of queue `qi`; resets the
    /// controller if the Abort fails or the controller declines.
    fn abort(&mut self, qi: usize, slot: u16) {
        let cid = self.qs[qi].cid(slot);
        let sqid = self.qs[qi].qid;
        self.stats.aborts += 1;
        self.in_recovery = true;
        let t = self.opts.admin_timeout;
        let abort = Abort::new(sqid, cid).build().sqe;
        let resets = self.stats.resets;
        let (r, _) = self.run_sync(0, abort, None, &Push::sync(0, Raw::No), t);
        self.in_recovery = false;
        if self.dead.is_some()
            || self.stats.resets != resets
            || self.qs[qi].slots.lookup(cid) != Ok(slot)
        {
            // Completed meanwhile, or a reset finished (or resubmitted) it.
            return;
        }
        match r {
            // Dword 0 bit 0 clear: the command was aborted; its completion
            // (Command Abort Requested) follows. Give it the admin timeout.
            Ok(c) if Abort::aborted(&c) => {
                let s = self.qs[qi].slots.get_mut(slot);
                s.aborting = true;
                s.deadline = Some(Instant::now() + t);
            }
            _ => self.reset_controller(
                Some((qi, slot)),
                "controller reset after a command timed out",
                true,
            ),
        }
    }

    /// Disables the controller, completes every command in flight with an
    /// error (`Timeout` for `expired`, `Aborted(why)` for the rest), then brings
    /// it back up with the same queues. If the controller cannot be stopped,
    /// buffers are leaked (the device might still write them) and it is dead.
    ///
    /// With `retry`, commands with retries left ([`crate::Options::retries`])
    /// stay in their slots instead (buffer, cid and data pointer unchanged)
    /// and are written to the recreated queues once the controller is back.
    pub(super) fn reset_controller(
        &mut self,
        expired: Option<(usize, u16)>,
        why: &'static str,
        retry: bool,
    ) {
        if self.resetting {
            // A command of the re-initialisation itself failed.
            self.dead = Some("the controller failed again while being reset");
            return;
        }
        self.resetting = true;
        self.stats.resets += 1;
        let stopped = self.disable().is_ok();
        let keep = self.fail_in_flight(expired, why, retry && stopped, stopped);
        if !stopped {
            self.dead = Some(
                "the controller did not stop during a reset; its DMA memory was leaked on purpose",
            );
            self.resetting = false;
            return;
        }
        let up = self.enable().is_ok() && self.setup_io().is_ok();
        if !up && self.dead.is_none() {
            self.dead = Some("the controller could not be brought back up after a reset");
        }
        self.resetting = false;
        self.resubmit(keep);
    }

    /// Completes every command in flight with an error (`Timeout` for
    /// `expired`, `Aborted(why)` for the rest), except, with `retry`, those
    /// with retries left, which stay in their slots and are returned. Buffers
    /// come back only if the controller is `stopped`; otherwise the device
    /// might still write them, and they are leaked.
    fn fail_in_flight(
        &mut self,
        expired: Option<(usize, u16)>,
        why: &'static str,
        retry: bool,
        stopped: bool,
    ) -> Vec<(usize, u16)> {
        let mut keep = Vec::new();
        for qi in 0..self.qs.len() {
            let busy: Vec<u16> = self.qs[qi].slots.busy().collect();
            let ms = if qi == 0 {
                self.opts.admin_timeout
            } else {
                self.opts.io_timeout
            }
            .as_micros()
            .div_ceil(1000)
            .min(u32::MAX as u128) as u32;
            for slot in busy {
                let s = self.qs[qi].slots.get_mut(slot);
                if retry && s.retries_left > 0 {
                    s.retries_left -= 1;
                    s.deadline = None;
                    keep.push((qi, slot));
                    continue;
                }
                let cid = self.qs[qi].cid(slot);
                if self.qs[qi].slots.get(slot).ns_change {
                    self.ns.clear();
                }
                let (tag, buf, meta, sync) = self.qs[qi].slots.release(slot);
                let (buf, meta) = if stopped {
                    (buf, meta)
                } else {
                    // The device may still DMA into them: never give them back or free them.
                    std::mem::forget(buf);
                    std::mem::forget(meta);
                    (None, None)
                };
                let err = if expired == Some((qi, slot)) {
                    Error::Timeout { ms }
                } else {
                    Error::Aborted(why)
                };
                if sync {
                    self.sync_done.push((qi, cid, Err(err), buf, meta));
                } else {
                    self.done[qi].push_back(Reaped {
                        tag,
                        result: Err(err),
                        buf,
                        meta,
                    });
                }
            }
        }
        keep
    }

    /// The kernel asked for the device back: shuts the controller down as
    /// [`Controller::shutdown`] does (what is in flight gets its bounded time
    /// to finish, and completes with
    /// [`REMOVAL_REQUESTED`](crate::ctrl::REMOVAL_REQUESTED) if it does not),
    /// then refuses everything after, so the owner sees it and drops the
    /// controller. Finishing first, as the kernel's driver does on an orderly
    /// removal, keeps writes the device already took.
    fn give_back(&mut self) {
        let _ = self.quiesce(super::REMOVAL_REQUESTED);
        self.dead = Some(if self.disable().is_ok() {
            super::REMOVAL_REQUESTED
        } else {
            "the kernel asked for the device back, and the controller did not stop; its DMA \
             memory was leaked on purpose"
        });
    }

    /// Writes the kept commands to their recreated queues and rings them;
    /// if the controller is dead, completes them with its reason instead
    /// (they were never sent to it again, so their buffers come back).
    fn resubmit(&mut self, keep: Vec<(usize, u16)>) {
        let now = Instant::now();
        let mut rung = vec![false; self.qs.len()];
        for (qi, slot) in keep {
            let failed = match self.dead {
                Some(why) => Some(why),
                None if !self.qs[qi].resubmit(slot) => Some("no room to resubmit after a reset"),
                None => None,
            };
            match failed {
                None => {
                    self.stats.retries += 1;
                    rung[qi] = true;
                }
                Some(why) => {
                    let cid = self.qs[qi].cid(slot);
                    let (tag, buf, meta, sync) = self.qs[qi].slots.release(slot);
                    let result = Err(Error::Aborted(why));
                    if sync {
                        self.sync_done.push((qi, cid, result, buf, meta));
                    } else {
                        self.done[qi].push_back(Reaped {
                            tag,
                            result,
                            buf,
                            meta,
                        });
                    }
                }
            }
        }
        for (qi, r) in rung.into_iter().enumerate() {
            if r {
                self.ring(qi, now);
            }
        }
    }

    /// Resets the controller now: every command in flight completes with
    /// `Error::Aborted`, then the queues are recreated; with
    /// [`crate::Options::retries`], commands safe to repeat are resubmitted
    /// to them instead.
    pub fn reset(&mut self) -> Result<(), Error> {
        if let Some(why) = self.dead {
            return Err(Error::Aborted(why));
        }
        self.reset_controller(None, "controller reset requested", true);
        match self.dead {
            Some(why) => Err(Error::Aborted(why)),
            None => Ok(()),
        }
    }

    /// NVM Subsystem Reset: writes "NVMe" to NSSR, which resets every
    /// controller of the subsystem, then brings this one up again as
    /// [`Self::reset`] does (commands in flight complete with an error or
    /// are retried). Refused when CAP.NSSRS says the controller has none.
    pub fn subsystem_reset(&mut self) -> Result<(), Error> {
        if let Some(why) = self.dead {
            return Err(Error::Aborted(why));
        }
        if !self.cap.nssrs() {
            return Err(Error::Unsupported(
                "the controller does not support NVM Subsystem Reset (CAP.NSSRS is 0)",
            ));
        }
        self.bar.write32(regs::NSSR, regs::NSSR_RESET);
        self.reset_controller(None, "NVM Subsystem Reset requested", true);
        match self.dead {
            Some(why) => Err(Error::Aborted(why)),
            None => Ok(()),
        }
    }

    /// Normal shutdown: lets commands in flight finish (bounded), deletes the
    /// I/O queues, sets CC.SHN and waits for CSTS.SHST, then disables the
    /// controller so no DMA can follow. Commands still in flight complete with
    /// `Error::Aborted` and can be reaped until the controller is dropped.
    pub fn shutdown(&mut self) -> Result<(), Error> {
        self.quiesce("controller shut down with the command in flight")
    }

    /// [`Controller::shutdown`], with `why` for the commands that do not
    /// finish in time.
    fn quiesce(&mut self, why: &'static str) -> Result<(), Error> {
        if let Some(why) = self.dead {
            return Err(Error::Aborted(why));
        }
        // Submit what was written and give it a bounded time to finish.
        let deadline = Instant::now() + self.opts.io_timeout.min(Duration::from_secs(5));
        let _ = self.submit_all();
        // (Asynchronous Event Requests never finish by themselves: not waited for.)
        while self.qs.iter().any(|q| q.busy_timed() > 0) && Instant::now() < deadline {
            self.poll_all();
            self.tick_with(false);
            if self.dead.is_some() {
                break;
            }
            std::hint::spin_loop();
        }
        if self.qs.iter().any(|q| q.slots.busy_count() > 0) && self.dead.is_none() {
            self.reset_controller(None, why, false);
        }
        if let Some(why) = self.dead {
            return Err(Error::Aborted(why));
        }
        // Delete SQs before their CQs; failures do not stop the shutdown.
        for i in 1..self.qs.len() {
            let qid = self.qs[i].qid;
            let _ = self.admin_nodata(DeleteIoSq::new(qid).build());
            let _ = self.admin_nodata(DeleteIoCq::new(qid).build());
        }
        let cc = Cc::from_bits(self.bar.read32(regs::CC));
        self.bar
            .write32(regs::CC, cc.with_shn(Cc::SHN_NORMAL).into_bits());
        let limit = self.cap_timeout().max(Duration::from_secs(1));
        let start = Instant::now();
        let mut complete = false;
        while start.elapsed() < limit {
            let raw = self.csts();
            if raw != u32::MAX && Csts::from_bits(raw).shst() == Csts::SHST_COMPLETE {
                complete = true;
                break;
            }
            sleep(Duration::from_millis(1));
        }
        let stopped = self.disable();
        if stopped.is_err() {
            self.dead = Some(
                "the controller did not stop after shutdown; its DMA memory was leaked on purpose",
            );
        } else {
            self.dead = Some("the controller was shut down");
        }
        match (complete, stopped) {
            (true, Ok(())) => Ok(()),
            (false, _) => Err(Error::Aborted(
                "shutdown did not complete (CSTS.SHST) in time",
            )),
            (_, Err(w)) => Err(Error::Aborted(w)),
        }
    }
}

impl<P: Platform> Drop for Controller<P> {
    fn drop(&mut self) {
        if self.dead.is_none() {
            let _ = self.shutdown();
        }
        // Free DMA memory only once the controller is known to be stopped.
        if self.disable().is_err() {
            // It may still DMA: its queues, PRP lists and shadow doorbells stay
            // mapped and allocated forever rather than be reused.
            std::mem::forget(std::mem::take(&mut self.qs));
            std::mem::forget(self.shadow.take());
            std::mem::forget(self.bounce.take());
        }
    }
}
