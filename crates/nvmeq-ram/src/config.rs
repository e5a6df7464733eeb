//! What the ram controller looks like: capacity, LBA format, limits, identity.

use core::fmt;

use nvmeq_core::format::NsFormat;
use nvmeq_core::pi::{Pi, PiError};

/// Configuration of a [`crate::RamController`].
///
/// Every namespace gets `ns_size` bytes in the same LBA format. Storage is
/// allocated as it is written, so a large size costs nothing up front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RamConfig {
    /// Bytes per namespace; a multiple of `lba_size`.
    pub ns_size: u64,
    /// LBA data size in bytes: 512 or 4096.
    pub lba_size: u32,
    /// Metadata bytes per block (LBAF MS), 0 to [`MAX_MS`].
    pub ms: u16,
    /// Metadata interleaved with the data (extended LBA, FLBAS bit 4)
    /// rather than in a separate buffer. Needs `ms` above 0.
    pub extended: bool,
    /// End-to-end protection: type, guard format, storage tag size and
    /// placement; the tuple must fit `ms`.
    pub pi: Option<Pi>,
    /// Number of namespaces (NN), nsids `1..=nn`.
    pub nn: u32,
    /// Maximum Data Transfer Size as the spec encodes it: a power of two in
    /// units of the 4 KiB minimum memory page size, 0 for no limit.
    pub mdts: u8,
    /// Commands the queue interface holds at once.
    pub queue_depth: u32,
    /// Serial Number (SN), at most 20 ASCII characters.
    pub serial: String,
    /// Total NVM Capacity (TNVMCAP) in bytes, which Namespace Management
    /// allocates from; `None`: exactly the `nn` namespaces' bytes, nothing
    /// left unallocated.
    pub capacity: Option<u64>,
    /// Number of Namespaces (NN), the highest NSID the controller accepts;
    /// `None`: `nn`. NSIDs above `nn` start unallocated.
    pub max_nn: Option<u32>,
}

impl Default for RamConfig {
    fn default() -> Self {
        RamConfig {
            ns_size: 1 << 30,
            lba_size: 512,
            ms: 0,
            extended: false,
            pi: None,
            nn: 1,
            mdts: 7,
            queue_depth: 1024,
            serial: "nvmeq-ram-0001".into(),
            capacity: None,
            max_nn: None,
        }
    }
}

/// A configuration the controller cannot model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The LBA data size is not 512 or 4096.
    LbaSize(u32),
    /// The namespace size is zero or not a multiple of the LBA size.
    NsSize {
        /// The size given.
        size: u64,
        /// The LBA size.
        lba_size: u32,
    },
    /// The number of namespaces is 0 or above 1024.
    Nn(u32),
    /// The queue depth is 0 or above 65536.
    QueueDepth(u32),
    /// MDTS above 19 (a 4 GiB transfer does not fit the 32-bit length).
    Mdts(u8),
    /// The serial number is longer than 20 bytes or not printable ASCII.
    Serial,
    /// The metadata size is above [`MAX_MS`].
    MetadataSize(u16),
    /// Extended LBAs without metadata.
    ExtendedWithoutMetadata,
    /// The protection information does not fit the metadata, or has a
    /// storage tag size its format does not allow.
    Pi(PiError),
    /// The total capacity is smaller than the namespaces configured.
    Capacity {
        /// The capacity given.
        capacity: u64,
        /// The bytes the `nn` namespaces take.
        allocated: u64,
    },
    /// NN is below the number of namespaces or above 1024.
    MaxNn(u32),
}

