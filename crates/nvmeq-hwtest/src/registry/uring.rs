//! The io_uring backend in the suite, three ways: interrupt-driven
//! (`uring`), with registered buffers and files (`uring-fixed`), and polled
//! (`uring-poll`, IOPOLL on the driver's poll queues). Each runs the whole
//! suite, plus the checks only io_uring has: bytes equal to the ioctl path's,
//! one `io_uring_enter` per batch, futures on the device, a drop with
//! commands in flight, vectored I/O and admin commands (`_VEC`), and, where
//! the namespace may be reformatted, separate metadata buffers.

use nvmeq_core::cmd::{Identify, Read, Write};
use nvmeq_core::VecData;
use nvmeq_core::{Backend, Caps, Cmd, Completion, Data, Error, IoBuf, Reaped, Rejected, WithMeta};
use nvmeq_uring::{CmdBufs, Uring, UringBuf, UringOptions};

use crate::pattern::{diff, fill};
use crate::registry::HwBackend;
use crate::runner::{Runner, TestResult};
use crate::suite::Ctx;
use crate::target::Target;

/// Queue depth of every variant.
const DEPTH: u32 = 64;

/// [`Uring`] opened in mode `M`: 0 interrupts, 1 fixed buffers and files, 2 IOPOLL.
#[derive(Debug)]
pub struct UringHw<const M: u8>(pub Uring);

/// Mode `M` of [`UringHw`]: interrupts.
pub const PLAIN: u8 = 0;
/// Mode `M` of [`UringHw`]: registered buffers and files.
pub const FIXED: u8 = 1;
/// Mode `M` of [`UringHw`]: IOPOLL on the driver's poll queues.
pub const POLL: u8 = 2;

/// The backend name of each mode, as the registry lists it.
const NAMES: [&str; 3] = ["uring", "uring-fixed", "uring-poll"];

fn options<const M: u8>() -> UringOptions {
    let o = UringOptions::new().depth(DEPTH);
    match M {
        0 => o,
        // 64 registered 256 KiB buffers (64 pages: within max_segments, which
        // bounds registered buffers before Linux 6.12); larger transfers use
        // heap buffers.
        1 => o
            .fixed_buffers(DEPTH as u16, 256 << 10)
            .register_files(true),
        _ => o.iopoll(true),
    }
}

fn try_open<const M: u8>(t: &Target) -> Result<Uring, nvmeq_uring::OpenError> {
    let mut o = options::<M>();
    if let Some(c) = &t.ctrl {
        o = o.ctrl(c);
    }
    Uring::open(&t.ns, o)
}

fn open_uring<const M: u8>(t: &Target) -> Result<Uring, String> {
    try_open::<M>(t).map_err(|e| e.to_string())
}

/// Runs the suite in mode `M`.
pub fn run<const M: u8>(t: &Target, r: &Runner) -> Result<(), String> {
    if M == POLL {
        // Polling needs poll queues and Linux ≥ 6.5: where it is refused,
        // the refusal is the row (SKIP, with the reason), not a failure.
        if let Err(nvmeq_uring::OpenError::Option {
            option: "iopoll",
            why,
        }) = try_open::<POLL>(t)
        {
            let row = format!("{}/open", t.label);
            r.record(
                &row,
                NAMES[POLL as usize],
                crate::report::Outcome::Skip,
                why,
            );
            return Ok(());
        }
    }
    crate::suite::run::<UringHw<M>>(t, r);
    Ok(())
}

/// Runs a soak in mode `M`; a polled ring the kernel refuses is a SKIP, as in [`run`].
pub fn soak<const M: u8>(t: &Target, o: &crate::soak::Options) -> crate::soak::Outcome {
    if M == POLL {
        if let Err(nvmeq_uring::OpenError::Option {
            option: "iopoll",
            why,
        }) = try_open::<POLL>(t)
        {
            return crate::soak::Outcome::Skipped(why);
        }
    }
    crate::soak::run::<UringHw<M>>(t, o)
}

