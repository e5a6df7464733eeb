//! The tcp backend's own rows: an explicit reconnect keeps the data, the
//! target's port removed with I/O in flight (every command ends with an error
//! and its buffer within the timeout; reconnecting once the port is back
//! works), and the kernel host's view of the same subsystem (`nvme connect`)
//! shows the same Identify data and the same blocks.

use std::process::Command;

use nvmeq_core::cmd::Identify;
use nvmeq_core::{Backend, Data};

use crate::pattern::fill;
use crate::registry::tcp::TcpHw;
use crate::report::Outcome;
use crate::runner::{Runner, TestResult};
use crate::suite::Ctx;

mod port_removed;

/// Runs the rows.
pub fn run(ctx: &mut Ctx<TcpHw>, r: &Runner, label: &str) {
    r.run(&format!("{label}/tcp-reconnect"), "tcp", || reconnect(ctx));
    match port_removed::applies(ctx) {
        Ok(nvmet) => r.run(&format!("{label}/tcp-port-removed"), "tcp", || {
            port_removed::run(ctx, &nvmet)
        }),
        Err(why) => r.record(
            &format!("{label}/tcp-port-removed"),
            "tcp",
            Outcome::Skip,
            why,
        ),
    }
    let has_nvme = Command::new("nvme").arg("version").output().is_ok();
    if !has_nvme {
        r.record(
            &format!("{label}/tcp-kernel-host"),
            "tcp",
            Outcome::Skip,
            "nvme-cli is not in PATH: the kernel host's view cannot be read".into(),
        );
        return;
    }
    r.run(&format!("{label}/tcp-kernel-host"), "tcp", || {
        kernel_host(ctx)
    });
}

fn reconnect(ctx: &mut Ctx<TcpHw>) -> TestResult {
    let lba = ctx.lba as usize;
    let slba = ctx.area(11);
    let mut data = vec![0u8; 8 * lba];
    fill(&mut data, ctx.lba, slba, 0x7c9);
    ctx.write(slba, &data)?;
    let before = ctx.b.qid();
    ctx.b.reconnect().map_err(|e| format!("reconnect: {e}"))?;
    let mut back = vec![0u8; data.len()];
    ctx.read(slba, &mut back)?;
    if back != data {
        return Err("the data read after reconnecting differs from what was written".into());
    }
    Ok(format!(
        "I/O queue {before} closed and connected again; 8 blocks read back unchanged"
    ))
}

/// `nvme …`, its stdout or an error naming the command.
fn nvme(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("nvme")
        .args(args)
        .output()
        .map_err(|e| format!("nvme {}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "nvme {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

fn read_trim(p: impl AsRef<std::path::Path>) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The kernel host's controller and block device of namespace `nsid` of `nqn`.
fn kernel_devices(nqn: &str, nsid: u32) -> Option<(String, String)> {
    let mut ctrl = None;
    for e in std::fs::read_dir("/sys/class/nvme").ok()?.flatten() {
        let p = e.path();
        if read_trim(p.join("subsysnqn")).as_deref() == Some(nqn)
            && read_trim(p.join("transport")).as_deref() == Some("tcp")
        {
            ctrl = Some(e.file_name().to_string_lossy().into_owned());
        }
    }
    let mut blk = None;
    for e in std::fs::read_dir("/sys/block").ok()?.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        // Multipath: nvmeXcYnZ are the hidden per-path disks; the head
        // nvmeXnY is the one with a /dev node.
        let hidden = name.strip_prefix("nvme").is_some_and(|r| r.contains('c'));
        if hidden || !std::path::Path::new("/dev").join(&name).exists() {
            continue;
        }
        if read_trim(p.join("device/subsysnqn")).as_deref() == Some(nqn)
            && read_trim(p.join("nsid")) == Some(nsid.to_string())
        {
            blk = Some(e.file_name().to_string_lossy().into_owned());
        }
    }
    Some((ctrl?, blk?))
}

fn kernel_host(ctx: &mut Ctx<TcpHw>) -> TestResult {
    let o = ctx.b.options().clone();
    let port = o.port.to_string();
    nvme(&[
        "connect", "-t", "tcp", "-a", &o.host, "-s", &port, "-n", &o.subnqn,
    ])?;
    let r = compare(ctx, &o.subnqn);
    let _ = nvme(&["disconnect", "-n", &o.subnqn]);
    r
}

fn compare(ctx: &mut Ctx<TcpHw>, nqn: &str) -> TestResult {
    let mut found = None;
    for _ in 0..50 {
        found = kernel_devices(nqn, ctx.nsid);
        if found.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (ctrl, blk) =
        found.ok_or("nvme connect made no controller and namespace for the subsystem")?;
    // Identify Controller: the same bytes but CNTLID (each association has its own).
    let mut ours = vec![0u8; 4096];
    ctx.b
        .execute(&Identify::controller().build(), Data::FromDevice(&mut ours))
        .map_err(|e| format!("Identify Controller: {e}"))?;
    let theirs = nvme(&["id-ctrl", &format!("/dev/{ctrl}"), "-b"])?;
    let differ: Vec<usize> = (0..4096)
        .filter(|&i| !(78..80).contains(&i) && theirs.get(i) != ours.get(i))
        .collect();
    if !differ.is_empty() {
        return Err(format!(
            "Identify Controller differs from the kernel host's /dev/{ctrl} at bytes {:?}",
            &differ[..differ.len().min(16)]
        ));
    }
    let mut ours_ns = vec![0u8; 4096];
    ctx.b
        .execute(
            &Identify::namespace(ctx.nsid).build(),
            Data::FromDevice(&mut ours_ns),
        )
        .map_err(|e| format!("Identify Namespace: {e}"))?;
    let nsid = ctx.nsid.to_string();
    let theirs_ns = nvme(&["id-ns", &format!("/dev/{ctrl}"), "-n", &nsid, "-b"])?;
    if theirs_ns.get(..4096) != Some(&ours_ns[..]) {
        return Err(format!(
            "Identify Namespace {nsid} differs from the kernel host's /dev/{ctrl}"
        ));
    }
    // Blocks written here are what the kernel host reads (O_DIRECT, no cache).
    let lba = ctx.lba as usize;
    let slba = ctx.area(10);
    let mut data = vec![0u8; 8 * lba];
    fill(&mut data, ctx.lba, slba, 0x5a5a);
    ctx.write(slba, &data)?;
    let out = Command::new("dd")
        .args([
            &format!("if=/dev/{blk}"),
            "iflag=direct",
            &format!("bs={lba}"),
            &format!("skip={slba}"),
            "count=8",
            "status=none",
        ])
        .output()
        .map_err(|e| format!("dd: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "dd from /dev/{blk}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if out.stdout != data {
        return Err(format!(
            "/dev/{blk} (the kernel host) reads {} bytes at LBA {slba} that differ from what nvmeq-tcp wrote",
            out.stdout.len()
        ));
    }
    Ok(format!(
        "kernel host /dev/{ctrl} and /dev/{blk}: same Identify Controller (but CNTLID) and Namespace {nsid}, same 8 blocks at LBA {slba}"
    ))
}
