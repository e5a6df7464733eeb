//! The kernel's NVMe passthrough ABI, from `include/uapi/linux/nvme_ioctl.h`:
//! `struct nvme_uring_cmd`, `struct nvme_passthru_cmd64` and the request
//! numbers that carry them (ioctl numbers, and io_uring's `cmd_op`).
//!
//! Our own zerocopy types (the `libc` crate carries neither struct), with size
//! and offset assertions so a layout mistake fails the build.

use nvmeq_core::Command;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `struct nvme_uring_cmd`: the command as the kernel reads it from the
/// 80-byte command area of a 128-byte io_uring SQE (Linux ≥ 5.19). It is also
/// the first 72 bytes of [`NvmePassthruCmd64`].
///
/// Unlike the 64-byte NVMe SQE it has no CID, PSDT or PRPs (the kernel owns
/// them): a plain user address and length for data and metadata, and a
/// per-command timeout.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct NvmeUringCmd {
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
    /// User address of the data buffer, or of an `iovec` array for the
    /// vectored requests (with fixed buffers, an address inside the
    /// registered buffer).
    pub addr: u64,
    /// Metadata buffer length in bytes.
    pub metadata_len: u32,
    /// Data length in bytes; for the vectored requests the number of
    /// `iovec`s (`vec_cnt` in the kernel's union).
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
    /// Timeout in milliseconds (0: the driver's default).
    pub timeout_ms: u32,
    /// Reserved.
    pub rsvd2: u32,
}

const _: () = assert!(core::mem::size_of::<NvmeUringCmd>() == 72);
const _: () = assert!(core::mem::align_of::<NvmeUringCmd>() == 8);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, nsid) == 4);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, cdw2) == 8);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, metadata) == 16);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, addr) == 24);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, metadata_len) == 32);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, data_len) == 36);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, cdw10) == 40);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, cdw15) == 60);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, timeout_ms) == 64);
const _: () = assert!(core::mem::offset_of!(NvmeUringCmd, rsvd2) == 68);

impl NvmeUringCmd {
    /// Converts a core [`Command`] field by field, with the data buffer at
    /// `addr`/`data_len`. The SQE's data pointer, metadata pointer and CID are
    /// not carried: the kernel builds PRPs from `addr` and assigns the CID.
    /// `flags` gets CDW0 bits 15:8 (FUSE, PSDT), which builders leave zero.
    pub const fn from_command(sqe: &Command, addr: u64, data_len: u32) -> Self {
        NvmeUringCmd {
            opcode: sqe.cdw0.opcode(),
            flags: (sqe.cdw0.into_bits() >> 8) as u8,
            rsvd1: 0,
            nsid: sqe.nsid,
            cdw2: sqe.cdw2,
            cdw3: sqe.cdw3,
            metadata: 0,
            addr,
            metadata_len: 0,
            data_len,
            cdw10: sqe.cdw10,
            cdw11: sqe.cdw11,
            cdw12: sqe.cdw12,
            cdw13: sqe.cdw13,
            cdw14: sqe.cdw14,
            cdw15: sqe.cdw15,
            timeout_ms: 0,
            rsvd2: 0,
        }
    }

    /// The 80-byte command area of a 128-byte SQE holding this command
    /// (the last 8 bytes are zero).
    pub fn to_cmd80(&self) -> [u8; 80] {
        let mut out = [0u8; 80];
        out[..72].copy_from_slice(self.as_bytes());
        out
    }
}

/// `struct nvme_passthru_cmd64`: the blocking ioctls' command. The kernel
/// lays it out as [`NvmeUringCmd`] followed by the 64-bit result, so it is
/// written that way here.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct NvmePassthruCmd64 {
    /// Everything up to and including `rsvd2`.
    pub cmd: NvmeUringCmd,
    /// Completion dwords 0 and 1, written by the kernel.
    pub result: u64,
}

const _: () = assert!(core::mem::size_of::<NvmePassthruCmd64>() == 80);
const _: () = assert!(core::mem::offset_of!(NvmePassthruCmd64, result) == 72);

impl NvmePassthruCmd64 {
    /// The command's fields, without data or metadata (`addr`/`metadata`
    /// are set from live buffers by the caller that issues the ioctl).
    pub const fn from_command(sqe: &Command, timeout_ms: u32) -> Self {
        let mut cmd = NvmeUringCmd::from_command(sqe, 0, 0);
        cmd.timeout_ms = timeout_ms;
        NvmePassthruCmd64 { cmd, result: 0 }
    }
}

/// `_IOC(dir, type, nr, size)` from `include/uapi/asm-generic/ioctl.h`
/// (x86, arm64, riscv: 8 bits nr, 8 bits type, 14 bits size, 2 bits direction).
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}
/// `_IOC_NONE`.
pub const IOC_NONE: u32 = 0;
/// `_IOC_WRITE`.
pub const IOC_WRITE: u32 = 1;
/// `_IOC_READ`.
pub const IOC_READ: u32 = 2;

