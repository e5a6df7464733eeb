//! Every status code name, keyed by the 11-bit value Linux's
//! `include/linux/nvme.h` gives it (SCT in bits 10:8, SC in 7:0), plus the
//! bits around it.

use nvmeq_core::{Completion, Sct, Status};

/// (SCT << 8 | SC, name). The kernel's `NVME_SC_*` values where it has them.
const TABLE: &[(u16, &str)] = &[
    // Generic.
    (0x000, "Successful Completion"),
    (0x001, "Invalid Command Opcode"),
    (0x002, "Invalid Field in Command"),
    (0x003, "Command ID Conflict"),
    (0x004, "Data Transfer Error"),
    (0x005, "Commands Aborted due to Power Loss Notification"),
    (0x006, "Internal Error"),
    (0x007, "Command Abort Requested"),
    (0x008, "Command Aborted due to SQ Deletion"),
    (0x009, "Command Aborted due to Failed Fused Command"),
    (0x00a, "Command Aborted due to Missing Fused Command"),
    (0x00b, "Invalid Namespace or Format"),
    (0x00c, "Command Sequence Error"),
    (0x00d, "Invalid SGL Segment Descriptor"),
    (0x00e, "Invalid Number of SGL Descriptors"),
    (0x00f, "Data SGL Length Invalid"),
    (0x010, "Metadata SGL Length Invalid"),
    (0x011, "SGL Descriptor Type Invalid"),
    (0x012, "Invalid Use of Controller Memory Buffer"),
    (0x013, "PRP Offset Invalid"),
    (0x014, "Atomic Write Unit Exceeded"),
    (0x015, "Operation Denied"),
    (0x016, "SGL Offset Invalid"),
    (0x018, "Host Identifier Inconsistent Format"),
    (0x019, "Keep Alive Timer Expired"),
    (0x01a, "Keep Alive Timeout Invalid"),
    (0x01b, "Command Aborted due to Preempt and Abort"),
    (0x01c, "Sanitize Failed"),
    (0x01d, "Sanitize In Progress"),
    (0x01e, "SGL Data Block Granularity Invalid"),
    (0x01f, "Command Not Supported for Queue in CMB"),
    (0x020, "Namespace is Write Protected"),
    (0x021, "Command Interrupted"),
    (0x022, "Transient Transport Error"),
    (0x023, "Command Prohibited by Command and Feature Lockdown"),
    (0x024, "Admin Command Media Not Ready"),
    (0x029, "FDP Disabled"),
    (0x02a, "Invalid Placement Handle List"),
    (0x02c, "Invalid I/O Command Set"),
    (0x080, "LBA Out of Range"),
    (0x081, "Capacity Exceeded"),
    (0x082, "Namespace Not Ready"),
    (0x083, "Reservation Conflict"),
    (0x084, "Format In Progress"),
    (0x085, "Invalid Value Size"),
    (0x086, "Invalid Key Size"),
    (0x087, "KV Key Does Not Exist"),
    (0x088, "Unrecovered Error"),
    (0x089, "Key Exists"),
    // Command specific.
    (0x100, "Completion Queue Invalid"),
    (0x101, "Invalid Queue Identifier"),
    (0x102, "Invalid Queue Size"),
    (0x103, "Abort Command Limit Exceeded"),
    (0x105, "Asynchronous Event Request Limit Exceeded"),
    (0x106, "Invalid Firmware Slot"),
    (0x107, "Invalid Firmware Image"),
    (0x108, "Invalid Interrupt Vector"),
    (0x109, "Invalid Log Page"),
    (0x10a, "Invalid Format"),
    (0x10b, "Firmware Activation Requires Conventional Reset"),
    (0x10c, "Invalid Queue Deletion"),
    (0x10d, "Feature Identifier Not Saveable"),
    (0x10e, "Feature Not Changeable"),
    (0x10f, "Feature Not Namespace Specific"),
    (0x110, "Firmware Activation Requires NVM Subsystem Reset"),
    (0x111, "Firmware Activation Requires Controller Level Reset"),
    (0x112, "Firmware Activation Requires Maximum Time Violation"),
    (0x113, "Firmware Activation Prohibited"),
    (0x114, "Overlapping Range"),
    (0x115, "Namespace Insufficient Capacity"),
    (0x116, "Namespace Identifier Unavailable"),
    (0x118, "Namespace Already Attached"),
    (0x119, "Namespace Is Private"),
    (0x11a, "Namespace Not Attached"),
    (0x11b, "Thin Provisioning Not Supported"),
    (0x11c, "Controller List Invalid"),
    (0x11d, "Device Self-test In Progress"),
    (0x11e, "Boot Partition Write Prohibited"),
    (0x11f, "Invalid Controller Identifier"),
    (0x120, "Invalid Secondary Controller State"),
    (0x121, "Invalid Number of Controller Resources"),
    (0x122, "Invalid Resource Identifier"),
    (
        0x123,
        "Sanitize Prohibited While Persistent Memory Region is Enabled",
    ),
    (0x124, "ANA Group Identifier Invalid"),
    (0x125, "ANA Attach Failed"),
    (0x126, "Insufficient Capacity"),
    (0x127, "Namespace Attachment Limit Exceeded"),
    (0x128, "Prohibition of Command Execution Not Supported"),
    (0x129, "I/O Command Set Not Supported"),
    (0x12a, "I/O Command Set Not Enabled"),
    (0x12b, "I/O Command Set Combination Rejected"),
    (0x12c, "Invalid I/O Command Set"),
    (0x12d, "Identifier Unavailable"),
    (0x17f, "Stream Resource Allocation Failed"),
    (0x180, "Conflicting Attributes"),
    (0x181, "Invalid Protection Information"),
    (0x182, "Attempted Write to Read Only Range"),
    (0x183, "Command Size Limit Exceeded"),
    (0x185, "Incompatible Namespace or Format"),
    (0x190, "Discover Restart"),
    (0x191, "Authentication Required"),
    (0x1b8, "Zoned Boundary Error"),
    (0x1b9, "Zone Is Full"),
    (0x1ba, "Zone Is Read Only"),
    (0x1bb, "Zone Is Offline"),
    (0x1bc, "Zone Invalid Write"),
    (0x1bd, "Too Many Active Zones"),
    (0x1be, "Too Many Open Zones"),
    (0x1bf, "Invalid Zone State Transition"),
    // Media and data integrity.
    (0x280, "Write Fault"),
    (0x281, "Unrecovered Read Error"),
    (0x282, "End-to-end Guard Check Error"),
    (0x283, "End-to-end Application Tag Check Error"),
    (0x284, "End-to-end Reference Tag Check Error"),
    (0x285, "Compare Failure"),
    (0x286, "Access Denied"),
    (0x287, "Deallocated or Unwritten Logical Block"),
    (0x288, "End-to-end Storage Tag Check Error"),
    // Path related.
    (0x300, "Internal Path Error"),
    (0x301, "Asymmetric Access Persistent Loss"),
    (0x302, "Asymmetric Access Inaccessible"),
    (0x303, "Asymmetric Access Transition"),
    (0x360, "Controller Pathing Error"),
    (0x370, "Host Pathing Error"),
    (0x371, "Command Aborted By Host"),
];

