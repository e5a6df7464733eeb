//! [`IoctlBackend`]: NVMe commands through Linux's blocking passthrough ioctls.

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use heapless::Deque;
use nvmeq_core::cmd::Identify;
use nvmeq_core::format::{self, FormatCache};
use nvmeq_core::sync_queue::{Queued, SyncQueue};
use nvmeq_core::{
    backend::check_len, Backend, Caps, Cmd, Completion, Data, Error, IoBuf, QueueKind, Reaped,
    Rejected, Status, VecData, WithMeta, Xfer,
};
use nvmeq_core::{IdentifyController, IdentifyNamespace, IdentifyNamespaceNvm};
use zerocopy::FromBytes;

use crate::buf::IoctlBuf;
use crate::open::{self, OpenError};
use crate::sys::{self, Buf, Queue, MAX_IOVECS};
use nvmeq_linux::uapi::{
    NvmePassthruCmd64, NVME_IOCTL_RESCAN, NVME_IOCTL_RESET, NVME_IOCTL_SUBSYS_RESET,
};
use nvmeq_linux::QueueLimits;

/// Commands the queue interface holds at once (written plus completed, not yet reaped).
pub const QUEUE_SLOTS: usize = 64;

/// Namespaces whose format is cached.
const FORMAT_CACHE: usize = 16;

/// When neither MDTS nor sysfs bounds transfers: Linux's NVMe driver never
/// accepts more than this per command (`NVME_MAX_KB_SZ`, 4 MiB before 6.3).
const FALLBACK_MAX_XFER: u32 = 4 << 20;

/// The memory page size assumed for MDTS (CAP.MPSMIN is not readable through
/// the passthrough interface; Linux always runs the controller with 4 KiB pages).
const MPSMIN_BYTES: u32 = 4096;

pub use nvmeq_core::format::NsFormat;

/// The blocking passthrough backend.
///
/// Admin commands go through the controller (`/dev/nvmeX`, or the namespace
/// device when the controller cannot be opened), I/O commands through the
/// namespace device (`/dev/ngXnY` or `/dev/nvmeXnY`). Every call blocks
/// until the completion; the queue interface runs written commands one by
/// one in [`Backend::submit`], so [`Caps::queue_depth`] is 1.
pub struct IoctlBackend {
    ctrl: Option<File>,
    ctrl_path: Option<PathBuf>,
    ns: Option<File>,
    ns_path: Option<PathBuf>,
    nsid: Option<u32>,
    timeout_ms: u32,
    syscalls: u64,
    mdts_bytes: Option<u32>,
    max_xfer: u32,
    /// The block-queue limits vectored buffers are checked against before
    /// the kernel maps them.
    limits: Option<QueueLimits>,
    formats: FormatCache<FORMAT_CACHE>,
    queue: SyncQueue<
        IoctlBuf,
        Deque<Queued<IoctlBuf>, QUEUE_SLOTS>,
        Deque<Reaped<IoctlBuf>, QUEUE_SLOTS>,
    >,
}

impl core::fmt::Debug for IoctlBackend {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IoctlBackend")
            .field("ctrl", &self.ctrl_path)
            .field("ns", &self.ns_path)
            .field("nsid", &self.nsid)
            .field("timeout_ms", &self.timeout_ms)
            .field("max_xfer", &self.max_xfer)
            .finish()
    }
}

/// The current format from an Identify Namespace data structure
/// ([`IdentifyNamespace`]). `None` for an inactive namespace (NSZE 0).
pub fn parse_ns_format(id: &[u8; 4096]) -> Result<Option<NsFormat>, Error> {
    let ns = IdentifyNamespace::read_from_bytes(&id[..])
        .map_err(|_| Error::Malformed("Identify Namespace (wrong size)"))?;
    NsFormat::from_identify(&ns)
}

/// The current format from Identify Namespace and the NVM Command Set's
/// Identify Namespace (CNS 05h: the PI guard format and storage tag size).
pub fn parse_ns_format_nvm(id: &[u8; 4096], nvm: &[u8; 4096]) -> Result<Option<NsFormat>, Error> {
    let ns = IdentifyNamespace::read_from_bytes(&id[..])
        .map_err(|_| Error::Malformed("Identify Namespace (wrong size)"))?;
    let nvm = IdentifyNamespaceNvm::read_from_bytes(&nvm[..])
        .map_err(|_| Error::Malformed("NVM Identify Namespace (wrong size)"))?;
    NsFormat::from_identify_nvm(&ns, Some(&nvm))
}

