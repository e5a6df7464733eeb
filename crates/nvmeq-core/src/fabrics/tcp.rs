//! NVMe/TCP PDUs (NVMe/TCP Transport Specification 1.0, "PDU Common Header"
//! and the figure of each PDU type named below).
//!
//! A PDU is a common header (8 bytes: type, flags, HLEN, PDO, PLEN), the rest
//! of its PDU-specific header (HLEN bytes in all), an optional header digest
//! (HDGST, CRC-32C of the header), padding up to PDO, the PDU data, and an
//! optional data digest (DDGST, CRC-32C of the data). PLEN counts all of it.
//!
//! Parsing follows smoltcp: [`CommonHeader::parse`] checks the length first
//! and every field the framing depends on, so the accessors that follow
//! cannot fail or panic; [`CommonHeader::layout`] then says where the digest,
//! the data and its digest are, given what the connection negotiated.
//! Header structs use little-endian byte types (alignment 1), so they can be
//! read straight from a receive buffer.

use core::mem::{offset_of, size_of};

use bitfield_struct::bitfield;
use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use crate::cqe::Completion;
use crate::sqe::Command;

/// Bytes of a header or data digest.
pub const DIGEST_LEN: u32 = 4;
/// The well-known TCP port of NVMe/TCP I/O controllers.
pub const IO_PORT: u16 = 4420;
/// The well-known TCP port of discovery controllers.
pub const DISCOVERY_PORT: u16 = 8009;
/// The smallest MAXH2CDATA a controller may give (ICResp).
pub const MIN_MAXH2CDATA: u32 = 4096;
/// The in-capsule data an admin queue's capsules hold at most (Linux's
/// `NVME_TCP_ADMIN_CCSZ`: 8 KiB capsules, less the 64-byte command).
pub const ADMIN_ICSZ: u32 = 8192 - 64;
/// Bytes of error data a Terminate Connection Request carries at most.
pub const MAX_TERM_DATA: u32 = 128;

open_enum! {
    /// PDU-Type (NVMe/TCP 1.0, "PDU Common Header" figure). An open enum.
    PduType {
        /// 00h: Initialize Connection Request (host to controller).
        IC_REQ = 0x00 => "ICReq",
        /// 01h: Initialize Connection Response.
        IC_RESP = 0x01 => "ICResp",
        /// 02h: Host to Controller Terminate Connection Request.
        H2C_TERM_REQ = 0x02 => "H2CTermReq",
        /// 03h: Controller to Host Terminate Connection Request.
        C2H_TERM_REQ = 0x03 => "C2HTermReq",
        /// 04h: Command Capsule.
        CAPSULE_CMD = 0x04 => "CapsuleCmd",
        /// 05h: Response Capsule.
        CAPSULE_RESP = 0x05 => "CapsuleResp",
        /// 06h: Host to Controller Data.
        H2C_DATA = 0x06 => "H2CData",
        /// 07h: Controller to Host Data.
        C2H_DATA = 0x07 => "C2HData",
        /// 09h: Ready to Transfer.
        R2T = 0x09 => "R2T",
    }
}

impl PduType {
    /// HLEN of this PDU type, which the specification fixes; `None` for an
    /// unknown type.
    pub const fn hlen(self) -> Option<u8> {
        Some(match self {
            PduType::IC_REQ | PduType::IC_RESP => 128,
            PduType::CAPSULE_CMD => 72,
            PduType::H2C_TERM_REQ
            | PduType::C2H_TERM_REQ
            | PduType::CAPSULE_RESP
            | PduType::H2C_DATA
            | PduType::C2H_DATA
            | PduType::R2T => 24,
            _ => return None,
        })
    }

    /// Whether the PDU carries a header digest when the connection uses them
    /// (every PDU after the connection is initialized except the
    /// Terminate Connection Requests).
    pub const fn digested(self) -> bool {
        !matches!(
            self,
            PduType::IC_REQ | PduType::IC_RESP | PduType::H2C_TERM_REQ | PduType::C2H_TERM_REQ
        )
    }

