//! Security Send and Security Receive (Base spec 2.0, "Security Send
//! command", "Security Receive command"): protocol 00h's Supported Security
//! Protocols List (SPC-5, SPSP 0000h), which names 00h and EAh, and
//! protocol EAh, RPMB (`rpmb.rs`). Every other protocol, and Security Send
//! of protocol 00h, is refused with Invalid Field in Command.

use nvmeq_core::cmd::SecurityCdw10;
use nvmeq_core::rpmb::SECP_RPMB;
use nvmeq_core::{Command, Data, Status};

use crate::controller::{data_in, RamController};
use crate::status::{at, dnr, Fail};

/// Security Protocol 00h: security protocol information.
const SECP_INFO: u8 = 0x00;

/// The Supported Security Protocols List: six reserved bytes, the list
/// length (big-endian, as SPC-5 lays it out), then the protocols.
const SUPPORTED_PROTOCOLS: [u8; 10] = [0, 0, 0, 0, 0, 0, 0, 2, SECP_INFO, SECP_RPMB];

impl RamController {
    /// Security Receive (admin 82h): AL (CDW11) bytes of the answer.
    pub(crate) fn security_receive(
        &mut self,
        sqe: &Command,
        mut data: Data<'_>,
    ) -> Result<u64, Fail> {
        let cdw10 = SecurityCdw10::from_bits(sqe.cdw10);
        if cdw10.secp() == SECP_RPMB {
            return self.rpmb.receive(sqe, data);
        }
        if cdw10.secp() != SECP_INFO {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10 + 3));
        }
        if cdw10.spsp0() != 0 || cdw10.spsp1() != 0 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10 + 1));
        }
        let al = sqe.cdw11 as u64;
        if al == 0 {
            return Ok(0);
        }
        let out = data_in(&mut data, al)?;
        let n = out.len().min(SUPPORTED_PROTOCOLS.len());
        out[..n].copy_from_slice(&SUPPORTED_PROTOCOLS[..n]);
        out[n..].fill(0);
        Ok(0)
    }

    /// Security Send (admin 81h): RPMB requests; protocol 00h only receives.
    pub(crate) fn security_send(&mut self, sqe: &Command, data: &Data<'_>) -> Result<u64, Fail> {
        if SecurityCdw10::from_bits(sqe.cdw10).secp() == SECP_RPMB {
            return self.rpmb.send(sqe, data);
        }
        Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10 + 3))
    }
}
