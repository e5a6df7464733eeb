//! Futures over a [`Backend`](nvmeq_core::Backend)'s queue interface, independent of any executor.
//!
//! [`AsyncQueue::submit`] returns a future that owns the command and its
//! buffer and resolves to the completion with the buffer handed back (the
//! tokio-uring model). The futures are `Send + 'static` when the backend is
//! `Send`, so many tasks of a multi-thread runtime can spawn them on one
//! queue; the queue is a backend behind a mutex, shared through an `Arc`.
//!
//! Polling a future writes its command (no syscall) and parks the task's
//! waker in a fixed table; the future resolves once a driver's
//! [`AsyncQueue::drive`] (submit and reap: one backend `submit` per batch)
//! sees its completion. How the driver learns about completions is the
//! backend's [`Signal`]: the in-memory controller completes inside `submit`
//! (the futures drive themselves), the ioctl backend's `submit` blocks (a
//! worker thread drives, [`QueueDriver::run_worker`]), io_uring and VFIO with
//! interrupts signal an eventfd ([`CompletionFd`], `AsFd`) that any reactor
//! can watch, and polled queues are polled. The `nvmeq` facade's `tokio`
//! feature wires all four into a tokio task.
//!
//! A future dropped before its completion leaves its buffer with the queue;
//! when the completion arrives the buffer becomes a spare that
//! [`AsyncQueue::alloc`] hands out again, never freed or reused while the
//! device may still use it. No allocation happens per command: the slot
//! table, the spares and the waiter list are allocated once with the
//! queue's depth.

#![forbid(unsafe_code)]

mod queue;
mod signal;
mod submit;

pub use queue::{AsyncQueue, DriveStats, DriverState, QueueDriver};
pub use signal::{CompletionFd, Signal};
pub use submit::{Output, Submit};
