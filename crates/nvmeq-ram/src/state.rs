//! The controller's whole state in a file (`ram:SIZE,file=PATH`): loaded
//! when the controller opens, written back when it drops, on every Flush
//! command and on [`RamController::save`], so a sequence of processes sees
//! one controller.
//!
//! # The file
//!
//! A 32-byte header, then the payload:
//!
//! | Offset | Bytes | Field |
//! |-------:|------:|-------|
//! | 0      | 8     | magic `NVMEQRAM` |
//! | 8      | 4     | format version, little endian ([`STATE_VERSION`]) |
//! | 12     | 4     | reserved, 0 |
//! | 16     | 8     | payload length in bytes |
//! | 24     | 8     | CRC-64/XZ of the payload |
//!
//! The payload holds, in order, the configuration the namespaces were made
//! with, every NSID's namespace (allocation, attachment, size, and the
//! non-zero chunks of its data and metadata), SMART counters, the Error
//! Information log, features, the self-test, telemetry capture, persistent
//! event log, Changed Namespace List, Changed Allocated Namespace List
//! (from version 2), firmware slots and staged image, the last sanitize,
//! and (from version 2) the RPMB keys, counters, data and Device
//! Configuration Block. Version 1 files still load, with that list empty
//! and RPMB as a new controller has it. Integers are little endian; byte
//! strings carry a u32
//! length. The format is this crate's own rather than a serde encoding:
//! most of the state is already spec layouts with fixed bytes, and the
//! reader checks every value as it goes.
//!
//! # Writing and locking
//!
//! A save writes `PATH.tmp`, syncs it, renames it over `PATH` and syncs the
//! directory, so a crash leaves the old file or the new one, never half of
//! either. An open takes an exclusive advisory lock on `PATH.lock` (a
//! separate file, because the rename replaces `PATH`'s inode) for as long
//! as the controller lives; a second process gets [`StateErrorKind::InUse`].
//! A file that fails to open is left as it is.

pub(crate) mod codec;
#[cfg(test)]
mod tests;

use core::fmt;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nvmeq_core::pi::{Pi, PiLocation, PiType, Pif};
use zerocopy::byteorder::little_endian::{U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use crate::config::{ConfigError, RamConfig};
use crate::controller::{Features, Namespace, RamController};
use crate::event_log::EventLog;
use crate::firmware::Firmware;
use crate::health::{ErrorLog, Smart};
use crate::media::Media;
use crate::sanitize::SanitizeRecord;
use crate::self_test::SelfTest;
use crate::telemetry::Telemetry;
use codec::{Bad, Dec, Enc};

/// The first bytes of every state file.
pub const STATE_MAGIC: [u8; 8] = *b"NVMEQRAM";
/// The format version this build writes and the newest it reads. Version
/// 2 added the Changed Allocated Namespace List and RPMB.
pub const STATE_VERSION: u32 = 2;
/// The oldest format version this build reads.
const OLDEST_VERSION: u32 = 1;
/// The header before the payload, as the table above lays it out.
#[derive(Debug, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
struct Header {
    magic: [u8; 8],
    version: U32,
    reserved: U32,
    len: U64,
    crc: U64,
}

/// Bytes of the header before the payload.
const HEADER: usize = size_of::<Header>();
const _: () = assert!(HEADER == 32);

/// CRC-64/XZ, the payload's checksum.
fn crc64(bytes: &[u8]) -> u64 {
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Xz, bytes)
}

/// Why a state file cannot be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateErrorKind {
    /// Reading, writing or locking the file failed.
    Io(io::Error),
    /// Another process has the file open (its lock is held).
    InUse,
    /// The file does not start with [`STATE_MAGIC`]: not a ram state file.
    Foreign,
    /// The file is shorter than its header says.
    Truncated {
        /// Bytes in the file.
        len: u64,
        /// Bytes the header calls for.
        need: u64,
    },
    /// The file is longer than its header says.
    TrailingBytes {
        /// Bytes in the file.
        len: u64,
        /// Bytes the header calls for.
        need: u64,
    },
    /// A format version this build does not read.
    Version(u32),
    /// The payload's checksum does not match the header's.
    Checksum,
    /// The checksum matches but a value is inconsistent.
    Corrupt(&'static str),
    /// The controller in the file was made with a different configuration.
    Mismatch {
        /// The option (as the `ram:` device string spells it).
        option: &'static str,
        /// The file's value.
        file: String,
        /// The value asked for.
        given: String,
    },
    /// The configuration asked for is not one the controller models.
    Config(ConfigError),
}

