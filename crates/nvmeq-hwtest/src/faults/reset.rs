//! A controller reset with commands in flight, on the slow namespace (`F2`): the throttle
//! holds the commands for seconds, so the reset certainly meets them in flight.
//!
//! Who resets: for the kernel's backends (ioctl, io_uring) the kernel, through
//! `/sys/class/nvme/nvmeX/reset_controller` (what `nvme reset` asks for), from another
//! thread while the commands wait; for VFIO nvmeq-vfio's own reset
//! ([`HwBackend::reset_controller`]). Either way each command comes back exactly once with
//! its buffer, with success (it finished first) or the error the reset gave it, well within
//! its timeout; data written before the reset reads back, and the device works afterwards.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use nvmeq_core::{Error, Status};

use super::in_flight::{InFlight, Tally};
use super::slow::{ctrl_name, wait_live};
use super::{pattern, reach, read, write, Fault};
use crate::pattern::diff;
use crate::registry::{HwBackend, Reach};
use crate::runner::TestResult;
use crate::suite::{Ctx, CMD_TIMEOUT_MS};

/// Commands in flight at the reset: reads, and one write (at most the queue depth).
const IN_FLIGHT: u32 = 4;
/// How long the primer holds the commands queued behind it, about: long enough that the
/// reset, `RESET_AFTER` later, finds them all waiting; short, since every backend pays it.
const HOLD: Duration = Duration::from_millis(1500);
/// When the reset comes, after the commands were submitted.
const RESET_AFTER: Duration = Duration::from_millis(300);
/// Where the data written before the reset lives (away from the commands' blocks).
const KEPT_SLBA: u64 = 96;
const KEPT_BLOCKS: u64 = 2;
/// Where the in-flight write goes, and the write after the reset.
const WRITE_SLBA: u64 = 80;
const AFTER_SLBA: u64 = 112;

/// Whether `e` is an error a reset may give a command in flight through backend `reach`.
/// Linux fails the requests it cancels with Command Aborted By Host (its own status for a
/// cancelled request), or passes on what the controller answered while its queues were
/// deleted; nvmeq-vfio ends them with `Aborted` naming the reset.
fn reset_error(reach: Reach, e: &Error) -> bool {
    match (reach, e) {
        (Reach::Kernel, Error::Status(s)) => {
            s.matches_code(Status::ABORTED_BY_HOST)
                || s.matches_code(Status::ABORTED_SQ_DELETION)
                || s.matches_code(Status::ABORT_REQUESTED)
        }
        // EINTR: the kernel interrupted the request during the reset.
        (Reach::Kernel, Error::Os { errno: 4, .. }) => true,
        (Reach::Vfio, Error::Aborted(why)) => why.contains("reset"),
        _ => false,
    }
}

