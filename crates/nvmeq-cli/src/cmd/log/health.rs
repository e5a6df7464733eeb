//! Health and access-state pages: `endurance-log` (LID 09h), `ana-log`
//! (LID 0Ch), `resv-notif-log` (LID 80h); text laid out like nvme-cli
//! 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{AnaLog, EnduranceGroupLog, ResvNotifType, ResvNotificationLog};
use serde::Serialize;

use super::{parse, read_log, LogReq};
use crate::cmd::identify::id_ctrl_of;
use crate::cmd::{Ctx, DevArg};
use crate::error::{CliError, Result};
use crate::num;
use crate::output;

/// `endurance-log`.
#[derive(Debug, Args)]
pub struct EnduranceArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Endurance Group Identifier (the Log Specific Identifier).
    #[arg(short = 'g', long = "group-id", value_parser = num::u16, default_value = "0")]
    pub group_id: u16,
}

/// `ana-log`.
#[derive(Debug, Args)]
pub struct AnaArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Return the ANA groups only, without their namespace IDs (LSP bit 0, RGO).
    #[arg(short = 'g', long = "groups")]
    pub groups: bool,
}

/// `resv-notif-log`.
#[derive(Debug, Args)]
pub struct ResvNotifArgs {
    #[command(flatten)]
    pub dev: DevArg,
}

/// The Endurance Group Information page laid out like `nvme endurance-log`.
pub fn endurance_text(l: &EnduranceGroupLog, devname: &str, group: u16) -> String {
    let mut s = format!("Endurance Group Log for NVME device:{devname} Group ID:{group:x}\n");
    s += &format!("critical_warning\t: {}\n", l.critical_warning);
    s += &format!("endurance_group_features: {}\n", l.endurance_group_features);
    s += &format!("avl_spare\t\t: {}\n", l.avl_spare);
    s += &format!("avl_spare_threshold\t: {}\n", l.avl_spare_threshold);
    s += &format!("percent_used\t\t: {}%\n", l.percent_used);
    s += &format!("domain_identifier\t: {}\n", l.domain_identifier);
    for (k, v) in [
        ("endurance_estimate\t", l.endurance_estimate.get()),
        ("data_units_read\t\t", l.data_units_read.get()),
        ("data_units_written\t", l.data_units_written.get()),
        ("media_units_written\t", l.media_units_written.get()),
        ("host_read_cmds\t\t", l.host_read_cmds.get()),
        ("host_write_cmds\t\t", l.host_write_cmds.get()),
        ("media_data_integrity_err", l.media_data_integrity_err.get()),
        ("num_err_info_log_entries", l.num_err_info_log_entries.get()),
        ("total_end_grp_cap\t", l.total_end_grp_cap.get()),
        ("unalloc_end_grp_cap\t", l.unalloc_end_grp_cap.get()),
    ] {
        s += &format!("{k}: {v}\n");
    }
    s
}

/// nvme-cli's `json_endurance_log`; the 128-bit counters are numbers with
/// every digit (serde_json writes `u128` exactly).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct EnduranceJson {
    critical_warning: u8,
    endurance_group_features: u8,
    avl_spare: u8,
    avl_spare_threshold: u8,
    percent_used: u8,
    domain_identifier: u16,
    endurance_estimate: u128,
    data_units_read: u128,
    data_units_written: u128,
    media_units_written: u128,
    host_read_cmds: u128,
    host_write_cmds: u128,
    media_data_integrity_err: u128,
    num_err_info_log_entries: u128,
    total_end_grp_cap: u128,
    unalloc_end_grp_cap: u128,
}

impl From<&EnduranceGroupLog> for EnduranceJson {
    fn from(l: &EnduranceGroupLog) -> Self {
        EnduranceJson {
            critical_warning: l.critical_warning,
            endurance_group_features: l.endurance_group_features,
            avl_spare: l.avl_spare,
            avl_spare_threshold: l.avl_spare_threshold,
            percent_used: l.percent_used,
            domain_identifier: l.domain_identifier,
            endurance_estimate: l.endurance_estimate.get(),
            data_units_read: l.data_units_read.get(),
            data_units_written: l.data_units_written.get(),
            media_units_written: l.media_units_written.get(),
            host_read_cmds: l.host_read_cmds.get(),
            host_write_cmds: l.host_write_cmds.get(),
            media_data_integrity_err: l.media_data_integrity_err.get(),
            num_err_info_log_entries: l.num_err_info_log_entries.get(),
            total_end_grp_cap: l.total_end_grp_cap.get(),
            unalloc_end_grp_cap: l.unalloc_end_grp_cap.get(),
        }
    }
}

