//! Opening a device through the `nvmeq` facade.

use crate::dev::Device;
use crate::device::DeviceSpec;
use crate::error::{CliError, Result};

/// Opens `spec` with `nvmeq::open`.
pub fn open(spec: DeviceSpec) -> Result<Device> {
    Err(CliError::Device(format!(
        "{}: no backend is built into this nvmeq yet (the nvmeq facade has not landed)",
        spec.open_string()
    )))
}
