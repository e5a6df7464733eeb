//! The VFIO backend in the suite.
//!
//! The suite's targets name kernel devices (`/dev/nvme0`, `/dev/ng0n1`); the
//! VFIO driver needs the controller itself. So the backend finds the
//! controller's PCI address, hands it to vfio-pci for the run and gives it
//! back to `nvme` when the last handle on it is dropped (waiting until the
//! namespace device is back, so later backends find it). The ZNS tests open
//! the same controller a second time while the first context lives: handles
//! on one controller share it.
//!
//! Rebinding takes the controller away from the kernel, so it only happens in
//! the nvmeq guest (`NVMEQ_GUEST=1`). On a real host, bind the controller to
//! vfio-pci yourself (`nvmeq_vfio::bind_vfio` or the driver_override
//! commands) and pass its PCI address: `run --ctrl 0000:01:00.0 --ns 1`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::{Rc, Weak};
use std::time::{Duration, Instant};

use nvmeq_core::cmd::{CreateIoCq, Read};
use nvmeq_core::{
    Backend, Caps, Cmd, Completion, Data, DataDir, Error, IoBuf, Reaped, Rejected, Xfer,
};
use nvmeq_vfio::{bind_kernel, bind_vfio, driver_of, Bdf, Controller, DmaBuf};

use super::HwBackend;
use crate::report::Outcome;
use crate::runner::{Runner, TestResult};
use crate::suite::{Ctx, Test};
use crate::target::Target;

thread_local! {
    /// Open controllers by PCI address, shared by the handles on them.
    static OPEN: RefCell<HashMap<String, Weak<RefCell<Controller>>>> = RefCell::new(HashMap::new());
    /// Kernel controller names resolved to PCI addresses: while VFIO holds a
    /// controller its `/sys/class/nvme` entry is gone.
    static KNOWN: RefCell<HashMap<String, String>> = RefCell::new(HashMap::new());
    /// Namespace devices resolved to nsids (sysfs, before the rebind).
    static NSIDS: RefCell<HashMap<PathBuf, u32>> = RefCell::new(HashMap::new());
}

/// One handle on a VFIO-driven controller, for one namespace.
pub(crate) struct VfioHw {
    ctrl: Option<Rc<RefCell<Controller>>>,
    bdf: String,
    nsid: u32,
    /// The kernel's namespace device, to wait for after giving the controller back.
    ns: PathBuf,
    rebound: bool,
}

fn in_guest() -> bool {
    std::env::var("NVMEQ_GUEST").as_deref() == Ok("1")
}

/// The PCI address of the target's controller: `--ctrl` given as a PCI
/// address, or the `device` link of the kernel's controller (from `--ctrl
/// /dev/nvmeX` or the namespace name).
fn bdf_of(t: &Target) -> Result<String, String> {
    if let Some(c) = &t.ctrl {
        let s = c.to_string_lossy();
        if let Ok(b) = Bdf::parse(&s) {
            return Ok(b.to_string());
        }
    }
    let ctrl_name = match &t.ctrl {
        Some(c) => c
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        None => ctrl_of_ns(&t.ns).ok_or_else(|| {
            format!(
                "{}: cannot tell the controller from this name",
                t.ns.display()
            )
        })?,
    };
    if let Some(b) = KNOWN.with(|k| k.borrow().get(&ctrl_name).cloned()) {
        return Ok(b);
    }
    let link = format!("/sys/class/nvme/{ctrl_name}/device");
    let bdf = std::fs::read_link(&link)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .ok_or_else(|| {
            format!(
                "{link}: no PCI device behind {ctrl_name} (is it an NVMe over PCIe controller?)"
            )
        })?;
    KNOWN.with(|k| k.borrow_mut().insert(ctrl_name, bdf.clone()));
    Ok(bdf)
}

/// `ng0n1` / `nvme0n1` -> `nvme0`.
fn ctrl_of_ns(ns: &Path) -> Option<String> {
    let name = ns.file_name()?.to_string_lossy().into_owned();
    let rest = name
        .strip_prefix("ng")
        .or_else(|| name.strip_prefix("nvme"))?;
    let (inst, _) = rest.split_once('n')?;
    inst.parse::<u32>().ok().map(|i| format!("nvme{i}"))
}

