//! Namespace management: `create-ns`, `attach-ns`, `detach-ns`,
//! `delete-ns`, with nvme-cli 2.13's options and success lines. The last
//! three need `--namespace-id` (nvme-cli too); `detach-ns` and `delete-ns`
//! also need `--force`: the first takes the namespace away from the hosts of
//! those controllers, the second erases it. `create-ns` sends the Host
//! Software Specified Fields (the Identify Namespace layout) and prints the
//! NSID the controller chose.

use clap::Args;
use nvmeq_core::cmd::{Cns, Identify, NsAttachment, NsManagement};
use nvmeq_core::identify::{oacs, ControllerList, IdentifyNamespace, NsGranularityList, NsList};
use nvmeq_core::Data;
use zerocopy::{FromBytes, FromZeros, IntoBytes};

use super::identify::{id_ctrl_of, identify};
use super::{done, require_force, require_nsid, Ctx, DevArg};
use crate::device::Device;
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, Format};

/// `attach-ns` / `detach-ns`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Controller IDs, comma-separated (default: this controller's CNTLID).
    #[arg(short = 'c', long = "controllers", value_parser = num::list_u32)]
    pub controllers: Option<num::List<u32>>,
    /// detach-ns: confirm taking the namespace away from those controllers.
    #[arg(long)]
    pub force: bool,
}

/// `delete-ns`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required; `all` for every namespace).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Confirm erasing the namespace.
    #[arg(long)]
    pub force: bool,
}

/// The Controller List to send: the given IDs, ascending as the spec
/// requires, or the controller's own.
fn controller_list(dev: &mut Device, ids: &Option<num::List<u32>>) -> Result<ControllerList> {
    let mut ids: Vec<u16> = match ids {
        Some(num::List(v)) => v
            .iter()
            .map(|&id| {
                u16::try_from(id)
                    .map_err(|_| usage(format!("--controllers: {id:#x} is not a 16-bit ID")))
            })
            .collect::<Result<_>>()?,
        None => vec![id_ctrl_of(dev)?.0.cntlid],
    };
    ids.sort_unstable();
    ids.dedup();
    let mut list = ControllerList::new_zeroed();
    if ids.is_empty() || ids.len() > list.ids.len() {
        return Err(usage(format!(
            "--controllers: 1 to {} IDs, not {}",
            list.ids.len(),
            ids.len()
        )));
    }
    list.num = ids.len() as u16;
    list.ids[..ids.len()].copy_from_slice(&ids);
    Ok(list)
}

/// A failed namespace command, with nvme-cli's hint when OACS says the
/// controller has no namespace management at all.
fn explain(dev: &mut Device, err: CliError) -> CliError {
    match err {
        CliError::Nvme { op, status } => match id_ctrl_of(dev) {
            Ok((c, _)) if c.oacs & oacs::NS_MGMT == 0 => CliError::Device(format!(
                "{op}: {status}; the controller reports no namespace management and \
                 attachment (OACS bit 3 clear)"
            )),
            _ => CliError::Nvme { op, status },
        },
        e => e,
    }
}

/// Success: nvme-cli's line on stdout in normal mode, a `Done` in JSON.
fn success(ctx: &Ctx, op: &str, line: String, nsid: u32, result: u64) -> Result<()> {
    match ctx.fmt {
        Format::Normal => output::text(&format!("{line}\n")),
        _ => done(ctx, op, Some(nsid), result),
    }
}

/// `nvmeq attach-ns` (`attach`) or `nvmeq detach-ns`.
pub fn attach(ctx: &Ctx, a: &AttachArgs, attach: bool) -> Result<()> {
    let op = if attach { "attach-ns" } else { "detach-ns" };
    let nsid = require_nsid(op, a.nsid)?;
    if !attach && !a.force {
        return Err(usage(
            "detach-ns takes the namespace away from the controllers' hosts: pass --force \
             to confirm (and --namespace-id)",
        ));
    }
    let mut dev = ctx.open(&a.dev)?;
    let list = controller_list(&mut dev, &a.controllers)?;
    let (name, cmd) = if attach {
        ("Namespace Attachment (attach)", NsAttachment::attach(nsid))
    } else {
        ("Namespace Attachment (detach)", NsAttachment::detach(nsid))
    };
    match dev.exec(name, &cmd.build(), Data::ToDevice(list.as_bytes())) {
        Ok(c) => success(
            ctx,
            op,
            format!("{op}: Success, nsid:{nsid}"),
            nsid,
            c.result(),
        ),
        Err(e) => Err(explain(&mut dev, e)),
    }
}

