//! Log pages: `smart-log`, `error-log`, `fw-log`, `effects-log` here, the
//! generic `get-log` and the other pages in the files below, and reading a
//! page in pieces ([`read_log`]), which they share.

pub(crate) mod aggregate;
pub(crate) mod ave_discovery;
pub(crate) mod boot_part;
pub(crate) mod capacity;
pub(crate) mod dispersed_ns;
pub(crate) mod generic;
pub(crate) mod health;
pub(crate) mod host_discovery;
pub(crate) mod lba_status;
pub(crate) mod mgmt_addr;
mod nvmf_names;
pub(crate) mod pages;
pub(crate) mod persistent_event;
pub(crate) mod phy_rx_eom;
pub(crate) mod pull_model_ddc;
pub(crate) mod reachability;
pub(crate) mod rotational;
pub(crate) mod self_test;
pub(crate) mod telemetry;

pub use aggregate::{aggregate, predictable_lat, Aggregate, AggregateArgs, PredLatArgs};
pub use ave_discovery::{ave_discovery, AveDiscoveryArgs};
pub use boot_part::{boot_part, BootPartArgs};
pub use capacity::{media_unit_stat, supported_cap_config, DomainLogArgs};
pub use dispersed_ns::{dispersed_ns, DispersedNsArgs};
pub use generic::{get_log_cmd, GetLogArgs};
pub use health::{ana, endurance, resv_notif, AnaArgs, EnduranceArgs, ResvNotifArgs};
pub use host_discovery::{host_discovery, HostDiscoveryArgs};
pub use lba_status::{lba_status, LbaStatusArgs};
pub use mgmt_addr::{mgmt_addr, MgmtAddrArgs};
pub use pages::{
    changed_alloc_ns, changed_ns, fid_effects, mi_effects, sanitize_log, supported_pages,
    ChangedNsArgs, FidEffectsArgs, SanitizeLogArgs, SupportedPagesArgs,
};
pub use persistent_event::{persistent_event_log, PelArgs};
pub use phy_rx_eom::{phy_rx_eom, PhyRxEomArgs};
pub use pull_model_ddc::{pull_model_ddc_req, PullModelDdcArgs};
pub use reachability::{
    reachability_associations, reachability_groups, ReachAssociationsArgs, ReachGroupsArgs,
};
pub use rotational::{rotational, RotationalArgs};
pub use self_test::{device_self_test, self_test_log, DeviceSelfTestArgs, SelfTestLogArgs};
pub use telemetry::{telemetry_log, TelemetryArgs};

use clap::Args;
use nvmeq_core::cmd::{Csi, GetLogPage, LogId, Numd};
use nvmeq_core::log::{CommandEffectsLog, ErrorLogEntry, FwSlotLog, SmartLog};
use nvmeq_core::{AdminOpcode, Data, NvmOpcode};
use zerocopy::FromBytes;

use super::identify::id_ctrl_of;
use super::{Ctx, DevArg};
use crate::device::Device;
use crate::error::{usage, CliError, Result};
use crate::json::log::{fw_string, Effects, ErrorLog, Smart};
use crate::num;
use crate::output::{self, cx, Format};

/// `smart-log`.
#[derive(Debug, Args)]
pub struct SmartArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default 0xffffffff: the whole controller).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid, default_value = "0xffffffff")]
    pub nsid: u32,
    /// Write the raw 512-byte page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// Decode the critical warning bits.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
}

/// `error-log`.
#[derive(Debug, Args)]
pub struct ErrorArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Entries to read (at most the controller's ELPE + 1).
    #[arg(short = 'e', long = "log-entries", value_parser = num::u32, default_value = "64")]
    pub entries: u32,
    /// Write the raw entries to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `fw-log`.
#[derive(Debug, Args)]
pub struct FwArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Write the raw 512-byte page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `effects-log`.
#[derive(Debug, Args)]
pub struct EffectsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Command Set Identifier (0 NVM, 2 Zoned Namespace). Default: NVM.
    #[arg(short = 'c', long = "csi", value_parser = num::u8, default_value = "0")]
    pub csi: u8,
    /// Decode each supported command's effects.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
    /// Write the raw 4096-byte page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// What a Get Log Page asks for besides its length (CDW10–CDW14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogReq {
    /// Log Page Identifier.
    pub lid: LogId,
    /// Namespace ID.
    pub nsid: u32,
    /// Log Specific Parameter (7 bits).
    pub lsp: u8,
    /// Log Specific Identifier.
    pub lsi: u16,
    /// Retain Asynchronous Event.
    pub rae: bool,
    /// Command Set Identifier.
    pub csi: Csi,
    /// UUID Index (7 bits).
    pub uidx: u8,
    /// Offset Type: `lpo` is an entry index.
    pub ot: bool,
    /// Log Page Offset of the first byte.
    pub lpo: u64,
}

