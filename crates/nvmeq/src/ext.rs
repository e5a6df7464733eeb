//! [`BackendExt`]: the convenience calls most programs want, on every backend.

use nvmeq_core::cmd::{Identify, Prinfo, Read, Write};
use nvmeq_core::format::NsFormat;
use nvmeq_core::identify::{IdentifyController, IdentifyNamespace, IdentifyNamespaceNvm};
use nvmeq_core::pi::{Pi, PiType, Tags};
use nvmeq_core::split::{whole_blocks, Split};
use nvmeq_core::{Backend, Data, Error};
use zerocopy::{FromZeros, IntoBytes};

/// Helpers on top of [`Backend::execute`], implemented for every backend.
///
/// The block calls are named `read_blocks` / `write_blocks` rather than
/// `read` / `write` so they never clash with [`Backend::push`] (the queue
/// interface) when both traits are in scope.
pub trait BackendExt: Backend {
    /// Identify Controller (CNS 01h).
    fn identify_controller(&mut self) -> Result<IdentifyController, Error> {
        let mut id = IdentifyController::new_zeroed();
        self.execute(
            &Identify::controller().build(),
            Data::FromDevice(id.as_mut_bytes()),
        )?;
        Ok(id)
    }

    /// Identify Namespace (CNS 00h) for `nsid`, NVM command set.
    fn identify_namespace(&mut self, nsid: u32) -> Result<IdentifyNamespace, Error> {
        let mut id = IdentifyNamespace::new_zeroed();
        self.execute(
            &Identify::namespace(nsid).build(),
            Data::FromDevice(id.as_mut_bytes()),
        )?;
        Ok(id)
    }

    /// The NVM command set's Identify Namespace (CNS 05h, CSI 00h) for `nsid`:
    /// the PI format and storage tag size of each LBA format.
    fn identify_namespace_nvm(&mut self, nsid: u32) -> Result<IdentifyNamespaceNvm, Error> {
        let mut id = IdentifyNamespaceNvm::new_zeroed();
        self.execute(
            &Identify::nvm_namespace(nsid).build(),
            Data::FromDevice(id.as_mut_bytes()),
        )?;
        Ok(id)
    }

    /// The current format of `nsid` as the buffers see it: Identify Namespace,
    /// and when it has PI, CNS 05h for the guard format (a controller without
    /// CNS 05h has the 16b guard).
    fn namespace_format(&mut self, nsid: u32) -> Result<NsFormat, Error> {
        nvmeq_core::format::query(self, nsid)?
            .map(|q| q.format)
            .ok_or(Error::UnknownNamespace(nsid))
    }

    /// Reads `buf.len()` bytes of data from namespace `nsid` starting at
    /// block `slba`. The length must be a non-zero multiple of the LBA size;
    /// transfers larger than the controller's limit are split into several
    /// Reads.
    ///
    /// On a format with metadata the data alone comes back: with PI the
    /// controller checks the guard (and, Types 1 and 2, the reference tag)
    /// and strips the PI (PRACT); other metadata is read and dropped, or
    /// taken out of the extended blocks. On a backend that carries metadata
    /// ([`Caps::metadata`](nvmeq_core::Caps::metadata)) each call starts with
    /// an Identify Namespace to learn the format.
    fn read_blocks(&mut self, nsid: u32, slba: u64, buf: &mut [u8]) -> Result<(), Error> {
        let plan = BlockPlan::of(self, nsid)?;
        let lba = plan.data_len(buf.len())?;
        let mut lba_at = slba;
        for chunk in buf.chunks_mut(plan.chunk(buf.len())?) {
            let nlb = chunk.len() / lba;
            let cmd = Read::new(nsid, lba_at, (nlb - 1) as u16)
                .prinfo(plan.read_prinfo())
                .pi_tags(plan.tags(lba_at))
                .build();
            match plan.staging(nlb) {
                Staging::None => {
                    self.execute(&cmd, Data::FromDevice(chunk))?;
                }
                Staging::Meta(mut m) => {
                    self.execute_with(&cmd, Data::FromDevice(chunk), Data::FromDevice(&mut m))?;
                }
                Staging::Extended(mut ext) => {
                    self.execute(&cmd, Data::FromDevice(&mut ext))?;
                    let per = plan.fmt.block_bytes as usize;
                    for (out, blk) in chunk.chunks_exact_mut(lba).zip(ext.chunks_exact(per)) {
                        out.copy_from_slice(&blk[..lba]);
                    }
                }
            }
            lba_at = next_lba(lba_at, nlb)?;
        }
        Ok(())
    }