/// MDTS in bytes from Identify Controller (`None`: no limit, or one beyond `u32`).
pub fn mdts_bytes(id_ctrl: &[u8; 4096]) -> Option<u32> {
    let ctrl = IdentifyController::read_from_bytes(&id_ctrl[..]).ok()?;
    ctrl.mdts_bytes(MPSMIN_BYTES)
        .and_then(|b| u32::try_from(b).ok())
}

impl IoctlBackend {
    /// Opens a controller, a namespace, or both.
    ///
    /// From a namespace alone, the controller is found through sysfs
    /// (`/sys/dev/char/M:m/device`); if it cannot be opened for lack of
    /// permission, admin commands go through the namespace device (which
    /// Linux also accepts). The namespace id comes from `NVME_IOCTL_ID`.
    /// Identify Controller is sent once to learn MDTS.
    pub fn open(ctrl: Option<&Path>, ns: Option<&Path>) -> Result<Self, OpenError> {
        if ctrl.is_none() && ns.is_none() {
            return Err(OpenError::NothingGiven);
        }
        let ns_node = ns.map(open::open_namespace).transpose()?;
        let (ctrl_file, ctrl_path) = match (ctrl, ns, &ns_node) {
            (Some(c), Some(p), Some(node)) => {
                let f = open::open_controller(c)?.file;
                open::check_same_controller(c, p, node)?;
                (Some(f), Some(c.to_path_buf()))
            }
            (Some(c), _, _) => (Some(open::open_controller(c)?.file), Some(c.to_path_buf())),
            (None, Some(p), Some(node)) => {
                let c = open::controller_of(p, node)?;
                match open::open_controller(&c) {
                    Ok(n) => (Some(n.file), Some(c)),
                    Err(OpenError::Permission { .. }) => (None, Some(c)),
                    Err(e) => return Err(e),
                }
            }
            _ => (None, None),
        };
        let nsid = match (&ns_node, ns) {
            (Some(n), Some(p)) => {
                Some(
                    sys::ns_id(n.file.as_fd()).map_err(|errno| OpenError::NoNsid {
                        path: p.into(),
                        errno,
                    })?,
                )
            }
            _ => None,
        };
        let id_calls = u64::from(nsid.is_some());
        let limits = open::queue_limits(ns_node.as_ref(), ctrl_path.as_deref());
        let mut me = IoctlBackend {
            ctrl: ctrl_file,
            ctrl_path,
            ns: ns_node.map(|n| n.file),
            ns_path: ns.map(Path::to_path_buf),
            nsid,
            timeout_ms: 0,
            syscalls: id_calls,
            mdts_bytes: None,
            max_xfer: limits.map_or(FALLBACK_MAX_XFER, |l| l.max_xfer()),
            limits,
            formats: FormatCache::new(),
            queue: SyncQueue::new(Deque::new(), Deque::new(), QUEUE_SLOTS as u32),
        };
        let mut id = [0u8; 4096];
        let admin_path = me
            .ctrl
            .as_ref()
            .and(me.ctrl_path.clone())
            .or_else(|| me.ns_path.clone())
            .unwrap_or_default();
        me.execute(&Identify::controller().build(), Data::FromDevice(&mut id))
            .map_err(|source| match source {
                Error::Os {
                    errno: libc::EACCES | libc::EPERM,
                    ..
                } => OpenError::Permission {
                    path: admin_path.clone(),
                },
                source => OpenError::Identify {
                    path: admin_path.clone(),
                    source,
                },
            })?;
        me.mdts_bytes = mdts_bytes(&id);
        if let Some(m) = me.mdts_bytes {
            me.max_xfer = me.max_xfer.min(m);
        }
        Ok(me)
    }

