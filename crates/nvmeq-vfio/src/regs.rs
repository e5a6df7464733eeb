//! Controller register offsets and fields (NVMe Base Specification,
//! "Controller Registers" figure). Kept to what bring-up needs; to be replaced
//! by `nvmeq_core::regs` when that lands.

use bitfield_struct::bitfield;

/// Controller Capabilities (CAP), offset 00h.
pub const CAP: usize = 0x00;
/// Version (VS), offset 08h.
pub const VS: usize = 0x08;
/// Interrupt Mask Set (INTMS), offset 0Ch.
pub const INTMS: usize = 0x0c;
/// Controller Configuration (CC), offset 14h.
pub const CC: usize = 0x14;
/// Controller Status (CSTS), offset 1Ch.
pub const CSTS: usize = 0x1c;
/// Admin Queue Attributes (AQA), offset 24h.
pub const AQA: usize = 0x24;
/// Admin Submission Queue Base Address (ASQ), offset 28h.
pub const ASQ: usize = 0x28;
/// Admin Completion Queue Base Address (ACQ), offset 30h.
pub const ACQ: usize = 0x30;
/// Submission Queue 0 Tail Doorbell, offset 1000h: the first doorbell.
pub const DOORBELLS: usize = 0x1000;

/// Controller Capabilities ("Offset 0h: CAP – Controller Capabilities").
#[bitfield(u64)]
#[derive(PartialEq, Eq)]
pub struct Cap {
    /// Maximum Queue Entries Supported, zero-based.
    pub mqes_z: u16,
    /// Contiguous Queues Required.
    pub cqr: bool,
    /// Arbitration Mechanism Supported.
    #[bits(2)]
    pub ams: u8,
    #[bits(5)]
    _rsvd0: u8,
    /// Timeout, in 500 ms units: worst case time for CSTS.RDY to change.
    pub to: u8,
    /// Doorbell Stride: doorbells are `4 << dstrd` bytes apart.
    #[bits(4)]
    pub dstrd: u8,
    /// NVM Subsystem Reset Supported.
    pub nssrs: bool,
    /// Command Sets Supported (bit 0: NVM command set).
    pub css: u8,
    /// Boot Partition Support.
    pub bps: bool,
    /// Controller Power Scope.
    #[bits(2)]
    pub cps: u8,
    /// Memory Page Size Minimum: `2 ^ (12 + mpsmin)` bytes.
    #[bits(4)]
    pub mpsmin: u8,
    /// Memory Page Size Maximum.
    #[bits(4)]
    pub mpsmax: u8,
    /// Persistent Memory Region Supported.
    pub pmrs: bool,
    /// Controller Memory Buffer Supported.
    pub cmbs: bool,
    /// NVM Subsystem Shutdown Supported.
    pub nsss: bool,
    /// Controller Ready Modes Supported.
    #[bits(2)]
    pub crms: u8,
    #[bits(3)]
    _rsvd1: u8,
}

/// Controller Configuration ("Offset 14h: CC – Controller Configuration").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct Cc {
    /// Enable.
    pub en: bool,
    #[bits(3)]
    _rsvd0: u8,
    /// I/O Command Set Selected (000b: NVM).
    #[bits(3)]
    pub css: u8,
    /// Memory Page Size: `2 ^ (12 + mps)`.
    #[bits(4)]
    pub mps: u8,
    /// Arbitration Mechanism Selected (000b: round robin).
    #[bits(3)]
    pub ams: u8,
    /// Shutdown Notification (01b normal, 10b abrupt).
    #[bits(2)]
    pub shn: u8,
    /// I/O Submission Queue Entry Size: `2 ^ iosqes` bytes.
    #[bits(4)]
    pub iosqes: u8,
    /// I/O Completion Queue Entry Size: `2 ^ iocqes` bytes.
    #[bits(4)]
    pub iocqes: u8,
    /// Controller Ready Independent of Media Enable.
    pub crime: bool,
    #[bits(7)]
    _rsvd1: u8,
}

/// Controller Status ("Offset 1Ch: CSTS – Controller Status").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct Csts {
    /// Ready.
    pub rdy: bool,
    /// Controller Fatal Status.
    pub cfs: bool,
    /// Shutdown Status (00b normal operation, 01b occurring, 10b complete).
    #[bits(2)]
    pub shst: u8,
    /// NVM Subsystem Reset Occurred.
    pub nssro: bool,
    /// Processing Paused.
    pub pp: bool,
    /// Shutdown Type.
    pub st: bool,
    #[bits(25)]
    _rsvd: u32,
}

/// Admin Queue Attributes ("Offset 24h: AQA – Admin Queue Attributes").
#[bitfield(u32)]
#[derive(PartialEq, Eq)]
pub struct Aqa {
    /// Admin Submission Queue Size, zero-based.
    #[bits(12)]
    pub asqs_z: u16,
    #[bits(4)]
    _rsvd0: u8,
    /// Admin Completion Queue Size, zero-based.
    #[bits(12)]
    pub acqs_z: u16,
    #[bits(4)]
    _rsvd1: u8,
}

/// CC.SHN: normal shutdown.
pub const SHN_NORMAL: u8 = 0b01;
/// CSTS.SHST: shutdown processing complete.
pub const SHST_COMPLETE: u8 = 0b10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_fields_of_a_qemu_controller() {
        // QEMU 7.2: MQES 0x7ff, CQR, TO 0xf, DSTRD 0, CSS NVM + admin-only,
        // MPSMIN 0, MPSMAX 4, CMBS 0.
        let cap = Cap::from_bits(0x0040_0000_0f01_07ff | 1 << 37);
        assert_eq!(cap.mqes_z(), 0x7ff);
        assert!(cap.cqr());
        assert_eq!(cap.to(), 0x0f);
        assert_eq!(cap.dstrd(), 0);
        assert_eq!(cap.css() & 1, 1);
        assert_eq!(cap.mpsmin(), 0);
        assert_eq!(cap.mpsmax(), 4);
    }

    #[test]
    fn cc_encodes_like_the_spec_figure() {
        let cc = Cc::new()
            .with_en(true)
            .with_iosqes(6)
            .with_iocqes(4)
            .with_shn(SHN_NORMAL);
        assert_eq!(cc.into_bits(), 1 | 6 << 16 | 4 << 20 | 1 << 14);
        let csts = Csts::from_bits(0b1011);
        assert!(csts.rdy() && csts.cfs());
        assert_eq!(csts.shst(), SHST_COMPLETE);
        let aqa = Aqa::new().with_asqs_z(31).with_acqs_z(31);
        assert_eq!(aqa.into_bits(), 31 | 31 << 16);
    }
}
