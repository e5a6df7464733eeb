//! Reservations: `resv-report`, `resv-register`, `resv-acquire`,
//! `resv-release`, with nvme-cli 2.13's option letters, text and JSON keys
//! (`json_nvme_resv_report`). The three that change a namespace's
//! reservation state need `--namespace-id`, as writes do.

use clap::Args;
use nvmeq_core::cmd::{
    AcquireAction, Cptpl, Numd, RegisterAction, ReleaseAction, ReservationAcquire,
    ReservationRegister, ReservationRelease, ReservationReport, ReservationType, ReservedValue,
};
use nvmeq_core::resv::{registrants, registrants_ext, ReservationStatusHeader};
use nvmeq_core::Data;
use serde::Serialize;
use zerocopy::FromBytes;

use super::identify::id_ctrl_of;
use super::{require_nsid, Ctx, DevArg, Done};
use crate::error::{CliError, Result};
use crate::num;
use crate::output::{self, hex, Format};

/// `resv-report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default: the device's, else 1).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Dwords to transfer, zero-based (0 or 1023 and above: 4096 bytes; at least 4 dwords).
    #[arg(short = 'd', long = "numd", value_parser = num::u32, default_value = "0")]
    pub numd: u32,
    /// The extended structure (128-bit host identifiers); on anyway when
    /// the controller's CTRATT says it uses 128-bit host identifiers.
    #[arg(short = 'e', long = "eds")]
    pub eds: bool,
    /// Write the raw structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `resv-register`.
#[derive(Debug, Args)]
pub struct RegisterArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: the command changes the namespace's registrants).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Current reservation key (CRKEY).
    #[arg(short = 'c', long = "crkey", value_parser = num::suffixed, default_value = "0")]
    pub crkey: u64,
    /// New reservation key (NRKEY).
    #[arg(short = 'k', long = "nrkey", value_parser = num::suffixed, default_value = "0")]
    pub nrkey: u64,
    /// Registration action (RREGA): 0 register, 1 unregister, 2 replace.
    #[arg(short = 'r', long = "rrega", value_parser = rrega, default_value = "0")]
    pub rrega: RegisterAction,
    /// Change Persist Through Power Loss (CPTPL): 0 no change, 2 clear on power on, 3 persist.
    #[arg(short = 'p', long = "cptpl", value_parser = cptpl, default_value = "0")]
    pub cptpl: Cptpl,
    /// Ignore Existing Key (IEKEY).
    #[arg(short = 'i', long = "iekey")]
    pub iekey: bool,
}

/// `resv-acquire`.
#[derive(Debug, Args)]
pub struct AcquireArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: the command changes the namespace's reservation).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Current reservation key (CRKEY).
    #[arg(short = 'c', long = "crkey", value_parser = num::suffixed, default_value = "0")]
    pub crkey: u64,
    /// Preempt reservation key (PRKEY).
    #[arg(short = 'p', long = "prkey", value_parser = num::suffixed, default_value = "0")]
    pub prkey: u64,
    /// Reservation type (RTYPE), 1..6: 1 Write Exclusive, 2 Exclusive Access,
    /// 3/4 … Registrants Only, 5/6 … All Registrants.
    #[arg(short = 't', long = "rtype", value_parser = rtype)]
    pub rtype: ReservationType,
    /// Acquire action (RACQA): 0 acquire, 1 preempt, 2 preempt and abort.
    #[arg(short = 'a', long = "racqa", value_parser = racqa, default_value = "0")]
    pub racqa: AcquireAction,
    /// Ignore Existing Key (IEKEY).
    #[arg(short = 'i', long = "iekey")]
    pub iekey: bool,
}

/// `resv-release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: the command changes the namespace's reservation).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Current reservation key (CRKEY).
    #[arg(short = 'c', long = "crkey", value_parser = num::suffixed, default_value = "0")]
    pub crkey: u64,
    /// Reservation type (RTYPE) held, 1..6; needed to release, not to clear.
    #[arg(short = 't', long = "rtype", value_parser = rtype)]
    pub rtype: Option<ReservationType>,
    /// Release action (RRELA): 0 release, 1 clear (every registrant too).
    #[arg(short = 'a', long = "rrela", value_parser = rrela, default_value = "0")]
    pub rrela: ReleaseAction,
    /// Ignore Existing Key (IEKEY).
    #[arg(short = 'i', long = "iekey")]
    pub iekey: bool,
}

/// A field enum from a number, its reserved values refused by name (core's
/// `TryFrom<u8>`).
fn field<T: TryFrom<u8, Error = ReservedValue>>(s: &str) -> Result<T, String> {
    T::try_from(num::u8(s)?).map_err(|e| e.to_string())
}

fn rrega(s: &str) -> Result<RegisterAction, String> {
    field(s)
}

fn cptpl(s: &str) -> Result<Cptpl, String> {
    field(s)
}

fn rtype(s: &str) -> Result<ReservationType, String> {
    field(s)
}

fn racqa(s: &str) -> Result<AcquireAction, String> {
    field(s)
}

fn rrela(s: &str) -> Result<ReleaseAction, String> {
    field(s)
}

