// A buffer moved into the queue cannot be read while the command is in flight.
use nvmeq_core::cmd::Read;
use nvmeq_core::{Backend, IoBuf};
use nvmeq_uring::{Uring, UringOptions};

fn main() {
    let mut u = Uring::loopback(UringOptions::new(), 512).unwrap();
    let buf = u.alloc(512).unwrap();
    let _ = u.push(&Read::new(1, 0, 0).build(), Some(buf), 0);
    println!("{}", buf.as_slice()[0]);
}
