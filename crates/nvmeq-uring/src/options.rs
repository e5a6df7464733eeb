//! What kind of ring to build. Every option is checked against the running
//! kernel when the backend opens; a missing feature is an [`OpenError::Option`]
//! naming the option, the kernel version that added it and what to do instead.
//!
//! [`OpenError::Option`]: crate::OpenError::Option

/// io_uring's largest SQ size.
pub const MAX_DEPTH: u32 = 32768;

/// Options for [`Uring::open`](crate::Uring::open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UringOptions {
    pub(crate) depth: u32,
    pub(crate) ctrl: Option<std::path::PathBuf>,
    pub(crate) fixed_bufs: Option<(u16, usize)>,
    pub(crate) register_files: bool,
    pub(crate) iopoll: bool,
    pub(crate) sqpoll: Option<u32>,
    pub(crate) coop_taskrun: bool,
    pub(crate) single_issuer: bool,
    pub(crate) defer_taskrun: bool,
    pub(crate) max_segments: u16,
    pub(crate) register_ring_fd: bool,
}

impl Default for UringOptions {
    fn default() -> Self {
        UringOptions {
            depth: 64,
            ctrl: None,
            fixed_bufs: None,
            register_files: false,
            iopoll: false,
            sqpoll: None,
            coop_taskrun: false,
            single_issuer: false,
            defer_taskrun: false,
            max_segments: crate::iov::DEFAULT_MAX_SEGMENTS,
            register_ring_fd: false,
        }
    }
}

impl UringOptions {
    /// Default options: queue depth 64, interrupt-driven, no registered
    /// buffers, files or ring fd.
    pub fn new() -> Self {
        Self::default()
    }

    /// Commands in flight at once (1..=32768). The SQ has this many entries
    /// (the kernel rounds up to a power of two), the CQ twice as many, and
    /// the in-flight table exactly this many slots.
    pub fn depth(mut self, depth: u32) -> Self {
        self.depth = depth;
        self
    }

    /// The controller char device for admin commands (default: found through
    /// sysfs from the namespace device, e.g. `/dev/ng0n1` → `/dev/nvme0`).
    pub fn ctrl(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.ctrl = Some(path.into());
        self
    }

    /// Registers a pool of `count` buffers of `size` bytes
    /// (`IORING_REGISTER_BUFFERS`); [`alloc`](nvmeq_core::Backend::alloc) hands
    /// them out and commands using them carry `IORING_URING_CMD_FIXED`
    /// (Linux ≥ 6.1), which saves pinning pages per command. Before Linux
    /// 6.12 a buffer may have at most the queue's `max_segments` pages (the
    /// kernel refuses larger ones with EINVAL); open checks that.
    pub fn fixed_buffers(mut self, count: u16, size: usize) -> Self {
        self.fixed_bufs = Some((count, size));
        self
    }

    /// Registers the device files (`IORING_REGISTER_FILES`) and addresses them
    /// by index, saving a file-table lookup per command.
    pub fn register_files(mut self, on: bool) -> Self {
        self.register_files = on;
        self
    }

    /// Polled completions (`IORING_SETUP_IOPOLL`): the namespace needs poll
    /// queues (`nvme.poll_queues=N`) and Linux ≥ 6.5
    /// (earlier polled passthrough is unsafe: 6.1 crashed the kernel in our tests). Completions appear only
    /// when [`submit`](nvmeq_core::Backend::submit) polls; admin commands go
    /// through a second, interrupt-driven ring (the controller device cannot poll).
    pub fn iopoll(mut self, on: bool) -> Self {
        self.iopoll = on;
        self
    }

    /// A kernel thread polls the SQ (`IORING_SETUP_SQPOLL`) and sleeps after
    /// `idle_ms` without work; `submit` then needs no syscall unless the
    /// thread sleeps or the caller waits for completions.
    pub fn sqpoll(mut self, idle_ms: u32) -> Self {
        self.sqpoll = Some(idle_ms);
        self
    }

    /// `IORING_SETUP_COOP_TASKRUN` (Linux ≥ 5.19): completion work runs when
    /// the task enters the kernel instead of interrupting it.
    pub fn coop_taskrun(mut self, on: bool) -> Self {
        self.coop_taskrun = on;
        self
    }

    /// `IORING_SETUP_SINGLE_ISSUER` (Linux ≥ 6.0): only one thread submits.
    /// Submitting from another thread then fails with `EEXIST`.
    pub fn single_issuer(mut self, on: bool) -> Self {
        self.single_issuer = on;
        self
    }

    /// `IORING_SETUP_DEFER_TASKRUN` (Linux ≥ 6.1; implies single issuer, not
    /// with SQPOLL): completions are produced only when the task waits in
    /// [`submit`](nvmeq_core::Backend::submit).
    pub fn defer_taskrun(mut self, on: bool) -> Self {
        self.defer_taskrun = on;
        if on {
            self.single_issuer = true;
        }
        self
    }

    /// The most data segments one vectored command may use
    /// ([`Uring::push_vec`](crate::Uring::push_vec),
    /// [`Uring::execute_vec`](nvmeq_core::Backend::execute_vec)); 0..=64, default 16,
    /// 0 disables vectored commands. Every in-flight slot holds an `iovec`
    /// array of this many entries (16 bytes each), allocated once at open.
    pub fn max_segments(mut self, n: u16) -> Self {
        self.max_segments = n;
        self
    }

    /// Enters the ring through its registered fd (`IORING_REGISTER_RING_FDS`,
    /// then `IORING_ENTER_REGISTERED_RING`; Linux ≥ 5.18), which saves the
    /// kernel a file-table lookup per `io_uring_enter`. Off by default: on
    /// this test bed it changed nothing measurable, and a ring dropped on
    /// another thread than the one that registered it stays alive in the
    /// kernel (below). The
    /// registration is made by the first enter, on the entering thread, and
    /// used on that thread only (the kernel keeps registered rings per
    /// thread, 16 at most); a kernel that refuses it (EINVAL before 5.18,
    /// EBUSY with 16 taken) leaves the plain fd in use, without an error.
    /// [`Uring::ring_fd_registered`](crate::Uring::ring_fd_registered) says which.
    ///
    /// Dropped on the thread that registered it, the ring is unregistered.
    /// Dropped on another thread, it cannot be (the kernel unregisters only
    /// from the owning thread's table): the kernel then keeps the ring, its
    /// registered buffers and files until that thread exits. Turn this off
    /// for rings that are created and dropped on different long-lived
    /// threads, such as the workers of a multi-threaded async runtime.
    pub fn register_ring_fd(mut self, on: bool) -> Self {
        self.register_ring_fd = on;
        self
    }
}