/// Two keys, as the Register and Acquire data structures lay them out.
fn two_keys(a: u64, b: u64) -> [u8; 16] {
    let mut d = [0u8; 16];
    d[..8].copy_from_slice(&a.to_le_bytes());
    d[8..].copy_from_slice(&b.to_le_bytes());
    d
}

/// Success: nvme-cli's line on stdout in normal mode, a [`Done`] in JSON.
fn success(ctx: &Ctx, op: &str, line: &str, nsid: u32, result: u64) -> Result<()> {
    match ctx.fmt {
        Format::Normal => output::text(&format!("{line}\n")),
        Format::Json => output::json(&Done {
            command: op.into(),
            nsid: Some(nsid),
            status: "Successful Completion".into(),
            result,
        }),
        Format::Binary => Ok(()),
    }
}

/// `nvmeq resv-register`.
pub fn register(ctx: &Ctx, a: &RegisterArgs) -> Result<()> {
    let nsid = require_nsid("resv-register", a.nsid)?;
    let mut dev = ctx.open(&a.dev)?;
    let cmd = ReservationRegister::new(nsid, a.rrega)
        .iekey(a.iekey)
        .cptpl(a.cptpl)
        .build();
    let c = dev.exec(
        "Reservation Register",
        &cmd,
        Data::ToDevice(&two_keys(a.crkey, a.nrkey)),
    )?;
    // nvme-cli 2.13 prints this line with two spaces.
    success(
        ctx,
        "resv-register",
        "NVME Reservation  success",
        nsid,
        c.result(),
    )
}

/// `nvmeq resv-acquire`.
pub fn acquire(ctx: &Ctx, a: &AcquireArgs) -> Result<()> {
    let nsid = require_nsid("resv-acquire", a.nsid)?;
    let mut dev = ctx.open(&a.dev)?;
    let cmd = ReservationAcquire::new(nsid, a.racqa, a.rtype)
        .iekey(a.iekey)
        .build();
    let c = dev.exec(
        "Reservation Acquire",
        &cmd,
        Data::ToDevice(&two_keys(a.crkey, a.prkey)),
    )?;
    success(
        ctx,
        "resv-acquire",
        "NVME Reservation Acquire success",
        nsid,
        c.result(),
    )
}

/// `nvmeq resv-release`.
pub fn release(ctx: &Ctx, a: &ReleaseArgs) -> Result<()> {
    let nsid = require_nsid("resv-release", a.nsid)?;
    let cmd = match (a.rrela, a.rtype) {
        (ReleaseAction::Clear, None) => ReservationRelease::clear(nsid),
        (action, Some(t)) => ReservationRelease::new(nsid, action, t),
        (ReleaseAction::Release, None) => {
            return Err(crate::error::usage(
                "resv-release: name the reservation type held with --rtype/-t (1..6); \
                 only a clear (--rrela 1) needs none",
            ))
        }
    };
    let mut dev = ctx.open(&a.dev)?;
    let c = dev.exec(
        "Reservation Release",
        &cmd.iekey(a.iekey).build(),
        Data::ToDevice(&a.crkey.to_le_bytes()),
    )?;
    success(
        ctx,
        "resv-release",
        "NVME Reservation Release success",
        nsid,
        c.result(),
    )
}

/// One registrant in `regctls` (64-bit host identifier).
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct RegctlJson {
    cntlid: u16,
    rcsts: u8,
    hostid: u64,
    rkey: u64,
}

/// One registrant in `regctlext` (128-bit host identifier, as hex).
#[derive(Debug, Serialize, schemars::JsonSchema)]
struct RegctlExtJson {
    cntlid: u16,
    rcsts: u8,
    rkey: u64,
    hostid: String,
}

/// `resv-report -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ReportJson {
    gen: u32,
    rtype: u8,
    regctl: u16,
    ptpls: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    regctls: Option<Vec<RegctlJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    regctlext: Option<Vec<RegctlExtJson>>,
}

fn report_json(h: &ReservationStatusHeader, raw: &[u8], eds: bool) -> ReportJson {
    let (regctls, regctlext) = if eds {
        let list = registrants_ext(raw)
            .map(|r| RegctlExtJson {
                cntlid: r.cntlid.get(),
                rcsts: r.rcsts,
                rkey: r.rkey.get(),
                hostid: hex(&r.hostid),
            })
            .collect();
        (None, Some(list))
    } else {
        let list = registrants(raw)
            .map(|r| RegctlJson {
                cntlid: r.cntlid.get(),
                rcsts: r.rcsts,
                hostid: r.hostid.get(),
                rkey: r.rkey.get(),
            })
            .collect();
        (Some(list), None)
    };
    ReportJson {
        gen: h.gen.get(),
        rtype: h.rtype,
        regctl: h.regctl.get(),
        ptpls: h.ptpls,
        regctls,
        regctlext,
    }
}

