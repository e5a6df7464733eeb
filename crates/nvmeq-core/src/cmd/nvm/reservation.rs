//! Reservation commands (NVM Command Set spec, "Reservation Register/Report/
//! Acquire/Release command"; Base spec "Reservations").

use bitfield_struct::bitfield;

use crate::cmd::{Cmd, Numd, Xfer};
use crate::opcode::NvmOpcode;
use crate::sqe::Command;

use super::io;

/// A value that names none of a field's defined values (reserved, or beyond
/// the field), as `TryFrom<u8>` of the reservation enums reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{value} is reserved: {field} is {valid}")]
pub struct ReservedValue {
    /// The value given.
    pub value: u8,
    /// The field, as the spec names it.
    pub field: &'static str,
    /// Its defined values.
    pub valid: &'static str,
}

/// `TryFrom<u8>` for a field enum: its defined values, else [`ReservedValue`].
macro_rules! try_from_u8 {
    ($t:ident, $field:literal, $valid:literal, [$($v:ident),+ $(,)?]) => {
        impl TryFrom<u8> for $t {
            type Error = ReservedValue;
            fn try_from(value: u8) -> Result<Self, ReservedValue> {
                $(if value == $t::$v as u8 {
                    return Ok($t::$v);
                })+
                Err(ReservedValue {
                    value,
                    field: $field,
                    valid: $valid,
                })
            }
        }
    };
}

/// Reservation Type (RTYPE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ReservationType {
    /// 1h: Write Exclusive.
    WriteExclusive = 1,
    /// 2h: Exclusive Access.
    ExclusiveAccess = 2,
    /// 3h: Write Exclusive – Registrants Only.
    WriteExclusiveRegistrantsOnly = 3,
    /// 4h: Exclusive Access – Registrants Only.
    ExclusiveAccessRegistrantsOnly = 4,
    /// 5h: Write Exclusive – All Registrants.
    WriteExclusiveAllRegistrants = 5,
    /// 6h: Exclusive Access – All Registrants.
    ExclusiveAccessAllRegistrants = 6,
}

/// Reservation Register Action (RREGA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RegisterAction {
    /// 000b: Register Reservation Key (NRKEY).
    Register = 0,
    /// 001b: Unregister Reservation Key (CRKEY).
    Unregister = 1,
    /// 010b: Replace Reservation Key (CRKEY with NRKEY).
    Replace = 2,
}

/// Change Persist Through Power Loss State (CPTPL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Cptpl {
    /// 00b: no change.
    #[default]
    NoChange = 0,
    /// 10b: reservations are released and registrants cleared on power on.
    Clear = 2,
    /// 11b: reservations and registrants persist across a power loss.
    Persist = 3,
}

/// Reservation Register Command Dword 10.
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct ResvRegisterCdw10 {
    /// Reservation Register Action (RREGA).
    #[bits(3)]
    pub rrega: u8,
    /// Ignore Existing Key (IEKEY).
    pub iekey: bool,
    /// Reserved (bits 29:4).
    #[bits(26)]
    _rsvd: u32,
    /// Change Persist Through Power Loss State (CPTPL).
    #[bits(2)]
    pub cptpl: u8,
}

/// Reservation Acquire/Release Command Dword 10 (RACQA or RRELA in 2:0).
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct ResvActionCdw10 {
    /// Reservation Acquire Action (RACQA) or Release Action (RRELA).
    #[bits(3)]
    pub action: u8,
    /// Ignore Existing Key (IEKEY).
    pub iekey: bool,
    /// Reserved (bits 7:4).
    #[bits(4)]
    _rsvd: u8,
    /// Reservation Type (RTYPE).
    pub rtype: u8,
    /// Reserved (bits 31:16).
    #[bits(16)]
    _rsvd2: u16,
}

/// Reservation Register (NVM 0Dh): sends the 16-byte Reservation Register
/// data structure (CRKEY, NRKEY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationRegister {
    nsid: u32,
    cdw10: ResvRegisterCdw10,
}

impl ReservationRegister {
    /// The data structure's size.
    pub const DATA_LEN: u32 = 16;

    /// Register, unregister or replace a key on `nsid`.
    #[inline]
    pub const fn new(nsid: u32, rrega: RegisterAction) -> Self {
        ReservationRegister {
            nsid,
            cdw10: ResvRegisterCdw10::new().with_rrega(rrega as u8),
        }
    }
    /// Ignore Existing Key (IEKEY).
    #[inline]
    pub const fn iekey(mut self, iekey: bool) -> Self {
        self.cdw10 = self.cdw10.with_iekey(iekey);
        self
    }
    /// Change Persist Through Power Loss State (CPTPL).
    #[inline]
    pub const fn cptpl(mut self, cptpl: Cptpl) -> Self {
        self.cdw10 = self.cdw10.with_cptpl(cptpl as u8);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::RESERVATION_REGISTER.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        io(sqe, Xfer::Bytes(Self::DATA_LEN))
    }
}

/// Reservation Acquire Action (RACQA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AcquireAction {
    /// 000b: Acquire.
    Acquire = 0,
    /// 001b: Preempt.
    Preempt = 1,
    /// 010b: Preempt and Abort.
    PreemptAndAbort = 2,
}

/// Reservation Acquire (NVM 11h): sends the 16-byte Reservation Acquire
/// data structure (CRKEY, PRKEY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationAcquire {
    nsid: u32,
    cdw10: ResvActionCdw10,
}

impl ReservationAcquire {
    /// The data structure's size.
    pub const DATA_LEN: u32 = 16;

