//! `get-reg`, `set-reg` and `show-regs` where no register file can be
//! reached on the host: the in-memory controller has none, and the option
//! checks (a known offset, a value for `-O`, no DMA-address register,
//! `--force`) happen before anything is opened, in every output format.
//! The register paths themselves (VFIO's BAR0, a kernel controller's
//! `resource0`, a fabrics controller's properties) run in the guest.

mod common;

use common::{fails_with, nvmeq, stdout};

const DEV: &str = "ram:1M";

#[test]
fn ram_has_no_register_file() {
    for fmt in ["normal", "json", "binary"] {
        for args in [
            &["get-reg", DEV, "--cc"][..],
            &["get-reg", DEV, "-O", "0", "-H"],
            &["set-reg", DEV, "--cc", "0x460001", "--force"],
            &["show-regs", DEV],
        ] {
            let mut a = args.to_vec();
            a.extend(["-o", fmt]);
            let o = nvmeq(&a);
            fails_with(
                &o,
                1,
                "the in-memory controller ram:1M has no register file",
            );
            assert!(stdout(&o).is_empty(), "{a:?}: {}", stdout(&o));
        }
    }
}

#[test]
fn options_are_checked_before_opening() {
    for (args, msg) in [
        (
            &["get-reg", DEV][..],
            "get-reg: name a register: -O/--offset or a register flag",
        ),
        (
            &["get-reg", DEV, "-O", "0x15"],
            "get-reg: offset 0x15 starts no controller register",
        ),
        (
            &["set-reg", DEV, "-O", "0x14", "--force"],
            "set-reg: --offset needs --value",
        ),
        (
            &["set-reg", DEV, "-V", "1", "--force"],
            "set-reg: --value needs --offset",
        ),
        (
            &[
                "set-reg", DEV, "-O", "0x14", "-V", "1", "--cc", "1", "--force",
            ],
            "set-reg: cc is given both as --offset and as its own option",
        ),
        (
            &["set-reg", DEV, "--acq", "0x1000", "--force"],
            "set-reg: 0x30 (Admin Completion Queue Base Address) holds a host memory address",
        ),
        (
            &["set-reg", DEV, "-O", "0x28", "-V", "0", "--force"],
            "set-reg: 0x28 (Admin Submission Queue Base Address) holds a host memory address",
        ),
        (
            &["set-reg", DEV, "--cc", "0"],
            "set-reg: a register write can reset, shut down or stop the controller: \
             pass --force to confirm",
        ),
    ] {
        let o = nvmeq(args);
        fails_with(&o, 2, msg);
        assert!(stdout(&o).is_empty());
    }
}
