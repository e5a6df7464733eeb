//! Reading blocks concurrently with async/await under tokio.
//!
//! ```text
//! cargo run -p nvmeq-aio --example tokio -- /dev/ng0n1   # a real namespace
//! cargo run -p nvmeq-aio --example tokio -- loopback     # no device: NOP ring
//! ```
//!
//! The ring's completions signal an eventfd that tokio watches through
//! `AsyncFd`; one driver task submits what the futures wrote and reaps their
//! completions, waking each future. Any other reactor can do the same with
//! the eventfd, or a program can call `drive` in a loop.

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;

use nvmeq_aio::AsyncQueue;
use nvmeq_core::cmd::Read;
use nvmeq_core::{Backend, IoBuf};
use nvmeq_uring::{read_eventfd, Uring, UringOptions};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

const READS: u64 = 32;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = std::env::args().nth(1).unwrap_or_else(|| "loopback".into());
    let opts = UringOptions::new().depth(16);
    let mut uring = if target == "loopback" {
        Uring::loopback(opts, 512)?
    } else {
        Uring::open(&target, opts)?
    };
    let nsid = if target == "loopback" {
        1
    } else {
        uring.nsid()
    };
    let lba = uring.lba_size(nsid)?;
    let efd = uring.register_eventfd()?;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async move {
        // SAFETY: an OwnedFd is a valid, open descriptor that stays the same
        // until the AsyncFd drops it.
        let efd = unsafe { AsyncFd::register_with_interest(efd, Interest::READABLE) }
            .map_err(std::io::Error::from)?;
        let q = AsyncQueue::new(uring);

        // More reads than the queue is deep: the rest wait for room.
        let reads = async {
            let mut futs = Vec::new();
            for i in 0..READS {
                let buf = q.backend().alloc(lba as usize)?;
                futs.push(Some(q.submit(Read::new(nsid, i, 0).build(), Some(buf))));
            }
            let mut first_bytes = vec![0u8; READS as usize];
            let mut left = futs.len();
            poll_fn(|cx| {
                for (i, slot) in futs.iter_mut().enumerate() {
                    let Some(f) = slot else { continue };
                    if let Poll::Ready((result, buf)) = Pin::new(f).poll(cx) {
                        match result {
                            Ok(_) => first_bytes[i] = buf.map_or(0, |b| b.as_slice()[0]),
                            Err(e) => eprintln!("read of LBA {i} failed: {e}"),
                        }
                        *slot = None;
                        left -= 1;
                    }
                }
                if left == 0 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
            println!("{READS} reads of {lba} bytes done; first byte of each: {first_bytes:02x?}");
            Ok::<(), Box<dyn std::error::Error>>(())
        };

        // The driver: submit and reap whenever futures wrote commands or the
        // ring signalled completions. It runs until the reads are done.
        let drives = Cell::new(0u64);
        let driver = async {
            loop {
                q.drive(0)?;
                drives.set(drives.get() + 1);
                tokio::select! {
                    ready = efd.readable() => {
                        let mut guard = ready?;
                        read_eventfd(guard.get_inner())?;
                        guard.clear_ready();
                    }
                    _ = q.submit_needed() => {}
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), Box<dyn std::error::Error>>(())
        };

        tokio::select! {
            r = reads => r?,
            d = driver => d?,
        }
        println!("the driver entered the ring {} times", drives.get());
        assert_eq!(q.in_flight(), 0);
        Ok(())
    })
}
