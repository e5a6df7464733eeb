//! The only module with `unsafe`: the `ioctl(2)` calls.
//!
//! The safe functions here take slices, never addresses: they write the
//! slices' addresses and lengths into the passthrough struct themselves, so the
//! kernel can only ever be pointed at live memory of the length given. Callers
//! pass slices already cut to the command's transfer length.

use std::os::fd::{AsRawFd, BorrowedFd};

use nvmeq_linux::uapi::{
    NvmePassthruCmd64, NVME_IOCTL_ADMIN64_CMD, NVME_IOCTL_ID, NVME_IOCTL_IO64_CMD,
    NVME_IOCTL_IO64_CMD_VEC,
};

/// The most `iovec`s one vectored command takes (the kernel's limit is
/// `UIO_MAXIOV`, 1024; this keeps the array on the stack).
pub const MAX_IOVECS: usize = 64;

/// A data or metadata buffer for one passthrough command.
#[derive(Debug)]
pub enum Buf<'a> {
    /// No buffer.
    None,
    /// The kernel reads from it (host to controller).
    Out(&'a [u8]),
    /// The kernel writes into it (controller to host).
    In(&'a mut [u8]),
}

impl Buf<'_> {
    /// The address and length to give the kernel; an `In` buffer's address is
    /// taken through `&mut` since the kernel writes through it.
    fn addr_len(&mut self) -> (u64, u32) {
        let (ptr, len) = match self {
            Buf::None => return (0, 0),
            Buf::Out(b) => (b.as_ptr() as usize, b.len()),
            Buf::In(b) => (b.as_mut_ptr() as usize, b.len()),
        };
        // Lengths are checked to fit u32 by the caller (`Data::check`); saturate defensively
        // downwards, never upwards, so the kernel never sees more than the slice.
        (ptr as u64, u32::try_from(len).unwrap_or(0))
    }
}

/// The queue a passthrough command goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// `NVME_IOCTL_ADMIN64_CMD`.
    Admin,
    /// `NVME_IOCTL_IO64_CMD`.
    Io,
}

impl Queue {
    /// The ioctl's name, for error messages.
    pub const fn op(self) -> &'static str {
        match self {
            Queue::Admin => "NVME_IOCTL_ADMIN64_CMD",
            Queue::Io => "NVME_IOCTL_IO64_CMD",
        }
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Runs one passthrough command with `data` and `meta` (each already cut to
/// the command's length). Returns the ioctl's non-negative return value (0
/// or the NVMe status) or the errno.
pub fn passthru(
    fd: BorrowedFd<'_>,
    queue: Queue,
    cmd: &mut NvmePassthruCmd64,
    mut data: Buf<'_>,
    mut meta: Buf<'_>,
) -> Result<i32, i32> {
    (cmd.cmd.addr, cmd.cmd.data_len) = data.addr_len();
    (cmd.cmd.metadata, cmd.cmd.metadata_len) = meta.addr_len();
    let req = match queue {
        Queue::Admin => NVME_IOCTL_ADMIN64_CMD,
        Queue::Io => NVME_IOCTL_IO64_CMD,
    };
    // SAFETY: `cmd` is a valid, exclusively borrowed `nvme_passthru_cmd64` (80
    // bytes, the size encoded in `req`). `addr`/`data_len` and
    // `metadata`/`metadata_len` were just set from the slices `data` and
    // `meta`, which stay borrowed (and `In` ones exclusively) until this
    // synchronous call returns, so the kernel reads or writes only live memory
    // within their bounds.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, cmd as *mut NvmePassthruCmd64) };
    // Leave no dangling addresses behind in a struct the caller keeps.
    cmd.cmd.addr = 0;
    cmd.cmd.metadata = 0;
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

/// The data side of a vectored command.
#[derive(Debug)]
pub enum Vec<'s, 'a> {
    /// Host to controller.
    Out(&'s [&'a [u8]]),
    /// Controller to host.
    In(&'s mut [&'a mut [u8]]),
}

/// The `iovec`s for `data` cut to exactly `len` bytes, and how many there are;
/// `None` if the segments (at most [`MAX_IOVECS`] of them) hold less than that.
/// Empty segments are left out.
fn iovecs(data: &mut Vec<'_, '_>, len: u32) -> Option<([libc::iovec; MAX_IOVECS], usize)> {
    let empty = libc::iovec {
        iov_base: core::ptr::null_mut(),
        iov_len: 0,
    };
    let mut iov = [empty; MAX_IOVECS];
    let mut n = 0;
    let mut left = len as usize;
    let mut push = |ptr: *mut libc::c_void, seg: usize| {
        let take = seg.min(left);
        if take == 0 || n == MAX_IOVECS {
            return;
        }
        iov[n] = libc::iovec {
            iov_base: ptr,
            iov_len: take,
        };
        n += 1;
        left -= take;
    };
    match data {
        Vec::Out(s) => s
            .iter()
            .for_each(|b| push(b.as_ptr() as *mut libc::c_void, b.len())),
        Vec::In(s) => s
            .iter_mut()
            .for_each(|b| push(b.as_mut_ptr() as *mut libc::c_void, b.len())),
    }
    // Never hand the kernel a list shorter than the command's length.
    (left == 0).then_some((iov, n))
}

/// Runs one vectored I/O command (`NVME_IOCTL_IO64_CMD_VEC`), the segments cut
/// so that together they hold exactly `len` bytes. The caller has checked that
/// they hold at least that many and that there are at most [`MAX_IOVECS`].
pub fn passthru_vec(
    fd: BorrowedFd<'_>,
    cmd: &mut NvmePassthruCmd64,
    mut data: Vec<'_, '_>,
    len: u32,
    mut meta: Buf<'_>,
) -> Result<i32, i32> {
    let (iov, n) = iovecs(&mut data, len).ok_or(libc::EINVAL)?;
    cmd.cmd.addr = iov.as_ptr() as u64;
    cmd.cmd.data_len = n as u32;
    (cmd.cmd.metadata, cmd.cmd.metadata_len) = meta.addr_len();
    // SAFETY: `cmd` is a valid, exclusively borrowed `nvme_passthru_cmd64`.
    // `addr` points at `iov`, a live stack array of `n` initialised iovecs, each
    // a prefix of a slice in `data`, which stays borrowed (the `In` ones
    // exclusively) until this synchronous call returns; the metadata
    // address/length come from the live slice `meta`.
    let ret = unsafe {
        libc::ioctl(
            fd.as_raw_fd(),
            NVME_IOCTL_IO64_CMD_VEC as _,
            cmd as *mut NvmePassthruCmd64,
        )
    };
    cmd.cmd.addr = 0;
    cmd.cmd.metadata = 0;
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret)
    }
}

