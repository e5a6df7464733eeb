//! Arbitrary submission entries never panic the controller, and a failed
//! command never changes the data.

use nvmeq_core::{Backend, Cmd, Command, Data, DataDir, Error, QueueKind, Xfer};
use nvmeq_ram::{RamBuf, RamConfig, RamController};
use proptest::prelude::*;

/// Two 64 KiB namespaces (128 blocks each), MDTS 16 KiB.
fn controller() -> RamController {
    let mut cfg = RamConfig::new(64 << 10, 512);
    cfg.nn = 2;
    cfg.mdts = 2;
    cfg.queue_depth = 8;
    RamController::new(cfg).unwrap()
}

fn arb_cmd() -> impl Strategy<Value = (Cmd, usize)> {
    (
        any::<bool>(),
        prop_oneof![
            Just(0x00u8),
            Just(0x01),
            Just(0x02),
            Just(0x05),
            Just(0x06),
            Just(0x08),
            Just(0x09),
            Just(0x0a),
            Just(0x0c),
            Just(0x19),
            any::<u8>()
        ],
        prop_oneof![
            Just(0u32),
            Just(1),
            Just(2),
            Just(3),
            Just(u32::MAX),
            any::<u32>()
        ],
        prop::array::uniform6(prop_oneof![Just(0u32), 0u32..160, any::<u32>()]),
        0u8..4,
        prop_oneof![
            Just(Xfer::None),
            (0u32..70_000).prop_map(Xfer::Bytes),
            (0u32..300).prop_map(Xfer::Blocks)
        ],
        0usize..20_000,
    )
        .prop_map(|(admin, op, nsid, cdw, dir, xfer, len)| {
            let mut s = Command::new(op, nsid);
            [s.cdw10, s.cdw11, s.cdw12, s.cdw13, s.cdw14, s.cdw15] = cdw;
            let dir = DataDir::from_opcode_bits(dir);
            let cmd = Cmd {
                sqe: s,
                queue: if admin {
                    QueueKind::Admin
                } else {
                    QueueKind::Io
                },
                dir,
                xfer,
            };
            (cmd, len)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_command_completes_without_panicking((cmd, len) in arb_cmd()) {
        let mut c = controller();
        let mut buf = vec![0u8; len];
        let data = match cmd.dir {
            DataDir::ToDevice => Data::ToDevice(&buf),
            DataDir::None => Data::None,
            _ => Data::FromDevice(&mut buf),
        };
        let _ = c.execute(&cmd, data);
        // The queue path too.
        let _ = c.push(&cmd, Some(RamBuf::zeroed(len)), 1);
        let _ = c.submit(0);
        let mut n = 0;
        c.reap(|_| n += 1);
        prop_assert_eq!(c.in_flight(), 0);
    }

    #[test]
    fn failed_io_commands_leave_data_alone((cmd, len) in arb_cmd()) {
        let mut c = controller();
        let pattern: Vec<u8> = (0..64 << 10).map(|i: u32| (i % 241) as u8).collect();
        for nsid in 1..=2 {
            for (i, chunk) in pattern.chunks(16 * 1024).enumerate() {
                let mut s = Command::new(0x01, nsid);
                s.cdw10 = (i * 32) as u32;
                s.cdw12 = 31;
                c.execute(&Cmd::io(s, DataDir::ToDevice, Xfer::Blocks(32)), Data::ToDevice(chunk)).unwrap();
            }
        }
        let mut buf = vec![0xa5u8; len];
        let data = match cmd.dir {
            DataDir::ToDevice => Data::ToDevice(&buf),
            DataDir::None => Data::None,
            _ => Data::FromDevice(&mut buf),
        };
        let failed = matches!(c.execute(&cmd, data), Err(Error::Status(_)) | Err(Error::BufferTooSmall { .. }) | Err(Error::BufferMismatch { .. }));
        if failed {
            for nsid in 1..=2 {
                let mut back = vec![0u8; 64 << 10];
                for (i, chunk) in back.chunks_mut(16 * 1024).enumerate() {
                    let mut s = Command::new(0x02, nsid);
                    s.cdw10 = (i * 32) as u32;
                    s.cdw12 = 31;
                    c.execute(&Cmd::io(s, DataDir::FromDevice, Xfer::Blocks(32)), Data::FromDevice(chunk)).unwrap();
                }
                prop_assert!(back == pattern, "a failed {:?} changed namespace {}", cmd.sqe, nsid);
            }
        }
    }
}
