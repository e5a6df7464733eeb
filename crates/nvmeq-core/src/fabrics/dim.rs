//! Discovery Information Management (DIM, admin 21h; Base spec 2.0
//! "Discovery Information Management command", NVMe/TCP Transport 1.0
//! "Explicit registration"): a host registers, deregisters or updates its
//! Discovery Information Entry with a Direct or Centralized Discovery
//! Controller.
//!
//! The data is a 1024-byte header ([`DimData`]) followed by NUMENT entries;
//! in the Extended format each entry ([`ExtDie`], 1032 bytes) is followed by
//! NUMEXAT Extended Attributes ([`ExtAttr`] plus a value padded to a dword),
//! and TEL is the entry's whole length. [`DimRequest`] writes the one-entry
//! request a host sends about itself: its NQN as the Entity Identifier and
//! the entry's NQN, its Host Identifier as the mandatory attribute, an empty
//! Transport Address (the discovery controller takes the connection's).

use core::mem::{offset_of, size_of};

use bitfield_struct::bitfield;
use zerocopy::byteorder::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use super::discovery::{AdrFam, TrType};
use super::{put_nul_str, NQN_FIELD_LEN};
use crate::cmd::{Cmd, DataDir, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

open_enum! {
    /// Task (TAS), Command Dword 10 bits 3:0.
    DimTask {
        /// 0h: register the entries.
        REGISTER = 0x0 => "register",
        /// 1h: deregister the entries.
        DEREGISTER = 0x1 => "deregister",
        /// 2h: update the registered entries.
        UPDATE = 0x2 => "update",
    }
}

open_enum! {
    /// Entry Format (ENTFMT) of the entries, DIM data bytes 17:16.
    DimEntryFormat: u16 {
        /// 1h: Basic (Discovery Log Page Entries, 1024 bytes each).
        BASIC = 0x1 => "basic",
        /// 2h: Extended (variable length, TEL).
        EXTENDED = 0x2 => "extended",
    }
}

open_enum! {
    /// Entity Type (ETYPE): who the registration is about.
    DimEntityType: u16 {
        /// 1h: a host.
        HOST = 0x1 => "host",
        /// 2h: a Direct Discovery Controller.
        DDC = 0x2 => "ddc",
        /// 3h: a Centralized Discovery Controller.
        CDC = 0x3 => "cdc",
    }
}

open_enum! {
    /// Extended Attribute Type (EXATTYPE).
    ExatType: u16 {
        /// 1h: Host Identifier (a 16-byte UUID).
        HOSTID = 0x1 => "Host Identifier",
        /// 2h: Symbolic Name (ASCII, space padded).
        SYMNAME = 0x2 => "Symbolic Name",
    }
}

/// Entity Key Type (EKTYPE) a host's registration carries (5Fh).
pub const EKTYPE_HOST: u16 = 0x5f;

/// DIM Command Dword 10.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct DimCdw10 {
    /// Task (TAS).
    #[bits(4)]
    pub tas: u8,
    /// Reserved.
    #[bits(28)]
    _rsvd4: u32,
}

/// Discovery Information Management (admin 21h): `tdl` bytes of DIM data
/// (the data's own TDL) to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dim {
    tas: DimTask,
    tdl: u32,
}

impl Dim {
    /// Task `tas` with `tdl` bytes of data (only TAS's 4 bits are kept).
    #[inline]
    pub const fn new(tas: DimTask, tdl: u32) -> Self {
        Dim { tas, tdl }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(AdminOpcode::DISCOVERY_INFO_MGMT.0, 0);
        sqe.cdw10 = DimCdw10::new().with_tas(self.tas.0 & 0xf).into_bits();
        let (dir, xfer) = if self.tdl == 0 {
            (DataDir::None, Xfer::None)
        } else {
            (DataDir::ToDevice, Xfer::Bytes(self.tdl))
        };
        Cmd::admin(sqe, dir, xfer)
    }
}

/// Bytes of the Entity Name (ENAME) field.
pub const ENAME_LEN: usize = 256;
/// Bytes of the Entity Version (EVER) field.
pub const EVER_LEN: usize = 64;

