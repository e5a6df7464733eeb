//! A namespace's current LBA format as a backend's buffers see it, parsed
//! from Identify Namespace, and a small cache of them.

mod query;
pub use query::{query, Queried};

use crate::error::Error;
use crate::identify::{IdentifyNamespace, IdentifyNamespaceNvm};
use crate::opcode::NvmOpcode;
pub use crate::pi::Pi;
use crate::pi::{PiType, Pif};
use crate::{Cmd, DataDir, QueueKind, Xfer};

/// A namespace's current LBA format as the buffers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NsFormat {
    /// Bytes per block in the data buffer: the LBA data size, plus the
    /// metadata size when metadata is interleaved (extended LBA, FLBAS bit 4),
    /// since the device then moves both through the data buffer.
    pub block_bytes: u32,
    /// Bytes per block in the separate metadata buffer (0: none, or interleaved).
    pub meta_bytes: u32,
    /// Metadata bytes per block (LBAF MS), interleaved or separate.
    pub ms: u16,
    /// Protection information, when enabled (DPS type not 0).
    pub pi: Option<Pi>,
}

impl NsFormat {
    /// A format whose metadata (if any) travels in a separate buffer.
    pub const fn separate(lba_size: u32, ms: u16) -> Self {
        NsFormat {
            block_bytes: lba_size,
            meta_bytes: ms as u32,
            ms,
            pi: None,
        }
    }

    /// A format whose metadata is interleaved with the data (extended LBA).
    pub const fn extended(lba_size: u32, ms: u16) -> Self {
        NsFormat {
            block_bytes: lba_size + ms as u32,
            meta_bytes: 0,
            ms,
            pi: None,
        }
    }

    /// The same format with protection information enabled.
    pub const fn with_pi(mut self, pi: Pi) -> Self {
        self.pi = Some(pi);
        self
    }

    /// The LBA data size: the data buffer's share of a block without metadata.
    pub const fn lba_size(&self) -> u32 {
        if self.meta_bytes == 0 {
            self.block_bytes - self.ms as u32
        } else {
            self.block_bytes
        }
    }

    /// True when the metadata is protection information and nothing else,
    /// so PRACT 1 has the controller insert or strip all of it (NVM Command
    /// Set Specification 1.0, 5.2.1.2: no metadata is transferred).
    pub const fn pi_only(&self) -> bool {
        match self.pi {
            Some(p) => p.size() as u16 == self.ms,
            None => false,
        }
    }

    /// The current format from Identify Namespace; `None` for an inactive
    /// namespace (NSZE 0). The PI, if any, is taken as the 16b guard format
    /// without a storage tag: the others are described by the NVM command
    /// set's Identify Namespace, which [`Self::from_identify_nvm`] reads.
    pub fn from_identify(ns: &IdentifyNamespace) -> Result<Option<NsFormat>, Error> {
        Self::from_identify_nvm(ns, None)
    }

    /// The current format from Identify Namespace (CNS 00h) and, when the
    /// controller has it, the NVM command set's Identify Namespace (CNS 05h,
    /// CSI 00h), whose ELBAF gives the PI format and storage tag size; `None`
    /// for an inactive namespace (NSZE 0).
    pub fn from_identify_nvm(
        ns: &IdentifyNamespace,
        nvm: Option<&IdentifyNamespaceNvm>,
    ) -> Result<Option<NsFormat>, Error> {
        if ns.nsze == 0 {
            return Ok(None);
        }
        let ds = ns.lba_size().ok_or(Error::Malformed(
            "Identify Namespace (LBA data size below 512 bytes, LBADS < 9)",
        ))?;
        let ms = ns.metadata_size();
        let f = if ns.extended_lba() {
            NsFormat::extended(ds, ms)
        } else {
            NsFormat::separate(ds, ms)
        };
        let dps = ns.dps_bits();
        if dps.pit() == 0 {
            return Ok(Some(f));
        }
        let pi_type: PiType = dps.pi_type().ok_or(Error::Malformed(
            "Identify Namespace (DPS names a reserved protection information type)",
        ))?;
        let (pif, sts) = match nvm.and_then(|n| n.elbaf(ns.flbas_index())) {
            Some(e) => (
                e.pi_format().ok_or(Error::Malformed(
                    "NVM Identify Namespace (ELBAF names a reserved protection information format)",
                ))?,
                e.sts(),
            ),
            None => (Pif::Guard16, 0),
        };
        let pi = Pi::new(pi_type, pif)
            .with_sts(sts)
            .with_location(dps.location());
        pi.check(ms).map_err(|_| {
            Error::Malformed(
                "Identify Namespace (protection information does not fit the metadata size, or STS is out of range)",
            )
        })?;
        Ok(Some(f.with_pi(pi)))
    }
}

