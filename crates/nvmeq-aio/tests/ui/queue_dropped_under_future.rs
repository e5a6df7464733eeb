// The queue (and its ring) cannot be dropped while a command's future lives.
use nvmeq_core::cmd::Flush;
use nvmeq_aio::AsyncQueue;
use nvmeq_uring::{Uring, UringOptions};

fn main() {
    let q = AsyncQueue::new(Uring::loopback(UringOptions::new(), 512).unwrap());
    let fut = q.submit(Flush::new(1).build(), None);
    drop(q);
    drop(fut);
}
