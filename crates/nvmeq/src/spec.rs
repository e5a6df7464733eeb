//! Device strings: `ram:1G`, `ram:512M,lba=4096`, `/dev/ng0n1`,
//! `ioctl:/dev/nvme0`, `uring:/dev/ng0n1`, `vfio:0000:00:04.0`.
//!
//! Parsing is separate from opening so a string can be checked (and its
//! mistakes named) without touching a device, and so it can be tested.

use core::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Default namespace size of `ram` without a size: 1 GiB.
pub const DEFAULT_RAM_SIZE: u64 = 1 << 30;

/// A parsed device string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    /// `ram[:SIZE][,lba=512|4096][,nn=N][,mdts=N][,qd=N]`: the in-memory controller.
    Ram(RamSpec),
    /// A `/dev/…` path with no prefix: io_uring passthrough when compiled in
    /// and the node is a generic character device (`/dev/ngXnY`), else ioctl.
    Path(PathBuf),
    /// `ioctl:/dev/…`: blocking NVMe passthrough ioctls.
    Ioctl(PathBuf),
    /// `uring:/dev/ngXnY`: io_uring `IORING_OP_URING_CMD` passthrough.
    Uring(PathBuf),
    /// `vfio:DDDD:BB:DD.F`: the userspace VFIO driver.
    Vfio(PciAddr),
}

impl DeviceSpec {
    /// The backend's name as used in prefixes and cargo features (`"auto"`
    /// for a bare path).
    pub fn backend(&self) -> &'static str {
        match self {
            DeviceSpec::Ram(_) => "ram",
            DeviceSpec::Path(_) => "auto",
            DeviceSpec::Ioctl(_) => "ioctl",
            DeviceSpec::Uring(_) => "uring",
            DeviceSpec::Vfio(_) => "vfio",
        }
    }
}

/// The in-memory controller's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RamSpec {
    /// Bytes per namespace.
    pub size: u64,
    /// LBA data size (`lba=`), 512 or 4096.
    pub lba_size: u32,
    /// Number of namespaces (`nn=`).
    pub nn: u32,
    /// MDTS (`mdts=`), `None` for the backend's default.
    pub mdts: Option<u8>,
    /// Queue depth (`qd=`), `None` for the backend's default.
    pub queue_depth: Option<u32>,
}

impl Default for RamSpec {
    fn default() -> Self {
        RamSpec {
            size: DEFAULT_RAM_SIZE,
            lba_size: 512,
            nn: 1,
            mdts: None,
            queue_depth: None,
        }
    }
}

/// A PCI address, `DDDD:BB:DD.F` (domain, bus, device, function).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PciAddr {
    /// Domain (segment), 16 bits.
    pub domain: u16,
    /// Bus, 8 bits.
    pub bus: u8,
    /// Device, 0 to 31.
    pub device: u8,
    /// Function, 0 to 7.
    pub function: u8,
}

impl fmt::Display for PciAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

