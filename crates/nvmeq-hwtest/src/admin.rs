//! Read-only admin tests: Identify, log pages, features.

use nvmeq_core::cmd::Identify;
use nvmeq_core::{Data, Error, Sct};

use crate::cmds;
use crate::registry::HwBackend;
use crate::runner::TestResult;
use crate::suite::{ctx_err, le, Ctx};

fn ascii(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches([' ', '\0'])
        .to_string()
}

/// Identify Controller: printable identity, sane limits, same data twice.
pub fn identify_controller<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut id = vec![0u8; 4096];
    c.b.execute(&Identify::controller().build(), Data::FromDevice(&mut id))
        .map_err(ctx_err("Identify Controller"))?;
    if id[..] != c.id_ctrl[..] {
        return Err("two Identify Controller reads differ".into());
    }
    let (sn, mn, fr) = (ascii(&id[4..24]), ascii(&id[24..64]), ascii(&id[64..72]));
    for (name, v) in [("sn", &sn), ("mn", &mn), ("fr", &fr)] {
        if v.is_empty() || !v.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(format!("{name} {v:?} is empty or not printable ASCII"));
        }
    }
    let nn = le(&id, 516, 4);
    if nn == 0 {
        return Err("NN (number of namespaces) is 0".into());
    }
    let (sqes, cqes) = (id[512], id[513]);
    if sqes & 0xf > 6 || sqes >> 4 < 6 || cqes & 0xf > 4 || cqes >> 4 < 4 {
        return Err(format!(
            "SQES {sqes:#x} / CQES {cqes:#x} do not allow 64/16-byte entries"
        ));
    }
    Ok(format!(
        "vid {:#06x} mn '{mn}' sn '{sn}' fr '{fr}' mdts {} nn {nn} ver {:#x}",
        le(&id, 0, 2),
        id[77],
        le(&id, 80, 4)
    ))
}

/// Identify Namespace: NCAP ≤ NSZE, NUSE ≤ NCAP, the format's block size is the backend's.
pub fn identify_namespace<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let id = &c.id_ns[..];
    let (nsze, ncap, nuse) = (le(id, 0, 8), le(id, 8, 8), le(id, 16, 8));
    if nsze == 0 || ncap > nsze || nuse > ncap {
        return Err(format!(
            "nsze {nsze} ncap {ncap} nuse {nuse} are inconsistent"
        ));
    }
    let flbas = id[26];
    let idx = (flbas & 0xf) as usize | ((flbas as usize >> 5) & 3) << 4;
    if idx > id[25] as usize {
        return Err(format!(
            "FLBAS selects format {idx} but NLBAF is {}",
            id[25]
        ));
    }
    let lbads = id[128 + 4 * idx + 2];
    let ms = le(id, 128 + 4 * idx, 2) as u32;
    let ext = flbas & 0x10 != 0;
    let want = (1u32 << lbads) + if ext { ms } else { 0 };
    if want != c.lba {
        return Err(format!(
            "format {idx}: {want} B per block but the backend uses {}",
            c.lba
        ));
    }
    Ok(format!(
        "nsze {nsze} ncap {ncap} nuse {nuse} format {idx}: {} B + {ms} B metadata",
        1u32 << lbads
    ))
}

/// Active Namespace ID list (CNS 02h): ascending, and holds our namespace.
pub fn active_ns_list<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut list = vec![0u8; 4096];
    c.b.execute(
        &Identify::new(Identify::CNS_ACTIVE_NS_LIST, 0).build(),
        Data::FromDevice(&mut list),
    )
    .map_err(ctx_err("Identify CNS 02h"))?;
    let ids: Vec<u32> = list
        .chunks(4)
        .map(|d| le(d, 0, 4) as u32)
        .take_while(|&n| n != 0)
        .collect();
    if !ids.windows(2).all(|w| w[0] < w[1]) {
        return Err(format!("list is not strictly ascending: {ids:?}"));
    }
    if !ids.contains(&c.nsid) {
        return Err(format!(
            "our nsid {} is not in the active list {ids:?}",
            c.nsid
        ));
    }
    Ok(format!("active: {ids:?}"))
}

/// Namespace Identification Descriptor list (CNS 03h): well-formed, at least one descriptor.
pub fn ns_descriptors<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; 4096];
    c.b.execute(
        &Identify::new(Identify::CNS_NS_DESCRIPTORS, c.nsid).build(),
        Data::FromDevice(&mut buf),
    )
    .map_err(ctx_err("Identify CNS 03h"))?;
    let mut at = 0;
    let mut seen = Vec::new();
    while at + 4 <= buf.len() && buf[at] != 0 {
        let (nidt, nidl) = (buf[at], buf[at + 1] as usize);
        let want = match nidt {
            1 => 8,  // IEEE EUI-64
            2 => 16, // NGUID
            3 => 16, // UUID
            4 => 1,  // Command Set Identifier
            _ => nidl,
        };
        if nidl != want || at + 4 + nidl > buf.len() {
            return Err(format!(
                "descriptor type {nidt} has length {nidl}, expected {want}"
            ));
        }
        let name = match nidt {
            1 => "eui64".to_string(),
            2 => "nguid".to_string(),
            3 => "uuid".to_string(),
            4 => format!("csi={}", buf[at + 4]),
            t => format!("type{t}"),
        };
        seen.push(name);
        at += 4 + nidl;
    }
    if seen.is_empty() {
        return Err("no descriptors".into());
    }
    Ok(seen.join(", "))
}