impl<const M: u8> Backend for UringHw<M> {
    type Buf = UringBuf;
    fn caps(&self) -> Caps {
        self.0.caps()
    }
    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.0.lba_size(nsid)
    }
    fn alloc(&mut self, len: usize) -> Result<UringBuf, Error> {
        self.0.alloc(len)
    }
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        self.0.execute_with(cmd, data, meta)
    }
    fn execute_vec(
        &mut self,
        cmd: &Cmd,
        data: VecData<'_, '_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        self.0.execute_vec(cmd, data, meta)
    }
    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<UringBuf>,
        meta: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<UringBuf>>> {
        self.0.push_with(cmd, data, meta, tag)
    }
    fn push(
        &mut self,
        cmd: &Cmd,
        buf: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<UringBuf>> {
        self.0.push(cmd, buf, tag)
    }
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.0.submit(min_complete)
    }
    fn reap(&mut self, f: impl FnMut(Reaped<UringBuf>)) -> usize {
        self.0.reap(f)
    }
    fn in_flight(&self) -> u32 {
        self.0.in_flight()
    }
    fn syscalls(&self) -> Option<u64> {
        self.0.syscalls()
    }
}

impl<const M: u8> HwBackend for UringHw<M> {
    const NAME: &'static str = NAMES[M as usize];
    fn open(t: &Target) -> Result<Self, String> {
        open_uring::<M>(t).map(UringHw)
    }
    fn set_timeout_ms(&mut self, ms: u32) {
        self.0.set_timeout_ms(ms)
    }
    fn nsid(&self) -> u32 {
        self.0.nsid()
    }
    fn ctrl_path(&self) -> Option<std::path::PathBuf> {
        self.0.ctrl_path().map(Into::into)
    }
    fn extra_tests(c: &mut Ctx<Self>, r: &Runner, label: &str) {
        let name = Self::NAME;
        #[cfg(feature = "ioctl")]
        r.run(&format!("{label}/{name}-vs-ioctl"), name, || {
            differential(c)
        });
        // Rows that keep several commands queued and check every completion.
        type Row<const M: u8> = fn(&mut Ctx<UringHw<M>>) -> TestResult;
        let queued: [(&str, u32, Row<M>); 2] =
            [("syscalls", 16, syscalls), ("futures", 4, futures)];
        for (row, in_flight, f) in queued {
            let test = format!("{label}/{name}-{row}");
            match c.uring_queue_too_short(in_flight) {
                Some(why) => r.record(&test, name, crate::report::Outcome::Skip, why),
                None => r.run(&test, name, || f(c)),
            }
        }
        r.run(&format!("{label}/{name}-drop-in-flight"), name, || {
            drop_in_flight::<M>(c)
        });
        r.run(&format!("{label}/{name}-vectored"), name, || {
            crate::io::vectored(c)
        });
        r.run(&format!("{label}/{name}-vectored-queue"), name, || {
            vectored_queue::<M>(c)
        });
        r.run(&format!("{label}/{name}-admin-vec"), name, || {
            admin_vec::<M>(c)
        });
        if c.t.format {
            r.run(&format!("{label}/{name}-metadata"), name, || {
                metadata::<M>(c)
            });
        }
    }
}

