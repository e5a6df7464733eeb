//! Kernel modules for the guest: read each module's `.modinfo` ELF section and order the ones the
//! guest needs so that dependencies load first (Debian's packages ship no `modules.dep`, and
//! busybox `insmod` loads exactly one file).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Modules the guest must have (loaded, or built into the kernel).
pub const REQUIRED: &[&str] = &[
    "nvme",
    "vfio",
    "vfio_iommu_type1",
    "vfio_pci",
    "virtio_pci",
    "9p",
    "9pnet_virtio",
];
/// Modules loaded when the kernel has them (NVMe/TCP loopback, null_blk, virtio-blk).
/// The CRC-32C drivers come first: NVMe/TCP digests ask the crypto API for
/// `crc32c` when a connection asks for them, and where that is a module
/// (Debian's 6.12) nothing else loads it.
pub const OPTIONAL: &[&str] = &[
    "crc32c_generic",
    "crc32c_intel",
    "nvme_fabrics",
    "nvme_tcp",
    "nvme_loop",
    "configfs",
    "nvmet",
    "nvmet_tcp",
    "null_blk",
    "virtio_blk",
];

/// A module's name as the kernel spells it (`-` and `_` are the same).
pub fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

/// The key=value strings of an ELF64 little-endian object's `.modinfo` section.
pub fn modinfo(elf: &[u8]) -> Result<Vec<String>, String> {
    let u16_at = |o: usize| -> Option<u64> {
        elf.get(o..o + 2)
            .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |o: usize| -> Option<u64> {
        elf.get(o..o + 4)
            .map(|b| u64::from(u32::from_le_bytes(b.try_into().unwrap())))
    };
    let u64_at = |o: usize| -> Option<u64> {
        elf.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    };
    if elf.get(..6) != Some(b"\x7fELF\x02\x01") {
        return Err("not an ELF64 little-endian object".into());
    }
    let bad = || "truncated ELF section table".to_string();
    let shoff = u64_at(0x28).ok_or_else(bad)? as usize;
    let shentsize = u16_at(0x3a).ok_or_else(bad)? as usize;
    let shnum = u16_at(0x3c).ok_or_else(bad)? as usize;
    let shstrndx = u16_at(0x3e).ok_or_else(bad)? as usize;
    let section = |i: usize| -> Option<(u64, usize, usize)> {
        let h = shoff.checked_add(i.checked_mul(shentsize)?)?;
        Some((
            u32_at(h)?,
            u64_at(h + 24)? as usize,
            u64_at(h + 32)? as usize,
        ))
    };
    let (_, str_off, str_size) = section(shstrndx).ok_or_else(bad)?;
    let names = elf
        .get(str_off..str_off.checked_add(str_size).ok_or_else(bad)?)
        .ok_or_else(bad)?;
    for i in 0..shnum {
        let (name, off, size) = section(i).ok_or_else(bad)?;
        let name = names.get(name as usize..).unwrap_or(&[]);
        let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
        if name == b".modinfo" {
            let data = elf
                .get(off..off.checked_add(size).ok_or_else(bad)?)
                .ok_or_else(bad)?;
            return Ok(data
                .split(|&b| b == 0)
                .filter(|s| !s.is_empty())
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect());
        }
    }
    Err("no .modinfo section".into())
}

/// What a module needs loaded before it: its `depends=` and its `softdep=` `pre:` modules.
pub fn prerequisites(info: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for entry in info {
        if let Some(deps) = entry.strip_prefix("depends=") {
            out.extend(deps.split(',').filter(|d| !d.is_empty()).map(normalize));
        } else if let Some(soft) = entry.strip_prefix("softdep=") {
            let mut pre = false;
            for word in soft.split_whitespace() {
                match word {
                    "pre:" => pre = true,
                    w if w.ends_with(':') => pre = false,
                    w if pre => out.push(normalize(w)),
                    _ => {}
                }
            }
        }
    }
    out
}

/// Looks up what a module needs first (`None`: no such module file).
type Prereqs<'a> = dyn FnMut(&str) -> Result<Option<Vec<String>>, String> + 'a;

/// Orders `roots` and everything they need, dependencies first. `prereqs(name)` returns
/// `Ok(None)` for a module that is not available as a file (built in, or absent).
pub fn load_order(
    roots: &[String],
    mut prereqs: impl FnMut(&str) -> Result<Option<Vec<String>>, String>,
) -> Result<Vec<String>, String> {
    fn visit(
        name: &str,
        prereqs: &mut Prereqs,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
        order: &mut Vec<String>,
    ) -> Result<(), String> {
        if done.contains(name) {
            return Ok(());
        }
        if stack.iter().any(|s| s == name) {
            // A softdep cycle (the kernel tolerates them); the first one in wins.
            return Ok(());
        }
        let Some(deps) = prereqs(name)? else {
            done.insert(name.to_string());
            return Ok(());
        };
        stack.push(name.to_string());
        for d in &deps {
            visit(d, prereqs, done, stack, order)?;
        }
        stack.pop();
        done.insert(name.to_string());
        order.push(name.to_string());
        Ok(())
    }
    let mut done = BTreeSet::new();
    let mut order = Vec::new();
    for r in roots {
        visit(
            &normalize(r),
            &mut prereqs,
            &mut done,
            &mut Vec::new(),
            &mut order,
        )?;
    }
    Ok(order)
}

/// The modules of an unpacked kernel package, by normalized name.
#[derive(Debug)]
pub struct Tree {
    files: BTreeMap<String, PathBuf>,
    builtin: BTreeSet<String>,
}

impl Tree {
    /// Indexes `<moddir>/kernel/**.ko[.xz|.zst]` and `<moddir>/modules.builtin`.
    pub fn scan(moddir: &Path) -> Result<Self, String> {
        let mut files = BTreeMap::new();
        let mut dirs = vec![moddir.join("kernel")];
        while let Some(d) = dirs.pop() {
            let rd = fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if let Some(stem) = module_stem(&p) {
                    files.insert(normalize(&stem), p);
                }
            }
        }
        let builtin = fs::read_to_string(moddir.join("modules.builtin"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| module_stem(Path::new(l)))
            .map(|s| normalize(&s))
            .collect();
        Ok(Self { files, builtin })
    }

    pub fn is_builtin(&self, name: &str) -> bool {
        self.builtin.contains(&normalize(name))
    }

    pub fn file(&self, name: &str) -> Option<&Path> {
        self.files.get(&normalize(name)).map(PathBuf::as_path)
    }
}

/// `foo` for `…/foo.ko`, `foo.ko.xz`, `foo.ko.zst`.
fn module_stem(p: &Path) -> Option<String> {
    let name = p.file_name()?.to_str()?;
    let stem = name
        .strip_suffix(".ko")
        .or_else(|| name.strip_suffix(".ko.xz"))
        .or_else(|| name.strip_suffix(".ko.zst"))?;
    Some(stem.to_string())
}

/// Writes `src` (plain, xz or zstd) to `dst` as a plain `.ko` unless `dst` is already newer.
pub fn decompress(src: &Path, dst: &Path) -> Result<(), String> {
    let fresh = match (fs::metadata(src), fs::metadata(dst)) {
        (Ok(s), Ok(d)) => d.modified().ok() >= s.modified().ok(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("");
    let data = match ext {
        "ko" => fs::read(src).map_err(|e| format!("{}: {e}", src.display()))?,
        "xz" | "zst" => {
            let tool = if ext == "xz" { "xz" } else { "zstd" };
            let out = Command::new(tool)
                .arg("-dc")
                .arg(src)
                .output()
                .map_err(|e| format!("cannot run {tool}: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "{tool} -dc {} failed: {}",
                    src.display(),
                    out.status
                ));
            }
            out.stdout
        }
        _ => return Err(format!("{}: not a kernel module", src.display())),
    };
    fs::write(dst, data).map_err(|e| format!("cannot write {}: {e}", dst.display()))
}

#[cfg(test)]
/// For tests: a minimal ELF64 object: null section, `.modinfo`, `.shstrtab`.
pub fn elf_with_modinfo(info: &[u8]) -> Vec<u8> {
    let shstrtab = b"\0.modinfo\0.shstrtab\0";
    let mut f = vec![0u8; 64];
    f[..6].copy_from_slice(b"\x7fELF\x02\x01");
    let info_off = f.len();
    f.extend_from_slice(info);
    let str_off = f.len();
    f.extend_from_slice(shstrtab);
    f.resize(f.len().next_multiple_of(8), 0);
    let shoff = f.len();
    let mut sh = |name: u32, off: usize, size: usize| {
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&name.to_le_bytes());
        h[24..32].copy_from_slice(&(off as u64).to_le_bytes());
        h[32..40].copy_from_slice(&(size as u64).to_le_bytes());
        f.extend_from_slice(&h);
    };
    sh(0, 0, 0);
    sh(1, info_off, info.len());
    sh(10, str_off, shstrtab.len());
    f[0x28..0x30].copy_from_slice(&(shoff as u64).to_le_bytes());
    f[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    f[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    f[0x3e..0x40].copy_from_slice(&2u16.to_le_bytes());
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_modinfo_section() {
        let elf = elf_with_modinfo(b"license=GPL\0depends=nvme-core,nvme-auth\0\0name=nvme\0");
        let info = modinfo(&elf).unwrap();
        assert_eq!(
            info,
            ["license=GPL", "depends=nvme-core,nvme-auth", "name=nvme"]
        );
        assert_eq!(prerequisites(&info), ["nvme_core", "nvme_auth"]);
    }

    #[test]
    fn rejects_non_elf_and_missing_section() {
        assert!(modinfo(b"not an elf at all, definitely not").is_err());
        let mut elf = elf_with_modinfo(b"a=b\0");
        let at = elf.windows(8).position(|w| w == b".modinfo").unwrap();
        elf[at..at + 8].copy_from_slice(b".notinfo");
        assert!(modinfo(&elf).unwrap_err().contains("no .modinfo"));
        assert!(modinfo(&elf[..70]).is_err());
    }

    #[test]
    fn softdep_pre_only() {
        let info = vec![
            "softdep=pre: crc32c post: foo-bar".to_string(),
            "depends=".to_string(),
            "softdep=pre: a b".to_string(),
        ];
        assert_eq!(prerequisites(&info), ["crc32c", "a", "b"]);
    }

    #[test]
    fn orders_dependencies_first_once_each() {
        let deps: BTreeMap<&str, Vec<&str>> = [
            ("nvme", vec!["nvme_core", "nvme_auth"]),
            ("nvme_core", vec!["nvme_auth", "nvme_keyring"]),
            ("nvme_auth", vec![]),
            ("nvme_keyring", vec![]),
            ("vfio_pci", vec!["vfio_pci_core", "vfio"]),
            ("vfio_pci_core", vec!["vfio", "irqbypass"]),
            ("vfio", vec!["iommufd"]),
            ("irqbypass", vec![]),
            // a softdep cycle
            ("a", vec!["b"]),
            ("b", vec!["a"]),
        ]
        .into_iter()
        .collect();
        let roots: Vec<String> = ["nvme", "vfio-pci", "a", "nvme"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let order = load_order(&roots, |n| {
            Ok(deps
                .get(n)
                .map(|d| d.iter().map(|s| s.to_string()).collect()))
        })
        .unwrap();
        assert_eq!(
            order,
            [
                "nvme_auth",
                "nvme_keyring",
                "nvme_core",
                "nvme",
                "vfio",
                "irqbypass",
                "vfio_pci_core",
                "vfio_pci",
                "b",
                "a"
            ]
        );
    }

    #[test]
    fn lookup_errors_propagate() {
        let r = load_order(&["x".to_string()], |_| Err("boom".to_string()));
        assert_eq!(r.unwrap_err(), "boom");
    }
}
