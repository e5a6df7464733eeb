//! The `tokio` feature: [`AsyncDevice::spawn`] runs the [`Driver`] as a
//! tokio task, watching the completion eventfd through `AsyncFd`.

use std::future::poll_fn;
use std::os::fd::{AsFd, OwnedFd};
use std::task::Poll;

use nvmeq_aio::DriverState;
use nvmeq_core::Error;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

use super::{AsyncDevice, Driver, How};
use crate::device::Device;

impl AsyncDevice {
    /// Puts `dev` behind a queue of futures and spawns its driver on the
    /// current tokio runtime (multi-thread or current-thread; panics outside
    /// a runtime, as `tokio::spawn` does). The driver task ends once every
    /// clone of the device and every future is gone and nothing is in flight.
    pub fn spawn(dev: Device) -> Result<AsyncDevice, Error> {
        let (q, driver) = AsyncDevice::new(dev)?;
        if !matches!(driver.how, How::Nothing) {
            let afd = match driver.how {
                // Tokio watches a duplicate of the eventfd (same file, so the
                // same readiness); the driver reads and clears the original.
                How::Fd(ref fd) => Some(
                    fd.as_fd()
                        .try_clone_to_owned()
                        .and_then(|dup| {
                            // SAFETY: `dup` is an open descriptor owned by the
                            // AsyncFd, so it stays open and names the same
                            // eventfd until the AsyncFd is dropped.
                            unsafe { AsyncFd::register_with_interest(dup, Interest::READABLE) }
                                .map_err(std::io::Error::from)
                        })
                        .map_err(|e| Error::Os {
                            op: "register the completion eventfd with tokio",
                            errno: e.raw_os_error().unwrap_or(5),
                        })?,
                ),
                _ => None,
            };
            ::tokio::spawn(run(driver, afd));
        }
        Ok(q)
    }
}

/// Submits whenever a future wrote a command, reaps whenever the eventfd
/// fired (or, for a polled queue, after every yield while commands are in
/// flight), until the queue is finished.
async fn run(d: Driver, afd: Option<AsyncFd<OwnedFd>>) {
    loop {
        if let Err(e) = d.drive() {
            d.fail(e);
            return;
        }
        if d.polls() && d.in_flight() > 0 {
            ::tokio::task::yield_now().await;
            continue;
        }
        // Wait for a command to submit or a completion, whichever comes first.
        let done = poll_fn(|cx| {
            match d.park(cx.waker()) {
                DriverState::Done => return Poll::Ready(true),
                DriverState::Work => return Poll::Ready(false),
                DriverState::Idle => {}
            }
            if let Some(afd) = &afd {
                if let Poll::Ready(r) = afd.poll_read_ready(cx) {
                    match r {
                        Ok(mut g) => {
                            let _ = d.clear();
                            g.clear_ready();
                        }
                        Err(e) => {
                            d.fail(Error::Os {
                                op: "wait for the completion eventfd",
                                errno: e.raw_os_error().unwrap_or(5),
                            });
                            return Poll::Ready(true);
                        }
                    }
                    return Poll::Ready(false);
                }
            }
            Poll::Pending
        })
        .await;
        if done {
            return;
        }
    }
}