/// Why a device string does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    /// The string is empty.
    Empty,
    /// The prefix before `:` is not a backend.
    UnknownPrefix(String),
    /// Neither a prefix nor a `/dev/…` path.
    Unrecognized(String),
    /// A backend prefix with nothing after it.
    MissingTarget(&'static str),
    /// A path that is not absolute.
    RelativePath(String),
    /// A size that is not a number with an optional K/M/G/T suffix.
    BadSize {
        /// The text given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A `ram` option that is unknown or has a bad value.
    BadOption {
        /// The option as given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A PCI address not of the form `DDDD:BB:DD.F`.
    BadPci {
        /// The text given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const FORMS: &str = "/dev/ng0n1, ioctl:/dev/nvme0, uring:/dev/ng0n1, \
                             vfio:0000:00:04.0 or ram:1G";
        match self {
            SpecError::Empty => write!(f, "no device given: use one of {FORMS}"),
            SpecError::UnknownPrefix(p) => write!(
                f,
                "unknown backend `{p}:`: use ram:, ioctl:, uring:, vfio: or a /dev path"
            ),
            SpecError::Unrecognized(s) => {
                write!(f, "`{s}` is not a device: use one of {FORMS}")
            }
            SpecError::MissingTarget(b) => match *b {
                "vfio" => write!(f, "`vfio:` needs a PCI address, e.g. vfio:0000:00:04.0"),
                _ => write!(f, "`{b}:` needs a device path, e.g. {b}:/dev/ng0n1"),
            },
            SpecError::RelativePath(p) => {
                write!(f, "`{p}` is not an absolute path (expected /dev/…)")
            }
            SpecError::BadSize { text, why } => write!(
                f,
                "bad size `{text}`: {why} (use bytes or a K/M/G/T suffix, e.g. 512M)"
            ),
            SpecError::BadOption { text, why } => write!(
                f,
                "bad ram option `{text}`: {why} (options: lba=512|4096, nn=N, mdts=N, qd=N)"
            ),
            SpecError::BadPci { text, why } => write!(
                f,
                "bad PCI address `{text}`: {why} (expected DDDD:BB:DD.F, e.g. 0000:00:04.0)"
            ),
        }
    }
}

impl std::error::Error for SpecError {}

impl FromStr for DeviceSpec {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, SpecError> {
        parse(s)
    }
}

impl FromStr for PciAddr {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, SpecError> {
        parse_pci(s)
    }
}

/// Parses a device string.
pub fn parse(s: &str) -> Result<DeviceSpec, SpecError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(SpecError::Empty);
    }
    if s.starts_with('/') {
        return Ok(DeviceSpec::Path(PathBuf::from(s)));
    }
    if s == "ram" {
        return Ok(DeviceSpec::Ram(RamSpec::default()));
    }
    let Some((prefix, rest)) = s.split_once(':') else {
        return Err(SpecError::Unrecognized(s.into()));
    };
    match prefix {
        "ram" => parse_ram(rest).map(DeviceSpec::Ram),
        "ioctl" => path(rest, "ioctl").map(DeviceSpec::Ioctl),
        "uring" => path(rest, "uring").map(DeviceSpec::Uring),
        "vfio" if rest.is_empty() => Err(SpecError::MissingTarget("vfio")),
        "vfio" => parse_pci(rest).map(DeviceSpec::Vfio),
        other => Err(SpecError::UnknownPrefix(other.into())),
    }
}

fn path(rest: &str, backend: &'static str) -> Result<PathBuf, SpecError> {
    if rest.is_empty() {
        Err(SpecError::MissingTarget(backend))
    } else if !rest.starts_with('/') {
        Err(SpecError::RelativePath(rest.into()))
    } else {
        Ok(PathBuf::from(rest))
    }
}

/// `SIZE[,key=value]…` or just options.
fn parse_ram(rest: &str) -> Result<RamSpec, SpecError> {
    let mut spec = RamSpec::default();
    for (i, part) in rest.split(',').enumerate() {
        let part = part.trim();
        match part.split_once('=') {
            None if i == 0 => spec.size = parse_size(part)?,
            None => {
                return Err(SpecError::BadOption {
                    text: part.into(),
                    why: "expected key=value",
                })
            }
            Some((key, value)) => {
                let bad = |why| SpecError::BadOption {
                    text: part.into(),
                    why,
                };
                match key.trim() {
                    "lba" => {
                        spec.lba_size = match parse_size(value) {
                            Ok(512) => 512,
                            Ok(4096) => 4096,
                            _ => return Err(bad("the LBA size must be 512 or 4096")),
                        }
                    }
                    "nn" => {
                        spec.nn = value
                            .parse()
                            .ok()
                            .filter(|n| (1..=1024).contains(n))
                            .ok_or_else(|| bad("the namespace count must be 1 to 1024"))?
                    }
                    "mdts" => {
                        spec.mdts = Some(
                            value
                                .parse()
                                .ok()
                                .filter(|n| *n <= 19)
                                .ok_or_else(|| bad("MDTS must be 0 (no limit) to 19"))?,
                        )
                    }
                    "qd" => {
                        spec.queue_depth = Some(
                            value
                                .parse()
                                .ok()
                                .filter(|n| (1..=65536).contains(n))
                                .ok_or_else(|| bad("the queue depth must be 1 to 65536"))?,
                        )
                    }
                    _ => return Err(bad("unknown option")),
                }
            }
        }
    }
    if spec.size % spec.lba_size as u64 != 0 {
        return Err(SpecError::BadSize {
            text: rest.into(),
            why: "not a multiple of the LBA size",
        });
    }
    Ok(spec)
}

