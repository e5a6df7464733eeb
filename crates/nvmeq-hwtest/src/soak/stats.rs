//! What a soak counts: commands and bytes by kind, errors, mismatches and
//! every command's latency.

use std::time::Duration;

use hdrhistogram::Histogram;

use super::model::Mismatch;

/// The commands a soak sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A stamped write.
    Write,
    /// A read checked against the model, during the workload.
    Read,
    /// A flush.
    Flush,
    /// A Dataset Management deallocate.
    Dsm,
    /// A read of the final pass over everything written.
    Verify,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 5] = [
        Kind::Write,
        Kind::Read,
        Kind::Flush,
        Kind::Dsm,
        Kind::Verify,
    ];
    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Write => "write",
            Kind::Read => "read",
            Kind::Flush => "flush",
            Kind::Dsm => "dsm",
            Kind::Verify => "verify",
        }
    }
}

/// Commands, bytes moved and failures of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Commands completed (successfully or not).
    pub commands: u64,
    /// Data bytes moved by the successful ones.
    pub bytes: u64,
    /// Commands that failed.
    pub errors: u64,
}

/// Mismatches and errors kept in full; the rest are counted.
const KEEP: usize = 8;

/// Latencies above this count as outliers whatever the distribution.
pub const OUTLIER_ABS: Duration = Duration::from_millis(100);
/// Latencies above this multiple of p99 count as outliers.
pub const OUTLIER_P99_FACTOR: u64 = 10;

/// The soak's counters.
#[derive(Debug)]
pub struct Stats {
    counts: [Counts; 5],
    /// Microseconds, 1 us to 1 h, 3 significant digits.
    latency: Histogram<u64>,
    /// The first failures, as messages (errors are the backends' `Display`).
    pub errors: Vec<String>,
    /// Failures outside any one command.
    pub other_errors: u64,
    /// Blocks that did not read back as expected.
    pub mismatches: u64,
    /// The first of them.
    pub first_mismatches: Vec<Mismatch>,
    /// Blocks compared with the model (workload reads and the final pass).
    pub blocks_checked: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            counts: [Counts::default(); 5],
            latency: Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds"),
            errors: Vec::new(),
            other_errors: 0,
            mismatches: 0,
            first_mismatches: Vec::new(),
            blocks_checked: 0,
        }
    }
}

/// Latency figures of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// The slowest command.
    pub max: Duration,
    /// Commands slower than [`OUTLIER_ABS`].
    pub over_abs: u64,
    /// Commands slower than [`OUTLIER_P99_FACTOR`] × p99.
    pub over_p99: u64,
}

impl Stats {
    /// One completed command.
    pub fn done(&mut self, kind: Kind, took: Duration, bytes: u64, error: Option<String>) {
        let c = &mut self.counts[kind as usize];
        c.commands += 1;
        self.latency
            .saturating_record(took.as_micros().max(1) as u64);
        match error {
            None => c.bytes += bytes,
            Some(e) => {
                c.errors += 1;
                if self.errors.len() < KEEP {
                    self.errors.push(e);
                }
            }
        }
    }
    /// A failure outside any one command (a submit, a refused push).
    pub fn failure(&mut self, e: String) {
        self.other_errors += 1;
        if self.errors.len() < KEEP {
            self.errors.push(e);
        }
    }
    /// One mismatching block.
    pub fn mismatch(&mut self, m: Mismatch) {
        self.mismatches += 1;
        if self.first_mismatches.len() < KEEP {
            self.first_mismatches.push(m);
        }
    }
    /// The counts of `kind`.
    pub fn counts(&self, kind: Kind) -> Counts {
        self.counts[kind as usize]
    }
    /// Failed commands of every kind.
    pub fn errors_total(&self) -> u64 {
        self.counts.iter().map(|c| c.errors).sum::<u64>() + self.other_errors
    }
    /// Commands of every kind.
    pub fn commands_total(&self) -> u64 {
        self.counts.iter().map(|c| c.commands).sum()
    }
    /// Percentiles, maximum and outliers.
    pub fn latency(&self) -> Latency {
        let h = &self.latency;
        let us = Duration::from_micros;
        let p99 = h.value_at_quantile(0.99);
        let max = h.max();
        let over = |limit: u64| {
            if limit >= max {
                0
            } else {
                h.count_between(h.next_non_equivalent(limit), max)
            }
        };
        Latency {
            p50: us(h.value_at_quantile(0.5)),
            p99: us(p99),
            max: us(max),
            over_abs: over(OUTLIER_ABS.as_micros() as u64),
            over_p99: over(p99.saturating_mul(OUTLIER_P99_FACTOR)),
        }
    }
}