/// What one command moves, in bytes: resolved from its own fields and the
/// namespace format before anything reaches a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Bytes in the data buffer.
    pub data: u32,
    /// Bytes in the separate metadata buffer (0: none moves).
    pub meta: u32,
}

/// PRINFO.PRACT (CDW12 bit 29) of the commands that carry it: Read, Write,
/// Compare, Write Zeroes, Verify and Zone Append on an I/O queue.
pub fn pract(cmd: &Cmd) -> bool {
    cmd.queue == QueueKind::Io
        && matches!(
            NvmOpcode(cmd.sqe.opcode()),
            NvmOpcode::READ
                | NvmOpcode::WRITE
                | NvmOpcode::COMPARE
                | NvmOpcode::WRITE_ZEROES
                | NvmOpcode::VERIFY
                | NvmOpcode::ZONE_APPEND
        )
        && cmd.sqe.cdw12 & (1 << 29) != 0
}

/// Resolves and checks what `cmd` transfers: data bytes and separate metadata
/// bytes, given the namespace format `fmt` (needed when the transfer is
/// counted in blocks), the backend's limit `max_xfer` and whether the caller
/// has a metadata buffer.
///
/// Checks, in order: NLB against the declared transfer (Read, Write, Compare,
/// Zone Append), length overflow, MDTS, a zero-length transfer with a
/// direction, a transfer without one or against the opcode's direction bits
/// (which is how Linux maps the buffer), and the metadata buffer required or
/// forbidden. With PRACT set on a format whose metadata is only PI, neither
/// buffer carries metadata.
#[inline]
pub fn plan(
    cmd: &Cmd,
    fmt: Option<NsFormat>,
    max_xfer: u32,
    has_meta: bool,
) -> Result<Plan, Error> {
    match plan_plain_rw(cmd, fmt, max_xfer, has_meta) {
        Some(p) => Ok(p),
        None => plan_checked(cmd, fmt, max_xfer, has_meta),
    }
}

/// [`plan`]'s full checks, for everything its fast path does not decide.
fn plan_checked(
    cmd: &Cmd,
    fmt: Option<NsFormat>,
    max_xfer: u32,
    has_meta: bool,
) -> Result<Plan, Error> {
    if cmd.queue == QueueKind::Io {
        check_nlb(cmd)?;
    }
    let (block, meta_per) = match (cmd.xfer, fmt) {
        (Xfer::Blocks(_), None) => return Err(Error::UnknownNamespace(cmd.nsid())),
        (Xfer::Blocks(_), Some(f)) if f.pi_only() && pract(cmd) => (f.lba_size(), 0),
        (Xfer::Blocks(_), Some(f)) => (f.block_bytes, f.meta_bytes),
        _ => (0, 0),
    };
    let len = cmd.xfer.bytes(block).ok_or(Error::TransferTooLarge {
        len: cmd.xfer.bytes_u64(block),
    })?;
    if len > max_xfer {
        return Err(Error::AboveMdts {
            len: len as u64,
            max: max_xfer,
        });
    }
    if len == 0 && cmd.dir != DataDir::None {
        // The device would still move the data its fields describe, with no
        // buffer mapped for it (QEMU completes such a Read "successfully").
        return Err(Error::ZeroLength);
    }
    if len > 0 && (cmd.dir == DataDir::None || !dir_matches_opcode(cmd)) {
        return Err(Error::DirectionMismatch {
            opcode: cmd.sqe.opcode(),
            dir: cmd.dir,
        });
    }
    let meta = match cmd.xfer {
        Xfer::Blocks(n) if meta_per != 0 && len > 0 => {
            if !has_meta {
                // Without one the device would move the metadata at MPTR 0.
                return Err(Error::MetadataRequired);
            }
            n.checked_mul(meta_per).ok_or(Error::TransferTooLarge {
                len: n as u64 * meta_per as u64,
            })?
        }
        _ if has_meta => return Err(Error::MetadataForbidden),
        _ => 0,
    };
    Ok(Plan { data: len, meta })
}

