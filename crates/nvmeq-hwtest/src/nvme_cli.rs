//! Differential check: our Identify data against nvme-cli's JSON
//! (`nvme id-ctrl DEV -o json`, `nvme id-ns DEV -o json`, nvme-cli 2.3).
//! Every field nvme-cli reports that the table below knows is compared;
//! a core set must be present.

use std::process::Command;

use serde_json::Value;

use crate::registry::HwBackend;
use crate::runner::TestResult;
use crate::suite::{le, Ctx};

/// How nvme-cli prints a field.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// A little-endian integer of `len` bytes.
    Int,
    /// An ASCII string padded with spaces.
    Str,
    /// Bytes as a hex string (NGUID, EUI-64).
    Hex,
}

/// (nvme-cli key, byte offset, length, kind, required).
type Field = (&'static str, usize, usize, Kind, bool);

use Kind::{Hex, Int, Str};

/// Identify Controller (Base spec "Identify Controller Data Structure") by nvme-cli's keys.
const ID_CTRL: &[Field] = &[
    ("vid", 0, 2, Int, true),
    ("ssvid", 2, 2, Int, true),
    ("sn", 4, 20, Str, true),
    ("mn", 24, 40, Str, true),
    ("fr", 64, 8, Str, true),
    ("rab", 72, 1, Int, true),
    ("ieee", 73, 3, Int, true),
    ("cmic", 76, 1, Int, true),
    ("mdts", 77, 1, Int, true),
    ("cntlid", 78, 2, Int, true),
    ("ver", 80, 4, Int, true),
    ("rtd3r", 84, 4, Int, false),
    ("rtd3e", 88, 4, Int, false),
    ("oaes", 92, 4, Int, false),
    ("ctratt", 96, 4, Int, false),
    ("rrls", 100, 2, Int, false),
    ("cntrltype", 111, 1, Int, false),
    ("crdt1", 128, 2, Int, false),
    ("crdt2", 130, 2, Int, false),
    ("crdt3", 132, 2, Int, false),
    ("nvmsr", 253, 1, Int, false),
    ("vwci", 254, 1, Int, false),
    ("mec", 255, 1, Int, false),
    ("oacs", 256, 2, Int, true),
    ("acl", 258, 1, Int, true),
    ("aerl", 259, 1, Int, true),
    ("frmw", 260, 1, Int, true),
    ("lpa", 261, 1, Int, true),
    ("elpe", 262, 1, Int, true),
    ("npss", 263, 1, Int, true),
    ("avscc", 264, 1, Int, false),
    ("apsta", 265, 1, Int, false),
    ("wctemp", 266, 2, Int, false),
    ("cctemp", 268, 2, Int, false),
    ("mtfa", 270, 2, Int, false),
    ("hmpre", 272, 4, Int, false),
    ("hmmin", 276, 4, Int, false),
    ("tnvmcap", 280, 16, Int, false),
    ("unvmcap", 296, 16, Int, false),
    ("rpmbs", 312, 4, Int, false),
    ("edstt", 316, 2, Int, false),
    ("dsto", 318, 1, Int, false),
    ("fwug", 319, 1, Int, false),
    ("kas", 320, 2, Int, false),
    ("hctma", 322, 2, Int, false),
    ("mntmt", 324, 2, Int, false),
    ("mxtmt", 326, 2, Int, false),
    ("sanicap", 328, 4, Int, false),
    ("hmminds", 332, 4, Int, false),
    ("hmmaxd", 336, 2, Int, false),
    ("nsetidmax", 338, 2, Int, false),
    ("endgidmax", 340, 2, Int, false),
    ("anatt", 342, 1, Int, false),
    ("anacap", 343, 1, Int, false),
    ("anagrpmax", 344, 4, Int, false),
    ("nanagrpid", 348, 4, Int, false),
    ("pels", 352, 4, Int, false),
    ("domainid", 356, 2, Int, false),
    ("megcap", 368, 16, Int, false),
    ("sqes", 512, 1, Int, true),
    ("cqes", 513, 1, Int, true),
    ("maxcmd", 514, 2, Int, true),
    ("nn", 516, 4, Int, true),
    ("oncs", 520, 2, Int, true),
    ("fuses", 522, 2, Int, true),
    ("fna", 524, 1, Int, true),
    ("vwc", 525, 1, Int, true),
    ("awun", 526, 2, Int, true),
    ("awupf", 528, 2, Int, true),
    ("icsvscc", 530, 1, Int, false),
    ("nwpc", 531, 1, Int, false),
    ("acwu", 532, 2, Int, false),
    ("ocfs", 534, 2, Int, false),
    ("sgls", 536, 4, Int, true),
    ("mnan", 540, 4, Int, false),
    ("maxdna", 544, 16, Int, false),
    ("maxcna", 560, 4, Int, false),
    ("subnqn", 768, 256, Str, true),
    ("ioccsz", 1792, 4, Int, false),
    ("iorcsz", 1796, 4, Int, false),
    ("icdoff", 1800, 2, Int, false),
    ("fcatt", 1802, 1, Int, false),
    ("msdbd", 1803, 1, Int, false),
    ("ofcs", 1804, 2, Int, false),
];

/// Identify Namespace (NVM Command Set spec "Identify Namespace Data Structure") by nvme-cli's keys.
const ID_NS: &[Field] = &[
    ("nsze", 0, 8, Int, true),
    ("ncap", 8, 8, Int, true),
    ("nuse", 16, 8, Int, true),
    ("nsfeat", 24, 1, Int, true),
    ("nlbaf", 25, 1, Int, true),
    ("flbas", 26, 1, Int, true),
    ("mc", 27, 1, Int, true),
    ("dpc", 28, 1, Int, true),
    ("dps", 29, 1, Int, true),
    ("nmic", 30, 1, Int, true),
    ("rescap", 31, 1, Int, true),
    ("fpi", 32, 1, Int, true),
    ("dlfeat", 33, 1, Int, true),
    ("nawun", 34, 2, Int, false),
    ("nawupf", 36, 2, Int, false),
    ("nacwu", 38, 2, Int, false),
    ("nabsn", 40, 2, Int, false),
    ("nabo", 42, 2, Int, false),
    ("nabspf", 44, 2, Int, false),
    ("noiob", 46, 2, Int, false),
    ("nvmcap", 48, 16, Int, false),
    ("npwg", 64, 2, Int, false),
    ("npwa", 66, 2, Int, false),
    ("npdg", 68, 2, Int, false),
    ("npda", 70, 2, Int, false),
    ("nows", 72, 2, Int, false),
    ("mssrl", 74, 2, Int, false),
    ("mcl", 76, 4, Int, false),
    ("msrc", 80, 1, Int, false),
    ("nulbaf", 81, 1, Int, false),
    ("anagrpid", 92, 4, Int, false),
    ("nsattr", 99, 1, Int, false),
    ("nvmsetid", 100, 2, Int, false),
    ("endgid", 102, 2, Int, false),
    ("nguid", 104, 16, Hex, false),
    ("eui64", 120, 8, Hex, false),
];

fn nvme_json(args: &[&str]) -> Result<Value, String> {
    let out = Command::new("nvme")
        .args(args)
        .args(["-o", "json"])
        .output()
        .map_err(|e| {
            format!(
                "cannot run `nvme {}`: {e} (nvme-cli must be in PATH)",
                args.join(" ")
            )
        })?;
    if !out.status.success() {
        return Err(format!(
            "`nvme {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("`nvme {}` printed no JSON: {e}", args.join(" ")))
}

fn parse_int(v: &Value) -> Option<u128> {
    if let Some(n) = v.as_u64() {
        return Some(n as u128);
    }
    if let Some(s) = v.as_str() {
        let s = s.trim();
        return match s.strip_prefix("0x") {
            Some(h) => u128::from_str_radix(h, 16).ok(),
            None => s.parse().ok(),
        };
    }
    // 128-bit values nvme-cli prints as a (long) double.
    v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u128)
}

/// Compares one field; `Ok(false)` when nvme-cli does not report it.
fn check(
    json: &Value,
    data: &[u8],
    (key, off, len, kind, _): &Field,
    at: &str,
) -> Result<bool, String> {
    let Some(v) = json.get(key) else {
        return Ok(false);
    };
    let bytes = &data[*off..*off + *len];
    let ok = match kind {
        Int => {
            let ours = le(data, *off, *len);
            match parse_int(v) {
                // A double keeps 53 bits: compare 128-bit values to its precision.
                Some(theirs) if v.is_f64() => ours.abs_diff(theirs) <= ours >> 50,
                Some(theirs) => ours == theirs,
                None => false,
            }
        }
        Str => {
            let ours = String::from_utf8_lossy(bytes);
            v.as_str().map(|s| s.trim_end_matches([' ', '\0']))
                == Some(ours.trim_end_matches([' ', '\0']))
        }
        Hex => {
            let ours: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            v.as_str().map(|s| {
                s.to_ascii_lowercase()
                    .replace(['-', ':', ' '], "")
                    .trim_start_matches("0x")
                    .to_string()
            }) == Some(ours)
        }
    };
    if ok {
        Ok(true)
    } else {
        Err(format!(
            "{at}{key}: ours {} vs nvme-cli {v}",
            show(bytes, *kind, data, *off, *len)
        ))
    }
}

fn show(bytes: &[u8], kind: Kind, data: &[u8], off: usize, len: usize) -> String {
    match kind {
        Int => le(data, off, len).to_string(),
        Str => format!("{:?}", String::from_utf8_lossy(bytes).trim_end()),
        Hex => bytes.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

fn compare(
    json: &Value,
    data: &[u8],
    table: &[Field],
    at: &str,
) -> Result<(usize, Vec<String>), String> {
    let mut errs = Vec::new();
    let mut n = 0;
    for f in table {
        match check(json, data, f, at) {
            Ok(true) => n += 1,
            Ok(false) if f.4 => errs.push(format!("{at}{}: not in nvme-cli's output", f.0)),
            Ok(false) => {}
            Err(e) => errs.push(e),
        }
    }
    Ok((n, errs))
}

/// `nvme id-ctrl CTRL -o json` against our Identify Controller.
pub fn id_ctrl<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let dev =
        c.t.ctrl
            .clone()
            .ok_or("no controller path to give nvme-cli")?;
    let json = nvme_json(&["id-ctrl", &dev.to_string_lossy()])?;
    let (n, errs) = compare(&json, &c.id_ctrl[..], ID_CTRL, "")?;
    if errs.is_empty() {
        Ok(format!("{n} fields equal"))
    } else {
        Err(format!(
            "{} of {} fields differ: {}",
            errs.len(),
            n + errs.len(),
            errs.join("; ")
        ))
    }
}

/// `nvme id-ns NS -o json` against our Identify Namespace, LBA formats included.
pub fn id_ns<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let json = nvme_json(&["id-ns", &c.t.ns.to_string_lossy()])?;
    let id = &c.id_ns[..];
    let (mut n, mut errs) = compare(&json, id, ID_NS, "")?;
    let nlbaf = id[25] as usize + 1;
    match json.get("lbafs").and_then(Value::as_array) {
        None => errs.push("lbafs: not in nvme-cli's output".into()),
        Some(l) => {
            if l.len() < nlbaf {
                errs.push(format!(
                    "lbafs: nvme-cli lists {} formats, NLBAF says {nlbaf}",
                    l.len()
                ));
            }
            for (i, f) in l.iter().enumerate().take(nlbaf.max(l.len()).min(64)) {
                let o = 128 + 4 * i;
                // rp is bits 1:0 of the entry's last byte; compare it from a one-byte copy.
                let rp = [id[o + 3] & 3];
                let at = format!("lbafs[{i}].");
                for (key, data, off, len) in [
                    ("ms", id, o, 2),
                    ("ds", id, o + 2, 1),
                    ("rp", &rp[..], 0, 1),
                ] {
                    match check(f, data, &(key, off, len, Int, true), &at) {
                        Ok(true) => n += 1,
                        Ok(false) => errs.push(format!("{at}{key}: not in nvme-cli's output")),
                        Err(e) => errs.push(e),
                    }
                }
            }
        }
    }
    if errs.is_empty() {
        Ok(format!("{n} fields equal ({nlbaf} LBA formats)"))
    } else {
        Err(format!(
            "{} of {} fields differ: {}",
            errs.len(),
            n + errs.len(),
            errs.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_ints_strings_and_hex() {
        let mut id = [0u8; 4096];
        id[0..2].copy_from_slice(&0x1b36u16.to_le_bytes());
        id[4..24].copy_from_slice(b"nvmeqA              ");
        id[73..76].copy_from_slice(&[0x00, 0x54, 0x52]);
        let json: Value = serde_json::from_str(
            r#"{"vid": 6966, "sn": "nvmeqA              ", "ieee": 5395456, "tnvmcap": 0.0}"#,
        )
        .unwrap();
        assert_eq!(check(&json, &id, &ID_CTRL[0], ""), Ok(true));
        assert_eq!(check(&json, &id, &ID_CTRL[2], ""), Ok(true));
        assert_eq!(check(&json, &id, &ID_CTRL[6], ""), Ok(true));
        let tnvmcap = ID_CTRL.iter().find(|f| f.0 == "tnvmcap").unwrap();
        assert_eq!(check(&json, &id, tnvmcap, ""), Ok(true));
        assert_eq!(
            check(&json, &id, &ID_CTRL[1], ""),
            Ok(false),
            "ssvid absent"
        );
        id[0] = 0x37;
        let e = check(&json, &id, &ID_CTRL[0], "").unwrap_err();
        assert!(e.contains("vid: ours 6967 vs nvme-cli 6966"), "{e}");
        let mut ns = [0u8; 4096];
        ns[120..128].copy_from_slice(&[0x52, 0x54, 0, 0, 0, 0, 0, 1]);
        let eui = ID_NS.iter().find(|f| f.0 == "eui64").unwrap();
        let j: Value = serde_json::from_str(r#"{"eui64": "5254000000000001"}"#).unwrap();
        assert_eq!(check(&j, &ns, eui, ""), Ok(true));
    }
}
