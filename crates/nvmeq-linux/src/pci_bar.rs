//! A PCIe controller's register page (the first 4 KiB of BAR0) mapped
//! through its sysfs `resource0` file while the kernel's nvme driver owns
//! the controller: what `get-reg`, `set-reg` and `show-regs` read and write.
//!
//! Only the register page is mapped, never the doorbells above it (ringing
//! one behind the driver's back would corrupt its queues). Accesses are
//! volatile, naturally aligned 32-bit loads and stores inside the mapping;
//! a 64-bit register is two of them, low dword first (the Base spec allows
//! a 64-bit register to be accessed as two 32-bit halves).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

/// The register page: CAP (0h) through the PMR registers (E00h–E1Bh).
pub const REGISTER_PAGE: usize = 0x1000;

/// Why a register access through `resource0` failed.
#[derive(Debug, thiserror::Error)]
pub enum PciBarError {
    /// `resource0` could not be opened (no PCI device behind the controller,
    /// e.g. a fabrics controller, or not root).
    #[error("{path}: {source}{}", open_hint(source))]
    Open {
        /// The resource file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The resource is smaller than the register page.
    #[error("{path} is {len} bytes, smaller than the {REGISTER_PAGE:#x}-byte register page")]
    TooSmall {
        /// The resource file.
        path: PathBuf,
        /// Its size.
        len: u64,
    },
    /// mmap refused (e.g. a kernel with CONFIG_IO_STRICT_DEVMEM and the
    /// region claimed by the driver: boot with `iomem=relaxed`).
    #[error(
        "mapping {path}: {source} (a kernel with CONFIG_IO_STRICT_DEVMEM needs iomem=relaxed)"
    )]
    Map {
        /// The resource file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// An offset that is not 4-aligned or runs past the register page.
    #[error("register offset {offset:#x} ({width} bytes) is unaligned or outside the {REGISTER_PAGE:#x}-byte register page")]
    Offset {
        /// The offset asked for.
        offset: usize,
        /// The access width.
        width: usize,
    },
    /// A store to a mapping opened read-only.
    #[error("the register page was mapped read-only")]
    ReadOnly,
}

/// What to do about a `resource0` that would not open: only root may map it.
fn open_hint(e: &io::Error) -> &'static str {
    if e.kind() == io::ErrorKind::PermissionDenied {
        " (mapping a controller's registers needs root: run as root or with sudo)"
    } else {
        ""
    }
}

/// The mapped register page of one controller.
#[derive(Debug)]
pub struct PciBar0 {
    ptr: NonNull<u8>,
    writable: bool,
}

impl PciBar0 {
    /// The `resource0` of the kernel controller `ctrl` (`nvme0`) under the
    /// sysfs root `sys` (normally `/sys`).
    pub fn resource_path(sys: &Path, ctrl: &str) -> PathBuf {
        sys.join("class/nvme").join(ctrl).join("device/resource0")
    }

    /// Maps the register page of `resource` (a sysfs `resource0`), for
    /// stores too when `writable`.
    pub fn open(resource: &Path, writable: bool) -> Result<PciBar0, PciBarError> {
        let file: File = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(resource)
            .map_err(|source| PciBarError::Open {
                path: resource.into(),
                source,
            })?;
        let len = file
            .metadata()
            .map_err(|source| PciBarError::Open {
                path: resource.into(),
                source,
            })?
            .len();
        if len < REGISTER_PAGE as u64 {
            return Err(PciBarError::TooSmall {
                path: resource.into(),
                len,
            });
        }
        let prot = if writable {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        // SAFETY: a fresh shared mapping of the device's register page; no
        // existing memory is affected, and the result is checked below.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                REGISTER_PAGE,
                prot,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(PciBarError::Map {
                path: resource.into(),
                source: io::Error::last_os_error(),
            });
        }
        let ptr = NonNull::new(p.cast::<u8>()).ok_or_else(|| PciBarError::Map {
            path: resource.into(),
            source: io::Error::other("mmap returned NULL"),
        })?;
        Ok(PciBar0 { ptr, writable })
    }

    fn check(offset: usize, width: usize) -> Result<(), PciBarError> {
        if offset % 4 == 0
            && offset % width == 0
            && offset
                .checked_add(width)
                .is_some_and(|end| end <= REGISTER_PAGE)
        {
            Ok(())
        } else {
            Err(PciBarError::Offset { offset, width })
        }
    }