    /// Whether PDU data may follow the header (and with it a data digest).
    pub const fn has_data(self) -> bool {
        matches!(
            self,
            PduType::CAPSULE_CMD | PduType::H2C_DATA | PduType::C2H_DATA
        )
    }
}

/// PDU flags (common header byte 1).
#[bitfield(u8)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct PduFlags {
    /// HDGSTF: a header digest follows the header.
    pub hdgstf: bool,
    /// DDGSTF: a data digest follows the data.
    pub ddgstf: bool,
    /// LAST_PDU (H2CData, C2HData): the last data PDU of the transfer (or R2T).
    pub last_pdu: bool,
    /// SUCCESS (C2HData): the command completed successfully and no
    /// Response Capsule follows (requires LAST_PDU).
    pub success: bool,
    /// Reserved.
    #[bits(4)]
    pub _rsvd: u8,
}

/// Digest types (ICReq/ICResp DGST): which digests the connection uses.
#[bitfield(u8)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct DigestTypes {
    /// HDGST_ENABLE.
    pub hdgst: bool,
    /// DDGST_ENABLE.
    pub ddgst: bool,
    /// Reserved.
    #[bits(6)]
    pub _rsvd: u8,
}

/// The PDU Common Header (8 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct CommonHeader {
    /// PDU-Type.
    pub pdu_type: u8,
    /// FLAGS.
    pub flags: PduFlags,
    /// Header Length (HLEN), without the header digest.
    pub hlen: u8,
    /// PDU Data Offset (PDO): where the data starts, from the PDU's start.
    pub pdo: u8,
    /// PDU Length (PLEN): every byte of the PDU.
    pub plen: U32,
}

const _: () = assert!(size_of::<CommonHeader>() == 8);

/// Why a PDU cannot be used. Each names the field and what was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PduError {
    /// Fewer bytes than the header needs.
    #[error("PDU truncated: {need} header bytes needed, {have} given")]
    Truncated {
        /// Bytes needed.
        need: usize,
        /// Bytes given.
        have: usize,
    },
    /// A PDU type the specification does not define.
    #[error("unknown PDU type {0:#04x}")]
    UnknownType(u8),
    /// HLEN is not the one the type fixes.
    #[error("{pdu_type}: HLEN {hlen}, expected {expected}")]
    BadHlen {
        /// The PDU's type.
        pdu_type: PduType,
        /// Its HLEN.
        hlen: u8,
        /// The type's HLEN.
        expected: u8,
    },
    /// PLEN cannot hold the header, digests and data PDO implies.
    #[error("{pdu_type}: PLEN {plen} does not fit HLEN, PDO {pdo} and the digests")]
    BadPlen {
        /// The PDU's type.
        pdu_type: PduType,
        /// Its PLEN.
        plen: u32,
        /// Its PDO.
        pdo: u8,
    },
    /// PDO points inside the header or its digest, or is set without data.
    #[error("{pdu_type}: PDO {pdo} is not past the header (HLEN {hlen}, digest {hdgst})")]
    BadPdo {
        /// The PDU's type.
        pdu_type: PduType,
        /// Its PDO.
        pdo: u8,
        /// Its HLEN.
        hlen: u8,
        /// Whether a header digest follows the header.
        hdgst: bool,
    },
    /// A digest flag that disagrees with what the connection negotiated.
    #[error("{pdu_type}: {flag} is {set} but the connection negotiated {negotiated}")]
    DigestFlag {
        /// The PDU's type.
        pdu_type: PduType,
        /// `"HDGSTF"` or `"DDGSTF"`.
        flag: &'static str,
        /// The flag in the PDU.
        set: bool,
        /// What was negotiated.
        negotiated: bool,
    },
    /// SUCCESS without LAST_PDU in a C2HData PDU.
    #[error("C2HData has SUCCESS without LAST_PDU")]
    SuccessNotLast,
    /// The header digest does not match the header.
    #[error("{pdu_type}: header digest {got:#010x}, computed {want:#010x}")]
    HeaderDigest {
        /// The PDU's type.
        pdu_type: PduType,
        /// The digest received.
        got: u32,
        /// The digest of the bytes received.
        want: u32,
    },
    /// The data digest does not match the data.
    #[error("{pdu_type}: data digest {got:#010x}, computed {want:#010x}")]
    DataDigest {
        /// The PDU's type.
        pdu_type: PduType,
        /// The digest received.
        got: u32,
        /// The digest of the bytes received.
        want: u32,
    },
}

