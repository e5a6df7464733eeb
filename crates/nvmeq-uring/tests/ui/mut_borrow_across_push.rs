// A `&mut` into a buffer cannot be kept across handing the buffer to the queue.
use nvmeq_core::cmd::Read;
use nvmeq_core::{Backend, IoBuf};
use nvmeq_uring::{Uring, UringOptions};

fn main() {
    let mut u = Uring::loopback(UringOptions::new(), 512).unwrap();
    let mut buf = u.alloc(512).unwrap();
    let bytes = buf.as_mut_slice();
    let _ = u.push(&Read::new(1, 0, 0).build(), Some(buf), 0);
    bytes[0] = 1;
}