/// The largest metadata size the controller models, bytes per block.
pub const MAX_MS: u16 = 128;

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::LbaSize(n) => {
                write!(f, "LBA size {n} is not supported (use 512 or 4096)")
            }
            ConfigError::NsSize { size, lba_size } => write!(
                f,
                "namespace size {size} bytes is not a positive multiple of the LBA size {lba_size}"
            ),
            ConfigError::Nn(n) => write!(f, "{n} namespaces: use 1 to 1024"),
            ConfigError::QueueDepth(n) => write!(f, "queue depth {n}: use 1 to 65536"),
            ConfigError::Mdts(n) => write!(f, "MDTS {n}: use 0 (no limit) to 19"),
            ConfigError::Serial => {
                f.write_str("serial number must be 1 to 20 printable ASCII characters")
            }
            ConfigError::MetadataSize(n) => {
                write!(f, "metadata size {n}: use 0 to {MAX_MS} bytes per block")
            }
            ConfigError::ExtendedWithoutMetadata => {
                f.write_str("extended LBAs need a metadata size above 0")
            }
            ConfigError::Pi(e) => write!(f, "protection information: {e}"),
            ConfigError::Capacity {
                capacity,
                allocated,
            } => write!(
                f,
                "capacity {capacity} bytes is less than the {allocated} bytes the namespaces take"
            ),
            ConfigError::MaxNn(n) => {
                write!(f, "NN {n}: use the number of namespaces to 1024")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

impl RamConfig {
    /// A configuration with `ns_size` bytes and `lba_size`-byte blocks, the
    /// rest default.
    pub fn new(ns_size: u64, lba_size: u32) -> Self {
        RamConfig {
            ns_size,
            lba_size,
            ..Default::default()
        }
    }

    /// Checks that the controller can model this configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.lba_size != 512 && self.lba_size != 4096 {
            return Err(ConfigError::LbaSize(self.lba_size));
        }
        if self.ns_size == 0 || self.ns_size % self.lba_size as u64 != 0 {
            return Err(ConfigError::NsSize {
                size: self.ns_size,
                lba_size: self.lba_size,
            });
        }
        if self.nn == 0 || self.nn > 1024 {
            return Err(ConfigError::Nn(self.nn));
        }
        if self.queue_depth == 0 || self.queue_depth > 65536 {
            return Err(ConfigError::QueueDepth(self.queue_depth));
        }
        if self.mdts > 19 {
            return Err(ConfigError::Mdts(self.mdts));
        }
        if self.ms > MAX_MS {
            return Err(ConfigError::MetadataSize(self.ms));
        }
        if self.extended && self.ms == 0 {
            return Err(ConfigError::ExtendedWithoutMetadata);
        }
        if let Some(pi) = self.pi {
            pi.check(self.ms).map_err(ConfigError::Pi)?;
        }
        if let Some(capacity) = self.capacity {
            let allocated = self.ns_size.saturating_mul(self.nn as u64);
            if capacity < allocated {
                return Err(ConfigError::Capacity {
                    capacity,
                    allocated,
                });
            }
        }
        if let Some(m) = self.max_nn {
            if m < self.nn || m > 1024 {
                return Err(ConfigError::MaxNn(m));
            }
        }
        if self.serial.is_empty()
            || self.serial.len() > 20
            || !self.serial.bytes().all(|b| (0x20..0x7f).contains(&b))
        {
            return Err(ConfigError::Serial);
        }
        Ok(())
    }

    /// The namespaces' format as the buffers see it.
    pub fn format(&self) -> NsFormat {
        let f = if self.extended {
            NsFormat::extended(self.lba_size, self.ms)
        } else {
            NsFormat::separate(self.lba_size, self.ms)
        };
        match self.pi {
            Some(pi) => f.with_pi(pi),
            None => f,
        }
    }

    /// Total NVM Capacity (TNVMCAP), bytes.
    pub fn tnvmcap(&self) -> u64 {
        self.capacity.unwrap_or(self.ns_size * self.nn as u64)
    }

    /// Number of Namespaces (NN): the highest valid NSID.
    pub fn nn_max(&self) -> u32 {
        self.max_nn.unwrap_or(self.nn)
    }

    /// The largest transfer in bytes MDTS allows (`u32::MAX` for no limit).
    pub fn max_xfer(&self) -> u32 {
        if self.mdts == 0 {
            u32::MAX
        } else {
            4096u32 << self.mdts
        }
    }
}
