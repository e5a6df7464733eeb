//! `list-subsys`, `show-topology`, `gen-hostnqn` and `show-hostnqn` on a
//! fake sysfs tree: a multipath PCIe subsystem with one controller, a
//! shared subsystem reached by two controllers (one path non-optimized), a
//! subsystem without multipath (a private namespace), and an NVMe/TCP
//! controller of another host; nvme-cli 2.13's JSON and text, whole.

mod common;

use common::{fails_with, json, nvmeq_env, stdout, TempDir};
use serde_json::json;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

fn put(root: &Path, rel: &str, contents: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, contents).unwrap();
}

const HOSTNQN: &str = "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555";
const TCP_HOST: &str = "nqn.2014-08.org.nvmexpress:uuid:99999999-8888-7777-6666-555555555555";

/// (controller, subsystem, transport, address, paths `(name, ana_state)`,
/// private namespaces `(name, nsid)`)
type Ctrl<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    &'a [(&'a str, Option<&'a str>)],
    &'a [(&'a str, u32)],
);

fn tree(root: &Path) {
    put(root, "etc/nvme/hostnqn", &format!("{HOSTNQN}\n"));
    let ctrls: [Ctrl; 5] = [
        (
            "nvme0",
            "nvme-subsys0",
            "pcie",
            "0000:00:04.0",
            &[("nvme0c0n1", None)],
            &[],
        ),
        (
            "nvme1",
            "nvme-subsys1",
            "pcie",
            "0000:00:05.0",
            &[
                ("nvme1c1n1", Some("optimized")),
                ("nvme1c1n2", Some("optimized")),
            ],
            &[],
        ),
        (
            "nvme2",
            "nvme-subsys1",
            "pcie",
            "0000:00:06.0",
            &[("nvme1c2n1", Some("non-optimized"))],
            &[],
        ),
        (
            "nvme3",
            "nvme-subsys3",
            "tcp",
            "traddr=127.0.0.1,trsvcid=4420,src_addr=127.0.0.1",
            &[("nvme3c3n1", None)],
            &[],
        ),
        (
            "nvme4",
            "nvme-subsys4",
            "pcie",
            "0000:00:08.0",
            &[],
            &[("nvme4n1", 7)],
        ),
    ];
    for (c, s, t, a, paths, private) in ctrls {
        let d = format!("sys/class/nvme/{c}");
        put(root, &format!("{d}/transport"), &format!("{t}\n"));
        put(root, &format!("{d}/address"), &format!("{a}\n"));
        put(root, &format!("{d}/state"), "live\n");
        put(root, &format!("{d}/subsysnqn"), &format!("nqn.test:{s}\n"));
        if t == "tcp" {
            put(root, &format!("{d}/hostnqn"), &format!("{TCP_HOST}\n"));
            put(
                root,
                &format!("{d}/hostid"),
                "99999999-8888-7777-6666-555555555555\n",
            );
        }
        for (p, ana) in paths {
            put(root, &format!("{d}/{p}/nsid"), "1\n");
            if let Some(ana) = ana {
                put(root, &format!("{d}/{p}/ana_state"), &format!("{ana}\n"));
            }
        }
        for (n, nsid) in private {
            put(root, &format!("{d}/{n}/nsid"), &format!("{nsid}\n"));
        }
        let sd = format!("sys/class/nvme-subsystem/{s}");
        put(root, &format!("{sd}/subsysnqn"), &format!("nqn.test:{s}\n"));
        put(
            root,
            &format!("{sd}/model"),
            "QEMU NVMe Ctrl                          \n",
        );
        put(root, &format!("{sd}/firmware_rev"), "10.0.2  \n");
        put(root, &format!("{sd}/iopolicy"), "numa\n");
        let link = root.join(&sd).join(c);
        if !link.exists() {
            symlink(root.join(&d), link).unwrap();
        }
    }
    // The multipath heads: nsid 1 of subsystems 0 and 3; nsids 1 and 2 of subsystem 1.
    for (s, head, nsid) in [
        ("nvme-subsys0", "nvme0n1", 1),
        ("nvme-subsys1", "nvme1n1", 1),
        ("nvme-subsys1", "nvme1n2", 2),
        ("nvme-subsys3", "nvme3n1", 1),
    ] {
        put(
            root,
            &format!("sys/class/nvme-subsystem/{s}/{head}/nsid"),
            &format!("{nsid}\n"),
        );
    }
}

fn run(root: &Path, args: &[&str]) -> std::process::Output {
    nvmeq_env(args, &[("NVMEQ_SYSFS_ROOT", root)])
}

fn ctrl(name: &str, addr: &str) -> serde_json::Value {
    let t = if name == "nvme3" { "tcp" } else { "pcie" };
    json!({"Name": name, "Transport": t, "Address": addr, "State": "live"})
}

