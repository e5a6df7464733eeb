//! Zoned Namespace tests on a zoned namespace device: report zones, reset,
//! append (the completion names the LBA written), read back, and a write
//! away from the write pointer refused.

use nvmeq_core::cmd::{Numd, Write, ZoneAppend, ZoneMgmtRecv, ZoneMgmtSend};
use nvmeq_core::zoned::{ZoneDescriptor, ZoneReport, ZoneState, ZoneType};
use nvmeq_core::{Data, Status};

use crate::check::expect_status;
use crate::pattern::{diff, fill};
use crate::registry::HwBackend;
use crate::runner::{Runner, TestResult};
use crate::suite::Ctx;
use crate::target::Target;

/// Report Zones from the zone holding `slba`: (zones in the namespace from there, descriptors that fit).
fn report<B: HwBackend>(c: &mut Ctx<B>, slba: u64) -> Result<(u64, Vec<ZoneDescriptor>), String> {
    let mut buf = vec![0u8; 4096];
    let cmd = ZoneMgmtRecv::new(c.nsid, slba, Numd::BYTES_4096).build();
    c.b.execute(&cmd, Data::FromDevice(&mut buf))
        .map_err(|e| format!("report zones: {e}"))?;
    let r = ZoneReport::parse(&buf, 0).map_err(|e| e.to_string())?;
    Ok((r.nr_zones(), r.descriptors().collect()))
}

fn reset<B: HwBackend>(c: &mut Ctx<B>, zslba: u64) -> Result<(), String> {
    c.b.execute(&ZoneMgmtSend::reset(c.nsid, zslba).build(), Data::None)
        .map(drop)
        .map_err(|e| format!("reset zone at {zslba}: {e}"))
}

/// Runs the ZNS tests on `zns` (same controller as `t`).
pub fn run<B: HwBackend>(t: &Target, zns: &std::path::Path, r: &Runner) {
    let label = format!("{}-zns", t.label);
    let zt = Target {
        label: label.clone(),
        ns: zns.to_path_buf(),
        zns: None,
        differential: false,
        format: false,
        ..t.clone()
    };
    let mut ctx = None;
    r.run(&format!("{label}/open"), B::NAME, || {
        let c = Ctx::<B>::open(&zt)?;
        let d = format!("{} nsid {} ({} B blocks)", zns.display(), c.nsid, c.lba);
        ctx = Some(c);
        Ok(d)
    });
    let Some(mut c) = ctx else { return };
    let tests: &[crate::suite::Test<B>] = &[
        ("report-zones", report_zones),
        ("reset-append-read", reset_append_read),
        ("bad-write-not-at-wp", write_not_at_wp),
    ];
    for (name, f) in tests {
        r.run(&format!("{label}/{name}"), B::NAME, || f(&mut c));
    }
}

fn report_zones<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let (nr, zones) = report(c, 0)?;
    let z0 = zones.first().ok_or("no zones reported")?;
    if z0.zslba != 0 {
        return Err(format!("first zone starts at {}", z0.zslba));
    }
    if z0.zone_type() != ZoneType::SEQ_WRITE_REQUIRED {
        return Err(format!(
            "zone type {:?} is not Sequential Write Required",
            z0.zone_type()
        ));
    }
    if let Some(z1) = zones.get(1) {
        if z1.zslba <= z0.zslba || z0.zcap > z1.zslba - z0.zslba {
            return Err(format!("zones 0/1 overlap: {z0:?} {z1:?}"));
        }
    }
    Ok(format!(
        "{nr} zones; zone 0: cap {} blocks, {}, wp {}",
        z0.zcap,
        z0.state(),
        z0.wp
    ))
}

fn reset_append_read<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let z = report(c, 0)?
        .1
        .into_iter()
        .nth(1)
        .ok_or("fewer than 2 zones")?;
    reset(c, z.zslba)?;
    let after = *report(c, z.zslba)?
        .1
        .first()
        .ok_or("no zone reported after reset")?;
    if after.wp != z.zslba || after.state() != ZoneState::EMPTY {
        return Err(format!(
            "after reset: wp {} {} (want {} and Empty)",
            after.wp,
            after.state(),
            z.zslba
        ));
    }
    let mut data = vec![0u8; 4 * c.lba as usize];
    fill(&mut data, c.lba, z.zslba, 42);
    let half = 2 * c.lba as usize;
    let mut assigned = Vec::new();
    for part in [&data[..half], &data[half..]] {
        let cqe =
            c.b.execute(
                &ZoneAppend::new(c.nsid, z.zslba, 1).build(),
                Data::ToDevice(part),
            )
            .map_err(|e| format!("zone append: {e}"))?;
        assigned.push(cqe.result());
    }
    if assigned != [z.zslba, z.zslba + 2] {
        return Err(format!(
            "appends landed at {assigned:?}, want [{}, {}]",
            z.zslba,
            z.zslba + 2
        ));
    }
    let mut back = vec![0u8; data.len()];
    c.read(z.zslba, &mut back)?;
    diff(&back, &data, c.lba)?;
    reset(c, z.zslba)?;
    Ok(format!("appends at LBA {assigned:?} read back"))
}

fn write_not_at_wp<B: HwBackend>(c: &mut Ctx<B>) -> TestResult {
    let z = report(c, 0)?
        .1
        .into_iter()
        .nth(2)
        .ok_or("fewer than 3 zones")?;
    reset(c, z.zslba)?;
    let buf = vec![0u8; c.lba as usize];
    let r = c.b.execute(
        &Write::new(c.nsid, z.zslba + 1, 0).build(),
        Data::ToDevice(&buf),
    );
    // Zone Invalid Write (ZNS "Command Specific Status Values": SCT 1h, SC BCh).
    expect_status(r, Status::ZONE_INVALID_WRITE)
}
