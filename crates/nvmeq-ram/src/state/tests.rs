//! Reading the older format versions.

use super::codec::Enc;
use super::{crc64, Header, HEADER, STATE_VERSION};
use crate::{RamConfig, RamController};
use zerocopy::FromBytes;

/// A version 1 file: the version 2 bytes without the Changed Allocated
/// Namespace List, which sits just before the firmware slots and the last
/// sanitize, and without the RPMB state at the end.
fn as_version_1(c: &RamController) -> Vec<u8> {
    assert!(c.changed_alloc_ns.is_empty());
    let v2 = c.to_state();
    let mut rpmb = Enc(Vec::new());
    c.rpmb.save(&mut rpmb);
    let end = v2.len() - rpmb.0.len();
    let mut tail = Enc(Vec::new());
    c.firmware.save(&mut tail);
    c.sanitized.save(&mut tail);
    let at = end - tail.0.len() - 4;
    assert_eq!(v2[at..at + 4], [0; 4], "an empty list's count");
    let mut v1 = [&v2[..at], &v2[at + 4..end]].concat();
    let (h, payload) = Header::mut_from_prefix(&mut v1).unwrap();
    h.version = 1.into();
    h.len = (payload.len() as u64).into();
    h.crc = crc64(payload).into();
    v1
}

#[test]
fn a_version_1_file_loads_with_an_empty_changed_allocated_list() {
    let cfg = || RamConfig::new(1 << 20, 512);
    let c = RamController::new(cfg()).unwrap();
    let v1 = as_version_1(&c);
    let mut rpmb = Enc(Vec::new());
    c.rpmb.save(&mut rpmb);
    assert_eq!(v1.len(), c.to_state().len() - 4 - rpmb.0.len());
    let back = RamController::from_state(cfg(), &v1).unwrap();
    assert!(back.changed_alloc_ns.is_empty());
    // It is written back as the current version, with the list.
    let again = back.to_state();
    assert_eq!(
        u32::from_le_bytes(again[8..12].try_into().unwrap()),
        STATE_VERSION
    );
    assert_eq!(again.len(), v1.len() + 4 + rpmb.0.len());
    // A version 1 file read as version 2 would be short: the version decides.
    let mut lying = v1.clone();
    lying[8..12].copy_from_slice(&STATE_VERSION.to_le_bytes());
    let (_, payload) = lying.split_at(HEADER);
    let crc = crc64(payload);
    lying[24..32].copy_from_slice(&crc.to_le_bytes());
    assert!(RamController::from_state(cfg(), &lying).is_err());
    // Version 0 was never written.
    let mut zero = v1;
    zero[8..12].copy_from_slice(&0u32.to_le_bytes());
    let e = RamController::from_state(cfg(), &zero).unwrap_err();
    assert!(e.to_string().contains("format version 0"), "{e}");
}
