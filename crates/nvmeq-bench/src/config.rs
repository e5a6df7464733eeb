//! What to run: [`Config`], its [`Pattern`], [`Limit`] and [`Region`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::BenchError;

/// The access pattern, as fio's `rw=` names it.
///
/// Serialised as its [`Display`](fmt::Display) string (`"randread"`, `"mixed:70"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
pub enum Pattern {
    /// Random reads.
    RandRead,
    /// Random writes (destructive).
    RandWrite,
    /// Sequential reads.
    Read,
    /// Sequential writes (destructive).
    Write,
    /// Random reads and writes, `read_pct` percent reads (fio's `randrw` with
    /// `rwmixread`); destructive unless `read_pct` is 100.
    Mixed {
        /// Percentage of reads, 0 to 100.
        read_pct: u8,
    },
}

impl Pattern {
    /// True when the pattern writes to the device.
    pub fn writes(self) -> bool {
        match self {
            Pattern::RandRead | Pattern::Read => false,
            Pattern::RandWrite | Pattern::Write => true,
            Pattern::Mixed { read_pct } => read_pct < 100,
        }
    }

    /// True for the random patterns.
    pub fn random(self) -> bool {
        !matches!(self, Pattern::Read | Pattern::Write)
    }

    /// Percentage of commands that are reads.
    pub fn read_pct(self) -> u8 {
        match self {
            Pattern::RandRead | Pattern::Read => 100,
            Pattern::RandWrite | Pattern::Write => 0,
            Pattern::Mixed { read_pct } => read_pct,
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::RandRead => f.write_str("randread"),
            Pattern::RandWrite => f.write_str("randwrite"),
            Pattern::Read => f.write_str("read"),
            Pattern::Write => f.write_str("write"),
            Pattern::Mixed { read_pct } => write!(f, "mixed:{read_pct}"),
        }
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.to_string()
    }
}

impl TryFrom<String> for Pattern {
    type Error = BenchError;
    fn try_from(s: String) -> Result<Self, BenchError> {
        s.parse()
    }
}

impl FromStr for Pattern {
    type Err = BenchError;

    /// `randread`, `randwrite`, `read`, `write`, `mixed` (50 % reads, as
    /// fio's `randrw`) or `mixed:READ_PCT` / `randrw:READ_PCT`.
    fn from_str(s: &str) -> Result<Self, BenchError> {
        let bad = || {
            BenchError::Config(format!(
                "unknown pattern `{s}` (randread, randwrite, read, write, mixed[:READ_PCT])"
            ))
        };
        Ok(match s {
            "randread" => Pattern::RandRead,
            "randwrite" => Pattern::RandWrite,
            "read" | "seqread" => Pattern::Read,
            "write" | "seqwrite" => Pattern::Write,
            "mixed" | "randrw" => Pattern::Mixed { read_pct: 50 },
            _ => {
                let pct = s
                    .strip_prefix("mixed:")
                    .or_else(|| s.strip_prefix("randrw:"))
                    .ok_or_else(bad)?;
                let read_pct: u8 = pct.parse().ok().filter(|p| *p <= 100).ok_or_else(|| {
                    BenchError::Config(format!("`{pct}` is not a read percentage (0 to 100)"))
                })?;
                Pattern::Mixed { read_pct }
            }
        })
    }
}

/// Which I/Os get a submit→reap latency sample (t/io_uring's `-t`).
///
/// Serialised as its [`Display`](fmt::Display) string (`"off"`, `"sampled:64"`, `"all"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
pub enum LatMode {
    /// None: the loop reads the clock only for a runtime limit.
    Off,
    /// One I/O in `n` (issue order); the clock is read only in calls that
    /// submit or reap a sampled I/O.
    Sampled(u32),
    /// Every I/O.
    All,
}

impl LatMode {
    /// 1 in `n` I/Os is timed; 0 for none.
    pub(crate) fn every(self) -> u64 {
        match self {
            LatMode::Off => 0,
            LatMode::Sampled(n) => n as u64,
            LatMode::All => 1,
        }
    }
}

impl fmt::Display for LatMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LatMode::Off => f.write_str("off"),
            LatMode::Sampled(n) => write!(f, "sampled:{n}"),
            LatMode::All => f.write_str("all"),
        }
    }
}

impl From<LatMode> for String {
    fn from(l: LatMode) -> String {
        l.to_string()
    }
}

impl TryFrom<String> for LatMode {
    type Error = BenchError;
    fn try_from(s: String) -> Result<Self, BenchError> {
        s.parse()
    }
}

impl FromStr for LatMode {
    type Err = BenchError;

