//! Differential check: our Identify data against nvme-cli's JSON
//! (`nvme id-ctrl DEV -o json`, `nvme id-ns DEV -o json`, nvme-cli 2.3).
//! Every field nvme-cli reports that the table below knows is compared;
//! a core set must be present.

use std::process::Command;

use nvmeq_core::{IdentifyController, IdentifyNamespace};
use serde_json::Value;

use crate::registry::HwBackend;
use crate::runner::TestResult;
use crate::suite::Ctx;

/// One of our parsed fields, as nvme-cli would print it.
#[derive(Debug, Clone, PartialEq)]
enum Ours {
    /// An integer (nvme-cli prints the raw value, zero-based fields included).
    Int(u128),
    /// An ASCII string padded with spaces or NULs.
    Str(Vec<u8>),
    /// Bytes printed as a hex string (NGUID, EUI-64).
    Hex(Vec<u8>),
}

use Ours::{Hex, Int, Str};

/// (nvme-cli key, our value, whether nvme-cli 2.3 must report it).
type Field = (&'static str, Ours, bool);

/// Our Identify Controller, field by field, under nvme-cli's JSON keys.
fn id_ctrl_fields(c: &IdentifyController) -> Vec<Field> {
    let i = |v: u64| Int(v as u128);
    vec![
        ("vid", i(c.vid.into()), true),
        ("ssvid", i(c.ssvid.into()), true),
        ("sn", Str(c.sn.to_vec()), true),
        ("mn", Str(c.mn.to_vec()), true),
        ("fr", Str(c.fr.to_vec()), true),
        ("rab", i(c.rab.into()), true),
        ("ieee", i(c.ieee_oui().into()), true),
        ("cmic", i(c.cmic.into()), true),
        ("mdts", i(c.mdts.into()), true),
        ("cntlid", i(c.cntlid.into()), true),
        ("ver", i(c.ver.into_bits().into()), true),
        ("rtd3r", i(c.rtd3r.into()), false),
        ("rtd3e", i(c.rtd3e.into()), false),
        ("oaes", i(c.oaes.into()), false),
        ("ctratt", i(c.ctratt.into()), false),
        ("rrls", i(c.rrls.into()), false),
        ("cntrltype", i(c.cntrltype.into()), false),
        ("crdt1", i(c.crdt1.into()), false),
        ("crdt2", i(c.crdt2.into()), false),
        ("crdt3", i(c.crdt3.into()), false),
        ("nvmsr", i(c.nvmsr.into()), false),
        ("vwci", i(c.vwci.into()), false),
        ("mec", i(c.mec.into()), false),
        ("oacs", i(c.oacs.into()), true),
        ("acl", i(c.acl_z.into()), true),
        ("aerl", i(c.aerl_z.into()), true),
        ("frmw", i(c.frmw.into()), true),
        ("lpa", i(c.lpa.into()), true),
        ("elpe", i(c.elpe_z.into()), true),
        ("npss", i(c.npss_z.into()), true),
        ("avscc", i(c.avscc.into()), false),
        ("apsta", i(c.apsta.into()), false),
        ("wctemp", i(c.wctemp.into()), false),
        ("cctemp", i(c.cctemp.into()), false),
        ("mtfa", i(c.mtfa.into()), false),
        ("hmpre", i(c.hmpre.into()), false),
        ("hmmin", i(c.hmmin.into()), false),
        ("tnvmcap", Int(c.tnvmcap.get()), false),
        ("unvmcap", Int(c.unvmcap.get()), false),
        ("rpmbs", i(c.rpmbs.into()), false),
        ("edstt", i(c.edstt.into()), false),
        ("dsto", i(c.dsto.into()), false),
        ("fwug", i(c.fwug.into()), false),
        ("kas", i(c.kas.into()), false),
        ("hctma", i(c.hctma.into()), false),
        ("mntmt", i(c.mntmt.into()), false),
        ("mxtmt", i(c.mxtmt.into()), false),
        ("sanicap", i(c.sanicap.into()), false),
        ("hmminds", i(c.hmminds.into()), false),
        ("hmmaxd", i(c.hmmaxd.into()), false),
        ("nsetidmax", i(c.nsetidmax.into()), false),
        ("endgidmax", i(c.endgidmax.into()), false),
        ("anatt", i(c.anatt.into()), false),
        ("anacap", i(c.anacap.into()), false),
        ("anagrpmax", i(c.anagrpmax.into()), false),
        ("nanagrpid", i(c.nanagrpid.into()), false),
        ("pels", i(c.pels.into()), false),
        ("domainid", i(c.domainid.into()), false),
        ("megcap", Int(c.megcap.get()), false),
        ("sqes", i(c.sqes.into()), true),
        ("cqes", i(c.cqes.into()), true),
        ("maxcmd", i(c.maxcmd.into()), true),
        ("nn", i(c.nn.into()), true),
        ("oncs", i(c.oncs.into()), true),
        ("fuses", i(c.fuses.into()), true),
        ("fna", i(c.fna.into()), true),
        ("vwc", i(c.vwc.into()), true),
        ("awun", i(c.awun_z.into()), true),
        ("awupf", i(c.awupf_z.into()), true),
        ("icsvscc", i(c.icsvscc.into()), false),
        ("nwpc", i(c.nwpc.into()), false),
        ("acwu", i(c.acwu_z.into()), false),
        ("ocfs", i(c.ocfs.into()), false),
        ("sgls", i(c.sgls.into()), true),
        ("mnan", i(c.mnan.into()), false),
        ("maxdna", Int(c.maxdna.get()), false),
        ("maxcna", i(c.maxcna.into()), false),
        ("subnqn", Str(c.subnqn.to_vec()), true),
        ("ioccsz", i(c.ioccsz.into()), false),
        ("iorcsz", i(c.iorcsz.into()), false),
        ("icdoff", i(c.icdoff.into()), false),
        ("fcatt", i(c.fcatt.into()), false),
        ("msdbd", i(c.msdbd.into()), false),
        ("ofcs", i(c.ofcs.into()), false),
    ]
}

/// Our Identify Namespace, field by field, under nvme-cli's JSON keys.
fn id_ns_fields(n: &IdentifyNamespace) -> Vec<Field> {
    let i = |v: u64| Int(v as u128);
    vec![
        ("nsze", i(n.nsze), true),
        ("ncap", i(n.ncap), true),
        ("nuse", i(n.nuse), true),
        ("nsfeat", i(n.nsfeat.into()), true),
        ("nlbaf", i(n.nlbaf_z.into()), true),
        ("flbas", i(n.flbas.into()), true),
        ("mc", i(n.mc.into()), true),
        ("dpc", i(n.dpc.into()), true),
        ("dps", i(n.dps.into()), true),
        ("nmic", i(n.nmic.into()), true),
        ("rescap", i(n.rescap.into()), true),
        ("fpi", i(n.fpi.into()), true),
        ("dlfeat", i(n.dlfeat.into()), true),
        ("nawun", i(n.nawun_z.into()), false),
        ("nawupf", i(n.nawupf_z.into()), false),
        ("nacwu", i(n.nacwu_z.into()), false),
        ("nabsn", i(n.nabsn_z.into()), false),
        ("nabo", i(n.nabo.into()), false),
        ("nabspf", i(n.nabspf_z.into()), false),
        ("noiob", i(n.noiob.into()), false),
        ("nvmcap", Int(n.nvmcap.get()), false),
        ("npwg", i(n.npwg_z.into()), false),
        ("npwa", i(n.npwa_z.into()), false),
        ("npdg", i(n.npdg_z.into()), false),
        ("npda", i(n.npda_z.into()), false),
        ("nows", i(n.nows_z.into()), false),
        ("mssrl", i(n.mssrl.into()), false),
        ("mcl", i(n.mcl.into()), false),
        ("msrc", i(n.msrc_z.into()), false),
        ("nulbaf", i(n.nulbaf.into()), false),
        ("anagrpid", i(n.anagrpid.into()), false),
        ("nsattr", i(n.nsattr.into()), false),
        ("nvmsetid", i(n.nvmsetid.into()), false),
        ("endgid", i(n.endgid.into()), false),
        ("nguid", Hex(n.nguid.to_vec()), false),
        ("eui64", Hex(n.eui64.to_vec()), false),
    ]
}

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
fn check(json: &Value, (key, ours, _): &Field, at: &str) -> Result<bool, String> {
    let Some(v) = json.get(key) else {
        return Ok(false);
    };
    let trim = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .trim_end_matches([' ', '\0'])
            .to_string()
    };
    let (ok, shown) = match ours {
        Int(o) => {
            let ok = match parse_int(v) {
                // A double keeps 53 bits: compare 128-bit values to its precision.
                Some(theirs) if v.is_f64() => o.abs_diff(theirs) <= o >> 50,
                Some(theirs) => *o == theirs,
                None => false,
            };
            (ok, o.to_string())
        }
        Str(b) => {
            let o = trim(b);
            (
                v.as_str().map(|s| trim(s.as_bytes())) == Some(o.clone()),
                format!("{o:?}"),
            )
        }
        Hex(b) => {
            let o: String = b.iter().map(|x| format!("{x:02x}")).collect();
            let theirs = v.as_str().map(|s| {
                s.to_ascii_lowercase()
                    .replace(['-', ':', ' '], "")
                    .trim_start_matches("0x")
                    .to_string()
            });
            (theirs.as_deref() == Some(o.as_str()), o)
        }
    };
    if ok {
        Ok(true)
    } else {
        Err(format!("{at}{key}: ours {shown} vs nvme-cli {v}"))
    }
}