impl PduError {
    /// The Fatal Error Status to terminate the connection with.
    pub const fn fes(&self) -> Fes {
        match self {
            PduError::HeaderDigest { .. } => Fes::HEADER_DIGEST,
            _ => Fes::INVALID_PDU_HEADER,
        }
    }
}

/// Where the parts of a PDU are, from its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// HLEN.
    pub hlen: u32,
    /// Whether a header digest follows the header (at `hlen`).
    pub hdgst: bool,
    /// Where the data starts (0 when there is none).
    pub pdo: u32,
    /// Bytes of PDU data.
    pub data_len: u32,
    /// Whether a data digest follows the data.
    pub ddgst: bool,
    /// PLEN.
    pub plen: u32,
}

impl Layout {
    /// Bytes of header plus header digest.
    pub const fn header_len(&self) -> u32 {
        self.hlen + if self.hdgst { DIGEST_LEN } else { 0 }
    }

    /// Bytes after the header digest up to the data (padding to PDO).
    pub const fn pad(&self) -> u32 {
        if self.data_len == 0 {
            0
        } else {
            self.pdo - self.header_len()
        }
    }

    /// The layout of a PDU the host sends: header, optional digest, padding
    /// to the controller's data alignment (`cpda`: zero-based dwords), data
    /// and optional data digest.
    pub const fn outgoing(
        pdu_type: PduType,
        hdgst: bool,
        ddgst: bool,
        cpda: u8,
        data_len: u32,
    ) -> Self {
        let hlen = match pdu_type.hlen() {
            Some(h) => h as u32,
            None => 0,
        };
        let hdgst = hdgst && pdu_type.digested();
        let ddgst = ddgst && data_len > 0;
        let hl = hlen + if hdgst { DIGEST_LEN } else { 0 };
        let (pdo, plen) = if data_len == 0 {
            (0, hl)
        } else {
            let align = (cpda as u32 + 1) * 4;
            let pdo = if cpda == 0 {
                hl
            } else {
                hl.div_ceil(align) * align
            };
            (pdo, pdo + data_len + if ddgst { DIGEST_LEN } else { 0 })
        };
        Layout {
            hlen,
            hdgst,
            pdo,
            data_len,
            ddgst,
            plen,
        }
    }
}

impl CommonHeader {
    /// Bytes of the common header.
    pub const LEN: usize = 8;

    /// Checks `buf` holds a common header of a known type whose HLEN is the
    /// type's and whose PLEN holds at least the header; then reads it.
    pub fn parse(buf: &[u8]) -> Result<CommonHeader, PduError> {
        let (ch, _) = CommonHeader::read_from_prefix(buf).map_err(|_| PduError::Truncated {
            need: Self::LEN,
            have: buf.len(),
        })?;
        let t = ch.pdu_type();
        let expected = t.hlen().ok_or(PduError::UnknownType(ch.pdu_type))?;
        if ch.hlen != expected {
            return Err(PduError::BadHlen {
                pdu_type: t,
                hlen: ch.hlen,
                expected,
            });
        }
        if ch.plen.get() < ch.hlen as u32 {
            return Err(PduError::BadPlen {
                pdu_type: t,
                plen: ch.plen.get(),
                pdo: ch.pdo,
            });
        }
        Ok(ch)
    }

    /// The PDU type.
    pub const fn pdu_type(&self) -> PduType {
        PduType(self.pdu_type)
    }

