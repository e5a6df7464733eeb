//! apt, used two ways: on the host (install QEMU, fio, nvme-cli; download packages) and through a
//! private configuration under `target/vm/apt/<suite>` that reaches a suite the host does not list
//! (bookworm-backports) without touching the host's apt state.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util;

const HOST_SOURCES: [&str; 2] = [
    "/etc/apt/sources.list.d/debian.sources",
    "/etc/apt/sources.list",
];
const DEFAULT_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";

/// A Debian archive the host already uses: its URI and the keyring that signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    pub uri: String,
    pub signed_by: Option<String>,
}

/// Whether a sources entry's suite is `wanted`; `"*"` takes any suite but the security ones
/// (another host release still names the same archive).
fn suite_matches(suite: &str, wanted: &str) -> bool {
    if wanted == "*" {
        !suite.contains("security")
    } else {
        suite == wanted
    }
}

/// Finds the mirror configured for `suite` in deb822 text (`debian.sources`): the first URI of
/// the first `Types: deb` stanza whose `Suites` names it.
pub fn parse_deb822(text: &str, suite: &str) -> Option<Mirror> {
    for stanza in text.split("\n\n") {
        let mut types = "";
        let mut uris = "";
        let mut suites = "";
        let mut signed_by = None;
        for line in stanza.lines() {
            let line = line.trim_end();
            if line.starts_with('#') || line.starts_with(' ') || line.starts_with('\t') {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key.trim().to_ascii_lowercase().as_str() {
                "types" => types = value,
                "uris" => uris = value,
                "suites" => suites = value,
                "signed-by" if value.starts_with('/') => signed_by = Some(value.to_string()),
                "enabled" if value.eq_ignore_ascii_case("no") => types = "",
                _ => {}
            }
        }
        if types.split_whitespace().any(|t| t == "deb")
            && suites.split_whitespace().any(|s| suite_matches(s, suite))
        {
            if let Some(uri) = uris.split_whitespace().next() {
                return Some(Mirror {
                    uri: uri.to_string(),
                    signed_by,
                });
            }
        }
    }
    None
}

/// Finds the mirror configured for `suite` in one-line `sources.list` text
/// (`deb [options] URI suite components…`).
pub fn parse_one_line(text: &str, suite: &str) -> Option<Mirror> {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let rest = rest.trim_start();
        let (options, rest) = match rest.strip_prefix('[') {
            Some(r) => match r.split_once(']') {
                Some((o, r)) => (o, r),
                None => continue,
            },
            None => ("", rest),
        };
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(s)) = (words.next(), words.next()) else {
            continue;
        };
        if suite_matches(s, suite) {
            let signed_by = options
                .split_whitespace()
                .find_map(|o| o.strip_prefix("signed-by="))
                .map(str::to_string);
            return Some(Mirror {
                uri: uri.to_string(),
                signed_by,
            });
        }
    }
    None
}

/// The host's mirror for `suite`, read from its apt sources; failing that, the mirror of any
/// other (non-security) suite the host lists.
pub fn host_mirror(suite: &str) -> Result<Mirror, String> {
    for wanted in [suite, "*"] {
        for path in HOST_SOURCES {
            let Ok(text) = fs::read_to_string(path) else {
                continue;
            };
            let found = if path.ends_with(".sources") {
                parse_deb822(&text, wanted)
            } else {
                parse_one_line(&text, wanted)
            };
            if let Some(m) = found {
                return Ok(m);
            }
        }
    }
    Err(format!(
        "no apt source for `{suite}` in {}: the guest kernel comes from Debian {suite}",
        HOST_SOURCES.join(" or ")
    ))
}

/// The `linux-image-…` package a `linux-image-amd64` metapackage's `apt-cache show` names in
/// its `Depends`.
pub fn parse_kernel_depends(show: &str) -> Option<String> {
    show.lines()
        .filter_map(|l| l.strip_prefix("Depends:"))
        .flat_map(|d| d.split(','))
        .map(|d| d.split_whitespace().next().unwrap_or(""))
        .find(|p| p.starts_with("linux-image-") && p != &"linux-image-amd64")
        .map(str::to_string)
}

