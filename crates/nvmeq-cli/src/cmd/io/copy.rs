//! `copy`: the Copy command with nvme-cli 2.13's options (`-d` destination,
//! `-s`/`-b` source ranges with zero-based lengths, `-F` descriptor format,
//! the write-side tags `-r -a -m`, the per-range expected tags `-R -A -M`).
//! Descriptor formats 0h and 1h; 2h and 3h (cross-namespace sources,
//! nvme-cli's `-N`/`-O`) have no descriptors in nvmeq-core yet and are
//! refused before anything is sent.

use clap::Args;
use nvmeq_core::cmd::{CopyFormat, CopyRanges, DirectiveType, Prinfo};
use nvmeq_core::ranges::{CopySourceRangeFormat0, CopySourceRangeFormat1};
use nvmeq_core::Data;
use zerocopy::IntoBytes;

use super::DirectiveArgs;
use crate::cmd::{done, require_nsid, Ctx, DevArg};
use crate::error::{usage, Result};
use crate::num;

/// The most source ranges one Copy takes (NR is 8 bits, zero-based).
const MAX_RANGES: usize = 256;

/// `copy`.
#[derive(Debug, Args)]
pub struct CopyArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: the copy writes the destination blocks).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// First destination block (SDLBA).
    #[arg(short = 'd', long = "sdlba", value_parser = num::suffixed, default_value = "0")]
    pub sdlba: u64,
    /// First block of each source range, comma-separated.
    #[arg(short = 's', long = "slbs", value_parser = num::list_u64)]
    pub slbs: num::List<u64>,
    /// Blocks of each source range, zero-based as in nvme-cli (0 = one block), comma-separated.
    #[arg(short = 'b', long = "blocks", value_parser = num::list_u32)]
    pub blocks: num::List<u32>,
    /// Limited Retry.
    #[arg(short = 'l', long = "limited-retry")]
    pub lr: bool,
    /// Force Unit Access.
    #[arg(short = 'f', long = "force-unit-access")]
    pub fua: bool,
    /// PRINFOW: protection information action and checks for the destination.
    #[arg(short = 'p', long = "prinfow", value_parser = num::u8, default_value = "0")]
    pub prinfow: u8,
    /// PRINFOR: protection information action and checks for the sources.
    #[arg(short = 'P', long = "prinfor", value_parser = num::u8, default_value = "0")]
    pub prinfor: u8,
    /// Initial reference tag of the destination (ILBRT).
    #[arg(short = 'r', long = "ref-tag", value_parser = num::u32, default_value = "0")]
    pub ilbrt: u32,
    /// Expected initial reference tag of each source range, comma-separated.
    #[arg(short = 'R', long = "expected-ref-tags", value_parser = num::list_u64)]
    pub eilbrts: Option<num::List<u64>>,
    /// Application tag of the destination (LBAT).
    #[arg(short = 'a', long = "app-tag", value_parser = num::u16, default_value = "0")]
    pub lbat: u16,
    /// Expected application tag of each source range, comma-separated.
    #[arg(short = 'A', long = "expected-app-tags", value_parser = num::list_u32)]
    pub elbats: Option<num::List<u32>>,
    /// Application tag mask of the destination (LBATM).
    #[arg(short = 'm', long = "app-tag-mask", value_parser = num::u16, default_value = "0")]
    pub lbatm: u16,
    /// Expected application tag mask of each source range, comma-separated.
    #[arg(short = 'M', long = "expected-app-tag-masks", value_parser = num::list_u32)]
    pub elbatms: Option<num::List<u32>>,
    #[command(flatten)]
    pub dir: DirectiveArgs,
    /// Source range descriptor format: 0 (16-bit guard PI) or 1 (32/64-bit guard PI).
    #[arg(short = 'F', long = "format", value_parser = num::u8, default_value = "0")]
    pub format: u8,
}

/// One source range with its expected tags, before it is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Source {
    slba: u64,
    nlb_z: u16,
    elbt: u64,
    elbat: u16,
    elbatm: u16,
}

/// A per-range list: absent means zeros; present, one entry per range.
fn per_range<T: Copy + Default>(
    list: &Option<num::List<T>>,
    n: usize,
    opt: &str,
) -> Result<Vec<T>> {
    match list {
        None => Ok(vec![T::default(); n]),
        Some(num::List(v)) if v.len() == n => Ok(v.clone()),
        Some(num::List(v)) => Err(usage(format!(
            "{opt} has {} entries for {n} source ranges: give one per range",
            v.len()
        ))),
    }
}

