//! The facade's block helpers ([`nvmeq::BackendExt`]) on a format with
//! metadata: "just write these bytes" through `write_blocks`, across more
//! than one command where the transfer limit allows, then `read_blocks`.
//! A raw read of the first and last blocks then shows what the helpers left
//! on the medium: PI the controller generated (guard from the data,
//! reference tag from each command's first LBA, application tag 0),
//! checked on the host, or zeroed metadata on a format without PI.

use nvmeq::BackendExt;
use nvmeq_core::cmd::{Prinfo, Read};
use nvmeq_core::format::NsFormat;
use nvmeq_core::pi::{self, PiType, Prchk, Tags};
use nvmeq_core::Data;

use crate::pattern::{diff, fill};
use crate::registry::HwBackend;
use crate::runner::TestResult;
use crate::suite::Ctx;

/// Blocks each raw read takes, at the start and at the end of the range.
const RAW: u64 = 4;

/// Writes and reads back blocks at `slba` on a namespace of format `fmt`
/// through the facade's helpers, then checks the medium with raw reads.
pub(super) fn blocks<B: HwBackend>(c: &mut Ctx<B>, fmt: &NsFormat, slba: u64) -> TestResult {
    let lba = fmt.lba_size() as usize;
    // What one command moves per block: the facade stages extended blocks
    // unless PRACT strips PI-only metadata.
    let per_block = if fmt.pi_only() || fmt.meta_bytes != 0 {
        lba
    } else {
        fmt.block_bytes as usize
    };
    let per_cmd = (c.max_xfer as usize / per_block).max(1) as u64;
    // One command's worth and three more, so the helpers cut the range, as
    // far as the namespace has room.
    let room = c.nsze.saturating_sub(slba);
    let n = (per_cmd + 3).min(4096).min(room);
    if n < 2 * RAW {
        return Err(format!("only {room} blocks from LBA {slba} to the end"));
    }
    let mut data = vec![0u8; n as usize * lba];
    fill(&mut data, lba as u32, slba, 47);
    c.b.write_blocks(c.nsid, slba, &data)
        .map_err(|e| format!("write_blocks of {n} blocks: {e}"))?;
    let mut back = vec![0u8; data.len()];
    c.b.read_blocks(c.nsid, slba, &mut back)
        .map_err(|e| format!("read_blocks of {n} blocks: {e}"))?;
    diff(&back, &data, lba as u32)?;
    let mut medium = String::new();
    for at in [slba, slba + n - RAW] {
        let off = (at - slba) as usize * lba;
        let want = &data[off..off + RAW as usize * lba];
        medium = raw_check(c, fmt, at, want)?;
    }
    let cmds = n.div_ceil(per_cmd);
    Ok(format!(
        "{n} blocks of {lba} + {} B in {cmds} command(s) each way; {medium}",
        fmt.ms
    ))
}

/// Reads RAW blocks at `at` without PRACT and checks their data against
/// `want` and their metadata against what the helpers promise.
fn raw_check<B: HwBackend>(
    c: &mut Ctx<B>,
    fmt: &NsFormat,
    at: u64,
    want: &[u8],
) -> Result<String, String> {
    // The format says what each buffer holds per block: the data buffer
    // `block_bytes` (metadata too when extended), the metadata buffer
    // `meta_bytes` (0 when extended).
    let lba = fmt.lba_size() as usize;
    let (per, per_meta) = (fmt.block_bytes as usize, fmt.meta_bytes as usize);
    let n = RAW as usize;
    let (mut data, mut meta) = (vec![0u8; n * per], vec![0u8; n * per_meta]);
    let cmd = Read::new(c.nsid, at, (RAW - 1) as u16)
        .prinfo(Prinfo::new())
        .build();
    let m = if meta.is_empty() {
        Data::None
    } else {
        Data::FromDevice(&mut meta)
    };
    c.b.execute_with(&cmd, Data::FromDevice(&mut data), m)
        .map_err(|e| format!("raw read of LBA {at}: {e}"))?;
    let got: Vec<u8> = data
        .chunks(per)
        .flat_map(|b| b[..lba].iter().copied())
        .collect();
    diff(&got, want, lba as u32).map_err(|e| format!("raw read of LBA {at}: {e}"))?;
    let Some(p) = fmt.pi else {
        let meta_of = |i: usize| match per_meta {
            0 => &data[i * per + lba..(i + 1) * per],
            m => &meta[i * m..(i + 1) * m],
        };
        if let Some(i) = (0..n).find(|&i| meta_of(i).iter().any(|&x| x != 0)) {
            return Err(format!(
                "block {}: metadata {:02x?} where write_blocks writes zeroes",
                at + i as u64,
                meta_of(i)
            ));
        }
        return Ok("metadata written as zeroes".into());
    };
    let checks_ref = p.pi_type != PiType::Type3;
    let tags = Tags::new(p.ref_tag_for_lba(at)).with_app(0, 0xffff);
    let prchk = Prchk::new()
        .with_guard(true)
        .with_app_tag(true)
        .with_ref_tag(checks_ref);
    pi::verify(fmt, &data, &meta, &tags, prchk)
        .map_err(|e| format!("host check of the PI at LBA {at}: {e}"))?;
    Ok(format!(
        "the controller's {:?} PI ({:?}) checked on the host: guard, application tag 0{}",
        p.pi_type,
        p.pif,
        if checks_ref { ", reference tag" } else { "" }
    ))
}
