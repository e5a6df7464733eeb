//! Replay Protected Memory Block (Base spec 2.0, "Replay Protected Memory
//! Block"): [`UNITS`] targets of 128 KiB each, HMAC SHA-256, frames of up
//! to [`ACCESS_SECTORS`] sectors, and target 0's Device Configuration
//! Block, spoken over Security Send/Receive with protocol EAh.
//!
//! A request arrives by Security Send. Reads (Write Counter, data, the
//! configuration block) answer at the next Security Receive; writes (key
//! programming, data, the configuration block) keep their result until a
//! Result Read Request asks for it, as the spec's sequences do. Every
//! failure is a result code in the response frame, not a command status;
//! a command status means the command itself was malformed. Keys, counters,
//! data and the block live in the state file; an answer not yet received
//! does not (a new process is a new host session).

use hmac::{Hmac, Mac};
use nvmeq_core::cmd::SecurityCdw10;
use nvmeq_core::rpmb::{
    RpmbDcb, RpmbFrame, RpmbMsgType, RpmbResult, RpmbResultCode, Rpmbs, FRAME_LEN, MAC_FROM,
    MAC_LEN, SECTOR, SPSP_RPMB,
};
use nvmeq_core::{Command, Data, Status};
use sha2::Sha256;
use zerocopy::{FromBytes, IntoBytes};

use crate::controller::{data_in, data_out};
use crate::state::codec::{Bad, Dec, Enc};
use crate::status::{at, dnr, Fail};

/// RPMB targets.
pub(crate) const UNITS: u8 = 2;
/// Sectors one data frame carries at most.
pub(crate) const ACCESS_SECTORS: u32 = 2;
/// RPMBS as Identify Controller reports it: [`UNITS`] units, HMAC SHA-256,
/// 128 KiB each (Total Size 0), [`ACCESS_SECTORS`] per frame.
pub(crate) const RPMBS: Rpmbs = Rpmbs::new()
    .with_units(UNITS)
    .with_auth_method(Rpmbs::HMAC_SHA256)
    .with_total_size_z(0)
    .with_access_size_z(ACCESS_SECTORS as u8 - 1);
/// Bytes of each unit.
const UNIT_BYTES: usize = RPMBS.unit_bytes() as usize;

/// One target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Unit {
    key: Option<[u8; MAC_LEN]>,
    counter: u32,
    /// Empty until the first write, then [`UNIT_BYTES`].
    data: Vec<u8>,
}

/// The RPMB targets, the configuration block and the answer pending.
#[derive(Debug, Clone)]
pub(crate) struct Rpmb {
    units: [Unit; UNITS as usize],
    dcb: [u8; SECTOR],
    /// What the next Security Receive returns, with its target.
    pending: Option<(u8, Vec<u8>)>,
    /// The last write's response, for a Result Read Request, with its target.
    last_write: Option<(u8, Vec<u8>)>,
}

impl Default for Rpmb {
    fn default() -> Self {
        Rpmb {
            units: Default::default(),
            dcb: [0; SECTOR],
            pending: None,
            last_write: None,
        }
    }
}

/// HMAC SHA-256 of `bytes` under `key`.
fn mac(key: &[u8; MAC_LEN], bytes: &[u8]) -> [u8; MAC_LEN] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(bytes);
    m.finalize().into_bytes().into()
}

/// A response frame answering `req` with `code`, its data after it, MAC'd
/// under `key` when there is one.
fn response(
    req: &RpmbFrame,
    code: RpmbResultCode,
    counter: u32,
    data: &[u8],
    key: Option<&[u8; MAC_LEN]>,
) -> Vec<u8> {
    let sectors = (data.len() / SECTOR) as u32;
    let f = RpmbFrame::request(req.msg_type().response(), req.target)
        .with_nonce(req.nonce)
        .with_write_counter(counter)
        .with_address(req.address.get())
        .with_sector_count(sectors)
        .with_result(
            RpmbResult::new()
                .with_code(code)
                .with_expired(counter == u32::MAX),
        );
    let mut out = f.as_bytes().to_vec();
    out.extend_from_slice(data);
    if let Some(k) = key {
        let m = mac(k, &out[MAC_FROM..]);
        out[MAC_FROM - MAC_LEN..MAC_FROM].copy_from_slice(&m);
    }
    out
}

