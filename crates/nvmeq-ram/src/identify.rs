//! Identify data structures (NVMe Base Specification, "Identify Controller
//! Data Structure", "Identify Namespace Data Structure" in the NVM Command Set
//! specification, "Namespace Identification Descriptor").

use nvmeq_core::cmd::{Cns, IdentifyCdw10, IdentifyCdw11};
use nvmeq_core::format::NsFormat;
use nvmeq_core::identify::{
    iocsc, oacs, oncs, put_spec_str, ControllerList, Csi, Dpc, Dps, Elbaf, EnduranceGroupList,
    IdentifyController, IdentifyControllerNvm, IdentifyNamespace, IdentifyNamespaceIndependent,
    IdentifyNamespaceNvm, IoCommandSets, LbaFormat, Nidt, NsDescriptor, NsList,
    PrimaryControllerCaps, SecondaryControllerList,
};
use nvmeq_core::pi::{PiLocation, PiType};
use nvmeq_core::regs::Vs;
use nvmeq_core::Command;
use zerocopy::byteorder::little_endian::U128;
use zerocopy::{FromZeros, IntoBytes};

use crate::controller::{Namespace, RamController};
use crate::health::ERROR_LOG_ENTRIES;
use crate::nvm::{MCL, MSRC_Z, MSSRL};
use crate::self_test::EDSTT;
use crate::status::{at, dnr, Fail};
use nvmeq_core::Status;

/// Model Number (MN).
pub const MN: &str = "nvmeq ram controller";
/// Firmware Revision (FR), 8 bytes space padded.
pub const FR: [u8; 8] = *b"1.0     ";
/// Version (VER): NVMe 2.0.0.
pub const VER: Vs = Vs::from_parts(2, 0, 0);
/// Optional NVM Command Support (ONCS): the commands implemented, and the
/// Select field of Get Features.
pub const ONCS: u16 = oncs::COMPARE
    | oncs::DSM
    | oncs::WRITE_ZEROES
    | oncs::SAVE_FEATURES
    | oncs::VERIFY
    | oncs::COPY;
/// Deallocate Logical Block Features (DLFEAT): deallocated blocks read as
/// zeroes (bits 2:0 = 001b), Write Zeroes supports DEAC (bit 3).
pub const DLFEAT: u8 = 0x01 | 1 << 3;
/// The namespace's NGUID: stable, unique per controller serial and nsid.
pub(crate) fn nguid(serial: &str, nsid: u32) -> [u8; 16] {
    // FNV-1a over the serial, then the nsid: deterministic and never all zero.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in serial.bytes() {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let mut g = [0u8; 16];
    g[..4].copy_from_slice(b"nvmq");
    g[4..12].copy_from_slice(&h.to_be_bytes());
    g[12..].copy_from_slice(&nsid.to_be_bytes());
    g
}