/// What to do about a file that is damaged or another format's: it was
/// left as it is, so it can be kept for a look or removed.
const START_AFRESH: &str =
    "it was left as it is; delete it to start a new controller there, or give another file=PATH";

impl fmt::Display for StateErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateErrorKind::Io(e) => write!(f, "{e}"),
            StateErrorKind::InUse => f.write_str(
                "in use by another process (its lock is held): close that process, \
                 or give another file=PATH",
            ),
            StateErrorKind::Foreign => f.write_str(
                "not an nvmeq ram state file (no NVMEQRAM magic): it was left as it is; \
                 give file= a path that is new or an nvmeq state file",
            ),
            StateErrorKind::Truncated { len, need } => write!(
                f,
                "truncated: {len} bytes, the header calls for {need}: {START_AFRESH}"
            ),
            StateErrorKind::TrailingBytes { len, need } => write!(
                f,
                "corrupt: {len} bytes, the header calls for {need} (trailing bytes): \
                 {START_AFRESH}"
            ),
            StateErrorKind::Version(v) if *v > STATE_VERSION => write!(
                f,
                "format version {v} is newer than this build reads ({STATE_VERSION}): \
                 use a newer nvmeq"
            ),
            StateErrorKind::Version(v) => write!(
                f,
                "format version {v} is not one nvmeq wrote: {START_AFRESH}"
            ),
            StateErrorKind::Checksum => write!(
                f,
                "corrupt: the checksum does not match the contents: {START_AFRESH}"
            ),
            StateErrorKind::Corrupt(why) => write!(f, "corrupt: {why}: {START_AFRESH}"),
            StateErrorKind::Mismatch {
                option,
                file,
                given,
            } => write!(
                f,
                "the controller in it has {option}={file}, not {option}={given}: \
                 give the options it was made with, or another file"
            ),
            StateErrorKind::Config(e) => write!(f, "{e}"),
        }
    }
}

/// A state file that cannot be used, and why.
#[derive(Debug)]
pub struct StateError {
    /// The state file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: StateErrorKind,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "state file {}: {}", self.path.display(), self.kind)
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            StateErrorKind::Io(e) => Some(e),
            StateErrorKind::Config(e) => Some(e),
            _ => None,
        }
    }
}

/// The file a controller lives in, and the lock that makes it this
/// process's.
#[derive(Debug)]
pub(crate) struct Backing {
    path: PathBuf,
    /// Held (flock, exclusive) until dropped.
    _lock: File,
}

/// `PATH` with `suffix` appended to its file name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = OsString::from(path.as_os_str());
    s.push(suffix);
    s.into()
}

/// An I/O error with what was being done to which file in front, so the
/// message says which of the state file's siblings failed (its kind stays).
fn doing<'a>(what: &'a str, file: Option<&'a Path>) -> impl FnOnce(io::Error) -> io::Error + 'a {
    move |e| {
        let msg = match file {
            Some(p) => format!("{what} {}: {e}", p.display()),
            None => format!("{what}: {e}"),
        };
        io::Error::new(e.kind(), msg)
    }
}

fn lock(path: &Path) -> Result<File, StateErrorKind> {
    let lock = sibling(path, ".lock");
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock)
        .map_err(doing("cannot open its lock file", Some(&lock)))
        .map_err(StateErrorKind::Io)?;
    match rustix::fs::flock(&f, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(f),
        Err(rustix::io::Errno::WOULDBLOCK) => Err(StateErrorKind::InUse),
        Err(e) => Err(StateErrorKind::Io(doing("cannot lock", Some(&lock))(
            e.into(),
        ))),
    }
}