    /// Sets the timeout passed with every command (0: the kernel's default,
    /// `nvme_core.admin_timeout`/`io_timeout`). On expiry Linux aborts the
    /// command (or resets the controller) and the call returns its error.
    pub fn set_timeout_ms(&mut self, ms: u32) {
        self.timeout_ms = ms;
    }

    /// The timeout passed with every command.
    pub fn timeout_ms(&self) -> u32 {
        self.timeout_ms
    }

    /// The namespace id of the namespace device, if one was opened.
    pub fn nsid(&self) -> Option<u32> {
        self.nsid
    }

    /// The controller device path (given or found in sysfs).
    pub fn ctrl_path(&self) -> Option<&Path> {
        self.ctrl_path.as_deref()
    }

    /// The namespace device path.
    pub fn ns_path(&self) -> Option<&Path> {
        self.ns_path.as_deref()
    }

    /// MDTS in bytes as the controller reports it (`None`: no limit).
    pub fn mdts(&self) -> Option<u32> {
        self.mdts_bytes
    }

    /// The current format of namespace `nsid` (Identify Namespace on first
    /// use, then cached; with protection information also the NVM Command
    /// Set's Identify Namespace, CNS 05h, for the guard format).
    pub fn ns_format(&mut self, nsid: u32) -> Result<NsFormat, Error> {
        if let Some(f) = self.formats.get(nsid) {
            return Ok(f);
        }
        let id = self.identify_ns(&Identify::namespace(nsid).build())?;
        let mut f = parse_ns_format(&id)?.ok_or(Error::UnknownNamespace(nsid))?;
        if f.pi.is_some() {
            // A controller without CNS 05h (before NVMe 2.0) has the 16-bit
            // guard only, which is what parse_ns_format assumed.
            if let Ok(nvm) = self.identify_ns(&Identify::nvm_namespace(nsid).build()) {
                f = parse_ns_format_nvm(&id, &nvm)?.ok_or(Error::UnknownNamespace(nsid))?;
            }
        }
        self.formats.insert(nsid, f);
        Ok(f)
    }

    /// Runs a namespace Identify (`cmd`), through the namespace device when
    /// it is that device's own namespace.
    fn identify_ns(&mut self, cmd: &Cmd) -> Result<[u8; 4096], Error> {
        let mut id = [0u8; 4096];
        match (&self.ns, self.nsid) {
            // The namespace device's own format comes through that device, so
            // it is its controller that answers even if --ctrl named another:
            // a wrong LBA size would make the kernel map less than the device moves.
            (Some(ns), Some(own)) if own == cmd.nsid() => {
                let mut p = NvmePassthruCmd64::from_command(&cmd.sqe, self.timeout_ms);
                let r = sys::passthru(
                    ns.as_fd(),
                    Queue::Admin,
                    &mut p,
                    Buf::In(&mut id),
                    Buf::None,
                );
                self.syscalls += 1;
                self.finish(Queue::Admin.op(), &p, r)?;
            }
            _ => {
                self.execute(cmd, Data::FromDevice(&mut id))?;
            }
        }
        Ok(id)
    }

    /// Resets the controller (`NVME_IOCTL_RESET` on its device, as `nvme
    /// reset`): Linux quiesces it, resets it and sets its queues up again;
    /// commands in flight elsewhere are retried or failed by the kernel.
    pub fn reset(&mut self) -> Result<(), Error> {
        self.ctrl_ioctl(NVME_IOCTL_RESET, "NVME_IOCTL_RESET")
    }

    /// Resets the NVM subsystem (`NVME_IOCTL_SUBSYS_RESET` on the controller
    /// device, as `nvme subsystem-reset`): the kernel writes NSSR and then
    /// resets and sets up its controllers again.
    pub fn subsystem_reset(&mut self) -> Result<(), Error> {
        self.ctrl_ioctl(NVME_IOCTL_SUBSYS_RESET, "NVME_IOCTL_SUBSYS_RESET")
    }

    /// Has Linux rescan the controller's namespaces (`NVME_IOCTL_RESCAN`, as
    /// `nvme ns-rescan`; the kernel does it asynchronously), and forgets the
    /// cached formats.
    pub fn rescan(&mut self) -> Result<(), Error> {
        self.ctrl_ioctl(NVME_IOCTL_RESCAN, "NVME_IOCTL_RESCAN")?;
        self.formats.clear();
        Ok(())
    }

