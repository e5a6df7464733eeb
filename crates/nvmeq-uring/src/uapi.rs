//! The kernel's passthrough ABI for io_uring, from
//! `include/uapi/linux/nvme_ioctl.h`: `struct nvme_uring_cmd` and the
//! `NVME_URING_CMD_*` command numbers carried in the SQE's `cmd_op`.
//!
//! Defined here as our own zerocopy type (the `libc` crate does not carry it),
//! with size and offset assertions so a layout mistake fails the build.

use nvmeq_core::{Command, Completion, Error, Status};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `struct nvme_uring_cmd`: the NVMe command as the kernel reads it from the
/// 80-byte command area of a 128-byte SQE (Linux ≥ 5.19).
///
/// Unlike the 64-byte NVMe SQE it has no CID, PSDT or PRPs (the kernel owns
/// them); it has a plain user address and length for the data and metadata
/// buffers and a per-command timeout.
#[repr(C)]
#[derive(
    Debug, Default, Clone, Copy, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct NvmeUringCmd {
    /// Opcode (CDW0 bits 7:0).
    pub opcode: u8,
    /// CDW0 bits 15:8 (fused operation, PSDT): the kernel rejects non-zero values.
    pub flags: u8,
    /// Reserved.
    pub rsvd1: u16,
    /// Namespace Identifier.
    pub nsid: u32,
    /// Command Dword 2.
    pub cdw2: u32,
    /// Command Dword 3.
    pub cdw3: u32,
    /// User address of the separate metadata buffer (0: none).
    pub metadata: u64,
    /// User address of the data buffer (or of an iovec array for the `_VEC` ops;
    /// with fixed buffers, an address inside the registered buffer).
    pub addr: u64,
    /// Length of the metadata buffer in bytes.
    pub metadata_len: u32,
    /// Length of the data buffer in bytes (or the iovec count for `_VEC`).
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
    /// Converts a core [`Command`] field by field. The data pointer, PRPs,
    /// metadata pointer and CID of `sqe` are not carried: the kernel builds
    /// them from `addr`/`data_len`. `flags` gets CDW0 bits 15:8 (FUSE, PSDT),
    /// which builders leave zero.
    pub fn from_command(sqe: &Command, addr: u64, data_len: u32) -> Self {
        let cdw0 = sqe.cdw0.into_bits();
        NvmeUringCmd {
            opcode: sqe.opcode(),
            flags: (cdw0 >> 8) as u8,
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

/// `_IOC` from `include/uapi/asm-generic/ioctl.h` (x86, arm, riscv layout):
/// direction in bits 31:30, size in 29:16, type in 15:8, number in 7:0.
pub const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32
}
const IOC_NONE: u32 = 0;
const IOC_READ_WRITE: u32 = 3;
const NVME_URING_CMD_SIZE: usize = core::mem::size_of::<NvmeUringCmd>();

/// `NVME_URING_CMD_IO`: `_IOWR('N', 0x80, struct nvme_uring_cmd)`, an I/O
/// command on a namespace char device (`/dev/ngXnY`). Linux ≥ 5.19.
pub const NVME_URING_CMD_IO: u32 = ioc(IOC_READ_WRITE, b'N', 0x80, NVME_URING_CMD_SIZE);
/// `NVME_URING_CMD_IO_VEC`: as `NVME_URING_CMD_IO` with `addr` an iovec array. Linux ≥ 5.19.
pub const NVME_URING_CMD_IO_VEC: u32 = ioc(IOC_READ_WRITE, b'N', 0x81, NVME_URING_CMD_SIZE);
/// `NVME_URING_CMD_ADMIN`: an admin command on the controller char device
/// (`/dev/nvmeX`). Linux ≥ 6.0.
pub const NVME_URING_CMD_ADMIN: u32 = ioc(IOC_READ_WRITE, b'N', 0x82, NVME_URING_CMD_SIZE);
/// `NVME_URING_CMD_ADMIN_VEC`: as `NVME_URING_CMD_ADMIN` with an iovec array. Linux ≥ 6.0.
pub const NVME_URING_CMD_ADMIN_VEC: u32 = ioc(IOC_READ_WRITE, b'N', 0x83, NVME_URING_CMD_SIZE);
/// `NVME_IOCTL_ID`: `_IO('N', 0x40)`, returns the namespace id of a namespace device.
pub const NVME_IOCTL_ID: u32 = ioc(IOC_NONE, b'N', 0x40, 0);
/// `NVME_IOCTL_RESCAN`: `_IO('N', 0x46)` on the controller device: queue a
/// rescan of its namespaces.
pub const NVME_IOCTL_RESCAN: u32 = ioc(IOC_NONE, b'N', 0x46, 0);

/// What a passthrough CQE means: `res` < 0 is an errno from the kernel,
/// `res` > 0 is the NVMe status (15 bits, without the phase tag), 0 is
/// success; the big CQE's first extra u64 is the 64-bit command result
/// (completion dwords 0 and 1).
pub fn decode_completion(res: i32, result: u64) -> Result<Completion, Error> {
    if res < 0 {
        return Err(Error::Os {
            op: "IORING_OP_URING_CMD",
            errno: res.saturating_neg(),
        });
    }
    if res > 0x7fff {
        // Not a status the driver can produce; report it rather than truncate.
        return Err(Error::Os {
            op: "IORING_OP_URING_CMD (result is neither an errno nor an NVMe status)",
            errno: res,
        });
    }
    Completion::from_result(result, Status::from_bits(res as u16)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::cmd::{Identify, Read};
    use nvmeq_core::Sct;

    #[test]
    fn cmd_op_values_match_the_uapi_encoding() {
        // _IOWR('N', nr, 72 bytes): 0xC0000000 | 72 << 16 | 'N' << 8 | nr.
        assert_eq!(NVME_URING_CMD_IO, 0xC048_4E80);
        assert_eq!(NVME_URING_CMD_IO_VEC, 0xC048_4E81);
        assert_eq!(NVME_URING_CMD_ADMIN, 0xC048_4E82);
        assert_eq!(NVME_URING_CMD_ADMIN_VEC, 0xC048_4E83);
        assert_eq!(NVME_IOCTL_ID, 0x4E40);
        assert_eq!(NVME_IOCTL_RESCAN, 0x4E46);
    }

    #[test]
    fn layout_matches_the_uapi_offsets() {
        assert_eq!(core::mem::size_of::<NvmeUringCmd>(), 72);
        assert_eq!(core::mem::align_of::<NvmeUringCmd>(), 8);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, flags), 1);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, rsvd1), 2);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw3), 12);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw11), 44);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw12), 48);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw13), 52);
        assert_eq!(core::mem::offset_of!(NvmeUringCmd, cdw14), 56);
    }

    #[test]
    fn read_converts_field_by_field_golden() {
        let cmd = Read::new(1, 0x1_2345_6789, 7).fua(true).build();
        let mut sqe = cmd.sqe;
        sqe.cdw2 = 0xAAAA_0002;
        sqe.cdw3 = 0xBBBB_0003;
        sqe.cdw13 = 13;
        sqe.cdw14 = 14;
        sqe.cdw15 = 15;
        let u = NvmeUringCmd::from_command(&sqe, 0xDEAD_BEEF_0000, 4096);
        let bytes = u.to_cmd80();
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
        assert_eq!(bytes, golden);
    }

    #[test]
    fn identify_carries_cns_and_no_pointers() {
        let cmd = Identify::controller().cntid(0x12).build();
        let mut sqe = cmd.sqe;
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
    }

    #[test]
    fn psdt_and_fuse_reach_flags() {
        let mut sqe = Command::new(0x02, 1);
        sqe.cdw0 = sqe.cdw0.with_psdt(1).with_fuse(2);
        let u = NvmeUringCmd::from_command(&sqe, 0, 0);
        assert_eq!(u.flags, 0x42);
    }

    #[test]
    fn completion_decoding() {
        let ok = decode_completion(0, 0x0000_0002_0000_0001).unwrap();
        assert_eq!((ok.dw0, ok.dw1), (1, 2));
        assert_eq!(
            decode_completion(-5, 0),
            Err(Error::Os {
                op: "IORING_OP_URING_CMD",
                errno: 5
            })
        );
        // LBA Out of Range with DNR: sct 0, sc 0x80, dnr bit 14.
        let err = decode_completion(0x4080, 0).unwrap_err();
        match err {
            Error::Status(s) => {
                assert_eq!(s.sct(), Sct::GENERIC);
                assert_eq!(s.sc(), 0x80);
                assert!(s.dnr());
                assert_eq!(s.name(), Some("LBA Out of Range"));
            }
            other => panic!("expected a status, got {other:?}"),
        }
        assert!(decode_completion(0x1_0000, 0).is_err());
    }
}
