//! Metadata and end-to-end protection for `read`, `write` and `compare`:
//! nvme-cli's options (`-M -y -p -r -a -m -g -C`), and beyond them
//! `--pi-generate` (the host fills in the PI from the data) and `--pi-check`
//! (the host checks the PI read back and names the failing block and field).
//!
//! The buffers are sized from the namespace's format and the command, by the
//! same planning the backends use: with PRACT on a format whose metadata is
//! only PI, no metadata moves and the data buffer holds LBA data only.

use clap::Args;
use nvmeq_core::cmd::Prinfo;
use nvmeq_core::format::{plan, NsFormat, Plan};
use nvmeq_core::pi::{self, PiType, Prchk, TagDwords, Tags};
use nvmeq_core::{Cmd, Data};

use crate::device::Device;
use crate::error::{usage, CliError, Result};
use crate::num;

/// The tag options every command with PI takes, with nvme-cli's names.
#[derive(Debug, Args, Default, Clone)]
pub struct Tagging {
    /// PRINFO: bit 3 PRACT, bit 2 check the guard, bit 1 the application
    /// tag, bit 0 the reference tag.
    #[arg(short = 'p', long = "prinfo", value_parser = num::u8, default_value = "0")]
    pub prinfo: u8,
    /// Reference tag of the first block (default: the starting LBA, as
    /// Type 1 requires; nvme-cli's default is 0).
    #[arg(short = 'r', long = "ref-tag", value_parser = num::suffixed)]
    pub ref_tag: Option<u64>,
    /// Application tag mask.
    #[arg(short = 'm', long = "app-tag-mask", value_parser = num::u16, default_value = "0")]
    pub app_tag_mask: u16,
    /// Application tag.
    #[arg(short = 'a', long = "app-tag", value_parser = num::u16, default_value = "0")]
    pub app_tag: u16,
    /// Have the controller check the storage tag (STC).
    #[arg(short = 'C', long = "storage-tag-check")]
    pub storage_tag_check: bool,
}

/// The protection and metadata options of `read`, `write` and `compare`.
#[derive(Debug, Args, Default, Clone)]
pub struct Protection {
    /// Metadata file (read: written to it; write/compare: read from it), for
    /// formats with separate metadata.
    #[arg(short = 'M', long = "metadata")]
    pub metadata: Option<std::path::PathBuf>,
    /// Metadata size in bytes; must equal what the command moves when given.
    #[arg(short = 'y', long = "metadata-size", value_parser = num::suffixed)]
    pub metadata_size: Option<u64>,
    #[command(flatten)]
    pub tags: Tagging,
    /// Storage tag (formats with a storage tag only).
    #[arg(short = 'g', long = "storage-tag", value_parser = num::suffixed)]
    pub storage_tag: Option<u64>,
    /// Write/compare: fill in each block's PI from its data before sending.
    #[arg(long = "pi-generate")]
    pub pi_generate: bool,
    /// Read: check each block's PI (guard, application tag under the mask,
    /// reference tag) after reading, naming the first block that fails.
    #[arg(long = "pi-check")]
    pub pi_check: bool,
}

/// The protection options of the commands that move no data (`verify`,
/// `write-zeroes`): the tags, and the storage tag on `-S` as nvme-cli has it
/// there (`-g` on `read`/`write`).
#[derive(Debug, Args, Default, Clone)]
pub struct Checks {
    #[command(flatten)]
    pub tags: Tagging,
    /// Storage tag (formats with a storage tag only).
    #[arg(short = 'S', long = "storage-tag", value_parser = num::suffixed)]
    pub storage_tag: Option<u64>,
}

impl Checks {
    /// Whether any option was given (a namespace's format is then read).
    pub fn any(&self) -> bool {
        let t = &self.tags;
        t.prinfo != 0
            || t.ref_tag.is_some()
            || t.app_tag_mask != 0
            || t.app_tag != 0
            || t.storage_tag_check
            || self.storage_tag.is_some()
    }

    /// The command fields for blocks from `slba` on `fmt`, checked as
    /// `read`'s are.
    pub fn fields(&self, fmt: &NsFormat, slba: u64, off: u64) -> Result<Fields> {
        Protection {
            tags: self.tags.clone(),
            storage_tag: self.storage_tag,
            ..Protection::default()
        }
        .fields(fmt, slba, off)
    }
}

/// The command fields the options set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields {
    /// PRINFO.
    pub prinfo: Prinfo,
    /// Storage Tag Check.
    pub stc: bool,
    /// Reference, application and storage tags, as the command carries them.
    pub tags: TagDwords,
}

/// How a transfer's buffers look.
#[derive(Debug, Clone, Copy)]
pub struct Sizing {
    /// The namespace format.
    pub fmt: NsFormat,
    /// Bytes per block in the data buffer for this command (LBA data only
    /// when PRACT strips or inserts all the metadata).
    pub unit: u32,
    /// Whether a separate metadata buffer moves.
    pub meta: bool,
    /// PRACT on a format whose metadata is only PI: the controller inserts
    /// and strips it, and none moves.
    pub stripped: bool,
}

impl Protection {
    /// PRINFO, checked: four bits, and only on a format with PI.
    pub fn prinfo_bits(&self, fmt: &NsFormat) -> Result<Prinfo> {
        if self.tags.prinfo > 0xf {
            return Err(usage(format!(
                "--prinfo {:#x} is not a 4-bit value (bit 3 PRACT, bits 2:0 PRCHK)",
                self.tags.prinfo
            )));
        }
        if self.tags.prinfo != 0 && fmt.pi.is_none() {
            return Err(usage(
                "--prinfo needs a namespace formatted with protection information; this one has none",
            ));
        }
        Ok(Prinfo::from_bits(self.tags.prinfo))
    }