#[test]
fn every_code_has_its_name_and_display() {
    for &(v, name) in TABLE {
        // Linux's 15-bit status layout: the same bits Status decodes.
        let s = Status::from_bits(v);
        assert_eq!(s.sct().0 as u16, v >> 8, "{v:#x}");
        assert_eq!(s.sc() as u16, v & 0xff, "{v:#x}");
        assert_eq!(s.name(), Some(name), "{v:#x}");
        assert_eq!(
            s.to_string(),
            format!("{name} (sct {:#x}, sc {:#04x})", v >> 8, v & 0xff)
        );
    }
}

#[test]
fn named_codes_are_exactly_the_table() {
    // No name outside the table: a stray entry would be a typo'd code.
    let mut named = 0;
    for sct in 0..8u8 {
        for sc in 0..=255u8 {
            let s = Status::from_parts(Sct(sct), sc);
            if let Some(n) = s.name() {
                named += 1;
                let v = (sct as u16) << 8 | sc as u16;
                assert!(TABLE.contains(&(v, n)), "unexpected name {n:?} for {v:#x}");
            }
        }
    }
    assert_eq!(named, TABLE.len());
}

#[test]
fn unknown_codes_say_so() {
    let s = Status::from_parts(Sct::COMMAND_SPECIFIC, 0x7e);
    assert_eq!(s.to_string(), "Unknown Status (sct 0x1, sc 0x7e)");
    let s = Status::from_parts(Sct::GENERIC, 0x17);
    assert_eq!(s.to_string(), "Unknown Status (sct 0x0, sc 0x17)");
    let s = Status::from_parts(Sct(4), 0x00);
    assert_eq!(s.sct().name(), None);
    assert_eq!(format!("{:?}", s.sct()), "Sct(0x04)");
    assert_eq!(s.to_string(), "Unknown Status (sct 0x4, sc 0x00)");
    let s = Status::from_parts(Sct::VENDOR, 0xc0);
    assert_eq!(s.to_string(), "Vendor Specific Status (sct 0x7, sc 0xc0)");
}

