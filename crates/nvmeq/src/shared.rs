//! [`SharedDevice`]: one device, a [`QueueHandle`] per thread.
//!
//! Each handle is a `Send` [`Backend`] with a queue of its own, so threads
//! never share a submission queue or see each other's completions:
//!
//! | backend | a handle is | how many |
//! |---|---|---|
//! | ram | a queue over the one in-memory controller (behind a lock taken per `submit`) | any |
//! | ioctl | the same nodes opened again: its own file descriptor | any |
//! | uring | its own ring on the nodes' shared file descriptors ([`nvmeq_uring::UringNodes`]) | any |
//! | VFIO | one I/O queue pair of the controller, with its own MSI-X vector ([`nvmeq_vfio::SharedController`]) | the I/O queues the controller granted |
//! | NVMe/TCP | one I/O queue connection of the association, back to the device when the handle drops ([`TcpQueue`]) | the I/O queues the target granted |
//!
//! The controller lives while the `SharedDevice` or any handle does. A
//! backend that runs out of queues refuses by name (`QueueError`).

#[allow(unused_imports)]
use std::path::PathBuf;
#[allow(unused_imports)]
use std::sync::Mutex;

use nvmeq_core::{
    Backend, BackendKind, Caps, Cmd, Completion, Data, Error, Reaped, Rejected, VecData, WithMeta,
};

#[allow(unused_imports)]
use crate::device::{push_on, push_with_on, reap_on, AnyBuf};
use crate::error::OpenError;
use crate::locator::Locator;

#[cfg(feature = "ram")]
mod ram;
#[cfg(feature = "ram")]
pub use ram::RamQueue;
#[cfg(feature = "tcp")]
mod tcp;
#[cfg(feature = "tcp")]
pub use tcp::TcpQueue;

/// A device that hands out [`QueueHandle`]s; see the [module docs](self).
/// `Sync`: threads call [`queue`](Self::queue) on one shared reference.
#[derive(Debug)]
pub struct SharedDevice {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    #[cfg(feature = "ram")]
    Ram(std::sync::Arc<Mutex<nvmeq_ram::RamController>>),
    #[cfg(feature = "ioctl")]
    Ioctl { path: PathBuf, nsid: Option<u32> },
    #[cfg(feature = "uring")]
    Uring {
        nodes: nvmeq_uring::UringNodes,
        opts: nvmeq_uring::UringOptions,
    },
    /// Loopback rings (commands complete as NOPs): the queue plumbing alone.
    #[cfg(feature = "uring")]
    UringLoopback {
        opts: nvmeq_uring::UringOptions,
        lba_size: u32,
    },
    #[cfg(feature = "vfio")]
    Vfio(nvmeq_vfio::SharedController),
    /// The I/O queue connections not lent to a handle.
    #[cfg(feature = "tcp")]
    Tcp { spare: tcp::Spares, granted: usize },
}

/// One thread's queue of a [`SharedDevice`]: a `Send` [`Backend`] whose
/// buffers are [`AnyBuf`]s, as a [`Device`](crate::Device)'s are.
#[derive(Debug)]
#[non_exhaustive]
// One per thread, moved once: variants of different sizes are fine.
#[allow(clippy::large_enum_variant)]
pub enum QueueHandle {
    /// A queue over the shared in-memory controller.
    #[cfg(feature = "ram")]
    Ram(RamQueue),
    /// Its own file descriptor on the nodes.
    #[cfg(feature = "ioctl")]
    Ioctl(nvmeq_ioctl::IoctlBackend),
    /// Its own ring on the nodes' shared file descriptors.
    #[cfg(feature = "uring")]
    Uring(nvmeq_uring::Uring),
    /// One I/O queue pair of the controller.
    #[cfg(feature = "vfio")]
    Vfio(nvmeq_vfio::QueueHandle),
    /// One I/O queue connection of the association, lent until the handle drops.
    #[cfg(feature = "tcp")]
    Tcp(TcpQueue),
}

