//! The VFIO layer: container, group and device file descriptors, region
//! information, PCI config space and the IOMMU map/unmap calls.
//!
//! This is one of the three modules that contain `unsafe` (with [`crate::mmio`]
//! and [`crate::dma`]): every ioctl lives here.

mod ioctl;

use std::fs::{File, OpenOptions};
use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;

use vfio_bindings::bindings::vfio::{
    vfio_group_status, vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_unmap, vfio_iommu_type1_info,
    vfio_region_info, VFIO_TYPE1v2_IOMMU, VFIO_API_VERSION, VFIO_DMA_MAP_FLAG_READ,
    VFIO_DMA_MAP_FLAG_WRITE, VFIO_GROUP_FLAGS_VIABLE, VFIO_IOMMU_INFO_CAPS,
    VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, VFIO_PCI_CONFIG_REGION_INDEX,
    VFIO_REGION_INFO_CAP_SPARSE_MMAP, VFIO_REGION_INFO_FLAG_CAPS,
};

use crate::bdf::Bdf;
use crate::error::OpenError;
use crate::iova::IovaRange;
use ioctl::*;

/// Runs an ioctl whose argument is a pointer to `arg`, returning its value.
///
/// # Safety
/// `req` must be a request that reads and writes at most `size_of::<T>()`
/// bytes through the pointer (or, for variable-sized structs, at most the
/// `argsz` the caller put in `arg`, which must not exceed `size_of::<T>()`).
unsafe fn ioctl_ptr<T>(fd: &impl AsRawFd, req: libc::c_ulong, arg: &mut T) -> io::Result<i32> {
    // SAFETY: the caller guarantees the kernel touches only `*arg`, which is a
    // live, exclusively borrowed value for the duration of the call.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg as *mut T) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// Runs an ioctl whose argument is an integer.
fn ioctl_val(fd: &impl AsRawFd, req: libc::c_ulong, arg: libc::c_ulong) -> io::Result<i32> {
    // SAFETY: the VFIO requests passed here (GET_API_VERSION, CHECK_EXTENSION,
    // SET_IOMMU) take their argument by value and touch no user memory.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), req as _, arg) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn open_rw(path: &str) -> Result<File, OpenError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| OpenError::os_at(format!("open {path}"), path, e))
}

/// A VFIO container (`/dev/vfio/vfio`) with one group attached and the Type1v2
/// IOMMU set: the address space the controller's DMA goes through.
///
/// DMA mappings hold an `Arc` of it, so the group stays attached (and the
/// mappings stay removable) until the last buffer is gone.
#[derive(Debug)]
pub struct Iommu {
    container: File,
    // Closing the group detaches it from the container and drops every mapping,
    // so it lives exactly as long as the container.
    group: File,
    group_id: u32,
}

impl Iommu {
    /// Opens the container and group `group_id`, checks the API version, Type1v2
    /// support and group viability, attaches the group and sets the IOMMU.
    pub(crate) fn open(group_id: u32) -> Result<Iommu, OpenError> {
        let container = open_rw("/dev/vfio/vfio")?;
        let v = ioctl_val(&container, VFIO_GET_API_VERSION, 0)
            .map_err(|e| OpenError::os_at("VFIO_GET_API_VERSION", "/dev/vfio/vfio", e))?;
        if v != VFIO_API_VERSION as i32 {
            return Err(OpenError::Unsupported(format!(
                "VFIO API version {v}, this driver speaks version {VFIO_API_VERSION}"
            )));
        }
        let ext = ioctl_val(
            &container,
            VFIO_CHECK_EXTENSION,
            VFIO_TYPE1v2_IOMMU as libc::c_ulong,
        )
        .map_err(|e| OpenError::os_at("VFIO_CHECK_EXTENSION", "/dev/vfio/vfio", e))?;
        if ext != 1 {
            return Err(OpenError::Unsupported(
                "the kernel's VFIO has no Type1v2 IOMMU (load vfio_iommu_type1)".into(),
            ));
        }

        let path = format!("/dev/vfio/{group_id}");
        let group = open_rw(&path)?;
        let mut status = vfio_group_status {
            argsz: size_of::<vfio_group_status>() as u32,
            flags: 0,
        };
        // SAFETY: VFIO_GROUP_GET_STATUS writes one vfio_group_status.
        unsafe { ioctl_ptr(&group, VFIO_GROUP_GET_STATUS, &mut status) }
            .map_err(|e| OpenError::os_at("VFIO_GROUP_GET_STATUS", &path, e))?;
        if status.flags & VFIO_GROUP_FLAGS_VIABLE == 0 {
            let others = crate::sysfs::group_blockers(group_id);
            let verb = if others.len() == 1 { "is" } else { "are" };
            return Err(OpenError::GroupNotViable {
                group: group_id,
                others: if others.is_empty() {
                    "some device".into()
                } else {
                    others.join(", ")
                },
                verb,
            });
        }
        let mut cfd = container.as_raw_fd();
        // SAFETY: VFIO_GROUP_SET_CONTAINER reads one int (the container fd).
        unsafe { ioctl_ptr(&group, VFIO_GROUP_SET_CONTAINER, &mut cfd) }
            .map_err(|e| OpenError::os_at("VFIO_GROUP_SET_CONTAINER", &path, e))?;
        ioctl_val(
            &container,
            VFIO_SET_IOMMU,
            VFIO_TYPE1v2_IOMMU as libc::c_ulong,
        )
        .map_err(|e| OpenError::os_at("VFIO_SET_IOMMU(Type1v2)", "/dev/vfio/vfio", e))?;
        Ok(Iommu {
            container,
            group,
            group_id,
        })
    }

    /// The IOVA ranges the IOMMU accepts (`VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE`,
    /// Linux 5.4+), or `None` when the kernel does not report them.
    pub(crate) fn iova_ranges(&self) -> Option<Vec<IovaRange>> {
        // The info struct followed by room for the capability chain.
        let mut buf = [0u64; 512];
        let hdr = size_of::<vfio_iommu_type1_info>();
        let bytes: &mut [u8] = zerocopy::IntoBytes::as_mut_bytes(&mut buf[..]);
        let argsz = bytes.len() as u32;
        bytes[..4].copy_from_slice(&argsz.to_ne_bytes());
        // SAFETY: VFIO_IOMMU_GET_INFO writes at most argsz bytes (the whole 4 KiB
        // buffer, as argsz says) into the buffer, which is 8-byte aligned and
        // starts with a vfio_iommu_type1_info.
        unsafe {
            libc::ioctl(
                self.container.as_raw_fd(),
                VFIO_IOMMU_GET_INFO as _,
                bytes.as_mut_ptr(),
            )
        };
        let info = parse_iommu_info(bytes, hdr);
        info.filter(|r| !r.is_empty())
    }

    /// Maps `size` bytes at `vaddr` to `iova`, readable and writable by the device.
    ///
    /// # Safety
    /// `[vaddr, vaddr + size)` must be memory this process owns and keeps
    /// allocated until [`Iommu::unmap_dma`] of the same range succeeds; the device
    /// may read and write it at any time in between.
    pub(crate) unsafe fn map_dma(&self, vaddr: *mut u8, iova: u64, size: u64) -> io::Result<()> {
        let mut m = vfio_iommu_type1_dma_map {
            argsz: size_of::<vfio_iommu_type1_dma_map>() as u32,
            flags: VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
            vaddr: vaddr as u64,
            iova,
            size,
        };
        // SAFETY: VFIO_IOMMU_MAP_DMA reads one vfio_iommu_type1_dma_map; the
        // memory it describes stays valid per this function's contract.
        unsafe { ioctl_ptr(&self.container, VFIO_IOMMU_MAP_DMA, &mut m) }.map(|_| ())
    }

    /// Unmaps `[iova, iova + size)` and returns the number of bytes the kernel
    /// reports unmapped.
    pub(crate) fn unmap_dma(&self, iova: u64, size: u64) -> io::Result<u64> {
        let mut u = vfio_iommu_type1_dma_unmap {
            argsz: size_of::<vfio_iommu_type1_dma_unmap>() as u32,
            flags: 0,
            iova,
            size,
            data: Default::default(),
        };
        // SAFETY: VFIO_IOMMU_UNMAP_DMA without flags reads argsz (24) bytes and
        // writes back `size`; the struct is 24 bytes.
        unsafe { ioctl_ptr(&self.container, VFIO_IOMMU_UNMAP_DMA, &mut u) }?;
        Ok(u.size)
    }

    /// Opens the device fd for `bdf` through the group.
    pub(crate) fn device(&self, bdf: &Bdf) -> Result<Device, OpenError> {
        let name = std::ffi::CString::new(bdf.to_string()).expect("a BDF has no NUL");
        // SAFETY: VFIO_GROUP_GET_DEVICE_FD reads a NUL-terminated string, which
        // `name` is, and returns a new fd.
        let fd = unsafe {
            libc::ioctl(
                self.group.as_raw_fd(),
                VFIO_GROUP_GET_DEVICE_FD as _,
                name.as_ptr(),
            )
        };
        if fd < 0 {
            return Err(OpenError::os_at(
                "VFIO_GROUP_GET_DEVICE_FD",
                &format!("/dev/vfio/{}", self.group_id),
                io::Error::last_os_error(),
            ));
        }
        // SAFETY: the kernel just returned this fd to us; nothing else owns it.
        let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let config = region_info(&file, VFIO_PCI_CONFIG_REGION_INDEX)
            .map_err(|e| OpenError::os_at("VFIO_DEVICE_GET_REGION_INFO(config)", "", e))?;
        Ok(Device {
            file,
            config_offset: config.offset,
        })
    }
}

/// Reads the IOVA ranges out of a `VFIO_IOMMU_GET_INFO` reply.
fn parse_iommu_info(bytes: &[u8], hdr: usize) -> Option<Vec<IovaRange>> {
    let u32_at = |o: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(bytes.get(o..o + 4)?.try_into().ok()?))
    };
    let u64_at = |o: usize| -> Option<u64> {
        Some(u64::from_ne_bytes(bytes.get(o..o + 8)?.try_into().ok()?))
    };
    let flags = u32_at(4)?;
    if flags & VFIO_IOMMU_INFO_CAPS == 0 || hdr > bytes.len() {
        return None;
    }
    let mut off = u32_at(16)? as usize; // cap_offset
    let mut hops = 0;
    while off != 0 && hops < 16 {
        let id = u32_at(off)? & 0xffff;
        let next = u32_at(off + 4)? as usize;
        if id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE {
            let n = u32_at(off + 8)? as usize;
            let mut out = Vec::with_capacity(n.min(64));
            for i in 0..n.min(64) {
                let at = off + 16 + i * 16;
                out.push(IovaRange {
                    start: u64_at(at)?,
                    end: u64_at(at + 8)?,
                });
            }
            return Some(out);
        }
        off = next;
        hops += 1;
    }
    None
}

