//! The ram backend's queue path: 32 commands written, committed together and
//! reaped, with buffers reused across batches (no allocation per command).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nvmeq_core::cmd::{Flush, Read};
use nvmeq_core::{Backend, Cmd};
use nvmeq_ram::{RamBuf, RamConfig, RamController};

const BATCH: usize = 32;

fn controller() -> RamController {
    let mut cfg = RamConfig::new(1 << 30, 512);
    cfg.queue_depth = 1024;
    RamController::new(cfg).expect("valid config")
}

/// One batch: write every command with its buffer, commit, reap them back.
fn round_trip(c: &mut RamController, cmds: &[Cmd; BATCH], bufs: &mut Vec<Option<RamBuf>>) {
    for (i, cmd) in cmds.iter().enumerate() {
        let buf = bufs.pop().expect("one buffer per command");
        if c.push(cmd, buf, i as u64).is_err() {
            panic!("queue of 1024 cannot be full with 32 in flight");
        }
    }
    c.submit(BATCH as u32).expect("submit");
    c.reap(|r| {
        black_box(&r.result);
        bufs.push(r.buf);
    });
}

fn batch(c: &mut Criterion) {
    let mut g = c.benchmark_group("ram_batch32");
    g.throughput(Throughput::Elements(BATCH as u64));

    // Read, 1 block of 512 B each, from blocks written beforehand.
    let mut ctrl = controller();
    let reads: [Cmd; BATCH] = core::array::from_fn(|i| Read::new(1, (i as u64) * 8, 0).build());
    {
        let init = RamBuf(vec![0x5a; BATCH * 8 * 512]);
        let w = nvmeq_core::cmd::Write::new(1, 0, (BATCH * 8 - 1) as u16).build();
        ctrl.execute(&w, nvmeq_core::Data::ToDevice(&init.0))
            .expect("fill");
    }
    let mut bufs: Vec<Option<RamBuf>> = (0..BATCH).map(|_| Some(RamBuf::zeroed(512))).collect();
    g.bench_function("read_512", |b| {
        b.iter(|| round_trip(&mut ctrl, &reads, &mut bufs))
    });

    // Read, 4 KiB each.
    let reads4k: [Cmd; BATCH] = core::array::from_fn(|i| Read::new(1, (i as u64) * 8, 7).build());
    let mut bufs4k: Vec<Option<RamBuf>> = (0..BATCH).map(|_| Some(RamBuf::zeroed(4096))).collect();
    g.bench_function("read_4k", |b| {
        b.iter(|| round_trip(&mut ctrl, &reads4k, &mut bufs4k))
    });

    // Flush: no data, so this is the queue and command path alone.
    let flushes: [Cmd; BATCH] = [Flush::new(1).build(); BATCH];
    let mut none: Vec<Option<RamBuf>> = (0..BATCH).map(|_| None).collect();
    g.bench_function("flush", |b| {
        b.iter(|| round_trip(&mut ctrl, &flushes, &mut none))
    });
    g.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
