//! I/O commands: `read`, `write`, `compare`, `verify`, `flush`,
//! `write-zeroes`, `write-uncor`, `dsm`, and `copy` in its own file. Options follow nvme-cli (`-n -s -c -z -d`, and
//! `-M -y -p -r -a -m -g -C` for metadata and protection), with
//! `--block-count` zero-based as there.

mod copy;
mod protection;

pub use copy::{copy, CopyArgs};
pub use protection::Protection;

use std::io::Read as _;

use clap::Args;
use nvmeq_core::cmd::{
    Compare, Csi, DirectiveType, Dsm, Flush, Identify, Read, Verify, Write, WriteUncorrectable,
    WriteZeroes,
};
use nvmeq_core::identify::IdentifyControllerNvm;
use nvmeq_core::ranges::{DsmContextAttributes, DsmRange};
use nvmeq_core::{Cmd, Data};
use serde::Serialize;
use zerocopy::{FromBytes, IntoBytes};

use super::{done, require_nsid, Ctx, DevArg};
use crate::device::Device;
use crate::error::{usage, CliError, Result};
use crate::num;
use crate::output::{self, Format};
use nvmeq_core::split::{self, Piece, Split};

/// Where the blocks are: the options `read`, `write`, `compare` share.
#[derive(Debug, Args)]
pub struct Range {
    /// Namespace ID (default: the namespace the device node names, else 1;
    /// required for commands that write).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// First logical block (decimal, 0x-hex, or with a K/M/G suffix).
    #[arg(short = 's', long = "start-block", value_parser = num::suffixed, default_value = "0")]
    pub slba: u64,
    /// Number of blocks, zero-based as in nvme-cli (0 = one block).
    #[arg(short = 'c', long = "block-count", value_parser = num::u16)]
    pub block_count: Option<u16>,
    /// Limited Retry.
    #[arg(short = 'l', long = "limited-retry")]
    pub limited_retry: bool,
    /// Force Unit Access.
    #[arg(short = 'f', long = "force-unit-access")]
    pub fua: bool,
}

/// The directive a write carries (`-T -S`, as nvme-cli's write, copy and
/// write-uncor).
#[derive(Debug, Args)]
pub struct DirectiveArgs {
    /// Directive Type (DTYPE, 4 bits): 1 Streams, 2 Data Placement.
    #[arg(short = 'T', long = "dir-type", value_parser = num::nibble, default_value = "0")]
    pub dtype: u8,
    /// Directive Specific (DSPEC): the stream identifier or placement handle.
    #[arg(short = 'S', long = "dir-spec", value_parser = num::u16, default_value = "0")]
    pub dspec: u16,
}

/// `read` / `write` / `compare`.
#[derive(Debug, Args)]
pub struct DataIo {
    #[command(flatten)]
    pub dev: DevArg,
    #[command(flatten)]
    pub range: Range,
    /// Transfer size in bytes; must equal (block-count + 1) × LBA size when both are given.
    #[arg(short = 'z', long = "data-size", value_parser = num::suffixed)]
    pub data_size: Option<u64>,
    /// Data file (read: written to it, default stdout; write/compare: read from it, default stdin).
    #[arg(short = 'd', long = "data")]
    pub data: Option<std::path::PathBuf>,
    /// Print the command before sending it.
    #[arg(short = 'v', long = "show-command")]
    pub show: bool,
    /// Print the command and do not send it.
    #[arg(short = 'w', long = "dry-run")]
    pub dry_run: bool,
    #[command(flatten)]
    pub pi: Protection,
    /// Dataset Management hints (DSM, CDW13 bits 7:0), read and write.
    #[arg(short = 'D', long = "dsm", value_parser = num::u8, default_value = "0")]
    pub dsm: u8,
    /// Write only: Read and Compare have no directive fields.
    #[command(flatten)]
    pub dir: DirectiveArgs,
}

