// A future takes only an owned buffer: memory it borrowed could be freed
// while the dropped future's command is still in flight.
use nvmeq_aio::{AsyncQueue, Signal};
use nvmeq_core::cmd::Read;
use nvmeq_ram::{RamConfig, RamController};

fn main() {
    let ram = RamController::new(RamConfig::new(1 << 20, 512)).unwrap();
    let (q, _) = AsyncQueue::new(ram, Signal::OnSubmit);
    let mut local = [0u8; 512];
    let fut = q.submit(Read::new(1, 0, 0).build(), Some(&mut local[..]));
    drop(fut);
}
