//! The driver on the model: data pointers, phase wrap, and the faults a
//! driver must survive (a completion with the wrong phase, a lost one, a
//! duplicate).

use std::time::Duration;

use nvmeq_core::cmd::{Read, Write};
use nvmeq_core::{Backend, Error, IoBuf, Status};

use super::*;
use crate::ctrl::{DataPointer, Options};
use crate::dma::DmaBuf;

fn pattern_cfg(sgls: u32) -> ModelConfig {
    ModelConfig {
        lba_bytes: 512,
        nsze: 1 << 16,
        sgls,
        data: DataMode::Pattern,
        ..ModelConfig::qemu_null()
    }
}

fn open_with(cfg: ModelConfig, opts: Options) -> (Controller<Model>, ModelHandle) {
    open(cfg, opts).expect("the model comes up")
}

/// Queues `n` one-block reads, tagged and addressed 0..n (not submitted).
fn push_reads(c: &mut Controller<Model>, n: u64) {
    for tag in 0..n {
        let buf = c.alloc(512).unwrap();
        c.push(&Read::new(1, tag, 0).build(), Some(buf), tag)
            .map_err(|r| r.into_error())
            .unwrap();
    }
}

/// Whether `buf` holds [`pattern`] for `blocks` blocks of 512 from `slba`.
fn holds_pattern(buf: &DmaBuf<Model>, slba: u64, blocks: u64) -> bool {
    let words = buf.as_slice()[..(blocks * 512) as usize].chunks(8);
    words.enumerate().all(|(i, w)| {
        u64::from_le_bytes(w.try_into().unwrap()) == pattern(slba + i as u64 / 64, i as u64 % 64)
    })
}

fn fill_pattern(buf: &mut DmaBuf<Model>, slba: u64, blocks: u64) {
    let bytes = &mut buf.as_mut_slice()[..(blocks * 512) as usize];
    for (i, w) in bytes.chunks_mut(8).enumerate() {
        w.copy_from_slice(&pattern(slba + i as u64 / 64, i as u64 % 64).to_le_bytes());
    }
}

/// Pushes `cmd`, submits it and returns its one completion.
fn one(
    c: &mut Controller<Model>,
    cmd: &nvmeq_core::Cmd,
    buf: DmaBuf<Model>,
) -> (Result<nvmeq_core::Completion, Error>, DmaBuf<Model>) {
    c.push(cmd, Some(buf), 9)
        .map_err(|r| r.into_error())
        .unwrap();
    c.submit(1).unwrap();
    let mut out = None;
    assert_eq!(c.reap(|r| out = Some((r.tag, r.result, r.buf))), 1);
    let (tag, result, buf) = out.unwrap();
    assert_eq!(tag, 9);
    (result, buf.unwrap())
}

#[test]
fn reads_and_writes_move_the_right_bytes_through_prps_and_sgls() {
    for (sgls, dp) in [(0, DataPointer::Prp), (0x1, DataPointer::Sgl)] {
        let (mut c, h) = open_with(pattern_cfg(sgls), Options::default().data_pointer(dp));
        assert_eq!(c.uses_sgls(), sgls != 0);
        assert!(c.shadow_doorbells());
        // One block, two pages, a PRP list, and MDTS (7: 512 KiB, a list
        // of 127 entries).
        for blocks in [1u64, 8, 16, 128, 1024] {
            let slba = 3 * blocks;
            let buf = c.alloc((blocks * 512) as usize).unwrap();
            let (r, buf) = one(
                &mut c,
                &Read::new(1, slba, (blocks - 1) as u16).build(),
                buf,
            );
            r.unwrap();
            assert!(
                holds_pattern(&buf, slba, blocks),
                "{blocks} blocks, SGLS {sgls}"
            );
            let mut buf = buf;
            fill_pattern(&mut buf, slba + 1, blocks);
            let (r, _) = one(
                &mut c,
                &Write::new(1, slba + 1, (blocks - 1) as u16).build(),
                buf,
            );
            r.unwrap();
        }
        let s = h.stats();
        assert_eq!(
            (s.dma_faults, s.bad_doorbells, s.bad_writes),
            (0, 0, 0),
            "{s:?}"
        );
        assert_eq!(c.stats().sgl_commands, if sgls != 0 { 10 } else { 0 });
    }
}

