//! I/O tests: reads, writes with differently placed buffers, the queue
//! interface, flush, write zeroes, deallocate, compare, verify.

use crate::check::expect_status;
use crate::pattern::{diff, fill, Placed};
use crate::registry::HwBackend;
#[cfg(feature = "ioctl")]
use crate::runner::Runner;
use crate::runner::TestResult;
use crate::suite::{Ctx, Support};
use nvmeq_core::cmd::{Compare, Dsm, Flush, Read, Verify, Write, WriteZeroes};
use nvmeq_core::ranges::DsmRange;
use nvmeq_core::{Backend, Completion, Data, Error, IoBuf, NvmOpcode, Status};
use zerocopy::IntoBytes;

/// Reads LBA 0.
pub fn read_block0<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; c.lba as usize];
    c.read(0, &mut buf)?;
    Ok(format!("{} bytes", buf.len()))
}

/// Writes `bytes` (rounded up to blocks) at area `area` from buffers at
/// page offsets 0, 4 and 512, reads each back into a buffer at the same
/// offset and compares.
fn write_read<B: HwBackend>(c: &mut Ctx<B>, area: u64, bytes: u32) -> TestResult {
    let nlb = bytes.div_ceil(c.lba).clamp(1, 65536);
    let len = (nlb * c.lba) as usize;
    let slba = c.area(area);
    let mut done = Vec::new();
    for (seed, offset) in [0usize, 4, 512].into_iter().enumerate() {
        let mut w = Placed::new(len, offset);
        fill(w.get_mut(), c.lba, slba, seed as u64 + 1 + area * 10);
        c.write(slba, w.get())
            .map_err(|e| format!("page offset {offset}: {e}"))?;
        let mut r = Placed::new(len, offset);
        c.read(slba, r.get_mut())
            .map_err(|e| format!("page offset {offset}: {e}"))?;
        diff(r.get(), w.get(), c.lba).map_err(|e| format!("page offset {offset}: {e}"))?;
        done.push(format!("+{offset}"));
    }
    Ok(format!(
        "{nlb} blocks ({len} B) at LBA {slba}, buffers at page offset {}",
        done.join("/")
    ))
}

/// One block.
pub fn wr_one_block<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    write_read(c, 0, c.lba)
}
/// 4 KiB (one page).
pub fn wr_4k<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    write_read(c, 1, 4096)
}
/// Three pages plus a block: needs a PRP list whichever the offset.
pub fn wr_multi_page<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    write_read(c, 2, 3 * 4096 + c.lba)
}
/// 64 KiB.
pub fn wr_64k<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    write_read(c, 3, 65536)
}
/// The largest transfer the backend allows (MDTS and the kernel's limit).
pub fn wr_mdts<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    write_read(c, 4, c.max_xfer / c.lba * c.lba)
}

