//! The suite, generic over the backend: opening, then every test in order.

use nvmeq_core::cmd::{GetLogPage, Identify, LogId, Numd, Read, Write};
use nvmeq_core::log::CommandEffectsLog;
use nvmeq_core::{Data, IdentifyController, IdentifyNamespace};

use crate::check::{ctx_err, parse};
use crate::registry::HwBackend;
use crate::report::Outcome;
use crate::runner::{Runner, TestResult};
use crate::target::{kernel_queue_depth, Target};

/// Every command's timeout: long enough for TCG, short enough to fail rather than hang.
pub const CMD_TIMEOUT_MS: u32 = 30_000;

/// One opened target and what the suite learnt about it.
#[derive(Debug)]
pub struct Ctx<B> {
    /// The backend.
    pub b: B,
    /// The target.
    pub t: Target,
    /// Namespace id of the namespace device.
    pub nsid: u32,
    /// Bytes per block in the data buffer.
    pub lba: u32,
    /// Namespace size in blocks (NSZE).
    pub nsze: u64,
    /// The backend's largest transfer.
    pub max_xfer: u32,
    /// Identify Controller, as the open step read it.
    pub id_ctrl: Box<IdentifyController>,
    /// Identify Namespace, as the open step read it.
    pub id_ns: Box<IdentifyNamespace>,
    /// The Commands Supported and Effects log, once read (`None` inside: not available).
    effects: Option<Option<Box<CommandEffectsLog>>>,
}

/// Whether the controller claims an optional I/O command, and where it says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// Its ONCS bit is set.
    Oncs,
    /// Its ONCS bit is clear but the Commands Supported and Effects log lists
    /// the opcode (QEMU 7.2 does this for Verify): the command must work.
    EffectsLog,
    /// Neither: the command must be refused as an Invalid Command Opcode.
    No,
}

impl<B: HwBackend> Ctx<B> {
    pub(crate) fn open(t: &Target) -> Result<Self, String> {
        Self::new(B::open(t)?, t)
    }

    /// Whether the controller is an NVMe over Fabrics one: the backend reaches
    /// it over a fabric (nvmeq's own initiator), or the controller reports an
    /// I/O command capsule size (IOCCSZ, which only fabrics controllers set),
    /// as the kernel host's controllers do through ioctl and io_uring.
    pub fn fabrics(&self) -> bool {
        B::FABRICS || self.id_ctrl.ioccsz != 0
    }

    /// The context of a backend already open on `t`'s namespace.
    pub(crate) fn new(mut b: B, t: &Target) -> Result<Self, String> {
        b.set_timeout_ms(CMD_TIMEOUT_MS);
        let nsid = b.nsid();
        let mut buf = vec![0u8; 4096];
        b.execute(&Identify::controller().build(), Data::FromDevice(&mut buf))
            .map_err(ctx_err("Identify Controller"))?;
        let id_ctrl = Box::new(parse::<IdentifyController>(&buf)?);
        b.execute(
            &Identify::namespace(nsid).build(),
            Data::FromDevice(&mut buf),
        )
        .map_err(ctx_err("Identify Namespace"))?;
        let id_ns = Box::new(parse::<IdentifyNamespace>(&buf)?);
        let lba = b.lba_size(nsid).map_err(ctx_err("lba_size"))?;
        let nsze = id_ns.nsze;
        let max_xfer = b.caps().max_xfer;
        let mut t = t.clone();
        if t.ctrl.is_none() {
            t.ctrl = b.ctrl_path();
        }
        Ok(Ctx {
            b,
            t,
            nsid,
            lba,
            nsze,
            max_xfer,
            id_ctrl,
            id_ns,
            effects: None,
        })
    }

    /// The namespace's format in use: (data bytes, metadata bytes per block,
    /// metadata inline after each block's data (extended LBA)). FLBAS bits
    /// 3:0 and 6:5 index the format, bit 4 says extended (NVM Command Set
    /// spec 2.0, Identify Namespace, FLBAS).
    pub fn format(&self) -> (u32, u16, bool) {
        let f = self.id_ns.flbas;
        let index = (f & 0xf) as usize | ((f as usize >> 5) & 0x3) << 4;
        let lbaf = self.id_ns.lbaf[index.min(63)];
        (
            lbaf.lba_size().unwrap_or(self.lba),
            lbaf.ms(),
            f & 0x10 != 0,
        )
    }