    fn load(&self, offset: usize) -> u32 {
        // SAFETY: every caller has passed `check`, so `offset` is 4-aligned
        // and the 4 bytes lie inside the live mapping, whose page-aligned
        // base makes the pointer aligned for u32.
        unsafe { self.ptr.as_ptr().add(offset).cast::<u32>().read_volatile() }
    }

    fn store(&self, offset: usize, v: u32) {
        // SAFETY: as in `load`, and the mapping is writable (checked by the
        // callers). MMIO stores alias no Rust memory.
        unsafe {
            self.ptr
                .as_ptr()
                .add(offset)
                .cast::<u32>()
                .write_volatile(v)
        }
    }

    /// The 32-bit register at `offset`.
    pub fn read32(&self, offset: usize) -> Result<u32, PciBarError> {
        Self::check(offset, 4)?;
        Ok(self.load(offset))
    }

    /// The 64-bit register at `offset` (8-aligned), low dword read first.
    pub fn read64(&self, offset: usize) -> Result<u64, PciBarError> {
        Self::check(offset, 8)?;
        let lo = self.load(offset) as u64;
        let hi = self.load(offset + 4) as u64;
        Ok(hi << 32 | lo)
    }

    /// Stores `v` in the 32-bit register at `offset`.
    pub fn write32(&self, offset: usize, v: u32) -> Result<(), PciBarError> {
        Self::check(offset, 4)?;
        if !self.writable {
            return Err(PciBarError::ReadOnly);
        }
        self.store(offset, v);
        Ok(())
    }

    /// Stores `v` in the 64-bit register at `offset` (8-aligned), low dword
    /// first.
    pub fn write64(&self, offset: usize, v: u64) -> Result<(), PciBarError> {
        Self::check(offset, 8)?;
        if !self.writable {
            return Err(PciBarError::ReadOnly);
        }
        self.store(offset, v as u32);
        self.store(offset + 4, (v >> 32) as u32);
        Ok(())
    }
}

impl Drop for PciBar0 {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping made in `open`; accessors
        // return values, so no pointer into it outlives `self`.
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), REGISTER_PAGE) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_checked() {
        assert!(PciBar0::check(0, 8).is_ok());
        assert!(PciBar0::check(0x14, 4).is_ok());
        assert!(PciBar0::check(0xe18, 4).is_ok());
        assert!(PciBar0::check(0xffc, 4).is_ok());
        for (o, w) in [
            (0x2, 4),
            (0x14, 8),
            (0x1000, 4),
            (0xffc, 8),
            (usize::MAX - 3, 4),
        ] {
            assert!(PciBar0::check(o, w).is_err(), "{o:#x}/{w}");
        }
    }

    #[test]
    fn a_regular_file_maps_and_reads_back() {
        // A plain file stands in for resource0: same open/mmap/volatile path.
        let dir = std::env::temp_dir().join(format!("nvmeq-pcibar-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("resource0");
        let mut page = vec![0u8; REGISTER_PAGE];
        page[0..8].copy_from_slice(&0x0000_0030_1234_07ffu64.to_le_bytes());
        page[0x14..0x18].copy_from_slice(&0x0046_0001u32.to_le_bytes());
        std::fs::write(&f, &page).unwrap();
        let ro = PciBar0::open(&f, false).unwrap();
        assert_eq!(ro.read64(0).unwrap(), 0x0000_0030_1234_07ff);
        assert_eq!(ro.read32(0x14).unwrap(), 0x0046_0001);
        assert!(matches!(ro.write32(0x14, 0), Err(PciBarError::ReadOnly)));
        assert!(matches!(ro.read32(0x15), Err(PciBarError::Offset { .. })));
        drop(ro);
        let rw = PciBar0::open(&f, true).unwrap();
        rw.write64(0x28, 0x1_2345_6000).unwrap();
        rw.write32(0x24, 0x001f_001f).unwrap();
        assert_eq!(rw.read64(0x28).unwrap(), 0x1_2345_6000);
        drop(rw);
        let back = std::fs::read(&f).unwrap();
        assert_eq!(
            &back[0x24..0x30],
            &[0x1f, 0, 0x1f, 0, 0, 0x60, 0x45, 0x23, 1, 0, 0, 0]
        );
        let denied = PciBarError::Open {
            path: f.clone(),
            source: io::Error::from(io::ErrorKind::PermissionDenied),
        };
        assert!(
            denied.to_string().ends_with("run as root or with sudo)"),
            "{denied}"
        );
        std::fs::write(&f, [0u8; 16]).unwrap();
        assert!(matches!(
            PciBar0::open(&f, false),
            Err(PciBarError::TooSmall { len: 16, .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