/// The queue interface: writes then reads through push/submit/reap, each
/// buffer handed back with its own tag.
pub fn queue_interface<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let n = c.b.caps().queue_depth.clamp(1, 8) as u64 * 2;
    let slba = c.area(5);
    let lba = c.lba;
    let nsid = c.nsid;
    // Writes, in batches of at most queue_depth.
    let mut want = Vec::new();
    for i in 0..n {
        let mut b = c.b.alloc(lba as usize).map_err(|e| format!("alloc: {e}"))?;
        fill(b.as_mut_slice(), lba, slba + i, 77);
        want.push(b.as_slice().to_vec());
    }
    let mut pending = (0..n).collect::<Vec<u64>>();
    let mut results: Vec<Option<B::Buf>> = (0..n).map(|_| None).collect();
    for phase in ["write", "read"] {
        for i in pending.drain(..) {
            let cmd = if phase == "write" {
                Write::new(nsid, slba + i, 0).build()
            } else {
                Read::new(nsid, slba + i, 0).build()
            };
            let mut buf = c.b.alloc(lba as usize).map_err(|e| format!("alloc: {e}"))?;
            if phase == "write" {
                buf.as_mut_slice().copy_from_slice(&want[i as usize]);
            }
            let mut buf = Some(buf);
            loop {
                match c.b.push(&cmd, buf.take(), i) {
                    Ok(()) => break,
                    Err(rej) => {
                        if let Some(e) = rej.error() {
                            return Err(format!("{phase} {i} rejected: {e}"));
                        }
                        buf = rej.into_buf();
                        c.b.submit(1).map_err(|e| format!("submit: {e}"))?;
                        reap_into(&mut c.b, &mut results, phase)?;
                    }
                }
            }
        }
        while c.b.in_flight() > 0 {
            c.b.submit(1).map_err(|e| format!("submit: {e}"))?;
            reap_into(&mut c.b, &mut results, phase)?;
        }
        for (i, r) in results.iter_mut().enumerate() {
            let b = r
                .take()
                .ok_or(format!("{phase} {i}: no completion reaped"))?;
            if phase == "read" {
                diff(b.as_slice(), &want[i], lba).map_err(|e| format!("block {i}: {e}"))?;
            }
        }
        pending = (0..n).collect();
    }
    Ok(format!(
        "{n} writes and {n} reads, queue depth {}",
        c.b.caps().queue_depth
    ))
}

fn reap_into<B: Backend>(
    b: &mut B,
    results: &mut [Option<B::Buf>],
    phase: &str,
) -> Result<(), String> {
    let mut err = None;
    b.reap(|r| {
        let i = r.tag as usize;
        match (&r.result, i < results.len()) {
            (Ok(_), true) if results[i].is_none() => results[i] = r.buf,
            (Ok(_), _) => err = Some(format!("{phase}: unexpected or duplicate tag {i}")),
            (Err(e), _) => err = Some(format!("{phase} {i}: {e}")),
        }
    });
    err.map_or(Ok(()), Err)
}

/// Flush.
pub fn flush<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    c.b.execute(&Flush::new(c.nsid).build(), Data::None)
        .map_err(|e| format!("flush: {e}"))?;
    Ok(String::new())
}

/// Runs `f` when the command is supported; otherwise expects it refused.
fn optional<B: HwBackend>(
    c: &mut Ctx<B>,
    name: &str,
    oncs_bit: u32,
    opcode: NvmOpcode,
    unsupported: impl FnOnce(&mut Ctx<B>) -> Result<Completion, Error>,
    f: impl FnOnce(&mut Ctx<B>) -> TestResult,
) -> TestResult {
    match c.io_support(oncs_bit, opcode.0) {
        Support::No => expect_status(unsupported(c), Status::INVALID_OPCODE)
            .map(|d| format!("{name} not supported (ONCS bit {oncs_bit} clear) and refused: {d}")),
        Support::Oncs => f(c),
        Support::EffectsLog => f(c)
            .map(|d| format!("{d} (ONCS bit {oncs_bit} clear, but the effects log lists {name})")),
    }
}

/// Write Zeroes over a written pattern reads back zeroes.
pub fn write_zeroes<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let slba = c.area(6);
    let nlb = 8u32;
    let cmd = WriteZeroes::new(c.nsid, slba, (nlb - 1) as u16).build();
    optional(
        c,
        "Write Zeroes",
        3,
        NvmOpcode::WRITE_ZEROES,
        |c| c.b.execute(&cmd, Data::None),
        |c| {
            let mut w = vec![0u8; (nlb * c.lba) as usize];
            fill(&mut w, c.lba, slba, 5);
            c.write(slba, &w)?;
            match c.b.execute(&cmd, Data::None) {
                Err(Error::Status(s)) if c.fabrics() && s.matches_code(Status::INVALID_OPCODE) => {
                    // Linux nvmet claims Write Zeroes but a file namespace on a
                    // filesystem without FALLOC_FL_ZERO_RANGE (the guest's tmpfs)
                    // turns fallocate's EOPNOTSUPP into Invalid Command Opcode.
                    return Ok(format!(
                        "refused by the fabrics target's file-backed namespace: {s}"
                    ));
                }
                r => r.map_err(|e| format!("write zeroes: {e}"))?,
            };
            let mut r = vec![0xa5u8; w.len()];
            c.read(slba, &mut r)?;
            let (data, ms, extended) = c.format();
            if extended && ms > 0 && c.id_ns.dps & 7 != 0 {
                // Extended LBAs with protection: Write Zeroes zeroes the data
                // and leaves protection information that disables checking
                // (QEMU writes all ones), so only each block's data is zero.
                for (i, block) in r.chunks(c.lba as usize).enumerate() {
                    let d = &block[..data as usize];
                    diff(d, &vec![0u8; d.len()], data).map_err(|e| format!("block {i}: {e}"))?;
                }
                return Ok(format!(
                    "{nlb} blocks at LBA {slba}: each block's {data} data bytes read back as \
                     zeroes ({ms} B of protection information after each not compared)"
                ));
            }
            diff(&r, &vec![0u8; r.len()], c.lba)?;
            Ok(format!("{nlb} blocks at LBA {slba} read back as zeroes"))
        },
    )
}