/// Fills `out` (4096 bytes) with the structure the command's CNS asks for.
pub(crate) fn fill(c: &RamController, sqe: &Command, out: &mut [u8]) -> Result<(), Fail> {
    let cns = IdentifyCdw10::from_bits(sqe.cdw10).cns();
    match cns {
        Cns::CONTROLLER => {
            out.copy_from_slice(controller(c).as_bytes());
            Ok(())
        }
        // Active NSIDs (CNS 00h) or allocated ones (CNS 11h). A valid NSID
        // with no such namespace reads as zeroes; FFFFFFFFh gives the
        // capabilities every namespace shares (namespace management is
        // supported).
        Cns::NAMESPACE | Cns::ALLOCATED_NAMESPACE => {
            let found = if cns == Cns::NAMESPACE {
                c.namespace(sqe.nsid)
            } else {
                c.allocated(sqe.nsid)
            };
            match found {
                Some(ns) => out.copy_from_slice(namespace(&c.cfg.serial, sqe.nsid, ns).as_bytes()),
                None if sqe.nsid == u32::MAX => out.copy_from_slice(common_namespace(c).as_bytes()),
                None if sqe.nsid >= 1 && sqe.nsid <= c.cfg.nn_max() => out.fill(0),
                None => return Err(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID)),
            }
            Ok(())
        }
        Cns::CSI_NAMESPACE => {
            if IdentifyCdw11::from_bits(sqe.cdw11).csi() != Csi::NVM {
                return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11 + 3));
            }
            let ns = c
                .namespace(sqe.nsid)
                .ok_or(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID))?;
            out.copy_from_slice(nvm_namespace(ns).as_bytes());
            Ok(())
        }
        Cns::ACTIVE_NS_LIST | Cns::ALLOCATED_NS_LIST => {
            if sqe.nsid >= 0xffff_fffe {
                return Err(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID));
            }
            // Active (or allocated) nsids greater than NSID, ascending, up to 1024.
            let active = cns == Cns::ACTIVE_NS_LIST;
            let listed = (sqe.nsid + 1..=c.cfg.nn_max()).filter(|&id| {
                if active {
                    c.namespace(id).is_some()
                } else {
                    c.allocated(id).is_some()
                }
            });
            let mut list = NsList::new_zeroed();
            for (slot, nsid) in list.ns.iter_mut().zip(listed) {
                *slot = nsid;
            }
            out.copy_from_slice(list.as_bytes());
            Ok(())
        }
        Cns::NS_DESCRIPTORS => {
            c.namespace(sqe.nsid)
                .ok_or(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID))?;
            out.fill(0);
            let nguid = nguid(&c.cfg.serial, sqe.nsid);
            let csi = [Csi::NVM.0];
            let mut off = 0;
            for d in [
                NsDescriptor::new(Nidt::NGUID, &nguid),
                NsDescriptor::new(Nidt::CSI, &csi),
            ]
            .into_iter()
            .flatten()
            {
                off += d.write_to(&mut out[off..]).unwrap_or(0);
            }
            Ok(())
        }
        Cns::CSI_CONTROLLER => {
            // Only the NVM Command Set is implemented.
            if IdentifyCdw11::from_bits(sqe.cdw11).csi() != Csi::NVM {
                return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11 + 3));
            }
            let mut id = IdentifyControllerNvm::new_zeroed();
            // No Verify, Write Zeroes or Dataset Management limits beyond
            // MDTS (0: none reported); NVM Command Set 1.0.
            id.ver.set(0x0001_0000);
            out.copy_from_slice(id.as_bytes());
            Ok(())
        }
        Cns::CONTROLLER_LIST | Cns::NS_CONTROLLER_LIST => {
            // CNS 12h: the controllers the namespace is attached to (this
            // one, or none); CNS 13h: every controller in the subsystem.
            let listed = if cns == Cns::NS_CONTROLLER_LIST {
                if sqe.nsid == 0 || sqe.nsid > c.cfg.nn_max() {
                    return Err(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID));
                }
                c.namespace(sqe.nsid).is_some()
            } else {
                true
            };
            // The list holds identifiers greater than or equal to CNTID.
            let mut list = ControllerList::new_zeroed();
            if listed && IdentifyCdw10::from_bits(sqe.cdw10).cntid() <= CNTLID {
                list.num = 1;
                list.ids[0] = CNTLID;
            }
            out.copy_from_slice(list.as_bytes());
            Ok(())
        }
        Cns::PRIMARY_CONTROLLER_CAPS => {
            // No virtualization: no flexible resources (CRT 0), nothing to assign.
            let mut caps = PrimaryControllerCaps::new_zeroed();
            caps.cntlid = CNTLID;
            out.copy_from_slice(caps.as_bytes());
            Ok(())
        }
        Cns::SECONDARY_CONTROLLER_LIST => {
            out.copy_from_slice(SecondaryControllerList::new_zeroed().as_bytes());
            Ok(())
        }
        Cns::IO_COMMAND_SETS => {
            // One combination: the NVM Command Set alone.
            let mut sets = IoCommandSets::new_zeroed();
            sets.iocsc[0] = iocsc::NVM;
            out.copy_from_slice(sets.as_bytes());
            Ok(())
        }
        Cns::NS_USER_DATA_FORMAT => {
            // What a namespace in LBA format CNSSID would report: the format
            // fields, no size (nothing is allocated).
            let index = IdentifyCdw11::from_bits(sqe.cdw11).cnssid();
            if index != 0 {
                return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
            }
            let mut id = IdentifyNamespace::new_zeroed();
            id.dlfeat = DLFEAT;
            id.lbaf[0] = LbaFormat::new().with_lbads(c.cfg.lba_size.trailing_zeros() as u8);
            out.copy_from_slice(id.as_bytes());
            Ok(())
        }
        Cns::CSI_NS_USER_DATA_FORMAT => {
            // The NVM command set's view of the same one format: no
            // metadata, so no PI format and no storage tag.
            let cdw11 = IdentifyCdw11::from_bits(sqe.cdw11);
            if cdw11.csi() != Csi::NVM {
                return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11 + 3));
            }
            if cdw11.cnssid() != 0 {
                return Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW11));
            }
            out.copy_from_slice(IdentifyNamespaceNvm::new_zeroed().as_bytes());
            Ok(())
        }
        // The fields every command set shares, from the namespace's CNS 00h
        // structure, and NSTAT: ready (ram namespaces are ready once attached).
        Cns::CS_INDEP_NAMESPACE => {
            let ns = c
                .namespace(sqe.nsid)
                .ok_or(Fail::new(dnr(Status::INVALID_NS_OR_FORMAT), at::NSID))?;
            let id = namespace(&c.cfg.serial, sqe.nsid, ns);
            let mut ind = IdentifyNamespaceIndependent::new_zeroed();
            ind.nsfeat = id.nsfeat;
            ind.nmic = id.nmic;
            ind.rescap = id.rescap;
            ind.fpi = id.fpi;
            ind.anagrpid = id.anagrpid;
            ind.nsattr = id.nsattr;
            ind.nvmsetid = id.nvmsetid;
            ind.endgid = id.endgid;
            ind.nstat = IdentifyNamespaceIndependent::NSTAT_NRDY;
            out.copy_from_slice(ind.as_bytes());
            Ok(())
        }
        // No Endurance Groups (CTRATT bit 4 clear): the list of those at or
        // above CNSSID is empty.
        Cns::ENDURANCE_GROUP_LIST => {
            out.copy_from_slice(EnduranceGroupList::new_zeroed().as_bytes());
            Ok(())
        }
        // No UUID list, NVM Sets, domains or granularities: CTRATT says
        // so, and these structures are refused.
        _ => Err(Fail::new(dnr(Status::INVALID_FIELD), at::CDW10)),
    }
}