/// Identify, a log page and data read through io_uring equal the ioctl path's bytes.
#[cfg(feature = "ioctl")]
fn differential<const M: u8>(c: &mut Ctx<UringHw<M>>) -> Result<String, String> {
    use nvmeq_core::cmd::{GetLogPage, Identify, LogId, Numd, Write};
    let mut io = nvmeq_ioctl::IoctlBackend::open(c.t.ctrl.as_deref(), Some(&c.t.ns))
        .map_err(|e| format!("ioctl backend: {e}"))?;
    let mut compare = |what: &str, cmd: Cmd, len: usize| -> Result<(), String> {
        let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
        c.b.execute(&cmd, Data::FromDevice(&mut a))
            .map_err(|e| format!("{what} through io_uring: {e}"))?;
        io.execute(&cmd, Data::FromDevice(&mut b))
            .map_err(|e| format!("{what} through ioctl: {e}"))?;
        diff(&a, &b, len as u32).map_err(|e| format!("{what}: {e}"))
    };
    compare("Identify Controller", Identify::controller().build(), 4096)?;
    compare(
        "Identify Namespace",
        Identify::namespace(c.nsid).build(),
        4096,
    )?;
    compare(
        "Firmware Slot log",
        GetLogPage::new(LogId::FW_SLOT, Numd::BYTES_512).build(),
        512,
    )?;
    // Data both ways: queued write through io_uring, read through ioctl, and back.
    let slba = c.area(11);
    let len = 8 * c.lba as usize;
    let mut want = vec![0u8; len];
    fill(&mut want, c.lba, slba, 0x0a11);
    let mut b = c.b.alloc(len).map_err(|e| e.to_string())?;
    b.as_mut_slice().copy_from_slice(&want);
    c.b.push(&Write::new(c.nsid, slba, 7).build(), Some(b), 1)
        .map_err(|r| format!("queue refused the write: {:?}", r.error()))?;
    c.b.submit(1).map_err(|e| e.to_string())?;
    let mut res = Err(Error::Internal("reap returned no completion"));
    c.b.reap(|r| res = r.result);
    res.map_err(|e| format!("write through io_uring: {e}"))?;
    let mut got = vec![0u8; len];
    io.execute(
        &Read::new(c.nsid, slba, 7).build(),
        Data::FromDevice(&mut got),
    )
    .map_err(|e| format!("read through ioctl: {e}"))?;
    diff(&got, &want, c.lba).map_err(|e| format!("ioctl read of io_uring write: {e}"))?;
    fill(&mut want, c.lba, slba, 0x0a12);
    io.execute(&Write::new(c.nsid, slba, 7).build(), Data::ToDevice(&want))
        .map_err(|e| format!("write through ioctl: {e}"))?;
    c.read(slba, &mut got)?;
    diff(&got, &want, c.lba).map_err(|e| format!("io_uring read of ioctl write: {e}"))?;
    Ok("Identify Controller/Namespace, FW slot log and 8 blocks each way identical".into())
}

/// A batch of queued commands costs one `io_uring_enter`; writing and
/// reaping cost none.
fn syscalls<const M: u8>(c: &mut Ctx<UringHw<M>>) -> Result<String, String> {
    let n = 16u64;
    let before = c.b.syscalls().ok_or("syscalls() is None")?;
    for i in 0..n {
        let b = c.b.alloc(c.lba as usize).map_err(|e| e.to_string())?;
        c.b.push(&Read::new(c.nsid, i, 0).build(), Some(b), i)
            .map_err(|r| format!("queue refused a read: {:?}", r.error()))?;
    }
    let written = c.b.syscalls().unwrap() - before;
    let submitted = c.b.submit(n as u32).map_err(|e| e.to_string())?;
    let mut ok = 0;
    c.b.reap(|r| ok += u64::from(r.result.is_ok()));
    let total = c.b.syscalls().unwrap() - before;
    // One enter submits the batch and waits for it. On a polled ring the
    // kernel stops polling early when the task must reschedule (as under
    // TCG), and the wait goes on in a few more enters that submit nothing.
    let max_total = if M == POLL { 4 } else { 1 };
    if (written, submitted as u64, ok) != (0, n, n) || !(1..=max_total).contains(&total) {
        return Err(format!(
            "{written} syscalls while writing, {submitted} submitted, {ok} reaped ok, \
             {total} syscalls in all (want 0, {n}, {n}, 1{})",
            if M == POLL { " to 4" } else { "" }
        ));
    }
    Ok(format!("{n} reads: {total} io_uring_enter"))
}

/// Futures on a second ring over the same namespace, driven by hand.
fn futures<const M: u8>(c: &mut Ctx<UringHw<M>>) -> Result<String, String> {
    use nvmeq_aio::AsyncQueue;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let slba = c.area(11);
    // Up to 8 blocks a read, within MDTS; written a read's worth at a time.
    let nlb = (c.max_xfer / c.lba).clamp(1, 8) as u64;
    let len = nlb as usize * c.lba as usize;
    let mut want = vec![0u8; 4 * len];
    fill(&mut want, c.lba, slba, 0xf07);
    for (i, chunk) in want.chunks(len).enumerate() {
        c.write(slba + nlb * i as u64, chunk)?;
    }
    let (q, _) = AsyncQueue::new(open_uring::<M>(&c.t)?, nvmeq_aio::Signal::Poll);
    let mut futs: Vec<_> = (0..4u64)
        .map(|i| {
            let b = q.alloc(len).map_err(|e| e.to_string())?;
            let cmd = Read::new(c.nsid, slba + nlb * i, (nlb - 1) as u16).build();
            Ok(Some(q.submit(cmd, Some(b))))
        })
        .collect::<Result<_, String>>()?;
    let mut cx = Context::from_waker(Waker::noop());
    let mut left = futs.len();
    while left > 0 {
        for (i, f) in futs.iter_mut().enumerate() {
            let Some(fut) = f else { continue };
            if let Poll::Ready((r, b)) = Pin::new(fut).poll(&mut cx) {
                r.map_err(|e| format!("future {i}: {e}"))?;
                let b = b.ok_or("the future lost its buffer")?;
                diff(b.as_slice(), &want[i * len..(i + 1) * len], c.lba)
                    .map_err(|e| format!("future {i}: {e}"))?;
                *f = None;
                left -= 1;
            }
        }
        if left > 0 {
            q.drive(1).map_err(|e| e.to_string())?;
        }
    }
    Ok("4 concurrent reads through futures".into())
}