fn compare(json: &Value, fields: &[Field], at: &str) -> (usize, Vec<String>) {
    let mut errs = Vec::new();
    let mut n = 0;
    for f in fields {
        match check(json, f, at) {
            Ok(true) => n += 1,
            Ok(false) if f.2 => errs.push(format!("{at}{}: not in nvme-cli's output", f.0)),
            Ok(false) => {}
            Err(e) => errs.push(e),
        }
    }
    (n, errs)
}

fn verdict(n: usize, errs: Vec<String>, what: String) -> TestResult {
    if errs.is_empty() {
        Ok(format!("{n} fields equal{what}"))
    } else {
        Err(format!(
            "{} of {} fields differ: {}",
            errs.len(),
            n + errs.len(),
            errs.join("; ")
        ))
    }
}

/// `nvme id-ctrl CTRL -o json` against our Identify Controller.
pub fn id_ctrl<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let dev =
        c.t.ctrl
            .clone()
            .ok_or("no controller path to give nvme-cli")?;
    let json = nvme_json(&["id-ctrl", &dev.to_string_lossy()])?;
    let (n, errs) = compare(&json, &id_ctrl_fields(&c.id_ctrl), "");
    verdict(n, errs, String::new())
}

/// `nvme id-ns NS -o json` against our Identify Namespace, LBA formats included.
pub fn id_ns<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let json = nvme_json(&["id-ns", &c.t.ns.to_string_lossy()])?;
    let (mut n, mut errs) = compare(&json, &id_ns_fields(&c.id_ns), "");
    let formats = c.id_ns.lba_formats();
    match json.get("lbafs").and_then(Value::as_array) {
        None => errs.push("lbafs: not in nvme-cli's output".into()),
        Some(l) => {
            if l.len() != formats.len() {
                errs.push(format!(
                    "lbafs: nvme-cli lists {} formats, NLBAF says {}",
                    l.len(),
                    formats.len()
                ));
            }
            for (i, (theirs, ours)) in l.iter().zip(formats).enumerate() {
                let fields = [
                    ("ms", Int(ours.ms().into()), true),
                    ("ds", Int(ours.lbads().into()), true),
                    ("rp", Int(ours.rp().into()), true),
                ];
                let (k, e) = compare(theirs, &fields, &format!("lbafs[{i}]."));
                n += k;
                errs.extend(e);
            }
        }
    }
    verdict(n, errs, format!(" ({} LBA formats)", formats.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromZeros;

    fn field<'a>(fields: &'a [Field], key: &str) -> &'a Field {
        fields.iter().find(|f| f.0 == key).unwrap()
    }

    #[test]
    fn compares_ints_strings_and_hex() {
        let mut id = IdentifyController::new_zeroed();
        id.vid = 0x1b36;
        id.sn[..6].copy_from_slice(b"nvmeqA");
        id.sn[6..].fill(b' ');
        id.ieee = [0x00, 0x54, 0x52];
        let json: Value = serde_json::from_str(
            r#"{"vid": 6966, "sn": "nvmeqA              ", "ieee": 5395456, "tnvmcap": 0.0}"#,
        )
        .unwrap();
        let f = id_ctrl_fields(&id);
        for key in ["vid", "sn", "ieee", "tnvmcap"] {
            assert_eq!(check(&json, field(&f, key), ""), Ok(true), "{key}");
        }
        assert_eq!(check(&json, field(&f, "ssvid"), ""), Ok(false), "absent");
        let (n, errs) = compare(&json, &f, "");
        assert_eq!(n, 4);
        assert!(
            errs.iter().any(|e| e == "mn: not in nvme-cli's output"),
            "{errs:?}"
        );
        id.vid = 0x1b37;
        let e = check(&json, field(&id_ctrl_fields(&id), "vid"), "").unwrap_err();
        assert!(e.contains("vid: ours 6967 vs nvme-cli 6966"), "{e}");

        let mut ns = IdentifyNamespace::new_zeroed();
        ns.eui64 = [0x52, 0x54, 0, 0, 0, 0, 0, 1];
        let j: Value = serde_json::from_str(r#"{"eui64": "5254000000000001"}"#).unwrap();
        assert_eq!(check(&j, field(&id_ns_fields(&ns), "eui64"), ""), Ok(true));
    }
}
