//! Metadata and end-to-end protection on the ram controller: separate and
//! extended formats, PRACT insert/strip, PRCHK checks and the statuses a
//! failed check completes with, the metadata buffer refused or required,
//! and Identify reporting the format.

mod common;

use common::{identify, run_in, sct_sc, status_of};
use nvmeq_core::cmd::{Compare, Prinfo, Read, Verify, Write, WriteZeroes};
use nvmeq_core::format::NsFormat;
use nvmeq_core::identify::{IdentifyNamespace, IdentifyNamespaceNvm};
use nvmeq_core::pi::{self, Pi, PiError, PiLocation, PiType, Pif, Prchk, Tags};
use nvmeq_core::{Backend, Cmd, Data, Error, Status};
use nvmeq_ram::{RamBuf, RamConfig, RamController};
use zerocopy::FromBytes;

const PRCHK_ALL: Prinfo = Prinfo::new()
    .with_prchk_guard(true)
    .with_prchk_app(true)
    .with_prchk_ref(true);

fn ctrl(ms: u16, extended: bool, pi: Option<Pi>) -> RamController {
    let cfg = RamConfig {
        ms,
        extended,
        pi,
        ..RamConfig::new(1 << 20, 512)
    };
    RamController::new(cfg).unwrap()
}

fn t1() -> Pi {
    Pi::new(PiType::Type1, Pif::Guard16)
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13) ^ seed)
        .collect()
}

/// A Write of `nlb` blocks at `slba` with the given PRINFO and tags.
fn write(pi: &Pi, slba: u64, nlb: u16, p: Prinfo, tags: &Tags) -> Cmd {
    Write::new(1, slba, nlb - 1)
        .prinfo(p)
        .pi_tags(pi.tag_dwords(tags))
        .build()
}

fn read(pi: &Pi, slba: u64, nlb: u16, p: Prinfo, tags: &Tags) -> Cmd {
    Read::new(1, slba, nlb - 1)
        .prinfo(p)
        .pi_tags(pi.tag_dwords(tags))
        .build()
}

/// Writes `n` blocks at `slba` with host-generated PI (Type 1 tags from
/// the LBA, app tag 0x0a0a) and PRCHK all; returns data and metadata.
fn write_generated(
    c: &mut RamController,
    fmt: &NsFormat,
    slba: u64,
    n: usize,
) -> (Vec<u8>, Vec<u8>) {
    let pi = fmt.pi.unwrap();
    let tags = Tags::new(pi.ref_tag_for_lba(slba)).with_app(0x0a0a, 0xffff);
    let mut d = pattern(n * fmt.block_bytes as usize, slba as u8);
    let mut m = vec![0u8; n * fmt.meta_bytes as usize];
    pi::generate(fmt, &mut d, &mut m, &tags).unwrap();
    let cmd = write(&pi, slba, n as u16, PRCHK_ALL, &tags);
    c.execute_with(&cmd, Data::ToDevice(&d), Data::ToDevice(&m))
        .unwrap();
    (d, m)
}

#[test]
fn host_generated_pi_round_trips_with_every_check() {
    let mut c = ctrl(8, false, Some(t1()));
    let fmt = c.config().format();
    let (d, m) = write_generated(&mut c, &fmt, 16, 4);
    let tags = Tags::new(16).with_app(0x0a0a, 0xffff);
    let (mut d2, mut m2) = (vec![0u8; d.len()], vec![0u8; m.len()]);
    c.execute_with(
        &read(&t1(), 16, 4, PRCHK_ALL, &tags),
        Data::FromDevice(&mut d2),
        Data::FromDevice(&mut m2),
    )
    .unwrap();
    assert_eq!((&d2, &m2), (&d, &m));
    assert_eq!(pi::verify(&fmt, &d, &m2, &tags, Prchk::ALL), Ok(4));
}

