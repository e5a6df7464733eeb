//! The io_uring backend in the suite, three ways: interrupt-driven
//! (`uring`), with registered buffers and files (`uring-fixed`), and polled
//! (`uring-poll`, IOPOLL on the driver's poll queues). Each runs the whole
//! suite, plus the checks only io_uring has: bytes equal to the ioctl path's,
//! one `io_uring_enter` per batch, futures on the device, and a drop with
//! commands in flight.

use nvmeq_core::cmd::Read;
use nvmeq_core::{Backend, Caps, Cmd, Completion, Data, Error, IoBuf, Reaped, Rejected};
use nvmeq_uring::{Uring, UringBuf, UringOptions};

use crate::registry::HwBackend;
use crate::runner::Runner;
use crate::suite::{diff, fill, Ctx};
use crate::target::Target;

/// Queue depth of every variant.
const DEPTH: u32 = 64;

/// [`Uring`] opened in mode `M`: 0 interrupts, 1 fixed buffers and files, 2 IOPOLL.
#[derive(Debug)]
pub struct UringHw<const M: u8>(pub Uring);

/// The backend names `--backend` takes, in `all` order.
pub const NAMES: [&str; 3] = ["uring", "uring-fixed", "uring-poll"];

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

/// Runs the suite with the variant called `name`.
pub fn run(name: &str, t: &Target, r: &Runner) -> Result<(), String> {
    match name {
        "uring" => crate::suite::run::<UringHw<0>>(t, r),
        "uring-fixed" => crate::suite::run::<UringHw<1>>(t, r),
        "uring-poll" => {
            // Polling needs poll queues and Linux ≥ 6.5: where it is refused,
            // the refusal is the row (SKIP, with the reason), not a failure.
            if let Err(nvmeq_uring::OpenError::Option {
                option: "iopoll",
                why,
            }) = try_open::<2>(t)
            {
                let row = format!("{}/open", t.label);
                r.record(&row, "uring-poll", crate::report::Outcome::Skip, why);
                return Ok(());
            }
            crate::suite::run::<UringHw<2>>(t, r)
        }
        other => return Err(format!("unknown io_uring variant `{other}`: {NAMES:?}")),
    }
    Ok(())
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
    fn execute(&mut self, cmd: &Cmd, data: Data<'_>) -> Result<Completion, Error> {
        self.0.execute(cmd, data)
    }
    fn write(
        &mut self,
        cmd: &Cmd,
        buf: Option<UringBuf>,
        tag: u64,
    ) -> Result<(), Rejected<UringBuf>> {
        self.0.write(cmd, buf, tag)
    }
    fn commit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.0.commit(min_complete)
    }
    fn reap(&mut self, f: &mut dyn FnMut(Reaped<UringBuf>)) -> usize {
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
        r.run(&format!("{label}/{name}-syscalls"), name, || syscalls(c));
        r.run(&format!("{label}/{name}-futures"), name, || futures::<M>(c));
        r.run(&format!("{label}/{name}-drop-in-flight"), name, || {
            drop_in_flight::<M>(c)
        });
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
    c.b.write(&Write::new(c.nsid, slba, 7).build(), Some(b), 1)
        .map_err(|r| format!("queue refused the write: {:?}", r.error))?;
    c.b.commit(1).map_err(|e| e.to_string())?;
    let mut res = Err(Error::Invalid("no completion"));
    c.b.reap(&mut |r| res = r.result);
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
        c.b.write(&Read::new(c.nsid, i, 0).build(), Some(b), i)
            .map_err(|r| format!("queue refused a read: {:?}", r.error))?;
    }
    let written = c.b.syscalls().unwrap() - before;
    let submitted = c.b.commit(n as u32).map_err(|e| e.to_string())?;
    let mut ok = 0;
    c.b.reap(&mut |r| ok += u64::from(r.result.is_ok()));
    let total = c.b.syscalls().unwrap() - before;
    if (written, submitted as u64, ok, total) != (0, n, n, 1) {
        return Err(format!(
            "{written} syscalls while writing, {submitted} submitted, {ok} reaped ok, \
             {total} syscalls in all (want 0, {n}, {n}, 1)"
        ));
    }
    Ok(format!("{n} reads: 1 io_uring_enter"))
}

/// Futures on a second ring over the same namespace, driven by hand.
fn futures<const M: u8>(c: &mut Ctx<UringHw<M>>) -> Result<String, String> {
    use nvmeq_uring::aio::AsyncQueue;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    let slba = c.area(11);
    let len = 8 * c.lba as usize;
    let mut want = vec![0u8; 4 * len];
    fill(&mut want, c.lba, slba, 0xf07);
    c.write(slba, &want)?;
    let q = AsyncQueue::new(open_uring::<M>(&c.t)?);
    let mut futs: Vec<_> = (0..4u64)
        .map(|i| {
            let b = q.backend().alloc(len).map_err(|e| e.to_string())?;
            let cmd = Read::new(c.nsid, slba + 8 * i, 7).build();
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
        u.write(&Read::new(c.nsid, i, 0).build(), Some(b), i)
            .map_err(|r| format!("queue refused a read: {:?}", r.error))?;
    }
    u.commit(0).map_err(|e| e.to_string())?;
    drop(u);
    match pool.available() {
        32 => Ok("32 reads in flight at drop; every buffer back after completion".into()),
        n => Err(format!("{n} of 32 buffers back after drop")),
    }
}
