//! `media-unit-stat-log` (LID 10h) and `supported-cap-config-log` (LID 11h)
//! for a domain: text laid out like nvme-cli 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{capacity_configs, media_units, MediaUnitStatusLog};
use serde::Serialize;

use super::{parse, read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::num;
use crate::output;

/// `media-unit-stat-log` and `supported-cap-config-log`.
#[derive(Debug, Args)]
pub struct DomainLogArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Domain Identifier (the Log Specific Identifier).
    #[arg(short = 'd', long = "domain-id", value_parser = num::u16, default_value = "0")]
    pub domain_id: u16,
    /// Write the raw page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// Bytes read of the Supported Capacity Configuration List: one page; the
/// walk stops at a configuration that does not fit.
const CAP_CONFIG_BYTES: usize = 4096;

/// Media Unit Status laid out like `nvme media-unit-stat-log`.
pub fn media_unit_text(log: &[u8]) -> String {
    let h: MediaUnitStatusLog = parse(log, "").unwrap_or_default();
    let mut s = format!(
        "Number of Media Unit Status Descriptors: {}\nNumber of Channels: {}\nSelected Configuration: {}\n",
        h.nmu.get(),
        h.cchans.get(),
        h.sel_config.get()
    );
    for (i, d) in media_units(log).enumerate() {
        s += &format!("Media Unit Status Descriptor: {i}\n");
        s += &format!("Media Unit Identifier: {}\n", d.muid.get());
        s += &format!("Domain Identifier: {}\n", d.domainid.get());
        s += &format!("Endurance Group Identifier: {}\n", d.endgid.get());
        s += &format!("NVM Set Identifier: {}\n", d.nvmsetid.get());
        s += &format!("Capacity Adjustment Factor: {}\n", d.cap_adj_fctr.get());
        s += &format!("Available Spare: {}\n", d.avl_spare);
        s += &format!("Percentage Used: {}\n", d.percent_used);
        s += &format!("Number of Channels: {}\n", d.mucs);
        s += &format!("Channel Identifiers Offset: {}\n", d.cio);
    }
    s
}

/// One Media Unit Status Descriptor.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MediaUnitJson {
    muid: u16,
    domainid: u16,
    endgid: u16,
    nvmsetid: u16,
    cap_adj_fctr: u16,
    avl_spare: u8,
    percent_used: u8,
    mucs: u8,
    cio: u8,
}

/// nvme-cli's `json_media_unit_stat_log`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MediaUnitStatJson {
    nmu: u16,
    cchans: u16,
    sel_config: u16,
    mus_list: Vec<MediaUnitJson>,
}

/// `media-unit-stat-log -o json`.
pub fn media_unit_json(log: &[u8]) -> MediaUnitStatJson {
    let h: MediaUnitStatusLog = parse(log, "").unwrap_or_default();
    MediaUnitStatJson {
        nmu: h.nmu.get(),
        cchans: h.cchans.get(),
        sel_config: h.sel_config.get(),
        mus_list: media_units(log)
            .map(|d| MediaUnitJson {
                muid: d.muid.get(),
                domainid: d.domainid.get(),
                endgid: d.endgid.get(),
                nvmsetid: d.nvmsetid.get(),
                cap_adj_fctr: d.cap_adj_fctr.get(),
                avl_spare: d.avl_spare,
                percent_used: d.percent_used,
                mucs: d.mucs,
                cio: d.cio,
            })
            .collect(),
    }
}

