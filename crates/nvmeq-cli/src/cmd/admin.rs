//! Controller administration: `show-regs` (VFIO or a kernel PCIe controller), `reset`, `ns-rescan`,
//! `format`, `sanitize`.

use clap::Args;
use nvmeq_core::cmd::{FormatNvm, Identify, ProtectionType, Sanitize, SanitizeAction, SecureErase};
use nvmeq_core::identify::IdentifyNamespace;
use nvmeq_core::regs::Registers;
use nvmeq_core::Data;
use zerocopy::{FromBytes, IntoBytes};

use super::identify::identify;
use super::{done, require_force, require_nsid, Ctx, DevArg};
use crate::device;
use crate::error::{CliError, Result};
use crate::num;
use crate::output::{self, Format};
use nvmeq::BackendKind;

/// `show-regs`, `reset`, `ns-rescan`: a controller and nothing else.
#[derive(Debug, Args)]
pub struct CtrlArgs {
    #[command(flatten)]
    pub dev: DevArg,
}

/// Opens a device for a controller operation: a bare kernel node goes
/// through the ioctl backend, as nvme-cli does (io_uring has no reset).
pub(super) fn open_controller(ctx: &Ctx, dev: &DevArg) -> Result<device::Device> {
    let mut target = device::parse(&dev.device, ctx.backend)?;
    if target.backend().is_none() {
        target = device::parse(&dev.device, Some(BackendKind::Ioctl))?;
    }
    device::open(target)
}

/// `nvmeq reset`: a controller reset, through the kernel or the VFIO driver.
pub fn reset(ctx: &Ctx, a: &CtrlArgs) -> Result<()> {
    on_controller(ctx, a, "reset", nvmeq::Device::reset)
}

/// `subsystem-reset`.
#[derive(Debug, Args)]
pub struct SubsystemResetArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Confirm: an NVM Subsystem Reset resets every controller of the subsystem.
    #[arg(long)]
    pub force: bool,
}

/// `nvmeq subsystem-reset`: an NVM Subsystem Reset, once CAP (read as
/// `get-reg` reads it) says the controller has one (NSSRS). The kernel does
/// it for its controllers (`NVME_IOCTL_SUBSYS_RESET`), nvmeq's VFIO driver
/// writes NSSR and brings the controller up again, and on `tcp://` it is a
/// Property Set of NSSR, after which the target drops the association.
pub fn subsystem_reset(ctx: &Ctx, a: &SubsystemResetArgs) -> Result<()> {
    use super::register::Regs;
    use nvmeq_core::regs::{Cap, CAP, NSSR, NSSR_RESET};
    const WHAT: &str = "subsystem-reset";
    if !a.force {
        return Err(crate::error::usage(
            "subsystem-reset resets every controller of the NVM subsystem: pass --force to confirm",
        ));
    }
    let mut regs = super::register::open(ctx, &a.dev, false, WHAT)?;
    let cap = regs.read(CAP)?.map(Cap::from_bits).ok_or_else(|| {
        CliError::Device(format!(
            "{WHAT}: {} reports no CAP register, so whether it supports NVM Subsystem Reset \
                 is unknown: nothing was reset",
            a.dev.device
        ))
    })?;
    if !cap.nssrs() {
        return Err(CliError::Device(format!(
            "{WHAT}: {} does not support NVM Subsystem Reset (CAP.NSSRS is 0)",
            a.dev.device
        )));
    }
    let kernel = || -> Result<()> {
        let t = device::parse(&a.dev.device, Some(BackendKind::Ioctl))?;
        let mut d = device::open(t)?;
        d.inner_mut()
            .subsystem_reset()
            .map_err(|e| CliError::from_core(WHAT, e))
    };
    match regs {
        Regs::Fabrics(mut d) if d.inner().backend() == BackendKind::Tcp => {
            super::property::set(&mut d, WHAT, NSSR as u32, NSSR_RESET as u64)?;
        }
        Regs::Fabrics(d) => {
            drop(d);
            kernel()?;
        }
        Regs::Mapped(bar) => {
            drop(bar);
            kernel()?;
        }
        Regs::Vfio(mut d) => d
            .inner_mut()
            .subsystem_reset()
            .map_err(|e| CliError::from_core(WHAT, e))?,
    }
    done(ctx, WHAT, None, 0)
}

