//! The ram backend in the suite: a fresh in-memory controller per run.

use super::HwBackend;
use crate::target::Target;
use nvmeq_core::pi::{Pi, PiLocation, PiType, Pif};
use nvmeq_ram::{RamConfig, RamController};

const FORMS: &str = "ram:512, ram:4096, ram:512+8, ram:512+8e, ram:512+8,pi1, ram:4096+16,pi2,g64";

/// `--ns ram:LBA[+MS[e]][,piN][,g16|g64][,first]`: a fresh 64 MiB
/// in-memory controller with LBA (512 or 4096) data bytes per block and,
/// optionally, MS bytes of metadata (separate, or `e`xtended: interleaved),
/// PI type N (1, 2 or 3) in 16b or 64b guard tuples, last bytes unless
/// `first`. The suite's protection rows run on those formats on the host.
impl HwBackend for RamController {
    const NAME: &'static str = "ram";
    fn open(t: &Target) -> Result<Self, String> {
        let spec = t.ns.to_string_lossy();
        let cfg = spec
            .strip_prefix("ram:")
            .or(spec.strip_prefix("ram"))
            .ok_or_else(|| format!("{spec}: the ram backend takes --ns {FORMS}, not a device"))
            .and_then(|f| {
                config(f).map_err(|e| format!("{spec}: {e} (the ram backend takes --ns {FORMS})"))
            })?;
        RamController::new(cfg).map_err(|e| e.to_string())
    }
    fn set_timeout_ms(&mut self, _ms: u32) {
        // Commands complete inside the call; nothing can hang.
    }
    fn nsid(&self) -> u32 {
        1
    }
}

/// The format after `ram:`.
fn config(spec: &str) -> Result<RamConfig, String> {
    let mut parts = spec.split(',');
    let head = parts.next().unwrap_or_default();
    let (lba, meta) = match head.split_once('+') {
        Some((l, m)) => (l, Some(m)),
        None => (head, None),
    };
    let lba: u32 = match lba {
        "" => 512,
        l => l
            .parse()
            .map_err(|_| format!("`{l}` is not a block size"))?,
    };
    let mut cfg = RamConfig::new(64 << 20, lba);
    if let Some(m) = meta {
        let (m, ext) = match m.strip_suffix('e') {
            Some(m) => (m, true),
            None => (m, false),
        };
        cfg.ms = m
            .parse()
            .map_err(|_| format!("`{m}` is not a metadata size"))?;
        cfg.extended = ext;
    }
    let (mut pi_type, mut pif, mut location) = (None, Pif::Guard16, PiLocation::Last);
    for p in parts {
        match p {
            "pi1" => pi_type = Some(PiType::Type1),
            "pi2" => pi_type = Some(PiType::Type2),
            "pi3" => pi_type = Some(PiType::Type3),
            "g16" => pif = Pif::Guard16,
            "g64" => pif = Pif::Guard64,
            "first" => location = PiLocation::First,
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    cfg.pi = pi_type.map(|t| Pi::new(t, pif).with_location(location));
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        let c = config("512").unwrap();
        assert_eq!((c.lba_size, c.ms, c.extended, c.pi), (512, 0, false, None));
        let c = config("4096+16e,pi2,g64,first").unwrap();
        assert_eq!((c.lba_size, c.ms, c.extended), (4096, 16, true));
        let want = Pi::new(PiType::Type2, Pif::Guard64).with_location(PiLocation::First);
        assert_eq!(c.pi, Some(want));
        assert!(config("512+x").unwrap_err().contains("`x`"));
        assert!(config("512+8,pi9").unwrap_err().contains("`pi9`"));
    }
}
