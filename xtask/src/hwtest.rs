//! `cargo xtask hwtest`: the conformance suite against a real NVMe device on this host.
//!
//! Builds `nvmeq-hwtest` (release) and runs `nvmeq-hwtest run …` with the
//! given arguments; its table is the output and its exit status ours.
//! Read-only unless `--allow-destructive --nsid N` names the namespace.

use std::path::{Path, PathBuf};

use crate::util::{self, cargo};

const USAGE: &str = "\
usage: cargo xtask hwtest --ns /dev/ngXnY [--ctrl /dev/nvmeX] [--allow-destructive --nsid N]
                          [--zns /dev/ngXnZ] [--nvme-cli] [--backend ioctl|…|all] [--test-timeout SECS]

Runs the nvmeq conformance suite on this host's NVMe device: identify, logs, features,
reads and bad inputs. Writing tests (they destroy the namespace's data) run only with
--allow-destructive and --nsid naming the namespace. Without an NVMe device, use the
QEMU guest instead: cargo xtask vm test (or, to see the suite itself run here,
cargo xtask hwtest --backend ram --ns ram:512 --allow-destructive --nsid 1)";

struct Args {
    ctrl: Option<PathBuf>,
    ns: PathBuf,
    destructive: bool,
    nsid: Option<u32>,
    zns: Option<PathBuf>,
    nvme_cli: bool,
    backend: String,
    timeout: Option<u64>,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let mut it = args.iter();
    let (mut ctrl, mut ns, mut zns, mut nsid, mut timeout) = (None, None, None, None, None);
    let (mut destructive, mut nvme_cli) = (false, false);
    let mut backend = "all".to_string();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value\n\n{USAGE}"))
        };
        match a.as_str() {
            "--ctrl" => ctrl = Some(PathBuf::from(value("--ctrl")?)),
            "--ns" => ns = Some(PathBuf::from(value("--ns")?)),
            "--zns" => zns = Some(PathBuf::from(value("--zns")?)),
            "--nsid" => {
                let v = value("--nsid")?;
                nsid = Some(v.parse().map_err(|_| format!("--nsid {v}: not a number"))?)
            }
            "--backend" => backend = value("--backend")?,
            "--test-timeout" => {
                let v = value("--test-timeout")?;
                timeout = Some(
                    v.parse()
                        .map_err(|_| format!("--test-timeout {v}: not a number"))?,
                )
            }
            "--allow-destructive" => destructive = true,
            "--nvme-cli" => nvme_cli = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unexpected argument `{other}`\n\n{USAGE}")),
        }
    }
    let ns = ns.ok_or_else(|| format!("--ns is required\n\n{USAGE}"))?;
    if destructive != nsid.is_some() {
        return Err("--allow-destructive and --nsid N go together: name the namespace whose data may be overwritten".into());
    }
    if zns.is_some() && !destructive {
        return Err("--zns resets and writes zones: it needs --allow-destructive --nsid N".into());
    }
    Ok(Args {
        ctrl,
        ns,
        destructive,
        nsid,
        zns,
        nvme_cli,
        backend,
        timeout,
    })
}

fn require_device(p: &Path) -> Result<(), String> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::metadata(p) {
        Ok(m) if m.file_type().is_char_device() || m.file_type().is_block_device() => Ok(()),
        Ok(_) => Err(format!("{} is not a device node", p.display())),
        Err(_) => {
            let present: Vec<String> = std::fs::read_dir("/dev")
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|n| n.starts_with("nvme") || n.starts_with("ng"))
                        .collect()
                })
                .unwrap_or_default();
            let seen = if present.is_empty() {
                "this host has no NVMe device nodes at all".to_string()
            } else {
                format!("NVMe nodes here: {}", present.join(" "))
            };
            Err(format!(
                "no such device: {} ({seen}). To run the suite against emulated NVMe, use `cargo xtask vm test`; \
             to see it run on the in-memory controller, `cargo xtask hwtest --backend ram --ns ram:512`",
                p.display()
            ))
        }
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let a = parse(args)?;
    // `--backend ram --ns ram:512` runs the suite on the in-memory controller:
    // a way to see it work on a host without NVMe.
    if a.backend != "ram" {
        require_device(&a.ns)?;
        for p in a.ctrl.iter().chain(a.zns.iter()) {
            require_device(p)?;
        }
    }
    let mut build = cargo();
    build.args(["build", "--release", "-p", "nvmeq-hwtest"]);
    if a.backend != "all" && a.backend != "ioctl" {
        build.args(["--features", &a.backend]);
    }
    util::run(build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| util::root().join("target"));
    let mut cmd = std::process::Command::new(target.join("release/nvmeq-hwtest"));
    cmd.args(["--backend", &a.backend]);
    if let Some(t) = a.timeout {
        cmd.args(["--test-timeout", &t.to_string()]);
    }
    cmd.arg("run").arg("--ns").arg(&a.ns);
    if let Some(c) = &a.ctrl {
        cmd.arg("--ctrl").arg(c);
    }
    if a.destructive {
        cmd.arg("--allow-destructive");
    }
    if let Some(n) = a.nsid {
        cmd.args(["--nsid", &n.to_string()]);
    }
    if let Some(z) = &a.zns {
        cmd.arg("--zns").arg(z);
    }
    if a.nvme_cli {
        cmd.arg("--nvme-cli");
    }
    util::run(cmd).map_err(|_| "the conformance suite reported failures (table above)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn destructive_needs_nsid_and_the_reverse() {
        assert!(parse(&s(&["--ns", "/dev/ng0n1", "--allow-destructive"])).is_err());
        assert!(parse(&s(&["--ns", "/dev/ng0n1", "--nsid", "1"])).is_err());
        let a = parse(&s(&[
            "--ns",
            "/dev/ng0n1",
            "--allow-destructive",
            "--nsid",
            "1",
        ]))
        .unwrap();
        assert!(a.destructive);
        assert_eq!(a.nsid, Some(1));
        assert!(
            parse(&s(&["--ctrl", "/dev/nvme0"])).is_err(),
            "--ns required"
        );
        assert!(parse(&s(&["--ns", "/dev/ng0n1", "--zns", "/dev/ng0n2"])).is_err());
    }

    #[test]
    fn missing_device_is_explained() {
        let e = require_device(Path::new("/dev/ng93n1")).unwrap_err();
        assert!(e.contains("no such device: /dev/ng93n1"), "{e}");
        assert!(e.contains("cargo xtask vm test"), "{e}");
        assert!(require_device(Path::new("/etc/hostname")).is_err());
    }
}
