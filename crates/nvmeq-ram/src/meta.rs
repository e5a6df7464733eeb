//! Metadata and end-to-end protection for Read, Write, Compare, Verify and
//! Write Zeroes on a format with metadata (NVM Command Set spec 1.0, 5.2
//! "End-to-end Data Protection" and 5.3 "Metadata Handling").
//!
//! A namespace's metadata lives in its own sparse [`Media`](crate::media),
//! `ms` bytes per block, whatever the host's layout. The PI bytes are stored
//! inverted, so a block never written or deallocated reads back with PI of
//! all ones: the escape that disables checking, as the spec has deallocated
//! blocks report it, while the rest of its metadata reads as zeroes.
//!
//! With PRACT set on a Write the controller generates the PI (and, when the
//! metadata is PI only, the host sends none); on a Read it checks the PI and,
//! when the metadata is PI only, strips it. Without PRACT, PRCHK selects the
//! fields checked on the host's PI (Write) or the stored PI (Read, Compare,
//! Verify). A failed check completes with End-to-end Guard, Application Tag,
//! Reference Tag or Storage Tag Check Error at the failing block's LBA, and
//! a Write that fails one stores nothing.

use nvmeq_core::cmd::Prinfo;
use nvmeq_core::format::NsFormat;
use nvmeq_core::pi::{self, Pi, PiError, PiField, PiType, Prchk, Tags};
use nvmeq_core::{Command, Status};

use crate::controller::Namespace;
use crate::status::{at, dnr, Fail};

/// Buffers the metadata path stages blocks in; they grow to the largest
/// command seen and keep their capacity, so after warm-up nothing allocates.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    data: Vec<u8>,
    meta: Vec<u8>,
}

/// Resizes `v` to `len` bytes without shrinking its capacity.
fn sized(v: &mut Vec<u8>, len: usize) -> &mut [u8] {
    v.resize(len, 0);
    &mut v[..]
}

/// What a command's PRINFO and the format say about this transfer.
#[derive(Debug, Clone, Copy)]
struct Mode {
    fmt: NsFormat,
    prinfo: Prinfo,
    /// The host's data buffer interleaves data and metadata.
    interleaved: bool,
    /// The host sends or receives a separate metadata buffer.
    separate: bool,
}

fn mode(ns: &Namespace, sqe: &Command) -> Mode {
    let fmt = ns.fmt;
    let prinfo = Prinfo::from_bits(((sqe.cdw12 >> 26) & 0xf) as u8);
    // PRACT on PI-only metadata: the host buffers carry no metadata.
    let strip = fmt.pi_only() && prinfo.pract();
    Mode {
        fmt,
        prinfo,
        interleaved: fmt.meta_bytes == 0 && !strip,
        separate: fmt.meta_bytes != 0 && !strip,
    }
}

/// Bytes a command on `ns` moves for `nlb` blocks: (data buffer, metadata buffer).
pub(crate) fn lens(ns: &Namespace, sqe: &Command, nlb: u64) -> (u64, u64) {
    let m = mode(ns, sqe);
    let lba = m.fmt.lba_size() as u64;
    let ms = m.fmt.ms as u64;
    let data = if m.interleaved { lba + ms } else { lba };
    (nlb * data, if m.separate { nlb * ms } else { 0 })
}

/// The staged blocks' format: data and metadata in separate buffers.
fn staged(fmt: &NsFormat, pi: Pi) -> NsFormat {
    NsFormat::separate(fmt.lba_size(), fmt.ms).with_pi(pi)
}

/// The command's tags; with `all`, the storage tag even without STC (what
/// PRACT inserts).
fn tags(pi: &Pi, sqe: &Command, all: bool) -> Tags {
    let mut s = *sqe;
    if all {
        s.cdw12 |= 1 << 24;
    }
    pi.tags_of(&s)
}

/// Type 1 with the reference tag checked: the initial reference tag must be
/// the starting LBA's lower bits, else Invalid Protection Information.
fn check_type1(pi: &Pi, t: &Tags, slba: u64, prinfo: Prinfo) -> Result<(), Fail> {
    if pi.pi_type == PiType::Type1 && prinfo.prchk_ref() && pi.ref_tag_for_lba(slba) != t.ref_tag {
        return Err(Fail::at_lba(
            dnr(Status::INVALID_PROTECTION_INFORMATION),
            slba,
            at::CDW14,
        ));
    }
    Ok(())
}