/// `nvmeq ns-rescan`: the kernel rescans the controller's namespaces.
pub fn ns_rescan(ctx: &Ctx, a: &CtrlArgs) -> Result<()> {
    on_controller(ctx, a, "ns-rescan", nvmeq::Device::rescan)
}

/// Runs `op` (named `what`) on the controller `a` names, and says it succeeded.
fn on_controller(
    ctx: &Ctx,
    a: &CtrlArgs,
    what: &str,
    op: fn(&mut nvmeq::Device) -> std::result::Result<(), nvmeq::Error>,
) -> Result<()> {
    let mut dev = open_controller(ctx, &a.dev)?;
    op(dev.inner_mut()).map_err(|e| CliError::from_core(what, e))?;
    done(ctx, what, None, 0)
}

/// `nvmeq show-regs`: the controller registers (CAP, VS, CC, CSTS, AQA…)
/// from the mapping that holds BAR0: nvmeq's VFIO driver's, or for a
/// kernel-owned PCIe controller (`/dev/nvmeX`) its sysfs `resource0`, as
/// nvme-cli maps it. The in-memory controller and fabrics ones have none.
pub fn show_regs(ctx: &Ctx, a: &CtrlArgs) -> Result<()> {
    let mut regs = super::register::open(ctx, &a.dev, false, "show-regs")?;
    if regs.fabrics() {
        return Err(CliError::Device(format!(
            "show-regs: {} is a fabrics controller: it has no register file \
             (`get-property` reads its properties)",
            a.dev.device
        )));
    }
    let r = registers(&mut regs)?;
    output::emit(ctx.fmt, || regs_text(&r), || regs_json(&r), r.as_bytes())
}

/// A snapshot of the registers at 0h..40h, one access per register.
fn registers(regs: &mut super::register::Regs) -> Result<Registers> {
    Registers::read_each(|off| {
        regs.read(off)?
            .ok_or_else(|| CliError::Device(format!("show-regs: no register at {off:#x}")))
    })
}

fn reg64(r: &Registers, off: usize) -> u64 {
    let b = r.as_bytes();
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap_or([0; 8]))
}

fn reg32(r: &Registers, off: usize) -> u32 {
    let b = r.as_bytes();
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap_or([0; 4]))
}

/// The registers as `nvme show-regs` prints them (without `-H`).
pub fn regs_text(r: &Registers) -> String {
    use nvmeq_core::regs::*;
    format!(
        "cap     : {:x}\nversion : {:x}\ncc      : {:x}\ncsts    : {:x}\nnssr    : {:x}\n\
         intms   : {:x}\nintmc   : {:x}\naqa     : {:x}\nasq     : {:x}\nacq     : {:x}\n\
         cmbloc  : {:x}\ncmbsz   : {:x}\n",
        reg64(r, CAP),
        reg32(r, VS),
        reg32(r, CC),
        reg32(r, CSTS),
        reg32(r, NSSR),
        reg32(r, INTMS),
        reg32(r, INTMC),
        reg32(r, AQA),
        reg64(r, ASQ),
        reg64(r, ACQ),
        reg32(r, CMBLOC),
        reg32(r, CMBSZ),
    )
}

/// `show-regs -o json`: the registers at 0h..40h with nvme-cli 2.3's keys,
/// each value at its register's width.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct ShowRegsJson {
    /// Controller Capabilities.
    pub cap: u64,
    /// Version.
    pub vs: u32,
    /// Interrupt Vector Mask Set.
    pub intms: u32,
    /// Interrupt Vector Mask Clear.
    pub intmc: u32,
    /// Controller Configuration.
    pub cc: u32,
    /// Controller Status.
    pub csts: u32,
    /// NVM Subsystem Reset.
    pub nssr: u32,
    /// Admin Queue Attributes.
    pub aqa: u32,
    /// Admin Submission Queue Base Address.
    pub asq: u64,
    /// Admin Completion Queue Base Address.
    pub acq: u64,
    /// Controller Memory Buffer Location.
    pub cmbloc: u32,
    /// Controller Memory Buffer Size.
    pub cmbsz: u32,
}

