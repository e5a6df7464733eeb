//! `vm prepare`: host tools, guest kernel, guest user space, our static binaries, initramfs.
//! Every step is cached under `target/vm/` and redone only when its inputs changed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::apt::{self, HostApt};
use super::initramfs::Image;
use super::kernel::{self, Kernel, Series};
use super::peers::{self, Peers};
use super::Paths;
use crate::util;

/// The guest's `/init`.
const INIT: &str = include_str!("guest_init.sh");
/// `/etc/nvmeq/env.sh`: device discovery and the guest contract's variables.
const ENV: &str = include_str!("guest_env.sh");
/// `/etc/nvmeq/steps.sh`: `vm test`'s steps, each with its own time limit.
const STEPS: &str = include_str!("guest_steps.sh");
/// Our binaries in the guest's `/bin`: (cargo package, binary).
const GUEST_BINS: &[(&str, &str)] = &[
    ("nvmeq-hwtest", "nvmeq-hwtest"),
    ("nvmeq-cli", "nvmeq"),
    ("nvmeq", "nvmeq-demo"),
];
/// Test binaries that only mean something in the guest: (cargo package,
/// integration test, name in the guest's `/bin`). `vm test` runs them after
/// the conformance suite.
pub const GUEST_TESTS: &[(&str, &str, &str)] = &[
    ("nvmeq-cli", "guest_nvme_cli", "nvmeq-cli-guest-tests"),
    ("nvmeq-uring", "guest", "nvmeq-uring-guest-tests"),
    ("nvmeq", "guest_async", "nvmeq-async-guest-tests"),
];
const TARGET: &str = "x86_64-unknown-linux-gnu";

/// What a boot needs.
#[derive(Debug)]
pub struct Prepared {
    pub kernel: Kernel,
    pub initrd: PathBuf,
    /// Our binaries that made it into the guest.
    pub bins: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// `None`: the one prepared last (6.12 when none was).
    pub series: Option<Series>,
    /// Re-resolve the kernel version through apt even when one is cached.
    pub refresh: bool,
    /// Build our guest binaries (off: use what target/guest holds).
    pub build: bool,
}

pub fn prepare(paths: &Paths, opts: Options) -> Result<Prepared, String> {
    let mut host = HostApt::default();
    host_tools(paths, &mut host)?;
    let kernel = kernel_for(paths, opts)?;
    let peers = peers::fetch(&paths.vm, opts.refresh)?;
    if opts.refresh {
        // `vm prepare --kernel X` picks the default of later boots.
        fs::write(paths.vm.join("default-kernel"), kernel.series.name())
            .map_err(|e| format!("{}: {e}", paths.vm.display()))?;
    }
    let busybox = busybox(paths, &mut host)?;
    if opts.build {
        build_guest_bins(paths)?;
        build_guest_tests(paths)?;
    }

    let base_path = paths
        .vm
        .join(format!("initramfs-{}-base.cpio.zst", kernel.series.name()));
    let base = base_image(&kernel, &busybox, &peers)?;
    let base_new = base.build(&base_path)?;

    let mut overlay = Image::default();
    overlay.bytes("init", INIT, 0o755);
    overlay.bytes("etc/nvmeq/env.sh", ENV, 0o644);
    overlay.bytes("etc/nvmeq/steps.sh", STEPS, 0o644);
    let mut bins = Vec::new();
    let tests = GUEST_TESTS.iter().map(|(_, _, name)| name);
    for bin in GUEST_BINS.iter().map(|(_, bin)| bin).chain(tests) {
        let p = guest_bin_dir(paths).join(bin);
        if p.is_file() {
            overlay.file(&format!("bin/{bin}"), &p, 0o755);
            bins.push(bin.to_string());
        } else {
            eprintln!(
                "xtask vm: warning: no {} (its crate has no such binary yet); the guest lacks it",
                p.display()
            );
        }
    }
    let overlay_path = paths.vm.join("initramfs-overlay.cpio.zst");
    let overlay_new = overlay.build(&overlay_path)?;

    let initrd = paths
        .vm
        .join(format!("initramfs-{}.img", kernel.series.name()));
    if base_new || overlay_new || !initrd.exists() || older(&initrd, &[&base_path, &overlay_path]) {
        // The kernel unpacks concatenated (separately compressed) archives in order.
        let mut img = fs::read(&base_path).map_err(|e| format!("{}: {e}", base_path.display()))?;
        img.extend(
            fs::read(&overlay_path).map_err(|e| format!("{}: {e}", overlay_path.display()))?,
        );
        fs::write(&initrd, img).map_err(|e| format!("{}: {e}", initrd.display()))?;
        eprintln!(
            "xtask vm: initramfs {} ({} MB)",
            initrd.display(),
            fs::metadata(&initrd).map_or(0, |m| m.len() >> 20)
        );
    }
    Ok(Prepared {
        kernel,
        initrd,
        bins,
    })
}