/// `nvmeq endurance-log`.
pub fn endurance(ctx: &Ctx, a: &EnduranceArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Endurance Group Information log";
    let req = LogReq {
        lsi: a.group_id,
        ..LogReq::new(LogId::ENDURANCE_GROUP, 0)
    };
    let raw = read_log(&mut dev, op, &req, 512, 512)?;
    let l: EnduranceGroupLog = parse(&raw, op)?;
    output::emit(
        ctx.fmt,
        || endurance_text(&l, &dev.name, a.group_id),
        || EnduranceJson::from(&l),
        &raw,
    )
}

/// The ANA page laid out like `nvme ana-log`.
pub fn ana_text(l: &AnaLog<'_>, devname: &str) -> String {
    let mut s = format!(
        "Asymmetric Namespace Access Log for NVMe device: {devname}\nANA LOG HEADER :-\nchgcnt\t:\t{}\nngrps\t:\t{}\nANA Log Desc :-\n",
        l.header.chgcnt, l.header.ngrps
    );
    for (d, ids) in l.groups() {
        s += &format!("grpid\t:\t{}\n", d.grpid);
        s += &format!("nnsids\t:\t{}\n", d.nnsids);
        s += &format!("chgcnt\t:\t{}\n", d.chgcnt);
        s += &format!(
            "state\t:\t{}\n",
            d.ana_state().name().unwrap_or("invalid state")
        );
        for id in ids {
            s += &format!("\tnsid\t:\t{id}\n");
        }
        s.push('\n');
    }
    s
}

/// One namespace of an ANA group descriptor.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AnaNsJson {
    nsid: u32,
}

/// One ANA Group Descriptor.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AnaGroupJson {
    grpid: u32,
    nnsids: u32,
    chgcnt: u64,
    /// The ANA state's name (`optimized`, …, `invalid state`).
    state: &'static str,
    #[serde(rename = "NSIDS")]
    nsids: Vec<AnaNsJson>,
}

/// `ana-log -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AnaJson {
    #[serde(rename = "Asymmetric Namespace Access Log for NVMe device")]
    device: String,
    chgcnt: u64,
    ngrps: u16,
    #[serde(rename = "ANA DESC LIST ")]
    groups: Vec<AnaGroupJson>,
}

/// nvme-cli's `json_ana_log` (its list key ends in a space, as here).
pub fn ana_json(l: &AnaLog<'_>, devname: &str) -> AnaJson {
    AnaJson {
        device: devname.into(),
        chgcnt: l.header.chgcnt,
        ngrps: l.header.ngrps,
        groups: l
            .groups()
            .map(|(d, ids)| AnaGroupJson {
                grpid: d.grpid,
                nnsids: d.nnsids,
                chgcnt: d.chgcnt,
                state: d.ana_state().name().unwrap_or("invalid state"),
                nsids: ids.map(|nsid| AnaNsJson { nsid }).collect(),
            })
            .collect(),
    }
}

/// `nvmeq ana-log`: sized from Identify Controller (NANAGRPID descriptors,
/// and MNAN namespace IDs unless `--groups`), as nvme-cli does.
pub fn ana(ctx: &Ctx, a: &AnaArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let (c, _) = id_ctrl_of(&mut dev)?;
    let mut len = 16 + c.nanagrpid as usize * 32;
    if !a.groups {
        len += c.mnan as usize * 4;
    }
    let op = "Asymmetric Namespace Access log";
    let req = LogReq {
        lsp: a.groups as u8,
        rae: true,
        ..LogReq::new(LogId::ANA, 0)
    };
    let raw = read_log(&mut dev, op, &req, len, len)?;
    let l = AnaLog::parse(&raw).map_err(|t| {
        CliError::Device(format!(
            "{op}: the page announces {} bytes, {} were read",
            t.needed, t.len
        ))
    })?;
    output::emit(
        ctx.fmt,
        || ana_text(&l, &dev.name),
        || ana_json(&l, &dev.name),
        &raw,
    )
}

