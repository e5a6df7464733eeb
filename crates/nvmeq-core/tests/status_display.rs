use nvmeq_core::{Completion, Sct, Status};

#[test]
fn lba_out_of_range_reads_by_name() {
    let s = Status::from_parts(Sct::GENERIC, 0x80);
    assert_eq!(s.to_string(), "LBA Out of Range (sct 0x0, sc 0x80)");
}

#[test]
fn completion_status_drops_phase_bit() {
    // Phase 1, SCT 2 (Media and Data Integrity), SC 0x85 (Compare Failure), DNR.
    let raw: u16 = 1 | (0x85 << 1) | (2 << 9) | (1 << 15);
    let mut bytes = [0u8; 16];
    bytes[14..16].copy_from_slice(&raw.to_le_bytes());
    let c: Completion = zerocopy::transmute!(bytes);
    assert!(c.phase());
    let s = c.status();
    assert_eq!(s.sct(), Sct::MEDIA);
    assert_eq!(s.sc(), 0x85);
    assert!(s.dnr());
    assert_eq!(s.to_string(), "Compare Failure (sct 0x2, sc 0x85) [DNR]");
}

#[test]
fn command_specific_0x85_is_not_compare_failure() {
    // Compare Failure moved to the media type; SCT 1 SC 85h is the NVM
    // command set's Incompatible Namespace or Format (Copy across
    // namespaces).
    let s = Status::from_parts(Sct::COMMAND_SPECIFIC, 0x85);
    assert_eq!(s.name(), Some("Incompatible Namespace or Format"));
    assert_eq!(
        s.to_string(),
        "Incompatible Namespace or Format (sct 0x1, sc 0x85)"
    );
}