/// Commands in flight on the slow namespace, then a controller reset: see the module.
pub fn reset_in_flight<B: HwBackend>(c: &mut Ctx<B>, f: Fault) -> TestResult {
    let reach = reach::<B>();
    let Fault::Slow { bps } = f else {
        return Err("not the slow namespace".into());
    };
    c.b.set_timeout_ms(CMD_TIMEOUT_MS);
    let ctrl = match reach {
        Reach::Kernel => {
            let n = ctrl_name(c).ok_or("no kernel controller name for the target")?;
            wait_live(&n)?;
            Some(n)
        }
        Reach::Vfio => None,
        r => {
            return Err(format!(
                "no controller reset for a backend reaching it by {r:?}"
            ))
        }
    };
    let lba = c.lba;
    // Written before the reset, read back after it.
    let kept = pattern(lba, KEPT_SLBA, KEPT_BLOCKS, 12);
    write(c, KEPT_SLBA, &kept).map_err(|e| format!("write before the reset: {e}"))?;
    // The primer passes the throttle at once and leaves what follows waiting about HOLD.
    let max_blocks = (c.max_xfer / lba).max(1) as u64;
    let nlb = (bps * HOLD.as_millis() as u64 / 1000 / lba as u64).clamp(1, max_blocks);
    let hold = Duration::from_millis(nlb * lba as u64 * 1000 / bps);
    if hold < RESET_AFTER * 2 {
        return Err(format!(
            "a {nlb}-block primer holds the next command only ~{} ms at {bps} B/s: the reset \
             {} ms after the submit might find nothing in flight",
            hold.as_millis(),
            RESET_AFTER.as_millis()
        ));
    }
    let primer = pattern(lba, 0, nlb, 13);
    write(c, 0, &primer).map_err(|e| format!("primer write of {nlb} blocks: {e}"))?;

    let n = IN_FLIGHT.min(c.b.caps().queue_depth.max(1));
    let mut fl = InFlight::push(c, n, WRITE_SLBA, 14)?;
    let pushed = fl.pushed;
    let deadline = pushed + Duration::from_millis(CMD_TIMEOUT_MS as u64);
    // The reset: (when it started, how long it took, its result).
    let reset: (Instant, Duration, Result<(), String>) = match &ctrl {
        Some(name) => {
            let path = format!("/sys/class/nvme/{name}/reset_controller");
            let (tx, rx) = mpsc::channel();
            let t = std::thread::spawn(move || {
                std::thread::sleep(RESET_AFTER);
                let t0 = Instant::now();
                let r = std::fs::write(&path, "1").map_err(|e| format!("write 1 to {path}: {e}"));
                let _ = tx.send((t0, t0.elapsed(), r));
            });
            // ioctl runs its commands inside submit, one ioctl at a time; io_uring's
            // return at once and complete while we wait.
            let mut submit_err = None;
            while c.b.in_flight() > 0 && Instant::now() < deadline {
                if let Err(e) = c.b.submit(1) {
                    submit_err.get_or_insert(e);
                    std::thread::sleep(Duration::from_millis(10));
                }
                fl.record(&mut c.b);
            }
            let _ = t.join();
            let r = rx
                .recv()
                .map_err(|_| "the reset thread ended without a word".to_string())?;
            if c.b.in_flight() > 0 {
                return Err(format!(
                    "{} of {n} commands still in flight {} ms after the push (reset: {:?}; \
                     submit said {submit_err:?})",
                    c.b.in_flight(),
                    CMD_TIMEOUT_MS,
                    r.2
                ));
            }
            r
        }
        None => {
            c.b.submit(0).map_err(|e| format!("submit: {e}"))?;
            std::thread::sleep(RESET_AFTER);
            let t0 = Instant::now();
            let r = match c.b.reset_controller() {
                Some(r) => r.map_err(|e| format!("reset: {e}")),
                None => Err("the backend has no reset of its own".into()),
            };
            let took = t0.elapsed();
            while c.b.in_flight() > 0 && Instant::now() < deadline {
                c.b.submit(1)
                    .map_err(|e| format!("submit after the reset: {e}"))?;
                fl.record(&mut c.b);
            }
            (t0, took, r)
        }
    };
    fl.record(&mut c.b);
    let (reset_at, reset_took, reset_r) = reset;
    reset_r?;

    // Each tag exactly once, with its buffer, with success or a reset's error.
    let limit = Duration::from_millis(CMD_TIMEOUT_MS as u64);
    let mut t = fl.tally("a reset", reset_at, Some(limit), |e| reset_error(reach, e));
    if t.after == 0 {
        t.bad.push(format!(
            "every command ended before the reset ({} ms after the push): the throttle did not \
             hold them",
            reset_at.duration_since(pushed).as_millis()
        ));
    }
    let Tally {
        seen,
        after: after_reset,
        slowest: took,
        ..
    } = t.into_result()?;

    // The device afterwards: what was written before reads back; a new write reads back.
    let live = match &ctrl {
        Some(n) => format!("{n} live after {} ms; ", wait_live(n)?.as_millis()),
        None => String::new(),
    };
    let back = read(c, KEPT_SLBA, KEPT_BLOCKS)
        .map_err(|e| format!("{live}read after the reset of the blocks written before: {e}"))?;
    diff(&back, &kept, lba).map_err(|e| format!("blocks written before the reset: {e}"))?;
    let data = pattern(lba, AFTER_SLBA, 1, 15);
    write(c, AFTER_SLBA, &data).map_err(|e| format!("{live}write after the reset: {e}"))?;
    let back = read(c, AFTER_SLBA, 1).map_err(|e| format!("{live}read after the reset: {e}"))?;
    diff(&back, &data, lba).map_err(|e| format!("block written after the reset: {e}"))?;
    Ok(format!(
        "{n} commands held ~{} ms, reset {} ms after the push (took {} ms), {after_reset} \
         ended after it, all within {} ms: {}; {live}data from before read back, I/O works",
        hold.as_millis(),
        reset_at.duration_since(pushed).as_millis(),
        reset_took.as_millis(),
        took.as_millis(),
        seen.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_errors_by_reach() {
        let host = Error::Status(Status::ABORTED_BY_HOST);
        assert!(reset_error(Reach::Kernel, &host));
        assert!(!reset_error(Reach::Vfio, &host));
        let sq = Error::Status(Status::ABORTED_SQ_DELETION);
        assert!(reset_error(Reach::Kernel, &sq));
        let media = Error::Status(Status::UNRECOVERED_READ_ERROR);
        assert!(!reset_error(Reach::Kernel, &media));
        let eintr = Error::Os { op: "x", errno: 4 };
        assert!(reset_error(Reach::Kernel, &eintr));
        assert!(!reset_error(
            Reach::Kernel,
            &Error::Os { op: "x", errno: 5 }
        ));
        let v = Error::Aborted("controller reset requested");
        assert!(reset_error(Reach::Vfio, &v));
        assert!(!reset_error(
            Reach::Vfio,
            &Error::Aborted("the controller was shut down")
        ));
        assert!(!reset_error(Reach::Kernel, &v));
    }
}
