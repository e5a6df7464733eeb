//! The bad-input table: each case must give its decoded NVMe status or a
//! clear error, never a panic or a hang.

use nvmeq_core::cmd::{Identify, Read, Write};
use nvmeq_core::{Cmd, Command, Data, DataDir, Error, Status, Xfer};

use crate::check::expect_status;
use crate::registry::HwBackend;
use crate::runner::TestResult;
use crate::suite::Ctx;

/// Read one block at LBA NSZE: LBA Out of Range (SCT 0h, SC 80h).
pub fn lba_out_of_range<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; c.lba as usize];
    let r = c.b.execute(
        &Read::new(c.nsid, c.nsze, 0).build(),
        Data::FromDevice(&mut buf),
    );
    if c.fabrics() {
        if let Err(Error::Status(st)) = &r {
            if st.matches_code(Status::CAPACITY_EXCEEDED) {
                // Linux nvmet checks the range against the capacity first.
                return Ok(format!(
                    "{st}: how the fabrics target (nvmet) refuses a read past NSZE"
                ));
            }
            if st.matches_code(Status::INTERNAL_ERROR) {
                // nvmet's block-device namespaces (the guest's null_blk
                // nsid 2) leave the range to the block layer, whose refusal
                // nvmet reports as Internal Error.
                return Ok(format!(
                    "{st}: how the fabrics target (nvmet) refuses a read past NSZE on a block-device namespace"
                ));
            }
        }
    }
    expect_status(r, Status::LBA_OUT_OF_RANGE)
}

/// Identify Namespace with an NSID above NN: Invalid Namespace or Format (SCT 0h, SC 0Bh).
pub fn invalid_nsid_admin<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let nn = c.id_ctrl.nn;
    let bad = nn.saturating_add(1).min(0xffff_fffe);
    let mut buf = vec![0u8; 4096];
    let r = c.b.execute(
        &Identify::namespace(bad).build(),
        Data::FromDevice(&mut buf),
    );
    if c.fabrics() && r.is_ok() && buf.iter().all(|&b| b == 0) {
        // Linux nvmet answers any NSID it has no namespace for with a zeroed
        // structure, as for an inactive one, not with Invalid Namespace or Format.
        return Ok(format!(
            "nsid {bad} (NN {nn}): a zeroed structure, as the fabrics target (nvmet) answers"
        ));
    }
    expect_status(r, Status::INVALID_NS_OR_FORMAT).map(|d| format!("nsid {bad}: {d}"))
}

/// Read from an NSID that is not the device's: refused (Linux passthrough
/// sends I/O only to the device's own namespace) or Invalid Namespace or Format.
pub fn invalid_nsid_io<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let bad = c.nsid.wrapping_add(0x100);
    let mut buf = vec![0u8; c.lba as usize];
    match c
        .b
        .execute(&Read::new(bad, 0, 0).build(), Data::FromDevice(&mut buf))
    {
        Err(e @ Error::NsidMismatch { nsid, .. }) if nsid == bad => {
            Ok(format!("refused before sending: {e}"))
        }
        Err(Error::UnknownNamespace(n)) if n == bad => {
            Ok(format!("refused: namespace {n} unknown"))
        }
        r => expect_status(r, Status::INVALID_NS_OR_FORMAT),
    }
}

/// An I/O opcode no command set defines (70h, no data): Invalid Command Opcode (SCT 0h, SC 01h).
pub fn invalid_opcode<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let cmd = Cmd::io(Command::new(0x70, c.nsid), DataDir::None, Xfer::None);
    expect_status(c.b.execute(&cmd, Data::None), Status::INVALID_OPCODE)
}

/// A read one block larger than the maximum transfer: refused by the backend
/// before sending ([`Error::AboveMdts`]), or by the controller with Invalid
/// Field in Command (SCT 0h, SC 02h), as the spec requires above MDTS.
pub fn above_mdts<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let blocks = c.max_xfer / c.lba + 1;
    if blocks > 65536 {
        return Err(format!(
            "max transfer {} B is beyond one command's NLB: cannot exceed it",
            c.max_xfer
        ));
    }
    let len = blocks * c.lba;
    let mut buf = vec![0u8; len as usize];
    // A separate-metadata format gets its metadata buffer, so the transfer
    // length is what is refused, not the missing buffer.
    let (_, ms, extended) = c.format();
    let mut meta = vec![
        0u8;
        if extended {
            0
        } else {
            blocks as usize * ms as usize
        }
    ];
    let m = if meta.is_empty() {
        Data::None
    } else {
        Data::FromDevice(&mut meta)
    };
    let r = c.b.execute_with(
        &Read::new(c.nsid, 0, (blocks - 1) as u16).build(),
        Data::FromDevice(&mut buf),
        m,
    );
    match r {
        Err(e @ Error::AboveMdts { len: l, max }) if l == len as u64 && max == c.max_xfer => {
            Ok(format!("refused before sending: {e}"))
        }
        Err(Error::AboveMdts { len: l, max }) => Err(format!(
            "AboveMdts names {l} > {max}, expected {len} > {}",
            c.max_xfer
        )),
        r => {
            expect_status(r, Status::INVALID_FIELD).map(|d| format!("{len} B: controller says {d}"))
        }
    }
}

/// A Read whose declared transfer is 0 bytes (hand-built, empty buffer):
/// refused before sending ([`Error::ZeroLength`]), or answered by the controller
/// with Data Transfer Error (SCT 0h, SC 04h) — never data moved.
pub fn zero_length<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let sqe = Read::new(c.nsid, 0, 0).build().sqe;
    let cmd = Cmd::io(sqe, DataDir::FromDevice, Xfer::Bytes(0));
    let mut empty: [u8; 0] = [];
    match c.b.execute(&cmd, Data::FromDevice(&mut empty)) {
        // The Read's NLB says one block: backends that check NLB against the
        // declared transfer refuse it for that, before the zero length.
        Err(e @ (Error::ZeroLength | Error::NlbMismatch { .. })) => {
            Ok(format!("refused before sending: {e}"))
        }
        r => expect_status(r, Status::DATA_TRANSFER_ERROR).map(|d| format!("controller says {d}")),
    }
}

/// Eight blocks into a one-block buffer: BufferTooSmall.
pub fn buffer_too_small<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; c.lba as usize];
    let r =
        c.b.execute(&Read::new(c.nsid, 0, 7).build(), Data::FromDevice(&mut buf));
    match r {
        Err(e @ Error::BufferTooSmall { need, have })
            if need == 8 * c.lba as u64 && have == c.lba as usize =>
        {
            Ok(e.to_string())
        }
        Err(e) => Err(format!("expected BufferTooSmall, got {e}")),
        Ok(_) => Err("an 8-block read into a 1-block buffer succeeded".into()),
    }
}

/// A Write given a buffer to read into: BufferMismatch (nothing is written).
pub fn wrong_direction<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; c.lba as usize];
    let r = c.b.execute(
        &Write::new(c.nsid, 0, 0).build(),
        Data::FromDevice(&mut buf),
    );
    match r {
        Err(
            e @ Error::BufferMismatch {
                expected: DataDir::ToDevice,
                ..
            },
        ) => Ok(e.to_string()),
        Err(e) => Err(format!("expected BufferMismatch, got {e}")),
        Ok(_) => Err("a Write with a read buffer succeeded".into()),
    }
}
