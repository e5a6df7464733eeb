//! Fixed-size pages: `supported-log-pages`, `sanitize-log`,
//! `changed-ns-list-log`, `fid-support-effects-log`,
//! `mi-cmd-support-effects-log`; text laid out like nvme-cli 2.13's, JSON
//! with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{
    scope, ChangedNsList, FeatureEffects, FidEffectsLog, MiEffectsLog, SanitizeOpStatus,
    SanitizeStatusLog, SupportedLogPages,
};
use serde_json::Value;

use super::{parse, read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::json::Ordered;
use crate::output::{self, Format};

/// `supported-log-pages`.
#[derive(Debug, Args)]
pub struct SupportedPagesArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Decode each page's LSUPP, IOS and LID specific bits.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Write the raw 1024-byte page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `sanitize-log`.
#[derive(Debug, Args)]
pub struct SanitizeLogArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Retain the asynchronous event (RAE).
    #[arg(short = 'r', long = "rae")]
    pub rae: bool,
    /// Decode SPROG, SSTAT and SSI.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
    /// Write the raw 512-byte page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `changed-ns-list-log`.
#[derive(Debug, Args)]
pub struct ChangedNsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Write the raw 4096-byte page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `fid-support-effects-log` and `mi-cmd-support-effects-log`.
#[derive(Debug, Args)]
pub struct FidEffectsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Decode each entry's effects and scope.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
    /// Write the raw page to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

fn set(b: bool) -> &'static str {
    if b {
        "supported"
    } else {
        "not supported"
    }
}

/// The Supported Log Pages page laid out like `nvme supported-log-pages`.
pub fn supported_text(l: &SupportedLogPages, devname: &str, verbose: bool) -> String {
    let mut s = format!("Support Log Pages Details for {devname}:\n");
    for (lid, e) in l.supported() {
        s += &format!(
            "LID {} - {}\n",
            output::cx(lid.0),
            lid.name().unwrap_or("Unknown")
        );
        if verbose {
            let sp = e.lidsp();
            s += &format!("  LSUPP is {}\n  IOS is {}\n", set(e.lsupp()), set(e.ios()));
            match lid {
                LogId::TELEMETRY_HOST => {
                    s += &format!("  Maximum Created Data Area is {}\n", set(sp & 1 != 0))
                }
                LogId::PERSISTENT_EVENT => {
                    s += &format!(
                        "  Establish Context and Read 512 Bytes of Header is {}\n",
                        set(sp & 1 != 0)
                    )
                }
                LogId::DISCOVERY => {
                    s += &format!(
                        "  Extended Discovery Log Page Entry is {}\n  Port Local Entries Only is {}\n  All NVM Subsystem Entries is {}\n",
                        set(sp & 1 != 0),
                        set(sp & 2 != 0),
                        set(sp & 4 != 0)
                    )
                }
                LogId::HOST_DISCOVERY => {
                    s += &format!("  All Host Entries is {}\n", set(sp & 1 != 0))
                }
                _ => {}
            }
        }
    }
    s
}

/// `{"supported_logs": [{"lid_0x2 ": 1}, …]}`: nvme-cli's keys, trailing space included.
pub fn supported_json(l: &SupportedLogPages) -> Ordered {
    let list: Vec<Value> = l
        .supported()
        .map(|(lid, e)| {
            let mut o = Ordered::new();
            o.insert(format!("lid_{:#x} ", lid.0), e.into_bits().into());
            o.into()
        })
        .collect();
    let mut r = Ordered::new();
    r.insert("supported_logs".into(), list.into());
    r
}

/// `nvmeq supported-log-pages`.
pub fn supported_pages(ctx: &Ctx, a: &SupportedPagesArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Supported Log Pages log";
    let req = LogReq::new(LogId::SUPPORTED_LOG_PAGES, u32::MAX);
    let raw = read_log(&mut dev, op, &req, 1024, 1024)?;
    let l: SupportedLogPages = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || supported_text(&l, &dev.name, a.verbose),
        || supported_json(&l),
        &raw,
    )
}

