//! Host Discovery (LID 71h; Base spec 2.1, the "Host Discovery Log Page",
//! "Host Discovery Log Page Entry" and "Extended Attribute" figures): a
//! 1024-byte header, then entries of THDLPL-bounded, TEL-sized records,
//! each a 1032-byte fixed part and NUMEXAT extended attributes. Only a
//! centralized discovery controller reports it.
//!
//! The walkers bound every entry and attribute by the bytes read and stop
//! at an entry whose length could not hold its fixed part (a TEL of 0
//! would otherwise never advance).

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::fabrics::NQN_FIELD_LEN;

/// The Host Discovery log header: 1024 bytes.
#[repr(C)]
#[derive(Debug, Clone, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct HostDiscoveryLog {
    /// Generation Counter (GENCTR).
    pub genctr: U64,
    /// Number of Records (NUMREC).
    pub numrec: U64,
    /// Record Format (RECFMT).
    pub recfmt: U16,
    /// Host Discovery Log Page Flags (HDLPF): bit 0 all host entries.
    pub hdlpf: u8,
    /// Reserved (byte 19).
    pub rsvd19: u8,
    /// Total Host Discovery Log Page Length (THDLPL): bytes of the page.
    pub thdlpl: U32,
    /// Reserved (bytes 24..1024).
    pub rsvd24: [u8; 1000],
}

const _: () = assert!(size_of::<HostDiscoveryLog>() == 1024);
const _: () = assert!(offset_of!(HostDiscoveryLog, hdlpf) == 18);
const _: () = assert!(offset_of!(HostDiscoveryLog, thdlpl) == 20);

/// A Host Discovery log entry's fixed part: 1032 bytes, then its
/// extended attributes.
#[repr(C)]
#[derive(Debug, Clone, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct HostDiscoveryEntry {
    /// Transport Type (TRTYPE).
    pub trtype: u8,
    /// Address Family (ADRFAM).
    pub adrfam: u8,
    /// Reserved (bytes 2..10).
    pub rsvd2: [u8; 8],
    /// Entry Flags (EFLAGS).
    pub eflags: U16,
    /// Reserved (bytes 12..256).
    pub rsvd12: [u8; 244],
    /// The host's NQN (HOSTNQN), NUL padded.
    pub hostnqn: [u8; NQN_FIELD_LEN],
    /// Transport Address (TRADDR), as text.
    pub traddr: [u8; 256],
    /// Transport Specific Address Subtype (TSAS).
    pub tsas: [u8; 256],
    /// Total Entry Length (TEL): bytes of this entry and its attributes.
    pub tel: U32,
    /// Number of Extended Attributes (NUMEXAT).
    pub numexat: U16,
    /// Reserved (bytes 1030..1032).
    pub rsvd1030: [u8; 2],
}

const _: () = assert!(size_of::<HostDiscoveryEntry>() == 1032);
const _: () = assert!(offset_of!(HostDiscoveryEntry, eflags) == 10);
const _: () = assert!(offset_of!(HostDiscoveryEntry, hostnqn) == 256);
const _: () = assert!(offset_of!(HostDiscoveryEntry, traddr) == 512);
const _: () = assert!(offset_of!(HostDiscoveryEntry, tsas) == 768);
const _: () = assert!(offset_of!(HostDiscoveryEntry, tel) == 1024);

/// An Extended Attribute's head: 4 bytes, then EXATLEN value bytes padded
/// to a dword.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct ExtAttrHead {
    /// Extended Attribute Type (EXATTYPE): 1 host identifier, 2 symbolic name.
    pub exattype: U16,
    /// Extended Attribute Length (EXATLEN): bytes of the value.
    pub exatlen: U16,
}

const _: () = assert!(size_of::<ExtAttrHead>() == 4);

/// An extended attribute and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtAttr<'a> {
    /// Its head.
    pub head: ExtAttrHead,
    /// Its EXATLEN value bytes (without the padding).
    pub value: &'a [u8],
}

