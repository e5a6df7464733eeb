// A buffer given to a future belongs to it until the future resolves.
use nvmeq_aio::{AsyncQueue, Signal};
use nvmeq_core::cmd::Read;
use nvmeq_core::IoBuf;
use nvmeq_uring::{Uring, UringBuf, UringOptions};

fn main() {
    let (q, _) = AsyncQueue::new(Uring::loopback(UringOptions::new(), 512).unwrap(), Signal::Poll);
    let buf = UringBuf::zeroed(512);
    let fut = q.submit(Read::new(1, 0, 0).build(), Some(buf));
    buf.as_slice();
    drop(fut);
}
