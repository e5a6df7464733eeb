//! Faults injected by the emulator itself, on the guest's controller F (`nvmeqF`,
//! `xtask/src/vm/qemu.rs`), through every backend:
//!
//! - **Media errors** (`F1`, nsid 1): QEMU's `blkdebug` driver fails reads and writes of a
//!   few LBAs with EIO, which QEMU's NVMe device completes as Unrecovered Read Error (reads)
//!   and Write Fault (writes). Commands touching those LBAs must fail with exactly that
//!   status, by name; blocks around them must read back what was written, also after a write
//!   that straddled the edge failed.
//! - **Slow commands** (`F2`, nsid 2): a QEMU throttle group (bytes per second) holds every
//!   command queued behind a large transfer for seconds, so a command with a short timeout
//!   expires. Its backend's timeout path must fire (the kernel's Abort then controller reset
//!   for ioctl and io_uring, nvmeq-vfio's Abort then reset), every command in flight must end
//!   through that path (what each backend answers: [`slow`]), and the device must work
//!   afterwards.
//! - **Controller reset with commands in flight** (`F2` too, whose throttle holds them):
//!   the kernel's reset (sysfs `reset_controller`) or nvmeq-vfio's own; each command comes
//!   back once with its buffer, data written before reads back ([`reset`]).
//! - **Hot-unplug with commands in flight** (`R`, a controller the row hot-adds into the
//!   guest's PCIe slot and removes with QMP `device_del`, through the host): [`removal`].
//!
//! The targets come from `NVMEQ_NS_F1`, `NVMEQ_NS_F2`, `NVMEQ_F_BAD_LBAS` (`FIRST+COUNT`)
//! and `NVMEQ_F_SLOW_BPS` (`guest_env.sh`); without them every row is a SKIP saying why.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nvmeq_core::cmd::{Read, Write};
use nvmeq_core::{Backend, Data, Error, IoBuf, Status};

use crate::pattern::{diff, fill};
use crate::registry::{HwBackend, Reach};
use crate::report::Outcome;
use crate::runner::{Runner, TestResult};
use crate::suite::Ctx;
use crate::target::Target;

mod in_flight;
pub mod removal;
pub mod reset;
pub mod slow;

/// What a fault target injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Reads and writes of LBAs `first .. first + count` fail with EIO below the controller.
    Media {
        /// The first failing LBA.
        first: u64,
        /// How many LBAs fail.
        count: u64,
    },
    /// Every command passes a throttle of `bps` bytes per second.
    Slow {
        /// The throttle's rate.
        bps: u64,
    },
    /// The controller is hot-added, then hot-unplugged with commands in flight ([`removal`]).
    Removal,
}

/// The most the queued media row waits for its commands.
const QUEUE_LIMIT: Duration = Duration::from_secs(60);

/// Parses `NVMEQ_F_BAD_LBAS` (`FIRST+COUNT`).
pub fn parse_lbas(s: &str) -> Option<(u64, u64)> {
    let (a, b) = s.trim().split_once('+')?;
    let (first, count) = (a.parse().ok()?, b.parse().ok()?);
    (count > 0).then_some((first, count))
}

/// The guest's fault targets, `F1` (media errors) and `F2` (slow), or why there are none.
pub fn guest_targets() -> Result<Vec<Target>, String> {
    let var = |k: &str| {
        std::env::var(k).map_err(|_| {
            format!(
                "{k} is not set: this guest has no fault-injection controller nvmeqF \
                 (booted by an xtask without it, or it did not appear)"
            )
        })
    };
    let ctrl = PathBuf::from(var("NVMEQ_CTRL_F")?);
    let lbas = var("NVMEQ_F_BAD_LBAS")?;
    let (first, count) =
        parse_lbas(&lbas).ok_or_else(|| format!("NVMEQ_F_BAD_LBAS={lbas:?} is not FIRST+COUNT"))?;
    let bps_s = var("NVMEQ_F_SLOW_BPS")?;
    let bps = bps_s
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("NVMEQ_F_SLOW_BPS={bps_s:?} is not a positive number"))?;
    // guest_env.sh finds F's namespaces by nsid: F1 is nsid 1, F2 nsid 2.
    let t = |label: &str, ns: String, fault, nsid| Target {
        label: label.into(),
        ctrl: Some(ctrl.clone()),
        ns: ns.into(),
        destructive: true,
        named_nsid: Some(nsid),
        differential: false,
        zns: None,
        format: false,
        fault: Some(fault),
    };
    Ok(vec![
        t("F1", var("NVMEQ_NS_F1")?, Fault::Media { first, count }, 1),
        t("F2", var("NVMEQ_NS_F2")?, Fault::Slow { bps }, 2),
        removal::target(),
    ])
}