/// Dropping a ring with reads in flight waits for them before freeing their
/// (registered or heap) buffers.
fn drop_in_flight<const M: u8>(c: &mut Ctx<UringHw<M>>) -> Result<String, String> {
    let o = UringOptions::new()
        .depth(32)
        .fixed_buffers(32, c.lba as usize)
        .iopoll(M == 2);
    let o = match &c.t.ctrl {
        Some(p) => o.ctrl(p),
        None => o,
    };
    let mut u = Uring::open(&c.t.ns, o).map_err(|e| e.to_string())?;
    let pool = u.fixed_pool().ok_or("no pool")?.clone();
    for i in 0..32 {
        let b = u.alloc(c.lba as usize).map_err(|e| e.to_string())?;
        u.push(&Read::new(c.nsid, i, 0).build(), Some(b), i)
            .map_err(|r| format!("queue refused a read: {:?}", r.error()))?;
    }
    u.submit(0).map_err(|e| e.to_string())?;
    drop(u);
    match pool.available() {
        32 => Ok("32 reads in flight at drop; every buffer back after completion".into()),
        n => Err(format!("{n} of 32 buffers back after drop")),
    }
}

/// One queued command, committed and reaped with all its buffers.
fn queue_one<const M: u8>(
    c: &mut Ctx<UringHw<M>>,
    what: &str,
    write: impl FnOnce(&mut Uring) -> Result<(), Rejected<CmdBufs>>,
) -> Result<CmdBufs, String> {
    write(&mut c.b.0).map_err(|r| format!("{what}: the queue refused it: {:?}", r.error()))?;
    c.b.submit(1).map_err(|e| format!("{what}: {e}"))?;
    let mut got = None;
    c.b.0.reap_all(|r| got = Some((r.result, r.buf)));
    match got {
        Some((Ok(_), Some(b))) => Ok(b),
        Some((Ok(_), None)) => Err(format!("{what}: reaped without its buffers")),
        Some((Err(e), _)) => Err(format!("{what}: {e}")),
        None => Err(format!("{what}: no completion after submit(1)")),
    }
}