/// A Host Discovery entry with its attribute bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostDiscoveryRecord<'a> {
    /// The fixed part.
    pub entry: &'a HostDiscoveryEntry,
    /// The bytes after it, up to TEL.
    pub attrs: &'a [u8],
}

impl<'a> HostDiscoveryRecord<'a> {
    /// The NUMEXAT extended attributes that fit in the entry.
    pub fn attrs(&self) -> impl Iterator<Item = ExtAttr<'a>> + 'a {
        ext_attrs(self.attrs, self.entry.numexat.get())
    }
}

/// `n` extended attributes packed in `b`, stopping at the first that does
/// not fit.
pub fn ext_attrs(b: &[u8], n: u16) -> impl Iterator<Item = ExtAttr<'_>> + '_ {
    let mut off = 0usize;
    (0..n).map_while(move |_| {
        let (head, _) = ExtAttrHead::read_from_prefix(b.get(off..)?).ok()?;
        let len = usize::from(head.exatlen.get());
        let value = b.get(off + 4..off + 4 + len)?;
        off += 4 + len.next_multiple_of(4);
        Some(ExtAttr { head, value })
    })
}

/// The entries of a Host Discovery page: from byte 1024 up to THDLPL (or
/// the bytes read), each TEL bytes long; the walk ends at an entry that is
/// cut short or whose TEL cannot hold its fixed part.
pub fn host_discovery_records(log: &[u8]) -> impl Iterator<Item = HostDiscoveryRecord<'_>> + '_ {
    let total = HostDiscoveryLog::ref_from_prefix(log)
        .map_or(0, |(h, _)| (h.thdlpl.get() as usize).min(log.len()));
    let mut off = size_of::<HostDiscoveryLog>();
    core::iter::from_fn(move || {
        if off >= total {
            return None;
        }
        let b = &log[off..total];
        let (entry, _) = HostDiscoveryEntry::ref_from_prefix(b).ok()?;
        let tel = entry.tel.get() as usize;
        if tel < size_of::<HostDiscoveryEntry>() || tel > b.len() {
            off = total;
            return None;
        }
        off += tel;
        Some(HostDiscoveryRecord {
            entry,
            attrs: &b[size_of::<HostDiscoveryEntry>()..tel],
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes_and_walk() {
        let mut log = [0u8; 1024 + 1032 + 12];
        log[0] = 5; // genctr
        log[8] = 1; // numrec
        log[18] = 1; // hdlpf
        let len = log.len() as u32;
        log[20..24].copy_from_slice(&len.to_le_bytes());
        let h = HostDiscoveryLog::ref_from_prefix(&log[..]).unwrap().0;
        assert_eq!((h.genctr.get(), h.hdlpf, h.thdlpl.get()), (5, 1, 2068));
        let e = &mut log[1024..];
        e[0] = 3; // tcp
        e[1] = 1; // ipv4
        e[256..260].copy_from_slice(b"nqn1");
        e[512..521].copy_from_slice(b"127.0.0.1");
        e[1024..1028].copy_from_slice(&1044u32.to_le_bytes());
        e[1028] = 2; // numexat
        e[1032..1036].copy_from_slice(&[2, 0, 3, 0]);
        e[1036..1039].copy_from_slice(b"abc");
        e[1040..1044].copy_from_slice(&[1, 0, 9, 0]); // value cut short
        let r: heapless::Vec<_, 2> = host_discovery_records(&log).collect();
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].entry.trtype, &r[0].entry.hostnqn[..4]),
            (3, &b"nqn1"[..])
        );
        let a: heapless::Vec<_, 2> = r[0].attrs().collect();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].head.exattype.get(), a[0].value), (2, &b"abc"[..]));
        drop((a, r));
        // A TEL of 0 ends the walk instead of looping.
        log[2048..2052].fill(0);
        assert_eq!(host_discovery_records(&log).count(), 0);
        assert_eq!(host_discovery_records(&log[..100]).count(), 0);
    }
}
