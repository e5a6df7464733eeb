//! VFIO ioctl request numbers: `_IO(VFIO_TYPE, VFIO_BASE + n)` from
//! `include/uapi/linux/vfio.h`. VFIO encodes neither size nor direction, so each
//! number is `(';' << 8) | (100 + n)`.

use vfio_bindings::bindings::vfio::{VFIO_BASE, VFIO_TYPE};

const fn io(n: u32) -> libc::c_ulong {
    ((VFIO_TYPE as u32) << 8 | (VFIO_BASE + n)) as libc::c_ulong
}

pub(crate) const VFIO_GET_API_VERSION: libc::c_ulong = io(0);
pub(crate) const VFIO_CHECK_EXTENSION: libc::c_ulong = io(1);
pub(crate) const VFIO_SET_IOMMU: libc::c_ulong = io(2);
pub(crate) const VFIO_GROUP_GET_STATUS: libc::c_ulong = io(3);
pub(crate) const VFIO_GROUP_SET_CONTAINER: libc::c_ulong = io(4);
pub(crate) const VFIO_GROUP_GET_DEVICE_FD: libc::c_ulong = io(6);
pub(crate) const VFIO_DEVICE_GET_REGION_INFO: libc::c_ulong = io(8);
pub(crate) const VFIO_IOMMU_GET_INFO: libc::c_ulong = io(12);
pub(crate) const VFIO_IOMMU_MAP_DMA: libc::c_ulong = io(13);
pub(crate) const VFIO_IOMMU_UNMAP_DMA: libc::c_ulong = io(14);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_match_the_uapi_header() {
        // ';' is 0x3b; VFIO_BASE is 100 (0x64).
        assert_eq!(VFIO_GET_API_VERSION, 0x3b64);
        assert_eq!(VFIO_CHECK_EXTENSION, 0x3b65);
        assert_eq!(VFIO_SET_IOMMU, 0x3b66);
        assert_eq!(VFIO_GROUP_GET_STATUS, 0x3b67);
        assert_eq!(VFIO_GROUP_SET_CONTAINER, 0x3b68);
        assert_eq!(io(5), 0x3b69); // VFIO_GROUP_UNSET_CONTAINER
        assert_eq!(VFIO_GROUP_GET_DEVICE_FD, 0x3b6a);
        assert_eq!(io(7), 0x3b6b); // VFIO_DEVICE_GET_INFO
        assert_eq!(VFIO_DEVICE_GET_REGION_INFO, 0x3b6c);
        assert_eq!(VFIO_IOMMU_GET_INFO, 0x3b70);
        assert_eq!(VFIO_IOMMU_MAP_DMA, 0x3b71);
        assert_eq!(VFIO_IOMMU_UNMAP_DMA, 0x3b72);
    }
}
