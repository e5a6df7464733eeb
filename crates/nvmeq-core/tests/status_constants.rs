//! Every `Status` constant: its Display text (golden, as the completion
//! decoder printed it before the constants existed) and its code compared
//! with DNR, More and CRD set.

use nvmeq_core::{Sct, Status};

/// (constant, Display).
const CONSTANTS: &[(Status, &str)] = &[
    (Status::SUCCESS, "Successful Completion (sct 0x0, sc 0x00)"),
    (
        Status::INVALID_OPCODE,
        "Invalid Command Opcode (sct 0x0, sc 0x01)",
    ),
    (
        Status::INVALID_FIELD,
        "Invalid Field in Command (sct 0x0, sc 0x02)",
    ),
    (
        Status::COMMAND_ID_CONFLICT,
        "Command ID Conflict (sct 0x0, sc 0x03)",
    ),
    (
        Status::DATA_TRANSFER_ERROR,
        "Data Transfer Error (sct 0x0, sc 0x04)",
    ),
    (
        Status::ABORTED_POWER_LOSS,
        "Commands Aborted due to Power Loss Notification (sct 0x0, sc 0x05)",
    ),
    (Status::INTERNAL_ERROR, "Internal Error (sct 0x0, sc 0x06)"),
    (
        Status::ABORT_REQUESTED,
        "Command Abort Requested (sct 0x0, sc 0x07)",
    ),
    (
        Status::ABORTED_SQ_DELETION,
        "Command Aborted due to SQ Deletion (sct 0x0, sc 0x08)",
    ),
    (
        Status::ABORTED_FAILED_FUSED,
        "Command Aborted due to Failed Fused Command (sct 0x0, sc 0x09)",
    ),
    (
        Status::ABORTED_MISSING_FUSED,
        "Command Aborted due to Missing Fused Command (sct 0x0, sc 0x0a)",
    ),
    (
        Status::INVALID_NS_OR_FORMAT,
        "Invalid Namespace or Format (sct 0x0, sc 0x0b)",
    ),
    (
        Status::COMMAND_SEQUENCE_ERROR,
        "Command Sequence Error (sct 0x0, sc 0x0c)",
    ),
    (
        Status::INVALID_SGL_SEGMENT_DESCRIPTOR,
        "Invalid SGL Segment Descriptor (sct 0x0, sc 0x0d)",
    ),
    (
        Status::INVALID_NUM_SGL_DESCRIPTORS,
        "Invalid Number of SGL Descriptors (sct 0x0, sc 0x0e)",
    ),
    (
        Status::DATA_SGL_LENGTH_INVALID,
        "Data SGL Length Invalid (sct 0x0, sc 0x0f)",
    ),
    (
        Status::METADATA_SGL_LENGTH_INVALID,
        "Metadata SGL Length Invalid (sct 0x0, sc 0x10)",
    ),
    (
        Status::SGL_DESCRIPTOR_TYPE_INVALID,
        "SGL Descriptor Type Invalid (sct 0x0, sc 0x11)",
    ),
    (
        Status::INVALID_CMB_USE,
        "Invalid Use of Controller Memory Buffer (sct 0x0, sc 0x12)",
    ),
    (
        Status::PRP_OFFSET_INVALID,
        "PRP Offset Invalid (sct 0x0, sc 0x13)",
    ),
    (
        Status::ATOMIC_WRITE_UNIT_EXCEEDED,
        "Atomic Write Unit Exceeded (sct 0x0, sc 0x14)",
    ),
    (
        Status::OPERATION_DENIED,
        "Operation Denied (sct 0x0, sc 0x15)",
    ),
    (
        Status::SGL_OFFSET_INVALID,
        "SGL Offset Invalid (sct 0x0, sc 0x16)",
    ),
    (
        Status::HOST_IDENTIFIER_INCONSISTENT_FORMAT,
        "Host Identifier Inconsistent Format (sct 0x0, sc 0x18)",
    ),
    (
        Status::KEEP_ALIVE_TIMER_EXPIRED,
        "Keep Alive Timer Expired (sct 0x0, sc 0x19)",
    ),
    (
        Status::KEEP_ALIVE_TIMEOUT_INVALID,
        "Keep Alive Timeout Invalid (sct 0x0, sc 0x1a)",
    ),
    (
        Status::ABORTED_PREEMPT_ABORT,
        "Command Aborted due to Preempt and Abort (sct 0x0, sc 0x1b)",
    ),
    (
        Status::SANITIZE_FAILED,
        "Sanitize Failed (sct 0x0, sc 0x1c)",
    ),
    (
        Status::SANITIZE_IN_PROGRESS,
        "Sanitize In Progress (sct 0x0, sc 0x1d)",
    ),
    (
        Status::SGL_DATA_BLOCK_GRANULARITY_INVALID,
        "SGL Data Block Granularity Invalid (sct 0x0, sc 0x1e)",
    ),
    (
        Status::CMD_NOT_SUPPORTED_FOR_CMB_QUEUE,
        "Command Not Supported for Queue in CMB (sct 0x0, sc 0x1f)",
    ),
    (
        Status::NS_WRITE_PROTECTED,
        "Namespace is Write Protected (sct 0x0, sc 0x20)",
    ),
    (
        Status::COMMAND_INTERRUPTED,
        "Command Interrupted (sct 0x0, sc 0x21)",
    ),
    (
        Status::TRANSIENT_TRANSPORT_ERROR,
        "Transient Transport Error (sct 0x0, sc 0x22)",
    ),
    (
        Status::PROHIBITED_BY_LOCKDOWN,
        "Command Prohibited by Command and Feature Lockdown (sct 0x0, sc 0x23)",
    ),
    (
        Status::ADMIN_COMMAND_MEDIA_NOT_READY,
        "Admin Command Media Not Ready (sct 0x0, sc 0x24)",
    ),
    (Status::FDP_DISABLED, "FDP Disabled (sct 0x0, sc 0x29)"),
    (
        Status::INVALID_PLACEMENT_HANDLE_LIST,
        "Invalid Placement Handle List (sct 0x0, sc 0x2a)",
    ),
    (
        Status::INVALID_IO_COMMAND_SET_GENERIC,
        "Invalid I/O Command Set (sct 0x0, sc 0x2c)",
    ),
    (
        Status::LBA_OUT_OF_RANGE,
        "LBA Out of Range (sct 0x0, sc 0x80)",
    ),
    (
        Status::CAPACITY_EXCEEDED,
        "Capacity Exceeded (sct 0x0, sc 0x81)",
    ),
    (
        Status::NS_NOT_READY,
        "Namespace Not Ready (sct 0x0, sc 0x82)",
    ),
    (
        Status::RESERVATION_CONFLICT,
        "Reservation Conflict (sct 0x0, sc 0x83)",
    ),
    (
        Status::FORMAT_IN_PROGRESS,
        "Format In Progress (sct 0x0, sc 0x84)",
    ),
    (
        Status::KV_INVALID_VALUE_SIZE,
        "Invalid Value Size (sct 0x0, sc 0x85)",
    ),
    (
        Status::KV_INVALID_KEY_SIZE,
        "Invalid Key Size (sct 0x0, sc 0x86)",
    ),
    (
        Status::KV_KEY_DOES_NOT_EXIST,
        "KV Key Does Not Exist (sct 0x0, sc 0x87)",
    ),
    (
        Status::KV_UNRECOVERED_ERROR,
        "Unrecovered Error (sct 0x0, sc 0x88)",
    ),
    (Status::KV_KEY_EXISTS, "Key Exists (sct 0x0, sc 0x89)"),
    (
        Status::COMPLETION_QUEUE_INVALID,
        "Completion Queue Invalid (sct 0x1, sc 0x00)",
    ),
    (
        Status::INVALID_QUEUE_IDENTIFIER,
        "Invalid Queue Identifier (sct 0x1, sc 0x01)",
    ),
    (
        Status::INVALID_QUEUE_SIZE,
        "Invalid Queue Size (sct 0x1, sc 0x02)",
    ),
    (
        Status::ABORT_COMMAND_LIMIT_EXCEEDED,
        "Abort Command Limit Exceeded (sct 0x1, sc 0x03)",
    ),
    (
        Status::ASYNC_EVENT_LIMIT_EXCEEDED,
        "Asynchronous Event Request Limit Exceeded (sct 0x1, sc 0x05)",
    ),
    (
        Status::INVALID_FIRMWARE_SLOT,
        "Invalid Firmware Slot (sct 0x1, sc 0x06)",
    ),
    (
        Status::INVALID_FIRMWARE_IMAGE,
        "Invalid Firmware Image (sct 0x1, sc 0x07)",
    ),
    (
        Status::INVALID_INTERRUPT_VECTOR,
        "Invalid Interrupt Vector (sct 0x1, sc 0x08)",
    ),
    (
        Status::INVALID_LOG_PAGE,
        "Invalid Log Page (sct 0x1, sc 0x09)",
    ),
    (Status::INVALID_FORMAT, "Invalid Format (sct 0x1, sc 0x0a)"),
    (
        Status::FW_ACTIVATION_REQUIRES_CONVENTIONAL_RESET,
        "Firmware Activation Requires Conventional Reset (sct 0x1, sc 0x0b)",
    ),
    (
        Status::INVALID_QUEUE_DELETION,
        "Invalid Queue Deletion (sct 0x1, sc 0x0c)",
    ),
    (
        Status::FEATURE_NOT_SAVEABLE,
        "Feature Identifier Not Saveable (sct 0x1, sc 0x0d)",
    ),
    (
        Status::FEATURE_NOT_CHANGEABLE,
        "Feature Not Changeable (sct 0x1, sc 0x0e)",
    ),
    (
        Status::FEATURE_NOT_NS_SPECIFIC,
        "Feature Not Namespace Specific (sct 0x1, sc 0x0f)",
    ),
    (
        Status::FW_ACTIVATION_REQUIRES_SUBSYSTEM_RESET,
        "Firmware Activation Requires NVM Subsystem Reset (sct 0x1, sc 0x10)",
    ),
    (
        Status::FW_ACTIVATION_REQUIRES_CONTROLLER_RESET,
        "Firmware Activation Requires Controller Level Reset (sct 0x1, sc 0x11)",
    ),
    (
        Status::FW_ACTIVATION_REQUIRES_MAX_TIME_VIOLATION,
        "Firmware Activation Requires Maximum Time Violation (sct 0x1, sc 0x12)",
    ),
    (
        Status::FW_ACTIVATION_PROHIBITED,
        "Firmware Activation Prohibited (sct 0x1, sc 0x13)",
    ),
    (
        Status::OVERLAPPING_RANGE,
        "Overlapping Range (sct 0x1, sc 0x14)",
    ),
    (
        Status::NS_INSUFFICIENT_CAPACITY,
        "Namespace Insufficient Capacity (sct 0x1, sc 0x15)",
    ),
    (
        Status::NS_ID_UNAVAILABLE,
        "Namespace Identifier Unavailable (sct 0x1, sc 0x16)",
    ),
    (
        Status::NS_ALREADY_ATTACHED,
        "Namespace Already Attached (sct 0x1, sc 0x18)",
    ),
    (
        Status::NS_IS_PRIVATE,
        "Namespace Is Private (sct 0x1, sc 0x19)",
    ),
    (
        Status::NS_NOT_ATTACHED,
        "Namespace Not Attached (sct 0x1, sc 0x1a)",
    ),
    (
        Status::THIN_PROVISIONING_NOT_SUPPORTED,
        "Thin Provisioning Not Supported (sct 0x1, sc 0x1b)",
    ),
    (
        Status::CONTROLLER_LIST_INVALID,
        "Controller List Invalid (sct 0x1, sc 0x1c)",
    ),
    (
        Status::SELF_TEST_IN_PROGRESS,
        "Device Self-test In Progress (sct 0x1, sc 0x1d)",
    ),
    (
        Status::BOOT_PARTITION_WRITE_PROHIBITED,
        "Boot Partition Write Prohibited (sct 0x1, sc 0x1e)",
    ),
    (
        Status::INVALID_CONTROLLER_IDENTIFIER,
        "Invalid Controller Identifier (sct 0x1, sc 0x1f)",
    ),
    (
        Status::INVALID_SECONDARY_CONTROLLER_STATE,
        "Invalid Secondary Controller State (sct 0x1, sc 0x20)",
    ),
    (
        Status::INVALID_NUM_CONTROLLER_RESOURCES,
        "Invalid Number of Controller Resources (sct 0x1, sc 0x21)",
    ),
    (
        Status::INVALID_RESOURCE_IDENTIFIER,
        "Invalid Resource Identifier (sct 0x1, sc 0x22)",
    ),
    (
        Status::SANITIZE_PROHIBITED_WITH_PMR,
        "Sanitize Prohibited While Persistent Memory Region is Enabled (sct 0x1, sc 0x23)",
    ),
    (
        Status::ANA_GROUP_ID_INVALID,
        "ANA Group Identifier Invalid (sct 0x1, sc 0x24)",
    ),
    (
        Status::ANA_ATTACH_FAILED,
        "ANA Attach Failed (sct 0x1, sc 0x25)",
    ),
    (
        Status::INSUFFICIENT_CAPACITY,
        "Insufficient Capacity (sct 0x1, sc 0x26)",
    ),
    (
        Status::NS_ATTACHMENT_LIMIT_EXCEEDED,
        "Namespace Attachment Limit Exceeded (sct 0x1, sc 0x27)",
    ),
    (
        Status::PROHIBITION_NOT_SUPPORTED,
        "Prohibition of Command Execution Not Supported (sct 0x1, sc 0x28)",
    ),
    (
        Status::IO_COMMAND_SET_NOT_SUPPORTED,
        "I/O Command Set Not Supported (sct 0x1, sc 0x29)",
    ),
    (
        Status::IO_COMMAND_SET_NOT_ENABLED,
        "I/O Command Set Not Enabled (sct 0x1, sc 0x2a)",
    ),
    (
        Status::IO_COMMAND_SET_COMBINATION_REJECTED,
        "I/O Command Set Combination Rejected (sct 0x1, sc 0x2b)",
    ),
    (
        Status::INVALID_IO_COMMAND_SET,
        "Invalid I/O Command Set (sct 0x1, sc 0x2c)",
    ),
    (
        Status::IDENTIFIER_UNAVAILABLE,
        "Identifier Unavailable (sct 0x1, sc 0x2d)",
    ),
    (
        Status::STREAM_RESOURCE_ALLOCATION_FAILED,
        "Stream Resource Allocation Failed (sct 0x1, sc 0x7f)",
    ),
    (
        Status::CONFLICTING_ATTRIBUTES,
        "Conflicting Attributes (sct 0x1, sc 0x80)",
    ),
    (
        Status::INVALID_PROTECTION_INFORMATION,
        "Invalid Protection Information (sct 0x1, sc 0x81)",
    ),
    (
        Status::WRITE_TO_READ_ONLY_RANGE,
        "Attempted Write to Read Only Range (sct 0x1, sc 0x82)",
    ),
    (
        Status::COMMAND_SIZE_LIMIT_EXCEEDED,
        "Command Size Limit Exceeded (sct 0x1, sc 0x83)",
    ),
    (
        Status::DISCOVER_RESTART,
        "Discover Restart (sct 0x1, sc 0x90)",
    ),
    (
        Status::AUTHENTICATION_REQUIRED,
        "Authentication Required (sct 0x1, sc 0x91)",
    ),
    (
        Status::ZONE_BOUNDARY_ERROR,
        "Zoned Boundary Error (sct 0x1, sc 0xb8)",
    ),
    (Status::ZONE_FULL, "Zone Is Full (sct 0x1, sc 0xb9)"),
    (
        Status::ZONE_READ_ONLY,
        "Zone Is Read Only (sct 0x1, sc 0xba)",
    ),
    (Status::ZONE_OFFLINE, "Zone Is Offline (sct 0x1, sc 0xbb)"),
    (
        Status::ZONE_INVALID_WRITE,
        "Zone Invalid Write (sct 0x1, sc 0xbc)",
    ),
    (
        Status::TOO_MANY_ACTIVE_ZONES,
        "Too Many Active Zones (sct 0x1, sc 0xbd)",
    ),
    (
        Status::TOO_MANY_OPEN_ZONES,
        "Too Many Open Zones (sct 0x1, sc 0xbe)",
    ),
    (
        Status::INVALID_ZONE_STATE_TRANSITION,
        "Invalid Zone State Transition (sct 0x1, sc 0xbf)",
    ),
    (Status::WRITE_FAULT, "Write Fault (sct 0x2, sc 0x80)"),
    (
        Status::UNRECOVERED_READ_ERROR,
        "Unrecovered Read Error (sct 0x2, sc 0x81)",
    ),
    (
        Status::GUARD_CHECK_ERROR,
        "End-to-end Guard Check Error (sct 0x2, sc 0x82)",
    ),
    (
        Status::APPLICATION_TAG_CHECK_ERROR,
        "End-to-end Application Tag Check Error (sct 0x2, sc 0x83)",
    ),
    (
        Status::REFERENCE_TAG_CHECK_ERROR,
        "End-to-end Reference Tag Check Error (sct 0x2, sc 0x84)",
    ),
    (
        Status::COMPARE_FAILURE,
        "Compare Failure (sct 0x2, sc 0x85)",
    ),
    (Status::ACCESS_DENIED, "Access Denied (sct 0x2, sc 0x86)"),
    (
        Status::DEALLOCATED_OR_UNWRITTEN_BLOCK,
        "Deallocated or Unwritten Logical Block (sct 0x2, sc 0x87)",
    ),
    (
        Status::STORAGE_TAG_CHECK_ERROR,
        "End-to-end Storage Tag Check Error (sct 0x2, sc 0x88)",
    ),
    (
        Status::INTERNAL_PATH_ERROR,
        "Internal Path Error (sct 0x3, sc 0x00)",
    ),
    (
        Status::ANA_PERSISTENT_LOSS,
        "Asymmetric Access Persistent Loss (sct 0x3, sc 0x01)",
    ),
    (
        Status::ANA_INACCESSIBLE,
        "Asymmetric Access Inaccessible (sct 0x3, sc 0x02)",
    ),
    (
        Status::ANA_TRANSITION,
        "Asymmetric Access Transition (sct 0x3, sc 0x03)",
    ),
    (
        Status::CONTROLLER_PATHING_ERROR,
        "Controller Pathing Error (sct 0x3, sc 0x60)",
    ),
    (
        Status::HOST_PATHING_ERROR,
        "Host Pathing Error (sct 0x3, sc 0x70)",
    ),
    (
        Status::ABORTED_BY_HOST,
        "Command Aborted By Host (sct 0x3, sc 0x71)",
    ),
];

