//! `rpmb`: Replay Protected Memory Block access (Security Protocol EAh)
//! with nvme-cli 2.13's `--cmd` values, options and lines. Programming the
//! key and writing (data or the configuration block) cannot be undone, so
//! they need `--force`. Identify Controller's RPMBS is read first: no RPMB
//! units, an authentication method other than HMAC SHA-256 or a target
//! past the last unit is refused before anything is sent. Every response
//! with a MAC is checked against the key, so the reads need the key too.

mod session;

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use nvmeq_core::rpmb::{RpmbMsgType, Rpmbs, MAC_LEN, SECTOR};
use serde::Serialize;

use super::identify::{ctrl_human, id_ctrl_of};
use super::{Ctx, DevArg};
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, cx, hex, hexdump, Format};
use session::{Key, Session};

/// `--cmd`: the RPMB action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RpmbCmd {
    /// RPMBS of Identify Controller.
    Info,
    /// Program the Authentication Key (once in the device's life).
    ProgramKey,
    /// The Write Counter.
    ReadCounter,
    /// Authenticated data write.
    WriteData,
    /// Authenticated data read.
    ReadData,
    /// Write the Device Configuration Block (target 0).
    WriteConfig,
    /// Read the Device Configuration Block (target 0).
    ReadConfig,
}

/// `rpmb`.
#[derive(Debug, Args)]
pub struct RpmbArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// RPMB action.
    #[arg(short = 'c', long = "cmd", value_enum, default_value = "info")]
    pub cmd: RpmbCmd,
    /// Data file: input of write-data/write-config, output of read-data/read-config.
    #[arg(short = 'f', long = "msgfile")]
    pub msgfile: Option<PathBuf>,
    /// File holding the 32-byte authentication key.
    #[arg(short = 'g', long = "keyfile")]
    pub keyfile: Option<PathBuf>,
    /// The authentication key itself (32 bytes of text).
    #[arg(short = 'k', long = "key")]
    pub key: Option<String>,
    /// Data to write (write-data, write-config), as text.
    #[arg(short = 'd', long = "msg")]
    pub msg: Option<String>,
    /// Sector (512 bytes) offset in the target to read from or write to
    /// (nvme-cli's -o is the output format here).
    #[arg(long = "address", value_parser = num::u32, default_value = "0")]
    pub address: u32,
    /// Number of 512-byte sectors to read or write.
    #[arg(short = 'b', long = "blocks", value_parser = num::u32, default_value = "0")]
    pub blocks: u32,
    /// RPMB target (unit), 0 to 6.
    #[arg(short = 't', long = "target", value_parser = num::u8, default_value = "0")]
    pub target: u8,
    /// Confirm program-key, write-data and write-config: they cannot be undone.
    #[arg(long)]
    pub force: bool,
}

/// `rpmb --cmd info -o json`: RPMBS with nvme-cli's id-ctrl keys.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct InfoJson {
    #[serde(rename = "[31:24]: Access Size")]
    access_size: String,
    #[serde(rename = "[23:16]: Total Size")]
    total_size: String,
    #[serde(rename = "[15:6]: Reserved", skip_serializing_if = "Option::is_none")]
    reserved: Option<String>,
    #[serde(rename = "[5:3]: Authentication Method")]
    auth_method: String,
    #[serde(rename = "[2:0]: Number of RPMB Units")]
    units: String,
}

/// The Device Configuration Block, decoded.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ConfigJson {
    /// Boot Partition Protection is enabled.
    boot_partition_protection: bool,
    /// Boot Partition 0 is locked.
    boot_partition_0_locked: bool,
    /// Boot Partition 1 is locked.
    boot_partition_1_locked: bool,
    /// The 512-byte block, as hex.
    raw: String,
}

