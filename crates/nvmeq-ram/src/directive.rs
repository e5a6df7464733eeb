//! Directives (Base spec 2.0, "Directives"): the controller supports the
//! Identify directive only. Its Return Parameters say so (Identify
//! supported, enabled and persistent; Streams and Data Placement not
//! supported), so every other directive type is refused with Invalid Field
//! in Command, as is an Enable Directive: Identify cannot be disabled and
//! there is nothing else to enable.

use nvmeq_core::cmd::{DirectiveCdw11, DirectiveType};
use nvmeq_core::directive::{doper, IdentifyDirectiveParams};
use nvmeq_core::{Command, Data, Status};
use zerocopy::{FromZeros, IntoBytes};

use crate::controller::{data_in, RamController};
use crate::status::{at, dnr, Fail};

/// Return Parameters of the Identify directive.
pub(crate) fn identify_params() -> IdentifyDirectiveParams {
    let mut p = IdentifyDirectiveParams::new_zeroed();
    p.supported.set(DirectiveType::IDENTIFY, true);
    p.enabled.set(DirectiveType::IDENTIFY, true);
    p.persistent.set(DirectiveType::IDENTIFY, true);
    p
}

impl RamController {
    /// The namespace a directive addresses: an active one, or every
    /// namespace (FFFFFFFFh).
    fn directive_nsid(&self, sqe: &Command) -> Result<(), Fail> {
        if sqe.nsid == u32::MAX || self.namespace(sqe.nsid).is_some() {
            Ok(())
        } else {
            Err(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID))
        }
    }

    /// Directive Receive (admin 1Ah).
    pub(crate) fn directive_receive(
        &mut self,
        sqe: &Command,
        mut data: Data<'_>,
    ) -> Result<u64, Fail> {
        let cdw11 = DirectiveCdw11::from_bits(sqe.cdw11);
        if DirectiveType(cdw11.dtype()) != DirectiveType::IDENTIFY {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11 + 1));
        }
        if cdw11.doper() != doper::IDENTIFY_RECV_PARAMS {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
        }
        self.directive_nsid(sqe)?;
        // NUMD dwords: the structure, cut short or followed by zeroes.
        let len = (sqe.cdw10 as u64 + 1) * 4;
        let out = data_in(&mut data, len)?;
        let p = identify_params();
        let b = p.as_bytes();
        let n = out.len().min(b.len());
        out[..n].copy_from_slice(&b[..n]);
        out[n..].fill(0);
        Ok(0)
    }

    /// Directive Send (admin 19h): nothing it can do is defined here.
    pub(crate) fn directive_send(&mut self, sqe: &Command) -> Result<u64, Fail> {
        let cdw11 = DirectiveCdw11::from_bits(sqe.cdw11);
        if DirectiveType(cdw11.dtype()) != DirectiveType::IDENTIFY {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11 + 1));
        }
        self.directive_nsid(sqe)?;
        if cdw11.doper() != doper::IDENTIFY_SEND_ENABLE {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
        }
        // Enable Directive: the target type (TDTYPE, CDW12 bits 15:8) is
        // either Identify, which is always enabled, or unsupported.
        Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW12 + 1))
    }
}