/// The status a failed check completes with, at the failing block.
fn check_failed(e: PiError, slba: u64) -> Fail {
    match e {
        PiError::Mismatch { block, field, .. } => {
            let status = match field {
                PiField::Guard => Status::GUARD_CHECK_ERROR,
                PiField::AppTag => Status::APPLICATION_TAG_CHECK_ERROR,
                PiField::RefTag => Status::REFERENCE_TAG_CHECK_ERROR,
                PiField::StorageTag => Status::STORAGE_TAG_CHECK_ERROR,
            };
            Fail::at_lba(status, slba + block as u64, at::CDW10)
        }
        // The staged buffers are sized from the format, and the format was
        // validated with the configuration.
        _ => Fail::unspecific(Status::INTERNAL_ERROR),
    }
}

/// Flips the PI bytes of every block in `meta` (stored inverted).
fn invert_pi(fmt: &NsFormat, meta: &mut [u8]) {
    if let Some(pi) = fmt.pi {
        let off = pi.offset(fmt.ms) as usize;
        let size = pi.size() as usize;
        for m in meta.chunks_exact_mut(fmt.ms as usize) {
            m[off..off + size].iter_mut().for_each(|b| *b = !*b);
        }
    }
}

/// Loads the metadata of `[slba, slba + nlb)` into `out`.
fn load_meta(ns: &Namespace, slba: u64, out: &mut [u8]) {
    ns.meta.read(slba * ns.fmt.ms as u64, out);
    invert_pi(&ns.fmt, out);
}

/// Stores `m` (consumed: its PI is inverted in place) as the metadata from `slba`.
fn store_meta(ns: &mut Namespace, slba: u64, m: &mut [u8]) {
    invert_pi(&ns.fmt, m);
    ns.meta.write(slba * ns.fmt.ms as u64, m);
}

/// Loads `nlb` stored blocks, `first` blocks into the command's range from
/// `slba`, and checks their PI as PRCHK says.
fn load_and_check(
    ns: &Namespace,
    sqe: &Command,
    m: &Mode,
    slba: u64,
    first: u64,
    nlb: usize,
    s: &mut Scratch,
) -> Result<(), Fail> {
    let lba = m.fmt.lba_size() as usize;
    let at = slba + first;
    let d = sized(&mut s.data, nlb * lba);
    ns.media.read(at * lba as u64, d);
    let md = sized(&mut s.meta, nlb * m.fmt.ms as usize);
    load_meta(ns, at, md);
    if let Some(pi) = m.fmt.pi {
        let mut t = tags(&pi, sqe, false);
        check_type1(&pi, &t, slba, m.prinfo)?;
        if pi.pi_type != PiType::Type3 {
            t.ref_tag = t.ref_tag.wrapping_add(first);
        }
        let prchk = Prchk::from_prinfo(m.prinfo);
        pi::verify(&staged(&m.fmt, pi), &s.data, &s.meta, &t, prchk)
            .map_err(|e| check_failed(e, at))?;
    }
    Ok(())
}

/// Read on a format with metadata: `data` and `meta` are exactly [`lens`].
pub(crate) fn read(
    ns: &Namespace,
    sqe: &Command,
    slba: u64,
    nlb: usize,
    data: &mut [u8],
    meta: &mut [u8],
    s: &mut Scratch,
) -> Result<(), Fail> {
    let m = mode(ns, sqe);
    load_and_check(ns, sqe, &m, slba, 0, nlb, s)?;
    let lba = m.fmt.lba_size() as usize;
    let ms = m.fmt.ms as usize;
    if m.interleaved {
        let blocks = s.data.chunks_exact(lba).zip(s.meta.chunks_exact(ms));
        for (out, (d, md)) in data.chunks_exact_mut(lba + ms).zip(blocks) {
            out[..lba].copy_from_slice(d);
            out[lba..].copy_from_slice(md);
        }
    } else {
        data.copy_from_slice(&s.data);
        if m.separate {
            meta.copy_from_slice(&s.meta);
        }
    }
    Ok(())
}

