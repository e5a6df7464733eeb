//! Telemetry Host-Initiated (LID 07h) and Controller-Initiated (LID 08h) log
//! pages (Base spec 2.0, "Telemetry Host-Initiated Log Page").
//!
//! A host-initiated capture (Get Log Page with the Create bit in the LSP)
//! snapshots the controller's counters into data areas 1 to 4 and gives the
//! log a new generation number; reads without the bit return that capture
//! unchanged, in as many pieces as the host likes. The controller never
//! captures on its own (it has no faults to record), so the
//! controller-initiated log is a header that says no data is available.

use nvmeq_core::log::{telemetry_lsp, LogId, PelEventType, TelemetryLog, TELEMETRY_BLOCK};
use nvmeq_core::{Command, Data, Status};
use zerocopy::{FromZeros, IntoBytes};

use crate::controller::{data_in, RamController};
use crate::status::{at, dnr, Fail};

/// Last block of data areas 1, 2 and 3 and of area 4: 1, 2, 4 and 24 blocks
/// of data, so a full capture (16 KiB) needs several commands at a small MDTS.
pub(crate) const DALB: [u16; 3] = [1, 3, 7];
/// Last block of data area 4 (LPA bit 6 is set: area 4 is supported).
pub(crate) const DALB4: u32 = 31;

/// Reason Identifier of a host-initiated capture (vendor specific text).
const REASON_HOST: &[u8] = b"nvmeq-ram: host-initiated capture";

/// What each data block starts with, so a reader can tell blocks apart.
const BLOCK_TAG: [u8; 8] = *b"NVMEQ-TD";

/// The controller counters a capture records (data area 1, block 1).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Snapshot {
    pub host_read_cmds: u64,
    pub host_write_cmds: u64,
    pub errors: u64,
}

/// The host-initiated capture and its generation number.
#[derive(Debug, Default)]
pub(crate) struct Telemetry {
    /// Telemetry Host-Initiated Data Generation Number: 0 until the first
    /// capture, then one more (mod 256) per capture.
    host_gen: u8,
    /// The whole log of the last capture: header and data areas 1 to 4.
    capture: Option<Box<[u8]>>,
}

impl Telemetry {
    /// Captures new host-initiated data, returning the new header.
    pub(crate) fn create(&mut self, snap: Snapshot) -> TelemetryLog {
        self.host_gen = self.host_gen.wrapping_add(1);
        let mut h = header(LogId::TELEMETRY_HOST);
        h.dalb1.set(DALB[0]);
        h.dalb2.set(DALB[1]);
        h.dalb3.set(DALB[2]);
        h.dalb4.set(DALB4);
        h.hostdgn = self.host_gen;
        h.rsnident[..REASON_HOST.len()].copy_from_slice(REASON_HOST);
        let size = TelemetryLog::bytes_through(DALB4) as usize;
        let mut log = vec![0u8; size].into_boxed_slice();
        log[..TELEMETRY_BLOCK].copy_from_slice(h.as_bytes());
        for (i, block) in log.chunks_exact_mut(TELEMETRY_BLOCK).enumerate().skip(1) {
            let area = match i as u32 {
                b if b <= DALB[0] as u32 => 1,
                b if b <= DALB[1] as u32 => 2,
                b if b <= DALB[2] as u32 => 3,
                _ => 4,
            };
            block[..8].copy_from_slice(&BLOCK_TAG);
            block[8] = area;
            block[9] = self.host_gen;
            block[10..12].copy_from_slice(&(i as u16).to_le_bytes());
            if i == 1 {
                block[16..24].copy_from_slice(&snap.host_read_cmds.to_le_bytes());
                block[24..32].copy_from_slice(&snap.host_write_cmds.to_le_bytes());
                block[32..40].copy_from_slice(&snap.errors.to_le_bytes());
            }
        }
        self.capture = Some(log);
        h
    }

    /// The log page `lid` as it stands.
    fn page(&self, lid: LogId) -> Box<[u8]> {
        match (&self.capture, lid) {
            (Some(c), LogId::TELEMETRY_HOST) => c.clone(),
            _ => {
                // No capture yet (every data area last block 0), or the
                // controller-initiated log, which never has data.
                let h = header(lid);
                h.as_bytes().into()
            }
        }
    }
}

