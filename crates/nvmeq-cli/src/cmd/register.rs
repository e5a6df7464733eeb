//! `get-reg` / `set-reg`: controller registers with nvme-cli 2.13's options
//! (`-O/--offset`, `-H`, one flag per register; `set-reg -V/--value` and a
//! value option per writable register), lines and JSON keys.
//!
//! Where the registers are: VFIO reads nvmeq's own mapping of BAR0; a kernel
//! controller node (`/dev/nvmeX`) maps the register page of its PCI device's
//! sysfs `resource0`, as nvme-cli does; a kernel fabrics controller (no PCI
//! resource) and `tcp://` read the Fabrics properties instead, and print the
//! other registers as "not fabrics", as nvme-cli does.
//!
//! Unlike nvme-cli, an offset that starts no register is refused, `set-reg`
//! needs `--force`, and ASQ, ACQ and BPMBL are never written: they hold host
//! memory addresses the controller would DMA to.

use std::path::Path;

use clap::Args;
use nvmeq::BackendKind;
use nvmeq_core::regs;
use nvmeq_linux::node::NodeKind;
use nvmeq_linux::pci_bar::{PciBar0, PciBarError};
use serde::Serialize;

use super::reg_human::{alt_hex4, name};
use super::{property, reg_human, Ctx, DevArg};
use crate::device;
use crate::error::{usage, CliError, Result};
use crate::json::keyed::{Key, Keyed};
use crate::num;
use crate::output::{self, cx, Format};

/// Where the registers are read and written.
#[derive(Debug)]
pub enum Regs {
    /// The kernel's PCIe controller, through its `resource0`.
    Mapped(PciBar0),
    /// nvmeq's VFIO driver's BAR0.
    Vfio(device::Device),
    /// A fabrics controller: Property Get/Set of the five properties.
    Fabrics(device::Device),
}

fn bar_error(cmd: &str, e: PciBarError) -> CliError {
    CliError::Device(format!("{cmd}: {e}"))
}

/// The VFIO controller of a [`Regs::Vfio`] (which [`open`] makes only for
/// the vfio backend).
fn vfio(d: &mut device::Device) -> Result<&mut nvmeq::vfio::Controller> {
    match d.inner_mut() {
        nvmeq::Device::Vfio(c) => Ok(c),
        other => Err(CliError::Device(format!(
            "the {} backend does not map the controller's registers",
            other.backend()
        ))),
    }
}

