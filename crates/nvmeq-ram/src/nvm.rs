//! The NVM command set: Read, Write, Flush, Write Zeroes, Dataset Management,
//! Compare, Verify and Copy (NVM Command Set Specification, "NVM Command Set
//! Commands").

use nvmeq_core::{Command, Data, NvmOpcode};

use crate::controller::{data_in, data_out, meta_in, Namespace, RamController};
use crate::meta;
use crate::status::{at, dnr, Fail};
use nvmeq_core::Status;

/// Copy: Maximum Single Source Range Length (MSSRL), in logical blocks.
pub(crate) const MSSRL: u16 = 0xffff;
/// Copy: Maximum Copy Length (MCL), in logical blocks.
pub(crate) const MCL: u32 = 1 << 20;
/// Copy: Maximum Source Range Count (MSRC), zero-based.
pub(crate) const MSRC_Z: u8 = 127;

/// The LBA range a Read/Write-like command addresses (CDW10-12).
#[derive(Debug, Clone, Copy)]
struct Range {
    slba: u64,
    nlb: u64,
}

fn range(sqe: &Command) -> Range {
    Range {
        slba: sqe.cdw10 as u64 | (sqe.cdw11 as u64) << 32,
        nlb: (sqe.cdw12 & 0xffff) as u64 + 1,
    }
}

/// Checks `[slba, slba + nlb)` lies in the namespace.
fn in_bounds(ns: &Namespace, slba: u64, nlb: u64, param: u8) -> Result<(), Fail> {
    match slba.checked_add(nlb) {
        Some(end) if end <= ns.nsze => Ok(()),
        _ => Err(Fail::at_lba(dnr(Status::LBA_OUT_OF_RANGE), slba, param)),
    }
}