/// `nvmeq delete-ns`.
pub fn delete(ctx: &Ctx, a: &DeleteArgs) -> Result<()> {
    let nsid = require_nsid("delete-ns", a.nsid)?;
    require_force("delete-ns", a.force)?;
    let mut dev = ctx.open(&a.dev)?;
    match dev.exec(
        "Namespace Management (delete)",
        &NsManagement::delete(nsid).build(),
        Data::None,
    ) {
        Ok(c) => success(
            ctx,
            "delete-ns",
            format!("delete-ns: Success, deleted nsid:{nsid}"),
            nsid,
            c.result(),
        ),
        Err(e) => Err(explain(&mut dev, e)),
    }
}

/// `create-ns`, with nvme-cli 2.13's options. nvme-cli gives `-n` to
/// `--nphndls` here, not to a namespace ID: the controller picks the NSID.
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Size of the namespace in logical blocks (NSZE); K/M/G suffixes multiply.
    #[arg(short = 's', long = "nsze", value_parser = num::suffixed)]
    pub nsze: Option<u64>,
    /// Capacity of the namespace in logical blocks (NCAP).
    #[arg(short = 'c', long = "ncap", value_parser = num::suffixed)]
    pub ncap: Option<u64>,
    /// Formatted LBA Size (FLBAS); give this or --block-size.
    #[arg(short = 'f', long = "flbas", value_parser = num::u8)]
    pub flbas: Option<u8>,
    /// End-to-end Data Protection Type Settings (DPS).
    #[arg(short = 'd', long = "dps", value_parser = num::u8, default_value = "0")]
    pub dps: u8,
    /// Namespace Multi-path I/O and Sharing Capabilities (NMIC).
    #[arg(short = 'm', long = "nmic", value_parser = num::u8, default_value = "0")]
    pub nmic: u8,
    /// ANA Group Identifier (ANAGRPID).
    #[arg(short = 'a', long = "anagrp-id", value_parser = num::u32, default_value = "0")]
    pub anagrpid: u32,
    /// NVM Set Identifier (NVMSETID).
    #[arg(short = 'i', long = "nvmset-id", value_parser = num::u16, default_value = "0")]
    pub nvmsetid: u16,
    /// Endurance Group Identifier (ENDGID).
    #[arg(short = 'e', long = "endg-id", value_parser = num::u16, default_value = "0")]
    pub endgid: u16,
    /// Data size of the LBA format to use, when --flbas is not given: the
    /// format with that size and no metadata.
    #[arg(short = 'b', long = "block-size", value_parser = num::suffixed)]
    pub block_size: Option<u64>,
    /// Command Set Identifier (CSI) of the namespace.
    #[arg(short = 'y', long = "csi", value_parser = num::u8, default_value = "0")]
    pub csi: u8,
    /// Logical Block Storage Tag Mask (LBSTM).
    #[arg(short = 'l', long = "lbstm", value_parser = num::suffixed, default_value = "0")]
    pub lbstm: u64,
    /// Number of Placement Handles (NPHNDLS); must match --phndls.
    #[arg(short = 'n', long = "nphndls", value_parser = num::u16, default_value = "0")]
    pub nphndls: u16,
    /// NSZE in SI units (`1G` is 10^9 bytes, rounded up to the granularity,
    /// then divided by the block size); a plain number is blocks.
    #[arg(short = 'S', long = "nsze-si", value_parser = si)]
    pub nsze_si: Option<Si>,
    /// NCAP in SI units, as --nsze-si.
    #[arg(short = 'C', long = "ncap-si", value_parser = si)]
    pub ncap_si: Option<Si>,
    /// Zoned: Allocate ZRWA Resources (AZR).
    #[arg(short = 'z', long = "azr")]
    pub azr: bool,
    /// Zoned: Requested Active Resources (RAR).
    #[arg(short = 'r', long = "rar", value_parser = num::u32, default_value = "0")]
    pub rar: u32,
    /// Zoned: Requested Open Resources (ROR).
    #[arg(short = 'O', long = "ror", value_parser = num::u32, default_value = "0")]
    pub ror: u32,
    /// Zoned: Requested Number of ZRWA Resources (RNUMZRWA).
    #[arg(short = 'u', long = "rnumzrwa", value_parser = num::u32, default_value = "0")]
    pub rnumzrwa: u32,
    /// Placement Handle Associated RUH list, comma-separated.
    #[arg(short = 'p', long = "phndls", value_parser = num::list_u32)]
    pub phndls: Option<num::List<u32>>,
}