/// `verify` / `write-zeroes` (no data transfer).
#[derive(Debug, Args)]
pub struct NoData {
    #[command(flatten)]
    pub dev: DevArg,
    #[command(flatten)]
    pub range: Range,
    /// Write Zeroes only: deallocate the blocks (DEAC).
    #[arg(short = 'd', long = "deac")]
    pub deac: bool,
    #[command(flatten)]
    pub pi: protection::Checks,
}

/// `dsm`.
#[derive(Debug, Args)]
pub struct DsmArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: deallocation discards data).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// Context attributes of each range, comma-separated.
    #[arg(short = 'a', long = "ctx-attrs", value_parser = num::list_u32)]
    pub ctx_attrs: Option<num::List<u32>>,
    /// Length in blocks of each range (a count, not zero-based), comma-separated.
    #[arg(short = 'b', long = "blocks", value_parser = num::list_u32)]
    pub blocks: Option<num::List<u32>>,
    /// Starting LBA of each range, comma-separated.
    #[arg(short = 's', long = "slbs", value_parser = num::list_u64)]
    pub slbs: Option<num::List<u64>>,
    /// Ranges as SLBA+NLB pairs, comma-separated (`0+8,1024+16`), instead of --slbs/--blocks.
    #[arg(long = "ranges", value_parser = parse_ranges, conflicts_with_all = ["slbs", "blocks"])]
    pub ranges: Option<num::List<(u64, u32)>>,
    /// Attribute: Deallocate.
    #[arg(short = 'd', long = "ad")]
    pub ad: bool,
    /// Attribute: Integral Dataset for Write.
    #[arg(short = 'w', long = "idw")]
    pub idw: bool,
    /// Attribute: Integral Dataset for Read.
    #[arg(short = 'r', long = "idr")]
    pub idr: bool,
    /// Command dword 11 (the attributes as one value; overrides --ad/--idw/--idr).
    #[arg(short = 'c', long = "cdw11", value_parser = num::u32)]
    pub cdw11: Option<u32>,
}

fn parse_ranges(s: &str) -> std::result::Result<num::List<(u64, u32)>, String> {
    s.split(',')
        .map(|r| {
            let (a, b) = r
                .split_once('+')
                .ok_or_else(|| format!("range '{r}' is not SLBA+NLB (e.g. 0+8)"))?;
            Ok((num::suffixed(a)?, num::u32(b)?))
        })
        .collect::<Result<_, String>>()
        .map(num::List)
}

/// `flush`.
#[derive(Debug, Args)]
pub struct FlushArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (default: the device's; 0xffffffff/all flushes every namespace).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
}

/// Blocks and bytes of a transfer, from `-c`, `-z` and the LBA size (or
/// the bytes a block takes in the data buffer): `-c` is zero-based, `-z`
/// any whole number of blocks.
pub fn transfer_blocks(
    lba: u32,
    block_count: Option<u16>,
    data_size: Option<u64>,
) -> Result<(u64, usize)> {
    if lba == 0 {
        return Err(CliError::Device(
            "the namespace reports an LBA size of 0 bytes: its format cannot be used".into(),
        ));
    }
    let lba64 = u64::from(lba);
    let blocks = match (block_count, data_size) {
        (Some(c), None) => u64::from(c) + 1,
        (None, None) => 1,
        (c, Some(z)) => {
            if z == 0 || z % lba64 != 0 {
                return Err(usage(format!(
                    "--data-size {z} is not a whole number of {lba}-byte logical blocks"
                )));
            }
            if let Some(c) = c {
                let want = (u64::from(c) + 1) * lba64;
                if want != z {
                    return Err(usage(format!(
                        "--data-size {z} disagrees with --block-count {c}: {} blocks of {lba} \
                         bytes is {want} bytes (block count is zero-based)",
                        u64::from(c) + 1
                    )));
                }
            }
            z / lba64
        }
    };
    let bytes =
        usize::try_from(blocks * lba64).map_err(|_| usage("transfer too large for this host"))?;
    Ok((blocks, bytes))
}