/// Dataset Management / Deallocate succeeds. Deallocation is advisory, so
/// each block must read back either unchanged or as DLFEAT says deallocated
/// blocks read (001b: zeroes, 010b: all ones; 000b: not reported, anything).
pub fn dsm_deallocate<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let slba = c.area(7);
    let nlb = 16u32;
    let cmd = Dsm::deallocate(c.nsid, 0).build();
    let range = DsmRange::new(slba, nlb);
    let range = range.as_bytes();
    optional(
        c,
        "Dataset Management",
        2,
        NvmOpcode::DATASET_MANAGEMENT,
        |c| c.b.execute(&cmd, Data::ToDevice(range)),
        |c| {
            let lba = c.lba as usize;
            let mut w = vec![0u8; nlb as usize * lba];
            fill(&mut w, c.lba, slba, 6);
            c.write(slba, &w)?;
            c.b.execute(&cmd, Data::ToDevice(range))
                .map_err(|e| format!("deallocate: {e}"))?;
            let dlfeat = c.id_ns.dlfeat & 7;
            let mut r = vec![0xa5u8; w.len()];
            c.read(slba, &mut r)?;
            let mut dealloc = 0;
            // Extended LBAs with protection: a deallocated block's PI is the
            // all ones that disable checking (as ram reports it), so only
            // its data bytes are held to DLFEAT.
            let (data, ms, extended) = c.format();
            let keep = if extended && ms > 0 && c.id_ns.dps & 7 != 0 {
                data as usize
            } else {
                lba
            };
            for (i, (got, orig)) in r.chunks(lba).zip(w.chunks(lba)).enumerate() {
                if got == orig {
                    continue;
                }
                let got = &got[..keep];
                let ok = match dlfeat {
                    1 => got.iter().all(|&b| b == 0),
                    2 => got.iter().all(|&b| b == 0xff),
                    0 => true,
                    _ => false,
                };
                if !ok {
                    return Err(format!(
                        "block {i} is neither its data nor what DLFEAT {dlfeat:#x} promises for a deallocated block"
                    ));
                }
                dealloc += 1;
            }
            Ok(format!(
                "{dealloc} of {nlb} blocks read back deallocated, the rest unchanged (DLFEAT {dlfeat:#x}; deallocation is advisory)"
            ))
        },
    )
}

/// Compare: the written data matches; one flipped byte is a Compare Failure
/// (SCT 2h Media and Data Integrity Errors, SC 85h).
pub fn compare<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let slba = c.area(8);
    let nlb = 4u32;
    let cmd = Compare::new(c.nsid, slba, (nlb - 1) as u16).build();
    let mut w = vec![0u8; (nlb * c.lba) as usize];
    fill(&mut w, c.lba, slba, 8);
    let w2 = w.clone();
    optional(
        c,
        "Compare",
        0,
        NvmOpcode::COMPARE,
        |c| c.b.execute(&cmd, Data::ToDevice(&w2)),
        |c| {
            c.write(slba, &w)?;
            c.b.execute(&cmd, Data::ToDevice(&w))
                .map_err(|e| format!("compare of identical data: {e}"))?;
            let last = w.len() - 1;
            w[last] ^= 0xff;
            let r = c.b.execute(&cmd, Data::ToDevice(&w));
            expect_status(r, Status::COMPARE_FAILURE)
                .map(|d| format!("match: success; mismatch: {d}"))
        },
    )
}

