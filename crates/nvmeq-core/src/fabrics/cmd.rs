//! The Fabrics command set (Base spec 2.0, "Fabrics Command Set"; NVMe over
//! Fabrics 1.1, "Fabrics Command Set" figures). Every Fabrics command has
//! opcode 7Fh and names its type in byte 04h (FCTYPE), where other commands
//! keep the NSID; the data direction is FCTYPE's bits 1:0, not the opcode's.
//!
//! Command layouts (bytes of the 64-byte entry):
//!
//! | command | 40–41 | 42–43 | 44–47 | 48–55 |
//! |---|---|---|---|---|
//! | Connect | RECFMT | QID | SQSIZE (44–45), CATTR (46) | KATO (48–51) |
//! | Property Set | ATTRIB (40) | – | OFST | VALUE |
//! | Property Get | ATTRIB (40) | – | OFST | – |
//! | Authentication Send | SPSP0 (41) | SPSP1 (42), SECP (43) | TL | – |
//! | Authentication Receive | SPSP0 (41) | SPSP1 (42), SECP (43) | AL | – |
//! | Disconnect | RECFMT | – | – | – |

use core::mem::{offset_of, size_of};

use zerocopy::byteorder::little_endian::U16;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use super::{put_nul_str, NQN_FIELD_LEN};
use crate::cmd::{Cmd, DataDir, QueueKind, Xfer};
use crate::sqe::Command;

/// Opcode of every Fabrics command.
pub const FABRICS_OPCODE: u8 = 0x7f;

open_enum! {
    /// Fabrics Command Type (FCTYPE), byte 04h of a Fabrics command. An open enum.
    FcType {
        /// 00h: Property Set.
        PROPERTY_SET = 0x00 => "Property Set",
        /// 01h: Connect.
        CONNECT = 0x01 => "Connect",
        /// 04h: Property Get.
        PROPERTY_GET = 0x04 => "Property Get",
        /// 05h: Authentication Send.
        AUTH_SEND = 0x05 => "Authentication Send",
        /// 06h: Authentication Receive.
        AUTH_RECEIVE = 0x06 => "Authentication Receive",
        /// 08h: Disconnect.
        DISCONNECT = 0x08 => "Disconnect",
    }
}

impl FcType {
    /// The command type of a Fabrics command; `None` for any other opcode.
    #[inline]
    pub const fn of(sqe: &Command) -> Option<FcType> {
        if sqe.opcode() == FABRICS_OPCODE {
            Some(FcType(sqe.nsid as u8))
        } else {
            None
        }
    }

    /// The data direction, FCTYPE's bits 1:0 (as an opcode's for other commands).
    #[inline]
    pub const fn dir(self) -> DataDir {
        DataDir::from_opcode_bits(self.0)
    }
}

/// A Fabrics command entry with `fctype` and the dwords from 10 on.
const fn fabrics(fctype: FcType, cdw10: u32, cdw11: u32, cdw12: u32, cdw13: u32) -> Command {
    let mut sqe = Command::new(FABRICS_OPCODE, fctype.0 as u32);
    sqe.cdw10 = cdw10;
    sqe.cdw11 = cdw11;
    sqe.cdw12 = cdw12;
    sqe.cdw13 = cdw13;
    sqe
}

/// Connect data (Base spec 2.0, "Connect Command – Data" figure): 1024 bytes.
#[repr(C)]
#[derive(Debug, Clone, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ConnectData {
    /// Host Identifier (HOSTID), a UUID.
    pub hostid: [u8; 16],
    /// Controller ID (CNTLID): [`super::CNTLID_DYNAMIC`] on the admin queue
    /// (any controller), the admin queue's controller on an I/O queue.
    pub cntlid: U16,
    /// Reserved.
    pub _rsvd18: [u8; 238],
    /// NVM Subsystem NVMe Qualified Name (SUBNQN), NUL padded.
    pub subnqn: [u8; NQN_FIELD_LEN],
    /// Host NVMe Qualified Name (HOSTNQN), NUL padded.
    pub hostnqn: [u8; NQN_FIELD_LEN],
    /// Reserved.
    pub _rsvd768: [u8; 256],
}

const _: () = assert!(size_of::<ConnectData>() == 1024);
const _: () = assert!(offset_of!(ConnectData, cntlid) == 16);
const _: () = assert!(offset_of!(ConnectData, subnqn) == 256);
const _: () = assert!(offset_of!(ConnectData, hostnqn) == 512);

