//! Log pages in nvme-cli 2.3's JSON shapes: `json_smart_log`,
//! `json_error_log`, `json_fw_log`, `json_effects_log`.
//!
//! 128-bit SMART counters are JSON numbers with every digit, as nvme-cli
//! 2.13 prints them (2.3 printed decimal strings). Difference from nvme-cli
//! 2.3, on purpose: 32-bit values are unsigned (2.3 wraps them through a
//! signed int).

use nvmeq_core::log::{CommandEffectsLog, ErrorLogEntry, FwSlotLog, SmartLog};
use nvmeq_core::{AdminOpcode, NvmOpcode};
use serde::{Serialize, Serializer};

use super::keyed::{self, DevName, Keyed};
use super::Ordered;

/// SMART / Health Information. `temperature` and the sensors are in kelvin,
/// as nvme-cli 2.3 prints them in JSON. With `true` (`-H`), `critical_warning`
/// is an object of its bits, as nvme-cli's `-H -o json`.
#[derive(Debug)]
pub struct Smart<'a>(pub &'a SmartLog, pub bool);

impl Serialize for Smart<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let l = self.0;
        let mut m = s.serialize_map(None)?;
        let w = l.critical_warning;
        if self.1 {
            let mut o = super::Ordered::new();
            o.insert("value".into(), w.into());
            for (bit, k) in [
                (0, "available_spare"),
                (1, "temp_threshold"),
                (2, "reliability_degraded"),
                (3, "ro"),
                (4, "vmbu_failed"),
                (5, "pmr_ro"),
            ] {
                o.insert(k.into(), ((w >> bit) & 1).into());
            }
            m.serialize_entry("critical_warning", &o)?;
        } else {
            m.serialize_entry("critical_warning", &w)?;
        }
        m.serialize_entry("temperature", &l.temperature.get())?;
        m.serialize_entry("avail_spare", &l.avail_spare)?;
        m.serialize_entry("spare_thresh", &l.spare_thresh)?;
        m.serialize_entry("percent_used", &l.percent_used)?;
        m.serialize_entry(
            "endurance_grp_critical_warning_summary",
            &l.endu_grp_crit_warn_sumry,
        )?;
        m.serialize_entry("data_units_read", &l.data_units_read.get())?;
        m.serialize_entry("data_units_written", &l.data_units_written.get())?;
        m.serialize_entry("host_read_commands", &l.host_reads.get())?;
        m.serialize_entry("host_write_commands", &l.host_writes.get())?;
        m.serialize_entry("controller_busy_time", &l.ctrl_busy_time.get())?;
        m.serialize_entry("power_cycles", &l.power_cycles.get())?;
        m.serialize_entry("power_on_hours", &l.power_on_hours.get())?;
        m.serialize_entry("unsafe_shutdowns", &l.unsafe_shutdowns.get())?;
        m.serialize_entry("media_errors", &l.media_errors.get())?;
        m.serialize_entry("num_err_log_entries", &l.num_err_log_entries.get())?;
        m.serialize_entry("warning_temp_time", &l.warning_temp_time)?;
        m.serialize_entry("critical_comp_time", &l.crit_comp_time)?;
        for (i, &t) in l.temp_sensor.iter().enumerate() {
            // Unreported sensors (0) are left out, as nvme-cli does.
            if t != 0 {
                m.serialize_entry(&format!("temperature_sensor_{}", i + 1), &t)?;
            }
        }
        m.serialize_entry("thm_temp1_trans_count", &l.thm_temp1_trans_count)?;
        m.serialize_entry("thm_temp2_trans_count", &l.thm_temp2_trans_count)?;
        m.serialize_entry("thm_temp1_total_time", &l.thm_temp1_total_time)?;
        m.serialize_entry("thm_temp2_total_time", &l.thm_temp2_total_time)?;
        m.end()
    }
}

/// The keys [`Smart`] writes after `critical_warning`, all unsigned integers.
const SMART_KEYS: [&str; 21] = [
    "temperature",
    "avail_spare",
    "spare_thresh",
    "percent_used",
    "endurance_grp_critical_warning_summary",
    "data_units_read",
    "data_units_written",
    "host_read_commands",
    "host_write_commands",
    "controller_busy_time",
    "power_cycles",
    "power_on_hours",
    "unsafe_shutdowns",
    "media_errors",
    "num_err_log_entries",
    "warning_temp_time",
    "critical_comp_time",
    "thm_temp1_trans_count",
    "thm_temp2_trans_count",
    "thm_temp1_total_time",
    "thm_temp2_total_time",
];

/// Written by hand because `Serialize` is: keep the two in step (the CLI
/// schema test validates real `smart-log` output against this).
impl schemars::JsonSchema for Smart<'_> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Smart".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let uint = serde_json::json!({"type": "integer", "minimum": 0});
        let bit = serde_json::json!({"type": "integer", "minimum": 0, "maximum": 1});
        let mut props = serde_json::Map::new();
        props.insert(
            "critical_warning".into(),
            serde_json::json!({
                "description": "The Critical Warning byte; with -H an object of its bits.",
                "oneOf": [
                    {"type": "integer", "minimum": 0, "maximum": 255},
                    {
                        "type": "object",
                        "properties": {
                            "value": {"type": "integer", "minimum": 0, "maximum": 255},
                            "available_spare": bit,
                            "temp_threshold": bit,
                            "reliability_degraded": bit,
                            "ro": bit,
                            "vmbu_failed": bit,
                            "pmr_ro": bit
                        },
                        "required": ["value", "available_spare", "temp_threshold",
                            "reliability_degraded", "ro", "vmbu_failed", "pmr_ro"],
                        "additionalProperties": false
                    }
                ]
            }),
        );
        let mut required = vec![serde_json::Value::from("critical_warning")];
        for k in SMART_KEYS {
            props.insert(k.into(), uint.clone());
            required.push(k.into());
        }
        // Only reported sensors are written, so none is required.
        for i in 1..=8 {
            props.insert(format!("temperature_sensor_{i}"), uint.clone());
        }
        schemars::json_schema!({
            "description": "SMART / Health Information; temperatures in kelvin.",
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": false
        })
    }
}

