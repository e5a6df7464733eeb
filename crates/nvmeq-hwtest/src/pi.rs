//! End-to-end protection rows, on every backend that carries metadata: PI
//! generated on the host ([`nvmeq_core::pi`]) is accepted and checked by the
//! controller, the controller inserts and checks PI (PRACT, PRCHK), a guard
//! or reference tag corrupted through a raw metadata write is caught by
//! name, extended-LBA blocks round-trip with their PI inline, and block I/O
//! without the metadata buffer a format needs is refused before it is sent.

use nvmeq_core::cmd::{Identify, Prinfo, Read, Write};
use nvmeq_core::format::NsFormat;
use nvmeq_core::pi::{self, PiType, Prchk, Tags};
use nvmeq_core::{Completion, Data, Error, IdentifyNamespaceNvm, Status};
use zerocopy::FromBytes;

use crate::check::expect_status;
use crate::pattern::{diff, fill};
use crate::registry::HwBackend;
use crate::report::Outcome;
use crate::runner::{Runner, TestResult};
use crate::suite::Ctx;

mod facade;

/// Blocks each row writes.
const NLB: u32 = 4;

/// Where a namespace's protection information sits, per block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    pub(crate) fmt: NsFormat,
    pub(crate) pi: pi::Pi,
}

impl Layout {
    /// Metadata bytes per block.
    fn ms(&self) -> usize {
        self.fmt.ms as usize
    }
    /// Data bytes per block, without metadata.
    fn lba(&self) -> usize {
        self.fmt.lba_size() as usize
    }
    fn extended(&self) -> bool {
        self.fmt.meta_bytes == 0
    }
    /// Byte offsets (in a block's metadata) of the guard's first byte and the
    /// reference tag's last byte (every tuple format starts with the guard
    /// and ends with the reference tag): a flip of either breaks that field.
    fn guard_and_ref(&self) -> (usize, usize) {
        let at = self.pi.offset(self.fmt.ms) as usize;
        (at, at + self.pi.size() as usize - 1)
    }
    /// Whether the controller checks reference tags (not for type 3).
    fn checks_ref(&self) -> bool {
        self.pi.pi_type != PiType::Type3
    }
    /// The tags of a transfer starting at `slba`: Type 1's reference tag is
    /// the LBA; the suite uses the same for Types 2 and 3.
    fn tags(&self, slba: u64) -> Tags {
        Tags::new(self.pi.ref_tag_for_lba(slba))
    }
}

/// The namespace's PI layout, from Identify Namespace and the NVM Command
/// Set Identify Namespace (CNS 05h: the guard format); `Err` with the
/// reason the rows cannot run.
pub(crate) fn layout<B: HwBackend>(c: &mut Ctx<B>) -> Result<Layout, String> {
    let fmt = format_of(c)?;
    let Some(pi) = fmt.pi else {
        return Err(format!(
            "no protection information (DPS {:#x}, {} B of metadata)",
            c.id_ns.dps, fmt.ms
        ));
    };
    Ok(Layout { fmt, pi })
}

/// The namespace's format with its guard format (CNS 05h).
fn format_of<B: HwBackend>(c: &mut Ctx<B>) -> Result<NsFormat, String> {
    let mut buf = vec![0u8; 4096];
    c.b.execute(
        &Identify::nvm_namespace(c.nsid).build(),
        Data::FromDevice(&mut buf),
    )
    .map_err(|e| format!("Identify Namespace (NVM Command Set): {e}"))?;
    let nvm = IdentifyNamespaceNvm::read_from_bytes(&buf)
        .map_err(|_| "NVM Identify Namespace: short data".to_string())?;
    NsFormat::from_identify_nvm(&c.id_ns, Some(&nvm))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "inactive namespace".to_string())
}

fn prinfo(pract: bool, guard: bool, reftag: bool) -> Prinfo {
    Prinfo::new()
        .with_pract(pract)
        .with_prchk_guard(guard)
        .with_prchk_ref(reftag)
}

/// The buffers a command moves: data (with inline metadata on extended
/// formats unless PRACT strips it) and separate metadata (none when PRACT
/// covers it or the format interleaves it).
fn sizes(l: &Layout, pract: bool) -> (usize, usize) {
    let n = NLB as usize;
    let strip = pract && l.fmt.pi_only();
    match (l.extended(), strip) {
        (_, true) => (n * l.lba(), 0),
        (true, false) => (n * (l.lba() + l.ms()), 0),
        (false, false) => (n * l.lba(), n * l.ms()),
    }
}

fn meta_of<'a>(m: &'a [u8]) -> Data<'a> {
    if m.is_empty() {
        Data::None
    } else {
        Data::ToDevice(m)
    }
}