fn sos_name(l: &SanitizeStatusLog) -> &'static str {
    l.sstat.sos().name().unwrap_or("Unknown")
}

/// The Sanitize Status page laid out like `nvme sanitize-log`.
pub fn sanitize_text(l: &SanitizeStatusLog, human: bool) -> String {
    let st = l.sstat;
    let sos = st.sos();
    let mut s = format!(
        "Sanitize Progress                      (SPROG) :  {}",
        l.sprog
    );
    if human && sos == SanitizeOpStatus::IN_PROGRESS {
        s += &format!("\t({:.6}%)\n", f64::from(l.sprog) * 100.0 / 65536.0);
    } else {
        s.push('\n');
    }
    s += &format!(
        "Sanitize Status                        (SSTAT) :  {}\n",
        output::cx(st.into_bits())
    );
    if human {
        s += &format!(
            "  [2:0] : Sanitize Operation Status  : {}\t{}\n",
            output::cx(sos.0),
            sos_name(l)
        );
        s += &format!("  [7:3] : Overwrite Passes Completed : {}\n", st.opc());
        let gde = if st.gde() {
            "No user data has been written in the NVM subsystem and no PMR has been enabled in the NVM subsystem"
        } else {
            "User data has been written in the NVM subsystem or PMR has been enabled in the NVM subsystem"
        };
        s += &format!(
            "  [8:8] : Global Data Erased         : {}\t{gde}\n",
            output::cx(st.gde() as u8)
        );
        s += &format!(
            "  [9:9] : Media Verification Canceled: {}\t{}canceled\n\n",
            output::cx(st.mvcncld() as u8),
            if st.mvcncld() { "" } else { "Not " }
        );
    }
    s += &format!(
        "Sanitize Command Dword 10 Information (SCDW10) :  {}\n",
        output::cx(l.scdw10)
    );
    for (label, v) in [
        ("Estimated Time For Overwrite                   ", l.eto),
        ("Estimated Time For Block Erase                 ", l.etbe),
        ("Estimated Time For Crypto Erase                ", l.etce),
        ("Estimated Time For Overwrite (No-Deallocate)   ", l.etond),
        ("Estimated Time For Block Erase (No-Deallocate) ", l.etbend),
        ("Estimated Time For Crypto Erase (No-Deallocate)", l.etcend),
        (
            "Estimated Time For Post-Verification Deallocation",
            l.etpvds,
        ),
    ] {
        s += &format!(
            "{label}:  {v}{}\n",
            if v == u32::MAX {
                " (No time period reported)"
            } else {
                ""
            }
        );
    }
    s += &format!(
        "Sanitize State Information               (SSI) : {}\n",
        output::cx(l.ssi)
    );
    if human {
        s += &format!(
            "  [3:0] : Sanitize State : {}\t{}\n",
            output::cx(l.sans().0),
            l.sans().name().unwrap_or("Reserved")
        );
        if sos == SanitizeOpStatus::FAILED {
            s += &format!(
                "  [7:4] : Failure State  : {}\t{}\n",
                output::cx(l.fails().0),
                l.fails().name().unwrap_or("Reserved")
            );
        }
        s.push('\n');
    }
    s
}

/// nvme-cli's `json_sanitize_log`, keyed by device name.
pub fn sanitize_json(l: &SanitizeStatusLog, devname: &str) -> Ordered {
    let st = l.sstat;
    let mut sstat = Ordered::new();
    sstat.insert(
        "media_verification_canceled".into(),
        (st.mvcncld() as u8).into(),
    );
    sstat.insert("global_erased".into(), (st.gde() as u8).into());
    sstat.insert("no_cmplted_passes".into(), st.opc().into());
    sstat.insert(
        "status".into(),
        format!("({}) {}", st.sos().0, sos_name(l)).into(),
    );
    let mut dev = Ordered::new();
    dev.insert("sprog".into(), l.sprog.into());
    dev.insert("sstat".into(), sstat.into());
    for (k, v) in [
        ("cdw10_info", l.scdw10),
        ("time_over_write", l.eto),
        ("time_block_erase", l.etbe),
        ("time_crypto_erase", l.etce),
        ("time_over_write_no_dealloc", l.etond),
        ("time_block_erase_no_dealloc", l.etbend),
        ("time_crypto_erase_no_dealloc", l.etcend),
        ("time_post_verification_dealloc", l.etpvds),
    ] {
        dev.insert(k.into(), v.into());
    }
    let mut ssi = Ordered::new();
    let state = |v: nvmeq_core::log::SanitizeState| {
        Value::from(format!("({}) {}", v.0, v.name().unwrap_or("Reserved")))
    };
    ssi.insert("sanitize_state".into(), state(l.sans()));
    if st.sos() == SanitizeOpStatus::FAILED {
        ssi.insert("failure_state".into(), state(l.fails()));
    }
    dev.insert("sanitize_state_information".into(), ssi.into());
    let mut r = Ordered::new();
    r.insert(devname.into(), dev.into());
    r
}

