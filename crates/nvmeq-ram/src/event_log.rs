//! The Persistent Event Log (LID 0Dh, Base spec 2.0, "Persistent Event Log
//! Page"): what happened to the controller, oldest first, each event stamped
//! with milliseconds since the controller was created.
//!
//! Reads go through a reporting context: Establish Context (LSP 01b) takes a
//! snapshot of the log and reads from it, Read Log Data (00b) reads more of
//! that snapshot, Release Context (10b) drops it. Events that happen while a
//! context exists appear in the next one. When the log outgrows
//! [`MAX_LOG_BYTES`] the oldest events go and the Generation Number changes.
//!
//! Recorded today: the power-on (at creation), every successful Set Features,
//! Firmware Commit, namespace create and delete, Sanitize (start and
//! completion) and every host-initiated telemetry capture. Other code records its events
//! through [`EventLog::record`] with the event's data layout from
//! `nvmeq_core::log` (e.g. `FwCommitEvent`, `SanitizeStartEvent`), after
//! adding the type to [`SUPPORTED_EVENTS`].

use std::collections::VecDeque;
use std::time::Instant;

use nvmeq_core::identify::put_spec_str;
use nvmeq_core::log::{
    LogId, PelAction, PelEventHeader, PelEventType, PelHeader, ResetInfo, SetFeatureLayout,
};
use nvmeq_core::{Command, Data, Status};
use zerocopy::IntoBytes;

use crate::controller::RamController;
use crate::identify;
use crate::status::{at, dnr, Fail};
use crate::telemetry::serve;

/// The event types this controller records, for the Supported Events Bitmap.
pub(crate) const SUPPORTED_EVENTS: [PelEventType; 7] = [
    PelEventType::POWER_ON_RESET,
    PelEventType::FW_COMMIT,
    PelEventType::CHANGE_NS,
    PelEventType::SANITIZE_START,
    PelEventType::SANITIZE_COMPLETION,
    PelEventType::SET_FEATURE,
    PelEventType::TELEMETRY_CREATE,
];

/// Bytes the log holds, header included, before the oldest events go.
pub(crate) const MAX_LOG_BYTES: usize = 64 << 10;

/// Controller ID in each event header (the only controller).
const CNTLID: u16 = 1;

/// Log Revision reported.
const LOG_REVISION: u8 = 0;

/// The persistent events and the reporting context.
#[derive(Debug)]
pub(crate) struct EventLog {
    created: Instant,
    /// Each event's bytes (header, data), oldest first.
    events: VecDeque<Box<[u8]>>,
    /// Bytes of all events.
    bytes: usize,
    /// Changes each time events are dropped from the start.
    generation: u16,
    /// The snapshot of the log a reporting context reads, if one exists.
    context: Option<Box<[u8]>>,
}

impl EventLog {
    /// A log with the power-on event of a controller that runs firmware `fr`.
    pub(crate) fn new(fr: [u8; 8]) -> Self {
        let mut l = EventLog {
            created: Instant::now(),
            events: VecDeque::new(),
            bytes: 0,
            generation: 0,
            context: None,
        };
        let mut data = fr.to_vec();
        let mut reset = ResetInfo::default();
        reset.cid.set(CNTLID);
        // First power-on: no firmware activated, nothing in progress, zero
        // power cycles (as the SMART log says), at time 0.
        data.extend_from_slice(reset.as_bytes());
        l.record(PelEventType::POWER_ON_RESET, &data);
        l
    }

    /// Milliseconds since creation, in the Timestamp feature's layout: bits
    /// 47:0 the time, Timestamp Origin 0 (never set by the host), Synch 0.
    fn timestamp(&self) -> u64 {
        (self.created.elapsed().as_millis() as u64) & ((1 << 48) - 1)
    }

    /// Appends an event of type `etype` with `data` (its layout, no vendor
    /// specific information).
    pub(crate) fn record(&mut self, etype: PelEventType, data: &[u8]) {
        let mut h = PelEventHeader {
            etype: etype.0,
            ehl: PelEventHeader::EHL,
            ..Default::default()
        };
        h.cntlid.set(CNTLID);
        h.ets.set(self.timestamp());
        // EL is 16 bits; every layout recorded is far smaller.
        h.el.set(data.len().min(u16::MAX as usize) as u16);
        let mut ev = h.as_bytes().to_vec();
        ev.extend_from_slice(&data[..h.el.get() as usize]);
        self.bytes += ev.len();
        self.events.push_back(ev.into_boxed_slice());
        while self.bytes + size_of::<PelHeader>() > MAX_LOG_BYTES {
            let Some(old) = self.events.pop_front() else {
                break;
            };
            self.bytes -= old.len();
            self.generation = self.generation.wrapping_add(1);
        }
    }

    /// A Set Feature event: the command's CDW10 and CDW11.
    pub(crate) fn set_feature(&mut self, sqe: &Command) {
        let layout = SetFeatureLayout::new().with_dw_count(2);
        let mut data = layout.into_bits().to_le_bytes().to_vec();
        data.extend_from_slice(&sqe.cdw10.to_le_bytes());
        data.extend_from_slice(&sqe.cdw11.to_le_bytes());
        self.record(PelEventType::SET_FEATURE, &data);
    }

