//! A namespace's current LBA format as a backend's buffers see it, parsed
//! from Identify Namespace, and a small cache of them.

use crate::error::Error;
use crate::identify::IdentifyNamespace;

/// A namespace's current LBA format as the buffers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsFormat {
    /// Bytes per block in the data buffer: the LBA data size, plus the
    /// metadata size when metadata is interleaved (extended LBA, FLBAS bit 4),
    /// since the device then moves both through the data buffer.
    pub block_bytes: u32,
    /// Bytes per block in the separate metadata buffer (0: none, or interleaved).
    pub meta_bytes: u32,
}

impl NsFormat {
    /// The current format from Identify Namespace; `None` for an inactive
    /// namespace (NSZE 0).
    pub fn from_identify(ns: &IdentifyNamespace) -> Result<Option<NsFormat>, Error> {
        if ns.nsze == 0 {
            return Ok(None);
        }
        let ds = ns.lba_size().ok_or(Error::Malformed(
            "Identify Namespace (LBA data size below 512 bytes, LBADS < 9)",
        ))?;
        let ms = ns.metadata_size() as u32;
        Ok(Some(if ns.extended_lba() {
            NsFormat {
                block_bytes: ds + ms,
                meta_bytes: 0,
            }
        } else {
            NsFormat {
                block_bytes: ds,
                meta_bytes: ms,
            }
        }))
    }
}

/// The formats of the last `N` namespaces looked up; when full, the oldest
/// entry makes room.
#[derive(Debug, Clone, Default)]
pub struct FormatCache<const N: usize> {
    entries: heapless::Deque<(u32, NsFormat), N>,
}

impl<const N: usize> FormatCache<N> {
    /// An empty cache.
    pub const fn new() -> Self {
        FormatCache {
            entries: heapless::Deque::new(),
        }
    }

    /// The remembered format of namespace `nsid`.
    #[inline]
    pub fn get(&self, nsid: u32) -> Option<NsFormat> {
        self.entries
            .iter()
            .find(|(n, _)| *n == nsid)
            .map(|&(_, f)| f)
    }

    /// Remembers `f` for `nsid`, replacing an older entry for it and evicting
    /// the oldest entry when full.
    pub fn insert(&mut self, nsid: u32, f: NsFormat) {
        if let Some(e) = self.entries.iter_mut().find(|(n, _)| *n == nsid) {
            e.1 = f;
            return;
        }
        if self.entries.is_full() {
            self.entries.pop_front();
        }
        // Cannot fail: a slot is free.
        let _ = self.entries.push_back((nsid, f));
    }

    /// Forgets every entry (after a Format NVM or namespace management).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The number of remembered formats.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F512: NsFormat = NsFormat {
        block_bytes: 512,
        meta_bytes: 0,
    };
    const F4K: NsFormat = NsFormat {
        block_bytes: 4096,
        meta_bytes: 8,
    };

    #[test]
    fn the_oldest_entry_makes_room() {
        let mut c = FormatCache::<2>::new();
        c.insert(1, F512);
        c.insert(2, F512);
        c.insert(1, F4K);
        assert_eq!((c.len(), c.get(1)), (2, Some(F4K)), "replaced in place");
        c.insert(3, F4K);
        assert_eq!(c.get(1), None, "the oldest went");
        assert_eq!((c.get(2), c.get(3)), (Some(F512), Some(F4K)));
        c.clear();
        assert!(c.is_empty());
    }
}
