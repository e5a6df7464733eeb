//! Fixed-size pages: `supported-log-pages`, `sanitize-log`,
//! `changed-ns-list-log`, `changed-alloc-ns-list-log`, `fid-support-effects-log`,
//! `mi-cmd-support-effects-log`; text laid out like nvme-cli 2.13's, JSON
//! with its keys.

use clap::Args;
use nvmeq_core::cmd::LogId;
use nvmeq_core::log::{
    scope, ChangedNsList, FeatureEffects, FidEffectsLog, MiEffectsLog, SanitizeOpStatus,
    SanitizeStatusLog, SupportedLogPages,
};
use serde::Serialize;

use super::{parse, read_log, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::json::keyed::{self, DevName, Key, Keyed};
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

/// `changed-ns-list-log` and `changed-alloc-ns-list-log`.
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

/// A `supported_logs` key: the LID in hex, and a space (nvme-cli's).
#[derive(Debug)]
pub struct LidKey;

impl Key for LidKey {
    const NAME: &'static str = "Lid";
    const PATTERN: &'static str = "^lid_0x[0-9a-f]{1,2} $";
}

/// `supported-log-pages -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SupportedJson {
    /// One `{"lid_0xN ": LID Supported and Effects dword}` per supported page.
    supported_logs: Vec<Keyed<LidKey, u32, true>>,
}

/// `{"supported_logs": [{"lid_0x2 ": 1}, …]}`: nvme-cli's keys, trailing space included.
pub fn supported_json(l: &SupportedLogPages) -> SupportedJson {
    SupportedJson {
        supported_logs: l
            .supported()
            .map(|(lid, e)| keyed::one(format!("lid_{:#x} ", lid.0), e.into_bits()))
            .collect(),
    }
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

/// The Sanitize Status field (`sstat`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SstatJson {
    media_verification_canceled: u8,
    global_erased: u8,
    no_cmplted_passes: u8,
    /// `(SOS) description`.
    status: String,
}

/// The Sanitize State Information field; `failure_state` only after a
/// failed sanitize.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SsiJson {
    sanitize_state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_state: Option<String>,
}

/// One device's Sanitize Status log, with nvme-cli's keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SanitizeJson {
    sprog: u16,
    sstat: SstatJson,
    cdw10_info: u32,
    time_over_write: u32,
    time_block_erase: u32,
    time_crypto_erase: u32,
    time_over_write_no_dealloc: u32,
    time_block_erase_no_dealloc: u32,
    time_crypto_erase_no_dealloc: u32,
    time_post_verification_dealloc: u32,
    sanitize_state_information: SsiJson,
}

/// `sanitize-log -o json`: one device's log under its name.
pub type SanitizeLogJson = Keyed<DevName, SanitizeJson, true>;

/// nvme-cli's `json_sanitize_log`, keyed by device name.
pub fn sanitize_json(l: &SanitizeStatusLog, devname: &str) -> SanitizeLogJson {
    let st = l.sstat;
    let state =
        |v: nvmeq_core::log::SanitizeState| format!("({}) {}", v.0, v.name().unwrap_or("Reserved"));
    let failed = st.sos() == SanitizeOpStatus::FAILED;
    keyed::one(
        devname,
        SanitizeJson {
            sprog: l.sprog,
            sstat: SstatJson {
                media_verification_canceled: st.mvcncld() as u8,
                global_erased: st.gde() as u8,
                no_cmplted_passes: st.opc(),
                status: format!("({}) {}", st.sos().0, sos_name(l)),
            },
            cdw10_info: l.scdw10,
            time_over_write: l.eto,
            time_block_erase: l.etbe,
            time_crypto_erase: l.etce,
            time_over_write_no_dealloc: l.etond,
            time_block_erase_no_dealloc: l.etbend,
            time_crypto_erase_no_dealloc: l.etcend,
            time_post_verification_dealloc: l.etpvds,
            sanitize_state_information: SsiJson {
                sanitize_state: state(l.sans()),
                failure_state: failed.then(|| state(l.fails())),
            },
        },
    )
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

/// `changed-ns-list-log -o json` (`ALLOC` false) and
/// `changed-alloc-ns-list-log -o json` (true): the device name under
/// `Changed Attached Namespace List Log` (or `Allocated`), then under the
/// device name `"[   1]": "0x…"` per changed namespace. Written by hand: the
/// device name is a key.
#[derive(Debug)]
pub struct ChangedListJson<const ALLOC: bool> {
    dev: String,
    ids: Vec<u32>,
}

/// `changed-ns-list-log -o json`, by the name the schema lists.
#[cfg(test)]
pub type ChangedNsJson = ChangedListJson<false>;

/// `changed-alloc-ns-list-log -o json`, by the name the schema lists.
#[cfg(test)]
pub type ChangedAllocNsJson = ChangedListJson<true>;

/// The key naming the device: which list it is.
const fn changed_key(alloc: bool) -> &'static str {
    if alloc {
        "Changed Allocated Namespace List Log"
    } else {
        "Changed Attached Namespace List Log"
    }
}