/// Controller ID (CNTLID) of the one controller.
pub(crate) const CNTLID: u16 = 1;

/// Identify Controller (CNS 01h).
fn controller(c: &RamController) -> IdentifyController {
    let mut id = IdentifyController::new_zeroed();
    // VID / SSVID stay 0: no PCI function backs this controller.
    let _ = put_spec_str(&mut id.sn, &c.cfg.serial); // validated to fit
    let _ = put_spec_str(&mut id.mn, MN);
    id.fr = c.firmware.revision();
    id.rab = 6; // 64 commands.
    id.mdts = c.cfg.mdts;
    id.cntlid = CNTLID;
    id.ver = VER;
    id.cntrltype = 1; // I/O controller.

    // Security Send/Receive (protocols 00h and EAh, RPMB), Device Self-test,
    // Namespace Management / Attachment, Firmware Commit and Image Download,
    // Directives, Get LBA Status; no Format or Lockdown.
    id.oacs = oacs::SECURITY
        | oacs::SELF_TEST
        | oacs::NS_MGMT
        | oacs::FIRMWARE
        | oacs::DIRECTIVES
        | oacs::LBA_STATUS;
    id.acl_z = 3;
    id.aerl_z = 3;
    id.frmw = crate::firmware::FRMW;
    id.fwug = crate::firmware::FWUG;
    id.sanicap = crate::sanitize::SANICAP;
    id.rpmbs = crate::rpmb::RPMBS.into_bits();
    // Commands Supported and Effects (bit 1), Extended Get Log Page (bit 2:
    // NUMDU, offsets), Supported Log Pages and the scope fields (bit 5),
    // telemetry (bit 3, data area 4: bit 6) and the persistent event log (bit 4).
    id.lpa = 1 << 1 | 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5 | 1 << 6;
    id.elpe_z = (ERROR_LOG_ENTRIES - 1) as u8;
    // NPSS 0: one power state, PSD0 with maximum power not reported.
    id.wctemp = 343; // 70 °C
    id.cctemp = 358; // 85 °C
    id.tnvmcap = U128::new(c.cfg.tnvmcap() as u128);
    id.unvmcap = U128::new(c.unallocated_capacity() as u128);
    id.edstt = EDSTT;
    id.dsto = 1; // One device self-test at a time, for the whole subsystem.
    id.sqes = 0x66; // 64-byte entries
    id.cqes = 0x44; // 16-byte entries
    id.maxcmd = c.cfg.queue_depth.min(0xffff) as u16;
    id.nn = c.cfg.nn_max();
    id.oncs = ONCS;
    // VWC present (bit 0); Flush with NSID FFFFFFFFh supported (bits 2:1 = 11b).
    id.vwc = 0x07;
    id.ocfs = 1; // Copy descriptor format 0h.
    let nqn = subnqn(&c.cfg.serial);
    id.subnqn[..nqn.len()].copy_from_slice(nqn.as_bytes());
    id
}

