//! Hot-unplug of a running controller with commands in flight (`R`).
//!
//! The guest's hot-plug slot (`xtask/src/vm/qemu.rs`, `removal_port`) is an empty PCIe root
//! port `rpR` with a block node `nvmR` behind a throttle group. Each backend's row asks the
//! host, through a console request (`NVMEQ-QMP=…`, `xtask/src/vm/qmp.rs`), to `device_add` a
//! controller `nvmeR` (serial `nvmeqR`) there, opens it, puts commands in flight (the
//! throttle holds them), asks for `device_del`, and checks that each command comes back
//! exactly once with its buffer within its timeout, that the backend closes, and that the
//! controller is then gone from the guest and from QEMU (`DEVICE_DELETED`).
//!
//! `device_del` on a root port is an orderly hot-unplug: QEMU asks the guest, whose
//! hot-plug driver removes the device. What each backend then sees (QEMU 10.0 here):
//! - **Kernel (ioctl, io_uring)**: the nvme driver's remove runs while the device still
//!   answers. Commands the controller already has finish (success); new ones fail at once
//!   (the kernel marks the controller as being deleted, then its devices disappear).
//! - **VFIO**: the kernel's vfio-pci cannot remove a device its user holds; it asks the user
//!   to release it (the VFIO device request, an eventfd) and waits. nvmeq-vfio takes the
//!   request in its wait loops: it shuts the controller down (what is in flight finishes, or
//!   completes with `REMOVAL_REQUESTED` if it cannot), and refuses every later command with
//!   it; the removal completes once the backend closes the device (the end of the row).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::in_flight::{InFlight, Tally};
use super::{pattern, reach, read, write, Fault};
use crate::pattern::diff;
use crate::registry::{HwBackend, Reach};
use crate::report::Outcome;
use crate::runner::{Runner, TestResult};
use crate::suite::{Ctx, CMD_TIMEOUT_MS};
use crate::target::Target;

/// The hot-added controller's serial and QEMU id, its slot and block node (qemu.rs).
pub const SERIAL: &str = "nvmeqR";
const DEVICE_ADD: &str = "{\"driver\": \"nvme\", \"id\": \"nvmeR\", \"serial\": \"nvmeqR\", \
     \"drive\": \"nvmR\", \"bus\": \"rpR\", \"logical_block_size\": 4096, \
     \"physical_block_size\": 4096}";
const DEVICE_DEL: &str = "{\"id\": \"nvmeR\"}";
/// The host's answers, and QEMU's events, in the guest's control share.
const CTL: &str = "/nvmeq";
/// How long the host may take to answer a request.
const REPLY_LIMIT: Duration = Duration::from_secs(20);
/// How long the guest may take to see a hot-added controller, or to drop a removed one.
const PLUG_LIMIT: Duration = Duration::from_secs(30);
/// Commands in flight at the removal.
const IN_FLIGHT: u32 = 4;
/// About how long the throttle holds them (see `reset.rs`).
const HOLD: Duration = Duration::from_millis(1500);
/// When the removal is asked for, after the submit.
const DEL_AFTER: Duration = Duration::from_millis(300);
/// Closing the backend after the removal may take this long.
const CLOSE_LIMIT: Duration = Duration::from_secs(15);

/// The rows, for SKIP lines.
pub const ROWS: &[&str] = &["hot-add", "removal-in-flight"];

/// The removal target: no device until its row hot-adds one.
pub fn target() -> Target {
    Target {
        label: "R".into(),
        ctrl: None,
        ns: PathBuf::from("hot-plug slot rpR"),
        destructive: true,
        named_nsid: Some(1),
        differential: false,
        zns: None,
        format: false,
        fault: Some(Fault::Removal),
    }
}

