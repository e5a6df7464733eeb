//! Device check of the VFIO backend, for the nvmeq QEMU guest:
//!
//! ```text
//! RUSTFLAGS='-C target-feature=+crt-static' cargo build --release \
//!     --target x86_64-unknown-linux-gnu -p nvmeq-vfio --example vfio_guest_check
//! cargo xtask vm exec --iommu -- /out/vfio_guest_check   # after copying it to the out dir
//! ```
//!
//! It hands controller A to vfio-pci, opens it, identifies, writes, reads and
//! verifies through `execute` and the queue interface, checks the error paths,
//! resets with commands in flight, forces a timeout, shuts down, gives the
//! controller back to `nvme` and reads the data again through the kernel.
//! It writes to the disk, so it refuses to run outside the guest
//! (`NVMEQ_GUEST=1`) unless given `--destructive BDF`.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nvmeq_core::cmd::{CreateIoCq, Identify, Read, Write};
use nvmeq_core::{Backend, Cmd, Data, DataDir, Error, IoBuf, Rejected, Xfer};
use nvmeq_vfio::{bind_kernel, bind_vfio, driver_of, Bdf, Controller, OpenError, Options};

struct Check {
    failed: u32,
}

impl Check {
    fn ok(&mut self, cond: bool, what: &str) {
        if cond {
            println!("ok   {what}");
        } else {
            println!("FAIL {what}");
            self.failed += 1;
        }
    }
}

