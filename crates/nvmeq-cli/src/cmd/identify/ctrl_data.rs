//! Controller data beyond Identify Controller: `nvm-id-ctrl` (CNS 06h,
//! CSI 00h), `primary-ctrl-caps` (CNS 14h), `id-iocs` (CNS 1Ch); text laid
//! out like nvme-cli 2.13's, JSON with its keys.

use clap::Args;
use nvmeq_core::cmd::{Cns, Csi, Identify};
use nvmeq_core::identify::{iocsc, IdentifyControllerNvm, IoCommandSets, PrimaryControllerCaps};

use super::{identify, parse};
use crate::cmd::{Ctx, DevArg};
use crate::error::Result;
use crate::json::Ordered;
use crate::num;
use crate::output::{self, cx};

/// `nvm-id-ctrl`.
#[derive(Debug, Args)]
pub struct NvmIdCtrlArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Decode AOCS.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `primary-ctrl-caps`.
#[derive(Debug, Args)]
pub struct PrimaryCapsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Controller Identifier (CNTID).
    #[arg(short = 'c', long = "cntlid", value_parser = num::u16, default_value = "0")]
    pub cntid: u16,
    /// Decode CRT.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// `id-iocs`.
#[derive(Debug, Args)]
pub struct IdIocsArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Controller Identifier (CNTID).
    #[arg(short = 'c', long = "controller-id", value_parser = num::u16, default_value = "0")]
    pub cntid: u16,
    /// Decode each combination's command sets.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
    /// Write the raw 4096-byte structure to stdout.
    #[arg(short = 'b', long = "raw-binary")]
    pub raw: bool,
}

/// The NVM Identify Controller laid out like `nvme nvm-id-ctrl`.
pub fn nvm_id_ctrl_text(c: &IdentifyControllerNvm, verbose: bool) -> String {
    let mut s = String::from("NVMe Identify Controller NVM:\n");
    s += &format!("vsl    : {}\n", c.vsl);
    s += &format!("wzsl   : {}\n", c.wzsl);
    s += &format!("wusl   : {}\n", c.wusl);
    s += &format!("dmrl   : {}\n", c.dmrl);
    s += &format!("dmrsl  : {}\n", c.dmrsl);
    s += &format!("dmsl   : {}\n", c.dmsl.get());
    s += &format!("kpiocap: {}\n", c.kpiocap);
    if verbose {
        let k = c.kpiocap;
        if k >> 2 != 0 {
            s += &format!("  [7:2] : {}\tReserved\n", cx(k >> 2));
        }
        s += &format!(
            "  [1:1] : {}\tKey Per I/O capability enabled and disabled {} in theNVM subsystem\n",
            cx((k >> 1) & 1),
            if k & 2 != 0 {
                "all namespaces"
            } else {
                "each namespace"
            }
        );
        s += &format!(
            "  [0:0] : {}\tKey Per I/O capability {}Supported\n",
            cx(k & 1),
            if k & 1 != 0 { "" } else { "Not " }
        );
    }
    s += &format!("wzdsl  : {}\n", c.wzdsl);
    s += &format!("aocs   : {}\n", c.aocs);
    if verbose {
        let rsvd = (c.aocs & 0xfffe) >> 1;
        if rsvd != 0 {
            s += &format!("  [15:1] : {}\tReserved\n", cx(rsvd));
        }
        s += &format!(
            "  [0:0] : {}\tReporting Allocated LBA {}Supported\n\n",
            cx(c.aocs & 1),
            if c.aocs & 1 != 0 { "" } else { "Not " }
        );
    }
    let ver = c.ver.get();
    s += &format!("ver    : {ver:#x}\n");
    if verbose {
        s += &format!(
            "  NVM command set specification: {}.{}.{}\n\n",
            ver >> 16,
            (ver >> 8) & 0xff,
            ver & 0xff
        );
    }
    s += &format!("lbamqf : {}\n", c.lbamqf);
    if verbose {
        let kind = match c.lbamqf {
            0 => "LBA Migration Queue Entry Type 0",
            0xc0..=0xff => "Vendor Specific",
            _ => "Reserved",
        };
        s += &format!("  {:#x}: {kind}\n\n", c.lbamqf);
    }
    s
}