    /// The header and events as they stand, for a new reporting context.
    fn snapshot(&self, sn: &str, subnqn: &str) -> Box<[u8]> {
        let mut h = PelHeader::default();
        h.tnev.set(self.events.len() as u32);
        let tll = size_of::<PelHeader>() + self.bytes;
        h.tll.set(tll as u64);
        h.rv = LOG_REVISION;
        h.lhl.set(size_of::<PelHeader>() as u16);
        h.ts.set(self.timestamp());
        // VID and SSVID stay 0, as in Identify: no PCI function.
        let _ = put_spec_str(&mut h.sn, sn);
        let _ = put_spec_str(&mut h.mn, identify::MN);
        let n = subnqn.len().min(h.subnqn.len());
        h.subnqn[..n].copy_from_slice(&subnqn.as_bytes()[..n]);
        h.gen_number.set(self.generation);
        // Reporting Context Exists; established through an NVM subsystem
        // port (RCPIT 01b), port 0.
        h.rci.set(1 << 18 | 1 << 16);
        for t in SUPPORTED_EVENTS {
            h.set_supported(t);
        }
        let mut log = Vec::with_capacity(tll);
        log.extend_from_slice(h.as_bytes());
        for e in &self.events {
            log.extend_from_slice(e);
        }
        log.into_boxed_slice()
    }
}

impl RamController {
    /// Get Log Page for LID 0Dh, already checked against MDTS and for a
    /// dword-aligned offset.
    pub(crate) fn persistent_event_log(
        &mut self,
        sqe: &Command,
        lpo: u64,
        len: u64,
        mut data: Data<'_>,
    ) -> Result<u64, Fail> {
        debug_assert_eq!((sqe.cdw10 & 0xff) as u8, LogId::PERSISTENT_EVENT.0);
        let lsp = ((sqe.cdw10 >> 8) & 0x7f) as u8;
        match PelAction(lsp & 0x3) {
            PelAction::ESTABLISH => {
                // One context at a time: establishing again before releasing
                // is out of sequence.
                if self.events.context.is_some() {
                    return Err(Fail::new(
                        dnr(Status::COMMAND_SEQUENCE_ERROR),
                        at::CDW10 + 1,
                    ));
                }
                let snap = self
                    .events
                    .snapshot(&self.cfg.serial, &identify::subnqn(&self.cfg.serial));
                self.events.context = Some(snap);
            }
            PelAction::READ => {
                if self.events.context.is_none() {
                    return Err(Fail::new(
                        dnr(Status::COMMAND_SEQUENCE_ERROR),
                        at::CDW10 + 1,
                    ));
                }
            }
            PelAction::RELEASE => {
                // Releasing returns no log data; with no context it is a no-op.
                self.events.context = None;
                let out = crate::controller::data_in(&mut data, len)?;
                out.fill(0);
                return Ok(0);
            }
            _ => return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10 + 1)),
        }
        let page = self.events.context.as_deref().unwrap_or_default();
        serve(page, lpo, len, &mut data)
    }
}

/// The state file: the time the log has run, its events, generation and
/// reporting context.
impl EventLog {
    pub(crate) fn save(&self, e: &mut crate::state::codec::Enc) {
        e.u64(self.created.elapsed().as_millis() as u64);
        e.u32(self.events.len() as u32);
        for ev in &self.events {
            e.bytes(ev);
        }
        e.u16(self.generation);
        e.opt_bytes(self.context.as_deref());
    }

    /// The log as saved; its timestamps go on from the saved time.
    pub(crate) fn load(
        d: &mut crate::state::codec::Dec<'_>,
    ) -> Result<Self, crate::state::codec::Bad> {
        let ran = std::time::Duration::from_millis(d.u64()?);
        let now = Instant::now();
        let mut l = EventLog {
            // A clock younger than the saved time (just booted) restarts at 0.
            created: now.checked_sub(ran).unwrap_or(now),
            events: VecDeque::new(),
            bytes: 0,
            generation: 0,
            context: None,
        };
        for _ in 0..d.u32()? {
            let ev = d.bytes()?;
            if ev.len() < size_of::<PelEventHeader>() {
                return Err("a persistent event is shorter than its header");
            }
            l.bytes += ev.len();
            if l.bytes + size_of::<PelHeader>() > MAX_LOG_BYTES {
                return Err("the persistent events exceed the log's size");
            }
            l.events.push_back(ev.into());
        }
        l.generation = d.u16()?;
        l.context = d.opt_bytes()?.map(Into::into);
        Ok(l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::log::pel_events;
    use zerocopy::FromBytes;

    #[test]
    fn records_events_and_drops_the_oldest_with_a_new_generation() {
        let mut l = EventLog::new(*b"1.0     ");
        let s = l.snapshot("SN", "nqn.x");
        let h = PelHeader::read_from_prefix(&s).unwrap().0;
        assert_eq!(h.tnev.get(), 1);
        assert_eq!(h.tll.get() as usize, s.len());
        assert_eq!(s.len(), 512 + 24 + 8 + 36);
        assert!(h.supports(PelEventType::SET_FEATURE));
        assert!(h.supports(PelEventType::FW_COMMIT));
        assert!(!h.supports(PelEventType::THERMAL_EXCURSION));
        let ev: Vec<_> = pel_events(&s).collect();
        assert_eq!(ev[0].header.event_type(), PelEventType::POWER_ON_RESET);
        assert_eq!(&ev[0].data[..8], b"1.0     ");

        let big = [0u8; 4000];
        for _ in 0..20 {
            l.record(PelEventType::VENDOR_SPECIFIC, &big);
        }
        let s = l.snapshot("SN", "nqn.x");
        let h = PelHeader::read_from_prefix(&s).unwrap().0;
        assert!(s.len() <= MAX_LOG_BYTES);
        assert!(h.gen_number.get() >= 5, "{}", h.gen_number.get());
        assert_eq!(pel_events(&s).count(), h.tnev.get() as usize);
        assert!(pel_events(&s).all(|e| e.header.etype == 0xde));
    }
}
