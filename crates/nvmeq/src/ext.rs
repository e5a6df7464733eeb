//! [`BackendExt`]: the convenience calls most programs want, on every backend.

use nvmeq_core::cmd::{Identify, Read, Write};
use nvmeq_core::identify::{IdentifyController, IdentifyNamespace};
use nvmeq_core::{Backend, Data, Error};
use zerocopy::{FromZeros, IntoBytes};

/// Most blocks one Read or Write can carry (NLB is 16 bits, zero-based).
const MAX_NLB: usize = 1 << 16;

/// Helpers on top of [`Backend::execute`], implemented for every backend.
///
/// The block calls are named `read_blocks` / `write_blocks` rather than
/// `read` / `write` so they never clash with [`Backend::push`] (the queue
/// interface) when both traits are in scope.
pub trait BackendExt: Backend {
    /// Identify Controller (CNS 01h).
    fn identify_controller(&mut self) -> Result<IdentifyController, Error> {
        let mut id = IdentifyController::new_zeroed();
        self.execute(
            &Identify::controller().build(),
            Data::FromDevice(id.as_mut_bytes()),
        )?;
        Ok(id)
    }

    /// Identify Namespace (CNS 00h) for `nsid`, NVM command set.
    fn identify_namespace(&mut self, nsid: u32) -> Result<IdentifyNamespace, Error> {
        let mut id = IdentifyNamespace::new_zeroed();
        self.execute(
            &Identify::namespace(nsid).build(),
            Data::FromDevice(id.as_mut_bytes()),
        )?;
        Ok(id)
    }

    /// Reads `buf.len()` bytes from namespace `nsid` starting at block `slba`.
    /// The length must be a non-zero multiple of the LBA size; transfers
    /// larger than the controller's limit are split into several Reads.
    fn read_blocks(&mut self, nsid: u32, slba: u64, buf: &mut [u8]) -> Result<(), Error> {
        let (lba, per_cmd) = geometry(self, nsid, buf.len())?;
        let mut lba_at = slba;
        for chunk in buf.chunks_mut(per_cmd * lba) {
            let nlb = chunk.len() / lba;
            let cmd = Read::new(nsid, lba_at, (nlb - 1) as u16).build();
            self.execute(&cmd, Data::FromDevice(chunk))?;
            lba_at = next_lba(lba_at, nlb)?;
        }
        Ok(())
    }

    /// Writes `data` to namespace `nsid` starting at block `slba`, under the
    /// same length rules as [`read_blocks`](BackendExt::read_blocks).
    fn write_blocks(&mut self, nsid: u32, slba: u64, data: &[u8]) -> Result<(), Error> {
        let (lba, per_cmd) = geometry(self, nsid, data.len())?;
        let mut lba_at = slba;
        for chunk in data.chunks(per_cmd * lba) {
            let nlb = chunk.len() / lba;
            let cmd = Write::new(nsid, lba_at, (nlb - 1) as u16).build();
            self.execute(&cmd, Data::ToDevice(chunk))?;
            lba_at = next_lba(lba_at, nlb)?;
        }
        Ok(())
    }
}

impl<B: Backend + ?Sized> BackendExt for B {}

/// The LBA size and the most blocks one command may move, after checking
/// that `len` is a whole number of blocks.
fn geometry<B: Backend + ?Sized>(
    b: &mut B,
    nsid: u32,
    len: usize,
) -> Result<(usize, usize), Error> {
    let lba = b.lba_size(nsid)? as usize;
    if len == 0 {
        return Err(Error::ZeroLength);
    }
    if len % lba != 0 {
        return Err(Error::NotBlockMultiple {
            len,
            lba_size: lba as u32,
        });
    }
    let per_cmd = (b.caps().max_xfer as usize / lba).clamp(1, MAX_NLB);
    Ok((lba, per_cmd))
}

fn next_lba(lba: u64, nlb: usize) -> Result<u64, Error> {
    lba.checked_add(nlb as u64)
        .ok_or(Error::LbaOverflow { slba: lba })
}