/// `NVME_URING_CMD_IO_VEC` on the queue: the segments (registered ones in
/// `uring-fixed`, passed as plain memory) are owned by the in-flight slot and
/// all come back from `reap_all`, the spare and the cut tail untouched.
fn vectored_queue<const M: u8>(c: &mut Ctx<UringHw<M>>) -> TestResult {
    let slba = c.area(10) + 16;
    let lba = c.lba as usize;
    let mut w = vec![0u8; 8 * lba];
    fill(&mut w, c.lba, slba, 0x7ed);
    let mut segs = Vec::with_capacity(3);
    for (from, to, extra) in [(0, lba, 0), (lba, 4 * lba, 0), (4 * lba, 8 * lba, 100)] {
        let mut b = c.b.alloc(to - from + extra).map_err(|e| e.to_string())?;
        b.as_mut_slice()[..to - from].copy_from_slice(&w[from..to]);
        b.as_mut_slice()[to - from..].fill(0xee);
        segs.push(b);
    }
    let fixed = segs.iter().filter(|b| b.is_fixed()).count();
    let cmd = Write::new(c.nsid, slba, 7).build();
    let back = queue_one(c, "queued vectored write", |u| {
        u.push_vec(&cmd, segs, None, 1)
    })?;
    if back.segments.len() != 3 || back.data.is_some() {
        return Err(format!(
            "the write handed back {} segments, data {}",
            back.segments.len(),
            back.data.is_some()
        ));
    }
    let mut got = vec![0u8; 8 * lba];
    c.read(slba, &mut got)?;
    diff(&got, &w, c.lba).map_err(|e| format!("after the queued vectored write: {e}"))?;
    let mut segs = back.segments;
    segs.clear();
    for (len, byte) in [(6 * lba, 0u8), (2 * lba + 32, 0xa5), (lba, 0x5a)] {
        let mut b = c.b.alloc(len).map_err(|e| e.to_string())?;
        b.as_mut_slice().fill(byte);
        segs.push(b);
    }
    let cmd = Read::new(c.nsid, slba, 7).build();
    let back = queue_one(c, "queued vectored read", |u| {
        u.push_vec(&cmd, segs, None, 2)
    })?;
    let [a, b, spare] = &back.segments[..] else {
        return Err(format!(
            "the read handed back {} segments",
            back.segments.len()
        ));
    };
    diff(a.as_slice(), &w[..6 * lba], c.lba).map_err(|e| format!("first segment: {e}"))?;
    diff(&b.as_slice()[..2 * lba], &w[6 * lba..], c.lba)
        .map_err(|e| format!("second segment: {e}"))?;
    if b.as_slice()[2 * lba..].iter().any(|&x| x != 0xa5) {
        return Err("the kernel wrote past the command's length in the cut segment".into());
    }
    if spare.as_slice().iter().any(|&x| x != 0x5a) {
        return Err("the kernel wrote into the spare segment".into());
    }
    Ok(format!(
        "8 blocks queued from 3 segments ({fixed} registered) and read into 2 (+1 untouched); all handed back"
    ))
}

/// `NVME_URING_CMD_ADMIN_VEC`: Identify into segments gives the plain
/// Identify's bytes (also split off a page boundary); queued too, except on
/// an IOPOLL ring, which refuses queued admin commands.
fn admin_vec<const M: u8>(c: &mut Ctx<UringHw<M>>) -> TestResult {
    let mut plain = vec![0u8; 4096];
    let mut split = |c: &mut Ctx<UringHw<M>>, what: &str, cmd: Cmd, at: usize| -> TestResult {
        c.b.execute(&cmd, Data::FromDevice(&mut plain))
            .map_err(|e| format!("{what}: {e}"))?;
        let (mut x, mut y) = (vec![0u8; at], vec![0u8; 4096 - at]);
        let mut segs = [&mut x[..], &mut y[..]];
        c.b.0
            .execute_vec(&cmd, VecData::FromDevice(&mut segs), Data::None)
            .map_err(|e| format!("{what} into {at} + {} bytes: {e}", 4096 - at))?;
        diff(&[x, y].concat(), &plain, 4096).map_err(|e| format!("{what}: {e}"))?;
        Ok(String::new())
    };
    split(
        c,
        "Identify Controller",
        Identify::controller().build(),
        2048,
    )?;
    split(
        c,
        "Identify Namespace",
        Identify::namespace(c.nsid).build(),
        1000,
    )?;
    let cmd = Identify::controller().build();
    let segs = vec![
        c.b.alloc(2048).map_err(|e| e.to_string())?,
        c.b.alloc(2048).map_err(|e| e.to_string())?,
    ];
    if M == 2 {
        return match c.b.0.push_vec(&cmd, segs, None, 3) {
            Err(Rejected::Invalid { error: Error::Unsupported(_), buf: Some(b) }) if b.segments.len() == 2 => Ok(
                "Identify Controller into 2 × 2048 and Namespace into 1000 + 3096 equal the plain Identify; queued admin refused on the IOPOLL ring"
                    .into(),
            ),
            other => Err(format!("queued admin VEC on an IOPOLL ring: {other:?}")),
        };
    }
    let back = queue_one(c, "queued Identify into 2 segments", |u| {
        u.push_vec(&cmd, segs, None, 3)
    })?;
    c.b.execute(&cmd, Data::FromDevice(&mut plain))
        .map_err(|e| format!("Identify Controller: {e}"))?;
    let got: Vec<u8> = back
        .segments
        .iter()
        .flat_map(|s| s.as_slice().iter().copied())
        .collect();
    diff(&got, &plain, 4096).map_err(|e| format!("queued Identify: {e}"))?;
    Ok("Identify Controller into 2 × 2048 and Namespace into 1000 + 3096 equal the plain Identify, queued too".into())
}