/// A header with nothing captured: no controller-initiated data available.
fn header(lid: LogId) -> TelemetryLog {
    let mut h = TelemetryLog::new_zeroed();
    h.lpi = lid.0;
    // IEEE OUI 0: no vendor interprets the data areas but this crate.
    h
}

impl RamController {
    /// Get Log Page for LID 07h or 08h, already checked against MDTS and
    /// for a dword-aligned offset.
    pub(crate) fn telemetry_log(
        &mut self,
        sqe: &Command,
        lid: LogId,
        lpo: u64,
        len: u64,
        mut data: Data<'_>,
    ) -> Result<u64, Fail> {
        let lsp = ((sqe.cdw10 >> 8) & 0x7f) as u8;
        if lid == LogId::TELEMETRY_HOST && lsp & telemetry_lsp::CREATE != 0 {
            let snap = Snapshot {
                host_read_cmds: self.smart.host_read_cmds as u64,
                host_write_cmds: self.smart.host_write_cmds as u64,
                errors: self.errors.count,
            };
            let h = self.telemetry.create(snap);
            self.events
                .record(PelEventType::TELEMETRY_CREATE, h.as_bytes());
        }
        let page = self.telemetry.page(lid);
        serve(&page, lpo, len, &mut data)
    }
}

/// Copies the window `[lpo, lpo + len)` of `page` to the host, zero-filled
/// past the page's end; an offset at or past the end is Invalid Field.
pub(crate) fn serve(page: &[u8], lpo: u64, len: u64, data: &mut Data<'_>) -> Result<u64, Fail> {
    if lpo >= page.len() as u64 {
        return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW12));
    }
    let out = data_in(data, len)?;
    out.fill(0);
    let src = &page[lpo as usize..];
    let n = src.len().min(out.len());
    out[..n].copy_from_slice(&src[..n]);
    Ok(0)
}

/// The state file: the generation number and the last capture.
impl Telemetry {
    pub(crate) fn save(&self, e: &mut crate::state::codec::Enc) {
        e.u8(self.host_gen);
        e.opt_bytes(self.capture.as_deref());
    }

    pub(crate) fn load(
        d: &mut crate::state::codec::Dec<'_>,
    ) -> Result<Self, crate::state::codec::Bad> {
        let host_gen = d.u8()?;
        let capture = d.opt_bytes()?;
        if capture.is_some_and(|c| c.len() != TelemetryLog::bytes_through(DALB4) as usize) {
            return Err("the telemetry capture is not the size the controller makes");
        }
        Ok(Telemetry {
            host_gen,
            capture: capture.map(Into::into),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zerocopy::FromBytes;

    #[test]
    fn each_capture_has_a_new_generation_and_well_formed_areas() {
        let mut t = Telemetry::default();
        let before = TelemetryLog::read_from_bytes(&t.page(LogId::TELEMETRY_HOST)[..]).unwrap();
        assert_eq!((before.hostdgn, before.dalb3.get()), (0, 0));
        let h1 = t.create(Snapshot {
            host_read_cmds: 5,
            ..Default::default()
        });
        let h2 = t.create(Snapshot::default());
        assert_eq!((h1.hostdgn, h2.hostdgn), (1, 2));
        let page = t.page(LogId::TELEMETRY_HOST);
        assert_eq!(page.len(), 32 * 512);
        let h = TelemetryLog::read_from_bytes(&page[..512]).unwrap();
        assert_eq!(h, h2);
        assert_eq!(h.lpi, 7);
        assert!(h.dalb1.get() <= h.dalb2.get() && h.dalb2.get() <= h.dalb3.get());
        assert_eq!(h.dalb4.get(), DALB4);
        assert!(h.rsnident.starts_with(REASON_HOST));
        // Block 8 is the first of area 4; every block names its area and generation.
        assert_eq!(&page[8 * 512..8 * 512 + 12], b"NVMEQ-TD\x04\x02\x08\x00");
        assert_eq!(page[2 * 512 + 8], 2);
        let ctrl = t.page(LogId::TELEMETRY_CTRL);
        let c = TelemetryLog::read_from_bytes(&ctrl[..]).unwrap();
        assert_eq!((c.lpi, c.ctrlavail, c.dalb3.get()), (8, 0, 0));
    }
}