/// The Reservation Notification page laid out like `nvme resv-notif-log`.
pub fn resv_notif_text(l: &ResvNotificationLog, devname: &str) -> String {
    format!(
        "Reservation Notif Log for device: {devname}\nLog Page Count\t\t\t\t: {:x}\nResv Notif Log Page Type\t: {} ({})\nNum of Available Log Pages\t: {}\nNamespace ID:\t\t\t\t: {:x}\n",
        l.lpc.get(),
        l.rnlpt,
        ResvNotifType(l.rnlpt).name().unwrap_or("Reserved"),
        l.nalp,
        l.nsid
    )
}

/// nvme-cli's `json_resv_notif_log`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ResvNotifJson {
    count: u64,
    rn_log_type: u8,
    num_logs: u8,
    #[serde(rename = "NSID")]
    nsid: u32,
}

/// `resv-notif-log -o json`.
pub fn resv_notif_json(l: &ResvNotificationLog) -> ResvNotifJson {
    ResvNotifJson {
        count: l.lpc.get(),
        rn_log_type: l.rnlpt,
        num_logs: l.nalp,
        nsid: l.nsid,
    }
}

/// `nvmeq resv-notif-log`.
pub fn resv_notif(ctx: &Ctx, a: &ResvNotifArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Reservation Notification log";
    let req = LogReq::new(LogId::RESERVATION, u32::MAX);
    let raw = read_log(&mut dev, op, &req, 64, 64)?;
    let l: ResvNotificationLog = parse(&raw, op)?;
    output::emit(
        ctx.fmt,
        || resv_notif_text(&l, &dev.name),
        || resv_notif_json(&l),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    #[test]
    fn pages_render_like_nvme_cli() {
        let mut e = EnduranceGroupLog::new_zeroed();
        e.percent_used = 3;
        e.data_units_read.set(12);
        let t = endurance_text(&e, "nvme0", 1);
        assert!(
            t.starts_with(
                "Endurance Group Log for NVME device:nvme0 Group ID:1\ncritical_warning\t: 0\n"
            ),
            "{t}"
        );
        assert!(t.contains("percent_used\t\t: 3%\n"), "{t}");
        assert!(t.contains("data_units_read\t\t: 12\n"), "{t}");
        assert!(t.ends_with("unalloc_end_grp_cap\t: 0\n"), "{t}");
        e.unalloc_end_grp_cap.set(u128::MAX);
        let j = serde_json::to_string(&EnduranceJson::from(&e)).unwrap();
        assert!(j.contains("\"data_units_read\":12,"), "{j}");
        assert!(
            j.ends_with(&format!("\"unalloc_end_grp_cap\":{}}}", u128::MAX)),
            "{j}"
        );
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        let e = crate::schema::errors("endurance-log", &v);
        assert!(e.is_empty(), "{e:?}");

        let mut r = ResvNotificationLog::new_zeroed();
        r.lpc.set(0x1a);
        r.rnlpt = 2;
        r.nsid = 0x10;
        let t = resv_notif_text(&r, "nvme0");
        assert!(t.contains("Log Page Count\t\t\t\t: 1a\nResv Notif Log Page Type\t: 2 (Reservation Released)\n"), "{t}");
        assert!(t.ends_with("Namespace ID:\t\t\t\t: 10\n"), "{t}");
        assert_eq!(
            serde_json::to_value(resv_notif_json(&r)).unwrap(),
            serde_json::json!({"count": 26, "rn_log_type": 2, "num_logs": 0, "NSID": 16})
        );

        let mut page = [0u8; 16 + 32 + 4];
        page[8] = 1;
        page[16] = 1;
        page[20] = 1;
        page[32] = 1;
        page[48] = 7;
        let l = AnaLog::parse(&page).unwrap();
        let t = ana_text(&l, "nvme0");
        assert!(t.contains("ngrps\t:\t1\nANA Log Desc :-\ngrpid\t:\t1\nnnsids\t:\t1\nchgcnt\t:\t0\nstate\t:\toptimized\n\tnsid\t:\t7\n\n"), "{t}");
        let j = serde_json::to_value(ana_json(&l, "nvme0")).unwrap();
        assert_eq!(j["ANA DESC LIST "][0]["NSIDS"][0]["nsid"], 7);
        let e = crate::schema::errors("ana-log", &j);
        assert!(e.is_empty(), "{e:?}");
        let e = crate::schema::errors(
            "resv-notif-log",
            &serde_json::to_value(resv_notif_json(&r)).unwrap(),
        );
        assert!(e.is_empty(), "{e:?}");
    }
}