/// Every package a `Depends:` field names (first alternative of each), in order.
pub fn parse_depends(show: &str) -> Vec<String> {
    show.lines()
        .filter_map(|l| l.strip_prefix("Depends:"))
        .take(1)
        .flat_map(|d| d.split(','))
        .filter_map(|d| d.split('|').next())
        .filter_map(|d| d.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The `Version:` field of `apt-cache show` output.
pub fn parse_version(show: &str) -> Option<String> {
    show.lines()
        .find_map(|l| l.strip_prefix("Version:"))
        .map(|v| v.trim().to_string())
}

/// A private apt configuration that sees exactly one suite of the host's mirror.
#[derive(Debug)]
pub struct PrivateApt {
    dir: PathBuf,
}

impl PrivateApt {
    /// Writes the configuration under `dir` for `suite` (component `main`) of `mirror`.
    pub fn new(dir: &Path, mirror: &Mirror, suite: &str) -> Result<Self, String> {
        for d in ["lists/partial", "cache/archives/partial", "download"] {
            fs::create_dir_all(dir.join(d)).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let keyring = mirror.signed_by.as_deref().unwrap_or(DEFAULT_KEYRING);
        let sources = format!("deb [signed-by={keyring}] {} {suite} main\n", mirror.uri);
        let d = dir.display();
        let conf = format!(
            "Dir::Etc::SourceList \"{d}/sources.list\";\n\
             Dir::Etc::SourceParts \"/dev/null\";\n\
             Dir::Etc::PreferencesParts \"/dev/null\";\n\
             Dir::State::Lists \"{d}/lists\";\n\
             Dir::Cache \"{d}/cache\";\n\
             Dir::State::status \"/dev/null\";\n\
             Acquire::Languages \"none\";\n\
             APT::Sandbox::User \"root\";\n"
        );
        write(&dir.join("sources.list"), &sources)?;
        write(&dir.join("apt.conf"), &conf)?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("APT_CONFIG", self.dir.join("apt.conf"));
        c.env("DEBIAN_FRONTEND", "noninteractive");
        c
    }

    /// `apt-get update` of the private lists.
    pub fn update(&self) -> Result<(), String> {
        let mut c = self.cmd("apt-get");
        c.args(["-q", "update"]);
        util::run(c)
    }

    /// `apt-cache show` of the candidate version of `pkg`.
    pub fn show(&self, pkg: &str) -> Result<String, String> {
        let mut c = self.cmd("apt-cache");
        c.args(["show", "--no-all-versions", pkg]);
        util::output(c)
    }

    /// Downloads `pkg` (exact name) into this configuration's download folder; returns the .deb.
    pub fn download(&self, pkg: &str) -> Result<PathBuf, String> {
        download_into(self.cmd("apt-get"), &self.dir.join("download"), pkg)
    }

    /// Downloads `pkgs` and everything they depend on (no recommends) as if onto an empty
    /// system (the dpkg status is empty), into this configuration's cache; returns every .deb
    /// there. Nothing is installed.
    pub fn download_closure(&self, pkgs: &[&str]) -> Result<Vec<PathBuf>, String> {
        let archives = self.dir.join("cache/archives");
        remove_debs(&archives, "");
        let mut c = self.cmd("apt-get");
        c.args(["-q", "-y", "--no-install-recommends", "--download-only"])
            .args(["-o", "Debug::NoLocking=1", "install"])
            .args(pkgs);
        util::run(c)?;
        let mut debs: Vec<PathBuf> = fs::read_dir(&archives)
            .map_err(|e| format!("{}: {e}", archives.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "deb"))
            .collect();
        debs.sort();
        Ok(debs)
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// `apt-get download pkg` in `dir` (emptied of older copies of `pkg` first); returns the .deb.
fn download_into(mut c: Command, dir: &Path, pkg: &str) -> Result<PathBuf, String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let prefix = format!("{pkg}_");
    remove_debs(dir, &prefix);
    c.current_dir(dir).args(["-q", "download", pkg]);
    util::run(c)?;
    find_deb(dir, &prefix).ok_or_else(|| format!("apt-get download {pkg} left no .deb"))
}

fn remove_debs(dir: &Path, prefix: &str) {
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix) && name.ends_with(".deb") {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

fn find_deb(dir: &Path, prefix: &str) -> Option<PathBuf> {
    fs::read_dir(dir).ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        (name.starts_with(prefix) && name.ends_with(".deb")).then(|| e.path())
    })
}

/// The host's apt, refreshing its lists at most once per xtask run.
#[derive(Debug, Default)]
pub struct HostApt {
    updated: bool,
}

impl HostApt {
    fn cmd(program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("DEBIAN_FRONTEND", "noninteractive");
        // Wait for another apt or dpkg (the machine is shared) instead of failing at once.
        c.args(["-o", "DPkg::Lock::Timeout=300"]);
        c
    }

    fn update(&mut self) -> Result<(), String> {
        if !self.updated {
            self.updated = true;
            let mut c = Self::cmd("apt-get");
            c.args(["-q", "update"]);
            util::run(c)?;
        }
        Ok(())
    }

    /// Runs `attempt`; when it fails and the lists were not refreshed yet, refreshes and retries.
    fn with_update<T>(
        &mut self,
        mut attempt: impl FnMut() -> Result<T, String>,
    ) -> Result<T, String> {
        match attempt() {
            Ok(v) => Ok(v),
            Err(e) if self.updated => Err(e),
            Err(_) => {
                self.update()?;
                attempt()
            }
        }
    }

    /// Installs packages on the host (`--no-install-recommends`).
    pub fn install(&mut self, pkgs: &[&str]) -> Result<(), String> {
        self.with_update(|| {
            let mut c = Self::cmd("apt-get");
            c.args(["-q", "-y", "install", "--no-install-recommends"])
                .args(pkgs);
            util::run(c)
        })
    }

    /// Installs `pkgs` on the host from `suite` (e.g. bookworm-backports, which the host need not
    /// list), through a source list under `dir` that holds the host's own sources plus one line
    /// for `suite` on the host's mirror, and lists of its own (the host's stay as they are).
    /// `--no-remove` makes apt refuse a plan that would remove (so downgrade) anything.
    pub fn install_from(
        &mut self,
        dir: &Path,
        mirror: &Mirror,
        suite: &str,
        pkgs: &[&str],
    ) -> Result<(), String> {
        fs::create_dir_all(dir.join("lists/partial"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let keyring = mirror.signed_by.as_deref().unwrap_or(DEFAULT_KEYRING);
        let mut sources = fs::read_to_string(HOST_SOURCES[1]).unwrap_or_default();
        sources.push_str(&format!(
            "\ndeb [signed-by={keyring}] {} {suite} main\n",
            mirror.uri
        ));
        write(&dir.join("sources.list"), &sources)?;
        let opts = [
            format!(
                "Dir::Etc::SourceList={}",
                dir.join("sources.list").display()
            ),
            format!("Dir::State::Lists={}", dir.join("lists").display()),
        ];
        let apt = |args: &[&str]| {
            let mut c = Self::cmd("apt-get");
            for o in &opts {
                c.args(["-o", o]);
            }
            c.args(["-q"]).args(args);
            c
        };
        util::run(apt(&["update"]))?;
        let mut args = vec!["-y", "--no-install-recommends", "--no-remove", "-t", suite];
        args.push("install");
        args.extend(pkgs);
        util::run(apt(&args))
    }

    /// Downloads a package without installing it; returns the .deb.
    pub fn download(&mut self, dir: &Path, pkg: &str) -> Result<PathBuf, String> {
        self.with_update(|| {
            let mut c = Self::cmd("apt-get");
            c.args(["-o", "APT::Sandbox::User=root"]);
            download_into(c, dir, pkg)
        })
    }
}

/// Unpacks a .deb's files into `dir`, beside what is there.
pub fn extract(deb: &Path, dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut c = Command::new("dpkg-deb");
    c.arg("-x").arg(deb).arg(dir);
    util::run(c)
}

/// Unpacks a .deb's files into `dir` (fresh).
pub fn unpack(deb: &Path, dir: &Path) -> Result<(), String> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut c = Command::new("dpkg-deb");
    c.arg("-x").arg(deb).arg(dir);
    util::run(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEB822: &str = "\
Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
";

    #[test]
    fn deb822_finds_the_suite_and_skips_comments() {
        let m = parse_deb822(DEB822, "bookworm").unwrap();
        assert_eq!(m.uri, "http://mirror.example/debian");
        assert_eq!(
            m.signed_by.as_deref(),
            Some("/usr/share/keyrings/debian-archive-keyring.gpg")
        );
        let s = parse_deb822(DEB822, "bookworm-security").unwrap();
        assert_eq!(s.uri, "http://mirror.example/debian-security");
        assert_eq!(s.signed_by, None);
        assert_eq!(parse_deb822(DEB822, "trixie"), None);
        // Another release's host: any non-security suite gives the archive.
        let trixie = DEB822.replace("bookworm", "trixie");
        assert_eq!(
            parse_deb822(&trixie, "*").unwrap().uri,
            "http://mirror.example/debian"
        );
        let only_security = "Types: deb\nURIs: http://s/\nSuites: trixie-security\n";
        assert_eq!(parse_deb822(only_security, "*"), None);
    }

    #[test]
    fn deb822_ignores_disabled_and_deb_src() {
        let text = "Types: deb-src\nURIs: http://a/\nSuites: bookworm\n\n\
                    Types: deb\nURIs: http://b/\nSuites: bookworm\nEnabled: no\n\n\
                    Types: deb\nURIs: http://c/ http://d/\nSuites: bookworm\n";
        assert_eq!(parse_deb822(text, "bookworm").unwrap().uri, "http://c/");
    }

    #[test]
    fn one_line_sources() {
        let text = "# deb http://old/ bookworm main\n\
                    deb-src http://src/ bookworm main\n\
                    deb [arch=amd64 signed-by=/k.gpg] http://m/debian bookworm main contrib\n";
        let m = parse_one_line(text, "bookworm").unwrap();
        assert_eq!(m.uri, "http://m/debian");
        assert_eq!(m.signed_by.as_deref(), Some("/k.gpg"));
        assert_eq!(
            parse_one_line("deb http://x/ bookworm-updates main", "bookworm"),
            None
        );
    }

    #[test]
    fn kernel_metapackage_depends() {
        let show = "Package: linux-image-amd64\nVersion: 6.12.95-1~bpo12+1\n\
                    Depends: linux-image-6.12.95+deb12-amd64 (= 6.12.95-1~bpo12+1)\n";
        assert_eq!(
            parse_kernel_depends(show).as_deref(),
            Some("linux-image-6.12.95+deb12-amd64")
        );
        assert_eq!(parse_version(show).as_deref(), Some("6.12.95-1~bpo12+1"));
        assert_eq!(parse_kernel_depends("Depends: libc6\n"), None);
    }
}