/// The namespace id: `--ns N`, or the kernel's `nsid` attribute of the
/// namespace device (names need not match nsids: `ng1n2` can be nsid 1).
/// Resolved once and remembered, since the attribute vanishes while VFIO
/// holds the controller.
fn nsid_of(ns: &Path) -> Result<u32, String> {
    let name = ns
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Ok(n) = name.parse() {
        return Ok(n);
    }
    if let Some(n) = NSIDS.with(|m| m.borrow().get(ns).copied()) {
        return Ok(n);
    }
    let disk = name
        .strip_prefix("ng")
        .or_else(|| name.strip_prefix("nvme"))
        .map(|xny| format!("/sys/block/nvme{xny}/nsid"))
        .ok_or_else(|| {
            format!(
                "{}: give the namespace as a device (/dev/ng0n1) or an nsid",
                ns.display()
            )
        })?;
    let n = std::fs::read_to_string(&disk)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| format!("{disk}: cannot read the nsid of {}", ns.display()))?;
    NSIDS.with(|m| m.borrow_mut().insert(ns.to_path_buf(), n));
    Ok(n)
}

impl HwBackend for VfioHw {
    const NAME: &'static str = "vfio";

    fn open(t: &Target) -> Result<Self, String> {
        let bdf = bdf_of(t)?;
        let nsid = nsid_of(&t.ns)?;
        // The ZNS tests open their namespace later, while VFIO holds the
        // controller and sysfs no longer knows it: resolve it now.
        if let Some(z) = &t.zns {
            nsid_of(z)?;
        }
        let shared = OPEN.with(|o| o.borrow().get(&bdf).and_then(Weak::upgrade));
        let (ctrl, rebound) = match shared {
            Some(c) => (c, false),
            None => {
                let b = Bdf::parse(&bdf).map_err(|e| e.to_string())?;
                let bound = driver_of(&b).map_err(|e| e.to_string())?;
                let rebound = bound.as_deref() != Some("vfio-pci");
                if rebound {
                    if !in_guest() {
                        return Err(format!(
                            "{bdf} is bound to {}: outside the nvmeq guest the suite does not take a controller from its driver; bind it to vfio-pci yourself and pass --ctrl {bdf}",
                            bound.as_deref().unwrap_or("no driver")
                        ));
                    }
                    bind_vfio(&bdf).map_err(|e| e.to_string())?;
                }
                let c = match Controller::open(&bdf) {
                    Ok(c) => c,
                    Err(e) => {
                        if rebound {
                            let _ = bind_kernel(&bdf);
                        }
                        return Err(e.to_string());
                    }
                };
                let c = Rc::new(RefCell::new(c));
                OPEN.with(|o| o.borrow_mut().insert(bdf.clone(), Rc::downgrade(&c)));
                (c, rebound)
            }
        };
        Ok(VfioHw {
            ctrl: Some(ctrl),
            bdf,
            nsid,
            ns: t.ns.clone(),
            rebound,
        })
    }

    fn set_timeout_ms(&mut self, ms: u32) {
        self.c().set_io_timeout(Duration::from_millis(ms as u64));
    }

    fn nsid(&self) -> u32 {
        self.nsid
    }

    fn extra_tests(ctx: &mut Ctx<Self>, r: &Runner, label: &str) {
        let tests: &[Test<Self>] = &[
            ("vfio-second-open-busy", second_open_busy),
            ("vfio-queue-mgmt-refused", queue_mgmt_refused),
            ("vfio-caller-dptr-ignored", caller_dptr_ignored),
            ("vfio-reset-in-flight", reset_in_flight),
            ("vfio-timeout-abort-reset", timeout_abort_reset),
        ];
        for (name, f) in tests {
            r.run(&format!("{label}/{name}"), Self::NAME, || f(ctx));
        }
    }
}

/// A second open of a controller this process drives is refused with a
/// clear error (the VFIO group is taken), and the first keeps working.
fn second_open_busy(c: &mut Ctx<VfioHw>) -> TestResult {
    match Controller::open(&c.b.bdf) {
        Err(e @ nvmeq_vfio::OpenError::GroupBusy { .. }) => {
            let mut buf = vec![0u8; c.lba as usize];
            c.read(0, &mut buf)?;
            Ok(e.to_string())
        }
        Err(e) => Err(format!("expected GroupBusy, got: {e}")),
        Ok(_) => Err("a second Controller opened the same device".into()),
    }
}

/// Queue management belongs to the driver: Create I/O CQ from the caller is refused.
fn queue_mgmt_refused(c: &mut Ctx<VfioHw>) -> TestResult {
    let cmd = CreateIoCq::new(7, 15).prp1(0x10_0000).build();
    match c.b.execute(&cmd, Data::None) {
        Err(e @ Error::Unsupported(_)) => Ok(e.to_string()),
        r => Err(format!("expected Unsupported, got {r:?}")),
    }
}