/// Opens the registers of the controller `dev` names, for stores too when
/// `writable`. `cmd` names the command in errors.
pub fn open(ctx: &Ctx, dev: &DevArg, writable: bool, cmd: &str) -> Result<Regs> {
    let target = device::parse(&dev.device, ctx.backend)?;
    match target.backend() {
        Some(BackendKind::Vfio) => return Ok(Regs::Vfio(device::open(target)?)),
        Some(BackendKind::Tcp) => return Ok(Regs::Fabrics(device::open(target)?)),
        Some(BackendKind::Ram) => {
            return Err(CliError::Device(format!(
                "{cmd}: the in-memory controller {} has no register file",
                dev.device
            )))
        }
        _ => {}
    }
    let Some(node) = target.node.as_ref() else {
        return Err(CliError::Device(format!(
            "{cmd}: {} names no controller: name its /dev/nvmeX, vfio:DDDD:BB:DD.F \
             or tcp://HOST:PORT/SUBNQN",
            dev.device
        )));
    };
    if node.kind != NodeKind::Controller {
        return Err(CliError::Device(format!(
            "{cmd}: {} is a namespace node: the registers belong to the controller \
             (its character device /dev/nvmeX)",
            dev.device
        )));
    }
    let sys = std::env::var_os("NVMEQ_SYSFS_ROOT").unwrap_or_else(|| "/sys".into());
    let path = PciBar0::resource_path(Path::new(&sys), &node.name);
    match PciBar0::open(&path, writable) {
        Ok(bar) => Ok(Regs::Mapped(bar)),
        // No PCI device behind it: a fabrics controller, as nvme-cli assumes.
        Err(PciBarError::Open { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let t = device::parse(&dev.device, Some(BackendKind::Ioctl))?;
            Ok(Regs::Fabrics(device::open(t)?))
        }
        Err(e) => Err(bar_error(cmd, e)),
    }
}

impl Regs {
    /// Whether these are Fabrics properties rather than a register file.
    pub fn fabrics(&self) -> bool {
        matches!(self, Regs::Fabrics(_))
    }

    /// The register at `offset` (a register of the map), at its width.
    /// `None`: a fabrics controller has no such property (nvme-cli's "not
    /// fabrics"), or VFIO's BAR0 is too small for it.
    pub fn read(&mut self, offset: usize) -> Result<Option<u64>> {
        let wide = regs::width(offset) == Some(8);
        match self {
            Regs::Mapped(bar) => {
                let v = if wide {
                    bar.read64(offset)
                } else {
                    bar.read32(offset).map(u64::from)
                };
                v.map(Some).map_err(|e| bar_error("get-reg", e))
            }
            Regs::Vfio(d) => Ok(vfio(d)?.register(offset)),
            Regs::Fabrics(d) => {
                if !regs::is_fabrics_property(offset) {
                    return Ok(None);
                }
                property::get(d, offset as u32).map(Some)
            }
        }
    }

    /// Writes `value` to the register at `offset` at its width (a 64-bit
    /// one as two dwords, low first, so `--mmio32` changes nothing).
    fn write(&mut self, offset: usize, value: u64) -> Result<()> {
        let wide = regs::width(offset) == Some(8);
        match self {
            Regs::Mapped(bar) => if wide {
                bar.write64(offset, value)
            } else {
                bar.write32(offset, value as u32)
            }
            .map_err(|e| bar_error("set-reg", e)),
            Regs::Vfio(d) => vfio(d)?
                .set_register(offset, value)
                .map_err(|e| CliError::Device(format!("set-reg: {e}"))),
            Regs::Fabrics(d) => property::set(d, "set-property", offset as u32, value),
        }
    }
}

/// One flag per register, in nvme-cli's names.
macro_rules! reg_flags {
    ($($field:ident => $off:ident),* $(,)?) => {
        /// The per-register selection flags of `get-reg`.
        #[derive(Debug, Args, Default)]
        pub struct RegFlags {
            $(
                #[doc = concat!("Show ", stringify!($off), ".")]
                #[arg(long)]
                pub $field: bool,
            )*
        }

        impl RegFlags {
            /// The offsets the flags select.
            pub fn selected(&self) -> Vec<usize> {
                let mut v = Vec::new();
                $(if self.$field { v.push(regs::$off); })*
                v
            }
        }
    };
}

reg_flags! {
    cap => CAP, vs => VS, intms => INTMS, intmc => INTMC, cc => CC, csts => CSTS,
    nssr => NSSR, aqa => AQA, asq => ASQ, acq => ACQ, cmbloc => CMBLOC, cmbsz => CMBSZ,
    bpinfo => BPINFO, bprsel => BPRSEL, bpmbl => BPMBL, cmbmsc => CMBMSC, cmbsts => CMBSTS,
    cmbebs => CMBEBS, cmbswtp => CMBSWTP, nssd => NSSD, crto => CRTO, pmrcap => PMRCAP,
    pmrctl => PMRCTL, pmrsts => PMRSTS, pmrebs => PMREBS, pmrswtp => PMRSWTP,
    pmrmscl => PMRMSCL, pmrmscu => PMRMSCU,
}

/// `get-reg`.
#[derive(Debug, Args)]
pub struct GetRegArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Register offset: CAP=0x0, VS=0x8, INTMS=0xc, INTMC=0x10, CC=0x14, CSTS=0x1c, NSSR=0x20,
    /// AQA=0x24, ASQ=0x28, ACQ=0x30, CMBLOC=0x38, CMBSZ=0x3c, BPINFO=0x40, BPRSEL=0x44,
    /// BPMBL=0x48, CMBMSC=0x50, CMBSTS=0x58, CRTO=0x68, PMRCAP=0xe00, … PMRMSCU=0xe18.
    #[arg(short = 'O', long = "offset", value_parser = num::u32)]
    pub offset: Option<u32>,
    /// Decode the register's fields.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
    #[command(flatten)]
    pub regs: RegFlags,
}

/// A known register offset, or a usage error naming the problem.
fn known(cmd: &str, offset: u32) -> Result<usize> {
    let o = offset as usize;
    if regs::width(o).is_some() {
        Ok(o)
    } else {
        Err(usage(format!(
            "{cmd}: offset {offset:#x} starts no controller register (see --help for the offsets)"
        )))
    }
}

/// nvme-cli's line for one register, or its `-H` block.
pub fn register_text(offset: usize, value: u64, human: bool) -> String {
    let name = name(offset);
    if human {
        reg_human::property_text(offset as u32, value)
    } else {
        format!(
            "register: {} ({name}), value: {}\n",
            alt_hex4(offset),
            cx(value)
        )
    }
}