impl LogReq {
    /// Log `lid` of namespace `nsid`, from its start, nothing else set.
    pub const fn new(lid: LogId, nsid: u32) -> Self {
        LogReq {
            lid,
            nsid,
            lsp: 0,
            lsi: 0,
            rae: false,
            csi: Csi::NVM,
            uidx: 0,
            ot: false,
            lpo: 0,
        }
    }
}

/// Reads `len` bytes of a log page in pieces of at most `piece` bytes, each
/// at the next Log Page Offset (as nvme-cli's `--xfer-len` does). Every piece
/// but the last retains the asynchronous event, so the page stays latched
/// while it is read; the last one uses `req.rae`.
pub fn read_log(
    dev: &mut Device,
    op: &str,
    req: &LogReq,
    len: usize,
    piece: usize,
) -> Result<Vec<u8>> {
    if len == 0 || len % 4 != 0 {
        return Err(usage(format!(
            "{op}: a log length of {len} bytes is not a positive multiple of 4"
        )));
    }
    if piece == 0 || piece % 4 != 0 {
        return Err(usage(format!(
            "{op}: a transfer size of {piece} bytes is not a positive multiple of 4"
        )));
    }
    let mut buf = vec![0u8; len];
    let mut off = 0;
    while off < len {
        let n = piece.min(len - off);
        let numd = u32::try_from(n)
            .ok()
            .and_then(Numd::from_bytes)
            .ok_or_else(|| usage(format!("{op}: a log of {n} bytes cannot be requested")))?;
        let cmd = GetLogPage::new(req.lid, numd)
            .nsid(req.nsid)
            .lsp(req.lsp)
            .lsi(req.lsi)
            .rae(off + n < len || req.rae)
            .csi(req.csi)
            .uidx(req.uidx)
            .ot(req.ot)
            .lpo(req.lpo + off as u64)
            .build();
        dev.exec(op, &cmd, Data::FromDevice(&mut buf[off..off + n]))?;
        off += n;
    }
    Ok(buf)
}

/// The most bytes a page that sizes itself is read to (64 MiB): a length
/// field beyond it is refused rather than allocated.
pub const MAX_PAGE_BYTES: usize = 64 << 20;

/// Appends `n` more bytes of the page, read from Log Page Offset
/// `buf.len()` in pieces of at most 4 KiB (nvme-cli's log page PDU size) or
/// the device's transfer size; a length that is not whole dwords is read
/// rounded up and cut back. Nothing is sent for `n == 0`.
pub fn read_on(
    dev: &mut Device,
    op: &str,
    req: &LogReq,
    buf: &mut Vec<u8>,
    n: usize,
) -> Result<()> {
    if n == 0 {
        return Ok(());
    }
    let total = buf.len().saturating_add(n);
    if total > MAX_PAGE_BYTES {
        return Err(CliError::Device(format!(
            "{op}: the page says it is {total} bytes or more, beyond the {MAX_PAGE_BYTES} nvmeq reads"
        )));
    }
    let len = n.next_multiple_of(4);
    let piece = (dev.max_xfer() as usize & !3).clamp(4, 4096).min(len);
    let req = LogReq {
        lpo: req.lpo + buf.len() as u64,
        ..*req
    };
    let more = read_log(dev, op, &req, len, piece)?;
    buf.extend_from_slice(&more[..n]);
    Ok(())
}

/// A length a page states for itself (in its header), checked against
/// [`MAX_PAGE_BYTES`] so a wild header cannot exhaust memory.
pub fn stated_len(op: &str, len: u64, how: &str) -> Result<usize> {
    if len > MAX_PAGE_BYTES as u64 {
        return Err(CliError::Device(format!(
            "{op}: the page says it holds {len} bytes ({how}), more than the {} MiB nvmeq reads",
            MAX_PAGE_BYTES >> 20
        )));
    }
    // At most 64 MiB: fits every usize nvmeq builds for.
    Ok(len as usize)
}