fn older(p: &Path, than: &[&Path]) -> bool {
    let t = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    than.iter().any(|o| t(o) > t(p))
}

/// QEMU (from bookworm-backports when missing, see [`qemu`]), xz, zstd and dpkg-deb on the host.
fn host_tools(paths: &Paths, host: &mut HostApt) -> Result<(), String> {
    qemu(paths, host)?;
    let wanted = [("xz", "xz-utils"), ("zstd", "zstd"), ("dpkg-deb", "dpkg")];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(bin, _)| util::which(bin).is_none())
        .map(|(_, pkg)| *pkg)
        .collect();
    if !missing.is_empty() {
        eprintln!("xtask vm: installing on the host: {}", missing.join(" "));
        host.install(&missing)?;
    }
    Ok(())
}

/// The QEMU release the test bed needs (FDP, 64-bit-guard PI, `mqes`, atomic writes).
const QEMU_MIN: (u32, u32) = (10, 0);
/// Where it comes from on a bookworm host (bookworm itself has 7.2).
const QEMU_SUITE: &str = "bookworm-backports";
/// Device options the guest's machine uses, by device: checked against the installed QEMU.
const QEMU_OPTIONS: &[(&str, &[&str])] = &[
    (
        "nvme",
        &["mdts", "cmb_size_mb", "mqes", "max_ioqpairs", "subsys"],
    ),
    (
        "nvme-ns",
        &["ms", "mset", "pi", "pif", "pil", "fdp.ruhs", "zoned"],
    ),
    ("nvme-subsys", &["fdp", "fdp.nrg", "fdp.nruh", "fdp.runs"]),
];

/// Installs `qemu-system-x86` from bookworm-backports when `qemu-system-x86_64` is missing
/// (bookworm's 7.2 would also remove the backports qemu-utils a fresh host has); never touches
/// an installed QEMU, but fails naming the option an older one lacks.
fn qemu(paths: &Paths, host: &mut HostApt) -> Result<(), String> {
    if util::which("qemu-system-x86_64").is_none() {
        eprintln!("xtask vm: installing qemu-system-x86 from {QEMU_SUITE}");
        let mirror = apt::host_mirror("bookworm")?;
        host.install_from(
            &paths.vm.join("apt/host"),
            &mirror,
            QEMU_SUITE,
            &["qemu-system-x86"],
        )?;
    }
    check_qemu(&paths.vm)
}

