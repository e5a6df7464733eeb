//! [`BackendKind`]: which backend a device goes through, with the one
//! spelling used in device strings, cargo features and reports.

use core::fmt;
use core::str::FromStr;

/// A backend nvmeq can drive a device through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// The in-memory controller (`ram:1G`).
    Ram,
    /// Blocking Linux passthrough ioctls (`ioctl:/dev/ng0n1`).
    Ioctl,
    /// Linux io_uring passthrough, `IORING_OP_URING_CMD` (`uring:/dev/ng0n1`).
    Uring,
    /// The userspace VFIO driver (`vfio:0000:00:04.0`).
    Vfio,
    /// The NVMe/TCP initiator (`tcp://HOST:PORT/SUBNQN`).
    Tcp,
}

impl BackendKind {
    /// Every backend, in the order the facade lists them.
    pub const ALL: [BackendKind; 5] = [
        BackendKind::Ram,
        BackendKind::Ioctl,
        BackendKind::Uring,
        BackendKind::Vfio,
        BackendKind::Tcp,
    ];

    /// The name: the device-string prefix and the cargo feature.
    pub const fn name(self) -> &'static str {
        match self {
            BackendKind::Ram => "ram",
            BackendKind::Ioctl => "ioctl",
            BackendKind::Uring => "uring",
            BackendKind::Vfio => "vfio",
            BackendKind::Tcp => "tcp",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not one of [`BackendKind::name`]'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownBackend;

impl fmt::Display for UnknownBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown backend: use ram, ioctl, uring, vfio or tcp")
    }
}

impl core::error::Error for UnknownBackend {}

impl FromStr for BackendKind {
    type Err = UnknownBackend;
    fn from_str(s: &str) -> Result<Self, UnknownBackend> {
        BackendKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or(UnknownBackend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in BackendKind::ALL {
            assert_eq!(k.name().parse(), Ok(k));
        }
        assert_eq!("io_uring".parse::<BackendKind>(), Err(UnknownBackend));
        assert_eq!("RAM".parse::<BackendKind>(), Err(UnknownBackend));
        assert_eq!(BackendKind::Uring.name(), "uring");
    }
}
