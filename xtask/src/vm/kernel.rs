//! The guest kernel: a Debian generic `linux-image-*-amd64`, downloaded and unpacked (never
//! installed on the host), plus the modules the guest loads, in load order.

use std::fs;
use std::path::{Path, PathBuf};

use super::apt::{self, PrivateApt};
use super::modules::{self, Tree};

/// Which Debian kernel the guest boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// The newest from trixie-backports (7.x; the default).
    V7,
    /// 6.12 from bookworm-backports.
    V6_12,
    /// 6.1 from bookworm.
    V6_1,
}

impl Series {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "7" => Ok(Self::V7),
            "6.12" => Ok(Self::V6_12),
            "6.1" => Ok(Self::V6_1),
            _ => Err(format!("unknown kernel `{s}`: use 7, 6.12 or 6.1")),
        }
    }

    /// Every series, the default first.
    pub const ALL: [Self; 3] = [Self::V7, Self::V6_12, Self::V6_1];

    pub fn name(self) -> &'static str {
        match self {
            Self::V7 => "7",
            Self::V6_12 => "6.12",
            Self::V6_1 => "6.1",
        }
    }

    fn suite(self) -> &'static str {
        match self {
            Self::V7 => "trixie-backports",
            Self::V6_12 => "bookworm-backports",
            Self::V6_1 => "bookworm",
        }
    }
}

/// An unpacked kernel package.
#[derive(Debug, Clone)]
pub struct Kernel {
    pub series: Series,
    /// `uname -r` in the guest.
    pub release: String,
    pub vmlinuz: PathBuf,
    /// `…/lib/modules/<release>` of the unpacked package.
    pub moddir: PathBuf,
    /// Where the decompressed modules the guest loads are kept.
    pub ko_dir: PathBuf,
}

fn dir(vm: &Path, series: Series) -> PathBuf {
    vm.join(format!("kernel-{}", series.name()))
}

/// The kernel prepared earlier for `series`, if any.
pub fn cached(vm: &Path, series: Series) -> Option<Kernel> {
    let d = dir(vm, series);
    let info = fs::read_to_string(d.join("info")).ok()?;
    let pkg = info.split_whitespace().next()?;
    load(&d, series, pkg).ok()
}

fn load(d: &Path, series: Series, pkg: &str) -> Result<Kernel, String> {
    let release = pkg
        .strip_prefix("linux-image-")
        .ok_or_else(|| format!("`{pkg}` is not a linux-image package"))?
        .to_string();
    let root = d.join("root");
    let moddir = ["lib/modules", "usr/lib/modules"]
        .iter()
        .map(|m| root.join(m).join(&release))
        .find(|p| p.is_dir())
        .ok_or_else(|| format!("{pkg}: no lib/modules/{release} in {}", root.display()))?;
    // 6.x ships /boot/vmlinuz-<release>; 7.x's linux-binary-<release> the modules folder's.
    let vmlinuz = [
        root.join("boot").join(format!("vmlinuz-{release}")),
        moddir.join("vmlinuz"),
    ]
    .into_iter()
    .find(|p| p.is_file())
    .ok_or_else(|| format!("{pkg}: no vmlinuz in {}", root.display()))?;
    Ok(Kernel {
        series,
        release,
        vmlinuz,
        moddir,
        ko_dir: d.join("modules"),
    })
}

