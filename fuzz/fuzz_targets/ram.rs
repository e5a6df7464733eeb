//! The ram controller fed arbitrary submission entries and buffers, as a
//! buggy or hostile host would: no panic, and a command that fails changes
//! no data.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use nvmeq_core::cmd::{Identify, Read};
use nvmeq_core::{Backend, Cmd, Command, Data, DataDir, IdentifyNamespace, QueueKind, Xfer};
use nvmeq_ram::{RamConfig, RamController};
use zerocopy::FromBytes;

/// Namespace size: small, so checking "nothing changed" stays cheap.
const NS_BYTES: u64 = 64 << 10;

#[derive(Debug, Arbitrary)]
struct Op {
    admin: bool,
    sqe: [u8; 64],
    /// Declared transfer for entries the core cannot size itself.
    bytes: u16,
    /// Buffer length handed over, which may disagree with the command.
    buf_len: u16,
    fill: u8,
}

fuzz_target!(|input: (bool, Vec<Op>)| {
    let (big_lba, ops) = input;
    let lba = if big_lba { 4096 } else { 512 };
    let Ok(mut c) = RamController::new(RamConfig::new(NS_BYTES, lba)) else {
        return;
    };
    for op in ops.iter().take(8) {
        let queue = if op.admin {
            QueueKind::Admin
        } else {
            QueueKind::Io
        };
        let sqe = Command::read_from_bytes(&op.sqe).expect("64 bytes");
        let cmd = Cmd::from_sqe(queue, sqe).unwrap_or_else(|| {
            let dir = DataDir::from_opcode_bits(sqe.opcode());
            let xfer = match dir {
                DataDir::None => Xfer::None,
                _ => Xfer::Bytes(u32::from(op.bytes)),
            };
            match queue {
                QueueKind::Admin => Cmd::admin(sqe, dir, xfer),
                QueueKind::Io => Cmd::io(sqe, dir, xfer),
            }
        });
        let before = contents(&mut c);
        let mut buf = vec![op.fill; usize::from(op.buf_len)];
        let data = match cmd.dir {
            DataDir::None => Data::None,
            DataDir::ToDevice => Data::ToDevice(&buf),
            DataDir::FromDevice => Data::FromDevice(&mut buf),
            _ => Data::None,
        };
        if c.execute(&cmd, data).is_err() {
            assert_eq!(
                contents(&mut c),
                before,
                "a failed {} changed the namespace",
                cmd.describe()
            );
        }
    }
});

/// Namespace 1's blocks, read back through the controller; `None` when it
/// has none (deleted, or formatted to something unreadable).
fn contents(c: &mut RamController) -> Option<Vec<u8>> {
    let mut id = vec![0u8; 4096];
    c.execute(&Identify::namespace(1).build(), Data::FromDevice(&mut id))
        .ok()?;
    let ns = IdentifyNamespace::read_from_bytes(&id).ok()?;
    let lba = u64::from(ns.lba_size()?);
    let blocks = ns.nsze;
    if blocks == 0 || blocks * lba > 4 * NS_BYTES {
        return None;
    }
    let per = (16u64 << 10) / lba;
    let mut out = vec![0u8; (blocks * lba) as usize];
    for (i, chunk) in out.chunks_mut((per * lba) as usize).enumerate() {
        let n = chunk.len() as u64 / lba;
        let cmd = Read::new(1, i as u64 * per, (n - 1) as u16).build();
        c.execute(&cmd, Data::FromDevice(chunk)).ok()?;
    }
    Some(out)
}