    /// Where the digests and data are, checking the flags against the
    /// connection's negotiated digests (`hdgst`, `ddgst`; both false before
    /// ICResp) and PDO and PLEN against each other.
    pub fn layout(&self, hdgst: bool, ddgst: bool) -> Result<Layout, PduError> {
        let t = self.pdu_type();
        let hlen = self.hlen as u32;
        let plen = self.plen.get();
        let pdo = self.pdo;
        let bad_plen = PduError::BadPlen {
            pdu_type: t,
            plen,
            pdo,
        };
        let f = self.flags;
        let want_h = hdgst && t.digested();
        if f.hdgstf() != want_h {
            return Err(PduError::DigestFlag {
                pdu_type: t,
                flag: "HDGSTF",
                set: f.hdgstf(),
                negotiated: want_h,
            });
        }
        if f.success() && t == PduType::C2H_DATA && !f.last_pdu() {
            return Err(PduError::SuccessNotLast);
        }
        let hl = hlen + if want_h { DIGEST_LEN } else { 0 };
        if matches!(t, PduType::H2C_TERM_REQ | PduType::C2H_TERM_REQ) {
            // The error data follows the header directly.
            if plen > hlen + MAX_TERM_DATA || f.ddgstf() {
                return Err(bad_plen);
            }
            return Ok(Layout {
                hlen,
                hdgst: false,
                pdo: hlen,
                data_len: plen - hlen,
                ddgst: false,
                plen,
            });
        }
        if !t.has_data() || plen == hl {
            if plen != hl {
                return Err(bad_plen);
            }
            if pdo != 0 && t.has_data() && pdo as u32 != hl {
                return Err(PduError::BadPdo {
                    pdu_type: t,
                    pdo,
                    hlen: self.hlen,
                    hdgst: want_h,
                });
            }
            if f.ddgstf() {
                return Err(PduError::DigestFlag {
                    pdu_type: t,
                    flag: "DDGSTF",
                    set: true,
                    negotiated: false,
                });
            }
            return Ok(Layout {
                hlen,
                hdgst: want_h,
                pdo: 0,
                data_len: 0,
                ddgst: false,
                plen,
            });
        }
        if f.ddgstf() != ddgst {
            return Err(PduError::DigestFlag {
                pdu_type: t,
                flag: "DDGSTF",
                set: f.ddgstf(),
                negotiated: ddgst,
            });
        }
        if (pdo as u32) < hl {
            return Err(PduError::BadPdo {
                pdu_type: t,
                pdo,
                hlen: self.hlen,
                hdgst: want_h,
            });
        }
        let dd = if ddgst { DIGEST_LEN } else { 0 };
        match plen.checked_sub(pdo as u32 + dd) {
            Some(n) if n > 0 => Ok(Layout {
                hlen,
                hdgst: want_h,
                pdo: pdo as u32,
                data_len: n,
                ddgst,
                plen,
            }),
            _ => Err(bad_plen),
        }
    }

    /// The common header of a PDU the host sends, with the flags the layout implies.
    pub fn outgoing(pdu_type: PduType, l: &Layout, extra: PduFlags) -> Self {
        CommonHeader {
            pdu_type: pdu_type.0,
            flags: extra.with_hdgstf(l.hdgst).with_ddgstf(l.ddgst),
            hlen: l.hlen as u8,
            pdo: l.pdo as u8,
            plen: U32::new(l.plen),
        }
    }
}

/// Initialize Connection Request (ICReq, 128 bytes).
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IcReq {
    /// Common header: type 00h, HLEN and PLEN 128.
    pub ch: CommonHeader,
    /// PDU Format Version (PFV): 0.
    pub pfv: U16,
    /// Host PDU Data Alignment (HPDA), zero-based dwords.
    pub hpda: u8,
    /// Digests the host asks for.
    pub dgst: DigestTypes,
    /// Maximum Number of Outstanding R2Ts per command (MAXR2T), zero-based.
    pub maxr2t: U32,
    /// Reserved.
    pub _rsvd: [u8; 112],
}