/// SMART / Health Information (LID 02h), controller-wide.
pub fn log_smart<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut log = vec![0u8; 512];
    c.b.execute(
        &cmds::get_log_page(0x02, 0xffff_ffff, 512),
        Data::FromDevice(&mut log),
    )
    .map_err(ctx_err("Get Log Page 02h"))?;
    let temp = le(&log, 1, 2) as u32;
    let (spare, used) = (log[3], log[5]);
    if !(200..=500).contains(&temp) {
        return Err(format!("composite temperature {temp} K is implausible"));
    }
    if spare > 100 {
        return Err(format!("available spare {spare}% > 100%"));
    }
    Ok(format!(
        "temp {temp} K, spare {spare}%, used {used}%, power-on hours {}",
        le(&log, 128, 16)
    ))
}

/// Error Information (LID 01h): one entry.
pub fn log_error<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut log = vec![0u8; 64];
    c.b.execute(
        &cmds::get_log_page(0x01, 0xffff_ffff, 64),
        Data::FromDevice(&mut log),
    )
    .map_err(ctx_err("Get Log Page 01h"))?;
    Ok(format!(
        "newest entry: error count {}, elpe {}",
        le(&log, 0, 8),
        c.id_ctrl[262]
    ))
}

/// Firmware Slot Information (LID 03h): the active slot exists.
pub fn log_fw_slot<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut log = vec![0u8; 512];
    c.b.execute(
        &cmds::get_log_page(0x03, 0xffff_ffff, 512),
        Data::FromDevice(&mut log),
    )
    .map_err(ctx_err("Get Log Page 03h"))?;
    let slot = (log[0] & 7) as usize;
    let nslots = ((c.id_ctrl[260] >> 1) & 7) as usize;
    if slot == 0 || slot > 7 {
        return Err(format!(
            "active slot {slot} is not 1..7 (AFI {:#x})",
            log[0]
        ));
    }
    if nslots != 0 && slot > nslots {
        return Err(format!(
            "active slot {slot} but FRMW reports {nslots} slots"
        ));
    }
    let frs = ascii(&log[8 * slot..8 * slot + 8]);
    Ok(format!("active slot {slot} of {nslots}: '{frs}'"))
}

/// Commands Supported and Effects (LID 05h): Identify and Read are supported.
pub fn log_effects<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut log = vec![0u8; 4096];
    let lpa_effects = c.id_ctrl[261] & 2 != 0;
    let r = c.b.execute(
        &cmds::get_log_page(0x05, 0, 4096),
        Data::FromDevice(&mut log),
    );
    match r {
        Ok(_) => {}
        Err(Error::Status(s)) if !lpa_effects && s.sct() == Sct::GENERIC && s.sc() == 0x02 => {
            return Ok(format!("not supported (LPA bit 1 clear) and refused: {s}"))
        }
        Err(e) => return Err(format!("Get Log Page 05h (LPA {:#x}): {e}", c.id_ctrl[261])),
    }
    let acs = |op: usize| le(&log, op * 4, 4) as u32;
    let iocs = |op: usize| le(&log, 1024 + op * 4, 4) as u32;
    if acs(0x06) & 1 == 0 {
        return Err("Identify (admin 06h) is not marked supported".into());
    }
    if iocs(0x02) & 1 == 0 {
        return Err("Read (I/O 02h) is not marked supported".into());
    }
    let n_admin = (0..256).filter(|&o| acs(o) & 1 == 1).count();
    let n_io = (0..256).filter(|&o| iocs(o) & 1 == 1).count();
    Ok(format!(
        "{n_admin} admin and {n_io} I/O opcodes supported; Write effects {:#x}",
        iocs(0x01)
    ))
}

/// Number of Queues (FID 07h).
pub fn feat_num_queues<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let cqe =
        c.b.execute(&cmds::get_features(0x07), Data::None)
            .map_err(ctx_err("Get Features 07h"))?;
    Ok(format!(
        "{} submission and {} completion queues allocated",
        (cqe.dw0 & 0xffff) + 1,
        (cqe.dw0 >> 16) + 1
    ))
}

/// Volatile Write Cache (FID 06h): answered when VWC is present, refused otherwise.
pub fn feat_vwc<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let present = c.id_ctrl[525] & 1 != 0;
    match c.b.execute(&cmds::get_features(0x06), Data::None) {
        Ok(cqe) => Ok(format!("present {present}, WCE {}", cqe.dw0 & 1)),
        Err(Error::Status(s)) if !present && s.sct() == Sct::GENERIC && s.sc() == 0x02 => {
            Ok(format!("no volatile write cache; refused with {s}"))
        }
        Err(e) => Err(format!("Get Features 06h (VWC present {present}): {e}")),
    }
}

/// Arbitration (FID 01h).
pub fn feat_arbitration<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let cqe =
        c.b.execute(&cmds::get_features(0x01), Data::None)
            .map_err(ctx_err("Get Features 01h"))?;
    let ab = cqe.dw0 & 7;
    Ok(format!(
        "arbitration burst {}, weights low {} medium {} high {}",
        if ab == 7 {
            "unlimited".to_string()
        } else {
            (1u32 << ab).to_string()
        },
        (cqe.dw0 >> 8 & 0xff) + 1,
        (cqe.dw0 >> 16 & 0xff) + 1,
        (cqe.dw0 >> 24) + 1
    ))
}
