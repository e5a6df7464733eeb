//! The 16 MiB CLI round trip of `large_round_trips` (ioctl, uring) on the
//! other two transports: VFIO (controllers A and E handed to vfio-pci) and
//! NVMe/TCP (the in-guest nvmet-tcp target). Each case reads the limit one
//! command may move (MDTS, and the transport's own bound), checks from
//! `--dry-run` that the CLI cuts the transfer at it, then writes, reads back
//! and compares the data, has the controller compare it (and fail on a byte
//! changed in the last command), and verifies the range where the
//! controller implements Verify.

use super::super::{
    bind_to_nvme, bind_to_vfio, env, namespace_bytes, nvmeq_bin, outcome, run_json,
};

/// What every case moves: 16 MiB from block 0.
const BYTES: u64 = 16 << 20;

/// ONCS bits (Identify Controller, Figure 312 of the base spec 2.0):
/// Compare and Verify.
const ONCS_COMPARE: u64 = 1 << 0;
const ONCS_VERIFY: u64 = 1 << 7;

/// Gives a controller back to the nvme driver when dropped, so a failing
/// case does not leave it on vfio-pci for the steps after it.
struct OnVfio(String);

impl OnVfio {
    fn bind(pci: &str) -> OnVfio {
        bind_to_vfio(pci);
        OnVfio(pci.to_string())
    }
}

impl Drop for OnVfio {
    fn drop(&mut self) {
        bind_to_nvme(&self.0);
    }
}

/// MDTS in bytes from `id-ctrl -o json` and the smallest page (CAP.MPSMIN);
/// `None` when the controller sets no limit (MDTS 0).
fn mdts_bytes(id_ctrl: &serde_json::Value, mps_min: u64) -> Option<u64> {
    let mdts = id_ctrl["mdts"].as_u64().expect("id-ctrl has mdts");
    (mdts != 0).then(|| mps_min << mdts)
}

/// The data lengths of the commands `--dry-run` prints, in order.
fn dry_run_lengths(stderr: &str) -> Vec<u64> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("data_len     : "))
        .map(|h| u64::from_str_radix(h.trim(), 16).expect("data_len is hex"))
        .collect()
}