/// The common case decided in a few comparisons: a Read or Write on the I/O
/// queue whose blocks are the NLB it declares, in the opcode's direction, on
/// a format with no separate metadata and no PI, without a metadata buffer,
/// within `max_xfer`. `None` sends anything else (and every error) through
/// the full checks, which give the same answer for this case.
#[inline]
fn plan_plain_rw(cmd: &Cmd, fmt: Option<NsFormat>, max_xfer: u32, has_meta: bool) -> Option<Plan> {
    let (Xfer::Blocks(n), Some(f)) = (cmd.xfer, fmt) else {
        return None;
    };
    let dir = match NvmOpcode(cmd.sqe.opcode()) {
        NvmOpcode::READ => DataDir::FromDevice,
        NvmOpcode::WRITE => DataDir::ToDevice,
        _ => return None,
    };
    if cmd.queue != QueueKind::Io
        || cmd.dir != dir
        || has_meta
        || f.meta_bytes != 0
        || f.pi.is_some()
        || n != (cmd.sqe.cdw12 & 0xffff) + 1
    {
        return None;
    }
    let len = n.checked_mul(f.block_bytes)?;
    (len > 0 && len <= max_xfer).then_some(Plan { data: len, meta: 0 })
}

/// Linux maps the buffer by the opcode's direction bits (1:0), not by what a
/// [`Cmd`] says: a hand-built command whose `dir` disagrees could have the
/// device write into memory the caller only lent for reading.
fn dir_matches_opcode(cmd: &Cmd) -> bool {
    DataDir::from_opcode_bits(cmd.sqe.opcode()) == cmd.dir
}

/// NVM opcodes whose data length NLB defines must declare that length, so a
/// hand-built [`Cmd`] cannot under-declare its transfer and let the device
/// write past the buffer.
fn check_nlb(cmd: &Cmd) -> Result<(), Error> {
    let op = NvmOpcode(cmd.sqe.opcode());
    if matches!(
        op,
        NvmOpcode::READ | NvmOpcode::WRITE | NvmOpcode::COMPARE | NvmOpcode::ZONE_APPEND
    ) {
        let nlb = (cmd.sqe.cdw12 & 0xffff) + 1;
        if cmd.xfer != Xfer::Blocks(nlb) {
            return Err(Error::NlbMismatch {
                nlb,
                declared: cmd.xfer,
            });
        }
    }
    Ok(())
}

/// The formats of the last `N` namespaces looked up; when full, the oldest
/// entry makes room. The last one remembered is found without a search, so
/// a queue that works on one namespace pays one comparison per command.
#[derive(Debug, Clone, Default)]
pub struct FormatCache<const N: usize> {
    entries: heapless::Deque<(u32, NsFormat), N>,
    last: Option<(u32, NsFormat)>,
}

impl<const N: usize> FormatCache<N> {
    /// An empty cache.
    pub const fn new() -> Self {
        FormatCache {
            entries: heapless::Deque::new(),
            last: None,
        }
    }

    /// The remembered format of namespace `nsid`.
    #[inline]
    pub fn get(&self, nsid: u32) -> Option<NsFormat> {
        if let Some((n, f)) = self.last {
            if n == nsid {
                return Some(f);
            }
        }
        self.entries
            .iter()
            .find(|(n, _)| *n == nsid)
            .map(|&(_, f)| f)
    }

