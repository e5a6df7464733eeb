//! What the controller remembers for the SMART / Health Information and Error
//! Information log pages.

use nvmeq_core::log::ErrorLogEntry;
use nvmeq_core::Status;
use zerocopy::{FromBytes, IntoBytes};

use crate::state::codec::{Bad, Dec, Enc};

/// Entries the Error Information log holds (ELPE + 1).
pub(crate) const ERROR_LOG_ENTRIES: usize = 64;

/// Counters for the SMART / Health Information log page.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Smart {
    /// 512-byte units of user data read (Read, Compare, Verify).
    pub read_units_512: u128,
    /// 512-byte units of user data written (Write).
    pub written_units_512: u128,
    /// Read, Compare and Verify commands completed successfully.
    pub host_read_cmds: u128,
    /// Write commands completed successfully.
    pub host_write_cmds: u128,
}

impl Smart {
    /// Data Units Read/Written: thousands of 512-byte units, rounded up.
    pub(crate) fn data_units(units_512: u128) -> u128 {
        units_512.div_ceil(1000)
    }
}

/// A ring of the most recent errors, allocated once.
#[derive(Debug)]
pub(crate) struct ErrorLog {
    ring: [ErrorLogEntry; ERROR_LOG_ENTRIES],
    /// Errors ever recorded; the newest has this Error Count.
    pub count: u64,
}

impl Default for ErrorLog {
    fn default() -> Self {
        ErrorLog {
            ring: [ErrorLogEntry::default(); ERROR_LOG_ENTRIES],
            count: 0,
        }
    }
}

impl ErrorLog {
    #[allow(clippy::too_many_arguments)] // one per field of the entry
    pub(crate) fn record(
        &mut self,
        sqid: u16,
        cid: u16,
        status: Status,
        phase: bool,
        param: u16,
        lba: u64,
        nsid: u32,
        opc: u8,
    ) {
        self.count += 1;
        let slot = (self.count - 1) as usize % ERROR_LOG_ENTRIES;
        self.ring[slot] = ErrorLogEntry {
            error_count: self.count,
            sqid,
            cid,
            sf: (status.into_bits() << 1) | phase as u16,
            pel: param,
            lba,
            nsid,
            opc,
            ..ErrorLogEntry::default()
        };
    }

    /// The entries newest first (as the log page returns them).
    pub(crate) fn newest_first(&self) -> impl Iterator<Item = &ErrorLogEntry> {
        let n = (self.count as usize).min(ERROR_LOG_ENTRIES);
        (0..n).map(move |i| {
            let idx = (self.count as usize - 1 - i) % ERROR_LOG_ENTRIES;
            &self.ring[idx]
        })
    }
}

/// The state file: the counters as they stand.
impl Smart {
    pub(crate) fn save(&self, e: &mut Enc) {
        for v in [
            self.read_units_512,
            self.written_units_512,
            self.host_read_cmds,
            self.host_write_cmds,
        ] {
            e.u128(v);
        }
    }

    pub(crate) fn load(d: &mut Dec<'_>) -> Result<Self, Bad> {
        Ok(Smart {
            read_units_512: d.u128()?,
            written_units_512: d.u128()?,
            host_read_cmds: d.u128()?,
            host_write_cmds: d.u128()?,
        })
    }
}

/// The state file: the count and the ring, each entry in its log layout.
impl ErrorLog {
    pub(crate) fn save(&self, e: &mut Enc) {
        e.u64(self.count);
        for entry in &self.ring {
            e.raw(entry.as_bytes());
        }
    }

    pub(crate) fn load(d: &mut Dec<'_>) -> Result<Self, Bad> {
        let mut l = ErrorLog {
            count: d.u64()?,
            ..ErrorLog::default()
        };
        for entry in &mut l.ring {
            *entry = ErrorLogEntry::read_from_bytes(d.raw(size_of::<ErrorLogEntry>())?)
                .map_err(|_| "an error log entry is malformed")?;
        }
        Ok(l)
    }
}