#[test]
fn list_subsys_json_and_text() {
    let d = TempDir::new("topology");
    tree(d.path());
    let v = json(&run(d.path(), &["list-subsys", "-o", "json"]));
    common::schema::assert_valid("show-topology", &v);
    let a = "0000:00:04.0";
    let tcp = "traddr=127.0.0.1,trsvcid=4420,src_addr=127.0.0.1";
    assert_eq!(
        v,
        json!([
            {"HostNQN": HOSTNQN, "HostID": "11111111-2222-3333-4444-555555555555", "Subsystems": [
                {"Name": "nvme-subsys0", "NQN": "nqn.test:nvme-subsys0", "Paths": [ctrl("nvme0", a)]},
                {"Name": "nvme-subsys1", "NQN": "nqn.test:nvme-subsys1", "Paths": [
                    ctrl("nvme1", "0000:00:05.0"), ctrl("nvme2", "0000:00:06.0")]},
                {"Name": "nvme-subsys4", "NQN": "nqn.test:nvme-subsys4", "Paths": [
                    ctrl("nvme4", "0000:00:08.0")]},
            ]},
            {"HostNQN": TCP_HOST, "HostID": "99999999-8888-7777-6666-555555555555", "Subsystems": [
                {"Name": "nvme-subsys3", "NQN": "nqn.test:nvme-subsys3", "Paths": [ctrl("nvme3", tcp)]},
            ]},
        ])
    );
    let text = stdout(&run(d.path(), &["list-subsys"]));
    let want = format!(
        "nvme-subsys0 - NQN=nqn.test:nvme-subsys0\n               hostnqn={HOSTNQN}\n\\\n +- nvme0 pcie 0000:00:04.0 live\n\n\
         nvme-subsys1 - NQN=nqn.test:nvme-subsys1\n               hostnqn={HOSTNQN}\n\\\n +- nvme1 pcie 0000:00:05.0 live\n +- nvme2 pcie 0000:00:06.0 live\n\n\
         nvme-subsys4 - NQN=nqn.test:nvme-subsys4\n               hostnqn={HOSTNQN}\n\\\n +- nvme4 pcie 0000:00:08.0 live\n\n\
         nvme-subsys3 - NQN=nqn.test:nvme-subsys3\n               hostnqn={TCP_HOST}\n\\\n +- nvme3 tcp {tcp} live\n"
    );
    assert_eq!(text, want);
    // Verbose adds the subsystem's attributes.
    let v = json(&run(d.path(), &["list-subsys", "-v", "-o", "json"]));
    common::schema::assert_valid("show-topology", &v);
    let s = &v[0]["Subsystems"][0];
    assert_eq!(
        (&s["Model"], &s["Firmware"], &s["IOPolicy"], &s["Type"]),
        (
            &json!("QEMU NVMe Ctrl"),
            &json!("10.0.2"),
            &json!("numa"),
            &json!("nvm")
        )
    );
    let text = stdout(&run(d.path(), &["list-subsys", "-v"]));
    assert!(text.starts_with(&format!(
        "nvme-subsys0 - NQN=nqn.test:nvme-subsys0\n               hostnqn={HOSTNQN}\n               model=QEMU NVMe Ctrl\n               firmware=10.0.2\n               iopolicy=numa\n               type=nvm\n\\\n"
    )), "{text}");
}

#[test]
fn list_subsys_of_one_namespace_shows_its_paths() {
    let d = TempDir::new("topology");
    tree(d.path());
    let v = json(&run(
        d.path(),
        &["list-subsys", "/dev/nvme1n1", "-o", "json"],
    ));
    common::schema::assert_valid("show-topology", &v);
    let mut p1 = ctrl("nvme1", "0000:00:05.0");
    p1["ANAState"] = json!("optimized");
    let mut p2 = ctrl("nvme2", "0000:00:06.0");
    p2["ANAState"] = json!("non-optimized");
    assert_eq!(
        v[0]["Subsystems"],
        json!([{"Name": "nvme-subsys1", "NQN": "nqn.test:nvme-subsys1", "Paths": [p1, p2]}])
    );
    // The TCP host's controller is filtered out; its host stays, empty.
    assert_eq!(v[1]["Subsystems"], json!([]));
    let text = stdout(&run(d.path(), &["list-subsys", "nvme1n1"]));
    assert_eq!(
        text,
        format!("nvme-subsys1 - NQN=nqn.test:nvme-subsys1\n               hostnqn={HOSTNQN}\n\\\n +- nvme1 pcie 0000:00:05.0 live optimized\n +- nvme2 pcie 0000:00:06.0 live non-optimized\n")
    );
    fails_with(
        &run(d.path(), &["list-subsys", "/dev/nvme1"]),
        2,
        "nvme1 is not a namespace device name (nvmeXnY)",
    );
    fails_with(
        &run(d.path(), &["list-subsys", "-o", "binary"]),
        2,
        "no binary form",
    );
}