    /// Remembers `f` for `nsid`, replacing an older entry for it and evicting
    /// the oldest entry when full.
    pub fn insert(&mut self, nsid: u32, f: NsFormat) {
        self.last = Some((nsid, f));
        if let Some(e) = self.entries.iter_mut().find(|(n, _)| *n == nsid) {
            e.1 = f;
            return;
        }
        if self.entries.is_full() {
            self.entries.pop_front();
        }
        // Cannot fail: a slot is free.
        let _ = self.entries.push_back((nsid, f));
    }

    /// Forgets every entry (after a Format NVM or namespace management).
    pub fn clear(&mut self) {
        self.last = None;
        self.entries.clear();
    }

    /// The number of remembered formats.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fast_path_agrees_with_the_full_checks() {
        use crate::cmd::Compare;
        let ext = NsFormat::extended(512, 8);
        let mut hits = 0;
        for fmt in [F512, F4K, PI512, ext, NsFormat::separate(0, 0)] {
            for nlb_z in [0u16, 7, 255, 0xffff] {
                // Under-declared, the wrong direction, the admin queue.
                let mut under = Read::new(1, 0, nlb_z).build();
                under.xfer = Xfer::Blocks(nlb_z as u32);
                let mut wrong_dir = Write::new(1, 0, nlb_z).build();
                wrong_dir.dir = DataDir::FromDevice;
                let mut admin = Read::new(1, 0, nlb_z).build();
                admin.queue = QueueKind::Admin;
                let cmds = [
                    Read::new(1, 0, nlb_z).build(),
                    Write::new(1, 0, nlb_z).build(),
                    Compare::new(1, 0, nlb_z).build(),
                    Read::new(1, 0, nlb_z).prinfo(pract()).build(),
                    under,
                    wrong_dir,
                    admin,
                ];
                for cmd in &cmds {
                    for max in [4096, MAX] {
                        for has_meta in [false, true] {
                            let full = plan_checked(cmd, Some(fmt), max, has_meta);
                            if let Some(p) = plan_plain_rw(cmd, Some(fmt), max, has_meta) {
                                hits += 1;
                                assert_eq!(Ok(p), full, "{cmd:?} {fmt:?} {max} {has_meta}");
                            }
                            assert_eq!(plan(cmd, Some(fmt), max, has_meta), full);
                        }
                    }
                }
            }
        }
        // Read, Write and Read with PRACT (no PI, so it changes nothing) on the
        // formats without separate metadata or PI, where they fit: 512 B at
        // nlb 1, 8, 256 (MAX) and 1, 8 (4096); 520 B at 1, 8, 256 and 1.
        assert_eq!(hits, 3 * (5 + 4));
    }

    use crate::cmd::{Flush, Prinfo, Read, Write, WriteZeroes};
    use crate::Command;

    const F512: NsFormat = NsFormat::separate(512, 0);
    const F4K: NsFormat = NsFormat::separate(4096, 8);
    const PI1: Pi = Pi::new(PiType::Type1, Pif::Guard16);
    /// 512 + 8 separate metadata, PI type 1: the metadata is PI only.
    const PI512: NsFormat = NsFormat::separate(512, 8).with_pi(PI1);
    const MAX: u32 = 1 << 20;

    fn pract() -> Prinfo {
        Prinfo::new().with_pract(true)
    }

    #[test]
    fn pract_on_a_pi_only_format_moves_no_metadata() {
        let cmd = Read::new(1, 0, 7).prinfo(pract()).build();
        assert_eq!(
            plan(&cmd, Some(PI512), MAX, false),
            Ok(Plan {
                data: 4096,
                meta: 0
            })
        );
        assert_eq!(
            plan(&cmd, Some(PI512), MAX, true),
            Err(Error::MetadataForbidden)
        );
        // Interleaved PI only: PRACT strips it from the data buffer too.
        let ext = NsFormat::extended(512, 8).with_pi(PI1);
        assert_eq!(
            plan(&cmd, Some(ext), MAX, false),
            Ok(Plan {
                data: 4096,
                meta: 0
            })
        );
        let w = Write::new(1, 0, 1).prinfo(pract()).build();
        assert_eq!(plan(&w, Some(PI512), MAX, false).map(|p| p.meta), Ok(0));
    }

    #[test]
    fn without_pract_pi_metadata_is_required() {
        let cmd = Read::new(1, 0, 7).build();
        assert_eq!(
            plan(&cmd, Some(PI512), MAX, false),
            Err(Error::MetadataRequired)
        );
        assert_eq!(
            plan(&cmd, Some(PI512), MAX, true),
            Ok(Plan {
                data: 4096,
                meta: 64
            })
        );
        let ext = NsFormat::extended(512, 8).with_pi(PI1);
        assert_eq!(
            plan(&cmd, Some(ext), MAX, false),
            Ok(Plan {
                data: 8 * 520,
                meta: 0
            })
        );
    }

    #[test]
    fn pract_with_more_metadata_than_pi_still_moves_it() {
        let f = NsFormat::separate(4096, 64).with_pi(PI1);
        assert!(!f.pi_only());
        let cmd = Read::new(1, 0, 1).prinfo(pract()).build();
        assert_eq!(
            plan(&cmd, Some(f), MAX, false),
            Err(Error::MetadataRequired)
        );
        assert_eq!(
            plan(&cmd, Some(f), MAX, true),
            Ok(Plan {
                data: 8192,
                meta: 128
            })
        );
        // No PI at all: PRACT changes nothing either.
        let plain = NsFormat::separate(4096, 64);
        assert_eq!(
            plan(&cmd, Some(plain), MAX, false),
            Err(Error::MetadataRequired)
        );
    }

    #[test]
    fn pract_bit_on_a_command_without_prinfo_is_ignored() {
        // Flush carries no PRINFO; bit 29 of its CDW12 means nothing to plan().
        let mut cmd = Flush::new(1).build();
        cmd.sqe.cdw12 |= 1 << 29;
        assert_eq!(plan(&cmd, None, MAX, false), Ok(Plan { data: 0, meta: 0 }));
        let wz = WriteZeroes::new(1, 0, 7).prinfo(pract()).build();
        assert_eq!(
            plan(&wz, Some(PI512), MAX, false),
            Ok(Plan { data: 0, meta: 0 })
        );
    }

    #[test]
    fn the_checks_each_name_their_problem() {
        let read = Read::new(1, 0, 7).build();
        assert_eq!(
            plan(&read, Some(F512), 2048, false),
            Err(Error::AboveMdts {
                len: 4096,
                max: 2048
            })
        );
        assert_eq!(
            plan(&read, None, MAX, false),
            Err(Error::UnknownNamespace(1))
        );
        assert_eq!(
            plan(&read, Some(F512), MAX, true),
            Err(Error::MetadataForbidden)
        );
        assert_eq!(
            plan(&read, Some(F4K), MAX, false),
            Err(Error::MetadataRequired)
        );
        let mut short = read;
        short.xfer = Xfer::Blocks(4);
        assert_eq!(
            plan(&short, Some(F512), MAX, false),
            Err(Error::NlbMismatch {
                nlb: 8,
                declared: Xfer::Blocks(4)
            })
        );
        let bytes = Cmd::io(read.sqe, DataDir::FromDevice, Xfer::Bytes(4096));
        assert_eq!(
            plan(&bytes, None, MAX, false),
            Err(Error::NlbMismatch {
                nlb: 8,
                declared: Xfer::Bytes(4096)
            })
        );
        let mut wrong_dir = read;
        wrong_dir.dir = DataDir::ToDevice;
        assert_eq!(
            plan(&wrong_dir, Some(F512), MAX, false),
            Err(Error::DirectionMismatch {
                opcode: 0x02,
                dir: DataDir::ToDevice
            })
        );
        let mut no_dir = read;
        no_dir.dir = DataDir::None;
        assert!(matches!(
            plan(&no_dir, Some(F512), MAX, false),
            Err(Error::DirectionMismatch { .. })
        ));
        let zero = Cmd::admin(Command::new(0xc2, 0), DataDir::FromDevice, Xfer::Bytes(0));
        assert_eq!(plan(&zero, None, MAX, false), Err(Error::ZeroLength));
        let huge = Cmd::admin(
            Command::new(0xc2, 0),
            DataDir::FromDevice,
            Xfer::Blocks(u32::MAX),
        );
        assert_eq!(
            plan(&huge, Some(F4K), MAX, false),
            Err(Error::TransferTooLarge {
                len: u32::MAX as u64 * 4096
            })
        );
    }

    #[test]
    fn from_identify_reads_dps() {
        use zerocopy::FromZeros;
        let mut ns = IdentifyNamespace::new_zeroed();
        ns.nsze = 8;
        ns.lbaf[0] = crate::identify::LbaFormat::new().with_lbads(9).with_ms(8);
        ns.dps = 1;
        assert_eq!(NsFormat::from_identify(&ns), Ok(Some(PI512)));
        ns.dps = 0;
        assert_eq!(
            NsFormat::from_identify(&ns),
            Ok(Some(NsFormat::separate(512, 8)))
        );
        ns.flbas = IdentifyNamespace::FLBAS_EXTENDED;
        ns.dps = 2;
        assert_eq!(
            NsFormat::from_identify(&ns),
            Ok(Some(
                NsFormat::extended(512, 8).with_pi(Pi::new(PiType::Type2, Pif::Guard16))
            ))
        );
        // DPS bit 3: PI first. A reserved type is malformed, not ignored.
        ns.dps = 0b1011;
        assert_eq!(
            NsFormat::from_identify(&ns).map(|f| f.and_then(|f| f.pi)),
            Ok(Some(
                Pi::new(PiType::Type3, Pif::Guard16).with_location(crate::pi::PiLocation::First)
            ))
        );
        ns.dps = 5;
        assert!(matches!(
            NsFormat::from_identify(&ns),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn from_identify_nvm_reads_the_guard_format_and_storage_tag() {
        use crate::identify::{Elbaf, LbaFormat};
        use zerocopy::FromZeros;
        let mut ns = IdentifyNamespace::new_zeroed();
        ns.nsze = 8;
        ns.nlbaf_z = 1;
        ns.lbaf[1] = LbaFormat::new().with_lbads(12).with_ms(16);
        ns.flbas = 1;
        ns.dps = 1;
        let mut nvm = IdentifyNamespaceNvm::new_zeroed();
        nvm.elbaf[1] = Elbaf::new().with_pif(2).with_sts(8);
        let f = NsFormat::from_identify_nvm(&ns, Some(&nvm))
            .unwrap()
            .unwrap();
        assert_eq!(
            f,
            NsFormat::separate(4096, 16).with_pi(Pi::new(PiType::Type1, Pif::Guard64).with_sts(8))
        );
        assert!(f.pi_only(), "16 bytes of metadata, all PI");
        // Without CNS 05h the 16b guard is assumed; 8 of 16 bytes are PI.
        let f16 = NsFormat::from_identify(&ns).unwrap().unwrap();
        assert_eq!(f16.pi, Some(Pi::new(PiType::Type1, Pif::Guard16)));
        assert!(!f16.pi_only());
        // A 64b guard in 8 bytes of metadata cannot be.
        ns.lbaf[1] = LbaFormat::new().with_lbads(12).with_ms(8);
        assert!(matches!(
            NsFormat::from_identify_nvm(&ns, Some(&nvm)),
            Err(Error::Malformed(_))
        ));
        nvm.elbaf[1] = Elbaf::new().with_pif(3);
        assert!(matches!(
            NsFormat::from_identify_nvm(&ns, Some(&nvm)),
            Err(Error::Malformed(_))
        ));
    }

    #[test]
    fn the_oldest_entry_makes_room() {
        let mut c = FormatCache::<2>::new();
        c.insert(1, F512);
        c.insert(2, F512);
        c.insert(1, F4K);
        assert_eq!((c.len(), c.get(1)), (2, Some(F4K)), "replaced in place");
        c.insert(3, F4K);
        assert_eq!(c.get(1), None, "the oldest went");
        assert_eq!((c.get(2), c.get(3)), (Some(F512), Some(F4K)));
        c.insert(2, F4K);
        assert_eq!(c.get(2), Some(F4K), "the last remembered wins");
        c.clear();
        assert!(c.is_empty());
        assert_eq!(c.get(2), None, "the last one is forgotten too");
    }
}
