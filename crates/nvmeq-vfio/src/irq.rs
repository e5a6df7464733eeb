//! MSI-X interrupts through VFIO: one eventfd per completion queue's vector
//! (`VFIO_DEVICE_SET_IRQS`, `VFIO_PCI_MSIX_IRQ_INDEX`), so a waiter sleeps
//! in `poll(2)` instead of spinning, and a reactor can watch the I/O queues
//! through one epoll descriptor.
//!
//! vfio-pci programs the MSI-X table and enables the capability itself when
//! the eventfds are set; closing the device fd disables them. NVMe routes
//! the admin CQ to vector 0 and each I/O CQ to the vector given at its
//! creation (Create I/O Completion Queue, IEN and IV: NVMe Base 2.0, figure
//! 474).
//!
//! The device request (`VFIO_PCI_REQ_IRQ_INDEX`) is one more eventfd: vfio-pci
//! signals it when the kernel wants the device back (a hot-unplug, an
//! unbind) and then waits until the user closes the device.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use vfio_bindings::bindings::vfio::{
    vfio_irq_info, vfio_irq_set, VFIO_BASE, VFIO_IRQ_INFO_EVENTFD, VFIO_IRQ_SET_ACTION_TRIGGER,
    VFIO_IRQ_SET_DATA_EVENTFD, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX, VFIO_TYPE,
};

/// `_IO(VFIO_TYPE, VFIO_BASE + 9)` and `+ 10` (`include/uapi/linux/vfio.h`).
const VFIO_DEVICE_GET_IRQ_INFO: libc::c_ulong =
    ((VFIO_TYPE as u32) << 8 | (VFIO_BASE + 9)) as libc::c_ulong;
const VFIO_DEVICE_SET_IRQS: libc::c_ulong =
    ((VFIO_TYPE as u32) << 8 | (VFIO_BASE + 10)) as libc::c_ulong;

/// Most vectors set up: the admin queue and up to 64 I/O queues.
pub(crate) const MAX_VECTORS: u32 = 65;

const _: () = assert!(size_of::<vfio_irq_set>() == 20);
const _: () = assert!(size_of::<vfio_irq_info>() == 16);

/// The MSI-X vectors the device offers through VFIO (0 when it has no
/// MSI-X, or VFIO cannot signal it through an eventfd).
pub(crate) fn msix_vectors(dev: &File) -> io::Result<u32> {
    irq_count(dev, VFIO_PCI_MSIX_IRQ_INDEX)
}