/// [`transfer_blocks`] for a command that cannot be split (Zone Append):
/// zero-based NLB, at most 65 536 blocks.
pub fn transfer_size(
    lba: u32,
    block_count: Option<u16>,
    data_size: Option<u64>,
) -> Result<(u16, usize)> {
    let (blocks, bytes) = transfer_blocks(lba, block_count, data_size)?;
    if blocks > split::MAX_NLB {
        return Err(usage(format!(
            "--data-size {bytes} is {blocks} blocks; one command moves at most 65536"
        )));
    }
    Ok(((blocks - 1) as u16, bytes))
}

/// Refuses a transfer larger than the device takes in one command, before
/// anything is sent, with the numbers to fix it.
pub fn check_max_xfer(dev: &Device, len: usize) -> Result<()> {
    let max = dev.max_xfer() as usize;
    if len > max {
        return Err(usage(format!(
            "the transfer of {len} bytes exceeds the largest this device takes in one command \
             ({max} bytes, from MDTS): use a smaller --block-count/--data-size"
        )));
    }
    Ok(())
}

/// Reads exactly `len` bytes of input data from `path` or stdin.
pub fn read_input(path: Option<&std::path::Path>, len: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    let (what, mut src): (String, Box<dyn std::io::Read>) = match path {
        Some(p) => (
            p.display().to_string(),
            Box::new(
                std::fs::File::open(p)
                    .map_err(|e| CliError::io(format!("opening data file {}", p.display()), e))?,
            ),
        ),
        None => ("stdin".into(), Box::new(std::io::stdin().lock())),
    };
    let mut got = 0;
    while got < len {
        match src.read(&mut buf[got..]) {
            Ok(0) => {
                return Err(usage(format!(
                    "{what} holds {got} bytes but the command transfers {len} bytes \
                     (give more data or a smaller --block-count/--data-size)"
                )))
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CliError::io(format!("reading {what}"), e)),
        }
    }
    Ok(buf)
}

/// Writes read data to `path` or stdout.
pub fn write_output(path: Option<&std::path::Path>, data: &[u8]) -> Result<()> {
    match path {
        Some(p) => std::fs::write(p, data)
            .map_err(|e| CliError::io(format!("writing data file {}", p.display()), e)),
        None => output::raw(data),
    }
}

/// The submission entry as nvme-cli's `--show-command` prints it.
pub fn show_command(cmd: &Cmd, data_len: usize) -> String {
    let s = &cmd.sqe;
    format!(
        "opcode       : {:02x}\nflags        : {:02x}\nnsid         : {:08x}\n\
         cdw2         : {:08x}\ncdw3         : {:08x}\ndata_len     : {:08x}\n\
         cdw10        : {:08x}\ncdw11        : {:08x}\ncdw12        : {:08x}\n\
         cdw13        : {:08x}\ncdw14        : {:08x}\ncdw15        : {:08x}\n",
        s.opcode(),
        s.cdw0.fuse() | s.cdw0.psdt() << 6,
        s.nsid,
        s.cdw2,
        s.cdw3,
        data_len,
        s.cdw10,
        s.cdw11,
        s.cdw12,
        s.cdw13,
        s.cdw14,
        s.cdw15
    )
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ReadJson {
    command: &'static str,
    nsid: u32,
    slba: u64,
    nlb: u64,
    bytes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
}

fn resolve_nsid(dev: &Device, nsid: Option<u32>) -> u32 {
    nsid.unwrap_or_else(|| dev.default_nsid())
}

/// The three commands that move blocks of data through `read`, `write` and
/// `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Write,
    Compare,
}