impl RamController {
    /// Executes an I/O command, returning the completion's result dwords.
    pub(crate) fn io(
        &mut self,
        sqe: &Command,
        mut data: Data<'_>,
        mut meta: Data<'_>,
    ) -> Result<u64, Fail> {
        let op = NvmOpcode(sqe.opcode());
        match op {
            NvmOpcode::FLUSH => return self.flush(sqe),
            NvmOpcode::READ
            | NvmOpcode::WRITE
            | NvmOpcode::COMPARE
            | NvmOpcode::WRITE_ZEROES
            | NvmOpcode::DATASET_MANAGEMENT
            | NvmOpcode::VERIFY
            | NvmOpcode::COPY => {}
            _ => return Err(Fail::new(dnr(Status::INVALID_OPCODE), at::OPC)),
        }
        let idx = match sqe.nsid.checked_sub(1) {
            // Allocated but detached is inactive: Invalid Namespace or Format.
            Some(i) if self.ns.get(i as usize).is_some_and(|n| n.is_active()) => i as usize,
            _ => return Err(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID)),
        };
        let max_xfer = self.cfg.max_xfer() as u64;
        let ns = &mut self.ns[idx];
        let shift = ns.lbads as u32;
        let has_meta = ns.fmt.ms > 0;
        let s = &mut self.meta_scratch;
        match op {
            NvmOpcode::READ => {
                let r = range(sqe);
                let (len, mlen) = meta::lens(ns, sqe, r.nlb);
                if len > max_xfer {
                    return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW12));
                }
                in_bounds(ns, r.slba, r.nlb, at::CDW10)?;
                let dst = data_in(&mut data, len)?;
                if has_meta {
                    let mdst = meta_in(&mut meta, mlen)?;
                    meta::read(ns, sqe, r.slba, r.nlb as usize, dst, mdst, s)?;
                } else {
                    ns.media.read(r.slba << shift, dst);
                }
                self.smart.host_read_cmds += 1;
                self.smart.read_units_512 += ((r.nlb << shift) >> 9) as u128;
                Ok(0)
            }
            NvmOpcode::WRITE => {
                let r = range(sqe);
                let (len, mlen) = meta::lens(ns, sqe, r.nlb);
                if len > max_xfer {
                    return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW12));
                }
                in_bounds(ns, r.slba, r.nlb, at::CDW10)?;
                let src = data_out(&data, len)?;
                if has_meta {
                    let msrc = data_out(&meta, mlen)?;
                    meta::write(ns, sqe, r.slba, r.nlb as usize, src, msrc, s)?;
                } else {
                    ns.media.write(r.slba << shift, src);
                }
                self.smart.host_write_cmds += 1;
                self.smart.written_units_512 += ((r.nlb << shift) >> 9) as u128;
                Ok(0)
            }
            NvmOpcode::COMPARE => {
                let r = range(sqe);
                let (len, mlen) = meta::lens(ns, sqe, r.nlb);
                if len > max_xfer {
                    return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW12));
                }
                in_bounds(ns, r.slba, r.nlb, at::CDW10)?;
                let src = data_out(&data, len)?;
                let same = if has_meta {
                    let msrc = data_out(&meta, mlen)?;
                    meta::compare(ns, sqe, r.slba, r.nlb as usize, src, msrc, s)?
                } else {
                    ns.media.compare(r.slba << shift, src)
                };
                self.smart.host_read_cmds += 1;
                self.smart.read_units_512 += ((r.nlb << shift) >> 9) as u128;
                if same {
                    Ok(0)
                } else {
                    Err(Fail::at_lba(Status::COMPARE_FAILURE, r.slba, at::CDW10))
                }
            }
            NvmOpcode::VERIFY => {
                // No data moves; in memory every block reads back, so only
                // the PI can fail, checked as PRCHK says.
                let r = range(sqe);
                in_bounds(ns, r.slba, r.nlb, at::CDW10)?;
                if has_meta {
                    meta::verify(ns, sqe, r.slba, r.nlb as usize, s)?;
                }
                self.smart.host_read_cmds += 1;
                self.smart.read_units_512 += ((r.nlb << shift) >> 9) as u128;
                Ok(0)
            }
            NvmOpcode::WRITE_ZEROES => {
                // Not bounded by MDTS: no data moves. DEAC (bit 25) changes
                // nothing here: deallocated blocks read as zeroes too.
                let r = range(sqe);
                in_bounds(ns, r.slba, r.nlb, at::CDW10)?;
                if has_meta {
                    meta::write_zeroes(ns, sqe, r.slba, r.nlb)?;
                } else {
                    ns.media.zero(r.slba << shift, r.nlb << shift);
                }
                Ok(0)
            }
            NvmOpcode::DATASET_MANAGEMENT => {
                let nr = (sqe.cdw10 & 0xff) as u64 + 1;
                let ad = sqe.cdw11 & (1 << 2) != 0;
                let src = data_out(&data, nr * 16)?;
                // Check every range before changing any.
                for d in src.chunks_exact(16) {
                    let (nlb, slba) = dsm_range(d);
                    in_bounds(ns, slba, nlb, at::CDW10)?;
                }
                if ad {
                    for d in src.chunks_exact(16) {
                        let (nlb, slba) = dsm_range(d);
                        ns.media.zero(slba << shift, nlb << shift);
                        let ms = ns.fmt.ms as u64;
                        ns.meta.zero(slba * ms, nlb * ms);
                    }
                }
                Ok(0)
            }
            NvmOpcode::COPY => self.copy(idx, sqe, &data),
            _ => Err(Fail::new(dnr(Status::INVALID_OPCODE), at::OPC)),
        }
    }

    fn flush(&mut self, sqe: &Command) -> Result<u64, Fail> {
        // VWC bits 2:1 = 11b: an NSID of FFFFFFFFh flushes every namespace.
        if sqe.nsid == u32::MAX || self.namespace(sqe.nsid).is_some() {
            // With a state file, Flush is the host's durability point: the
            // whole state is written before the command completes.
            // The status cannot carry why, so the reason goes to stderr
            // (as a failed save on drop does).
            self.save().map(|()| 0).map_err(|e| {
                eprintln!("nvmeq-ram: Flush cannot save the controller: {e}");
                Fail::unspecific(Status::INTERNAL_ERROR)
            })
        } else {
            Err(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID))
        }
    }

    /// Copy with Source Range Entries Copy Descriptor Format 0h.
    fn copy(&mut self, idx: usize, sqe: &Command, data: &Data<'_>) -> Result<u64, Fail> {
        let sdlba = sqe.cdw10 as u64 | (sqe.cdw11 as u64) << 32;
        let nr_z = (sqe.cdw12 & 0xff) as u8;
        let desc_format = (sqe.cdw12 >> 8) & 0xf;
        if desc_format != 0 {
            return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW12 + 1));
        }
        if nr_z > MSRC_Z {
            return Err(Fail::new(
                dnr(Status::COMMAND_SIZE_LIMIT_EXCEEDED),
                at::CDW12,
            ));
        }
        let src = data_out(data, (nr_z as u64 + 1) * 32)?;
        let ns = &mut self.ns[idx];
        let mut total = 0u64;
        for d in src.chunks_exact(32) {
            let (slba, nlb) = copy_range(d);
            if nlb > MSSRL as u64 {
                return Err(Fail::at_lba(
                    dnr(Status::COMMAND_SIZE_LIMIT_EXCEEDED),
                    slba,
                    at::CDW12,
                ));
            }
            in_bounds(ns, slba, nlb, at::CDW12)?;
            total += nlb;
        }
        if total > MCL as u64 {
            return Err(Fail::at_lba(
                dnr(Status::COMMAND_SIZE_LIMIT_EXCEEDED),
                sdlba,
                at::CDW12,
            ));
        }
        in_bounds(ns, sdlba, total, at::CDW10)?;
        let shift = ns.lbads as u32;
        let mut dst = sdlba;
        for d in src.chunks_exact(32) {
            let (slba, nlb) = copy_range(d);
            ns.media
                .copy(slba << shift, dst << shift, nlb << shift, &mut self.scratch);
            // Metadata, PI included, moves with its blocks unchanged.
            let ms = ns.fmt.ms as u64;
            ns.meta
                .copy(slba * ms, dst * ms, nlb * ms, &mut self.scratch);
            dst += nlb;
        }
        Ok(0)
    }
}

/// A Dataset Management range (NVM spec "Dataset Management – Range
/// Definition"): context attributes, length in blocks (1-based), starting LBA.
fn dsm_range(d: &[u8]) -> (u64, u64) {
    let nlb = u32::from_le_bytes([d[4], d[5], d[6], d[7]]) as u64;
    let slba = u64::from_le_bytes([d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]]);
    (nlb, slba)
}

/// A Copy Source Range Entry, format 0h: SLBA at bytes 15:8, NLB (zero-based)
/// at bytes 17:16.
fn copy_range(d: &[u8]) -> (u64, u64) {
    let slba = u64::from_le_bytes([d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]]);
    let nlb = u16::from_le_bytes([d[16], d[17]]) as u64 + 1;
    (slba, nlb)
}
