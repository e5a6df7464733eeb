//! [`Bdf`]: a PCI address (`domain:bus:device.function`), parsed strictly
//! because it ends up in sysfs paths.

use core::fmt;
use core::str::FromStr;

/// A PCI address such as `0000:00:04.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bdf {
    /// PCI domain (segment).
    pub domain: u16,
    /// Bus number.
    pub bus: u8,
    /// Device number (0..=0x1f).
    pub dev: u8,
    /// Function number (0..=7).
    pub func: u8,
}

/// Why a string is not a PCI address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BdfError {
    /// Not `DDDD:BB:DD.F` or `BB:DD.F`.
    Shape,
    /// The domain is not 4 hex digits.
    Domain,
    /// The bus is not 2 hex digits.
    Bus,
    /// The device is not 2 hex digits.
    Device,
    /// The device is above 0x1f.
    DeviceRange,
    /// The function is not one digit 0-7.
    Function,
}

impl BdfError {
    /// What is wrong, in words.
    pub const fn reason(self) -> &'static str {
        match self {
            BdfError::Shape => "expected DDDD:BB:DD.F or BB:DD.F",
            BdfError::Domain => "the domain is 4 hex digits",
            BdfError::Bus => "the bus is 2 hex digits",
            BdfError::Device => "the device is 2 hex digits",
            BdfError::DeviceRange => "the device is at most 1f",
            BdfError::Function => "the function is one digit 0-7",
        }
    }
}

impl fmt::Display for BdfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl core::error::Error for BdfError {}

fn hex(s: &str, width: usize, err: BdfError) -> Result<u16, BdfError> {
    if s.len() != width || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err);
    }
    u16::from_str_radix(s, 16).map_err(|_| err)
}

impl Bdf {
    /// Parses `DDDD:BB:DD.F`, or `BB:DD.F` (domain 0), hexadecimal fields of
    /// exactly 4, 2, 2 and 1 digits.
    pub fn parse(s: &str) -> Result<Bdf, BdfError> {
        let (rest, func) = s.rsplit_once('.').ok_or(BdfError::Shape)?;
        let mut it = rest.rsplit(':');
        let (dev, bus, domain) = (it.next(), it.next(), it.next());
        let (Some(dev), Some(bus), None) = (dev, bus, it.next()) else {
            return Err(BdfError::Shape);
        };
        let domain = match domain {
            Some(d) => hex(d, 4, BdfError::Domain)?,
            None => 0,
        };
        let bus = hex(bus, 2, BdfError::Bus)? as u8;
        let dev = hex(dev, 2, BdfError::Device)? as u8;
        if dev > 0x1f {
            return Err(BdfError::DeviceRange);
        }
        if !matches!(func.as_bytes(), [b'0'..=b'7']) {
            return Err(BdfError::Function);
        }
        Ok(Bdf {
            domain,
            bus,
            dev,
            func: func.as_bytes()[0] - b'0',
        })
    }
}

impl FromStr for Bdf {
    type Err = BdfError;
    fn from_str(s: &str) -> Result<Self, BdfError> {
        Bdf::parse(s)
    }
}

impl fmt::Display for Bdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{}",
            self.domain, self.bus, self.dev, self.func
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    fn shown(v: &dyn fmt::Display) -> heapless::String<64> {
        let mut s = heapless::String::new();
        write!(s, "{v}").unwrap();
        s
    }

    #[test]
    fn full_and_short_forms() {
        let b = Bdf::parse("0000:00:04.0").unwrap();
        assert_eq!((b.domain, b.bus, b.dev, b.func), (0, 0, 4, 0));
        let b: Bdf = "ABCD:ff:1f.7".parse().unwrap();
        assert_eq!((b.domain, b.bus, b.dev, b.func), (0xabcd, 0xff, 0x1f, 7));
        assert_eq!(shown(&b).as_str(), "abcd:ff:1f.7");
        assert_eq!(
            shown(&Bdf::parse("0000:00:04.0").unwrap()).as_str(),
            "0000:00:04.0"
        );
        let short: Bdf = "3a:1f.7".parse().unwrap();
        assert_eq!(shown(&short).as_str(), "0000:3a:1f.7");
    }

    #[test]
    fn bad_addresses_say_why() {
        use BdfError::*;
        for (s, e) in [
            ("0000:00:04", Shape),
            ("0000:00:00:04.0", Shape),
            ("04.0", Shape),
            ("", Shape),
            ("000:00:04.0", Domain),
            ("00000:00:04.0", Domain),
            ("../../x:00:04.0", Domain),
            ("0000:0:04.0", Bus),
            ("0000:0g:04.0", Bus),
            ("0000:00:4.0", Device),
            ("0000:00:+4.0", Device),
            ("0000:00:20.0", DeviceRange),
            ("0000:00:04.8", Function),
            ("0000:00:04.10", Function),
            ("0000:00:04.", Function),
        ] {
            assert_eq!(Bdf::parse(s), Err(e), "{s:?}");
        }
        assert_eq!(shown(&DeviceRange).as_str(), "the device is at most 1f");
    }
}