/// Write on a format with metadata: `data` and `meta` are exactly [`lens`].
pub(crate) fn write(
    ns: &mut Namespace,
    sqe: &Command,
    slba: u64,
    nlb: usize,
    data: &[u8],
    meta: &[u8],
    s: &mut Scratch,
) -> Result<(), Fail> {
    let m = mode(ns, sqe);
    let lba = m.fmt.lba_size() as usize;
    let ms = m.fmt.ms as usize;
    let d = sized(&mut s.data, nlb * lba);
    let md = sized(&mut s.meta, nlb * ms);
    if m.interleaved {
        let blocks = d.chunks_exact_mut(lba).zip(md.chunks_exact_mut(ms));
        for (src, (d, md)) in data.chunks_exact(lba + ms).zip(blocks) {
            d.copy_from_slice(&src[..lba]);
            md.copy_from_slice(&src[lba..]);
        }
    } else {
        d.copy_from_slice(data);
        if m.separate {
            md.copy_from_slice(meta);
        } else {
            md.fill(0);
        }
    }
    if let Some(pi) = m.fmt.pi {
        let fmt = staged(&m.fmt, pi);
        if m.prinfo.pract() {
            let t = tags(&pi, sqe, true);
            check_type1(&pi, &t, slba, m.prinfo)?;
            pi::generate(&fmt, &mut s.data, &mut s.meta, &t).map_err(|e| check_failed(e, slba))?;
        } else {
            let t = tags(&pi, sqe, false);
            check_type1(&pi, &t, slba, m.prinfo)?;
            pi::verify(&fmt, &s.data, &s.meta, &t, Prchk::from_prinfo(m.prinfo))
                .map_err(|e| check_failed(e, slba))?;
        }
    }
    ns.media.write(slba * lba as u64, &s.data);
    store_meta(ns, slba, &mut s.meta);
    Ok(())
}

/// Compare on a format with metadata: the stored PI is checked as PRCHK
/// says, then the data and whatever metadata the host sent are compared.
/// `Ok(false)` on a mismatch.
pub(crate) fn compare(
    ns: &Namespace,
    sqe: &Command,
    slba: u64,
    nlb: usize,
    data: &[u8],
    meta: &[u8],
    s: &mut Scratch,
) -> Result<bool, Fail> {
    let m = mode(ns, sqe);
    load_and_check(ns, sqe, &m, slba, 0, nlb, s)?;
    let lba = m.fmt.lba_size() as usize;
    let ms = m.fmt.ms as usize;
    Ok(if m.interleaved {
        let blocks = s.data.chunks_exact(lba).zip(s.meta.chunks_exact(ms));
        data.chunks_exact(lba + ms)
            .zip(blocks)
            .all(|(h, (d, md))| &h[..lba] == d && &h[lba..] == md)
    } else {
        data == &s.data[..] && (!m.separate || meta == &s.meta[..])
    })
}

/// Blocks Verify stages at a time: it is not bounded by MDTS, and up to
/// 65536 blocks at once would grow the scratch buffers to 256 MiB.
const VERIFY_BATCH: usize = 256;

/// Verify on a format with metadata: the stored PI is checked as PRCHK says.
pub(crate) fn verify(
    ns: &Namespace,
    sqe: &Command,
    slba: u64,
    nlb: usize,
    s: &mut Scratch,
) -> Result<(), Fail> {
    let m = mode(ns, sqe);
    for first in (0..nlb).step_by(VERIFY_BATCH) {
        let n = VERIFY_BATCH.min(nlb - first);
        load_and_check(ns, sqe, &m, slba, first as u64, n, s)?;
    }
    Ok(())
}

/// Write Zeroes on a format with metadata: data and metadata read back as
/// zeroes, with PI of all ones (unchecked) unless PRACT has the controller
/// generate PI for the zeroed blocks.
pub(crate) fn write_zeroes(
    ns: &mut Namespace,
    sqe: &Command,
    slba: u64,
    nlb: u64,
) -> Result<(), Fail> {
    let m = mode(ns, sqe);
    let lba = m.fmt.lba_size() as usize;
    let ms = m.fmt.ms as usize;
    ns.media.zero(slba * lba as u64, nlb * lba as u64);
    ns.meta.zero(slba * ms as u64, nlb * ms as u64);
    let Some(pi) = m.fmt.pi.filter(|_| m.prinfo.pract()) else {
        return Ok(());
    };
    let t = tags(&pi, sqe, true);
    check_type1(&pi, &t, slba, m.prinfo)?;
    // Every block has the same zero data, so one block's PI serves as the
    // pattern; only the reference tag changes from block to block.
    let one = staged(&m.fmt, pi);
    let mut zero = [0u8; 4096];
    let mut md = [0u8; crate::config::MAX_MS as usize];
    for i in 0..nlb {
        let step = if pi.pi_type == PiType::Type3 { 0 } else { i };
        let ti = Tags {
            ref_tag: t.ref_tag.wrapping_add(step),
            ..t
        };
        md[..ms].fill(0);
        pi::generate(&one, &mut zero[..lba], &mut md[..ms], &ti)
            .map_err(|e| check_failed(e, slba))?;
        store_meta(ns, slba + i, &mut md[..ms]);
    }
    Ok(())
}
