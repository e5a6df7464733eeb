//! The host's NVMe Qualified Name and Host Identifier as nvme-cli 2.13
//! (libnvme 1.13) finds them: `LIBNVME_HOSTNQN` / `LIBNVME_HOSTID` when set
//! (set to the empty string: none), else `/etc/nvme/hostnqn` and
//! `/etc/nvme/hostid`; a missing Host ID is the UUID in the NQN, else the
//! system's (DMI `product_uuid`, the SMBIOS type 1 table, the device tree),
//! else a random version 4 UUID; a missing NQN is
//! `nqn.2014-08.org.nvmexpress:uuid:<Host ID>` (NVMe Base spec 2.1, 4.7,
//! "NVMe Qualified Names": the UUID form).
//!
//! [`HostConfig`] takes a root so tests can point it at a fixture tree.

use std::path::{Path, PathBuf};

/// The prefix of an NQN made from a UUID.
pub const UUID_NQN_PREFIX: &str = "nqn.2014-08.org.nvmexpress:uuid:";

/// Where the host's identity comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostConfig {
    root: PathBuf,
    hostnqn_env: Option<String>,
    hostid_env: Option<String>,
}

/// A host's NQN and Host Identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIds {
    /// Host NQN.
    pub hostnqn: String,
    /// Host Identifier, as a UUID string.
    pub hostid: String,
}

/// The first line of a file, without its newline; `None` when the file is
/// missing or that line is empty.
fn first_line(p: &Path) -> Option<String> {
    let s = std::fs::read_to_string(p).ok()?;
    let line = s.split('\n').next().unwrap_or("");
    (!line.is_empty()).then(|| line.to_string())
}

/// `LIBNVME_*`'s rule: set and empty means "none", set means that value.
fn from_env(v: &Option<String>) -> Option<Option<String>> {
    v.as_ref().map(|s| (!s.is_empty()).then(|| s.clone()))
}