/// Verify of written blocks succeeds.
pub fn verify<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let slba = c.area(9);
    let cmd = Verify::new(c.nsid, slba, 7).build();
    optional(
        c,
        "Verify",
        7,
        NvmOpcode::VERIFY,
        |c| c.b.execute(&cmd, Data::None),
        |c| {
            let mut w = vec![0u8; (8 * c.lba) as usize];
            fill(&mut w, c.lba, slba, 9);
            c.write(slba, &w)?;
            c.b.execute(&cmd, Data::None)
                .map_err(|e| format!("verify: {e}"))?;
            Ok(format!("8 blocks at LBA {slba}"))
        },
    )
}

/// A transfer spread over several buffers (`NVME_IOCTL_IO64_CMD_VEC`,
/// `NVME_URING_CMD_IO_VEC`): 8 blocks written from 3 segments (one at a
/// 4-byte page offset, one cut) and read into 2 (+1 the kernel must not
/// touch); then segments that each straddle a page, which the kernel maps
/// only when the namespace's queue takes that many pages (`max_segments`),
/// so the backend either moves them or names the limit before the syscall;
/// too little room in all is refused.
///
/// Segments start at known page offsets, so the pages they touch (one
/// block-layer segment each) do not depend on the allocator.
pub fn vectored<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    use nvmeq_core::VecData;
    let slba = c.area(10);
    let lba = c.lba as usize;
    let mut w = vec![0u8; 8 * lba];
    fill(&mut w, c.lba, slba, 0x7ec);
    let (mut first, mut mid, mut last) = (
        Placed::new(lba, 0),
        Placed::new(5 * lba, 4),
        Placed::new(2 * lba + 100, 0),
    );
    first.get_mut().copy_from_slice(&w[..lba]);
    mid.get_mut().copy_from_slice(&w[lba..6 * lba]);
    last.get_mut()[..2 * lba].copy_from_slice(&w[6 * lba..]);
    last.get_mut()[2 * lba..].fill(0xee);
    let segs = [first.get(), mid.get(), last.get()];
    c.b.execute_vec(
        &Write::new(c.nsid, slba, 7).build(),
        VecData::ToDevice(&segs),
        Data::None,
    )
    .map_err(|e| format!("vectored write: {e}"))?;
    let mut back = vec![0u8; 8 * lba];
    c.read(slba, &mut back)?;
    diff(&back, &w, c.lba).map_err(|e| format!("after the vectored write: {e}"))?;

    let (mut a, mut b, mut spare) = (
        Placed::new(3 * lba, 0),
        Placed::new(5 * lba + 64, 0),
        Placed::new(lba, 0),
    );
    b.get_mut().fill(0xa5);
    spare.get_mut().fill(0x5a);
    let mut segs = [a.get_mut(), b.get_mut(), spare.get_mut()];
    c.b.execute_vec(
        &Read::new(c.nsid, slba, 7).build(),
        VecData::FromDevice(&mut segs),
        Data::None,
    )
    .map_err(|e| format!("vectored read: {e}"))?;
    diff(a.get(), &w[..3 * lba], c.lba).map_err(|e| format!("first read segment: {e}"))?;
    diff(&b.get()[..5 * lba], &w[3 * lba..], c.lba)
        .map_err(|e| format!("second read segment: {e}"))?;
    if b.get()[5 * lba..].iter().any(|&x| x != 0xa5) {
        return Err("the kernel wrote past the command's length in the cut segment".into());
    }
    if spare.get().iter().any(|&x| x != 0x5a) {
        return Err("the kernel wrote into the spare segment".into());
    }

    // 8 one-block segments, each across a page boundary: 16 pages.
    let mut straddling: Vec<Placed> = (0..8).map(|_| Placed::new(lba, 4096 - lba / 2)).collect();
    let mut segs: Vec<&mut [u8]> = straddling.iter_mut().map(Placed::get_mut).collect();
    let pages = match c.b.execute_vec(
        &Read::new(c.nsid, slba, 7).build(),
        VecData::FromDevice(&mut segs),
        Data::None,
    ) {
        Ok(_) => {
            let got: Vec<u8> = straddling.iter().flat_map(|p| p.get().to_vec()).collect();
            diff(&got, &w, c.lba).map_err(|e| format!("straddling segments: {e}"))?;
            "8 page-straddling segments mapped".to_string()
        }
        Err(Error::PagesAboveLimit { pages, max }) if pages == 16 && max < 16 => {
            format!("8 page-straddling segments (16 pages) refused: max_segments {max}")
        }
        Err(e) => return Err(format!("8 page-straddling segments: {e}")),
    };

    let mut small = vec![0u8; lba];
    let mut segs = [&mut small[..]];
    match c.b.execute_vec(
        &Read::new(c.nsid, slba, 7).build(),
        VecData::FromDevice(&mut segs),
        Data::None,
    ) {
        Err(Error::BufferTooSmall { need, have }) if need == 8 * lba as u64 && have == lba => {}
        other => return Err(format!("8 blocks into 1 block of segments: {other:?}")),
    }
    Ok(format!(
        "8 blocks written from 3 segments (1 unaligned, 1 cut) and read into 2 (+1 untouched); \
         {pages}; short segments refused"
    ))
}

