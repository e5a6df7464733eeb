//! Replay Protected Memory Block (Base spec 2.0, "Replay Protected Memory
//! Block"): the RPMB Data Frame carried by Security Send/Receive with
//! Security Protocol EAh, its message types and result codes, the RPMBS
//! field of Identify Controller and the Device Configuration Block.
//!
//! The MAC is HMAC SHA-256 (Authentication Method 0) over the frame from
//! byte [`MAC_FROM`] (RPMB Target) to its end, data included; this crate
//! lays the frames out and leaves the hashing to its users.

use bitfield_struct::bitfield;
use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use crate::cmd::{Cmd, Security};

/// Security Protocol EAh: NVMe RPMB.
pub const SECP_RPMB: u8 = 0xEA;
/// The SP Specific field of every RPMB Security Send/Receive.
pub const SPSP_RPMB: u16 = 0x0001;
/// Bytes of a frame without data.
pub const FRAME_LEN: usize = 256;
/// Bytes of an RPMB data sector (the Sector Count and Address unit).
pub const SECTOR: usize = 512;
/// Bytes of the Authentication Key / MAC field for HMAC SHA-256.
pub const MAC_LEN: usize = 32;
/// The first byte the MAC covers (RPMB Target).
pub const MAC_FROM: usize = 223;
/// RPMB Total Size unit: 128 KiB.
pub const TOTAL_SIZE_UNIT: u64 = 128 * 1024;

/// The RPMB Data Frame (Base spec 2.0, Figure "RPMB Data Frame"), without
/// its data: Sector Count × 512 bytes follow it.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct RpmbFrame {
    /// Stuff Bytes (222 − N + 1 bytes for an N-byte key/MAC).
    pub stuff: [u8; FRAME_LEN - 33 - MAC_LEN],
    /// Authentication Key (key programming) or MAC (every other message).
    pub mac: [u8; MAC_LEN],
    /// RPMB Target: the unit, 0 to 6 (the NSSF of the command carries it too).
    pub target: u8,
    /// Nonce: the host's random value, echoed in read responses.
    pub nonce: [u8; 16],
    /// Write Counter.
    pub write_counter: U32,
    /// Address: the first 512-byte sector.
    pub address: U32,
    /// Sector Count: 512-byte sectors of data after the frame.
    pub sector_count: U32,
    /// Result ([`RpmbResult`]).
    pub result: U16,
    /// Request/Response Message Type ([`RpmbMsgType`]).
    pub msg_type: U16,
}

const _: () = assert!(size_of::<RpmbFrame>() == FRAME_LEN);
const _: () = assert!(offset_of!(RpmbFrame, mac) == 191);
const _: () = assert!(offset_of!(RpmbFrame, target) == MAC_FROM);
const _: () = assert!(offset_of!(RpmbFrame, nonce) == 224);
const _: () = assert!(offset_of!(RpmbFrame, write_counter) == 240);
const _: () = assert!(offset_of!(RpmbFrame, address) == 244);
const _: () = assert!(offset_of!(RpmbFrame, sector_count) == 248);
const _: () = assert!(offset_of!(RpmbFrame, result) == 252);
const _: () = assert!(offset_of!(RpmbFrame, msg_type) == 254);

open_enum! {
    /// Request/Response Message Type (Base spec 2.0, Figure "RPMB Request
    /// and Response Message Types"): a response is its request << 8.
    RpmbMsgType: u16 {
        /// Authentication Key programming request.
        KEY_PROGRAM = 0x0001 => "Authentication Key programming request",
        /// Reading of the Write Counter value request.
        READ_COUNTER = 0x0002 => "Reading of the Write Counter value request",
        /// Authenticated data write request.
        DATA_WRITE = 0x0003 => "Authenticated data write request",
        /// Authenticated data read request.
        DATA_READ = 0x0004 => "Authenticated data read request",
        /// Result read request.
        RESULT_READ = 0x0005 => "Result read request",
        /// Authenticated Device Configuration Block write request.
        DCB_WRITE = 0x0006 => "Authenticated Device Configuration Block write request",
        /// Authenticated Device Configuration Block read request.
        DCB_READ = 0x0007 => "Authenticated Device Configuration Block read request",
        /// Authentication Key programming response.
        KEY_PROGRAM_RSP = 0x0100 => "Authentication Key programming response",
        /// Reading of the Write Counter value response.
        READ_COUNTER_RSP = 0x0200 => "Reading of the Write Counter value response",
        /// Authenticated data write response.
        DATA_WRITE_RSP = 0x0300 => "Authenticated data write response",
        /// Authenticated data read response.
        DATA_READ_RSP = 0x0400 => "Authenticated data read response",
        /// Authenticated Device Configuration Block write response.
        DCB_WRITE_RSP = 0x0600 => "Authenticated Device Configuration Block write response",
        /// Authenticated Device Configuration Block read response.
        DCB_READ_RSP = 0x0700 => "Authenticated Device Configuration Block read response",
    }
}