/// The registers with nvme-cli 2.3's `show-regs -o json` keys.
pub fn regs_json(r: &Registers) -> ShowRegsJson {
    use nvmeq_core::regs::*;
    ShowRegsJson {
        cap: reg64(r, CAP),
        vs: reg32(r, VS),
        intms: reg32(r, INTMS),
        intmc: reg32(r, INTMC),
        cc: reg32(r, CC),
        csts: reg32(r, CSTS),
        nssr: reg32(r, NSSR),
        aqa: reg32(r, AQA),
        asq: reg64(r, ASQ),
        acq: reg64(r, ACQ),
        cmbloc: reg32(r, CMBLOC),
        cmbsz: reg32(r, CMBSZ),
    }
}

/// `format`.
#[derive(Debug, Args)]
pub struct FormatArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required; 0xffffffff/all formats every namespace).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// LBA format index to apply (default: the one in use, or the one --block-size picks).
    #[arg(short = 'l', long = "lbaf", value_parser = num::u8)]
    pub lbaf: Option<u8>,
    /// Secure erase: 0 none, 1 user data erase, 2 cryptographic erase.
    #[arg(short = 's', long = "ses", value_parser = num::u8, default_value = "0")]
    pub ses: u8,
    /// Protection information: 0 off, 1 Type 1, 2 Type 2, 3 Type 3.
    #[arg(short = 'i', long = "pi", value_parser = num::u8, default_value = "0")]
    pub pi: u8,
    /// Protection information location: 0 last, 1 first bytes of metadata.
    #[arg(short = 'p', long = "pil", value_parser = num::u8, default_value = "0")]
    pub pil: u8,
    /// Metadata settings: 0 separate buffer, 1 extended LBA.
    #[arg(short = 'm', long = "ms", value_parser = num::u8, default_value = "0")]
    pub ms: u8,
    /// Pick the LBA format with this data size (512, 4096, …) instead of --lbaf.
    #[arg(short = 'b', long = "block-size", value_parser = num::suffixed, conflicts_with = "lbaf")]
    pub block_size: Option<u64>,
    /// Confirm: Format NVM destroys the namespace's data.
    #[arg(long = "force")]
    pub force: bool,
}

fn at_most(name: &str, v: u8, max: u8, what: &str) -> Result<u8> {
    if v > max {
        Err(crate::error::usage(format!(
            "--{name} {v} is out of range 0..={max} ({what})"
        )))
    } else {
        Ok(v)
    }
}

/// `nvmeq format`.
pub fn format(ctx: &Ctx, a: &FormatArgs) -> Result<()> {
    let nsid = require_nsid("format", a.nsid)?;
    require_force("format", a.force)?;
    let ses = match at_most("ses", a.ses, 2, "0 none, 1 user data, 2 cryptographic")? {
        0 => SecureErase::None,
        1 => SecureErase::UserData,
        _ => SecureErase::Cryptographic,
    };
    let pi = match at_most("pi", a.pi, 3, "0 off, 1..3 Type 1..3")? {
        0 => ProtectionType::None,
        1 => ProtectionType::Type1,
        2 => ProtectionType::Type2,
        _ => ProtectionType::Type3,
    };
    let pil = at_most("pil", a.pil, 1, "0 last, 1 first")? == 1;
    let mset = at_most("ms", a.ms, 1, "0 separate, 1 extended")? == 1;
    let mut dev = ctx.open(&a.dev)?;
    // The namespace's formats, to check or pick the LBA format.
    let id_nsid = if nsid == u32::MAX { 1 } else { nsid };
    let raw = identify(&mut dev, "Identify Namespace", Identify::namespace(id_nsid))?;
    let ns = IdentifyNamespace::read_from_bytes(&raw)
        .map_err(|_| CliError::Device("Identify Namespace: short structure".into()))?;
    let formats = ns.lba_formats();
    let lbaf = match (a.lbaf, a.block_size) {
        (Some(l), _) => {
            if usize::from(l) >= formats.len() {
                return Err(crate::error::usage(format!(
                    "--lbaf {l}: namespace {id_nsid} has LBA formats 0..={}",
                    formats.len() - 1
                )));
            }
            l
        }
        (None, Some(bs)) => formats
            .iter()
            .position(|f| f.lba_size().map(u64::from) == Some(bs) && f.ms() == 0)
            .ok_or_else(|| {
                crate::error::usage(format!(
                    "--block-size {bs}: namespace {id_nsid} has no LBA format of that size without metadata"
                ))
            })? as u8,
        (None, None) => ns.flbas_index() as u8,
    };
    let cmd = FormatNvm::new(nsid, lbaf)
        .ses(ses)
        .pi(pi)
        .pil(pil)
        .mset(mset)
        .build();
    let c = dev.exec("Format NVM", &cmd, Data::None)?;
    match ctx.fmt {
        Format::Normal => output::text(&format!("Success formatting namespace:{nsid:x}\n")),
        _ => done(ctx, "format", Some(nsid), c.result()),
    }
}