impl Op {
    /// The hints each command defines (NVM Command Set spec, CDW12/13 of
    /// Read, Write and Compare): nvme-cli sends them in every one, where they
    /// are reserved bits a controller may refuse.
    fn check_hints(self, a: &DataIo) -> Result<()> {
        let (dsm, dir) = match self {
            Op::Read => (true, false),
            Op::Write => (true, true),
            Op::Compare => (false, false),
        };
        if !dsm && a.dsm != 0 {
            return Err(usage(format!(
                "{}: --dsm is a Read and Write field",
                self.verb()
            )));
        }
        if !dir && (a.dir.dtype != 0 || a.dir.dspec != 0) {
            return Err(usage(format!(
                "{}: --dir-type and --dir-spec are Write fields (the directive places written data)",
                self.verb()
            )));
        }
        Ok(())
    }

    fn name(self) -> &'static str {
        match self {
            Op::Read => "Read",
            Op::Write => "Write",
            Op::Compare => "Compare",
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Op::Read => "read",
            Op::Write => "write",
            Op::Compare => "compare",
        }
    }
}

/// One `read`, `write` or `compare`: the namespace's buffer layout and the
/// commands the transfer is cut into.
struct Transfer {
    op: Op,
    nsid: u32,
    sz: protection::Sizing,
    split: Split,
    /// Data and metadata bytes of the whole transfer.
    len: usize,
    meta_len: usize,
}

/// Where one command's data and metadata lie in the transfer's buffers.
struct Part {
    cmd: Cmd,
    piece: Piece,
    data: std::ops::Range<usize>,
    meta: std::ops::Range<usize>,
}

impl Transfer {
    fn new(dev: &mut Device, a: &DataIo, op: Op, nsid: u32) -> Result<Transfer> {
        op.check_hints(a)?;
        let sz = a.pi.sizing(dev.format(nsid)?)?;
        let (blocks, _) = transfer_blocks(sz.unit, a.range.block_count, a.data_size)?;
        let split =
            Split::new(blocks, sz.unit, dev.max_xfer()).map_err(|e| usage(e.to_string()))?;
        a.range
            .slba
            .checked_add(blocks - 1)
            .ok_or_else(|| usage("--start-block plus the block count passes the last LBA"))?;
        let mut t = Transfer {
            op,
            nsid,
            sz,
            split,
            len: 0,
            meta_len: 0,
        };
        // The parts are laid end to end: the last one ends the transfer.
        let (mut len, mut meta_len) = (0, 0);
        for p in t.parts(a) {
            let p = p?;
            (len, meta_len) = (p.data.end, p.meta.end);
        }
        (t.len, t.meta_len) = (len, meta_len);
        a.pi.check_metadata(t.meta_len as u64, &t.sz)?;
        Ok(t)
    }

    /// The commands, each with its share of the buffers.
    fn parts<'a>(&'a self, a: &'a DataIo) -> impl Iterator<Item = Result<Part>> + 'a {
        let (mut data, mut meta) = (0usize, 0usize);
        self.split.pieces().map(move |piece| {
            let slba = a.range.slba + piece.off;
            let f = a.pi.fields(&self.sz.fmt, a.range.slba, piece.off)?;
            let (nsid, nlb_z) = (self.nsid, piece.nlb_z());
            // The three builders take the same fields.
            macro_rules! build {
                ($b:ident $(.$set:ident($($v:expr),*))*) => {
                    $b::new(nsid, slba, nlb_z)
                        $(.$set($($v),*))*
                        .fua(a.range.fua)
                        .lr(a.range.limited_retry)
                        .prinfo(f.prinfo)
                        .stc(f.stc)
                        .pi_tags(f.tags)
                        .build()
                };
            }
            let cmd = match self.op {
                Op::Read => build!(Read.dsm(a.dsm)),
                Op::Write => build!(Write
                    .dsm(a.dsm)
                    .dtype(DirectiveType(a.dir.dtype))
                    .dspec(a.dir.dspec)),
                Op::Compare => build!(Compare),
            };
            let plan = a.pi.plan(&cmd, &self.sz)?;
            let part = Part {
                cmd,
                piece,
                data: data..data + plan.data as usize,
                meta: meta..meta + plan.meta as usize,
            };
            (data, meta) = (part.data.end, part.meta.end);
            Ok(part)
        })
    }