    /// The buffer layout of this command on `fmt`.
    pub fn sizing(&self, fmt: NsFormat) -> Result<Sizing> {
        let pract = self.prinfo_bits(&fmt)?.pract();
        let stripped = pract && fmt.pi_only();
        let unit = if stripped {
            fmt.lba_size()
        } else {
            fmt.block_bytes
        };
        Ok(Sizing {
            fmt,
            unit,
            meta: fmt.meta_bytes != 0 && !stripped,
            stripped,
        })
    }

    /// The first block's tags: the reference tag from `-r` (default: the
    /// starting LBA), the application tag and mask, the storage tag.
    pub fn tags(&self, fmt: &NsFormat, slba: u64) -> Tags {
        let ref_tag = match (self.tags.ref_tag, fmt.pi) {
            (Some(r), _) => r,
            (None, Some(p)) if p.pi_type == PiType::Type3 => 0,
            (None, Some(p)) => slba & p.ref_mask(),
            (None, None) => 0,
        };
        let mut t = Tags::new(ref_tag).with_app(self.tags.app_tag, self.tags.app_tag_mask);
        if let Some(st) = self.storage_tag {
            t = t.with_storage(st);
        }
        t
    }

    /// What a Read/Write/Compare builder takes from these options for the
    /// command `off` blocks into a transfer that starts at `slba`: PRINFO,
    /// STC, and the tag dwords (none on a format without PI). Types 1 and 2
    /// count the reference tag on by one a block, so a later command of a
    /// split transfer starts `off` further; Type 3's is the caller's as given.
    pub fn fields(&self, fmt: &NsFormat, slba: u64, off: u64) -> Result<Fields> {
        Ok(Fields {
            prinfo: self.prinfo_bits(fmt)?,
            stc: self.tags.storage_tag_check,
            tags: fmt
                .pi
                .map(|p| {
                    let mut t = self.tags(fmt, slba);
                    if p.pi_type != PiType::Type3 {
                        t.ref_tag = t.ref_tag.wrapping_add(off) & p.ref_mask();
                    }
                    p.tag_dwords(&t)
                })
                .unwrap_or_default(),
        })
    }

    /// The bytes of data and metadata `cmd` moves on `s`, by the planning the
    /// backends do.
    pub fn plan(&self, cmd: &Cmd, s: &Sizing) -> Result<Plan> {
        plan(cmd, Some(s.fmt), u32::MAX, s.meta)
            .map_err(|e| CliError::from_core("planning the transfer", e))
    }

    /// `-y` and `-M` against the metadata the whole transfer moves (`meta`
    /// bytes over all its commands).
    pub fn check_metadata(&self, meta: u64, s: &Sizing) -> Result<()> {
        if let Some(y) = self.metadata_size {
            if y != meta {
                return Err(usage(format!(
                    "--metadata-size {y} disagrees with the transfer: it moves {meta} bytes of \
                     metadata ({} per block on this format{})",
                    s.fmt.meta_bytes,
                    if s.meta {
                        ""
                    } else {
                        "; none with PRACT on PI-only metadata"
                    }
                )));
            }
        }
        if self.metadata.is_some() && meta == 0 {
            return Err(usage(
                "--metadata: this command moves no separate metadata (the format has none, \
                 it is interleaved with the data, or PRACT strips it)",
            ));
        }
        Ok(())
    }

    /// Fills in the PI of the blocks about to be written.
    pub fn generate(&self, s: &Sizing, data: &mut [u8], meta: &mut [u8], slba: u64) -> Result<()> {
        if !self.pi_generate {
            return Ok(());
        }
        if s.fmt.pi.is_none() {
            return Err(usage(
                "--pi-generate needs a namespace formatted with protection information",
            ));
        }
        if s.stripped {
            // The controller generates it.
            return Ok(());
        }
        pi::generate(&s.fmt, data, meta, &self.tags(&s.fmt, slba))
            .map(|_| ())
            .map_err(|e| CliError::Device(format!("generating PI: {e}")))
    }

    /// Checks the PI of the blocks read.
    pub fn check(&self, s: &Sizing, data: &[u8], meta: &[u8], slba: u64) -> Result<()> {
        if !self.pi_check {
            return Ok(());
        }
        if s.fmt.pi.is_none() {
            return Err(usage(
                "--pi-check needs a namespace formatted with protection information",
            ));
        }
        if s.stripped {
            return Err(usage(
                "--pi-check: with PRACT the controller strips the PI, so none comes back to check",
            ));
        }
        pi::verify(&s.fmt, data, meta, &self.tags(&s.fmt, slba), Prchk::ALL)
            .map(|_| ())
            .map_err(|e| CliError::Device(format!("PI check of the data read: {e}")))
    }
}

/// Runs `cmd` with or without a metadata buffer, as planned.
pub fn exec(
    dev: &mut Device,
    op: &str,
    cmd: &Cmd,
    data: Data<'_>,
    meta: Data<'_>,
) -> Result<nvmeq_core::Completion> {
    match meta {
        Data::None => dev.exec(op, cmd, data),
        m => dev.exec_with(op, cmd, data, m),
    }
}
