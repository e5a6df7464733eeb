//! The CLI's error type and its exit codes.
//!
//! Exit status: 0 success; 1 when the device or controller failed the command
//! (an NVMe status, an OS error, a device that cannot be opened); 2 for usage
//! errors, including a destructive command refused for lack of
//! `--namespace-id`/`--force` (clap also exits 2 for malformed options).

use nvmeq_core::{Error as CoreError, Status};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The controller completed the command with a non-success status.
    #[error("{op}: {status}")]
    Nvme {
        /// The command that failed (e.g. "Read").
        op: String,
        /// The decoded status.
        status: Status,
    },
    /// The backend failed before or around the controller.
    #[error("{op}: {err}")]
    Backend {
        /// The command that failed.
        op: String,
        /// What went wrong.
        err: CoreError,
    },
    /// The device could not be selected or opened.
    #[error("{0}")]
    Device(String),
    /// The command line asks for something inconsistent or unsafe.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a data file, stdin or stdout.
    #[error("{what}: {err}")]
    Io {
        /// What was being read or written.
        what: String,
        /// The OS error.
        err: std::io::Error,
    },
}

impl CliError {
    /// The process exit status for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }

    /// Wraps a backend error for the named command, keeping NVMe statuses apart.
    pub fn from_core(op: &str, err: CoreError) -> Self {
        match err {
            CoreError::Status(status) => CliError::Nvme {
                op: op.to_string(),
                status,
            },
            err => CliError::Backend {
                op: op.to_string(),
                err,
            },
        }
    }

    /// An I/O error while doing `what`.
    pub fn io(what: impl Into<String>, err: std::io::Error) -> Self {
        CliError::Io {
            what: what.into(),
            err,
        }
    }
}

/// Shorthand for a usage error.
pub fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// The result of a CLI command.
pub type Result<T, E = CliError> = std::result::Result<T, E>;