/// Separate metadata buffers: Format NVM to the same block size with 8
/// bytes of separate metadata, write and read data with metadata
/// (synchronous, queued, vectored), check the refusals, then format back.
fn metadata<const M: u8>(c: &mut Ctx<UringHw<M>>) -> TestResult {
    use nvmeq_core::cmd::FormatNvm;
    use nvmeq_core::IdentifyNamespace;

    /// Format NVM over io_uring (the backend then asks the kernel to
    /// rescan), and wait until the kernel's namespace has `ms` bytes of
    /// integrity metadata per block, as the block device's sysfs says.
    fn format<const M: u8>(c: &mut Ctx<UringHw<M>>, lbaf: usize, ms: u32) -> Result<(), String> {
        c.b.execute(&FormatNvm::new(c.nsid, lbaf as u8).build(), Data::None)
            .map_err(|e| format!("Format NVM to LBA format {lbaf}: {e}"))?;
        let name =
            c.t.ns
                .file_name()
                .map(|n| n.to_string_lossy().replacen("ng", "nvme", 1))
                .ok_or("the namespace path has no file name")?;
        // metadata_bytes (Linux ≥ 6.9; absent when the namespace has no
        // integrity profile) tells when the rescan is done. Older kernels
        // (6.1) have no such file: give the scan a second, like the ioctl
        // test does.
        let path = format!("/sys/block/{name}/metadata_bytes");
        let read = || std::fs::read_to_string(&path).map(|s| s.trim().to_string());
        if read().is_err() && nvmeq_uring::kernel_version().is_some_and(|v| v < (6, 9)) {
            std::thread::sleep(std::time::Duration::from_millis(1000));
            return Ok(());
        }
        let mut seen = String::new();
        for _ in 0..100 {
            seen = read().unwrap_or_else(|_| "0".into());
            if seen == ms.to_string() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let disks: Vec<String> = std::fs::read_dir("/sys/block")
            .map(|d| {
                d.filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Err(format!(
            "after Format NVM to LBA format {lbaf} the kernel did not rescan the namespace \
             within 10 s: {path} is {seen}, want {ms} (block devices: {disks:?})"
        ))
    }

    if !c.b.caps().metadata {
        return Err("caps().metadata is false on a namespace device".into());
    }
    let orig = c.id_ns.flbas_index();
    let ds = c.id_ns.lba_size().ok_or("no LBA size")?;
    let idx = c
        .id_ns
        .lba_formats()
        .iter()
        .position(|f| f.lba_size() == Some(ds) && f.ms() == 8)
        .ok_or(format!("no LBA format with {ds} B + 8 B metadata"))?;
    // Whatever happens after the first Format NVM, format back.
    let result = format(c, idx, 8).and_then(|()| metadata_round_trip(c, ds, idx));
    let back = format(c, orig, 0);
    let mut buf = vec![0u8; 4096];
    c.b.execute(
        &Identify::namespace(c.nsid).build(),
        Data::FromDevice(&mut buf),
    )
    .map_err(|e| format!("Identify after formatting back: {e}"))?;
    let id = crate::check::parse::<IdentifyNamespace>(&buf)?;
    back?;
    if id.flbas_index() != orig {
        return Err(format!(
            "formatting back left format {} (was {orig})",
            id.flbas_index()
        ));
    }
    let f = c.b.0.ns_format(c.nsid).map_err(|e| e.to_string())?;
    if (f.block_bytes, f.meta_bytes) != (ds, 0) {
        return Err(format!("after formatting back: {f:?}"));
    }
    result
}

fn metadata_round_trip<const M: u8>(c: &mut Ctx<UringHw<M>>, ds: u32, idx: usize) -> TestResult {
    let f = c.b.0.ns_format(c.nsid).map_err(|e| e.to_string())?;
    if (f.block_bytes, f.meta_bytes) != (ds, 8) {
        return Err(format!("after format: {f:?}, want {ds} B + 8 B separate"));
    }
    let slba = c.area(11);
    let nlb = 4u32;
    let len = (nlb * ds) as usize;
    let pattern = |seed: u8| -> Vec<u8> {
        (0..nlb * 8)
            .map(|i| (i as u8).wrapping_mul(37) ^ seed)
            .collect()
    };
    let wcmd = Write::new(c.nsid, slba, (nlb - 1) as u16).build();
    let rcmd = Read::new(c.nsid, slba, (nlb - 1) as u16).build();

    // Synchronous, borrowed buffers.
    let mut data = vec![0u8; len];
    fill(&mut data, ds, slba, 0x3e7a);
    let meta = pattern(0x5a);
    c.b.0
        .execute_with(&wcmd, Data::ToDevice(&data), Data::ToDevice(&meta))
        .map_err(|e| format!("write with metadata: {e}"))?;
    let (mut rd, mut rm) = (vec![0u8; len], vec![0u8; meta.len() + 8]);
    c.b.0
        .execute_with(&rcmd, Data::FromDevice(&mut rd), Data::FromDevice(&mut rm))
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

    // Queued: the slot owns data and metadata; then a vectored read with metadata.
    fill(&mut data, ds, slba, 0x3e7b);
    let meta = pattern(0xa7);
    let mut db = c.b.alloc(len).map_err(|e| e.to_string())?;
    db.as_mut_slice().copy_from_slice(&data);
    let fixed = db.is_fixed();
    let mb = UringBuf::from_slice(&meta);
    let back = queue_one(c, "queued write with metadata", |u| {
        u.push_with(&wcmd, Some(db), Some(mb), 4).map_err(|r| {
            r.map_buf(|b| CmdBufs {
                data: b.data,
                segments: Vec::new(),
                metadata: b.meta,
            })
        })
    })?;
    if back.data.is_none() || back.metadata.is_none() {
        return Err("the queued write did not hand back both buffers".into());
    }
    let segs = vec![UringBuf::zeroed(len / 2), UringBuf::zeroed(len / 2)];
    let mb = UringBuf::from_slice(&[0xffu8; 40]);
    let back = queue_one(c, "queued vectored read with metadata", |u| {
        u.push_vec(&rcmd, segs, Some(mb), 5)
    })?;
    let got: Vec<u8> = back
        .segments
        .iter()
        .flat_map(|s| s.as_slice().iter().copied())
        .collect();
    diff(&got, &data, ds).map_err(|e| format!("queued data: {e}"))?;
    let m = back
        .metadata
        .ok_or("the vectored read lost its metadata buffer")?;
    if m.as_slice()[..32] != meta[..] || m.as_slice()[32..] != [0xff; 8] {
        return Err(format!(
            "queued metadata read back {:?}, wrote {:?} (then 8 × 0xff)",
            m.as_slice(),
            meta
        ));
    }
    // And the synchronous vectored path with metadata.
    let (mut a, mut b, mut rm) = (vec![0u8; ds as usize], vec![0u8; len], vec![0u8; 32]);
    let mut segs = [&mut a[..], &mut b[..]];
    c.b.0
        .execute_vec(
            &rcmd,
            VecData::FromDevice(&mut segs),
            Data::FromDevice(&mut rm),
        )
        .map_err(|e| format!("vectored read with metadata: {e}"))?;
    diff(&[a, b[..len - ds as usize].to_vec()].concat(), &data, ds)
        .map_err(|e| format!("vectored data: {e}"))?;
    if rm != meta {
        return Err(format!(
            "vectored metadata read back {rm:?}, wrote {meta:?}"
        ));
    }

    // Refusals, before anything reaches the kernel.
    match c.b.execute(&rcmd, Data::FromDevice(&mut rd)) {
        Err(Error::MetadataRequired) => {}
        other => return Err(format!("read without a metadata buffer: {other:?}")),
    }
    let mut short = vec![0u8; 8];
    match c.b.0.execute_with(
        &rcmd,
        Data::FromDevice(&mut rd),
        Data::FromDevice(&mut short),
    ) {
        Err(Error::BufferTooSmall { need: 32, have: 8 }) => {}
        other => return Err(format!("read with a short metadata buffer: {other:?}")),
    }
    let mut id = vec![0u8; 4096];
    match c.b.0.execute_with(
        &Identify::controller().build(),
        Data::FromDevice(&mut id),
        Data::FromDevice(&mut short),
    ) {
        Err(Error::Unsupported(_)) => {}
        other => return Err(format!("admin command with metadata: {other:?}")),
    }
    Ok(format!(
        "LBA format {idx}: {nlb} blocks with 32 B of metadata round-trip sync, queued ({} data buffer) and vectored; refusals checked",
        if fixed { "registered" } else { "heap" }
    ))
}