/// Fails naming what an installed QEMU lacks; the verdict is cached per binary mtime.
fn check_qemu(vm: &Path) -> Result<(), String> {
    let bin = util::which("qemu-system-x86_64")
        .ok_or_else(|| "qemu-system-x86_64 is still missing after installing it".to_string())?;
    let stamp = format!(
        "{} {:?}\n",
        bin.display(),
        fs::metadata(&bin).and_then(|m| m.modified()).ok()
    );
    let cache = vm.join("qemu-checked");
    if fs::read_to_string(&cache).ok().as_deref() == Some(stamp.as_str()) {
        return Ok(());
    }
    let fix = format!(
        "the test bed needs QEMU >= {}.{} (Debian: `apt-get install -t {QEMU_SUITE} \
         qemu-system-x86` with {QEMU_SUITE} in your apt sources)",
        QEMU_MIN.0, QEMU_MIN.1
    );
    let version = util::output({
        let mut c = Command::new(&bin);
        c.arg("--version");
        c
    })?;
    let v = parse_qemu_version(&version)
        .ok_or_else(|| format!("cannot read QEMU's version from `{}`", version.trim()))?;
    if v < QEMU_MIN {
        return Err(format!("{} is QEMU {}.{}: {fix}", bin.display(), v.0, v.1));
    }
    for (dev, wanted) in QEMU_OPTIONS {
        let help = Command::new(&bin)
            .args(["-device", &format!("{dev},help")])
            .output()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let text = String::from_utf8_lossy(&help.stdout);
        for opt in *wanted {
            if !text
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{opt}=")))
            {
                return Err(format!(
                    "{} (QEMU {}.{}) has no `-device {dev},{opt}=`: {fix}",
                    bin.display(),
                    v.0,
                    v.1
                ));
            }
        }
    }
    let _ = fs::create_dir_all(vm);
    let _ = fs::write(&cache, stamp);
    Ok(())
}

/// (major, minor) of `QEMU emulator version 10.0.2 (Debian …)`.
fn parse_qemu_version(text: &str) -> Option<(u32, u32)> {
    let rest = &text[text.find("version ")? + "version ".len()..];
    let mut it = rest.split(|c: char| !c.is_ascii_digit());
    Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?))
}

fn kernel_for(paths: &Paths, opts: Options) -> Result<Kernel, String> {
    let last = fs::read_to_string(paths.vm.join("default-kernel"))
        .ok()
        .and_then(|s| Series::parse(s.trim()).ok());
    let series = opts.series.or(last);
    if !opts.refresh {
        if let Some(k) = kernel::cached(&paths.vm, series.unwrap_or(Series::V7)) {
            return Ok(k);
        }
    }
    match series {
        Some(s) => kernel::fetch(&paths.vm, s),
        None => kernel::fetch(&paths.vm, Series::V7).or_else(|e| {
            eprintln!(
                "xtask vm: no 7.x kernel ({e}); falling back to 6.12 from bookworm-backports"
            );
            kernel::fetch(&paths.vm, Series::V6_12)
        }),
    }
}

/// busybox-static, downloaded and unpacked (it is not installed on the host).
fn busybox(paths: &Paths, host: &mut HostApt) -> Result<PathBuf, String> {
    let dir = paths.vm.join("busybox");
    let bin = dir.join("root/bin/busybox");
    if !bin.is_file() {
        let deb = host.download(&dir, "busybox-static")?;
        apt::unpack(&deb, &dir.join("root"))?;
        let _ = fs::remove_file(deb);
    }
    if !bin.is_file() {
        return Err(format!("busybox-static has no {}", bin.display()));
    }
    Ok(bin)
}

fn guest_bin_dir(paths: &Paths) -> PathBuf {
    paths.root.join("target/guest").join(TARGET).join("release")
}

/// Our binaries, static, in their own target dir so host builds keep their cache.
fn build_guest_bins(paths: &Paths) -> Result<(), String> {
    let mut c = util::cargo();
    c.args(["build", "--release", "--target", TARGET]);
    for (pkg, _) in GUEST_BINS {
        c.args(["-p", pkg]);
    }
    // The demo shows every backend, VFIO included.
    c.args(["--features", "nvmeq/vfio"]);
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    flags.push_str(" -C target-feature=+crt-static");
    c.env("RUSTFLAGS", flags.trim())
        .env("CARGO_TARGET_DIR", paths.root.join("target/guest"));
    util::run(c)
}

