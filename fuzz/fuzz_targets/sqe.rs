//! Any 64-byte submission entry on either queue: decoding it into a typed
//! command, describing it, and planning its transfer for any namespace
//! format; and any 16-byte completion's status.
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use nvmeq_core::format::{plan, NsFormat};
use nvmeq_core::{Cmd, Command, Completion, IdentifyNamespace, QueueKind};
use std::hint::black_box;
use zerocopy::FromBytes;

#[derive(Debug, Arbitrary)]
struct Input {
    admin: bool,
    sqe: [u8; 64],
    cqe: [u8; 16],
    /// Identify Namespace bytes (zero-padded) that give the format.
    id_ns: Vec<u8>,
    max_xfer: u32,
    has_meta: bool,
}

fuzz_target!(|i: Input| {
    let queue = if i.admin {
        QueueKind::Admin
    } else {
        QueueKind::Io
    };
    let sqe = Command::read_from_bytes(&i.sqe).expect("64 bytes");
    if let Some(cmd) = Cmd::from_sqe(queue, sqe) {
        assert_eq!(cmd.queue, queue);
        black_box((cmd.nsid(), cmd.opcode_name(), format!("{}", cmd.describe())));
        let mut page = [0u8; 4096];
        let n = i.id_ns.len().min(page.len());
        page[..n].copy_from_slice(&i.id_ns[..n]);
        let ns = IdentifyNamespace::read_from_bytes(&page).expect("4096 bytes");
        let f = NsFormat::from_identify(&ns).ok().flatten();
        for fmt in [None, f] {
            if let Ok(p) = plan(&cmd, fmt, i.max_xfer, i.has_meta) {
                // What goes to a device is within its limit, and a metadata
                // buffer is there exactly when metadata moves.
                assert!(p.data <= i.max_xfer);
                assert_eq!(p.meta > 0, i.has_meta && p.data > 0, "{p:?}");
            }
        }
    }
    let c = Completion::read_from_bytes(&i.cqe).expect("16 bytes");
    let s = c.status();
    let shown = format!("{s}");
    assert!(!shown.is_empty());
    if let Some(name) = s.name() {
        assert!(shown.contains(name), "`{shown}` names `{name}`");
    }
    black_box((
        c.phase(),
        c.result(),
        s.is_success(),
        s.is_retryable(),
        c.ok().is_ok(),
    ));
});