#[test]
fn a_write_of_the_wrong_data_fails_in_the_model() {
    // The check the write test relies on can fail.
    let (mut c, h) = open_with(pattern_cfg(0), Options::default());
    let mut buf = c.alloc(4096).unwrap();
    fill_pattern(&mut buf, 7, 8);
    let (r, _) = one(&mut c, &Write::new(1, 6, 7).build(), buf);
    assert!(
        matches!(r, Err(Error::Status(s)) if s.matches_code(Status::DATA_TRANSFER_ERROR)),
        "{r:?}"
    );
    assert_eq!(h.stats().bad_writes, 1);
}

/// Keeps up to `qd` reads in flight on a small queue until `ios` have
/// completed, checking every tag comes back once with its own LBA's data.
fn run_reads(c: &mut Controller<Model>, ios: u64, qd: usize, batch: usize) {
    let mut bufs: Vec<Option<DmaBuf<Model>>> =
        (0..qd).map(|_| Some(c.alloc(512).unwrap())).collect();
    let mut lba = vec![0u64; qd];
    let (mut issued, mut done) = (0u64, 0u64);
    while done < ios {
        let mut n = 0;
        for slot in 0..qd {
            if n == batch || issued == ios {
                break;
            }
            let Some(buf) = bufs[slot].take() else {
                continue;
            };
            lba[slot] = (issued * 7919) % (1 << 16);
            c.push(&Read::new(1, lba[slot], 0).build(), Some(buf), slot as u64)
                .map_err(|r| r.into_error())
                .unwrap();
            issued += 1;
            n += 1;
        }
        c.submit(1).unwrap();
        c.reap(|r| {
            let slot = r.tag as usize;
            assert!(bufs[slot].is_none(), "tag {slot} completed twice");
            r.result.unwrap();
            let buf = r.buf.unwrap();
            assert!(
                holds_pattern(&buf, lba[slot], 1),
                "tag {slot}: another command's data"
            );
            bufs[slot] = Some(buf);
            done += 1;
        });
    }
    assert_eq!(c.in_flight(), 0);
}

#[test]
fn the_phase_wraps_hundreds_of_times_and_every_command_completes_once() {
    // 8-entry queues: 3000 commands wrap the CQ (and flip the phase) 375 times.
    let opts = Options {
        queue_depth: 7,
        ..Options::default()
    };
    let (mut c, h) = open_with(pattern_cfg(0), opts);
    assert_eq!(c.io_queue_size(), 8);
    run_reads(&mut c, 3000, 7, 3);
    let s = h.stats();
    assert_eq!(s.io_commands, 3000);
    assert_eq!((s.dma_faults, s.bad_doorbells), (0, 0), "{s:?}");
    assert_eq!(c.stats().unexpected_cqes, 0);
}

#[test]
fn a_completion_with_the_wrong_phase_is_not_taken() {
    let (mut c, h) = open_with(pattern_cfg(0), Options::default());
    let posted = h.stats().completions;
    h.wrong_phase(1, 1);
    push_reads(&mut c, 4);
    c.submit(0).unwrap();
    assert_eq!(h.stats().completions, posted + 4, "all four posted");
    // The second entry looks old: neither it nor the two behind it are new.
    let mut tags = Vec::new();
    c.reap(|r| tags.push(r.tag));
    assert_eq!(tags, [0]);
    assert_eq!(c.in_flight(), 3);
    assert_eq!(h.fix_phase(), 1);
    c.reap(|r| tags.push(r.tag));
    assert_eq!(tags, [0, 1, 2, 3]);
    assert_eq!(c.stats().unexpected_cqes, 0);
}

