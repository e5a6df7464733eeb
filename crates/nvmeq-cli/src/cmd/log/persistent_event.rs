//! `persistent-event-log`: establish, read and release the reporting
//! context of the Persistent Event Log (LID 0Dh), and decode its header and
//! every event type of the base specification, laid out like nvme-cli 2.13's
//! text and JSON.

use clap::Args;
use nvmeq_core::cmd::{FeatureId, LogId};
use nvmeq_core::log::{
    pel_events, ChangeNsEvent, FormatCompletionEvent, FormatStartEvent, FwCommitEvent,
    NssHwErrorCode, NssHwErrorEvent, PelAction, PelEvent, PelEventType, PelHeader, ResetInfo,
    SanitizeCompletionEvent, SanitizeStartEvent, SetFeatureLayout, SmartLog, ThermalExcursionEvent,
    TimestampChangeEvent,
};
use serde::Serialize;
use serde_json::{json, Map, Value};
use zerocopy::FromBytes;

use super::{parse, read_log, smart_text, LogReq};
use crate::cmd::{Ctx, DevArg};
use crate::error::{usage, CliError, Result};
use crate::json::keyed::{Key, Keyed};
use crate::json::log::{fw_string, Smart};
use crate::num;
use crate::output::{self, Format};

/// `persistent-event-log`.
#[derive(Debug, Args)]
pub struct PelArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// 0 read log data (the default), 1 establish context and read, 2 release context.
    #[arg(short = 'a', long = "action", value_parser = num::u8, default_value = "0")]
    pub action: u8,
    /// Bytes to read: 0 (the default) for the whole log (its Total Log
    /// Length), except with --action 1, which then only establishes the context.
    #[arg(short = 'l', long = "log_len", value_parser = num::u32, default_value = "0")]
    pub log_len: u32,
    /// Write the raw log to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
    /// Decode the reporting context and each event's additional information.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
}

const OP: &str = "Persistent Event log";

/// `Name(0x..)`, nvme-cli's `nvme_pel_event_to_string`.
fn event_name(t: u8) -> String {
    let name = PelEventType(t).name().unwrap_or("Reserved Event");
    format!("{name}({})", output::cx(t))
}

fn rcpit_name(v: u8) -> &'static str {
    match v {
        0 => "Does not already exist",
        1 => "NVM subsystem port",
        2 => "NVMe-MI port",
        _ => "Reserved",
    }
}

fn pit_name(v: u8) -> &'static str {
    match v {
        0 => "PIT not reported and PELPID does not apply",
        1 => "NVM subsystem port",
        2 => "NVMe-MI port",
        _ => "Event not associated with any port and PELPID does not apply",
    }
}

fn feature_name(fid: u8) -> &'static str {
    FeatureId(fid).name().unwrap_or(if fid >= 0xc0 {
        "Vendor Specific"
    } else {
        "Unknown"
    })
}

/// A layout read from the start of `data`, zero-filled if the event is short.
fn at<T: FromBytes>(data: &[u8]) -> T {
    let mut buf = vec![0u8; size_of::<T>()];
    let n = data.len().min(buf.len());
    buf[..n].copy_from_slice(&data[..n]);
    T::read_from_bytes(&buf).unwrap_or_else(|_| unreachable!("sized to the layout"))
}

/// A Set Feature event's FID and CDW11 (0 when the event logged fewer dwords).
fn set_feature(d: &[u8]) -> (u8, u32) {
    let layout = SetFeatureLayout::from_bits(u32_at(d, 0));
    let fid = if layout.dw_count() >= 1 {
        u32_at(d, 1) as u8
    } else {
        0
    };
    let cdw11 = if layout.dw_count() >= 2 {
        u32_at(d, 2)
    } else {
        0
    };
    (fid, cdw11)
}

fn u32_at(d: &[u8], i: usize) -> u32 {
    d.get(i * 4..i * 4 + 4)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
}

/// A hex dump as nvme-cli's `d()` prints it (16 bytes a line).
fn hexdump(b: &[u8]) -> String {
    output::hexdump(b)
}

fn header_text(h: &PelHeader, verbose: bool) -> String {
    let mut s = format!("Log Identifier: {}\n", h.lid);
    s += &format!("Total Number of Events: {}\n", h.tnev.get());
    s += &format!("Total Log Length : {}\n", h.tll.get());
    s += &format!("Log Revision: {}\n", h.rv);
    s += &format!("Log Header Length: {}\n", h.lhl.get());
    s += &format!("Timestamp: {}\n", h.ts.get());
    s += &format!("Power On Hours (POH): {}\n", u128::from_le_bytes(h.poh));
    s += &format!("Power Cycle Count: {}\n", h.pcc.get());
    s += &format!("PCI Vendor ID (VID): {}\n", h.vid.get());
    s += &format!("PCI Subsystem Vendor ID (SSVID): {}\n", h.ssvid.get());
    s += &format!("Serial Number (SN): {}\n", output::ascii(&h.sn));
    s += &format!("Model Number (MN): {}\n", output::ascii(&h.mn));
    s += &format!(
        "NVM Subsystem NVMe Qualified Name (SUBNQN): {}\n",
        output::ascii(&h.subnqn)
    );
    s += &format!("Generation Number: {}\n", h.gen_number.get());
    s += &format!("Reporting Context Information (RCI): {}\n", h.rci.get());
    if verbose {
        let rsvd = h.rci.get() >> 19;
        if rsvd != 0 {
            s += &format!("  [31:19] : {rsvd:#x}\tReserved\n");
        }
        s += &format!(
            "\tReporting Context Exists (RCE): {}({})\n",
            h.rce(),
            h.rce() as u8
        );
        s += &format!(
            "\tReporting Context Port Identifier Type (RCPIT): {}({})\n",
            h.rcpit(),
            rcpit_name(h.rcpit())
        );
        s += &format!(
            "\tReporting Context Port Identifier (RCPID): {}\n\n",
            output::cx(h.rcpid())
        );
    }
    s += "Supported Events Bitmap:\n";
    for t in 0..=255u8 {
        if h.supports(PelEventType(t)) {
            s += &format!("\tSupport {}\n", event_name(t));
        }
    }
    s
}

