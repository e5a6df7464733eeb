//! The ram controller's state file (`ram:SIZE,file=PATH`) read back from
//! bytes a crash, another program or a hostile user left: no panic, a clear
//! error, and whatever loads saves to a state that loads to the same bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use nvmeq_core::cmd::{Read, Write};
use nvmeq_core::{Backend, Data};
use nvmeq_ram::{RamConfig, RamController};

/// Header bytes before the payload; the payload length at 16, its CRC at 24.
const HEADER: usize = 32;
const CRC: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_XZ);

#[derive(Debug, Arbitrary)]
struct Input {
    /// The bytes as given (the header's checks), else a real state altered
    /// and resealed (what lies behind the checksum).
    raw: bool,
    /// Bytes to overwrite: offset (wrapped to the length), value.
    patches: Vec<(u16, u8)>,
    /// Where to cut the real state (0: not cut).
    cut: u16,
    /// Bytes appended (or the whole file, when `raw`).
    tail: Vec<u8>,
}

fn config() -> RamConfig {
    RamConfig::new(8 << 10, 512)
}

/// A state with data in two places, so the media chunks are present.
fn baseline() -> &'static [u8] {
    static STATE: OnceLock<Vec<u8>> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut c = RamController::new(config()).expect("a valid configuration");
        let data: Vec<u8> = (0..1024u32).map(|i| (i * 13) as u8).collect();
        for slba in [0, 9] {
            c.execute(&Write::new(1, slba, 1).build(), Data::ToDevice(&data))
                .expect("a write within the namespace");
        }
        c.to_state()
    })
}

fuzz_target!(|input: Input| {
    let bytes = if input.raw {
        input.tail
    } else {
        let mut b = baseline().to_vec();
        if input.cut != 0 {
            b.truncate(HEADER.max(usize::from(input.cut) % (b.len() + 1)));
        }
        b.extend_from_slice(&input.tail);
        let len = b.len();
        for &(at, v) in input.patches.iter().take(16) {
            b[usize::from(at) % len] = v;
        }
        // Reseal, so the decoder past the checksum sees the change.
        let payload_len = (len - HEADER) as u64;
        let crc = CRC.checksum(&b[HEADER..]);
        b[16..24].copy_from_slice(&payload_len.to_le_bytes());
        b[24..32].copy_from_slice(&crc.to_le_bytes());
        b
    };
    match RamController::from_state(config(), &bytes) {
        Err(e) => {
            // The reason is printable and says something.
            assert!(!e.to_string().is_empty());
        }
        Ok(mut c) => {
            // What loaded saves, and loads again to the same controller (the
            // bytes differ only in the event log's clock, which runs on).
            let again = c.to_state();
            let mut c2 = RamController::from_state(config(), &again)
                .unwrap_or_else(|e| panic!("a state this build wrote does not load: {e}"));
            assert_eq!(
                c2.to_state().len(),
                again.len(),
                "a state does not save as it loaded"
            );
            assert_eq!(
                blocks(&mut c),
                blocks(&mut c2),
                "the data changed in a save and load"
            );
        }
    }
});

/// The blocks the baseline wrote, as namespace 1 returns them now (`None`
/// for one that cannot be read: the namespace may be gone or formatted).
fn blocks(c: &mut RamController) -> [Option<Vec<u8>>; 2] {
    [0, 9].map(|slba| {
        let mut b = vec![0u8; 512];
        c.execute(&Read::new(1, slba, 0).build(), Data::FromDevice(&mut b))
            .ok()
            .map(|_| b)
    })
}