/// `nvmeq sanitize-log`.
pub fn sanitize_log(ctx: &Ctx, a: &SanitizeLogArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Sanitize Status log";
    let req = LogReq {
        rae: a.rae,
        ..LogReq::new(LogId::SANITIZE, u32::MAX)
    };
    let raw = read_log(&mut dev, op, &req, 512, 512)?;
    let l: SanitizeStatusLog = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || sanitize_text(&l, a.human),
        || sanitize_json(&l, &dev.name),
        &raw,
    )
}

/// The Changed Attached Namespace List laid out like nvme-cli's (which ends
/// the list with "no ns changed" at the first empty entry, as here).
pub fn changed_ns_text(l: &ChangedNsList) -> String {
    if l.overflowed() {
        return format!("more than {} ns changed\n", l.ns.len());
    }
    let mut s = String::new();
    for (i, &nsid) in l.ns.iter().enumerate() {
        if nsid == 0 {
            s += "no ns changed\n";
            break;
        }
        s += &format!("[{i:4}]:{nsid:#x}\n");
    }
    s
}

/// nvme-cli's `json_changed_ns_list_log`; `None` when the list overflowed
/// (nvme-cli prints nothing then).
pub fn changed_ns_json(l: &ChangedNsList, devname: &str) -> Option<Ordered> {
    if l.overflowed() {
        return None;
    }
    let mut list = Ordered::new();
    for (i, nsid) in l.ids().enumerate() {
        list.insert(format!("[{:4}]", i + 1), format!("{nsid:#x}").into());
    }
    let mut r = Ordered::new();
    r.insert("Changed Attached Namespace List Log".into(), devname.into());
    r.insert(devname.into(), list.into());
    Some(r)
}

/// `nvmeq changed-ns-list-log`. Retains the asynchronous event, as nvme-cli does.
pub fn changed_ns(ctx: &Ctx, a: &ChangedNsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Changed Namespace List log";
    let req = LogReq {
        rae: true,
        ..LogReq::new(LogId::CHANGED_NS, u32::MAX)
    };
    let raw = read_log(&mut dev, op, &req, 4096, 4096)?;
    let l: ChangedNsList = parse(&raw, op)?;
    match ctx.fmt_raw(a.raw) {
        Format::Binary => output::raw(&raw),
        Format::Json => match changed_ns_json(&l, &dev.name) {
            Some(j) => output::json(&j),
            None => Ok(()),
        },
        Format::Normal => output::text(&changed_ns_text(&l)),
    }
}

fn scope_text(fsp: u16) -> String {
    let f = |bit: u16| if fsp & bit != 0 { "+" } else { "-" };
    format!(
        "  NAMESPACE SCOPE{}  CONTROLLER SCOPE{}  NVM SET SCOPE{}  ENDURANCE GROUP SCOPE{}  DOMAIN SCOPE{}  NVM Subsystem SCOPE{}",
        f(scope::NAMESPACE),
        f(scope::CONTROLLER),
        f(scope::NVM_SET),
        f(scope::ENDURANCE_GROUP),
        f(scope::DOMAIN),
        f(scope::NVM_SUBSYSTEM)
    )
}

