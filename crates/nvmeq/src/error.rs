//! [`OpenError`]: why [`crate::open`] could not open a device.

use crate::spec::SpecError;

/// Why a device could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The device string does not parse.
    #[error("{0}")]
    Spec(#[from] SpecError),
    /// The backend the string needs is not compiled into this build.
    #[error(
        "`{target}` needs the {backend} backend, which this build of nvmeq does not include: \
         rebuild with the `{feature}` cargo feature"
    )]
    NotCompiled {
        /// The path, PCI address or `ram`.
        target: String,
        /// The backend's name.
        backend: &'static str,
        /// The cargo feature(s) that include it.
        feature: &'static str,
    },
    /// The backend refused the configuration.
    #[error("{backend}: {reason}")]
    Config {
        /// The backend's name.
        backend: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The operating system refused to open the device.
    #[error("{backend}: cannot open {target}: {source}")]
    Io {
        /// The backend's name.
        backend: &'static str,
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
        backend: &'static str,
        /// The path or PCI address.
        target: String,
        /// The error.
        #[source]
        source: nvmeq_core::Error,
    },
}