    /// An argument-less ioctl on the controller device, which it needs (a
    /// namespace device does not take these).
    fn ctrl_ioctl(&mut self, req: u32, op: &'static str) -> Result<(), Error> {
        let fd = self
            .ctrl
            .as_ref()
            .map(|f| f.as_fd())
            .ok_or(Error::Unsupported(
            "the controller device (/dev/nvmeX) is not open: it was not given and could not be \
             opened from the namespace's sysfs entry",
        ))?;
        self.syscalls += 1;
        sys::no_arg(fd, req).map_err(|errno| Error::Os { op, errno })
    }

    /// Forgets cached namespace formats (after a Format NVM or namespace management).
    pub fn forget_formats(&mut self) {
        self.formats.clear();
    }

    fn admin_fd(&self) -> Result<BorrowedFd<'_>, Error> {
        self.ctrl
            .as_ref()
            .or(self.ns.as_ref())
            .map(|f| f.as_fd())
            .ok_or(Error::Unsupported(
                "no controller or namespace device is open",
            ))
    }

    fn io_fd(&self, nsid: u32) -> Result<BorrowedFd<'_>, Error> {
        let f = self.ns.as_ref().ok_or(Error::Unsupported(
            "I/O commands need a namespace device (/dev/ngXnY or /dev/nvmeXnY)",
        ))?;
        if Some(nsid) != self.nsid {
            return Err(Error::NsidMismatch {
                nsid,
                device: self.nsid.unwrap_or(0),
            });
        }
        Ok(f.as_fd())
    }

    /// Resolves and checks what the command transfers, before any ioctl:
    /// (data bytes, metadata bytes per the namespace format).
    fn plan(&mut self, cmd: &Cmd, has_meta: bool) -> Result<(u32, u32), Error> {
        let fmt = match cmd.xfer {
            Xfer::Blocks(_) => Some(self.ns_format(cmd.nsid())?),
            _ => None,
        };
        let p = format::plan(cmd, fmt, self.max_xfer, has_meta)?;
        Ok((p.data, p.meta))
    }

    fn finish(
        &self,
        op: &'static str,
        p: &NvmePassthruCmd64,
        r: Result<i32, i32>,
    ) -> Result<Completion, Error> {
        match r {
            Err(errno) => Err(Error::Os { op, errno }),
            Ok(0) => Ok(Completion::from_result(p.result, Status::SUCCESS)),
            Ok(st) => Err(Error::Status(Status::from_bits((st & 0x7fff) as u16))),
        }
    }
}

impl Backend for IoctlBackend {
    type Buf = IoctlBuf;

