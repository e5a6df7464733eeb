//! 4 KiB random-read IOPS over the VFIO backend's queue interface, for the
//! nvmeq guest (`cargo xtask vm exec --iommu -- /out/vfio_bench [SECS]`):
//! QD1 and QD32, then the controller goes back to `nvme` so a peer (fio) can
//! be measured in the same boot. Reads only; still refuses to run outside the
//! guest unless given `--device BDF`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use nvmeq_core::cmd::Read;
use nvmeq_core::Backend;
use nvmeq_vfio::{bind_kernel, bind_vfio, Controller, Options};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (bdf, secs) = match (args.get(1).map(String::as_str), args.get(2)) {
        (Some("--device"), Some(b)) => (b.clone(), args.get(3)),
        (s, _) if std::env::var("NVMEQ_GUEST").as_deref() == Ok("1") => (
            std::env::var("NVMEQ_PCI_A").unwrap_or_default(),
            s.map(|_| &args[1]),
        ),
        _ => {
            eprintln!(
                "usage: vfio_bench [SECS] in the nvmeq guest, or vfio_bench --device BDF [SECS]"
            );
            return ExitCode::from(2);
        }
    };
    let secs: u64 = secs.and_then(|s| s.parse().ok()).unwrap_or(3);
    match run(&bdf, Duration::from_secs(secs)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vfio_bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(bdf: &str, dur: Duration) -> Result<(), Box<dyn std::error::Error>> {
    bind_vfio(bdf)?;
    {
        let mut ctrl = Controller::open_with(bdf, Options::default())?;
        let blocks = 256 * 1024 * 1024 / 512u64; // the first 256 MiB
        for qd in [1u32, 32] {
            let mut bufs: Vec<_> = (0..qd)
                .map(|_| ctrl.alloc(4096))
                .collect::<Result<_, _>>()?;
            let mut rng = 0x2545_f491_4f6c_dd1du64;
            let mut next_lba = || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                (rng % (blocks / 8)) * 8
            };
            let db0 = ctrl.syscalls().unwrap_or(0);
            let start = Instant::now();
            let (mut done, mut errors) = (0u64, 0u64);
            loop {
                while let Some(b) = bufs.pop() {
                    if let Err(rej) = ctrl.push(&Read::new(1, next_lba(), 7).build(), Some(b), 0) {
                        bufs.extend(rej.into_buf());
                        break;
                    }
                }
                ctrl.submit(1)?;
                ctrl.reap(|rp| {
                    done += 1;
                    errors += rp.result.is_err() as u64;
                    bufs.extend(rp.buf);
                });
                if start.elapsed() >= dur {
                    break;
                }
            }
            // Drain.
            while ctrl.in_flight() > 0 {
                ctrl.submit(1)?;
                ctrl.reap(|rp| {
                    done += 1;
                    bufs.extend(rp.buf);
                });
            }
            let t = start.elapsed().as_secs_f64();
            let db = ctrl.syscalls().unwrap_or(0) - db0;
            println!(
                "vfio 4k randread QD{qd}: {:.0} IOPS ({done} I/Os in {t:.2} s, {errors} errors, {:.2} MMIO doorbells per I/O)",
                done as f64 / t,
                db as f64 / done.max(1) as f64
            );
        }
        ctrl.shutdown()?;
    }
    bind_kernel(bdf)?;
    Ok(())
}