/// The interrupts of VFIO index `index` that can signal an eventfd (0 when
/// none can).
fn irq_count(dev: &File, index: u32) -> io::Result<u32> {
    let mut info = vfio_irq_info {
        argsz: size_of::<vfio_irq_info>() as u32,
        flags: 0,
        index,
        count: 0,
    };
    // SAFETY: GET_IRQ_INFO reads and writes one vfio_irq_info, whose argsz
    // says exactly that size; `info` is live and exclusively borrowed.
    let r = unsafe {
        libc::ioctl(
            dev.as_raw_fd(),
            VFIO_DEVICE_GET_IRQ_INFO as _,
            &mut info as *mut vfio_irq_info,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(if info.flags & VFIO_IRQ_INFO_EVENTFD == 0 {
        0
    } else {
        info.count
    })
}

/// Has VFIO trigger interrupts `0..fds.len()` of `index` into `fds`.
fn set_eventfds(dev: &File, index: u32, fds: &[OwnedFd]) -> io::Result<()> {
    // vfio_irq_set followed by the 32-bit fds, built as u32 words so the
    // buffer is aligned for the header.
    let argsz = (size_of::<vfio_irq_set>() + 4 * fds.len()) as u32;
    let mut words: Vec<u32> = vec![
        argsz,
        VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
        index,
        0,
        fds.len() as u32,
    ];
    words.extend(fds.iter().map(|f| f.as_raw_fd() as u32));
    debug_assert_eq!(words.len() * 4, argsz as usize);
    // SAFETY: SET_IRQS reads `argsz` bytes: the header and `count` fds,
    // which is exactly `words`, live for the call. It writes nothing.
    let r = unsafe {
        libc::ioctl(
            dev.as_raw_fd(),
            VFIO_DEVICE_SET_IRQS as _,
            words.as_mut_ptr(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes no pointers.
    let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by eventfd and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// MSI-X vectors `0..n`, each signalling its own eventfd.
#[derive(Debug)]
pub(crate) struct Irqs {
    fds: Vec<OwnedFd>,
}

impl Irqs {
    /// Creates `n` eventfds and has VFIO trigger vector `i` into the `i`th.
    pub(crate) fn enable(dev: &File, n: u32) -> io::Result<Irqs> {
        let n = n.min(MAX_VECTORS);
        let fds = (0..n).map(|_| eventfd()).collect::<io::Result<Vec<_>>>()?;
        set_eventfds(dev, VFIO_PCI_MSIX_IRQ_INDEX, &fds)?;
        Ok(Irqs { fds })
    }

    /// Vectors set up.
    pub(crate) fn len(&self) -> usize {
        self.fds.len()
    }

    /// Resets vector `v`'s eventfd; whether it had fired.
    pub(crate) fn clear(&self, v: usize) -> bool {
        let mut c = 0u64;
        // SAFETY: reads 8 bytes into `c`; the eventfd is non-blocking.
        let r = unsafe { libc::read(self.fds[v].as_raw_fd(), (&mut c as *mut u64).cast(), 8) };
        r == 8
    }

    /// Sleeps until vector `v` fires or `timeout` passes (without clearing
    /// it). A signal that came before the call returns at once.
    pub(crate) fn wait(&self, v: usize, timeout: Duration) -> bool {
        let mut p = libc::pollfd {
            fd: self.fds[v].as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: polls one pollfd that lives for the call.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        r > 0
    }

    /// Vector `v`'s eventfd.
    #[cfg(test)]
    pub(crate) fn fd(&self, v: usize) -> std::os::fd::BorrowedFd<'_> {
        std::os::fd::AsFd::as_fd(&self.fds[v])
    }

    /// An epoll descriptor, level-triggered on vectors `vs`' eventfds: it is
    /// readable while any of them has fired and was not cleared.
    pub(crate) fn epoll(&self, vs: std::ops::Range<usize>) -> io::Result<OwnedFd> {
        // SAFETY: epoll_create1 takes no pointers.
        let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ep < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `ep` was just created and is owned by nobody else.
        let ep = unsafe { OwnedFd::from_raw_fd(ep) };
        for v in vs {
            let mut ev = libc::epoll_event {
                events: libc::EPOLLIN as u32,
                u64: v as u64,
            };
            // SAFETY: EPOLL_CTL_ADD reads one epoll_event that lives for the call.
            let r = unsafe {
                libc::epoll_ctl(
                    ep.as_raw_fd(),
                    libc::EPOLL_CTL_ADD,
                    self.fds[v].as_raw_fd(),
                    &mut ev,
                )
            };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(ep)
    }

    /// Sleeps in `epoll_wait` on `ep` (from [`epoll`](Self::epoll)) until a
    /// vector fires or `timeout` passes.
    pub(crate) fn wait_any(ep: &OwnedFd, timeout: Duration) -> bool {
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: writes at most one epoll_event into `ev`, live for the call.
        let r = unsafe { libc::epoll_wait(ep.as_raw_fd(), &mut ev, 1, ms) };
        r > 0
    }
}

/// The device request: an eventfd vfio-pci signals when the kernel wants the
/// device back and is waiting for it to be closed.
#[derive(Debug)]
pub(crate) struct Request {
    fd: OwnedFd,
}

impl Request {
    /// Registers an eventfd for the device request; `None` when the device
    /// has no request interrupt to offer.
    pub(crate) fn enable(dev: &File) -> io::Result<Option<Request>> {
        if irq_count(dev, VFIO_PCI_REQ_IRQ_INDEX)? == 0 {
            return Ok(None);
        }
        let fd = eventfd()?;
        set_eventfds(dev, VFIO_PCI_REQ_IRQ_INDEX, std::slice::from_ref(&fd))?;
        Ok(Some(Request { fd }))
    }

    /// A request no device signals: the model's, which tests signal with
    /// [`signal`](Self::signal).
    #[cfg(test)]
    pub(crate) fn unregistered() -> io::Result<Request> {
        Ok(Request { fd: eventfd()? })
    }

    /// Signals the eventfd as vfio-pci would.
    #[cfg(test)]
    pub(crate) fn signal(&self) {
        let one = 1u64;
        // SAFETY: writes 8 bytes from `one` to an eventfd.
        unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }

    /// Whether the kernel asked for the device since the last call (one
    /// non-blocking read of the eventfd).
    pub(crate) fn asked(&self) -> bool {
        let mut c = 0u64;
        // SAFETY: reads 8 bytes into `c`; the eventfd is non-blocking.
        let r = unsafe { libc::read(self.fd.as_raw_fd(), (&mut c as *mut u64).cast(), 8) };
        r == 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_uapi_header() {
        assert_eq!(VFIO_DEVICE_GET_IRQ_INFO, 0x3b6d);
        assert_eq!(VFIO_DEVICE_SET_IRQS, 0x3b6e);
    }

    #[test]
    fn a_device_request_is_seen_once() {
        let r = Request::unregistered().unwrap();
        assert!(!r.asked());
        r.signal();
        r.signal();
        assert!(r.asked(), "signalled twice, seen");
        assert!(!r.asked(), "and cleared by the read");
    }

    #[test]
    fn an_eventfd_wakes_the_waiters_until_cleared() {
        // The eventfd plumbing without a device: write as the kernel would.
        let irqs = Irqs {
            fds: vec![eventfd().unwrap(), eventfd().unwrap()],
        };
        let ep = irqs.epoll(1..2).unwrap();
        assert!(!irqs.wait(1, Duration::from_millis(1)));
        assert!(!Irqs::wait_any(&ep, Duration::from_millis(1)));
        let one = 1u64;
        // SAFETY: writes 8 bytes from `one` to an eventfd.
        let w = unsafe { libc::write(irqs.fd(1).as_raw_fd(), (&one as *const u64).cast(), 8) };
        assert_eq!(w, 8);
        assert!(irqs.wait(1, Duration::from_millis(1)));
        assert!(Irqs::wait_any(&ep, Duration::from_millis(1)));
        assert!(
            !irqs.wait(0, Duration::from_millis(1)),
            "vector 0 did not fire"
        );
        assert!(irqs.clear(1));
        assert!(!irqs.clear(1));
        assert!(!Irqs::wait_any(&ep, Duration::from_millis(1)));
    }
}