fn write<B: HwBackend>(
    c: &mut Ctx<B>,
    slba: u64,
    p: Prinfo,
    data: &[u8],
    meta: &[u8],
) -> Result<Completion, Error> {
    let cmd = Write::new(c.nsid, slba, (NLB - 1) as u16)
        .prinfo(p)
        .ilbrt(slba as u32)
        .build();
    c.b.execute_with(&cmd, Data::ToDevice(data), meta_of(meta))
}

fn read<B: HwBackend>(
    c: &mut Ctx<B>,
    slba: u64,
    p: Prinfo,
    data: &mut [u8],
    meta: &mut [u8],
) -> Result<Completion, Error> {
    let cmd = Read::new(c.nsid, slba, (NLB - 1) as u16)
        .prinfo(p)
        .eilbrt(slba as u32)
        .build();
    let m = if meta.is_empty() {
        Data::None
    } else {
        Data::FromDevice(meta)
    };
    c.b.execute_with(&cmd, Data::FromDevice(data), m)
}

/// The metadata of block `i` inside a read-back without PRACT: in the
/// metadata buffer, or inline after the block's data (extended LBA).
fn block_meta<'a>(l: &Layout, data: &'a mut [u8], meta: &'a mut [u8], i: usize) -> &'a mut [u8] {
    let ms = l.ms();
    if l.extended() {
        let b = l.lba() + ms;
        &mut data[i * b + l.lba()..(i + 1) * b]
    } else {
        &mut meta[i * ms..(i + 1) * ms]
    }
}

/// The data part of every block of a read-back without PRACT.
fn data_only(l: &Layout, data: &[u8]) -> Vec<u8> {
    if !l.extended() {
        return data.to_vec();
    }
    data.chunks(l.lba() + l.ms())
        .flat_map(|b| b[..l.lba()].iter().copied())
        .collect()
}

