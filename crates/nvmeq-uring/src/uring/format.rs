//! Namespace formats: looked up once, remembered, and used to plan each
//! command's data and metadata lengths.

use super::{Target, Uring, UringNodes};
use nvmeq_core::cmd::Identify;
use nvmeq_core::format;
use nvmeq_core::{Backend, Cmd, Data, Error, IoBuf, QueueKind, Status, Xfer};

use crate::buf::AlignedBuf;
use crate::probe::{self, NsFormat};
use crate::sys;

impl Uring {
    /// The current format of namespace `nsid`: Identify Namespace on first
    /// use, then remembered (without admin access, the opened namespace's
    /// block size comes from sysfs, which knows it has no metadata).
    #[inline]
    pub fn ns_format(&mut self, nsid: u32) -> Result<NsFormat, Error> {
        match self.formats.get(nsid) {
            Some(f) => Ok(f),
            None => self.look_up_format(nsid),
        }
    }

    /// The first lookup of a namespace's format, kept out of the per-command
    /// path.
    #[cold]
    #[inline(never)]
    fn look_up_format(&mut self, nsid: u32) -> Result<NsFormat, Error> {
        let f = if self.target == Target::Loopback {
            self.loopback_format
        } else if self.admin_file.is_some() {
            let mut id = AlignedBuf::zeroed(4096);
            let r = self.execute(
                &Identify::namespace(nsid).build(),
                Data::FromDevice(id.as_mut_slice()),
            );
            match r {
                Ok(_) => {}
                // By code: the controller may set DNR (or More, CRD) on it.
                Err(Error::Status(s)) if s.matches_code(Status::INVALID_NS_OR_FORMAT) => {
                    return Err(Error::UnknownNamespace(nsid))
                }
                Err(e) => return Err(e),
            }
            let f = probe::format_from_id_ns(id.as_slice())
                .map_err(|_| Error::UnknownNamespace(nsid))?;
            if f.pi.is_some() {
                // The guard format is in the NVM Command Set's Identify
                // Namespace; a controller without CNS 05h (before NVMe 2.0)
                // has the 16-bit guard only, which is what `f` assumed.
                let mut nvm = AlignedBuf::zeroed(4096);
                let r = self.execute(
                    &Identify::nvm_namespace(nsid).build(),
                    Data::FromDevice(nvm.as_mut_slice()),
                );
                match r {
                    Ok(_) => probe::format_from_id_ns_nvm(id.as_slice(), nvm.as_slice())?,
                    Err(_) => f,
                }
            } else {
                f
            }
        } else {
            let sysfs = self.ng.as_deref().filter(|_| nsid == self.nsid);
            let block_bytes = sysfs
                .and_then(probe::sysfs_lba_size)
                .ok_or(Error::UnknownNamespace(nsid))?;
            NsFormat::separate(block_bytes, 0)
        };
        self.formats.insert(nsid, f);
        Ok(f)
    }

    /// Forgets remembered namespace formats; call it after a Format NVM or
    /// namespace management command changed one.
    pub fn forget_formats(&mut self) {
        self.formats.clear();
    }

    /// Asks the kernel to rescan the controller's namespaces
    /// (`NVME_IOCTL_RESCAN` on the controller device) and forgets remembered
    /// formats.
    ///
    /// Linux acts on the effects of admin commands sent through its ioctls
    /// (it rescans after a Format NVM or namespace management) but not of
    /// those sent over io_uring, so until a rescan its namespace (block size,
    /// metadata/integrity set-up) still describes the old format: e.g. it
    /// refuses metadata buffers (EINVAL) on a namespace just formatted with
    /// separate metadata. [`execute`](nvmeq_core::Backend::execute) calls this itself
    /// after a successful Format NVM, Namespace Management or Namespace
    /// Attachment; the rescan runs asynchronously in the kernel.
    pub fn rescan(&mut self) -> Result<(), Error> {
        self.formats.clear();
        if self.target == Target::Loopback {
            return Ok(());
        }
        let ctrl = self
            .nodes
            .as_ref()
            .and_then(UringNodes::ctrl_dev)
            .ok_or(Error::Unsupported(
                "rescanning needs the controller char device /dev/nvmeX",
            ))?;
        sys::rescan(ctrl).map_err(|e| Error::Os {
            op: "NVME_IOCTL_RESCAN",
            errno: e.raw_os_error().unwrap_or(libc::EIO),
        })
    }

    /// Resolves what the command transfers from its own fields, before
    /// anything reaches the kernel: (data bytes, separate metadata bytes).
    #[inline]
    pub(super) fn plan(&mut self, cmd: &Cmd, has_meta: bool) -> Result<(u32, u32), Error> {
        let fmt = match cmd.xfer {
            Xfer::Blocks(_) => Some(self.ns_format(cmd.nsid())?),
            _ => None,
        };
        if has_meta && cmd.queue == QueueKind::Admin && !matches!(cmd.xfer, Xfer::Blocks(_)) {
            return Err(Error::Unsupported(
                "metadata buffers travel with I/O commands only: the controller device \
                 has no block device to carry them (Linux drops or refuses them)",
            ));
        }
        let p = format::plan(cmd, fmt, self.caps.max_xfer, has_meta)?;
        Ok((p.data, p.meta))
    }
}
