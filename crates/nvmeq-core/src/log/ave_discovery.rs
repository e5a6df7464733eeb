//! AVE Discovery (LID 72h; Base spec 2.1, the "AVE Discovery Log Page",
//! "AVE Discovery Log Page Entry" and "AVE Transport Record" figures): a
//! 1024-byte header, then TADLPL-bounded entries of TEL bytes, each a
//! 232-byte fixed part and NUMATR 20-byte transport records. Only a
//! centralized discovery controller reports it.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The AVE Discovery log header: 1024 bytes.
#[repr(C)]
#[derive(Debug, Clone, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct AveDiscoveryLog {
    /// Generation Counter (GENCTR).
    pub genctr: U64,
    /// Number of Records (NUMREC).
    pub numrec: U64,
    /// Record Format (RECFMT).
    pub recfmt: U16,
    /// Reserved (bytes 18..20).
    pub rsvd18: [u8; 2],
    /// Total AVE Discovery Log Page Length (TADLPL): bytes of the page.
    pub tadlpl: U32,
    /// Reserved (bytes 24..1024).
    pub rsvd24: [u8; 1000],
}

const _: () = assert!(size_of::<AveDiscoveryLog>() == 1024);
const _: () = assert!(offset_of!(AveDiscoveryLog, tadlpl) == 20);

/// An AVE Discovery log entry's fixed part: 232 bytes, then NUMATR
/// transport records.
#[repr(C)]
#[derive(Debug, Clone, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct AveDiscoveryEntry {
    /// Total Entry Length (TEL).
    pub tel: U32,
    /// The AVE's NQN (AVENQN), NUL padded.
    pub avenqn: [u8; 224],
    /// Number of AVE Transport Records (NUMATR).
    pub numatr: u8,
    /// Reserved (bytes 229..232).
    pub rsvd229: [u8; 3],
}

const _: () = assert!(size_of::<AveDiscoveryEntry>() == 232);
const _: () = assert!(offset_of!(AveDiscoveryEntry, numatr) == 228);

/// An AVE Transport Record: 20 bytes.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct AveTransportRecord {
    /// AVE Address Family (AVEADRFAM): 1 IPv4, 2 IPv6.
    pub aveadrfam: u8,
    /// Reserved (byte 1).
    pub rsvd1: u8,
    /// AVE Transport Service Identifier (AVETRSVCID): the port.
    pub avetrsvcid: U16,
    /// AVE Transport Address (AVETRADDR): an IPv4 address in its first 4
    /// bytes, or an IPv6 address.
    pub avetraddr: [u8; 16],
}

const _: () = assert!(size_of::<AveTransportRecord>() == 20);

/// An AVE Discovery entry with its transport record bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AveDiscoveryRecord<'a> {
    /// The fixed part.
    pub entry: &'a AveDiscoveryEntry,
    /// The bytes after it, up to TEL.
    pub records: &'a [u8],
}

impl AveDiscoveryRecord<'_> {
    /// The NUMATR transport records that fit in the entry.
    pub fn transports(&self) -> impl Iterator<Item = AveTransportRecord> + '_ {
        self.records
            .chunks_exact(size_of::<AveTransportRecord>())
            .take(usize::from(self.entry.numatr))
            .filter_map(|c| AveTransportRecord::read_from_bytes(c).ok())
    }
}

/// The entries of an AVE Discovery page: from byte 1024 up to TADLPL (or
/// the bytes read), each TEL bytes long; the walk ends at an entry that is
/// cut short or whose TEL cannot hold its fixed part.
pub fn ave_discovery_records(log: &[u8]) -> impl Iterator<Item = AveDiscoveryRecord<'_>> + '_ {
    let total = AveDiscoveryLog::ref_from_prefix(log)
        .map_or(0, |(h, _)| (h.tadlpl.get() as usize).min(log.len()));
    let mut off = size_of::<AveDiscoveryLog>();
    core::iter::from_fn(move || {
        if off >= total {
            return None;
        }
        let b = &log[off..total];
        let (entry, _) = AveDiscoveryEntry::ref_from_prefix(b).ok()?;
        let tel = entry.tel.get() as usize;
        if tel < size_of::<AveDiscoveryEntry>() || tel > b.len() {
            off = total;
            return None;
        }
        off += tel;
        Some(AveDiscoveryRecord {
            entry,
            records: &b[size_of::<AveDiscoveryEntry>()..tel],
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_walk() {
        let mut log = [0u8; 1024 + 232 + 40];
        log[8] = 1;
        let len = log.len() as u32;
        log[20..24].copy_from_slice(&len.to_le_bytes());
        let e = &mut log[1024..];
        e[0..4].copy_from_slice(&272u32.to_le_bytes());
        e[4..8].copy_from_slice(b"nqn.");
        e[228] = 3; // numatr: one more than fits
        e[232] = 1; // ipv4
        e[234..236].copy_from_slice(&4420u16.to_le_bytes());
        e[236..240].copy_from_slice(&[10, 0, 0, 1]);
        e[252] = 2;
        let r: heapless::Vec<_, 2> = ave_discovery_records(&log).collect();
        assert_eq!(r.len(), 1);
        let t: heapless::Vec<_, 4> = r[0].transports().collect();
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].aveadrfam, t[0].avetrsvcid.get(), &t[0].avetraddr[..4]),
            (1, 4420, &[10, 0, 0, 1][..])
        );
        assert_eq!(t[1].aveadrfam, 2);
        drop(r);
        // A TEL shorter than the fixed part ends the walk.
        log[1024..1028].copy_from_slice(&4u32.to_le_bytes());
        assert_eq!(ave_discovery_records(&log).count(), 0);
    }
}