/// Written data, read-back data buffer, read-back metadata buffer.
type ReadBack = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Writes NLB patterned blocks at `slba` with PRACT (the controller
/// generates the PI) and reads them back without PRACT: (written data,
/// read-back data buffer, read-back metadata buffer).
fn generated<B: HwBackend>(
    c: &mut Ctx<B>,
    l: &Layout,
    slba: u64,
    seed: u64,
) -> Result<ReadBack, String> {
    let (dl, ml) = sizes(l, true);
    let mut data = vec![0u8; dl];
    fill(&mut data, l.lba() as u32, slba, seed);
    let meta = vec![0u8; ml];
    write(c, slba, prinfo(true, true, l.checks_ref()), &data, &meta)
        .map_err(|e| format!("write with PRACT: {e}"))?;
    let (dl, ml) = sizes(l, false);
    let (mut rd, mut rm) = (vec![0u8; dl], vec![0u8; ml]);
    read(
        c,
        slba,
        prinfo(false, true, l.checks_ref()),
        &mut rd,
        &mut rm,
    )
    .map_err(|e| format!("read with PRCHK (guard, ref) of PI the controller made: {e}"))?;
    diff(&data_only(l, &rd), &data, l.lba() as u32)?;
    Ok((data, rd, rm))
}

/// Runs the protection rows on `c`'s namespace, or records why they cannot
/// run. A format without metadata has none of them (as a namespace that is
/// not zoned has no ZNS rows).
pub fn run<B: HwBackend>(c: &mut Ctx<B>, r: &Runner, label: &str) {
    let name = B::NAME;
    if c.format().1 == 0 {
        return;
    }
    let rows: &[&str] = &[
        "pi-host-generated",
        "pi-pract-round-trip",
        "pi-pract-read-with-prchk",
        "pi-guard-check-error",
        "pi-ref-tag-check-error",
        "pi-extended-round-trip",
        "facade-blocks",
    ];
    let skip =
        |row: &str, why: String| r.record(&format!("{label}/{row}"), name, Outcome::Skip, why);
    no_metadata_refused(c, r, label);
    if !c.b.caps().metadata {
        for row in rows {
            skip(
                row,
                format!("the {name} backend carries no metadata buffers"),
            );
        }
        return;
    }
    // The facade's helpers apply to every format with metadata, PI or not.
    match format_of(c) {
        Ok(fmt) => {
            let at = c.area(11);
            r.run(&format!("{label}/facade-blocks"), name, || {
                facade::blocks(c, &fmt, at)
            });
        }
        Err(why) => skip("facade-blocks", why),
    }
    let l = match layout(c) {
        Ok(l) => l,
        Err(why) => {
            for row in rows.iter().filter(|r| r.starts_with("pi-")) {
                skip(row, why.clone());
            }
            return;
        }
    };
    let slba = c.area(10);
    r.run(&format!("{label}/pi-host-generated"), name, || {
        host_generated(c, &l, slba + 6 * NLB as u64)
    });
    r.run(&format!("{label}/pi-pract-round-trip"), name, || {
        let (dl, ml) = sizes(&l, true);
        let mut data = vec![0u8; dl];
        fill(&mut data, l.lba() as u32, slba, 41);
        let meta = vec![0u8; ml];
        let p = prinfo(true, true, l.checks_ref());
        write(c, slba, p, &data, &meta).map_err(|e| format!("write with PRACT: {e}"))?;
        let mut rd = vec![0u8; dl];
        let mut rm = vec![0u8; ml];
        read(c, slba, p, &mut rd, &mut rm).map_err(|e| format!("read with PRACT: {e}"))?;
        diff(&rd, &data, l.lba() as u32)?;
        Ok(format!(
            "{NLB} blocks, PI inserted and checked by the controller ({:?}, {} B tuples), \
             {} B of metadata moved",
            l.pi.pi_type,
            l.pi.size(),
            ml
        ))
    });
    r.run(&format!("{label}/pi-pract-read-with-prchk"), name, || {
        let (_, mut rd, mut rm) = generated(c, &l, slba + NLB as u64, 42)?;
        let (g, _) = l.guard_and_ref();
        let guards: Vec<u8> = (0..NLB as usize)
            .map(|i| block_meta(&l, &mut rd, &mut rm, i)[g])
            .collect();
        Ok(format!(
            "controller-made PI read back and checked; first guard bytes {guards:02x?}"
        ))
    });
    r.run(&format!("{label}/pi-guard-check-error"), name, || {
        corrupted(c, &l, slba + 2 * NLB as u64, true)
    });
    if l.checks_ref() {
        r.run(&format!("{label}/pi-ref-tag-check-error"), name, || {
            corrupted(c, &l, slba + 3 * NLB as u64, false)
        });
    } else {
        skip(
            "pi-ref-tag-check-error",
            format!("{:?}: reference tags are not checked", l.pi.pi_type),
        );
    }
    if l.extended() {
        r.run(&format!("{label}/pi-extended-round-trip"), name, || {
            let at = slba + 4 * NLB as u64;
            let (data, rd, _) = generated(c, &l, at, 44)?;
            // The blocks as read, PI inline, written back raw: the controller
            // checks the guard it is given, then strips it on a PRACT read.
            let other = at + NLB as u64;
            write(c, other, prinfo(false, true, false), &rd, &[])
                .map_err(|e| format!("raw write of {} B blocks: {e}", l.lba() + l.ms()))?;
            let (dl, _) = sizes(&l, true);
            let mut back = vec![0u8; dl];
            read(c, other, prinfo(true, true, false), &mut back, &mut [])
                .map_err(|e| format!("read with PRACT: {e}"))?;
            diff(&back, &data, l.lba() as u32)?;
            Ok(format!(
                "{NLB} blocks of {} + {} B round-trip with PI inline, and stripped by PRACT",
                l.lba(),
                l.ms()
            ))
        });
    } else {
        skip(
            "pi-extended-round-trip",
            "separate metadata (not an extended-LBA format)".into(),
        );
    }
}

/// Writes NLB blocks whose PI the host generated ([`pi::generate`]) without
/// PRACT, with PRCHK set so the controller checks every tuple; reads them
/// back raw with PRCHK and verifies them on the host ([`pi::verify`]); then
/// reads them with PRACT (the controller checks and strips the PI).
fn host_generated<B: HwBackend>(c: &mut Ctx<B>, l: &Layout, slba: u64) -> TestResult {
    let (dl, ml) = sizes(l, false);
    let (mut data, mut meta) = (vec![0u8; dl], vec![0u8; ml]);
    let tags = l.tags(slba);
    if l.extended() {
        for (i, b) in data.chunks_mut(l.lba() + l.ms()).enumerate() {
            fill(&mut b[..l.lba()], l.lba() as u32, slba + i as u64, 45);
        }
    } else {
        fill(&mut data, l.lba() as u32, slba, 45);
    }
    pi::generate(&l.fmt, &mut data, &mut meta, &tags).map_err(|e| format!("generate: {e}"))?;
    let p = prinfo(false, true, l.checks_ref());
    write(c, slba, p, &data, &meta)
        .map_err(|e| format!("write of host-generated PI with PRCHK: {e}"))?;
    let (mut rd, mut rm) = (vec![0u8; dl], vec![0u8; ml]);
    read(c, slba, p, &mut rd, &mut rm).map_err(|e| format!("read with PRCHK: {e}"))?;
    let n = pi::verify(&l.fmt, &rd, &rm, &tags, Prchk::from_prinfo(p))
        .map_err(|e| format!("host verify of the read-back: {e}"))?;
    diff(&data_only(l, &rd), &data_only(l, &data), l.lba() as u32)?;
    let (dl, ml) = sizes(l, true);
    let (mut sd, mut sm) = (vec![0u8; dl], vec![0u8; ml]);
    read(
        c,
        slba,
        prinfo(true, true, l.checks_ref()),
        &mut sd,
        &mut sm,
    )
    .map_err(|e| format!("read with PRACT: {e}"))?;
    diff(&sd, &data_only(l, &data), l.lba() as u32)?;
    Ok(format!(
        "{n} blocks with host-generated {:?} PI ({} B tuples): accepted by the controller, read \
         back checked by both, and stripped by PRACT",
        l.pi.pif,
        l.pi.size()
    ))
}

/// Writes controller-made PI, then the same blocks raw (no PRACT, no PRCHK)
/// with one byte of block 1's guard (`guard`) or reference tag flipped; a
/// read checking that field must fail with its status, named.
fn corrupted<B: HwBackend>(c: &mut Ctx<B>, l: &Layout, slba: u64, guard: bool) -> TestResult {
    let (_, mut rd, mut rm) = generated(c, l, slba, 43)?;
    let (g, rt) = l.guard_and_ref();
    block_meta(l, &mut rd, &mut rm, 1)[if guard { g } else { rt }] ^= 0x5a;
    write(c, slba, prinfo(false, false, false), &rd, &rm)
        .map_err(|e| format!("raw write of the corrupted PI: {e}"))?;
    let (mut d2, mut m2) = (vec![0u8; rd.len()], vec![0u8; rm.len()]);
    let (p, want) = if guard {
        (prinfo(false, true, false), Status::GUARD_CHECK_ERROR)
    } else {
        (
            prinfo(false, false, true),
            Status::REFERENCE_TAG_CHECK_ERROR,
        )
    };
    expect_status(read(c, slba, p, &mut d2, &mut m2), want)?;
    // Without the check the same read passes: only that field is wrong.
    read(c, slba, prinfo(false, false, false), &mut d2, &mut m2)
        .map_err(|e| format!("the same read without PRCHK: {e}"))?;
    Ok(format!("{want} on block {}", slba + 1))
}

/// Block I/O on a format with separate metadata and no metadata buffer is
/// refused before it reaches the device (MetadataRequired), on the
/// synchronous and the queue interface.
fn no_metadata_refused<B: HwBackend>(c: &mut Ctx<B>, r: &Runner, label: &str) {
    let row = format!("{label}/pi-no-metadata-refused");
    let fmt = NsFormat::from_identify(&c.id_ns).ok().flatten();
    let Some(fmt) = fmt.filter(|f| f.meta_bytes > 0) else {
        r.record(
            &row,
            B::NAME,
            Outcome::Skip,
            "no separate metadata in this format".into(),
        );
        return;
    };
    r.run(&row, B::NAME, || {
        let lba = fmt.lba_size() as usize;
        let cmd = Read::new(c.nsid, 0, 0).build();
        let mut buf = vec![0u8; lba];
        match c.b.execute(&cmd, Data::FromDevice(&mut buf)) {
            Err(Error::MetadataRequired) => {}
            other => return Err(format!("a read without metadata: {other:?}")),
        }
        let w = Write::new(c.nsid, 0, 0).build();
        match c.b.execute(&w, Data::ToDevice(&buf)) {
            Err(Error::MetadataRequired) => {}
            other => return Err(format!("a write without metadata: {other:?}")),
        }
        // The queue interface refuses it at push, or (a backend that checks
        // when it runs each command, ioctl) completes it with that error
        // without sending it.
        let b = c.b.alloc(lba).map_err(|e| e.to_string())?;
        let before = c.b.in_flight();
        let at = match c.b.push(&cmd, Some(b), 1) {
            Err(nvmeq_core::Rejected::Invalid {
                error: Error::MetadataRequired,
                buf: Some(_),
            }) => "push",
            Err(e) => return Err(format!("push without metadata: {:?}", e.error())),
            Ok(()) => {
                c.b.submit(1).map_err(|e| format!("submit: {e}"))?;
                let mut got = None;
                while got.is_none() {
                    c.b.reap(|d| got = Some(d.result));
                }
                match got {
                    Some(Err(Error::MetadataRequired)) => "completion",
                    other => return Err(format!("push without metadata completed with {other:?}")),
                }
            }
        };
        if c.b.in_flight() != before {
            return Err("the refused command is still in flight".into());
        }
        Ok(format!(
            "{} + {} B separate metadata: read, write and the queue interface (at {at}) refused \
             with MetadataRequired",
            lba, fmt.meta_bytes
        ))
    });
}