/// A `--nsze-si`/`--ncap-si` value: a number with an optional fraction
/// and one SI suffix (k, M, G, T, P, E: powers of 1000), as nvme-cli
/// parses it. Without a suffix it is a block count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Si {
    /// The value: bytes with a suffix, blocks without.
    pub value: u64,
    /// Whether a suffix was given (then the value is bytes).
    pub bytes: bool,
}

fn si(s: &str) -> std::result::Result<Si, String> {
    let t = s.trim();
    if t.starts_with("0x") || t.starts_with("0X") {
        return num::parse_u64(t).map(|value| Si {
            value,
            bytes: false,
        });
    }
    let (body, exp) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let exp = match c {
                'k' => 3,
                'M' => 6,
                'G' => 9,
                'T' => 12,
                'P' => 15,
                'E' => 18,
                _ => {
                    return Err(format!(
                        "'{s}': unknown SI suffix '{c}' (use k, M, G, T, P or E)"
                    ))
                }
            };
            (&t[..i], Some(exp))
        }
        _ => (t, None),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let all_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) || (exp.is_none() && body != int) {
        return Err(format!(
            "'{s}' is not an SI size: expected digits, an optional fraction and one of \
             k, M, G, T, P, E"
        ));
    }
    let too_big = || format!("'{s}' is out of range: it does not fit in 64 bits");
    let Some(exp) = exp else {
        return num::parse_u64(int).map(|value| Si {
            value,
            bytes: false,
        });
    };
    let scale = 10u64.pow(exp);
    let whole = num::parse_u64(int)?
        .checked_mul(scale)
        .ok_or_else(too_big)?;
    // The fraction's digits beyond the suffix's exponent are dropped.
    let digits: String = frac.chars().take(exp as usize).collect();
    let part = if digits.is_empty() {
        0
    } else {
        num::parse_u64(&digits)? * 10u64.pow(exp - digits.len() as u32)
    };
    Ok(Si {
        value: whole.checked_add(part).ok_or_else(too_big)?,
        bytes: true,
    })
}

/// CTRATT bit 7: the controller reports namespace granularities (CNS 16h).
const CTRATT_NS_GRANULARITY: u32 = 1 << 7;

/// Byte offsets in the Host Software Specified Fields past the Identify
/// Namespace fields core names (Base spec 2.0, "Namespace Management – Host
/// Software Specified Fields" figure; ZNS spec for bytes 499..512).
mod host_field {
    /// Logical Block Storage Tag Mask (LBSTM), 8 bytes.
    pub const LBSTM: usize = 384;
    /// Number of Placement Handles (NPHNDLS), 2 bytes.
    pub const NPHNDLS: usize = 392;
    /// Zoned Namespace Create Options (ZNSCO): bit 0 AZR.
    pub const ZNSCO: usize = 499;
    /// Requested Active Resources (RAR), 4 bytes.
    pub const RAR: usize = 500;
    /// Requested Open Resources (ROR), 4 bytes.
    pub const ROR: usize = 504;
    /// Requested Number of ZRWA Resources (RNUMZRWA), 4 bytes.
    pub const RNUMZRWA: usize = 508;
    /// Placement Handle List: 128 two-byte RUH identifiers.
    pub const PHNDL: usize = 512;
}

/// The LBA format index FLBAS names (bits 3:0, with bits 6:5 above them).
fn flbas_index(flbas: u8) -> usize {
    (flbas & 0xf) as usize | ((((flbas >> 5) & 0x3) as usize) << 4)
}

/// Converts an SI size to blocks as nvme-cli does: bytes rounded up to
/// `align`, then divided by the format's data plus metadata size.
fn si_blocks(opt: &str, si: Si, align: u64, block: u64) -> Result<u64> {
    if !si.bytes {
        return Ok(si.value);
    }
    let rem = si.value % align;
    let v = if rem == 0 {
        si.value
    } else {
        si.value
            .checked_add(align - rem)
            .ok_or_else(|| usage(format!("--{opt}-si: {} bytes overflows", si.value)))?
    };
    Ok(v / block)
}