/// An ioctl that takes no argument (`NVME_IOCTL_RESET`, `NVME_IOCTL_RESCAN`).
pub fn no_arg(fd: BorrowedFd<'_>, req: u32) -> Result<(), i32> {
    // SAFETY: the callers pass requests that take no argument and touch no
    // user memory; the fd is borrowed for the call.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), req as _) };
    if ret < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

/// `NVME_IOCTL_ID`: the namespace id of the namespace device `fd`.
pub fn ns_id(fd: BorrowedFd<'_>) -> Result<u32, i32> {
    // SAFETY: NVME_IOCTL_ID takes no argument and touches no user memory.
    let ret = unsafe { libc::ioctl(fd.as_raw_fd(), NVME_IOCTL_ID as _) };
    if ret < 0 {
        Err(errno())
    } else {
        Ok(ret as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iovecs_cover_exactly_the_command() {
        let (a, b, c) = ([1u8; 512], [2u8; 1024], [3u8; 512]);
        let segs = [&a[..], &[][..], &b[..], &c[..]];
        let (iov, n) = iovecs(&mut Vec::Out(&segs), 1536).unwrap();
        assert_eq!(
            n, 2,
            "the empty segment is skipped, the third is not needed"
        );
        assert_eq!(
            (iov[0].iov_base as usize, iov[0].iov_len),
            (a.as_ptr() as usize, 512)
        );
        assert_eq!(
            (iov[1].iov_base as usize, iov[1].iov_len),
            (b.as_ptr() as usize, 1024)
        );
        // Cut inside a segment: only its prefix is given.
        let (iov, n) = iovecs(&mut Vec::Out(&segs), 1000).unwrap();
        assert_eq!((n, iov[1].iov_len), (2, 488));
        // Too little room.
        assert!(iovecs(&mut Vec::Out(&segs), 2049).is_none());
        // More segments than fit: refused rather than truncated.
        let many = [&a[..1]; MAX_IOVECS + 1];
        assert!(iovecs(&mut Vec::Out(&many), (MAX_IOVECS + 1) as u32).is_none());
        assert!(iovecs(&mut Vec::Out(&many), MAX_IOVECS as u32).is_some());
        let mut d = [0u8; 64];
        let mut segs = [&mut d[..]];
        let (iov, n) = iovecs(&mut Vec::In(&mut segs), 64).unwrap();
        assert_eq!((n, iov[0].iov_len), (1, 64));
    }
}
