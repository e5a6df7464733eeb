//! Command encoding and completion decoding: the per-command cost every
//! backend pays on top of its transport.
//!
//! Each iteration handles a ring of 32 entries, as a backend filling a
//! submission queue or draining a completion queue does, so criterion's
//! per-iteration overhead does not swamp nanosecond costs; throughput is
//! reported per entry. The single-entry variants are there for comparison.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nvmeq_core::cmd::Read;
use nvmeq_core::{Command, Completion, Status};
use zerocopy::{FromBytes, IntoBytes};

const RING: usize = 32;

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    // Build a Read from its fields and store the 64-byte entry in a ring slot.
    let mut ring = [Command::default(); RING];
    let mut slba = 0u64;
    g.throughput(Throughput::Elements(RING as u64));
    g.bench_function("read_x32", |b| {
        b.iter(|| {
            let base = black_box(slba);
            for (i, slot) in ring.iter_mut().enumerate() {
                let cmd = Read::new(black_box(1), base + i as u64 * 8, black_box(7)).build();
                *slot = cmd.sqe;
            }
            slba = slba.wrapping_add(RING as u64 * 8);
            black_box(&mut ring);
        })
    });
    // The same, one command per iteration, into raw bytes.
    let mut bytes = [0u8; 64];
    g.throughput(Throughput::Elements(1));
    g.bench_function("read_x1", |b| {
        b.iter(|| {
            slba = slba.wrapping_add(8);
            let cmd = Read::new(black_box(1), black_box(slba), black_box(7)).build();
            bytes.copy_from_slice(cmd.sqe.as_bytes());
            black_box(&mut bytes);
        })
    });
    g.finish();
}

/// A completion queue's bytes: LBA Out of Range with DNR on every 4th entry,
/// success elsewhere, phase 1, so status decoding does real work.
fn cq_bytes() -> [u8; RING * 16] {
    let mut raw = [0u8; RING * 16];
    for (i, e) in raw.chunks_exact_mut(16).enumerate() {
        let status: u16 = if i % 4 == 3 {
            (0x80 << 1) | (1 << 15)
        } else {
            0
        };
        e[12..14].copy_from_slice(&(i as u16).to_le_bytes());
        e[14..16].copy_from_slice(&(1 | status).to_le_bytes());
    }
    raw
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    let raw = cq_bytes();
    g.throughput(Throughput::Elements(RING as u64));
    g.bench_function("completion_x32", |b| {
        b.iter(|| {
            let cq = <[Completion; RING]>::ref_from_bytes(black_box(&raw[..])).unwrap();
            let (mut failed, mut cids) = (0u32, 0u32);
            for cqe in cq {
                let s: Status = cqe.status();
                if cqe.phase() && !s.is_success() && s.dnr() {
                    failed += (s.sct().0 as u32) << 8 | s.sc() as u32;
                }
                cids += cqe.cid as u32;
            }
            black_box((failed, cids))
        })
    });
    let one = &raw[16 * 3..16 * 4];
    g.throughput(Throughput::Elements(1));
    g.bench_function("completion_x1", |b| {
        b.iter(|| {
            let cqe = Completion::read_from_bytes(black_box(one)).unwrap();
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
