//! `copy`: the Copy command with nvme-cli 2.13's options (`-d` destination,
//! `-s`/`-b` source ranges with zero-based lengths, `-F` descriptor format,
//! the write-side tags `-r -a -m`, the per-range expected tags `-R -A -M`).
//! Descriptor formats 0h and 1h, and the cross-namespace 2h and 3h with a
//! source namespace (`-N`) and source options (`-O`) per range, as nvme-cli:
//! formats 2h/3h need one `-N` entry per range, 0h/1h take none. A
//! controller takes 2h/3h only once the host enables them in Host Behavior
//! Support (CDFE); nvmeq, like nvme-cli, leaves that to `set-feature`.

use clap::Args;
use nvmeq_core::cmd::{CopyFormat, CopyRanges, DirectiveType, Prinfo};
use nvmeq_core::ranges::{
    CopySourceOptions, CopySourceRangeFormat0, CopySourceRangeFormat1, CopySourceRangeFormat2,
    CopySourceRangeFormat3,
};
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
    /// Source namespace of each range, comma-separated (formats 2 and 3).
    #[arg(short = 'N', long = "snsids", value_parser = num::list_u32)]
    pub snsids: Option<num::List<u32>>,
    /// Source options of each range (bit 15: Fast Copy Only), comma-separated (formats 2 and 3).
    #[arg(short = 'O', long = "sopts", value_parser = num::list_u32)]
    pub sopts: Option<num::List<u32>>,
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
    /// Source range descriptor format: 0 (16-bit guard PI), 1 (32/64-bit guard PI), 2 and 3 (as 0 and 1, between namespaces).
    #[arg(short = 'F', long = "format", value_parser = num::u8, default_value = "0")]
    pub format: u8,
}

/// One source range with its expected tags, before it is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Source {
    snsid: u32,
    sopt: u16,
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

fn sources(a: &CopyArgs, format: CopyFormat) -> Result<Vec<Source>> {
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
    let cross = matches!(format, CopyFormat::Format2 | CopyFormat::Format3);
    if !cross && (a.snsids.is_some() || a.sopts.is_some()) {
        return Err(usage(
            "--snsids and --sopts are for formats 2 and 3 (cross-namespace copy)",
        ));
    }
    if cross && a.snsids.is_none() {
        return Err(usage(format!(
            "copy --format {}: give the source namespace of each range with --snsids",
            format as u8
        )));
    }
    let snsids = per_range(&a.snsids, n, "--snsids")?;
    let sopts = per_range(&a.sopts, n, "--sopts")?;
    let elbts = per_range(&a.eilbrts, n, "--expected-ref-tags")?;
    let elbats = per_range(&a.elbats, n, "--expected-app-tags")?;
    let elbatms = per_range(&a.elbatms, n, "--expected-app-tag-masks")?;
    let narrow = |v: u32, opt: &str| {
        u16::try_from(v).map_err(|_| usage(format!("{opt}: {v:#x} is not a 16-bit value")))
    };
    (0..n)
        .map(|i| {
            if cross && (snsids[i] == 0 || snsids[i] == u32::MAX) {
                return Err(usage(format!(
                    "--snsids: {:#x} names no one namespace",
                    snsids[i]
                )));
            }
            Ok(Source {
                snsid: snsids[i],
                sopt: narrow(sopts[i], "--sopts")?,
                slba: slbs[i],
                nlb_z: narrow(blocks[i], "--blocks")?,
                elbt: elbts[i],
                elbat: narrow(elbats[i], "--expected-app-tags")?,
                elbatm: narrow(elbatms[i], "--expected-app-tag-masks")?,
            })
        })
        .collect()
}

/// The descriptors in `format`: formats 0 and 2 carry 32-bit expected
/// reference tags, formats 1 and 3 an 80-bit tag (most significant byte
/// first) whose low 64 bits nvme-cli fills; 2 and 3 add the source namespace
/// and options.
fn descriptors(format: CopyFormat, src: &[Source]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for s in src {
        let short_tag = || {
            u32::try_from(s.elbt).map_err(|_| {
                usage(format!(
                    "--expected-ref-tags: {:#x} does not fit format {}'s 32-bit tag (use -F {})",
                    s.elbt,
                    format as u8,
                    format as u8 + 1
                ))
            })
        };
        let mut long_tag = [0u8; 10];
        long_tag[2..].copy_from_slice(&s.elbt.to_be_bytes());
        let sopt = CopySourceOptions::from_bits(s.sopt);
        match format {
            CopyFormat::Format0 => out.extend_from_slice(
                CopySourceRangeFormat0 {
                    slba: s.slba,
                    nlb_z: s.nlb_z,
                    elbt: short_tag()?,
                    elbat: s.elbat,
                    elbatm: s.elbatm,
                    ..Default::default()
                }
                .as_bytes(),
            ),
            CopyFormat::Format1 => out.extend_from_slice(
                CopySourceRangeFormat1 {
                    slba: s.slba,
                    nlb_z: s.nlb_z,
                    elbt: long_tag,
                    elbat: s.elbat,
                    elbatm: s.elbatm,
                    ..Default::default()
                }
                .as_bytes(),
            ),
            CopyFormat::Format2 => out.extend_from_slice(
                CopySourceRangeFormat2 {
                    snsid: s.snsid,
                    slba: s.slba,
                    nlb_z: s.nlb_z,
                    sopt,
                    elbt: short_tag()?,
                    elbat: s.elbat,
                    elbatm: s.elbatm,
                    ..Default::default()
                }
                .as_bytes(),
            ),
            CopyFormat::Format3 => out.extend_from_slice(
                CopySourceRangeFormat3 {
                    snsid: s.snsid,
                    slba: s.slba,
                    nlb_z: s.nlb_z,
                    sopt,
                    elbt: long_tag,
                    elbat: s.elbat,
                    elbatm: s.elbatm,
                    ..Default::default()
                }
                .as_bytes(),
            ),
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
        2 => CopyFormat::Format2,
        3 => CopyFormat::Format3,
        f => return Err(usage(format!("copy --format {f}: the formats are 0 to 3"))),
    };
    let src = sources(a, format)?;
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
            snsid: 2,
            sopt: 0x8000,
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
        // Format 0's layout with SNSID in bytes 3:0 and SOPT in 23:22.
        let d = descriptors(CopyFormat::Format2, &[src(0x1234_5678)]).unwrap();
        assert_eq!(d.len(), 32);
        assert_eq!(&d[0..4], &2u32.to_le_bytes());
        assert_eq!(&d[8..16], &0x10u64.to_le_bytes());
        assert_eq!(&d[16..18], &7u16.to_le_bytes());
        assert_eq!(&d[22..24], &[0x00, 0x80], "FCO is bit 15");
        assert_eq!(&d[24..28], &0x1234_5678u32.to_le_bytes());
        assert_eq!(&d[28..32], &[0xef, 0xbe, 0xff, 0xff]);
        let e = descriptors(CopyFormat::Format2, &[src(1 << 32)]).unwrap_err();
        assert!(e.to_string().contains("use -F 3"), "{e}");
        let d = descriptors(CopyFormat::Format3, &[src(0x0102_0304_0506_0708)]).unwrap();
        assert_eq!(d.len(), 40);
        assert_eq!(&d[0..4], &2u32.to_le_bytes());
        assert_eq!(&d[22..26], &[0x00, 0x80, 0, 0]);
        assert_eq!(&d[26..36], &[0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&d[36..40], &[0xef, 0xbe, 0xff, 0xff]);
    }
}
