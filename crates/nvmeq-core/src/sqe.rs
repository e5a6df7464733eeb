//! The submission queue entry: NVMe Base Specification, "Common Command Format" figure.

use bitfield_struct::bitfield;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Command Dword 0 (Base spec, "Command Dword 0" figure).
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct Cdw0 {
    /// Opcode (OPC).
    pub opcode: u8,
    /// Fused operation (FUSE): 0 normal, 1 first, 2 second.
    #[bits(2)]
    pub fuse: u8,
    /// Reserved (bits 13:10).
    #[bits(4)]
    pub _rsvd: u8,
    /// PRP or SGL for Data Transfer (PSDT): 0 PRPs, 1 SGL with MPTR a
    /// contiguous buffer, 2 SGL with MPTR an SGL segment.
    #[bits(2)]
    pub psdt: u8,
    /// Command Identifier (CID).
    pub cid: u16,
}

/// The 64-byte submission queue entry (Base spec, "Common Command Format" figure).
///
/// `dptr` holds PRP Entry 1 and 2, or one 16-byte SGL descriptor when `psdt` is
/// non-zero. Command-specific meaning lives in `cdw10`..`cdw15`; the builders in
/// [`crate::cmd`] fill them from named fields.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Command {
    /// Command Dword 0.
    pub cdw0: Cdw0,
    /// Namespace Identifier (NSID).
    pub nsid: u32,
    /// Command Dword 2 (command specific).
    pub cdw2: u32,
    /// Command Dword 3 (command specific).
    pub cdw3: u32,
    /// Metadata Pointer (MPTR).
    pub mptr: u64,
    /// Data Pointer (DPTR): PRP1, PRP2 or an SGL descriptor.
    pub dptr: [u64; 2],
    /// Command Dword 10.
    pub cdw10: u32,
    /// Command Dword 11.
    pub cdw11: u32,
    /// Command Dword 12.
    pub cdw12: u32,
    /// Command Dword 13.
    pub cdw13: u32,
    /// Command Dword 14.
    pub cdw14: u32,
    /// Command Dword 15.
    pub cdw15: u32,
}

const _: () = assert!(core::mem::size_of::<Command>() == 64);
const _: () = assert!(core::mem::offset_of!(Command, mptr) == 16);
const _: () = assert!(core::mem::offset_of!(Command, dptr) == 24);
const _: () = assert!(core::mem::offset_of!(Command, cdw10) == 40);
const _: () = assert!(core::mem::offset_of!(Command, cdw15) == 60);

impl Command {
    /// A command with only the opcode and namespace set.
    #[inline]
    pub const fn new(opcode: u8, nsid: u32) -> Self {
        Self {
            cdw0: Cdw0::new().with_opcode(opcode),
            nsid,
            cdw2: 0,
            cdw3: 0,
            mptr: 0,
            dptr: [0; 2],
            cdw10: 0,
            cdw11: 0,
            cdw12: 0,
            cdw13: 0,
            cdw14: 0,
            cdw15: 0,
        }
    }

    /// The opcode in CDW0.
    #[inline]
    pub const fn opcode(&self) -> u8 {
        self.cdw0.opcode()
    }

    /// Command dwords 10..=15 as an array (the order the kernel's passthrough structs use).
    #[inline]
    pub const fn cdw10_15(&self) -> [u32; 6] {
        [
            self.cdw10, self.cdw11, self.cdw12, self.cdw13, self.cdw14, self.cdw15,
        ]
    }
}
