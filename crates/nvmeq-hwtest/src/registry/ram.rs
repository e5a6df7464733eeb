//! The ram backend in the suite: a fresh in-memory controller per run.

use super::HwBackend;
use crate::target::Target;
use nvmeq::Locator;
use nvmeq_ram::{RamConfig, RamController};

/// `--ns ram:512` or `ram:4096` (the block size; `ram` alone is 512): a
/// fresh 64 MiB in-memory controller. Any other `ram:` string is a facade
/// device string (`ram:64M,ms=8,pi=1`, `ram:64M,lba=4096,ms=16,meta=ext,pi=2,guard=64`;
/// see [`nvmeq::locator`]), so the suite's protection rows run on the formats a
/// user can open.
impl HwBackend for RamController {
    const NAME: &'static str = "ram";
    fn open(t: &Target) -> Result<Self, String> {
        let spec = t.ns.to_string_lossy();
        let rest = spec
            .strip_prefix("ram:")
            .or(spec.strip_prefix("ram"))
            .ok_or_else(|| format!("{spec}: the ram backend takes --ns {FORMS}, not a device"))?;
        if rest.is_empty() || rest.bytes().all(|b| b.is_ascii_digit()) {
            let lba = rest.parse().unwrap_or(512);
            return RamController::new(RamConfig::new(64 << 20, lba)).map_err(|e| e.to_string());
        }
        match Locator::parse(&spec) {
            Ok(Locator::Ram(r)) => nvmeq::ram_controller(&r).map_err(|e| format!("{spec}: {e}")),
            Ok(_) => Err(format!("{spec}: the ram backend takes --ns {FORMS}")),
            Err(e) => Err(format!("{spec}: {e} (the ram backend takes --ns {FORMS})")),
        }
    }
    fn set_timeout_ms(&mut self, _ms: u32) {
        // Commands complete inside the call; nothing can hang.
    }
    fn nsid(&self) -> u32 {
        1
    }
}

const FORMS: &str = "ram:512, ram:4096 or a ram: device string such as ram:64M,ms=8,pi=1";

#[cfg(test)]
mod tests {
    use super::*;

    fn open(spec: &str) -> Result<RamController, String> {
        <RamController as HwBackend>::open(&Target::ram("t", spec))
    }

    #[test]
    fn block_sizes_and_device_strings_open() {
        for s in [
            "ram",
            "ram:",
            "ram:512",
            "ram:4096",
            "ram:64M,lba=4096,ms=16,meta=ext,pi=2",
        ] {
            open(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        assert!(open("ram:1024").is_err(), "a block size ram cannot model");
        let e = open("ram:64M,ms=8,pi=9").err().unwrap();
        assert!(e.contains("pi=9"), "{e}");
        assert!(open("/dev/ng0n1").err().unwrap().contains("not a device"));
    }
}