struct ChangedIds<'a>(&'a [u32]);

impl Serialize for ChangedIds<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (i, nsid) in self.0.iter().enumerate() {
            m.serialize_entry(&format!("[{:4}]", i + 1), &format!("{nsid:#x}"))?;
        }
        m.end()
    }
}

impl<const ALLOC: bool> Serialize for ChangedListJson<ALLOC> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry(changed_key(ALLOC), &self.dev)?;
        m.serialize_entry(&self.dev, &ChangedIds(&self.ids))?;
        m.end()
    }
}

impl<const ALLOC: bool> schemars::JsonSchema for ChangedListJson<ALLOC> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        if ALLOC { "ChangedAllocNs" } else { "ChangedNs" }.into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let key = changed_key(ALLOC);
        schemars::json_schema!({
            "type": "object",
            "properties": {
                (key): {"type": "string", "minLength": 1}
            },
            "required": [key],
            "minProperties": 2,
            "maxProperties": 2,
            "additionalProperties": {
                "type": "object",
                "propertyNames": {"pattern": "^\\[ *[0-9]+\\]$"},
                "additionalProperties": {"type": "string", "pattern": "^0x[0-9a-f]+$"}
            }
        })
    }
}

/// nvme-cli's `json_changed_ns_list_log`; `None` when the list overflowed
/// (nvme-cli prints nothing then).
pub fn changed_ns_json<const ALLOC: bool>(
    l: &ChangedNsList,
    devname: &str,
) -> Option<ChangedListJson<ALLOC>> {
    if l.overflowed() {
        return None;
    }
    Some(ChangedListJson {
        dev: devname.into(),
        ids: l.ids().collect(),
    })
}

/// Reads a changed namespace list (LID 04h or 1Ch) and prints it. Retains
/// the asynchronous event, as nvme-cli does.
fn changed_list<const ALLOC: bool>(ctx: &Ctx, a: &ChangedNsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let (lid, op) = if ALLOC {
        (
            LogId::CHANGED_ALLOC_NS,
            "Changed Allocated Namespace List log",
        )
    } else {
        (LogId::CHANGED_NS, "Changed Namespace List log")
    };
    let req = LogReq {
        rae: true,
        ..LogReq::new(lid, u32::MAX)
    };
    let raw = read_log(&mut dev, op, &req, 4096, 4096)?;
    let l: ChangedNsList = parse(&raw, op)?;
    match ctx.fmt_raw(a.raw) {
        Format::Binary => output::raw(&raw),
        Format::Json => match changed_ns_json::<ALLOC>(&l, &dev.name) {
            Some(j) => output::json(&j),
            None => Ok(()),
        },
        Format::Normal => output::text(&changed_ns_text(&l)),
    }
}

/// `nvmeq changed-ns-list-log`.
pub fn changed_ns(ctx: &Ctx, a: &ChangedNsArgs) -> Result<()> {
    changed_list::<false>(ctx, a)
}

/// `nvmeq changed-alloc-ns-list-log` (LID 1Ch): the namespaces created or
/// deleted, laid out as `changed-ns-list-log`.
pub fn changed_alloc_ns(ctx: &Ctx, a: &ChangedNsArgs) -> Result<()> {
    changed_list::<true>(ctx, a)
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

/// A `fid_support` key: the Feature Identifier in decimal.
#[derive(Debug)]
pub struct FidKey;

impl Key for FidKey {
    const NAME: &'static str = "Fid";
    const PATTERN: &'static str = "^fid_[0-9]{1,3}$";
}

/// `fid-support-effects-log -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FidEffectsJson {
    /// One `{"fid_N": FID Supported and Effects dword}` per supported FID.
    fid_support: Vec<Keyed<FidKey, u32, true>>,
}