/// ioctl only: real NVMe nodes given in the wrong role are refused with
/// errors that name the right one.
#[cfg(feature = "ioctl")]
pub fn ioctl_open_errors(c: &mut Ctx<nvmeq_ioctl::IoctlBackend>, r: &Runner, label: &str) {
    use nvmeq_ioctl::{IoctlBackend, OpenError};
    r.run(&format!("{label}/ioctl-open-errors"), "ioctl", || {
        let ns = c.t.ns.clone();
        let ctrl = c.t.ctrl.clone().ok_or("no controller path known")?;
        let mut seen = Vec::new();
        match IoctlBackend::open(None, Some(&ctrl)) {
            Err(e @ OpenError::ControllerNotNamespace { .. }) => seen.push(e.to_string()),
            other => return Err(format!("controller as namespace: {other:?}")),
        }
        match IoctlBackend::open(Some(&ns), None) {
            Err(
                e @ (OpenError::NamespaceNotController { .. }
                | OpenError::BlockNotController { .. }),
            ) => seen.push(e.to_string()),
            other => return Err(format!("namespace as controller: {other:?}")),
        }
        // A controller alone: admin works, I/O says what it needs.
        let mut admin = IoctlBackend::open(Some(&ctrl), None).map_err(|e| e.to_string())?;
        let mut id = vec![0u8; 4096];
        admin
            .execute(
                &nvmeq_core::cmd::Identify::controller().build(),
                Data::FromDevice(&mut id),
            )
            .map_err(|e| format!("admin-only Identify: {e}"))?;
        let mut blk = vec![0u8; c.lba as usize];
        match admin.execute(&Read::new(c.nsid, 0, 0).build(), Data::FromDevice(&mut blk)) {
            Err(Error::Unsupported(m)) if m.contains("namespace device") => {}
            other => return Err(format!("I/O on a controller-only backend: {other:?}")),
        }
        // Both right: opens, and finds the same namespace id.
        let b = IoctlBackend::open(Some(&ctrl), Some(&ns)).map_err(|e| e.to_string())?;
        if b.nsid() != Some(c.nsid) {
            return Err(format!("reopened nsid {:?} != {}", b.nsid(), c.nsid));
        }
        Ok(seen.join(" / "))
    });
}