/// A byte count: digits with an optional binary suffix K, M, G or T (also
/// `KiB`…, `KB`…, case-insensitive; all mean powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, SpecError> {
    let t = text.trim();
    let bad = |why| SpecError::BadSize {
        text: text.into(),
        why,
    };
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits_end);
    if num.is_empty() {
        return Err(bad("no number"));
    }
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(bad("unknown suffix")),
    };
    let n: u64 = num.parse().map_err(|_| bad("number too large"))?;
    if n == 0 {
        return Err(bad("must be greater than zero"));
    }
    n.checked_mul(1 << shift)
        .ok_or_else(|| bad("larger than 2^64 bytes"))
}

/// Parses `DDDD:BB:DD.F`, hex fields of exactly 4, 2 and 2 digits, device at
/// most 1f, function 0 to 7.
pub fn parse_pci(text: &str) -> Result<PciAddr, SpecError> {
    let bad = |why| SpecError::BadPci {
        text: text.into(),
        why,
    };
    let mut colon = text.split(':');
    let (Some(dom), Some(bus), Some(devfn), None) =
        (colon.next(), colon.next(), colon.next(), colon.next())
    else {
        return Err(bad("expected two colons"));
    };
    let Some((dev, func)) = devfn.split_once('.') else {
        return Err(bad("expected `.` before the function"));
    };
    let hex = |s: &str, width: usize, what: &'static str| -> Result<u32, SpecError> {
        if s.len() != width || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(what));
        }
        u32::from_str_radix(s, 16).map_err(|_| bad(what))
    };
    let domain = hex(dom, 4, "the domain must be 4 hex digits")?;
    let bus = hex(bus, 2, "the bus must be 2 hex digits")?;
    let device = hex(dev, 2, "the device must be 2 hex digits")?;
    let function = hex(func, 1, "the function must be one digit 0-7")?;
    if device > 0x1f {
        return Err(bad("the device must be at most 1f"));
    }
    if function > 7 {
        return Err(bad("the function must be 0-7"));
    }
    Ok(PciAddr {
        domain: domain as u16,
        bus: bus as u8,
        device: device as u8,
        function: function as u8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ram(size: u64, lba_size: u32) -> DeviceSpec {
        DeviceSpec::Ram(RamSpec {
            size,
            lba_size,
            ..RamSpec::default()
        })
    }

    #[test]
    fn sizes_with_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("4K"), Ok(4 << 10));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("3T"), Ok(3 << 40));
        assert_eq!(parse_size("16777215T"), Ok(16_777_215u64 << 40));
    }

    #[test]
    fn bad_sizes_say_why() {
        for (s, why) in [
            ("", "no number"),
            ("G", "no number"),
            ("-1G", "no number"),
            ("1.5G", "unknown suffix"),
            ("1X", "unknown suffix"),
            ("1 G", "unknown suffix"),
            ("0", "must be greater than zero"),
            ("0M", "must be greater than zero"),
            ("16777216T", "larger than 2^64 bytes"),
            ("99999999999999999999", "number too large"),
        ] {
            match parse_size(s) {
                Err(SpecError::BadSize { why: w, .. }) => assert_eq!(w, why, "{s:?}"),
                other => panic!("{s:?}: {other:?}"),
            }
        }
        assert!(parse_size("1X")
            .unwrap_err()
            .to_string()
            .contains("bad size `1X`: unknown suffix"));
    }

    #[test]
    fn ram_strings() {
        assert_eq!(parse("ram:1G"), Ok(ram(1 << 30, 512)));
        assert_eq!(parse("ram:512M,lba=4096"), Ok(ram(512 << 20, 4096)));
        assert_eq!(parse("ram:512M,lba=4k"), Ok(ram(512 << 20, 4096)));
        assert_eq!(parse("ram"), Ok(ram(1 << 30, 512)));
        assert_eq!(parse("  ram:64M  "), Ok(ram(64 << 20, 512)));
        assert_eq!(
            parse("ram:64M,nn=2,mdts=5,qd=32"),
            Ok(DeviceSpec::Ram(RamSpec {
                size: 64 << 20,
                lba_size: 512,
                nn: 2,
                mdts: Some(5),
                queue_depth: Some(32),
            }))
        );
    }

    #[test]
    fn bad_ram_strings() {
        assert!(matches!(parse("ram:"), Err(SpecError::BadSize { .. })));
        assert!(matches!(parse("ram:1Q"), Err(SpecError::BadSize { .. })));
        assert!(matches!(
            parse("ram:1G,lba=1024"),
            Err(SpecError::BadOption { .. })
        ));
        assert!(matches!(
            parse("ram:1G,nn=0"),
            Err(SpecError::BadOption { .. })
        ));
        assert!(matches!(
            parse("ram:1G,mdts=20"),
            Err(SpecError::BadOption { .. })
        ));
        assert!(matches!(
            parse("ram:1G,foo=1"),
            Err(SpecError::BadOption { .. })
        ));
        assert!(matches!(
            parse("ram:1G,2G"),
            Err(SpecError::BadOption { .. })
        ));
        let e = parse("ram:6K,lba=4096").unwrap_err();
        assert_eq!(
            e,
            SpecError::BadSize {
                text: "6K,lba=4096".into(),
                why: "not a multiple of the LBA size"
            }
        );
    }

    #[test]
    fn paths_and_prefixes() {
        assert_eq!(
            parse("/dev/ng0n1"),
            Ok(DeviceSpec::Path("/dev/ng0n1".into()))
        );
        assert_eq!(
            parse("ioctl:/dev/nvme0"),
            Ok(DeviceSpec::Ioctl("/dev/nvme0".into()))
        );
        assert_eq!(
            parse("uring:/dev/ng1n2"),
            Ok(DeviceSpec::Uring("/dev/ng1n2".into()))
        );
        assert_eq!(parse("uring:"), Err(SpecError::MissingTarget("uring")));
        assert_eq!(
            parse("ioctl:dev/nvme0"),
            Err(SpecError::RelativePath("dev/nvme0".into()))
        );
    }

    #[test]
    fn unknown_prefixes_and_strings() {
        assert_eq!(
            parse("spdk:0000:00:04.0"),
            Err(SpecError::UnknownPrefix("spdk".into()))
        );
        assert_eq!(parse("RAM:1G"), Err(SpecError::UnknownPrefix("RAM".into())));
        assert_eq!(parse("nvme0"), Err(SpecError::Unrecognized("nvme0".into())));
        assert_eq!(parse(""), Err(SpecError::Empty));
        assert!(parse("spdk:x")
            .unwrap_err()
            .to_string()
            .contains("unknown backend `spdk:`"));
    }

    #[test]
    fn pci_addresses() {
        let a = parse_pci("0000:00:04.0").unwrap();
        assert_eq!(
            a,
            PciAddr {
                domain: 0,
                bus: 0,
                device: 4,
                function: 0
            }
        );
        assert_eq!(a.to_string(), "0000:00:04.0");
        let b: PciAddr = "ABCD:ff:1f.7".parse().unwrap();
        assert_eq!(
            (b.domain, b.bus, b.device, b.function),
            (0xabcd, 0xff, 0x1f, 7)
        );
        assert_eq!(b.to_string(), "abcd:ff:1f.7");
        assert_eq!(
            parse("vfio:0000:00:05.0"),
            Ok(DeviceSpec::Vfio("0000:00:05.0".parse().unwrap()))
        );
        assert_eq!(parse("vfio:"), Err(SpecError::MissingTarget("vfio")));
    }

    #[test]
    fn bad_pci_addresses_say_why() {
        for (s, why) in [
            ("00:04.0", "expected two colons"),
            ("0000:00:00:04.0", "expected two colons"),
            ("0000:00:04", "expected `.` before the function"),
            ("000:00:04.0", "the domain must be 4 hex digits"),
            ("0000:0:04.0", "the bus must be 2 hex digits"),
            ("0000:0g:04.0", "the bus must be 2 hex digits"),
            ("0000:00:4.0", "the device must be 2 hex digits"),
            ("0000:00:20.0", "the device must be at most 1f"),
            ("0000:00:04.8", "the function must be 0-7"),
            ("0000:00:04.10", "the function must be one digit 0-7"),
            ("0000:00:+4.0", "the device must be 2 hex digits"),
        ] {
            match parse_pci(s) {
                Err(SpecError::BadPci { why: w, .. }) => assert_eq!(w, why, "{s:?}"),
                other => panic!("{s:?}: {other:?}"),
            }
        }
    }
}