/// An NQN longer than its 255-byte field can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the {field} is {len} bytes; an NQN field holds at most 255")]
pub struct NqnTooLong {
    /// Which NQN (`"subsystem NQN"`, `"host NQN"`).
    pub field: &'static str,
    /// Its length.
    pub len: usize,
}

impl ConnectData {
    /// The data for a Connect from `hostnqn` (with `hostid`) to `subnqn`,
    /// controller `cntlid`.
    pub fn new(
        hostid: [u8; 16],
        cntlid: u16,
        subnqn: &str,
        hostnqn: &str,
    ) -> Result<Self, NqnTooLong> {
        let mut d = ConnectData::new_zeroed();
        d.hostid = hostid;
        d.cntlid = U16::new(cntlid);
        if !put_nul_str(&mut d.subnqn, subnqn) {
            return Err(NqnTooLong {
                field: "subsystem NQN",
                len: subnqn.len(),
            });
        }
        if !put_nul_str(&mut d.hostnqn, hostnqn) {
            return Err(NqnTooLong {
                field: "host NQN",
                len: hostnqn.len(),
            });
        }
        Ok(d)
    }

    /// SUBNQN as text.
    pub fn subnqn(&self) -> Option<&str> {
        super::nul_str(&self.subnqn)
    }

    /// HOSTNQN as text.
    pub fn hostnqn(&self) -> Option<&str> {
        super::nul_str(&self.hostnqn)
    }
}

/// Connect (FCTYPE 01h, Base spec 2.0 "Connect Command – Submission Queue
/// Entry"): creates the queue the capsule travels on. 1024 bytes of
/// [`ConnectData`] to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect {
    qid: u16,
    sqsize_z: u16,
    cattr: u8,
    kato_ms: u32,
}

impl Connect {
    /// CATTR bit 2: disable SQ flow control (no SQHD in completions).
    pub const CATTR_DISABLE_SQFLOW: u8 = 1 << 2;

    /// A Connect for queue `qid` (0: the admin queue) of `sqsize_z + 1` entries.
    #[inline]
    pub const fn new(qid: u16, sqsize_z: u16) -> Self {
        Connect {
            qid,
            sqsize_z,
            cattr: 0,
            kato_ms: 0,
        }
    }
    /// Keep Alive Timeout in milliseconds (admin queue only; 0 disables).
    #[inline]
    pub const fn kato_ms(mut self, ms: u32) -> Self {
        self.kato_ms = ms;
        self
    }
    /// Connect Attributes (CATTR).
    #[inline]
    pub const fn cattr(mut self, cattr: u8) -> Self {
        self.cattr = cattr;
        self
    }
    /// The command (RECFMT 0).
    #[inline]
    pub const fn build(self) -> Cmd {
        let sqe = fabrics(
            FcType::CONNECT,
            (self.qid as u32) << 16,
            self.sqsize_z as u32 | (self.cattr as u32) << 16,
            self.kato_ms,
            0,
        );
        Cmd {
            sqe,
            queue: if self.qid == 0 {
                QueueKind::Admin
            } else {
                QueueKind::Io
            },
            dir: DataDir::ToDevice,
            xfer: Xfer::Bytes(size_of::<ConnectData>() as u32),
        }
    }
}

/// Property size in ATTRIB bits 2:0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertySize {
    /// 000b: 4 bytes.
    Four,
    /// 001b: 8 bytes.
    Eight,
}

impl PropertySize {
    const fn attrib(self) -> u32 {
        match self {
            PropertySize::Four => 0,
            PropertySize::Eight => 1,
        }
    }
}

/// Property Get (FCTYPE 04h, Base spec 2.0 "Property Get Command"): reads a
/// controller property (the registers PCIe maps in BAR0: CAP at 0h, VS at
/// 8h, CC at 14h, CSTS at 1Ch). The value comes back in completion dwords 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertyGet {
    size: PropertySize,
    offset: u32,
}

impl PropertyGet {
    /// Reads the `size` property at `offset`.
    #[inline]
    pub const fn new(size: PropertySize, offset: u32) -> Self {
        PropertyGet { size, offset }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let sqe = fabrics(FcType::PROPERTY_GET, self.size.attrib(), self.offset, 0, 0);
        Cmd::admin(sqe, DataDir::None, Xfer::None)
    }
}

/// Property Set (FCTYPE 00h, Base spec 2.0 "Property Set Command").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PropertySet {
    size: PropertySize,
    offset: u32,
    value: u64,
}

