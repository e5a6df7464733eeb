//! Supported Log Pages (Base spec 2.0, "Supported Log Pages Log Page",
//! LID 00h).

use bitfield_struct::bitfield;
use core::mem::size_of;
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use super::LogId;

/// LID Supported and Effects Data Structure: one dword per log page.
#[bitfield(u32)]
#[derive(FromBytes, IntoBytes, Immutable, KnownLayout, PartialEq, Eq)]
pub struct LogSupport {
    /// LID Supported (LSUPP).
    pub lsupp: bool,
    /// Index Offset Supported (IOS): the Offset Type bit of Get Log Page is honoured.
    pub ios: bool,
    /// Reserved (bits 15:2).
    #[bits(14)]
    pub _rsvd2: u16,
    /// LID Specific Parameter (LIDSP), e.g. bit 0 for LID 07h "Maximum
    /// Created Data Area", for LID 0Dh "Establish Context and Read 512 Bytes
    /// of Header".
    pub lidsp: u16,
}

/// Supported Log Pages log page: 1024 bytes, indexed by LID.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct SupportedLogPages {
    /// LID Supported and Effects (LIDSUPP), indexed by Log Page Identifier.
    pub lids: [LogSupport; 256],
}

const _: () = assert!(size_of::<SupportedLogPages>() == 1024);

impl Default for SupportedLogPages {
    fn default() -> Self {
        Self::new_zeroed()
    }
}

impl SupportedLogPages {
    /// The entry of `lid`.
    pub const fn get(&self, lid: LogId) -> LogSupport {
        self.lids[lid.0 as usize]
    }

    /// Marks `lid` supported (with `ios` if offsets may be an entry index).
    pub fn set(&mut self, lid: LogId, ios: bool) {
        self.lids[lid.0 as usize] = LogSupport::new().with_lsupp(true).with_ios(ios);
    }

    /// The supported LIDs, ascending, with their entries.
    pub fn supported(&self) -> impl Iterator<Item = (LogId, LogSupport)> + '_ {
        (0..=255u8)
            .map(|lid| (LogId(lid), self.lids[lid as usize]))
            .filter(|(_, s)| s.lsupp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_bytes() {
        let mut l = SupportedLogPages::new_zeroed();
        l.set(LogId::SMART, false);
        l.lids[0x0d] = LogSupport::new()
            .with_lsupp(true)
            .with_ios(true)
            .with_lidsp(1);
        let b = l.as_bytes();
        assert_eq!(&b[8..12], &[1, 0, 0, 0]);
        assert_eq!(&b[0x34..0x38], &[3, 0, 1, 0]);
        let ids: heapless::Vec<u8, 8> = l.supported().map(|(id, _)| id.0).collect();
        assert_eq!(ids.as_slice(), &[0x02, 0x0d]);
    }
}