/// The sparse-mmap areas in a `VFIO_DEVICE_GET_REGION_INFO` reply with
/// capabilities (`vfio_region_info_cap_sparse_mmap`).
fn parse_sparse_areas(bytes: &[u8]) -> Vec<(u64, u64)> {
    let u32_at = |o: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(bytes.get(o..o + 4)?.try_into().ok()?))
    };
    let u64_at = |o: usize| -> Option<u64> {
        Some(u64::from_ne_bytes(bytes.get(o..o + 8)?.try_into().ok()?))
    };
    let mut off = u32_at(12).unwrap_or(0) as usize; // cap_offset
    let mut hops = 0;
    while off != 0 && hops < 16 {
        let (Some(hdr), Some(next)) = (u32_at(off), u32_at(off + 4)) else {
            break;
        };
        if hdr & 0xffff == VFIO_REGION_INFO_CAP_SPARSE_MMAP {
            let n = u32_at(off + 8).unwrap_or(0) as usize;
            return (0..n.min(64))
                .map_while(|i| {
                    let at = off + 16 + i * 16;
                    Some((u64_at(at)?, u64_at(at + 8)?))
                })
                .collect();
        }
        off = next as usize;
        hops += 1;
    }
    Vec::new()
}

/// Information about one device region (`VFIO_DEVICE_GET_REGION_INFO`).
fn region_info(dev: &File, index: u32) -> io::Result<vfio_region_info> {
    let mut info = vfio_region_info {
        argsz: size_of::<vfio_region_info>() as u32,
        index,
        ..Default::default()
    };
    // SAFETY: with argsz = sizeof(vfio_region_info) the kernel writes at most
    // that struct (capabilities that do not fit are only announced by argsz).
    unsafe { ioctl_ptr(dev, VFIO_DEVICE_GET_REGION_INFO, &mut info) }?;
    Ok(info)
}