impl PropertySet {
    /// Writes `value` to the `size` property at `offset`.
    #[inline]
    pub const fn new(size: PropertySize, offset: u32, value: u64) -> Self {
        PropertySet {
            size,
            offset,
            value,
        }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let sqe = fabrics(
            FcType::PROPERTY_SET,
            self.size.attrib(),
            self.offset,
            self.value as u32,
            (self.value >> 32) as u32,
        );
        Cmd::admin(sqe, DataDir::None, Xfer::None)
    }
}

/// Disconnect (FCTYPE 08h, Base spec 2.0 "Disconnect Command"): deletes the
/// I/O queue the capsule travels on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Disconnect;

impl Disconnect {
    /// The command (RECFMT 0), for an I/O queue.
    #[inline]
    pub const fn build(self) -> Cmd {
        Cmd {
            sqe: fabrics(FcType::DISCONNECT, 0, 0, 0, 0),
            queue: QueueKind::Io,
            dir: DataDir::None,
            xfer: Xfer::None,
        }
    }
}

/// The Security Protocol fields shared by Authentication Send and Receive.
const fn sp(secp: u8, spsp0: u8, spsp1: u8) -> u32 {
    (spsp0 as u32) << 8 | (spsp1 as u32) << 16 | (secp as u32) << 24
}

/// Authentication Send (FCTYPE 05h, Base spec 2.0 "Authentication Send
/// Command"): `tl` bytes of a security protocol's message to the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthSend {
    secp: u8,
    spsp: [u8; 2],
    tl: u32,
}

impl AuthSend {
    /// Security protocol E9h: NVMe in-band authentication (DH-HMAC-CHAP).
    pub const SECP_NVME: u8 = 0xe9;

    /// Sends `tl` bytes of protocol `secp` with SPSP0/SPSP1 `spsp`.
    #[inline]
    pub const fn new(secp: u8, spsp: [u8; 2], tl: u32) -> Self {
        AuthSend { secp, spsp, tl }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let sqe = fabrics(
            FcType::AUTH_SEND,
            sp(self.secp, self.spsp[0], self.spsp[1]),
            self.tl,
            0,
            0,
        );
        let xfer = if self.tl == 0 {
            Xfer::None
        } else {
            Xfer::Bytes(self.tl)
        };
        let dir = if self.tl == 0 {
            DataDir::None
        } else {
            DataDir::ToDevice
        };
        Cmd::admin(sqe, dir, xfer)
    }
}

/// Authentication Receive (FCTYPE 06h, Base spec 2.0 "Authentication
/// Receive Command"): up to `al` bytes of a security protocol's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthReceive {
    secp: u8,
    spsp: [u8; 2],
    al: u32,
}

impl AuthReceive {
    /// Receives up to `al` bytes of protocol `secp` with SPSP0/SPSP1 `spsp`.
    #[inline]
    pub const fn new(secp: u8, spsp: [u8; 2], al: u32) -> Self {
        AuthReceive { secp, spsp, al }
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let sqe = fabrics(
            FcType::AUTH_RECEIVE,
            sp(self.secp, self.spsp[0], self.spsp[1]),
            self.al,
            0,
            0,
        );
        let (dir, xfer) = if self.al == 0 {
            (DataDir::None, Xfer::None)
        } else {
            (DataDir::FromDevice, Xfer::Bytes(self.al))
        };
        Cmd::admin(sqe, dir, xfer)
    }
}

/// A received Fabrics command, decoded (for targets, emulators and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FabricsCommand {
    /// Connect.
    Connect {
        /// Record Format (RECFMT).
        recfmt: u16,
        /// Queue ID (QID).
        qid: u16,
        /// Submission Queue Size (SQSIZE), zero-based.
        sqsize_z: u16,
        /// Connect Attributes (CATTR).
        cattr: u8,
        /// Keep Alive Timeout (KATO), milliseconds.
        kato_ms: u32,
    },
    /// Property Set.
    PropertySet {
        /// ATTRIB bits 2:0 (0: 4 bytes, 1: 8 bytes).
        size_attrib: u8,
        /// Offset (OFST).
        offset: u32,
        /// Value.
        value: u64,
    },
    /// Property Get.
    PropertyGet {
        /// ATTRIB bits 2:0 (0: 4 bytes, 1: 8 bytes).
        size_attrib: u8,
        /// Offset (OFST).
        offset: u32,
    },
    /// Authentication Send.
    AuthSend {
        /// Security Protocol (SECP).
        secp: u8,
        /// SP Specific 0 and 1.
        spsp: [u8; 2],
        /// Transfer Length (TL).
        tl: u32,
    },
    /// Authentication Receive.
    AuthReceive {
        /// Security Protocol (SECP).
        secp: u8,
        /// SP Specific 0 and 1.
        spsp: [u8; 2],
        /// Allocation Length (AL).
        al: u32,
    },
    /// Disconnect.
    Disconnect {
        /// Record Format (RECFMT).
        recfmt: u16,
    },
    /// A command type this crate does not decode.
    Other(FcType),
}

