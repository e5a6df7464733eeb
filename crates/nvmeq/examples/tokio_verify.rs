//! Many tokio tasks writing and reading back verified blocks through one
//! [`AsyncDevice`] on a multi-thread runtime, then hundreds of futures
//! dropped with their writes in flight, on any backend.
//!
//! ```text
//! cargo run -p nvmeq --features tokio,vfio --example tokio_verify -- DEVICE [TASKS IOS FIRST_LBA]
//! ```
//!
//! `DEVICE` is any device string (`ram:64M`, `ioctl:/dev/ng0n1`,
//! `uring:/dev/ng0n1`), or `uring-fixed:/dev/ng0n1` (registered buffers),
//! `vfio-irq:BDF` / `vfio-poll:BDF` (the controller bound to vfio-pci, MSI-X
//! interrupts or polling). It prints the pass/fail counts and exits non-zero
//! on any failure. The guest suite runs it on every backend
//! (`crates/nvmeq/tests/guest_async.rs`).

use std::future::Future;
use std::pin::Pin;

use nvmeq::nvme::cmd::Write;
use nvmeq::{AsyncDevice, Device, IoBuf};

/// Blocks per I/O.
const NLB: u64 = 8;

/// What a run counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Reads that returned what was written.
    pub pass: u64,
    /// Reads that did not, or commands that failed.
    pub fail: u64,
    /// Futures dropped after their write was written to the queue.
    pub dropped: u64,
    /// Of those, writes whose data then read back right.
    pub dropped_ok: u64,
}

/// Opens `spec` (see the module docs) behind a queue of futures, its driver
/// spawned on the current runtime; returns it with the namespace to use.
pub fn open_async(spec: &str) -> Result<(AsyncDevice, u32), String> {
    let dev: Device = if let Some(p) = spec.strip_prefix("uring-fixed:") {
        let o = nvmeq::uring::UringOptions::new()
            .depth(64)
            .fixed_buffers(64, 4096 * NLB as usize);
        nvmeq::uring::Uring::open(p, o)
            .map_err(|e| format!("{p}: {e}"))?
            .into()
    } else if let Some((irq, bdf)) = spec
        .strip_prefix("vfio-irq:")
        .map(|b| (true, b))
        .or_else(|| spec.strip_prefix("vfio-poll:").map(|b| (false, b)))
    {
        vfio(bdf, irq)?
    } else {
        nvmeq::open(spec).map_err(|e| format!("{spec}: {e}"))?
    };
    #[allow(unreachable_patterns)]
    let nsid = match &dev {
        Device::Uring(u) if u.nsid() != 0 => u.nsid(),
        #[cfg(feature = "ioctl")]
        Device::Ioctl(i) => i.nsid().unwrap_or(1),
        _ => 1,
    };
    let dev = AsyncDevice::spawn(dev).map_err(|e| format!("{spec}: {e}"))?;
    Ok((dev, nsid))
}

#[cfg(feature = "vfio")]
fn vfio(bdf: &str, irq: bool) -> Result<Device, String> {
    let o = nvmeq::vfio::Options::default().interrupts(irq);
    let c = nvmeq::vfio::Controller::open_with(bdf, o).map_err(|e| format!("{bdf}: {e}"))?;
    if c.interrupts() != irq {
        return Err(format!("{bdf}: interrupts {} not as asked", c.interrupts()));
    }
    Ok(c.into())
}

#[cfg(not(feature = "vfio"))]
fn vfio(bdf: &str, _: bool) -> Result<Device, String> {
    Err(format!("{bdf}: built without the vfio feature"))
}

/// The bytes the 8-block run at `slba` holds once the test wrote it.
pub fn pattern(slba: u64, seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i as u64 / 7) ^ slba.wrapping_mul(131) ^ seed as u64) as u8)
        .collect()
}

