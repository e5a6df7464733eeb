//! Media Unit Status (Base spec 2.0, "Media Unit Status Log Page", LID 10h)
//! and Supported Capacity Configuration List (Base spec 2.0, "Supported
//! Capacity Configuration List Log Page", LID 11h), both for a domain named
//! by the LSI.
//!
//! A capacity configuration nests variable-length descriptors (endurance
//! groups, their NVM Sets and channels, each channel's media units), so the
//! walkers here bound every step by the bytes read.

use core::mem::{offset_of, size_of};
use zerocopy::byteorder::little_endian::{U128, U16};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Media Unit Status header: 16 bytes, then NMU descriptors.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct MediaUnitStatusLog {
    /// Number of Media Unit Status Descriptors (NMU).
    pub nmu: U16,
    /// Number of Channels (CCHANS).
    pub cchans: U16,
    /// Selected Configuration (SEL_CONFIG).
    pub sel_config: U16,
    /// Reserved (bytes 6..16).
    pub rsvd6: [u8; 10],
}

const _: () = assert!(size_of::<MediaUnitStatusLog>() == 16);

/// Media Unit Status Descriptor: 16 bytes (without channel identifiers).
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct MediaUnitStatusDesc {
    /// Media Unit Identifier (MUID).
    pub muid: U16,
    /// Domain Identifier.
    pub domainid: U16,
    /// Endurance Group Identifier.
    pub endgid: U16,
    /// NVM Set Identifier.
    pub nvmsetid: U16,
    /// Capacity Adjustment Factor (CAF).
    pub cap_adj_fctr: U16,
    /// Available Spare, percent.
    pub avl_spare: u8,
    /// Percentage Used.
    pub percent_used: u8,
    /// Number of Channels attached (MUCS).
    pub mucs: u8,
    /// Channel Identifiers Offset (CIO).
    pub cio: u8,
    /// Reserved (bytes 14..16).
    pub rsvd14: [u8; 2],
}

const _: () = assert!(size_of::<MediaUnitStatusDesc>() == 16);
const _: () = assert!(offset_of!(MediaUnitStatusDesc, avl_spare) == 10);

/// The media unit descriptors that fit in `log`, at most NMU.
pub fn media_units(log: &[u8]) -> impl Iterator<Item = MediaUnitStatusDesc> + '_ {
    let n = MediaUnitStatusLog::read_from_prefix(log).map_or(0, |(h, _)| h.nmu.get());
    log.get(16..)
        .unwrap_or_default()
        .chunks_exact(16)
        .take(n as usize)
        .filter_map(|c| MediaUnitStatusDesc::read_from_bytes(c).ok())
}

/// Capacity Configuration Descriptor's fixed part: 32 bytes, then EGCN
/// Endurance Group Configuration Descriptors.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct CapacityConfigDesc {
    /// Capacity Configuration Identifier.
    pub cap_config_id: U16,
    /// Domain Identifier.
    pub domainid: U16,
    /// Number of Endurance Group Configuration Descriptors (EGCN).
    pub egcn: U16,
    /// Reserved (bytes 6..32).
    pub rsvd6: [u8; 26],
}

const _: () = assert!(size_of::<CapacityConfigDesc>() == 32);

/// Endurance Group Configuration Descriptor's fixed part: 82 bytes, then
/// EGSETS NVM Set identifiers and the channel configuration.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct EgConfigDesc {
    /// Endurance Group Identifier.
    pub endgid: U16,
    /// Capacity Adjustment Factor.
    pub cap_adj_factor: U16,
    /// Reserved (bytes 4..16).
    pub rsvd4: [u8; 12],
    /// Total Endurance Group Capacity (TEGCAP), bytes.
    pub tegcap: U128,
    /// Spare Endurance Group Capacity (SEGCAP), bytes.
    pub segcap: U128,
    /// Endurance Estimate, billions of bytes.
    pub end_est: U128,
    /// Reserved (bytes 64..80).
    pub rsvd64: [u8; 16],
    /// Number of NVM Sets (EGSETS).
    pub egsets: U16,
}

const _: () = assert!(size_of::<EgConfigDesc>() == 82);
const _: () = assert!(offset_of!(EgConfigDesc, tegcap) == 16);
const _: () = assert!(offset_of!(EgConfigDesc, egsets) == 80);

/// One channel of an endurance group configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelConfig<'a> {
    /// Channel Identifier.
    pub chanid: u16,
    /// Its Media Unit Configuration Descriptors: (MUID, MUDL) pairs, 8 bytes each.
    pub media_units: &'a [u8],
}

impl ChannelConfig<'_> {
    /// (Media Unit Identifier, Media Unit Descriptor Length) of each media unit.
    pub fn media_units(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        self.media_units.chunks_exact(8).map(|c| {
            (
                u16::from_le_bytes([c[0], c[1]]),
                u16::from_le_bytes([c[6], c[7]]),
            )
        })
    }
}

/// One endurance group configuration, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EgConfig<'a> {
    /// The fixed part.
    pub desc: EgConfigDesc,
    /// NVM Set identifiers, 2 bytes each.
    pub nvmsets: &'a [u8],
    /// Number of Channels (EGCHANS).
    pub egchans: u16,
    /// The channel descriptors, raw.
    channels: &'a [u8],
}