    /// Why a test that keeps `in_flight` io_uring passthrough commands queued
    /// cannot run here, if it cannot: the controller's kernel queues take
    /// fewer (`/sys/class/nvme/nvmeN/sqsize`; nvmeqE's two-entry queues take
    /// one), and the kernel then fails the commands it cannot
    /// issue at once with EFAULT, for any io_uring_cmd user (fio's engine
    /// too: docs/testing.md), so the row would measure the kernel.
    pub fn uring_queue_too_short(&self, in_flight: u32) -> Option<String> {
        let depth = kernel_queue_depth(self.t.ctrl.as_deref()?)?;
        (depth < in_flight).then(|| {
            format!(
                "keeps {in_flight} io_uring passthrough commands queued; the controller's kernel \
                 queues take {depth} (sqsize) and the kernel fails the rest with EFAULT \
                 (fio's io_uring_cmd engine too)"
            )
        })
    }

    /// Why test `test` cannot run on this namespace with this backend, if it
    /// cannot: the suite's reads and writes carry no metadata buffer, a
    /// fixed-size transfer may be larger than MDTS allows, and io_uring's
    /// queue interface needs kernel queues as deep as what it keeps queued.
    pub fn cannot_run(&self, test: &str) -> Option<String> {
        if test == "queue-interface" && B::NAME.starts_with("uring") {
            let n = self.b.caps().queue_depth.clamp(1, 8) * 2;
            if let Some(why) = self.uring_queue_too_short(n) {
                return Some(why);
            }
        }
        let (data, ms, extended) = self.format();
        // Those that read or write the namespace's blocks (the other bad-input
        // rows are refused before any data moves, flush moves none).
        let moves_data = !matches!(
            test,
            "flush" | "bad-nsid-io" | "bad-nsid-admin" | "bad-opcode" | "bad-above-mdts"
        ) && !test.starts_with("identify")
            && !test.starts_with("log-")
            && !test.starts_with("features-")
            && !test.starts_with("nvme-cli")
            && !matches!(
                test,
                "active-ns-list" | "ns-descriptors" | "bad-zero-length"
            );
        if ms > 0 && !extended && moves_data {
            return Some(format!(
                "format {data} B + {ms} B of separate metadata per block: this test carries \
                 no metadata buffer"
            ));
        }
        let bytes = match test {
            "write-read-multi-page" => 3 * 4096 + self.lba,
            "write-read-64k" => 65536u32.div_ceil(self.lba) * self.lba,
            _ => 0,
        };
        (bytes > self.max_xfer).then(|| {
            format!(
                "needs {bytes} B in one command; this controller's limit (MDTS) is {} B \
                 (write-read-mdts covers the largest transfer)",
                self.max_xfer
            )
        })
    }

    /// Writes `buf` at `slba`.
    pub fn write(&mut self, slba: u64, buf: &[u8]) -> Result<(), String> {
        let nlb = buf.len() / self.lba as usize;
        let cmd = Write::new(self.nsid, slba, (nlb - 1) as u16).build();
        self.b
            .execute(&cmd, Data::ToDevice(buf))
            .map(drop)
            .map_err(|e| format!("write {nlb} blocks at {slba}: {e}"))
    }

    /// Reads `buf.len()` bytes from `slba`.
    pub fn read(&mut self, slba: u64, buf: &mut [u8]) -> Result<(), String> {
        let nlb = buf.len() / self.lba as usize;
        let cmd = Read::new(self.nsid, slba, (nlb - 1) as u16).build();
        self.b
            .execute(&cmd, Data::FromDevice(buf))
            .map(drop)
            .map_err(|e| format!("read {nlb} blocks at {slba}: {e}"))
    }

    /// The start of the area writing test number `i` (0..12) may use: the
    /// second half of the namespace, away from partition tables at the start,
    /// in 12 strides of at least twice the largest transfer when it fits.
    pub fn area(&self, i: u64) -> u64 {
        let max_blocks = (self.max_xfer / self.lba).max(1) as u64;
        let half = self.nsze / 2;
        let stride = (2 * max_blocks).max(64).min(half / 12).max(1);
        (half + i * stride) & !7
    }

    /// ONCS (Optional NVM Command Support) bit `bit`.
    pub fn oncs(&self, bit: u32) -> bool {
        self.id_ctrl.oncs >> bit & 1 == 1
    }

    /// Whether I/O command `opcode` (ONCS bit `oncs_bit`) is supported.
    pub fn io_support(&mut self, oncs_bit: u32, opcode: u8) -> Support {
        if self.oncs(oncs_bit) {
            return Support::Oncs;
        }
        if self.effects.is_none() {
            let mut buf = vec![0u8; 4096];
            let cmd = GetLogPage::new(LogId::CMD_EFFECTS, Numd::BYTES_4096).build();
            let log = (self.id_ctrl.lpa & 2 != 0)
                .then(|| self.b.execute(&cmd, Data::FromDevice(&mut buf)).ok())
                .flatten()
                .and_then(|_| parse::<CommandEffectsLog>(&buf).ok())
                .map(Box::new);
            self.effects = Some(log);
        }
        match &self.effects {
            Some(Some(log)) if log.io(opcode).csupp() => Support::EffectsLog,
            _ => Support::No,
        }
    }
}

