//! Cross-backend differential check (guest only): the same controller read
//! through every way nvmeq has must give the same bytes.
//!
//! For controller A's namespace 1 (512 B blocks) and controller B's
//! namespace 1 (4 KiB blocks), after every backend's suite has run:
//!
//! 1. through ioctl, write a pseudo-random pattern ([`pattern`], seeded by
//!    [`SEED`] and the LBA) to the namespace's **last 64 KiB** ([`reserved_range`]:
//!    A's LBAs `nsze-128..nsze`, B's `nsze-16..nsze`); no other test writes
//!    there (the suite's writing tests use strides from the middle of the
//!    namespace, [`crate::suite::Ctx::area`]), and read it back;
//! 2. read Identify Controller, Identify Namespace (nsid 1), the Active
//!    Namespace ID list, the Firmware Slot log, the Commands Supported and
//!    Effects log and that LBA range ([`Item`]) through ioctl (the reference),
//!    io_uring (`uring`: `execute` into heap memory; `uring-fixed`: queued
//!    into registered buffers) and, when the guest has the vIOMMU, VFIO
//!    (queued into DMA buffers: the controller is handed to vfio-pci, read,
//!    shut down, handed back to `nvme`, and its device names found again);
//! 3. compare each byte for byte with the ioctl bytes ([`compare`]): one row
//!    per comparison, naming the first differing offset and field.
//!
//! No field is masked: every structure compared is static on a controller
//! whichever driver reads it. SMART / Health is deliberately not compared
//! (its counters move with every command). [`Item::masks`] is where a
//! masked field would be declared, with its reason, and the row says so.

use std::path::PathBuf;
#[cfg(feature = "ioctl")]
use std::time::{Duration, Instant};

use nvmeq_core::cmd::{GetLogPage, Identify, LogId, Numd, Read};
use nvmeq_core::identify::PowerStateDescriptor;
use nvmeq_core::log::{CommandEffectsLog, FwSlotLog};
use nvmeq_core::{Cmd, IdentifyController, IdentifyNamespace, NsList};
use nvmeq_linux::{NodeKind, NodeName, Sysfs};

#[cfg(feature = "ioctl")]
use crate::report::Outcome;
use crate::runner::Runner;

/// Bytes reserved at the end of each namespace for this check.
pub const RESERVED_BYTES: u64 = 64 << 10;

/// Seed of the pattern written there.
pub const SEED: u64 = 0x6e76_6d65_7164_6966;

/// The namespace compared on each controller.
pub const NSID: u32 = 1;

/// One structure (or the data) compared across backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// Identify Controller (CNS 01h).
    IdCtrl,
    /// Identify Namespace (CNS 00h) of [`NSID`].
    IdNs,
    /// Active Namespace ID list (CNS 02h) from nsid 0.
    NsList,
    /// Firmware Slot Information log (LID 03h).
    FwSlot,
    /// Commands Supported and Effects log (LID 05h).
    Effects,
    /// The reserved LBA range ([`reserved_range`]).
    Lba,
}

impl Item {
    /// Every item, in the order they are read and reported.
    pub const ALL: [Item; 6] = [
        Item::IdCtrl,
        Item::IdNs,
        Item::NsList,
        Item::FwSlot,
        Item::Effects,
        Item::Lba,
    ];

    /// The row name (after `label/diff-`).
    pub fn name(self) -> &'static str {
        match self {
            Item::IdCtrl => "identify-controller",
            Item::IdNs => "identify-namespace",
            Item::NsList => "active-ns-list",
            Item::FwSlot => "log-firmware-slot",
            Item::Effects => "log-cmd-effects",
            Item::Lba => "lba-range",
        }
    }

    /// The command reading it; `slba`/`nlb` give the LBA range.
    pub fn cmd(self, slba: u64, nlb: u32) -> Cmd {
        match self {
            Item::IdCtrl => Identify::controller().build(),
            Item::IdNs => Identify::namespace(NSID).build(),
            Item::NsList => Identify::active_ns_list(0).build(),
            Item::FwSlot => GetLogPage::new(LogId::FW_SLOT, Numd::BYTES_512).build(),
            Item::Effects => GetLogPage::new(LogId::CMD_EFFECTS, Numd::BYTES_4096).build(),
            Item::Lba => Read::new(NSID, slba, (nlb - 1) as u16).build(),
        }
    }

    /// Bytes it transfers, with `lba`-byte blocks.
    pub fn len(self, lba: u32, nlb: u32) -> usize {
        match self {
            Item::FwSlot => 512,
            Item::Lba => (lba * nlb) as usize,
            _ => 4096,
        }
    }

    /// Its layout, to name the field at a differing offset.
    pub fn layout(self, lba: u32) -> Layout {
        match self {
            Item::IdCtrl => Layout::Fields(id_ctrl_fields()),
            Item::IdNs => Layout::Fields(id_ns_fields()),
            Item::NsList => Layout::Fields(ns_list_fields()),
            Item::FwSlot => Layout::Fields(fw_slot_fields()),
            Item::Effects => Layout::Fields(effects_fields()),
            Item::Lba => Layout::Blocks(lba),
        }
    }

    /// Fields that may legitimately differ between backends, ignored by the
    /// comparison. None: Identify, these two logs and the active namespace
    /// list are fixed for a controller whichever driver reads them.
    pub fn masks(self) -> &'static [Mask] {
        &[]
    }
}