/// `sanitize`.
#[derive(Debug, Args)]
pub struct SanitizeArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Required, and must be 0xffffffff (all): sanitize erases every namespace
    /// of the subsystem. (Long form only: -n is --owpass, as in nvme-cli.)
    #[arg(long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Sanitize action: 1/exit-failure, 2/start-block-erase, 3/start-overwrite, 4/start-crypto-erase.
    #[arg(short = 'a', long = "sanact", value_parser = parse_sanact)]
    pub sanact: u8,
    /// Allow Unrestricted Sanitize Exit.
    #[arg(short = 'u', long = "ause")]
    pub ause: bool,
    /// Overwrite pass count (1..=16; 0 means 16).
    #[arg(short = 'n', long = "owpass", value_parser = num::u8, default_value = "0")]
    pub owpass: u8,
    /// Overwrite Invert Pattern Between Passes.
    #[arg(short = 'i', long = "oipbp")]
    pub oipbp: bool,
    /// Overwrite pattern.
    #[arg(short = 'p', long = "ovrpat", value_parser = num::u32, default_value = "0")]
    pub ovrpat: u32,
    /// No Deallocate After Sanitize.
    #[arg(short = 'd', long = "no-dealloc")]
    pub no_dealloc: bool,
    /// Confirm: sanitize destroys all user data.
    #[arg(long = "force")]
    pub force: bool,
}

fn parse_sanact(s: &str) -> std::result::Result<u8, String> {
    let v = match s {
        "exit-failure" => 1,
        "start-block-erase" => 2,
        "start-overwrite" => 3,
        "start-crypto-erase" => 4,
        _ => num::u8(s).map_err(|e| {
            format!("{e}; or name it: exit-failure, start-block-erase, start-overwrite, start-crypto-erase")
        })?,
    };
    if !(1..=4).contains(&v) {
        return Err(format!(
            "sanitize action {v} does not exist: 1 exit failure mode, 2 block erase, 3 overwrite, 4 crypto erase"
        ));
    }
    Ok(v)
}