/// The list laid out like `nvme supported-cap-config-log`.
pub fn cap_config_text(log: &[u8]) -> String {
    let mut s = format!(
        "Number of Supported Capacity Configurations: {}\n",
        log.first().copied().unwrap_or(0)
    );
    for (i, c) in capacity_configs(log).enumerate() {
        s += &format!("Capacity Configuration Descriptor: {i}\n");
        s += &format!(
            "Capacity Configuration Identifier: {}\n",
            c.desc.cap_config_id.get()
        );
        s += &format!("Domain Identifier: {}\n", c.desc.domainid.get());
        s += &format!(
            "Number of Endurance Group Configuration Descriptors: {}\n",
            c.desc.egcn.get()
        );
        for g in &c.groups {
            s += &format!("Endurance Group Identifier: {}\n", g.desc.endgid.get());
            s += &format!(
                "Capacity Adjustment Factor: {}\n",
                g.desc.cap_adj_factor.get()
            );
            s += &format!("Total Endurance Group Capacity: {}\n", g.desc.tegcap.get());
            s += &format!("Spare Endurance Group Capacity: {}\n", g.desc.segcap.get());
            s += &format!("Endurance Estimate: {}\n", g.desc.end_est.get());
            s += &format!("Number of NVM Sets: {}\n", g.desc.egsets.get());
            for id in g.nvmset_ids() {
                s += &format!("NVM Set {i} Identifier: {id}\n");
            }
            s += &format!("Number of Channels: {}\n", g.egchans);
            for ch in g.channels() {
                s += &format!("Channel Identifier: {}\n", ch.chanid);
                s += &format!(
                    "Number of Channel Media Units: {}\n",
                    ch.media_units.len() / 8
                );
                for (muid, mudl) in ch.media_units() {
                    s += &format!("Media Unit Identifier: {muid}\n");
                    s += &format!("Media Unit Descriptor Length: {mudl}\n");
                }
            }
        }
    }
    s
}

/// A media unit of a channel. nvme-cli names its MUID and MUDL `chanid`
/// and `chmus`, as here.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MediaDescJson {
    /// The Media Unit Identifier.
    chanid: u16,
    /// The Media Unit Descriptor Length.
    chmus: u16,
}

/// One Channel Configuration Descriptor.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ChannelJson {
    chanid: u16,
    /// The number of media units.
    chmus: usize,
    #[serde(rename = "Media Descriptor")]
    media: Vec<MediaDescJson>,
}

/// One NVM Set of an Endurance Group.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NvmSetIdJson {
    nvmsetid: u16,
}

/// One Endurance Group Configuration Descriptor; the capacities are
/// 128-bit numbers.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EgConfigJson {
    endgid: u16,
    cap_adj_factor: u16,
    tegcap: u128,
    segcap: u128,
    egsets: u16,
    egchans: u16,
    #[serde(rename = "Channel Descriptor")]
    channels: Vec<ChannelJson>,
    #[serde(rename = "NVM Set IDs")]
    sets: Vec<NvmSetIdJson>,
}

/// One Capacity Configuration Descriptor.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CapConfigJson {
    cap_config_id: u16,
    domainid: u16,
    egcn: u16,
    #[serde(rename = "Endurance Descriptor")]
    groups: Vec<EgConfigJson>,
}

/// nvme-cli's `json_supported_cap_config_log` (its key names included).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CapConfigListJson {
    sccn: u8,
    #[serde(rename = "Capacity Descriptor")]
    configs: Vec<CapConfigJson>,
}

/// `supported-cap-config-log -o json`.
pub fn cap_config_json(log: &[u8]) -> CapConfigListJson {
    let group = |g: &nvmeq_core::log::EgConfig<'_>| EgConfigJson {
        endgid: g.desc.endgid.get(),
        cap_adj_factor: g.desc.cap_adj_factor.get(),
        tegcap: g.desc.tegcap.get(),
        segcap: g.desc.segcap.get(),
        egsets: g.desc.egsets.get(),
        egchans: g.egchans,
        channels: g
            .channels()
            .map(|ch| ChannelJson {
                chanid: ch.chanid,
                chmus: ch.media_units.len() / 8,
                media: ch
                    .media_units()
                    .map(|(chanid, chmus)| MediaDescJson { chanid, chmus })
                    .collect(),
            })
            .collect(),
        sets: g
            .nvmset_ids()
            .map(|nvmsetid| NvmSetIdJson { nvmsetid })
            .collect(),
    };
    CapConfigListJson {
        sccn: log.first().copied().unwrap_or(0),
        configs: capacity_configs(log)
            .map(|c| CapConfigJson {
                cap_config_id: c.desc.cap_config_id.get(),
                domainid: c.desc.domainid.get(),
                egcn: c.desc.egcn.get(),
                groups: c.groups.iter().map(group).collect(),
            })
            .collect(),
    }
}

