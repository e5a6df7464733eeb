//! `io-passthru` with separate metadata on C1 (PI type 1, 512 + 8): the
//! metadata it reads is what `read -M` reads, and a passthrough write of
//! host-made PI passes the controller's check.

use super::super::{env, nvmeq_bin, outcome};

fn metadata_round_trip(backend: &str) {
    let bin = nvmeq_bin();
    let dev = format!("{backend}:{}", env("NVMEQ_NS_C1"));
    let dir = std::env::temp_dir().join(format!("nvmeq-passthru-{backend}"));
    std::fs::create_dir_all(&dir).unwrap();
    let at = |n: &str| dir.join(n).to_string_lossy().into_owned();
    std::fs::write(at("d"), [0xa5u8; 512]).unwrap();
    let mut failures = Vec::new();
    let mut go = |args: &[&str]| {
        let (code, _, err) = outcome(&bin, args);
        if code != Some(0) {
            failures.push(format!("{args:?}: {code:?} {err}"));
        }
    };
    // LBA 64, PI generated on the host, checked by the controller.
    go(&[
        "write",
        &dev,
        "-n",
        "1",
        "-s",
        "64",
        "-c",
        "0",
        "-d",
        &at("d"),
        "--pi-generate",
        "-p",
        "0x7",
    ]);
    go(&[
        "read",
        &dev,
        "-n",
        "1",
        "-s",
        "64",
        "-c",
        "0",
        "-d",
        &at("r"),
        "-M",
        &at("m1"),
    ]);
    // The same block through passthrough, metadata sized from NLB.
    go(&[
        "io-passthru",
        &dev,
        "-O",
        "2",
        "-n",
        "1",
        "-l",
        "512",
        "--cdw10",
        "64",
        "-r",
        "-M",
        &at("m2"),
        "-b",
    ]);
    // LBA 72's PI made the same way, then written through passthrough with
    // it, checked by the controller (PRCHK 0x7, ILBRT 72 in CDW14).
    go(&[
        "write",
        &dev,
        "-n",
        "1",
        "-s",
        "72",
        "-c",
        "0",
        "-d",
        &at("d"),
        "--pi-generate",
        "-p",
        "0x7",
    ]);
    go(&[
        "read",
        &dev,
        "-n",
        "1",
        "-s",
        "72",
        "-c",
        "0",
        "-d",
        &at("r"),
        "-M",
        &at("m3"),
    ]);
    go(&[
        "io-passthru",
        &dev,
        "-O",
        "1",
        "-n",
        "1",
        "-l",
        "512",
        "--cdw10",
        "72",
        "--cdw12",
        "0x1c000000",
        "--cdw14",
        "72",
        "-i",
        &at("d"),
        "-M",
        &at("m3"),
    ]);
    let m1 = std::fs::read(at("m1")).unwrap_or_default();
    let m2 = std::fs::read(at("m2")).unwrap_or_default();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(m1.len(), 8, "read -M");
    assert_eq!(m2, m1, "io-passthru's metadata against read -M's");
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn io_passthru_metadata_on_ioctl() {
    metadata_round_trip("ioctl");
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn io_passthru_metadata_on_uring() {
    metadata_round_trip("uring");
}