impl RamController {
    /// The controller kept in `path`: loaded from it if it exists, else new
    /// with `cfg` (the file is written on the first save). The file must
    /// hold a controller made with `cfg` (the queue depth aside, which is
    /// the host's); its state is written back when the controller drops
    /// and on [`save`](Self::save). While it lives no other process can
    /// open the file.
    pub fn open_file(cfg: RamConfig, path: impl Into<PathBuf>) -> Result<Self, StateError> {
        let path = path.into();
        let err = |kind| StateError {
            path: path.clone(),
            kind,
        };
        cfg.validate().map_err(|e| err(StateErrorKind::Config(e)))?;
        let lock = lock(&path).map_err(err)?;
        let mut c = match fs::read(&path) {
            Ok(bytes) => RamController::from_state(cfg, &bytes).map_err(err)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                RamController::new(cfg).map_err(|e| err(StateErrorKind::Config(e)))?
            }
            Err(e) => return Err(err(StateErrorKind::Io(doing("cannot read it", None)(e)))),
        };
        c.backing = Some(Backing { path, _lock: lock });
        Ok(c)
    }

    /// The state file, if the controller has one.
    pub fn state_path(&self) -> Option<&Path> {
        self.backing.as_ref().map(|b| b.path.as_path())
    }

    /// Writes the whole state to the state file now, atomically and
    /// durably; nothing without one.
    pub fn save(&self) -> Result<(), StateError> {
        let Some(b) = &self.backing else {
            return Ok(());
        };
        let err = |e| StateError {
            path: b.path.clone(),
            kind: StateErrorKind::Io(e),
        };
        let tmp = sibling(&b.path, ".tmp");
        let write = || doing("cannot write", Some(&tmp));
        let mut f = File::create(&tmp).map_err(write()).map_err(err)?;
        f.write_all(&self.to_state())
            .and_then(|()| f.sync_all())
            .map_err(write())
            .map_err(err)?;
        drop(f);
        fs::rename(&tmp, &b.path)
            .map_err(doing("cannot replace it with", Some(&tmp)))
            .map_err(err)?;
        // The rename is durable once the directory is.
        let dir = match b.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(doing("cannot sync its directory", Some(dir)))
            .map_err(err)
    }

    /// The state file's bytes: header and payload.
    pub fn to_state(&self) -> Vec<u8> {
        let mut e = Enc(vec![0; HEADER]);
        save_config(&self.cfg, &mut e);
        e.u32(self.ns.len() as u32);
        for ns in &self.ns {
            e.bool(ns.allocated);
            e.bool(ns.attached);
            e.u64(ns.nsze);
            ns.media.save(&mut e);
            ns.meta.save(&mut e);
        }
        self.smart.save(&mut e);
        self.errors.save(&mut e);
        let f = self.features;
        e.u32(f.arbitration);
        e.bool(f.wce);
        e.u16(f.nsqa_z);
        e.u16(f.ncqa_z);
        self.self_test.save(&mut e);
        self.telemetry.save(&mut e);
        self.events.save(&mut e);
        e.u32(self.changed_ns.len() as u32);
        for &nsid in &self.changed_ns {
            e.u32(nsid);
        }
        e.u32(self.changed_alloc_ns.len() as u32);
        for &nsid in &self.changed_alloc_ns {
            e.u32(nsid);
        }
        self.firmware.save(&mut e);
        self.sanitized.save(&mut e);
        self.rpmb.save(&mut e);
        let mut out = e.0;
        let payload = &out[HEADER..];
        let h = Header {
            magic: STATE_MAGIC,
            version: STATE_VERSION.into(),
            reserved: 0.into(),
            len: (payload.len() as u64).into(),
            crc: crc64(payload).into(),
        };
        out[..HEADER].copy_from_slice(h.as_bytes());
        out
    }

    /// A controller from a state file's bytes, which must have been made
    /// with `cfg` (the queue depth aside).
    pub fn from_state(cfg: RamConfig, bytes: &[u8]) -> Result<Self, StateErrorKind> {
        let (version, payload) = check_header(bytes)?;
        let mut d = Dec::new(payload);
        let file_cfg = load_config(&mut d, cfg.queue_depth).map_err(StateErrorKind::Corrupt)?;
        mismatch(&file_cfg, &cfg)?;
        let mut c = RamController::new(cfg).map_err(StateErrorKind::Config)?;
        c.load_state(&mut d, version)
            .map_err(StateErrorKind::Corrupt)?;
        if !d.is_empty() {
            return Err(StateErrorKind::Corrupt("bytes follow the last value"));
        }
        Ok(c)
    }

    /// Everything after the configuration, into a controller made with it.
    fn load_state(&mut self, d: &mut Dec<'_>, version: u32) -> Result<(), Bad> {
        if d.u32()? as usize != self.ns.len() {
            return Err("the number of NSIDs differs from the configuration's");
        }
        let lbads = self.cfg.lba_size.trailing_zeros() as u8;
        let fmt = self.cfg.format();
        let mut used = 0u64;
        for ns in &mut self.ns {
            let (allocated, attached, nsze) = (d.bool()?, d.bool()?, d.u64()?);
            if (allocated && (nsze == 0 || nsze >> (64 - lbads as u32) != 0))
                || (!allocated && (attached || nsze != 0))
            {
                return Err("a namespace's size or attachment is inconsistent");
            }
            // Checked before the namespace's storage is read.
            used = used.saturating_add(nsze << lbads);
            if used > self.cfg.tnvmcap() {
                return Err("the namespaces take more than the total capacity");
            }
            *ns = Namespace {
                media: Media::load(nsze << lbads, d)?,
                meta: Media::load(nsze * fmt.ms as u64, d)?,
                allocated,
                attached,
                ..Namespace::new(nsze, lbads, fmt)
            };
        }
        self.smart = Smart::load(d)?;
        self.errors = ErrorLog::load(d)?;
        self.features = Features {
            arbitration: d.u32()?,
            wce: d.bool()?,
            nsqa_z: d.u16()?,
            ncqa_z: d.u16()?,
        };
        if self.features.nsqa_z >= crate::admin::MAX_IO_QUEUES
            || self.features.ncqa_z >= crate::admin::MAX_IO_QUEUES
        {
            return Err("the Number of Queues feature is above what the controller has");
        }
        self.self_test = SelfTest::load(d)?;
        self.telemetry = Telemetry::load(d)?;
        self.events = EventLog::load(d)?;
        self.changed_ns = self.nsid_list(d, "the Changed Namespace List holds an invalid NSID")?;
        self.changed_alloc_ns = match version {
            1 => Default::default(),
            _ => self.nsid_list(
                d,
                "the Changed Allocated Namespace List holds an invalid NSID",
            )?,
        };
        self.firmware = Firmware::load(d)?;
        self.sanitized = SanitizeRecord::load(d)?;
        if version >= 2 {
            self.rpmb = crate::rpmb::Rpmb::load(d)?;
        }
        Ok(())
    }

    /// A count, then that many NSIDs, each one this controller has.
    fn nsid_list(&self, d: &mut Dec<'_>, bad: Bad) -> Result<BTreeSet<u32>, Bad> {
        let mut list = BTreeSet::new();
        for _ in 0..d.u32()? {
            let nsid = d.u32()?;
            if nsid == 0 || nsid > self.cfg.nn_max() {
                return Err(bad);
            }
            list.insert(nsid);
        }
        Ok(list)
    }
}