/// Initialize Connection Response (ICResp, 128 bytes).
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IcResp {
    /// Common header: type 01h, HLEN and PLEN 128.
    pub ch: CommonHeader,
    /// PDU Format Version (PFV): 0.
    pub pfv: U16,
    /// Controller PDU Data Alignment (CPDA), zero-based dwords.
    pub cpda: u8,
    /// Digests the connection uses.
    pub dgst: DigestTypes,
    /// Maximum bytes of data per H2CData PDU (MAXH2CDATA).
    pub maxh2cdata: U32,
    /// Reserved.
    pub _rsvd: [u8; 112],
}

/// H2CTermReq / C2HTermReq (24-byte header, then up to 128 bytes of the
/// PDU header that caused the error).
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct TermReq {
    /// Common header: type 02h or 03h, HLEN 24.
    pub ch: CommonHeader,
    /// Fatal Error Status (FES).
    pub fes: U16,
    /// Fatal Error Information (FEI): the offending field's byte offset, or
    /// the parameter's value.
    pub fei: U32,
    /// Reserved.
    pub _rsvd: [u8; 10],
}

open_enum! {
    /// Fatal Error Status (FES) of a Terminate Connection Request. An open enum.
    Fes: u16 {
        /// 01h: Invalid PDU Header Field.
        INVALID_PDU_HEADER = 0x01 => "Invalid PDU Header Field",
        /// 02h: PDU Sequence Error.
        PDU_SEQUENCE = 0x02 => "PDU Sequence Error",
        /// 03h: Header Digest Error.
        HEADER_DIGEST = 0x03 => "Header Digest Error",
        /// 04h: Data Transfer Out of Range.
        DATA_OUT_OF_RANGE = 0x04 => "Data Transfer Out of Range",
        /// 05h: R2T Limit Exceeded / Data Transfer Limit Exceeded.
        LIMIT_EXCEEDED = 0x05 => "Data Transfer Limit Exceeded",
        /// 06h: Unsupported Parameter.
        UNSUPPORTED_PARAMETER = 0x06 => "Unsupported Parameter",
    }
}

/// Command Capsule (CapsuleCmd): the header and the 64-byte command; any
/// in-capsule data follows at PDO.
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CapsuleCmd {
    /// Common header: type 04h, HLEN 72.
    pub ch: CommonHeader,
    /// The submission entry (SGL in DPTR).
    pub sqe: Command,
}

/// Response Capsule (CapsuleResp): the header and the 16-byte completion.
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct CapsuleResp {
    /// Common header: type 05h, HLEN 24.
    pub ch: CommonHeader,
    /// The completion entry.
    pub cqe: Completion,
}

/// H2CData and C2HData headers (24 bytes; TTAG is reserved in C2HData).
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct DataHdr {
    /// Common header: type 06h or 07h, HLEN 24.
    pub ch: CommonHeader,
    /// Command Capsule CID (CCCID).
    pub cccid: U16,
    /// Transfer Tag (TTAG), from the R2T (H2CData).
    pub ttag: U16,
    /// Data Offset (DATAO) into the command's data.
    pub datao: U32,
    /// Data Length (DATAL).
    pub datal: U32,
    /// Reserved.
    pub _rsvd: [u8; 4],
}

/// Ready to Transfer (R2T, 24 bytes).
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct R2t {
    /// Common header: type 09h, HLEN 24.
    pub ch: CommonHeader,
    /// Command Capsule CID (CCCID).
    pub cccid: U16,
    /// Transfer Tag (TTAG), echoed in the H2CData PDUs.
    pub ttag: U16,
    /// R2T Offset (R2TO) into the command's data.
    pub r2to: U32,
    /// R2T Length (R2TL).
    pub r2tl: U32,
    /// Reserved.
    pub _rsvd: [u8; 4],
}

