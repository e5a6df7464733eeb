//! Identify data structures (NVMe Base Specification, "Identify Controller
//! Data Structure", "Identify Namespace Data Structure" in the NVM Command Set
//! specification, "Namespace Identification Descriptor").

use nvmeq_core::Command;

use crate::admin::put;
use crate::controller::RamController;
use crate::nvm::{MCL, MSRC_Z, MSSRL};
use crate::status::{at, Fail, INVALID_FIELD, INVALID_NS};

/// Model Number (MN).
pub const MN: &str = "nvmeq ram controller";
/// Firmware Revision (FR), 8 bytes space padded.
pub const FR: [u8; 8] = *b"1.0     ";
/// Version (VER): NVMe 2.0.0.
pub const VER: u32 = 0x0002_0000;
/// Optional NVM Command Support (ONCS): Compare (bit 0), Dataset Management
/// (2), Write Zeroes (3), Save field / Select field in Set/Get Features (4),
/// Verify (7), Copy (8).
pub const ONCS: u16 = 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 7 | 1 << 8;
/// Deallocate Logical Block Features (DLFEAT): deallocated blocks read as
/// zeroes (bits 2:0 = 001b), Write Zeroes supports DEAC (bit 3).
pub const DLFEAT: u8 = 0x01 | 1 << 3;
/// Namespace Identifier Type for an NGUID descriptor.
pub const NIDT_NGUID: u8 = 0x02;
/// Namespace Identifier Type for a Command Set Identifier descriptor.
pub const NIDT_CSI: u8 = 0x04;

/// CNS values answered.
mod cns {
    pub const NAMESPACE: u8 = 0x00;
    pub const CONTROLLER: u8 = 0x01;
    pub const ACTIVE_NS_LIST: u8 = 0x02;
    pub const NS_DESCRIPTORS: u8 = 0x03;
}

/// Space-padded ASCII, as the spec's string fields are.
fn ascii(dst: &mut [u8], s: &str) {
    dst.fill(b' ');
    let n = s.len().min(dst.len());
    dst[..n].copy_from_slice(&s.as_bytes()[..n]);
}

/// The namespace's NGUID: stable, unique per controller serial and nsid.
pub(crate) fn nguid(serial: &str, nsid: u32) -> [u8; 16] {
    // FNV-1a over the serial, then the nsid: deterministic and never all zero.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in serial.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let mut g = [0u8; 16];
    g[..4].copy_from_slice(b"nvmq");
    g[4..12].copy_from_slice(&h.to_be_bytes());
    g[12..].copy_from_slice(&nsid.to_be_bytes());
    g
}

/// Fills `out` (4096 bytes, zeroed here) with the structure the command's CNS
/// asks for.
pub(crate) fn fill(c: &RamController, sqe: &Command, out: &mut [u8]) -> Result<(), Fail> {
    let cns = (sqe.cdw10 & 0xff) as u8;
    match cns {
        cns::CONTROLLER => {
            out.fill(0);
            controller(c, out);
            Ok(())
        }
        cns::NAMESPACE => {
            c.check_nsid(sqe.nsid)?;
            out.fill(0);
            namespace(c, sqe.nsid, out);
            Ok(())
        }
        cns::ACTIVE_NS_LIST => {
            if sqe.nsid >= 0xffff_fffe {
                return Err(Fail::new(INVALID_NS, at::NSID));
            }
            out.fill(0);
            // Active nsids greater than NSID, ascending, up to 1024.
            let first = sqe.nsid + 1;
            for (slot, nsid) in (first..=c.cfg.nn).take(1024).enumerate() {
                put(out, slot * 4, &nsid.to_le_bytes());
            }
            Ok(())
        }
        cns::NS_DESCRIPTORS => {
            c.check_nsid(sqe.nsid)?;
            out.fill(0);
            // NGUID descriptor: NIDT, NIDL, reserved, NID.
            out[0] = NIDT_NGUID;
            out[1] = 16;
            put(out, 4, &nguid(&c.cfg.serial, sqe.nsid));
            // CSI descriptor: NVM Command Set (00h).
            out[20] = NIDT_CSI;
            out[21] = 1;
            out[24] = 0;
            Ok(())
        }
        _ => Err(Fail::new(INVALID_FIELD, at::CDW10)),
    }
}