/// One register of `get-reg -o json`, as nvme-cli 2.13 prints it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RegJson {
    /// nvme-cli's symbol: the mnemonic in lower case (`cap`, `cc`), except
    /// VS, which it calls `version`.
    pub name: &'static str,
    /// The value, at the register's width (4 or 8 bytes).
    pub value: u64,
}

/// The keys of `get-reg -o json`: `register: ` and the offset as C's
/// `%#04x` prints it (`0000`, `0x14`, `0xe00`), for the registers of the map.
#[derive(Debug)]
pub struct RegKey;

impl Key for RegKey {
    const NAME: &'static str = "Register";
    const PATTERN: &'static str = "^register: (0000|0x08|0x0c|0x10|0x14|0x1c|0x20|0x24|0x28|\
                                   0x30|0x38|0x3c|0x40|0x44|0x48|0x50|0x58|0x5c|0x60|0x64|\
                                   0x68|0xe00|0xe04|0xe08|0xe0c|0xe10|0xe14|0xe18)$";
}

/// `get-reg -o json`: one `register: OFFSET` key per register read, in the
/// order they were named, each holding an array of its one [`RegJson`]. A
/// fabrics controller's "not fabrics" registers are left out.
pub type GetRegJson = Keyed<RegKey, [RegJson; 1]>;

/// What `get-reg` prints of the registers at `offsets`, in each format:
/// the lines (or `-H` blocks), the JSON object and the raw values.
fn read_registers(
    r: &mut Regs,
    offsets: &[usize],
    human: bool,
) -> Result<(String, GetRegJson, Vec<u8>)> {
    let mut text = String::new();
    let mut entries = Vec::new();
    let mut raw = Vec::new();
    for &o in offsets {
        let Some(v) = r.read(o)? else {
            let name = name(o);
            if r.fabrics() {
                text += &format!("register: {} ({name}) not fabrics\n", alt_hex4(o));
                continue;
            }
            return Err(CliError::Device(format!(
                "get-reg: {} ({name}) lies past the controller's BAR0",
                alt_hex4(o)
            )));
        };
        text += &register_text(o, v, human);
        entries.push((
            format!("register: {}", alt_hex4(o)),
            [RegJson {
                name: regs::symbol(o).unwrap_or("unknown"),
                value: v,
            }],
        ));
        match regs::width(o) {
            Some(8) => raw.extend_from_slice(&v.to_le_bytes()),
            _ => raw.extend_from_slice(&(v as u32).to_le_bytes()),
        }
    }
    Ok((text, entries.into_iter().collect(), raw))
}

/// `nvmeq get-reg`.
pub fn get_reg(ctx: &Ctx, a: &GetRegArgs) -> Result<()> {
    // nvme-cli's order: the -O register first, then the flags' in map order.
    let mut offsets = Vec::new();
    if let Some(o) = a.offset {
        offsets.push(known("get-reg", o)?);
    }
    for o in a.regs.selected() {
        if !offsets.contains(&o) {
            offsets.push(o);
        }
    }
    if offsets.is_empty() {
        return Err(usage(
            "get-reg: name a register: -O/--offset or a register flag (--cap, --cc, …)",
        ));
    }
    let mut r = open(ctx, &a.dev, false, "get-reg")?;
    let (text, obj, raw) = read_registers(&mut r, &offsets, a.human)?;
    output::emit(ctx.fmt, || text, || obj, &raw)
}

/// One value option per register nvme-cli's `set-reg` writes.
macro_rules! reg_values {
    ($($field:ident => $off:ident),* $(,)?) => {
        /// The per-register value options of `set-reg`.
        #[derive(Debug, Args, Default)]
        pub struct RegValues {
            $(
                #[doc = concat!("Write this value to ", stringify!($off), ".")]
                #[arg(long, value_parser = num::parse_u64)]
                pub $field: Option<u64>,
            )*
        }

        impl RegValues {
            /// (offset, value) of each option given, in nvme-cli's order.
            pub fn given(&self) -> Vec<(usize, u64)> {
                let mut v = Vec::new();
                $(if let Some(x) = self.$field { v.push((regs::$off, x)); })*
                v
            }
        }
    };
}