/// The NVM Subsystem NVMe Qualified Name.
pub(crate) fn subnqn(serial: &str) -> String {
    format!("nqn.2024-01.invalid.nvmeq:ram:{serial}")
}

/// Identify Namespace (CNS 00h) for the NVM command set.
fn namespace(serial: &str, nsid: u32, ns: &Namespace) -> IdentifyNamespace {
    let mut id = IdentifyNamespace::new_zeroed();
    id.nsze = ns.nsze;
    id.ncap = ns.nsze; // Fully provisioned:
    id.nuse = ns.nsze; // NSFEAT bit 0 clear, so NUSE = NCAP.
                       // NLBAF 0 (one format, zero-based); FLBAS 0 (format 0).
    id.dlfeat = DLFEAT;
    id.nvmcap = U128::new((ns.nsze as u128) << ns.lbads);
    id.mssrl = MSSRL;
    id.mcl = MCL;
    id.msrc_z = MSRC_Z;
    id.nguid = nguid(serial, nsid);
    // One format, RP 0 (best), with the configured metadata size.
    id.lbaf[0] = LbaFormat::new().with_lbads(ns.lbads).with_ms(ns.fmt.ms);
    let extended = ns.fmt.ms > 0 && ns.fmt.meta_bytes == 0;
    if extended {
        id.flbas = IdentifyNamespace::FLBAS_EXTENDED;
    }
    // MC: bit 0 extended LBAs, bit 1 a separate buffer; the one in use.
    if ns.fmt.ms > 0 {
        id.mc = if extended { 1 } else { 2 };
    }
    // DPC names what this namespace can do: the type and place it has.
    if let Some(pi) = ns.fmt.pi {
        let first = pi.location == PiLocation::First;
        id.dpc = Dpc::new()
            .with_type1(pi.pi_type == PiType::Type1)
            .with_type2(pi.pi_type == PiType::Type2)
            .with_type3(pi.pi_type == PiType::Type3)
            .with_first(first)
            .with_last(!first)
            .into_bits();
    }
    id.dps = dps_of(&ns.fmt);
    id
}

/// DPS for a format: the PI type and place it has, 0 without PI.
pub(crate) fn dps_of(fmt: &NsFormat) -> u8 {
    match fmt.pi {
        Some(pi) => Dps::new()
            .with_pit(pi.pi_type.into_bits())
            .with_pip(pi.location == PiLocation::First)
            .into_bits(),
        None => 0,
    }
}

/// Identify Namespace for NSID FFFFFFFFh: the fields every namespace
/// shares (the one LBA format, its metadata and protection), no sizes.
fn common_namespace(c: &RamController) -> IdentifyNamespace {
    let lbads = c.cfg.lba_size.trailing_zeros() as u8;
    let mut id = namespace(
        &c.cfg.serial,
        0,
        &Namespace::unallocated(c.cfg.format(), lbads),
    );
    id.nguid = [0; 16];
    id.dps = 0;
    id
}

/// The NVM command set's Identify Namespace (CNS 05h, CSI 00h): the guard
/// format and storage tag size of the one LBA format.
fn nvm_namespace(ns: &Namespace) -> IdentifyNamespaceNvm {
    let mut id = IdentifyNamespaceNvm::new_zeroed();
    if let Some(pi) = ns.fmt.pi {
        id.elbaf[0] = Elbaf::new().with_pif(pi.pif.into_bits()).with_sts(pi.sts);
        // Every storage tag bit is checked when STC asks.
        id.lbstm = pi.storage_mask();
    }
    id
}