    /// `-v` / `-w`: prints every command; true when the transfer stops there.
    fn show(&self, a: &DataIo) -> Result<bool> {
        if a.show || a.dry_run {
            for p in self.parts(a) {
                let p = p?;
                eprint!("{}", show_command(&p.cmd, p.data.len()));
            }
        }
        Ok(a.dry_run)
    }

    /// What a failed command is called: the operation, and on a split
    /// transfer the blocks it covered.
    fn what(&self, a: &DataIo, p: &Piece) -> String {
        let name = self.op.name();
        if self.split.commands() == 1 {
            return name.to_string();
        }
        let first = a.range.slba + p.off;
        format!(
            "{name} of blocks {first}..={} (command {} of {})",
            first + p.nlb - 1,
            p.off / self.split.per_cmd + 1,
            self.split.commands()
        )
    }
}

/// `nvmeq read`. A transfer larger than one command takes is read in
/// several, into one buffer.
pub fn read(ctx: &Ctx, a: &DataIo) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let nsid = resolve_nsid(&dev, a.range.nsid);
    let t = Transfer::new(&mut dev, a, Op::Read, nsid)?;
    if t.show(a)? {
        return Ok(());
    }
    let mut buf = vec![0u8; t.len];
    let mut meta = vec![0u8; t.meta_len];
    for p in t.parts(a) {
        let p = p?;
        let md = match p.meta.is_empty() {
            true => Data::None,
            false => Data::FromDevice(&mut meta[p.meta.clone()]),
        };
        let data = Data::FromDevice(&mut buf[p.data.clone()]);
        protection::exec(&mut dev, &t.what(a, &p.piece), &p.cmd, data, md)?;
    }
    a.pi.check(&t.sz, &buf, &meta, a.range.slba)?;
    if let Some(p) = &a.pi.metadata {
        write_output(Some(p), &meta)?;
    }
    match (ctx.fmt, &a.data) {
        (Format::Json, path) => {
            if let Some(p) = path {
                write_output(Some(p), &buf)?;
            }
            output::json(&ReadJson {
                command: "read",
                nsid,
                slba: a.range.slba,
                nlb: t.split.blocks,
                bytes: t.len,
                data: path.is_none().then(|| output::hex(&buf)),
            })
        }
        (_, Some(p)) => {
            write_output(Some(p), &buf)?;
            if ctx.fmt == Format::Normal {
                eprintln!("read: Success");
            }
            Ok(())
        }
        (_, None) => output::raw(&buf),
    }
}

/// `nvmeq write`.
pub fn write(ctx: &Ctx, a: &DataIo) -> Result<()> {
    let nsid = require_nsid("write", a.range.nsid)?;
    let mut dev = ctx.open(&a.dev)?;
    send_input(ctx, &mut dev, Op::Write, a, nsid)
}

/// `nvmeq flush`.
pub fn flush(ctx: &Ctx, a: &FlushArgs) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let nsid = resolve_nsid(&dev, a.nsid);
    let c = dev.exec("Flush", &Flush::new(nsid).build(), Data::None)?;
    done(ctx, "flush", Some(nsid), c.result())
}

/// `nvmeq compare`: the controller compares the blocks with the data given.
pub fn compare(ctx: &Ctx, a: &DataIo) -> Result<()> {
    let mut dev = ctx.open(&a.dev)?;
    let nsid = resolve_nsid(&dev, a.range.nsid);
    send_input(ctx, &mut dev, Op::Compare, a, nsid)
}