    /// `off`, `all`, `sampled` (1 in 64) or `sampled:N` (N ≥ 1).
    fn from_str(s: &str) -> Result<Self, BenchError> {
        Ok(match s {
            "off" => LatMode::Off,
            "all" => LatMode::All,
            "sampled" => LatMode::Sampled(64),
            _ => {
                let n = s.strip_prefix("sampled:").ok_or_else(|| {
                    BenchError::Config(format!(
                        "unknown latency mode `{s}` (off, sampled[:N], all)"
                    ))
                })?;
                let n: u32 = n.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                    BenchError::Config(format!("`{n}` is not a sampling interval (1 or more)"))
                })?;
                LatMode::Sampled(n)
            }
        })
    }
}

/// When a job stops issuing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Issue for this long (commands in flight at the end still complete).
    Runtime(Duration),
    /// Issue exactly this many commands per job.
    Ios(u64),
}

/// The part of the namespace the benchmark touches, in logical blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
pub struct Region {
    /// First LBA.
    pub start_lba: u64,
    /// Number of logical blocks.
    pub blocks: u64,
}

/// Which loop drives the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "cli", derive(schemars::JsonSchema))]
pub enum Engine {
    /// The queue interface from one thread per job (push, submit, reap).
    #[default]
    Sync,
    /// `nvmeq::AsyncDevice` futures: `qd` tokio tasks on one current-thread
    /// runtime, each keeping one command in flight (cargo feature `tokio`).
    Async,
}

impl FromStr for Engine {
    type Err = BenchError;
    fn from_str(s: &str) -> Result<Self, BenchError> {
        match s {
            "sync" => Ok(Engine::Sync),
            "async" | "tokio" => Ok(Engine::Async),
            _ => Err(BenchError::Config(format!(
                "unknown engine `{s}` (sync, async)"
            ))),
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Sync => "sync",
            Engine::Async => "async",
        })
    }
}

/// A benchmark: one per [`crate::run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Access pattern.
    pub pattern: Pattern,
    /// Namespace to address.
    pub nsid: u32,
    /// Bytes per command; a multiple of the LBA size.
    pub bs: u32,
    /// Commands kept in flight per job.
    pub qd: u32,
    /// Commands each [`submit`](nvmeq_core::Backend::submit) submits at
    /// most, and completions it waits for when another batch would not fit
    /// (t/io_uring's `-s` and `-c`), 1 to `qd`.
    pub batch: u32,
    /// Completions to wait for when the queue is full (t/io_uring's `-c`),
    /// 1 to `batch`; `None`: `batch`. With `batch` = `qd` and 1, each call
    /// waits for the first completion, then refills every slot that has
    /// completed and rings once (libvfn's perf loop).
    pub complete: Option<u32>,
    /// Wait for completions by polling from user space: `submit(0)` and
    /// [`reap`](nvmeq_core::Backend::reap) until `batch` have arrived, instead
    /// of letting `submit(batch)` wait. On an IOPOLL ring each `submit(0)` is
    /// one poll of the device; on an io_uring SQPOLL ring it makes no syscall
    /// while the poller is awake. It spends the thread's CPU spinning.
    pub spin: bool,
    /// Which I/Os are timed.
    pub lat: LatMode,
    /// When to stop.
    pub limit: Limit,
    /// Threads, each with its own backend from the factory.
    pub jobs: u32,
    /// Where to do I/O; `None`: the whole namespace (its size from Identify
    /// Namespace).
    pub region: Option<Region>,
    /// Seed of the offset and read/write generators (job `i` uses `seed + i`).
    pub seed: u64,
    /// Writes are refused unless this is set: the caller has named the
    /// namespace and the user asked for destructive I/O.
    pub allow_destructive: bool,
    /// Writes carry contents derived from the LBA and the seed (and
    /// host-generated PI on a protected format), and reads of blocks this
    /// run wrote check them (and the PI); a difference stops the run.
    pub verify: bool,
    /// Which loop drives the device ([`crate::front::run_device`] runs the
    /// async one; [`crate::run`] is always the sync one).
    pub engine: Engine,
}

impl Config {
    /// 4 KiB random reads on namespace 1, QD 1, for 5 s, one job.
    pub fn new(pattern: Pattern) -> Self {
        Config {
            pattern,
            nsid: 1,
            bs: 4096,
            qd: 1,
            batch: 1,
            complete: None,
            spin: false,
            lat: LatMode::All,
            limit: Limit::Runtime(Duration::from_secs(5)),
            jobs: 1,
            region: None,
            seed: 0x6e76_6d65_7162_656e, // "nvmeqben"
            allow_destructive: false,
            verify: false,
            engine: Engine::Sync,
        }
    }

