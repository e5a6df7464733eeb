//! Directive data structures (Base spec 2.0, "Directives"): what Directive
//! Receive returns for the Identify and Streams directives, and the
//! operation codes of each directive type. The commands are
//! [`crate::cmd::Directive`].

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U16, U32};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub use crate::cmd::DirectiveType;

/// Directive Operations (DOPER) of each directive type, Base spec "Identify
/// Directive" and "Streams Directive" (the values are per type and direction).
pub mod doper {
    /// Identify directive, Directive Receive: Return Parameters.
    pub const IDENTIFY_RECV_PARAMS: u8 = 0x01;
    /// Identify directive, Directive Send: Enable Directive.
    pub const IDENTIFY_SEND_ENABLE: u8 = 0x01;
    /// Streams directive, Directive Receive: Return Parameters.
    pub const STREAMS_RECV_PARAMS: u8 = 0x01;
    /// Streams directive, Directive Receive: Get Status.
    pub const STREAMS_RECV_STATUS: u8 = 0x02;
    /// Streams directive, Directive Receive: Allocate Resources.
    pub const STREAMS_RECV_ALLOCATE: u8 = 0x03;
    /// Streams directive, Directive Send: Release Identifier.
    pub const STREAMS_SEND_RELEASE_ID: u8 = 0x01;
    /// Streams directive, Directive Send: Release Resources.
    pub const STREAMS_SEND_RELEASE_RESOURCES: u8 = 0x02;
}

/// A 256-bit directive bitmap: bit N is directive type N.
#[repr(transparent)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct DirectiveMap(pub [u8; 32]);

impl DirectiveMap {
    /// Whether directive type `t`'s bit is set.
    #[inline]
    pub const fn has(&self, t: DirectiveType) -> bool {
        self.0[(t.0 / 8) as usize] & (1 << (t.0 % 8)) != 0
    }
    /// Sets or clears directive type `t`'s bit.
    #[inline]
    pub fn set(&mut self, t: DirectiveType, on: bool) {
        let (i, b) = ((t.0 / 8) as usize, 1 << (t.0 % 8));
        if on {
            self.0[i] |= b;
        } else {
            self.0[i] &= !b;
        }
    }
}

/// Identify directive, Return Parameters data (Base spec 2.0, Figure
/// "Return Parameters Data Structure", 4096 bytes).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct IdentifyDirectiveParams {
    /// Directives Supported.
    pub supported: DirectiveMap,
    /// Directives Enabled.
    pub enabled: DirectiveMap,
    /// Directives Persistent Across Controller Level Resets.
    pub persistent: DirectiveMap,
    /// Reserved.
    pub rsvd96: [u8; 4000],
}

const _: () = assert!(size_of::<IdentifyDirectiveParams>() == 4096);
const _: () = assert!(offset_of!(IdentifyDirectiveParams, enabled) == 32);
const _: () = assert!(offset_of!(IdentifyDirectiveParams, persistent) == 64);

/// Streams directive, Return Parameters data (Base spec 2.0, Figure
/// "Streams Directive – Return Parameters Data Structure", 32 bytes).
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct StreamsParams {
    /// Max Streams Limit (MSL).
    pub msl: U16,
    /// NVM Subsystem Streams Available (NSSA).
    pub nssa: U16,
    /// NVM Subsystem Streams Open (NSSO).
    pub nsso: U16,
    /// NVM Subsystem Stream Capability (NSSC): bit 0, streams are shared
    /// by the host identifier's controllers.
    pub nssc: u8,
    /// Reserved.
    pub rsvd7: [u8; 9],
    /// Stream Write Size (SWS), in logical blocks.
    pub sws: U32,
    /// Stream Granularity Size (SGS), in units of SWS.
    pub sgs: U16,
    /// Namespace Streams Allocated (NSA).
    pub nsa: U16,
    /// Namespace Streams Open (NSO).
    pub nso: U16,
    /// Reserved.
    pub rsvd26: [u8; 6],
}

const _: () = assert!(size_of::<StreamsParams>() == 32);
const _: () = assert!(offset_of!(StreamsParams, nssc) == 6);
const _: () = assert!(offset_of!(StreamsParams, sws) == 16);
const _: () = assert!(offset_of!(StreamsParams, sgs) == 20);
const _: () = assert!(offset_of!(StreamsParams, nsa) == 22);
const _: () = assert!(offset_of!(StreamsParams, nso) == 24);

/// Streams directive, Get Status data (Base spec 2.0, Figure "Streams
/// Directive – Get Status Data Structure"): the Open Stream Count, then
/// that many 16-bit stream identifiers.
pub fn open_streams(data: &[u8]) -> (u16, impl Iterator<Item = u16> + '_) {
    let count = U16::read_from_prefix(data).map_or(0, |(c, _)| c.get());
    let ids = data
        .get(2..)
        .unwrap_or(&[])
        .chunks_exact(2)
        .take(count as usize)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    (count, ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_status() {
        let mut m = DirectiveMap::default();
        m.set(DirectiveType::IDENTIFY, true);
        m.set(DirectiveType::DATA_PLACEMENT, true);
        assert_eq!(m.0[0], 0b101);
        assert!(m.has(DirectiveType::DATA_PLACEMENT) && !m.has(DirectiveType::STREAMS));
        m.set(DirectiveType::IDENTIFY, false);
        assert_eq!(m.0[0], 0b100);

        let (n, mut ids) = open_streams(&[2, 0, 7, 0, 9, 1, 5, 5]);
        assert_eq!(n, 2);
        assert_eq!(
            (ids.next(), ids.next(), ids.next()),
            (Some(7), Some(0x109), None)
        );
        let (n, ids) = open_streams(&[]);
        assert_eq!((n, ids.count()), (0, 0));
    }

    #[test]
    fn streams_params_golden() {
        let mut b = [0u8; 32];
        b[0] = 8; // MSL
        b[2] = 7; // NSSA
        b[4] = 1; // NSSO
        b[6] = 1; // NSSC
        b[16..20].copy_from_slice(&0x1234u32.to_le_bytes());
        b[20] = 2;
        b[22] = 4;
        b[24] = 3;
        let p = StreamsParams::read_from_bytes(&b).unwrap();
        assert_eq!(
            (p.msl.get(), p.nssa.get(), p.nsso.get(), p.nssc),
            (8, 7, 1, 1)
        );
        assert_eq!(
            (p.sws.get(), p.sgs.get(), p.nsa.get(), p.nso.get()),
            (0x1234, 2, 4, 3)
        );
    }
}