impl FabricsCommand {
    /// Decodes a Fabrics command; `None` when the opcode is not 7Fh.
    pub const fn decode(sqe: &Command) -> Option<FabricsCommand> {
        let Some(t) = FcType::of(sqe) else {
            return None;
        };
        let (a, b) = (sqe.cdw10, sqe.cdw11);
        Some(match t {
            FcType::CONNECT => FabricsCommand::Connect {
                recfmt: a as u16,
                qid: (a >> 16) as u16,
                sqsize_z: b as u16,
                cattr: (b >> 16) as u8,
                kato_ms: sqe.cdw12,
            },
            FcType::PROPERTY_SET => FabricsCommand::PropertySet {
                size_attrib: a as u8 & 7,
                offset: b,
                value: sqe.cdw12 as u64 | (sqe.cdw13 as u64) << 32,
            },
            FcType::PROPERTY_GET => FabricsCommand::PropertyGet {
                size_attrib: a as u8 & 7,
                offset: b,
            },
            FcType::AUTH_SEND => FabricsCommand::AuthSend {
                secp: (a >> 24) as u8,
                spsp: [(a >> 8) as u8, (a >> 16) as u8],
                tl: b,
            },
            FcType::AUTH_RECEIVE => FabricsCommand::AuthReceive {
                secp: (a >> 24) as u8,
                spsp: [(a >> 8) as u8, (a >> 16) as u8],
                al: b,
            },
            FcType::DISCONNECT => FabricsCommand::Disconnect { recfmt: a as u16 },
            t => FabricsCommand::Other(t),
        })
    }
}

/// The controller id in a Connect completion's dword 0 (bits 15:0), for the
/// admin queue's Connect.
#[inline]
pub const fn connect_cntlid(dw0: u32) -> u16 {
    dw0 as u16
}

/// Authentication requirements in a Connect completion's dword 0 (bits 17:16:
/// ATR, authentication required; ASCR, secure channel required).
#[inline]
pub const fn connect_authreq(dw0: u32) -> u8 {
    (dw0 >> 16) as u8 & 3
}