    /// Checks what can be checked without a device.
    pub fn validate(&self) -> Result<(), BenchError> {
        if self.pattern.writes() && !self.allow_destructive {
            return Err(BenchError::WritesNotAllowed {
                pattern: self.pattern,
            });
        }
        if self.verify && !self.pattern.writes() {
            return Err(BenchError::Config(format!(
                "--verify checks what this run writes; pattern `{}` writes nothing \
                 (use randwrite, write or mixed)",
                self.pattern
            )));
        }
        if self.bs == 0 {
            return Err(BenchError::Config(
                "block size must be at least one byte".into(),
            ));
        }
        if self.qd == 0 {
            return Err(BenchError::Config("queue depth must be at least 1".into()));
        }
        if self.batch == 0 || self.batch > self.qd {
            return Err(BenchError::Config(format!(
                "batch must be between 1 and the queue depth ({}), not {}",
                self.qd, self.batch
            )));
        }
        if let Some(c) = self.complete {
            if c == 0 || c > self.batch {
                return Err(BenchError::Config(format!(
                    "--complete must be between 1 and the batch ({}), not {c}",
                    self.batch
                )));
            }
        }
        if self.jobs == 0 {
            return Err(BenchError::Config("jobs must be at least 1".into()));
        }
        if self.engine == Engine::Async {
            // Options of the sync loop that have no meaning for futures.
            let sync_only = [
                (
                    self.jobs > 1,
                    "--jobs above 1 (one AsyncDevice; QD is its tasks)",
                ),
                (
                    self.batch > 1,
                    "--batch (each task submits its own command)",
                ),
                (self.complete.is_some(), "--complete"),
                (
                    self.spin,
                    "--spin (the driver task polls a polled queue by itself)",
                ),
                (self.verify, "--verify"),
            ];
            if let Some((_, what)) = sync_only.iter().find(|(on, _)| *on) {
                return Err(BenchError::Config(format!(
                    "--engine async does not take {what}; use --engine sync"
                )));
            }
        }
        match self.limit {
            Limit::Ios(0) => Err(BenchError::Config(
                "the I/O count must be at least 1".into(),
            )),
            Limit::Runtime(d) if d.is_zero() => {
                Err(BenchError::Config("the runtime must be above zero".into()))
            }
            _ => Ok(()),
        }?;
        if let Some(r) = self.region {
            if r.blocks == 0 {
                return Err(BenchError::Config("the region is empty".into()));
            }
            if r.start_lba.checked_add(r.blocks).is_none() {
                return Err(BenchError::Config(
                    "the region overflows 64-bit LBAs".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse_and_print() {
        for s in ["randread", "randwrite", "read", "write", "mixed:30"] {
            assert_eq!(s.parse::<Pattern>().unwrap().to_string(), s);
        }
        assert_eq!(
            "randrw".parse::<Pattern>().unwrap(),
            Pattern::Mixed { read_pct: 50 }
        );
        assert!("mixed:101"
            .parse::<Pattern>()
            .unwrap_err()
            .to_string()
            .contains("101"));
        assert!("zigzag"
            .parse::<Pattern>()
            .unwrap_err()
            .to_string()
            .contains("zigzag"));
    }

    #[test]
    fn latency_modes_parse_and_print() {
        for s in ["off", "all", "sampled:8"] {
            assert_eq!(s.parse::<LatMode>().unwrap().to_string(), s);
        }
        assert_eq!("sampled".parse::<LatMode>().unwrap(), LatMode::Sampled(64));
        assert!("sampled:0"
            .parse::<LatMode>()
            .unwrap_err()
            .to_string()
            .contains('0'));
        assert!("some".parse::<LatMode>().is_err());
    }

    #[test]
    fn writes_need_the_flag() {
        let mut c = Config::new(Pattern::RandWrite);
        assert!(matches!(
            c.validate(),
            Err(BenchError::WritesNotAllowed { .. })
        ));
        c.pattern = Pattern::Mixed { read_pct: 100 };
        c.validate().unwrap();
        c.pattern = Pattern::Mixed { read_pct: 99 };
        assert!(c.validate().is_err());
        c.allow_destructive = true;
        c.validate().unwrap();
    }

    #[test]
    fn bad_numbers_are_named() {
        let mut c = Config::new(Pattern::RandRead);
        c.qd = 4;
        c.batch = 8;
        assert!(c.validate().unwrap_err().to_string().contains("batch"));
        c.batch = 0;
        assert!(c.validate().is_err());
        c.batch = 4;
        c.limit = Limit::Ios(0);
        assert!(c.validate().unwrap_err().to_string().contains("I/O count"));
    }
}
