//! The engine on a real io_uring whose commands complete as NOPs (the uring
//! backend's loopback ring): real `io_uring_enter` calls, counted by the
//! backend, so the one-syscall-per-batch claim is measured, not assumed.

use nvmeq_bench::{Config, Limit, Pattern, Region};
use nvmeq_uring::{Uring, UringOptions};

fn cfg(qd: u32, batch: u32, ios: u64) -> Config {
    let mut c = Config::new(Pattern::RandRead);
    c.qd = qd;
    c.batch = batch;
    c.limit = Limit::Ios(ios);
    // A loopback ring has no namespace to identify.
    c.region = Some(Region {
        start_lba: 0,
        blocks: 1 << 21,
    });
    c
}

#[test]
fn at_most_one_enter_per_batch() {
    for (qd, batch) in [(1, 1), (32, 8), (128, 32)] {
        let c = cfg(qd, batch, 20_000);
        let r =
            nvmeq_bench::run(&c, || Uring::loopback(UringOptions::new().depth(qd), 512)).unwrap();
        assert_eq!(r.ios, 20_000);
        assert_eq!(r.backend, "uring");
        let per_io = r
            .syscalls_per_io
            .expect("the uring backend counts its enters");
        assert!(
            per_io <= 1.0 / batch as f64,
            "QD {qd} batch {batch}: {per_io} io_uring_enter per I/O"
        );
        assert!(
            r.syscalls.unwrap() <= r.commits,
            "one enter per commit at most"
        );
    }
}

#[test]
fn registered_buffers_and_jobs() {
    let c = Config {
        jobs: 2,
        ..cfg(16, 4, 5_000)
    };
    let r = nvmeq_bench::run(&c, || {
        Uring::loopback(UringOptions::new().depth(16).fixed_buffers(16, 4096), 512)
    })
    .unwrap();
    assert_eq!(r.ios, 10_000);
    assert_eq!(r.lat.samples, 10_000);
}

#[test]
fn spinning_enters_only_to_submit() {
    // The loop's spin rounds `submit(0)`; on an interrupt-driven ring only
    // the ones that submit enter the kernel.
    for (qd, batch) in [(1, 1), (32, 8)] {
        let c = Config {
            spin: true,
            ..cfg(qd, batch, 20_000)
        };
        let r =
            nvmeq_bench::run(&c, || Uring::loopback(UringOptions::new().depth(qd), 512)).unwrap();
        assert_eq!(r.ios, 20_000);
        let per_io = r.syscalls_per_io.unwrap();
        assert!(
            per_io <= 1.0 / batch as f64,
            "QD {qd} batch {batch} spinning: {per_io} io_uring_enter per I/O"
        );
        assert!(r.submitted_per_call <= batch as f64);
    }
}
