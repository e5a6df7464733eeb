//! The opened device: the facade's [`nvmeq::Device`] (an enum over the
//! compiled-in backends, itself a [`Backend`]) plus what the CLI knows of it.

use nvmeq::Device as AnyDevice;
use nvmeq_core::{Backend, Cmd, Completion, Data};

use crate::device::DeviceSpec;
use crate::error::{CliError, Result};

/// An open device and what the CLI knows about it.
pub struct Device {
    /// How it was named.
    pub spec: DeviceSpec,
    /// The name nvme-cli would print (`nvme0`, `ng0n1`, `ram:64M`).
    pub name: String,
    /// The namespace a `/dev/ngXnY` names, when the backend reports it.
    pub ns_of_node: Option<u32>,
    inner: AnyDevice,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("spec", &self.spec)
            .field("name", &self.name)
            .field("backend", &self.inner.backend_name())
            .finish()
    }
}

impl Device {
    /// Wraps an opened backend.
    pub fn new(spec: DeviceSpec, inner: AnyDevice, ns_of_node: Option<u32>) -> Self {
        let name = match spec.backend {
            Some(crate::device::BackendKind::Ram) => format!("ram:{}", spec.target),
            Some(crate::device::BackendKind::Vfio) => spec.target.clone(),
            _ => spec
                .target
                .rsplit('/')
                .next()
                .unwrap_or(&spec.target)
                .to_string(),
        };
        Device {
            spec,
            name,
            ns_of_node,
            inner,
        }
    }

    /// Runs `cmd`; `op` names it in errors ("Read: LBA Out of Range …").
    pub fn exec(&mut self, op: &str, cmd: &Cmd, data: Data<'_>) -> Result<Completion> {
        Backend::execute(&mut self.inner, cmd, data).map_err(|e| CliError::from_core(op, e))
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

    /// The namespace to use when `-n` is not given: the one the device node
    /// names, else 1 (nvme-cli asks the kernel the same way).
    pub fn default_nsid(&self) -> u32 {
        self.ns_of_node.unwrap_or(1)
    }
}
