//! The device a command runs on.
//!
//! The positional device string is parsed by the facade into a
//! [`nvmeq::Locator`] (`ram:SIZE`, `ioctl:/dev/…`, `uring:/dev/…`,
//! `vfio:DDDD:BB:DD.F` or a bare PCI address, or a bare `/dev/ngXnY` /
//! `/dev/nvmeX`, where the facade picks io_uring when the host allows it,
//! else ioctl); `--backend` overrides the prefix. Before anything is opened,
//! a `/dev` path is checked against the node it names ([`target`]) so a
//! typo gets a message that says what is wrong rather than an errno; then
//! [`open`] opens it into a [`Device`].

mod open;
mod target;

pub use open::open;
pub use target::{parse, Target};

use nvmeq::Device as AnyDevice;
use nvmeq::Locator;
use nvmeq_core::format::NsFormat;
use nvmeq_core::{Backend, Cmd, Completion, Data};

use crate::error::{CliError, Result};

/// An open device and what the CLI knows about it.
pub struct Device {
    /// How it was named.
    pub target: Target,
    /// The name nvme-cli would print (`nvme0`, `ng0n1`, `ram:64M`).
    pub name: String,
    /// The namespace a `/dev/ngXnY` names, when sysfs reports it.
    pub ns_of_node: Option<u32>,
    inner: AnyDevice,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("target", &self.target)
            .field("name", &self.name)
            .field("backend", &self.inner.backend())
            .finish()
    }
}

impl Device {
    /// Wraps an opened backend.
    pub fn new(target: Target, inner: AnyDevice, ns_of_node: Option<u32>) -> Self {
        let name = match &target.locator {
            Locator::Ram(_) => target.locator.to_string(),
            Locator::Vfio(bdf) => bdf.to_string(),
            l => l
                .path()
                .and_then(|p| p.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| l.to_string()),
        };
        Device {
            target,
            name,
            ns_of_node,
            inner,
        }
    }

    /// Runs `cmd`; `op` names it in errors ("Read: LBA Out of Range …").
    pub fn exec(&mut self, op: &str, cmd: &Cmd, data: Data<'_>) -> Result<Completion> {
        Backend::execute(&mut self.inner, cmd, data).map_err(|e| CliError::from_core(op, e))
    }

    /// Runs `cmd` with a separate metadata buffer.
    pub fn exec_with(
        &mut self,
        op: &str,
        cmd: &Cmd,
        data: Data<'_>,
        meta: Data<'_>,
    ) -> Result<Completion> {
        Backend::execute_with(&mut self.inner, cmd, data, meta)
            .map_err(|e| CliError::from_core(op, e))
    }

    /// The current format of `nsid` as the buffers see it: Identify
    /// Namespace, and for a protected format the NVM command set's Identify
    /// Namespace (CNS 05h), whose ELBAF names the guard size; a controller
    /// without CNS 05h has the 16-bit guard.
    pub fn format(&mut self, nsid: u32) -> Result<NsFormat> {
        nvmeq_core::format::query(&mut self.inner, nsid)
            .map_err(|e| CliError::from_core("Identify Namespace", e))?
            .map(|q| q.format)
            .ok_or_else(|| {
                CliError::Device(format!(
                    "namespace {nsid} is not active (Identify Namespace reports NSZE 0)"
                ))
            })
    }

    /// The LBA data size of `nsid`.
    pub fn lba_size(&mut self, nsid: u32) -> Result<u32> {
        Backend::lba_size(&mut self.inner, nsid)
            .map_err(|e| CliError::from_core("Identify Namespace (LBA size)", e))
    }

    /// The largest transfer the backend and controller accept, in bytes.
    pub fn max_xfer(&self) -> u32 {
        Backend::caps(&self.inner).max_xfer
    }

    /// The facade's device, for backend-specific calls.
    pub fn inner(&self) -> &AnyDevice {
        &self.inner
    }

    /// The facade's device, mutably (reset, rescan).
    pub fn inner_mut(&mut self) -> &mut AnyDevice {
        &mut self.inner
    }

    /// The namespace to use when `-n` is not given: the one the device node
    /// names, else 1 (nvme-cli asks the kernel the same way).
    pub fn default_nsid(&self) -> u32 {
        self.ns_of_node.unwrap_or(1)
    }
}
