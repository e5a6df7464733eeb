//! `subsystem-reset` on the host: it needs `--force`, and the in-memory
//! controller has no register file to read CAP.NSSRS from, so it is refused
//! by name in every output format. The resets themselves run in the guest.

mod common;

use common::{fails_with, nvmeq, stdout};

#[test]
fn subsystem_reset_is_checked_and_refused_on_ram() {
    fails_with(
        &nvmeq(&["subsystem-reset", "ram:1M"]),
        2,
        "subsystem-reset resets every controller of the NVM subsystem: pass --force to confirm",
    );
    for fmt in ["normal", "json", "binary"] {
        let o = nvmeq(&["subsystem-reset", "ram:1M", "--force", "-o", fmt]);
        fails_with(
            &o,
            1,
            "subsystem-reset: the in-memory controller ram:1M has no register file",
        );
        assert!(stdout(&o).is_empty());
    }
}