/// `nvmeq create-ns`: Namespace Management (create). Not behind `--force`:
/// it only takes unallocated capacity and the new namespace stays detached,
/// so no data and no host's view changes; `delete-ns --force` undoes it.
pub fn create(ctx: &Ctx, a: &CreateArgs) -> Result<()> {
    if a.flbas.is_some() && a.block_size.is_some() {
        return Err(usage(
            "create-ns: give --flbas or --block-size, not both (nvme-cli refuses too)",
        ));
    }
    if let Some(bs) = a.block_size {
        if !bs.is_power_of_two() {
            return Err(usage(format!(
                "create-ns: --block-size {bs} is not a power of two"
            )));
        }
    }
    if a.block_size.is_none() && a.flbas.is_none() {
        return Err(usage(
            "create-ns: name the LBA format with --flbas, or its data size with --block-size",
        ));
    }
    if a.nsze.is_some() && a.nsze_si.is_some() {
        return Err(usage("create-ns: give --nsze or --nsze-si, not both"));
    }
    if a.ncap.is_some() && a.ncap_si.is_some() {
        return Err(usage("create-ns: give --ncap or --ncap-si, not both"));
    }
    let zoned = a.azr || a.rar != 0 || a.ror != 0 || a.rnumzrwa != 0;
    if zoned && nvmeq_core::identify::Csi(a.csi) != nvmeq_core::identify::Csi::ZNS {
        return Err(usage(format!(
            "create-ns: --azr, --rar, --ror and --rnumzrwa are for zoned namespaces, \
             and --csi is {:#x} (zoned is 0x2)",
            a.csi
        )));
    }
    let phndls: Vec<u16> = match &a.phndls {
        None => Vec::new(),
        Some(num::List(v)) => v
            .iter()
            .map(|&h| {
                u16::try_from(h).map_err(|_| usage(format!("--phndls: {h:#x} is not 16 bits")))
            })
            .collect::<Result<_>>()?,
    };
    if phndls.len() != a.nphndls as usize || phndls.len() > 128 {
        return Err(usage(format!(
            "create-ns: --nphndls is {} but --phndls lists {} handles (at most 128)",
            a.nphndls,
            phndls.len()
        )));
    }

    let mut dev = ctx.open(&a.dev)?;
    let (ctrl, _) = id_ctrl_of(&mut dev)?;
    // The format the sizes are counted in, from the controller's common
    // namespace capabilities (NSID FFFFFFFFh), as nvme-cli reads them.
    let needs_formats = a.block_size.is_some() || a.nsze_si.is_some() || a.ncap_si.is_some();
    let common = if needs_formats {
        let nsid = if ctrl.oacs & oacs::NS_MGMT != 0 {
            u32::MAX
        } else {
            let raw = identify(
                &mut dev,
                "Identify Active Namespace List",
                Identify::active_ns_list(0),
            )?;
            NsList::read_from_bytes(&raw)
                .map(|l| l.ns[0])
                .map_err(|_| CliError::Device("Identify Active Namespace List: short".into()))?
        };
        let raw = identify(&mut dev, "Identify Namespace", Identify::namespace(nsid))?;
        Some(
            IdentifyNamespace::read_from_bytes(&raw)
                .map_err(|_| CliError::Device("Identify Namespace: short structure".into()))?,
        )
    } else {
        None
    };
    let flbas = match (a.flbas, a.block_size, &common) {
        (Some(f), _, _) => f,
        (None, Some(bs), Some(id)) => (0..=id.nlbaf_z as usize)
            .find(|&i| {
                let f = id.lbaf[i];
                1u64 << f.lbads() == bs && f.ms() == 0
            })
            .map(|i| (i & 0xf) as u8 | ((i >> 4) as u8) << 5)
            .ok_or_else(|| {
                CliError::Device(format!(
                    "create-ns: no LBA format of {bs}-byte blocks without metadata; \
                     correct --block-size or give --flbas"
                ))
            })?,
        _ => unreachable!("checked above: --flbas or --block-size"),
    };

    // nvme-cli rounds SI sizes to 1 MiB, or to the granularity the
    // controller reports for this format.
    let (mut align_nsze, mut align_ncap) = (1u64 << 20, 1u64 << 20);
    if ctrl.ctratt & CTRATT_NS_GRANULARITY != 0 && (a.nsze_si.is_some() || a.ncap_si.is_some()) {
        if let Ok(raw) = identify(
            &mut dev,
            "Identify Namespace Granularity List",
            Identify::new(Cns::NS_GRANULARITY, 0),
        ) {
            let l = NsGranularityList::read_from_bytes(&raw)
                .map_err(|_| CliError::Device("Namespace Granularity List: short".into()))?;
            // Attribute bit 0: one descriptor per LBA format; else the first for all.
            let index = if l.attributes & 1 == 0 {
                Some(0)
            } else {
                Some(flbas_index(flbas)).filter(|&i| i <= l.num_descriptors_z as usize)
            };
            if let Some(d) = index.and_then(|i| l.entries.get(i)) {
                if d.nszegran.get() != 0 {
                    align_nsze = d.nszegran.get();
                    eprintln!("enforce nsze alignment to {align_nsze:x} because of namespace granularity requirements");
                }
                if d.ncapgran.get() != 0 {
                    align_ncap = d.ncapgran.get();
                    eprintln!("enforce ncap alignment to {align_ncap:x} because of namespace granularity requirements");
                }
            }
        }
    }
    let block = |id: &IdentifyNamespace| {
        let f = id.lbaf[flbas_index(flbas)];
        (1u64 << f.lbads()) + f.ms() as u64
    };
    let nsze = match (a.nsze, a.nsze_si, &common) {
        (Some(n), _, _) => n,
        (None, Some(si), Some(id)) => si_blocks("nsze", si, align_nsze, block(id))?,
        _ => 0,
    };
    let ncap = match (a.ncap, a.ncap_si, &common) {
        (Some(n), _, _) => n,
        (None, Some(si), Some(id)) => si_blocks("ncap", si, align_ncap, block(id))?,
        _ => 0,
    };

    let mut host = IdentifyNamespace::new_zeroed();
    host.nsze = nsze;
    host.ncap = ncap;
    host.flbas = flbas;
    host.dps = a.dps;
    host.nmic = a.nmic;
    host.anagrpid = a.anagrpid;
    host.nvmsetid = a.nvmsetid;
    host.endgid = a.endgid;
    let raw = host.as_mut_bytes();
    raw[host_field::LBSTM..][..8].copy_from_slice(&a.lbstm.to_le_bytes());
    raw[host_field::NPHNDLS..][..2].copy_from_slice(&a.nphndls.to_le_bytes());
    raw[host_field::ZNSCO] = a.azr as u8;
    raw[host_field::RAR..][..4].copy_from_slice(&a.rar.to_le_bytes());
    raw[host_field::ROR..][..4].copy_from_slice(&a.ror.to_le_bytes());
    raw[host_field::RNUMZRWA..][..4].copy_from_slice(&a.rnumzrwa.to_le_bytes());
    for (i, h) in phndls.iter().enumerate() {
        raw[host_field::PHNDL + 2 * i..][..2].copy_from_slice(&h.to_le_bytes());
    }

    let cmd = NsManagement::create(nvmeq_core::identify::Csi(a.csi)).build();
    match dev.exec(
        "Namespace Management (create)",
        &cmd,
        Data::ToDevice(host.as_bytes()),
    ) {
        Ok(c) => {
            let nsid = NsManagement::created_nsid(&c);
            success(
                ctx,
                "create-ns",
                format!("create-ns: Success, created nsid:{nsid}"),
                nsid,
                c.result(),
            )
        }
        Err(e) => Err(explain(&mut dev, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_sizes_parse_as_nvme_cli_does() {
        let b = |value| Si { value, bytes: true };
        assert_eq!(
            si("1000"),
            Ok(Si {
                value: 1000,
                bytes: false
            })
        );
        assert_eq!(
            si("0x10"),
            Ok(Si {
                value: 16,
                bytes: false
            })
        );
        assert_eq!(si("1k"), Ok(b(1000)));
        assert_eq!(si("1.5G"), Ok(b(1_500_000_000)));
        assert_eq!(si("2.123456789M"), Ok(b(2_123_456)));
        assert_eq!(
            si("19E"),
            Err("'19E' is out of range: it does not fit in 64 bits".into())
        );
        assert!(si("1K").unwrap_err().contains("unknown SI suffix 'K'"));
        assert!(si("1.5").is_err(), "a fraction needs a suffix");
        assert!(si("G").is_err());
    }

    #[test]
    fn si_blocks_round_up_to_the_granularity_then_divide() {
        let b = |value| Si { value, bytes: true };
        assert_eq!(
            si_blocks("nsze", b(60_000_000), 1 << 20, 512).unwrap(),
            58 * 2048
        );
        assert_eq!(
            si_blocks("nsze", b(1 << 20), 1 << 20, 520).unwrap(),
            (1 << 20) / 520
        );
        assert_eq!(
            si_blocks(
                "nsze",
                Si {
                    value: 7,
                    bytes: false
                },
                1 << 20,
                512
            )
            .unwrap(),
            7
        );
    }

    #[test]
    fn flbas_index_joins_the_split_fields() {
        assert_eq!(flbas_index(0x0f), 15);
        assert_eq!(flbas_index(0x10), 0, "bit 4 is the extended flag");
        assert_eq!(flbas_index(0x21), 17);
        assert_eq!(flbas_index(0x6f), 63);
    }
}
