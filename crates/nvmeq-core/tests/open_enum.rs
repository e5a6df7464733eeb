//! The open enums: named constants, `name()`, and Debug/Display for known and
//! unknown values, over each repr they use.

use nvmeq_core::cmd::{Cns, FeatureId};
use nvmeq_core::identify::{Csi, Nidt};
use nvmeq_core::log::{LogId, SelfTestCode, SelfTestOutcome};
use nvmeq_core::sgl::{SglSubtype, SglType};
use nvmeq_core::zoned::{ZoneState, ZoneType};
use nvmeq_core::AdminOpcode;

#[test]
fn known_values_print_their_name() {
    assert_eq!(
        format!("{:?}", LogId::SMART),
        "SMART / Health Information(0x02)"
    );
    assert_eq!(
        format!("{:?}", Cns::CONTROLLER),
        "Identify Controller(0x01)"
    );
    assert_eq!(format!("{}", Csi::ZNS), "Zoned Namespace Command Set(0x02)");
    assert_eq!(format!("{:?}", Nidt::UUID), "UUID(0x03)");
    assert_eq!(format!("{:?}", SglType::LAST_SEGMENT), "Last Segment(0x03)");
    assert_eq!(format!("{:?}", SglSubtype::OFFSET), "Offset(0x01)");
    assert_eq!(
        format!("{:?}", ZoneType::SEQ_WRITE_REQUIRED),
        "Sequential Write Required(0x02)"
    );
    assert_eq!(format!("{:?}", ZoneState::CLOSED), "Closed(0x04)");
    assert_eq!(format!("{:?}", SelfTestCode::EXTENDED), "Extended(0x02)");
    assert_eq!(
        format!("{:?}", SelfTestOutcome::ABORTED_SANITIZE),
        "Aborted by Sanitize(0x09)"
    );
    assert_eq!(format!("{:?}", AdminOpcode::IDENTIFY), "Identify(0x06)");
    assert_eq!(FeatureId::NUM_QUEUES.name(), Some("Number of Queues"));
}

#[test]
fn unknown_values_print_the_type_and_value() {
    assert_eq!(LogId(0x50).name(), None);
    assert_eq!(format!("{:?}", LogId(0x50)), "LogId(0x50)");
    assert_eq!(LogId(0x50).to_string(), "LogId(0x50)");
    assert_eq!(format!("{:?}", Cns(0x7e)), "Cns(0x7e)");
    assert_eq!(format!("{:?}", Csi(9)), "Csi(0x09)");
    assert_eq!(format!("{:?}", Nidt(0x80)), "Nidt(0x80)");
    assert_eq!(format!("{:?}", SglType(9)), "SglType(0x09)");
    assert_eq!(format!("{:?}", ZoneState(0)), "ZoneState(0x00)");
}

#[test]
fn values_match_the_specification() {
    assert_eq!(Cns::NAMESPACE.0, 0x00);
    assert_eq!(Cns::NS_DESCRIPTORS.0, 0x03);
    assert_eq!(Cns::IO_COMMAND_SETS.0, 0x1c);
    assert_eq!(Csi::ZNS.0, 2);
    assert_eq!(SglType::SEGMENT.0, 2);
    assert_eq!(ZoneState::FULL.0, 0xe);
    assert_eq!(SelfTestCode::ABORT.0, 0xf);
    // Constants are patterns.
    let kind = |n: Nidt| match n {
        Nidt::EUI64 => 8,
        Nidt::NGUID | Nidt::UUID => 16,
        _ => 0,
    };
    assert_eq!(kind(Nidt::UUID), 16);
    assert_eq!(kind(Nidt(7)), 0);
}
