//! Commands the core has no builder for yet, built by hand with
//! [`Cmd::admin`]/[`Cmd::io`] from the spec's dword layouts. Replace each with
//! the core builder once it lands (`nvmeq_core::cmd`).

use nvmeq_core::{AdminOpcode, Cmd, Command, DataDir, NvmOpcode, Xfer};

/// Get Log Page (Base spec "Get Log Page – Command Dword 10/11"): `len` bytes (a multiple of 4).
pub fn get_log_page(lid: u8, nsid: u32, len: u32) -> Cmd {
    let numd_z = len / 4 - 1;
    let mut sqe = Command::new(AdminOpcode::GET_LOG_PAGE.0, nsid);
    sqe.cdw10 = lid as u32 | (numd_z & 0xffff) << 16;
    sqe.cdw11 = numd_z >> 16;
    Cmd::admin(sqe, DataDir::FromDevice, Xfer::Bytes(len))
}

/// Get Features, current value (SEL 0), for a feature that returns its value in dword 0.
pub fn get_features(fid: u8) -> Cmd {
    let mut sqe = Command::new(AdminOpcode::GET_FEATURES.0, 0);
    sqe.cdw10 = fid as u32;
    Cmd::admin(sqe, DataDir::None, Xfer::None)
}

fn lba_cmd(op: NvmOpcode, nsid: u32, slba: u64, nlb_z: u16) -> Command {
    let mut sqe = Command::new(op.0, nsid);
    sqe.cdw10 = slba as u32;
    sqe.cdw11 = (slba >> 32) as u32;
    sqe.cdw12 = nlb_z as u32;
    sqe
}

/// Write Zeroes (NVM 0x08): no data.
pub fn write_zeroes(nsid: u32, slba: u64, nlb_z: u16) -> Cmd {
    Cmd::io(
        lba_cmd(NvmOpcode::WRITE_ZEROES, nsid, slba, nlb_z),
        DataDir::None,
        Xfer::None,
    )
}

/// Compare (NVM 0x05): the host's blocks go to the device.
pub fn compare(nsid: u32, slba: u64, nlb_z: u16) -> Cmd {
    Cmd::io(
        lba_cmd(NvmOpcode::COMPARE, nsid, slba, nlb_z),
        DataDir::ToDevice,
        Xfer::Blocks(nlb_z as u32 + 1),
    )
}

/// Verify (NVM 0x0c): no data.
pub fn verify(nsid: u32, slba: u64, nlb_z: u16) -> Cmd {
    Cmd::io(
        lba_cmd(NvmOpcode::VERIFY, nsid, slba, nlb_z),
        DataDir::None,
        Xfer::None,
    )
}

/// Dataset Management (NVM 0x09) with one range and the Deallocate attribute;
/// the 16-byte range (context attributes, NLB (1-based), SLBA) is the data.
pub fn dsm_deallocate(nsid: u32) -> Cmd {
    let mut sqe = Command::new(NvmOpcode::DATASET_MANAGEMENT.0, nsid);
    sqe.cdw10 = 0; // NR: one range (zero-based)
    sqe.cdw11 = 1 << 2; // AD
    Cmd::io(sqe, DataDir::ToDevice, Xfer::Bytes(16))
}

/// The DSM range entry: (context attributes, length in blocks, SLBA).
pub fn dsm_range(slba: u64, nlb: u32) -> [u8; 16] {
    let mut r = [0u8; 16];
    r[4..8].copy_from_slice(&nlb.to_le_bytes());
    r[8..16].copy_from_slice(&slba.to_le_bytes());
    r
}

/// Zone Management Send (ZNS 0x79) with a Zone Send Action, no data.
pub fn zone_send(nsid: u32, slba: u64, zsa: u8) -> Cmd {
    let mut sqe = Command::new(NvmOpcode::ZONE_MGMT_SEND.0, nsid);
    sqe.cdw10 = slba as u32;
    sqe.cdw11 = (slba >> 32) as u32;
    sqe.cdw13 = zsa as u32;
    Cmd::io(sqe, DataDir::None, Xfer::None)
}

/// Zone Send Action: Reset Zone.
pub const ZSA_RESET: u8 = 0x04;

/// Zone Management Receive (ZNS 0x7a), Report Zones (ZRA 0), all zones from `slba`, `len` bytes.
pub fn report_zones(nsid: u32, slba: u64, len: u32) -> Cmd {
    let mut sqe = Command::new(NvmOpcode::ZONE_MGMT_RECV.0, nsid);
    sqe.cdw10 = slba as u32;
    sqe.cdw11 = (slba >> 32) as u32;
    sqe.cdw12 = len / 4 - 1; // NUMD, zero-based
    sqe.cdw13 = 0; // ZRA Report Zones, ZRAS all zones, partial 0
    Cmd::io(sqe, DataDir::FromDevice, Xfer::Bytes(len))
}

/// Zone Append (ZNS 0x7d) of `nlb_z + 1` blocks to the zone starting at `zslba`.
pub fn zone_append(nsid: u32, zslba: u64, nlb_z: u16) -> Cmd {
    Cmd::io(
        lba_cmd(NvmOpcode::ZONE_APPEND, nsid, zslba, nlb_z),
        DataDir::ToDevice,
        Xfer::Blocks(nlb_z as u32 + 1),
    )
}
