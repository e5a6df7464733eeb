//! Asking a controller for a namespace's format: Identify Namespace, and the
//! NVM command set's Identify Namespace when PI is enabled, into an
//! [`NsFormat`]. One place for the facade, the CLI and the bench, over any
//! [`Backend`], with the structures on the stack (no alloc).

use zerocopy::{FromZeros, IntoBytes};

use super::NsFormat;
use crate::cmd::Identify;
use crate::error::Error;
use crate::identify::{IdentifyNamespace, IdentifyNamespaceNvm};
use crate::{Backend, Data};

/// What [`query`] learnt of an active namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queried {
    /// Namespace Size (NSZE), in logical blocks.
    pub nsze: u64,
    /// The current LBA format as the buffers see it.
    pub format: NsFormat,
}

/// Reads namespace `nsid`'s size and current format from the controller;
/// `Ok(None)` for an inactive namespace (NSZE 0).
///
/// CNS 05h (CSI 00h) is asked only when Identify Namespace reports PI
/// enabled, since only its ELBAF (the guard format and storage tag size)
/// changes the result. A controller that refuses CNS 05h gets the 16-bit
/// guard without a storage tag: the other guard formats and storage tags
/// are reported only through CNS 05h.
pub fn query<B: Backend + ?Sized>(b: &mut B, nsid: u32) -> Result<Option<Queried>, Error> {
    let mut ns = IdentifyNamespace::new_zeroed();
    b.execute(
        &Identify::namespace(nsid).build(),
        Data::FromDevice(ns.as_mut_bytes()),
    )?;
    let nvm = if ns.dps_bits().pit() != 0 {
        let mut nvm = IdentifyNamespaceNvm::new_zeroed();
        b.execute(
            &Identify::nvm_namespace(nsid).build(),
            Data::FromDevice(nvm.as_mut_bytes()),
        )
        .ok()
        .map(|_| nvm)
    } else {
        None
    };
    Ok(
        NsFormat::from_identify_nvm(&ns, nvm.as_ref())?.map(|format| Queried {
            nsze: ns.nsze,
            format,
        }),
    )
}
