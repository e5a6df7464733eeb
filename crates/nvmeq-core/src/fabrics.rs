//! NVMe over Fabrics: the Fabrics command set, the Discovery log page, the
//! SGL descriptors a fabrics capsule carries, and the NVMe/TCP transport's
//! PDUs.
//!
//! Sources: NVM Express over Fabrics Specification 1.1 (Fabrics commands,
//! Discovery), NVM Express Base Specification 2.0 (which absorbed both:
//! "Fabrics Command Set" and "Discovery Log Page"), and the NVMe/TCP
//! Transport Specification 1.0 (PDUs, digests, data transfer). Layouts are
//! checked against the byte offsets Linux uses (`include/linux/nvme.h`,
//! `include/linux/nvme-tcp.h`) in golden-byte tests.
//!
//! - [`cmd`]: Connect (with its 1024-byte data), Property Get/Set,
//!   Disconnect, Authentication Send/Receive.
//! - [`dim`]: Discovery Information Management (explicit registration with
//!   a discovery controller) and its Extended Discovery Information Entry.
//! - [`discovery`]: the Discovery log page header and its entries.
//! - [`sgl`]: the in-capsule (Data Block, Offset) and Transport SGL Data
//!   Block descriptors.
//! - [`tcp`]: NVMe/TCP PDU headers, parsed `check_len`-first.

pub mod cmd;
pub mod dim;
pub mod discovery;
pub mod sgl;
pub mod tcp;

pub use cmd::{
    AuthReceive, AuthSend, Connect, ConnectData, Disconnect, FabricsCommand, FcType, PropertyGet,
    PropertySet, PropertySize, FABRICS_OPCODE,
};
pub use dim::{Dim, DimRequest, DimTask};
pub use discovery::{DiscoveryEntry, DiscoveryLogHeader};

/// The NVMe Qualified Name of the well-known discovery controller
/// ("NVMe Qualified Names", Base spec 2.0).
pub const DISCOVERY_NQN: &str = "nqn.2014-08.org.nvmexpress.discovery";

/// Bytes of an NQN field in Connect data and Discovery entries (NUL padded).
pub const NQN_FIELD_LEN: usize = 256;

/// The controller id a host asks for on the admin queue's Connect when any
/// controller will do (dynamic controller model, Connect data CNTLID FFFFh).
pub const CNTLID_DYNAMIC: u16 = 0xffff;

/// Copies `s` into a NUL-padded field (NQNs, transport addresses); `false`
/// and `dst` untouched when it does not fit with at least one NUL.
#[must_use]
pub fn put_nul_str(dst: &mut [u8], s: &str) -> bool {
    if s.len() >= dst.len() {
        return false;
    }
    dst[..s.len()].copy_from_slice(s.as_bytes());
    dst[s.len()..].fill(0);
    true
}

/// A NUL- (or space-) padded field as text; `None` if not UTF-8.
pub fn nul_str(bytes: &[u8]) -> Option<&str> {
    crate::identify::spec_str(bytes)
}