fn event_text(i: usize, e: &PelEvent<'_>, devname: &str, verbose: bool) -> String {
    let h = &e.header;
    let mut s = format!("Event Number: {i}\n");
    s += &format!("Event Type: {}\n", event_name(h.etype));
    s += &format!("Event Type Revision: {}\n", h.etype_rev);
    s += &format!("Event Header Length: {}\n", h.ehl);
    s += &format!("Event Header Additional Info: {}\n", h.ehai);
    if verbose {
        s += &format!("  [7:2] : {}\tReserved\n", output::cx(h.ehai >> 2));
        s += &format!(
            "\tPort Identifier Type (PIT): {}({})\n",
            h.ehai & 3,
            pit_name(h.ehai & 3)
        );
    }
    s += &format!("Controller Identifier: {}\n", h.cntlid.get());
    s += &format!("Event Timestamp: {}\n", h.ets.get());
    s += &format!("Port Identifier: {}\n", h.pelpid.get());
    s += &format!("Vendor Specific Information Length: {}\n", h.vsil.get());
    s += &format!("Event Length: {}\n", h.el.get());
    let d = e.event_data();
    match PelEventType(h.etype) {
        PelEventType::SMART_HEALTH => {
            s += "Smart Health Event Entry:\n";
            s += &smart_text(&at::<SmartLog>(d), devname, u32::MAX, false);
        }
        PelEventType::FW_COMMIT => {
            let f: FwCommitEvent = at(d);
            s += "FW Commit Event Entry:\n";
            s += &format!(
                "Old Firmware Revision: {} ({})\n",
                u64::from_le_bytes(f.old_fw_rev),
                fw_string(&f.old_fw_rev)
            );
            s += &format!(
                "New Firmware Revision: {} ({})\n",
                u64::from_le_bytes(f.new_fw_rev),
                fw_string(&f.new_fw_rev)
            );
            s += &format!("FW Commit Action: {}\n", f.fw_commit_action);
            s += &format!("FW Slot: {}\n", f.fw_slot);
            s += &format!(
                "Status Code Type for Firmware Commit Command: {}\n",
                f.sct_fw
            );
            s += &format!("Status Returned for Firmware Commit Command: {}\n", f.sc_fw);
            s += &format!(
                "Vendor Assigned Firmware Commit Result Code: {}\n",
                f.vndr_assign_fw_commit_rc.get()
            );
        }
        PelEventType::TIMESTAMP => {
            let t: TimestampChangeEvent = at(d);
            s += "Time Stamp Change Event Entry:\n";
            s += &format!("Previous Timestamp: {}\n", t.previous_timestamp.get());
            s += &format!(
                "Milliseconds Since Reset: {}\n",
                t.ml_secs_since_reset.get()
            );
        }
        PelEventType::POWER_ON_RESET => {
            let fw: [u8; 8] = at(d);
            s += "Power On Reset Event Entry:\n";
            s += &format!(
                "Firmware Revision: {} ({})\n",
                u64::from_le_bytes(fw),
                fw_string(&fw)
            );
            s += "Reset Information List:\n";
            for r in d
                .get(8..)
                .unwrap_or_default()
                .chunks_exact(size_of::<ResetInfo>())
            {
                let r: ResetInfo = at(r);
                s += &format!("Controller ID: {}\n", r.cid.get());
                s += &format!("Firmware Activation: {}\n", r.fw_act);
                s += &format!("Operation in Progress: {}\n", r.op_in_prog);
                s += &format!("Controller Power Cycle: {}\n", r.ctrl_power_cycle.get());
                s += &format!("Power on milliseconds: {}\n", r.power_on_ml_seconds.get());
                s += &format!("Controller Timestamp: {}\n", r.ctrl_time_stamp.get());
            }
        }
        PelEventType::NSS_HW_ERROR => {
            let n: NssHwErrorEvent = at(d);
            s += &format!(
                "NVM Subsystem Hardware Error Event Code Entry: {}, {}\n",
                n.code.get(),
                NssHwErrorCode(n.code.get()).name().unwrap_or("Reserved")
            );
        }
        PelEventType::CHANGE_NS => {
            let n: ChangeNsEvent = at(d);
            s += "Change Namespace Event Entry:\n";
            s += &format!("Namespace Management CDW10: {}\n", n.nsmgt_cdw10.get());
            s += &format!("Namespace Size: {}\n", n.nsze.get());
            s += &format!("Namespace Capacity: {}\n", n.nscap.get());
            s += &format!("Formatted LBA Size: {}\n", n.flbas);
            s += &format!("End-to-end Data Protection Type Settings: {}\n", n.dps);
            s += &format!(
                "Namespace Multi-path I/O and Namespace Sharing Capabilities: {}\n",
                n.nmic
            );
            s += &format!("ANA Group Identifier: {}\n", n.ana_grp_id.get());
            s += &format!("NVM Set Identifier: {}\n", n.nvmset_id.get());
            s += &format!("Namespace ID: {}\n", n.nsid.get());
        }
        PelEventType::FORMAT_START => {
            let f: FormatStartEvent = at(d);
            s += "Format NVM Start Event Entry:\n";
            s += &format!("Namespace Identifier: {}\n", f.nsid.get());
            s += &format!("Format NVM Attributes: {}\n", f.fna);
            s += &format!("Format NVM CDW10: {}\n", f.format_nvm_cdw10.get());
        }
        PelEventType::FORMAT_COMPLETION => {
            let f: FormatCompletionEvent = at(d);
            s += "Format NVM Completion Event Entry:\n";
            s += &format!("Namespace Identifier: {}\n", f.nsid.get());
            s += &format!("Smallest Format Progress Indicator: {}\n", f.smallest_fpi);
            s += &format!("Format NVM Status: {}\n", f.format_nvm_status);
            s += &format!("Completion Information: {}\n", f.compln_info.get());
            s += &format!("Status Field: {}\n", f.status_field.get());
        }
        PelEventType::SANITIZE_START => {
            let z: SanitizeStartEvent = at(d);
            s += "Sanitize Start Event Entry:\n";
            s += &format!("SANICAP: {}\n", z.sani_cap.get());
            s += &format!("Sanitize CDW10: {}\n", z.sani_cdw10.get());
            s += &format!("Sanitize CDW11: {}\n", z.sani_cdw11.get());
        }
        PelEventType::SANITIZE_COMPLETION => {
            let z: SanitizeCompletionEvent = at(d);
            s += "Sanitize Completion Event Entry:\n";
            s += &format!("Sanitize Progress: {}\n", z.sani_prog.get());
            s += &format!("Sanitize Status: {}\n", z.sani_status.get());
            s += &format!("Completion Information: {}\n", z.cmpln_info.get());
        }
        PelEventType::SET_FEATURE => {
            let (fid, value) = set_feature(d);
            s += "Set Feature Event Entry:\n";
            s += &format!(
                "Set Feature ID: {fid:#04x} ({}), value: {value:#010x}\n",
                feature_name(fid)
            );
        }
        PelEventType::TELEMETRY_CREATE => {
            s += &hexdump(&d[..d.len().min(512)]);
        }
        PelEventType::THERMAL_EXCURSION => {
            let t: ThermalExcursionEvent = at(d);
            s += "Thermal Excursion Event Entry:\n";
            s += &format!("Over Temperature: {}\n", t.over_temp);
            s += &format!("Threshold: {}\n", t.threshold);
        }
        PelEventType::SANITIZE_MEDIA_VERIFICATION => s += "Sanitize Media Verification Event\n",
        _ => s += "Reserved Event\n\n",
    }
    s.push('\n');
    s
}