#[test]
fn pract_inserts_on_write_and_strips_on_read() {
    let mut c = ctrl(8, false, Some(t1()));
    let fmt = c.config().format();
    let d = pattern(2 * 512, 1);
    let pract = Prinfo::new().with_pract(true);
    let tags = Tags::new(40).with_app(0x7777, 0xffff);
    // PI only: no metadata buffer either way.
    c.execute(&write(&t1(), 40, 2, pract, &tags), Data::ToDevice(&d))
        .unwrap();
    let mut back = vec![0u8; 1024];
    c.execute(
        &read(
            &t1(),
            40,
            2,
            pract.with_prchk_guard(true).with_prchk_ref(true),
            &tags,
        ),
        Data::FromDevice(&mut back),
    )
    .unwrap();
    assert_eq!(back, d);
    // Read without PRACT: the PI the controller generated comes back.
    let mut m = vec![0u8; 16];
    c.execute_with(
        &read(&t1(), 40, 2, PRCHK_ALL, &tags),
        Data::FromDevice(&mut back),
        Data::FromDevice(&mut m),
    )
    .unwrap();
    assert_eq!(pi::verify(&fmt, &back, &m, &tags, Prchk::ALL), Ok(2));
    assert_eq!(m[2..8], [0x77, 0x77, 0, 0, 0, 40]);
    assert_eq!(m[12..16], [0, 0, 0, 41]);
}

#[test]
fn a_corrupted_guard_fails_the_read_by_name_and_a_checked_write_stores_nothing() {
    let mut c = ctrl(8, false, Some(t1()));
    let fmt = c.config().format();
    let (d, mut m) = write_generated(&mut c, &fmt, 0, 4);
    m[2 * 8] ^= 0x40; // block 2's guard
    let tags = Tags::new(0).with_app(0x0a0a, 0xffff);
    // Stored unchecked (PRCHK 0), as a raw metadata write would.
    c.execute_with(
        &write(&t1(), 0, 4, Prinfo::new(), &tags),
        Data::ToDevice(&d),
        Data::ToDevice(&m),
    )
    .unwrap();
    let (mut d2, mut m2) = (vec![0u8; d.len()], vec![0u8; m.len()]);
    let r = c.execute_with(
        &read(&t1(), 0, 4, PRCHK_ALL, &tags),
        Data::FromDevice(&mut d2),
        Data::FromDevice(&mut m2),
    );
    let s = status_of(r);
    assert!(s.matches_code(Status::GUARD_CHECK_ERROR), "{s}");
    assert_eq!(sct_sc(s), (2, 0x82));
    assert_eq!(s.name(), Some("End-to-end Guard Check Error"));
    // Without the guard check it reads.
    let no_guard = PRCHK_ALL.with_prchk_guard(false);
    c.execute_with(
        &read(&t1(), 0, 4, no_guard, &tags),
        Data::FromDevice(&mut d2),
        Data::FromDevice(&mut m2),
    )
    .unwrap();
    assert_eq!(m2, m);
    // Verify (no data moves) finds it too.
    let v = Verify::new(1, 0, 3)
        .prinfo(PRCHK_ALL)
        .pi_tags(t1().tag_dwords(&tags))
        .build();
    assert!(status_of(c.execute(&v, Data::None)).matches_code(Status::GUARD_CHECK_ERROR));

    // A checked write of bad PI fails and leaves the media as it was.
    let d_new = pattern(4 * 512, 9);
    let r = c.execute_with(
        &write(&t1(), 0, 4, PRCHK_ALL, &tags),
        Data::ToDevice(&d_new),
        Data::ToDevice(&m),
    );
    assert!(status_of(r).matches_code(Status::GUARD_CHECK_ERROR));
    c.execute_with(
        &read(&t1(), 0, 4, Prinfo::new(), &tags),
        Data::FromDevice(&mut d2),
        Data::FromDevice(&mut m2),
    )
    .unwrap();
    assert_eq!(d2, d, "nothing of the failed write was stored");
}