fn report_text(h: &ReservationStatusHeader, raw: &[u8], eds: bool) -> String {
    let mut s = String::from("\nNVME Reservation status:\n\n");
    s.push_str(&format!("gen       : {}\n", h.gen.get()));
    s.push_str(&format!("rtype     : {}\n", h.rtype));
    s.push_str(&format!("regctl    : {}\n", h.regctl.get()));
    s.push_str(&format!("ptpls     : {}\n", h.ptpls));
    if eds {
        for (i, r) in registrants_ext(raw).enumerate() {
            s.push_str(&format!(
                "regctlext[{i}] :\n  cntlid     : {:x}\n  rcsts      : {:x}\n  rkey       : {:x}\n  hostid     : {}\n",
                r.cntlid.get(),
                r.rcsts,
                r.rkey.get(),
                hex(&r.hostid)
            ));
        }
    } else {
        for (i, r) in registrants(raw).enumerate() {
            s.push_str(&format!(
                "regctl[{i}] :\n  cntlid  : {:x}\n  rcsts   : {:x}\n  hostid  : {:x}\n  rkey    : {:x}\n",
                r.cntlid.get(),
                r.rcsts,
                r.hostid.get(),
                r.rkey.get()
            ));
        }
    }
    s.push('\n');
    s
}

/// The transfer nvme-cli asks for: NUMD 0 or beyond one page means one
/// page; fewer than 4 dwords is raised to 4, as there.
fn report_numd(numd_z: u32) -> Numd {
    let z = match numd_z {
        0 | 1023.. => 1023,
        0..3 => 3,
        z => z,
    };
    Numd::from_z(z).unwrap_or(Numd::BYTES_4096)
}

/// `nvmeq resv-report`.
pub fn report(ctx: &Ctx, a: &ReportArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let nsid = a.nsid.unwrap_or_else(|| dev.default_nsid());
    let numd = report_numd(a.numd);
    // A controller with 128-bit host identifiers (CTRATT bit 0) answers
    // only the extended structure, so nvme-cli asks for it there.
    let (ctrl, _) = id_ctrl_of(&mut dev)?;
    let eds = a.eds || ctrl.ctratt & 1 != 0;
    let mut raw = vec![0u8; numd.bytes() as usize];
    dev.exec(
        "Reservation Report",
        &ReservationReport::new(nsid, numd).eds(eds).build(),
        Data::FromDevice(&mut raw),
    )?;
    // A 16-byte report holds GEN..PTPLS but not the whole 24-byte header.
    let mut head = [0u8; 24];
    let n = raw.len().min(head.len());
    head[..n].copy_from_slice(&raw[..n]);
    let h = ReservationStatusHeader::read_from_bytes(&head)
        .map_err(|_| CliError::Device("Reservation Report: short structure".into()))?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || report_text(&h, &raw, eds),
        || report_json(&h, &raw, eds),
        &raw,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(eds: bool) -> Vec<u8> {
        let mut b = vec![0u8; 4096];
        b[0] = 5; // gen
        b[4] = 1; // Write Exclusive
        b[5] = 1; // one registrant
        let e = if eds { 64 } else { 24 };
        b[e] = 0x41; // cntlid
        b[e + 2] = 1; // holds it
        if eds {
            b[e + 8] = 0xcd; // rkey
            b[e + 16] = 0x12; // hostid[0]
        } else {
            b[e + 8] = 0x99; // hostid
            b[e + 16] = 0xcd; // rkey
        }
        b
    }

    #[test]
    fn report_shapes() {
        let raw = status(false);
        let (h, _) = ReservationStatusHeader::read_from_prefix(&raw).unwrap();
        let j = serde_json::to_value(report_json(&h, &raw, false)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"gen": 5, "rtype": 1, "regctl": 1, "ptpls": 0,
                "regctls": [{"cntlid": 0x41, "rcsts": 1, "hostid": 0x99, "rkey": 0xcd}]})
        );
        let e = crate::schema::errors("resv-report", &j);
        assert!(e.is_empty(), "breaks docs/schema/resv-report.json: {e:?}");
        assert_eq!(
            report_text(&h, &raw, false),
            "\nNVME Reservation status:\n\ngen       : 5\nrtype     : 1\nregctl    : 1\n\
             ptpls     : 0\nregctl[0] :\n  cntlid  : 41\n  rcsts   : 1\n  hostid  : 99\n\
             \x20 rkey    : cd\n\n"
        );
        let raw = status(true);
        let j = serde_json::to_value(report_json(&h, &raw, true)).unwrap();
        assert_eq!(
            j["regctlext"][0]["hostid"],
            "12000000000000000000000000000000"
        );
        assert_eq!(j["regctlext"][0]["rkey"], 0xcd);
        assert!(j.get("regctls").is_none());
        let e = crate::schema::errors("resv-report", &j);
        assert!(e.is_empty(), "breaks docs/schema/resv-report.json: {e:?}");
        assert!(report_text(&h, &raw, true).contains("regctlext[0] :\n  cntlid     : 41\n"));
    }

    #[test]
    fn report_sizes_follow_nvme_cli() {
        assert_eq!(report_numd(0).bytes(), 4096);
        assert_eq!(report_numd(1), report_numd(3));
        assert_eq!(report_numd(3).bytes(), 16);
        assert_eq!(report_numd(9).bytes(), 40);
        assert_eq!(report_numd(5000).bytes(), 4096);
    }
}
