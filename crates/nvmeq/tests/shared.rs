//! `SharedDevice` queue handles on the host: the shared in-memory controller
//! (data written through one thread's handle is read back through
//! another's) and io_uring loopback rings (a ring per handle, every
//! completion back on the handle that pushed it).
#![cfg(all(feature = "ram", feature = "uring"))]

use std::collections::HashSet;

use nvmeq::nvme::cmd::{Read, Write};
use nvmeq::{Backend, BackendKind, IoBuf, QueueError, QueueHandle, SharedDevice};

const LBA: usize = 512;
/// Blocks each thread writes, one command each.
const BLOCKS: u64 = 64;
const QD: usize = 8;

fn pattern(thread: u64, lba: u64) -> Vec<u8> {
    (0..LBA)
        .map(|i| (thread as usize * 131 + lba as usize * 7 + i) as u8)
        .collect()
}

/// Runs `cmds` through `q`'s queue interface, `QD` at a time, and returns
/// each command's tag with its buffer, in completion order.
fn run_queued(
    q: &mut QueueHandle,
    cmds: Vec<(nvmeq::Cmd, nvmeq::AnyBuf)>,
) -> Vec<(u64, nvmeq::AnyBuf)> {
    let mut pending = cmds.into_iter().enumerate();
    let mut done = Vec::new();
    let total = pending.len();
    let mut next = pending.next();
    while done.len() < total {
        while let Some((tag, (cmd, buf))) = next.take() {
            match q.push(&cmd, Some(buf), tag as u64) {
                Ok(()) => next = pending.next(),
                Err(nvmeq::Rejected::Full(b)) => {
                    next = Some((tag, (cmd, b.expect("full hands the buffer back"))));
                    break;
                }
                Err(nvmeq::Rejected::Invalid { error, .. }) => panic!("push: {error}"),
            }
            if q.in_flight() as usize >= QD {
                break;
            }
        }
        q.submit(1).expect("submit");
        q.reap(|r| {
            r.result.expect("command failed");
            done.push((r.tag, r.buf.expect("buffer back")));
        });
    }
    done
}

fn write_mine(q: &mut QueueHandle, thread: u64) {
    let cmds = (0..BLOCKS)
        .map(|i| {
            let lba = thread * BLOCKS + i;
            let mut b = q.alloc(LBA).unwrap();
            b.as_mut_slice().copy_from_slice(&pattern(thread, lba));
            (Write::new(1, lba, 0).build(), b)
        })
        .collect();
    let done = run_queued(q, cmds);
    let tags: HashSet<u64> = done.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        tags.len(),
        BLOCKS as usize,
        "every write completes once on its own handle"
    );
}

/// The blocks `thread` wrote, read back through `q`: how many match.
fn check(q: &mut QueueHandle, thread: u64) -> u64 {
    let cmds = (0..BLOCKS)
        .map(|i| {
            (
                Read::new(1, thread * BLOCKS + i, 0).build(),
                q.alloc(LBA).unwrap(),
            )
        })
        .collect();
    run_queued(q, cmds)
        .into_iter()
        .filter(|(tag, b)| b.as_slice() == pattern(thread, thread * BLOCKS + tag))
        .count() as u64
}

#[test]
fn handles_are_send_and_the_device_is_shared() {
    fn send<T: Send>() {}
    fn sync<T: Send + Sync>() {}
    send::<QueueHandle>();
    sync::<SharedDevice>();
}

#[test]
fn ram_threads_share_one_controller() {
    let dev = nvmeq::open_shared("ram:16M", 2).unwrap();
    assert_eq!((dev.backend(), dev.max_queues()), (BackendKind::Ram, None));
    // Each thread writes its own blocks, then reads the other thread's.
    let matched: Vec<u64> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..2u64)
            .map(|t| {
                let mut q = dev.queue().unwrap();
                s.spawn(move || {
                    write_mine(&mut q, t);
                    q
                })
            })
            .collect();
        let mut qs = writers.into_iter().map(|h| h.join().unwrap());
        let (mut qa, mut qb) = (qs.next().unwrap(), qs.next().unwrap());
        let ra = s.spawn(move || check(&mut qa, 1));
        let rb = s.spawn(move || check(&mut qb, 0));
        vec![ra.join().unwrap(), rb.join().unwrap()]
    });
    assert_eq!(matched, vec![BLOCKS, BLOCKS]);
}