/// ioctl only: exactly one ioctl per command, through `execute` and through
/// the queue interface (after the namespace's format is cached).
#[cfg(feature = "ioctl")]
pub fn ioctl_syscalls(c: &mut Ctx<nvmeq_ioctl::IoctlBackend>, r: &Runner, label: &str) {
    r.run(&format!("{label}/ioctl-syscalls"), "ioctl", || {
        let count = |c: &Ctx<nvmeq_ioctl::IoctlBackend>| c.b.syscalls().ok_or("syscalls() is None");
        let mut buf = vec![0u8; c.lba as usize];
        let before = count(c)?;
        c.read(0, &mut buf)?;
        let one = count(c)? - before;
        let before = count(c)?;
        for i in 0..4 {
            let b = c.b.alloc(c.lba as usize).map_err(|e| e.to_string())?;
            c.b.push(&Read::new(c.nsid, i, 0).build(), Some(b), i)
                .map_err(|_| "queue rejected a write")?;
        }
        let submitted = c.b.submit(4).map_err(|e| e.to_string())?;
        let mut reaped = 0;
        c.b.reap(|r| reaped += usize::from(r.result.is_ok()));
        let four = count(c)? - before;
        if (one, submitted, reaped, four) != (1, 4, 4, 4) {
            return Err(format!(
                "execute: {one} ioctls; queue: {submitted} submitted, {reaped} reaped ok, {four} ioctls (want 1; 4, 4, 4)"
            ));
        }
        Ok("1 ioctl per execute, 4 for a batch of 4 (queue depth 1)".into())
    });
}

/// ioctl only, on a namespace that may be reformatted: Format NVM to the
/// same block size with 8 bytes of separate metadata, write and read data
/// with metadata buffers, check the refusals, then format back.
#[cfg(feature = "ioctl")]
pub fn ioctl_metadata(c: &mut Ctx<nvmeq_ioctl::IoctlBackend>, r: &Runner, label: &str) {
    use nvmeq_core::cmd::FormatNvm;
    use nvmeq_core::IdentifyNamespace;

    fn format(c: &mut Ctx<nvmeq_ioctl::IoctlBackend>, lbaf: usize) -> Result<(), String> {
        c.b.execute(&FormatNvm::new(c.nsid, lbaf as u8).build(), Data::None)
            .map_err(|e| format!("Format NVM to LBA format {lbaf}: {e}"))?;
        c.b.forget_formats();
        // Linux rescans the namespace after a format; let it settle.
        std::thread::sleep(std::time::Duration::from_millis(500));
        Ok(())
    }

    r.run(&format!("{label}/ioctl-metadata"), "ioctl", || {
        let orig = c.id_ns.flbas_index();
        let ds = c.id_ns.lba_size().ok_or("no LBA size")?;
        let pick = c
            .id_ns
            .lba_formats()
            .iter()
            .position(|f| f.lba_size() == Some(ds) && f.ms() == 8);
        let idx = pick.ok_or(format!("no LBA format with {ds} B + 8 B metadata"))?;
        format(c, idx)?;
        let result = (|| -> TestResult {
            let f = c.b.ns_format(c.nsid).map_err(|e| e.to_string())?;
            if (f.block_bytes, f.meta_bytes) != (ds, 8) {
                return Err(format!("after format: {f:?}, want {ds} B + 8 B separate"));
            }
            let slba = c.area(11);
            let nlb = 4u32;
            let mut data = vec![0u8; (nlb * ds) as usize];
            fill(&mut data, ds, slba, 11);
            let meta: Vec<u8> = (0..nlb * 8)
                .map(|i| (i as u8).wrapping_mul(37) ^ 0x5a)
                .collect();
            let wcmd = Write::new(c.nsid, slba, (nlb - 1) as u16).build();
            c.b.execute_with(&wcmd, Data::ToDevice(&data), Data::ToDevice(&meta))
                .map_err(|e| format!("write with metadata: {e}"))?;
            let (mut rd, mut rm) = (vec![0u8; data.len()], vec![0u8; meta.len() + 8]);
            let rcmd = Read::new(c.nsid, slba, (nlb - 1) as u16).build();
            c.b.execute_with(&rcmd, Data::FromDevice(&mut rd), Data::FromDevice(&mut rm))
                .map_err(|e| format!("read with metadata: {e}"))?;
            diff(&rd, &data, ds).map_err(|e| format!("data: {e}"))?;
            if rm[..meta.len()] != meta[..] {
                return Err(format!(
                    "metadata read back {:?}, wrote {:?}",
                    &rm[..meta.len()],
                    meta
                ));
            }
            if rm[meta.len()..] != [0u8; 8] {
                return Err("the kernel wrote past the command's metadata length".into());
            }
            match c.b.execute(&rcmd, Data::FromDevice(&mut rd)) {
                Err(Error::MetadataRequired) => {}
                other => return Err(format!("read without a metadata buffer: {other:?}")),
            }
            let mut short = vec![0u8; 8];
            match c.b.execute_with(
                &rcmd,
                Data::FromDevice(&mut rd),
                Data::FromDevice(&mut short),
            ) {
                Err(Error::BufferTooSmall { need: 32, have: 8 }) => {}
                other => return Err(format!("read with a short metadata buffer: {other:?}")),
            }
            Ok(format!(
                "LBA format {idx}: {nlb} blocks with {} B of metadata round-trip; refusals checked",
                meta.len()
            ))
        })();
        let back = format(c, orig);
        let id = {
            let mut buf = vec![0u8; 4096];
            c.b.execute(
                &nvmeq_core::cmd::Identify::namespace(c.nsid).build(),
                Data::FromDevice(&mut buf),
            )
            .map_err(|e| format!("Identify after formatting back: {e}"))?;
            crate::check::parse::<IdentifyNamespace>(&buf)?
        };
        back?;
        if id.flbas_index() != orig {
            return Err(format!(
                "formatting back left format {} (was {orig})",
                id.flbas_index()
            ));
        }
        result
    });
}