impl Rpmb {
    /// Security Send of protocol EAh: one request frame (and its data).
    pub(crate) fn send(&mut self, sqe: &Command, data: &Data<'_>) -> Result<u64, Fail> {
        let target = check_cdw10(sqe)?;
        let tl = sqe.cdw11 as usize;
        if tl < FRAME_LEN || (tl - FRAME_LEN) % SECTOR != 0 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
        }
        let bytes = data_out(data, tl as u64)?;
        let (req, payload) = RpmbFrame::read_from_prefix(bytes)
            .map_err(|_| Fail::unspecific(dnr(Status::DATA_TRANSFER_ERROR)))?;
        // The frame's target and the command's NSSF name one unit.
        if req.target != target {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10));
        }
        let t = target as usize;
        match req.msg_type() {
            RpmbMsgType::KEY_PROGRAM => {
                let u = &mut self.units[t];
                let code = if u.key.is_some() {
                    RpmbResultCode::GENERAL
                } else {
                    u.key = Some(req.mac);
                    RpmbResultCode::OK
                };
                self.last_write = Some((target, response(&req, code, 0, &[], None)));
                self.pending = None;
            }
            RpmbMsgType::RESULT_READ => {
                self.pending = self.last_write.take().filter(|(t, _)| *t == target);
                if self.pending.is_none() {
                    // No write to report on.
                    let rsp = RpmbFrame::request(RpmbMsgType(0), target)
                        .with_result(RpmbResult::new().with_code(RpmbResultCode::GENERAL));
                    self.pending = Some((target, rsp.as_bytes().to_vec()));
                }
            }
            RpmbMsgType::READ_COUNTER => {
                let u = &self.units[t];
                let rsp = match &u.key {
                    None => response(&req, RpmbResultCode::KEY_NOT_PROGRAMMED, 0, &[], None),
                    Some(k) => response(&req, RpmbResultCode::OK, u.counter, &[], Some(k)),
                };
                self.pending = Some((target, rsp));
            }
            RpmbMsgType::DATA_WRITE | RpmbMsgType::DCB_WRITE => {
                let dcb = req.msg_type() == RpmbMsgType::DCB_WRITE;
                if payload.len() != req.sector_count.get() as usize * SECTOR {
                    return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
                }
                let rsp = self.write(&req, bytes, payload, dcb);
                self.last_write = Some((target, rsp));
                self.pending = None;
            }
            RpmbMsgType::DATA_READ | RpmbMsgType::DCB_READ => {
                let dcb = req.msg_type() == RpmbMsgType::DCB_READ;
                let rsp = self.read(&req, dcb);
                self.pending = Some((target, rsp));
            }
            _ => return Err(Fail::unspecific(dnr(Status::INVALID_FIELD))),
        }
        Ok(0)
    }

    /// An authenticated write: key, MAC, counter, then address, as the
    /// spec checks them; the response is MAC'd.
    fn write(&mut self, req: &RpmbFrame, whole: &[u8], payload: &[u8], dcb: bool) -> Vec<u8> {
        let u = &mut self.units[req.target as usize];
        let Some(key) = u.key else {
            return response(req, RpmbResultCode::KEY_NOT_PROGRAMMED, 0, &[], None);
        };
        let fail = |u: &Unit, code| response(req, code, u.counter, &[], Some(&key));
        if dcb && req.target != 0 {
            return fail(u, RpmbResultCode::GENERAL);
        }
        if mac(&key, &whole[MAC_FROM..]) != req.mac {
            return fail(u, RpmbResultCode::AUTH);
        }
        if u.counter == u32::MAX {
            return fail(u, RpmbResultCode::WRITE);
        }
        if req.write_counter.get() != u.counter {
            return fail(u, RpmbResultCode::COUNTER);
        }
        let n = req.sector_count.get();
        if dcb {
            let block = RpmbDcb::read_from_bytes(payload).ok();
            let valid = block.is_some_and(|b| {
                n == 1 && b.bp_enable & !1 == 0 && b.bp_lock & !3 == 0 && b.rsvd == [0; 510]
            });
            if !valid {
                return fail(u, RpmbResultCode::INVALID_DCB);
            }
            self.dcb.copy_from_slice(payload);
        } else {
            let Some(range) = sectors(req.address.get(), n) else {
                return fail(u, RpmbResultCode::ADDRESS);
            };
            if u.data.is_empty() {
                u.data = vec![0; UNIT_BYTES];
            }
            u.data[range].copy_from_slice(payload);
        }
        u.counter += 1;
        let mut rsp = response(req, RpmbResultCode::OK, u.counter, &[], Some(&key));
        // A write's response carries no data, but its Sector Count echoes
        // the request's; the MAC covers the frame as sent.
        let f = RpmbFrame::mut_from_prefix(&mut rsp)
            .expect("a whole frame")
            .0;
        f.sector_count.set(n);
        let m = mac(&key, &rsp[MAC_FROM..]);
        rsp[MAC_FROM - MAC_LEN..MAC_FROM].copy_from_slice(&m);
        rsp
    }

    /// An authenticated read: the data (or the block) after the response
    /// frame, with the request's nonce, MAC'd.
    fn read(&self, req: &RpmbFrame, dcb: bool) -> Vec<u8> {
        let u = &self.units[req.target as usize];
        let Some(key) = &u.key else {
            return response(req, RpmbResultCode::KEY_NOT_PROGRAMMED, 0, &[], None);
        };
        if dcb {
            if req.target != 0 {
                return response(req, RpmbResultCode::GENERAL, u.counter, &[], Some(key));
            }
            return response(req, RpmbResultCode::OK, u.counter, &self.dcb, Some(key));
        }
        let Some(range) = sectors(req.address.get(), req.sector_count.get()) else {
            return response(req, RpmbResultCode::ADDRESS, u.counter, &[], Some(key));
        };
        let zeroes;
        let data = if u.data.is_empty() {
            zeroes = vec![0; range.len()];
            &zeroes[..]
        } else {
            &u.data[range]
        };
        response(req, RpmbResultCode::OK, u.counter, data, Some(key))
    }

    /// Security Receive of protocol EAh: the answer the last request left.
    pub(crate) fn receive(&mut self, sqe: &Command, mut data: Data<'_>) -> Result<u64, Fail> {
        let target = check_cdw10(sqe)?;
        let Some((t, rsp)) = self.pending.take_if(|(t, _)| *t == target) else {
            return Err(Fail::unspecific(dnr(Status::COMMAND_SEQUENCE_ERROR)));
        };
        let al = sqe.cdw11 as u64;
        if al < rsp.len() as u64 {
            self.pending = Some((t, rsp));
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
        }
        let out = data_in(&mut data, al)?;
        out[..rsp.len()].copy_from_slice(&rsp);
        out[rsp.len()..].fill(0);
        Ok(0)
    }
}