fn pattern(seed: u64, buf: &mut [u8]) {
    for (i, c) in buf.chunks_mut(8).enumerate() {
        let v = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ i as u64;
        c.copy_from_slice(&v.to_le_bytes()[..c.len()]);
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let bdf = match (
        std::env::var("NVMEQ_GUEST").as_deref(),
        args.get(1),
        args.get(2),
    ) {
        (_, Some(flag), Some(b)) if flag == "--destructive" => b.clone(),
        (Ok("1"), _, _) => match std::env::var("NVMEQ_PCI_A") {
            Ok(b) => b,
            Err(_) => {
                eprintln!("NVMEQ_PCI_A is not set");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("this writes to the controller's namespace 1: run it in the nvmeq guest, or pass --destructive BDF");
            return ExitCode::from(2);
        }
    };
    let mut c = Check { failed: 0 };
    if let Err(e) = run(&bdf, &mut c) {
        println!("FAIL {e}");
        c.failed += 1;
    }
    if c.failed == 0 {
        println!("vfio guest check: all passed");
        ExitCode::SUCCESS
    } else {
        println!("vfio guest check: {} failed", c.failed);
        ExitCode::FAILURE
    }
}

fn run(bdf: &str, c: &mut Check) -> Result<(), Box<dyn std::error::Error>> {
    let b = Bdf::parse(bdf)?;

    if std::env::var("NVMEQ_IOMMU").as_deref() != Ok("1") {
        // A guest booted without --iommu: only the error paths can be checked.
        let e = bind_vfio(bdf);
        c.ok(
            matches!(e, Err(OpenError::NoIommuGroup { .. })),
            &format!("bind_vfio without an IOMMU: {e:?}"),
        );
        let e = Controller::open(bdf);
        let msg = e.as_ref().err().map(|e| e.to_string()).unwrap_or_default();
        println!("     ({msg})");
        c.ok(
            msg.contains("intel_iommu=on"),
            "open without an IOMMU says to boot with intel_iommu=on",
        );
        c.ok(
            driver_of(&b)?.as_deref() == Some("nvme"),
            "the controller stays with nvme",
        );
        return Ok(());
    }

    // Error messages before the rebind.
    match Controller::open("0000:00:04") {
        Err(OpenError::BadAddress { .. }) => c.ok(true, "bad PCI address is refused"),
        other => c.ok(false, &format!("bad PCI address: {other:?}")),
    }
    if driver_of(&b)?.as_deref() == Some("nvme") {
        match Controller::open(bdf) {
            Err(e @ OpenError::BoundToDriver { .. }) => {
                let msg = e.to_string();
                println!("     ({})", msg.lines().next().unwrap_or(""));
                c.ok(
                    msg.contains(&format!(
                        "echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override"
                    )) && msg.contains("drivers_probe"),
                    "open while bound to nvme says how to rebind",
                )
            }
            other => c.ok(false, &format!("open while bound to nvme: {other:?}")),
        }
    }

    bind_vfio(bdf)?;
    c.ok(
        driver_of(&b)?.as_deref() == Some("vfio-pci"),
        "bind_vfio hands the controller to vfio-pci",
    );

    for round in 0..2 {
        let t = Instant::now();
        let mut ctrl = Controller::open_with(
            bdf,
            Options {
                io_queues: 2,
                queue_depth: 64,
                ..Options::default()
            },
        )?;
        println!("     opened in {:?}: {ctrl:?}", t.elapsed());
        if round == 0 {
            match Controller::open(bdf) {
                Err(e @ OpenError::GroupBusy { .. }) => {
                    c.ok(true, &format!("a second open is refused: {e}"))
                }
                other => c.ok(false, &format!("second open: {other:?}")),
            }
        }
        let mn = ctrl.identify().mn().map(str::to_string);
        c.ok(
            mn.as_deref() == Some("QEMU NVMe Ctrl"),
            &format!("Identify mn {mn:?}"),
        );
        if round == 1 {
            // Second open after a clean shutdown: just check it works.
            let mut id = vec![0u8; 4096];
            ctrl.execute(&Identify::controller().build(), Data::FromDevice(&mut id))?;
            c.ok(
                &id[24..38] == b"QEMU NVMe Ctrl",
                "reopen after shutdown: Identify works",
            );
            break;
        }
        let sn = ctrl.identify().sn().map(str::to_string);
        c.ok(
            sn.as_deref() == Some("nvmeqA"),
            &format!("Identify sn {sn:?}"),
        );
        c.ok(ctrl.io_queues() == 2, "two I/O queue pairs created");
        c.ok(
            ctrl.shadow_doorbells(),
            "shadow doorbells in use (QEMU has OACS bit 8)",
        );
        c.ok(
            ctrl.namespaces() == [(1, 512)],
            &format!("namespaces {:?}", ctrl.namespaces()),
        );
        c.ok(ctrl.lba_size(1)? == 512, "lba_size(1) = 512");
        c.ok(
            ctrl.max_xfer() == 512 * 1024,
            &format!("max_xfer {} (MDTS 7)", ctrl.max_xfer()),
        );
        checks(&mut ctrl, c)?;
        let stats = ctrl.stats();
        println!("     stats {stats:?}");
        c.ok(stats.unexpected_cqes == 0, "no unexpected completions");
        let t = Instant::now();
        let r = ctrl.shutdown();
        c.ok(
            r.is_ok(),
            &format!("shutdown (CC.SHN) completes: {r:?} in {:?}", t.elapsed()),
        );
        let mut aer = None;
        ctrl.reap(|rp| aer = Some((rp.tag, rp.result)));
        c.ok(
            matches!(aer, Some((99, Err(Error::Aborted(_))))),
            &format!("shutdown completes the outstanding AER as aborted: {aer:?}"),
        );
        drop(ctrl);
    }

    bind_kernel(bdf)?;
    c.ok(
        driver_of(&b)?.as_deref() == Some("nvme"),
        "bind_kernel hands it back to nvme",
    );
    if let Ok(bdf_b) = std::env::var("NVMEQ_PCI_B") {
        format_changes_lba_size(&bdf_b, c)?;
    }
    // The kernel driver comes up and sees the data written over VFIO.
    let start = Instant::now();
    let blk = loop {
        let found = std::fs::read_dir(format!("/sys/bus/pci/devices/{bdf}/nvme"))
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned());
        if let Some(n) = found {
            let dev = format!("/dev/{n}n1");
            if Path::new(&dev).exists() && File::open(&dev).is_ok() {
                break Some(dev);
            }
        }
        if start.elapsed() > Duration::from_secs(20) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    c.ok(blk.is_some(), &format!("/dev/nvme*n1 is back: {blk:?}"));
    if let Some(dev) = blk {
        let f = File::open(&dev)?;
        let mut got = vec![0u8; 4096];
        let mut want = vec![0u8; 4096];
        f.read_at(&mut got, 1000 * 512)?;
        pattern(1000, &mut want);
        c.ok(
            got == want,
            "the kernel reads back the data written over VFIO",
        );
    }
    Ok(())
}

fn checks(ctrl: &mut Controller, c: &mut Check) -> Result<(), Box<dyn std::error::Error>> {
    // execute with caller slices (bounce buffer).
    let mut id = vec![0u8; 4096];
    ctrl.execute(&Identify::controller().build(), Data::FromDevice(&mut id))?;
    c.ok(
        &id[24..38] == b"QEMU NVMe Ctrl",
        "execute(Identify) fills the caller's slice",
    );
    let mut w = vec![0u8; 8 * 512];
    pattern(7, &mut w);
    ctrl.execute(&Write::new(1, 8, 7).build(), Data::ToDevice(&w))?;
    let mut r = vec![0u8; 8 * 512];
    ctrl.execute(&Read::new(1, 8, 7).build(), Data::FromDevice(&mut r))?;
    c.ok(r == w, "execute write/read 4 KiB round trip");

    // The queue interface: 256 writes then 256 reads, QD up to 126 over two queues.
    let n = 256u64;
    let mut free: Vec<_> = (0..96)
        .map(|_| ctrl.alloc(4096))
        .collect::<Result<_, _>>()?;
    let mut submitted = 0u64;
    let mut completed = 0u64;
    let mut errors = 0u32;
    while completed < n {
        while submitted < n {
            let Some(mut buf) = free.pop() else { break };
            let lba = 1000 + submitted * 8;
            pattern(lba, buf.as_mut_slice());
            match ctrl.push(&Write::new(1, lba, 7).build(), Some(buf), lba) {
                Ok(()) => submitted += 1,
                Err(rej) => {
                    if let Some(e) = rej.error() {
                        return Err(format!("write rejected: {e}").into());
                    }
                    free.push(rej.into_buf().expect("buffer handed back"));
                    break;
                }
            }
        }
        ctrl.submit(1)?;
        ctrl.reap(|rp| {
            completed += 1;
            if rp.result.is_err() {
                errors += 1;
            }
            free.push(rp.buf.expect("buffer returned"));
        });
    }
    c.ok(
        errors == 0 && ctrl.in_flight() == 0,
        "256 queued writes complete",
    );
    let (mut submitted, mut completed, mut bad) = (0u64, 0u64, 0u32);
    while completed < n {
        while submitted < n {
            let Some(buf) = free.pop() else { break };
            let lba = 1000 + submitted * 8;
            match ctrl.push(&Read::new(1, lba, 7).build(), Some(buf), lba) {
                Ok(()) => submitted += 1,
                Err(rej) => {
                    free.push(rej.into_buf().expect("buffer handed back"));
                    break;
                }
            }
        }
        ctrl.submit(1)?;
        ctrl.reap(|rp| {
            completed += 1;
            let buf = rp.buf.expect("buffer returned");
            let mut want = vec![0u8; 4096];
            pattern(rp.tag, &mut want);
            if rp.result.is_err() || buf.as_slice() != want.as_slice() {
                bad += 1;
            }
            free.push(buf);
        });
    }
    c.ok(
        bad == 0,
        "256 queued reads return what was written (tags match buffers)",
    );

    // A transfer of MDTS size goes through a PRP list.
    let max = ctrl.max_xfer() as usize;
    let mut big = ctrl.alloc(max)?;
    pattern(4242, big.as_mut_slice());
    let want = big.as_slice().to_vec();
    let nlb_z = (max / 512 - 1) as u16;
    ctrl.push(&Write::new(1, 1 << 16, nlb_z).build(), Some(big), 1)
        .map_err(|_| "big write rejected")?;
    ctrl.submit(1)?;
    let mut back = None;
    ctrl.reap(|rp| back = Some(rp));
    let rp = back.ok_or("no completion for the big write")?;
    c.ok(
        rp.result.is_ok(),
        &format!("{max}-byte write (PRP list): {:?}", rp.result.map(|_| ())),
    );
    let mut big = rp.buf.ok_or("big buffer lost")?;
    big.as_mut_slice().fill(0);
    ctrl.push(&Read::new(1, 1 << 16, nlb_z).build(), Some(big), 2)
        .map_err(|_| "big read rejected")?;
    ctrl.submit(1)?;
    let mut back = None;
    ctrl.reap(|rp| back = Some(rp));
    let rp = back.ok_or("no completion for the big read")?;
    let big = rp.buf.ok_or("big buffer lost")?;
    c.ok(
        rp.result.is_ok() && big.as_slice() == want.as_slice(),
        "MDTS-sized read returns the data",
    );

    // Huge pages, when the system has some reserved.
    if std::fs::write("/proc/sys/vm/nr_hugepages", "4").is_ok() {
        let mut huge = ctrl.alloc(2 << 20)?;
        let is_huge = huge.is_hugepage();
        pattern(77, &mut huge.as_mut_slice()[..max]);
        let want = huge.as_slice()[..max].to_vec();
        ctrl.push(&Write::new(1, 1 << 17, nlb_z).build(), Some(huge), 3)
            .map_err(|_| "hugepage write rejected")?;
        ctrl.submit(1)?;
        let mut back = None;
        ctrl.reap(|rp| back = Some(rp));
        let mut huge = back.and_then(|rp| rp.buf).ok_or("hugepage buffer lost")?;
        huge.as_mut_slice().fill(0);
        ctrl.push(&Read::new(1, 1 << 17, nlb_z).build(), Some(huge), 4)
            .map_err(|_| "hugepage read rejected")?;
        ctrl.submit(1)?;
        let mut back = None;
        ctrl.reap(|rp| back = Some(rp));
        let rp = back.ok_or("no completion for the hugepage read")?;
        let huge = rp.buf.ok_or("hugepage buffer lost")?;
        c.ok(
            is_huge && rp.result.is_ok() && huge.as_slice()[..max] == want[..],
            &format!("a 2 MiB buffer sits in a huge page ({is_huge}) and round-trips"),
        );
    }

    // Error paths.
    let mut r = vec![0u8; max + 512];
    let e = ctrl.execute(
        &Read::new(1, 0, (max / 512) as u16).build(),
        Data::FromDevice(&mut r),
    );
    c.ok(
        matches!(e, Err(Error::AboveMdts { .. })),
        &format!("above MDTS is refused: {e:?}"),
    );
    let small = ctrl.alloc(512)?;
    let e = ctrl.push(&Read::new(1, 0, 7).build(), Some(small), 0);
    c.ok(
        matches!(
            &e,
            Err(Rejected::Invalid {
                error: Error::BufferTooSmall {
                    need: 4096,
                    have: 512
                },
                buf: Some(_)
            })
        ),
        "a buffer smaller than the command is refused and handed back",
    );
    let mut r = vec![0u8; 512];
    let e = ctrl.execute(&Read::new(7, 0, 0).build(), Data::FromDevice(&mut r));
    c.ok(
        matches!(e, Err(Error::UnknownNamespace(7))),
        &format!("unknown namespace: {e:?}"),
    );
    let zero = Cmd::io(
        Read::new(1, 0, 0).build().sqe,
        DataDir::FromDevice,
        Xfer::Bytes(0),
    );
    let e = ctrl.execute(&zero, Data::FromDevice(&mut []));
    c.ok(
        matches!(e, Err(Error::ZeroLength)),
        &format!("a 0-byte data transfer is refused: {e:?}"),
    );
    let e = ctrl.execute(&Read::new(1, 1 << 21, 0).build(), Data::FromDevice(&mut r));
    let msg = e
        .as_ref()
        .map(|_| String::new())
        .unwrap_or_else(|e| e.to_string());
    c.ok(
        msg.contains("LBA Out of Range"),
        &format!("read past the end: {msg}"),
    );

    // Commands that would take the driver's queues away are refused.
    let e = ctrl.execute(&CreateIoCq::new(5, 15).prp1(0x10_0000).build(), Data::None);
    c.ok(
        matches!(e, Err(Error::Unsupported(_))),
        &format!("Create I/O CQ from the caller is refused: {e:?}"),
    );

    // A caller's own data pointers are never used. A Read whose entry
    // points DPTR/MPTR at a live buffer and declares no data is refused
    // (its NLB says it moves a block) ...
    let mut victim = ctrl.alloc(4096)?;
    victim.as_mut_slice().fill(0xaa);
    let mut sqe = Read::new(1, 8, 0).build().sqe;
    sqe.dptr = [victim.iova(), victim.iova()];
    sqe.mptr = victim.iova();
    let e = ctrl.execute(&Cmd::io(sqe, DataDir::None, Xfer::None), Data::None);
    c.ok(
        matches!(
            e,
            Err(Error::XferMismatch {
                declared: 0,
                implied: 512..
            })
        ),
        &format!("an entry whose NLB moves more than it declares is refused: {e:?}"),
    );
    // ... and with an honest length, the driver's PRPs replace DPTR: the
    // data lands in the caller's buffer, the victim stays untouched.
    let mut r = vec![0u8; 512];
    let e = ctrl.execute(
        &Cmd::io(sqe, DataDir::FromDevice, Xfer::Bytes(512)),
        Data::FromDevice(&mut r),
    );
    c.ok(
        e.is_ok() && r[..] == w[..512] && victim.as_slice().iter().all(|&b| b == 0xaa),
        "a hand-set DPTR/MPTR is replaced by the driver's PRPs",
    );

    // Reset with commands in flight: every command comes back, with its buffer.
    for i in 0..32u64 {
        let buf = free.pop().ok_or("out of buffers")?;
        ctrl.push(&Read::new(1, 1000 + i * 8, 7).build(), Some(buf), i)
            .map_err(|_| "read rejected before reset")?;
    }
    ctrl.submit(0)?;
    ctrl.reset()?;
    let (mut back, mut aborted) = (0, 0);
    ctrl.reap(|rp| {
        back += 1;
        if matches!(rp.result, Err(Error::Aborted(_))) {
            aborted += 1;
        }
        free.extend(rp.buf);
    });
    println!("     reset: {back} back, {aborted} aborted by the reset");
    c.ok(
        back == 32 && free.len() == 96,
        "reset completes every command in flight and returns its buffer",
    );
    let mut r = vec![0u8; 8 * 512];
    ctrl.execute(&Read::new(1, 8, 7).build(), Data::FromDevice(&mut r))?;
    let mut w = vec![0u8; 8 * 512];
    pattern(7, &mut w);
    c.ok(r == w, "I/O works after the reset (queues recreated)");

    // Commands that cannot finish in time: Abort, then (QEMU declines
    // Aborts) a controller reset; every command comes back, nothing hangs.
    // Whether the emulator beats the first deadline check is a race, so a
    // round in which every read finished first is repeated (at most 5).
    const N: usize = 96;
    let mut bigs: Vec<_> = (0..N).map(|_| ctrl.alloc(max)).collect::<Result<_, _>>()?;
    ctrl.set_io_timeout(Duration::from_micros(1));
    let mut recovered = false;
    let mut all_back = true;
    for round in 0..5 {
        let before = ctrl.stats();
        let t = Instant::now();
        let mut sent = 0;
        while let Some(b) = bigs.pop() {
            let read = Read::new(1, 0, (max / 512 - 1) as u16).build();
            match ctrl.push(&read, Some(b), sent) {
                Ok(()) => sent += 1,
                Err(rej) => {
                    bigs.extend(rej.into_buf());
                    break;
                }
            }
        }
        ctrl.submit(sent as u32)?;
        let (mut back, mut timed_out, mut aborted) = (0, 0, 0);
        ctrl.reap(|rp| {
            back += 1;
            match rp.result {
                Err(Error::Timeout { .. }) => timed_out += 1,
                Err(Error::Aborted(_)) => aborted += 1,
                _ => {}
            }
            bigs.extend(rp.buf);
        });
        let after = ctrl.stats();
        println!(
            "     1 us timeout, round {round}: {back}/{sent} back after {:?}: {timed_out} timed out, {aborted} aborted; {} aborts sent, {} resets",
            t.elapsed(),
            after.aborts - before.aborts,
            after.resets - before.resets
        );
        all_back &= back == sent && bigs.len() == N;
        if timed_out >= 1 && after.aborts > before.aborts {
            recovered = true;
            break;
        }
    }
    c.ok(
        all_back && recovered,
        "timed-out commands are aborted, then the controller reset; all complete with their buffers",
    );
    ctrl.set_io_timeout(Duration::from_secs(30));
    let mut r = vec![0u8; 8 * 512];
    let ok = ctrl
        .execute(&Read::new(1, 8, 7).build(), Data::FromDevice(&mut r))
        .is_ok();
    c.ok(ok && r == w, "I/O works after the timeout recovery");

    // An Asynchronous Event Request has no timeout; shutdown aborts it.
    let aer = nvmeq_core::cmd::AsyncEventRequest::new().build();
    let r = ctrl.push(&aer, None, 99);
    c.ok(
        r.is_ok(),
        "an Asynchronous Event Request is queued on the admin queue",
    );
    ctrl.submit(0)?;
    std::thread::sleep(Duration::from_millis(50));
    let mut early = 0;
    ctrl.reap(|_| early += 1);
    c.ok(
        early == 0 && ctrl.in_flight() == 1,
        "it stays outstanding (no timeout applies)",
    );
    Ok(())
}

/// Format NVM on controller B's namespace 1 (4 KiB blocks in the guest):
/// the cached LBA size follows the new format, so transfer lengths do too.
fn format_changes_lba_size(bdf: &str, c: &mut Check) -> Result<(), Box<dyn std::error::Error>> {
    use nvmeq_core::cmd::FormatNvm;
    bind_vfio(bdf)?;
    {
        let mut ctrl = Controller::open(bdf)?;
        let before = ctrl.lba_size(1)?;
        // QEMU's LBA formats: 0 is 512 B, 4 is 4 KiB (no metadata).
        let (to, back) = if before == 4096 { (0, 4) } else { (4, 0) };
        ctrl.execute(&FormatNvm::new(1, to).build(), Data::None)?;
        let after = ctrl.lba_size(1)?;
        let mut r = vec![0u8; after as usize];
        let read = ctrl.execute(&Read::new(1, 0, 0).build(), Data::FromDevice(&mut r));
        ctrl.execute(&FormatNvm::new(1, back).build(), Data::None)?;
        let restored = ctrl.lba_size(1)?;
        c.ok(
            after != before && restored == before && read.is_ok(),
            &format!(
                "Format NVM: lba_size {before} -> {after} -> {restored}, one-block read {:?}",
                read.map(|_| ())
            ),
        );
    }
    bind_kernel(bdf)?;
    Ok(())
}
