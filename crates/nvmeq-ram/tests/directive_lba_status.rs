//! Directives, Get LBA Status and the admin commands the controller does
//! not implement (Capacity Management, Lockdown) and the FDP I/O
//! Management commands, built with the core's builders.

mod common;
use common::*;
use nvmeq_core::cmd::{
    CapacityMgmt, CapacityOperation, Directive, DirectiveType, GetLbaStatus, IoMgmtRecv,
    IoMgmtSend, LbaStatusAtype, Lockdown, LockdownInterface, LockdownScope, Numd,
};
use nvmeq_core::{Backend, Data, Status};

const DTYPE: u16 = 45; // Parameter Error Location of CDW11 byte 1

fn err_param(c: &mut nvmeq_ram::RamController) -> u16 {
    let log = run_in(c, &get_log(0x01, 0, 64, 0), 64).unwrap();
    u16_at(&log, 14) & 0xff
}

#[test]
fn oacs_and_effects_list_directives_and_lba_status() {
    let mut c = ctrl(64 << 20, 512);
    let id = run_in(&mut c, &identify(0x01, 0), 4096).unwrap();
    let oacs = u16_at(&id, 256);
    assert_ne!(oacs & 1 << 5, 0, "directives");
    assert_ne!(oacs & 1 << 9, 0, "get lba status");
    assert_eq!(oacs & 1 << 10, 0, "no lockdown");
    let eff = run_in(&mut c, &get_log(0x05, 0, 4096, 0), 4096).unwrap();
    for op in [0x19usize, 0x1a, 0x86] {
        assert_eq!(u32_at(&eff, op * 4) & 1, 1, "opcode {op:#x} supported");
    }
    for op in [0x20usize, 0x24] {
        assert_eq!(u32_at(&eff, op * 4), 0, "opcode {op:#x} not supported");
    }
    assert_eq!(
        u32_at(&eff, 1024 + 0x12 * 4),
        0,
        "no I/O Management Receive"
    );
}

#[test]
fn identify_directive_says_identify_only() {
    let mut c = ctrl(64 << 20, 512);
    for nsid in [1, u32::MAX] {
        let p = run_in(&mut c, &Directive::identify_params(nsid).build(), 4096).unwrap();
        assert_eq!(
            p[0], 0b001,
            "supported: Identify, not Streams or Data Placement"
        );
        assert_eq!(p[32], 0b001, "enabled");
        assert_eq!(p[64], 0b001, "persistent");
        assert!(p[1..32].iter().chain(&p[96..]).all(|&b| b == 0));
    }
    // A shorter NUMD gets the start of the structure.
    let cmd = Directive::receive(1, DirectiveType::IDENTIFY, 1)
        .data(Numd::from_bytes(36).unwrap())
        .build();
    let p = run_in(&mut c, &cmd, 36).unwrap();
    assert_eq!((p[0], p[32]), (1, 1));
    let s = status_of(run_in(&mut c, &Directive::identify_params(2).build(), 4096));
    assert_eq!(s, Status::INVALID_NS_OR_FORMAT.with_dnr(true));
}

#[test]
fn streams_and_enable_are_refused_as_invalid_fields() {
    let mut c = ctrl(64 << 20, 512);
    let mut b = [0u8; 32];
    let s = status_of(c.execute(
        &Directive::streams_params(1).build(),
        Data::FromDevice(&mut b),
    ));
    assert_eq!(s, Status::INVALID_FIELD.with_dnr(true));
    assert_eq!(err_param(&mut c), DTYPE);
    for cmd in [
        Directive::streams_allocate(1, 4).build(),
        Directive::streams_release_resources(1).build(),
        Directive::streams_release_id(1, 1).build(),
        Directive::enable(1, DirectiveType::STREAMS, true).build(),
        Directive::enable(1, DirectiveType::IDENTIFY, false).build(),
        // Identify has no Receive operation 2.
        Directive::receive(1, DirectiveType::IDENTIFY, 2)
            .data(Numd::BYTES_4096)
            .build(),
    ] {
        let mut b = [0u8; 4096];
        let data = if cmd.xfer == nvmeq_core::Xfer::None {
            Data::None
        } else {
            Data::FromDevice(&mut b)
        };
        assert_eq!(
            status_of(c.execute(&cmd, data)),
            Status::INVALID_FIELD.with_dnr(true),
            "{cmd}"
        );
    }
}

#[test]
fn get_lba_status_reports_no_unrecoverable_blocks() {
    let mut c = ctrl(64 << 20, 512);
    let nsze = (64u64 << 20) / 512;
    for atype in [LbaStatusAtype::SCAN_UNTRACKED, LbaStatusAtype::TRACKED] {
        let cmd = GetLbaStatus::new(1, 100, Numd::from_z(15).unwrap(), atype)
            .rl(1000)
            .build();
        let mut b = [0xaau8; 64];
        c.execute(&cmd, Data::FromDevice(&mut b)).unwrap();
        assert_eq!(u32_at(&b, 0), 0, "NLSD");
        assert_eq!(b[4], 2, "CMPC: complete");
        assert!(b[5..].iter().all(|&x| x == 0));
    }
    // MNDW 0: the count alone.
    let cmd = GetLbaStatus::new(1, nsze - 1, Numd::ONE, LbaStatusAtype::TRACKED).build();
    let mut b = [0xaau8; 4];
    c.execute(&cmd, Data::FromDevice(&mut b)).unwrap();
    assert_eq!(b, [0; 4]);

    let bad = [
        (
            GetLbaStatus::new(1, nsze, Numd::ONE, LbaStatusAtype::TRACKED).build(),
            Status::LBA_OUT_OF_RANGE,
        ),
        (
            GetLbaStatus::new(1, 0, Numd::ONE, LbaStatusAtype(0x12)).build(),
            Status::INVALID_FIELD,
        ),
        (
            GetLbaStatus::new(7, 0, Numd::ONE, LbaStatusAtype::TRACKED).build(),
            Status::INVALID_NS_OR_FORMAT,
        ),
    ];
    for (cmd, want) in bad {
        let mut b = [0u8; 4];
        assert_eq!(
            status_of(c.execute(&cmd, Data::FromDevice(&mut b))),
            want.with_dnr(true)
        );
    }
}

#[test]
fn capacity_lockdown_and_io_management_are_invalid_opcodes() {
    let mut c = ctrl(64 << 20, 512);
    let invalid = Status::INVALID_OPCODE.with_dnr(true);
    for cmd in [
        CapacityMgmt::new(CapacityOperation::CREATE_ENDGRP, 0)
            .capacity(1 << 20)
            .build(),
        Lockdown::new(
            LockdownScope::ADMIN_OPCODE,
            0x80,
            LockdownInterface::ADMIN_QUEUE,
            true,
        )
        .build(),
    ] {
        assert_eq!(status_of(c.execute(&cmd, Data::None)), invalid);
    }
    let mut b = [0u8; 4096];
    let cmd = IoMgmtRecv::ruh_status(1, Numd::BYTES_4096).build();
    assert_eq!(
        status_of(c.execute(&cmd, Data::FromDevice(&mut b))),
        invalid
    );
    let cmd = IoMgmtSend::ruh_update(1, 1).unwrap().build();
    assert_eq!(status_of(c.execute(&cmd, Data::ToDevice(&[0, 0]))), invalid);
}
