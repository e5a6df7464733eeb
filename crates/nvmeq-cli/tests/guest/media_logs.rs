//! `phy-rx-eom-log`, `mgmt-addr-list-log`, `rotational-media-info-log`,
//! `changed-alloc-ns-list-log` and `dispersed-ns-participating-nss-log`
//! against nvme-cli 2.13 on controller A, through `logs.rs`'s comparison:
//! where QEMU answers, the same JSON field by field; where it refuses, both
//! tools fail and nvmeq names the controller's status, never an unknown one.

use super::logs::agree;

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn media_and_address_logs_agree_with_nvme_cli() {
    let mut failures = Vec::new();
    for backend in ["ioctl", "uring"] {
        for args in [
            &["phy-rx-eom-log"][..],
            &["phy-rx-eom-log", "-s", "1", "-c", "0"],
            &["mgmt-addr-list-log"],
            &["rotational-media-info-log"],
            &["rotational-media-info-log", "-e", "1"],
            &["changed-alloc-ns-list-log"],
            &["dispersed-ns-participating-nss-log"],
            &["dispersed-ns-participating-nss-log", "-n", "1"],
        ] {
            agree(backend, args, None, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
