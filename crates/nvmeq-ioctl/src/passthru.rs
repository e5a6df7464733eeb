//! `struct nvme_passthru_cmd64` from Linux's `include/uapi/linux/nvme_ioctl.h`
//! and the ioctl request numbers that carry it.

use nvmeq_core::Command;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// The kernel's 64-bit-result passthrough command (`struct nvme_passthru_cmd64`).
///
/// `addr`/`metadata` are user addresses filled in by the private `sys` module from live
/// buffers only; everything else comes from a [`Command`] via [`PassthruCmd64::from_command`].
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct PassthruCmd64 {
    /// Opcode (CDW0 bits 7:0).
    pub opcode: u8,
    /// CDW0 bits 15:8 (FUSE, PSDT); Linux refuses anything but 0.
    pub flags: u8,
    /// Reserved (CDW0 bits 31:16, the command id, which the kernel assigns).
    pub rsvd1: u16,
    /// Namespace Identifier.
    pub nsid: u32,
    /// Command Dword 2.
    pub cdw2: u32,
    /// Command Dword 3.
    pub cdw3: u32,
    /// User address of the separate metadata buffer (0: none).
    pub metadata: u64,
    /// User address of the data buffer, or of the `iovec` array for the VEC ioctl.
    pub addr: u64,
    /// Metadata buffer length in bytes.
    pub metadata_len: u32,
    /// Data length in bytes; for `NVME_IOCTL_IO64_CMD_VEC` the number of `iovec`s
    /// (`vec_cnt` in the kernel's union).
    pub data_len: u32,
    /// Command Dword 10.
    pub cdw10: u32,
    /// Command Dword 11.
    pub cdw11: u32,
    /// Command Dword 12.
    pub cdw12: u32,
    /// Command Dword 13.
    pub cdw13: u32,
    /// Command Dword 14.
    pub cdw14: u32,
    /// Command Dword 15.
    pub cdw15: u32,
    /// Timeout in milliseconds (0: the kernel's default).
    pub timeout_ms: u32,
    /// Reserved.
    pub rsvd2: u32,
    /// Completion dwords 0 and 1, written by the kernel.
    pub result: u64,
}

const _: () = assert!(core::mem::size_of::<PassthruCmd64>() == 80);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, nsid) == 4);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, metadata) == 16);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, addr) == 24);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, metadata_len) == 32);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, data_len) == 36);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, cdw10) == 40);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, cdw15) == 60);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, timeout_ms) == 64);
const _: () = assert!(core::mem::offset_of!(PassthruCmd64, result) == 72);

impl PassthruCmd64 {
    /// The command's fields, field by field. The data and metadata pointers
    /// of the SQE are not copied: the kernel builds PRPs from `addr`, which
    /// only the private `sys` module sets, from a live buffer.
    pub const fn from_command(c: &Command, timeout_ms: u32) -> Self {
        PassthruCmd64 {
            opcode: c.cdw0.opcode(),
            flags: (c.cdw0.into_bits() >> 8) as u8,
            rsvd1: 0,
            nsid: c.nsid,
            cdw2: c.cdw2,
            cdw3: c.cdw3,
            metadata: 0,
            addr: 0,
            metadata_len: 0,
            data_len: 0,
            cdw10: c.cdw10,
            cdw11: c.cdw11,
            cdw12: c.cdw12,
            cdw13: c.cdw13,
            cdw14: c.cdw14,
            cdw15: c.cdw15,
            timeout_ms,
            rsvd2: 0,
            result: 0,
        }
    }
}

/// `_IOC(dir, type, nr, size)` from `include/uapi/asm-generic/ioctl.h`
/// (x86, arm64, riscv: 8 bits nr, 8 bits type, 14 bits size, 2 bits direction).
const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}
const IOC_NONE: u32 = 0;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