/// The DIM data header (Base spec 2.0, "Discovery Information Management –
/// Data" figure): 1024 bytes before the entries.
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct DimData {
    /// Total Data Length (TDL): the header and every entry.
    pub tdl: U32,
    /// Reserved.
    pub _rsvd4: [u8; 4],
    /// Number of Entries (NUMENT).
    pub nument: U64,
    /// Entry Format (ENTFMT).
    pub entfmt: U16,
    /// Entity Type (ETYPE).
    pub etype: U16,
    /// Port Local (PORTLCL): bit 0, the registration is for this port only.
    pub portlcl: u8,
    /// Reserved.
    pub _rsvd21: u8,
    /// Entity Key Type (EKTYPE).
    pub ektype: U16,
    /// Entity Identifier (EID): a host's NQN, NUL padded.
    pub eid: [u8; NQN_FIELD_LEN],
    /// Entity Name (ENAME): e.g. the host name, NUL padded.
    pub ename: [u8; ENAME_LEN],
    /// Entity Version (EVER): e.g. the operating system and its version.
    pub ever: [u8; EVER_LEN],
    /// Reserved.
    pub _rsvd600: [u8; 424],
}

const _: () = assert!(size_of::<DimData>() == 1024);
const _: () = assert!(offset_of!(DimData, nument) == 8);
const _: () = assert!(offset_of!(DimData, entfmt) == 16);
const _: () = assert!(offset_of!(DimData, etype) == 18);
const _: () = assert!(offset_of!(DimData, portlcl) == 20);
const _: () = assert!(offset_of!(DimData, ektype) == 22);
const _: () = assert!(offset_of!(DimData, eid) == 24);
const _: () = assert!(offset_of!(DimData, ename) == 280);
const _: () = assert!(offset_of!(DimData, ever) == 536);
const _: () = assert!(offset_of!(DimData, _rsvd600) == 600);

/// An Extended Discovery Information Entry's fixed part (Base spec 2.0,
/// "Extended Discovery Information Entry" figure); NUMEXAT attributes follow.
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ExtDie {
    /// Transport Type (TRTYPE).
    pub trtype: u8,
    /// Address Family (ADRFAM).
    pub adrfam: u8,
    /// Subsystem Type (SUBTYPE).
    pub subtype: u8,
    /// Transport Requirements (TREQ).
    pub treq: u8,
    /// Port ID (PORTID).
    pub portid: U16,
    /// Controller ID (CNTLID).
    pub cntlid: U16,
    /// Admin Max SQ Size (ASQSZ).
    pub asqsz: U16,
    /// Reserved.
    pub _rsvd10: [u8; 22],
    /// Transport Service Identifier (TRSVCID).
    pub trsvcid: [u8; 32],
    /// Reserved.
    pub _rsvd64: [u8; 192],
    /// NVMe Qualified Name (NQN): the host's, NUL padded.
    pub nqn: [u8; NQN_FIELD_LEN],
    /// Transport Address (TRADDR): empty, the discovery controller uses the
    /// connection's source address.
    pub traddr: [u8; 256],
    /// Transport Specific Address Subtype (TSAS).
    pub tsas: [u8; 256],
    /// Total Entry Length (TEL): this part and its attributes.
    pub tel: U32,
    /// Number of Extended Attributes (NUMEXAT).
    pub numexat: U16,
    /// Reserved.
    pub _rsvd1030: [u8; 2],
}

const _: () = assert!(size_of::<ExtDie>() == 1032);
const _: () = assert!(offset_of!(ExtDie, portid) == 4);
const _: () = assert!(offset_of!(ExtDie, asqsz) == 8);
const _: () = assert!(offset_of!(ExtDie, trsvcid) == 32);
const _: () = assert!(offset_of!(ExtDie, nqn) == 256);
const _: () = assert!(offset_of!(ExtDie, traddr) == 512);
const _: () = assert!(offset_of!(ExtDie, tsas) == 768);
const _: () = assert!(offset_of!(ExtDie, tel) == 1024);
const _: () = assert!(offset_of!(ExtDie, numexat) == 1028);

/// An Extended Attribute's header; EXATLEN bytes of value follow.
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ExtAttr {
    /// Extended Attribute Type (EXATTYPE).
    pub exattype: U16,
    /// Extended Attribute Length (EXATLEN): the value's bytes, a multiple of 4.
    pub exatlen: U16,
}

const _: () = assert!(size_of::<ExtAttr>() == 4);

/// An attribute value's length rounded up to a dword (EXATLEN).
#[inline]
pub const fn exat_len(value_len: usize) -> usize {
    value_len.div_ceil(4) * 4
}

