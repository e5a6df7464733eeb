//! The loop's invariants against the ram backend behind an adapter that
//! behaves like a polled (IOPOLL) ring: a completion becomes visible only
//! when the caller commits again (the kernel posts IOPOLL completions only
//! when entered with GETEVENTS), `delay` commits after the one that
//! submitted it, or sooner when a commit waits for it.

mod common;

use std::collections::VecDeque;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use nvmeq_bench::{Config, LatMode, Limit, Pattern, Region, Report};
use nvmeq_core::{Backend, Cmd, Error, Reaped, Rejected};
use nvmeq_ram::{RamBuf, RamConfig, RamController};

/// What the adapter saw over a run.
#[derive(Debug, Default, Clone)]
struct Seen {
    max_in_flight: u32,
    /// Most commands one commit submitted.
    max_submitted: u32,
    /// Most completions one reap handed out.
    max_reaped: usize,
    /// Completions whose tag was not in flight, or reaped twice.
    bad_tags: u32,
    written: u64,
    reaped: u64,
}

struct Polled<'a> {
    inner: RamController,
    /// Completions the device has finished but not posted yet, with the
    /// commit that submitted them, oldest first.
    held: VecDeque<(u64, Reaped<RamBuf>)>,
    commits: u64,
    delay: u64,
    /// Completions posted, for the next reap.
    posted: VecDeque<Reaped<RamBuf>>,
    /// Commands written since the last commit.
    unsubmitted: u32,
    in_flight_tags: Vec<bool>,
    seen: Seen,
    out: &'a Mutex<Seen>,
}

impl<'a> Polled<'a> {
    fn new(qd: u32, delay: u64, out: &'a Mutex<Seen>) -> Self {
        let mut cfg = RamConfig::new(16 << 20, 512);
        // Deeper than the benchmark's queue: only the engine keeps QD.
        cfg.queue_depth = 1024;
        Polled {
            inner: RamController::new(cfg).unwrap(),
            held: VecDeque::new(),
            commits: 0,
            delay,
            posted: VecDeque::new(),
            unsubmitted: 0,
            in_flight_tags: vec![false; qd as usize],
            seen: Seen::default(),
            out,
        }
    }

    fn in_flight_now(&self) -> u32 {
        self.in_flight_tags.iter().filter(|t| **t).count() as u32
    }
}

impl Drop for Polled<'_> {
    fn drop(&mut self) {
        *self.out.lock().unwrap() = self.seen.clone();
    }
}

impl Backend for Polled<'_> {
    forward_to_inner!();
    fn push(&mut self, cmd: &Cmd, buf: Option<RamBuf>, tag: u64) -> Result<(), Rejected<RamBuf>> {
        self.inner.push(cmd, buf, tag)?;
        match self.in_flight_tags.get_mut(tag as usize) {
            Some(t) if !*t => *t = true,
            _ => self.seen.bad_tags += 1,
        }
        self.unsubmitted += 1;
        self.seen.written += 1;
        let n = self.in_flight_now();
        self.seen.max_in_flight = self.seen.max_in_flight.max(n);
        Ok(())
    }
    /// Runs what was pushed, posts what is `delay` submits old, and, when
    /// waiting, the oldest others until `min_complete` are posted.
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        let submitted = self.unsubmitted;
        self.seen.max_submitted = self.seen.max_submitted.max(submitted);
        self.unsubmitted = 0;
        self.commits += 1;
        let now = self.commits;
        self.inner.submit(0)?;
        let held = &mut self.held;
        self.inner.reap(|r| held.push_back((now, r)));
        while let Some((at, _)) = self.held.front() {
            if now - at < self.delay && self.posted.len() >= min_complete as usize {
                break;
            }
            let (_, r) = self.held.pop_front().unwrap();
            self.posted.push_back(r);
        }
        if self.posted.len() < min_complete as usize {
            return Err(Error::WaitExceedsInFlight {
                want: min_complete,
                in_flight: self.posted.len() as u32,
            });
        }
        Ok(submitted)
    }
    fn reap(&mut self, mut f: impl FnMut(Reaped<RamBuf>)) -> usize {
        let n = self.posted.len();
        self.seen.max_reaped = self.seen.max_reaped.max(n);
        for r in self.posted.drain(..) {
            match self.in_flight_tags.get_mut(r.tag as usize) {
                Some(t) if *t => *t = false,
                _ => self.seen.bad_tags += 1,
            }
            self.seen.reaped += 1;
            f(r);
        }
        n
    }
    fn in_flight(&self) -> u32 {
        self.in_flight_now()
    }
}

fn cfg(qd: u32, batch: u32, ios: u64) -> Config {
    let mut c = Config::new(Pattern::RandRead);
    c.qd = qd;
    c.batch = batch;
    c.limit = Limit::Ios(ios);
    c.region = Some(Region {
        start_lba: 0,
        blocks: 1 << 15,
    });
    c
}

