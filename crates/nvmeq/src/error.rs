//! [`OpenError`]: why [`crate::open`] could not open a device.

use nvmeq_core::BackendKind;

use crate::locator::LocatorError;

/// Why a device could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The device string does not parse, or names a backend this build
    /// does not include.
    #[error(transparent)]
    Locator(#[from] LocatorError),
    /// The backend refused the configuration.
    #[error("{backend}: {reason}")]
    Config {
        /// The backend's name.
        backend: BackendKind,
        /// What is wrong.
        reason: String,
    },
    /// A `ram:…,file=PATH` state file cannot be used: in use by another
    /// process, not a state file, corrupt, truncated, of a newer format, or
    /// made with other options.
    #[cfg(feature = "ram")]
    #[error("ram: {0}")]
    State(#[source] nvmeq_ram::StateError),
    /// The operating system refused to open the device.
    #[error("{backend}: cannot open {target}: {source}")]
    Io {
        /// The backend's name.
        backend: BackendKind,
        /// The path or PCI address.
        target: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The device answered, but not as needed (e.g. Identify failed).
    #[error("{backend}: {target}: {source}")]
    Device {
        /// The backend's name.
        backend: BackendKind,
        /// The path or PCI address.
        target: String,
        /// The error.
        #[source]
        source: nvmeq_core::Error,
    },
}