/// One 16 MiB round trip on `dev`'s namespace `nsid`, whose commands may
/// move at most `limit` bytes each; problems go to `failures`.
fn round_trip(
    label: &str,
    dev: &str,
    nsid: u32,
    limit: u64,
    oncs: u64,
    failures: &mut Vec<String>,
) {
    let bin = nvmeq_bin();
    let dir = std::env::temp_dir().join(format!("nvmeq-large-io-{label}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = |n: &str| dir.join(n).to_string_lossy().into_owned();
    let (nsze, lba) = namespace_bytes(dev, nsid);
    if nsze * lba / 2 < BYTES {
        failures.push(format!(
            "{label}: namespace {nsid} ({} bytes) is too small for a {BYTES}-byte round trip \
             in half of it",
            nsze * lba
        ));
        return;
    }
    let blocks = BYTES / lba;
    let data: Vec<u8> = (0..BYTES)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 ^ (i / lba) as u8)
        .collect();
    std::fs::write(path("in"), &data).unwrap();
    let (z, n) = (BYTES.to_string(), nsid.to_string());
    let args = |verb: &str, more: &[&str], file: &str| -> Vec<String> {
        let mut v: Vec<String> = [verb, dev, "-n", &n, "-s", "0", "-z", &z]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(more.iter().map(|s| s.to_string()));
        v.extend(["-d".into(), file.into()]);
        v
    };
    let run = |v: &[String]| outcome(&bin, &v.iter().map(String::as_str).collect::<Vec<_>>());

    // The commands the CLI cuts the transfer into: whole blocks, each at
    // most `limit`, as many as the limit makes necessary, end to end.
    let (code, _, err) = run(&args("read", &["--dry-run"], &path("out")));
    let lens = dry_run_lengths(&err);
    let per_cmd = limit / lba * lba;
    let want = BYTES.div_ceil(per_cmd);
    if code != Some(0)
        || lens.len() as u64 != want
        || lens.len() < 2
        || lens.iter().any(|&l| l > limit || l % lba != 0)
        || lens.iter().sum::<u64>() != BYTES
    {
        failures.push(format!(
            "{label}: {BYTES} bytes with a {limit}-byte limit should be {want} commands of at \
             most {per_cmd} bytes; the dry run ({code:?}) printed {} commands, {:?}…: {}",
            lens.len(),
            &lens[..lens.len().min(4)],
            err.lines().last().unwrap_or("")
        ));
    }

    let mut ok = |what: &str, v: Vec<String>| -> bool {
        let (code, _, err) = run(&v);
        if code != Some(0) {
            failures.push(format!("{label} {what}: {v:?} → {code:?} {err}"));
        }
        code == Some(0)
    };
    if !ok("write", args("write", &[], &path("in"))) {
        return;
    }
    if !ok("read", args("read", &[], &path("out"))) {
        return;
    }
    let back = std::fs::read(path("out")).unwrap();
    if back != data {
        let at = back.iter().zip(&data).position(|(a, b)| a != b);
        failures.push(format!(
            "{label}: {BYTES} bytes read back differ from those written (first at {at:?}, {} \
             bytes back)",
            back.len()
        ));
        return;
    }
    if oncs & ONCS_COMPARE != 0 {
        ok("compare", args("compare", &[], &path("in")));
        // One byte changed in the last block: the last command finds it and
        // the error names it.
        let mut bad = data.clone();
        bad[BYTES as usize - 1] ^= 0xff;
        std::fs::write(path("bad"), &bad).unwrap();
        let (code, _, err) = run(&args("compare", &[], &path("bad")));
        let last = format!("command {want} of {want}");
        if code == Some(0) || !err.contains("Compare Failure") || !err.contains(&last) {
            failures.push(format!(
                "{label}: compare of data changed in its last block should fail in {last}: \
                 {code:?} {err}"
            ));
        }
    } else {
        eprintln!("{label}: SKIP compare: the controller has no Compare (ONCS bit 0 clear)");
    }
    if oncs & ONCS_VERIFY != 0 {
        let c = (blocks - 1).to_string();
        let v = ["verify", dev, "-n", &n, "-s", "0", "-c", &c];
        let (code, _, err) = outcome(&bin, &v);
        if code != Some(0) {
            failures.push(format!("{label} verify: {v:?} → {code:?} {err}"));
        }
    } else {
        eprintln!("{label}: SKIP verify: the controller has no Verify (ONCS bit 7 clear)");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A controller through VFIO: its limit is MDTS (in CAP.MPSMIN pages, read
/// with `show-regs`) and the VFIO backend's own bound on one transfer.
fn vfio_case(label: &str, pci: &str, failures: &mut Vec<String>) {
    let _bound = OnVfio::bind(pci);
    let dev = format!("vfio:{pci}");
    let regs = run_json(&nvmeq_bin(), &["show-regs", &dev, "-o", "json"]);
    let cap = regs["cap"].as_u64().expect("show-regs has cap");
    let mps_min = 4096u64 << ((cap >> 48) & 0xf);
    let id = run_json(&nvmeq_bin(), &["id-ctrl", &dev, "-o", "json"]);
    let backend = nvmeq::vfio::Options::default().max_xfer as u64;
    let limit = mdts_bytes(&id, mps_min).map_or(backend, |m| m.min(backend));
    let oncs = id["oncs"].as_u64().expect("id-ctrl has oncs");
    round_trip(label, &dev, 1, limit, oncs, failures);
}

/// `write`, `read`, `compare` and `verify` of 16 MiB through VFIO on A (MDTS
/// 7) and on E (MDTS 1: 8 KiB a command, 2048 commands; its nsid 1 is 32 MiB).
#[test]
#[ignore = "needs the nvmeq guest with --iommu: see crates/nvmeq-cli/README.md"]
fn large_round_trips_on_vfio() {
    let mut failures = Vec::new();
    for (label, pci) in [
        ("vfio A", env("NVMEQ_PCI_A")),
        ("vfio E", env("NVMEQ_PCI_E")),
    ] {
        vfio_case(label, &pci, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The same on the loopback NVMe/TCP target, on both its namespaces (a file
/// with 4096-byte blocks, a memory-backed null_blk). nvmet reports no MDTS,
/// so the limit is the initiator's own (`nvmeq::tcp::FALLBACK_MAX_XFER`);
/// CAP is not readable here, so a nonzero MDTS is taken in 4 KiB pages,
/// the only page size nvmet offers.
#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn large_round_trips_on_tcp() {
    let dev = format!(
        "tcp://{}:{}/{}",
        env("NVMEQ_TCP_ADDR"),
        env("NVMEQ_TCP_PORT"),
        env("NVMEQ_TCP_NQN")
    );
    let id = run_json(&nvmeq_bin(), &["id-ctrl", &dev, "-o", "json"]);
    let transport = nvmeq::tcp::FALLBACK_MAX_XFER as u64;
    let limit = mdts_bytes(&id, 4096).map_or(transport, |m| m.min(transport));
    let oncs = id["oncs"].as_u64().expect("id-ctrl has oncs");
    let mut failures = Vec::new();
    for nsid in [1, 2] {
        round_trip(
            &format!("tcp nsid {nsid}"),
            &dev,
            nsid,
            limit,
            oncs,
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
