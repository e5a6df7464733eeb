//! The guest's initramfs: a sorted set of entries written as a zstd-compressed newc cpio, rebuilt
//! only when its manifest (paths, sources, sizes, mtimes) changed.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

use super::cpio;

#[derive(Debug)]
enum Source {
    Dir,
    File(PathBuf),
    Bytes(Vec<u8>),
    Symlink(String),
    CharDev(u32, u32),
}

/// The entries of one archive, by absolute path.
#[derive(Debug, Default)]
pub struct Image {
    entries: BTreeMap<String, (u32, Source)>,
}

impl Image {
    fn put(&mut self, path: &str, perm: u32, src: Source) {
        let path = format!("/{}", path.trim_matches('/'));
        let mut parent = path.as_str();
        while let Some((p, _)) = parent.rsplit_once('/') {
            if p.is_empty() {
                break;
            }
            self.entries
                .entry(p.to_string())
                .or_insert((0o755, Source::Dir));
            parent = p;
        }
        self.entries.insert(path, (perm, src));
    }

    pub fn dir(&mut self, path: &str) {
        self.put(path, 0o755, Source::Dir);
    }

    /// A host file, read when the archive is written.
    pub fn file(&mut self, path: &str, src: &Path, perm: u32) {
        self.put(path, perm, Source::File(src.to_path_buf()));
    }

    pub fn bytes(&mut self, path: &str, data: impl Into<Vec<u8>>, perm: u32) {
        self.put(path, perm, Source::Bytes(data.into()));
    }

    pub fn symlink(&mut self, path: &str, target: &str) {
        self.put(path, 0o777, Source::Symlink(target.to_string()));
    }

    pub fn char_dev(&mut self, path: &str, perm: u32, major: u32, minor: u32) {
        self.put(path, perm, Source::CharDev(major, minor));
    }

    pub fn contains(&self, path: &str) -> bool {
        self.entries
            .contains_key(&format!("/{}", path.trim_matches('/')))
    }

    /// One line per entry; equal manifests mean equal archives.
    pub fn manifest(&self) -> String {
        let mut m = String::new();
        for (path, (perm, src)) in &self.entries {
            let what = match src {
                Source::Dir => "dir".to_string(),
                Source::File(p) => {
                    let (len, mtime) = fs::metadata(p)
                        .map(|md| {
                            let t = md
                                .modified()
                                .ok()
                                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                                .map_or(0, |d| d.as_nanos());
                            (md.len(), t)
                        })
                        .unwrap_or((0, 0));
                    format!("file {} {len} {mtime}", p.display())
                }
                Source::Bytes(b) => {
                    let mut h = DefaultHasher::new();
                    b.hash(&mut h);
                    format!("bytes {} {:016x}", b.len(), h.finish())
                }
                Source::Symlink(t) => format!("symlink {t}"),
                Source::CharDev(a, b) => format!("chr {a}:{b}"),
            };
            m.push_str(&format!("{path} {perm:o} {what}\n"));
        }
        m
    }

    /// Writes the archive as newc cpio to `out`.
    pub fn write_cpio(&self, out: impl Write) -> Result<(), String> {
        let mut w = cpio::Writer::new(out);
        for (path, (perm, src)) in &self.entries {
            let r = match src {
                Source::Dir => w.dir(path, *perm),
                Source::File(p) => {
                    let data = fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
                    w.file(path, *perm, &data)
                }
                Source::Bytes(b) => w.file(path, *perm, b),
                Source::Symlink(t) => w.symlink(path, t),
                Source::CharDev(a, b) => w.char_dev(path, *perm, *a, *b),
            };
            r.map_err(|e| format!("writing {path} to the initramfs: {e}"))?;
        }
        w.finish()
            .map_err(|e| format!("writing the initramfs: {e}"))?;
        Ok(())
    }

    /// Writes `out` (zstd-compressed cpio) unless `out` exists and was built from the same
    /// manifest. Returns whether it wrote.
    pub fn build(&self, out: &Path) -> Result<bool, String> {
        let manifest_path = out.with_extension("manifest");
        let manifest = self.manifest();
        if out.exists() && fs::read_to_string(&manifest_path).ok().as_deref() == Some(&manifest) {
            return Ok(false);
        }
        let _ = fs::remove_file(&manifest_path);
        let tmp = out.with_extension("tmp");
        let mut child = Command::new("zstd")
            .args(["-q", "-T0", "-3", "-f", "-o"])
            .arg(&tmp)
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run zstd: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let written = self.write_cpio(BufWriter::with_capacity(1 << 20, stdin));
        let status = child.wait().map_err(|e| format!("zstd: {e}"))?;
        written?;
        if !status.success() {
            return Err(format!("zstd failed: {status}"));
        }
        fs::rename(&tmp, out).map_err(|e| format!("{}: {e}", out.display()))?;
        fs::write(&manifest_path, manifest)
            .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
        Ok(true)
    }
}

/// The libraries `ldd` names (the loader included), as absolute paths.
pub fn parse_ldd(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| {
            let l = l.trim();
            let path = match l.split_once("=>") {
                Some((_, rest)) => rest.trim(),
                None => l,
            };
            let path = path.split(" (").next().unwrap_or("").trim();
            path.starts_with('/').then(|| path.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_are_implied_and_sorted_first() {
        let mut img = Image::default();
        img.bytes("/usr/lib/x/liba.so", "a", 0o644);
        img.symlink("bin/sh", "busybox");
        let m = img.manifest();
        let paths: Vec<&str> = m.lines().map(|l| l.split(' ').next().unwrap()).collect();
        assert_eq!(
            paths,
            [
                "/bin",
                "/bin/sh",
                "/usr",
                "/usr/lib",
                "/usr/lib/x",
                "/usr/lib/x/liba.so"
            ]
        );
        assert!(img.contains("usr/lib"));
    }

    #[test]
    fn manifest_changes_with_content() {
        let mut a = Image::default();
        a.bytes("init", "one", 0o755);
        let mut b = Image::default();
        b.bytes("init", "two", 0o755);
        assert_ne!(a.manifest(), b.manifest());
        let mut c = Image::default();
        c.bytes("init", "one", 0o755);
        assert_eq!(a.manifest(), c.manifest());
    }

    #[test]
    fn cpio_holds_every_entry() {
        let mut img = Image::default();
        img.bytes("init", "#!/bin/sh\n", 0o755);
        img.char_dev("dev/console", 0o600, 5, 1);
        let mut out = Vec::new();
        img.write_cpio(&mut out).unwrap();
        let text = String::from_utf8_lossy(&out);
        for name in [
            "dev\0",
            "dev/console\0",
            "init\0",
            "#!/bin/sh",
            "TRAILER!!!\0",
        ] {
            assert!(text.contains(name), "{name:?} missing");
        }
    }

    #[test]
    fn ldd_output() {
        let out = "\tlinux-vdso.so.1 (0x00007ffd)\n\
                   \tlibaio.so.1 => /lib/x86_64-linux-gnu/libaio.so.1 (0x00007f)\n\
                   \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\
                   \t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n";
        assert_eq!(
            parse_ldd(out),
            [
                "/lib/x86_64-linux-gnu/libaio.so.1",
                "/lib/x86_64-linux-gnu/libc.so.6",
                "/lib64/ld-linux-x86-64.so.2"
            ]
        );
    }
}