/// Why a DIM request could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DimError {
    /// The host NQN does not fit its 256-byte field with a NUL.
    #[error("the host NQN is {0} bytes; the Entity Identifier holds at most 255")]
    NqnTooLong(usize),
    /// The symbolic name is longer than an attribute can say.
    #[error("the host symbolic name is {0} bytes; nvmeq sends at most 256")]
    SymnameTooLong(usize),
    /// The buffer is not [`DimRequest::len`] bytes.
    #[error("the DIM data is {need} bytes; the buffer holds {have}")]
    Buffer {
        /// Bytes the request needs.
        need: usize,
        /// Bytes given.
        have: usize,
    },
}

/// Longest symbolic name [`DimRequest`] sends.
pub const SYMNAME_MAX: usize = 256;

/// The one-entry, Extended-format DIM request a host sends about itself
/// (as nvme-cli's `dim` builds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimRequest<'a> {
    /// The host's NQN (EID and the entry's NQN).
    pub hostnqn: &'a str,
    /// The host's Host Identifier (the mandatory attribute).
    pub hostid: [u8; 16],
    /// The host's symbolic name, an optional attribute ("" for none).
    pub symname: &'a str,
    /// Entity Name (ENAME), cut to 256 bytes.
    pub ename: &'a str,
    /// Entity Version (EVER), cut to 64 bytes.
    pub ever: &'a str,
    /// Transport Type of the entry.
    pub trtype: TrType,
    /// Address Family of the entry (the connection's).
    pub adrfam: AdrFam,
}

impl DimRequest<'_> {
    /// The entry's Total Entry Length (TEL).
    pub const fn tel(&self) -> usize {
        let mut tel = size_of::<ExtDie>() + size_of::<ExtAttr>() + 16;
        if !self.symname.is_empty() {
            tel += size_of::<ExtAttr>() + exat_len(self.symname.len());
        }
        tel
    }

    /// The data's Total Data Length (TDL).
    pub const fn len(&self) -> usize {
        size_of::<DimData>() + self.tel()
    }

    /// Never: the header alone is 1024 bytes.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Writes the request into `out`, which must be exactly [`len`](Self::len)
    /// bytes.
    pub fn write(&self, out: &mut [u8]) -> Result<(), DimError> {
        let need = self.len();
        if out.len() != need {
            return Err(DimError::Buffer {
                need,
                have: out.len(),
            });
        }
        if self.symname.len() > SYMNAME_MAX {
            return Err(DimError::SymnameTooLong(self.symname.len()));
        }
        let mut h = DimData::new_zeroed();
        h.tdl = U32::new(need as u32);
        h.nument = U64::new(1);
        h.entfmt = U16::new(DimEntryFormat::EXTENDED.0);
        h.etype = U16::new(DimEntityType::HOST.0);
        h.ektype = U16::new(EKTYPE_HOST);
        if !put_nul_str(&mut h.eid, self.hostnqn) {
            return Err(DimError::NqnTooLong(self.hostnqn.len()));
        }
        put_cut(&mut h.ename, self.ename);
        put_cut(&mut h.ever, self.ever);
        let mut e = ExtDie::new_zeroed();
        e.trtype = self.trtype.0;
        e.adrfam = self.adrfam.0;
        e.nqn = h.eid;
        e.tel = U32::new(self.tel() as u32);
        e.numexat = U16::new(if self.symname.is_empty() { 1 } else { 2 });
        out.fill(0);
        let (hd, rest) = out.split_at_mut(size_of::<DimData>());
        hd.copy_from_slice(h.as_bytes());
        let (ed, rest) = rest.split_at_mut(size_of::<ExtDie>());
        ed.copy_from_slice(e.as_bytes());
        let rest = put_attr(rest, ExatType::HOSTID, &self.hostid, 16);
        if !self.symname.is_empty() {
            let n = exat_len(self.symname.len());
            let v = put_attr(rest, ExatType::SYMNAME, self.symname.as_bytes(), n);
            // Base spec: ASCII strings are padded with spaces.
            v[..n - self.symname.len()].fill(b' ');
        }
        Ok(())
    }
}

/// Copies as much of `s` as fits; the rest stays NUL.
fn put_cut(dst: &mut [u8], s: &str) {
    let n = s.len().min(dst.len());
    dst[..n].copy_from_slice(&s.as_bytes()[..n]);
}

