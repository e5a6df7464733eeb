//! `id-ns -o json`: nvme-cli 2.3's keys and order (`json_nvme_id_ns`).
//!
//! As in nvme-cli, zero-based fields are printed raw (`nlbaf`, `nawun`, …),
//! `npwg`..`nows` only when NSFEAT bit 4 says they are valid, and `lbafs`
//! holds formats 0..=nlbaf. `nvmcap` is a JSON number with every digit,
//! as in nvme-cli 2.13 (2.3: a string).

use nvmeq_core::identify::IdentifyNamespace;
use nvmeq_core::LbaFormat;
use serde::Serialize;

use crate::output::hex;

/// One LBA format (`lbafs[]`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Lbaf {
    ms: u16,
    ds: u8,
    rp: u8,
}

impl From<&LbaFormat> for Lbaf {
    fn from(f: &LbaFormat) -> Self {
        Lbaf {
            ms: f.ms(),
            ds: f.lbads(),
            rp: f.rp(),
        }
    }
}

/// Identify Namespace in nvme-cli's JSON shape.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct IdNs {
    nsze: u64,
    ncap: u64,
    nuse: u64,
    nsfeat: u8,
    nlbaf: u8,
    flbas: u8,
    mc: u8,
    dpc: u8,
    dps: u8,
    nmic: u8,
    rescap: u8,
    fpi: u8,
    dlfeat: u8,
    nawun: u16,
    nawupf: u16,
    nacwu: u16,
    nabsn: u16,
    nabo: u16,
    nabspf: u16,
    noiob: u16,
    nvmcap: u128,
    nsattr: u8,
    nvmsetid: u16,
    #[serde(flatten)]
    optperf: Option<OptPerf>,
    mssrl: u16,
    mcl: u32,
    msrc: u8,
    nulbaf: u8,
    anagrpid: u32,
    endgid: u16,
    eui64: String,
    nguid: String,
    lbafs: Vec<Lbaf>,
}

/// The optimal-performance fields, present when NSFEAT bit 4 is set.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct OptPerf {
    npwg: u16,
    npwa: u16,
    npdg: u16,
    npda: u16,
    nows: u16,
}

impl From<&IdentifyNamespace> for IdNs {
    fn from(n: &IdentifyNamespace) -> Self {
        IdNs {
            nsze: n.nsze,
            ncap: n.ncap,
            nuse: n.nuse,
            nsfeat: n.nsfeat,
            nlbaf: n.nlbaf_z,
            flbas: n.flbas,
            mc: n.mc,
            dpc: n.dpc,
            dps: n.dps,
            nmic: n.nmic,
            rescap: n.rescap,
            fpi: n.fpi,
            dlfeat: n.dlfeat,
            nawun: n.nawun_z,
            nawupf: n.nawupf_z,
            nacwu: n.nacwu_z,
            nabsn: n.nabsn_z,
            nabo: n.nabo,
            nabspf: n.nabspf_z,
            noiob: n.noiob,
            nvmcap: n.nvmcap.get(),
            nsattr: n.nsattr,
            nvmsetid: n.nvmsetid,
            optperf: (n.nsfeat & 0x10 != 0).then_some(OptPerf {
                npwg: n.npwg_z,
                npwa: n.npwa_z,
                npdg: n.npdg_z,
                npda: n.npda_z,
                nows: n.nows_z,
            }),
            mssrl: n.mssrl,
            mcl: n.mcl,
            msrc: n.msrc_z,
            nulbaf: n.nulbaf,
            anagrpid: n.anagrpid,
            endgid: n.endgid,
            eui64: hex(&n.eui64),
            nguid: hex(&n.nguid),
            lbafs: n
                .lbaf
                .iter()
                .take(usize::from(n.nlbaf_z) + 1)
                .map(Lbaf::from)
                .collect(),
        }
    }
}