/// One named field of a data structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The spec's mnemonic (the nvmeq-core field name).
    pub name: &'static str,
    /// Byte offset.
    pub off: usize,
    /// Byte length.
    pub len: usize,
    /// Element size for an array of entries (named `name[i]`), else 0.
    pub elem: usize,
}

/// How to name a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// A data structure's fields, in order.
    Fields(Vec<Field>),
    /// Data in blocks of this many bytes.
    Blocks(u32),
}

impl Layout {
    /// Where byte `off` lies: `mdts`, `psd[2]+4`, `sn+3`, `block 5 + 17`.
    pub fn locate(&self, off: usize) -> String {
        match self {
            Layout::Blocks(lba) => {
                let lba = (*lba).max(1) as usize;
                format!("block {} + {}", off / lba, off % lba)
            }
            Layout::Fields(fields) => {
                let Some(f) = fields
                    .iter()
                    .find(|f| (f.off..f.off + f.len).contains(&off))
                else {
                    return "past the structure".into();
                };
                let rel = off - f.off;
                let (name, rel) = match rel.checked_div(f.elem) {
                    Some(i) => (format!("{}[{i}]", f.name), rel % f.elem),
                    None => (f.name.to_string(), rel),
                };
                if rel == 0 {
                    name
                } else {
                    format!("{name}+{rel}")
                }
            }
        }
    }
}

/// A byte range the comparison ignores, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mask {
    /// Byte offset.
    pub off: usize,
    /// Byte length.
    pub len: usize,
    /// Field name.
    pub field: &'static str,
    /// Why it may differ.
    pub why: &'static str,
}

