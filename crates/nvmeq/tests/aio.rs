//! The async API on a tokio multi-thread runtime: many spawned tasks on one
//! device, verified data, dropped in-flight futures.
#![cfg(all(feature = "ram", feature = "tokio"))]

use std::future::{poll_fn, Future};
use std::task::Poll;

use nvmeq::{AsyncDevice, IoBuf};

const TASKS: u64 = 16;
const IOS: u64 = 64;

fn pattern(lba: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (lba as usize * 31 + i) as u8).collect()
}

/// `TASKS` tasks, each writing and reading back `IOS` blocks of its own.
async fn tasks(dev: &AsyncDevice, nsid: u32) -> (u64, u64) {
    let lba = dev.lba_size(nsid).unwrap() as usize;
    let handles: Vec<_> = (0..TASKS)
        .map(|t| {
            let dev = dev.clone();
            tokio::spawn(async move {
                let (mut pass, mut fail) = (0, 0);
                let mut buf = dev.alloc(lba).unwrap();
                for i in 0..IOS {
                    let slba = t * IOS + i;
                    buf.as_mut_slice().copy_from_slice(&pattern(slba, lba));
                    let (r, b) = dev.write(nsid, slba, buf).await;
                    r.unwrap();
                    let mut b = b.unwrap();
                    b.as_mut_slice().fill(0);
                    let (r, b) = dev.read(nsid, slba, b).await;
                    r.unwrap();
                    buf = b.unwrap();
                    if buf.as_slice() == pattern(slba, lba) {
                        pass += 1;
                    } else {
                        fail += 1;
                    }
                }
                (pass, fail)
            })
        })
        .collect();
    let (mut pass, mut fail) = (0, 0);
    for h in handles {
        let (p, f) = h.await.unwrap();
        pass += p;
        fail += f;
    }
    (pass, fail)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_tasks_write_and_read_back_on_the_in_memory_controller() {
    let dev = AsyncDevice::spawn(nvmeq::open("ram:16M,qd=8").unwrap()).unwrap();
    let (pass, fail) = tasks(&dev, 1).await;
    assert_eq!((pass, fail), (TASKS * IOS, 0));
    let id = dev.identify_controller().await.unwrap();
    assert!(id.mn().unwrap().starts_with("nvmeq"), "{:?}", id.mn());
    let ns = dev.identify_namespace(1).await.unwrap();
    assert_eq!(ns.nsze, 16 << 20 >> 9);
    dev.flush(1).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_loopback_ring_completes_through_its_eventfd() {
    // NOP commands: the data is not checked, the eventfd-driven driver is.
    let u = nvmeq_uring::Uring::loopback(nvmeq_uring::UringOptions::new().depth(8), 512).unwrap();
    let dev = AsyncDevice::spawn(nvmeq::Device::from(u)).unwrap();
    let handles: Vec<_> = (0..TASKS)
        .map(|_| {
            let dev = dev.clone();
            tokio::spawn(async move {
                for i in 0..IOS {
                    let (r, b) = dev.read(1, i, dev.alloc(512).unwrap()).await;
                    r.unwrap();
                    assert_eq!(b.unwrap().len(), 512);
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_resolves_with_the_buffer() {
    let dev = AsyncDevice::spawn(nvmeq::open("ram:1M").unwrap()).unwrap();
    let (r, b) = dev.read(1, 0, dev.alloc(100).unwrap()).await;
    assert_eq!(
        r.unwrap_err(),
        nvmeq::Error::NotBlockMultiple {
            len: 100,
            lba_size: 512
        }
    );
    assert_eq!(b.unwrap().len(), 100);
    let (r, _) = dev.read(1, 1 << 40, dev.alloc(512).unwrap()).await;
    assert!(matches!(r, Err(nvmeq::Error::Status(_))), "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_dropped_in_flight_futures_on_a_ring() {
    // Futures polled once (their commands written) and dropped: the queue
    // keeps each buffer until its completion, then recycles it.
    let u = nvmeq_uring::Uring::loopback(nvmeq_uring::UringOptions::new().depth(32), 512).unwrap();
    let dev = AsyncDevice::spawn(nvmeq::Device::from(u)).unwrap();
    for round in 0..20u64 {
        for i in 0..32u64 {
            let mut f = Box::pin(dev.write(1, round * 32 + i, dev.alloc(512).unwrap()));
            poll_fn(|cx| {
                assert!(f.as_mut().poll(cx).is_pending());
                Poll::Ready(())
            })
            .await;
            drop(f);
        }
        // Then one that completes: the dropped ones ahead of it have too.
        let (r, _) = dev.read(1, 0, dev.alloc(512).unwrap()).await;
        r.unwrap();
        while dev.queue().in_flight() > 0 {
            tokio::task::yield_now().await;
        }
    }
    let q = dev.queue();
    assert_eq!(q.abandoned(), 640);
    assert_eq!(q.unexpected(), 0);
    assert!(q.spares() > 0 && q.spares() <= 32, "{}", q.spares());
}