#[test]
fn app_and_ref_tag_errors_and_type1_tag_mismatch() {
    let mut c = ctrl(8, false, Some(t1()));
    let fmt = c.config().format();
    let (d, m) = write_generated(&mut c, &fmt, 8, 2);
    let mut d2 = vec![0u8; d.len()];
    let mut m2 = vec![0u8; m.len()];
    let mut run = |c: &mut RamController, p: Prinfo, tags: Tags| {
        c.execute_with(
            &read(&t1(), 8, 2, p, &tags),
            Data::FromDevice(&mut d2),
            Data::FromDevice(&mut m2),
        )
    };
    let app = status_of(run(
        &mut c,
        PRCHK_ALL,
        Tags::new(8).with_app(0x0a0b, 0xffff),
    ));
    assert_eq!(sct_sc(app), (2, 0x83));
    assert!(app.matches_code(Status::APPLICATION_TAG_CHECK_ERROR));
    // The mask hides the difference.
    run(&mut c, PRCHK_ALL, Tags::new(8).with_app(0x0a0b, 0xfff0)).unwrap();
    // Type 1: a reference tag that is not the LBA's is refused outright.
    let bad = status_of(run(
        &mut c,
        PRCHK_ALL,
        Tags::new(9).with_app(0x0a0a, 0xffff),
    ));
    assert!(
        bad.matches_code(Status::INVALID_PROTECTION_INFORMATION),
        "{bad}"
    );

    // Type 2: the reference tag is the command's; the stored one differs.
    let t2 = Pi::new(PiType::Type2, Pif::Guard16);
    let mut c = ctrl(8, false, Some(t2));
    let fmt = c.config().format();
    let tags = Tags::new(1000).with_app(1, 0xffff);
    let mut d = pattern(1024, 3);
    let mut m = vec![0u8; 16];
    pi::generate(&fmt, &mut d, &mut m, &tags).unwrap();
    c.execute_with(
        &write(&t2, 5, 2, PRCHK_ALL, &tags),
        Data::ToDevice(&d),
        Data::ToDevice(&m),
    )
    .unwrap();
    let r = c.execute_with(
        &read(&t2, 5, 2, PRCHK_ALL, &Tags::new(1001).with_app(1, 0xffff)),
        Data::FromDevice(&mut d2),
        Data::FromDevice(&mut m2),
    );
    let s = status_of(r);
    assert_eq!(sct_sc(s), (2, 0x84));
    assert!(s.matches_code(Status::REFERENCE_TAG_CHECK_ERROR));
}

#[test]
fn a_wrong_storage_tag_is_its_own_status() {
    let pi = Pi::new(PiType::Type1, Pif::Guard64).with_sts(8);
    let mut c = ctrl(16, false, Some(pi));
    let fmt = c.config().format();
    let tags = Tags::new(3).with_app(0, 0xffff).with_storage(0x5a);
    let mut d = pattern(512, 4);
    let mut m = vec![0u8; 16];
    pi::generate(&fmt, &mut d, &mut m, &tags).unwrap();
    let w = Write::new(1, 3, 0)
        .prinfo(PRCHK_ALL)
        .stc(true)
        .pi_tags(pi.tag_dwords(&tags))
        .build();
    c.execute_with(&w, Data::ToDevice(&d), Data::ToDevice(&m))
        .unwrap();
    let other = Tags {
        storage_tag: Some(0x5b),
        ..tags
    };
    let r = Read::new(1, 3, 0)
        .prinfo(PRCHK_ALL)
        .stc(true)
        .pi_tags(pi.tag_dwords(&other))
        .build();
    let (mut d2, mut m2) = (vec![0u8; 512], vec![0u8; 16]);
    let s = status_of(c.execute_with(&r, Data::FromDevice(&mut d2), Data::FromDevice(&mut m2)));
    assert!(s.matches_code(Status::STORAGE_TAG_CHECK_ERROR), "{s}");
    // Without STC the storage tag is not compared.
    let r = Read::new(1, 3, 0)
        .prinfo(PRCHK_ALL)
        .pi_tags(pi.tag_dwords(&other))
        .build();
    c.execute_with(&r, Data::FromDevice(&mut d2), Data::FromDevice(&mut m2))
        .unwrap();
    assert_eq!(d2, d);
}

