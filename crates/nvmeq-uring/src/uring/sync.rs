//! The synchronous path: one command on the ring, waited for, with
//! borrowed buffers (plain, with metadata, or vectored).

use super::{changes_namespaces, FileRef, Target, Uring};
use io_uring::{opcode, squeue, types};
use nvmeq_core::{Cmd, Completion, Data, Error, QueueKind, VecData};

use crate::buf::CmdBufs;
use crate::iov;
use crate::queue::UNEXPECTED_TAG;
use nvmeq_linux::uapi::{
    NvmeUringCmd, NVME_URING_CMD_ADMIN, NVME_URING_CMD_ADMIN_VEC, NVME_URING_CMD_IO,
    NVME_URING_CMD_IO_VEC,
};

impl Uring {
    /// The file and `cmd_op` for a command on `queue`, vectored or not.
    pub(super) fn file_for(
        &self,
        queue: QueueKind,
        vectored: bool,
    ) -> Result<(FileRef, u32), Error> {
        if vectored && self.max_segments == 0 {
            return Err(Error::Unsupported(
                "vectored commands are disabled on this ring (UringOptions::max_segments(0))",
            ));
        }
        match queue {
            QueueKind::Io => self
                .io_file
                .map(|f| {
                    let op = if vectored {
                        NVME_URING_CMD_IO_VEC
                    } else {
                        NVME_URING_CMD_IO
                    };
                    (f, op)
                })
                .ok_or(Error::Unsupported(
                    "I/O commands need a namespace char device (/dev/ngXnY); this backend \
                     was opened on a controller",
                )),
            QueueKind::Admin => self
                .admin_file
                .map(|f| {
                    let op = if vectored {
                        NVME_URING_CMD_ADMIN_VEC
                    } else {
                        NVME_URING_CMD_ADMIN
                    };
                    (f, op)
                })
                .ok_or(Error::Unsupported(self.admin_missing)),
        }
    }

    #[inline]
    pub(super) fn entry(
        target: Target,
        file: FileRef,
        cmd_op: u32,
        ucmd: &NvmeUringCmd,
        fixed: Option<u16>,
        user_data: u64,
    ) -> squeue::Entry128 {
        if target == Target::Loopback {
            return squeue::Entry128::from(opcode::Nop::new().build()).user_data(user_data);
        }
        let cmd = ucmd.to_cmd80();
        match file {
            FileRef::Fd(fd) => opcode::UringCmd80::new(types::Fd(fd), cmd_op)
                .cmd(cmd)
                .buf_index(fixed)
                .build(),
            FileRef::Fixed(i) => opcode::UringCmd80::new(types::Fixed(i), cmd_op)
                .cmd(cmd)
                .buf_index(fixed)
                .build(),
        }
        .user_data(user_data)
    }

    /// Runs one command whose buffers the caller lends for the call: takes
    /// a slot, fills its iovec array from `vec` when vectored, pushes and
    /// waits for the completion.
    pub(super) fn run_borrowed(
        &mut self,
        queue: QueueKind,
        file: FileRef,
        cmd_op: u32,
        mut ucmd: NvmeUringCmd,
        vec: Option<(&mut VecData<'_, '_>, u32)>,
    ) -> Result<Completion, Error> {
        let (target, limits) = (self.target, self.limits.filter(|_| queue == QueueKind::Io));
        let q = match (&mut self.admin_ring, queue) {
            (Some(a), QueueKind::Admin) => a,
            _ => &mut self.io,
        };
        let ud = q
            .slab
            .insert(UNEXPECTED_TAG, CmdBufs::default())
            .map_err(|_| Error::QueueFull)?;
        if let Some((data, need)) = vec {
            let filled = match q.slab.in_flight_parts(ud) {
                Some((_, iov)) => iov::fill_borrowed(iov, data, need).and_then(|n| {
                    iov::check_mapping(&iov[..n], limits).map(|()| (iov.as_ptr(), n))
                }),
                None => Err(Error::Internal("the in-flight slot vanished")),
            };
            match filled {
                Ok((at, n)) => {
                    ucmd.addr = at as u64;
                    ucmd.data_len = n as u32;
                }
                Err(e) => {
                    q.slab.cancel_insert(ud);
                    return Err(e);
                }
            }
        }
        let entry = Self::entry(target, file, cmd_op, &ucmd, None, ud.encode());
        // SAFETY: the buffers `ucmd` names (data, metadata, or the segments
        // listed in the slot's iovec array) are borrowed for this whole call,
        // and `wait_for` returns only after this command's completion (or
        // aborts the process), so they outlive the kernel's use of them. The
        // iovec array belongs to slot `ud`, which stays taken until then.
        // Every length was checked against its buffer.
        if !unsafe { q.push(&entry) } {
            q.slab.cancel_insert(ud);
            return Err(Error::QueueFull);
        }
        q.wait_for(ud)
    }