/// nvme-cli's `json_nvme_id_ctrl_nvm`.
pub fn nvm_id_ctrl_json(c: &IdentifyControllerNvm, verbose: bool) -> Ordered {
    let mut r = Ordered::new();
    r.insert("vsl".into(), c.vsl.into());
    r.insert("wzsl".into(), c.wzsl.into());
    r.insert("wusl".into(), c.wusl.into());
    r.insert("dmrl".into(), c.dmrl.into());
    r.insert("dmrsl".into(), c.dmrsl.into());
    r.insert("dmsl".into(), c.dmsl.get().into());
    r.insert("kpiocap".into(), c.kpiocap.into());
    r.insert("wzdsl".into(), c.wzdsl.into());
    r.insert("aocs".into(), c.aocs.into());
    if verbose {
        let rsvd = (c.aocs & 0xfffe) >> 1;
        if rsvd != 0 {
            r.insert("[15:1]: Reserved".into(), rsvd.into());
        }
        r.insert(
            "[0:0]: Reporting Allocated LBA Supported".into(),
            (c.aocs & 1).into(),
        );
    }
    r.insert("ver".into(), c.ver.get().into());
    r.insert("lbamqf".into(), c.lbamqf.into());
    r
}

/// `nvmeq nvm-id-ctrl`.
pub fn nvm_id_ctrl(ctx: &Ctx, a: &NvmIdCtrlArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Controller (NVM Command Set)";
    let raw = identify(&mut dev, op, Identify::csi_controller(Csi::NVM))?;
    let c: IdentifyControllerNvm = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || nvm_id_ctrl_text(&c, a.verbose),
        || nvm_id_ctrl_json(&c, a.verbose),
        &raw,
    )
}

/// Primary Controller Capabilities laid out like `nvme primary-ctrl-caps`.
pub fn primary_caps_text(c: &PrimaryControllerCaps, human: bool) -> String {
    let mut s = String::from("NVME Identify Primary Controller Capabilities:\n");
    s += &format!("cntlid    : {}\n", cx(c.cntlid));
    s += &format!("portid    : {}\n", cx(c.portid));
    s += &format!("crt       : {}\n", cx(c.crt));
    if human {
        let crt = c.crt;
        if crt >> 2 != 0 {
            s += &format!("  [7:2] : {}\tReserved\n", cx(crt >> 2));
        }
        s += &format!(
            "  [1:1] {}\tVI Resources are {}supported\n",
            cx((crt >> 1) & 1),
            if crt & 2 != 0 { "" } else { "not " }
        );
        s += &format!(
            "  [0:0] {}\tVQ Resources are {}supported\n",
            cx(crt & 1),
            if crt & 1 != 0 { "" } else { "not " }
        );
    }
    for (k, v) in [("vqfrt", c.vqfrt), ("vqrfa", c.vqrfa)] {
        s += &format!("{k:<10}: {v}\n");
    }
    for (k, v) in [
        ("vqrfap", c.vqrfap),
        ("vqprt", c.vqprt),
        ("vqfrsm", c.vqfrsm),
        ("vqgran", c.vqgran),
    ] {
        s += &format!("{k:<10}: {v}\n");
    }
    for (k, v) in [("vifrt", c.vifrt), ("virfa", c.virfa)] {
        s += &format!("{k:<10}: {v}\n");
    }
    for (k, v) in [
        ("virfap", c.virfap),
        ("viprt", c.viprt),
        ("vifrsm", c.vifrsm),
        ("vigran", c.vigran),
    ] {
        s += &format!("{k:<10}: {v}\n");
    }
    s
}

