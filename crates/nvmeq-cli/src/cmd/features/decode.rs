//! `get-feature -H`: each feature's value decoded field by field, laid out
//! like nvme-cli 2.13's `stdout_feature_show_fields` (Base spec 2.0, "Feature
//! Specific Information", one figure per feature).

use nvmeq_core::cmd::FeatureId;

fn degrees(k: u32) -> String {
    format!("{} °C", i64::from(k) - 273)
}

fn on(b: bool, yes: &'static str, no: &'static str) -> &'static str {
    if b {
        yes
    } else {
        no
    }
}

fn tf(b: bool) -> &'static str {
    on(b, "True", "False")
}

fn enabled(b: bool) -> &'static str {
    on(b, "Enabled", "Disabled")
}

/// Asynchronous Event Configuration bits, highest first, as nvme-cli lists them.
const AEC: [(u32, &str); 18] = [
    (
        31,
        "Discovery Log Page Change Notices                         ",
    ),
    (
        30,
        "Host Discovery Log Page Change Notification               ",
    ),
    (
        29,
        "AVE Discovery Log Page Change Notification                ",
    ),
    (
        28,
        "Pull Model DDC Request Log Page Change Notification       ",
    ),
    (
        27,
        "Zone Descriptor Changed Notices                           ",
    ),
    (
        23,
        "Allocated Namespace Attribute Notices                     ",
    ),
    (
        22,
        "Reachability Group                                        ",
    ),
    (
        21,
        "Reachability Association                                  ",
    ),
    (
        19,
        "Temperature Threshold Hysteresis Recovery                 ",
    ),
    (
        18,
        "Normal NVM Subsystem Shutdown                             ",
    ),
    (
        14,
        "Endurance Group Event Aggregate Log Change Notices        ",
    ),
    (
        13,
        "LBA Status Information Notices                            ",
    ),
    (
        12,
        "Predictable Latency Event Aggregate Log Change Notices    ",
    ),
    (
        11,
        "Asymmetric Namespace Access Change Notices                ",
    ),
    (
        10,
        "Telemetry Log Notices                                     ",
    ),
    (
        9,
        "Firmware Activation Notices                               ",
    ),
    (
        8,
        "Namespace Attribute Notices                               ",
    ),
    (
        0,
        "SMART / Health Critical Warnings                          ",
    ),
];