/// `rpmb -o json`: what the action returned.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct RpmbJson {
    /// "rpmb".
    command: String,
    /// The `--cmd` value.
    cmd: RpmbCmd,
    /// The RPMB target.
    target: u8,
    /// info: RPMBS.
    #[serde(skip_serializing_if = "Option::is_none")]
    rpmbs: Option<InfoJson>,
    /// read-counter, read-config: the Write Counter.
    #[serde(skip_serializing_if = "Option::is_none")]
    write_counter: Option<u32>,
    /// read-config: the block.
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<ConfigJson>,
    /// read-data: the data, as hex (absent when --msgfile took it).
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    /// read-data, write-data: 512-byte sectors moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    sectors: Option<u32>,
    /// read-data, write-data: the first sector.
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<u32>,
    /// read-data, read-config: the file written.
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

impl RpmbJson {
    fn new(a: &RpmbArgs) -> Self {
        RpmbJson {
            command: "rpmb".into(),
            cmd: a.cmd,
            target: a.target,
            rpmbs: None,
            write_counter: None,
            config: None,
            data: None,
            sectors: None,
            address: None,
            file: None,
        }
    }
}

fn info_json(r: Rpmbs) -> InfoJson {
    let v = r.into_bits();
    let rsvd = (v >> 6) & 0x3ff;
    InfoJson {
        access_size: format!("{:#x}", r.access_size_z()),
        total_size: format!("{:#x}", r.total_size_z()),
        reserved: (rsvd != 0).then(|| format!("{rsvd:#x}")),
        auth_method: format!("{:#x}", r.auth_method()),
        units: format!("{:#x}", r.units()),
    }
}

/// The key from --key or --keyfile, which HMAC SHA-256 RPMB takes as 32 bytes.
fn read_key(a: &RpmbArgs) -> Result<Option<Key>> {
    let bytes = match (&a.key, &a.keyfile) {
        (Some(_), Some(_)) => return Err(usage("rpmb: give the key once: --key or --keyfile")),
        (Some(k), None) => k.as_bytes().to_vec(),
        (None, Some(p)) => std::fs::read(p)
            .map_err(|e| CliError::io(format!("reading key file {}", p.display()), e))?,
        (None, None) => return Ok(None),
    };
    let n = bytes.len();
    let key: Key = bytes.try_into().map_err(|_| {
        usage(format!(
            "rpmb: the key is {n} bytes; an HMAC SHA-256 RPMB key is {MAC_LEN} bytes"
        ))
    })?;
    Ok(Some(key))
}

/// The key every action but info needs: to program it, to sign writes and
/// to check each response's MAC.
fn need_key(a: &RpmbArgs, key: Option<Key>) -> Result<Key> {
    key.ok_or_else(|| {
        usage(format!(
            "rpmb --cmd {}: give the authentication key with --key or --keyfile \
             (it signs writes and checks every response's MAC)",
            a.cmd
                .to_possible_value()
                .map(|v| v.get_name().to_owned())
                .unwrap_or_default()
        ))
    })
}

/// What write-data or write-config sends: --msg, else --msgfile.
fn read_msg(a: &RpmbArgs) -> Result<Vec<u8>> {
    let data = match (&a.msg, &a.msgfile) {
        (Some(_), Some(_)) => {
            return Err(usage("rpmb: give the data once: --msg or --msgfile"));
        }
        (Some(m), None) => m.as_bytes().to_vec(),
        (None, Some(p)) => std::fs::read(p)
            .map_err(|e| CliError::io(format!("reading data file {}", p.display()), e))?,
        (None, None) => {
            return Err(usage(
                "rpmb: give the data to write with --msg or --msgfile",
            ))
        }
    };
    if data.is_empty() {
        return Err(usage("rpmb: the data to write is empty"));
    }
    Ok(data)
}

/// nvme-cli's check: a transfer of 1 sector up to the unit's size.
fn check_blocks(blocks: u32, r: Rpmbs) -> Result<()> {
    if blocks == 0 || u64::from(blocks) > r.unit_sectors() {
        return Err(usage(format!(
            "rpmb: invalid transfer size {} (give --blocks from 1 to {}, the target's 512-byte \
             sectors)",
            u64::from(blocks) * SECTOR as u64,
            r.unit_sectors()
        )));
    }
    Ok(())
}