#[test]
fn ram_completions_stay_on_their_handle() {
    let dev = nvmeq::open_shared("ram:1M", 2).unwrap();
    let (mut a, mut b) = (dev.queue().unwrap(), dev.queue().unwrap());
    for tag in 0..4 {
        let buf = a.alloc(LBA).unwrap();
        a.push(&Read::new(1, tag, 0).build(), Some(buf), 100 + tag)
            .unwrap();
    }
    for tag in 0..3 {
        let buf = b.alloc(LBA).unwrap();
        b.push(&Read::new(1, tag, 0).build(), Some(buf), 200 + tag)
            .unwrap();
    }
    assert_eq!(b.submit(3).unwrap(), 3);
    let mut tags = Vec::new();
    b.reap(|r| tags.push(r.tag));
    assert_eq!(tags, vec![200, 201, 202]);
    assert_eq!(a.in_flight(), 4, "b's submit ran none of a's commands");
    assert_eq!(a.submit(4).unwrap(), 4);
    tags.clear();
    a.reap(|r| tags.push(r.tag));
    assert_eq!(tags, vec![100, 101, 102, 103]);
    // A short buffer fails its command (at reap) and nothing else.
    let buf = a.alloc(LBA / 2).unwrap();
    a.push(&Read::new(1, 0, 0).build(), Some(buf), 7).unwrap();
    a.submit(1).unwrap();
    let mut err = None;
    a.reap(|r| err = r.result.err());
    assert!(
        matches!(err, Some(nvmeq::Error::BufferTooSmall { .. })),
        "{err:?}"
    );
}

#[test]
fn the_controller_outlives_the_shared_device() {
    let dev = nvmeq::open_shared("ram:1M", 1).unwrap();
    let mut w = dev.queue().unwrap();
    let mut r = dev.queue().unwrap();
    drop(dev);
    write_mine(&mut w, 0);
    drop(w);
    assert_eq!(check(&mut r, 0), BLOCKS);
}

#[test]
fn uring_loopback_rings_per_handle() {
    let dev = SharedDevice::uring_loopback(nvmeq::uring::UringOptions::new().depth(QD as u32), 512)
        .unwrap();
    let results: Vec<(i32, Vec<u64>, usize)> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let mut q = dev.queue().unwrap();
                s.spawn(move || {
                    let fd = match &q {
                        QueueHandle::Uring(u) => u.ring_fd(),
                        other => panic!("not a ring: {other:?}"),
                    };
                    // Loopback commands leave buffers alone: each comes back
                    // with the bytes it went in with.
                    let cmds = (0..500u64)
                        .map(|i| {
                            let mut b = q.alloc(LBA).unwrap();
                            b.as_mut_slice().copy_from_slice(&pattern(fd as u64, i));
                            (Read::new(1, i, 0).build(), b)
                        })
                        .collect();
                    let done = run_queued(&mut q, cmds);
                    let intact = done
                        .iter()
                        .filter(|(t, b)| b.as_slice() == pattern(fd as u64, *t))
                        .count();
                    let mut tags: Vec<u64> = done.into_iter().map(|(t, _)| t).collect();
                    tags.sort_unstable();
                    (fd, tags, intact)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_ne!(results[0].0, results[1].0, "each handle has its own ring");
    for (_, tags, intact) in &results {
        assert_eq!(*tags, (0..500).collect::<Vec<u64>>());
        assert_eq!(*intact, 500);
    }
}

#[test]
fn open_shared_names_what_it_cannot_share() {
    let e = nvmeq::open_shared("ram:banana", 2).unwrap_err().to_string();
    assert!(e.contains("banana"), "{e}");
    // Exhausted queues say how many there were and what to do.
    let e = QueueError::Exhausted {
        backend: BackendKind::Vfio,
        granted: 2,
    }
    .to_string();
    assert!(
        e.contains("all 2 I/O queues") && e.contains("open_shared"),
        "{e}"
    );
}
