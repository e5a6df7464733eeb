//! Opening a checked [`Target`] through the `nvmeq` facade.

use super::{Device, Target};
use crate::error::{CliError, Result};

/// Opens `target` with `nvmeq::open_locator`.
pub fn open(target: Target) -> Result<Device> {
    let dev = nvmeq::open_locator(&target.locator).map_err(|e| CliError::Device(e.to_string()))?;
    let nsid = target.node_nsid();
    Ok(Device::new(target, dev, nsid))
}
