//! The backends the suite knows. A backend joins by implementing
//! [`HwBackend`] and adding one arm to [`run`] and one name to [`NAMES`],
//! behind its cargo feature.

use nvmeq_core::Backend;

use crate::runner::Runner;
use crate::target::Target;

/// A backend the suite can open on a [`Target`].
pub trait HwBackend: Backend + Sized {
    /// Its name in the table and on the command line.
    const NAME: &'static str;
    /// Opens the target's controller and namespace.
    fn open(t: &Target) -> Result<Self, String>;
    /// Bounds every command (milliseconds), so a lost command fails instead of hanging.
    fn set_timeout_ms(&mut self, ms: u32);
    /// The namespace id of the opened namespace device.
    fn nsid(&self) -> u32;
    /// The controller device it uses, when it found one itself (for nvme-cli).
    fn ctrl_path(&self) -> Option<std::path::PathBuf> {
        None
    }
    /// Tests only this backend has (e.g. ioctl's vectored transfers).
    fn extra_tests(_ctx: &mut crate::suite::Ctx<Self>, _r: &Runner, _label: &str) {}
}

/// Backends compiled in, in the order `--backend all` runs them.
pub const NAMES: &[&str] = &[
    #[cfg(feature = "ioctl")]
    "ioctl",
    #[cfg(feature = "ram")]
    "ram",
    #[cfg(feature = "uring")]
    "uring",
    #[cfg(feature = "uring")]
    "uring-fixed",
    #[cfg(feature = "uring")]
    "uring-poll",
    // Last: it rebinds controllers to vfio-pci and back.
    #[cfg(feature = "vfio")]
    "vfio",
    #[cfg(feature = "vfio")]
    "vfio-sgl",
];

/// Runs the whole suite on `t` with the backend called `name`.
pub fn run(name: &str, t: &Target, r: &Runner) -> Result<(), String> {
    // Without any backend feature every arm below is compiled out.
    let _ = (t, r);
    match name {
        #[cfg(feature = "ioctl")]
        "ioctl" => {
            crate::suite::run::<nvmeq_ioctl::IoctlBackend>(t, r);
            Ok(())
        }
        #[cfg(feature = "ram")]
        "ram" => {
            crate::suite::run::<nvmeq_ram::RamController>(t, r);
            Ok(())
        }
        #[cfg(feature = "uring")]
        n if n.starts_with("uring") => crate::uring::run(n, t, r),
        #[cfg(feature = "vfio")]
        "vfio" => {
            vfio::run::<false>(t, r);
            Ok(())
        }
        #[cfg(feature = "vfio")]
        "vfio-sgl" => {
            vfio::run::<true>(t, r);
            Ok(())
        }
        other => Err(format!(
            "unknown backend `{other}`: this build has {NAMES:?} (cargo features select backends)"
        )),
    }
}

#[cfg(feature = "vfio")]
mod vfio;

#[cfg(feature = "ioctl")]
mod ioctl {
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
            crate::io::ioctl_vectored(ctx, r, label);
            crate::io::ioctl_open_errors(ctx, r, label);
            crate::io::ioctl_syscalls(ctx, r, label);
            crate::io::ioctl_queue_full(ctx, r, label);
            if ctx.t.format {
                crate::io::ioctl_metadata(ctx, r, label);
            }
        }
    }
}

#[cfg(feature = "ram")]
mod ram {
    use super::HwBackend;
    use crate::target::Target;
    use nvmeq_ram::{RamConfig, RamController};

    /// `--ns ram:LBA` (512 or 4096): a fresh 64 MiB in-memory controller.
    impl HwBackend for RamController {
        const NAME: &'static str = "ram";
        fn open(t: &Target) -> Result<Self, String> {
            let spec = t.ns.to_string_lossy();
            let lba = match spec.strip_prefix("ram:").or(spec.strip_prefix("ram")) {
                Some("") => 512,
                Some(l) => l.parse().map_err(|_| {
                    format!("{spec}: the ram backend takes --ns ram:512 or ram:4096")
                })?,
                None => {
                    return Err(format!(
                        "{spec}: the ram backend takes --ns ram:512 or ram:4096, not a device"
                    ))
                }
            };
            RamController::new(RamConfig::new(64 << 20, lba)).map_err(|e| e.to_string())
        }
        fn set_timeout_ms(&mut self, _ms: u32) {
            // Commands complete inside the call; nothing can hang.
        }
        fn nsid(&self) -> u32 {
            1
        }
    }
}