/// `nvmeq sanitize`.
pub fn sanitize(ctx: &Ctx, a: &SanitizeArgs) -> Result<()> {
    let nsid = require_nsid("sanitize", a.nsid)?;
    if nsid != u32::MAX {
        return Err(crate::error::usage(
            "sanitize acts on the whole subsystem, not one namespace: pass --namespace-id all \
             (0xffffffff) to confirm that every namespace is erased",
        ));
    }
    require_force("sanitize", a.force)?;
    let overwrite = a.sanact == 3;
    if !overwrite && (a.owpass != 0 || a.oipbp || a.ovrpat != 0) {
        return Err(crate::error::usage(
            "--owpass, --oipbp and --ovrpat apply only to --sanact start-overwrite",
        ));
    }
    if a.sanact == 1 && (a.ause || a.no_dealloc) {
        return Err(crate::error::usage(
            "--ause and --no-dealloc do not apply to --sanact exit-failure",
        ));
    }
    if a.owpass > 16 {
        return Err(crate::error::usage(format!(
            "--owpass {} is out of range 0..=16",
            a.owpass
        )));
    }
    let action = match a.sanact {
        1 => SanitizeAction::ExitFailureMode,
        2 => SanitizeAction::BlockErase,
        3 => SanitizeAction::Overwrite {
            owpass: a.owpass,
            oipbp: a.oipbp,
            ovrpat: a.ovrpat,
        },
        _ => SanitizeAction::CryptoErase,
    };
    let cmd = Sanitize::new(action)
        .ause(a.ause)
        .ndas(a.no_dealloc)
        .build();
    let mut dev = ctx.open(&a.dev)?;
    let c = dev.exec("Sanitize", &cmd, Data::None)?;
    done(ctx, "sanitize", None, c.result())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_render_like_nvme_cli() {
        let mut raw = [0u8; 0x40];
        raw[0..8].copy_from_slice(&0x0040_0020_3c03_3fffu64.to_le_bytes());
        raw[8..12].copy_from_slice(&0x0001_0400u32.to_le_bytes());
        raw[0x14..0x18].copy_from_slice(&0x0046_0001u32.to_le_bytes());
        raw[0x1c..0x20].copy_from_slice(&1u32.to_le_bytes());
        raw[0x28..0x30].copy_from_slice(&0x1_2345_6000u64.to_le_bytes());
        let r = Registers::read_from_bytes(&raw).unwrap();
        let t = regs_text(&r);
        assert!(
            t.starts_with(
                "cap     : 4000203c033fff\nversion : 10400\ncc      : 460001\ncsts    : 1\n"
            ),
            "{t}"
        );
        assert!(t.contains("asq     : 123456000\n"), "{t}");
        let j = serde_json::to_value(regs_json(&r)).unwrap();
        assert_eq!(j["cap"], 0x0040_0020_3c03_3fffu64);
        assert_eq!(j["vs"], 0x10400);
        assert_eq!(j["csts"], 1);
        let keys: Vec<_> = j.as_object().unwrap().keys().cloned().collect();
        assert_eq!(&keys[..4], ["cap", "vs", "intms", "intmc"]);
    }

    /// The untyped object `show-regs -o json` was built as before it had a
    /// type: the typed one must print the same bytes.
    fn untyped(r: &Registers) -> serde_json::Value {
        use nvmeq_core::regs::*;
        let mut m = crate::json::Ordered::new();
        m.insert("cap".into(), reg64(r, CAP).into());
        for (k, off) in [
            ("vs", VS),
            ("intms", INTMS),
            ("intmc", INTMC),
            ("cc", CC),
            ("csts", CSTS),
            ("nssr", NSSR),
            ("aqa", AQA),
        ] {
            m.insert(k.into(), reg32(r, off).into());
        }
        m.insert("asq".into(), reg64(r, ASQ).into());
        m.insert("acq".into(), reg64(r, ACQ).into());
        m.insert("cmbloc".into(), reg32(r, CMBLOC).into());
        m.insert("cmbsz".into(), reg32(r, CMBSZ).into());
        serde_json::Value::Object(m)
    }

    #[test]
    fn show_regs_json_from_a_mapped_register_page_validates() {
        use super::super::register::tests::Resource0;
        use nvmeq_linux::pci_bar::REGISTER_PAGE;
        let mut page = vec![0u8; REGISTER_PAGE];
        for (i, b) in page[..0x40].iter_mut().enumerate() {
            *b = 0xf0 ^ i as u8;
        }
        let f = Resource0::page("show-regs", &page);
        let r = registers(&mut f.open(false)).unwrap();
        drop(f);
        let typed = regs_json(&r);
        assert_eq!(
            serde_json::to_string_pretty(&typed).unwrap(),
            serde_json::to_string_pretty(&untyped(&r)).unwrap()
        );
        let j = serde_json::to_value(&typed).unwrap();
        assert_eq!(j["cap"], u64::from_le_bytes(page[..8].try_into().unwrap()));
        let e = crate::schema::errors("show-regs", &j);
        assert!(e.is_empty(), "breaks docs/schema/show-regs.json: {e:?}");
        // Every value at its width: all ones in the 64-bit ones too.
        let mut max = [0xffu8; 0x40];
        max[0x18..0x1c].fill(0);
        let r = Registers::read_from_bytes(&max).unwrap();
        let j = serde_json::to_value(regs_json(&r)).unwrap();
        assert_eq!(j["asq"], u64::MAX);
        assert_eq!(j, untyped(&r));
        assert!(crate::schema::errors("show-regs", &j).is_empty());
        let mut retyped = j.clone();
        retyped["cc"] = "460001".into();
        assert!(!crate::schema::errors("show-regs", &retyped).is_empty());
        let mut renamed = j.clone();
        renamed["version"] = renamed["vs"].take();
        renamed.as_object_mut().unwrap().shift_remove("vs");
        assert!(!crate::schema::errors("show-regs", &renamed).is_empty());
    }
}
