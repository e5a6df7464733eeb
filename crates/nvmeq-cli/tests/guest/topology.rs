//! `list-subsys`, `show-topology`, `show-hostnqn` and `gen-hostnqn` against
//! nvme-cli 2.13 on the guest's kernel controllers: the same JSON value and
//! the same text, byte for byte, once with both tools given an identity
//! through `LIBNVME_HOSTNQN` / `LIBNVME_HOSTID`, once with the guest's own
//! `/etc/nvme/hostnqn` and `hostid` (the guest has them; without them each
//! tool would make a random identity, and then everything but the host NQN
//! and ID must agree). `gen-hostnqn`: the system UUID's NQN when the guest
//! has a DMI `product_uuid`, else a random one each run (QEMU's SMBIOS UUID
//! is zero, which the kernel hides).

use std::process::Command;

use super::super::env;
use super::super::nvmeq_bin;
use serde_json::Value;

const NQN: &str = "nqn.2014-08.org.nvmexpress:uuid:5e1f5e1f-0000-4000-8000-00000000c0de";
const ID: &str = "5e1f5e1f-0000-4000-8000-00000000c0de";

/// `bin ARGS` with the host identity set (or not): (exit code, stdout, stderr).
fn run(bin: &str, args: &[&str], ids: bool) -> (Option<i32>, String, String) {
    let mut c = Command::new(bin);
    c.args(args);
    if ids {
        c.env("LIBNVME_HOSTNQN", NQN).env("LIBNVME_HOSTID", ID);
    } else {
        c.env_remove("LIBNVME_HOSTNQN").env_remove("LIBNVME_HOSTID");
    }
    let o = c.output().unwrap_or_else(|e| panic!("{bin}: {e}"));
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The host's NQN and ID in every host object, blanked.
fn without_host_ids(mut v: Value) -> Value {
    if let Some(hosts) = v.as_array_mut() {
        for h in hosts {
            h["HostNQN"] = Value::Null;
            h["HostID"] = Value::Null;
        }
    }
    v
}

/// The `hostnqn=` lines of the text, blanked.
fn without_hostnqn_lines(s: &str) -> String {
    s.lines()
        .map(|l| {
            if l.trim_start().starts_with("hostnqn=") {
                "hostnqn=…"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
#[ignore = "needs the nvmeq guest: see crates/nvmeq-cli/README.md (cargo xtask vm exec)"]
fn topology_and_hostnqn_agree_with_nvme_cli() {
    let blk_a = env("NVMEQ_BLK_A");
    let ours = nvmeq_bin();
    let mut failures = Vec::new();
    let cases: [&[&str]; 7] = [
        &["list-subsys"],
        &["list-subsys", "-v"],
        &["list-subsys", &blk_a],
        &["show-topology"],
        &["show-topology", "-r", "ctrl"],
        &["show-topology", "-v"],
        &["show-hostnqn"],
    ];
    let configured = std::path::Path::new("/etc/nvme/hostnqn").exists();
    for ids in [true, false] {
        let strict = ids || configured;
        for args in cases {
            if !strict && args[0] == "show-hostnqn" {
                continue;
            }
            for json in [false, true] {
                if json && args[0] == "show-hostnqn" {
                    continue;
                }
                let mut a = args.to_vec();
                if json {
                    a.extend(["-o", "json"]);
                }
                let (tc, t, terr) = run("nvme", &a, ids);
                let (oc, o, oerr) = run(&ours, &a, ids);
                if tc != Some(0) || oc != Some(0) {
                    failures.push(format!(
                        "{a:?}: nvme-cli {tc:?} {terr}; nvmeq {oc:?} {oerr}"
                    ));
                    continue;
                }
                let same = match (json, strict) {
                    (true, _) => {
                        let tv: Value = serde_json::from_str(&t).unwrap_or_default();
                        let ov: Value = serde_json::from_str(&o).unwrap_or_default();
                        if strict {
                            tv == ov
                        } else {
                            without_host_ids(tv) == without_host_ids(ov)
                        }
                    }
                    (false, true) => t == o,
                    (false, false) => without_hostnqn_lines(&t) == without_hostnqn_lines(&o),
                };
                if !same {
                    failures.push(format!(
                        "{a:?} (host ids set: {ids}):\n--- nvme-cli\n{t}\n--- nvmeq\n{o}"
                    ));
                }
            }
        }
    }
    // The guest has controllers A–F: the topology is not empty.
    let (_, o, _) = run(&ours, &["list-subsys", "-o", "json"], true);
    let v: Value = serde_json::from_str(&o).unwrap_or_default();
    let n = v[0]["Subsystems"].as_array().map_or(0, Vec::len);
    if n < 5 {
        failures.push(format!("list-subsys shows {n} subsystems: {o}"));
    }
    // gen-hostnqn: the system UUID's NQN in both when the guest has one,
    // else a random UUID NQN, new each run.
    let sys = std::fs::read_to_string("/sys/class/dmi/id/product_uuid")
        .ok()
        .filter(|s| s.len() == 37)
        .map(|s| format!("nqn.2014-08.org.nvmexpress:uuid:{s}"));
    for bin in ["nvme", ours.as_str()] {
        let (c1, a, _) = run(bin, &["gen-hostnqn"], false);
        let (c2, b, _) = run(bin, &["gen-hostnqn"], false);
        let ok = match &sys {
            Some(want) => &a == want && &b == want,
            None => {
                let form = |s: &str| {
                    s.strip_prefix("nqn.2014-08.org.nvmexpress:uuid:")
                        .is_some_and(|u| u.len() == 37 && u.ends_with('\n'))
                };
                form(&a) && form(&b) && a != b
            }
        };
        if c1 != Some(0) || c2 != Some(0) || !ok {
            failures.push(format!(
                "{bin} gen-hostnqn (system UUID {sys:?}): {c1:?} {a:?}, {c2:?} {b:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