    /// Writes `data` to namespace `nsid` starting at block `slba`, under the
    /// same length rules as [`read_blocks`](BackendExt::read_blocks).
    ///
    /// On a format with metadata `data` is the data alone: with PI the
    /// controller generates it (PRACT: guard from the data, reference tag
    /// from the LBA, application tag 0); other metadata is written as zeroes.
    fn write_blocks(&mut self, nsid: u32, slba: u64, data: &[u8]) -> Result<(), Error> {
        let plan = BlockPlan::of(self, nsid)?;
        let lba = plan.data_len(data.len())?;
        let mut lba_at = slba;
        for chunk in data.chunks(plan.chunk(data.len())?) {
            let nlb = chunk.len() / lba;
            let cmd = Write::new(nsid, lba_at, (nlb - 1) as u16)
                .prinfo(plan.write_prinfo())
                .pi_tags(plan.tags(lba_at))
                .build();
            match plan.staging(nlb) {
                Staging::None => {
                    self.execute(&cmd, Data::ToDevice(chunk))?;
                }
                Staging::Meta(m) => {
                    self.execute_with(&cmd, Data::ToDevice(chunk), Data::ToDevice(&m))?;
                }
                Staging::Extended(mut ext) => {
                    let per = plan.fmt.block_bytes as usize;
                    for (blk, src) in ext.chunks_exact_mut(per).zip(chunk.chunks_exact(lba)) {
                        blk[..lba].copy_from_slice(src);
                    }
                    self.execute(&cmd, Data::ToDevice(&ext))?;
                }
            }
            lba_at = next_lba(lba_at, nlb)?;
        }
        Ok(())
    }
}

/// How the block helpers move plain data on a namespace's format.
struct BlockPlan {
    fmt: NsFormat,
    /// PI the controller inserts and strips (PRACT), if any.
    pi: Option<Pi>,
    /// The PI is all the metadata: with PRACT no metadata moves.
    pi_only: bool,
    /// Bytes per block in a command's data buffer.
    per_block: u32,
    /// The largest transfer of one command.
    max_xfer: u32,
}

/// The buffers besides the caller's a command needs.
enum Staging {
    /// The caller's data is the whole transfer.
    None,
    /// A separate metadata buffer (zeroes going out, dropped coming back).
    Meta(Vec<u8>),
    /// Extended blocks, data and metadata interleaved.
    Extended(Vec<u8>),
}

impl BlockPlan {
    fn of<B: Backend + ?Sized>(b: &mut B, nsid: u32) -> Result<BlockPlan, Error> {
        let lba = b.lba_size(nsid)?;
        // Only a namespace with metadata needs its format: the others keep
        // to one command per chunk.
        let fmt = match b.caps().metadata {
            true => b.namespace_format(nsid)?,
            false => NsFormat::separate(lba, 0),
        };
        let pi_only = fmt.pi_only();
        // What one command moves per block in the data buffer.
        let per_block = if pi_only || fmt.meta_bytes != 0 {
            fmt.lba_size()
        } else {
            fmt.block_bytes
        };
        Ok(BlockPlan {
            fmt,
            pi: fmt.pi,
            pi_only,
            per_block,
            max_xfer: b.caps().max_xfer,
        })
    }

    /// The bytes of the caller's (data-only) buffer each command covers, as
    /// the transfer of `len` bytes is cut ([`Split`]).
    fn chunk(&self, len: usize) -> Result<usize, Error> {
        let lba = self.fmt.lba_size() as usize;
        let split = Split::new((len / lba) as u64, self.per_block, self.max_xfer)?;
        Ok(split.per_cmd as usize * lba)
    }

    /// The LBA data size (the caller's buffer holds data alone, whatever
    /// the format), after checking that `len` is a whole number of blocks.
    fn data_len(&self, len: usize) -> Result<usize, Error> {
        let lba = self.fmt.lba_size();
        whole_blocks(len, lba)?;
        Ok(lba as usize)
    }

    fn write_prinfo(&self) -> Prinfo {
        Prinfo::new().with_pract(self.pi.is_some())
    }

    fn read_prinfo(&self) -> Prinfo {
        match self.pi {
            // Type 3's reference tag is whatever the writer chose.
            Some(pi) => Prinfo::new()
                .with_pract(true)
                .with_prchk_guard(true)
                .with_prchk_ref(pi.pi_type != PiType::Type3),
            None => Prinfo::new(),
        }
    }

    /// The tags of a command starting at `lba`: the reference tag from the
    /// LBA, application tag 0 unchecked.
    fn tags(&self, lba: u64) -> nvmeq_core::pi::TagDwords {
        match self.pi {
            Some(pi) => pi.tag_dwords(&Tags::new(pi.ref_tag_for_lba(lba)).with_app(0, 0)),
            None => Default::default(),
        }
    }

    fn staging(&self, nlb: usize) -> Staging {
        let f = &self.fmt;
        if f.ms == 0 || self.pi_only {
            Staging::None
        } else if f.meta_bytes != 0 {
            Staging::Meta(vec![0; nlb * f.meta_bytes as usize])
        } else {
            Staging::Extended(vec![0; nlb * f.block_bytes as usize])
        }
    }
}

impl<B: Backend + ?Sized> BackendExt for B {}

fn next_lba(lba: u64, nlb: usize) -> Result<u64, Error> {
    lba.checked_add(nlb as u64)
        .ok_or(Error::LbaOverflow { slba: lba })
}
