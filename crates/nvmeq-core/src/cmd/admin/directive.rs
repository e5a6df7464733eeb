//! Directive Send and Directive Receive (Base spec 2.0, "Directives").

use bitfield_struct::bitfield;

use super::admin;
use crate::cmd::{Cmd, Numd, Xfer};
use crate::opcode::AdminOpcode;
use crate::sqe::Command;

// -------------------------------------------------------------- Directives

open_enum! {
    /// Directive Type (DTYPE), Base spec "Directive Types".
    DirectiveType {
        /// Identify directive.
        IDENTIFY = 0x00 => "Identify",
        /// Streams directive.
        STREAMS = 0x01 => "Streams",
        /// Data Placement directive (Flexible Data Placement).
        DATA_PLACEMENT = 0x02 => "Data Placement",
    }
}

/// Directive Send/Receive Command Dword 11 (Base spec, "Directive Send –
/// Command Dword 11").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct DirectiveCdw11 {
    /// Directive Operation (DOPER).
    pub doper: u8,
    /// Directive Type (DTYPE).
    pub dtype: u8,
    /// Directive Specific (DSPEC).
    pub dspec: u16,
}

/// Directive Send (admin 19h) and Directive Receive (admin 1Ah), Base spec
/// "Directive Send command" / "Directive Receive command".
///
/// CDW10 is NUMD (zero-based); when the operation moves no data the builder
/// leaves it zero and transfers nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Directive {
    opcode: AdminOpcode,
    nsid: u32,
    numd: Option<Numd>,
    cdw11: DirectiveCdw11,
    cdw12: u32,
}

/// Directive Send: see [`Directive`].
pub type DirectiveSend = Directive;
/// Directive Receive: see [`Directive`].
pub type DirectiveReceive = Directive;

impl Directive {
    /// Directive Send of operation `doper` of directive `dtype` on `nsid`.
    #[inline]
    pub const fn send(nsid: u32, dtype: DirectiveType, doper: u8) -> Self {
        Self::with(AdminOpcode::DIRECTIVE_SEND, nsid, dtype, doper)
    }
    /// Directive Receive of operation `doper` of directive `dtype` on `nsid`.
    #[inline]
    pub const fn receive(nsid: u32, dtype: DirectiveType, doper: u8) -> Self {
        Self::with(AdminOpcode::DIRECTIVE_RECEIVE, nsid, dtype, doper)
    }
    #[inline]
    const fn with(opcode: AdminOpcode, nsid: u32, dtype: DirectiveType, doper: u8) -> Self {
        Directive {
            opcode,
            nsid,
            numd: None,
            cdw11: DirectiveCdw11::new().with_doper(doper).with_dtype(dtype.0),
            cdw12: 0,
        }
    }
    /// Identify directive, Enable Directive (DOPER 01h): enable or disable
    /// directive `tdtype` (ENDIR, bit 0; TDTYPE, bits 15:8 of CDW12).
    #[inline]
    pub const fn enable(nsid: u32, tdtype: DirectiveType, endir: bool) -> Self {
        Self::send(nsid, DirectiveType::IDENTIFY, 0x01).cdw12(endir as u32 | (tdtype.0 as u32) << 8)
    }
    /// Identify directive, Return Parameters (DOPER 01h): 4096 bytes.
    #[inline]
    pub const fn identify_params(nsid: u32) -> Self {
        Self::receive(nsid, DirectiveType::IDENTIFY, 0x01).data(Numd::BYTES_4096)
    }
    /// Streams directive, Return Parameters (DOPER 01h): 32 bytes.
    #[inline]
    pub const fn streams_params(nsid: u32) -> Self {
        Self::receive(nsid, DirectiveType::STREAMS, 0x01).data(Numd::from_z(7).unwrap())
    }
    /// Streams directive, Get Status (DOPER 02h) into `numd`: the Open
    /// Stream Count and the open stream identifiers.
    #[inline]
    pub const fn streams_status(nsid: u32, numd: Numd) -> Self {
        Self::receive(nsid, DirectiveType::STREAMS, 0x02).data(numd)
    }
    /// Streams directive, Allocate Resources (DOPER 03h): Namespace Streams
    /// Requested (NSR, CDW12 bits 15:0); the completion's dword 0 holds the
    /// Namespace Streams Allocated. No data.
    #[inline]
    pub const fn streams_allocate(nsid: u32, nsr: u16) -> Self {
        Self::receive(nsid, DirectiveType::STREAMS, 0x03).cdw12(nsr as u32)
    }
    /// Streams directive, Release Identifier (DOPER 01h) of stream `id`.
    #[inline]
    pub const fn streams_release_id(nsid: u32, id: u16) -> Self {
        Self::send(nsid, DirectiveType::STREAMS, 0x01).dspec(id)
    }
    /// Streams directive, Release Resources (DOPER 02h) of the namespace.
    #[inline]
    pub const fn streams_release_resources(nsid: u32) -> Self {
        Self::send(nsid, DirectiveType::STREAMS, 0x02)
    }
    /// Directive Specific (DSPEC), e.g. the stream identifier.
    #[inline]
    pub const fn dspec(mut self, dspec: u16) -> Self {
        self.cdw11 = self.cdw11.with_dspec(dspec);
        self
    }
    /// The data the operation moves (NUMD).
    #[inline]
    pub const fn data(mut self, numd: Numd) -> Self {
        self.numd = Some(numd);
        self
    }
    /// Command Dword 12: directive and operation specific.
    #[inline]
    pub const fn cdw12(mut self, cdw12: u32) -> Self {
        self.cdw12 = cdw12;
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(self.opcode.0, self.nsid);
        sqe.cdw11 = self.cdw11.into_bits();
        sqe.cdw12 = self.cdw12;
        let xfer = match self.numd {
            Some(n) => {
                sqe.cdw10 = n.z();
                Xfer::Bytes(n.bytes())
            }
            None => Xfer::None,
        };
        admin(sqe, xfer)
    }
}