/// The log laid out like `nvme persistent-event-log`.
pub fn pel_text(log: &[u8], action: u8, devname: &str, verbose: bool) -> String {
    let mut s = format!(
        "Persistent Event Log for device: {devname}\nAction for Persistent Event Log: {action}\n"
    );
    let Ok((h, _)) = PelHeader::read_from_prefix(log) else {
        s += "No log data can be shown with this log len at least 512 bytes is required or can be 0 to read the complete log page after context established\n";
        return s;
    };
    s += &header_text(&h, verbose);
    s += "\n\nPersistent Event Entries:\n";
    for (i, e) in pel_events(log).enumerate() {
        s += &event_text(i, &e, devname, verbose);
    }
    s
}

/// The fields every event starts with (its Persistent Event Log Event
/// Header). For a power-on/reset event `ctrl_id` is the last reset
/// descriptor's controller, as nvme-cli writes it over the header's.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelEventHeadJson {
    event_number: usize,
    event_type: String,
    event_type_rev: u8,
    event_header_len: u8,
    event_header_additional_info: u8,
    ctrl_id: u16,
    event_time_stamp: u64,
    port_id: u16,
    vu_info_len: u16,
    event_len: u16,
}

/// A Firmware Commit event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelFwCommitJson {
    old_fw_rev: String,
    new_fw_rev: String,
    fw_commit_action: u8,
    fw_slot: u8,
    sct_fw: u8,
    sc_fw: u8,
    vu_assign_fw_commit_rc: u16,
}

/// A Timestamp Change event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelTimestampJson {
    prev_ts: u64,
    ml_secs_since_reset: u64,
}

/// The last reset descriptor of a power-on/reset event (nvme-cli writes
/// every descriptor's keys into the event, so the last one's stay).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelResetJson {
    fw_act: u8,
    op_in_prog: u8,
    ctrl_power_cycle: u32,
    power_on_ml_secs: u64,
    ctrl_time_stamp: u64,
}

