//! The Discovery log page (LID 70h; Base spec 2.0, "Discovery Log Page" and
//! "Discovery Log Page Entry" figures): a 1024-byte header, then NUMREC
//! 1024-byte entries, one per subsystem port a discovery controller knows.

use core::mem::{offset_of, size_of};

use zerocopy::byteorder::little_endian::{U16, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::{nul_str, NQN_FIELD_LEN};
use crate::cmd::{GetLogPage, Numd};
use crate::log::LogId;

/// The Discovery log page header.
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct DiscoveryLogHeader {
    /// Generation Counter (GENCTR): changes whenever the log changes.
    pub genctr: U64,
    /// Number of Records (NUMREC).
    pub numrec: U64,
    /// Record Format (RECFMT).
    pub recfmt: U16,
    /// Reserved.
    pub _rsvd18: [u8; 1006],
}

const _: () = assert!(size_of::<DiscoveryLogHeader>() == 1024);
const _: () = assert!(offset_of!(DiscoveryLogHeader, recfmt) == 16);

open_enum! {
    /// Transport Type (TRTYPE). An open enum.
    TrType {
        /// 1h: RDMA.
        RDMA = 1 => "rdma",
        /// 2h: Fibre Channel.
        FC = 2 => "fc",
        /// 3h: TCP.
        TCP = 3 => "tcp",
        /// FEh: intra-host (loop).
        LOOP = 0xfe => "loop",
    }
}

open_enum! {
    /// Address Family (ADRFAM). An open enum.
    AdrFam {
        /// 1h: IPv4.
        IPV4 = 1 => "ipv4",
        /// 2h: IPv6.
        IPV6 = 2 => "ipv6",
        /// 3h: InfiniBand.
        IB = 3 => "infiniband",
        /// 4h: Fibre Channel.
        FC = 4 => "fc",
        /// FEh: intra-host.
        LOOP = 0xfe => "loop",
    }
}

open_enum! {
    /// Subsystem Type (SUBTYPE). An open enum.
    SubType {
        /// 1h: a discovery subsystem referral.
        REFERRAL = 1 => "discovery subsystem referral",
        /// 2h: an NVM subsystem.
        NVME = 2 => "nvme subsystem",
        /// 3h: the current discovery subsystem.
        CURRENT_DISCOVERY = 3 => "current discovery subsystem",
    }
}

/// One Discovery log page entry (1024 bytes).
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct DiscoveryEntry {
    /// Transport Type (TRTYPE).
    pub trtype: u8,
    /// Address Family (ADRFAM).
    pub adrfam: u8,
    /// Subsystem Type (SUBTYPE).
    pub subtype: u8,
    /// Transport Requirements (TREQ): bits 1:0 secure channel, bit 2 SQ flow
    /// control disable supported.
    pub treq: u8,
    /// Port ID (PORTID).
    pub portid: U16,
    /// Controller ID (CNTLID): FFFFh dynamic, FFFEh static.
    pub cntlid: U16,
    /// Admin Max SQ Size (ASQSZ).
    pub asqsz: U16,
    /// Entry Flags (EFLAGS): bit 0 duplicate returned information, bit 1
    /// explicit persistent connection supported, bit 2 no CDC connectivity.
    pub eflags: U16,
    /// Reserved.
    pub _rsvd12: [u8; 20],
    /// Transport Service Identifier (TRSVCID): the TCP port, as text.
    pub trsvcid: [u8; 32],
    /// Reserved.
    pub _rsvd64: [u8; 192],
    /// NVM Subsystem Qualified Name (SUBNQN).
    pub subnqn: [u8; NQN_FIELD_LEN],
    /// Transport Address (TRADDR), as text.
    pub traddr: [u8; 256],
    /// Transport Specific Address Subtype (TSAS); for TCP byte 0 is SECTYPE.
    pub tsas: [u8; 256],
}

const _: () = assert!(size_of::<DiscoveryEntry>() == 1024);
const _: () = assert!(offset_of!(DiscoveryEntry, eflags) == 10);
const _: () = assert!(offset_of!(DiscoveryEntry, trsvcid) == 32);
const _: () = assert!(offset_of!(DiscoveryEntry, subnqn) == 256);
const _: () = assert!(offset_of!(DiscoveryEntry, traddr) == 512);
const _: () = assert!(offset_of!(DiscoveryEntry, tsas) == 768);

impl DiscoveryEntry {
    /// TRTYPE.
    pub const fn trtype(&self) -> TrType {
        TrType(self.trtype)
    }
    /// ADRFAM.
    pub const fn adrfam(&self) -> AdrFam {
        AdrFam(self.adrfam)
    }
    /// SUBTYPE.
    pub const fn subtype(&self) -> SubType {
        SubType(self.subtype)
    }
    /// TRSVCID as text.
    pub fn trsvcid(&self) -> Option<&str> {
        nul_str(&self.trsvcid)
    }
    /// SUBNQN as text.
    pub fn subnqn(&self) -> Option<&str> {
        nul_str(&self.subnqn)
    }
    /// TRADDR as text.
    pub fn traddr(&self) -> Option<&str> {
        nul_str(&self.traddr)
    }
    /// TCP's SECTYPE (TSAS byte 0): 0 none, 1 TLS 1.2, 2 TLS 1.3.
    pub const fn tcp_sectype(&self) -> u8 {
        self.tsas[0]
    }
}

/// Why a Discovery log page could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// Fewer bytes than the header.
    #[error("a Discovery log page is at least 1024 bytes; got {0}")]
    Short(usize),
    /// NUMREC says more entries than the bytes hold.
    #[error("the Discovery log page says {numrec} records but holds {have}")]
    Truncated {
        /// NUMREC.
        numrec: u64,
        /// Entries the bytes hold.
        have: usize,
    },
}