#[test]
fn a_lost_completion_is_aborted_once_it_times_out() {
    let (mut c, h) = open_with(pattern_cfg(0), Options::default());
    c.set_io_timeout(Duration::from_millis(30));
    h.lose(2, 1);
    push_reads(&mut c, 4);
    c.submit(3).unwrap();
    assert_eq!(h.held(), 1);
    let mut got = Vec::new();
    c.reap(|r| got.push((r.tag, r.result.map(|_| ()))));
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|(t, r)| *t != 2 && r.is_ok()), "{got:?}");
    assert_eq!(c.in_flight(), 1, "the lost one is still in flight");
    // Waiting for it runs into its timeout: Abort, which the model
    // answers by completing it with Command Abort Requested.
    c.submit(1).unwrap();
    got.clear();
    c.reap(|r| got.push((r.tag, r.result.map(|_| ()))));
    match &got[..] {
        [(2, Err(Error::Status(s)))] => assert!(s.matches_code(Status::ABORT_REQUESTED), "{s:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!((c.stats().aborts, c.stats().resets, h.held()), (1, 0, 0));
}

#[test]
fn a_duplicate_completion_is_counted_and_not_reaped_twice() {
    let (mut c, h) = open_with(pattern_cfg(0), Options::default());
    h.duplicate(0, 1);
    for tag in 0..2 {
        let buf = c.alloc(512).unwrap();
        c.push(&Read::new(1, tag, 0).build(), Some(buf), tag)
            .map_err(|r| r.into_error())
            .unwrap();
    }
    c.submit(2).unwrap();
    let mut tags = Vec::new();
    c.reap(|r| tags.push(r.tag));
    assert_eq!(tags, [0, 1]);
    assert_eq!(c.stats().unexpected_cqes, 1);
}

#[test]
fn shutdown_deletes_the_queues_and_unmaps_everything() {
    let (mut c, h) = open_with(pattern_cfg(0), Options::default());
    run_reads(&mut c, 100, 8, 4);
    c.shutdown().unwrap();
    drop(c);
    let st = h.inner.lock();
    assert!(st.sqs.iter().all(|q| q.is_none()) && st.cqs.iter().all(|q| q.is_none()));
    assert!(st.maps.is_empty(), "{} mappings left", st.maps.len());
}

#[test]
fn a_device_request_lets_what_is_in_flight_finish_then_stops_the_controller() {
    let opts = Options {
        io_timeout: Duration::from_millis(200),
        ..Options::default()
    };
    let (mut c, h) = open_with(pattern_cfg(0), opts);
    c.request = Some(crate::irq::Request::unregistered().unwrap());
    h.lose(2, 1);
    push_reads(&mut c, 4);
    // Rung, not waited for: three are done on the device, one is held by the model.
    c.submit(0).unwrap();
    // vfio-pci signals the request; the next wait loop sees it.
    c.request.as_ref().unwrap().signal();
    c.submit(4).unwrap();
    let mut done = Vec::new();
    c.reap(|r| done.push((r.tag, r.result.map(|_| ()), r.buf.is_some())));
    done.sort_by_key(|d| d.0);
    assert_eq!(
        done,
        [
            (0, Ok(()), true),
            (1, Ok(()), true),
            (2, Err(Error::Aborted(crate::REMOVAL_REQUESTED)), true),
            (3, Ok(()), true),
        ],
        "what the device finished completes as it did; the held one comes back once, with \
         its buffer"
    );
    assert_eq!(c.dead(), Some(crate::REMOVAL_REQUESTED));
    {
        let st = h.inner.lock();
        assert!(
            st.sqs.iter().skip(1).all(|q| q.is_none()),
            "the I/O queues were deleted, as on a shutdown"
        );
    }
    // The controller was disabled: nothing runs after the request.
    let cc = c.registers().cc;
    assert!(!cc.en(), "CC.EN still set: {cc:?}");
    let buf = c.alloc(512).unwrap();
    match c.push(&Read::new(1, 0, 0).build(), Some(buf), 7) {
        Err(r) => assert_eq!(r.into_error(), Error::Aborted(crate::REMOVAL_REQUESTED)),
        Ok(()) => match c.submit(1) {
            Err(e) => assert_eq!(e, Error::Aborted(crate::REMOVAL_REQUESTED)),
            Ok(_) => panic!("a command was taken after the device request"),
        },
    }
    let commands = h.stats().commands;
    drop(c);
    let st = h.stats();
    assert_eq!((st.commands, st.dma_faults), (commands, 0));
}