/// `{"fid_support": [{"fid_1": 131073}, …]}`.
pub fn fid_effects_json(l: &FidEffectsLog) -> FidEffectsJson {
    FidEffectsJson {
        fid_support: l
            .fids
            .iter()
            .enumerate()
            .filter(|(_, e)| e.fsupp())
            .map(|(fid, e)| keyed::one(format!("fid_{fid}"), e.into_bits()))
            .collect(),
    }
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

/// A `mi_command_support` key: the NVMe-MI opcode in decimal.
#[derive(Debug)]
pub struct MiCmdKey;

impl Key for MiCmdKey {
    const NAME: &'static str = "MiCmd";
    const PATTERN: &'static str = "^mi_cmd_[0-9]{1,3}$";
}

/// `mi-cmd-support-effects-log -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MiEffectsJson {
    /// One `{"mi_cmd_N": Commands Supported and Effects dword}` per command.
    mi_command_support: Vec<Keyed<MiCmdKey, u32, true>>,
}

/// `{"mi_command_support": [{"mi_cmd_0": 1}, …]}`.
pub fn mi_effects_json(l: &MiEffectsLog) -> MiEffectsJson {
    MiEffectsJson {
        mi_command_support: l
            .cmds
            .iter()
            .enumerate()
            .filter(|(_, e)| e.csupp())
            .map(|(op, e)| keyed::one(format!("mi_cmd_{op}"), e.into_bits()))
            .collect(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromBytes;

    fn valid(command: &str, j: &serde_json::Value) {
        let e = crate::schema::errors(command, j);
        assert!(e.is_empty(), "breaks the {command} schema: {e:?}\n{j:#}");
    }

    #[test]
    fn changed_ns_json_keys_by_device_then_index() {
        let mut b = vec![0u8; 4096];
        b[0..4].copy_from_slice(&1u32.to_le_bytes());
        b[4..8].copy_from_slice(&0x1au32.to_le_bytes());
        let l = ChangedNsList::read_from_bytes(&b).unwrap();
        let s = serde_json::to_string(&changed_ns_json::<false>(&l, "nvme0").unwrap()).unwrap();
        assert_eq!(
            s,
            r#"{"Changed Attached Namespace List Log":"nvme0","nvme0":{"[   1]":"0x1","[   2]":"0x1a"}}"#
        );
        let j: serde_json::Value = serde_json::from_str(&s).unwrap();
        valid("changed-ns-list-log", &j);
        let mut bad = j.clone();
        bad["nvme0"]["[   3]"] = 3.into();
        assert!(!crate::schema::errors("changed-ns-list-log", &bad).is_empty());
        b[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let l = ChangedNsList::read_from_bytes(&b).unwrap();
        assert!(changed_ns_json::<false>(&l, "nvme0").is_none());
        assert!(changed_ns_json::<true>(&l, "nvme0").is_none());
    }

    #[test]
    fn changed_alloc_ns_json_names_the_allocated_list() {
        let mut b = vec![0u8; 4096];
        b[0..4].copy_from_slice(&2u32.to_le_bytes());
        let l = ChangedNsList::read_from_bytes(&b).unwrap();
        let s = serde_json::to_string(&changed_ns_json::<true>(&l, "nvme0").unwrap()).unwrap();
        assert_eq!(
            s,
            r#"{"Changed Allocated Namespace List Log":"nvme0","nvme0":{"[   1]":"0x2"}}"#
        );
        let j: serde_json::Value = serde_json::from_str(&s).unwrap();
        valid("changed-alloc-ns-list-log", &j);
        assert!(!crate::schema::errors("changed-ns-list-log", &j).is_empty());
        assert_eq!(changed_ns_text(&l), "[   0]:0x2\nno ns changed\n");
    }

    #[test]
    fn mi_effects_json_lists_supported_commands() {
        let mut b = vec![0u8; 4096];
        b[12..16].copy_from_slice(&0x3u32.to_le_bytes());
        let l = MiEffectsLog::read_from_bytes(&b).unwrap();
        let j = serde_json::to_value(mi_effects_json(&l)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"mi_command_support": [{"mi_cmd_3": 3}]})
        );
        valid("mi-cmd-support-effects-log", &j);
    }

    #[test]
    fn sanitize_json_has_the_failure_state_after_a_failure() {
        let mut b = vec![0u8; 512];
        b[2] = 3; // SOS: failed
        b[36] = 0x21; // SANS 1, FAILS 2
        let l = SanitizeStatusLog::read_from_bytes(&b).unwrap();
        let j = serde_json::to_value(sanitize_json(&l, "nvme0")).unwrap();
        let ssi = &j["nvme0"]["sanitize_state_information"];
        assert!(
            ssi["failure_state"].as_str().unwrap().starts_with("(2) "),
            "{j}"
        );
        valid("sanitize-log", &j);
        let mut two = j.clone();
        two["nvme1"] = j["nvme0"].clone();
        assert!(!crate::schema::errors("sanitize-log", &two).is_empty());
    }
}
