// A registered buffer (and its index) only comes from a pool: it cannot be
// made up to point the kernel at another buffer's memory.
use nvmeq_uring::FixedBuf;

fn main() {
    let _b = FixedBuf { index: 3, len: 4096 };
}
