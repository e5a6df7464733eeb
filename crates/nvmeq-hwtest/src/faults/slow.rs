//! The slow namespace (`F2`): commands held by a QEMU throttle group outlast a short
//! timeout, each backend's timeout path fires, and the device works afterwards.
//!
//! What each backend does when a command outlives its timeout (QEMU 10.0 here):
//! - **Kernel (ioctl, io_uring)**: the passthrough `timeout_ms` becomes the request's
//!   timeout. On its first expiry the kernel sends Abort (QEMU 10 accepts it and marks the
//!   command, which still waits in the throttle), on its second it resets the controller.
//!   The request that triggered the reset returns EINTR. Other commands in flight end with
//!   the status the controller gives them during the recovery: Command Abort Requested (the
//!   kernel's Abort reached them) or Command Aborted due to SQ Deletion (the reset deleted
//!   their queue).
//! - **VFIO**: nvmeq-vfio's own deadline: Abort, then a controller reset; the command that
//!   expired ends with `Timeout`, the others in flight with `Aborted` naming the timeout.

use std::time::{Duration, Instant};

use nvmeq_core::cmd::Read;
use nvmeq_core::{Error, Status};

use super::{pattern, reach, read, reap, write, Fault};
use crate::pattern::diff;
use crate::registry::{HwBackend, Reach};
use crate::runner::TestResult;
use crate::suite::{Ctx, CMD_TIMEOUT_MS};

/// The short timeout the slow rows give their commands.
pub const SHORT_TIMEOUT_MS: u32 = 1000;
/// Commands the queued row keeps in flight (at most the backend's queue depth).
const QUEUED: u32 = 4;
/// The most a slow row waits for its commands to end.
const SLOW_LIMIT: Duration = Duration::from_secs(60);
/// How long the throttle must hold a command at least: Linux rounds a request's deadline up
/// to a whole second, twice (Abort, then reset), so a 1 s timeout may reach its reset only
/// after about 4 s.
const MIN_HOLD: Duration = Duration::from_secs(6);

fn slow_bps(f: Fault) -> u64 {
    match f {
        Fault::Slow { bps } => bps,
        Fault::Media { .. } | Fault::Removal => 1,
    }
}

/// The write the primer sends: what the backend moves in one command, at most 128 KiB (what
/// the kernel passes through to QEMU's controllers; VFIO could move more), in whole blocks,
/// so every backend's commands wait the same.
fn primer_blocks<B: HwBackend>(c: &Ctx<B>) -> u64 {
    (c.max_xfer.min(128 << 10) / c.lba).max(1) as u64
}

/// Fills the throttle's bucket: one block read (which waits for whatever an earlier row
/// left), then one large write, which passes at once and leaves the next command waiting
/// about `bytes / bps` seconds. Returns that wait; fails when it is too short for the rows.
fn prime<B: HwBackend>(c: &mut Ctx<B>, f: Fault) -> Result<Duration, String> {
    c.b.set_timeout_ms(CMD_TIMEOUT_MS);
    // An earlier row's reset may still be under way; io_uring passthrough commands sent
    // meanwhile have been seen to fail with EINVAL (kernel 7.3.4).
    if let (Some(n), Reach::Kernel) = (ctrl_name(c), reach::<B>()) {
        wait_live(&n)?;
    }
    read(c, 0, 1).map_err(|e| format!("settling read: {e}"))?;
    let nlb = primer_blocks(c);
    let bytes = nlb * c.lba as u64;
    let hold = Duration::from_millis(bytes * 1000 / slow_bps(f));
    if hold < MIN_HOLD {
        return Err(format!(
            "a {bytes} B write holds the next command about {} ms at {} B/s, less than the \
             {} ms the kernel's timeout path may take: no command would expire",
            hold.as_millis(),
            slow_bps(f),
            MIN_HOLD.as_millis()
        ));
    }
    let data = pattern(c.lba, 0, nlb, 9);
    write(c, 0, &data).map_err(|e| format!("primer write of {nlb} blocks: {e}"))?;
    Ok(hold)
}