const fn iowr_n(nr: u8, size: usize) -> u32 {
    ioc(IOC_READ | IOC_WRITE, b'N', nr, size)
}
const PASSTHRU64: usize = core::mem::size_of::<NvmePassthruCmd64>();
const URING_CMD: usize = core::mem::size_of::<NvmeUringCmd>();

/// `NVME_IOCTL_ID`: `_IO('N', 0x40)`, returns the namespace id of a namespace device.
pub const NVME_IOCTL_ID: u32 = ioc(IOC_NONE, b'N', 0x40, 0);
/// `NVME_IOCTL_RESET`: `_IO('N', 0x44)` on the controller device: reset the
/// controller (the kernel fails or requeues what is in flight and sets the
/// queues up again).
pub const NVME_IOCTL_RESET: u32 = ioc(IOC_NONE, b'N', 0x44, 0);
/// `NVME_IOCTL_SUBSYS_RESET`: `_IO('N', 0x45)` on the controller device:
/// the kernel writes NSSR ("NVMe") and recovers the controller after.
pub const NVME_IOCTL_SUBSYS_RESET: u32 = ioc(IOC_NONE, b'N', 0x45, 0);
/// `NVME_IOCTL_RESCAN`: `_IO('N', 0x46)` on the controller device: queue a
/// rescan of its namespaces.
pub const NVME_IOCTL_RESCAN: u32 = ioc(IOC_NONE, b'N', 0x46, 0);
/// `NVME_IOCTL_ADMIN64_CMD`: `_IOWR('N', 0x47, struct nvme_passthru_cmd64)`.
pub const NVME_IOCTL_ADMIN64_CMD: u32 = iowr_n(0x47, PASSTHRU64);
/// `NVME_IOCTL_IO64_CMD`: `_IOWR('N', 0x48, struct nvme_passthru_cmd64)`.
pub const NVME_IOCTL_IO64_CMD: u32 = iowr_n(0x48, PASSTHRU64);
/// `NVME_IOCTL_IO64_CMD_VEC`: `_IOWR('N', 0x49, struct nvme_passthru_cmd64)`,
/// `addr` pointing at an `iovec` array and `data_len` holding its count.
pub const NVME_IOCTL_IO64_CMD_VEC: u32 = iowr_n(0x49, PASSTHRU64);
/// `NVME_URING_CMD_IO`: `_IOWR('N', 0x80, struct nvme_uring_cmd)`, an I/O
/// command on a namespace char device (`/dev/ngXnY`). Linux ≥ 5.19.
pub const NVME_URING_CMD_IO: u32 = iowr_n(0x80, URING_CMD);
/// `NVME_URING_CMD_IO_VEC`: as `NVME_URING_CMD_IO` with `addr` an iovec array. Linux ≥ 5.19.
pub const NVME_URING_CMD_IO_VEC: u32 = iowr_n(0x81, URING_CMD);
/// `NVME_URING_CMD_ADMIN`: an admin command on the controller char device
/// (`/dev/nvmeX`). Linux ≥ 6.0.
pub const NVME_URING_CMD_ADMIN: u32 = iowr_n(0x82, URING_CMD);
/// `NVME_URING_CMD_ADMIN_VEC`: as `NVME_URING_CMD_ADMIN` with an iovec array. Linux ≥ 6.0.
pub const NVME_URING_CMD_ADMIN_VEC: u32 = iowr_n(0x83, URING_CMD);

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::cmd::{Identify, Read, Write};

    #[test]
    fn request_numbers_match_the_kernel() {
        // _IOWR('N', nr, size): 0xC0000000 | size << 16 | 'N' << 8 | nr.
        assert_eq!(NVME_IOCTL_ID, 0x4e40);
        assert_eq!(NVME_IOCTL_RESCAN, 0x4e46);
        assert_eq!(NVME_IOCTL_SUBSYS_RESET, 0x4e45);
        assert_eq!(NVME_IOCTL_ADMIN64_CMD, 0xc050_4e47);
        assert_eq!(NVME_IOCTL_IO64_CMD, 0xc050_4e48);
        assert_eq!(NVME_IOCTL_IO64_CMD_VEC, 0xc050_4e49);
        assert_eq!(NVME_URING_CMD_IO, 0xc048_4e80);
        assert_eq!(NVME_URING_CMD_IO_VEC, 0xc048_4e81);
        assert_eq!(NVME_URING_CMD_ADMIN, 0xc048_4e82);
        assert_eq!(NVME_URING_CMD_ADMIN_VEC, 0xc048_4e83);
    }

    #[test]
    fn layout_matches_uapi_offsets() {
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, opcode), 0);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, flags), 1);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, rsvd1), 2);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw3), 12);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw11), 44);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw12), 48);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw13), 52);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw14), 56);
        assert_eq!(core::mem::align_of::<NvmePassthruCmd64>(), 8);
    }

    #[test]
    fn passthru64_write_golden() {
        let mut cmd = Write::new(7, 0x1_2345_6789, 15).fua(true).build().sqe;
        // Fields the caller owns must not leak into the ioctl struct.
        cmd.mptr = 0xdead_beef;
        cmd.dptr = [0x1111, 0x2222];
        cmd.cdw0 = cmd.cdw0.with_cid(0xabcd);
        cmd.cdw2 = 0x0202_0202;
        cmd.cdw3 = 0x0303_0303;
        cmd.cdw13 = 0x13;
        cmd.cdw14 = 0x14;
        cmd.cdw15 = 0x15;
        let p = NvmePassthruCmd64::from_command(&cmd, 1234);
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
        // The kernel's result lands in the last 8 bytes.
        let mut back = NvmePassthruCmd64::read_from_bytes(&golden).unwrap();
        back.as_mut_bytes()[72..].copy_from_slice(&0x0000_0002_0000_0001u64.to_le_bytes());
        assert_eq!(back.result, 0x0000_0002_0000_0001);
    }

    #[test]
    fn uring_cmd_read_golden() {
        let mut sqe = Read::new(1, 0x1_2345_6789, 7).fua(true).build().sqe;
        sqe.cdw2 = 0xAAAA_0002;
        sqe.cdw3 = 0xBBBB_0003;
        sqe.cdw13 = 13;
        sqe.cdw14 = 14;
        sqe.cdw15 = 15;
        let u = NvmeUringCmd::from_command(&sqe, 0xDEAD_BEEF_0000, 4096);
        #[rustfmt::skip]
        let golden: [u8; 80] = [
            0x02, 0x00, 0x00, 0x00,  0x01, 0x00, 0x00, 0x00, // opcode, flags, rsvd1, nsid
            0x02, 0x00, 0xAA, 0xAA,  0x03, 0x00, 0xBB, 0xBB, // cdw2, cdw3
            0, 0, 0, 0, 0, 0, 0, 0,                          // metadata
            0x00, 0x00, 0xEF, 0xBE, 0xAD, 0xDE, 0x00, 0x00,  // addr
            0, 0, 0, 0,  0x00, 0x10, 0x00, 0x00,             // metadata_len, data_len
            0x89, 0x67, 0x45, 0x23,  0x01, 0x00, 0x00, 0x00, // cdw10 (slba lo), cdw11 (slba hi)
            0x07, 0x00, 0x00, 0x40,  13, 0, 0, 0,            // cdw12 (nlb 7, FUA), cdw13
            14, 0, 0, 0,  15, 0, 0, 0,                       // cdw14, cdw15
            0, 0, 0, 0,  0, 0, 0, 0,                         // timeout_ms, rsvd2
            0, 0, 0, 0,  0, 0, 0, 0,                         // SQE padding
        ];
        assert_eq!(u.to_cmd80(), golden);
    }

    #[test]
    fn identify_carries_cns_and_no_pointers() {
        let mut sqe = Identify::controller().cntid(0x12).build().sqe;
        sqe.mptr = 0x1111;
        sqe.dptr = [0x2222, 0x3333];
        sqe.cdw0 = sqe.cdw0.with_cid(0x4444);
        let u = NvmeUringCmd::from_command(&sqe, 0x7000, 4096);
        assert_eq!(u.opcode, 0x06);
        assert_eq!(u.flags, 0);
        assert_eq!(u.cdw10, 0x0012_0001);
        assert_eq!(u.metadata, 0, "MPTR is the kernel's to fill");
        assert_eq!(u.addr, 0x7000);
        assert_eq!(u.data_len, 4096);
        let p = NvmePassthruCmd64::from_command(&sqe, 0);
        assert_eq!((p.cmd.opcode, p.cmd.nsid, p.cmd.addr), (0x06, 0, 0));
    }

    #[test]
    fn psdt_and_fuse_reach_flags() {
        let mut sqe = Command::new(0x02, 1);
        sqe.cdw0 = sqe.cdw0.with_psdt(1).with_fuse(2);
        assert_eq!(NvmeUringCmd::from_command(&sqe, 0, 0).flags, 0x42);
        let mut sqe = Identify::controller().build().sqe;
        sqe.cdw0 = sqe.cdw0.with_fuse(1).with_psdt(1);
        let p = NvmePassthruCmd64::from_command(&sqe, 0);
        assert_eq!(p.cmd.flags, 0b0100_0001);
        assert_eq!(p.cmd.cdw10, 1);
    }
}