/// `tasks` spawned tasks × `ios` verified 8-block writes and reads each,
/// from block `first` of namespace `nsid`; then `tasks × ios` writes whose
/// futures are dropped in flight, read back afterwards.
pub async fn verify(
    dev: &AsyncDevice,
    nsid: u32,
    tasks: u64,
    ios: u64,
    first: u64,
) -> Result<Counts, String> {
    let lba = dev.lba_size(nsid).map_err(|e| e.to_string())? as usize;
    let len = lba * NLB as usize;
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let dev = dev.clone();
            tokio::spawn(async move {
                let mut c = Counts::default();
                let mut buf = dev.alloc(len).map_err(|e| e.to_string())?;
                for i in 0..ios {
                    let slba = first + (t * ios + i) * NLB;
                    let want = pattern(slba, 1, len);
                    buf.as_mut_slice().copy_from_slice(&want);
                    let (r, b) = dev.write(nsid, slba, buf).await;
                    let mut b = b.ok_or("the queue kept a buffer")?;
                    if let Err(e) = r {
                        eprintln!("task {t}: write {slba}: {e}");
                        c.fail += 1;
                        buf = b;
                        continue;
                    }
                    b.as_mut_slice().fill(0);
                    let (r, b) = dev.read(nsid, slba, b).await;
                    buf = b.ok_or("the queue kept a buffer")?;
                    match r {
                        Ok(_) if buf.as_slice() == want => c.pass += 1,
                        Ok(_) => {
                            eprintln!("task {t}: read {slba}: data differs");
                            c.fail += 1
                        }
                        Err(e) => {
                            eprintln!("task {t}: read {slba}: {e}");
                            c.fail += 1
                        }
                    }
                }
                Ok::<_, String>(c)
            })
        })
        .collect();
    let mut total = Counts::default();
    for h in handles {
        let c = h.await.map_err(|e| e.to_string())??;
        total.pass += c.pass;
        total.fail += c.fail;
    }
    // Dropped in flight: each write is polled once (written to the queue,
    // unless it must wait for room), then its future dropped; the queue
    // keeps the buffer of a written one until its completion.
    let n = tasks * ios;
    let base = first + n * NLB;
    let abandoned_before = dev.queue().abandoned();
    let mut written = Vec::with_capacity(n as usize);
    for i in 0..n {
        let slba = base + i * NLB;
        let mut b = dev.alloc(len).map_err(|e| e.to_string())?;
        b.as_mut_slice().copy_from_slice(&pattern(slba, 2, len));
        let nlb = (len / lba - 1) as u16;
        let mut f = dev.submit(Write::new(nsid, slba, nlb).build(), Some(b));
        let done =
            std::future::poll_fn(|cx| std::task::Poll::Ready(Pin::new(&mut f).poll(cx))).await;
        match done {
            std::task::Poll::Ready((Err(e), _)) => return Err(format!("write {slba}: {e}")),
            // Completed at its first poll (ram): written too.
            std::task::Poll::Ready((Ok(_), _)) => written.push(slba),
            std::task::Poll::Pending if f.is_written() => written.push(slba),
            std::task::Poll::Pending => {}
        }
        drop(f);
    }
    while dev.queue().in_flight() > 0 {
        tokio::task::yield_now().await;
    }
    let abandoned = dev.queue().abandoned() - abandoned_before;
    for &slba in &written {
        let buf = dev.alloc(len).map_err(|e| e.to_string())?;
        let (r, b) = dev.read(nsid, slba, buf).await;
        let ok = r.is_ok() && b.is_some_and(|b| b.as_slice() == pattern(slba, 2, len));
        if ok {
            total.dropped_ok += 1;
        } else {
            eprintln!("dropped write {slba}: data did not land");
            total.fail += 1;
        }
    }
    total.dropped = written.len() as u64;
    println!(
        "dropped: {n} futures after one poll, {} with their command written, {abandoned} \
         of them left their buffer to the queue; {} buffers kept as spares",
        written.len(),
        dev.queue().spares()
    );
    if dev.queue().unexpected() != 0 {
        return Err(format!(
            "{} unexpected completions",
            dev.queue().unexpected()
        ));
    }
    Ok(total)
}

/// Runs [`verify`] on `spec` on a 2-worker multi-thread runtime and prints
/// the counts; `Err` on any failure.
pub fn run(spec: &str, tasks: u64, ios: u64, first: u64) -> Result<Counts, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()
        .map_err(|e| e.to_string())?;
    let c = rt.block_on(async {
        let (dev, nsid) = open_async(spec)?;
        verify(&dev, nsid, tasks, ios, first).await
    })?;
    println!(
        "{spec}: {tasks} tasks x {ios} verified write+read: pass {} fail {}; \
         writes of dropped futures verified {} of {}",
        c.pass, c.fail, c.dropped_ok, c.dropped
    );
    if c.fail > 0 || c.pass != tasks * ios || c.dropped_ok != c.dropped || c.dropped == 0 {
        return Err(format!("{spec}: {c:?}"));
    }
    Ok(c)
}

#[allow(dead_code)]
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spec = args.first().map_or("ram:64M", String::as_str).to_string();
    let num = |i: usize, d: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(d);
    if let Err(e) = run(&spec, num(1, 8), num(2, 32), num(3, 0)) {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