/// Reads `len` bytes of log page `lid` in one command.
pub fn get_log(
    dev: &mut Device,
    op: &str,
    lid: LogId,
    nsid: u32,
    csi: u8,
    len: usize,
) -> Result<Vec<u8>> {
    let req = LogReq {
        csi: Csi(csi),
        ..LogReq::new(lid, nsid)
    };
    read_log(dev, op, &req, len, len)
}

fn si(bytes: f64) -> String {
    const S: [(f64, &str); 10] = [
        (1e27, "R"),
        (1e24, "Y"),
        (1e21, "Z"),
        (1e18, "E"),
        (1e15, "P"),
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
    ];
    let (m, s) = S
        .iter()
        .find(|(m, _)| bytes >= *m)
        .copied()
        .unwrap_or((1.0, ""));
    format!("{:.2} {s}B", bytes / m)
}

/// The SMART log laid out like `nvme smart-log`.
pub fn smart_text(l: &SmartLog, devname: &str, nsid: u32, human: bool) -> String {
    let t = l.temperature.get();
    let c = |k: u16| i32::from(k) - 273;
    let mut s = format!("Smart Log for NVME device:{devname} namespace-id:{nsid:x}\n");
    s += &format!("critical_warning\t\t\t: {}\n", cx(l.critical_warning));
    if human {
        let w = l.critical_warning;
        for (bit, name) in [
            (0, "Available Spare[0]             "),
            (1, "Temp. Threshold[1]             "),
            (2, "NVM subsystem Reliability[2]   "),
            (3, "Read-only[3]                   "),
            (4, "Volatile mem. backup failed[4] "),
            (5, "Persistent Mem. RO[5]          "),
        ] {
            s += &format!("      {name}: {}\n", (w >> bit) & 1);
        }
    }
    s += &format!("temperature\t\t\t\t: {}°C ({t} Kelvin)\n", c(t));
    s += &format!("available_spare\t\t\t\t: {}%\n", l.avail_spare);
    s += &format!("available_spare_threshold\t\t: {}%\n", l.spare_thresh);
    s += &format!("percentage_used\t\t\t\t: {}%\n", l.percent_used);
    s += &format!(
        "endurance group critical warning summary: {}\n",
        cx(l.endu_grp_crit_warn_sumry)
    );
    let dur = l.data_units_read.get();
    let duw = l.data_units_written.get();
    s += &format!(
        "Data Units Read\t\t\t\t: {dur} ({})\n",
        si(dur as f64 * 512_000.0)
    );
    s += &format!(
        "Data Units Written\t\t\t: {duw} ({})\n",
        si(duw as f64 * 512_000.0)
    );
    s += &format!("host_read_commands\t\t\t: {}\n", l.host_reads.get());
    s += &format!("host_write_commands\t\t\t: {}\n", l.host_writes.get());
    s += &format!("controller_busy_time\t\t\t: {}\n", l.ctrl_busy_time.get());
    s += &format!("power_cycles\t\t\t\t: {}\n", l.power_cycles.get());
    s += &format!("power_on_hours\t\t\t\t: {}\n", l.power_on_hours.get());
    s += &format!("unsafe_shutdowns\t\t\t: {}\n", l.unsafe_shutdowns.get());
    s += &format!("media_errors\t\t\t\t: {}\n", l.media_errors.get());
    s += &format!(
        "num_err_log_entries\t\t\t: {}\n",
        l.num_err_log_entries.get()
    );
    s += &format!("Warning Temperature Time\t\t: {}\n", l.warning_temp_time);
    s += &format!(
        "Critical Composite Temperature Time\t: {}\n",
        l.crit_comp_time
    );
    for (i, &k) in l.temp_sensor.iter().enumerate() {
        if k != 0 {
            s += &format!(
                "Temperature Sensor {}           : {}°C ({k} Kelvin)\n",
                i + 1,
                c(k)
            );
        }
    }
    s += &format!(
        "Thermal Management T1 Trans Count\t: {}\n",
        l.thm_temp1_trans_count
    );
    s += &format!(
        "Thermal Management T2 Trans Count\t: {}\n",
        l.thm_temp2_trans_count
    );
    s += &format!(
        "Thermal Management T1 Total Time\t: {}\n",
        l.thm_temp1_total_time
    );
    s += &format!(
        "Thermal Management T2 Total Time\t: {}\n",
        l.thm_temp2_total_time
    );
    s
}

