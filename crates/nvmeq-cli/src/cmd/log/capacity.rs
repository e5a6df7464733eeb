//! `media-unit-stat-log` (LID 10h) and `supported-cap-config-log` (LID 11h)
//! for a domain: text laid out like nvme-cli 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{capacity_configs, media_units, MediaUnitStatusLog};
use serde_json::Value;

use super::{parse, read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::json::exact::{u128_value, Exact};
use crate::json::Ordered;
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

/// nvme-cli's `json_media_unit_stat_log`.
pub fn media_unit_json(log: &[u8]) -> Ordered {
    let h: MediaUnitStatusLog = parse(log, "").unwrap_or_default();
    let mut r = Ordered::new();
    r.insert("nmu".into(), h.nmu.get().into());
    r.insert("cchans".into(), h.cchans.get().into());
    r.insert("sel_config".into(), h.sel_config.get().into());
    let list: Vec<Value> = media_units(log)
        .map(|d| {
            let mut o = Ordered::new();
            for (k, v) in [
                ("muid", d.muid.get()),
                ("domainid", d.domainid.get()),
                ("endgid", d.endgid.get()),
                ("nvmsetid", d.nvmsetid.get()),
                ("cap_adj_fctr", d.cap_adj_fctr.get()),
                ("avl_spare", d.avl_spare.into()),
                ("percent_used", d.percent_used.into()),
                ("mucs", d.mucs.into()),
                ("cio", d.cio.into()),
            ] {
                o.insert(k.into(), v.into());
            }
            o.into()
        })
        .collect();
    r.insert("mus_list".into(), list.into());
    r
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

/// nvme-cli's `json_supported_cap_config_log` (its key names included).
pub fn cap_config_json(log: &[u8]) -> Ordered {
    let mut r = Ordered::new();
    r.insert("sccn".into(), log.first().copied().unwrap_or(0).into());
    let caps: Vec<Value> = capacity_configs(log)
        .map(|c| {
            let mut o = Ordered::new();
            o.insert("cap_config_id".into(), c.desc.cap_config_id.get().into());
            o.insert("domainid".into(), c.desc.domainid.get().into());
            o.insert("egcn".into(), c.desc.egcn.get().into());
            let groups: Vec<Value> = c
                .groups
                .iter()
                .map(|g| {
                    let mut e = Ordered::new();
                    e.insert("endgid".into(), g.desc.endgid.get().into());
                    e.insert("cap_adj_factor".into(), g.desc.cap_adj_factor.get().into());
                    e.insert("tegcap".into(), u128_value(g.desc.tegcap.get()));
                    e.insert("segcap".into(), u128_value(g.desc.segcap.get()));
                    e.insert("egsets".into(), g.desc.egsets.get().into());
                    e.insert("egchans".into(), g.egchans.into());
                    let chans: Vec<Value> = g
                        .channels()
                        .map(|ch| {
                            let mut c = Ordered::new();
                            c.insert("chanid".into(), ch.chanid.into());
                            c.insert("chmus".into(), (ch.media_units.len() / 8).into());
                            // nvme-cli names a media unit's MUID and MUDL
                            // "chanid" and "chmus".
                            let media: Vec<Value> = ch
                                .media_units()
                                .map(|(muid, mudl)| {
                                    let mut m = Ordered::new();
                                    m.insert("chanid".into(), muid.into());
                                    m.insert("chmus".into(), mudl.into());
                                    m.into()
                                })
                                .collect();
                            c.insert("Media Descriptor".into(), media.into());
                            c.into()
                        })
                        .collect();
                    e.insert("Channel Descriptor".into(), chans.into());
                    let sets: Vec<Value> = g
                        .nvmset_ids()
                        .map(|id| {
                            let mut s = Ordered::new();
                            s.insert("nvmsetid".into(), id.into());
                            s.into()
                        })
                        .collect();
                    e.insert("NVM Set IDs".into(), sets.into());
                    e.into()
                })
                .collect();
            o.insert("Endurance Descriptor".into(), groups.into());
            o.into()
        })
        .collect();
    r.insert("Capacity Descriptor".into(), caps.into());
    r
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
        || Exact(cap_config_json(&raw)),
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
        assert_eq!(
            Value::from(media_unit_json(&log))["mus_list"][0]["percent_used"],
            9
        );

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
        let j = Value::from(cap_config_json(&log));
        let eg = &j["Capacity Descriptor"][0]["Endurance Descriptor"][0];
        assert_eq!(eg["NVM Set IDs"][0]["nvmsetid"], 5);
        assert_eq!(
            eg["Channel Descriptor"][0]["Media Descriptor"][0]["chmus"],
            8
        );
        assert_eq!(eg["segcap"], 0);
        // Above 2^64, nvme-cli 2.13's form: the number with every digit.
        let s = serde_json::to_string(&Exact(cap_config_json(&log))).unwrap();
        assert!(s.contains("\"tegcap\":1180591620717411303424,"), "{s}");
    }
}