/// A Discovery log page in memory, checked once.
#[derive(Debug, Clone, Copy)]
pub struct DiscoveryLog<'a> {
    header: &'a DiscoveryLogHeader,
    entries: &'a [DiscoveryEntry],
}

impl<'a> DiscoveryLog<'a> {
    /// Checks `bytes` (header plus NUMREC entries) and views them.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, DiscoveryError> {
        let (header, rest) = DiscoveryLogHeader::ref_from_prefix(bytes)
            .map_err(|_| DiscoveryError::Short(bytes.len()))?;
        let have = rest.len() / size_of::<DiscoveryEntry>();
        let numrec = header.numrec.get();
        if numrec > have as u64 {
            return Err(DiscoveryError::Truncated { numrec, have });
        }
        let n = numrec as usize * size_of::<DiscoveryEntry>();
        let entries = <[DiscoveryEntry]>::ref_from_bytes(&rest[..n])
            .map_err(|_| DiscoveryError::Short(bytes.len()))?;
        Ok(DiscoveryLog { header, entries })
    }
    /// The header.
    pub fn header(&self) -> &'a DiscoveryLogHeader {
        self.header
    }
    /// The entries.
    pub fn entries(&self) -> &'a [DiscoveryEntry] {
        self.entries
    }
}

/// The bytes of a Discovery log page with `numrec` entries.
pub const fn log_len(numrec: u64) -> u64 {
    (numrec + 1) * size_of::<DiscoveryEntry>() as u64
}

/// Get Log Page for `len` bytes of the Discovery log from byte `offset`
/// (NSID 0, as nvme-cli sends it); `None` when `len` is not a whole,
/// non-zero number of dwords.
pub const fn get_log(offset: u64, len: u32) -> Option<crate::Cmd> {
    match Numd::from_bytes(len) {
        Some(n) => Some(
            GetLogPage::new(LogId::DISCOVERY, n)
                .nsid(0)
                .lpo(offset)
                .build(),
        ),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn entry_golden_bytes() {
        let mut b = [0u8; 2048];
        b[8] = 1; // numrec
        let e = &mut b[1024..];
        e[0] = 3; // tcp
        e[1] = 1; // ipv4
        e[2] = 2; // nvme subsystem
        e[4..6].copy_from_slice(&7u16.to_le_bytes());
        e[6..8].copy_from_slice(&0xffffu16.to_le_bytes());
        e[8..10].copy_from_slice(&32u16.to_le_bytes());
        e[32..36].copy_from_slice(b"4420");
        e[256..264].copy_from_slice(b"nqn.test");
        e[512..521].copy_from_slice(b"127.0.0.1");
        let log = DiscoveryLog::parse(&b).unwrap();
        assert_eq!(log.header().numrec.get(), 1);
        let e = &log.entries()[0];
        assert_eq!(e.trtype(), TrType::TCP);
        assert_eq!(e.trtype().name(), Some("tcp"));
        assert_eq!(e.adrfam().name(), Some("ipv4"));
        assert_eq!(e.subtype(), SubType::NVME);
        assert_eq!(e.portid.get(), 7);
        assert_eq!(e.cntlid.get(), 0xffff);
        assert_eq!(e.asqsz.get(), 32);
        assert_eq!(e.trsvcid(), Some("4420"));
        assert_eq!(e.subnqn(), Some("nqn.test"));
        assert_eq!(e.traddr(), Some("127.0.0.1"));
        assert_eq!(e.tcp_sectype(), 0);
    }

    #[test]
    fn truncated_and_short() {
        assert_eq!(
            DiscoveryLog::parse(&[0; 100]).unwrap_err(),
            DiscoveryError::Short(100)
        );
        let mut h = DiscoveryLogHeader::new_zeroed();
        h.numrec = U64::new(2);
        let mut b = [0u8; 2048];
        b[..1024].copy_from_slice(h.as_bytes());
        assert_eq!(
            DiscoveryLog::parse(&b).unwrap_err(),
            DiscoveryError::Truncated { numrec: 2, have: 1 }
        );
        assert_eq!(log_len(2), 3072);
    }

    #[test]
    fn get_log_command() {
        let c = get_log(1024, 2048).unwrap();
        assert_eq!(c.sqe.opcode(), 0x02);
        assert_eq!(c.sqe.nsid, 0);
        assert_eq!(c.sqe.cdw10 & 0xff, 0x70);
        assert_eq!(c.sqe.cdw12, 1024);
        assert_eq!(c.xfer, crate::Xfer::Bytes(2048));
        assert!(get_log(0, 3).is_none());
    }
}