/// Resolves the current kernel of `series` from its suite's `linux-image-amd64`, and downloads
/// and unpacks it unless that exact version is already here. Offline with a cached kernel, it
/// keeps the cached one.
pub fn fetch(vm: &Path, series: Series) -> Result<Kernel, String> {
    let d = dir(vm, series);
    let resolved = resolve(vm, series);
    let (pkg, version, apt) = match resolved {
        Ok(r) => r,
        Err(e) => {
            if let Some(k) = cached(vm, series) {
                eprintln!(
                    "xtask vm: cannot check for a newer {} kernel ({e}); keeping {}",
                    series.name(),
                    k.release
                );
                return Ok(k);
            }
            return Err(e);
        }
    };
    let stamp = format!("{pkg} {version}\n");
    if fs::read_to_string(d.join("info")).ok().as_deref() == Some(stamp.as_str()) {
        if let Ok(k) = load(&d, series, &pkg) {
            eprintln!("xtask vm: kernel {pkg} {version} (cached)");
            return Ok(k);
        }
    }
    // From 7.x, linux-image-<release> is itself a metapackage: the image, modules and config
    // are its dependencies named `…-<release>` (linux-binary-, linux-modules-, linux-base-).
    let release = pkg.strip_prefix("linux-image-").unwrap_or(&pkg);
    let suffix = format!("-{release}");
    let mut pkgs = vec![pkg.clone()];
    pkgs.extend(
        apt::parse_depends(&apt.show(&pkg)?)
            .into_iter()
            .filter(|p| p.starts_with("linux-") && p.ends_with(&suffix)),
    );
    eprintln!("xtask vm: downloading kernel {version}: {}", pkgs.join(" "));
    let _ = fs::remove_file(d.join("info"));
    let _ = fs::remove_dir_all(d.join("modules"));
    let _ = fs::remove_dir_all(d.join("root"));
    for p in &pkgs {
        let deb = apt.download(p)?;
        apt::extract(&deb, &d.join("root"))?;
        let _ = fs::remove_file(&deb);
    }
    fs::write(d.join("info"), &stamp).map_err(|e| format!("{}: {e}", d.display()))?;
    load(&d, series, &pkg)
}

fn resolve(vm: &Path, series: Series) -> Result<(String, String, PrivateApt), String> {
    // Any Debian suite is on the same archive as the host's own release.
    let mirror = apt::host_mirror("bookworm")?;
    let apt = PrivateApt::new(
        &vm.join("apt").join(series.suite()),
        &mirror,
        series.suite(),
    )?;
    apt.update()?;
    let meta = apt.show("linux-image-amd64")?;
    let pkg = apt::parse_kernel_depends(&meta).ok_or_else(|| {
        format!(
            "linux-image-amd64 in {} names no linux-image package",
            series.suite()
        )
    })?;
    let version = apt::parse_version(&apt.show(&pkg)?)
        .ok_or_else(|| format!("apt-cache show {pkg}: no Version"))?;
    Ok((pkg, version, apt))
}

