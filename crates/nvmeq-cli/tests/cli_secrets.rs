//! `gen-dhchap-key`, `check-dhchap-key`, `gen-tls-key` and `check-tls-key`
//! on the host; `guest::fabrics::{dhchap,tls}_keys_agree_with_nvme_cli`
//! compare them with nvme-cli.

mod common;

use common::{fails_with, nvmeq, ok, stdout};

#[test]
fn generated_keys_check_and_refusals_are_named() {
    let secret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let k0 = stdout(&ok(&["gen-dhchap-key", "-s", secret, "-n", "nqn.h"]));
    // No transformation: the secret itself, base64 with its CRC.
    assert!(
        k0.starts_with("DHHC-1:00:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh"),
        "{k0}"
    );
    let k1 = stdout(&ok(&[
        "gen-dhchap-key",
        "-s",
        secret,
        "-m",
        "1",
        "-n",
        "nqn.h",
    ]));
    let k1b = stdout(&ok(&[
        "gen-dhchap-key",
        "-s",
        secret,
        "-m",
        "1",
        "-n",
        "nqn.other",
    ]));
    assert!(
        k1.starts_with("DHHC-1:01:") && k1.trim().len() == 59,
        "{k1}"
    );
    assert_ne!(k1, k1b, "the transformation depends on the host NQN");
    for k in [&k0, &k1] {
        let c = stdout(&ok(&["check-dhchap-key", "-k", k.trim()]));
        assert!(c.starts_with("Key is valid (HMAC "), "{c}");
    }
    // Random secrets differ.
    let r1 = stdout(&ok(&["gen-dhchap-key", "-n", "nqn.h", "-m", "3"]));
    let r2 = stdout(&ok(&["gen-dhchap-key", "-n", "nqn.h", "-m", "3"]));
    assert!(r1 != r2 && r1.trim().len() == 103, "{r1} {r2}");

    fails_with(
        &nvmeq(&["gen-dhchap-key", "-m", "4", "-n", "x"]),
        2,
        "Invalid HMAC identifier 4",
    );
    fails_with(
        &nvmeq(&["gen-dhchap-key", "-m", "1", "-l", "48", "-n", "x"]),
        2,
        "Invalid key length 48 for SHA(256)",
    );
    fails_with(
        &nvmeq(&["gen-dhchap-key", "-l", "16", "-n", "x"]),
        2,
        "Invalid key length 16",
    );
    fails_with(
        &nvmeq(&["gen-dhchap-key", "-s", "zz", "-n", "x"]),
        2,
        "Invalid secret 'zz'",
    );
    fails_with(
        &nvmeq(&["gen-dhchap-key", "-s", "0011", "-n", "x"]),
        2,
        "Invalid key length (2 bytes)",
    );
    fails_with(&nvmeq(&["check-dhchap-key"]), 2, "Key not specified");
    fails_with(
        &nvmeq(&["check-dhchap-key", "-k", "DHHC-1:09:AAAA:"]),
        2,
        "Invalid HMAC identifier 9",
    );
}

#[test]
fn tls_keys_encode_check_and_refuse_by_name() {
    let secret = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let k = stdout(&ok(&["gen-tls-key", "-s", secret]));
    assert!(
        k.starts_with("NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh"),
        "{k}"
    );
    let id = stdout(&ok(&[
        "check-tls-key",
        "-d",
        k.trim(),
        "-n",
        "nqn.h",
        "-c",
        "nqn.s",
    ]));
    assert_eq!(id, "NVMe0R01 nqn.h nqn.s\n");
    let id1 = stdout(&ok(&[
        "check-tls-key",
        "-d",
        k.trim(),
        "-n",
        "nqn.h",
        "-c",
        "nqn.s",
        "-I",
        "1",
    ]));
    assert!(
        id1.starts_with("NVMe1R01 nqn.h nqn.s ") && id1.trim().len() == 21 + 44,
        "{id1}"
    );
    fails_with(
        &nvmeq(&["gen-tls-key", "-m", "3"]),
        2,
        "Invalid HMAC identifier 3",
    );
    fails_with(
        &nvmeq(&["gen-tls-key", "-I", "2"]),
        2,
        "Invalid TLS identity version 2",
    );
    fails_with(
        &nvmeq(&["gen-tls-key", "-s", "00"]),
        2,
        "Invalid key length (1 bytes)",
    );
    fails_with(&nvmeq(&["check-tls-key"]), 2, "No key data");
    fails_with(
        &nvmeq(&["check-tls-key", "-d", k.trim()]),
        2,
        "Need to specify a subsystem NQN",
    );
    fails_with(
        &nvmeq(&["gen-tls-key", "-i", "-c", "nqn.s"]),
        1,
        "adding keys to the kernel keyring is not supported by nvmeq yet",
    );
}
