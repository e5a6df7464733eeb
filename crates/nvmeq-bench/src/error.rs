//! [`BenchError`]: why a benchmark could not run or stopped.

use crate::config::Pattern;

/// Why a benchmark could not run, or stopped early.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The configuration is inconsistent (named in the message).
    #[error("{0}")]
    Config(String),
    /// A write pattern without the caller's explicit permission.
    #[error(
        "pattern `{pattern}` writes to the device: refused without an explicit \
         \"destructive allowed\" flag (and a named namespace)"
    )]
    WritesNotAllowed {
        /// The pattern that was asked for.
        pattern: Pattern,
    },
    /// The backend factory failed to open a device for a job.
    #[error("job {job}: cannot open the device: {reason}")]
    Open {
        /// Job index.
        job: u32,
        /// The factory's error.
        reason: String,
    },
    /// The device or backend refused the setup (LBA size, MDTS, queue depth…).
    #[error("job {job}: {what}: {source}")]
    Setup {
        /// Job index.
        job: u32,
        /// What was being done.
        what: &'static str,
        /// The backend's error.
        source: nvmeq_core::Error,
    },
    /// The geometry does not fit the device (named in the message).
    #[error("job {job}: {reason}")]
    Geometry {
        /// Job index.
        job: u32,
        /// What does not fit.
        reason: String,
    },
    /// A command failed during the run (NVMe status decoded by name).
    #[error("job {job}: {op} of LBA {slba} failed: {source}")]
    Io {
        /// Job index.
        job: u32,
        /// `"read"` or `"write"`.
        op: &'static str,
        /// The command's starting LBA.
        slba: u64,
        /// What the backend or device said.
        source: nvmeq_core::Error,
    },
    /// `--verify`: a read did not return what this run wrote (or its PI
    /// failed the host's check); the block and the difference are named.
    #[error("job {job}: verify: {reason}")]
    Verify {
        /// Job index.
        job: u32,
        /// Which block and what differs.
        reason: String,
    },
    /// Submitting or waiting failed.
    #[error("job {job}: commit failed: {source}")]
    Commit {
        /// Job index.
        job: u32,
        /// The backend's error.
        source: nvmeq_core::Error,
    },
    /// A job thread panicked (a bug; reported rather than propagated).
    #[error("job {0} panicked")]
    Panicked(u32),
}