fn trtype(t: u8) -> &'static str {
    match t {
        0 => "The transport type is not indicated or the error is not transport related.",
        1 => "RDMA Transport error.",
        2 => "Fibre Channel Transport error.",
        3 => "TCP Transport error.",
        254 => "Intra-host Transport error.",
        _ => "Reserved",
    }
}

/// The Error Information log laid out like `nvme error-log`.
pub fn error_text(entries: &[ErrorLogEntry], devname: &str) -> String {
    let rule = ".................\n";
    let mut s = format!(
        "Error Log Entries for device:{devname} entries:{}\n{rule}",
        entries.len()
    );
    for (i, e) in entries.iter().enumerate() {
        let st = e.status();
        s += &format!(" Entry[{i:2}]   \n{rule}");
        s += &format!("error_count\t: {}\n", e.error_count);
        s += &format!("sqid\t\t: {}\n", e.sqid);
        s += &format!("cmdid\t\t: {}\n", cx(e.cid));
        s += &format!(
            "status_field\t: {}({})\n",
            cx(e.sf >> 1),
            st.name().unwrap_or(if st.is_success() {
                "Successful Completion"
            } else {
                "Unknown Status"
            })
        );
        s += &format!("phase_tag\t: {}\n", cx(e.sf & 1));
        s += &format!("parm_err_loc\t: {}\n", cx(e.pel));
        s += &format!("lba\t\t: {}\n", cx(e.lba));
        s += &format!("nsid\t\t: {}\n", cx(e.nsid));
        s += &format!("vs\t\t: {}\n", e.vsia);
        s += &format!("trtype\t\t: {}\n", trtype(e.trtype));
        s += &format!("cs\t\t: {}\n", cx(e.cs));
        s += &format!("trtype_spec_info: {}\n", cx(e.ttsi));
        s += rule;
    }
    s
}

/// The Firmware Slot log laid out like `nvme fw-log`.
pub fn fw_text(l: &FwSlotLog, devname: &str) -> String {
    let mut s = format!("Firmware Log for device:{devname}\nafi  : {}\n", cx(l.afi));
    for (i, frs) in l.frs.iter().enumerate() {
        if frs[0] != 0 {
            s += &format!(
                "frs{} : {:#016x} ({})\n",
                i + 1,
                u64::from_le_bytes(*frs),
                fw_string(frs)
            );
        }
    }
    s
}

/// The effects log laid out like `nvme effects-log`.
pub fn effects_text(csi: u8, l: &CommandEffectsLog, human: bool) -> String {
    let mut s = match csi {
        0 => "NVM Command Set Log Page\n",
        2 => "ZNS Command Set Log Page\n",
        _ => "Unknown Command Set Log Page\n",
    }
    .to_string();
    s += &"-".repeat(80);
    s.push('\n');
    let segment = |admin: bool, range: std::ops::Range<usize>, header: &str| {
        let mut body = String::new();
        for op in range {
            let e = if admin { l.acs[op] } else { l.iocs[op] };
            if !e.csupp() {
                continue;
            }
            let name = if admin {
                AdminOpcode(op as u8).name()
            } else {
                NvmOpcode(op as u8).name()
            }
            .unwrap_or("Unknown");
            let label = if admin {
                format!("ACS{op:<6}")
            } else {
                format!("IOCS{op:<5}")
            };
            body += &format!("{label}[{name:<32}] {:08x}", e.into_bits());
            if human {
                let f = |b: bool| if b { "+" } else { "-" };
                body += &format!(
                    "  CSUPP+  LBCC{}  NCC{}  NIC{}  CCC{}  USS{}",
                    f(e.lbcc()),
                    f(e.ncc()),
                    f(e.nic()),
                    f(e.ccc()),
                    f(e.uss())
                );
                body += match e.cse() {
                    0 => "  No command restriction\n",
                    1 => "  No other command for same namespace\n",
                    2 => "  No other command for any namespace\n",
                    _ => "  Reserved CSE\n",
                };
            } else {
                body.push('\n');
            }
        }
        if body.is_empty() {
            String::new()
        } else {
            format!("{header}\n{body}\n")
        }
    };
    s += &segment(true, 0..0xbf, "Admin Commands");
    s += &segment(true, 0xc0..0xff, "Vendor Specific Admin Commands");
    s += &segment(false, 0..0x80, "I/O Commands");
    s += &segment(false, 0x80..0x100, "Vendor Specific I/O Commands");
    s
}

