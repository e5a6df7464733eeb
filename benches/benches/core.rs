//! Command encoding and completion decoding: the per-command cost every
//! backend pays on top of its transport.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nvmeq_core::cmd::Read;
use nvmeq_core::{Completion, Status};
use zerocopy::{FromBytes, IntoBytes};

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(1));
    // Build a Read from its fields and write the 64-byte entry into a slot,
    // as a backend does when it fills a submission queue.
    let mut slot = [0u8; 64];
    let mut slba = 0u64;
    g.bench_function("read_build_and_encode", |b| {
        b.iter(|| {
            slba = slba.wrapping_add(8);
            let cmd = Read::new(black_box(1), black_box(slba), black_box(7)).build();
            slot.copy_from_slice(cmd.sqe.as_bytes());
            black_box(&mut slot);
        })
    });
    g.finish();
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    // A completion as it sits in a completion queue: LBA Out of Range with
    // DNR, phase 1, so status decoding does real work.
    let raw_status: u16 = 1 | (0x80 << 1) | (1 << 15);
    let mut entry = [0u8; 16];
    entry[12..14].copy_from_slice(&0x1234u16.to_le_bytes());
    entry[14..16].copy_from_slice(&raw_status.to_le_bytes());
    g.bench_function("completion_and_status", |b| {
        b.iter(|| {
            let cqe = Completion::read_from_bytes(black_box(&entry[..])).unwrap();
            let s: Status = cqe.status();
            black_box((
                cqe.cid,
                cqe.phase(),
                s.sct(),
                s.sc(),
                s.dnr(),
                s.is_success(),
            ))
        })
    });
    g.finish();
}

criterion_group!(benches, encode, decode);
criterion_main!(benches);