/// `nvmeq media-unit-stat-log`.
pub fn media_unit_stat(ctx: &Ctx, a: &DomainLogArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Media Unit Status log";
    let req = LogReq {
        lsi: a.domain_id,
        ..LogReq::new(LogId::MEDIA_UNIT_STATUS, 0)
    };
    // The header says how many descriptors follow.
    let head: MediaUnitStatusLog = parse(&read_log(&mut dev, op, &req, 16, 16)?, op)?;
    let len = 16 + usize::from(head.nmu.get()) * 16;
    let piece = (dev.max_xfer() as usize & !3).clamp(4, len);
    let raw = read_log(&mut dev, op, &req, len, piece)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || media_unit_text(&raw),
        || media_unit_json(&raw),
        &raw,
    )
}

/// `nvmeq supported-cap-config-log`.
pub fn supported_cap_config(ctx: &Ctx, a: &DomainLogArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Supported Capacity Configuration List log";
    let req = LogReq {
        lsi: a.domain_id,
        ..LogReq::new(LogId::CAPACITY_CONFIG_LIST, 0)
    };
    let piece = (dev.max_xfer() as usize & !3).clamp(4, CAP_CONFIG_BYTES);
    let raw = read_log(&mut dev, op, &req, CAP_CONFIG_BYTES, piece)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || cap_config_text(&raw),
        || cap_config_json(&raw),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::log::{CapacityConfigDesc, EgConfigDesc, MediaUnitStatusDesc};
    use zerocopy::IntoBytes;

    #[test]
    fn media_units_and_capacity_configurations() {
        let mut h = MediaUnitStatusLog::default();
        h.nmu.set(1);
        let mut d = MediaUnitStatusDesc::default();
        d.muid.set(3);
        d.percent_used = 9;
        let mut log = h.as_bytes().to_vec();
        log.extend_from_slice(d.as_bytes());
        let t = media_unit_text(&log);
        assert!(
            t.starts_with("Number of Media Unit Status Descriptors: 1\n"),
            "{t}"
        );
        assert!(
            t.contains("Media Unit Status Descriptor: 0\nMedia Unit Identifier: 3\n"),
            "{t}"
        );
        assert!(t.contains("Percentage Used: 9\n"), "{t}");
        let j = serde_json::to_value(media_unit_json(&log)).unwrap();
        assert_eq!(j["mus_list"][0]["percent_used"], 9);
        let e = crate::schema::errors("media-unit-stat-log", &j);
        assert!(e.is_empty(), "{e:?}");

        let mut log = vec![0u8; 16];
        log[0] = 1;
        let mut c = CapacityConfigDesc::default();
        c.cap_config_id.set(2);
        c.egcn.set(1);
        log.extend_from_slice(c.as_bytes());
        let mut g = EgConfigDesc::default();
        g.endgid.set(1);
        g.egsets.set(1);
        g.tegcap.set(1 << 70);
        log.extend_from_slice(g.as_bytes());
        log.extend_from_slice(&[5, 0]); // NVM Set 5
        log.extend_from_slice(&[1, 0]); // one channel
        log.extend_from_slice(&[7, 0, 1, 0]); // channel 7, one media unit
        log.extend_from_slice(&[4, 0, 0, 0, 0, 0, 8, 0]);
        let t = cap_config_text(&log);
        for line in [
            "Number of Supported Capacity Configurations: 1\nCapacity Configuration Descriptor: 0\nCapacity Configuration Identifier: 2\n",
            "Total Endurance Group Capacity: 1180591620717411303424\n",
            "NVM Set 0 Identifier: 5\nNumber of Channels: 1\nChannel Identifier: 7\nNumber of Channel Media Units: 1\nMedia Unit Identifier: 4\nMedia Unit Descriptor Length: 8\n",
        ] {
            assert!(t.contains(line), "missing {line:?} in\n{t}");
        }
        // Above 2^64, nvme-cli 2.13's form: the number with every digit (a
        // `Value` cannot hold it, so the text is checked).
        let s = serde_json::to_string(&cap_config_json(&log)).unwrap();
        assert!(s.contains("\"tegcap\":1180591620717411303424,"), "{s}");
        let j: serde_json::Value = serde_json::from_str(&s).unwrap();
        let e = crate::schema::errors("supported-cap-config-log", &j);
        assert!(e.is_empty(), "{e:?}");
        let eg = &j["Capacity Descriptor"][0]["Endurance Descriptor"][0];
        assert_eq!(eg["NVM Set IDs"][0]["nvmsetid"], 5);
        assert_eq!(
            eg["Channel Descriptor"][0]["Media Descriptor"][0]["chmus"],
            8
        );
        assert_eq!(eg["segcap"], 0);
    }
}