/// A VFIO device fd: its regions and PCI config space.
#[derive(Debug)]
pub struct Device {
    file: File,
    config_offset: u64,
}

impl Device {
    /// Region `index` of the device (BARs are 0..=5).
    pub(crate) fn region(&self, index: u32) -> io::Result<vfio_region_info> {
        region_info(&self.file, index)
    }

    /// The mmap-able parts of region `index` as `(offset, size)` pairs
    /// relative to the region, from its sparse-mmap capability (vfio-pci
    /// excludes the MSI-X table when the platform cannot remap interrupts).
    /// Empty when the region has no such capability.
    pub(crate) fn sparse_areas(&self, index: u32) -> io::Result<Vec<(u64, u64)>> {
        let first = self.region(index)?;
        if first.flags & VFIO_REGION_INFO_FLAG_CAPS == 0
            || first.argsz as usize <= size_of::<vfio_region_info>()
        {
            return Ok(Vec::new());
        }
        // Room for the capability chain the kernel announced in argsz.
        let words = (first.argsz as usize).div_ceil(8).min(4096);
        let mut buf = vec![0u64; words];
        let bytes: &mut [u8] = zerocopy::IntoBytes::as_mut_bytes(&mut buf[..]);
        let argsz = bytes.len() as u32;
        bytes[..4].copy_from_slice(&argsz.to_ne_bytes());
        bytes[8..12].copy_from_slice(&index.to_ne_bytes());
        // SAFETY: VFIO_DEVICE_GET_REGION_INFO writes at most argsz bytes,
        // the length of this 8-byte aligned buffer, which starts with a
        // vfio_region_info.
        let r = unsafe {
            libc::ioctl(
                self.file.as_raw_fd(),
                VFIO_DEVICE_GET_REGION_INFO as _,
                bytes.as_mut_ptr(),
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(parse_sparse_areas(bytes))
    }

    /// Reads a 16-bit register of PCI config space.
    pub(crate) fn config_read16(&self, reg: u64) -> io::Result<u16> {
        let mut b = [0u8; 2];
        self.file.read_exact_at(&mut b, self.config_offset + reg)?;
        Ok(u16::from_le_bytes(b))
    }

    /// Writes a 16-bit register of PCI config space.
    pub(crate) fn config_write16(&self, reg: u64, v: u16) -> io::Result<()> {
        self.file
            .write_all_at(&v.to_le_bytes(), self.config_offset + reg)
    }

    /// The fd, for [`crate::mmio::Bar::map`].
    pub(crate) fn fd(&self) -> &File {
        &self.file
    }
}

impl crate::platform::DmaMap for Iommu {
    unsafe fn map_dma(&self, ptr: *mut u8, iova: u64, len: u64) -> io::Result<()> {
        // SAFETY: the trait's contract is `Iommu::map_dma`'s.
        unsafe { Iommu::map_dma(self, ptr, iova, len) }
    }

    fn unmap_dma(&self, iova: u64, len: u64) -> io::Result<u64> {
        Iommu::unmap_dma(self, iova, len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_sparse_mmap_capability() {
        let mut b = vec![0u8; 96];
        b[12..16].copy_from_slice(&32u32.to_ne_bytes()); // cap_offset
                                                         // An unrelated capability first (type, id 2), then sparse mmap (id 1).
        b[32..34].copy_from_slice(&2u16.to_ne_bytes());
        b[36..40].copy_from_slice(&48u32.to_ne_bytes());
        b[48..50].copy_from_slice(&1u16.to_ne_bytes());
        b[56..60].copy_from_slice(&2u32.to_ne_bytes());
        b[64..72].copy_from_slice(&0u64.to_ne_bytes());
        b[72..80].copy_from_slice(&0x2000u64.to_ne_bytes());
        b[80..88].copy_from_slice(&0x3000u64.to_ne_bytes());
        b[88..96].copy_from_slice(&0x1000u64.to_ne_bytes());
        assert_eq!(parse_sparse_areas(&b), vec![(0, 0x2000), (0x3000, 0x1000)]);
        // Truncated: areas past the buffer are dropped, nothing panics.
        assert_eq!(parse_sparse_areas(&b[..80]), vec![(0, 0x2000)]);
        assert!(parse_sparse_areas(&[0u8; 8]).is_empty());
    }

    #[test]
    fn parses_an_iova_range_capability() {
        let mut b = vec![0u8; 128];
        b[4..8].copy_from_slice(&(VFIO_IOMMU_INFO_CAPS | 1).to_ne_bytes());
        b[16..20].copy_from_slice(&24u32.to_ne_bytes()); // cap_offset
                                                         // cap header at 24: id 1, version 1, next 0; nr_iovas 2
        b[24..26].copy_from_slice(&1u16.to_ne_bytes());
        b[26..28].copy_from_slice(&1u16.to_ne_bytes());
        b[32..36].copy_from_slice(&2u32.to_ne_bytes());
        b[40..48].copy_from_slice(&0u64.to_ne_bytes());
        b[48..56].copy_from_slice(&0xfedf_ffffu64.to_ne_bytes());
        b[56..64].copy_from_slice(&0xfef0_0000u64.to_ne_bytes());
        b[64..72].copy_from_slice(&0x7f_ffff_ffffu64.to_ne_bytes());
        let r = parse_iommu_info(&b, 24).unwrap();
        assert_eq!(
            r,
            vec![
                IovaRange {
                    start: 0,
                    end: 0xfedf_ffff
                },
                IovaRange {
                    start: 0xfef0_0000,
                    end: 0x7f_ffff_ffff
                }
            ]
        );
        b[4..8].copy_from_slice(&1u32.to_ne_bytes());
        assert_eq!(parse_iommu_info(&b, 24), None);
    }
}