reg_values! {
    intms => INTMS, intmc => INTMC, cc => CC, csts => CSTS, nssr => NSSR, aqa => AQA,
    asq => ASQ, acq => ACQ, bprsel => BPRSEL, bpmbl => BPMBL, cmbmsc => CMBMSC, nssd => NSSD,
    pmrctl => PMRCTL, pmrmscl => PMRMSCL, pmrmscu => PMRMSCU,
}

/// `set-reg`.
#[derive(Debug, Args)]
pub struct SetRegArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Register offset (with --value).
    #[arg(short = 'O', long = "offset", value_parser = num::u32)]
    pub offset: Option<u32>,
    /// The value to write at --offset.
    #[arg(short = 'V', long = "value", value_parser = num::parse_u64)]
    pub value: Option<u64>,
    /// Access 64-bit registers as two 32-bit ones (every path here already does).
    #[arg(short = 'm', long = "mmio32")]
    pub mmio32: bool,
    #[command(flatten)]
    pub regs: RegValues,
    /// Confirm: a register write can reset, shut down or stop the controller.
    #[arg(long)]
    pub force: bool,
}

/// What `set-reg` writes, in order, checked before anything is opened.
fn writes(a: &SetRegArgs) -> Result<Vec<(usize, u64)>> {
    let mut w = Vec::new();
    if let Some(o) = a.offset {
        let Some(v) = a.value else {
            return Err(usage("set-reg: --offset needs --value"));
        };
        let o = known("set-reg", o)?;
        if a.regs.given().iter().any(|(r, _)| *r == o) {
            return Err(usage(format!(
                "set-reg: {} is given both as --offset and as its own option",
                regs::symbol(o).unwrap_or("the register")
            )));
        }
        w.push((o, v));
    } else if a.value.is_some() {
        return Err(usage("set-reg: --value needs --offset"));
    }
    w.extend(a.regs.given());
    if w.is_empty() {
        return Err(usage(
            "set-reg: name a register: -O/--offset with -V/--value, or a register option (--cc, …)",
        ));
    }
    for &(o, _) in &w {
        if regs::holds_dma_address(o) {
            return Err(usage(format!(
                "set-reg: {} ({}) holds a host memory address the controller would DMA to: \
                 nvmeq does not write it",
                alt_hex4(o),
                name(o)
            )));
        }
    }
    if !a.force {
        return Err(usage(
            "set-reg: a register write can reset, shut down or stop the controller: \
             pass --force to confirm",
        ));
    }
    Ok(w)
}

/// One write of `set-reg -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct SetRegJson {
    /// The register's offset.
    pub offset: u32,
    /// nvme-cli's symbol of the register (`cc`, `intms`; see `get-reg`).
    pub name: &'static str,
    /// The value written.
    pub value: u64,
}

/// Makes the writes `w` in order, printing nvme-cli's line for each as it
/// is made when `fmt` is the normal one; what `-o json` prints of them.
fn write_registers(r: &mut Regs, w: &[(usize, u64)], fmt: Format) -> Result<Vec<SetRegJson>> {
    let mut done = Vec::new();
    for &(o, v) in w {
        let name = name(o);
        if r.fabrics() && !regs::is_fabrics_property(o) {
            return Err(CliError::Device(format!(
                "set-reg: register: {} ({name}) not fabrics",
                alt_hex4(o)
            )));
        }
        r.write(o, v)?;
        let kind = if r.fabrics() {
            "set-property"
        } else {
            "set-register"
        };
        let line = format!("{kind}: {} ({name}), value: {}\n", cx(o as u64), cx(v));
        if fmt == Format::Normal {
            output::text(&line)?;
        }
        done.push(SetRegJson {
            offset: o as u32,
            name: regs::symbol(o).unwrap_or("unknown"),
            value: v,
        });
    }
    Ok(done)
}