/// Opens `s` for `queues` threads (see [`Locator`] for the forms). VFIO
/// creates that many I/O queue pairs and NVMe/TCP connects that many I/O
/// queues (more if the locator asks); the others have no fixed number.
pub fn open_shared(s: &str, queues: u16) -> Result<SharedDevice, OpenError> {
    open_shared_locator(&Locator::parse(s)?, queues)
}

/// [`open_shared`] for a parsed device string.
// Arms that return early leave the tail unreachable in some feature sets.
#[allow(unused_variables, unreachable_code)]
pub fn open_shared_locator(locator: &Locator, queues: u16) -> Result<SharedDevice, OpenError> {
    locator.require_compiled()?;
    let queues = queues.max(1);
    #[allow(unreachable_patterns)]
    let inner = match locator {
        #[cfg(feature = "ram")]
        Locator::Ram(r) => Inner::Ram(std::sync::Arc::new(Mutex::new(
            crate::device::ram_controller(r)?,
        ))),
        #[cfg(feature = "uring")]
        Locator::Uring(p) => {
            return SharedDevice::uring(p.clone(), nvmeq_uring::UringOptions::new())
        }
        #[cfg(feature = "uring")]
        Locator::Path(p) => {
            match SharedDevice::uring(p.clone(), nvmeq_uring::UringOptions::new()) {
                Ok(d) => return Ok(d),
                #[cfg(feature = "ioctl")]
                Err(_) => return SharedDevice::ioctl(p.clone()),
                #[cfg(not(feature = "ioctl"))]
                Err(e) => return Err(e),
            }
        }
        #[cfg(feature = "ioctl")]
        Locator::Ioctl(p) | Locator::Path(p) => return SharedDevice::ioctl(p.clone()),
        #[cfg(feature = "vfio")]
        Locator::Vfio(a) => {
            let opts = nvmeq_vfio::Options {
                io_queues: queues,
                ..nvmeq_vfio::Options::default()
            };
            Inner::Vfio(crate::device::vfio_controller(a, opts)?.into_shared())
        }
        #[cfg(feature = "tcp")]
        Locator::Tcp(t) => {
            let mut opts = crate::device::tcp_options(t);
            opts.nr_io_queues = opts.nr_io_queues.max(queues);
            let first = crate::device::tcp_connect(t, opts)?;
            let mut spare = Vec::with_capacity(queues as usize);
            while let Some(q) = first.take_queue() {
                spare.push(q);
            }
            spare.push(first);
            // Handed out from the back: the first queue (qid 1) goes first.
            spare.reverse();
            Inner::Tcp {
                granted: spare.len(),
                spare: std::sync::Arc::new(Mutex::new(spare)),
            }
        }
        other => return Err(crate::device::not_compiled(other.clone())),
    };
    Ok(SharedDevice { inner })
}

/// Why [`SharedDevice::queue`] gave no handle.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueueError {
    /// Every queue the controller granted has a handle.
    #[error(
        "{backend}: all {granted} I/O queues have handles; open it for more threads \
         (nvmeq::open_shared(…, N))"
    )]
    Exhausted {
        /// The backend.
        backend: BackendKind,
        /// The queues it has.
        granted: usize,
    },
    /// Opening the handle's own queue failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The node now names another namespace than it did at open.
    #[error("{path}: it was namespace {was} and is now {now}; was the device renamed?")]
    Changed {
        /// The node.
        path: String,
        /// The namespace at open.
        was: u32,
        /// The namespace now.
        now: u32,
    },
}