impl Drop for RamController {
    /// Writes the state back to its file. A failure here has no caller to
    /// return to, so it is reported on stderr; call
    /// [`save`](RamController::save) first to handle it.
    fn drop(&mut self) {
        if let Err(e) = self.save() {
            eprintln!("nvmeq-ram: cannot save the controller: {e}");
        }
    }
}

/// The format version and the payload, once the header says it is whole
/// and ours.
fn check_header(bytes: &[u8]) -> Result<(u32, &[u8]), StateErrorKind> {
    let len = bytes.len() as u64;
    if !bytes.starts_with(&STATE_MAGIC) {
        return Err(StateErrorKind::Foreign);
    }
    let Ok((h, payload)) = Header::ref_from_prefix(bytes) else {
        return Err(StateErrorKind::Truncated {
            len,
            need: HEADER as u64,
        });
    };
    let version = h.version.get();
    if !(OLDEST_VERSION..=STATE_VERSION).contains(&version) {
        return Err(StateErrorKind::Version(version));
    }
    let need = (HEADER as u64).saturating_add(h.len.get());
    if len < need {
        return Err(StateErrorKind::Truncated { len, need });
    }
    if len > need {
        return Err(StateErrorKind::TrailingBytes { len, need });
    }
    if crc64(payload) != h.crc.get() {
        return Err(StateErrorKind::Checksum);
    }
    Ok((version, payload))
}

