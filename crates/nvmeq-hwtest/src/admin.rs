//! Read-only admin tests: Identify, log pages, features.

use nvmeq_core::cmd::{Cns, FeatureId, GetFeatures, GetLogPage, Identify, LogId, Numd};
use nvmeq_core::identify::{ns_descriptors, NsList};
use nvmeq_core::log::{CommandEffectsLog, ErrorLogEntry, FwSlotLog, SmartLog};
use nvmeq_core::{AdminOpcode, Cmd, Data, Error, IdentifyController, NvmOpcode, Status};
use zerocopy::IntoBytes;

use crate::check::{ctx_err, parse};
use crate::registry::HwBackend;
use crate::runner::TestResult;
use crate::suite::Ctx;

fn log_page(lid: LogId, nsid: u32, len: u32) -> Cmd {
    // Every length used here is a whole number of dwords.
    let numd = Numd::from_bytes(len).unwrap_or(Numd::BYTES_4096);
    GetLogPage::new(lid, numd).nsid(nsid).build()
}

/// Identify Controller: printable identity, sane limits, same data twice.
pub fn identify_controller<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; 4096];
    c.b.execute(&Identify::controller().build(), Data::FromDevice(&mut buf))
        .map_err(ctx_err("Identify Controller"))?;
    if buf[..] != *c.id_ctrl.as_bytes() {
        return Err("two Identify Controller reads differ".into());
    }
    let id: IdentifyController = parse(&buf)?;
    let field = |name: &str, v: Option<&str>| -> Result<String, String> {
        match v {
            Some(s) if !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b)) => {
                Ok(s.into())
            }
            other => Err(format!("{name} {other:?} is empty or not printable ASCII")),
        }
    };
    let (sn, mn, fr) = (
        field("sn", id.sn())?,
        field("mn", id.mn())?,
        field("fr", id.fr())?,
    );
    if id.nn == 0 {
        return Err("NN (number of namespaces) is 0".into());
    }
    let (sqes, cqes) = (id.sqes, id.cqes);
    if sqes & 0xf > 6 || sqes >> 4 < 6 || cqes & 0xf > 4 || cqes >> 4 < 4 {
        return Err(format!(
            "SQES {sqes:#x} / CQES {cqes:#x} do not allow 64/16-byte entries"
        ));
    }
    Ok(format!(
        "vid {:#06x} mn '{mn}' sn '{sn}' fr '{fr}' mdts {} nn {} NVMe {}",
        id.vid, id.mdts, id.nn, id.ver
    ))
}

/// Identify Namespace: NCAP ≤ NSZE, NUSE ≤ NCAP, the format's block size is the backend's.
pub fn identify_namespace<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let id = &c.id_ns;
    let (nsze, ncap, nuse) = (id.nsze, id.ncap, id.nuse);
    if nsze == 0 || ncap > nsze || nuse > ncap {
        return Err(format!(
            "nsze {nsze} ncap {ncap} nuse {nuse} are inconsistent"
        ));
    }
    let idx = id.flbas_index();
    if idx >= id.lba_format_count() {
        return Err(format!(
            "FLBAS selects format {idx} but NLBAF is {}",
            id.nlbaf_z
        ));
    }
    let ds = id
        .lba_size()
        .ok_or(format!("format {idx} has an invalid LBADS"))?;
    let ms = id.metadata_size() as u32;
    let want = ds + if id.extended_lba() { ms } else { 0 };
    if want != c.lba {
        return Err(format!(
            "format {idx}: {want} B per block but the backend uses {}",
            c.lba
        ));
    }
    Ok(format!(
        "nsze {nsze} ncap {ncap} nuse {nuse} format {idx}: {ds} B + {ms} B metadata"
    ))
}

/// Active Namespace ID list (CNS 02h): ascending, and holds our namespace.
pub fn active_ns_list<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; 4096];
    c.b.execute(
        &Identify::active_ns_list(0).build(),
        Data::FromDevice(&mut buf),
    )
    .map_err(ctx_err("Identify CNS 02h"))?;
    let list: NsList = parse(&buf)?;
    let ids: Vec<u32> = list.ids().collect();
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
pub fn ns_descriptors_list<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; 4096];
    c.b.execute(
        &Identify::new(Cns::NS_DESCRIPTORS, c.nsid).build(),
        Data::FromDevice(&mut buf),
    )
    .map_err(ctx_err("Identify CNS 03h"))?;
    let mut seen = Vec::new();
    for d in ns_descriptors(&buf) {
        let d = d.map_err(|e| e.to_string())?;
        if let Some(n) = d.nidt.required_len() {
            if d.nidl != n {
                return Err(format!("{} has NIDL {}, expected {n}", d.nidt, d.nidl));
            }
        }
        seen.push(format!("{} ({} B)", d.nidt, d.nidl));
    }
    if seen.is_empty() {
        return Err("no descriptors".into());
    }
    Ok(seen.join(", "))
}

/// SMART / Health Information (LID 02h), controller-wide.
pub fn log_smart<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; 512];
    c.b.execute(
        &log_page(LogId::SMART, 0xffff_ffff, 512),
        Data::FromDevice(&mut buf),
    )
    .map_err(ctx_err("Get Log Page 02h"))?;
    let log: SmartLog = parse(&buf)?;
    let kelvin = log.temperature.get();
    if c.fabrics() && kelvin == 0 {
        // A fabrics target need not have a sensor (Linux nvmet reports 0 K).
        if log.avail_spare > 100 {
            return Err(format!("available spare {}% > 100%", log.avail_spare));
        }
        return Ok(format!(
            "no temperature (0 K: a fabrics target without a sensor), power-on hours {}",
            log.power_on_hours.get()
        ));
    }
    if !(200..=500).contains(&kelvin) {
        return Err(format!("composite temperature {kelvin} K is implausible"));
    }
    if log.avail_spare > 100 {
        return Err(format!("available spare {}% > 100%", log.avail_spare));
    }
    Ok(format!(
        "temp {} °C, spare {}%, used {}%, power-on hours {}",
        log.temperature_celsius(),
        log.avail_spare,
        log.percent_used,
        log.power_on_hours.get()
    ))
}