impl SharedDevice {
    /// io_uring on `path` with `opts`: the nodes are opened once, and each
    /// handle is a ring of its own, with `opts`, on their file descriptors
    /// (as t/io_uring's threads share one file).
    #[cfg(feature = "uring")]
    pub fn uring(
        path: impl Into<PathBuf>,
        opts: nvmeq_uring::UringOptions,
    ) -> Result<SharedDevice, OpenError> {
        let path = path.into();
        // A first ring now, so a bad node or option fails here, not per thread.
        let probe = crate::device::uring_with(&path, opts.clone())?;
        let nodes = probe.nodes().cloned().ok_or(OpenError::Config {
            backend: BackendKind::Uring,
            reason: format!("{} opened without device nodes", path.display()),
        })?;
        Ok(SharedDevice {
            inner: Inner::Uring { nodes, opts },
        })
    }

    /// [`nvmeq_uring::Uring::loopback`] rings, one per handle: commands
    /// complete as NOPs without touching their buffers (for testing the
    /// queue plumbing without a device).
    #[cfg(feature = "uring")]
    pub fn uring_loopback(
        opts: nvmeq_uring::UringOptions,
        lba_size: u32,
    ) -> Result<SharedDevice, OpenError> {
        nvmeq_uring::Uring::loopback(opts.clone(), lba_size).map_err(|e| OpenError::Config {
            backend: BackendKind::Uring,
            reason: e.to_string(),
        })?;
        Ok(SharedDevice {
            inner: Inner::UringLoopback { opts, lba_size },
        })
    }

    /// The ioctl backend on `path`: each handle opens `path` again (its own
    /// file descriptor).
    #[cfg(feature = "ioctl")]
    pub fn ioctl(path: impl Into<PathBuf>) -> Result<SharedDevice, OpenError> {
        let path = path.into();
        let probe = crate::device::ioctl_backend(&path)?;
        let nsid = probe.nsid();
        Ok(SharedDevice {
            inner: Inner::Ioctl { path, nsid },
        })
    }

    /// The in-memory controller, shared by every handle.
    #[cfg(feature = "ram")]
    pub fn ram(ctrl: nvmeq_ram::RamController) -> SharedDevice {
        SharedDevice {
            inner: Inner::Ram(std::sync::Arc::new(Mutex::new(ctrl))),
        }
    }

    /// Which backend the handles go through.
    pub fn backend(&self) -> BackendKind {
        match self.inner {
            #[cfg(feature = "ram")]
            Inner::Ram(_) => BackendKind::Ram,
            #[cfg(feature = "ioctl")]
            Inner::Ioctl { .. } => BackendKind::Ioctl,
            #[cfg(feature = "uring")]
            Inner::Uring { .. } | Inner::UringLoopback { .. } => BackendKind::Uring,
            #[cfg(feature = "vfio")]
            Inner::Vfio(_) => BackendKind::Vfio,
            #[cfg(feature = "tcp")]
            Inner::Tcp { .. } => BackendKind::Tcp,
        }
    }

