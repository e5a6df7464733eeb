//! Dispersed Namespace Participating NVM Subsystems (NVMe Base 2.1,
//! "Dispersed Namespace Participating NVM Subsystems Log Page", LID 17h):
//! a 256-byte header, then the NQN of each NVM subsystem the namespace named
//! by the NSID is dispersed over.

use core::mem::{offset_of, size_of};

use zerocopy::byteorder::little_endian::U64;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Bytes of one Participating NVM Subsystem entry: an NQN.
pub const NQN_ENTRY: usize = 256;

/// Dispersed Namespace Participating NVM Subsystems header: 256 bytes,
/// then NUMPSUB entries of [`NQN_ENTRY`] bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct DispersedNsLog {
    /// Generation Counter (GENCTR).
    pub genctr: U64,
    /// Number of Participating NVM Subsystems (NUMPSUB).
    pub numpsub: U64,
    /// Reserved (bytes 16..256).
    pub rsvd16: [u8; 240],
}

const _: () = assert!(size_of::<DispersedNsLog>() == 256);
const _: () = assert!(offset_of!(DispersedNsLog, numpsub) == 8);

impl Default for DispersedNsLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl DispersedNsLog {
    /// Bytes of the whole page, saturating where it does not fit a `u64`.
    pub const fn page_len(&self) -> u64 {
        self.numpsub
            .get()
            .saturating_mul(NQN_ENTRY as u64)
            .saturating_add(size_of::<Self>() as u64)
    }
}

/// The Participating NVM Subsystem NQNs of `log` (header included), each up
/// to its first NUL: at most NUMPSUB, and only the entries read whole.
pub fn participating_nss(log: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let n = DispersedNsLog::read_from_prefix(log).map_or(0, |(h, _)| h.numpsub.get());
    log.get(size_of::<DispersedNsLog>()..)
        .unwrap_or_default()
        .chunks_exact(NQN_ENTRY)
        .take(usize::try_from(n).unwrap_or(usize::MAX))
        .map(|e| &e[..e.iter().position(|&c| c == 0).unwrap_or(e.len())])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_walk() {
        let mut h = DispersedNsLog::default();
        h.genctr.set(3);
        h.numpsub.set(3);
        assert_eq!(
            &h.as_bytes()[..16],
            &[3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(h.page_len(), 256 * 4);
        let mut log = [0u8; 256 * 3 + 10];
        log[..256].copy_from_slice(h.as_bytes());
        log[256..266].copy_from_slice(b"nqn.a:one\0");
        log[512..768].fill(b'n');
        // The third entry is cut short: not read whole, not listed.
        let nqns: heapless::Vec<&[u8], 4> = participating_nss(&log).collect();
        assert_eq!(nqns.len(), 2);
        assert_eq!(nqns[0], b"nqn.a:one");
        assert_eq!(nqns[1].len(), 256);
        assert_eq!(participating_nss(&log[..100]).count(), 0);
        h.numpsub.set(u64::MAX);
        assert_eq!(h.page_len(), u64::MAX);
    }
}