/// A Power-on or Reset event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelPowerOnJson {
    fw_rev: String,
    #[serde(flatten)]
    last_reset: Option<PelResetJson>,
}

/// An NVM Subsystem Hardware Error event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelHwErrorJson {
    nss_hw_err_code: u16,
}

/// A Change Namespace event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelChangeNsJson {
    nsmgt_cdw10: u32,
    nsze: u64,
    nscap: u64,
    flbas: u8,
    dps: u8,
    nmic: u8,
    ana_grp_id: u32,
    nvmset_id: u16,
    nsid: u32,
}

/// A Format NVM Start event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelFormatStartJson {
    nsid: u32,
    fna: u8,
    format_nvm_cdw10: u32,
}

/// A Format NVM Completion event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelFormatDoneJson {
    nsid: u32,
    smallest_fpi: u8,
    format_nvm_status: u8,
    compln_info: u16,
    status_field: u32,
}

/// A Sanitize Start event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelSanitizeStartJson {
    #[serde(rename = "SANICAP")]
    sanicap: u32,
    sani_cdw10: u32,
    sani_cdw11: u32,
}

/// A Sanitize Completion event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelSanitizeDoneJson {
    sani_prog: u16,
    sani_status: u16,
    cmpln_info: u16,
}

/// A Set Feature event: the FID and dword 11 as hex, and the feature's name.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelSetFeatureJson {
    feature: String,
    name: &'static str,
    value: String,
}

/// A Telemetry Log Create event: the first 512 bytes as ASCII rows.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelTelemetryJson {
    create: Vec<String>,
}

/// A Thermal Excursion event.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelThermalJson {
    over_temp: u8,
    threshold: u8,
}

/// What an event type adds after the header.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PelEventBody {
    /// A SMART / Health Information snapshot, as `smart-log -o json`
    /// writes it.
    #[serde(serialize_with = "smart_json")]
    Smart(Box<SmartLog>),
    FwCommit(PelFwCommitJson),
    Timestamp(PelTimestampJson),
    PowerOn(PelPowerOnJson),
    HwError(PelHwErrorJson),
    ChangeNs(PelChangeNsJson),
    FormatStart(PelFormatStartJson),
    FormatDone(PelFormatDoneJson),
    SanitizeStart(PelSanitizeStartJson),
    SanitizeDone(PelSanitizeDoneJson),
    SetFeature(PelSetFeatureJson),
    Telemetry(PelTelemetryJson),
    Thermal(PelThermalJson),
}

fn smart_json<S: serde::Serializer>(l: &SmartLog, s: S) -> std::result::Result<S::Ok, S::Error> {
    Smart(l, false).serialize(s)
}

/// One event of `persistent-event-log -o json`: the header, then what its
/// type adds (nothing for types without decoded fields).
#[derive(Debug, Serialize)]
pub struct PelEventJson {
    #[serde(flatten)]
    head: PelEventHeadJson,
    #[serde(flatten)]
    body: Option<PelEventBody>,
}

/// Every property of `T`'s (object) schema, and its required ones.
fn properties_of<T: schemars::JsonSchema>(
    g: &mut schemars::SchemaGenerator,
) -> (Map<String, Value>, Vec<Value>) {
    let s = T::json_schema(g);
    let props = s
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let required = s
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    (props, required)
}

/// Written by hand: the header's keys are required, and each body adds its
/// own, so the schema admits the header's keys and the keys of every body
/// (a key two bodies share has one type in both, which a test checks).
impl schemars::JsonSchema for PelEventJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PelEvent".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let (mut props, required) = properties_of::<PelEventHeadJson>(g);
        let bodies = [
            properties_of::<Smart<'static>>(g).0,
            properties_of::<PelFwCommitJson>(g).0,
            properties_of::<PelTimestampJson>(g).0,
            properties_of::<PelPowerOnJson>(g).0,
            properties_of::<PelHwErrorJson>(g).0,
            properties_of::<PelChangeNsJson>(g).0,
            properties_of::<PelFormatStartJson>(g).0,
            properties_of::<PelFormatDoneJson>(g).0,
            properties_of::<PelSanitizeStartJson>(g).0,
            properties_of::<PelSanitizeDoneJson>(g).0,
            properties_of::<PelSetFeatureJson>(g).0,
            properties_of::<PelTelemetryJson>(g).0,
            properties_of::<PelThermalJson>(g).0,
        ];
        for body in bodies {
            for (k, v) in body {
                let old = props.insert(k.clone(), v.clone());
                assert!(old.is_none_or(|o| o == v), "PEL key {k} has two types");
            }
        }
        schemars::json_schema!({
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": false
        })
    }
}

/// A `bitmap_N` key of the log header: an event type the log supports.
#[derive(Debug)]
pub struct BitmapKey;

impl Key for BitmapKey {
    const NAME: &'static str = "PelBitmap";
    const PATTERN: &'static str = "^bitmap_[0-9a-f]{1,2}$";
}

/// The log header's fields in `persistent-event-log -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelHeadJson {
    log_id: u8,
    total_num_of_events: u32,
    total_log_len: u64,
    log_revision: u8,
    log_header_len: u16,
    timestamp: u64,
    power_on_hours: u128,
    power_cycle_count: u64,
    pci_vid: u16,
    pci_ssvid: u16,
    sn: String,
    mn: String,
    subnqn: String,
    gen_number: u16,
    rci: u32,
}

