//! Sanitize Status (Base spec 2.1, "Sanitize Status Log Page", LID 81h).

use bitfield_struct::bitfield;
use core::mem::{offset_of, size_of};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

open_enum! {
    /// Sanitize Operation Status (SOS), bits 2:0 of [`SanitizeStatus`].
    SanitizeOpStatus {
        /// The NVM subsystem has never been sanitized.
        NEVER_SANITIZED = 0 => "NVM Subsystem has never been sanitized.",
        /// The most recent sanitize operation completed successfully.
        COMPLETED = 1 => "Most Recent Sanitize Command Completed Successfully.",
        /// A sanitize operation is in progress.
        IN_PROGRESS = 2 => "Sanitize in Progress.",
        /// The most recent sanitize operation failed.
        FAILED = 3 => "Most Recent Sanitize Command Failed.",
        /// Completed successfully with No-Deallocate After Sanitize.
        COMPLETED_NO_DEALLOC = 4 => "Most Recent Sanitize Command (No-Deallocate After Sanitize) Completed Successfully.",
    }
}

open_enum! {
    /// Sanitize State (SANS) and Failure State (FAILS) of the Sanitize State
    /// Information (SSI) byte.
    SanitizeState {
        /// Idle.
        IDLE = 0 => "Idle state",
        /// Restricted Processing.
        RESTRICTED_PROCESSING = 1 => "Restricted Processing State",
        /// Restricted Failure.
        RESTRICTED_FAILURE = 2 => "Restricted Failure State",
        /// Unrestricted Processing.
        UNRESTRICTED_PROCESSING = 3 => "Unrestricted Processing State",
        /// Unrestricted Failure.
        UNRESTRICTED_FAILURE = 4 => "Unrestricted Failure State",
        /// Media Verification.
        MEDIA_VERIFICATION = 5 => "Media Verification State",
        /// Post-Verification Deallocation.
        POST_VERIFICATION_DEALLOC = 6 => "Post-Verification Deallocation State",
    }
}

/// Sanitize Status (SSTAT).
#[bitfield(u16)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct SanitizeStatus {
    /// Sanitize Operation Status (SOS).
    #[bits(3)]
    pub sos: SanitizeOpStatus,
    /// Overwrite Passes Completed (OPC).
    #[bits(5)]
    pub opc: u8,
    /// Global Data Erased (GDE): no user data has been written since
    /// manufacture or the last successful sanitize.
    pub gde: bool,
    /// Media Verification Canceled (MVCNCLD).
    pub mvcncld: bool,
    /// Reserved (bits 15:10).
    #[bits(6)]
    pub _rsvd: u8,
}

/// Sanitize Status log page: 512 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SanitizeStatusLog {
    /// Sanitize Progress (SPROG): fraction complete, numerator of n/65536;
    /// FFFFh when no sanitize is in progress.
    pub sprog: u16,
    /// Sanitize Status (SSTAT).
    pub sstat: SanitizeStatus,
    /// Sanitize Command Dword 10 Information (SCDW10) of the last sanitize.
    pub scdw10: u32,
    /// Estimated Time For Overwrite (ETO), seconds; FFFFFFFFh: not reported.
    pub eto: u32,
    /// Estimated Time For Block Erase (ETBE), seconds.
    pub etbe: u32,
    /// Estimated Time For Crypto Erase (ETCE), seconds.
    pub etce: u32,
    /// Estimated Time For Overwrite With No-Deallocate (ETOND).
    pub etond: u32,
    /// Estimated Time For Block Erase With No-Deallocate (ETBEND).
    pub etbend: u32,
    /// Estimated Time For Crypto Erase With No-Deallocate (ETCEND).
    pub etcend: u32,
    /// Estimated Time For Post-Verification Deallocation State (ETPVDS).
    pub etpvds: u32,
    /// Sanitize State Information (SSI): bits 3:0 SANS, bits 7:4 FAILS.
    pub ssi: u8,
    /// Reserved (bytes 37..512).
    pub rsvd37: [u8; 475],
}

const _: () = assert!(size_of::<SanitizeStatusLog>() == 512);
const _: () = assert!(offset_of!(SanitizeStatusLog, sstat) == 2);
const _: () = assert!(offset_of!(SanitizeStatusLog, scdw10) == 4);
const _: () = assert!(offset_of!(SanitizeStatusLog, eto) == 8);
const _: () = assert!(offset_of!(SanitizeStatusLog, etcend) == 28);
const _: () = assert!(offset_of!(SanitizeStatusLog, etpvds) == 32);
const _: () = assert!(offset_of!(SanitizeStatusLog, ssi) == 36);

impl Default for SanitizeStatusLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl SanitizeStatusLog {
    /// Sanitize State (SANS).
    pub const fn sans(&self) -> SanitizeState {
        SanitizeState(self.ssi & 0xf)
    }

    /// Failure State (FAILS): meaningful when the status is
    /// [`SanitizeOpStatus::FAILED`].
    pub const fn fails(&self) -> SanitizeState {
        SanitizeState(self.ssi >> 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut l = SanitizeStatusLog::new_zeroed();
        l.sprog = 0xffff;
        l.sstat = SanitizeStatus::new()
            .with_sos(SanitizeOpStatus::COMPLETED)
            .with_opc(2)
            .with_gde(true);
        l.eto = u32::MAX;
        l.ssi = 0x21;
        let b = l.as_bytes();
        assert_eq!(&b[..4], &[0xff, 0xff, 0x11, 0x01]);
        assert_eq!(&b[8..12], &[0xff; 4]);
        assert_eq!(b[36], 0x21);
        assert_eq!(l.sans(), SanitizeState::RESTRICTED_PROCESSING);
        assert_eq!(l.fails(), SanitizeState::RESTRICTED_FAILURE);
        assert_eq!(SanitizeOpStatus(5).name(), None);
    }
}