impl RpmbMsgType {
    /// The response type that answers this request.
    pub const fn response(self) -> RpmbMsgType {
        RpmbMsgType(self.0 << 8)
    }
}

open_enum! {
    /// RPMB Operation Result, bits 6:0 of [`RpmbResult`] (Base spec 2.0,
    /// Figure "RPMB Operation Result").
    RpmbResultCode {
        /// Operation successful.
        OK = 0x00 => "Operation successful",
        /// General failure.
        GENERAL = 0x01 => "General failure",
        /// Authentication failure (MAC comparison not matching, MAC calculation failure).
        AUTH = 0x02 => "Authentication failure (MAC comparison not matching, MAC calculation failure)",
        /// Counter failure (counters not matching in comparison, counter incrementing failure).
        COUNTER = 0x03 => "Counter failure (counters not matching in comparison, counter incrementing failure)",
        /// Address failure (address out of range, wrong address alignment).
        ADDRESS = 0x04 => "Address failure (address out of range, wrong address alignment)",
        /// Write failure (data/counter/result write failure).
        WRITE = 0x05 => "Write failure (data/counter/result write failure)",
        /// Read failure (data/counter/result read failure).
        READ = 0x06 => "Read failure (data/counter/result read failure)",
        /// Authentication Key not yet programmed.
        KEY_NOT_PROGRAMMED = 0x07 => "Authentication Key not yet programmed",
        /// Invalid RPMB Device Configuration Block.
        INVALID_DCB = 0x08 => "Invalid RPMB Device Configuration Block",
    }
}

/// The frame's Result field.
#[bitfield(u16)]
#[derive(PartialEq, Eq)]
pub struct RpmbResult {
    /// The operation's result.
    #[bits(7)]
    pub code: RpmbResultCode,
    /// Write Counter expired: the counter reached its maximum and no
    /// authenticated write is accepted any more.
    pub expired: bool,
    #[bits(8)]
    __: u8,
}

/// Replay Protected Memory Block Support (RPMBS), Identify Controller bytes
/// 315:312.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct Rpmbs {
    /// Number of RPMB Units (targets); 0: no RPMB.
    #[bits(3)]
    pub units: u8,
    /// Authentication Method: 0 is HMAC SHA-256.
    #[bits(3)]
    pub auth_method: u8,
    #[bits(10)]
    __: u16,
    /// Total Size of each unit, 128 KiB units, 0's based.
    pub total_size_z: u8,
    /// Access Size: 512-byte sectors one frame carries, 0's based.
    pub access_size_z: u8,
}

impl Rpmbs {
    /// Authentication Method HMAC SHA-256.
    pub const HMAC_SHA256: u8 = 0;
    /// Bytes of each unit.
    pub const fn unit_bytes(self) -> u64 {
        (self.total_size_z() as u64 + 1) * TOTAL_SIZE_UNIT
    }
    /// 512-byte sectors of each unit.
    pub const fn unit_sectors(self) -> u64 {
        self.unit_bytes() / SECTOR as u64
    }
    /// Sectors one data frame carries at most.
    pub const fn access_sectors(self) -> u32 {
        self.access_size_z() as u32 + 1
    }
}

/// The RPMB Device Configuration Block (Base spec 2.0, Figure "RPMB Device
/// Configuration Block data structure"): target 0's one 512-byte sector.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct RpmbDcb {
    /// Boot Partition Protection Enable: bit 0.
    pub bp_enable: u8,
    /// Boot Partition Lock: bit 0 locks partition 0, bit 1 partition 1.
    pub bp_lock: u8,
    /// Reserved.
    pub rsvd: [u8; 510],
}

const _: () = assert!(size_of::<RpmbDcb>() == SECTOR);

impl RpmbDcb {
    /// Boot Partition Protection is enabled.
    pub const fn protection_enabled(&self) -> bool {
        self.bp_enable & 1 != 0
    }
    /// Boot Partition `bp` (0 or 1) is locked.
    pub const fn locked(&self, bp: u8) -> bool {
        self.bp_lock >> bp & 1 != 0
    }
}