/// `NVME_IOCTL_ID`: `_IO('N', 0x40)`, returns the namespace id of a namespace device.
pub const NVME_IOCTL_ID: u32 = ioc(IOC_NONE, b'N', 0x40, 0);
/// `NVME_IOCTL_ADMIN64_CMD`: `_IOWR('N', 0x47, struct nvme_passthru_cmd64)`.
pub const NVME_IOCTL_ADMIN64_CMD: u32 = ioc(
    IOC_READ | IOC_WRITE,
    b'N',
    0x47,
    core::mem::size_of::<PassthruCmd64>(),
);
/// `NVME_IOCTL_IO64_CMD`: `_IOWR('N', 0x48, struct nvme_passthru_cmd64)`.
pub const NVME_IOCTL_IO64_CMD: u32 = ioc(
    IOC_READ | IOC_WRITE,
    b'N',
    0x48,
    core::mem::size_of::<PassthruCmd64>(),
);
/// `NVME_IOCTL_IO64_CMD_VEC`: `_IOWR('N', 0x49, struct nvme_passthru_cmd64)`,
/// `addr` pointing at an `iovec` array and `data_len` holding its count.
pub const NVME_IOCTL_IO64_CMD_VEC: u32 = ioc(
    IOC_READ | IOC_WRITE,
    b'N',
    0x49,
    core::mem::size_of::<PassthruCmd64>(),
);

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::cmd::{Identify, Write};

    #[test]
    fn ioctl_numbers_match_the_kernel() {
        // Values the kernel's macros produce (checked against nvme-cli's strace output).
        assert_eq!(NVME_IOCTL_ID, 0x4e40);
        assert_eq!(NVME_IOCTL_ADMIN64_CMD, 0xc050_4e47);
        assert_eq!(NVME_IOCTL_IO64_CMD, 0xc050_4e48);
        assert_eq!(NVME_IOCTL_IO64_CMD_VEC, 0xc050_4e49);
    }

    #[test]
    fn layout_matches_uapi_offsets() {
        // Field offsets of struct nvme_passthru_cmd64 as the uapi header lays them out.
        assert_eq!(core::mem::offset_of!(PassthruCmd64, opcode), 0);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, flags), 1);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, rsvd1), 2);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, cdw2), 8);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, cdw3), 12);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, cdw11), 44);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, cdw12), 48);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, cdw13), 52);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, cdw14), 56);
        assert_eq!(core::mem::offset_of!(PassthruCmd64, rsvd2), 68);
        assert_eq!(core::mem::align_of::<PassthruCmd64>(), 8);
    }

    #[test]
    fn write_converts_field_by_field() {
        let mut cmd = Write::new(7, 0x1_2345_6789, 15).fua(true).build().sqe;
        // Fields the backend owns must not leak into the ioctl struct.
        cmd.mptr = 0xdead_beef;
        cmd.dptr = [0x1111, 0x2222];
        cmd.cdw0 = cmd.cdw0.with_cid(0xabcd);
        cmd.cdw2 = 0x0202_0202;
        cmd.cdw3 = 0x0303_0303;
        cmd.cdw13 = 0x13;
        cmd.cdw14 = 0x14;
        cmd.cdw15 = 0x15;
        let p = PassthruCmd64::from_command(&cmd, 1234);
        #[rustfmt::skip]
        let golden: [u8; 80] = [
            0x01, 0x00, 0x00, 0x00, // opcode Write, flags, rsvd1 (no cid)
            0x07, 0x00, 0x00, 0x00, // nsid
            0x02, 0x02, 0x02, 0x02, // cdw2
            0x03, 0x03, 0x03, 0x03, // cdw3
            0, 0, 0, 0, 0, 0, 0, 0, // metadata: not the SQE's MPTR
            0, 0, 0, 0, 0, 0, 0, 0, // addr: not the SQE's PRP1
            0, 0, 0, 0,             // metadata_len
            0, 0, 0, 0,             // data_len
            0x89, 0x67, 0x45, 0x23, // cdw10: SLBA low
            0x01, 0x00, 0x00, 0x00, // cdw11: SLBA high
            0x0f, 0x00, 0x00, 0x40, // cdw12: NLB 15 (zero-based), FUA
            0x13, 0, 0, 0,          // cdw13
            0x14, 0, 0, 0,          // cdw14
            0x15, 0, 0, 0,          // cdw15
            0xd2, 0x04, 0x00, 0x00, // timeout_ms 1234
            0, 0, 0, 0,             // rsvd2
            0, 0, 0, 0, 0, 0, 0, 0, // result
        ];
        assert_eq!(p.as_bytes(), &golden);
    }

    #[test]
    fn identify_and_flags() {
        let mut sqe = Identify::controller().build().sqe;
        sqe.cdw0 = sqe.cdw0.with_fuse(1).with_psdt(1);
        let p = PassthruCmd64::from_command(&sqe, 0);
        assert_eq!(p.opcode, 0x06);
        assert_eq!(p.flags, 0b0100_0001);
        assert_eq!(p.cdw10, 1);
        assert_eq!(p.nsid, 0);
    }
}