/// The decoded fields of feature `fid` with completion dword 0 `v` and the
/// feature's data structure `buf`, if it has one; `None` for a feature with
/// no decoding (nvme-cli prints nothing more for those either).
pub fn show_fields(fid: FeatureId, v: u32, buf: Option<&[u8]>) -> Option<String> {
    let mut s = String::new();
    match fid.0 {
        0x01 => {
            s += &format!("\tHigh Priority Weight   (HPW): {}\n", (v >> 24) + 1);
            s += &format!(
                "\tMedium Priority Weight (MPW): {}\n",
                ((v >> 16) & 0xff) + 1
            );
            s += &format!(
                "\tLow Priority Weight    (LPW): {}\n",
                ((v >> 8) & 0xff) + 1
            );
            let ab = v & 7;
            s += "\tArbitration Burst       (AB): ";
            s += &if ab == 7 {
                "No limit\n".to_string()
            } else {
                format!("{}\n", 1u32 << ab)
            };
        }
        0x02 => {
            let wh = (v >> 5) & 7;
            let hint = match wh {
                0 => "No Workload",
                1 => "Extended Idle Period with a Burst of Random Writes",
                2 => "Heavy Sequential Writes",
                _ => "Reserved",
            };
            s += &format!("\tWorkload Hint (WH): {wh} - {hint}\n");
            s += &format!("\tPower State   (PS): {}\n", v & 0x1f);
        }
        0x03 => {
            s += &format!("\tNumber of LBA Ranges (NUM): {}\n", (v & 0x3f) + 1);
        }
        0x04 => {
            let hyst = (v & 0x1c0_0000) >> 22;
            s += &format!(
                "\tTemperature Threshold Hysteresis(TMPTHH): {} ({hyst} K)\n",
                degrees(hyst)
            );
            let thsel = (v >> 20) & 3;
            s += &format!(
                "\tThreshold Type Select         (THSEL): {thsel} - {}\n",
                match thsel {
                    0 => "Over Temperature Threshold",
                    1 => "Under Temperature Threshold",
                    _ => "Reserved",
                }
            );
            let tmpsel = (v >> 16) & 0xf;
            let sel = match tmpsel {
                0 => "Composite Temperature".to_string(),
                1..=8 => format!("Temperature Sensor {tmpsel}"),
                _ => "Reserved".to_string(),
            };
            s += &format!("\tThreshold Temperature Select (TMPSEL): {tmpsel} - {sel}\n");
            let t = v & 0xffff;
            s += &format!(
                "\tTemperature Threshold         (TMPTH): {} ({t} K)\n",
                degrees(t)
            );
        }
        0x05 => {
            s += &format!(
                "\tDeallocated or Unwritten Logical Block Error Enable (DULBE): {}\n",
                enabled(v & (1 << 16) != 0)
            );
            s += &format!(
                "\tTime Limited Error Recovery                          (TLER): {} ms\n",
                (v & 0xffff) * 100
            );
        }
        0x06 => {
            s += &format!(
                "\tVolatile Write Cache Enable (WCE): {}\n",
                enabled(v & 1 != 0)
            );
        }
        0x07 => {
            s += &format!(
                "\tNumber of IO Completion Queues Allocated (NCQA): {}\n",
                (v >> 16) + 1
            );
            s += &format!(
                "\tNumber of IO Submission Queues Allocated (NSQA): {}\n",
                (v & 0xffff) + 1
            );
        }
        0x08 => {
            s += &format!(
                "\tAggregation Time     (TIME): {} usec\n",
                ((v >> 8) & 0xff) * 100
            );
            s += &format!("\tAggregation Threshold (THR): {}\n", (v & 0xff) + 1);
        }
        0x09 => {
            s += &format!("\tCoalescing Disable (CD): {}\n", tf(v & (1 << 16) != 0));
            s += &format!("\tInterrupt Vector   (IV): {}\n", v & 0xffff);
        }
        0x0a => {
            s += &format!("\tDisable Normal (DN): {}\n", tf(v & 1 != 0));
        }
        0x0b => {
            for (bit, label) in AEC {
                let send = if bit == 0 {
                    v & 0xff != 0
                } else {
                    v & (1 << bit) != 0
                };
                s += &format!(
                    "\t{label}: {}\n",
                    on(send, "Send async event", "Do not send async event")
                );
            }
        }
        0x0c => {
            s += &format!(
                "\tAutonomous Power State Transition Enable (APSTE): {}\n",
                enabled(v & 1 != 0)
            );
        }
        0x0d => {
            s += &format!("\tEnable Host Memory (EHM): {}\n", enabled(v & 1 != 0));
            s += &format!(
                "\tHost Memory Non-operational Access Restriction Enable (HMNARE): {}\n",
                tf(v & 4 != 0)
            );
            s += &format!(
                "\tHost Memory Non-operational Access Restricted (HMNAR): {}\n",
                tf(v & 8 != 0)
            );
        }
        0x0f => {
            s += &format!("\tKeep Alive Timeout (KATO) in milliseconds: {v}\n");
        }
        0x10 => {
            let (t1, t2) = (v >> 16, v & 0xffff);
            s += &format!(
                "\tThermal Management Temperature 1 (TMT1) : {t1} K ({})\n",
                degrees(t1)
            );
            s += &format!(
                "\tThermal Management Temperature 2 (TMT2) : {t2} K ({})\n",
                degrees(t2)
            );
        }
        0x11 => {
            s += &format!(
                "\tNon-Operational Power State Permissive Mode Enable (NOPPME): {}\n",
                tf(v & 1 != 0)
            );
        }
        0x12 => {
            s += &format!("\tRead Recovery Level (RRL): {}\n", v & 0xf);
        }
        0x17 => {
            s += &format!("\tNo-Deallocate Response Mode (NODRM) : {}\n", v & 1);
        }
        0x18 => {
            s += &format!("\tEndurance Group Identifier (ENDGID): {}\n", v & 0xffff);
            s += &format!(
                "\tEndurance Group Critical Warnings  : {}\n",
                (v >> 16) & 0xff
            );
        }
        0x19 => {
            s += &format!("\tI/O Command Set Profile: {}\n", tf(v & 1 != 0));
        }
        0x1a => {
            s += &format!("\tSpinup control feature Enabled: {}\n", tf(v & 1 != 0));
        }
        0x16 => {
            let b = buf?;
            let bit = |i: usize| b.get(i).copied().unwrap_or(0);
            s += &format!(
                "\tAdvanced Command Retry Enable (ACRE): {}\n",
                tf(bit(0) != 0)
            );
            s += &format!(
                "\tExtended Telemetry Data Area 4 Supported (ETDAS): {}\n",
                tf(bit(1) != 0)
            );
            s += &format!(
                "\tLBA Format Extension Enable (LBAFEE): {}\n",
                tf(bit(2) != 0)
            );
            s += &format!(
                "\tHost Dispersed Namespace Support (HDISNS) : {}\n",
                enabled(bit(3) != 0)
            );
            let cdfe = u16::from_le_bytes([bit(4), bit(5)]);
            for f in 2..=4 {
                s += &format!(
                    "\tCopy Descriptor Format {f}h Enabled (CDF{f}E) : {}\n",
                    tf(cdfe & (1 << f) != 0)
                );
            }
        }
        0x81 => {
            let b = buf?;
            let mut id = [0u8; 8];
            let n = b.len().min(8);
            id[..n].copy_from_slice(&b[..n]);
            s += &format!("\tHost Identifier (HOSTID):  {}\n", u64::from_le_bytes(id));
        }
        0x82 => {
            s += &format!(
                "\tMask Reservation Preempted Notification  (RESPRE): {}\n",
                tf(v & 8 != 0)
            );
            s += &format!(
                "\tMask Reservation Released Notification   (RESREL): {}\n",
                tf(v & 4 != 0)
            );
            s += &format!(
                "\tMask Registration Preempted Notification (REGPRE): {}\n",
                tf(v & 2 != 0)
            );
        }
        0x83 => {
            s += &format!("\tPersist Through Power Loss (PTPL): {}\n", tf(v & 1 != 0));
        }
        0x84 => {
            let wp = match v & 7 {
                0 => "No Write Protect",
                1 => "Write Protect",
                2 => "Write Protect Until Power Cycle",
                3 => "Permanent Write Protect",
                _ => "Reserved",
            };
            s += &format!("\tNamespace Write Protect: {wp}\n");
        }
        _ => return None,
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fid: u8, v: u32) -> String {
        show_fields(FeatureId(fid), v, None).unwrap()
    }

    #[test]
    fn dword_features_decode_like_nvme_cli() {
        assert_eq!(
            f(0x07, 0x003f_0003),
            "\tNumber of IO Completion Queues Allocated (NCQA): 64\n\tNumber of IO Submission Queues Allocated (NSQA): 4\n"
        );
        assert_eq!(
            f(0x01, 0x0302_0107),
            "\tHigh Priority Weight   (HPW): 4\n\tMedium Priority Weight (MPW): 3\n\tLow Priority Weight    (LPW): 2\n\tArbitration Burst       (AB): No limit\n"
        );
        assert!(f(0x01, 3).ends_with("(AB): 8\n"));
        assert_eq!(f(0x06, 1), "\tVolatile Write Cache Enable (WCE): Enabled\n");
        let t = f(0x04, 343);
        assert!(
            t.contains("(THSEL): 0 - Over Temperature Threshold\n"),
            "{t}"
        );
        assert!(t.ends_with("(TMPTH): 70 °C (343 K)\n"), "{t}");
        let a = f(0x0b, 0x0000_0201);
        assert!(
            a.contains(
                "\tFirmware Activation Notices                               : Send async event\n"
            ),
            "{a}"
        );
        assert!(
            a.ends_with(
                "\tSMART / Health Critical Warnings                          : Send async event\n"
            ),
            "{a}"
        );
        assert!(a.contains("Telemetry Log Notices                                     : Do not send async event\n"), "{a}");
        assert_eq!(
            f(0x84, 2),
            "\tNamespace Write Protect: Write Protect Until Power Cycle\n"
        );
        assert_eq!(
            f(0x0f, 120000),
            "\tKeep Alive Timeout (KATO) in milliseconds: 120000\n"
        );
        let hb = show_fields(FeatureId(0x16), 0, Some(&[1, 0, 0, 0, 4, 0])).unwrap();
        assert!(
            hb.starts_with("\tAdvanced Command Retry Enable (ACRE): True\n"),
            "{hb}"
        );
        assert!(hb.contains("(CDF2E) : True\n"), "{hb}");
        assert_eq!(
            show_fields(FeatureId(0x16), 0, None),
            None,
            "needs its data"
        );
        assert_eq!(show_fields(FeatureId(0xc0), 0, None), None);
    }
}