/// The rows of a fault target, for SKIP lines.
pub const MEDIA_ROWS: &[&str] = &[
    "media-read-error",
    "media-write-error",
    "media-outside-intact",
    "media-queued",
];
/// The rows of the slow target.
pub const SLOW_ROWS: &[&str] = &[
    "timeout-one",
    "timeout-queued",
    "after-timeout",
    "reset-in-flight",
];

/// Records every fault row of backend `backend` as skipped for `why`.
pub fn skip_all(r: &Runner, backend: &str, why: &str) {
    for (label, rows) in [("F1", MEDIA_ROWS), ("F2", SLOW_ROWS), ("R", removal::ROWS)] {
        for row in rows {
            r.record(
                &format!("{label}/{row}"),
                backend,
                Outcome::Skip,
                why.to_string(),
            );
        }
    }
}

/// A fault row: its name and its test.
type FaultRow<B> = (&'static str, fn(&mut Ctx<B>, Fault) -> TestResult);

/// Runs the rows of fault target `t` (its `fault` is set) with backend `B`.
pub fn run<B: HwBackend>(t: &Target, r: &Runner) {
    let Some(fault) = t.fault else { return };
    if fault == Fault::Removal {
        removal::run::<B>(t, r);
        return;
    }
    let name = B::NAME;
    let label = t.label.as_str();
    // VFIO hands the controller back to the kernel after each target, and the kernel may then
    // name its namespaces the other way round: name the controller by its PCI address and the
    // namespace by nsid instead.
    let mut vt = None;
    if reach::<B>() == Reach::Vfio {
        match std::env::var("NVMEQ_PCI_F") {
            Ok(pci) => {
                vt = Some(Target {
                    ns: format!("vfio:{pci}").into(),
                    ..t.clone()
                })
            }
            Err(_) => {
                r.record(
                    &format!("{label}/open"),
                    name,
                    Outcome::Fail,
                    "NVMEQ_PCI_F is not set: no PCI address for controller F".into(),
                );
                return;
            }
        }
    }
    let t = vt.as_ref().unwrap_or(t);
    let mut ctx: Option<Ctx<B>> = None;
    r.run(&format!("{label}/open"), name, || {
        let c = Ctx::<B>::open(t)?;
        // The media rows touch 8 LBAs on each side of the range, 16 past it and the last 8.
        if let Fault::Media { first, count } = fault {
            let room = c.nsze >= 16
                && first >= 8
                && first.saturating_add(count).saturating_add(24) <= c.nsze - 8;
            if !room {
                return Err(format!(
                    "failing LBAs {first}+{count} leave no room for the rows around them in a                      namespace of {} blocks (they need LBA 8 and more, and 32 blocks after)",
                    c.nsze
                ));
            }
        }
        if let Some(n) = t.named_nsid.filter(|&n| n != c.nsid) {
            return Err(format!(
                "{} is nsid {}, not {n}: the fault rows would hit the wrong namespace",
                t.ns.display(),
                c.nsid
            ));
        }
        let d = format!(
            "{} nsid {} ({} blocks of {} B): {fault:?}",
            t.ns.display(),
            c.nsid,
            c.nsze,
            c.lba
        );
        ctx = Some(c);
        Ok(d)
    });
    let Some(mut c) = ctx else { return };
    let rows: &[FaultRow<B>] = match fault {
        Fault::Media { .. } => &[
            ("media-read-error", media_read_error),
            ("media-write-error", media_write_error),
            ("media-outside-intact", media_outside_intact),
            ("media-queued", media_queued),
        ],
        Fault::Removal => return,
        Fault::Slow { .. } => &[
            ("timeout-one", slow::timeout_one),
            ("timeout-queued", slow::timeout_queued),
            ("after-timeout", slow::after_timeout),
            ("reset-in-flight", reset::reset_in_flight),
        ],
    };
    for (row, f) in rows {
        r.run(&format!("{label}/{row}"), name, || f(&mut c, fault));
    }
}

/// Fails unless `r` is an error carrying status `want`; returns the status as printed.
fn want_status(what: &str, r: Result<(), Error>, want: Status) -> Result<String, String> {
    match r {
        Err(Error::Status(s)) if s.matches_code(want) => Ok(s.to_string()),
        Err(e) => Err(format!("{what}: expected {want}, got error: {e}")),
        Ok(()) => Err(format!("{what}: expected {want}, got success")),
    }
}

fn read<B: HwBackend>(c: &mut Ctx<B>, slba: u64, nlb: u64) -> Result<Vec<u8>, Error> {
    let mut buf = vec![0u8; (nlb * c.lba as u64) as usize];
    let cmd = Read::new(c.nsid, slba, (nlb - 1) as u16).build();
    c.b.execute(&cmd, Data::FromDevice(&mut buf)).map(|_| buf)
}

fn write<B: HwBackend>(c: &mut Ctx<B>, slba: u64, data: &[u8]) -> Result<(), Error> {
    let nlb = data.len() as u64 / c.lba as u64;
    let cmd = Write::new(c.nsid, slba, (nlb - 1) as u16).build();
    c.b.execute(&cmd, Data::ToDevice(data)).map(drop)
}

fn pattern(lba: u32, slba: u64, nlb: u64, seed: u64) -> Vec<u8> {
    let mut v = vec![0u8; (nlb * lba as u64) as usize];
    fill(&mut v, lba, slba, seed);
    v
}

fn media(f: Fault) -> (u64, u64) {
    match f {
        Fault::Media { first, count } => (first, count),
        Fault::Slow { .. } | Fault::Removal => (0, 0),
    }
}

/// Reads of every failing LBA, and reads straddling each edge of the range, fail with
/// Unrecovered Read Error.
fn media_read_error<B: HwBackend>(c: &mut Ctx<B>, f: Fault) -> TestResult {
    let (first, count) = media(f);
    let want = Status::UNRECOVERED_READ_ERROR;
    let mut got = String::new();
    for lba in first..first + count {
        got = want_status(
            &format!("read of LBA {lba}"),
            read(c, lba, 1).map(drop),
            want,
        )?;
    }
    want_status(
        &format!("read of LBAs {}..={first}", first - 2),
        read(c, first - 2, 3).map(drop),
        want,
    )?;
    let last = first + count - 1;
    want_status(
        &format!("read of LBAs {last}..={}", last + 2),
        read(c, last, 3).map(drop),
        want,
    )?;
    Ok(format!("{count} LBAs from {first} and both edges: {got}"))
}

/// Writes of every failing LBA, and writes straddling each edge, fail with Write Fault.
fn media_write_error<B: HwBackend>(c: &mut Ctx<B>, f: Fault) -> TestResult {
    let (first, count) = media(f);
    let want = Status::WRITE_FAULT;
    let lba = c.lba;
    let mut got = String::new();
    for l in first..first + count {
        let data = pattern(lba, l, 1, 1);
        got = want_status(&format!("write of LBA {l}"), write(c, l, &data), want)?;
    }
    let last = first + count - 1;
    for slba in [first - 2, last] {
        let data = pattern(lba, slba, 3, 2);
        want_status(
            &format!("write of LBAs {slba}..={}", slba + 2),
            write(c, slba, &data),
            want,
        )?;
    }
    Ok(format!("{count} LBAs from {first} and both edges: {got}"))
}

/// The 8 LBAs on each side of the range take writes and read them back; a write that
/// straddles the edge and fails leaves its blocks outside the range as they were.
fn media_outside_intact<B: HwBackend>(c: &mut Ctx<B>, f: Fault) -> TestResult {
    let (first, count) = media(f);
    let lba = c.lba;
    let end = first + count;
    let sides = [(first - 8, "before"), (end, "after")];
    for (slba, side) in sides {
        let data = pattern(lba, slba, 8, 3);
        write(c, slba, &data).map_err(|e| format!("write of 8 LBAs at {slba} ({side}): {e}"))?;
        let back = read(c, slba, 8).map_err(|e| format!("read of 8 LBAs at {slba}: {e}"))?;
        diff(&back, &data, lba).map_err(|e| format!("8 LBAs at {slba} ({side}): {e}"))?;
    }
    // Straddling writes with other data: refused as a whole.
    for slba in [first - 1, end - 1] {
        let other = pattern(lba, slba, 2, 4);
        want_status(
            &format!("write of LBAs {slba}..={}", slba + 1),
            write(c, slba, &other),
            Status::WRITE_FAULT,
        )?;
    }
    for (slba, side) in sides {
        let data = pattern(lba, slba, 8, 3);
        let back = read(c, slba, 8).map_err(|e| format!("read of 8 LBAs at {slba}: {e}"))?;
        diff(&back, &data, lba).map_err(|e| {
            format!("8 LBAs at {slba} ({side}) after a failed straddling write: {e}")
        })?;
    }
    // Far from the range too.
    let far = c.nsze - 8;
    let data = pattern(lba, far, 8, 5);
    write(c, far, &data).map_err(|e| format!("write at {far}: {e}"))?;
    let back = read(c, far, 8).map_err(|e| format!("read at {far}: {e}"))?;
    diff(&back, &data, lba).map_err(|e| format!("8 LBAs at {far}: {e}"))?;
    Ok(format!(
        "LBAs {}..{first} and {end}..{} read back as written, also after failed straddling \
         writes; LBAs {far}.. too",
        first - 8,
        end + 8
    ))
}

/// Through the queue interface: a read and a write inside the range fail with their
/// statuses while a read outside it, queued with them, succeeds with its data.
fn media_queued<B: HwBackend>(c: &mut Ctx<B>, f: Fault) -> TestResult {
    let (first, count) = media(f);
    let lba = c.lba;
    let out = first + count + 16;
    let data = pattern(lba, out, 1, 6);
    write(c, out, &data).map_err(|e| format!("write at {out}: {e}"))?;
    let nsid = c.nsid;
    let cmds = [
        (Read::new(nsid, first, 0).build(), None),
        (Read::new(nsid, out, 0).build(), None),
        (Write::new(nsid, first + count - 1, 0).build(), Some(7u64)),
    ];
    let mut results: Vec<Option<Result<Vec<u8>, Error>>> = vec![None, None, None];
    for (tag, (cmd, seed)) in cmds.iter().enumerate() {
        let mut buf = c.b.alloc(lba as usize).map_err(|e| format!("alloc: {e}"))?;
        if let Some(s) = seed {
            fill(buf.as_mut_slice(), lba, first + count - 1, *s);
        }
        let mut buf = Some(buf);
        loop {
            match c.b.push(cmd, buf.take(), tag as u64) {
                Ok(()) => break,
                Err(rej) => {
                    if let Some(e) = rej.error() {
                        return Err(format!("command {tag} rejected: {e}"));
                    }
                    buf = rej.into_buf();
                    c.b.submit(1).map_err(|e| format!("submit: {e}"))?;
                    reap(&mut c.b, &mut results);
                }
            }
        }
    }
    let start = Instant::now();
    while c.b.in_flight() > 0 {
        if start.elapsed() > QUEUE_LIMIT {
            return Err(format!(
                "{} commands still in flight after {} s",
                c.b.in_flight(),
                QUEUE_LIMIT.as_secs()
            ));
        }
        c.b.submit(1).map_err(|e| format!("submit: {e}"))?;
        reap(&mut c.b, &mut results);
    }
    reap(&mut c.b, &mut results);
    let mut take = |i: usize| {
        results[i]
            .take()
            .ok_or_else(|| format!("command {i}: no completion reaped"))
    };
    let r0 = take(0)?;
    let r1 = take(1)?;
    let r2 = take(2)?;
    let s0 = want_status(
        &format!("queued read of LBA {first}"),
        r0.map(drop),
        Status::UNRECOVERED_READ_ERROR,
    )?;
    let back = r1.map_err(|e| format!("queued read of LBA {out}: {e}"))?;
    diff(&back, &data, lba).map_err(|e| format!("queued read of LBA {out}: {e}"))?;
    let s2 = want_status(
        &format!("queued write of LBA {}", first + count - 1),
        r2.map(drop),
        Status::WRITE_FAULT,
    )?;
    Ok(format!(
        "read: {s0}; write: {s2}; read outside: data verified"
    ))
}

fn reap<B: Backend>(b: &mut B, results: &mut [Option<Result<Vec<u8>, Error>>]) {
    b.reap(|r| {
        if let Some(slot) = results.get_mut(r.tag as usize) {
            *slot = Some(
                r.result
                    .map(|_| r.buf.map(|b| b.as_slice().to_vec()).unwrap_or_default()),
            );
        }
    });
}

/// How backend `B` reaches its controller.
fn reach<B: HwBackend>() -> Reach {
    crate::registry::reach(B::NAME).unwrap_or(Reach::Kernel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_lba_ranges_parse() {
        assert_eq!(parse_lbas("1024+4"), Some((1024, 4)));
        assert_eq!(parse_lbas(" 7+1\n"), Some((7, 1)));
        assert_eq!(parse_lbas("1024+0"), None);
        assert_eq!(parse_lbas("1024"), None);
        assert_eq!(parse_lbas("a+b"), None);
    }
}