fn sources(a: &CopyArgs) -> Result<Vec<Source>> {
    let (slbs, blocks) = (&a.slbs.0, &a.blocks.0);
    if slbs.len() != blocks.len() {
        return Err(usage(format!(
            "--slbs has {} entries but --blocks has {}: give one length per start",
            slbs.len(),
            blocks.len()
        )));
    }
    let n = slbs.len();
    if n == 0 || n > MAX_RANGES {
        return Err(usage(format!(
            "copy takes 1 to {MAX_RANGES} source ranges, not {n}"
        )));
    }
    let elbts = per_range(&a.eilbrts, n, "--expected-ref-tags")?;
    let elbats = per_range(&a.elbats, n, "--expected-app-tags")?;
    let elbatms = per_range(&a.elbatms, n, "--expected-app-tag-masks")?;
    let narrow = |v: u32, opt: &str| {
        u16::try_from(v).map_err(|_| usage(format!("{opt}: {v:#x} is not a 16-bit value")))
    };
    (0..n)
        .map(|i| {
            Ok(Source {
                slba: slbs[i],
                nlb_z: narrow(blocks[i], "--blocks")?,
                elbt: elbts[i],
                elbat: narrow(elbats[i], "--expected-app-tags")?,
                elbatm: narrow(elbatms[i], "--expected-app-tag-masks")?,
            })
        })
        .collect()
}

/// The descriptors in `format`: format 0 carries 32-bit expected reference
/// tags, format 1 an 80-bit tag (most significant byte first) whose low 64
/// bits nvme-cli fills.
fn descriptors(format: CopyFormat, src: &[Source]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for s in src {
        let nlb = u32::from(s.nlb_z) + 1;
        match format {
            CopyFormat::Format0 => {
                let elbt = u32::try_from(s.elbt).map_err(|_| {
                    usage(format!(
                        "--expected-ref-tags: {:#x} does not fit format 0's 32-bit tag (use -F 1)",
                        s.elbt
                    ))
                })?;
                let mut d = CopySourceRangeFormat0::new(s.slba, nlb)
                    .ok_or_else(|| usage(format!("--blocks: {nlb} blocks is not 1..=65536")))?;
                d.elbt = elbt;
                d.elbat = s.elbat;
                d.elbatm = s.elbatm;
                out.extend_from_slice(d.as_bytes());
            }
            CopyFormat::Format1 => {
                let mut d = CopySourceRangeFormat1 {
                    slba: s.slba,
                    nlb_z: s.nlb_z,
                    elbat: s.elbat,
                    elbatm: s.elbatm,
                    ..Default::default()
                };
                d.elbt[2..].copy_from_slice(&s.elbt.to_be_bytes());
                out.extend_from_slice(d.as_bytes());
            }
        }
    }
    Ok(out)
}

fn four_bits(v: u8, opt: &str) -> Result<Prinfo> {
    if v > 0xf {
        return Err(usage(format!(
            "{opt} {v:#x} is not a 4-bit value (bit 3 PRACT, bits 2:0 PRCHK)"
        )));
    }
    Ok(Prinfo::from_bits(v))
}

/// `nvmeq copy`.
pub fn copy(ctx: &Ctx, a: &CopyArgs) -> Result<()> {
    let nsid = require_nsid("copy", a.nsid)?;
    let format = match a.format {
        0 => CopyFormat::Format0,
        1 => CopyFormat::Format1,
        2 | 3 => {
            return Err(usage(format!(
                "copy --format {}: cross-namespace descriptor formats (2h, 3h) are not \
                 implemented; use 0 or 1",
                a.format
            )))
        }
        f => return Err(usage(format!("copy --format {f}: the formats are 0 to 3"))),
    };
    let src = sources(a)?;
    let data = descriptors(format, &src)?;
    let cmd = CopyRanges::new(nsid, a.sdlba, (src.len() - 1) as u8, format)
        .fua(a.fua)
        .lr(a.lr)
        .prinfor(four_bits(a.prinfor, "--prinfor")?)
        .prinfow(four_bits(a.prinfow, "--prinfow")?)
        .directive(DirectiveType(a.dir.dtype), a.dir.dspec)
        .ilbrt(a.ilbrt)
        .lbat(a.lbat, a.lbatm)
        .build();
    let mut dev = ctx.open(&a.dev)?;
    let c = dev.exec("Copy", &cmd, Data::ToDevice(&data))?;
    done(ctx, "copy", Some(nsid), c.result())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(elbt: u64) -> Source {
        Source {
            slba: 0x10,
            nlb_z: 7,
            elbt,
            elbat: 0xbeef,
            elbatm: 0xffff,
        }
    }

    #[test]
    fn descriptor_layouts() {
        let d = descriptors(CopyFormat::Format0, &[src(0x1234_5678)]).unwrap();
        assert_eq!(d.len(), 32);
        assert_eq!(&d[8..16], &0x10u64.to_le_bytes());
        assert_eq!(&d[16..18], &7u16.to_le_bytes());
        assert_eq!(&d[24..28], &0x1234_5678u32.to_le_bytes());
        assert_eq!(&d[28..32], &[0xef, 0xbe, 0xff, 0xff]);
        let e = descriptors(CopyFormat::Format0, &[src(1 << 32)]).unwrap_err();
        assert!(e.to_string().contains("use -F 1"), "{e}");
        let d = descriptors(CopyFormat::Format1, &[src(0x0102_0304_0506_0708), src(0)]).unwrap();
        assert_eq!(d.len(), 80);
        assert_eq!(&d[26..36], &[0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&d[36..40], &[0xef, 0xbe, 0xff, 0xff]);
    }
}