#[test]
fn the_metadata_buffer_is_required_unless_pract_makes_it_unnecessary() {
    let mut c = ctrl(8, false, Some(t1()));
    let mut d = vec![0u8; 512];
    let plain = Read::new(1, 0, 0).build();
    assert_eq!(
        c.execute(&plain, Data::FromDevice(&mut d)),
        Err(Error::MetadataRequired)
    );
    let mut q = c.alloc(512).unwrap();
    q.0.fill(1);
    assert!(matches!(
        c.push(&plain, Some(q), 1),
        Err(nvmeq_core::Rejected::Invalid {
            error: Error::MetadataRequired,
            ..
        })
    ));
    let pract = Read::new(1, 0, 0)
        .prinfo(Prinfo::new().with_pract(true))
        .build();
    c.execute(&pract, Data::FromDevice(&mut d)).unwrap();
    let mut m = [0u8; 8];
    assert_eq!(
        c.execute_with(&pract, Data::FromDevice(&mut d), Data::FromDevice(&mut m)),
        Err(Error::MetadataForbidden)
    );
    // More metadata than PI: PRACT still moves it.
    let mut c = ctrl(16, false, Some(t1()));
    assert_eq!(
        c.execute(&pract, Data::FromDevice(&mut d)),
        Err(Error::MetadataRequired)
    );
    // No metadata at all: a metadata buffer is refused.
    let mut c = ctrl(0, false, None);
    assert_eq!(
        c.execute_with(&plain, Data::FromDevice(&mut d), Data::FromDevice(&mut m)),
        Err(Error::MetadataForbidden)
    );
    c.execute(&plain, Data::FromDevice(&mut d)).unwrap();
    assert!(c.caps().metadata);
}

#[test]
fn unwritten_and_zeroed_blocks_read_with_all_ones_pi_and_pass_checks() {
    let mut c = ctrl(16, false, Some(t1()));
    let (mut d, mut m) = (vec![1u8; 1024], vec![1u8; 32]);
    let tags = Tags::new(100);
    c.execute_with(
        &read(&t1(), 100, 2, PRCHK_ALL, &tags),
        Data::FromDevice(&mut d),
        Data::FromDevice(&mut m),
    )
    .unwrap();
    assert!(d.iter().all(|&b| b == 0));
    // PI last: user metadata zero, the tuple all ones.
    assert_eq!(m[..8], [0; 8]);
    assert_eq!(m[8..16], [0xff; 8]);

    // Write Zeroes with PRACT has the controller generate PI for the zeroes.
    let fmt = c.config().format();
    let wz = WriteZeroes::new(1, 100, 1)
        .prinfo(Prinfo::new().with_pract(true))
        .pi_tags(t1().tag_dwords(&Tags::new(100).with_app(0x55, 0xffff)))
        .build();
    c.execute(&wz, Data::None).unwrap();
    c.execute_with(
        &read(&t1(), 100, 2, Prinfo::new(), &tags),
        Data::FromDevice(&mut d),
        Data::FromDevice(&mut m),
    )
    .unwrap();
    assert_eq!(
        pi::verify(
            &fmt,
            &d,
            &m,
            &Tags::new(100).with_app(0x55, 0xffff),
            Prchk::ALL
        ),
        Ok(2)
    );
    assert_eq!(m[10..12], [0, 0x55]);
}

#[test]
fn extended_lba_round_trips_interleaved_and_strips_with_pract() {
    let pi = t1().with_location(PiLocation::First);
    let mut c = ctrl(8, true, Some(pi));
    let fmt = c.config().format();
    assert_eq!(fmt, NsFormat::extended(512, 8).with_pi(pi));
    let (d, _) = write_generated(&mut c, &fmt, 2, 3);
    assert_eq!(d.len(), 3 * 520);
    let tags = Tags::new(2).with_app(0x0a0a, 0xffff);
    let mut back = vec![0u8; 3 * 520];
    c.execute(
        &read(&pi, 2, 3, PRCHK_ALL, &tags),
        Data::FromDevice(&mut back),
    )
    .unwrap();
    assert_eq!(back, d);
    // A metadata buffer on an extended format is refused.
    let mut m = [0u8; 24];
    assert_eq!(
        c.execute_with(
            &read(&pi, 2, 3, PRCHK_ALL, &tags),
            Data::FromDevice(&mut back),
            Data::FromDevice(&mut m)
        ),
        Err(Error::MetadataForbidden)
    );
    // PRACT on PI-only metadata: 512-byte blocks go in and out.
    let pract = Prinfo::new().with_pract(true);
    let data = pattern(3 * 512, 5);
    c.execute(
        &write(&pi, 10, 3, pract, &Tags::new(10)),
        Data::ToDevice(&data),
    )
    .unwrap();
    let mut stripped = vec![0u8; 3 * 512];
    c.execute(
        &read(&pi, 10, 3, pract.with_prchk_guard(true), &Tags::new(10)),
        Data::FromDevice(&mut stripped),
    )
    .unwrap();
    assert_eq!(stripped, data);
    c.execute(
        &read(&pi, 10, 3, PRCHK_ALL, &Tags::new(10)),
        Data::FromDevice(&mut back),
    )
    .unwrap();
    assert_eq!(
        pi::verify(&fmt, &back, &[], &Tags::new(10), Prchk::ALL),
        Ok(3)
    );
    for b in 0..3 {
        assert_eq!(back[b * 520..b * 520 + 512], data[b * 512..(b + 1) * 512]);
    }
}

