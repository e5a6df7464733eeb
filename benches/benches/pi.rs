//! End-to-end protection on the host: generating and verifying PI over
//! 4 KiB blocks with separate metadata, for the 16b and 64b guards. One
//! iteration handles 32 blocks (128 KiB); throughput counts data bytes.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nvmeq_core::format::NsFormat;
use nvmeq_core::pi::{generate, verify, Pi, PiType, Pif, Prchk, Tags};

const BLOCKS: usize = 32;
const LBA: usize = 4096;

fn formats() -> [(&'static str, NsFormat); 2] {
    [
        (
            "16b",
            NsFormat::separate(LBA as u32, 8).with_pi(Pi::new(PiType::Type1, Pif::Guard16)),
        ),
        (
            "64b",
            NsFormat::separate(LBA as u32, 16).with_pi(Pi::new(PiType::Type1, Pif::Guard64)),
        ),
    ]
}

fn pi(c: &mut Criterion) {
    let mut g = c.benchmark_group("pi");
    g.throughput(Throughput::Bytes((BLOCKS * LBA) as u64));
    let mut data: Vec<u8> = (0..BLOCKS * LBA).map(|i| (i * 7 + 3) as u8).collect();
    let tags = Tags::new(0x1000).with_app(0x4242, 0xffff);
    for (name, fmt) in formats() {
        let mut meta = vec![0u8; BLOCKS * fmt.meta_bytes as usize];
        g.bench_function(format!("generate_verify_{name}_4k"), |b| {
            b.iter(|| {
                let n = generate(&fmt, black_box(&mut data), &mut meta, &tags);
                let v = verify(&fmt, black_box(&data), &meta, &tags, Prchk::ALL);
                assert_eq!((n, v), (Ok(BLOCKS as u32), Ok(BLOCKS as u32)));
            })
        });
        g.bench_function(format!("generate_{name}_4k"), |b| {
            b.iter(|| generate(&fmt, black_box(&mut data), &mut meta, &tags))
        });
        g.bench_function(format!("verify_{name}_4k"), |b| {
            b.iter(|| verify(&fmt, black_box(&data), &meta, &tags, Prchk::ALL))
        });
    }
    // What a build of nvmeq-core without `std` computes its guards with: the
    // crc crate's slice-by-16 tables, one 4 KiB block per call.
    const T16: crc::Crc<u16, crc::Table<16>> =
        crc::Crc::<u16, crc::Table<16>>::new(&crc::CRC_16_T10_DIF);
    const T64: crc::Crc<u64, crc::Table<16>> =
        crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_NVME);
    g.bench_function("table_crc16_4k", |b| {
        b.iter(|| {
            let mut x = 0u16;
            for blk in black_box(&data).chunks_exact(LBA) {
                x ^= T16.checksum(blk);
            }
            x
        })
    });
    g.bench_function("table_crc64_4k", |b| {
        b.iter(|| {
            let mut x = 0u64;
            for blk in black_box(&data).chunks_exact(LBA) {
                x ^= T64.checksum(blk);
            }
            x
        })
    });
    g.finish();
}

criterion_group!(benches, pi);
criterion_main!(benches);
