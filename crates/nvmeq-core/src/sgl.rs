//! Scatter Gather Lists: NVMe Base Specification, "Scatter Gather List (SGL)"
//! ("SGL Descriptor Format", "SGL Descriptor Type" and "SGL Descriptor
//! Sub Type" figures).
//!
//! A command using SGLs (CDW0.PSDT = 01b) carries one 16-byte descriptor in
//! DPTR. A transfer in one contiguous region is one Data Block descriptor.
//! Otherwise DPTR points to an SGL segment: an array of descriptors in host
//! memory whose last entry, when more follow, is a Segment (or, for the
//! final segment, Last Segment) descriptor pointing to the next array.
//!
//! Nothing here allocates: the caller supplies segment memory
//! ([`SglSegments`]) and the regions of the transfer.

use bitfield_struct::bitfield;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::sqe::Command;

open_enum! {
    /// SGL Descriptor Type, the identifier's bits 7:4 (Base spec, "SGL
    /// Descriptor Type"). An open enum.
    SglType {
        /// 0h: Data Block.
        DATA_BLOCK = 0x0 => "Data Block",
        /// 1h: Bit Bucket (read data discarded).
        BIT_BUCKET = 0x1 => "Bit Bucket",
        /// 2h: Segment.
        SEGMENT = 0x2 => "Segment",
        /// 3h: Last Segment.
        LAST_SEGMENT = 0x3 => "Last Segment",
        /// 4h: Keyed Data Block (fabrics).
        KEYED_DATA_BLOCK = 0x4 => "Keyed Data Block",
        /// 5h: Transport SGL Data Block (fabrics).
        TRANSPORT_DATA_BLOCK = 0x5 => "Transport SGL Data Block",
    }
}

open_enum! {
    /// SGL Descriptor Sub Type, the identifier's bits 3:0 (Base spec, "SGL
    /// Descriptor Sub Type"). An open enum.
    SglSubtype {
        /// 0h: Address: the address field is a memory address (PCIe).
        ADDRESS = 0x0 => "Address",
        /// 1h: Offset: the address is an offset into in-capsule data (fabrics).
        OFFSET = 0x1 => "Offset",
        /// Ah: Transport specific.
        TRANSPORT_A = 0xa => "Transport Specific",
    }
}

/// SGL Identifier: byte 15 of a descriptor.
#[bitfield(u8)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct SglId {
    /// SGL Descriptor Sub Type.
    #[bits(4)]
    pub subtype: u8,
    /// SGL Descriptor Type.
    #[bits(4)]
    pub sgl_type: u8,
}

/// One 16-byte SGL descriptor (Base spec, "SGL Descriptor Format"; the
/// generic layout of Data Block, Bit Bucket, Segment and Last Segment).
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct SglDescriptor {
    /// Address (unused by Bit Bucket).
    pub addr: u64,
    /// Length in bytes.
    pub len: u32,
    /// Reserved (bytes 14:12).
    pub _rsvd: [u8; 3],
    /// SGL Identifier: type and subtype.
    pub id: SglId,
}

const _: () = assert!(core::mem::size_of::<SglDescriptor>() == 16);
const _: () = assert!(core::mem::offset_of!(SglDescriptor, id) == 15);

impl SglDescriptor {
    /// The size of one descriptor.
    pub const LEN: u32 = 16;

    const fn with(addr: u64, len: u32, t: SglType) -> Self {
        SglDescriptor {
            addr,
            len,
            _rsvd: [0; 3],
            id: SglId::new()
                .with_subtype(SglSubtype::ADDRESS.0)
                .with_sgl_type(t.0 & 0xf),
        }
    }
    /// A Data Block: `len` bytes of data at `addr`.
    pub const fn data_block(addr: u64, len: u32) -> Self {
        Self::with(addr, len, SglType::DATA_BLOCK)
    }
    /// A Bit Bucket: discard `len` bytes of read data.
    pub const fn bit_bucket(len: u32) -> Self {
        Self::with(0, len, SglType::BIT_BUCKET)
    }
    /// A Segment descriptor: the next segment, `count` descriptors at `addr`,
    /// is not the last one.
    pub const fn segment(addr: u64, count: u32) -> Self {
        Self::with(addr, count * Self::LEN, SglType::SEGMENT)
    }
    /// A Last Segment descriptor: the final segment, `count` descriptors at
    /// `addr`.
    pub const fn last_segment(addr: u64, count: u32) -> Self {
        Self::with(addr, count * Self::LEN, SglType::LAST_SEGMENT)
    }
    /// The descriptor type.
    pub const fn sgl_type(&self) -> SglType {
        SglType(self.id.sgl_type())
    }
    /// The descriptor subtype.
    pub const fn subtype(&self) -> SglSubtype {
        SglSubtype(self.id.subtype())
    }
    /// The descriptor as DPTR's two quadwords.
    pub fn to_dptr(&self) -> [u64; 2] {
        zerocopy::transmute!(*self)
    }
}

