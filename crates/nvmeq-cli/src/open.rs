//! Opening a device through the `nvmeq` facade.

use crate::dev::Device;
use crate::device::{node_nsid, DeviceSpec};
use crate::error::{CliError, Result};

/// Opens `spec` with `nvmeq::open`.
pub fn open(spec: DeviceSpec) -> Result<Device> {
    let dev = nvmeq::open(&spec.open_string()).map_err(|e| CliError::Device(e.to_string()))?;
    let nsid = node_nsid(&spec);
    Ok(Device::new(spec, dev, nsid))
}