fn pm(b: bool) -> &'static str {
    if b {
        "+"
    } else {
        "-"
    }
}

/// The FID Supported and Effects page laid out like `nvme fid-support-effects-log`.
pub fn fid_effects_text(l: &FidEffectsLog, devname: &str, human: bool) -> String {
    let mut s = format!("FID Supports Effects Log for device: {devname}\nAdmin Command Set\n");
    for (fid, e) in l.fids.iter().enumerate() {
        let e: &FeatureEffects = e;
        if !e.fsupp() {
            continue;
        }
        s += &format!(
            "FID {fid:02x} -> Support Effects Log: {:08x}",
            e.into_bits()
        );
        if human {
            s += &format!(
                "  FSUPP+  UDCC{}  NCC{}  NIC{}  CCC{}  USS{}{}",
                pm(e.udcc()),
                pm(e.ncc()),
                pm(e.nic()),
                pm(e.ccc()),
                pm(e.uss()),
                scope_text(e.fsp())
            );
        }
        s.push('\n');
    }
    s
}

/// `{"fid_support": [{"fid_1": 131073}, …]}`.
pub fn fid_effects_json(l: &FidEffectsLog) -> Ordered {
    let list: Vec<Value> = l
        .fids
        .iter()
        .enumerate()
        .filter(|(_, e)| e.fsupp())
        .map(|(fid, e)| {
            let mut o = Ordered::new();
            o.insert(format!("fid_{fid}"), e.into_bits().into());
            o.into()
        })
        .collect();
    let mut r = Ordered::new();
    r.insert("fid_support".into(), list.into());
    r
}

/// `nvmeq fid-support-effects-log`.
pub fn fid_effects(ctx: &Ctx, a: &FidEffectsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "FID Supported and Effects log";
    let req = LogReq::new(LogId::FID_EFFECTS, u32::MAX);
    let raw = read_log(&mut dev, op, &req, 1024, 1024)?;
    let l: FidEffectsLog = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || fid_effects_text(&l, &dev.name, a.human),
        || fid_effects_json(&l),
        &raw,
    )
}

/// The NVMe-MI Commands Supported and Effects page laid out like
/// `nvme mi-cmd-support-effects-log`.
pub fn mi_effects_text(l: &MiEffectsLog, devname: &str, human: bool) -> String {
    let mut s =
        format!("MI Commands Support Effects Log for device: {devname}\nAdmin Command Set\n");
    for (op, e) in l.cmds.iter().enumerate() {
        if !e.csupp() {
            continue;
        }
        s += &format!(
            "MI CMD {op:02x} -> Support Effects Log: {:08x}",
            e.into_bits()
        );
        if human {
            s += &format!(
                "  CSUPP+  UDCC{}  NCC{}  NIC{}  CCC{}{}",
                pm(e.udcc()),
                pm(e.ncc()),
                pm(e.nic()),
                pm(e.ccc()),
                scope_text(e.csp())
            );
        }
        s.push('\n');
    }
    s
}

/// `{"mi_command_support": [{"mi_cmd_0": 1}, …]}`.
pub fn mi_effects_json(l: &MiEffectsLog) -> Ordered {
    let list: Vec<Value> = l
        .cmds
        .iter()
        .enumerate()
        .filter(|(_, e)| e.csupp())
        .map(|(op, e)| {
            let mut o = Ordered::new();
            o.insert(format!("mi_cmd_{op}"), e.into_bits().into());
            o.into()
        })
        .collect();
    let mut r = Ordered::new();
    r.insert("mi_command_support".into(), list.into());
    r
}

/// `nvmeq mi-cmd-support-effects-log`.
pub fn mi_effects(ctx: &Ctx, a: &FidEffectsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "NVMe-MI Commands Supported and Effects log";
    let req = LogReq::new(LogId::MI_EFFECTS, u32::MAX);
    let raw = read_log(&mut dev, op, &req, 4096, 4096)?;
    let l: MiEffectsLog = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || mi_effects_text(&l, &dev.name, a.human),
        || mi_effects_json(&l),
        &raw,
    )
}