#[test]
fn every_sct_has_its_name() {
    let names = [
        (0, Some("Generic Command Status")),
        (1, Some("Command Specific Status")),
        (2, Some("Media and Data Integrity Errors")),
        (3, Some("Path Related Status")),
        (4, None),
        (5, None),
        (6, None),
        (7, Some("Vendor Specific")),
    ];
    for (v, n) in names {
        assert_eq!(Sct(v).name(), n);
    }
}

/// The kernel's masks: CRD 0x1800, More 0x2000, DNR 0x4000.
#[test]
fn dnr_more_crd_bits() {
    let s = Status::from_bits(0x4000 | 0x2000 | 0x1000 | 0x0281);
    assert!(s.dnr());
    assert!(s.more());
    assert_eq!(s.crd(), 2);
    assert_eq!(s.sct(), Sct::MEDIA);
    assert_eq!(s.sc(), 0x81);
    assert!(!s.is_retryable());
    assert_eq!(
        s.to_string(),
        "Unrecovered Read Error (sct 0x2, sc 0x81) [DNR]"
    );

    let s = Status::from_bits(0x0800 | 0x0022);
    assert!(!s.dnr());
    assert!(!s.more());
    assert_eq!(s.crd(), 1);
    assert!(s.is_retryable());
    assert_eq!(
        s.to_string(),
        "Transient Transport Error (sct 0x0, sc 0x22)"
    );

    let s = Status::from_bits(0x1800 | 0x0370);
    assert_eq!(s.crd(), 3);
    assert!(s.is_path_error());
    assert!(s.is_retryable());

    assert!(!Status::SUCCESS.is_retryable());
    assert!(Status::SUCCESS.is_success());
}

#[test]
fn completion_word_carries_the_status_above_the_phase() {
    // CQE dword 3 bits 31:16 = status << 1 | phase.
    for &(v, name) in TABLE {
        for phase in [false, true] {
            let dw3_hi = (v | 0x4000) << 1 | phase as u16;
            let mut bytes = [0u8; 16];
            bytes[14..16].copy_from_slice(&dw3_hi.to_le_bytes());
            let c: Completion = zerocopy::transmute!(bytes);
            assert_eq!(c.phase(), phase);
            assert_eq!(c.status().name(), Some(name));
            assert!(c.status().dnr());
            assert_eq!(c.ok().is_err(), v != 0);
        }
    }
}

#[test]
fn open_enum_debug_and_display() {
    assert_eq!(
        format!("{:?}", Sct::MEDIA),
        "Media and Data Integrity Errors(0x02)"
    );
    assert_eq!(
        Sct::MEDIA.to_string(),
        "Media and Data Integrity Errors(0x02)"
    );
    assert_eq!(format!("{:?}", Sct(5)), "Sct(0x05)");
    assert_eq!(Sct(5).to_string(), "Sct(0x05)");
    assert_eq!(Sct::from(3u8), Sct::PATH);
    assert_eq!(u8::from(Sct::VENDOR), 7);
    assert_eq!(Sct::from_bits(2).into_bits(), 2);
}