/// nvme-cli's `json_persistent_event_log`: the header, `bitmap_N` for each
/// supported event type, then the events. Its schema is written by hand:
/// the bitmap keys hold the type.
#[derive(Debug, Serialize)]
pub struct PelLogJson {
    #[serde(flatten)]
    head: PelHeadJson,
    #[serde(flatten)]
    bitmaps: Keyed<BitmapKey, String>,
    list_of_event_entries: Vec<PelEventJson>,
}

impl schemars::JsonSchema for PelLogJson {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PelLog".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let (mut props, mut required) = properties_of::<PelHeadJson>(g);
        props.insert(
            "list_of_event_entries".into(),
            json!({"type": "array", "items": g.subschema_for::<PelEventJson>()}),
        );
        required.push("list_of_event_entries".into());
        schemars::json_schema!({
            "type": "object",
            "properties": props,
            "required": required,
            "patternProperties": {
                (BitmapKey::PATTERN): {"type": "string", "pattern": "^Support "}
            },
            "additionalProperties": false
        })
    }
}

/// `{"Result": …}`: what the command prints instead of a log (a log too
/// short to decode, a context established or released).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PelNoteJson {
    #[serde(rename = "Result")]
    result: String,
}

/// What `persistent-event-log -o json` prints.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PelJson {
    Log(PelLogJson),
    Note(PelNoteJson),
}

fn event_json(i: usize, e: &PelEvent<'_>) -> PelEventJson {
    let h = &e.header;
    let mut head = PelEventHeadJson {
        event_number: i,
        event_type: event_name(h.etype),
        event_type_rev: h.etype_rev,
        event_header_len: h.ehl,
        event_header_additional_info: h.ehai,
        ctrl_id: h.cntlid.get(),
        event_time_stamp: h.ets.get(),
        port_id: h.pelpid.get(),
        vu_info_len: h.vsil.get(),
        event_len: h.el.get(),
    };
    let d = e.event_data();
    let fw = |b: [u8; 8]| format!("{} ({})", u64::from_le_bytes(b), fw_string(&b));
    let body = match PelEventType(h.etype) {
        PelEventType::SMART_HEALTH => PelEventBody::Smart(Box::new(at::<SmartLog>(d))),
        PelEventType::FW_COMMIT => {
            let f: FwCommitEvent = at(d);
            PelEventBody::FwCommit(PelFwCommitJson {
                old_fw_rev: fw(f.old_fw_rev),
                new_fw_rev: fw(f.new_fw_rev),
                fw_commit_action: f.fw_commit_action,
                fw_slot: f.fw_slot,
                sct_fw: f.sct_fw,
                sc_fw: f.sc_fw,
                vu_assign_fw_commit_rc: f.vndr_assign_fw_commit_rc.get(),
            })
        }
        PelEventType::TIMESTAMP => {
            let t: TimestampChangeEvent = at(d);
            PelEventBody::Timestamp(PelTimestampJson {
                prev_ts: t.previous_timestamp.get(),
                ml_secs_since_reset: t.ml_secs_since_reset.get(),
            })
        }
        PelEventType::POWER_ON_RESET => {
            // nvme-cli writes each descriptor's keys into the event, so
            // the last descriptor's values are the ones that stay.
            let last = d
                .get(8..)
                .unwrap_or_default()
                .chunks_exact(size_of::<ResetInfo>())
                .map(at::<ResetInfo>)
                .next_back();
            if let Some(r) = &last {
                head.ctrl_id = r.cid.get();
            }
            PelEventBody::PowerOn(PelPowerOnJson {
                fw_rev: fw(at(d)),
                last_reset: last.map(|r| PelResetJson {
                    fw_act: r.fw_act,
                    op_in_prog: r.op_in_prog,
                    ctrl_power_cycle: r.ctrl_power_cycle.get(),
                    power_on_ml_secs: r.power_on_ml_seconds.get(),
                    ctrl_time_stamp: r.ctrl_time_stamp.get(),
                }),
            })
        }
        PelEventType::NSS_HW_ERROR => {
            let n: NssHwErrorEvent = at(d);
            PelEventBody::HwError(PelHwErrorJson {
                nss_hw_err_code: n.code.get(),
            })
        }
        PelEventType::CHANGE_NS => {
            let n: ChangeNsEvent = at(d);
            PelEventBody::ChangeNs(PelChangeNsJson {
                nsmgt_cdw10: n.nsmgt_cdw10.get(),
                nsze: n.nsze.get(),
                nscap: n.nscap.get(),
                flbas: n.flbas,
                dps: n.dps,
                nmic: n.nmic,
                ana_grp_id: n.ana_grp_id.get(),
                nvmset_id: n.nvmset_id.get(),
                nsid: n.nsid.get(),
            })
        }
        PelEventType::FORMAT_START => {
            let f: FormatStartEvent = at(d);
            PelEventBody::FormatStart(PelFormatStartJson {
                nsid: f.nsid.get(),
                fna: f.fna,
                format_nvm_cdw10: f.format_nvm_cdw10.get(),
            })
        }
        PelEventType::FORMAT_COMPLETION => {
            let f: FormatCompletionEvent = at(d);
            PelEventBody::FormatDone(PelFormatDoneJson {
                nsid: f.nsid.get(),
                smallest_fpi: f.smallest_fpi,
                format_nvm_status: f.format_nvm_status,
                compln_info: f.compln_info.get(),
                status_field: f.status_field.get(),
            })
        }
        PelEventType::SANITIZE_START => {
            let z: SanitizeStartEvent = at(d);
            PelEventBody::SanitizeStart(PelSanitizeStartJson {
                sanicap: z.sani_cap.get(),
                sani_cdw10: z.sani_cdw10.get(),
                sani_cdw11: z.sani_cdw11.get(),
            })
        }
        PelEventType::SANITIZE_COMPLETION => {
            let z: SanitizeCompletionEvent = at(d);
            PelEventBody::SanitizeDone(PelSanitizeDoneJson {
                sani_prog: z.sani_prog.get(),
                sani_status: z.sani_status.get(),
                cmpln_info: z.cmpln_info.get(),
            })
        }
        PelEventType::SET_FEATURE => {
            let (fid, value) = set_feature(d);
            PelEventBody::SetFeature(PelSetFeatureJson {
                feature: format!("{fid:#04x}"),
                name: feature_name(fid),
                value: format!("{value:#010x}"),
            })
        }
        PelEventType::TELEMETRY_CREATE => PelEventBody::Telemetry(PelTelemetryJson {
            create: output::ascii_rows(&d[..d.len().min(512)]),
        }),
        PelEventType::THERMAL_EXCURSION => {
            let t: ThermalExcursionEvent = at(d);
            PelEventBody::Thermal(PelThermalJson {
                over_temp: t.over_temp,
                threshold: t.threshold,
            })
        }
        _ => {
            return PelEventJson { head, body: None };
        }
    };
    PelEventJson {
        head,
        body: Some(body),
    }
}

