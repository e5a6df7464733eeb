//! `connect`, `connect-all`, `disconnect`, `disconnect-all` and `discover`
//! against nvme-cli's, on the guest's kernel nvmet-tcp target: each tool
//! sees and undoes what the other made, and both list the same Discovery
//! log records.

use std::path::Path;

use super::super::{env, nvmeq_bin, outcome, run_json};

/// The kernel's fabrics controllers of subsystem `nqn`, by name.
pub(super) fn controllers_of(nqn: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/sys/class/nvme")
        .map(|rd| {
            rd.filter_map(|e| {
                let e = e.ok()?;
                let d = e.path();
                let attr = |a: &str| std::fs::read_to_string(d.join(a)).ok();
                let transport = attr("transport")?;
                (transport.trim() != "pcie" && attr("subsysnqn")?.trim() == nqn)
                    .then(|| e.file_name().to_string_lossy().into_owned())
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn attr(ctrl: &str, a: &str) -> String {
    std::fs::read_to_string(Path::new("/sys/class/nvme").join(ctrl).join(a))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Leaves no controller of the target behind, whatever the test did.
pub(super) struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = outcome("nvme", &["disconnect", "-n", &self.0]);
    }
}

/// The guest's nvmet-tcp target (NQN, address, port) with no controller of
/// it left from before, and the guard that disconnects whatever the test
/// connects to it.
pub(super) fn tcp_target() -> (String, String, String, Cleanup) {
    let (nqn, addr, port) = (
        env("NVMEQ_TCP_NQN"),
        env("NVMEQ_TCP_ADDR"),
        env("NVMEQ_TCP_PORT"),
    );
    let cleanup = Cleanup(nqn.clone());
    let _ = outcome("nvme", &["disconnect", "-n", &nqn]);
    (nqn, addr, port, cleanup)
}

/// The controller a `connect` printed (`connecting to device: nvmeN`).
fn connected_name(stdout: &[u8]) -> Option<String> {
    String::from_utf8_lossy(stdout)
        .trim()
        .strip_prefix("connecting to device: ")
        .map(str::to_string)
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn connect_and_disconnect_agree_with_nvme_cli() {
    let (nqn, addr, port, _cleanup) = tcp_target();
    let bin = nvmeq_bin();
    assert!(
        controllers_of(&nqn).is_empty(),
        "a controller was left before the test"
    );
    let mut failures = Vec::new();
    let target = ["-t", "tcp", "-a", &addr, "-s", &port, "-n", &nqn];
    let with = |extra: &[&'static str]| -> Vec<String> {
        let mut v: Vec<String> = vec!["connect".into()];
        v.extend(target.iter().map(|s| s.to_string()));
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |v: Vec<String>| {
        let a: Vec<&str> = v.iter().map(String::as_str).collect();
        outcome(&bin, &a)
    };

    // nvmeq connects: the controller is the target's, with this host's NQN.
    let (code, out, err) = run(with(&[]));
    let Some(ours) = connected_name(&out).filter(|_| code == Some(0)) else {
        panic!(
            "nvmeq connect: {code:?} {} {err}",
            String::from_utf8_lossy(&out)
        );
    };
    if controllers_of(&nqn) != vec![ours.clone()] {
        failures.push(format!(
            "after nvmeq connect: {:?}, printed {ours}",
            controllers_of(&nqn)
        ));
    }
    let address = attr(&ours, "address");
    if attr(&ours, "transport") != "tcp"
        || !address.contains(&format!("traddr={addr}"))
        || !address.contains(&format!("trsvcid={port}"))
    {
        failures.push(format!(
            "{ours}: transport {}, address {address}",
            attr(&ours, "transport")
        ));
    }
    let hostnqn = std::fs::read_to_string("/etc/nvme/hostnqn").unwrap_or_default();
    if attr(&ours, "hostnqn") != hostnqn.trim() {
        failures.push(format!(
            "{ours}: hostnqn {} (/etc/nvme/hostnqn {hostnqn})",
            attr(&ours, "hostnqn")
        ));
    }
    // nvme-cli reads the controller nvmeq made.
    let id = run_json("nvme", &["id-ctrl", &format!("/dev/{ours}"), "-o", "json"]);
    if id["subnqn"].as_str().map(str::trim) != Some(nqn.as_str()) {
        failures.push(format!("nvme id-ctrl /dev/{ours}: subnqn {}", id["subnqn"]));
    }

    // A second connect to the same target is refused by both tools, naming it.
    let (code, _, err) = run(with(&[]));
    if code != Some(1) || !err.contains(&format!("already connected: {ours}")) {
        failures.push(format!("second nvmeq connect: {code:?} {err}"));
    }
    let theirs: Vec<&str> = ["connect"].into_iter().chain(target).collect();
    let (tcode, _, terr) = outcome("nvme", &theirs);
    if tcode == Some(0) || !terr.contains("already connected") {
        failures.push(format!("second nvme connect: {tcode:?} {terr}"));
    }
    // --duplicate-connect makes another; JSON names it as nvme-cli does.
    let (code, out, err) = run(with(&["-D", "-o", "json"]));
    let dup = serde_json::from_slice::<serde_json::Value>(&out)
        .ok()
        .and_then(|v| v["device"].as_str().map(str::to_string));
    match dup {
        Some(d) if code == Some(0) && d != ours && controllers_of(&nqn).contains(&d) => {}
        _ => failures.push(format!(
            "nvmeq connect -D -o json: {code:?} {} {err}",
            String::from_utf8_lossy(&out)
        )),
    }
    // nvmeq disconnects both, with nvme-cli's message.
    let (code, out, err) = outcome(&bin, &["disconnect", "-n", &nqn]);
    let want = format!("NQN:{nqn} disconnected 2 controller(s)\n");
    if code != Some(0) || String::from_utf8_lossy(&out) != want || !controllers_of(&nqn).is_empty()
    {
        failures.push(format!(
            "nvmeq disconnect -n: {code:?} {:?} {err}; left {:?}",
            String::from_utf8_lossy(&out),
            controllers_of(&nqn)
        ));
    }

    // nvme-cli connects, nvmeq disconnects by device; and the other way round.
    let (tcode, _, terr) = outcome("nvme", &theirs);
    let made = controllers_of(&nqn);
    if tcode != Some(0) || made.len() != 1 {
        failures.push(format!("nvme connect: {tcode:?} {terr}; {made:?}"));
    } else {
        let (code, _, err) = outcome(&bin, &["disconnect", "-d", &format!("/dev/{}", made[0])]);
        if code != Some(0) || !controllers_of(&nqn).is_empty() {
            failures.push(format!("nvmeq disconnect -d {}: {code:?} {err}", made[0]));
        }
    }
    let (code, out, err) = run(with(&[]));
    match connected_name(&out) {
        Some(c) if code == Some(0) => {
            let (tcode, _, terr) = outcome("nvme", &["disconnect", "-d", &c]);
            if tcode != Some(0) || !controllers_of(&nqn).is_empty() {
                failures.push(format!("nvme disconnect -d {c}: {tcode:?} {terr}"));
            }
        }
        _ => failures.push(format!("nvmeq connect (again): {code:?} {err}")),
    }
    // Refusals that name the problem, before the kernel is asked.
    let (code, _, err) = outcome(&bin, &["disconnect", "-d", "nvme99"]);
    if code != Some(1) || !err.contains("Did not find device nvme99") {
        failures.push(format!("disconnect -d nvme99: {code:?} {err}"));
    }
    let (code, _, err) = outcome(
        &bin,
        &[
            "connect",
            "-t",
            "tcp",
            "-a",
            "127.0.0.1,queue_size=1",
            "-n",
            &nqn,
        ],
    );
    if code != Some(2) || !err.contains("traddr=") {
        failures.push(format!("connect with a comma in -a: {code:?} {err}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn connect_all_and_discover_agree_with_nvme_cli() {
    let (nqn, addr, port, _cleanup) = tcp_target();
    let bin = nvmeq_bin();
    let mut failures = Vec::new();

    // The same Discovery log records through both tools.
    let theirs = run_json(
        "nvme",
        &[
            "discover", "-t", "tcp", "-a", &addr, "-s", &port, "-o", "json",
        ],
    );
    let ours = run_json(
        &bin,
        &["discover", &format!("tcp://{addr}:{port}"), "-o", "json"],
    );
    if theirs["records"] != ours["records"] {
        failures.push(format!(
            "discover records: nvme-cli {:#}\nnvmeq {:#}",
            theirs["records"], ours["records"]
        ));
    }
    let listed: Vec<String> = theirs["records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["subtype"] == "nvme subsystem")
        .filter_map(|r| r["subnqn"].as_str().map(str::to_string))
        .collect();
    assert!(
        listed.contains(&nqn),
        "the target's log does not list {nqn}: {theirs:#}"
    );

    // connect-all makes one controller per NVM subsystem listed, as nvme-cli's does.
    let all = ["-t", "tcp", "-a", addr.as_str(), "-s", port.as_str()];
    let ours_all: Vec<&str> = ["connect-all"].into_iter().chain(all).collect();
    let (code, _, err) = outcome(&bin, &ours_all);
    let after_ours: Vec<usize> = listed.iter().map(|n| controllers_of(n).len()).collect();
    if code != Some(0) || after_ours.iter().any(|&n| n != 1) {
        failures.push(format!(
            "nvmeq connect-all: {code:?} {err}; controllers per subsystem {after_ours:?}"
        ));
    }
    // Again: nothing new, and each says it is connected already.
    let (code, _, err) = outcome(&bin, &ours_all);
    if code != Some(0)
        || !err.contains("already connected to hostnqn=")
        || listed.iter().any(|n| controllers_of(n).len() != 1)
    {
        failures.push(format!("second nvmeq connect-all: {code:?} {err}"));
    }
    // disconnect-all -r tcp leaves no TCP controller.
    let (code, _, err) = outcome(&bin, &["disconnect-all", "-r", "tcp"]);
    if code != Some(0) || listed.iter().any(|n| !controllers_of(n).is_empty()) {
        failures.push(format!("nvmeq disconnect-all -r tcp: {code:?} {err}"));
    }
    let theirs_all: Vec<&str> = ["connect-all"].into_iter().chain(all).collect();
    let (tcode, _, terr) = outcome("nvme", &theirs_all);
    let after_theirs: Vec<usize> = listed.iter().map(|n| controllers_of(n).len()).collect();
    if tcode != Some(0) || after_theirs != after_ours {
        failures.push(format!(
            "nvme connect-all: {tcode:?} {terr}; controllers per subsystem {after_theirs:?}, nvmeq's {after_ours:?}"
        ));
    }
    let (code, _, err) = outcome(&bin, &["disconnect-all"]);
    if code != Some(0) || listed.iter().any(|n| !controllers_of(n).is_empty()) {
        failures.push(format!(
            "nvmeq disconnect-all (after nvme connect-all): {code:?} {err}"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `gen-dhchap-key` with a given secret prints the same key as nvme-cli's for
/// every transformation and length, with the host NQN given and from
/// /etc/nvme/hostnqn, and `check-dhchap-key` says the same of it; a damaged
/// key fails in both.
#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn dhchap_keys_agree_with_nvme_cli() {
    let bin = nvmeq_bin();
    let mut failures = Vec::new();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for (m, len) in [(0u32, 32usize), (0, 48), (0, 64), (1, 32), (2, 48), (3, 64)] {
        let secret: String = (0..len)
            .map(|i| format!("{:02x}", (i * 7 + m as usize * 13) as u8))
            .collect();
        let (ms, ls) = (m.to_string(), len.to_string());
        for nqn in [
            Some("nqn.2014-08.org.nvmexpress:uuid:0f0e0d0c-0b0a-0908-0706-050403020100"),
            None,
        ] {
            let mut args = vec!["gen-dhchap-key", "-s", &secret, "-m", &ms, "-l", &ls];
            if let Some(n) = nqn {
                args.extend(["-n", n]);
            }
            let (tc, theirs, terr) = outcome("nvme", &args);
            let (oc, ours, oerr) = outcome(&bin, &args);
            if tc != Some(0) {
                failures.push(format!("nvme {args:?}: {tc:?} {terr}"));
                continue;
            }
            if oc != Some(0) || ours != theirs {
                failures.push(format!(
                    "{args:?}: nvme-cli {:?}, nvmeq {oc:?} {:?} {oerr}",
                    text(&theirs),
                    text(&ours)
                ));
                continue;
            }
            let key = text(&ours).trim().to_string();
            let (tc, tcheck, _) = outcome("nvme", &["check-dhchap-key", "-k", &key]);
            let (oc, ocheck, oerr) = outcome(&bin, &["check-dhchap-key", "-k", &key]);
            if tc != Some(0) || oc != Some(0) || tcheck != ocheck {
                failures.push(format!(
                    "check-dhchap-key {key}: nvme-cli {tc:?} {:?}, nvmeq {oc:?} {:?} {oerr}",
                    text(&tcheck),
                    text(&ocheck)
                ));
            }
            // One base64 character changed: the CRC no longer matches.
            let mut bad = key.clone().into_bytes();
            bad[12] = if bad[12] == b'A' { b'B' } else { b'A' };
            let bad = String::from_utf8(bad).unwrap();
            let (tc, _, _) = outcome("nvme", &["check-dhchap-key", "-k", &bad]);
            let (oc, _, oerr) = outcome(&bin, &["check-dhchap-key", "-k", &bad]);
            if tc == Some(0) || oc != Some(2) || !oerr.contains("CRC mismatch") {
                failures.push(format!(
                    "damaged {bad}: nvme-cli {tc:?}, nvmeq {oc:?} {oerr}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `gen-tls-key` with a given secret prints nvme-cli's interchange-format key
/// for both hashes, and `check-tls-key` derives the same TLS PSK identity as
/// nvme-cli's in both identity versions (version 1 carries the digest of the
/// retained key); a damaged key fails in both.
#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn tls_keys_agree_with_nvme_cli() {
    let bin = nvmeq_bin();
    let mut failures = Vec::new();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let host = "nqn.2014-08.org.nvmexpress:uuid:0f0e0d0c-0b0a-0908-0706-050403020100";
    let sub = "nqn.2024-01.io.nvmeq:tcp";
    for (m, len) in [(1u32, 32usize), (2, 48)] {
        let secret: String = (0..len)
            .map(|i| format!("{:02x}", (i * 5 + 3) as u8))
            .collect();
        let ms = m.to_string();
        let args = ["gen-tls-key", "-s", secret.as_str(), "-m", ms.as_str()];
        let (tc, theirs, terr) = outcome("nvme", &args);
        let (oc, ours, oerr) = outcome(&bin, &args);
        if tc != Some(0) || oc != Some(0) || theirs != ours {
            failures.push(format!(
                "{args:?}: nvme-cli {tc:?} {:?} {terr}, nvmeq {oc:?} {:?} {oerr}",
                text(&theirs),
                text(&ours)
            ));
            continue;
        }
        let key = text(&ours).trim().to_string();
        for v in ["0", "1"] {
            let args = [
                "check-tls-key",
                "-d",
                key.as_str(),
                "-n",
                host,
                "-c",
                sub,
                "-I",
                v,
            ];
            let (tc, theirs, terr) = outcome("nvme", &args);
            let (oc, ours, oerr) = outcome(&bin, &args);
            if tc != Some(0) || oc != Some(0) || theirs != ours {
                failures.push(format!(
                    "{args:?}: nvme-cli {tc:?} {:?} {terr}, nvmeq {oc:?} {:?} {oerr}",
                    text(&theirs),
                    text(&ours)
                ));
            }
        }
        let mut bad = key.clone().into_bytes();
        bad[20] = if bad[20] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        let args = ["check-tls-key", "-d", bad.as_str(), "-n", host, "-c", sub];
        let (tc, _, _) = outcome("nvme", &args);
        let (oc, _, oerr) = outcome(&bin, &args);
        if tc == Some(0) || oc != Some(2) || !oerr.contains("CRC mismatch") {
            failures.push(format!(
                "damaged {bad}: nvme-cli {tc:?}, nvmeq {oc:?} {oerr}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
