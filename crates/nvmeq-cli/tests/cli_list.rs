//! `nvmeq list` against this host (which may have no NVMe at all) and against
//! a fake sysfs tree shaped like the QEMU guest's.

mod common;

use common::{nvmeq, nvmeq_env, TempDir};
use std::fs;
use std::path::Path;

fn put(root: &Path, rel: &str, contents: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, contents).unwrap();
}

fn fake_sysfs(root: &Path) {
    for (ctrl, sn, addr) in [
        ("nvme0", "nvmeqA", "0000:00:04.0"),
        ("nvme1", "nvmeqB", "0000:00:05.0"),
    ] {
        let d = format!("sys/class/nvme/{ctrl}");
        put(
            root,
            &format!("{d}/serial"),
            &format!("{sn}               \n"),
        );
        put(
            root,
            &format!("{d}/model"),
            "QEMU NVMe Ctrl                          \n",
        );
        put(root, &format!("{d}/firmware_rev"), "8.0.0   \n");
        put(root, &format!("{d}/transport"), "pcie\n");
        put(root, &format!("{d}/address"), &format!("{addr}\n"));
    }
    // nvme0n1: 1 GiB of 512-byte blocks; nvme1n1: 256 MiB of 4 KiB blocks; nvme1n2 zoned.
    for (ctrl, ns, nsid, sectors, lba) in [
        ("nvme0", "0n1", 1, 2097152u64, 512u32),
        ("nvme1", "1n1", 1, 524288, 4096),
        ("nvme1", "1n2", 2, 131072, 4096),
    ] {
        let b = format!("sys/class/nvme/{ctrl}/nvme{ns}");
        put(root, &format!("{b}/nsid"), &format!("{nsid}\n"));
        put(root, &format!("{b}/size"), &format!("{sectors}\n"));
        put(
            root,
            &format!("{b}/queue/logical_block_size"),
            &format!("{lba}\n"),
        );
        let g = root.join(format!("sys/class/nvme-generic/ng{ns}"));
        fs::create_dir_all(&g).unwrap();
        std::os::unix::fs::symlink(
            root.join(format!("sys/class/nvme/{ctrl}")),
            g.join("device"),
        )
        .unwrap();
    }
    // A multipath head (ng2n1) under subsystem nvme-subsys2, whose controller is nvme2.
    put(root, "sys/class/nvme/nvme2/serial", "nvmeqC\n");
    put(root, "sys/class/nvme/nvme2/transport", "tcp\n");
    put(
        root,
        "sys/class/nvme/nvme2/address",
        "traddr=127.0.0.1,trsvcid=4420\n",
    );
    put(root, "sys/block/nvme2n1/nsid", "1\n");
    put(root, "sys/block/nvme2n1/size", "2048\n");
    put(root, "sys/block/nvme2n1/queue/logical_block_size", "512\n");
    fs::create_dir_all(root.join("sys/class/nvme-subsystem/nvme-subsys2")).unwrap();
    std::os::unix::fs::symlink(
        root.join("sys/class/nvme/nvme2"),
        root.join("sys/class/nvme-subsystem/nvme-subsys2/nvme2"),
    )
    .unwrap();
    let g = root.join("sys/class/nvme-generic/ng2n1");
    fs::create_dir_all(&g).unwrap();
    std::os::unix::fs::symlink(
        root.join("sys/class/nvme-subsystem/nvme-subsys2"),
        g.join("device"),
    )
    .unwrap();
    // A third controller handed to vfio-pci, and a non-NVMe function there.
    put(
        root,
        "sys/bus/pci/drivers/vfio-pci/0000:00:06.0/class",
        "0x010802\n",
    );
    put(
        root,
        "sys/bus/pci/drivers/vfio-pci/0000:00:07.0/class",
        "0x020000\n",
    );
    put(root, "proc/sys/kernel/io_uring_disabled", "0\n");
}

#[test]
fn list_on_this_host_is_a_table_and_json_array() {
    let out = nvmeq(&["list", "-o", "json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_array());
    let out = nvmeq(&["list"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Device"), "{text}");
}

#[test]
fn list_on_a_host_without_nvme_is_empty() {
    let t = TempDir::new("list-empty");
    let out = nvmeq_env(&["list", "-o", "json"], &[("NVMEQ_SYSFS_ROOT", t.path())]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
    let out = nvmeq_env(&["list"], &[("NVMEQ_SYSFS_ROOT", t.path())]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.lines().count(), 2, "header and rule only: {text}");
}

#[test]
fn list_shows_controllers_namespaces_and_vfio_functions() {
    let t = TempDir::new("list-fake");
    fake_sysfs(t.path());
    let all = std::path::Path::new("ioctl,uring,vfio");
    let env = [
        ("NVMEQ_SYSFS_ROOT", t.path()),
        ("NVMEQ_LIST_ASSUME_BACKENDS", all),
    ];
    let out = nvmeq_env(&["list", "-o", "json"], &env);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    common::schema::assert_valid("list", &v);
    let rows = v.as_array().unwrap();
    let devices: Vec<&str> = rows.iter().map(|r| r["device"].as_str().unwrap()).collect();
    assert_eq!(
        devices,
        [
            "/dev/nvme0",
            "/dev/ng0n1",
            "/dev/nvme1",
            "/dev/ng1n1",
            "/dev/ng1n2",
            "/dev/nvme2",
            "/dev/ng2n1",
            "vfio:0000:00:06.0"
        ]
    );
    let ns = &rows[1];
    assert_eq!(ns["kind"], "namespace");
    assert_eq!(ns["serial"], "nvmeqA");
    assert_eq!(ns["model"], "QEMU NVMe Ctrl");
    assert_eq!(ns["firmware"], "8.0.0");
    assert_eq!(ns["nsid"], 1);
    assert_eq!(ns["size"], 1u64 << 30);
    assert_eq!(ns["lba_size"], 512);
    assert_eq!(ns["block"], "/dev/nvme0n1");
    assert_eq!(ns["transport"], "pcie");
    assert_eq!(ns["backends"], serde_json::json!(["uring", "ioctl"]));
    assert_eq!(rows[4]["nsid"], 2);
    assert_eq!(rows[4]["lba_size"], 4096);
    assert_eq!(rows[3]["size"], 256u64 << 20);
    assert_eq!(rows[0]["kind"], "controller");
    assert_eq!(rows[0]["address"], "0000:00:04.0");
    assert_eq!(rows[6]["controller"], "nvme2");
    assert_eq!(rows[6]["size"], 2048 * 512);
    assert_eq!(rows[6]["transport"], "tcp");
    assert_eq!(rows[7]["backends"], serde_json::json!(["vfio"]));

    // io_uring switched off: only ioctl is offered.
    put(t.path(), "proc/sys/kernel/io_uring_disabled", "2\n");
    let out = nvmeq_env(&["list"], &env);
    let text = String::from_utf8(out.stdout).unwrap();
    let ng = text.lines().find(|l| l.starts_with("/dev/ng0n1")).unwrap();
    assert!(
        ng.contains("1.07 GB") && ng.contains("512") && ng.ends_with("ioctl"),
        "{ng}"
    );
    assert!(!text.contains("uring"), "{text}");
}
