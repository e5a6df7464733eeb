//! The ram backend in the suite: a fresh in-memory controller per run.

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
            Some(l) => l
                .parse()
                .map_err(|_| format!("{spec}: the ram backend takes --ns ram:512 or ram:4096"))?,
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