/// A hand-built Read whose entry sets DPTR and MPTR to a live buffer: with
/// no declared data it is refused (its NLB moves a block); with an honest
/// length the driver's PRPs replace DPTR, so the data lands in the caller's
/// buffer and the other buffer stays untouched.
fn caller_dptr_ignored(c: &mut Ctx<VfioHw>) -> TestResult {
    let mut victim = c.b.alloc(4096).map_err(|e| e.to_string())?;
    victim.as_mut_slice().fill(0xa5);
    let mut sqe = Read::new(c.nsid, 0, 0).build().sqe;
    sqe.dptr = [victim.iova(), victim.iova()];
    sqe.mptr = victim.iova();
    match c
        .b
        .execute(&Cmd::io(sqe, DataDir::None, Xfer::None), Data::None)
    {
        Err(Error::Invalid(_)) => {}
        r => return Err(format!("an under-declared Read was not refused: {r:?}")),
    }
    let mut buf = vec![0u8; c.lba as usize];
    let mut want = vec![0u8; c.lba as usize];
    c.read(0, &mut want)?;
    c.b.execute(
        &Cmd::io(sqe, DataDir::FromDevice, Xfer::Bytes(c.lba)),
        Data::FromDevice(&mut buf),
    )
    .map_err(|e| format!("read with a hand-set DPTR: {e}"))?;
    if buf != want {
        return Err("the data did not land in the caller's buffer".into());
    }
    if victim.as_slice().iter().all(|&b| b == 0xa5) {
        Ok("under-declared entry refused; hand-set DPTR/MPTR replaced by the driver's PRPs".into())
    } else {
        Err("the device wrote the buffer named by a caller's DPTR".into())
    }
}

/// A controller reset with reads in flight: every command comes back (done
/// or aborted) with its buffer, and I/O works afterwards.
fn reset_in_flight(c: &mut Ctx<VfioHw>) -> TestResult {
    let n = 32u64;
    let len = (8 * c.lba) as usize;
    for i in 0..n {
        let buf = c.b.alloc(len).map_err(|e| e.to_string())?;
        let cmd = Read::new(c.nsid, i * 8, 7).build();
        c.b.write(&cmd, Some(buf), i)
            .map_err(|r| format!("write {i}: {:?}", r.error))?;
    }
    c.b.commit(0).map_err(|e| e.to_string())?;
    c.b.c().reset().map_err(|e| format!("reset: {e}"))?;
    let (mut back, mut aborted, mut bufs) = (0, 0, 0);
    c.b.reap(&mut |rp| {
        back += 1;
        aborted += matches!(rp.result, Err(Error::Aborted(_))) as u32;
        bufs += rp.buf.is_some() as u32;
    });
    if back != n || bufs as u64 != n || c.b.in_flight() != 0 {
        return Err(format!(
            "{back} of {n} commands and {bufs} buffers came back"
        ));
    }
    let mut buf = vec![0u8; len];
    c.read(0, &mut buf)?;
    Ok(format!(
        "{n} back ({aborted} aborted by the reset); I/O works after it"
    ))
}

/// Reads under a 1 us timeout: the driver sends Abort, then (QEMU declines)
/// resets the controller; every command comes back with its buffer and I/O
/// works afterwards. Rounds the emulator wins outright are repeated (at most 5).
fn timeout_abort_reset(c: &mut Ctx<VfioHw>) -> TestResult {
    let len = c.max_xfer as usize;
    let nlb_z = (len / c.lba as usize - 1) as u16;
    let mut bufs = Vec::new();
    for _ in 0..64 {
        bufs.push(c.b.alloc(len).map_err(|e| e.to_string())?);
    }
    c.b.c().set_io_timeout(Duration::from_micros(1));
    let mut outcome = Err(
        "the emulator finished every read before the first deadline check, 5 times".to_string(),
    );
    for round in 0..5 {
        let before = c.b.c().stats();
        let mut sent = 0;
        while let Some(b) = bufs.pop() {
            if let Err(r) =
                c.b.write(&Read::new(c.nsid, 0, nlb_z).build(), Some(b), sent)
            {
                bufs.extend(r.buf);
                break;
            }
            sent += 1;
        }
        let commit = c.b.commit(sent as u32);
        let (mut back, mut timed_out) = (0, 0);
        c.b.reap(&mut |rp| {
            back += 1;
            timed_out += matches!(rp.result, Err(Error::Timeout { .. })) as u32;
            bufs.extend(rp.buf);
        });
        let after = c.b.c().stats();
        if let Err(e) = commit {
            outcome = Err(format!("commit: {e}"));
            break;
        }
        if back != sent {
            outcome = Err(format!("round {round}: {back} of {sent} came back"));
            break;
        }
        if timed_out > 0 {
            outcome = if after.aborts > before.aborts && after.resets > before.resets {
                Ok(format!(
                    "round {round}: {sent} back, {timed_out} timed out; Abort sent, controller reset"
                ))
            } else {
                Err(format!("timed out without Abort and reset: {after:?}"))
            };
            break;
        }
    }
    c.b.set_timeout_ms(crate::suite::CMD_TIMEOUT_MS);
    let msg = outcome?;
    let mut buf = vec![0u8; c.lba as usize];
    c.read(0, &mut buf)?;
    Ok(format!("{msg}; I/O works after it"))
}

