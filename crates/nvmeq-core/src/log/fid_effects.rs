//! Feature Identifiers Supported and Effects (Base spec 2.0, "Feature
//! Identifiers Supported and Effects Log Page", LID 12h) and NVMe-MI Commands
//! Supported and Effects (LID 13h).

use bitfield_struct::bitfield;
use core::mem::size_of;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Bits of the Feature Identifier Scope (FSP) of [`FeatureEffects`] and the
/// Command Scope of [`MiCommandEffects`].
pub mod scope {
    /// Namespace scope.
    pub const NAMESPACE: u16 = 1 << 0;
    /// Controller scope.
    pub const CONTROLLER: u16 = 1 << 1;
    /// NVM Set scope.
    pub const NVM_SET: u16 = 1 << 2;
    /// Endurance Group scope.
    pub const ENDURANCE_GROUP: u16 = 1 << 3;
    /// Domain scope.
    pub const DOMAIN: u16 = 1 << 4;
    /// NVM Subsystem scope.
    pub const NVM_SUBSYSTEM: u16 = 1 << 5;
}

/// FID Supported and Effects Data Structure: one dword per Feature Identifier.
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct FeatureEffects {
    /// FID Supported (FSUPP).
    pub fsupp: bool,
    /// User Data Content Change (UDCC).
    pub udcc: bool,
    /// Namespace Capability Change (NCC).
    pub ncc: bool,
    /// Namespace Inventory Change (NIC).
    pub nic: bool,
    /// Controller Capability Change (CCC).
    pub ccc: bool,
    /// Reserved (bits 18:5).
    #[bits(14)]
    pub _rsvd5: u16,
    /// UUID Selection Supported (USS).
    pub uss: bool,
    /// Feature Identifier Scope (FSP), bits of [`scope`].
    #[bits(12)]
    pub fsp: u16,
}

/// Feature Identifiers Supported and Effects log page: 1024 bytes, indexed by FID.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct FidEffectsLog {
    /// FID Supported and Effects (FIDS0..FIDS255).
    pub fids: [FeatureEffects; 256],
}

const _: () = assert!(size_of::<FidEffectsLog>() == 1024);

impl Default for FidEffectsLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

/// NVMe-MI Command Supported and Effects Data Structure.
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct MiCommandEffects {
    /// Command Supported (CSUPP).
    pub csupp: bool,
    /// User Data Content Change (UDCC).
    pub udcc: bool,
    /// Namespace Capability Change (NCC).
    pub ncc: bool,
    /// Namespace Inventory Change (NIC).
    pub nic: bool,
    /// Controller Capability Change (CCC).
    pub ccc: bool,
    /// Reserved (bits 19:5).
    #[bits(15)]
    pub _rsvd5: u16,
    /// Command Scope (CSP), bits of [`scope`].
    #[bits(12)]
    pub csp: u16,
}

/// NVMe-MI Commands Supported and Effects log page: 4096 bytes, the first
/// 256 dwords indexed by NVMe-MI opcode, the rest reserved.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct MiEffectsLog {
    /// NVMe-MI Commands Supported and Effects, indexed by NVMe-MI opcode.
    pub cmds: [MiCommandEffects; 256],
    /// Reserved (bytes 1024..4096).
    pub rsvd1024: [u8; 3072],
}

const _: () = assert!(size_of::<MiEffectsLog>() == 4096);
const _: () = assert!(core::mem::offset_of!(MiEffectsLog, rsvd1024) == 1024);

impl Default for MiEffectsLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let e = FeatureEffects::new()
            .with_fsupp(true)
            .with_ccc(true)
            .with_uss(true)
            .with_fsp(scope::CONTROLLER);
        assert_eq!(e.into_bits(), 0x0028_0011);
        let mut l = FidEffectsLog::new_zeroed();
        l.fids[7] = e;
        assert_eq!(&l.as_bytes()[28..32], &[0x11, 0, 0x28, 0]);
        let m = MiCommandEffects::new()
            .with_csupp(true)
            .with_csp(scope::NVM_SUBSYSTEM);
        assert_eq!(m.into_bits(), 0x0200_0001);
    }
}