/// A UUID string (8-4-4-4-12 lower-case hex) of 16 bytes in order.
pub fn uuid_string(b: &[u8; 16]) -> String {
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

impl HostConfig {
    /// The live system, with `LIBNVME_HOSTNQN` and `LIBNVME_HOSTID` from the
    /// environment.
    pub fn from_env(root: impl Into<PathBuf>) -> Self {
        HostConfig {
            root: root.into(),
            hostnqn_env: std::env::var("LIBNVME_HOSTNQN").ok(),
            hostid_env: std::env::var("LIBNVME_HOSTID").ok(),
        }
    }

    /// A tree under `root` and the given environment values.
    pub fn at(
        root: impl Into<PathBuf>,
        hostnqn_env: Option<String>,
        hostid_env: Option<String>,
    ) -> Self {
        HostConfig {
            root: root.into(),
            hostnqn_env,
            hostid_env,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// The configured Host NQN (`show-hostnqn`'s first choice).
    pub fn hostnqn_from_file(&self) -> Option<String> {
        from_env(&self.hostnqn_env).unwrap_or_else(|| first_line(&self.path("etc/nvme/hostnqn")))
    }

    /// The configured Host Identifier.
    pub fn hostid_from_file(&self) -> Option<String> {
        from_env(&self.hostid_env).unwrap_or_else(|| first_line(&self.path("etc/nvme/hostid")))
    }

    /// The system's UUID: DMI `product_uuid` (the kernel hides an all-zero
    /// or all-ones one), else the SMBIOS System Information (type 1) entry's
    /// UUID (bytes 8..24, the first three fields little-endian, SMBIOS 3.0
    /// 7.2.1), else the IBM device tree's partition UUID.
    pub fn system_uuid(&self) -> Option<String> {
        if let Ok(s) = std::fs::read_to_string(self.path("sys/class/dmi/id/product_uuid")) {
            // A UUID and its newline, nothing else.
            if s.len() == 37 && s.ends_with('\n') {
                return Some(s[..36].to_string());
            }
        }
        let entries = self.path("sys/firmware/dmi/entries");
        let mut names: Vec<_> = std::fs::read_dir(&entries)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.'))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        for n in names {
            let ty = std::fs::read_to_string(entries.join(&n).join("type")).unwrap_or_default();
            if ty.trim().parse::<u32>() != Ok(1) {
                continue;
            }
            let Ok(raw) = std::fs::read(entries.join(&n).join("raw")) else {
                continue;
            };
            if raw.len() < 24 || raw[8..24].iter().all(|&b| b == 0) {
                continue;
            }
            let u = &raw[8..24];
            let b = [
                u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12],
                u[13], u[14], u[15],
            ];
            return Some(uuid_string(&b));
        }
        let dt = std::fs::read(self.path("proc/device-tree/ibm,partition-uuid")).ok()?;
        let s: String = String::from_utf8_lossy(&dt)
            .chars()
            .take_while(|&c| c != '\0')
            .take(36)
            .collect();
        (!s.is_empty()).then_some(s)
    }

    /// A new Host Identifier: the system's UUID, else a random version 4
    /// UUID (RFC 9562, 5.4) from `/dev/urandom`.
    pub fn generate_hostid(&self) -> std::io::Result<String> {
        if let Some(u) = self.system_uuid() {
            return Ok(u);
        }
        let mut b = [0u8; 16];
        use std::io::Read;
        std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        Ok(uuid_string(&b))
    }

    /// `gen-hostnqn`: the UUID NQN of a new Host Identifier.
    pub fn generate_hostnqn(&self) -> std::io::Result<String> {
        Ok(format!("{UUID_NQN_PREFIX}{}", self.generate_hostid()?))
    }

    /// The host a PCIe controller belongs to (libnvme's default host): the
    /// configured NQN and ID, each derived from the other when only one is
    /// configured, generated when neither is.
    pub fn default_ids(&self) -> std::io::Result<HostIds> {
        let nqn = self.hostnqn_from_file();
        let id = match self.hostid_from_file() {
            Some(id) => id,
            None => match nqn.as_deref().and_then(hostid_of_nqn) {
                Some(id) => id.to_string(),
                None => self.generate_hostid()?,
            },
        };
        let hostnqn = nqn.unwrap_or_else(|| format!("{UUID_NQN_PREFIX}{id}"));
        Ok(HostIds {
            hostnqn,
            hostid: id,
        })
    }
}

/// The UUID in a UUID-form NQN: what follows its `uuid:`.
pub fn hostid_of_nqn(nqn: &str) -> Option<&str> {
    nqn.find("uuid:").map(|i| &nqn[i + 5..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &[u8])]) -> tempdir::Dir {
        let d = tempdir::Dir::new();
        for (p, c) in files {
            let p = d.0.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, c).unwrap();
        }
        d
    }

    /// A scratch directory removed on drop (no extra dependency).
    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicU32, Ordering};
                static N: AtomicU32 = AtomicU32::new(0);
                let p = std::env::temp_dir().join(format!(
                    "nvmeq-host-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    const UUID: &str = "0b0a0908-0d0c-0f0e-1011-121314151617";

    #[test]
    fn configured_files_and_environment() {
        let d = tree(&[
            (
                "etc/nvme/hostnqn",
                b"nqn.2014-08.org.nvmexpress:uuid:abc\nignored\n",
            ),
            ("etc/nvme/hostid", b"1234\n"),
        ]);
        let c = HostConfig::at(&d.0, None, None);
        assert_eq!(
            c.hostnqn_from_file().as_deref(),
            Some("nqn.2014-08.org.nvmexpress:uuid:abc")
        );
        assert_eq!(
            c.default_ids().unwrap(),
            HostIds {
                hostnqn: "nqn.2014-08.org.nvmexpress:uuid:abc".into(),
                hostid: "1234".into()
            }
        );
        // The environment wins; set empty, it means "none".
        let c = HostConfig::at(&d.0, Some("nqn.x:y".into()), Some(String::new()));
        assert_eq!(c.hostnqn_from_file().as_deref(), Some("nqn.x:y"));
        assert_eq!(c.hostid_from_file(), None);
        let c = HostConfig::at(&d.0, Some(String::new()), None);
        assert_eq!(c.hostnqn_from_file(), None);
    }

    #[test]
    fn id_from_nqn_and_nqn_from_id() {
        let d = tree(&[(
            "etc/nvme/hostnqn",
            b"nqn.2014-08.org.nvmexpress:uuid:feed\n",
        )]);
        let ids = HostConfig::at(&d.0, None, None).default_ids().unwrap();
        assert_eq!(ids.hostid, "feed");
        let d = tree(&[("etc/nvme/hostid", b"beef\n")]);
        let ids = HostConfig::at(&d.0, None, None).default_ids().unwrap();
        assert_eq!(ids.hostnqn, "nqn.2014-08.org.nvmexpress:uuid:beef");
    }

    #[test]
    fn system_uuid_sources_in_order() {
        let mut raw = vec![1u8, 27, 0, 0, 0, 0, 0, 0];
        raw.extend(8u8..24);
        let d = tree(&[
            ("sys/firmware/dmi/entries/0-0/type", b"0\n"),
            ("sys/firmware/dmi/entries/0-0/raw", &[0; 30]),
            ("sys/firmware/dmi/entries/1-0/type", b"1\n"),
            ("sys/firmware/dmi/entries/1-0/raw", &raw),
        ]);
        let c = HostConfig::at(&d.0, None, None);
        assert_eq!(c.system_uuid().as_deref(), Some(UUID));
        assert_eq!(
            c.generate_hostnqn().unwrap(),
            format!("{UUID_NQN_PREFIX}{UUID}")
        );
        // product_uuid first, when it is a whole UUID line.
        let p = "sys/class/dmi/id/product_uuid";
        std::fs::create_dir_all(d.0.join("sys/class/dmi/id")).unwrap();
        std::fs::write(d.0.join(p), "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee\n").unwrap();
        assert_eq!(
            c.system_uuid().as_deref(),
            Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
        );
        std::fs::write(d.0.join(p), "short\n").unwrap();
        assert_eq!(c.system_uuid().as_deref(), Some(UUID));
        // An all-zero SMBIOS UUID is no UUID.
        let d = tree(&[
            ("sys/firmware/dmi/entries/1-0/type", b"1\n"),
            ("sys/firmware/dmi/entries/1-0/raw", &[0; 24]),
            ("proc/device-tree/ibm,partition-uuid", b"dt-uuid\0"),
        ]);
        let c = HostConfig::at(&d.0, None, None);
        assert_eq!(c.system_uuid().as_deref(), Some("dt-uuid"));
    }

    #[test]
    fn random_uuids_are_version_4() {
        let d = tree(&[]);
        let c = HostConfig::at(&d.0, None, None);
        let a = c.generate_hostid().unwrap();
        let b = c.generate_hostid().unwrap();
        assert_ne!(a, b);
        for u in [&a, &b] {
            assert_eq!(u.len(), 36, "{u}");
            assert_eq!(&u[14..15], "4", "{u}");
            assert!("89ab".contains(&u[19..20]), "{u}");
            assert_eq!(
                u.match_indices('-').map(|(i, _)| i).collect::<Vec<_>>(),
                [8, 13, 18, 23]
            );
        }
    }
}