fn write_file(p: &std::path::Path, data: &[u8]) -> Result<()> {
    std::fs::write(p, data).map_err(|e| CliError::io(format!("writing {}", p.display()), e))
}

/// `nvmeq rpmb`.
pub fn rpmb(ctx: &Ctx, a: &RpmbArgs) -> Result<()> {
    let destructive = matches!(
        a.cmd,
        RpmbCmd::ProgramKey | RpmbCmd::WriteData | RpmbCmd::WriteConfig
    );
    if destructive && !a.force {
        return Err(usage(
            "rpmb: program-key, write-data and write-config cannot be undone (a key is \
             programmed once for the device's life; every write advances the Write Counter): \
             pass --force to confirm",
        ));
    }
    let key = read_key(a)?;
    let key = match a.cmd {
        RpmbCmd::Info => None,
        _ => Some(need_key(a, key)?),
    };
    let msg = match a.cmd {
        RpmbCmd::WriteData | RpmbCmd::WriteConfig => Some(read_msg(a)?),
        _ => None,
    };
    let mut dev = ctx.open(&a.dev)?;
    let (id, _) = id_ctrl_of(&mut dev)?;
    let r = Rpmbs::from_bits(id.rpmbs);
    if r.units() == 0 {
        return Err(CliError::Device(format!(
            "rpmb: No RPMB targets are supported by the drive (Identify Controller RPMBS is \
             {:#x}: Number of RPMB Units 0)",
            id.rpmbs
        )));
    }
    let mut out = RpmbJson::new(a);
    if a.cmd == RpmbCmd::Info {
        return match ctx.fmt {
            Format::Normal => output::text(&ctrl_human::rpmbs(id.rpmbs)),
            Format::Json => output::json(&RpmbJson {
                rpmbs: Some(info_json(r)),
                ..out
            }),
            Format::Binary => output::raw(&id.rpmbs.to_le_bytes()),
        };
    }
    if r.auth_method() != Rpmbs::HMAC_SHA256 {
        return Err(CliError::Device(format!(
            "rpmb: the drive's Authentication Method is {}, not HMAC SHA-256 (0), the one \
             nvmeq speaks",
            cx(r.auth_method())
        )));
    }
    // The configuration block lives on target 0 whatever --target says.
    let target = match a.cmd {
        RpmbCmd::ReadConfig | RpmbCmd::WriteConfig => 0,
        _ => a.target,
    };
    if target >= r.units() {
        return Err(usage(format!(
            "rpmb: target {target} is out of range: the drive has {} RPMB unit(s), 0 to {}",
            r.units(),
            r.units() - 1
        )));
    }
    out.target = target;
    let key = key.expect("every action but info has a key");
    let mut s = Session {
        dev: &mut dev,
        target,
    };
    let chunk = r.access_sectors();
    match a.cmd {
        RpmbCmd::Info => unreachable!("answered above"),
        RpmbCmd::ProgramKey => {
            s.program_key(&key)?;
            match ctx.fmt {
                Format::Json => output::json(&out),
                _ => Ok(()),
            }
        }
        RpmbCmd::ReadCounter => {
            let c = s.read_counter(&key)?;
            match ctx.fmt {
                Format::Normal => output::text(&format!("Write Counter is: {c}\n")),
                Format::Json => output::json(&RpmbJson {
                    write_counter: Some(c),
                    ..out
                }),
                Format::Binary => output::raw(&c.to_le_bytes()),
            }
        }
        RpmbCmd::ReadConfig => {
            let (dcb, c) = s.read_config(&key)?;
            let bytes = zerocopy::IntoBytes::as_bytes(&dcb).to_vec();
            let state = |on: bool, yes: &'static str, no: &'static str| if on { yes } else { no };
            if let Some(p) = &a.msgfile {
                write_file(p, &bytes)?;
            }
            match ctx.fmt {
                Format::Normal => output::text(&match &a.msgfile {
                    Some(p) => format!("Saving received config data to {} file\n", p.display()),
                    None => format!(
                        "Boot Partition Protection is {}\nBoot Partition 1 is {}\n\
                         Boot Partition 0 is {}\n",
                        state(dcb.protection_enabled(), "Enabled", "Disabled"),
                        state(dcb.locked(1), "Locked", "Unlocked"),
                        state(dcb.locked(0), "Locked", "Unlocked"),
                    ),
                }),
                Format::Json => output::json(&RpmbJson {
                    write_counter: Some(c),
                    config: Some(ConfigJson {
                        boot_partition_protection: dcb.protection_enabled(),
                        boot_partition_0_locked: dcb.locked(0),
                        boot_partition_1_locked: dcb.locked(1),
                        raw: hex(&bytes),
                    }),
                    file: a.msgfile.as_ref().map(|p| p.display().to_string()),
                    ..out
                }),
                Format::Binary => output::raw(&bytes),
            }
        }
        RpmbCmd::ReadData => {
            check_blocks(a.blocks, r)?;
            let mut data = Vec::with_capacity(a.blocks as usize * SECTOR);
            let mut at = a.address;
            while data.len() < a.blocks as usize * SECTOR {
                let left = a.blocks - (data.len() / SECTOR) as u32;
                let n = left.min(chunk);
                data.extend(s.read_data(at, n, &key)?);
                at = at.saturating_add(n);
            }
            if let Some(p) = &a.msgfile {
                write_file(p, &data)?;
            }
            match ctx.fmt {
                Format::Normal => output::text(&match &a.msgfile {
                    Some(p) => format!("Writing {} bytes to file {}\n", data.len(), p.display()),
                    None => hexdump(&data),
                }),
                Format::Json => output::json(&RpmbJson {
                    sectors: Some(a.blocks),
                    address: Some(a.address),
                    data: a.msgfile.is_none().then(|| hex(&data)),
                    file: a.msgfile.as_ref().map(|p| p.display().to_string()),
                    ..out
                }),
                Format::Binary => output::raw(&data),
            }
        }
        RpmbCmd::WriteData => {
            check_blocks(a.blocks, r)?;
            let msg = msg.expect("read above");
            let len = a.blocks as usize * SECTOR;
            if msg.len() < len {
                return Err(usage(format!(
                    "rpmb: invalid transfer size {len}: --blocks {} needs {len} bytes of data, \
                     the data holds {}",
                    a.blocks,
                    msg.len()
                )));
            }
            let mut done = 0u32;
            for piece in msg[..len].chunks(chunk as usize * SECTOR) {
                s.write(
                    RpmbMsgType::DATA_WRITE,
                    a.address.saturating_add(done),
                    piece,
                    &key,
                )
                .map_err(|e| {
                    CliError::Device(format!(
                        "{e} (written {done} sectors out of {} @target({target}):{:#x})",
                        a.blocks, a.address
                    ))
                })?;
                done += (piece.len() / SECTOR) as u32;
            }
            match ctx.fmt {
                Format::Normal => output::text(&format!(
                    "Written {done} sectors out of {} @target({target}):{:#x}\n",
                    a.blocks, a.address
                )),
                Format::Json => output::json(&RpmbJson {
                    sectors: Some(done),
                    address: Some(a.address),
                    ..out
                }),
                Format::Binary => Ok(()),
            }
        }
        RpmbCmd::WriteConfig => {
            let msg = msg.expect("read above");
            if msg.len() > SECTOR {
                return Err(usage(format!(
                    "rpmb: the configuration block is {SECTOR} bytes; the data holds {}",
                    msg.len()
                )));
            }
            let mut block = [0u8; SECTOR];
            block[..msg.len()].copy_from_slice(&msg);
            s.write(RpmbMsgType::DCB_WRITE, 0, &block, &key)?;
            match ctx.fmt {
                Format::Json => output::json(&out),
                _ => Ok(()),
            }
        }
    }
}