/// Error Information (LID 01h): the newest entry.
pub fn log_error<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; 64];
    c.b.execute(
        &log_page(LogId::ERROR, 0xffff_ffff, 64),
        Data::FromDevice(&mut buf),
    )
    .map_err(ctx_err("Get Log Page 01h"))?;
    let e: ErrorLogEntry = parse(&buf)?;
    if e.is_empty() {
        Ok(format!("no errors logged (ELPE {})", c.id_ctrl.elpe_z))
    } else {
        Ok(format!(
            "newest of {} errors: {} (sqid {}, cid {:#x})",
            e.error_count,
            e.status(),
            e.sqid,
            e.cid
        ))
    }
}

/// Firmware Slot Information (LID 03h): the active slot exists.
pub fn log_fw_slot<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; 512];
    c.b.execute(
        &log_page(LogId::FW_SLOT, 0xffff_ffff, 512),
        Data::FromDevice(&mut buf),
    )
    .map_err(ctx_err("Get Log Page 03h"))?;
    if c.fabrics() && buf.iter().all(|&b| b == 0) {
        // Linux nvmet keeps no firmware: its Firmware Slot log is all zeros.
        return Ok("all zeros: a fabrics target without firmware slots (nvmet)".into());
    }
    let log: FwSlotLog = parse(&buf)?;
    let slot = log.active_slot();
    let nslots = (c.id_ctrl.frmw >> 1) & 7;
    if slot == 0 || slot > 7 {
        return Err(format!(
            "active slot {slot} is not 1..7 (AFI {:#x})",
            log.afi
        ));
    }
    if nslots != 0 && slot > nslots {
        return Err(format!(
            "active slot {slot} but FRMW reports {nslots} slots"
        ));
    }
    Ok(format!(
        "active slot {slot} of {nslots}: {:?}",
        log.frs(slot)
    ))
}

/// Commands Supported and Effects (LID 05h): Identify and Read are supported.
pub fn log_effects<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let mut buf = vec![0u8; 4096];
    let lpa_effects = c.id_ctrl.lpa & 2 != 0;
    match c.b.execute(
        &log_page(LogId::CMD_EFFECTS, 0, 4096),
        Data::FromDevice(&mut buf),
    ) {
        Ok(_) => {}
        // Without LPA bit 1 the page is optional: Invalid Field in Command or
        // Invalid Log Page are the answers the spec allows.
        Err(Error::Status(s))
            if !lpa_effects
                && ((s.matches_code(Status::INVALID_FIELD))
                    || (s.matches_code(Status::INVALID_LOG_PAGE))) =>
        {
            return Ok(format!("not supported (LPA bit 1 clear) and refused: {s}"))
        }
        Err(e) => return Err(format!("Get Log Page 05h (LPA {:#x}): {e}", c.id_ctrl.lpa)),
    }
    let log: CommandEffectsLog = parse(&buf)?;
    if !log.admin(AdminOpcode::IDENTIFY.0).csupp() {
        return Err("Identify (admin 06h) is not marked supported".into());
    }
    if !log.io(NvmOpcode::READ.0).csupp() {
        return Err("Read (I/O 02h) is not marked supported".into());
    }
    let n_admin = (0..=255u8).filter(|&o| log.admin(o).csupp()).count();
    let n_io = (0..=255u8).filter(|&o| log.io(o).csupp()).count();
    Ok(format!(
        "{n_admin} admin and {n_io} I/O opcodes supported; Write LBCC {}",
        log.io(NvmOpcode::WRITE.0).lbcc()
    ))
}

/// Number of Queues (FID 07h).
pub fn feat_num_queues<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let cqe =
        c.b.execute(&GetFeatures::new(FeatureId::NUM_QUEUES).build(), Data::None)
            .map_err(ctx_err("Get Features 07h"))?;
    Ok(format!(
        "{} submission and {} completion queues allocated",
        (cqe.dw0 & 0xffff) + 1,
        (cqe.dw0 >> 16) + 1
    ))
}

/// Volatile Write Cache (FID 06h): answered when VWC is present, refused otherwise.
pub fn feat_vwc<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let present = c.id_ctrl.vwc & 1 != 0;
    match c.b.execute(
        &GetFeatures::new(FeatureId::VOLATILE_WC).build(),
        Data::None,
    ) {
        Ok(cqe) => Ok(format!("present {present}, WCE {}", cqe.dw0 & 1)),
        Err(Error::Status(s)) if !present && s.matches_code(Status::INVALID_FIELD) => {
            Ok(format!("no volatile write cache; refused with {s}"))
        }
        Err(e) => Err(format!("Get Features 06h (VWC present {present}): {e}")),
    }
}

/// Arbitration (FID 01h).
pub fn feat_arbitration<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let r = c.b.execute(
        &GetFeatures::new(FeatureId::ARBITRATION).build(),
        Data::None,
    );
    if c.fabrics() {
        if let Err(Error::Status(s)) = &r {
            if s.matches_code(Status::INVALID_FIELD) {
                // Linux nvmet implements no arbitration feature.
                return Ok(format!("refused by the fabrics target (nvmet): {s}"));
            }
        }
    }
    let cqe = r.map_err(ctx_err("Get Features 01h"))?;
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