fn parse<T: FromBytes>(raw: &[u8], what: &str) -> Result<T> {
    T::read_from_prefix(raw)
        .map(|(t, _)| t)
        .map_err(|_| CliError::Device(format!("{what}: short log page")))
}

/// `nvmeq smart-log`.
pub fn smart(ctx: &Ctx, a: &SmartArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let raw = get_log(&mut dev, "SMART log", LogId::SMART, a.nsid, 0, 512)?;
    let l: SmartLog = parse(&raw, "SMART log")?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || smart_text(&l, &dev.name, a.nsid, a.human),
        || Smart(&l, a.human),
        &raw,
    )
}

/// `nvmeq error-log`.
pub fn error(ctx: &Ctx, a: &ErrorArgs) -> Result<()> {
    if a.entries == 0 {
        return Err(usage("--log-entries must be at least 1"));
    }
    let mut dev = ctx.open(&a.dev)?;
    let (c, _) = id_ctrl_of(&mut dev)?;
    let n = a.entries.min(u32::from(c.elpe_z) + 1) as usize;
    let raw = get_log(
        &mut dev,
        "Error Information log",
        LogId::ERROR,
        u32::MAX,
        0,
        n * 64,
    )?;
    let entries: Vec<ErrorLogEntry> = raw
        .chunks_exact(64)
        .map(|c| parse(c, "Error Information log"))
        .collect::<Result<_>>()?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || error_text(&entries, &dev.name),
        || ErrorLog::new(&entries),
        &raw,
    )
}

/// `nvmeq fw-log`.
pub fn fw(ctx: &Ctx, a: &FwArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let raw = get_log(
        &mut dev,
        "Firmware Slot log",
        LogId::FW_SLOT,
        u32::MAX,
        0,
        512,
    )?;
    let l: FwSlotLog = parse(&raw, "Firmware Slot log")?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || fw_text(&l, &dev.name),
        || crate::json::log::fw_log(&dev.name, &l),
        &raw,
    )
}

/// `nvmeq effects-log`.
pub fn effects(ctx: &Ctx, a: &EffectsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let raw = get_log(
        &mut dev,
        "Commands Supported and Effects log",
        LogId::CMD_EFFECTS,
        0,
        a.csi,
        4096,
    )?;
    let l: CommandEffectsLog = parse(&raw, "Commands Supported and Effects log")?;
    match ctx.fmt_raw(a.raw) {
        Format::Binary => output::raw(&raw),
        // nvme-cli prints a list with one page per command set.
        Format::Json => output::json(&[Effects::new(a.csi, &l)]),
        Format::Normal => output::text(&effects_text(a.csi, &l, a.human)),
    }
}

#[cfg(test)]
mod tests {
    use super::si;

    #[test]
    fn si_units() {
        assert_eq!(si(0.0), "0.00 B");
        assert_eq!(si(512_000.0), "512.00 kB");
        assert_eq!(si(1_536_000_000.0), "1.54 GB");
    }
}

#[cfg(test)]
mod render_tests {
    use super::*;
    use nvmeq_core::log::CommandEffects;
    use zerocopy::FromZeros;