/// `nvmeq set-reg`.
pub fn set_reg(ctx: &Ctx, a: &SetRegArgs) -> Result<()> {
    let w = writes(a)?;
    let mut r = open(ctx, &a.dev, true, "set-reg")?;
    let done = write_registers(&mut r, &w, ctx.fmt)?;
    match ctx.fmt {
        Format::Json => output::json(&done),
        _ => Ok(()),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    #[test]
    fn lines_as_nvme_cli_prints_them() {
        assert_eq!(
            register_text(0x14, 0x46_0001, false),
            "register: 0x14 (Controller Configuration), value: 0x460001\n"
        );
        assert_eq!(
            register_text(0, 0x20_0000_0fff, false),
            "register: 0000 (Controller Capabilities), value: 0x2000000fff\n"
        );
        let t = register_text(0x3c, 0, true);
        assert_eq!(
            t,
            "Controller Memory Buffer Size: 0\n\
             \tController Memory Buffer feature is not supported\n\n"
        );
        let t = register_text(0x28, 0x1_2345_6000, true);
        assert_eq!(
            t,
            "Admin Submission Queue Base Address: 0x123456000\n\
             \tAdmin Submission Queue Base (ASQB): 123456\n"
        );
    }

    /// A plain file standing in for a controller's `resource0`, mapped as
    /// get-reg, set-reg and show-regs map the real one; removed on drop.
    pub(in crate::cmd) struct Resource0(std::path::PathBuf);

    impl Resource0 {
        /// A register page holding `regs` (offset, value at the register's
        /// width), zero elsewhere.
        fn new(tag: &str, regs: &[(usize, u64)]) -> Self {
            let mut page = vec![0u8; nvmeq_linux::pci_bar::REGISTER_PAGE];
            for &(o, v) in regs {
                let w = regs::width(o).unwrap() as usize;
                page[o..o + w].copy_from_slice(&v.to_le_bytes()[..w]);
            }
            Self::page(tag, &page)
        }

        /// A resource holding the bytes `page`.
        pub(in crate::cmd) fn page(tag: &str, page: &[u8]) -> Self {
            let dir = std::env::temp_dir().join(format!("nvmeq-cli-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let f = dir.join("resource0");
            std::fs::write(&f, page).unwrap();
            Resource0(f)
        }

        pub(in crate::cmd) fn open(&self, writable: bool) -> Regs {
            Regs::Mapped(PciBar0::open(&self.0, writable).unwrap())
        }

        fn bytes(&self) -> Vec<u8> {
            std::fs::read(&self.0).unwrap()
        }
    }

    impl Drop for Resource0 {
        fn drop(&mut self) {
            if let Some(d) = self.0.parent() {
                let _ = std::fs::remove_dir_all(d);
            }
        }
    }

    #[test]
    fn get_reg_json_is_nvme_cli_s_object_and_its_schema_s() {
        let f = Resource0::new(
            "get-reg",
            &[
                (regs::CAP, 0x0040_0020_3c03_3fff),
                (regs::VS, 0x0001_0400),
                (regs::CC, 0x0046_0001),
                (regs::ASQ, 0x1_2345_6000),
                (regs::PMRMSCU, 0xffff_ffff),
            ],
        );
        let mut r = f.open(false);
        // The -O register first, then the flags' in map order.
        let offsets = [regs::CC, regs::CAP, regs::VS, regs::ASQ, regs::PMRMSCU];
        let (text, obj, raw) = read_registers(&mut r, &offsets, false).unwrap();
        assert!(text.starts_with("register: 0x14 (Controller Configuration), value: 0x460001\n"));
        assert_eq!(raw.len(), 4 + 8 + 4 + 8 + 4);
        // Byte for byte the untyped object it replaced.
        let mut untyped = serde_json::Map::new();
        for (o, v) in [
            (regs::CC, 0x0046_0001u64),
            (regs::CAP, 0x0040_0020_3c03_3fff),
            (regs::VS, 0x0001_0400),
            (regs::ASQ, 0x1_2345_6000),
            (regs::PMRMSCU, 0xffff_ffff),
        ] {
            untyped.insert(
                format!("register: {}", alt_hex4(o)),
                serde_json::json!([{ "name": regs::symbol(o).unwrap_or("unknown"), "value": v }]),
            );
        }
        assert_eq!(
            serde_json::to_string_pretty(&obj).unwrap(),
            serde_json::to_string_pretty(&serde_json::Value::Object(untyped)).unwrap()
        );
        let j = serde_json::to_value(&obj).unwrap();
        assert_eq!(j["register: 0000"][0]["value"], 0x0040_0020_3c03_3fffu64);
        assert_eq!(j["register: 0x08"][0]["name"], "version");
        let e = crate::schema::errors("get-reg", &j);
        assert!(e.is_empty(), "breaks docs/schema/get-reg.json: {e:?}");

        // Every register at once, and none (a fabrics controller's "not
        // fabrics" ones are left out).
        let (_, every, _) =
            read_registers(&mut r, &regs::offsets().collect::<Vec<_>>(), false).unwrap();
        let j = serde_json::to_value(&every).unwrap();
        assert_eq!(j.as_object().unwrap().len(), 28);
        let e = crate::schema::errors("get-reg", &j);
        assert!(e.is_empty(), "breaks docs/schema/get-reg.json: {e:?}");
        assert!(crate::schema::errors("get-reg", &serde_json::json!({})).is_empty());
    }

    #[test]
    fn get_reg_schema_admits_only_the_registers_keys_and_shape() {
        let entry = |k: &str| {
            let mut m = serde_json::Map::new();
            m.insert(k.into(), serde_json::json!([{ "name": "cc", "value": 1 }]));
            serde_json::Value::Object(m)
        };
        for k in [
            "register: 0x04",
            "register: 0x18",
            "register: 0x2c",
            "register: 0x4c",
            "register: 0x6c",
            "register: 0xdfc",
            "register: 0xe1c",
            "register: 0x1000",
            "register: 0x0",
            "register: 0x00",
            "register: 0x014",
            "register:0x14",
        ] {
            assert!(
                !crate::schema::errors("get-reg", &entry(k)).is_empty(),
                "{k}"
            );
        }
        for bad in [
            serde_json::json!({ "register: 0x14": { "name": "cc", "value": 1 } }),
            serde_json::json!({ "register: 0x14": [] }),
            serde_json::json!({ "register: 0x14": [{ "name": "cc", "value": "1" }] }),
            serde_json::json!({ "register: 0x14": [{ "name": "cc" }] }),
            serde_json::json!({ "register: 0x14": [{ "name": "cc", "value": 1, "x": 0 }] }),
        ] {
            assert!(!crate::schema::errors("get-reg", &bad).is_empty(), "{bad}");
        }
    }

    #[test]
    fn set_reg_json_is_nvme_cli_s_array_and_its_schema_s() {
        let f = Resource0::new("set-reg", &[]);
        let mut r = f.open(true);
        let w = [
            (regs::INTMS, 1u64),
            (regs::CC, 0x0046_0001),
            (regs::CMBMSC, 0x1_0000_0003),
        ];
        let done = write_registers(&mut r, &w, Format::Json).unwrap();
        drop(r);
        let page = f.bytes();
        assert_eq!(page[0x0c..0x10], 1u32.to_le_bytes());
        assert_eq!(page[0x14..0x18], 0x0046_0001u32.to_le_bytes());
        assert_eq!(page[0x50..0x58], 0x1_0000_0003u64.to_le_bytes());
        // Byte for byte the untyped array it replaced.
        let untyped: Vec<serde_json::Value> = w
            .iter()
            .map(|&(o, v)| serde_json::json!({ "offset": o, "name": regs::symbol(o), "value": v }))
            .collect();
        assert_eq!(
            serde_json::to_string_pretty(&done).unwrap(),
            serde_json::to_string_pretty(&untyped).unwrap()
        );
        let j = serde_json::to_value(&done).unwrap();
        assert_eq!(j[1]["name"], "cc");
        let e = crate::schema::errors("set-reg", &j);
        assert!(e.is_empty(), "breaks docs/schema/set-reg.json: {e:?}");
        let mut renamed = j.clone();
        renamed[0]["register"] = renamed[0]["offset"].take();
        renamed[0].as_object_mut().unwrap().shift_remove("offset");
        assert!(!crate::schema::errors("set-reg", &renamed).is_empty());
    }

    fn set(offset: Option<u32>, value: Option<u64>, cc: Option<u64>, force: bool) -> SetRegArgs {
        SetRegArgs {
            dev: DevArg {
                device: "/dev/nvme0".into(),
            },
            offset,
            value,
            mmio32: false,
            regs: RegValues {
                cc,
                ..Default::default()
            },
            force,
        }
    }

    #[test]
    fn set_reg_checks_before_opening() {
        assert_eq!(
            writes(&set(Some(0x14), Some(1), None, true)).unwrap(),
            [(0x14, 1)]
        );
        assert_eq!(
            writes(&set(Some(0x0c), Some(1), Some(0x46_0001), true)).unwrap(),
            [(0x0c, 1), (0x14, 0x46_0001)]
        );
        for bad in [
            set(Some(0x14), None, None, true),
            set(None, Some(1), None, true),
            set(None, None, None, true),
            set(Some(0x14), Some(1), Some(1), true),
            set(Some(0x28), Some(0), None, true),
            set(Some(0x15), Some(0), None, true),
            set(Some(0x14), Some(1), None, false),
        ] {
            assert!(writes(&bad).is_err(), "{bad:?}");
        }
    }
}