    /// The namespace of a namespace node (ioctl, uring); `None` for the
    /// backends that reach every namespace (and a controller node).
    pub fn nsid(&self) -> Option<u32> {
        match self.inner {
            #[cfg(feature = "ioctl")]
            Inner::Ioctl { nsid, .. } => nsid,
            #[cfg(feature = "uring")]
            Inner::Uring { ref nodes, .. } => Some(nodes.nsid()).filter(|&n| n != 0),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// The most handles out at once (`None`: no limit but memory and file
    /// descriptors).
    pub fn max_queues(&self) -> Option<usize> {
        match self.inner {
            #[cfg(feature = "vfio")]
            Inner::Vfio(ref s) => Some(s.io_queues()),
            #[cfg(feature = "tcp")]
            Inner::Tcp { granted, .. } => Some(granted),
            #[allow(unreachable_patterns)]
            _ => None,
        }
    }

    /// A handle with a queue of its own, for one thread.
    pub fn queue(&self) -> Result<QueueHandle, QueueError> {
        match self.inner {
            #[cfg(feature = "ram")]
            Inner::Ram(ref c) => Ok(QueueHandle::Ram(RamQueue::new(c.clone()))),
            #[cfg(feature = "ioctl")]
            Inner::Ioctl { ref path, nsid } => {
                let b = crate::device::ioctl_backend(path)?;
                same_ns(path, nsid.unwrap_or(0), b.nsid().unwrap_or(0))?;
                Ok(QueueHandle::Ioctl(b))
            }
            #[cfg(feature = "uring")]
            Inner::Uring {
                ref nodes,
                ref opts,
            } => nodes
                .ring(opts.clone())
                .map(QueueHandle::Uring)
                .map_err(|e| {
                    QueueError::Open(OpenError::Config {
                        backend: BackendKind::Uring,
                        reason: e.to_string(),
                    })
                }),
            #[cfg(feature = "uring")]
            Inner::UringLoopback { ref opts, lba_size } => {
                nvmeq_uring::Uring::loopback(opts.clone(), lba_size)
                    .map(QueueHandle::Uring)
                    .map_err(|e| {
                        QueueError::Open(OpenError::Config {
                            backend: BackendKind::Uring,
                            reason: e.to_string(),
                        })
                    })
            }
            #[cfg(feature = "vfio")]
            Inner::Vfio(ref s) => match s.queue() {
                Ok(q) => Ok(QueueHandle::Vfio(q)),
                Err(_) => Err(QueueError::Exhausted {
                    backend: BackendKind::Vfio,
                    granted: s.io_queues(),
                }),
            },
            #[cfg(feature = "tcp")]
            Inner::Tcp { ref spare, granted } => {
                TcpQueue::lend(spare)
                    .map(QueueHandle::Tcp)
                    .ok_or(QueueError::Exhausted {
                        backend: BackendKind::Tcp,
                        granted,
                    })
            }
        }
    }

    /// `n` handles (all or none).
    pub fn queues(&self, n: usize) -> Result<Vec<QueueHandle>, QueueError> {
        (0..n).map(|_| self.queue()).collect()
    }
}

#[cfg(feature = "vfio")]
impl From<nvmeq_vfio::SharedController> for SharedDevice {
    fn from(s: nvmeq_vfio::SharedController) -> Self {
        SharedDevice {
            inner: Inner::Vfio(s),
        }
    }
}

#[allow(dead_code)]
fn same_ns(path: &std::path::Path, was: u32, now: u32) -> Result<(), QueueError> {
    if was == now {
        Ok(())
    } else {
        Err(QueueError::Changed {
            path: path.display().to_string(),
            was,
            now,
        })
    }
}

/// Runs `$body` with `$d` bound to the backend inside a `&QueueHandle` / `&mut QueueHandle`.
macro_rules! each {
    ($q:expr, ref $d:ident => $body:expr) => {
        match *$q {
            #[cfg(feature = "ram")]
            QueueHandle::Ram(ref $d) => $body,
            #[cfg(feature = "ioctl")]
            QueueHandle::Ioctl(ref $d) => $body,
            #[cfg(feature = "uring")]
            QueueHandle::Uring(ref $d) => $body,
            #[cfg(feature = "vfio")]
            QueueHandle::Vfio(ref $d) => $body,
            #[cfg(feature = "tcp")]
            QueueHandle::Tcp(ref q) => {
                let $d: &nvmeq_tcp::TcpBackend = q;
                $body
            }
        }
    };
    ($q:expr, mut $d:ident => $body:expr) => {
        match *$q {
            #[cfg(feature = "ram")]
            QueueHandle::Ram(ref mut $d) => $body,
            #[cfg(feature = "ioctl")]
            QueueHandle::Ioctl(ref mut $d) => $body,
            #[cfg(feature = "uring")]
            QueueHandle::Uring(ref mut $d) => $body,
            #[cfg(feature = "vfio")]
            QueueHandle::Vfio(ref mut $d) => $body,
            #[cfg(feature = "tcp")]
            QueueHandle::Tcp(ref mut q) => {
                let $d: &mut nvmeq_tcp::TcpBackend = q;
                $body
            }
        }
    };
}

crate::device::forward_backend!(QueueHandle);