#[test]
fn each_constant_displays_as_the_decoded_status() {
    for &(s, text) in CONSTANTS {
        assert_eq!(s.to_string(), text);
        // The same code decoded from raw bits gives the same text.
        let raw = Status::from_bits(s.into_bits());
        assert_eq!(raw.to_string(), text);
        assert!(
            !s.dnr() && !s.more() && s.crd() == 0,
            "{text}: no DNR/More/CRD"
        );
    }
    assert_eq!(
        Status::LBA_OUT_OF_RANGE.to_string(),
        "LBA Out of Range (sct 0x0, sc 0x80)"
    );
    assert_eq!(
        Status::GUARD_CHECK_ERROR.to_string(),
        "End-to-end Guard Check Error (sct 0x2, sc 0x82)"
    );
}

#[test]
fn constants_are_distinct_codes() {
    for (i, &(a, _)) in CONSTANTS.iter().enumerate() {
        for &(b, _) in &CONSTANTS[i + 1..] {
            assert!(!a.matches_code(b), "{a} and {b} share a code");
        }
    }
}

#[test]
fn dnr_more_crd_do_not_change_the_code() {
    for &(s, _) in CONSTANTS {
        let flagged = s.with_dnr(true).with_more(true).with_crd(2);
        assert_ne!(flagged, s, "== compares every bit");
        assert!(flagged.matches_code(s));
        assert!(s.matches_code(flagged));
        assert_eq!(flagged.code(), s.code());
        assert_eq!(flagged.name(), s.name());
    }
    let s = Status::from_parts(Sct::GENERIC, 0x0b).with_dnr(true);
    assert_eq!(s.code(), (Sct::GENERIC, 0x0b));
    assert!(s.matches_code(Status::INVALID_NS_OR_FORMAT));
    assert!(!s.matches_code(Status::INVALID_FIELD));
    // Same SC, other type: a different condition.
    assert!(!Status::LBA_OUT_OF_RANGE.matches_code(Status::WRITE_FAULT));
}
