//! The backends the suite knows, one file each, driven by one table. A backend
//! joins by implementing [`HwBackend`] in its file and adding one [`Entry`] to
//! [`BACKENDS`], behind its cargo feature.

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
    /// Whether it reaches an NVMe over Fabrics target rather than QEMU's
    /// emulated controllers: rows that hold only for QEMU adapt or skip.
    const FABRICS: bool = false;
    /// Resets the controller through the backend itself (nvmeq-vfio's own reset), for the
    /// fault rows; `None` when the backend has no reset of its own (the kernel's backends:
    /// the kernel resets their controller, `crate::faults::reset`).
    fn reset_controller(&mut self) -> Option<Result<(), nvmeq_core::Error>> {
        None
    }
    /// The controller is being hot-unplugged (the removal rows): a handle that would give it
    /// back to the kernel's driver when dropped (VFIO) does not, since nothing would bind.
    fn unplugging(&mut self) {}
    /// Tests only this backend has (e.g. ioctl's vectored transfers).
    fn extra_tests(_ctx: &mut crate::suite::Ctx<Self>, _r: &Runner, _label: &str) {}
}

/// How the suite reaches the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Through the kernel's NVMe driver (`/dev/ngXnY`, `/dev/nvmeX`).
    Kernel,
    /// In memory: no device at all.
    Memory,
    /// By owning the controller through vfio-pci (`vfio:BDF`), unbinding the
    /// kernel's driver for the run.
    Vfio,
    /// Over a fabric (`tcp://HOST:PORT/SUBNQN`): an NVMe/TCP target.
    Fabrics,
}

/// One backend of the table.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    /// Its name on the command line and in the report.
    pub name: &'static str,
    /// How it reaches the controller.
    pub reach: Reach,
    /// Runs the whole suite on a target.
    pub run: fn(&Target, &Runner) -> Result<(), String>,
    /// Runs a soak on a target (`nvmeq-hwtest soak`).
    pub soak: fn(&Target, &crate::soak::Options) -> crate::soak::Outcome,
}

/// Backends compiled in, in the order `--backend all` runs them; the VFIO
/// ones last, since they rebind controllers to vfio-pci and back.
pub const BACKENDS: &[Entry] = &[
    #[cfg(feature = "ioctl")]
    Entry {
        name: "ioctl",
        reach: Reach::Kernel,
        run: |t, r| {
            crate::suite::run::<nvmeq_ioctl::IoctlBackend>(t, r);
            Ok(())
        },
        soak: crate::soak::run::<nvmeq_ioctl::IoctlBackend>,
    },
    #[cfg(feature = "ram")]
    Entry {
        name: "ram",
        reach: Reach::Memory,
        run: |t, r| {
            crate::suite::run::<nvmeq_ram::RamController>(t, r);
            Ok(())
        },
        soak: crate::soak::run::<nvmeq_ram::RamController>,
    },
    #[cfg(feature = "uring")]
    Entry {
        name: "uring",
        reach: Reach::Kernel,
        run: uring::run::<{ uring::PLAIN }>,
        soak: uring::soak::<{ uring::PLAIN }>,
    },
    #[cfg(feature = "uring")]
    Entry {
        name: "uring-fixed",
        reach: Reach::Kernel,
        run: uring::run::<{ uring::FIXED }>,
        soak: uring::soak::<{ uring::FIXED }>,
    },
    #[cfg(feature = "uring")]
    Entry {
        name: "uring-poll",
        reach: Reach::Kernel,
        run: uring::run::<{ uring::POLL }>,
        soak: uring::soak::<{ uring::POLL }>,
    },
    #[cfg(feature = "tcp")]
    Entry {
        name: "tcp",
        reach: Reach::Fabrics,
        run: |t, r| {
            crate::suite::run::<tcp::TcpHw>(t, r);
            Ok(())
        },
        soak: crate::soak::run::<tcp::TcpHw>,
    },
    #[cfg(feature = "vfio")]
    Entry {
        name: "vfio",
        reach: Reach::Vfio,
        run: |t, r| {
            vfio::run::<false>(t, r);
            Ok(())
        },
        soak: vfio::soak::<false>,
    },
    #[cfg(feature = "vfio")]
    Entry {
        name: "vfio-sgl",
        reach: Reach::Vfio,
        run: |t, r| {
            vfio::run::<true>(t, r);
            Ok(())
        },
        soak: vfio::soak::<true>,
    },
    #[cfg(feature = "vfio")]
    Entry {
        name: "vfio-irq",
        reach: Reach::Vfio,
        run: |t, r| {
            vfio::run_irq(t, r);
            Ok(())
        },
        soak: vfio::soak_irq,
    },
];

/// How backend `name` reaches its controller; `None` for an unknown name.
pub fn reach(name: &str) -> Option<Reach> {
    BACKENDS.iter().find(|e| e.name == name).map(|e| e.reach)
}

/// Runs a soak on `t` with the backend called `name`.
pub fn soak(name: &str, t: &Target, o: &crate::soak::Options) -> crate::soak::Outcome {
    match BACKENDS.iter().find(|e| e.name == name) {
        // The row's name, not the type's (`vfio-irq` drives `VfioHw<false>`).
        Some(e) => match (e.soak)(t, o) {
            crate::soak::Outcome::Done(mut r) => {
                r.backend = e.name;
                crate::soak::Outcome::Done(r)
            }
            other => other,
        },
        None => crate::soak::Outcome::Failed(format!(
            "unknown backend `{name}`: this build has {:?} (cargo features select backends)",
            names().collect::<Vec<_>>()
        )),
    }
}

/// The names of [`BACKENDS`], in order.
pub fn names() -> impl Iterator<Item = &'static str> {
    BACKENDS.iter().map(|e| e.name)
}

/// Runs the whole suite on `t` with the backend called `name`.
pub fn run(name: &str, t: &Target, r: &Runner) -> Result<(), String> {
    match BACKENDS.iter().find(|e| e.name == name) {
        Some(e) => (e.run)(t, r),
        None => Err(format!(
            "unknown backend `{name}`: this build has {:?} (cargo features select backends)",
            names().collect::<Vec<_>>()
        )),
    }
}

#[cfg(feature = "ioctl")]
mod ioctl;
#[cfg(feature = "ram")]
mod ram;
#[cfg(feature = "tcp")]
pub mod tcp;
#[cfg(feature = "uring")]
pub mod uring;
#[cfg(feature = "vfio")]
mod vfio;