/// Identify Controller (CNS 01h).
fn controller(c: &RamController, p: &mut [u8]) {
    // VID / SSVID stay 0: no PCI function backs this controller.
    ascii(&mut p[4..24], &c.cfg.serial);
    ascii(&mut p[24..64], MN);
    put(p, 64, &FR);
    p[72] = 6; // RAB: 64 commands.
    p[77] = c.cfg.mdts;
    put(p, 78, &1u16.to_le_bytes()); // CNTLID
    put(p, 80, &VER.to_le_bytes());
    p[111] = 1; // CNTRLTYPE: I/O controller.
                // OACS 0: no Format, Namespace Management, Security or Firmware commands.
    p[258] = 3; // ACL (zero-based)
    p[259] = 3; // AERL (zero-based)
    p[260] = 0x03; // FRMW: slot 1 read-only, one slot.
    p[261] = 1 << 2; // LPA: extended Get Log Page (NUMDU, offsets).
    p[262] = (crate::health::ERROR_LOG_ENTRIES - 1) as u8; // ELPE
                                                           // NPSS 0: one power state, PSD0 below.
    put(p, 266, &343u16.to_le_bytes()); // WCTEMP: 70 °C.
    put(p, 268, &358u16.to_le_bytes()); // CCTEMP: 85 °C.
    let tnvmcap = c.cfg.ns_size as u128 * c.cfg.nn as u128;
    put(p, 280, &tnvmcap.to_le_bytes()); // TNVMCAP: all capacity allocated.
    p[512] = 0x66; // SQES: 64-byte entries.
    p[513] = 0x44; // CQES: 16-byte entries.
    put(
        p,
        514,
        &(c.cfg.queue_depth.min(0xffff) as u16).to_le_bytes(),
    ); // MAXCMD
    put(p, 516, &c.cfg.nn.to_le_bytes()); // NN
    put(p, 520, &ONCS.to_le_bytes());
    // VWC: present (bit 0); Flush with NSID FFFFFFFFh supported (bits 2:1 = 11b).
    p[525] = 0x07;
    put(p, 534, &1u16.to_le_bytes()); // OCFS: Copy descriptor format 0h.
    let subnqn = format_subnqn(&c.cfg.serial);
    put(p, 768, subnqn.as_bytes());
    // PSD0: maximum power 0.01 W units, 0 means not reported.
}

/// The NVM Subsystem NVMe Qualified Name.
pub(crate) fn format_subnqn(serial: &str) -> String {
    format!("nqn.2024-01.invalid.nvmeq:ram:{serial}")
}

/// Identify Namespace (CNS 00h) for the NVM command set.
fn namespace(c: &RamController, nsid: u32, p: &mut [u8]) {
    let Some(ns) = c.namespace(nsid) else { return };
    put(p, 0, &ns.nsze.to_le_bytes()); // NSZE
    put(p, 8, &ns.nsze.to_le_bytes()); // NCAP: fully provisioned.
    put(p, 16, &ns.nsze.to_le_bytes()); // NUSE = NCAP (NSFEAT bit 0 clear).
                                        // NSFEAT 0; NLBAF 0 (one format, zero-based); FLBAS 0 (format 0).
    p[33] = DLFEAT;
    let nvmcap = (ns.nsze as u128) << ns.lbads;
    put(p, 48, &nvmcap.to_le_bytes()); // NVMCAP
    put(p, 74, &MSSRL.to_le_bytes());
    put(p, 76, &MCL.to_le_bytes());
    p[80] = MSRC_Z;
    put(p, 104, &nguid(&c.cfg.serial, nsid)); // NGUID
                                              // LBAF0: MS 0, LBADS, RP 0 (best performance).
    p[128 + 2] = ns.lbads;
}