/// Why an SGL could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SglError {
    /// No regions, or a region of zero bytes.
    #[error("an SGL needs at least one region, and no region may be empty (region {index})")]
    EmptyRegion {
        /// The offending region (0 when there are none).
        index: usize,
    },
    /// The transfer's total length does not fit 32 bits.
    #[error("the regions add up to more than 4 GiB")]
    TooLong,
    /// A segment is not qword aligned or holds fewer than two descriptors
    /// when it must chain.
    #[error("SGL segment {index} at {addr:#x} is not qword aligned or is too small to chain")]
    BadSegment {
        /// Which segment.
        index: usize,
        /// Its address.
        addr: u64,
    },
    /// The regions need more segments than were supplied.
    #[error("the transfer needs SGL segment {index} but only {index} were supplied")]
    SegmentsExhausted {
        /// The first missing segment.
        index: usize,
    },
}

/// Where SGL segments go: the bus address and memory of segments by index
/// (0 is the one DPTR points to).
pub trait SglSegments {
    /// The bus address of segment `index`, or `None` when there is none.
    fn addr(&self, index: usize) -> Option<u64>;
    /// The descriptors of segment `index`.
    fn descriptors(&mut self, index: usize) -> Option<&mut [SglDescriptor]>;
}

/// One segment's memory and bus address.
#[derive(Debug)]
pub struct SglSegment<'a> {
    /// Bus address of `descs[0]`.
    pub addr: u64,
    /// The segment's memory.
    pub descs: &'a mut [SglDescriptor],
}

impl SglSegments for [SglSegment<'_>] {
    fn addr(&self, index: usize) -> Option<u64> {
        self.get(index).map(|s| s.addr)
    }
    fn descriptors(&mut self, index: usize) -> Option<&mut [SglDescriptor]> {
        self.get_mut(index).map(|s| &mut *s.descs)
    }
}

/// A transfer described as an SGL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sgl {
    /// The descriptor for the command's DPTR.
    pub dptr: SglDescriptor,
    /// Total bytes of the regions.
    pub len: u32,
    /// Segments used (0 for a single Data Block in DPTR).
    pub segments: usize,
}

impl Sgl {
    /// Describes a transfer over `regions` of (bus address, length): one
    /// region becomes a Data Block in DPTR; more become Data Blocks in
    /// segments, chained with Segment descriptors and ending in a Last
    /// Segment.
    pub fn describe<S: SglSegments + ?Sized>(
        regions: &[(u64, u32)],
        segs: &mut S,
    ) -> Result<Sgl, SglError> {
        let mut len: u32 = 0;
        for (index, &(_, l)) in regions.iter().enumerate() {
            if l == 0 {
                return Err(SglError::EmptyRegion { index });
            }
            len = len.checked_add(l).ok_or(SglError::TooLong)?;
        }
        match regions {
            [] => Err(SglError::EmptyRegion { index: 0 }),
            [(addr, l)] => Ok(Sgl {
                dptr: SglDescriptor::data_block(*addr, *l),
                len,
                segments: 0,
            }),
            _ => {
                let mut out = Sgl {
                    dptr: SglDescriptor::default(),
                    len,
                    segments: 0,
                };
                let mut next = 0; // first region not yet described
                let mut seg = 0;
                loop {
                    let addr = segs
                        .addr(seg)
                        .ok_or(SglError::SegmentsExhausted { index: seg })?;
                    let descs = segs
                        .descriptors(seg)
                        .ok_or(SglError::SegmentsExhausted { index: seg })?;
                    let cap = descs.len();
                    let left = regions.len() - next;
                    let last = left <= cap;
                    if addr & 7 != 0 || cap == 0 || (!last && cap < 2) {
                        return Err(SglError::BadSegment { index: seg, addr });
                    }
                    // How many descriptors this segment has and how the
                    // previous one (or DPTR) points to it.
                    let count = if last { left } else { cap };
                    let ptr = if last {
                        SglDescriptor::last_segment(addr, count as u32)
                    } else {
                        SglDescriptor::segment(addr, count as u32)
                    };
                    let data = if last { left } else { cap - 1 };
                    for (d, &(a, l)) in descs.iter_mut().zip(&regions[next..next + data]) {
                        *d = SglDescriptor::data_block(a, l);
                    }
                    next += data;
                    if seg == 0 {
                        out.dptr = ptr;
                    } else {
                        let prev = segs
                            .descriptors(seg - 1)
                            .ok_or(SglError::SegmentsExhausted { index: seg - 1 })?;
                        if let Some(p) = prev.last_mut() {
                            *p = ptr;
                        }
                    }
                    out.segments = seg + 1;
                    if last {
                        return Ok(out);
                    }
                    seg += 1;
                }
            }
        }
    }

    /// Puts the descriptor in a command's DPTR and selects SGLs for data
    /// (PSDT 01b: SGL for data, metadata pointer a contiguous buffer).
    pub fn apply(&self, sqe: &mut Command) {
        sqe.dptr = self.dptr.to_dptr();
        sqe.cdw0.set_psdt(1);
    }
}