/// ioctl only: the queue holds 64 commands; the 65th comes back as
/// back-pressure (its buffer returned, no error), and all 64 complete.
#[cfg(feature = "ioctl")]
pub fn ioctl_queue_full(c: &mut Ctx<nvmeq_ioctl::IoctlBackend>, r: &Runner, label: &str) {
    r.run(&format!("{label}/ioctl-queue-full"), "ioctl", || {
        let slots = nvmeq_ioctl::QUEUE_SLOTS as u64;
        let lba = c.lba as usize;
        for i in 0..=slots {
            let b = c.b.alloc(lba).map_err(|e| e.to_string())?;
            let res = c.b.push(&Read::new(c.nsid, i, 0).build(), Some(b), i);
            match (i < slots, res) {
                (true, Ok(())) => {}
                (false, Err(nvmeq_core::Rejected::Full(Some(b)))) if b.len() == lba => {}
                (_, other) => return Err(format!("write {i}: {other:?}")),
            }
        }
        if c.b.in_flight() != slots as u32 {
            return Err(format!(
                "in_flight {} after {slots} writes",
                c.b.in_flight()
            ));
        }
        let n = c.b.submit(1).map_err(|e| e.to_string())?;
        let mut tags = Vec::new();
        let mut errs = Vec::new();
        c.b.reap(|r| match r.result {
            Ok(_) => tags.push(r.tag),
            Err(e) => errs.push(format!("{}: {e}", r.tag)),
        });
        if !errs.is_empty() {
            return Err(errs.join("; "));
        }
        if n as u64 != slots || tags != (0..slots).collect::<Vec<_>>() || c.b.in_flight() != 0 {
            return Err(format!(
                "committed {n}, reaped tags {tags:?}, in flight {}",
                c.b.in_flight()
            ));
        }
        Ok(format!(
            "{slots} queued, the next refused with its buffer, {slots} reaped in order"
        ))
    });
}