    /// Acquire (or preempt) a reservation of type `rtype` on `nsid`.
    #[inline]
    pub const fn new(nsid: u32, racqa: AcquireAction, rtype: ReservationType) -> Self {
        ReservationAcquire {
            nsid,
            cdw10: ResvActionCdw10::new()
                .with_action(racqa as u8)
                .with_rtype(rtype as u8),
        }
    }
    /// Ignore Existing Key (IEKEY).
    #[inline]
    pub const fn iekey(mut self, iekey: bool) -> Self {
        self.cdw10 = self.cdw10.with_iekey(iekey);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::RESERVATION_ACQUIRE.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        io(sqe, Xfer::Bytes(Self::DATA_LEN))
    }
}

/// Reservation Release Action (RRELA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ReleaseAction {
    /// 000b: Release the reservation of type RTYPE.
    Release = 0,
    /// 001b: Clear: release and unregister every registrant.
    Clear = 1,
}

/// Reservation Release (NVM 15h): sends the 8-byte Reservation Release data
/// structure (CRKEY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationRelease {
    nsid: u32,
    cdw10: ResvActionCdw10,
}

impl ReservationRelease {
    /// The data structure's size.
    pub const DATA_LEN: u32 = 8;

    /// Release or clear the reservation of type `rtype` on `nsid`.
    #[inline]
    pub const fn new(nsid: u32, rrela: ReleaseAction, rtype: ReservationType) -> Self {
        ReservationRelease {
            nsid,
            cdw10: ResvActionCdw10::new()
                .with_action(rrela as u8)
                .with_rtype(rtype as u8),
        }
    }
    /// Clear (RRELA 001b) the reservation and every registrant on `nsid`
    /// whatever the reservation's type: RTYPE is left 0, as nvme-cli sends
    /// it when no type is given.
    #[inline]
    pub const fn clear(nsid: u32) -> Self {
        ReservationRelease {
            nsid,
            cdw10: ResvActionCdw10::new().with_action(ReleaseAction::Clear as u8),
        }
    }
    /// Ignore Existing Key (IEKEY).
    #[inline]
    pub const fn iekey(mut self, iekey: bool) -> Self {
        self.cdw10 = self.cdw10.with_iekey(iekey);
        self
    }
    /// The command.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::RESERVATION_RELEASE.0, self.nsid);
        sqe.cdw10 = self.cdw10.into_bits();
        io(sqe, Xfer::Bytes(Self::DATA_LEN))
    }
}

/// Reservation Report (NVM 0Eh): returns `NUMD + 1` dwords of the
/// Reservation Status data structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationReport {
    nsid: u32,
    numd: Numd,
    eds: bool,
}

impl ReservationReport {
    /// Report `numd` of the reservation status of `nsid`.
    #[inline]
    pub const fn new(nsid: u32, numd: Numd) -> Self {
        ReservationReport {
            nsid,
            numd,
            eds: false,
        }
    }
    /// Extended Data Structure (EDS, CDW11 bit 0): 128-bit host identifiers.
    #[inline]
    pub const fn eds(mut self, eds: bool) -> Self {
        self.eds = eds;
        self
    }
    /// The command: CDW10 NUMD (zero-based), CDW11 EDS.
    #[inline]
    pub const fn build(self) -> Cmd {
        let mut sqe = Command::new(NvmOpcode::RESERVATION_REPORT.0, self.nsid);
        sqe.cdw10 = self.numd.z();
        sqe.cdw11 = self.eds as u32;
        io(sqe, Xfer::Bytes(self.numd.bytes()))
    }
}

try_from_u8!(
    ReservationType,
    "the reservation type (RTYPE)",
    "1 Write Exclusive, 2 Exclusive Access, 3 Write Exclusive - Registrants Only, \
     4 Exclusive Access - Registrants Only, 5 Write Exclusive - All Registrants, \
     6 Exclusive Access - All Registrants",
    [
        WriteExclusive,
        ExclusiveAccess,
        WriteExclusiveRegistrantsOnly,
        ExclusiveAccessRegistrantsOnly,
        WriteExclusiveAllRegistrants,
        ExclusiveAccessAllRegistrants,
    ]
);
try_from_u8!(
    RegisterAction,
    "the registration action (RREGA)",
    "0 (register), 1 (unregister) or 2 (replace)",
    [Register, Unregister, Replace]
);
try_from_u8!(
    Cptpl,
    "CPTPL",
    "0 (no change), 2 (clear on power on) or 3 (persist)",
    [NoChange, Clear, Persist]
);
try_from_u8!(
    AcquireAction,
    "the acquire action (RACQA)",
    "0 (acquire), 1 (preempt) or 2 (preempt and abort)",
    [Acquire, Preempt, PreemptAndAbort]
);
try_from_u8!(
    ReleaseAction,
    "the release action (RRELA)",
    "0 (release) or 1 (clear)",
    [Release, Clear]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defined_values_convert_and_reserved_ones_are_named() {
        assert_eq!(
            ReservationType::try_from(6),
            Ok(ReservationType::ExclusiveAccessAllRegistrants)
        );
        assert_eq!(Cptpl::try_from(3), Ok(Cptpl::Persist));
        assert_eq!(ReleaseAction::try_from(1), Ok(ReleaseAction::Clear));
        for v in 0..=255u8 {
            assert_eq!(RegisterAction::try_from(v).is_ok(), v <= 2, "{v}");
            assert_eq!(ReservationType::try_from(v).is_ok(), (1..=6).contains(&v));
            assert_eq!(Cptpl::try_from(v).is_ok(), matches!(v, 0 | 2 | 3));
        }
        let e = Cptpl::try_from(1).unwrap_err();
        assert_eq!(
            (e.value, e.field, e.valid),
            (
                1,
                "CPTPL",
                "0 (no change), 2 (clear on power on) or 3 (persist)"
            )
        );
    }
}
