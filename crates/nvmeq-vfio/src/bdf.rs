//! PCI addresses: [`Bdf`] is core's; here, its parse with this crate's
//! error, and its sysfs directory.

pub use nvmeq_core::Bdf;

use crate::error::OpenError;

/// [`Bdf::parse`], failing with [`OpenError::BadAddress`].
pub(crate) fn parse(s: &str) -> Result<Bdf, OpenError> {
    Bdf::parse(s).map_err(|why| OpenError::BadAddress {
        given: s.to_string(),
        why,
    })
}

/// The device's sysfs directory.
pub(crate) fn sysfs_dir(bdf: &Bdf) -> String {
    format!("/sys/bus/pci/devices/{bdf}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use nvmeq_core::bdf::BdfError;

    #[test]
    fn bad_addresses_name_what_was_given() {
        match parse("0000:00:20.0") {
            Err(e @ OpenError::BadAddress { .. }) => {
                let OpenError::BadAddress { given, why } = &e else {
                    unreachable!()
                };
                assert_eq!(
                    (given.as_str(), *why),
                    ("0000:00:20.0", BdfError::DeviceRange)
                );
                assert_eq!(
                    e.to_string(),
                    "bad PCI address \"0000:00:20.0\": the device is at most 1f (expected e.g. 0000:00:04.0)"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            sysfs_dir(&parse("3a:1f.7").unwrap()),
            "/sys/bus/pci/devices/0000:3a:1f.7"
        );
    }
}