/// Writes one attribute (header, `value`, zeros up to `len`) at the front of
/// `out`; returns the bytes after `value` (padding first).
fn put_attr<'o>(out: &'o mut [u8], ty: ExatType, value: &[u8], len: usize) -> &'o mut [u8] {
    let a = ExtAttr {
        exattype: U16::new(ty.0),
        exatlen: U16::new(len as u16),
    };
    out[..4].copy_from_slice(a.as_bytes());
    out[4..4 + value.len()].copy_from_slice(value);
    &mut out[4 + value.len()..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req<'a>(symname: &'a str) -> DimRequest<'a> {
        DimRequest {
            hostnqn: "nqn.2014-08.org.nvmexpress:uuid:host",
            hostid: [0xab; 16],
            symname,
            ename: "guest",
            ever: "Linux 6.12",
            trtype: TrType::TCP,
            adrfam: AdrFam::IPV4,
        }
    }

    #[test]
    fn command() {
        let c = Dim::new(DimTask::DEREGISTER, 1052).build();
        assert_eq!(c.sqe.opcode(), 0x21);
        assert_eq!(c.sqe.nsid, 0);
        assert_eq!(c.sqe.cdw10, 1);
        assert_eq!(c.dir, DataDir::ToDevice);
        assert_eq!(c.xfer, Xfer::Bytes(1052));
        assert_eq!(Dim::new(DimTask(0x12), 0).build().sqe.cdw10, 2);
        assert_eq!(DimTask::UPDATE.name(), Some("update"));
    }

    #[test]
    fn golden_bytes_without_symname() {
        let r = req("");
        assert_eq!(r.tel(), 1052);
        assert_eq!(r.len(), 2076);
        let mut b = [0xffu8; 2076];
        r.write(&mut b).unwrap();
        assert_eq!(b[0..4], 2076u32.to_le_bytes());
        assert_eq!(b[4..8], [0; 4]);
        assert_eq!(b[8..16], 1u64.to_le_bytes());
        assert_eq!(b[16..18], [2, 0]); // extended
        assert_eq!(b[18..20], [1, 0]); // host
        assert_eq!(b[20], 0);
        assert_eq!(b[22..24], [0x5f, 0]);
        assert_eq!(&b[24..60], b"nqn.2014-08.org.nvmexpress:uuid:host");
        assert_eq!(b[60], 0);
        assert_eq!(&b[280..285], b"guest");
        assert_eq!(&b[536..546], b"Linux 6.12");
        assert!(b[600..1024].iter().all(|&x| x == 0));
        let e = &b[1024..];
        assert_eq!(e[..4], [3, 1, 0, 0]);
        assert_eq!(&e[256..292], b"nqn.2014-08.org.nvmexpress:uuid:host");
        assert!(e[512..768].iter().all(|&x| x == 0), "traddr empty");
        assert_eq!(e[1024..1028], 1052u32.to_le_bytes());
        assert_eq!(e[1028..1030], [1, 0]);
        assert_eq!(e[1032..1036], [1, 0, 16, 0]);
        assert_eq!(e[1036..1052], [0xab; 16]);
    }

    #[test]
    fn symname_is_space_padded() {
        let r = req("abcde");
        assert_eq!(r.tel(), 1052 + 4 + 8);
        let mut b = [0u8; 4096];
        let b = &mut b[..r.len()];
        r.write(b).unwrap();
        let e = &b[1024..];
        assert_eq!(e[1028..1030], [2, 0]);
        assert_eq!(e[1052..1056], [2, 0, 8, 0]);
        assert_eq!(&e[1056..1064], b"abcde   ");
    }

    #[test]
    fn refuses_bad_input() {
        let mut b = [0u8; 10];
        assert_eq!(
            req("").write(&mut b),
            Err(DimError::Buffer {
                need: 2076,
                have: 10
            })
        );
        let long = [b'n'; 257];
        let mut r = req("");
        r.hostnqn = core::str::from_utf8(&long[..256]).unwrap();
        let mut b = [0u8; 4096];
        assert_eq!(r.write(&mut b[..r.len()]), Err(DimError::NqnTooLong(256)));
        let r = req(core::str::from_utf8(&long).unwrap());
        assert_eq!(
            r.write(&mut b[..r.len()]),
            Err(DimError::SymnameTooLong(257))
        );
        assert_eq!(exat_len(0), 0);
        assert_eq!(exat_len(5), 8);
    }
}
