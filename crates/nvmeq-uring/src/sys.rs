//! The few raw syscalls the io_uring crate does not wrap.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nvmeq_linux::uapi::{NVME_IOCTL_ID, NVME_IOCTL_RESCAN};

/// `NVME_IOCTL_ID` on a namespace device: its namespace id.
pub fn namespace_id(fd: &impl AsRawFd) -> io::Result<u32> {
    // SAFETY: NVME_IOCTL_ID takes no argument and only returns a value; the
    // fd is open for the call's duration.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), NVME_IOCTL_ID as _) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as u32)
    }
}

/// `NVME_IOCTL_RESCAN` on a controller device: the kernel queues a rescan of
/// its namespaces (asynchronously).
pub fn rescan(fd: &impl AsRawFd) -> io::Result<()> {
    // SAFETY: NVME_IOCTL_RESCAN takes no argument; the fd is open for the call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), NVME_IOCTL_RESCAN as _) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A non-blocking, close-on-exec eventfd.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd has no memory arguments.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Reads (and so resets) an eventfd's counter; 0 when it was not signalled.
pub fn eventfd_read(fd: &impl AsRawFd) -> io::Result<u64> {
    let mut v = 0u64;
    // SAFETY: reads 8 bytes into a live u64.
    let r = unsafe { libc::read(fd.as_raw_fd(), (&raw mut v).cast(), 8) };
    if r == 8 {
        return Ok(v);
    }
    let e = io::Error::last_os_error();
    if e.kind() == io::ErrorKind::WouldBlock {
        Ok(0)
    } else {
        Err(e)
    }
}