/// The name of a Fabrics command-specific status code (SCT 1h), which the
/// status table does not know because the same codes mean other things for
/// other commands (Base spec 2.0, "Fabrics Command Status Values").
pub const fn status_name(sc: u8) -> Option<&'static str> {
    Some(match sc {
        0x80 => "Incompatible Format",
        0x81 => "Controller Busy",
        0x82 => "Connect Invalid Parameters",
        0x83 => "Connect Restart Discovery",
        0x84 => "Connect Invalid Host",
        0x85 => "Invalid Queue Type",
        0x90 => "Discover Restart",
        0x91 => "Authentication Required",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::IntoBytes;

    /// Byte offsets as `struct nvmf_connect_command` and friends lay them out
    /// in `include/linux/nvme.h`.
    #[test]
    fn connect_golden_bytes() {
        let c = Connect::new(3, 127).kato_ms(5000).cattr(4).build();
        let b = c.sqe.as_bytes();
        assert_eq!(b[0], 0x7f, "opcode");
        assert_eq!(b[4], 0x01, "fctype at byte 4");
        assert_eq!(&b[40..42], &[0, 0], "recfmt");
        assert_eq!(&b[42..44], &[3, 0], "qid");
        assert_eq!(&b[44..46], &[127, 0], "sqsize");
        assert_eq!(b[46], 4, "cattr");
        assert_eq!(&b[48..52], &5000u32.to_le_bytes(), "kato");
        assert_eq!(c.dir, DataDir::ToDevice);
        assert_eq!(c.xfer, Xfer::Bytes(1024));
        assert_eq!(c.queue, QueueKind::Io);
        assert_eq!(Connect::new(0, 31).build().queue, QueueKind::Admin);
        assert_eq!(
            FabricsCommand::decode(&c.sqe),
            Some(FabricsCommand::Connect {
                recfmt: 0,
                qid: 3,
                sqsize_z: 127,
                cattr: 4,
                kato_ms: 5000
            })
        );
    }

    #[test]
    fn connect_data_golden_bytes() {
        let d = ConnectData::new([0xaa; 16], 0xffff, "nqn.sub", "nqn.host").unwrap();
        let b = d.as_bytes();
        assert_eq!(b.len(), 1024);
        assert_eq!(&b[..16], &[0xaa; 16]);
        assert_eq!(&b[16..18], &[0xff, 0xff]);
        assert_eq!(&b[256..263], b"nqn.sub");
        assert_eq!(b[263], 0);
        assert_eq!(&b[512..520], b"nqn.host");
        assert!(b[768..].iter().all(|&x| x == 0));
        assert_eq!(d.subnqn(), Some("nqn.sub"));
        assert_eq!(d.hostnqn(), Some("nqn.host"));
        extern crate std;
        let long = std::string::String::from_utf8(std::vec![b'n'; 256]).unwrap();
        assert_eq!(
            ConnectData::new([0; 16], 1, &long, "h").unwrap_err(),
            NqnTooLong {
                field: "subsystem NQN",
                len: 256
            }
        );
        assert!(ConnectData::new([0; 16], 1, &long[..255], "h").is_ok());
    }

    #[test]
    fn property_golden_bytes() {
        let s = PropertySet::new(PropertySize::Four, 0x14, 0x0046_0001).build();
        let b = s.sqe.as_bytes();
        assert_eq!((b[0], b[4]), (0x7f, 0x00));
        assert_eq!(b[40], 0, "attrib: 4 bytes");
        assert_eq!(&b[44..48], &0x14u32.to_le_bytes(), "offset");
        assert_eq!(&b[48..56], &0x0046_0001u64.to_le_bytes(), "value");
        let g = PropertyGet::new(PropertySize::Eight, 0).build();
        let b = g.sqe.as_bytes();
        assert_eq!((b[0], b[4], b[40]), (0x7f, 0x04, 1));
        assert_eq!(g.xfer, Xfer::None);
        assert_eq!(
            FabricsCommand::decode(&s.sqe),
            Some(FabricsCommand::PropertySet {
                size_attrib: 0,
                offset: 0x14,
                value: 0x0046_0001
            })
        );
    }

    #[test]
    fn auth_and_disconnect_golden_bytes() {
        let s = AuthSend::new(AuthSend::SECP_NVME, [1, 2], 200).build();
        let b = s.sqe.as_bytes();
        assert_eq!(b[4], 0x05);
        assert_eq!(&b[41..44], &[1, 2, 0xe9], "spsp0, spsp1, secp");
        assert_eq!(&b[44..48], &200u32.to_le_bytes(), "tl");
        assert_eq!((s.dir, s.xfer), (DataDir::ToDevice, Xfer::Bytes(200)));
        let r = AuthReceive::new(0xe9, [3, 4], 64).build();
        assert_eq!(r.sqe.as_bytes()[4], 0x06);
        assert_eq!((r.dir, r.xfer), (DataDir::FromDevice, Xfer::Bytes(64)));
        assert_eq!(
            FabricsCommand::decode(&r.sqe),
            Some(FabricsCommand::AuthReceive {
                secp: 0xe9,
                spsp: [3, 4],
                al: 64
            })
        );
        let d = Disconnect.build();
        assert_eq!(d.sqe.as_bytes()[4], 0x08);
        assert_eq!(
            FabricsCommand::decode(&d.sqe),
            Some(FabricsCommand::Disconnect { recfmt: 0 })
        );
        assert_eq!(
            FabricsCommand::decode(&crate::cmd::KeepAlive.build().sqe),
            None
        );
        assert_eq!(FcType::CONNECT.dir(), DataDir::ToDevice);
        assert_eq!(FcType::AUTH_RECEIVE.dir(), DataDir::FromDevice);
        assert_eq!(FcType::PROPERTY_GET.dir(), DataDir::None);
    }

    #[test]
    fn connect_result() {
        assert_eq!(connect_cntlid(0x0003_0007), 7);
        assert_eq!(connect_authreq(0x0003_0007), 3);
        assert_eq!(status_name(0x82), Some("Connect Invalid Parameters"));
        assert_eq!(status_name(0x7f), None);
    }
}
