//! Endurance Group Information (Base spec 2.0, "Endurance Group Information
//! Log Page", LID 09h) and Reservation Notification (Base spec 2.0,
//! "Reservation Notification Log Page", LID 80h).

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U128, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

/// Endurance Group Information log page: 512 bytes, one Endurance Group
/// (the Log Specific Identifier names it).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct EnduranceGroupLog {
    /// Critical Warning: bit 0 spare, bit 2 reliability, bit 3 read only.
    pub critical_warning: u8,
    /// Endurance Group Features: bit 0 the group's media is read only.
    pub endurance_group_features: u8,
    /// Reserved (byte 2).
    pub rsvd2: u8,
    /// Available Spare, percent.
    pub avl_spare: u8,
    /// Available Spare Threshold, percent.
    pub avl_spare_threshold: u8,
    /// Percentage Used.
    pub percent_used: u8,
    /// Domain Identifier.
    pub domain_identifier: u16,
    /// Reserved (bytes 8..32).
    pub rsvd8: [u8; 24],
    /// Endurance Estimate, billions of bytes.
    pub endurance_estimate: U128,
    /// Data Units Read, thousands of 512-byte units.
    pub data_units_read: U128,
    /// Data Units Written.
    pub data_units_written: U128,
    /// Media Units Written.
    pub media_units_written: U128,
    /// Host Read Commands.
    pub host_read_cmds: U128,
    /// Host Write Commands.
    pub host_write_cmds: U128,
    /// Media and Data Integrity Errors.
    pub media_data_integrity_err: U128,
    /// Number of Error Information Log Entries.
    pub num_err_info_log_entries: U128,
    /// Total Endurance Group Capacity, bytes.
    pub total_end_grp_cap: U128,
    /// Unallocated Endurance Group Capacity, bytes.
    pub unalloc_end_grp_cap: U128,
    /// Reserved (bytes 192..512).
    pub rsvd192: [u8; 320],
}

const _: () = assert!(size_of::<EnduranceGroupLog>() == 512);
const _: () = assert!(offset_of!(EnduranceGroupLog, domain_identifier) == 6);
const _: () = assert!(offset_of!(EnduranceGroupLog, endurance_estimate) == 32);
const _: () = assert!(offset_of!(EnduranceGroupLog, unalloc_end_grp_cap) == 176);

impl Default for EnduranceGroupLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

open_enum! {
    /// Reservation Notification Log Page Type (RNLPT).
    ResvNotifType {
        /// Empty log page.
        EMPTY = 0 => "Empty Log Page",
        /// Registration Preempted.
        REGISTRATION_PREEMPTED = 1 => "Registration Preempted",
        /// Reservation Released.
        RESERVATION_RELEASED = 2 => "Reservation Released",
        /// Reservation Preempted.
        RESERVATION_PREEMPTED = 3 => "Reservation Preempted",
    }
}

/// Reservation Notification log page: 64 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct ResvNotificationLog {
    /// Log Page Count: increments with each new page, 0 until the first.
    pub lpc: U64,
    /// Reservation Notification Log Page Type (RNLPT), see [`ResvNotifType`].
    pub rnlpt: u8,
    /// Number of Available Log Pages (NALP) after this one.
    pub nalp: u8,
    /// Reserved (bytes 10..12).
    pub rsvd10: [u8; 2],
    /// Namespace ID the notification is about.
    pub nsid: u32,
    /// Reserved (bytes 16..64).
    pub rsvd16: [u8; 48],
}

const _: () = assert!(size_of::<ResvNotificationLog>() == 64);

impl Default for ResvNotificationLog {
    fn default() -> Self {
        Self::new_zeroed()
    }
}
const _: () = assert!(offset_of!(ResvNotificationLog, rnlpt) == 8);
const _: () = assert!(offset_of!(ResvNotificationLog, nsid) == 12);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut e = EnduranceGroupLog::new_zeroed();
        e.percent_used = 7;
        e.domain_identifier = 0x0102;
        e.unalloc_end_grp_cap.set(1 << 64);
        let b = e.as_bytes();
        assert_eq!(b[5], 7);
        assert_eq!(&b[6..8], &[2, 1]);
        assert_eq!(b[176 + 8], 1);
        let mut r = ResvNotificationLog::new_zeroed();
        r.lpc.set(3);
        r.rnlpt = ResvNotifType::RESERVATION_RELEASED.0;
        r.nsid = 1;
        assert_eq!(
            &r.as_bytes()[..16],
            &[3, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0]
        );
    }
}