/// nvme-cli's `json_nvme_primary_ctrl_cap`.
pub fn primary_caps_json(c: &PrimaryControllerCaps) -> Ordered {
    let mut r = Ordered::new();
    r.insert("cntlid".into(), c.cntlid.into());
    r.insert("portid".into(), c.portid.into());
    r.insert("crt".into(), c.crt.into());
    r.insert("vqfrt".into(), c.vqfrt.into());
    r.insert("vqrfa".into(), c.vqrfa.into());
    r.insert("vqrfap".into(), c.vqrfap.into());
    r.insert("vqprt".into(), c.vqprt.into());
    r.insert("vqfrsm".into(), c.vqfrsm.into());
    r.insert("vqgran".into(), c.vqgran.into());
    r.insert("vifrt".into(), c.vifrt.into());
    r.insert("virfa".into(), c.virfa.into());
    r.insert("virfap".into(), c.virfap.into());
    r.insert("viprt".into(), c.viprt.into());
    r.insert("vifrsm".into(), c.vifrsm.into());
    r.insert("vigran".into(), c.vigran.into());
    r
}

/// `nvmeq primary-ctrl-caps`.
pub fn primary_caps(ctx: &Ctx, a: &PrimaryCapsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify Primary Controller Capabilities";
    let cmd = Identify::new(Cns::PRIMARY_CONTROLLER_CAPS, 0).cntid(a.cntid);
    let raw = identify(&mut dev, op, cmd)?;
    let c: PrimaryControllerCaps = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || primary_caps_text(&c, a.human),
        || primary_caps_json(&c),
        &raw,
    )
}

const IOCSC_SETS: [(u64, &str, &str); 5] = [
    (
        iocsc::COMPUTATIONAL,
        "4:4",
        "Computational Programs Namespace Command Set",
    ),
    (iocsc::SLM, "3:3", "Subsystem Local Memory Command Set"),
    (iocsc::ZONED, "2:2", "Zoned Namespace Command Set"),
    (iocsc::KEY_VALUE, "1:1", "Key Value Command Set"),
    (iocsc::NVM, "0:0", "NVM Command Set"),
];

/// The I/O Command Set data structure laid out like `nvme id-iocs`.
pub fn iocs_text(l: &IoCommandSets, verbose: bool) -> String {
    let mut s = String::from("NVMe Identify I/O Command Set:\n");
    for (i, &v) in l.iocsc.iter().enumerate() {
        if v == 0 {
            continue;
        }
        s += &format!("I/O Command Set Combination[{i}]:{v:x}\n");
        if verbose {
            for (bit, range, name) in IOCSC_SETS {
                let on = v & bit != 0;
                s += &format!(
                    "  [{range}] : {}\t{name} {}Selected\n",
                    cx(on as u8),
                    if on { "" } else { "Not " }
                );
            }
            s.push('\n');
        }
    }
    s
}

/// nvme-cli's `json_id_iocs`.
pub fn iocs_json(l: &IoCommandSets) -> Ordered {
    let mut r = Ordered::new();
    for (i, &v) in l.iocsc.iter().enumerate() {
        if v == 0 {
            continue;
        }
        r.insert(format!("I/O Command Set Combination[{i}]"), v.into());
        let mut o = Ordered::new();
        for (bit, _, name) in IOCSC_SETS {
            o.insert(
                name.into(),
                if v & bit != 0 {
                    "Selected"
                } else {
                    "Not selected"
                }
                .into(),
            );
        }
        r.insert(format!("IOCSC{i}"), o.into());
    }
    r
}

/// `nvmeq id-iocs`.
pub fn id_iocs(ctx: &Ctx, a: &IdIocsArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let op = "Identify I/O Command Set";
    let cmd = Identify::new(Cns::IO_COMMAND_SETS, 0).cntid(a.cntid);
    let raw = identify(&mut dev, op, cmd)?;
    let l: IoCommandSets = parse(&raw, op)?;
    output::emit(
        ctx.fmt_raw(a.raw),
        || iocs_text(&l, a.verbose),
        || iocs_json(&l),
        &raw,
    )
}