/// A named test.
pub type Test<B> = (&'static str, fn(&mut Ctx<B>) -> TestResult);

/// Runs every test for backend `B` on `t`.
pub fn run<B: HwBackend>(t: &Target, r: &Runner) {
    if t.fault.is_some() {
        crate::faults::run::<B>(t, r);
        return;
    }
    let name = B::NAME;
    let label = t.label.as_str();
    let mut ctx: Option<Ctx<B>> = None;
    r.run(&format!("{label}/open"), name, || {
        let c = Ctx::<B>::open(t)?;
        let d = format!(
            "{} nsid {} ({} blocks of {} B), max transfer {} B",
            t.ns.display(),
            c.nsid,
            c.nsze,
            c.lba,
            c.max_xfer
        );
        ctx = Some(c);
        Ok(d)
    });
    let Some(mut ctx) = ctx else { return };

    if let Some(n) = t.named_nsid {
        if n != ctx.nsid {
            r.record(
                &format!("{label}/destructive-guard"),
                name,
                Outcome::Fail,
                format!(
                    "--nsid {n} does not name {} (nsid {}): no writing test runs",
                    t.ns.display(),
                    ctx.nsid
                ),
            );
            ctx.t.destructive = false;
        }
    }

    let read_only: &[Test<B>] = &[
        ("identify-controller", crate::admin::identify_controller),
        ("identify-namespace", crate::admin::identify_namespace),
        ("active-ns-list", crate::admin::active_ns_list),
        ("ns-descriptors", crate::admin::ns_descriptors_list),
        ("log-smart-health", crate::admin::log_smart),
        ("log-error-info", crate::admin::log_error),
        ("log-firmware-slot", crate::admin::log_fw_slot),
        ("log-cmd-effects", crate::admin::log_effects),
        ("features-num-queues", crate::admin::feat_num_queues),
        ("features-write-cache", crate::admin::feat_vwc),
        ("features-arbitration", crate::admin::feat_arbitration),
        ("read-block-0", crate::io::read_block0),
        ("bad-lba-out-of-range", crate::bad::lba_out_of_range),
        ("bad-nsid-admin", crate::bad::invalid_nsid_admin),
        ("bad-nsid-io", crate::bad::invalid_nsid_io),
        ("bad-opcode", crate::bad::invalid_opcode),
        ("bad-above-mdts", crate::bad::above_mdts),
        ("bad-zero-length", crate::bad::zero_length),
        ("bad-buffer-too-small", crate::bad::buffer_too_small),
        ("bad-buffer-direction", crate::bad::wrong_direction),
        ("nvme-cli-id-ctrl", crate::nvme_cli::id_ctrl),
        ("nvme-cli-id-ns", crate::nvme_cli::id_ns),
    ];
    let writing: &[Test<B>] = &[
        ("write-read-1-block", crate::io::wr_one_block),
        ("write-read-4k", crate::io::wr_4k),
        ("write-read-multi-page", crate::io::wr_multi_page),
        ("write-read-64k", crate::io::wr_64k),
        ("write-read-mdts", crate::io::wr_mdts),
        ("queue-interface", crate::io::queue_interface),
        ("flush", crate::io::flush),
        ("write-zeroes", crate::io::write_zeroes),
        ("dsm-deallocate", crate::io::dsm_deallocate),
        ("compare", crate::io::compare),
        ("verify", crate::io::verify),
    ];
    for (test, f) in read_only {
        if test.starts_with("nvme-cli") && !t.differential {
            continue;
        }
        match ctx.cannot_run(test) {
            Some(why) => r.record(&format!("{label}/{test}"), name, Outcome::Skip, why),
            None => r.run(&format!("{label}/{test}"), name, || f(&mut ctx)),
        }
    }
    if ctx.t.destructive {
        for (test, f) in writing {
            match ctx.cannot_run(test) {
                Some(why) => r.record(&format!("{label}/{test}"), name, Outcome::Skip, why),
                None => r.run(&format!("{label}/{test}"), name, || f(&mut ctx)),
            }
        }
        // The backend's own rows all move data.
        match ctx.cannot_run("extra") {
            Some(why) => r.record(
                &format!("{label}/{name}-own-tests"),
                name,
                Outcome::Skip,
                why,
            ),
            None => B::extra_tests(&mut ctx, r, label),
        }
        crate::pi::run(&mut ctx, r, label);
        if let Some(z) = t.zns.clone() {
            crate::zns::run::<B>(t, &z, r);
        }
    } else {
        for (test, _) in writing {
            r.record(
                &format!("{label}/{test}"),
                name,
                Outcome::Skip,
                "read-only run: writing tests need --allow-destructive --nsid N".into(),
            );
        }
    }
}
