//! The ioctl backend in the suite, with its own rows: vectored transfers,
//! open errors, one syscall per command, a full queue, metadata buffers.

use super::HwBackend;
use crate::runner::Runner;
use crate::suite::Ctx;
use crate::target::Target;
use nvmeq_ioctl::IoctlBackend;

impl HwBackend for IoctlBackend {
    const NAME: &'static str = "ioctl";
    fn open(t: &Target) -> Result<Self, String> {
        IoctlBackend::open(t.ctrl.as_deref(), Some(&t.ns)).map_err(|e| e.to_string())
    }
    fn set_timeout_ms(&mut self, ms: u32) {
        IoctlBackend::set_timeout_ms(self, ms)
    }
    fn nsid(&self) -> u32 {
        IoctlBackend::nsid(self).unwrap_or(0)
    }
    fn ctrl_path(&self) -> Option<std::path::PathBuf> {
        IoctlBackend::ctrl_path(self).map(Into::into)
    }
    fn extra_tests(ctx: &mut Ctx<Self>, r: &Runner, label: &str) {
        r.run(&format!("{label}/ioctl-vectored"), "ioctl", || {
            crate::io::vectored(ctx)
        });
        crate::io::ioctl_open_errors(ctx, r, label);
        crate::io::ioctl_syscalls(ctx, r, label);
        crate::io::ioctl_queue_full(ctx, r, label);
        if ctx.t.format {
            crate::io::ioctl_metadata(ctx, r, label);
        }
    }
}
