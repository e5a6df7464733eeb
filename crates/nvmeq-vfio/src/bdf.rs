//! PCI addresses (`domain:bus:device.function`), parsed strictly because they
//! end up in sysfs paths.

use core::fmt;
use core::str::FromStr;

use crate::error::OpenError;

/// A PCI address such as `0000:00:04.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bdf {
    /// PCI domain (segment).
    pub domain: u16,
    /// Bus number.
    pub bus: u8,
    /// Device number (0..=31).
    pub dev: u8,
    /// Function number (0..=7).
    pub func: u8,
}

impl Bdf {
    /// Parses `DDDD:BB:DD.F`, or `BB:DD.F` (domain 0), in hexadecimal.
    pub fn parse(s: &str) -> Result<Bdf, OpenError> {
        let bad = |why: &'static str| OpenError::BadAddress {
            given: s.to_string(),
            why,
        };
        let (rest, func) = s
            .rsplit_once('.')
            .ok_or_else(|| bad("missing '.function'"))?;
        let parts: Vec<&str> = rest.split(':').collect();
        let (domain, bus, dev) = match parts.as_slice() {
            [d, b, v] => (*d, *b, *v),
            [b, v] => ("0000", *b, *v),
            _ => return Err(bad("expected domain:bus:device.function")),
        };
        let hex = |t: &str, max_len: usize, what: &'static str| -> Result<u32, OpenError> {
            if t.is_empty() || t.len() > max_len || !t.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad(what));
            }
            u32::from_str_radix(t, 16).map_err(|_| bad(what))
        };
        let domain = hex(domain, 4, "domain must be 1-4 hex digits")? as u16;
        let bus = hex(bus, 2, "bus must be 1-2 hex digits")? as u8;
        let dev = hex(dev, 2, "device must be 1-2 hex digits")?;
        let func = hex(func, 1, "function must be one hex digit")?;
        if dev > 31 {
            return Err(bad("device number must be at most 1f"));
        }
        if func > 7 {
            return Err(bad("function number must be at most 7"));
        }
        Ok(Bdf {
            domain,
            bus,
            dev: dev as u8,
            func: func as u8,
        })
    }

    /// The device's sysfs directory.
    pub fn sysfs_dir(&self) -> String {
        format!("/sys/bus/pci/devices/{self}")
    }
}

impl FromStr for Bdf {
    type Err = OpenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bdf::parse(s)
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.dev, self.func
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_short_forms() {
        let b = Bdf::parse("0000:00:04.0").unwrap();
        assert_eq!((b.domain, b.bus, b.dev, b.func), (0, 0, 4, 0));
        assert_eq!(b.to_string(), "0000:00:04.0");
        let b: Bdf = "3a:1f.7".parse().unwrap();
        assert_eq!(b.to_string(), "0000:3a:1f.7");
        assert_eq!(
            Bdf::parse("abcd:ef:01.2").unwrap().to_string(),
            "abcd:ef:01.2"
        );
    }

    #[test]
    fn rejects_bad_addresses_with_a_reason() {
        for (s, why) in [
            ("0000:00:04", "missing '.function'"),
            ("00:00:00:04.0", "expected domain:bus:device.function"),
            ("0000:00:20.0", "device number must be at most 1f"),
            ("0000:00:04.8", "function number must be at most 7"),
            ("0000:0g:04.0", "bus must be 1-2 hex digits"),
            ("00000:00:04.0", "domain must be 1-4 hex digits"),
            ("0000:00:04.", "function must be one hex digit"),
            ("../../x:00:04.0", "domain must be 1-4 hex digits"),
        ] {
            match Bdf::parse(s) {
                Err(OpenError::BadAddress { given, why: w }) => {
                    assert_eq!(given, s);
                    assert_eq!(w, why, "for {s}");
                }
                other => panic!("{s}: {other:?}"),
            }
        }
    }
}
