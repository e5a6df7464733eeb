//! Device self-test: the operation in progress and the Device Self-test log
//! (Base spec 2.0, "Device Self-test command", "Device Self-test Log Page").
//!
//! Memory has no segments to test, so the test always passes; what is
//! modelled is its life cycle. The test runs in the background while the
//! controller executes commands: each command completed advances it by one
//! step (a short test takes [`SHORT_STEPS`] commands, an extended one
//! [`EXTENDED_STEPS`]), so progress is deterministic and a host polling the
//! log sees it move. A finished or aborted test leaves its result, newest
//! first, in a log of 20.

use nvmeq_core::log::{SelfTestCode, SelfTestLog, SelfTestOutcome, SelfTestResult};
use nvmeq_core::{Command, Status};
use zerocopy::FromZeros;

use crate::controller::RamController;
use crate::status::{at, dnr, Fail};

/// Commands a short device self-test lasts.
pub const SHORT_STEPS: u32 = 10;
/// Commands an extended device self-test lasts.
pub const EXTENDED_STEPS: u32 = 50;
/// Extended Device Self-test Time (EDSTT), minutes, as Identify reports it.
pub(crate) const EDSTT: u16 = 1;
/// Result entries the log holds.
const RESULTS: usize = 20;

/// A test in progress.
#[derive(Debug, Clone, Copy)]
struct Running {
    code: SelfTestCode,
    steps_done: u32,
    steps: u32,
}

/// The device self-test state of the controller.
#[derive(Debug)]
pub(crate) struct SelfTest {
    running: Option<Running>,
    /// Newest first; unused entries say so (result Fh).
    results: [SelfTestResult; RESULTS],
}

impl Default for SelfTest {
    fn default() -> Self {
        let unused = SelfTestResult {
            dsts: SelfTestOutcome::UNUSED.0,
            ..SelfTestResult::default()
        };
        SelfTest {
            running: None,
            results: [unused; RESULTS],
        }
    }
}

impl SelfTest {
    /// True while a test runs (the one branch the I/O path pays).
    #[inline]
    pub(crate) fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// One command completed: the test moves one step, and ends on the last.
    pub(crate) fn step(&mut self) {
        if let Some(r) = &mut self.running {
            r.steps_done += 1;
            if r.steps_done >= r.steps {
                let r = *r;
                self.finish(r, SelfTestOutcome::NO_ERROR);
            }
        }
    }

    fn finish(&mut self, r: Running, outcome: SelfTestOutcome) {
        self.running = None;
        self.results.copy_within(..RESULTS - 1, 1);
        // VDI 0: no failure, so no namespace, LBA or status to report (the
        // fields are reserved then). Power On Hours stays 0, as in the SMART log.
        self.results[0] = SelfTestResult {
            dsts: r.code.0 << 4 | outcome.0,
            ..SelfTestResult::default()
        };
    }

    /// The Device Self-test log page.
    pub(crate) fn log(&self) -> SelfTestLog {
        let mut log = SelfTestLog::new_zeroed();
        if let Some(r) = &self.running {
            log.current_operation = r.code.0;
            // 0 would read as "no test"; a started test is at least 1%.
            log.completion = (r.steps_done * 100 / r.steps).max(1) as u8;
        }
        log.result = self.results;
        log
    }
}

impl RamController {
    /// Device Self-test (admin 14h).
    pub(crate) fn device_self_test(&mut self, sqe: &Command) -> Result<u64, Fail> {
        let code = SelfTestCode((sqe.cdw10 & 0xf) as u8);
        let steps = match code {
            SelfTestCode::SHORT => SHORT_STEPS,
            SelfTestCode::EXTENDED => EXTENDED_STEPS,
            SelfTestCode::ABORT => {
                // Aborting with no test running is not an error.
                if let Some(r) = self.self_test.running {
                    self.self_test.finish(r, SelfTestOutcome::ABORTED);
                }
                return Ok(0);
            }
            // Host-Initiated Refresh and vendor specific tests are not implemented.
            _ => return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10)),
        };
        // 0: the controller only; FFFFFFFFh: it and every active namespace.
        if sqe.nsid != 0 && sqe.nsid != u32::MAX && self.namespace(sqe.nsid).is_none() {
            return Err(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID));
        }
        if self.self_test.is_running() {
            return Err(Fail::new(dnr(Status::SELF_TEST_IN_PROGRESS), at::CDW10));
        }
        self.self_test.running = Some(Running {
            code,
            steps_done: 0,
            steps,
        });
        Ok(0)
    }
}

/// The state file: the running test (if any) and the result log.
impl SelfTest {
    pub(crate) fn save(&self, e: &mut crate::state::codec::Enc) {
        let r = self.running;
        e.bool(r.is_some());
        e.u8(r.map_or(0, |r| r.code.0));
        e.u32(r.map_or(0, |r| r.steps_done));
        e.u32(r.map_or(0, |r| r.steps));
        for res in &self.results {
            e.raw(zerocopy::IntoBytes::as_bytes(res));
        }
    }

    pub(crate) fn load(
        d: &mut crate::state::codec::Dec<'_>,
    ) -> Result<Self, crate::state::codec::Bad> {
        let running = d.bool()?;
        let r = Running {
            code: SelfTestCode(d.u8()?),
            steps_done: d.u32()?,
            steps: d.u32()?,
        };
        let known = matches!(
            (r.code, r.steps),
            (SelfTestCode::SHORT, SHORT_STEPS) | (SelfTestCode::EXTENDED, EXTENDED_STEPS)
        );
        if running && (!known || r.steps_done >= r.steps) {
            return Err("the running self-test is not one the controller runs");
        }
        let mut t = SelfTest {
            running: running.then_some(r),
            ..SelfTest::default()
        };
        for res in &mut t.results {
            *res = zerocopy::FromBytes::read_from_bytes(d.raw(size_of::<SelfTestResult>())?)
                .map_err(|_| "a self-test result is malformed")?;
        }
        Ok(t)
    }
}
