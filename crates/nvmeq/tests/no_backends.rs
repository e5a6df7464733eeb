//! Built without the `ram` feature, `open` names the feature it needs.
#![cfg(not(feature = "ram"))]

use nvmeq::{open, OpenError};

#[test]
fn ram_needs_its_feature() {
    let e = open("ram:1G").unwrap_err();
    assert!(
        matches!(e, OpenError::NotCompiled { feature: "ram", .. }),
        "{e:?}"
    );
    assert!(e
        .to_string()
        .contains("rebuild with the `ram` cargo feature"));
}