/// Asks the host for QMP `command` with `arguments`; returns QEMU's `return` line, or its
/// error.
pub fn qmp(command: &str, arguments: &str) -> Result<String, String> {
    static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tag = format!("hw{}-{n}", std::process::id());
    let reply = Path::new(CTL).join(format!("qmp-{tag}"));
    let _ = std::fs::remove_file(&reply);
    // The console itself, whatever our stdout is: the host reads requests from it.
    let line = format!("\nNVMEQ-QMP={tag} {command} {arguments}\n");
    std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/console")
        .and_then(|mut c| c.write_all(line.as_bytes()))
        .map_err(|e| format!("cannot write the QMP request to /dev/console: {e}"))?;
    let t0 = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(&reply) {
            let _ = std::fs::remove_file(&reply);
            let s = s.trim().to_string();
            return if s.starts_with("{\"return\"") {
                Ok(s)
            } else {
                Err(format!("QMP {command}: {s}"))
            };
        }
        if t0.elapsed() > REPLY_LIMIT {
            return Err(format!(
                "no answer to the QMP request {command} in {} s: the host did not see it \
                 (booted by `cargo xtask vm`?) or QEMU did not reply",
                REPLY_LIMIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The hot-added controller as the kernel sees it: (`nvmeX`, its PCI address, nsid 1's
/// `/dev/ngXnY`), or `None` while it (or its namespace) is not there.
fn find() -> Option<(String, String, PathBuf)> {
    let serial = |p: &Path| {
        std::fs::read_to_string(p)
            .ok()
            .is_some_and(|s| s.trim() == SERIAL)
    };
    let ctrl = std::fs::read_dir("/sys/class/nvme")
        .ok()?
        .flatten()
        .find(|e| serial(&e.path().join("serial")))?;
    let name = ctrl.file_name().to_string_lossy().into_owned();
    let pci = std::fs::read_link(ctrl.path().join("device"))
        .ok()?
        .file_name()?
        .to_string_lossy()
        .into_owned();
    for b in std::fs::read_dir("/sys/block").ok()?.flatten() {
        let d = b.file_name().to_string_lossy().into_owned();
        let Some(rest) = d.strip_prefix("nvme") else {
            continue;
        };
        if rest.contains('c') || rest.contains('p') || !serial(&b.path().join("device/serial")) {
            continue;
        }
        let nsid = std::fs::read_to_string(b.path().join("nsid")).ok()?;
        let ng = PathBuf::from(format!("/dev/ng{rest}"));
        if nsid.trim() == "1" && ng.exists() {
            return Some((name, pci, ng));
        }
    }
    None
}

/// Whether PCI device `pci` is still in the guest.
fn pci_present(pci: &str) -> bool {
    Path::new("/sys/bus/pci/devices").join(pci).exists()
}

/// Events QEMU sent this boot (the host appends them to `/nvmeq/qmp-events`): how many
/// `DEVICE_DELETED` for `nvmeR`.
fn deleted_events() -> usize {
    std::fs::read_to_string(Path::new(CTL).join("qmp-events"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"DEVICE_DELETED\"") && l.contains("\"nvmeR\""))
        .count()
}

/// Runs the removal rows with backend `B`.
pub fn run<B: HwBackend>(t: &Target, r: &Runner) {
    let name = B::NAME;
    match reach::<B>() {
        Reach::Kernel | Reach::Vfio => {}
        other => {
            for row in ROWS {
                r.record(
                    &format!("R/{row}"),
                    name,
                    Outcome::Skip,
                    format!("no PCIe device to unplug for a backend reaching it by {other:?}"),
                );
            }
            return;
        }
    }
    let mut found = None;
    r.run("R/hot-add", name, || {
        let t0 = Instant::now();
        let how = match find() {
            Some(_) => "already there (an earlier removal did not finish?)".to_string(),
            None => {
                qmp("device_add", DEVICE_ADD)?;
                "hot-added".to_string()
            }
        };
        loop {
            if let Some(f) = find() {
                let d = format!(
                    "{how}: {} at {} with {} after {} ms",
                    f.0,
                    f.1,
                    f.2.display(),
                    t0.elapsed().as_millis()
                );
                found = Some(f);
                return Ok(d);
            }
            if t0.elapsed() > PLUG_LIMIT {
                return Err(format!(
                    "{how}, but no controller with serial {SERIAL} and its nsid 1 after {} s",
                    PLUG_LIMIT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let Some((ctrl, pci, ns)) = found else {
        return;
    };
    let t = Target {
        ctrl: Some(PathBuf::from(format!("/dev/{ctrl}"))),
        ns,
        ..t.clone()
    };
    r.run("R/removal-in-flight", name, || {
        removal_in_flight::<B>(&t, &pci)
    });
}

fn removal_in_flight<B: HwBackend>(t: &Target, pci: &str) -> TestResult {
    let reach = reach::<B>();
    let deleted_before = deleted_events();
    let mut c = Ctx::<B>::open(t)?;
    c.b.set_timeout_ms(CMD_TIMEOUT_MS);
    let lba = c.lba;
    let Some(bps) = throttle_bps() else {
        return Err("NVMEQ_F_SLOW_BPS is not set: the slot's throttle rate is unknown".into());
    };
    // A write that the removal cannot touch, and the primer that holds what follows.
    let data = pattern(lba, 64, 1, 21);
    write(&mut c, 64, &data).map_err(|e| format!("write before the removal: {e}"))?;
    let back = read(&mut c, 64, 1).map_err(|e| format!("read before the removal: {e}"))?;
    diff(&back, &data, lba)?;
    let max_blocks = (c.max_xfer / lba).max(1) as u64;
    let nlb = (bps * HOLD.as_millis() as u64 / 1000 / lba as u64).clamp(1, max_blocks);
    let primer = pattern(lba, 0, nlb, 22);
    write(&mut c, 0, &primer).map_err(|e| format!("primer write of {nlb} blocks: {e}"))?;

    let n = IN_FLIGHT.min(c.b.caps().queue_depth.max(1));
    let mut fl = InFlight::push(&mut c, n, 80, 23)?;
    let pushed = fl.pushed;
    let deadline = pushed + Duration::from_millis(CMD_TIMEOUT_MS as u64);
    // ioctl runs its commands inside submit, so the request comes from another thread.
    let asker = std::thread::spawn(|| {
        std::thread::sleep(DEL_AFTER);
        let at = Instant::now();
        (at, qmp("device_del", DEVICE_DEL))
    });
    let mut submit_errs = Vec::new();
    while c.b.in_flight() > 0 && Instant::now() < deadline {
        if let Err(e) = c.b.submit(1) {
            if submit_errs.len() < 3 {
                submit_errs.push(e.to_string());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        fl.record(&mut c.b);
    }
    fl.record(&mut c.b);
    let (del_at, del) = asker
        .join()
        .map_err(|_| "the thread asking for the removal panicked".to_string())?;
    del?;
    if c.b.in_flight() > 0 {
        return Err(format!(
            "{} of {n} commands still in flight {CMD_TIMEOUT_MS} ms after the push (submit \
             said: {submit_errs:?})",
            c.b.in_flight()
        ));
    }
    // Each tag exactly once, with its buffer, within the loop's deadline; any result.
    let mut t = fl.tally("a removal", del_at, None, |_| true);
    if t.after == 0 {
        t.bad
            .push("every command ended before the removal was asked for".into());
    }
    let Tally {
        seen,
        after,
        slowest: took,
        ..
    } = t.into_result()?;

    // The kernel's backends: the device goes away under the open backend, and a new command
    // fails (an error, not a hang). VFIO: the removal waits for us, and nvmeq-vfio takes the
    // kernel's device request: it shuts the controller down, and every command after fails.
    let later = if reach == Reach::Kernel {
        gone(pci)?;
        let t0 = Instant::now();
        match read(&mut c, 64, 1) {
            Ok(_) => return Err("a read after the removal succeeded".into()),
            Err(e) => format!(
                "; a read after it failed in {} ms: {e}",
                t0.elapsed().as_millis()
            ),
        }
    } else {
        if !pci_present(pci) {
            return Err(format!(
                "{pci} left the guest while nvmeq-vfio still held it"
            ));
        }
        device_request_taken(&mut c)?
    };
    c.b.unplugging();
    let t0 = Instant::now();
    drop(c);
    let closed = t0.elapsed();
    if closed > CLOSE_LIMIT {
        return Err(format!(
            "closing the backend took {} ms",
            closed.as_millis()
        ));
    }
    gone(pci)?;
    let t0 = Instant::now();
    while deleted_events() <= deleted_before {
        if t0.elapsed() > PLUG_LIMIT {
            return Err(format!(
                "{pci} left the guest, but QEMU sent no DEVICE_DELETED for nvmeR in {} s",
                PLUG_LIMIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(format!(
        "{n} commands held, removal asked {} ms after the push, {after} ended after that, all \
         within {} ms: {}{later}; backend closed in {} ms; {pci} gone, QEMU: DEVICE_DELETED",
        del_at.duration_since(pushed).as_millis(),
        took.as_millis(),
        seen.join(", "),
        closed.as_millis()
    ))
}

/// The slot's throttle rate: the same as F's nsid 2 (qemu.rs).
fn throttle_bps() -> Option<u64> {
    std::env::var("NVMEQ_F_SLOW_BPS")
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&b| b > 0)
}

/// Waits until PCI device `pci` has left the guest.
fn gone(pci: &str) -> Result<(), String> {
    let t0 = Instant::now();
    while pci_present(pci) {
        if t0.elapsed() > PLUG_LIMIT {
            return Err(format!(
                "{pci} still in the guest {} s after the removal",
                PLUG_LIMIT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// nvmeq-vfio's error once it took the device request.
#[cfg(feature = "vfio")]
const VFIO_REMOVAL: Option<&str> = Some(nvmeq_vfio::REMOVAL_REQUESTED);
#[cfg(not(feature = "vfio"))]
const VFIO_REMOVAL: Option<&str> = None;

/// VFIO after `device_del`: reads until one fails with the device request's error (the
/// request may come after the commands in flight finished); any other outcome fails.
fn device_request_taken<B: HwBackend>(c: &mut Ctx<B>) -> Result<String, String> {
    let want = VFIO_REMOVAL.ok_or("a VFIO backend without the vfio feature")?;
    let t0 = Instant::now();
    let mut reads = 0;
    loop {
        match read(c, 64, 1) {
            Ok(_) if t0.elapsed() < PLUG_LIMIT => {
                reads += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(_) => {
                return Err(format!(
                    "{reads} reads still succeeded {} s after the removal: the device request \
                     was not taken",
                    PLUG_LIMIT.as_secs()
                ))
            }
            Err(nvmeq_core::Error::Aborted(why)) if why == want => {
                return Ok(format!(
                    "; the device request was taken: a read {} ms after the tally (after {reads} \
                     that passed) failed with it",
                    t0.elapsed().as_millis()
                ))
            }
            Err(e) => return Err(format!("a read after the removal failed with {e}")),
        }
    }
}