/// `persistent-event-log -o json` of the log bytes.
pub fn pel_json(log: &[u8]) -> PelJson {
    let Ok((h, _)) = PelHeader::read_from_prefix(log) else {
        return PelJson::Note(PelNoteJson {
            result: "No log data can be shown with this log len at least 512 bytes is required or can be 0 to read the complete log page after context established".into(),
        });
    };
    PelJson::Log(PelLogJson {
        head: PelHeadJson {
            log_id: h.lid,
            total_num_of_events: h.tnev.get(),
            total_log_len: h.tll.get(),
            log_revision: h.rv,
            log_header_len: h.lhl.get(),
            timestamp: h.ts.get(),
            power_on_hours: u128::from_le_bytes(h.poh),
            power_cycle_count: h.pcc.get(),
            pci_vid: h.vid.get(),
            pci_ssvid: h.ssvid.get(),
            sn: output::ascii(&h.sn),
            mn: output::ascii(&h.mn),
            subnqn: output::ascii(&h.subnqn),
            gen_number: h.gen_number.get(),
            rci: h.rci.get(),
        },
        bitmaps: (0..=255u8)
            .filter(|&t| h.supports(PelEventType(t)))
            .map(|t| {
                (
                    format!("bitmap_{t:x}"),
                    format!("Support {}", event_name(t)),
                )
            })
            .collect(),
        list_of_event_entries: pel_events(log)
            .enumerate()
            .map(|(i, e)| event_json(i, &e))
            .collect(),
    })
}