/// The guest-only integration tests, static like our binaries, copied to
/// stable names beside them (cargo names test executables by hash).
fn build_guest_tests(paths: &Paths) -> Result<(), String> {
    for (pkg, test, name) in GUEST_TESTS {
        let mut c = util::cargo();
        c.args(["test", "--release", "--no-run", "--message-format=json"]);
        c.args(["--target", TARGET, "-p", pkg, "--test", test]);
        if *pkg == "nvmeq" {
            // The async guest tests run tokio on every backend, VFIO and tcp included.
            c.args(["--features", "tokio,vfio,tcp"]);
        }
        let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
        flags.push_str(" -C target-feature=+crt-static");
        c.env("RUSTFLAGS", flags.trim())
            .env("CARGO_TARGET_DIR", paths.root.join("target/guest"));
        eprintln!("$ {}", util::show(&c));
        let out = util::output(c)?;
        let exe = test_executable(&out, test)
            .ok_or_else(|| format!("cargo built no executable for test `{test}` of {pkg}"))?;
        let dest = guest_bin_dir(paths).join(name);
        fs::copy(&exe, &dest).map_err(|e| format!("{exe} -> {}: {e}", dest.display()))?;
    }
    Ok(())
}

/// The `"executable"` of the test artifact named `test` in cargo's JSON messages.
fn test_executable(messages: &str, test: &str) -> Option<String> {
    messages
        .lines()
        .filter(|l| l.contains("\"reason\":\"compiler-artifact\""))
        .filter(|l| l.contains(&format!("\"name\":\"{test}\"")))
        .find_map(|l| {
            let start = l.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = l[start..].find('"')?;
            Some(l[start..start + end].to_string())
        })
}

fn base_image(k: &Kernel, busybox: &Path, peers: &Peers) -> Result<Image, String> {
    let mut img = Image::default();
    for d in [
        "proc", "sys", "dev", "tmp", "run", "out", "nvmeq", "root", "mnt", "etc",
    ] {
        img.dir(d);
    }
    img.char_dev("dev/console", 0o600, 5, 1);
    img.char_dev("dev/null", 0o666, 1, 3);
    img.bytes("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0o644);
    img.bytes("etc/group", "root:x:0:\n", 0o644);
    img.bytes("etc/hostname", "nvmeq-guest\n", 0o644);

    img.file("bin/busybox", busybox, 0o755);
    let list = util::output({
        let mut c = Command::new(busybox);
        c.arg("--list-full");
        c
    })?;
    for applet in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if !img.contains(applet) {
            img.symlink(applet, "/bin/busybox");
        }
    }

    peers.add_to(&mut img)?;

    let mods = kernel::guest_modules(k)?;
    let mut list = String::new();
    for (name, ko) in &mods {
        img.file(&format!("lib/modules/{}/{name}.ko", k.release), ko, 0o644);
        list.push_str(name);
        list.push('\n');
    }
    img.bytes("etc/nvmeq/modules", list, 0o644);
    Ok(img)
}

#[cfg(test)]
mod tests {
    #[test]
    fn qemu_version() {
        let v = "QEMU emulator version 10.0.2 (Debian 1:10.0.2+ds-2+deb13u1~bpo12+1)\n";
        assert_eq!(super::parse_qemu_version(v), Some((10, 0)));
        assert_eq!(
            super::parse_qemu_version("QEMU emulator version 7.2.19"),
            Some((7, 2))
        );
        assert_eq!(super::parse_qemu_version("qemu"), None);
    }

    #[test]
    fn finds_the_test_executable_in_cargo_messages() {
        let msgs = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"nvmeq"},"executable":"/t/nvmeq"}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"kind":["test"],"name":"guest_nvme_cli"},"#,
            r#""executable":"/t/deps/guest_nvme_cli-abc"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            super::test_executable(msgs, "guest_nvme_cli").as_deref(),
            Some("/t/deps/guest_nvme_cli-abc")
        );
        assert_eq!(super::test_executable(msgs, "other"), None);
    }
}