/// The tail of `write` and `compare`: show the commands if asked, stop on
/// `--dry-run`, else send the input file (or stdin) with them, and the
/// metadata file or host-generated PI where the format needs them.
fn send_input(ctx: &Ctx, dev: &mut Device, op: Op, a: &DataIo, nsid: u32) -> Result<()> {
    let t = Transfer::new(dev, a, op, nsid)?;
    if t.meta_len > 0 && a.pi.metadata.is_none() && !a.pi.pi_generate {
        return Err(usage(format!(
            "namespace {nsid}'s format has {} bytes of separate metadata per block: give \
             --metadata FILE, --pi-generate (protected formats), or --prinfo with PRACT (0x8) \
             on a format whose metadata is only PI",
            t.sz.fmt.meta_bytes
        )));
    }
    if t.show(a)? {
        return Ok(());
    }
    let mut buf = read_input(a.data.as_deref(), t.len)?;
    let mut meta = match &a.pi.metadata {
        Some(p) => read_input(Some(p), t.meta_len)?,
        None => vec![0u8; t.meta_len],
    };
    a.pi.generate(&t.sz, &mut buf, &mut meta, a.range.slba)?;
    let mut last = None;
    for p in t.parts(a) {
        let p = p?;
        let md = match p.meta.is_empty() {
            true => Data::None,
            false => Data::ToDevice(&meta[p.meta.clone()]),
        };
        let data = Data::ToDevice(&buf[p.data.clone()]);
        last = Some(protection::exec(
            dev,
            &t.what(a, &p.piece),
            &p.cmd,
            data,
            md,
        )?);
    }
    // Every transfer has at least one command.
    let dw0 = last.map_or(0, |c| c.result());
    done(ctx, op.verb(), Some(nsid), dw0)
}

/// `nvmeq verify`. Verify moves no data, but the controller may bound it
/// (Verify Size Limit, VSL): a range beyond that is verified in several
/// commands, as a read beyond MDTS is read in several, and a failure names
/// the command and its blocks.
pub fn verify(ctx: &Ctx, a: &NoData) -> Result<()> {
    if a.deac {
        return Err(usage("--deac applies to write-zeroes, not verify"));
    }
    let mut dev = ctx.open(&a.dev)?;
    let nsid = resolve_nsid(&dev, a.range.nsid);
    let blocks = u64::from(a.range.block_count.unwrap_or(0)) + 1;
    let limit = verify_limit(&mut dev);
    let split = match limit {
        Some(max) => {
            let fmt = dev.format(nsid)?;
            Split::new(blocks, fmt.block_bytes, max).map_err(|e| {
                usage(format!(
                    "verify: the controller's Verify Size Limit ({max} bytes) is below one \
                     block: {e}"
                ))
            })?
        }
        None => Split {
            blocks,
            per_cmd: blocks,
        },
    };
    let fmt = match a.pi.any() {
        true => Some(dev.format(nsid)?),
        false => None,
    };
    let mut dw0 = 0;
    for p in split.pieces() {
        let f = match &fmt {
            Some(fmt) => a.pi.fields(fmt, a.range.slba, p.off)?,
            None => protection::Fields::default(),
        };
        let slba = a.range.slba + p.off;
        let cmd = Verify::new(nsid, slba, p.nlb_z())
            .fua(a.range.fua)
            .lr(a.range.limited_retry)
            .prinfo(f.prinfo)
            .stc(f.stc)
            .pi_tags(f.tags)
            .build();
        let what = match split.commands() {
            1 => "Verify".to_string(),
            n => format!(
                "Verify of blocks {slba}..={} (command {} of {n})",
                slba + p.nlb - 1,
                p.off / split.per_cmd + 1
            ),
        };
        dw0 = dev.exec(&what, &cmd, Data::None)?.result();
    }
    done(ctx, "verify", Some(nsid), dw0)
}

