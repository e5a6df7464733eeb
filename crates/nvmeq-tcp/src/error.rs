//! [`OpenError`]: why a connection to an NVMe/TCP target could not be made.

use nvmeq_core::fabrics::tcp::PduError;
use nvmeq_core::Error;

/// Why connecting (or reconnecting) failed. Each names the step.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The address did not resolve or the TCP connection was refused.
    #[error("connecting to {addr}: {source}")]
    Tcp {
        /// `host:port`.
        addr: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The connection failed during initialization (ICReq/ICResp).
    #[error("NVMe/TCP initialization with {addr}: {source}")]
    Io {
        /// `host:port`.
        addr: String,
        /// The socket error.
        #[source]
        source: std::io::Error,
    },
    /// The ICResp broke the rules or refused what the host asked for.
    #[error("NVMe/TCP initialization with {addr}: {why}")]
    Handshake {
        /// `host:port`.
        addr: String,
        /// What was wrong.
        why: String,
    },
    /// The ICResp's header did not parse.
    #[error("NVMe/TCP initialization with {addr}: {source}")]
    Pdu {
        /// `host:port`.
        addr: String,
        /// The problem.
        #[source]
        source: PduError,
    },
    /// A command of the connection sequence failed.
    #[error("{step}: {source}")]
    Command {
        /// The step (`"Connect (admin queue)"`, `"Property Get CAP"`, …).
        step: &'static str,
        /// Its error (an NVMe status, a transport error).
        #[source]
        source: Error,
    },
    /// The controller wants in-band authentication, which nvmeq does not do.
    #[error("the controller requires in-band authentication (DH-HMAC-CHAP), which nvmeq-tcp does not implement")]
    AuthRequired,
    /// CSTS.RDY did not become 1 within CAP.TO, or CSTS.CFS was set.
    #[error("the controller did not become ready ({0})")]
    NotReady(&'static str),
    /// An option outside what the protocol allows.
    #[error("invalid option: {0}")]
    BadOption(String),
}