/// `nvmeq persistent-event-log`.
pub fn persistent_event_log(ctx: &Ctx, a: &PelArgs) -> Result<()> {
    let action = PelAction(a.action);
    if action.name().is_none() {
        return Err(usage(format!(
            "--action {}: 0 read log data, 1 establish context and read, 2 release context",
            a.action
        )));
    }
    let mut dev = ctx.open(&a.dev)?;
    let req = |action: PelAction| LogReq {
        lsp: action.0,
        ..LogReq::new(LogId::PERSISTENT_EVENT, u32::MAX)
    };
    let first = read_log(&mut dev, OP, &req(action), 512, 512)?;
    let head: PelHeader = parse(&first, OP)?;
    let note = |text: &str| match ctx.fmt_raw(a.raw) {
        Format::Json => output::json(&PelJson::Note(PelNoteJson {
            result: text.into(),
        })),
        Format::Normal => output::text(&format!("{text}\n")),
        Format::Binary => Ok(()),
    };
    if action == PelAction::RELEASE {
        return note("Releasing Persistent Event Log Context");
    }
    let len = match a.log_len {
        0 if action == PelAction::ESTABLISH => {
            return note("Establishing Persistent Event Log Context")
        }
        // At least the header, whatever the Total Log Length says.
        0 => usize::try_from(head.tll.get())
            .map_err(|_| {
                CliError::Device(format!("{OP}: Total Log Length {} too large", head.tll))
            })?
            .max(size_of::<PelHeader>()),
        n => n as usize,
    };
    // The context now exists: read from it (establishing again is out of sequence).
    let piece = (dev.max_xfer() as usize & !3).max(4);
    let log = read_log(
        &mut dev,
        OP,
        &req(PelAction::READ),
        len.next_multiple_of(4),
        piece,
    )?;
    let log = &log[..len];
    let again: PelHeader = parse(
        &read_log(&mut dev, OP, &req(PelAction::READ), 512, 512)?,
        OP,
    )?;
    let got = PelHeader::read_from_prefix(log).map(|(h, _)| h.gen_number.get());
    if got.is_ok_and(|g| g != again.gen_number.get()) {
        return Err(CliError::Device(
            "Collected Persistent Event Log may be invalid, Re-read the log is required".into(),
        ));
    }
    output::emit(
        ctx.fmt_raw(a.raw),
        // nvme-cli shows the action of the read, 0 after an establish.
        || pel_text(log, PelAction::READ.0, &dev.name, a.verbose),
        || pel_json(log),
        log,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::log::PelEventHeader;
    use zerocopy::{FromZeros, IntoBytes};

    /// A log with one event of every type the base spec defines (and a vendor one).
    fn every_event() -> Vec<u8> {
        let mut events: Vec<(PelEventType, Vec<u8>)> = Vec::new();
        let mut smart = SmartLog::new_zeroed();
        smart.temperature.set(310);
        smart.host_reads.set(7);
        events.push((PelEventType::SMART_HEALTH, smart.as_bytes().to_vec()));
        let fw = FwCommitEvent {
            old_fw_rev: *b"1.0     ",
            new_fw_rev: *b"2.0     ",
            fw_commit_action: 3,
            fw_slot: 2,
            ..Default::default()
        };
        events.push((PelEventType::FW_COMMIT, fw.as_bytes().to_vec()));
        let mut ts = TimestampChangeEvent::default();
        ts.previous_timestamp.set(1000);
        events.push((PelEventType::TIMESTAMP, ts.as_bytes().to_vec()));
        let mut por = b"1.0     ".to_vec();
        let mut r = ResetInfo::default();
        r.cid.set(1);
        r.ctrl_power_cycle.set(4);
        por.extend_from_slice(r.as_bytes());
        events.push((PelEventType::POWER_ON_RESET, por));
        let mut hw = NssHwErrorEvent::default();
        hw.code.set(NssHwErrorCode::UNSAFE_SHUTDOWN.0);
        events.push((PelEventType::NSS_HW_ERROR, hw.as_bytes().to_vec()));
        let mut ns = ChangeNsEvent::default();
        ns.nsid.set(2);
        ns.nsze.set(1 << 20);
        events.push((PelEventType::CHANGE_NS, ns.as_bytes().to_vec()));
        let mut fs = FormatStartEvent::default();
        fs.nsid.set(1);
        fs.format_nvm_cdw10.set(0x200);
        events.push((PelEventType::FORMAT_START, fs.as_bytes().to_vec()));
        let mut fc = FormatCompletionEvent::default();
        fc.nsid.set(1);
        fc.smallest_fpi = 100;
        events.push((PelEventType::FORMAT_COMPLETION, fc.as_bytes().to_vec()));
        let mut ss = SanitizeStartEvent::default();
        ss.sani_cdw10.set(2);
        events.push((PelEventType::SANITIZE_START, ss.as_bytes().to_vec()));
        let mut sc = SanitizeCompletionEvent::default();
        sc.sani_prog.set(0xffff);
        sc.sani_status.set(0x101);
        events.push((PelEventType::SANITIZE_COMPLETION, sc.as_bytes().to_vec()));
        let mut sf = SetFeatureLayout::new()
            .with_dw_count(2)
            .into_bits()
            .to_le_bytes()
            .to_vec();
        sf.extend_from_slice(&6u32.to_le_bytes());
        sf.extend_from_slice(&1u32.to_le_bytes());
        events.push((PelEventType::SET_FEATURE, sf));
        let mut tel = vec![0u8; 512];
        tel[..7].copy_from_slice(b"\x07TELHDR");
        events.push((PelEventType::TELEMETRY_CREATE, tel));
        let te = ThermalExcursionEvent {
            over_temp: 5,
            threshold: 80,
        };
        events.push((PelEventType::THERMAL_EXCURSION, te.as_bytes().to_vec()));
        events.push((PelEventType::SANITIZE_MEDIA_VERIFICATION, vec![0; 4]));
        events.push((PelEventType::VENDOR_SPECIFIC, vec![0xaa; 8]));

        let mut h = PelHeader::default();
        h.tnev.set(events.len() as u32);
        h.gen_number.set(2);
        h.rci.set(1 << 18);
        for (t, _) in &events {
            h.set_supported(*t);
        }
        let mut body = Vec::new();
        for (i, (t, d)) in events.iter().enumerate() {
            let mut e = PelEventHeader {
                etype: t.0,
                ehl: PelEventHeader::EHL,
                ..Default::default()
            };
            e.ets.set(i as u64 * 10);
            e.el.set(d.len() as u16);
            body.extend_from_slice(e.as_bytes());
            body.extend_from_slice(d);
        }
        h.tll.set(512 + body.len() as u64);
        let mut log = h.as_bytes().to_vec();
        log.extend(body);
        log
    }

    #[test]
    fn every_event_type_decodes_by_name_in_text() {
        let log = every_event();
        let t = pel_text(&log, 0, "nvme0", true);
        for line in [
            "Persistent Event Log for device: nvme0\nAction for Persistent Event Log: 0\nLog Identifier: 13\n",
            "Total Number of Events: 15\n",
            "Generation Number: 2\n",
            "\tReporting Context Exists (RCE): true(1)\n",
            "\tSupport Thermal Excursion Event(0xd)\n",
            "Event Type: SMART/Health Log Snapshot Event(0x1)\nEvent Type Revision: 0\n",
            "Smart Health Event Entry:\nSmart Log for NVME device:nvme0 namespace-id:ffffffff\n",
            "host_read_commands\t\t\t: 7\n",
            "Old Firmware Revision: 2314885530819505713 (1.0.....)\nNew Firmware Revision: 2314885530819505714 (2.0.....)\nFW Commit Action: 3\nFW Slot: 2\n",
            "Time Stamp Change Event Entry:\nPrevious Timestamp: 1000\n",
            "Reset Information List:\nController ID: 1\n",
            "Controller Power Cycle: 4\n",
            "NVM Subsystem Hardware Error Event Code Entry: 8, Unsafe Shutdown\n",
            "Change Namespace Event Entry:\nNamespace Management CDW10: 0\nNamespace Size: 1048576\n",
            "Namespace ID: 2\n",
            "Format NVM Start Event Entry:\nNamespace Identifier: 1\nFormat NVM Attributes: 0\nFormat NVM CDW10: 512\n",
            "Format NVM Completion Event Entry:\nNamespace Identifier: 1\nSmallest Format Progress Indicator: 100\n",
            "Sanitize Start Event Entry:\nSANICAP: 0\nSanitize CDW10: 2\n",
            "Sanitize Completion Event Entry:\nSanitize Progress: 65535\nSanitize Status: 257\n",
            "Set Feature Event Entry:\nSet Feature ID: 0x06 (Volatile Write Cache), value: 0x00000001\n",
            "Event Type: Set Telemetry CRT Event(0xc)\n",
            "Thermal Excursion Event Entry:\nOver Temperature: 5\nThreshold: 80\n",
            "Sanitize Media Verification Event\n",
            "Event Type: Vendor Specific Event(0xde)\n",
            "Reserved Event\n",
            "Event Timestamp: 140\n",
        ] {
            assert!(t.contains(line), "missing {line:?} in\n{t}");
        }
        // A log read short shows what fits.
        // The SMART snapshot (24 + 512) and the firmware commit (24 + 22) fit.
        let short = pel_text(&log[..512 + 536 + 46], 0, "nvme0", false);
        assert!(short.contains("Event Number: 1\n") && !short.contains("Event Number: 2\n"));
        assert!(pel_text(&log[..100], 0, "nvme0", false).contains("at least 512 bytes"));
    }

    #[test]
    fn every_event_type_has_nvme_cli_json_keys() {
        let s = serde_json::to_string(&pel_json(&every_event())).unwrap();
        let j: Value = serde_json::from_str(&s).unwrap();
        let e = crate::schema::errors("persistent-event-log", &j);
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(j["log_id"], 13);
        assert_eq!(j["total_num_of_events"], 15);
        assert_eq!(j["gen_number"], 2);
        assert_eq!(j["bitmap_b"], "Support Set Feature Event(0xb)");
        let e = j["list_of_event_entries"].as_array().unwrap();
        assert_eq!(e.len(), 15);
        assert_eq!(e[0]["event_type"], "SMART/Health Log Snapshot Event(0x1)");
        assert_eq!(e[0]["temperature"], 310);
        assert_eq!(e[0]["host_read_commands"], 7);
        assert_eq!(e[1]["new_fw_rev"], "2314885530819505714 (2.0.....)");
        assert_eq!(e[1]["fw_slot"], 2);
        assert_eq!(e[2]["prev_ts"], 1000);
        assert_eq!(e[3]["ctrl_power_cycle"], 4);
        assert_eq!(e[4]["nss_hw_err_code"], 8);
        assert_eq!(e[5]["nsid"], 2);
        assert_eq!(e[6]["format_nvm_cdw10"], 512);
        assert_eq!(e[7]["smallest_fpi"], 100);
        assert_eq!(e[8]["sani_cdw10"], 2);
        assert_eq!(e[9]["sani_status"], 257);
        assert_eq!(e[10]["feature"], "0x06");
        assert_eq!(e[10]["name"], "Volatile Write Cache");
        assert_eq!(e[10]["value"], "0x00000001");
        assert_eq!(e[11]["create"].as_array().unwrap().len(), 32);
        assert_eq!(e[11]["create"][0], ".TELHDR.........");
        assert_eq!(e[12]["over_temp"], 5);
        assert_eq!(e[14]["event_time_stamp"], 140);
        assert_eq!(e[14]["event_len"], 8);
    }

    /// Counters above 2^64 print as nvme-cli 2.13 prints them: a bare number
    /// with every digit (not a string, not rounded through f64).
    #[test]
    fn counters_above_64_bits_are_exact_numbers() {
        let mut log = every_event();
        let poh = (1u128 << 64) + 5;
        log[28..44].copy_from_slice(&poh.to_le_bytes());
        // The SMART snapshot is the first event: its Host Read Commands.
        let reads = 512 + 24 + core::mem::offset_of!(SmartLog, host_reads);
        log[reads..reads + 16].copy_from_slice(&u128::MAX.to_le_bytes());
        let s = serde_json::to_string(&pel_json(&log)).unwrap();
        assert!(
            s.contains("\"power_on_hours\":18446744073709551621,"),
            "{s}"
        );
        assert!(
            s.contains(&format!("\"host_read_commands\":{},", u128::MAX)),
            "{s}"
        );
    }
}