impl RpmbFrame {
    /// A request of `msg_type` to `target`, every other field zero.
    pub fn request(msg_type: RpmbMsgType, target: u8) -> Self {
        let mut f = Self::new_zeroed();
        f.msg_type.set(msg_type.0);
        f.target = target;
        f
    }
    /// With this Authentication Key or MAC.
    pub fn with_mac(mut self, mac: [u8; MAC_LEN]) -> Self {
        self.mac = mac;
        self
    }
    /// With this nonce.
    pub fn with_nonce(mut self, nonce: [u8; 16]) -> Self {
        self.nonce = nonce;
        self
    }
    /// With this Write Counter.
    pub fn with_write_counter(mut self, c: u32) -> Self {
        self.write_counter.set(c);
        self
    }
    /// With this Address.
    pub fn with_address(mut self, a: u32) -> Self {
        self.address.set(a);
        self
    }
    /// With this Sector Count.
    pub fn with_sector_count(mut self, n: u32) -> Self {
        self.sector_count.set(n);
        self
    }
    /// With this Result.
    pub fn with_result(mut self, r: RpmbResult) -> Self {
        self.result.set(r.into_bits());
        self
    }
    /// The message type.
    pub fn msg_type(&self) -> RpmbMsgType {
        RpmbMsgType(self.msg_type.get())
    }
    /// The result.
    pub fn result(&self) -> RpmbResult {
        RpmbResult::from_bits(self.result.get())
    }
}

/// Security Send of a `len`-byte frame (with its data) to RPMB `target`.
pub const fn send(target: u8, len: u32) -> Cmd {
    Security::send(SECP_RPMB, SPSP_RPMB, len)
        .nssf(target)
        .build()
}

/// Security Receive of a `len`-byte response frame from RPMB `target`.
pub const fn receive(target: u8, len: u32) -> Cmd {
    Security::receive(SECP_RPMB, SPSP_RPMB, len)
        .nssf(target)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opcode::AdminOpcode;
    use zerocopy::IntoBytes;

    #[test]
    fn golden_bytes() {
        let f = RpmbFrame::request(RpmbMsgType::DATA_WRITE, 2)
            .with_mac([0xAA; 32])
            .with_nonce([0x11; 16])
            .with_write_counter(0x0403_0201)
            .with_address(0x10)
            .with_sector_count(1)
            .with_result(RpmbResult::new().with_code(RpmbResultCode::COUNTER));
        let b = f.as_bytes();
        assert!(b[..191].iter().all(|&x| x == 0));
        assert!(b[191..223].iter().all(|&x| x == 0xAA));
        assert_eq!(b[223], 2);
        assert!(b[224..240].iter().all(|&x| x == 0x11));
        assert_eq!(
            &b[240..256],
            &[1, 2, 3, 4, 0x10, 0, 0, 0, 1, 0, 0, 0, 3, 0, 3, 0]
        );
        assert_eq!(f.msg_type().response(), RpmbMsgType::DATA_WRITE_RSP);
    }

    #[test]
    fn result_and_rpmbs_fields() {
        let r = RpmbResult::from_bits(0x0083);
        assert_eq!((r.code(), r.expired()), (RpmbResultCode::COUNTER, true));
        assert_eq!(
            RpmbResultCode::KEY_NOT_PROGRAMMED.name(),
            Some("Authentication Key not yet programmed")
        );
        // 2 units, HMAC SHA-256, 256 KiB each, 2 sectors per frame.
        let s = Rpmbs::from_bits(0x0101_0002);
        assert_eq!((s.units(), s.auth_method()), (2, Rpmbs::HMAC_SHA256));
        assert_eq!((s.unit_bytes(), s.unit_sectors()), (256 << 10, 512));
        assert_eq!(s.access_sectors(), 2);
    }

    #[test]
    fn commands_name_protocol_ea_and_the_target() {
        let c = send(3, 768);
        assert_eq!(c.sqe.opcode(), AdminOpcode::SECURITY_SEND.0);
        assert_eq!(c.sqe.cdw10, 0xEA00_0103);
        assert_eq!(c.sqe.cdw11, 768);
        let r = receive(1, 256);
        assert_eq!(r.sqe.opcode(), AdminOpcode::SECURITY_RECEIVE.0);
        assert_eq!(r.sqe.cdw10, 0xEA00_0101);
    }
}