/// Compares `got` (a backend's bytes) with `want` (ioctl's), ignoring
/// `masks`. `Ok` says how much matched and what was masked; `Err` names the
/// first differing offset and its field, the count of differing bytes and
/// the fields they fall in.
pub fn compare(got: &[u8], want: &[u8], layout: &Layout, masks: &[Mask]) -> Result<String, String> {
    if got.len() != want.len() {
        return Err(format!(
            "length {} B, ioctl's is {} B",
            got.len(),
            want.len()
        ));
    }
    let masked = |i: usize| masks.iter().any(|m| (m.off..m.off + m.len).contains(&i));
    let diffs: Vec<usize> = (0..got.len())
        .filter(|&i| got[i] != want[i] && !masked(i))
        .collect();
    let note = if masks.is_empty() {
        "no field masked".to_string()
    } else {
        let m: Vec<String> = masks
            .iter()
            .map(|m| format!("{} ({})", m.field, m.why))
            .collect();
        format!("masked: {}", m.join(", "))
    };
    let Some(&first) = diffs.first() else {
        return Ok(format!("{} B identical to ioctl's; {note}", got.len()));
    };
    let mut fields: Vec<String> = Vec::new();
    for &i in &diffs {
        let f = layout.locate(i);
        // Fields by name only (`psd[2]`, not `psd[2]+4`); blocks by number.
        let f = match layout {
            Layout::Fields(_) => f.split('+').next().unwrap_or_default().to_string(),
            Layout::Blocks(_) => f.split(" + ").next().unwrap_or_default().to_string(),
        };
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    let shown = fields.len().min(8);
    let more = if fields.len() > shown {
        format!(" and {} more", fields.len() - shown)
    } else {
        String::new()
    };
    Err(format!(
        "first difference at byte {first} ({:#x}, {}): got {:#04x}, ioctl {:#04x}; \
         {} of {} B differ, in {}{more}; {note}",
        first,
        layout.locate(first),
        got[first],
        want[first],
        diffs.len(),
        got.len(),
        fields[..shown].join(", ")
    ))
}

/// The reserved range of a namespace of `nsze` blocks of `lba` bytes:
/// (first LBA, block count), the last [`RESERVED_BYTES`] of the namespace.
pub fn reserved_range(nsze: u64, lba: u32) -> Result<(u64, u32), String> {
    if lba == 0 || RESERVED_BYTES % lba as u64 != 0 {
        return Err(format!(
            "a {lba} B block does not divide the {RESERVED_BYTES} B reserved range"
        ));
    }
    let nlb = RESERVED_BYTES / lba as u64;
    if nsze < 2 * nlb {
        return Err(format!(
            "the namespace ({nsze} blocks) is too small for a {nlb}-block reserved range"
        ));
    }
    Ok((nsze - nlb, nlb as u32))
}

/// The pattern for `nlb` blocks of `lba` bytes from `slba`: splitmix64 of
/// ([`SEED`], LBA, word index), so every block and every word differ.
pub fn pattern(slba: u64, lba: u32, nlb: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(lba as usize * nlb as usize);
    for b in 0..nlb as u64 {
        let mut x = SEED ^ (slba + b).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for _ in 0..lba / 8 {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
    }
    out
}

macro_rules! fields {
    ($t:ty => $($f:ident $([$e:expr])?),* $(,)?) => {{
        let z = <$t as zerocopy::FromZeros>::new_zeroed();
        vec![$(Field {
            name: stringify!($f),
            off: core::mem::offset_of!($t, $f),
            len: core::mem::size_of_val(&z.$f),
            elem: fields!(@elem $($e)?),
        }),*]
    }};
    (@elem) => { 0 };
    (@elem $e:expr) => { $e };
}

/// Identify Controller's fields.
pub fn id_ctrl_fields() -> Vec<Field> {
    fields!(IdentifyController =>
        vid, ssvid, sn, mn, fr, rab, ieee, cmic, mdts, cntlid, ver, rtd3r, rtd3e, oaes,
        ctratt, rrls, bpcap, rsvd103, nssl, rsvd108, plsi, cntrltype, fguid, crdt1, crdt2,
        crdt3, crcap, rsvd135, nvmsr, vwci, mec, oacs, acl_z, aerl_z, frmw, lpa, elpe_z,
        npss_z, avscc, apsta, wctemp, cctemp, mtfa, hmpre, hmmin, tnvmcap, unvmcap, rpmbs,
        edstt, dsto, fwug, kas, hctma, mntmt, mxtmt, sanicap, hmminds, hmmaxd, nsetidmax,
        endgidmax, anatt, anacap, anagrpmax, nanagrpid, pels, domainid, kpioc, rsvd359,
        mptfawr, rsvd362, megcap, tmpthha, rsvd385, cqt, rsvd388, sqes, cqes, maxcmd, nn,
        oncs, fuses, fna, vwc, awun_z, awupf_z, icsvscc, nwpc, acwu_z, ocfs, sgls, mnan,
        maxdna, maxcna, oaqd, rhiri, hirt, cmmrtd, nmmrtd, minmrtg, maxmrtg, trattr,
        rsvd577, mcudmq, mnsudmq, mcmr, nmcmr, mcdqpc, rsvd588, subnqn, rsvd1024, ioccsz,
        iorcsz, icdoff, fcatt, msdbd, ofcs, dctype, rsvd1807,
        psd[size_of::<PowerStateDescriptor>()], vs,
    )
}

/// Identify Namespace's fields.
pub fn id_ns_fields() -> Vec<Field> {
    fields!(IdentifyNamespace =>
        nsze, ncap, nuse, nsfeat, nlbaf_z, flbas, mc, dpc, dps, nmic, rescap, fpi, dlfeat,
        nawun_z, nawupf_z, nacwu_z, nabsn_z, nabo, nabspf_z, noiob, nvmcap, npwg_z, npwa_z,
        npdg_z, npda_z, nows_z, mssrl, mcl, msrc_z, kpios, nulbaf, rsvd83, kpiodaag, rsvd88,
        anagrpid, rsvd96, nsattr, nvmsetid, endgid, nguid, eui64, lbaf[4], vs,
    )
}

/// The namespace list's entries.
pub fn ns_list_fields() -> Vec<Field> {
    fields!(NsList => ns[4])
}

/// The Firmware Slot log's fields.
pub fn fw_slot_fields() -> Vec<Field> {
    fields!(FwSlotLog => afi, rsvd1, frs[8], rsvd64)
}

/// The Commands Supported and Effects log's fields (entries indexed by opcode).
pub fn effects_fields() -> Vec<Field> {
    fields!(CommandEffectsLog => acs[4], iocs[4], rsvd2048)
}

/// The kernel's names for the controller at PCI address `pci` and its
/// namespace `nsid`, found by PCI address, serial and nsid (names change
/// when a controller comes back from another driver): (`/dev/nvmeN`,
/// `/dev/ngXnY`), once both device nodes exist.
pub fn discover(pci: &str, nsid: u32) -> Result<(PathBuf, PathBuf), String> {
    let sys = Sysfs::new();
    let dir = format!("/sys/bus/pci/devices/{pci}/nvme");
    let ctrl = sys
        .controllers_of_pci(pci)
        .map_err(|e| format!("{dir}: {e} (is {pci} bound to nvme?)"))?
        .into_iter()
        .next()
        .ok_or_else(|| format!("{dir}: no controller yet"))?;
    let serial = sys
        .serial(&ctrl)
        .ok_or_else(|| format!("/sys/class/nvme/{ctrl}/serial: unreadable"))?;
    // Hidden multipath paths (nvmeXcYnZ) and partitions are not namespace disks.
    let ns = sys
        .block_namespaces()
        .iter()
        .filter_map(|n| NodeName::parse(n))
        .find(|&n| sys.nsid(n) == Some(nsid) && sys.namespace_serial(n).as_deref() == Some(&serial))
        .and_then(|n| n.as_kind(NodeKind::Generic))
        .map(|ng| PathBuf::from("/dev").join(ng));
    let ns = ns.ok_or_else(|| format!("no namespace {nsid} of {ctrl} (serial {serial}) yet"))?;
    let ctrl = PathBuf::from(format!("/dev/{ctrl}"));
    for p in [&ctrl, &ns] {
        if !p.exists() {
            return Err(format!("{} does not exist yet", p.display()));
        }
    }
    Ok((ctrl, ns))
}

/// [`discover`], retried for at most `wait`.
#[cfg(feature = "ioctl")]
fn discover_wait(pci: &str, nsid: u32, wait: Duration) -> Result<(PathBuf, PathBuf), String> {
    let start = Instant::now();
    loop {
        match discover(pci, nsid) {
            Ok(d) => return Ok(d),
            Err(e) if start.elapsed() >= wait => {
                return Err(format!("after {} s: {e}", wait.as_secs()))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Runs the check on the guest's controllers A and B (`NVMEQ_PCI_A`,
/// `NVMEQ_PCI_B`), adding rows to `r`.
pub fn run_guest(r: &Runner) {
    #[cfg(feature = "ioctl")]
    {
        if std::env::var("NVMEQ_GUEST").as_deref() != Ok("1") {
            r.record(
                "diff/setup",
                "ioctl",
                Outcome::Fail,
                "NVMEQ_GUEST=1 is not set: the differential check writes and rebinds controllers, \
                 so it runs only in the nvmeq QEMU guest (cargo xtask vm test)"
                    .into(),
            );
            return;
        }
        for (label, var) in [("A", "NVMEQ_PCI_A"), ("B", "NVMEQ_PCI_B")] {
            match std::env::var(var) {
                Ok(pci) if !pci.is_empty() => dev::check(label, &pci, r),
                _ => r.record(
                    &format!("{label}/diff-reference"),
                    "ioctl",
                    Outcome::Fail,
                    format!(
                        "{var} is not set (the guest contract names the controller's PCI address)"
                    ),
                ),
            }
        }
    }
    #[cfg(not(feature = "ioctl"))]
    r.record(
        "diff/setup",
        "ioctl",
        crate::report::Outcome::Skip,
        "the differential check compares with the ioctl backend: build with the `ioctl` feature"
            .into(),
    );
}

#[cfg(feature = "ioctl")]
mod dev {
    // Without io_uring or VFIO compiled in, part of this has no caller.
    #![cfg_attr(
        not(all(feature = "uring", feature = "vfio")),
        allow(dead_code, unused_variables)
    )]
    use std::path::PathBuf;
    use std::time::Duration;

    use nvmeq_core::{Backend, Cmd, Data, IoBuf};
    use nvmeq_ioctl::IoctlBackend;

    use super::{compare, discover_wait, pattern, reserved_range, Item, NSID};
    use crate::check::parse;
    use crate::report::Outcome;
    use crate::runner::Runner;
    use crate::suite::CMD_TIMEOUT_MS;

    /// How long device names may take to appear.
    const NAMES_WAIT: Duration = Duration::from_secs(30);

    /// What the ioctl pass learnt: names, the range and the reference bytes.
    pub(super) struct Plan {
        pub pci: String,
        pub ctrl: PathBuf,
        pub ns: PathBuf,
        pub lba: u32,
        pub slba: u64,
        pub nlb: u32,
        pub reference: Vec<Vec<u8>>,
    }

    /// One backend's bytes per item (or why an item could not be read).
    type Got = Vec<Result<Vec<u8>, String>>;

    /// Reads every item with `execute` into heap memory.
    pub(super) fn fetch_execute<B: Backend>(b: &mut B, p: &Plan) -> Got {
        Item::ALL
            .iter()
            .map(|&it| {
                let mut buf = vec![0u8; it.len(p.lba, p.nlb)];
                b.execute(&it.cmd(p.slba, p.nlb), Data::FromDevice(&mut buf))
                    .map(|_| buf)
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    /// Reads every item through the queue interface, into buffers from the
    /// backend's `alloc` that `check` accepts (registered, DMA-mapped).
    pub(super) fn fetch_queued<B: Backend>(
        b: &mut B,
        p: &Plan,
        check: impl Fn(&B::Buf) -> Result<(), String>,
    ) -> Got {
        Item::ALL
            .iter()
            .map(|&it| queued(b, &it.cmd(p.slba, p.nlb), it.len(p.lba, p.nlb), &check))
            .collect()
    }

    fn queued<B: Backend>(
        b: &mut B,
        cmd: &Cmd,
        len: usize,
        check: &impl Fn(&B::Buf) -> Result<(), String>,
    ) -> Result<Vec<u8>, String> {
        let buf = b.alloc(len).map_err(|e| format!("alloc {len} B: {e}"))?;
        check(&buf)?;
        b.push(cmd, Some(buf), 0x0d1f).map_err(|r| match r {
            nvmeq_core::Rejected::Invalid { error, .. } => format!("queue refused it: {error}"),
            nvmeq_core::Rejected::Full(_) => "the queue is full".into(),
        })?;
        b.submit(1).map_err(|e| format!("submit: {e}"))?;
        let mut done = None;
        b.reap(|rp| done = Some((rp.tag, rp.result, rp.buf)));
        match done {
            None => Err("no completion after submit(1)".into()),
            Some((tag, _, _)) if tag != 0x0d1f => {
                Err(format!("completion with unknown tag {tag:#x}"))
            }
            Some((_, Err(e), _)) => Err(e.to_string()),
            Some((_, Ok(_), None)) => Err("the buffer did not come back".into()),
            Some((_, Ok(_), Some(buf))) => buf
                .as_slice()
                .get(..len)
                .map(<[u8]>::to_vec)
                .ok_or_else(|| format!("a {} B buffer for {len} B", buf.len())),
        }
    }

    /// The ioctl pass: names, the pattern written and read back, the reference bytes.
    fn reference(pci: &str) -> Result<(Plan, String), String> {
        let (ctrl, ns) = discover_wait(pci, NSID, NAMES_WAIT)?;
        let mut b = IoctlBackend::open(Some(&ctrl), Some(&ns))
            .map_err(|e| format!("ioctl open {}: {e}", ns.display()))?;
        b.set_timeout_ms(CMD_TIMEOUT_MS);
        let mut id = vec![0u8; 4096];
        b.execute(&Item::IdNs.cmd(0, 1), Data::FromDevice(&mut id))
            .map_err(|e| format!("Identify Namespace: {e}"))?;
        let nsze = parse::<nvmeq_core::IdentifyNamespace>(&id)?.nsze;
        let lba = b.lba_size(NSID).map_err(|e| format!("lba_size: {e}"))?;
        let (slba, nlb) = reserved_range(nsze, lba)?;
        let want = pattern(slba, lba, nlb);
        let write = nvmeq_core::cmd::Write::new(NSID, slba, (nlb - 1) as u16).build();
        b.execute(&write, Data::ToDevice(&want))
            .map_err(|e| format!("write {nlb} blocks at LBA {slba}: {e}"))?;
        let mut plan = Plan {
            pci: pci.into(),
            ctrl,
            ns,
            lba,
            slba,
            nlb,
            reference: Vec::new(),
        };
        for (it, got) in Item::ALL.iter().zip(fetch_execute(&mut b, &plan)) {
            plan.reference
                .push(got.map_err(|e| format!("{} through ioctl: {e}", it.name()))?);
        }
        let back = &plan.reference[Item::ALL.len() - 1];
        compare(back, &want, &Item::Lba.layout(lba), &[])
            .map_err(|e| format!("the pattern read back through ioctl: {e}"))?;
        let detail = format!(
            "{} {} (pci {pci}): LBAs {slba}..{} ({nlb} x {lba} B) written with the pattern \
             and read back; {} structures read as the reference",
            plan.ctrl.display(),
            plan.ns.display(),
            slba + nlb as u64,
            Item::ALL.len() - 1
        );
        Ok((plan, detail))
    }

    /// One row per item: `got` against the reference.
    fn compare_rows(label: &str, backend: &str, p: &Plan, got: &Got, r: &Runner) {
        for (i, it) in Item::ALL.iter().enumerate() {
            r.run(&format!("{label}/diff-{}", it.name()), backend, || {
                let bytes = got[i].as_ref().map_err(|e| format!("read failed: {e}"))?;
                compare(bytes, &p.reference[i], &it.layout(p.lba), it.masks())
            });
        }
    }

    /// Reads through `backend` in a row of its own (`label/diff-read`),
    /// then compares in one row per item. `read` returns the bytes it got
    /// (if it got that far) and the row's outcome.
    fn pass(
        label: &str,
        backend: &str,
        p: &Plan,
        r: &Runner,
        read: impl FnOnce(&Plan) -> (Option<Got>, Result<String, String>),
    ) {
        let mut got = None;
        r.run(&format!("{label}/diff-read"), backend, || {
            let (g, res) = read(p);
            let failed: Vec<&str> = g
                .iter()
                .flatten()
                .zip(Item::ALL)
                .filter(|(x, _)| x.is_err())
                .map(|(_, it)| it.name())
                .collect();
            got = g;
            let msg = res?;
            if failed.is_empty() {
                Ok(msg)
            } else {
                Ok(format!("{msg}; could not read: {}", failed.join(", ")))
            }
        });
        if let Some(g) = got {
            compare_rows(label, backend, p, &g, r);
        }
    }

    /// The whole check on one controller.
    pub(super) fn check(label: &str, pci: &str, r: &Runner) {
        let mut plan = None;
        r.run(&format!("{label}/diff-reference"), "ioctl", || {
            let (p, d) = reference(pci)?;
            plan = Some(p);
            Ok(d)
        });
        let Some(p) = plan else { return };

        #[cfg(feature = "uring")]
        {
            pass(label, "uring", &p, r, |p| match open_uring(p, false) {
                Ok(mut u) => (
                    Some(fetch_execute(&mut u, p)),
                    Ok("execute into heap buffers".into()),
                ),
                Err(e) => (None, Err(e)),
            });
            pass(label, "uring-fixed", &p, r, |p| match open_uring(p, true) {
                Ok(mut u) => {
                    let got = fetch_queued(&mut u, p, |b| {
                        b.is_fixed()
                            .then_some(())
                            .ok_or_else(|| "alloc gave a heap buffer, not a registered one".into())
                    });
                    let d = "queued into registered buffers (IORING_URING_CMD_FIXED)";
                    (Some(got), Ok(d.into()))
                }
                Err(e) => (None, Err(e)),
            });
            // A polled ring (IOPOLL; refused below Linux 6.5 or without
            // poll queues, which then shows as this row's failure reason).
            // `execute`: I/O polls, admin goes through the backend's
            // interrupt-driven second ring (the controller device can't poll).
            pass(label, "uring-poll", &p, r, |p| match open_uring_poll(p) {
                Ok(mut u) => (
                    Some(fetch_execute(&mut u, p)),
                    Ok("execute on a polled ring (IORING_SETUP_IOPOLL)".into()),
                ),
                Err(e) => (None, Err(e)),
            });
        }
        #[cfg(not(feature = "uring"))]
        for b in ["uring", "uring-fixed", "uring-poll"] {
            r.record(
                &format!("{label}/diff-read"),
                b,
                Outcome::Skip,
                "built without the `uring` feature".into(),
            );
        }

        #[cfg(feature = "vfio")]
        {
            if std::env::var("NVMEQ_IOMMU").as_deref() != Ok("1") {
                r.record(
                    &format!("{label}/diff-read"),
                    "vfio",
                    Outcome::Skip,
                    "no vIOMMU in this guest (NVMEQ_IOMMU unset): VFIO needs `vm test` or `vm exec --iommu`"
                        .into(),
                );
                return;
            }
            let mut names = None;
            pass(label, "vfio", &p, r, |p| {
                let (got, res) = vfio::read(p);
                let res = res.map(|(n, d)| {
                    names = Some(n);
                    d
                });
                (got, res)
            });
            if let Some((ctrl, ns)) = names {
                r.run(&format!("{label}/diff-after-vfio"), "ioctl", || {
                    after_vfio(&p, &ctrl, &ns)
                });
            }
        }
        #[cfg(not(feature = "vfio"))]
        r.record(
            &format!("{label}/diff-read"),
            "vfio",
            Outcome::Skip,
            "built without the `vfio` feature".into(),
        );
    }

    #[cfg(feature = "uring")]
    fn open_uring(p: &Plan, fixed: bool) -> Result<nvmeq_uring::Uring, String> {
        let mut o = nvmeq_uring::UringOptions::new().depth(8).ctrl(&p.ctrl);
        if fixed {
            o = o
                .fixed_buffers(4, super::RESERVED_BYTES as usize)
                .register_files(true);
        }
        let mut u = nvmeq_uring::Uring::open(&p.ns, o)
            .map_err(|e| format!("io_uring open {}: {e}", p.ns.display()))?;
        u.set_timeout_ms(CMD_TIMEOUT_MS);
        Ok(u)
    }

    #[cfg(feature = "uring")]
    fn open_uring_poll(p: &Plan) -> Result<nvmeq_uring::Uring, String> {
        let o = nvmeq_uring::UringOptions::new()
            .depth(8)
            .ctrl(&p.ctrl)
            .iopoll(true);
        let mut u = nvmeq_uring::Uring::open(&p.ns, o)
            .map_err(|e| format!("io_uring open {} with IOPOLL: {e}", p.ns.display()))?;
        u.set_timeout_ms(CMD_TIMEOUT_MS);
        Ok(u)
    }

    /// Back with the kernel: the names found again, Identify Controller and
    /// the range through ioctl equal the reference.
    #[cfg(feature = "vfio")]
    fn after_vfio(
        p: &Plan,
        ctrl: &std::path::Path,
        ns: &std::path::Path,
    ) -> Result<String, String> {
        let mut b = IoctlBackend::open(Some(ctrl), Some(ns))
            .map_err(|e| format!("ioctl open {}: {e}", ns.display()))?;
        b.set_timeout_ms(CMD_TIMEOUT_MS);
        for (i, it) in Item::ALL.iter().enumerate() {
            if !matches!(it, Item::IdCtrl | Item::Lba) {
                continue;
            }
            let mut buf = vec![0u8; it.len(p.lba, p.nlb)];
            b.execute(&it.cmd(p.slba, p.nlb), Data::FromDevice(&mut buf))
                .map_err(|e| format!("{}: {e}", it.name()))?;
            compare(&buf, &p.reference[i], &it.layout(p.lba), it.masks())
                .map_err(|e| format!("{}: {e}", it.name()))?;
        }
        let moved = if ctrl != p.ctrl || ns != p.ns {
            format!(
                " (names moved from {} {})",
                p.ctrl.display(),
                p.ns.display()
            )
        } else {
            String::new()
        };
        Ok(format!(
            "back on nvme as {} {}{moved}: Identify Controller and the range equal the reference",
            ctrl.display(),
            ns.display()
        ))
    }

    #[cfg(feature = "vfio")]
    mod vfio {
        use std::path::PathBuf;
        use std::time::Duration;

        use nvmeq_vfio::{bind_kernel, bind_vfio, driver_of, Bdf, Controller};

        use super::{discover_wait, fetch_queued, Got, Plan, NAMES_WAIT, NSID};

        type Names = (PathBuf, PathBuf);

        /// Hands the controller to vfio-pci, reads every item into DMA
        /// buffers, shuts it down, hands it back to `nvme` and finds its
        /// names again. The bytes read are returned even when giving the
        /// controller back fails.
        pub(in super::super) fn read(p: &Plan) -> (Option<Got>, Result<(Names, String), String>) {
            let bdf = match Bdf::parse(&p.pci) {
                Ok(b) => b,
                Err(e) => return (None, Err(e.to_string())),
            };
            match driver_of(&bdf) {
                Ok(Some(d)) if d == "nvme" => {}
                Ok(d) => {
                    return (
                        None,
                        Err(format!(
                            "{} is bound to {}, not nvme: refusing to take it",
                            p.pci,
                            d.as_deref().unwrap_or("no driver")
                        )),
                    )
                }
                Err(e) => return (None, Err(e.to_string())),
            }
            if let Err(e) = bind_vfio(&p.pci) {
                let back = bind_kernel(&p.pci)
                    .err()
                    .map(|e| format!("; binding back: {e}"));
                return (
                    None,
                    Err(format!("bind to vfio-pci: {e}{}", back.unwrap_or_default())),
                );
            }
            let got = match Controller::open(&p.pci) {
                Ok(mut c) => {
                    c.set_io_timeout(Duration::from_millis(super::CMD_TIMEOUT_MS as u64));
                    // Dropped here: CC.SHN shutdown before the unbind.
                    Ok(fetch_queued(&mut c, p, |_| Ok(())))
                }
                Err(e) => Err(format!("Controller::open({}): {e}", p.pci)),
            };
            let back = bind_kernel(&p.pci)
                .map_err(|e| format!("bind back to nvme: {e}"))
                .and_then(|()| discover_wait(&p.pci, NSID, NAMES_WAIT));
            match (got, back) {
                (Ok(g), Ok(names)) => {
                    let d = format!(
                        "queued into DMA buffers; handed back to nvme as {} {}",
                        names.0.display(),
                        names.1.display()
                    );
                    (Some(g), Ok((names, d)))
                }
                (Ok(g), Err(e)) => (Some(g), Err(e)),
                (Err(e), Ok(_)) => (None, Err(e)),
                (Err(e), Err(b)) => (None, Err(format!("{e}; {b}"))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covers(fields: &[Field], size: usize) {
        let mut at = 0;
        for f in fields {
            assert_eq!(f.off, at, "{} starts at {} not {at}", f.name, f.off);
            assert!(f.len > 0);
            if f.elem > 0 {
                assert_eq!(f.len % f.elem, 0, "{}", f.name);
            }
            at += f.len;
        }
        assert_eq!(at, size);
    }

    #[test]
    fn field_tables_cover_each_structure() {
        covers(&id_ctrl_fields(), 4096);
        covers(&id_ns_fields(), 4096);
        covers(&ns_list_fields(), 4096);
        covers(&fw_slot_fields(), 512);
        covers(&effects_fields(), 4096);
        for it in Item::ALL {
            if let Layout::Fields(f) = it.layout(512) {
                let end = f.last().map(|f| f.off + f.len);
                assert_eq!(end, Some(it.len(512, 1)), "{it:?}");
            }
        }
    }

    #[test]
    fn offsets_are_named() {
        let l = Item::IdCtrl.layout(512);
        assert_eq!(l.locate(0), "vid");
        assert_eq!(l.locate(4 + 3), "sn+3");
        assert_eq!(l.locate(77), "mdts");
        assert_eq!(l.locate(2048 + 2 * 32 + 4), "psd[2]+4");
        assert_eq!(l.locate(4095), "vs+1023");
        assert_eq!(l.locate(4096), "past the structure");
        let n = Item::IdNs.layout(512);
        assert_eq!(n.locate(16), "nuse");
        assert_eq!(n.locate(128 + 4 * 3 + 2), "lbaf[3]+2");
        assert_eq!(Item::Effects.layout(512).locate(1024 + 4 * 2), "iocs[2]");
        assert_eq!(Item::FwSlot.layout(512).locate(8 + 9), "frs[1]+1");
        assert_eq!(Item::NsList.layout(512).locate(4), "ns[1]");
        assert_eq!(Item::Lba.layout(4096).locate(3 * 4096 + 17), "block 3 + 17");
    }

    #[test]
    fn equal_bytes_pass_and_say_nothing_was_masked() {
        let a = vec![7u8; 4096];
        let d = compare(&a, &a, &Item::IdCtrl.layout(512), Item::IdCtrl.masks()).unwrap();
        assert_eq!(d, "4096 B identical to ioctl's; no field masked");
    }

    #[test]
    fn a_difference_names_offset_and_fields() {
        let want = vec![0u8; 4096];
        let mut got = want.clone();
        got[77] = 5; // mdts
        got[516] = 1; // nn
        got[517] = 1;
        let e = compare(&got, &want, &Item::IdCtrl.layout(512), &[]).unwrap_err();
        assert!(
            e.starts_with("first difference at byte 77 (0x4d, mdts): got 0x05, ioctl 0x00; 3 of 4096 B differ, in mdts, nn;"),
            "{e}"
        );
        let mut got = pattern(10, 512, 4);
        let want = got.clone();
        got[2 * 512 + 9] ^= 0xff;
        let e = compare(&got, &want, &Item::Lba.layout(512), &[]).unwrap_err();
        assert!(e.contains("(0x409, block 2 + 9)"), "{e}");
        assert!(e.contains("in block 2;"), "{e}");
    }

    #[test]
    fn masked_fields_are_ignored_and_reported() {
        let want = vec![0u8; 4096];
        let mut got = want.clone();
        got[16] = 9; // nuse
        let mask = [Mask {
            off: 16,
            len: 8,
            field: "nuse",
            why: "moves with writes",
        }];
        let l = Item::IdNs.layout(512);
        let d = compare(&got, &want, &l, &mask).unwrap();
        assert!(d.ends_with("masked: nuse (moves with writes)"), "{d}");
        got[8] = 1; // ncap: not masked
        let e = compare(&got, &want, &l, &mask).unwrap_err();
        assert!(
            e.contains("(0x8, ncap)") && e.contains("1 of 4096 B"),
            "{e}"
        );
    }

    #[test]
    fn length_mismatch_fails() {
        let e = compare(&[0; 4], &[0; 8], &Layout::Blocks(512), &[]).unwrap_err();
        assert_eq!(e, "length 4 B, ioctl's is 8 B");
    }

    #[test]
    fn many_fields_are_summarised() {
        let want = vec![0u8; 4096];
        let got = vec![1u8; 4096];
        let e = compare(&got, &want, &Item::IdCtrl.layout(512), &[]).unwrap_err();
        assert!(
            e.contains("4096 of 4096 B differ") && e.contains(" more;"),
            "{e}"
        );
    }

    #[test]
    fn the_pattern_is_deterministic_and_distinct_per_block() {
        let a = pattern(100, 512, 4);
        assert_eq!(a.len(), 2048);
        assert_eq!(a, pattern(100, 512, 4));
        // The same LBA gives the same block whatever the range starts at.
        assert_eq!(&a[512..1024], &pattern(101, 512, 1)[..]);
        for i in 0..4 {
            for j in 0..i {
                assert_ne!(a[i * 512..(i + 1) * 512], a[j * 512..(j + 1) * 512]);
            }
        }
        // Neither constant nor zero: every byte value shows up in 64 KiB.
        let big = pattern(0, 4096, 16);
        let mut seen = [false; 256];
        big.iter().for_each(|&b| seen[b as usize] = true);
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn the_reserved_range_is_the_last_64k() {
        // A: 1 GiB of 512 B blocks; B: 256 MiB of 4 KiB blocks.
        assert_eq!(reserved_range(2 << 20, 512), Ok(((2 << 20) - 128, 128)));
        assert_eq!(reserved_range(65536, 4096), Ok((65536 - 16, 16)));
        assert!(reserved_range(100, 512).is_err());
        assert!(reserved_range(1 << 20, 0).is_err());
        assert!(reserved_range(1 << 20, 3000).is_err());
    }

    #[test]
    fn item_commands_move_what_they_say() {
        for it in Item::ALL {
            let cmd = it.cmd(1000, 16);
            let want = it.len(4096, 16) as u64;
            match cmd.xfer {
                nvmeq_core::Xfer::Bytes(n) => assert_eq!(n as u64, want, "{it:?}"),
                nvmeq_core::Xfer::Blocks(n) => assert_eq!(n as u64 * 4096, want, "{it:?}"),
                nvmeq_core::Xfer::None => panic!("{it:?} moves nothing"),
            }
        }
    }
}
