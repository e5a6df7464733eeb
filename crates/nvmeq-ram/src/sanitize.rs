//! Sanitize (Base spec 2.0, "Sanitize command") and its Sanitize Status
//! log page (LID 81h), with SANICAP in Identify Controller.
//!
//! Block Erase, Crypto Erase and Overwrite are supported; each runs to the
//! end inside the command, so the log shows no operation in progress and
//! the estimates are 0 ("completes with the command"). Erased blocks read
//! as zeroes (they are deallocated; with No-Deallocate After Sanitize they
//! are zeroes too); Overwrite leaves the pattern of the last pass, in the
//! data and the metadata. The controller has no failure mode, so Exit
//! Failure Mode completes with nothing to do.

use nvmeq_core::cmd::SanitizeCdw10;
use nvmeq_core::log::{
    PelEventType, SanitizeCompletionEvent, SanitizeOpStatus, SanitizeStartEvent, SanitizeStatus,
    SanitizeStatusLog,
};
use nvmeq_core::{Command, Status};
use zerocopy::{FromZeros, IntoBytes};

use crate::controller::RamController;
use crate::status::{at, dnr, Fail};

/// Sanitize Capabilities (SANICAP): Crypto Erase (bit 0), Block Erase
/// (bit 1), Overwrite (bit 2).
pub(crate) const SANICAP: u32 = 0b111;

/// Sanitize Action (SANACT) values.
mod sanact {
    pub const EXIT_FAILURE_MODE: u8 = 1;
    pub const BLOCK_ERASE: u8 = 2;
    pub const OVERWRITE: u8 = 3;
    pub const CRYPTO_ERASE: u8 = 4;
}

/// What the last sanitize left for the log.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SanitizeRecord {
    /// CDW10 of the last sanitize that started an operation (`None`: never).
    last: Option<u32>,
    /// Overwrite passes the last operation completed.
    passes: u8,
    /// SMART Host Write Commands when it completed: Global Data Erased
    /// holds while no Write has come since.
    writes_then: u128,
}

impl RamController {
    /// Sanitize (admin 84h).
    pub(crate) fn sanitize(&mut self, sqe: &Command) -> Result<u64, Fail> {
        let cdw10 = SanitizeCdw10::from_bits(sqe.cdw10);
        if matches!(
            cdw10.sanact(),
            sanact::BLOCK_ERASE | sanact::CRYPTO_ERASE | sanact::OVERWRITE
        ) {
            let start = SanitizeStartEvent {
                sani_cap: SANICAP.into(),
                sani_cdw10: sqe.cdw10.into(),
                sani_cdw11: sqe.cdw11.into(),
            };
            self.events
                .record(PelEventType::SANITIZE_START, start.as_bytes());
        }
        let passes = match cdw10.sanact() {
            sanact::EXIT_FAILURE_MODE => return Ok(0),
            sanact::BLOCK_ERASE | sanact::CRYPTO_ERASE => {
                for ns in self.ns.iter_mut().filter(|n| n.allocated) {
                    ns.media.zero(0, ns.nsze << ns.lbads);
                    let meta_len = ns.nsze * ns.fmt.ms as u64;
                    ns.meta.zero(0, meta_len);
                }
                0
            }
            sanact::OVERWRITE => {
                // OWPASS 0 means 16 passes; with OIPBP the pattern is
                // inverted between passes, so an even count ends inverted.
                let passes = match cdw10.owpass() {
                    0 => 16,
                    n => n,
                };
                let mut pat = sqe.cdw11;
                if cdw10.oipbp() && passes % 2 == 0 {
                    pat = !pat;
                }
                let chunk: Vec<u8> = pat
                    .to_le_bytes()
                    .iter()
                    .copied()
                    .cycle()
                    .take(64 << 10)
                    .collect();
                for ns in self.ns.iter_mut().filter(|n| n.allocated) {
                    let meta_len = ns.nsze * ns.fmt.ms as u64;
                    fill(&mut ns.media, ns.nsze << ns.lbads, &chunk);
                    fill(&mut ns.meta, meta_len, &chunk);
                }
                passes
            }
            _ => return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10)),
        };
        self.sanitized = SanitizeRecord {
            last: Some(sqe.cdw10),
            passes,
            writes_then: self.smart.host_write_cmds,
        };
        let log = self.sanitize_status_log();
        let done = SanitizeCompletionEvent {
            sani_prog: log.sprog.into(),
            sani_status: log.sstat.into_bits().into(),
            ..SanitizeCompletionEvent::new_zeroed()
        };
        self.events
            .record(PelEventType::SANITIZE_COMPLETION, done.as_bytes());
        Ok(0)
    }

    /// Sanitize Status (LID 81h).
    pub(crate) fn sanitize_status_log(&self) -> SanitizeStatusLog {
        let r = &self.sanitized;
        let mut l = SanitizeStatusLog::new_zeroed();
        // FFFFh: no sanitize in progress.
        l.sprog = u16::MAX;
        l.sstat = match r.last {
            None => SanitizeStatus::new().with_sos(SanitizeOpStatus::NEVER_SANITIZED),
            Some(cdw10) => {
                let ndas = SanitizeCdw10::from_bits(cdw10).ndas();
                SanitizeStatus::new()
                    .with_sos(if ndas {
                        SanitizeOpStatus::COMPLETED_NO_DEALLOC
                    } else {
                        SanitizeOpStatus::COMPLETED
                    })
                    .with_opc(r.passes)
                    .with_gde(self.smart.host_write_cmds == r.writes_then)
            }
        };
        l.scdw10 = r.last.unwrap_or(0);
        // Estimates 0: every operation completes with its command. No
        // media verification: ETPVDS FFFFFFFFh, not reported.
        l.etpvds = u32::MAX;
        l
    }
}

/// Writes `len` bytes of the repeated `chunk` over `media`.
fn fill(media: &mut crate::media::Media, len: u64, chunk: &[u8]) {
    let mut off = 0;
    while off < len {
        let n = (len - off).min(chunk.len() as u64);
        media.write(off, &chunk[..n as usize]);
        off += n;
    }
}

/// The state file: the last sanitize and what it left.
impl SanitizeRecord {
    pub(crate) fn save(&self, e: &mut crate::state::codec::Enc) {
        e.opt(self.last, crate::state::codec::Enc::u32);
        e.u8(self.passes);
        e.u128(self.writes_then);
    }

    pub(crate) fn load(
        d: &mut crate::state::codec::Dec<'_>,
    ) -> Result<Self, crate::state::codec::Bad> {
        Ok(SanitizeRecord {
            last: d.opt(crate::state::codec::Dec::u32)?,
            passes: d.u8()?,
            writes_then: d.u128()?,
        })
    }
}
