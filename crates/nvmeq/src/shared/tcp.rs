//! NVMe/TCP handles: each lends one I/O queue connection of the association,
//! which goes back to the device when the handle drops, as a VFIO queue pair
//! does, so a later [`SharedDevice::queue`](super::SharedDevice::queue) gets
//! it again.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};

use nvmeq_core::Backend;
use nvmeq_tcp::TcpBackend;

/// The connections not lent out.
pub(super) type Spares = Arc<Mutex<Vec<TcpBackend>>>;

/// One I/O queue connection, lent to a handle; a
/// [`TcpBackend`](nvmeq_tcp::TcpBackend) through `Deref`.
#[derive(Debug)]
pub struct TcpQueue {
    /// `Some` until the handle drops.
    b: Option<TcpBackend>,
    home: Spares,
}

impl TcpQueue {
    /// The next spare connection of `home`, if one is left.
    pub(super) fn lend(home: &Spares) -> Option<TcpQueue> {
        let b = home.lock().unwrap_or_else(|p| p.into_inner()).pop()?;
        Some(TcpQueue {
            b: Some(b),
            home: Arc::clone(home),
        })
    }
}

impl Deref for TcpQueue {
    type Target = TcpBackend;
    fn deref(&self) -> &TcpBackend {
        self.b.as_ref().expect("lent until dropped")
    }
}

impl DerefMut for TcpQueue {
    fn deref_mut(&mut self) -> &mut TcpBackend {
        self.b.as_mut().expect("lent until dropped")
    }
}

impl Drop for TcpQueue {
    fn drop(&mut self) {
        // A connection with commands not yet reaped closes with the handle
        // (their buffers go with it); the next user must not see their
        // completions.
        if let Some(b) = self.b.take().filter(|b| b.in_flight() == 0) {
            self.home.lock().unwrap_or_else(|p| p.into_inner()).push(b);
        }
    }
}