    #[test]
    fn smart_lines() {
        let mut l = SmartLog::new_zeroed();
        l.temperature.set(323);
        l.avail_spare = 100;
        l.data_units_read.set(2000);
        l.temp_sensor[1] = 310;
        let t = smart_text(&l, "nvme0", u32::MAX, false);
        assert!(t.starts_with("Smart Log for NVME device:nvme0 namespace-id:ffffffff\n"));
        assert!(
            t.contains("temperature\t\t\t\t: 50°C (323 Kelvin)\n"),
            "{t}"
        );
        assert!(
            t.contains("Data Units Read\t\t\t\t: 2000 (1.02 GB)\n"),
            "{t}"
        );
        assert!(
            t.contains("Temperature Sensor 2           : 37°C (310 Kelvin)\n"),
            "{t}"
        );
        assert!(!t.contains("Temperature Sensor 1 "), "{t}");
        let j = serde_json::to_value(Smart(&l, false)).unwrap();
        assert_eq!(j["temperature"], 323);
        assert_eq!(j["data_units_read"], 2000);
        // Above 2^64 every digit is written, as nvme-cli 2.13 does.
        l.media_errors.set(u128::MAX);
        let text = serde_json::to_string(&Smart(&l, false)).unwrap();
        assert!(
            text.contains(&format!("\"media_errors\":{}", u128::MAX)),
            "{text}"
        );
        l.media_errors.set(0);
        assert_eq!(j["temperature_sensor_2"], 310);
        assert!(j.get("temperature_sensor_1").is_none());
        l.critical_warning = 0b101;
        let h = smart_text(&l, "nvme0", 1, true);
        assert!(
            h.contains("      Available Spare[0]             : 1\n"),
            "{h}"
        );
        assert!(
            h.contains("      Temp. Threshold[1]             : 0\n"),
            "{h}"
        );
        assert!(
            h.contains("      NVM subsystem Reliability[2]   : 1\n"),
            "{h}"
        );
        let j = serde_json::to_value(Smart(&l, true)).unwrap();
        assert_eq!(j["critical_warning"]["value"], 5);
        assert_eq!(j["critical_warning"]["reliability_degraded"], 1);
        assert_eq!(j["critical_warning"]["ro"], 0);
    }

    #[test]
    fn error_and_fw_lines() {
        let mut e = ErrorLogEntry::new_zeroed();
        e.error_count = 3;
        e.sqid = 1;
        e.cid = 0x12;
        e.sf = 0x80 << 1; // LBA Out of Range, phase 0
        e.lba = 0x20000;
        e.nsid = 1;
        let t = error_text(&[e], "nvme0");
        assert!(
            t.contains("status_field\t: 0x80(LBA Out of Range)\n"),
            "{t}"
        );
        assert!(t.contains("lba\t\t: 0x20000\n"), "{t}");
        let j = serde_json::to_value(ErrorLog::new(&[e])).unwrap();
        assert_eq!(j["errors"][0]["status_field"], 0x80);
        assert_eq!(j["errors"][0]["cmdid"], 0x12);

        let mut f = FwSlotLog::new_zeroed();
        f.afi = 1;
        f.frs[0] = *b"1.0     ";
        let t = fw_text(&f, "nvme0");
        assert_eq!(
            t,
            "Firmware Log for device:nvme0\nafi  : 0x1\nfrs1 : 0x2020202020302e31 (1.0.....)\n"
        );
        let j = serde_json::to_value(crate::json::log::fw_log("nvme0", &f)).unwrap();
        assert_eq!(
            j["nvme0"]["Firmware Rev Slot 1"],
            "2314885530819505713 (1.0.....)"
        );
    }

    #[test]
    fn effects_lines_and_json() {
        let mut l = CommandEffectsLog::new_zeroed();
        l.acs[6] = CommandEffects::new().with_csupp(true);
        l.acs[0x80] = CommandEffects::new()
            .with_csupp(true)
            .with_lbcc(true)
            .with_ncc(true)
            .with_nic(true)
            .with_cse(2);
        l.iocs[1] = CommandEffects::new().with_csupp(true).with_lbcc(true);
        let t = effects_text(0, &l, false);
        assert!(t.starts_with("NVM Command Set Log Page\n"), "{t}");
        assert!(
            t.contains("Admin Commands\nACS6     [Identify                        ] 00000001\n"),
            "{t}"
        );
        assert!(
            t.contains("I/O Commands\nIOCS1    [Write                           ] 00000003\n"),
            "{t}"
        );
        let h = effects_text(0, &l, true);
        assert!(
            h.contains("ACS128   [Format NVM                      ] 0002000f  CSUPP+  LBCC+  NCC+  NIC+  CCC-  USS-  No other command for any namespace\n"),
            "{h}"
        );
        let j = serde_json::to_value(Effects::new(0, &l)).unwrap();
        let keys: Vec<_> = j["admin_cmd_set"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["ACS_6 (Identify)", "ACS_128 (Format NVM)"]);
        assert_eq!(j["io_cmd_set"]["IOCS_1 (Write)"], 3);
    }
}