/// The configuration that shapes the namespaces and Identify; the queue
/// depth is the host side's and not kept.
fn save_config(c: &RamConfig, e: &mut Enc) {
    e.u64(c.ns_size);
    e.u32(c.lba_size);
    e.u16(c.ms);
    e.bool(c.extended);
    e.bool(c.pi.is_some());
    let pi = c.pi.unwrap_or(Pi::new(PiType::Type1, Pif::Guard16));
    e.u8(pi.pi_type.into_bits());
    e.u8(pi.pif.into_bits());
    e.u8(pi.sts);
    e.bool(pi.location == PiLocation::First);
    e.u32(c.nn);
    e.u8(c.mdts);
    e.bytes(c.serial.as_bytes());
    e.opt(c.capacity, Enc::u64);
    e.opt(c.max_nn, Enc::u32);
}

fn load_config(d: &mut Dec<'_>, queue_depth: u32) -> Result<RamConfig, Bad> {
    let (ns_size, lba_size, ms, extended) = (d.u64()?, d.u32()?, d.u16()?, d.bool()?);
    let has_pi = d.bool()?;
    let pi_type = PiType::from_bits(d.u8()?).ok_or("an unknown protection type")?;
    let pif = Pif::from_bits(d.u8()?).ok_or("an unknown protection format")?;
    let sts = d.u8()?;
    let location = if d.bool()? {
        PiLocation::First
    } else {
        PiLocation::Last
    };
    let (nn, mdts) = (d.u32()?, d.u8()?);
    let serial = core::str::from_utf8(d.bytes()?)
        .map_err(|_| "the serial number is not text")?
        .to_owned();
    let (capacity, max_nn) = (d.opt(Dec::u64)?, d.opt(Dec::u32)?);
    let cfg = RamConfig {
        ns_size,
        lba_size,
        ms,
        extended,
        pi: has_pi.then_some(Pi {
            pi_type,
            pif,
            sts,
            location,
        }),
        nn,
        mdts,
        queue_depth,
        serial,
        capacity,
        max_nn,
    };
    cfg.validate()
        .map_err(|_| "the configuration is not one the controller models")?;
    Ok(cfg)
}

/// The first option, as the `ram:` string names it, on which the file's
/// configuration and the one asked for differ.
fn mismatch(file: &RamConfig, given: &RamConfig) -> Result<(), StateErrorKind> {
    let unset = || "(unset)".to_owned();
    let cap = |v: Option<u64>| v.map_or_else(unset, size);
    let max_nn = |v: Option<u32>| v.map_or_else(unset, |v| v.to_string());
    let pi = |p: Option<Pi>| {
        p.map_or("0".to_owned(), |p| {
            let pil = match p.location {
                PiLocation::First => "first",
                PiLocation::Last => "last",
            };
            format!(
                "{},guard={},sts={},pil={pil}",
                p.pi_type.into_bits(),
                p.pif.guard_bits(),
                p.sts
            )
        })
    };
    let fields: [(&'static str, String, String); 10] = [
        ("size", size(file.ns_size), size(given.ns_size)),
        ("lba", file.lba_size.to_string(), given.lba_size.to_string()),
        ("ms", file.ms.to_string(), given.ms.to_string()),
        (
            "meta",
            if file.extended { "ext" } else { "sep" }.into(),
            if given.extended { "ext" } else { "sep" }.into(),
        ),
        ("pi", pi(file.pi), pi(given.pi)),
        ("nn", file.nn.to_string(), given.nn.to_string()),
        ("mdts", file.mdts.to_string(), given.mdts.to_string()),
        ("serial", file.serial.clone(), given.serial.clone()),
        ("cap", cap(file.capacity), cap(given.capacity)),
        ("maxnn", max_nn(file.max_nn), max_nn(given.max_nn)),
    ];
    match fields.into_iter().find(|(_, f, g)| f != g) {
        Some((option, file, given)) => Err(StateErrorKind::Mismatch {
            option,
            file,
            given,
        }),
        None => Ok(()),
    }
}

/// A byte count in the largest binary unit that divides it, as `ram:` sizes
/// are written (`64M`).
fn size(v: u64) -> String {
    [(40, "T"), (30, "G"), (20, "M"), (10, "K")]
        .into_iter()
        .find(|&(shift, _)| v != 0 && v % (1 << shift) == 0)
        .map_or(v.to_string(), |(shift, u)| format!("{}{u}", v >> shift))
}