/// The most bytes one Verify may cover: the NVM Command Set's Identify
/// Controller VSL, in units of the controller's minimum memory page size;
/// `None` when it sets no limit or does not answer that Identify (controllers
/// before NVMe 2.0), so the range goes in one command as nvme-cli sends it.
fn verify_limit(dev: &mut Device) -> Option<u32> {
    let mut raw = vec![0u8; 4096];
    let cmd = Identify::csi_controller(Csi::NVM).build();
    dev.exec(
        "Identify Controller (NVM Command Set)",
        &cmd,
        Data::FromDevice(&mut raw),
    )
    .ok()?;
    let c = IdentifyControllerNvm::read_from_prefix(&raw).ok()?.0;
    if c.vsl == 0 {
        return None;
    }
    // A page is at most 2^27 bytes (MPSMIN 15): past a shift of 32 the
    // limit is above what a u32 holds anyway.
    let bytes = min_page(dev) << c.vsl.min(32);
    Some(u32::try_from(bytes).unwrap_or(u32::MAX))
}

/// The controller's minimum memory page size (CAP.MPSMIN): read from CAP
/// where nvmeq maps the registers (VFIO); else 4 KiB, the page size the
/// kernel's driver (ioctl, uring) and nvmet's controllers (tcp) use.
fn min_page(dev: &Device) -> u64 {
    match dev.inner() {
        nvmeq::Device::Vfio(c) => u64::from(c.registers().cap.mps_min_bytes()),
        _ => 4096,
    }
}

/// `nvmeq write-zeroes`.
pub fn write_zeroes(ctx: &Ctx, a: &NoData) -> Result<()> {
    let nsid = require_nsid("write-zeroes", a.range.nsid)?;
    let mut dev = ctx.open(&a.dev)?;
    let f = no_data_fields(&mut dev, a, nsid)?;
    let cmd = WriteZeroes::new(nsid, a.range.slba, a.range.block_count.unwrap_or(0))
        .deac(a.deac)
        .fua(a.range.fua)
        .lr(a.range.limited_retry)
        .prinfo(f.prinfo)
        .stc(f.stc)
        .pi_tags(f.tags)
        .build();
    let c = dev.exec("Write Zeroes", &cmd, Data::None)?;
    done(ctx, "write-zeroes", Some(nsid), c.result())
}

/// The protection fields of `verify`/`write-zeroes`: none unless an option
/// asks (the namespace's format is then read to check and place them).
fn no_data_fields(dev: &mut Device, a: &NoData, nsid: u32) -> Result<protection::Fields> {
    if !a.pi.any() {
        return Ok(protection::Fields::default());
    }
    let fmt = dev.format(nsid)?;
    a.pi.fields(&fmt, a.range.slba, 0)
}

/// `write-uncor`.
#[derive(Debug, Args)]
pub struct UncorArgs {
    #[command(flatten)]
    pub dev: DevArg,
    /// Namespace ID (required: the blocks read back as errors until rewritten).
    #[arg(short = 'n', long = "namespace-id", value_parser = num::nsid)]
    pub nsid: Option<u32>,
    /// First logical block (decimal, 0x-hex, or with a K/M/G suffix).
    #[arg(short = 's', long = "start-block", value_parser = num::suffixed, default_value = "0")]
    pub slba: u64,
    /// Number of blocks, zero-based as in nvme-cli (0 = one block).
    #[arg(short = 'c', long = "block-count", value_parser = num::u16, default_value = "0")]
    pub block_count: u16,
    #[command(flatten)]
    pub dir: DirectiveArgs,
}

/// `nvmeq write-uncor`: the blocks' data is lost, so it follows `write`'s rule.
pub fn write_uncor(ctx: &Ctx, a: &UncorArgs) -> Result<()> {
    let nsid = require_nsid("write-uncor", a.nsid)?;
    let mut dev = ctx.open(&a.dev)?;
    let cmd = WriteUncorrectable::new(nsid, a.slba, a.block_count)
        .dtype(DirectiveType(a.dir.dtype))
        .dspec(a.dir.dspec)
        .build();
    let c = dev.exec("Write Uncorrectable", &cmd, Data::None)?;
    done(ctx, "write-uncor", Some(nsid), c.result())
}