#[test]
fn compare_checks_pi_and_compares_metadata() {
    let mut c = ctrl(8, false, Some(t1()));
    let fmt = c.config().format();
    let (d, mut m) = write_generated(&mut c, &fmt, 0, 2);
    let tags = Tags::new(0).with_app(0x0a0a, 0xffff);
    let cmp = Compare::new(1, 0, 1)
        .prinfo(PRCHK_ALL)
        .pi_tags(t1().tag_dwords(&tags))
        .build();
    c.execute_with(&cmp, Data::ToDevice(&d), Data::ToDevice(&m))
        .unwrap();
    m[15] ^= 1;
    let s = status_of(c.execute_with(&cmp, Data::ToDevice(&d), Data::ToDevice(&m)));
    assert!(s.matches_code(Status::COMPARE_FAILURE), "{s}");
}

#[test]
fn the_queue_carries_the_metadata_buffer() {
    let mut c = ctrl(8, false, Some(t1()));
    let fmt = c.config().format();
    let (d, m) = write_generated(&mut c, &fmt, 4, 2);
    let tags = Tags::new(4).with_app(0x0a0a, 0xffff);
    let cmd = read(&t1(), 4, 2, PRCHK_ALL, &tags);
    c.push_with(
        &cmd,
        Some(RamBuf::zeroed(1024)),
        Some(RamBuf::zeroed(16)),
        9,
    )
    .unwrap();
    c.submit(1).unwrap();
    let mut got = None;
    c.reap(|r| got = Some(r));
    let r = got.unwrap();
    assert!(r.result.unwrap().status().is_success());
    assert_eq!((r.buf.unwrap().0, r.meta.unwrap().0), (d, m));
    // A metadata buffer too small is refused before anything runs.
    assert!(matches!(
        c.push_with(
            &cmd,
            Some(RamBuf::zeroed(1024)),
            Some(RamBuf::zeroed(8)),
            10
        ),
        Err(nvmeq_core::Rejected::Invalid {
            error: Error::BufferTooSmall { need: 16, have: 8 },
            ..
        })
    ));
}

#[test]
fn identify_reports_the_format_and_cns_05h_its_guard() {
    let pi = Pi::new(PiType::Type3, Pif::Guard64)
        .with_sts(4)
        .with_location(PiLocation::First);
    let mut c = ctrl(16, true, Some(pi));
    let raw = run_in(&mut c, &identify(0x00, 1), 4096).unwrap();
    let ns = IdentifyNamespace::read_from_bytes(&raw[..]).unwrap();
    assert_eq!(ns.metadata_size(), 16);
    assert!(ns.extended_lba());
    assert_eq!(ns.dps, 0b1011, "Type 3, PI first");
    assert_eq!(ns.dpc, 0b0_1100, "Type 3 and PI first supported");
    assert_eq!(ns.mc, 1, "extended LBAs");
    let mut cns5 = identify(0x05, 1);
    cns5.sqe.cdw11 = 0; // CSI 00h
    let raw = run_in(&mut c, &cns5, 4096).unwrap();
    let nvm = IdentifyNamespaceNvm::read_from_bytes(&raw[..]).unwrap();
    assert_eq!(nvm.elbaf[0].pi_format(), Some(Pif::Guard64));
    assert_eq!(nvm.elbaf[0].sts(), 4);
    assert_eq!(
        NsFormat::from_identify_nvm(&ns, Some(&nvm)),
        Ok(Some(c.config().format()))
    );
    // CSI other than NVM: Invalid Field.
    cns5.sqe.cdw11 = 2 << 24;
    let s = status_of(run_in(&mut c, &cns5, 4096));
    assert!(s.matches_code(Status::INVALID_FIELD));
}

