//! The guest's peer tools, fio and nvme-cli, from Debian trixie's binary packages: downloaded
//! with their dependencies through a private apt configuration (as onto an empty system),
//! unpacked side by side into `target/vm/peers/root`, and run in the guest with trixie's own
//! loader and libraries (the host's release may be older; nothing is installed on the host).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::apt::{self, PrivateApt};
use super::initramfs::{self, Image};
use crate::util;

/// The suite the peers come from.
const SUITE: &str = "trixie";
/// Packages fetched (with their dependencies).
const PACKAGES: &[&str] = &["fio", "nvme-cli"];
/// (path in the unpacked root, name in the guest's `/bin`).
const TOOLS: &[(&str, &str)] = &[("usr/bin/fio", "fio"), ("usr/sbin/nvme", "nvme")];
/// The program interpreter every trixie binary names.
const LOADER: &str = "lib64/ld-linux-x86-64.so.2";

/// Unpacked peers: the root they live in.
#[derive(Debug)]
pub struct Peers {
    root: PathBuf,
}

/// Resolves the current fio and nvme-cli of trixie and unpacks them (with every dependency)
/// unless those versions are here already; offline, a cached copy is kept.
pub fn fetch(vm: &Path, refresh: bool) -> Result<Peers, String> {
    let d = vm.join("peers");
    let root = d.join("root");
    let stamp_path = d.join("info");
    let cached = fs::read_to_string(&stamp_path).ok();
    if !refresh && cached.is_some() && root.is_dir() {
        return Ok(Peers { root });
    }
    let resolved = (|| {
        let mirror = apt::host_mirror("bookworm")?;
        let apt = PrivateApt::new(&vm.join("apt").join(SUITE), &mirror, SUITE)?;
        apt.update()?;
        let mut stamp = String::new();
        for p in PACKAGES {
            let v = apt::parse_version(&apt.show(p)?)
                .ok_or_else(|| format!("apt-cache show {p}: no Version"))?;
            stamp.push_str(&format!("{p} {v}\n"));
        }
        Ok::<_, String>((apt, stamp))
    })();
    let (apt, stamp) = match resolved {
        Ok(r) => r,
        Err(e) if cached.is_some() && root.is_dir() => {
            eprintln!("xtask vm: cannot check trixie's fio and nvme-cli ({e}); keeping the cached");
            return Ok(Peers { root });
        }
        Err(e) => return Err(e),
    };
    if cached.as_deref() == Some(stamp.as_str()) && root.is_dir() {
        return Ok(Peers { root });
    }
    eprintln!(
        "xtask vm: fetching from {SUITE}: {}",
        stamp.trim().replace('\n', ", ")
    );
    let _ = fs::remove_file(&stamp_path);
    let _ = fs::remove_dir_all(&root);
    for deb in apt.download_closure(PACKAGES)? {
        apt::extract(&deb, &root)?;
        let _ = fs::remove_file(&deb);
    }
    fs::write(&stamp_path, &stamp).map_err(|e| format!("{}: {e}", d.display()))?;
    Ok(Peers { root })
}

impl Peers {
    /// Adds the tools to `img`'s `/bin`, with trixie's loader and every library the loader
    /// resolves for them, each at its own path (RUNPATHs such as Ceph's keep working).
    pub fn add_to(&self, img: &mut Image) -> Result<(), String> {
        // The packages ship it under usr/ (merged /usr); the guest has it where binaries look.
        let loader = [self.root.join(LOADER), self.root.join("usr").join(LOADER)]
            .into_iter()
            .find(|p| p.exists())
            .ok_or_else(|| format!("no {LOADER} in {}", self.root.display()))?;
        img.file(LOADER, &loader, 0o755);
        let search = self.library_dirs();
        let prefix = format!("{}/", self.root.display());
        for (path, name) in TOOLS {
            let bin = self.root.join(path);
            if !bin.is_file() {
                return Err(format!("{SUITE}'s packages have no {path}"));
            }
            img.file(&format!("bin/{name}"), &bin, 0o755);
            let mut c = Command::new(&loader);
            c.arg("--library-path").arg(&search).arg("--list").arg(&bin);
            let list = util::output(c)?;
            if list.contains("not found") {
                return Err(format!("{path}: a library is missing:\n{list}"));
            }
            for lib in initramfs::parse_ldd(&list) {
                if let Some(inside) = lib.strip_prefix(&prefix) {
                    if inside != LOADER && !inside.ends_with("ld-linux-x86-64.so.2") {
                        img.file(inside, Path::new(&lib), 0o755);
                    }
                }
            }
        }
        Ok(())
    }

    /// Every folder of shared libraries in the root, for the loader's `--library-path`.
    fn library_dirs(&self) -> String {
        let mut dirs = Vec::new();
        for top in ["usr/lib", "lib", "usr/lib64"] {
            collect_lib_dirs(&self.root.join(top), &mut dirs, 0);
        }
        dirs.sort();
        dirs.dedup();
        dirs.join(":")
    }
}

fn collect_lib_dirs(dir: &Path, out: &mut Vec<String>, depth: usize) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    let mut has_lib = false;
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if p.is_dir() && !p.is_symlink() && depth < 4 {
            collect_lib_dirs(&p, out, depth + 1);
        } else if name.contains(".so") {
            has_lib = true;
        }
    }
    if has_lib {
        out.push(dir.display().to_string());
    }
}
