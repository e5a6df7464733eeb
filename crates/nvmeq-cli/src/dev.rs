//! The opened device: any [`Backend`] behind one object-safe interface, so each
//! command is compiled once rather than once per backend.

use nvmeq_core::{Backend, Cmd, Completion, Data, Error as CoreError};

use crate::device::DeviceSpec;
use crate::error::{CliError, Result};

/// The synchronous part of [`Backend`] the CLI uses.
pub trait Dev {
    /// LBA data size of a namespace.
    fn lba_size(&mut self, nsid: u32) -> Result<u32, CoreError>;
    /// Runs one command.
    fn execute(&mut self, cmd: &Cmd, data: Data<'_>) -> Result<Completion, CoreError>;
}

impl<B: Backend> Dev for B {
    fn lba_size(&mut self, nsid: u32) -> Result<u32, CoreError> {
        Backend::lba_size(self, nsid)
    }
    fn execute(&mut self, cmd: &Cmd, data: Data<'_>) -> Result<Completion, CoreError> {
        Backend::execute(self, cmd, data)
    }
}

/// An open device and what the CLI knows about it.
pub struct Device {
    /// How it was named.
    pub spec: DeviceSpec,
    /// The name nvme-cli would print (`nvme0`, `ng0n1`, `ram:64M`).
    pub name: String,
    /// The namespace a `/dev/ngXnY` names, when the backend reports it.
    pub ns_of_node: Option<u32>,
    inner: Box<dyn Dev>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("spec", &self.spec)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Wraps an opened backend.
    pub fn new(spec: DeviceSpec, inner: Box<dyn Dev>, ns_of_node: Option<u32>) -> Self {
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
        self.inner
            .execute(cmd, data)
            .map_err(|e| CliError::from_core(op, e))
    }

    /// The LBA data size of `nsid`.
    pub fn lba_size(&mut self, nsid: u32) -> Result<u32> {
        self.inner
            .lba_size(nsid)
            .map_err(|e| CliError::from_core("Identify Namespace (LBA size)", e))
    }

    /// The namespace to use when `-n` is not given: the one the device node
    /// names, else 1 (nvme-cli asks the kernel the same way).
    pub fn default_nsid(&self) -> u32 {
        self.ns_of_node.unwrap_or(1)
    }
}