#[test]
fn format_query_reads_the_guard_from_cns_05h_and_refuses_an_unknown_namespace() {
    let pi = Pi::new(PiType::Type1, Pif::Guard64)
        .with_sts(4)
        .with_location(PiLocation::Last);
    let mut c = ctrl(16, false, Some(pi));
    let q = nvmeq_core::format::query(&mut c, 1).unwrap().unwrap();
    assert_eq!(q.format, c.config().format());
    assert_eq!(q.format.pi.map(|p| p.pif), Some(Pif::Guard64));
    let raw = run_in(&mut c, &identify(0x00, 1), 4096).unwrap();
    let ns = IdentifyNamespace::read_from_bytes(&raw[..]).unwrap();
    assert_eq!(q.nsze, ns.nsze);
    let e = nvmeq_core::format::query(&mut c, 7).unwrap_err();
    assert!(
        matches!(e, Error::Status(s) if s.matches_code(Status::INVALID_NS_OR_FORMAT)),
        "{e:?}"
    );
}

#[test]
fn bad_metadata_configurations_are_refused() {
    use nvmeq_ram::ConfigError;
    let bad = |ms, extended, pi| {
        RamController::new(RamConfig {
            ms,
            extended,
            pi,
            ..RamConfig::new(1 << 20, 512)
        })
        .unwrap_err()
    };
    assert_eq!(
        bad(8, false, Some(Pi::new(PiType::Type1, Pif::Guard64))),
        ConfigError::Pi(PiError::MetadataTooSmall { ms: 8, need: 16 })
    );
    assert_eq!(bad(0, true, None), ConfigError::ExtendedWithoutMetadata);
    assert_eq!(bad(200, false, None), ConfigError::MetadataSize(200));
}

#[test]
fn a_long_verify_checks_every_block_in_batches() {
    let t2 = Pi::new(PiType::Type2, Pif::Guard16);
    let mut c = ctrl(8, false, Some(t2));
    let fmt = c.config().format();
    // 600 blocks with Type 2 tags counting from 7000, in three writes.
    let tags = Tags::new(7000).with_app(2, 0xffff);
    let mut d = pattern(600 * 512, 8);
    let mut m = vec![0u8; 600 * 8];
    pi::generate(&fmt, &mut d, &mut m, &tags).unwrap();
    m[599 * 8 + 7] ^= 1; // the last block's reference tag
    for (i, part) in [(0usize, 256usize), (256, 256), (512, 88)] {
        let t = Tags::new(7000 + i as u64).with_app(2, 0xffff);
        c.execute_with(
            &write(
                &t2,
                i as u64,
                part as u16,
                PRCHK_ALL.with_prchk_ref(false),
                &t,
            ),
            Data::ToDevice(&d[i * 512..(i + part) * 512]),
            Data::ToDevice(&m[i * 8..(i + part) * 8]),
        )
        .unwrap();
    }
    let v = |n: u16| {
        Verify::new(1, 0, n - 1)
            .prinfo(PRCHK_ALL)
            .pi_tags(t2.tag_dwords(&tags))
            .build()
    };
    c.execute(&v(599), Data::None).unwrap();
    let s = status_of(c.execute(&v(600), Data::None));
    assert!(s.matches_code(Status::REFERENCE_TAG_CHECK_ERROR), "{s}");
    // The Error Information log names the failing block's LBA.
    let log = run_in(&mut c, &common::get_log(0x01, 0, 64, 0), 64).unwrap();
    assert_eq!(common::u64_at(&log, 0), 1, "one error so far");
    assert_eq!(common::u64_at(&log, 16), 599);
}