/// The DSM ranges from `--ranges` or `--slbs`/`--blocks`/`--ctx-attrs`.
pub fn dsm_ranges(a: &DsmArgs) -> Result<Vec<DsmRange>> {
    let pairs: Vec<(u64, u32)> =
        match (&a.ranges, &a.slbs, &a.blocks) {
            (Some(r), _, _) => r.0.clone(),
            (None, Some(num::List(s)), Some(num::List(b))) => {
                if s.len() != b.len() {
                    return Err(usage(format!(
                        "--slbs has {} entries but --blocks has {}: give one length per start",
                        s.len(),
                        b.len()
                    )));
                }
                s.iter().copied().zip(b.iter().copied()).collect()
            }
            _ => return Err(usage(
                "dsm needs ranges: --slbs and --blocks (comma-separated), or --ranges SLBA+NLB,…",
            )),
        };
    if pairs.is_empty() || pairs.len() > DsmRange::MAX_RANGES {
        return Err(usage(format!(
            "dsm takes 1 to {} ranges, not {}",
            DsmRange::MAX_RANGES,
            pairs.len()
        )));
    }
    let attrs = a.ctx_attrs.clone().map(|l| l.0).unwrap_or_default();
    if !attrs.is_empty() && attrs.len() != pairs.len() {
        return Err(usage(format!(
            "--ctx-attrs has {} entries for {} ranges",
            attrs.len(),
            pairs.len()
        )));
    }
    Ok(pairs
        .iter()
        .enumerate()
        .map(|(i, &(slba, nlb))| {
            let mut r = DsmRange::new(slba, nlb);
            if let Some(&c) = attrs.get(i) {
                r.cattr = DsmContextAttributes::from_bits(c);
            }
            r
        })
        .collect())
}

/// `nvmeq dsm`.
pub fn dsm(ctx: &Ctx, a: &DsmArgs) -> Result<()> {
    let nsid = require_nsid("dsm", a.nsid)?;
    let ranges = dsm_ranges(a)?;
    let (ad, idw, idr) = match a.cdw11 {
        Some(v) => (v & 4 != 0, v & 2 != 0, v & 1 != 0),
        None => (a.ad, a.idw, a.idr),
    };
    let cmd = Dsm::new(nsid, (ranges.len() - 1) as u8)
        .ad(ad)
        .idw(idw)
        .idr(idr)
        .build();
    let mut dev = ctx.open(&a.dev)?;
    let c = dev.exec(
        "Dataset Management",
        &cmd,
        Data::ToDevice(ranges.as_bytes()),
    )?;
    done(ctx, "dsm", Some(nsid), c.result())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(transfer_size(512, None, None).unwrap(), (0, 512));
        assert_eq!(transfer_size(512, Some(7), None).unwrap(), (7, 4096));
        assert_eq!(transfer_size(512, None, Some(4096)).unwrap(), (7, 4096));
        assert_eq!(transfer_size(4096, Some(0), Some(4096)).unwrap(), (0, 4096));
        let e = transfer_size(512, Some(0), Some(4096))
            .unwrap_err()
            .to_string();
        assert!(e.contains("disagrees"), "{e}");
        let e = transfer_size(512, None, Some(100)).unwrap_err().to_string();
        assert!(e.contains("whole number"), "{e}");
        assert_eq!(
            transfer_size(512, Some(u16::MAX), None).unwrap(),
            (u16::MAX, 65536 * 512)
        );
        assert!(transfer_size(512, None, Some(65537 * 512)).is_err());
        assert!(transfer_size(0, None, Some(512)).is_err());
    }
}
