//! Sanitize on the ram controller: SANICAP, the data each action leaves in
//! every namespace (zeroes, or the overwrite pattern of the last pass), and
//! the Sanitize Status log (SPROG, SSTAT, SCDW10, estimates).

mod common;
use common::*;
use nvmeq_core::cmd::{Sanitize, SanitizeAction};
use nvmeq_core::log::{LogId, SanitizeOpStatus, SanitizeStatusLog};
use nvmeq_core::{Backend, Data};
use nvmeq_ram::{RamConfig, RamController};
use zerocopy::FromBytes;

fn two_ns() -> RamController {
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.nn = 2;
    RamController::new(cfg).unwrap()
}

fn status_log(c: &mut RamController) -> SanitizeStatusLog {
    let b = run_in(c, &get_log(LogId::SANITIZE.0, 0, 512, 0), 512).unwrap();
    SanitizeStatusLog::read_from_bytes(&b).unwrap()
}

fn fill(c: &mut RamController, nsid: u32) {
    let data = vec![0xc3u8; 512 * 8];
    c.execute(&write(nsid, 100, 8), Data::ToDevice(&data))
        .unwrap();
}

fn block(c: &mut RamController, nsid: u32, lba: u64) -> Vec<u8> {
    let mut b = vec![0u8; 512];
    c.execute(&read(nsid, lba, 1), Data::FromDevice(&mut b))
        .unwrap();
    b
}

fn sanitize(c: &mut RamController, a: SanitizeAction) {
    c.execute(&Sanitize::new(a).build(), Data::None).unwrap();
}

#[test]
fn sanicap_lists_the_three_actions() {
    let mut c = two_ns();
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    assert_eq!(u32_at(&id, 328) & 0b111, 0b111, "crypto, block, overwrite");
}

#[test]
fn erases_leave_zeroes_in_every_namespace() {
    for action in [SanitizeAction::BlockErase, SanitizeAction::CryptoErase] {
        let mut c = two_ns();
        fill(&mut c, 1);
        fill(&mut c, 2);
        let cmd = Sanitize::new(action).build();
        c.execute(&cmd, Data::None).unwrap();
        for nsid in [1, 2] {
            assert!(
                block(&mut c, nsid, 103).iter().all(|&b| b == 0),
                "{action:?}"
            );
        }
        let l = status_log(&mut c);
        assert_eq!(l.sprog, 0xffff, "none in progress");
        assert_eq!(l.sstat.sos(), SanitizeOpStatus::COMPLETED);
        assert!(l.sstat.gde(), "nothing written since");
        assert_eq!(l.scdw10, cmd.sqe.cdw10);
        assert_eq!((l.eto, l.etbe, l.etce), (0, 0, 0));
        // A write after it clears Global Data Erased.
        fill(&mut c, 1);
        assert!(!status_log(&mut c).sstat.gde());
    }
}

#[test]
fn overwrite_leaves_the_last_pass_pattern() {
    for (owpass, oipbp, expect) in [
        (1, false, 0x1122_3344u32),
        (2, false, 0x1122_3344),
        (2, true, !0x1122_3344),
        (3, true, 0x1122_3344),
        (0, true, !0x1122_3344), // 16 passes
    ] {
        let mut c = two_ns();
        fill(&mut c, 1);
        sanitize(
            &mut c,
            SanitizeAction::Overwrite {
                owpass,
                oipbp,
                ovrpat: 0x1122_3344,
            },
        );
        let want: Vec<u8> = expect
            .to_le_bytes()
            .iter()
            .copied()
            .cycle()
            .take(512)
            .collect();
        for (nsid, lba) in [(1, 0), (1, 103), (2, 2047)] {
            assert_eq!(
                block(&mut c, nsid, lba),
                want,
                "owpass {owpass} oipbp {oipbp}"
            );
        }
        let l = status_log(&mut c);
        assert_eq!(l.sstat.opc(), if owpass == 0 { 16 } else { owpass });
    }
}

#[test]
fn no_deallocate_and_exit_failure_mode() {
    let mut c = two_ns();
    assert_eq!(
        status_log(&mut c).sstat.sos(),
        SanitizeOpStatus::NEVER_SANITIZED
    );
    // Not in failure mode: nothing to exit, nothing recorded.
    sanitize(&mut c, SanitizeAction::ExitFailureMode);
    assert_eq!(
        status_log(&mut c).sstat.sos(),
        SanitizeOpStatus::NEVER_SANITIZED
    );
    fill(&mut c, 1);
    c.execute(
        &Sanitize::new(SanitizeAction::BlockErase).ndas(true).build(),
        Data::None,
    )
    .unwrap();
    assert_eq!(
        status_log(&mut c).sstat.sos(),
        SanitizeOpStatus::COMPLETED_NO_DEALLOC
    );
    assert!(block(&mut c, 1, 100).iter().all(|&b| b == 0));
    // Reserved actions are refused.
    let mut s = nvmeq_core::Command::new(0x84, 0);
    s.cdw10 = 5;
    let cmd = nvmeq_core::Cmd::admin(s, nvmeq_core::DataDir::None, nvmeq_core::Xfer::None);
    assert_eq!(sct_sc(status_of(c.execute(&cmd, Data::None))), (0, 0x02));
}
