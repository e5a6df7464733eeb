//! A fixed number of 4 KiB random reads through the engine, for counting
//! instructions per I/O with callgrind (see docs/benchmarks.md): run it
//! twice with different counts and divide the difference in instructions by
//! the difference in I/Os, so setup and teardown cancel out.
//!
//! `per_io ram|uring-loopback|vfio-model|vfio-model-prp|vfio-model-handle IOS [QD BATCH [LAT]]`
//! (LAT: off, sampled[:N], all). `vfio-model` is the VFIO driver on its
//! in-memory controller, set up like the guest's controller A on null-co
//! (4 KiB blocks, SGLs, shadow doorbells); `vfio-model-prp` the same
//! controller without SGL support, so data goes by PRPs; `vfio-model-handle`
//! the first through a `QueueHandle` of `Controller::into_shared` (what
//! `nvmeq bench vfio:… --jobs N` runs per job).

use nvmeq_bench::{Config, Limit, Pattern, Region};
use nvmeq_ram::{RamConfig, RamController};
use nvmeq_uring::{Uring, UringOptions};
use nvmeq_vfio::model::ModelConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: per_io ram|uring-loopback|vfio-model|vfio-model-prp|vfio-model-handle IOS [QD BATCH [off|sampled[:N]|all]]";
    let backend = args.first().ok_or(usage)?;
    let num = |i: usize, d: u64| -> Result<u64, String> {
        args.get(i)
            .map_or(Ok(d), |s| s.parse().map_err(|_| format!("`{s}`: {usage}")))
    };
    let mut cfg = Config::new(Pattern::RandRead);
    cfg.limit = Limit::Ios(num(1, 100_000)?);
    cfg.qd = num(2, 32)? as u32;
    cfg.batch = num(3, 8)? as u32;
    if let Some(lat) = args.get(4) {
        cfg.lat = lat.parse()?;
    }
    cfg.region = Some(Region {
        start_lba: 0,
        blocks: 1 << 15,
    });
    let r = match backend.as_str() {
        "ram" => nvmeq_bench::run(&cfg, || RamController::new(RamConfig::new(16 << 20, 512)))?,
        "uring-loopback" => nvmeq_bench::run(&cfg, || {
            Uring::loopback(UringOptions::new().depth(cfg.qd), 512)
        })?,
        "vfio-model" | "vfio-model-prp" => {
            let mut m = ModelConfig::qemu_null();
            if backend == "vfio-model-prp" {
                m.sgls = 0;
            }
            nvmeq_bench::run(&cfg, || {
                nvmeq_vfio::model::open(m.clone(), nvmeq_vfio::Options::default()).map(|(c, _)| c)
            })?
        }
        "vfio-model-handle" => {
            let (c, _model) =
                nvmeq_vfio::model::open(ModelConfig::qemu_null(), nvmeq_vfio::Options::default())?;
            let shared = c.into_shared();
            nvmeq_bench::run(&cfg, || shared.queue())?
        }
        _ => return Err(usage.into()),
    };
    println!("{r}");
    Ok(())
}
