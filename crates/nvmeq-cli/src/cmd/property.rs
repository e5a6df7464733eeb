//! `get-property` / `set-property`: Fabrics Property Get/Set (admin opcode
//! 7Fh) with nvme-cli 2.13's options (`-O/--offset`, `-H`, `-V/--value`),
//! lines and JSON keys. The property size (4 or 8 bytes) follows from the
//! offset, as libnvme picks it. The command goes to whatever controller the
//! device names: a fabrics controller answers it (nvmeq's own `tcp://`
//! connection, or a kernel `/dev/nvmeX` through the admin passthrough ioctl),
//! a PCIe one fails it with its status (Invalid Command Opcode), as it does
//! for nvme-cli.

use clap::Args;
use nvmeq_core::fabrics::{PropertyGet, PropertySet, PropertySize};
use nvmeq_core::regs;
use nvmeq_core::{Data, Status};
use serde::Serialize;

use super::reg_human::{alt_hex4, name};
use super::{Ctx, DevArg};
use crate::device;
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, cx, Format};

/// `get-property`.
#[derive(Debug, Args)]
pub struct GetPropertyArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Property offset: CAP=0x0, VS=0x8, CC=0x14, CSTS=0x1c, NSSR=0x20, NSSD=0x64, CRTO=0x68.
    #[arg(short = 'O', long = "offset", value_parser = num::u32)]
    pub offset: u32,
    /// Decode the property's fields.
    #[arg(short = 'H', long = "human-readable")]
    pub human: bool,
}

/// `set-property`.
#[derive(Debug, Args)]
pub struct SetPropertyArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Property offset (CC=0x14, NSSR=0x20, …).
    #[arg(short = 'O', long = "offset", value_parser = num::u32)]
    pub offset: u32,
    /// The value to write.
    #[arg(short = 'V', long = "value", value_parser = num::parse_u64)]
    pub value: u64,
    /// Confirm the write: CC and NSSR writes reset or shut down the controller.
    #[arg(long)]
    pub force: bool,
}

/// The Property Get/Set size for `offset`: 8 bytes for the 64-bit registers,
/// 4 for every other offset (libnvme's rule, which also sends unknown ones).
pub fn size(offset: u32) -> PropertySize {
    match regs::width(offset as usize) {
        Some(8) => PropertySize::Eight,
        _ => PropertySize::Four,
    }
}

/// The one-line result: `property: 0x14 (Controller Configuration), value: 0x460001`.
pub fn property_line(offset: u32, value: u64) -> String {
    format!(
        "property: {} ({}), value: {}\n",
        alt_hex4(offset as usize),
        name(offset as usize),
        cx(value)
    )
}

/// `get-property -o json`, nvme-cli 2.13's keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PropertyJson {
    /// `0x%02x` of the offset.
    pub property: String,
    /// The register's name.
    pub name: String,
    /// The value in hex without a prefix, at the property's width.
    pub value: String,
}

/// The JSON object for a property value.
pub fn property_json(offset: u32, value: u64) -> PropertyJson {
    let value = match size(offset) {
        PropertySize::Eight => format!("{value:x}"),
        PropertySize::Four => format!("{:x}", value as u32),
    };
    PropertyJson {
        property: format!("0x{offset:02x}"),
        name: name(offset as usize).into(),
        value,
    }
}

/// Reads the property at `offset`. A fabrics controller may lack NSSR (it
/// is optional there): nvme-cli then shows it as all ones, and so do we.
pub fn get(dev: &mut device::Device, offset: u32) -> Result<u64> {
    let cmd = PropertyGet::new(size(offset), offset).build();
    match dev.exec("get-property", &cmd, Data::None) {
        Ok(c) => Ok(match size(offset) {
            PropertySize::Eight => c.result(),
            PropertySize::Four => c.dw0 as u64,
        }),
        Err(CliError::Nvme { status, .. })
            if offset as usize == regs::NSSR && status.matches_code(Status::INVALID_FIELD) =>
        {
            Ok(u64::MAX)
        }
        Err(e) => Err(e),
    }
}

/// Writes `value` to the property at `offset`, at the offset's size;
/// `what` names the command in errors.
pub fn set(dev: &mut device::Device, what: &str, offset: u32, value: u64) -> Result<()> {
    let cmd = PropertySet::new(size(offset), offset, value).build();
    dev.exec(what, &cmd, Data::None).map(|_| ())
}

/// `nvmeq get-property`.
pub fn get_property(ctx: &Ctx, a: &GetPropertyArgs) -> Result<()> {
    let mut dev = super::admin::open_controller(ctx, &a.dev)?;
    let value = get(&mut dev, a.offset)?;
    let bytes = value.to_le_bytes();
    let raw = match size(a.offset) {
        PropertySize::Eight => &bytes[..],
        PropertySize::Four => &bytes[..4],
    };
    if a.human && ctx.fmt == Format::Normal {
        return output::text(&super::reg_human::property_text(a.offset, value));
    }
    output::emit(
        ctx.fmt,
        || property_line(a.offset, value),
        || property_json(a.offset, value),
        raw,
    )
}

/// `nvmeq set-property`.
pub fn set_property(ctx: &Ctx, a: &SetPropertyArgs) -> Result<()> {
    if !a.force {
        return Err(usage(format!(
            "set-property: writing {} ({}) can reset or shut down the controller: \
             pass --force to confirm",
            alt_hex4(a.offset as usize),
            name(a.offset as usize)
        )));
    }
    let mut dev = super::admin::open_controller(ctx, &a.dev)?;
    set(&mut dev, "set-property", a.offset, a.value)?;
    let line = format!(
        "set-property: {} ({}), value: {}\n",
        cx(a.offset as u64),
        name(a.offset as usize),
        cx(a.value)
    );
    match ctx.fmt {
        Format::Normal => output::text(&line),
        Format::Json => output::json(&property_json(a.offset, a.value)),
        Format::Binary => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_follows_the_offset() {
        assert_eq!(size(0x00), PropertySize::Eight);
        assert_eq!(size(0x28), PropertySize::Eight);
        assert_eq!(size(0x08), PropertySize::Four);
        assert_eq!(size(0x14), PropertySize::Four);
        assert_eq!(size(0x99), PropertySize::Four);
    }

    #[test]
    fn lines_as_nvme_cli_prints_them() {
        assert_eq!(
            property_line(0x14, 0x46_0001),
            "property: 0x14 (Controller Configuration), value: 0x460001\n"
        );
        assert_eq!(
            property_line(0, 0x20_0000_0fff),
            "property: 0000 (Controller Capabilities), value: 0x2000000fff\n"
        );
        assert_eq!(
            property_line(0x1c, 0),
            "property: 0x1c (Controller Status), value: 0\n"
        );
        assert_eq!(
            property_line(0x99, 1),
            "property: 0x99 (Unknown), value: 0x1\n"
        );
        let j = serde_json::to_value(property_json(0x08, 0x0002_0000)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"property": "0x08", "name": "Version", "value": "20000"})
        );
        let j = serde_json::to_value(property_json(0, u64::MAX)).unwrap();
        assert_eq!(j["property"], "0x00");
        assert_eq!(j["value"], "ffffffffffffffff");
        let e = crate::schema::errors("get-property", &j);
        assert!(e.is_empty(), "breaks docs/schema/get-property.json: {e:?}");
    }
}