/// How a command the timeout path ended ended, or `None` if that is not such an end:
/// `"expired"` for the command whose own timeout fired (EINTR from the kernel's reset,
/// `Timeout` from nvmeq), `"recovered"` for one the recovery of another's timeout ended.
fn timeout_end(reach: Reach, e: &Error) -> Option<&'static str> {
    match (reach, e) {
        (_, Error::Timeout { .. }) => Some("expired"),
        // Linux cancels the request whose timeout triggered the reset: EINTR.
        (Reach::Kernel, Error::Os { errno: 4, .. }) => Some("expired"),
        (Reach::Kernel, Error::Status(s))
            if s.matches_code(Status::ABORT_REQUESTED)
                || s.matches_code(Status::ABORTED_SQ_DELETION) =>
        {
            Some("recovered")
        }
        // nvmeq-vfio ends the others in flight, which the reset ended, with `Aborted`
        // naming the timeout.
        (Reach::Vfio, Error::Aborted(why)) if why.contains("timed out") => Some("recovered"),
        _ => None,
    }
}

/// The kernel's log lines about a timeout on controller `ctrl` (`nvme3`), counted by kind:
/// (aborts, resets).
fn kernel_timeouts(ctrl: &str) -> Result<(usize, usize), String> {
    let out = std::process::Command::new("dmesg")
        .output()
        .map_err(|e| format!("dmesg: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mine = format!("{ctrl}:");
    let (mut aborts, mut resets) = (0, 0);
    for l in text.lines().filter(|l| l.contains(&mine)) {
        if l.contains("timeout, aborting") {
            aborts += 1;
        } else if l.contains("timeout, reset controller") {
            resets += 1;
        }
    }
    Ok((aborts, resets))
}

pub(super) fn ctrl_name<B: HwBackend>(c: &Ctx<B>) -> Option<String> {
    c.t.ctrl
        .as_ref()?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}

/// The kernel's log counts before a row, on the kernel backends.
fn log_before<B: HwBackend>(c: &Ctx<B>) -> Result<Option<(String, usize, usize)>, String> {
    match (ctrl_name(c), reach::<B>()) {
        (Some(n), Reach::Kernel) => {
            let (a, r) = kernel_timeouts(&n)?;
            Ok(Some((n, a, r)))
        }
        _ => Ok(None),
    }
}

/// Fails unless the kernel logged at least one Abort and one reset on the controller since
/// `before`; says how many.
fn log_check(before: &Option<(String, usize, usize)>) -> Result<String, String> {
    let Some((n, a0, r0)) = before else {
        return Ok(String::new());
    };
    let (a1, r1) = kernel_timeouts(n)?;
    let (a, r) = (a1.saturating_sub(*a0), r1.saturating_sub(*r0));
    if a == 0 || r == 0 {
        return Err(format!(
            "the kernel logged {a} Abort and {r} reset lines for {n} (expected at least one \
             of each)"
        ));
    }
    Ok(format!("; kernel log: {a} timeout Abort, {r} reset on {n}"))
}

/// One read under a short timeout, queued behind the primer: it must end as the command
/// that expired (EINTR after the kernel's Abort and reset; VFIO's `Timeout`), no sooner than
/// its timeout; on the kernel backends the kernel logged an Abort and a reset.
pub fn timeout_one<B: HwBackend>(c: &mut Ctx<B>, f: Fault) -> TestResult {
    let reach = reach::<B>();
    let before = log_before(c)?;
    let hold = prime(c, f)?;
    c.b.set_timeout_ms(SHORT_TIMEOUT_MS);
    let t0 = Instant::now();
    let r = read(c, 1, 1);
    let took = t0.elapsed();
    c.b.set_timeout_ms(CMD_TIMEOUT_MS);
    let e = match r {
        Ok(_) => {
            return Err(format!(
                "the read succeeded after {} ms; the {SHORT_TIMEOUT_MS} ms timeout did not \
                 fire",
                took.as_millis()
            ))
        }
        Err(e) => e,
    };
    if timeout_end(reach, &e) != Some("expired") {
        return Err(format!(
            "expected the error of a command whose {SHORT_TIMEOUT_MS} ms timeout expired, \
             got after {} ms: {e}",
            took.as_millis()
        ));
    }
    if took < Duration::from_millis(SHORT_TIMEOUT_MS as u64) {
        return Err(format!(
            "ended after {} ms, before its {SHORT_TIMEOUT_MS} ms timeout: {e}",
            took.as_millis()
        ));
    }
    let log = log_check(&before).map_err(|why| format!("ended with {e}, but {why}"))?;
    Ok(format!(
        "{e} after {} ms (timeout {SHORT_TIMEOUT_MS} ms, throttle hold ~{} ms){log}",
        took.as_millis(),
        hold.as_millis()
    ))
}

/// Several reads queued at once behind the primer under the short timeout: each must end
/// through the timeout path, at least one as the command that expired.
pub fn timeout_queued<B: HwBackend>(c: &mut Ctx<B>, f: Fault) -> TestResult {
    let reach = reach::<B>();
    let n = QUEUED.min(c.b.caps().queue_depth.max(1));
    let before = log_before(c)?;
    let hold = prime(c, f)?;
    let lba = c.lba;
    c.b.set_timeout_ms(SHORT_TIMEOUT_MS);
    let out = run_queued(c, n, lba);
    c.b.set_timeout_ms(CMD_TIMEOUT_MS);
    let (results, took, stall) = out?;
    let (mut ends, mut bad, mut expired) = (Vec::new(), Vec::new(), 0);
    for (i, r) in results.iter().enumerate() {
        match r {
            Some(Err(e)) => match timeout_end(reach, e) {
                Some(how) => {
                    expired += usize::from(how == "expired");
                    ends.push(format!("{i}: {e}"));
                }
                None => bad.push(format!("{i}: not ended by the timeout path: {e}")),
            },
            Some(Ok(_)) => bad.push(format!("{i}: succeeded")),
            None => bad.push(format!("{i}: never completed")),
        }
    }
    if expired == 0 {
        bad.push("none ended as the command that expired".into());
    }
    let stall = stall
        .map(|e| format!("; submit returned {e} first"))
        .unwrap_or_default();
    let log = if bad.is_empty() {
        log_check(&before).map_err(|why| {
            format!(
                "{n} reads ended through the timeout path ({}), but {why}",
                ends.join(", ")
            )
        })?
    } else {
        String::new()
    };
    if !bad.is_empty() {
        return Err(format!(
            "{n} reads under a {SHORT_TIMEOUT_MS} ms timeout, {} ms: {}; {}{stall}",
            took.as_millis(),
            bad.join(", "),
            ends.join(", ")
        ));
    }
    Ok(format!(
        "{n} reads in flight under a {SHORT_TIMEOUT_MS} ms timeout (throttle hold ~{} ms) \
         ended within {} ms: {}{stall}{log}",
        hold.as_millis(),
        took.as_millis(),
        ends.join(", ")
    ))
}

type Queued = (Vec<Option<Result<Vec<u8>, Error>>>, Duration, Option<Error>);

fn run_queued<B: HwBackend>(c: &mut Ctx<B>, n: u32, lba: u32) -> Result<Queued, String> {
    let mut results: Vec<Option<Result<Vec<u8>, Error>>> = (0..n).map(|_| None).collect();
    let t0 = Instant::now();
    let mut stall = None;
    for i in 0..n as u64 {
        let cmd = Read::new(c.nsid, 1 + i, 0).build();
        let buf = c.b.alloc(lba as usize).map_err(|e| format!("alloc: {e}"))?;
        if let Err(rej) = c.b.push(&cmd, Some(buf), i) {
            return Err(format!("read {i} not queued: {}", rej.into_error()));
        }
    }
    while c.b.in_flight() > 0 {
        if t0.elapsed() > SLOW_LIMIT {
            return Err(format!(
                "{} reads still in flight after {} s",
                c.b.in_flight(),
                SLOW_LIMIT.as_secs()
            ));
        }
        match c.b.submit(1) {
            Ok(_) => {}
            // io_uring's polled wait gives up on its own after the timeout; the commands
            // stay in flight until the kernel ends them.
            Err(e @ Error::Timeout { .. }) if stall.is_none() => stall = Some(e),
            Err(Error::Timeout { .. }) => {}
            Err(e) => return Err(format!("submit: {e}")),
        }
        reap(&mut c.b, &mut results);
    }
    reap(&mut c.b, &mut results);
    Ok((results, t0.elapsed(), stall))
}

/// Waits until the kernel says controller `ctrl` is live again after its reset (commands
/// sent while it reconnects are refused); returns how long that took.
pub(super) fn wait_live(ctrl: &str) -> Result<Duration, String> {
    let path = format!("/sys/class/nvme/{ctrl}/state");
    let t0 = Instant::now();
    loop {
        let state = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        if state.trim() == "live" {
            return Ok(t0.elapsed());
        }
        if t0.elapsed() > SLOW_LIMIT {
            return Err(format!(
                "{path} still says {:?} {} s after the timeouts",
                state.trim(),
                SLOW_LIMIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// After the timeouts, the device works: once the kernel's controller is live again (kernel
/// backends), with the normal timeout, a write and a read of the same blocks succeed and the
/// data reads back.
pub fn after_timeout<B: HwBackend>(c: &mut Ctx<B>, _f: Fault) -> TestResult {
    c.b.set_timeout_ms(CMD_TIMEOUT_MS);
    let live = match (ctrl_name(c), reach::<B>()) {
        (Some(n), Reach::Kernel) => format!("{n} live after {} ms; ", wait_live(&n)?.as_millis()),
        _ => String::new(),
    };
    let lba = c.lba;
    let slba = 64;
    let data = pattern(lba, slba, 4, 10);
    let t0 = Instant::now();
    write(c, slba, &data).map_err(|e| format!("{live}write of 4 LBAs at {slba}: {e}"))?;
    let back = read(c, slba, 4).map_err(|e| format!("{live}read of 4 LBAs at {slba}: {e}"))?;
    diff(&back, &data, lba)?;
    Ok(format!(
        "{live}write and read of 4 LBAs verified in {} ms",
        t0.elapsed().as_millis()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_ends_by_reach() {
        let eintr = Error::Os {
            op: "NVME_IOCTL_IO64_CMD",
            errno: 4,
        };
        assert_eq!(timeout_end(Reach::Kernel, &eintr), Some("expired"));
        assert_eq!(timeout_end(Reach::Vfio, &eintr), None);
        let t = Error::Timeout { ms: 1000 };
        assert_eq!(timeout_end(Reach::Vfio, &t), Some("expired"));
        let eio = Error::Os { op: "x", errno: 5 };
        assert_eq!(timeout_end(Reach::Kernel, &eio), None);
        let abort = Error::Status(Status::ABORT_REQUESTED);
        let sqdel = Error::Status(Status::ABORTED_SQ_DELETION);
        assert_eq!(timeout_end(Reach::Kernel, &abort), Some("recovered"));
        assert_eq!(timeout_end(Reach::Kernel, &sqdel), Some("recovered"));
        assert_eq!(timeout_end(Reach::Vfio, &abort), None);
        let media = Error::Status(Status::UNRECOVERED_READ_ERROR);
        assert_eq!(timeout_end(Reach::Kernel, &media), None);
        let reset = Error::Aborted("controller reset after a command timed out");
        assert_eq!(timeout_end(Reach::Vfio, &reset), Some("recovered"));
        assert_eq!(timeout_end(Reach::Kernel, &reset), None);
        assert_eq!(timeout_end(Reach::Vfio, &Error::Aborted("x")), None);
    }
}
