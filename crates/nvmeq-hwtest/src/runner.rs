//! Runs tests one by one: each catches its errors and panics, and a watchdog
//! bounds its duration so a hung command cannot hang the suite.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::report::{self, Outcome, Row};

/// What a test returns: `Ok(detail)` when it passed, `Err(why)` when it failed.
pub type TestResult = Result<String, String>;

struct Shared {
    rows: Vec<Row>,
    current: Option<(Row, Instant)>,
}

/// Collects rows and enforces the per-test time limit.
#[derive(Clone)]
pub struct Runner {
    shared: Arc<Mutex<Shared>>,
    limit: Duration,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("limit", &self.limit)
            .finish()
    }
}

fn lock(m: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Runner {
    /// A runner whose tests each get at most `limit`. A test still running
    /// then is reported failed, the table printed and the process exits with
    /// status 1 (a thread stuck in a syscall cannot be cancelled safely).
    pub fn new(limit: Duration) -> Self {
        let r = Runner {
            shared: Arc::new(Mutex::new(Shared {
                rows: Vec::new(),
                current: None,
            })),
            limit,
        };
        let shared = r.shared.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(200));
            let mut s = lock(&shared);
            if let Some((row, deadline)) = &s.current {
                if Instant::now() > *deadline {
                    let mut row = row.clone();
                    row.outcome = Outcome::Fail;
                    row.detail =
                        format!("did not finish within {} s: suite stopped", limit.as_secs());
                    s.rows.push(row);
                    let _ = report::print(&s.rows, &mut std::io::stdout());
                    std::process::exit(1);
                }
            }
        });
        r
    }

    /// Runs one test and records its row.
    pub fn run(&self, test: &str, backend: &str, f: impl FnOnce() -> TestResult) {
        let row = Row {
            test: test.into(),
            backend: backend.into(),
            outcome: Outcome::Fail,
            detail: String::new(),
        };
        lock(&self.shared).current = Some((row.clone(), Instant::now() + self.limit));
        let start = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(f));
        let ms = start.elapsed().as_millis();
        let (outcome, detail) = match r {
            Ok(Ok(d)) => (Outcome::Pass, d),
            Ok(Err(e)) => (Outcome::Fail, e),
            Err(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                (Outcome::Fail, format!("panicked: {msg}"))
            }
        };
        let detail = if outcome == Outcome::Pass && ms >= 1000 {
            format!("{detail} ({ms} ms)")
        } else {
            detail
        };
        eprintln!(
            "[{}] {backend} {test}: {detail}",
            if outcome == Outcome::Pass {
                "pass"
            } else {
                "FAIL"
            }
        );
        let mut s = lock(&self.shared);
        s.current = None;
        s.rows.push(Row {
            outcome,
            detail,
            ..row
        });
    }

    /// Records a row without running anything (a skip with its reason, or a
    /// failure found outside a test, such as a backend that cannot open).
    pub fn record(&self, test: &str, backend: &str, outcome: Outcome, detail: String) {
        lock(&self.shared).rows.push(Row {
            test: test.into(),
            backend: backend.into(),
            outcome,
            detail,
        });
    }

    /// The rows so far.
    pub fn rows(&self) -> Vec<Row> {
        lock(&self.shared).rows.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_panics_become_failures() {
        let r = Runner::new(Duration::from_secs(60));
        r.run("ok", "b", || Ok("fine".into()));
        r.run("err", "b", || Err("broken".into()));
        r.run("panic", "b", || panic!("boom {}", 1));
        r.run("ok2", "b", || Ok(String::new()));
        let rows = r.rows();
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.test.as_str(), r.outcome.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("ok", Outcome::Pass),
                ("err", Outcome::Fail),
                ("panic", Outcome::Fail),
                ("ok2", Outcome::Pass)
            ]
        );
        assert_eq!(rows[2].detail, "panicked: boom 1");
    }
}
