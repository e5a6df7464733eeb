//! Opening things that are not NVMe devices gives errors that say what to do.
//! (Opening real devices is tested in the nvmeq guest: `cargo xtask vm test`.)

use std::path::Path;

use nvmeq_ioctl::{IoctlBackend, OpenError};

fn err(ctrl: Option<&str>, ns: Option<&str>) -> OpenError {
    IoctlBackend::open(ctrl.map(Path::new), ns.map(Path::new)).expect_err("must not open")
}

#[test]
fn nothing_given() {
    let e = err(None, None);
    assert!(matches!(e, OpenError::NothingGiven), "{e:?}");
}

#[test]
fn missing_device() {
    let e = err(None, Some("/dev/ng97n1"));
    assert!(matches!(e, OpenError::Missing { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("no such device: /dev/ng97n1"), "{msg}");
    assert!(msg.contains("nvme driver loaded"), "{msg}");
    let e = err(Some("/dev/nvme97"), None);
    assert!(matches!(e, OpenError::Missing { .. }), "{e:?}");
}

#[test]
fn regular_file_and_directory() {
    let dir = std::env::temp_dir().join(format!("nvmeq-ioctl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("disk.img");
    std::fs::write(&file, [0u8; 4096]).unwrap();
    let e = err(None, Some(file.to_str().unwrap()));
    assert!(
        matches!(
            e,
            OpenError::NotADevice {
                kind: "regular file",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("not an NVMe device"), "{e}");
    let e = err(Some(dir.to_str().unwrap()), None);
    assert!(
        matches!(
            e,
            OpenError::NotADevice {
                kind: "directory",
                ..
            }
        ),
        "{e:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn char_device_of_another_driver() {
    // /dev/null is a char device (mem driver): refused before any NVMe ioctl.
    let e = err(None, Some("/dev/null"));
    match &e {
        OpenError::NotNvme {
            kind,
            driver,
            wanted,
            ..
        } => {
            assert_eq!(*kind, "char device");
            assert_eq!(driver, "mem");
            assert_eq!(*wanted, "namespace");
        }
        other => panic!("expected NotNvme, got {other:?}"),
    }
    assert!(
        e.to_string()
            .contains("/dev/null is a char device of another driver (`mem`)"),
        "{e}"
    );
    let e = err(Some("/dev/null"), None);
    assert!(
        matches!(
            e,
            OpenError::NotNvme {
                wanted: "controller",
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn block_device_of_another_driver() {
    // Any non-NVMe block device the host has: loop devices exist on Linux
    // hosts with the loop driver; /dev/ram0, /dev/sda, /dev/vda otherwise.
    let candidates = [
        "/dev/loop0",
        "/dev/ram0",
        "/dev/vda",
        "/dev/sda",
        "/dev/xvda",
    ];
    let Some(dev) = candidates.iter().find(|p| {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(p).is_ok_and(|m| m.file_type().is_block_device())
    }) else {
        panic!("this host has none of {candidates:?}: cannot test the block-device error");
    };
    let e = err(None, Some(dev));
    assert!(
        matches!(
            e,
            OpenError::NotNvme {
                kind: "block device",
                ..
            }
        ),
        "{e:?}"
    );
    // As a controller, a block device gets told the controller is a char device…
    // unless it is not NVMe at all, which is checked first.
    let e = err(Some(dev), None);
    assert!(
        matches!(
            e,
            OpenError::NotNvme {
                wanted: "controller",
                ..
            }
        ),
        "{e:?}"
    );
}
