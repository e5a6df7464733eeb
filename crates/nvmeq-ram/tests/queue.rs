//! The queue interface: push / submit / reap, ownership and back-pressure.

mod common;
use common::*;
use nvmeq_core::{Backend, Error, IoBuf, Reaped};
use nvmeq_ram::{RamBuf, RamConfig, RamController};

fn small_queue(depth: u32) -> RamController {
    let mut cfg = RamConfig::new(1 << 20, 512);
    cfg.queue_depth = depth;
    RamController::new(cfg).unwrap()
}

fn reap_all(c: &mut RamController) -> Vec<Reaped<RamBuf>> {
    let mut out = Vec::new();
    c.reap(|r| out.push(r));
    out
}

#[test]
fn commands_run_in_order_and_come_back_with_tags_and_buffers() {
    let mut c = small_queue(8);
    let mut buf = c.alloc(512).unwrap();
    buf.as_mut_slice().fill(0x5a);
    c.push(&write(1, 3, 1), Some(buf), 10).unwrap();
    c.push(&read(1, 3, 1), Some(RamBuf::zeroed(512)), 11)
        .unwrap();
    c.push(&flush(1), None, 12).unwrap();
    assert_eq!(c.in_flight(), 3);
    assert!(reap_all(&mut c).is_empty(), "nothing runs before submit");
    assert_eq!(c.submit(3).unwrap(), 3);
    assert_eq!(c.in_flight(), 3, "completed but not reaped");
    let done = reap_all(&mut c);
    assert_eq!(c.in_flight(), 0);
    let tags: Vec<u64> = done.iter().map(|r| r.tag).collect();
    assert_eq!(tags, [10, 11, 12]);
    assert!(done.iter().all(|r| r.result.is_ok()));
    assert!(
        done[1].buf.as_ref().unwrap().0.iter().all(|&b| b == 0x5a),
        "read saw the write"
    );
    assert!(done[2].buf.is_none());
    // Completions carry increasing command ids and the I/O queue's id.
    let cqes: Vec<_> = done.iter().map(|r| *r.result.as_ref().unwrap()).collect();
    assert_eq!(cqes[1].cid, cqes[0].cid.wrapping_add(1));
    assert!(cqes.iter().all(|q| q.sqid == 1 && q.phase()));
}

#[test]
fn a_full_queue_hands_the_command_back_without_an_error() {
    let mut c = small_queue(2);
    c.push(&flush(1), None, 0).unwrap();
    c.push(&read(1, 0, 1), Some(RamBuf::zeroed(512)), 1)
        .unwrap();
    let rej = c
        .push(&read(1, 0, 1), Some(RamBuf::zeroed(512)), 2)
        .unwrap_err();
    assert!(rej.is_full(), "back-pressure, not an error");
    assert_eq!(
        rej.into_buf().map(|b| b.0.len()),
        Some(512),
        "the buffer comes back"
    );
    // Completed but unreaped commands still occupy the queue.
    c.submit(0).unwrap();
    assert!(c.push(&flush(1), None, 3).is_err());
    assert_eq!(reap_all(&mut c).len(), 2);
    c.push(&flush(1), None, 3).unwrap();
}

#[test]
fn a_short_buffer_is_rejected_at_write_with_buffer_too_small() {
    let mut c = small_queue(4);
    let rej = c
        .push(&write(1, 0, 2), Some(RamBuf::zeroed(1000)), 0)
        .unwrap_err();
    assert_eq!(
        rej.error(),
        Some(&Error::BufferTooSmall {
            need: 1024,
            have: 1000
        })
    );
    assert_eq!(rej.into_buf().unwrap().0.len(), 1000);
    let rej = c.push(&read(1, 0, 1), None, 0).unwrap_err();
    assert!(matches!(rej.error(), Some(Error::BufferMismatch { .. })));
    assert_eq!(c.in_flight(), 0, "nothing was queued");
}

#[test]
fn nvme_errors_come_back_in_the_reaped_result() {
    let mut c = small_queue(4);
    c.push(&read(1, 1 << 30, 1), Some(RamBuf::zeroed(512)), 7)
        .unwrap();
    c.push(&read(5, 0, 1), Some(RamBuf::zeroed(512)), 8)
        .unwrap();
    c.submit(2).unwrap();
    let done = reap_all(&mut c);
    assert_eq!(sct_sc(status_of(done[0].result)), (0, 0x80));
    assert_eq!(sct_sc(status_of(done[1].result)), (0, 0x0b));
    assert!(
        done.iter().all(|r| r.buf.is_some()),
        "buffers come back on failure too"
    );
}

#[test]
fn submit_refuses_to_wait_for_more_than_is_in_flight() {
    let mut c = small_queue(4);
    c.push(&flush(1), None, 0).unwrap();
    assert_eq!(
        c.submit(2),
        Err(Error::WaitExceedsInFlight {
            want: 2,
            in_flight: 1
        })
    );
    assert_eq!(c.submit(1).unwrap(), 1);
}

#[test]
fn admin_commands_go_through_the_queue_too() {
    let mut c = small_queue(4);
    c.push(&identify(0x01, 0), Some(RamBuf::zeroed(4096)), 1)
        .unwrap();
    c.submit(1).unwrap();
    let done = reap_all(&mut c);
    let cqe = done[0].result.unwrap();
    assert_eq!(cqe.sqid, 0);
    assert_eq!(
        &done[0].buf.as_ref().unwrap().0[24..44],
        b"nvmeq ram controller"
    );
}

#[test]
fn the_phase_tag_flips_after_each_pass_through_the_queue() {
    let mut c = small_queue(2);
    let mut phases = Vec::new();
    for _ in 0..3 {
        c.push(&flush(1), None, 0).unwrap();
        c.push(&flush(1), None, 0).unwrap();
        c.submit(2).unwrap();
        c.reap(|r| phases.push(r.result.unwrap().phase()));
    }
    assert_eq!(phases, [true, true, false, false, true, true]);
}
