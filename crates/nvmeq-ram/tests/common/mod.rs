//! Hand-encoded commands, independent of the core builders, so the tests check
//! the controller against the specification's layouts rather than against
//! the code that produced them.
#![allow(dead_code)]

use nvmeq_core::{Backend, Cmd, Command, Data, DataDir, Error, Status, Xfer};
use nvmeq_ram::{RamConfig, RamController};

pub fn ctrl(size: u64, lba: u32) -> RamController {
    RamController::new(RamConfig::new(size, lba)).unwrap()
}

pub fn rw(op: u8, nsid: u32, slba: u64, nlb: u32) -> Command {
    let mut s = Command::new(op, nsid);
    s.cdw10 = slba as u32;
    s.cdw11 = (slba >> 32) as u32;
    s.cdw12 = (nlb - 1) & 0xffff;
    s
}

pub fn read(nsid: u32, slba: u64, nlb: u32) -> Cmd {
    Cmd::io(
        rw(0x02, nsid, slba, nlb),
        DataDir::FromDevice,
        Xfer::Blocks(nlb),
    )
}
pub fn write(nsid: u32, slba: u64, nlb: u32) -> Cmd {
    Cmd::io(
        rw(0x01, nsid, slba, nlb),
        DataDir::ToDevice,
        Xfer::Blocks(nlb),
    )
}
pub fn compare(nsid: u32, slba: u64, nlb: u32) -> Cmd {
    Cmd::io(
        rw(0x05, nsid, slba, nlb),
        DataDir::ToDevice,
        Xfer::Blocks(nlb),
    )
}
pub fn verify(nsid: u32, slba: u64, nlb: u32) -> Cmd {
    Cmd::io(rw(0x0c, nsid, slba, nlb), DataDir::None, Xfer::None)
}
pub fn write_zeroes(nsid: u32, slba: u64, nlb: u32) -> Cmd {
    Cmd::io(rw(0x08, nsid, slba, nlb), DataDir::None, Xfer::None)
}
pub fn flush(nsid: u32) -> Cmd {
    Cmd::io(Command::new(0x00, nsid), DataDir::None, Xfer::None)
}
/// Dataset Management with `ranges` as (slba, nlb) and the Attribute Deallocate bit.
pub fn dsm(nsid: u32, ranges: &[(u64, u32)], ad: bool) -> (Cmd, Vec<u8>) {
    let mut s = Command::new(0x09, nsid);
    s.cdw10 = ranges.len() as u32 - 1;
    s.cdw11 = (ad as u32) << 2;
    let mut data = Vec::new();
    for &(slba, nlb) in ranges {
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&nlb.to_le_bytes());
        data.extend_from_slice(&slba.to_le_bytes());
    }
    let len = data.len() as u32;
    (Cmd::io(s, DataDir::ToDevice, Xfer::Bytes(len)), data)
}
/// Copy (format 0h) of `ranges` as (slba, nlb) to `sdlba`.
pub fn copy(nsid: u32, sdlba: u64, ranges: &[(u64, u32)]) -> (Cmd, Vec<u8>) {
    let mut s = Command::new(0x19, nsid);
    s.cdw10 = sdlba as u32;
    s.cdw11 = (sdlba >> 32) as u32;
    s.cdw12 = ranges.len() as u32 - 1;
    let mut data = Vec::new();
    for &(slba, nlb) in ranges {
        let mut e = [0u8; 32];
        e[8..16].copy_from_slice(&slba.to_le_bytes());
        e[16..18].copy_from_slice(&((nlb - 1) as u16).to_le_bytes());
        data.extend_from_slice(&e);
    }
    let len = data.len() as u32;
    (Cmd::io(s, DataDir::ToDevice, Xfer::Bytes(len)), data)
}
pub fn identify(cns: u8, nsid: u32) -> Cmd {
    let mut s = Command::new(0x06, nsid);
    s.cdw10 = cns as u32;
    Cmd::admin(s, DataDir::FromDevice, Xfer::Bytes(4096))
}
pub fn get_log(lid: u8, nsid: u32, len: u32, offset: u64) -> Cmd {
    let numd_z = len / 4 - 1;
    let mut s = Command::new(0x02, nsid);
    s.cdw10 = lid as u32 | (numd_z & 0xffff) << 16;
    s.cdw11 = numd_z >> 16;
    s.cdw12 = offset as u32;
    s.cdw13 = (offset >> 32) as u32;
    Cmd::admin(s, DataDir::FromDevice, Xfer::Bytes(len))
}
pub fn get_features(fid: u8, sel: u8) -> Cmd {
    let mut s = Command::new(0x0a, 0);
    s.cdw10 = fid as u32 | (sel as u32) << 8;
    Cmd::admin(s, DataDir::None, Xfer::None)
}
pub fn set_features(fid: u8, cdw11: u32, save: bool) -> Cmd {
    let mut s = Command::new(0x09, 0);
    s.cdw10 = fid as u32 | (save as u32) << 31;
    s.cdw11 = cdw11;
    Cmd::admin(s, DataDir::None, Xfer::None)
}

/// The NVMe status a command failed with (panics on success or another error).
pub fn status_of<T: std::fmt::Debug>(r: Result<T, Error>) -> Status {
    match r {
        Err(Error::Status(s)) => s,
        other => panic!("expected an NVMe status, got {other:?}"),
    }
}

pub fn sct_sc(s: Status) -> (u8, u8) {
    (s.sct().0, s.sc())
}

pub fn run_in(c: &mut RamController, cmd: &Cmd, len: usize) -> Result<Vec<u8>, Error> {
    let mut b = vec![0u8; len];
    c.execute(cmd, Data::FromDevice(&mut b))?;
    Ok(b)
}

pub fn u16_at(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes(b[o..o + 2].try_into().unwrap())
}
pub fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
pub fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap())
}
pub fn u128_at(b: &[u8], o: usize) -> u128 {
    u128::from_le_bytes(b[o..o + 16].try_into().unwrap())
}