    /// Runs one command with a separate metadata buffer (`meta`, in the
    /// data's direction; [`Data::None`] when the namespace's format has no
    /// separate metadata). Its required length is the block count × the
    /// format's metadata size ([`NsFormat::meta_bytes`](crate::NsFormat::meta_bytes)); a longer buffer is
    /// not used past it.
    ///
    /// Metadata travels with I/O commands that move blocks only: the kernel
    /// maps it alongside the data (never without data) into the namespace's
    /// integrity payload, which needs the namespace's block device; older
    /// kernels silently drop it for admin commands, newer ones refuse it. So
    /// anything else is refused here, before the kernel. After a Format NVM
    /// sent over io_uring, the kernel accepts metadata only once it has
    /// rescanned the namespace (see [`rescan`](Self::rescan)).
    pub(super) fn execute_meta(
        &mut self,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        let (need, meta_need) = self.plan(cmd, !meta.is_empty())?;
        let len = data.check(cmd.dir, need as u64)?;
        let meta_len = meta.check(cmd.dir, meta_need as u64)?;
        let (file, cmd_op) = self.file_for(cmd.queue, false)?;
        let addr = match data {
            _ if len == 0 => 0,
            Data::None => 0,
            Data::ToDevice(b) => b.as_ptr() as u64,
            Data::FromDevice(b) => b.as_mut_ptr() as u64,
        };
        let maddr = match meta {
            _ if meta_len == 0 => 0,
            Data::None => 0,
            Data::ToDevice(b) => b.as_ptr() as u64,
            Data::FromDevice(b) => b.as_mut_ptr() as u64,
        };
        let mut ucmd = NvmeUringCmd::from_command(&cmd.sqe, addr, len);
        ucmd.metadata = maddr;
        ucmd.metadata_len = meta_len;
        ucmd.timeout_ms = self.timeout_ms;
        let c = self.run_borrowed(cmd.queue, file, cmd_op, ucmd, None)?;
        if cmd.queue == QueueKind::Admin && changes_namespaces(cmd.sqe.opcode()) {
            // The command succeeded; a failed rescan request (the controller
            // device is open, so it does not fail in practice) must not turn
            // that into an error. Cached formats are forgotten either way.
            let _ = self.rescan();
        }
        Ok(c)
    }

    /// Runs one command whose data is spread over several buffers
    /// (`NVME_URING_CMD_IO_VEC` for I/O, Linux ≥ 5.19;
    /// `NVME_URING_CMD_ADMIN_VEC` for admin, Linux ≥ 6.0), with an optional
    /// separate metadata buffer as in [`execute_with`](nvmeq_core::Backend::execute_with).
    ///
    /// The segments are used in order until they hold the command's transfer
    /// length: empty ones are skipped, the last one used is cut, and later
    /// ones are not given to the kernel. Too few bytes in all is
    /// [`Error::BufferTooSmall`]; covering the transfer may take at most
    /// [`max_segments`](Self::max_segments) segments. The iovec array lives in
    /// the command's in-flight slot, not on the stack. Registered buffers are
    /// passed as plain memory (the kernel refuses `IORING_URING_CMD_FIXED` on
    /// vectored commands).
    pub(super) fn execute_segments(
        &mut self,
        cmd: &Cmd,
        mut data: VecData<'_, '_>,
        meta: Data<'_>,
    ) -> Result<Completion, Error> {
        let (need, meta_need) = self.plan(cmd, !meta.is_empty())?;
        if need == 0 {
            return Err(Error::ZeroLength);
        }
        data.check_dir(cmd.dir)?;
        let meta_len = meta.check(cmd.dir, meta_need as u64)?;
        let (file, cmd_op) = self.file_for(cmd.queue, true)?;
        let maddr = match meta {
            _ if meta_len == 0 => 0,
            Data::None => 0,
            Data::ToDevice(b) => b.as_ptr() as u64,
            Data::FromDevice(b) => b.as_mut_ptr() as u64,
        };
        // `addr` and `data_len` are set from the slot's iovec array.
        let mut ucmd = NvmeUringCmd::from_command(&cmd.sqe, 0, 0);
        ucmd.metadata = maddr;
        ucmd.metadata_len = meta_len;
        ucmd.timeout_ms = self.timeout_ms;
        self.run_borrowed(cmd.queue, file, cmd_op, ucmd, Some((&mut data, need)))
    }
}
