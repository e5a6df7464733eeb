//! The one call this crate makes to the OS itself: CPU time from
//! `getrusage`, for CPU µs per I/O.

use std::time::Duration;

/// User and system CPU time used so far by the calling thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// Time in user mode.
    pub user: Duration,
    /// Time in the kernel on this thread's behalf.
    pub sys: Duration,
}

impl CpuTime {
    /// This thread's CPU time (`getrusage(RUSAGE_THREAD)`); zero if the call
    /// fails (it cannot with a valid pointer and `who`).
    pub fn thread() -> CpuTime {
        Self::usage(libc::RUSAGE_THREAD)
    }

    /// The whole process's CPU time (`getrusage(RUSAGE_SELF)`): every thread
    /// of the thread group, which includes io_uring's SQPOLL poller
    /// (`iou-sqp-*`, an io thread of the process since Linux 5.12) but not
    /// other kernel threads working for it.
    pub fn process() -> CpuTime {
        Self::usage(libc::RUSAGE_SELF)
    }

    fn usage(who: libc::c_int) -> CpuTime {
        let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `ru` is a valid, writable `rusage`; getrusage writes only
        // into it, and both `who`s we pass (RUSAGE_SELF, RUSAGE_THREAD since
        // Linux 2.6.26) are valid.
        let rc = unsafe { libc::getrusage(who, ru.as_mut_ptr()) };
        if rc != 0 {
            return CpuTime::default();
        }
        // SAFETY: zero-initialised above and filled by a successful call;
        // every field is a plain integer.
        let ru = unsafe { ru.assume_init() };
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec.max(0) as u64)
                + Duration::from_micros(t.tv_usec.max(0) as u64)
        };
        CpuTime {
            user: tv(ru.ru_utime),
            sys: tv(ru.ru_stime),
        }
    }

    /// CPU time used between `earlier` and `self`.
    pub fn since(self, earlier: CpuTime) -> CpuTime {
        CpuTime {
            user: self.user.saturating_sub(earlier.user),
            sys: self.sys.saturating_sub(earlier.sys),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_thread_accumulates_user_time() {
        // Spin until the counter moves by 10 ms (a shared machine may not
        // schedule us at once); a broken counter stays at zero for 5 s.
        let a = CpuTime::thread();
        let t = std::time::Instant::now();
        let mut x = 0u64;
        let mut d = CpuTime::default();
        while t.elapsed() < Duration::from_secs(5) && d.user + d.sys < Duration::from_millis(10) {
            for _ in 0..10_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            d = CpuTime::thread().since(a);
        }
        assert!(d.user + d.sys >= Duration::from_millis(10), "{d:?}");
        // The process's time includes this thread's.
        let p = CpuTime::process();
        assert!(p.user + p.sys >= d.user + d.sys, "{p:?} < {d:?}");
    }
}