    fn caps(&self) -> Caps {
        // max_xfer: MDTS (× 4 KiB), bounded by what the kernel maps for one
        // command whatever the buffer's alignment (see `QueueLimits::max_xfer`).
        Caps {
            kind: nvmeq_core::BackendKind::Ioctl,
            max_xfer: self.max_xfer,
            queue_depth: 1,
            admin: true,
            metadata: true,
        }
    }

    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.ns_format(nsid).map(|f| f.block_bytes)
    }

    fn alloc(&mut self, len: usize) -> Result<IoctlBuf, Error> {
        Ok(IoctlBuf::new(len))
    }

    /// Runs one command with a separate metadata buffer (`meta`, in the data's
    /// direction; [`Data::None`] when the format has none). Its required
    /// length is the block count × the format's metadata size.
    fn execute_with(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        let (need, meta_need) = self.plan(cmd, !meta.is_empty())?;
        let len = data.check(cmd.dir, need as u64)? as usize;
        let meta_len = meta.check(cmd.dir, meta_need as u64)? as usize;
        let data = match data {
            _ if len == 0 => Buf::None,
            Data::None => Buf::None,
            Data::ToDevice(b) => Buf::Out(&b[..len]),
            Data::FromDevice(b) => Buf::In(&mut b[..len]),
        };
        let meta = match meta {
            _ if meta_len == 0 => Buf::None,
            Data::None => Buf::None,
            Data::ToDevice(b) => Buf::Out(&b[..meta_len]),
            Data::FromDevice(b) => Buf::In(&mut b[..meta_len]),
        };
        let mut p = NvmePassthruCmd64::from_command(&cmd.sqe, self.timeout_ms);
        let queue = match cmd.queue {
            QueueKind::Admin => Queue::Admin,
            QueueKind::Io => Queue::Io,
        };
        let fd = match queue {
            Queue::Admin => self.admin_fd()?,
            Queue::Io => self.io_fd(cmd.nsid())?,
        };
        let r = sys::passthru(fd, queue, &mut p, data, meta);
        self.syscalls += 1;
        self.finish(queue.op(), &p, r)
    }

    /// Runs one I/O command whose data is spread over several buffers
    /// (`NVME_IOCTL_IO64_CMD_VEC`). The segments are used in order until
    /// they hold the command's transfer length; at most 64 segments.
    fn execute_vec(
        &mut self,
        cmd: &Cmd,
        data: VecData<'_, '_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        if cmd.queue != QueueKind::Io {
            return Err(Error::Unsupported(
                "vectored transfers are for I/O commands only (NVME_IOCTL_IO64_CMD_VEC)",
            ));
        }
        let (need, meta_need) = self.plan(cmd, !meta.is_empty())?;
        data.check_dir(cmd.dir)?;
        let lens = |it: &mut dyn Iterator<Item = usize>| -> (usize, usize) {
            // (total bytes, segments needed to cover `need`)
            let (mut total, mut segs) = (0usize, 0usize);
            for l in it {
                if total >= need as usize {
                    break;
                }
                if l > 0 {
                    segs += 1;
                }
                total += l;
            }
            (total, segs)
        };
        let (total, segs) = match &data {
            VecData::ToDevice(s) => lens(&mut s.iter().map(|b| b.len())),
            VecData::FromDevice(s) => lens(&mut s.iter().map(|b| b.len())),
        };
        check_len(need as u64, total)?;
        if segs > MAX_IOVECS {
            return Err(Error::TooManySegments {
                have: segs,
                max: MAX_IOVECS,
            });
        }
        if let Some(l) = &self.limits {
            // The segments as the kernel maps them: cut to `need`.
            let cut = |left: &mut usize, (b, len): (usize, usize)| {
                let take = len.min(*left);
                *left -= take;
                (take > 0).then_some((b, take))
            };
            match &data {
                VecData::ToDevice(s) => l.check_mapping(
                    s.iter()
                        .map(|b| (b.as_ptr() as usize, b.len()))
                        .filter(|&(_, len)| len > 0)
                        .scan(need as usize, cut),
                ),
                VecData::FromDevice(s) => l.check_mapping(
                    s.iter()
                        .map(|b| (b.as_ptr() as usize, b.len()))
                        .filter(|&(_, len)| len > 0)
                        .scan(need as usize, cut),
                ),
            }?;
        }
        let meta_len = meta.check(cmd.dir, meta_need as u64)? as usize;
        let meta = match meta {
            _ if meta_len == 0 => Buf::None,
            Data::None => Buf::None,
            Data::ToDevice(b) => Buf::Out(&b[..meta_len]),
            Data::FromDevice(b) => Buf::In(&mut b[..meta_len]),
        };
        let fd = self.io_fd(cmd.nsid())?;
        let mut p = NvmePassthruCmd64::from_command(&cmd.sqe, self.timeout_ms);
        let v = match data {
            VecData::ToDevice(s) => sys::Vec::Out(s),
            VecData::FromDevice(s) => sys::Vec::In(s),
        };
        let r = sys::passthru_vec(fd, &mut p, v, need, meta);
        self.syscalls += 1;
        self.finish("NVME_IOCTL_IO64_CMD_VEC", &p, r)
    }

    fn push(
        &mut self,
        cmd: &Cmd,
        buf: Option<IoctlBuf>,
        tag: u64,
    ) -> Result<(), Rejected<IoctlBuf>> {
        // The buffer is checked when the command runs, in submit.
        let len = buf
            .as_ref()
            .map_or(0, |b| u32::try_from(b.len()).unwrap_or(u32::MAX));
        self.queue.push(cmd, buf, tag, len)
    }

    /// Queues a command with a separate metadata buffer; both are checked
    /// against the command when it runs, in submit, and come back in its
    /// [`Reaped`].
    fn push_with(
        &mut self,
        cmd: &Cmd,
        data: Option<IoctlBuf>,
        meta: Option<IoctlBuf>,
        tag: u64,
    ) -> Result<(), Rejected<WithMeta<IoctlBuf>>> {
        let len = |b: &Option<IoctlBuf>| {
            b.as_ref()
                .map_or(0, |b| u32::try_from(b.len()).unwrap_or(u32::MAX))
        };
        let (dl, ml) = (len(&data), len(&meta));
        self.queue.push_with(cmd, data, meta, tag, dl, ml)
    }

    /// Runs every pushed command, one ioctl each, in order.
    fn submit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.queue.check_wait(min_complete)?;
        let mut n = 0;
        while let Some(mut q) = self.queue.take_next() {
            let cmd = q.cmd;
            let (data, meta) = q.data_and_meta();
            let result = self.execute_with(&cmd, data, meta);
            self.queue.finish(q, result);
            n += 1;
        }
        Ok(n)
    }

    fn reap(&mut self, f: impl FnMut(Reaped<IoctlBuf>)) -> usize {
        self.queue.reap(f)
    }

    fn in_flight(&self) -> u32 {
        self.queue.in_flight()
    }

    /// One ioctl per command (the queue interface too: `submit` runs each
    /// pushed command with its own ioctl), plus `NVME_IOCTL_ID` at open.
    fn syscalls(&self) -> Option<u64> {
        Some(self.syscalls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ns_format_from_identify() {
        let mut id = [0u8; 4096];
        assert_eq!(parse_ns_format(&id).unwrap(), None, "NSZE 0: inactive");
        id[0] = 0x10; // NSZE
        id[26] = 1; // FLBAS: format 1, separate metadata
        id[128 + 4..128 + 8].copy_from_slice(&[8, 0, 12, 0]); // LBAF1: ms 8, 4 KiB
        assert_eq!(
            parse_ns_format(&id).unwrap(),
            Some(NsFormat::separate(4096, 8))
        );
        id[26] = 0x11; // extended LBA: metadata interleaved
        assert_eq!(
            parse_ns_format(&id).unwrap(),
            Some(NsFormat::extended(4096, 8))
        );
        id[26] = 0x20; // FLBAS bits 6:5 = 1: format 16
        id[128 + 64..128 + 68].copy_from_slice(&[0, 0, 9, 0]);
        assert_eq!(
            parse_ns_format(&id).unwrap(),
            Some(NsFormat::separate(512, 0))
        );
        id[128 + 66] = 3;
        assert!(matches!(parse_ns_format(&id), Err(Error::Malformed(_))));
    }

    #[test]
    fn the_guard_format_comes_from_the_nvm_identify_namespace() {
        let mut id = [0u8; 4096];
        id[0] = 0x10; // NSZE
        id[26] = 1; // FLBAS: format 1, separate metadata
        id[29] = 2; // DPS: PI type 2
        id[128 + 4..128 + 8].copy_from_slice(&[16, 0, 12, 0]); // LBAF1: ms 16, 4 KiB
        let guessed = parse_ns_format(&id).unwrap().unwrap();
        assert!(!guessed.pi_only(), "16-bit guard assumed: 8 of 16 B are PI");
        let mut nvm = [0u8; 4096];
        nvm[12 + 4..12 + 8].copy_from_slice(&(2u32 << 7).to_le_bytes()); // ELBAF1: PIF 64b
        let f = parse_ns_format_nvm(&id, &nvm).unwrap().unwrap();
        assert_eq!(f.pi.map(|p| p.size()), Some(16));
        assert!(
            f.pi_only(),
            "the 64-bit guard's tuple is all of the metadata"
        );
    }

    #[test]
    fn mdts_in_bytes() {
        let mut id = [0u8; 4096];
        assert_eq!(mdts_bytes(&id), None);
        id[77] = 7;
        assert_eq!(mdts_bytes(&id), Some(512 * 1024));
        id[77] = 40;
        assert_eq!(mdts_bytes(&id), None, "beyond u32: no usable limit");
    }
}