const _: () = assert!(size_of::<IcReq>() == 128);
const _: () = assert!(size_of::<IcResp>() == 128);
const _: () = assert!(size_of::<TermReq>() == 24);
const _: () = assert!(size_of::<CapsuleCmd>() == 72);
const _: () = assert!(size_of::<CapsuleResp>() == 24);
const _: () = assert!(size_of::<DataHdr>() == 24);
const _: () = assert!(size_of::<R2t>() == 24);
const _: () = assert!(offset_of!(IcReq, maxr2t) == 12);
const _: () = assert!(offset_of!(IcResp, maxh2cdata) == 12);
const _: () = assert!(offset_of!(TermReq, fei) == 10);
const _: () = assert!(offset_of!(DataHdr, datao) == 12);
const _: () = assert!(offset_of!(R2t, r2tl) == 16);

impl IcReq {
    /// An ICReq asking for `digests`, with HPDA 0 and MAXR2T `maxr2t_z`.
    pub fn new(digests: DigestTypes, maxr2t_z: u32) -> Self {
        let mut r = IcReq::new_zeroed();
        r.ch = CommonHeader {
            pdu_type: PduType::IC_REQ.0,
            flags: PduFlags::new(),
            hlen: 128,
            pdo: 0,
            plen: U32::new(128),
        };
        r.dgst = digests;
        r.maxr2t = U32::new(maxr2t_z);
        r
    }
}

/// A PDU header received and checked, with its type-specific fields.
#[derive(Debug, Clone)]
pub enum Pdu {
    /// ICReq.
    IcReq(IcReq),
    /// ICResp.
    IcResp(IcResp),
    /// H2CTermReq.
    H2cTermReq(TermReq),
    /// C2HTermReq.
    C2hTermReq(TermReq),
    /// CapsuleCmd.
    CapsuleCmd(CapsuleCmd),
    /// CapsuleResp.
    CapsuleResp(CapsuleResp),
    /// H2CData.
    H2cData(DataHdr),
    /// C2HData.
    C2hData(DataHdr),
    /// R2T.
    R2t(R2t),
}

impl Pdu {
    /// Parses the HLEN bytes of a header: the common header's checks
    /// ([`CommonHeader::parse`]) and then the type-specific header. Digests
    /// and data are the caller's (see [`CommonHeader::layout`]).
    pub fn parse(buf: &[u8]) -> Result<Pdu, PduError> {
        let ch = CommonHeader::parse(buf)?;
        let need = ch.hlen as usize;
        let short = PduError::Truncated {
            need,
            have: buf.len(),
        };
        fn rd<T: FromBytes>(buf: &[u8], e: PduError) -> Result<T, PduError> {
            T::read_from_prefix(buf).map(|(t, _)| t).map_err(|_| e)
        }
        Ok(match ch.pdu_type() {
            PduType::IC_REQ => Pdu::IcReq(rd(buf, short)?),
            PduType::IC_RESP => Pdu::IcResp(rd(buf, short)?),
            PduType::H2C_TERM_REQ => Pdu::H2cTermReq(rd(buf, short)?),
            PduType::C2H_TERM_REQ => Pdu::C2hTermReq(rd(buf, short)?),
            PduType::CAPSULE_CMD => Pdu::CapsuleCmd(rd(buf, short)?),
            PduType::CAPSULE_RESP => Pdu::CapsuleResp(rd(buf, short)?),
            PduType::H2C_DATA => Pdu::H2cData(rd(buf, short)?),
            PduType::C2H_DATA => Pdu::C2hData(rd(buf, short)?),
            PduType::R2T => Pdu::R2t(rd(buf, short)?),
            t => return Err(PduError::UnknownType(t.0)),
        })
    }

    /// The common header.
    pub fn ch(&self) -> &CommonHeader {
        match self {
            Pdu::IcReq(p) => &p.ch,
            Pdu::IcResp(p) => &p.ch,
            Pdu::H2cTermReq(p) | Pdu::C2hTermReq(p) => &p.ch,
            Pdu::CapsuleCmd(p) => &p.ch,
            Pdu::CapsuleResp(p) => &p.ch,
            Pdu::H2cData(p) | Pdu::C2hData(p) => &p.ch,
            Pdu::R2t(p) => &p.ch,
        }
    }
}

#[cfg(test)]
mod tests;
