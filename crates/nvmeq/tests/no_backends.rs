//! Built without the `ram` feature, `open` names the feature it needs.
#![cfg(not(feature = "ram"))]

use nvmeq::{open, BackendKind, LocatorError, OpenError};

#[test]
fn ram_needs_its_feature() {
    let e = open("ram:1G").unwrap_err();
    assert!(
        matches!(
            e,
            OpenError::Locator(LocatorError::NotCompiled {
                backends: [BackendKind::Ram],
                ..
            })
        ),
        "{e:?}"
    );
    assert!(e
        .to_string()
        .contains("rebuild with the `ram` cargo feature"));
}