impl VfioHw {
    fn c(&self) -> std::cell::RefMut<'_, Controller> {
        self.ctrl.as_ref().expect("present until drop").borrow_mut()
    }
}

impl Drop for VfioHw {
    fn drop(&mut self) {
        let Some(c) = self.ctrl.take() else { return };
        // The handle that rebound the controller gives it back, once the
        // controller is closed (CC.SHN shutdown on drop of the last handle).
        drop(c);
        if !self.rebound {
            return;
        }
        let still_open = OPEN.with(|o| {
            o.borrow()
                .get(&self.bdf)
                .is_some_and(|w| w.strong_count() > 0)
        });
        if still_open {
            return;
        }
        OPEN.with(|o| o.borrow_mut().remove(&self.bdf));
        if bind_kernel(&self.bdf).is_ok() {
            let start = Instant::now();
            while !self.ns.exists() && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

impl Backend for VfioHw {
    type Buf = DmaBuf;
    fn caps(&self) -> Caps {
        self.ctrl
            .as_ref()
            .expect("present until drop")
            .borrow()
            .caps()
    }
    fn lba_size(&mut self, nsid: u32) -> Result<u32, Error> {
        self.c().lba_size(nsid)
    }
    fn alloc(&mut self, len: usize) -> Result<DmaBuf, Error> {
        self.c().alloc(len)
    }
    fn execute(&mut self, cmd: &Cmd, data: Data<'_>) -> Result<Completion, Error> {
        self.c().execute(cmd, data)
    }
    fn write(&mut self, cmd: &Cmd, buf: Option<DmaBuf>, tag: u64) -> Result<(), Rejected<DmaBuf>> {
        self.c().write(cmd, buf, tag)
    }
    fn commit(&mut self, min_complete: u32) -> Result<u32, Error> {
        self.c().commit(min_complete)
    }
    fn reap(&mut self, f: &mut dyn FnMut(Reaped<DmaBuf>)) -> usize {
        self.c().reap(f)
    }
    fn in_flight(&self) -> u32 {
        self.ctrl
            .as_ref()
            .expect("present until drop")
            .borrow()
            .in_flight()
    }
    fn syscalls(&self) -> Option<u64> {
        self.ctrl
            .as_ref()
            .expect("present until drop")
            .borrow()
            .syscalls()
    }
}

/// Runs the suite on `t` with the VFIO backend. The kernel's block device
/// view of a controller (`A-blk`) is the same controller to this driver and
/// nvme-cli cannot see a controller VFIO holds, so those are skipped.
pub(crate) fn run(t: &Target, r: &Runner) {
    if t.ns
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("nvme"))
    {
        r.record(
            &format!("{}/open", t.label),
            VfioHw::NAME,
            Outcome::Skip,
            "a block device: the VFIO driver bypasses the kernel, its character-device target covers this controller".into(),
        );
        return;
    }
    if !in_guest() {
        let bound = bdf_of(t).ok().and_then(|b| {
            let b = Bdf::parse(&b).ok()?;
            driver_of(&b).ok().flatten()
        });
        if bound.as_deref() != Some("vfio-pci") {
            r.record(
                &format!("{}/open", t.label),
                VfioHw::NAME,
                Outcome::Skip,
                "outside the nvmeq guest the vfio backend runs only on a controller you bound to vfio-pci (--ctrl BDF)".into(),
            );
            return;
        }
    }
    let t = Target {
        differential: false,
        ..t.clone()
    };
    crate::suite::run::<VfioHw>(&t, r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_controllers_and_namespaces() {
        assert_eq!(
            ctrl_of_ns(Path::new("/dev/ng3n2")).as_deref(),
            Some("nvme3")
        );
        assert_eq!(
            ctrl_of_ns(Path::new("/dev/nvme0n1")).as_deref(),
            Some("nvme0")
        );
        assert_eq!(ctrl_of_ns(Path::new("/dev/sda")), None);
        assert_eq!(nsid_of(Path::new("1")), Ok(1));
        assert!(nsid_of(Path::new("/dev/sda")).is_err());
        let t = Target {
            label: "x".into(),
            ctrl: Some("0000:01:00.0".into()),
            ns: "1".into(),
            destructive: false,
            named_nsid: None,
            differential: false,
            zns: None,
            format: false,
        };
        assert_eq!(bdf_of(&t).as_deref(), Ok("0000:01:00.0"));
    }
}