/// The guest's modules, dependencies first, as (name, decompressed .ko) pairs.
pub fn guest_modules(k: &Kernel) -> Result<Vec<(String, PathBuf)>, String> {
    let tree = Tree::scan(&k.moddir)?;
    fs::create_dir_all(&k.ko_dir).map_err(|e| format!("{}: {e}", k.ko_dir.display()))?;
    let mut roots = Vec::new();
    for m in modules::REQUIRED {
        if tree.file(m).is_some() {
            roots.push(m.to_string());
        } else if !tree.is_builtin(m) {
            return Err(format!(
                "kernel {} has no module `{m}` and does not build it in",
                k.release
            ));
        }
    }
    roots.extend(
        modules::OPTIONAL
            .iter()
            .filter(|m| tree.file(m).is_some())
            .map(|m| m.to_string()),
    );
    let ko = |name: &str| k.ko_dir.join(format!("{name}.ko"));
    let order = modules::load_order(&roots, |name| {
        let Some(src) = tree.file(name) else {
            return Ok(None);
        };
        let dst = ko(name);
        modules::decompress(src, &dst)?;
        let elf = fs::read(&dst).map_err(|e| format!("{}: {e}", dst.display()))?;
        let info = modules::modinfo(&elf).map_err(|e| format!("{}: {e}", dst.display()))?;
        Ok(Some(modules::prerequisites(&info)))
    })?;
    Ok(order
        .into_iter()
        .map(|n| {
            let p = ko(&n);
            (n, p)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vm::modules::elf_with_modinfo;

    /// A fake unpacked kernel: `(path under kernel/, depends=, softdep=)` modules and a
    /// modules.builtin.
    fn fake_kernel(name: &str, mods: &[(&str, &str, &str)], builtin: &str) -> Kernel {
        let root = std::env::temp_dir().join(format!("xtask-kernel-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let moddir = root.join("lib/modules/9.9.9-test");
        for (path, depends, softdep) in mods {
            let p = moddir.join("kernel").join(path);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            let info = format!("license=GPL\0depends={depends}\0softdep={softdep}\0");
            fs::write(&p, elf_with_modinfo(info.as_bytes())).unwrap();
        }
        fs::write(moddir.join("modules.builtin"), builtin).unwrap();
        Kernel {
            series: Series::V6_12,
            release: "9.9.9-test".into(),
            vmlinuz: root.join("vmlinuz"),
            moddir,
            ko_dir: root.join("ko"),
        }
    }

    const MODS: &[(&str, &str, &str)] = &[
        ("drivers/nvme/host/nvme.ko", "nvme-core,nvme-auth", ""),
        (
            "drivers/nvme/host/nvme-core.ko",
            "nvme-auth,nvme-keyring",
            "",
        ),
        ("drivers/nvme/common/nvme-auth.ko", "", ""),
        ("drivers/nvme/common/nvme-keyring.ko", "", ""),
        ("drivers/vfio/vfio.ko", "", "pre: iommufd"),
        ("drivers/vfio/vfio_iommu_type1.ko", "vfio", ""),
        ("drivers/vfio/pci/vfio-pci-core.ko", "vfio,irqbypass", ""),
        ("drivers/vfio/pci/vfio-pci.ko", "vfio-pci-core,vfio", ""),
        ("virt/lib/irqbypass.ko", "", ""),
        ("fs/netfs/netfs.ko", "", ""),
        ("net/9p/9pnet.ko", "", ""),
        ("net/9p/9pnet_virtio.ko", "9pnet", ""),
        ("fs/9p/9p.ko", "9pnet,netfs", ""),
        ("drivers/block/null_blk/null_blk.ko", "configfs", ""),
    ];

    #[test]
    fn guest_modules_load_dependencies_first() {
        let k = fake_kernel(
            "ok",
            MODS,
            "kernel/drivers/virtio/virtio_pci.ko\nkernel/fs/configfs/configfs.ko\n",
        );
        let order = guest_modules(&k).unwrap();
        let names: Vec<&str> = order.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "nvme_auth",
                "nvme_keyring",
                "nvme_core",
                "nvme",
                "vfio",
                "vfio_iommu_type1",
                "irqbypass",
                "vfio_pci_core",
                "vfio_pci",
                "9pnet",
                "netfs",
                "9p",
                "9pnet_virtio",
                "null_blk",
            ]
        );
        for (_, ko) in &order {
            assert!(modules::modinfo(&fs::read(ko).unwrap()).is_ok());
        }
        let _ = fs::remove_dir_all(k.moddir.ancestors().nth(3).unwrap());
    }

    #[test]
    fn a_missing_required_module_is_named() {
        let without_vfio: Vec<_> = MODS
            .iter()
            .copied()
            .filter(|m| !m.0.ends_with("/vfio.ko"))
            .collect();
        let k = fake_kernel(
            "missing",
            &without_vfio,
            "kernel/drivers/virtio/virtio_pci.ko\n",
        );
        let err = guest_modules(&k).unwrap_err();
        assert!(err.contains("no module `vfio`"), "{err}");
        // Built in is fine.
        let k = fake_kernel(
            "builtin",
            &without_vfio,
            "kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/vfio/vfio.ko\n",
        );
        let names: Vec<String> = guest_modules(&k)
            .unwrap()
            .into_iter()
            .map(|m| m.0)
            .collect();
        assert!(!names.contains(&"vfio".to_string()));
        assert!(names.contains(&"vfio_pci".to_string()));
        for n in ["missing", "builtin"] {
            let _ = fs::remove_dir_all(
                std::env::temp_dir().join(format!("xtask-kernel-{n}-{}", std::process::id())),
            );
        }
    }
}