/// One Error Information log entry.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ErrorEntry {
    error_count: u64,
    sqid: u16,
    cmdid: u16,
    status_field: u16,
    phase_tag: u16,
    parm_error_location: u16,
    lba: u64,
    nsid: u32,
    vs: u8,
    trtype: u8,
    cs: u64,
    trtype_spec_info: u16,
}

impl From<&ErrorLogEntry> for ErrorEntry {
    fn from(e: &ErrorLogEntry) -> Self {
        ErrorEntry {
            error_count: e.error_count,
            sqid: e.sqid,
            cmdid: e.cid,
            status_field: e.sf >> 1,
            phase_tag: e.sf & 1,
            parm_error_location: e.pel,
            lba: e.lba,
            nsid: e.nsid,
            vs: e.vsia,
            trtype: e.trtype,
            cs: e.cs,
            trtype_spec_info: e.ttsi,
        }
    }
}

/// The Error Information log: `{"errors": [...]}`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ErrorLog {
    errors: Vec<ErrorEntry>,
}

impl ErrorLog {
    /// From the entries read.
    pub fn new(entries: &[ErrorLogEntry]) -> Self {
        ErrorLog {
            errors: entries.iter().map(ErrorEntry::from).collect(),
        }
    }
}

/// A firmware revision as nvme-cli shows it: printable ASCII, others as `.`.
pub fn fw_string(b: &[u8; 8]) -> String {
    b.iter()
        .map(|&c| {
            if (b'!'..=b'~').contains(&c) {
                c as char
            } else {
                '.'
            }
        })
        .collect()
}

/// One device's Firmware Slot log: the active slot, then
/// `Firmware Rev Slot N` (the revision as a number and as text) for each
/// slot that holds one. Written by hand: the slot keys are data.
#[derive(Debug)]
pub struct FwSlots {
    afi: u8,
    revs: Vec<(usize, String)>,
}

const AFI: &str = "Active Firmware Slot (afi)";

impl Serialize for FwSlots {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1 + self.revs.len()))?;
        m.serialize_entry(AFI, &self.afi)?;
        for (slot, rev) in &self.revs {
            m.serialize_entry(&format!("Firmware Rev Slot {slot}"), rev)?;
        }
        m.end()
    }
}

impl schemars::JsonSchema for FwSlots {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FwSlots".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "properties": {
                (AFI): {"type": "integer", "minimum": 0, "maximum": 255}
            },
            "required": [AFI],
            "patternProperties": {
                "^Firmware Rev Slot [1-7]$": {"type": "string", "pattern": "^[0-9]+ \\(.{8}\\)$"}
            },
            "additionalProperties": false
        })
    }
}

/// `fw-log -o json`: one device's slots under its name.
pub type FwLog = Keyed<DevName, FwSlots, true>;

/// The Firmware Slot log, keyed by device name as nvme-cli does:
/// `{"nvme0": {"Active Firmware Slot (afi)": 1, "Firmware Rev Slot 1": "… (1.0)"}}`.
pub fn fw_log(devname: &str, l: &FwSlotLog) -> FwLog {
    let revs = l
        .frs
        .iter()
        .enumerate()
        .filter(|(_, frs)| frs[0] != 0)
        .map(|(i, frs)| {
            let rev = format!("{} ({})", u64::from_le_bytes(*frs), fw_string(frs));
            (i + 1, rev)
        })
        .collect();
    keyed::one(devname, FwSlots { afi: l.afi, revs })
}

/// nvme-cli's short command names used in the effects log keys.
pub fn admin_name(op: u8) -> &'static str {
    AdminOpcode(op).name().unwrap_or("Unknown")
}

/// I/O command name for the effects log.
pub fn io_name(op: u8) -> &'static str {
    NvmOpcode(op).name().unwrap_or("Unknown")
}

/// One Commands Supported and Effects page, as an element of nvme-cli's list.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Effects {
    command_set_identifier: u8,
    admin_cmd_set: Ordered,
    io_cmd_set: Ordered,
}

impl Effects {
    /// The supported commands of `log` for command set `csi`.
    pub fn new(csi: u8, log: &CommandEffectsLog) -> Self {
        let pick = |set: &[_; 256], prefix: &str, name: fn(u8) -> &'static str| {
            let mut m = Ordered::default();
            for (op, e) in set.iter().enumerate() {
                let e: &nvmeq_core::log::CommandEffects = e;
                if e.csupp() {
                    m.insert(
                        format!("{prefix}_{op} ({})", name(op as u8)),
                        e.into_bits().into(),
                    );
                }
            }
            m
        };
        Effects {
            command_set_identifier: csi,
            admin_cmd_set: pick(&log.acs, "ACS", admin_name),
            io_cmd_set: pick(&log.iocs, "IOCS", io_name),
        }
    }
}