/// The RPMB target the command names, once SPSP and NSSF are valid.
fn check_cdw10(sqe: &Command) -> Result<u8, Fail> {
    let c = SecurityCdw10::from_bits(sqe.cdw10);
    if u16::from(c.spsp0()) | u16::from(c.spsp1()) << 8 != SPSP_RPMB {
        return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10 + 1));
    }
    if c.nssf() >= UNITS {
        return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10));
    }
    Ok(c.nssf())
}

/// The bytes of `n` sectors from `address` within a unit, if they fit and
/// the frame can carry them.
fn sectors(address: u32, n: u32) -> Option<core::ops::Range<usize>> {
    let end = address.checked_add(n)? as u64;
    (n != 0 && n <= ACCESS_SECTORS && end <= RPMBS.unit_sectors())
        .then(|| address as usize * SECTOR..end as usize * SECTOR)
}

/// The state file: each unit's key, counter and data, then the block.
impl Rpmb {
    pub(crate) fn save(&self, e: &mut Enc) {
        for u in &self.units {
            e.opt(u.key, |e, k| e.raw(&k));
            e.u32(u.counter);
            e.bytes(&u.data);
        }
        e.raw(&self.dcb);
    }

    pub(crate) fn load(d: &mut Dec<'_>) -> Result<Self, Bad> {
        let mut r = Rpmb::default();
        for u in &mut r.units {
            u.key = d.opt(Dec::array)?;
            u.counter = d.u32()?;
            u.data = d.bytes()?.to_vec();
            if !(u.data.is_empty() || u.data.len() == UNIT_BYTES) {
                return Err("an RPMB unit's data is not the unit's size");
            }
            if u.key.is_none() && (u.counter != 0 || !u.data.is_empty()) {
                return Err("an RPMB unit without a key has been written");
            }
        }
        r.dcb = d.array()?;
        if RpmbDcb::ref_from_bytes(&r.dcb).map_or(true, |b| b.rsvd != [0; 510]) {
            return Err("the RPMB Device Configuration Block has reserved bits set");
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::rpmb::{receive, send};

    const KEY: [u8; 32] = [7; 32];

    fn exchange(r: &mut Rpmb, frame: &[u8], rsp_len: usize) -> Vec<u8> {
        let target = frame[MAC_FROM];
        r.send(
            &send(target, frame.len() as u32).sqe,
            &Data::ToDevice(frame),
        )
        .unwrap();
        if RpmbFrame::read_from_prefix(frame).unwrap().0.msg_type() == RpmbMsgType::KEY_PROGRAM
            || frame[254] == 3
            || frame[254] == 6
        {
            let rr = RpmbFrame::request(RpmbMsgType::RESULT_READ, target);
            r.send(&send(target, 256).sqe, &Data::ToDevice(rr.as_bytes()))
                .unwrap();
        }
        let mut out = vec![0; rsp_len];
        r.receive(
            &receive(target, rsp_len as u32).sqe,
            Data::FromDevice(&mut out),
        )
        .unwrap();
        out
    }

    fn code(rsp: &[u8]) -> RpmbResultCode {
        RpmbFrame::read_from_prefix(rsp).unwrap().0.result().code()
    }

    fn signed_write(
        target: u8,
        counter: u32,
        address: u32,
        data: &[u8],
        key: &[u8; 32],
    ) -> Vec<u8> {
        let f = RpmbFrame::request(RpmbMsgType::DATA_WRITE, target)
            .with_write_counter(counter)
            .with_address(address)
            .with_sector_count((data.len() / SECTOR) as u32);
        let mut b = f.as_bytes().to_vec();
        b.extend_from_slice(data);
        let m = mac(key, &b[MAC_FROM..]);
        b[191..223].copy_from_slice(&m);
        b
    }

    #[test]
    fn key_once_then_counted_authenticated_writes_and_reads() {
        let mut r = Rpmb::default();
        let rc = RpmbFrame::request(RpmbMsgType::READ_COUNTER, 1);
        let rsp = exchange(&mut r, rc.as_bytes(), 256);
        assert_eq!(code(&rsp), RpmbResultCode::KEY_NOT_PROGRAMMED);

        let kp = RpmbFrame::request(RpmbMsgType::KEY_PROGRAM, 1).with_mac(KEY);
        assert_eq!(
            code(&exchange(&mut r, kp.as_bytes(), 256)),
            RpmbResultCode::OK
        );
        assert_eq!(
            code(&exchange(&mut r, kp.as_bytes(), 256)),
            RpmbResultCode::GENERAL
        );

        let data = [0x5a; 512];
        let w = signed_write(1, 0, 3, &data, &KEY);
        let rsp = exchange(&mut r, &w, 256);
        assert_eq!(code(&rsp), RpmbResultCode::OK);
        assert_eq!(mac(&KEY, &rsp[MAC_FROM..]), rsp[191..223]);
        // Replayed: the counter moved on.
        assert_eq!(code(&exchange(&mut r, &w, 256)), RpmbResultCode::COUNTER);
        // Signed with another key.
        let bad = signed_write(1, 1, 3, &data, &[8; 32]);
        assert_eq!(code(&exchange(&mut r, &bad, 256)), RpmbResultCode::AUTH);
        // Past the unit's 256 sectors.
        let far = signed_write(1, 1, 256, &data, &KEY);
        assert_eq!(code(&exchange(&mut r, &far, 256)), RpmbResultCode::ADDRESS);

        let rd = RpmbFrame::request(RpmbMsgType::DATA_READ, 1)
            .with_nonce([9; 16])
            .with_address(3)
            .with_sector_count(1);
        let rsp = exchange(&mut r, rd.as_bytes(), 768);
        assert_eq!(code(&rsp), RpmbResultCode::OK);
        assert_eq!(&rsp[224..240], &[9; 16]);
        assert_eq!(&rsp[256..], &data);
        assert_eq!(mac(&KEY, &rsp[MAC_FROM..]), rsp[191..223]);

        // Target 0 is untouched.
        let rsp = exchange(
            &mut r,
            RpmbFrame::request(RpmbMsgType::READ_COUNTER, 0).as_bytes(),
            256,
        );
        assert_eq!(code(&rsp), RpmbResultCode::KEY_NOT_PROGRAMMED);

        let mut e = Enc(Vec::new());
        r.save(&mut e);
        let back = Rpmb::load(&mut Dec::new(&e.0)).unwrap();
        assert_eq!(back.units, r.units);
    }

    #[test]
    fn a_receive_without_a_request_is_a_sequence_error() {
        let mut r = Rpmb::default();
        let mut out = [0; 256];
        let e = r
            .receive(&receive(0, 256).sqe, Data::FromDevice(&mut out))
            .unwrap_err();
        assert_eq!(e.status, dnr(Status::COMMAND_SEQUENCE_ERROR));
        let e = r
            .receive(&receive(UNITS, 256).sqe, Data::FromDevice(&mut out))
            .unwrap_err();
        assert_eq!(e.status, dnr(Status::INVALID_FIELD));
    }
}
