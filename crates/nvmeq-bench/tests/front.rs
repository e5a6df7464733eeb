//! `run_device` on the in-memory controller: jobs on queue handles of one
//! device, and the async engine.

use std::time::Duration;

use nvmeq_bench::front::{run_device, Request};
use nvmeq_bench::{Config, Engine, LatMode, Limit, Pattern, Region};

fn request(device: &str) -> Request {
    Request {
        device: device.into(),
        nsid: Some(1),
        ..Request::default()
    }
}

#[test]
fn jobs_share_one_ram_controller() {
    let mut cfg = Config::new(Pattern::RandRead);
    cfg.qd = 8;
    cfg.batch = 4;
    cfg.jobs = 3;
    cfg.limit = Limit::Ios(500);
    let r = run_device(&request("ram:16M"), &cfg).unwrap();
    assert_eq!((r.jobs, r.ios, r.backend.as_str()), (3, 1500, "ram"));
    // Each job's writes and checked reads go through its own queue of the
    // one controller; with --verify a read of a block another job wrote
    // checks too, since a block's contents depend only on its LBA.
    let mut cfg = Config::new(Pattern::Mixed { read_pct: 50 });
    cfg.allow_destructive = true;
    cfg.verify = true;
    cfg.qd = 4;
    cfg.jobs = 2;
    cfg.region = Some(Region {
        start_lba: 0,
        blocks: 256,
    });
    cfg.limit = Limit::Ios(2000);
    let r = run_device(&request("ram:1M"), &cfg).unwrap();
    assert_eq!(r.ios, 4000);
    assert!(r.verified.unwrap() > 0, "{r}");
}

#[test]
fn async_engine_on_ram() {
    let mut cfg = Config::new(Pattern::Mixed { read_pct: 70 });
    cfg.allow_destructive = true;
    cfg.engine = Engine::Async;
    cfg.qd = 16;
    cfg.limit = Limit::Ios(3000);
    let r = run_device(&request("ram:16M"), &cfg).unwrap();
    assert_eq!(
        (r.engine, r.ios, r.qd, r.jobs),
        (Engine::Async, 3000, 16, 1)
    );
    assert_eq!(r.reads + r.writes, 3000);
    // 70 % reads, within a generous margin of the seeded draw.
    assert!((1800..2400).contains(&r.reads), "{r}");
    assert_eq!(r.lat.samples, 3000, "every I/O timed with --lat all");
    assert!(r.to_string().contains("[async]"), "{r}");
    // The submit calls are counted: ram completes with the submit, so each
    // future submits its own command at once (one call per I/O), and every
    // I/O is submitted and reaped by one of the calls.
    assert_eq!(r.commits, 3000, "{r}");
    let per_call = |x: f64| (x * r.commits as f64).round() as u64;
    assert_eq!(per_call(r.submitted_per_call), 3000, "{r}");
    assert_eq!(per_call(r.reaped_per_call), 3000, "{r}");

    cfg.pattern = Pattern::Read;
    cfg.lat = LatMode::Sampled(10);
    cfg.limit = Limit::Runtime(Duration::from_millis(200));
    let r = run_device(&request("ram:16M"), &cfg).unwrap();
    assert!(r.ios > 0 && r.elapsed_s >= 0.2, "{r}");
    assert!(r.lat.samples <= r.ios / 10 + 16, "{r}");
}

#[test]
fn async_engine_reports_the_device_status() {
    // A region past the namespace's end: every command fails on the device,
    // and the run stops naming the status.
    let mut cfg = Config::new(Pattern::RandRead);
    cfg.engine = Engine::Async;
    cfg.qd = 4;
    cfg.region = Some(Region {
        start_lba: 1 << 30,
        blocks: 64,
    });
    cfg.limit = Limit::Ios(100);
    let e = run_device(&request("ram:1M"), &cfg)
        .unwrap_err()
        .to_string();
    assert!(e.contains("LBA Out of Range"), "{e}");
}

#[test]
fn async_engine_refuses_sync_only_options() {
    let mut cfg = Config::new(Pattern::RandRead);
    cfg.engine = Engine::Async;
    cfg.jobs = 2;
    let e = run_device(&request("ram:1M"), &cfg)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--jobs") && e.contains("--engine sync"), "{e}");
    cfg.jobs = 1;
    cfg.qd = 4;
    cfg.batch = 2;
    let e = run_device(&request("ram:1M"), &cfg)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--batch"), "{e}");
    // The ram controller's queue is shallower than asked.
    cfg.batch = 1;
    cfg.qd = 100_000;
    let e = run_device(&request("ram:1M"), &cfg)
        .unwrap_err()
        .to_string();
    assert!(e.contains("queue depth"), "{e}");
}
