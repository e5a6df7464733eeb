//! One RPMB target's request/response exchanges over Security Send/Receive
//! (protocol EAh), each response checked: its message type, its result
//! code, its MAC under the key, the nonce of a read and the counter of a
//! write.

use hmac::{Hmac, Mac};
use nvmeq_core::rpmb::{
    self, RpmbDcb, RpmbFrame, RpmbMsgType, RpmbResultCode, FRAME_LEN, MAC_FROM, MAC_LEN, SECTOR,
};
use nvmeq_core::Data;
use sha2::Sha256;
use zerocopy::{FromBytes, IntoBytes};

use crate::device::Device;
use crate::error::{CliError, Result};

/// A 32-byte HMAC SHA-256 Authentication Key.
pub type Key = [u8; MAC_LEN];

/// HMAC SHA-256 over the frame's bytes from RPMB Target on.
fn mac(key: &Key, frame: &[u8]) -> Key {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    m.update(&frame[MAC_FROM..]);
    m.finalize().into_bytes().into()
}

/// 16 random bytes: the nonce that ties a read's response to its request.
fn nonce() -> Result<[u8; 16]> {
    use std::io::Read;
    let mut n = [0; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut n))
        .map_err(|e| CliError::io("reading a nonce from /dev/urandom", e))?;
    Ok(n)
}

/// A device's RPMB target.
pub struct Session<'a> {
    pub dev: &'a mut Device,
    pub target: u8,
}

/// What a read returned: the response's Write Counter and its data.
pub struct ReadBack {
    pub counter: u32,
    pub data: Vec<u8>,
}

impl Session<'_> {
    fn what(&self, t: RpmbMsgType) -> String {
        let name = t.name().unwrap_or("RPMB request");
        format!("RPMB {name} to target {}", self.target)
    }

    fn send(&mut self, frame: &[u8]) -> Result<()> {
        let cmd = rpmb::send(self.target, frame.len() as u32);
        self.dev
            .exec("Security Send (RPMB)", &cmd, Data::ToDevice(frame))?;
        Ok(())
    }

    fn receive(&mut self, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0; len];
        let cmd = rpmb::receive(self.target, len as u32);
        self.dev
            .exec("Security Receive (RPMB)", &cmd, Data::FromDevice(&mut buf))?;
        Ok(buf)
    }

    /// The response to `req` checked for its type and result, then (with a
    /// key) its MAC.
    fn check(&self, req: &RpmbFrame, rsp: &[u8], key: Option<&Key>) -> Result<RpmbFrame> {
        let what = self.what(req.msg_type());
        let (f, _) = RpmbFrame::read_from_prefix(rsp)
            .map_err(|_| CliError::Device(format!("{what}: short response")))?;
        if f.msg_type() != req.msg_type().response() {
            return Err(CliError::Device(format!(
                "{what}: non-matching response type {:#06x} (expected {:#06x})",
                f.msg_type().0,
                req.msg_type().response().0
            )));
        }
        let r = f.result();
        if r.code() != RpmbResultCode::OK {
            let name = r.code().name().unwrap_or("unknown result");
            let expired = if r.expired() {
                ", Write Counter expired"
            } else {
                ""
            };
            return Err(CliError::Device(format!(
                "{what}: {name} (result {:#06x}{expired})",
                r.into_bits()
            )));
        }
        if let Some(k) = key {
            if mac(k, rsp) != f.mac {
                return Err(CliError::Device(format!(
                    "{what}: Authentication failure: the response's MAC does not match \
                     the key (a wrong key, or the response was altered)"
                )));
            }
        }
        Ok(f)
    }

    /// Authentication Key programming, then its result.
    pub fn program_key(&mut self, key: &Key) -> Result<()> {
        let req = RpmbFrame::request(RpmbMsgType::KEY_PROGRAM, self.target).with_mac(*key);
        self.send(req.as_bytes())?;
        // The key programming response carries no MAC.
        self.result(&req, None).map(|_| ())
    }

    /// A Result Read Request, then the response to the write `req`.
    fn result(&mut self, req: &RpmbFrame, key: Option<&Key>) -> Result<RpmbFrame> {
        let rr = RpmbFrame::request(RpmbMsgType::RESULT_READ, self.target);
        self.send(rr.as_bytes())?;
        let rsp = self.receive(FRAME_LEN)?;
        self.check(req, &rsp, key)
    }

    /// A read request (`msg_type`) of `sectors` at `address`; the response
    /// carries the nonce sent.
    fn read(
        &mut self,
        msg_type: RpmbMsgType,
        address: u32,
        sectors: u32,
        key: &Key,
    ) -> Result<ReadBack> {
        let req = RpmbFrame::request(msg_type, self.target)
            .with_nonce(nonce()?)
            .with_address(address)
            .with_sector_count(sectors);
        self.send(req.as_bytes())?;
        let rsp = self.receive(FRAME_LEN + sectors as usize * SECTOR)?;
        let f = self.check(&req, &rsp, Some(key))?;
        if f.nonce != req.nonce {
            return Err(CliError::Device(format!(
                "{}: non-matching nonce (a replayed response)",
                self.what(msg_type)
            )));
        }
        let n = (f.sector_count.get() as usize).min(sectors as usize);
        Ok(ReadBack {
            counter: f.write_counter.get(),
            data: rsp[FRAME_LEN..FRAME_LEN + n * SECTOR].to_vec(),
        })
    }

    /// The Write Counter.
    pub fn read_counter(&mut self, key: &Key) -> Result<u32> {
        Ok(self.read(RpmbMsgType::READ_COUNTER, 0, 0, key)?.counter)
    }

    /// `sectors` of data at `address`.
    pub fn read_data(&mut self, address: u32, sectors: u32, key: &Key) -> Result<Vec<u8>> {
        Ok(self
            .read(RpmbMsgType::DATA_READ, address, sectors, key)?
            .data)
    }

    /// The Device Configuration Block (target 0).
    pub fn read_config(&mut self, key: &Key) -> Result<(RpmbDcb, u32)> {
        let r = self.read(RpmbMsgType::DCB_READ, 0, 1, key)?;
        let dcb = RpmbDcb::read_from_bytes(&r.data).map_err(|_| {
            CliError::Device(format!(
                "{}: the response carries no configuration block",
                self.what(RpmbMsgType::DCB_READ)
            ))
        })?;
        Ok((dcb, r.counter))
    }

    /// An authenticated write (`msg_type`) of `data` at `address`, signed
    /// with the Write Counter read first; the response must show it
    /// incremented.
    pub fn write(
        &mut self,
        msg_type: RpmbMsgType,
        address: u32,
        data: &[u8],
        key: &Key,
    ) -> Result<()> {
        let counter = self.read_counter(key)?;
        let req = RpmbFrame::request(msg_type, self.target)
            .with_write_counter(counter)
            .with_address(address)
            .with_sector_count((data.len() / SECTOR) as u32);
        let mut frame = req.as_bytes().to_vec();
        frame.extend_from_slice(data);
        let m = mac(key, &frame);
        frame[MAC_FROM - MAC_LEN..MAC_FROM].copy_from_slice(&m);
        let req = req.with_mac(m);
        self.send(&frame)?;
        let f = self.result(&req, Some(key))?;
        if f.write_counter.get() != counter.wrapping_add(1) {
            return Err(CliError::Device(format!(
                "{}: out-of-sync Write Counter ({} after {counter})",
                self.what(msg_type),
                f.write_counter.get()
            )));
        }
        Ok(())
    }
}