#[test]
fn show_topology_json_and_both_rankings() {
    let d = TempDir::new("topology");
    tree(d.path());
    let v = json(&run(d.path(), &["show-topology", "-o", "json"]));
    common::schema::assert_valid("show-topology", &v);
    let path = |c: &str, a: &str, ana: &str| {
        let mut p = ctrl(c, a);
        p["ANAState"] = json!(ana);
        p
    };
    let subs = &v[0]["Subsystems"];
    assert_eq!(
        subs[0]["Namespaces"],
        json!([{"NSID": 1, "Paths": [path("nvme0", "0000:00:04.0", "optimized")]}])
    );
    assert_eq!(
        subs[1]["Namespaces"],
        json!([
            {"NSID": 1, "Paths": [path("nvme1", "0000:00:05.0", "optimized"), path("nvme2", "0000:00:06.0", "non-optimized")]},
            {"NSID": 2, "Paths": [path("nvme1", "0000:00:05.0", "optimized")]},
        ])
    );
    // No multipath: each private namespace with its one controller.
    assert_eq!(
        subs[2]["Namespaces"],
        json!([{"NSID": 7, "Controller": [ctrl("nvme4", "0000:00:08.0")]}])
    );
    let h = format!("               hostnqn={HOSTNQN}\n\\\n");
    let text = stdout(&run(d.path(), &["show-topology"]));
    let want_ns = format!(
        "nvme-subsys0 - NQN=nqn.test:nvme-subsys0\n{h} +- ns 1\n \\\n  +- nvme0 pcie 0000:00:04.0 live optimized\n\n\
         nvme-subsys1 - NQN=nqn.test:nvme-subsys1\n{h} +- ns 1\n \\\n  +- nvme1 pcie 0000:00:05.0 live optimized\n  +- nvme2 pcie 0000:00:06.0 live non-optimized\n +- ns 2\n \\\n  +- nvme1 pcie 0000:00:05.0 live optimized\n\n\
         nvme-subsys4 - NQN=nqn.test:nvme-subsys4\n{h} +- ns 7\n \\\n  +- nvme4 pcie 0000:00:08.0 live\n\n"
    );
    assert!(text.starts_with(&want_ns), "{text}");
    let text = stdout(&run(d.path(), &["show-topology", "-r", "ctrl"]));
    let want_ctrl = format!(
        "nvme-subsys0 - NQN=nqn.test:nvme-subsys0\n{h} +- nvme0 pcie 0000:00:04.0\n \\\n  +- ns 1 live optimized\n\n\
         nvme-subsys1 - NQN=nqn.test:nvme-subsys1\n{h} +- nvme1 pcie 0000:00:05.0\n \\\n  +- ns 1 live optimized\n  +- ns 2 live optimized\n +- nvme2 pcie 0000:00:06.0\n \\\n  +- ns 1 live non-optimized\n\n\
         nvme-subsys4 - NQN=nqn.test:nvme-subsys4\n{h} +- nvme4 pcie 0000:00:08.0\n \\\n  +- ns 7 live\n\n"
    );
    assert!(text.starts_with(&want_ctrl), "{text}");
    fails_with(
        &run(d.path(), &["show-topology", "-r", "bogus"]),
        2,
        "bogus",
    );
}

#[test]
fn hostnqn_shown_from_the_file_and_generated_from_the_system_uuid() {
    let d = TempDir::new("hostnqn");
    tree(d.path());
    assert_eq!(
        stdout(&run(d.path(), &["show-hostnqn"])),
        format!("{HOSTNQN}\n")
    );
    put(
        d.path(),
        "sys/class/dmi/id/product_uuid",
        "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n",
    );
    let want = "nqn.2014-08.org.nvmexpress:uuid:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n";
    assert_eq!(stdout(&run(d.path(), &["gen-hostnqn"])), want);
    fs::remove_file(d.path().join("etc/nvme/hostnqn")).unwrap();
    assert_eq!(stdout(&run(d.path(), &["show-hostnqn"])), want);
    // With no system UUID, a random one each time.
    fs::remove_file(d.path().join("sys/class/dmi/id/product_uuid")).unwrap();
    let a = stdout(&run(d.path(), &["gen-hostnqn"]));
    let b = stdout(&run(d.path(), &["gen-hostnqn"]));
    assert_ne!(a, b);
    assert!(
        a.starts_with("nqn.2014-08.org.nvmexpress:uuid:") && a.len() == 69,
        "{a:?}"
    );
}