impl<'a> EgConfig<'a> {
    /// The NVM Set identifiers.
    pub fn nvmset_ids(&self) -> impl Iterator<Item = u16> + 'a {
        self.nvmsets
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
    }

    /// The channels.
    pub fn channels(&self) -> impl Iterator<Item = ChannelConfig<'a>> + 'a {
        let raw = self.channels;
        let mut off = 0;
        (0..self.egchans).map_while(move |_| {
            let h = raw.get(off..off + 4)?;
            let chmus = u16::from_le_bytes([h[2], h[3]]) as usize;
            let media_units = raw.get(off + 4..off + 4 + chmus * 8)?;
            let chanid = u16::from_le_bytes([h[0], h[1]]);
            off += 4 + chmus * 8;
            Some(ChannelConfig {
                chanid,
                media_units,
            })
        })
    }

    /// Parses one descriptor at the start of `b`, with its length.
    fn parse(b: &'a [u8]) -> Option<(Self, usize)> {
        let (desc, _) = EgConfigDesc::read_from_prefix(b).ok()?;
        let mut off = size_of::<EgConfigDesc>();
        let sets = desc.egsets.get() as usize * 2;
        let nvmsets = b.get(off..off + sets)?;
        off += sets;
        let c = b.get(off..off + 2)?;
        let egchans = u16::from_le_bytes([c[0], c[1]]);
        off += 2;
        let start = off;
        for _ in 0..egchans {
            let h = b.get(off..off + 4)?;
            off += 4 + u16::from_le_bytes([h[2], h[3]]) as usize * 8;
        }
        let channels = b.get(start..off)?;
        Some((
            EgConfig {
                desc,
                nvmsets,
                egchans,
                channels,
            },
            off,
        ))
    }
}

/// One capacity configuration, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityConfig<'a> {
    /// The fixed part.
    pub desc: CapacityConfigDesc,
    /// Its endurance group configurations.
    pub groups: heapless::Vec<EgConfig<'a>, 16>,
}

/// The capacity configurations of a Supported Capacity Configuration List
/// page, at most SCCN (byte 0); a configuration that does not fit in `log`,
/// or with more than 16 endurance groups, ends the walk.
pub fn capacity_configs(log: &[u8]) -> impl Iterator<Item = CapacityConfig<'_>> + '_ {
    let n = log.first().copied().unwrap_or(0);
    let mut off = 16;
    (0..n).map_while(move |_| {
        let (desc, _) = CapacityConfigDesc::read_from_prefix(log.get(off..)?).ok()?;
        off += size_of::<CapacityConfigDesc>();
        let mut groups = heapless::Vec::new();
        for _ in 0..desc.egcn.get() {
            let (g, len) = EgConfig::parse(log.get(off..)?)?;
            off += len;
            groups.push(g).ok()?;
        }
        Some(CapacityConfig { desc, groups })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_units_golden_bytes() {
        let mut h = MediaUnitStatusLog::default();
        h.nmu.set(1);
        h.cchans.set(2);
        let mut d = MediaUnitStatusDesc::default();
        d.muid.set(7);
        d.avl_spare = 100;
        let mut log = [0u8; 48];
        log[..16].copy_from_slice(h.as_bytes());
        log[16..32].copy_from_slice(d.as_bytes());
        assert_eq!(&log[..4], &[1, 0, 2, 0]);
        assert_eq!(&log[16..18], &[7, 0]);
        assert_eq!(log[26], 100);
        let units: heapless::Vec<_, 4> = media_units(&log).collect();
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].muid.get(), 7);
    }

    #[test]
    fn capacity_configurations_walk_their_nesting() {
        // One configuration, one endurance group with 2 NVM Sets and one
        // channel of 2 media units.
        let mut log = [0u8; 16 + 32 + 82 + 4 + 2 + 4 + 16];
        log[0] = 1;
        let mut c = CapacityConfigDesc::default();
        c.cap_config_id.set(3);
        c.egcn.set(1);
        log[16..48].copy_from_slice(c.as_bytes());
        let mut g = EgConfigDesc::default();
        g.endgid.set(1);
        g.tegcap.set(1 << 40);
        g.egsets.set(2);
        log[48..130].copy_from_slice(g.as_bytes());
        log[130..134].copy_from_slice(&[1, 0, 2, 0]);
        log[134..136].copy_from_slice(&[1, 0]); // EGCHANS
        log[136..140].copy_from_slice(&[9, 0, 2, 0]); // channel 9, 2 media units
        log[140..142].copy_from_slice(&[4, 0]);
        log[146..148].copy_from_slice(&[8, 0]);
        log[148..150].copy_from_slice(&[5, 0]);
        let cfgs: heapless::Vec<_, 2> = capacity_configs(&log).collect();
        assert_eq!(cfgs.len(), 1);
        assert_eq!(cfgs[0].desc.cap_config_id.get(), 3);
        let eg = &cfgs[0].groups[0];
        assert_eq!(eg.desc.tegcap.get(), 1 << 40);
        let sets: heapless::Vec<u16, 4> = eg.nvmset_ids().collect();
        assert_eq!(sets.as_slice(), &[1, 2]);
        let ch: heapless::Vec<_, 2> = eg.channels().collect();
        assert_eq!(ch[0].chanid, 9);
        let mus: heapless::Vec<(u16, u16), 4> = ch[0].media_units().collect();
        assert_eq!(mus.as_slice(), &[(4, 8), (5, 0)]);
        // Cut short: nothing half-parsed comes out.
        assert_eq!(capacity_configs(&log[..140]).count(), 0);
    }
}
