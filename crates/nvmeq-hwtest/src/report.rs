//! Results: one row per test, printed as a table with a final `N passed, M failed` line.

use std::io::Write;

/// How a test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It checked what it set out to check.
    Pass,
    /// A check failed, an error was returned, it panicked or it ran out of time.
    Fail,
    /// It could not run here, for the reason in the detail (printed, counted apart).
    Skip,
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// Test name (prefixed by the target's label).
    pub test: String,
    /// Backend name.
    pub backend: String,
    /// Outcome.
    pub outcome: Outcome,
    /// What was seen, or why it failed.
    pub detail: String,
}

/// Counts of (passed, failed, skipped).
pub fn counts(rows: &[Row]) -> (usize, usize, usize) {
    let c = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
    (c(Outcome::Pass), c(Outcome::Fail), c(Outcome::Skip))
}

/// Prints the table and the summary; the last line is exactly `N passed, M failed`.
pub fn print(rows: &[Row], out: &mut dyn Write) -> std::io::Result<()> {
    let w_test = rows.iter().map(|r| r.test.len()).max().unwrap_or(4).max(4);
    let w_back = rows
        .iter()
        .map(|r| r.backend.len())
        .max()
        .unwrap_or(7)
        .max(7);
    writeln!(
        out,
        "{:<w_test$}  {:<w_back$}  {:<6}  detail",
        "test", "backend", "result"
    )?;
    writeln!(out, "{}", "-".repeat(w_test + w_back + 24))?;
    for r in rows {
        let res = match r.outcome {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skip => "SKIP",
        };
        // Keep one row per line: details can hold newlines from errors.
        let detail = r.detail.replace('\n', " | ");
        writeln!(
            out,
            "{:<w_test$}  {:<w_back$}  {res:<6}  {detail}",
            r.test, r.backend
        )?;
    }
    let (p, f, s) = counts(rows);
    if s > 0 {
        writeln!(out, "{s} skipped (reasons above)")?;
    }
    writeln!(out, "{p} passed, {f} failed")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_is_the_last_line() {
        let row = |o| Row {
            test: "A/x".into(),
            backend: "ioctl".into(),
            outcome: o,
            detail: "a\nb".into(),
        };
        let rows = [row(Outcome::Pass), row(Outcome::Fail), row(Outcome::Pass)];
        let mut out = Vec::new();
        print(&rows, &mut out).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s.lines().last(), Some("2 passed, 1 failed"));
        assert!(s.contains("FAIL    a | b"), "{s}");
        assert_eq!(s.lines().count(), 2 + 3 + 1);
    }
}