/// Runs `c` on a [`Polled`] adapter on its own thread; fails after 30 s
/// instead of hanging (a loop that does not poll spins forever).
fn run_polled(c: Config, delay: u64) -> (Report, Seen) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let out = Mutex::new(Seen::default());
        let r = nvmeq_bench::run(&c, || Ok::<_, String>(Polled::new(c.qd, delay, &out)));
        let seen = out.lock().unwrap().clone();
        let _ = tx.send((r, seen));
    });
    let (r, seen) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the run did not finish in 30 s: the loop never polled the backend");
    (r.unwrap(), seen)
}

#[test]
fn spinning_on_a_polled_backend_makes_progress() {
    for (qd, batch) in [(1, 1), (32, 8), (128, 32)] {
        let mut c = cfg(qd, batch, 10_000);
        c.spin = true;
        let (r, seen) = run_polled(c, 3);
        assert_eq!(r.ios, 10_000, "qd {qd} batch {batch}");
        assert_eq!(
            (seen.written, seen.reaped, seen.bad_tags),
            (10_000, 10_000, 0)
        );
        assert!(seen.max_in_flight <= qd);
    }
}

#[test]
fn staggered_batches_keep_the_queue_fed() {
    for (qd, batch) in [(1, 1), (4, 1), (32, 8), (128, 32), (7, 3)] {
        for spin in [false, true] {
            let mut c = cfg(qd, batch, 20_000);
            c.spin = spin;
            // A device slower than the host: without spinning, commands
            // complete only when waited for.
            let (r, seen) = run_polled(c, if spin { 4 } else { u64::MAX });
            let what = format!("qd {qd} batch {batch} spin {spin}");
            assert_eq!(r.ios, 20_000, "{what}");
            assert_eq!(
                seen.bad_tags, 0,
                "{what}: a completion for a tag not in flight"
            );
            assert_eq!((seen.written, seen.reaped), (20_000, 20_000), "{what}");
            assert!(
                seen.max_in_flight <= qd,
                "{what}: {} in flight",
                seen.max_in_flight
            );
            assert!(
                seen.max_submitted <= batch,
                "{what}: one call submitted {}",
                seen.max_submitted
            );
            assert!(r.submitted_per_call <= batch as f64, "{what}");
            if !spin {
                // Waiting only when full keeps QD in flight, and each wait
                // retires about a batch, not the whole queue.
                assert_eq!(seen.max_in_flight, qd, "{what}: the queue was never full");
                assert!(
                    seen.max_reaped <= 2 * batch as usize,
                    "{what}: one reap took {}",
                    seen.max_reaped
                );
                assert!(
                    r.reaped_per_call >= batch as f64 / 2.0,
                    "{what}: {} reaped per call",
                    r.reaped_per_call
                );
            }
        }
    }
}

/// `--batch QD --complete 1` (libvfn perf's loop): each full-queue wait is
/// for one completion, then every slot that completed is refilled in one
/// submit, so calls submit as many as just came back.
#[test]
fn complete_one_refills_what_came_back() {
    let mut c = cfg(16, 16, 10_000);
    c.complete = Some(1);
    // Completions become visible one commit after their submit.
    let (r, seen) = run_polled(c.clone(), 1);
    assert_eq!(r.ios, 10_000);
    assert_eq!((seen.bad_tags, seen.reaped), (0, 10_000));
    assert_eq!(seen.max_in_flight, 16);
    assert_eq!(r.complete, 1);
    // Waiting for all 16 would retire the queue in one call; waiting for
    // one lets the calls overlap: more calls, fewer reaped per call.
    c.complete = None;
    let (full, _) = run_polled(c.clone(), 1);
    assert!(
        r.commits > full.commits,
        "complete 1: {} calls, complete 16: {}",
        r.commits,
        full.commits
    );
    c.complete = Some(17);
    assert!(nvmeq_bench::run(&c, || Ok::<_, String>(
        RamController::new(RamConfig::new(1 << 20, 512)).unwrap()
    ))
    .unwrap_err()
    .to_string()
    .contains("--complete must be between 1 and the batch (16), not 17"));
}

#[test]
fn latency_is_recorded_as_asked() {
    for (mode, samples) in [
        (LatMode::All, 5_000),
        (LatMode::Sampled(10), 500),
        (LatMode::Off, 0),
    ] {
        let mut c = cfg(16, 4, 5_000);
        c.lat = mode;
        let (r, _) = run_polled(c, 2);
        assert_eq!(r.ios, 5_000);
        assert_eq!(r.lat_mode, mode);
        assert_eq!(r.lat.samples, samples, "{mode}");
        if samples > 0 {
            assert!(r.lat.min_ns >= 1 && r.lat.p50_ns <= r.lat.max_ns, "{mode}");
        } else {
            assert_eq!(r.lat.max_ns, 0);
        }
        let text = r.to_string();
        assert!(
            text.contains(&format!("lat{}", if samples == 0 { ": off" } else { " (" })),
            "{text}"
        );
        assert!(text.contains("IOS/call"), "{text}");
    }
}
