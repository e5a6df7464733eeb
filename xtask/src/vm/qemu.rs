//! The QEMU command line of the guest, and running it: console streamed to stdout, a timeout,
//! and the guest command's exit status read back.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The line the guest's init prints after the command: `NVMEQ-EXIT=<status>`.
pub const EXIT_MARKER: &str = "NVMEQ-EXIT=";
/// `NVMEQ-STEP-START=<index> <secs> <name>` and `NVMEQ-STEP-END=<index> <rc> <name>`: a step of
/// `vm test` (xtask/src/vm/guest_steps.sh) began or ended.
const STEP_START: &str = "NVMEQ-STEP-START=";
const STEP_END: &str = "NVMEQ-STEP-END=";
/// How long past a step's own limit the host waits before it calls the guest hung: the guest
/// kills a late step itself, so silence beyond this means the guest stopped answering.
const STEP_GRACE: Duration = Duration::from_secs(60);
/// The guest's `run_steps` prints this every 10 s (xtask/src/vm/guest_steps.sh).
const ALIVE: &str = "NVMEQ-ALIVE";
/// How long a guest that has sent heartbeats may fall silent inside a step before the host
/// calls it dead: its vCPUs stopped (the QEMU 10 race), so waiting out the step's limit would
/// only spend the run's time.
const SILENCE_LIMIT: Duration = Duration::from_secs(90);

/// How a boot ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The guest command's exit status.
    Exit(i32),
    /// The guest stopped answering inside step `index` (`name`, limited to `secs`) and QEMU
    /// was killed.
    Hung {
        index: usize,
        name: String,
        secs: u64,
    },
    /// The emulator failed during step `index` (`name`), before the guest finished: QEMU
    /// itself exited, the guest kernel reported an RCU stall, or the guest's heartbeat
    /// stopped. Not the step's verdict (`why` says which).
    EmulatorFailed {
        index: usize,
        name: String,
        secs: u64,
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Exit(i32),
    StepStart(usize, u64, String),
    /// Step `index` (`name`) ended with `rc`.
    StepEnd(usize, i32, String),
    /// The guest's heartbeat.
    Alive,
    /// The guest kernel reported an RCU stall: under TCG with the vIOMMU a vCPU's timer has
    /// stopped (QEMU 10.0.2's MTTCG race, see docs/testing.md) and the guest will not recover.
    Stall,
    /// The guest kernel's IOMMU driver reported a DMA fault: a device read or wrote an IOVA
    /// that is not mapped (the line as printed).
    DmaFault(String),
    /// The guest asked for a QMP command (`qmp::REQUEST`).
    Qmp(Result<super::qmp::Request, (String, String)>),
}

/// The guest kernel's line when a CPU stops taking its timer (the QEMU 10 hang).
const RCU_STALL: &str = "rcu_preempt detected stalls";
/// The start of the Intel IOMMU driver's line for a DMA to an unmapped IOVA, e.g.
/// `DMAR: [DMA Write NO_PASID] Request device [00:08.0] fault addr 0x0 [fault reason 0x05]`.
const DMA_FAULT: &str = "DMAR: [DMA";

/// DMA faults seen on the console since this process started, each with the step it came in
/// (`vm test` fails the run when there is any: no command may make a device DMA outside the
/// memory mapped for it).
static DMA_FAULTS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Steps that ended with a non-zero status since this process started, each as
/// ``step N `name` (exit RC)``, so that a run's last lines can name them.
static FAILED_STEPS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The failed steps seen so far (see `FAILED_STEPS`).
pub fn failed_steps() -> Vec<String> {
    FAILED_STEPS.lock().map(|v| v.clone()).unwrap_or_default()
}

/// The DMA faults seen so far, each as ``step N `name`: CONSOLE-LINE``.
pub fn dma_faults() -> Vec<String> {
    DMA_FAULTS.lock().map(|v| v.clone()).unwrap_or_default()
}

/// The IOMMU's DMA fault report a console line carries, from `DMAR: [DMA` on.
fn dma_fault(line: &str) -> Option<&str> {
    line.find(DMA_FAULT).map(|at| &line[at..])
}

/// Whether a console line carries the guest's heartbeat, which is then cut out of it (it may
/// land inside a line a step is printing).
fn take_heartbeat(line: &mut String) -> bool {
    match line.find(ALIVE) {
        Some(at) => {
            line.replace_range(at..at + ALIVE.len(), "");
            true
        }
        None => false,
    }
}

/// The step event a console line carries, if any.
fn parse_step(line: &str) -> Option<Event> {
    if let Some(at) = line.find(STEP_START) {
        let mut w = line[at + STEP_START.len()..].split_whitespace();
        let index = w.next()?.parse().ok()?;
        let secs = w.next()?.parse().ok()?;
        return Some(Event::StepStart(
            index,
            secs,
            w.next().unwrap_or("").to_string(),
        ));
    }
    let at = line.find(STEP_END)?;
    let mut w = line[at + STEP_END.len()..].split_whitespace();
    let index = w.next()?.parse().ok()?;
    let rc = w.next()?.parse().ok()?;
    Some(Event::StepEnd(
        index,
        rc,
        w.next().unwrap_or("").to_string(),
    ))
}

/// Controller A's size and B's namespace sizes, in bytes.
const A_BYTES: u64 = 1 << 30;
const B_NS_BYTES: u64 = 256 << 20;
/// Each namespace of controllers C and D; E's many small ones.
const C_NS_BYTES: u64 = 64 << 20;
const D_NS_BYTES: u64 = 256 << 20;
const E_NS_BYTES: u64 = 8 << 20;
/// E's nsid 1 is larger: a 16 MiB transfer at 8 KiB a command fits in half of it (the CLI's
/// large round trips use at most half a namespace).
const E_NS1_BYTES: u64 = 32 << 20;
/// Controller E's namespace count (more than a 32-bit bitmap or one page of small lists).
pub const E_NAMESPACES: u32 = 34;
/// Controller C's namespaces, nsid 1.. (docs/testing.md): end-to-end protection formats.
const C_FORMATS: &[&str] = &[
    // PI type 1, 512 + 8, metadata in a separate buffer.
    "logical_block_size=512,physical_block_size=512,ms=8,mset=0,pi=1",
    // PI type 2 with the 64-bit guard (pif=2), 4096 + 16.
    "logical_block_size=4096,physical_block_size=4096,ms=16,pi=2,pif=2",
    // PI type 3, 4096 + 8, extended LBAs (metadata inline after each block).
    "logical_block_size=4096,physical_block_size=4096,ms=8,mset=1,pi=3",
    // Metadata without protection, 4096 + 64.
    "logical_block_size=4096,physical_block_size=4096,ms=64",
];
/// Controller F (fault injection): each namespace's size; 4 KiB LBAs.
const F_NS_BYTES: u64 = 16 << 20;
/// F's nsid 1 answers reads and writes of these LBAs with EIO from QEMU's blkdebug driver
/// (`inject-error` rules, one per LBA, on reads and on writes): first LBA and count.
pub const F_BAD_LBAS: (u64, u64) = (1024, 4);
/// F's nsid 2 sits behind a throttle group of this many bytes per second (reads and writes
/// together), so a command queued behind a large transfer waits for seconds: 8 s behind a
/// 128 KiB write (the kernel's largest passthrough transfer on QEMU's controllers).
pub const F_SLOW_BPS: u64 = 16 << 10;
/// The block node behind the hot-plug slot's controller (`removal_port`).
const R_BYTES: u64 = 16 << 20;
/// Linux `O_DIRECT` on x86-64.
const O_DIRECT: i32 = 0o40000;

/// How the machine looks.
#[derive(Debug, Clone)]
pub struct Machine {
    pub iommu: bool,
    /// Controller A on a null block device (fast, no data) instead of an image.
    pub null: bool,
    pub kvm: bool,
    pub mem: String,
    pub smp: u32,
    /// Extra kernel command line words (also `module.param=value` for our init).
    pub append: String,
    /// Show the kernel's info messages too.
    pub verbose: bool,
    /// The guest powers itself off after this many seconds (in case the host side died).
    pub watchdog: Option<u64>,
}

/// Host files of one boot.
#[derive(Debug)]
pub struct Files<'a> {
    pub vmlinuz: &'a Path,
    pub initrd: &'a Path,
    /// Fresh images of this boot go here.
    pub disks: &'a Path,
    /// Shared as `/out`.
    pub out: &'a Path,
    /// Shared as `/nvmeq`: holds `cmd` (host → guest) and `exit` (guest → host).
    pub ctl: &'a Path,
}

/// True when KVM can run a stock guest: the CPU has hardware virtualization and `/dev/kvm`
/// opens (a software KVM without vmx/svm crashes Debian kernels).
pub fn kvm_usable() -> bool {
    has_hw_virt(&fs::read_to_string("/proc/cpuinfo").unwrap_or_default())
        && OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok()
}

/// Whether `/proc/cpuinfo` text shows vmx (Intel) or svm (AMD).
fn has_hw_virt(cpuinfo: &str) -> bool {
    cpuinfo
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"))
}

/// A path as a QEMU option value (commas are doubled).
fn opt_path(p: &Path) -> String {
    p.display().to_string().replace(',', ",,")
}

/// A new sparse image of `size` bytes.
fn image(path: &Path, size: u64) -> Result<(), String> {
    let _ = fs::remove_file(path);
    File::create(path)
        .and_then(|f| f.set_len(size))
        .map_err(|e| format!("cannot create {}: {e}", path.display()))
}

/// `-blockdev` options for an image file: io_uring and O_DIRECT when the host allows them.
fn file_blockdev(node: &str, path: &Path) -> String {
    let direct = OpenOptions::new()
        .read(true)
        .custom_flags(O_DIRECT)
        .open(path)
        .is_ok();
    let uring =
        fs::read_to_string("/proc/sys/kernel/io_uring_disabled").map_or(true, |s| s.trim() == "0");
    format!(
        "driver=file,node-name={node},filename={},aio={},cache.direct={}",
        opt_path(path),
        if uring && direct {
            "io_uring"
        } else {
            "threads"
        },
        if direct { "on" } else { "off" }
    )
}

/// Creates this boot's disk images and returns QEMU's command.
pub fn command(m: &Machine, f: &Files) -> Result<Command, String> {
    fs::create_dir_all(f.disks).map_err(|e| format!("{}: {e}", f.disks.display()))?;
    let mut c = Command::new("qemu-system-x86_64");
    if m.kvm {
        c.args(["-accel", "kvm", "-cpu", "host"]);
    } else {
        c.args(["-accel", "tcg,thread=multi", "-cpu", "max"]);
    }
    c.args([
        "-machine",
        if m.iommu {
            "q35,kernel-irqchip=split"
        } else {
            "q35"
        },
    ]);
    c.args(["-m", &m.mem, "-smp", &m.smp.to_string()]);
    c.args(["-nographic", "-vga", "none", "-no-reboot", "-nic", "none"]);
    // The host's QMP socket (xtask/src/vm/qmp.rs), for hot-unplug requests from the guest.
    let sock = qmp_socket(f.ctl);
    if sock.as_os_str().len() >= 108 {
        return Err(format!(
            "the QMP socket path {} is too long for a unix socket (108 bytes)",
            sock.display()
        ));
    }
    c.args([
        "-qmp",
        &format!("unix:{},server=on,wait=off", opt_path(&sock)),
    ]);

    // iomem=relaxed: the kernel (CONFIG_IO_STRICT_DEVMEM) refuses to map a
    // driver-claimed BAR through sysfs resource0 otherwise, and `get-reg`,
    // `set-reg` and `show-regs` of both nvme-cli and nvmeq read it there.
    let mut append = String::from("console=ttyS0 panic=-1 nvme.poll_queues=2 iomem=relaxed");
    // Tells the guest's env.sh that controller F exists and what it injects.
    append.push_str(&format!(
        " nvmeq.fault_lbas={}+{} nvmeq.slow_bps={F_SLOW_BPS}",
        F_BAD_LBAS.0, F_BAD_LBAS.1
    ));
    if !m.verbose {
        append.push_str(" quiet");
    }
    if m.iommu {
        append.push_str(" intel_iommu=on");
    }
    if let Some(w) = m.watchdog {
        append.push_str(&format!(" nvmeq.watchdog={w}"));
    }
    if !m.append.is_empty() {
        append.push(' ');
        append.push_str(&m.append);
    }
    c.arg("-kernel").arg(f.vmlinuz);
    c.arg("-initrd").arg(f.initrd);
    c.args(["-append", &append]);

    // The vIOMMU must exist before the devices it translates for.
    if m.iommu {
        c.args(["-device", "intel-iommu,intremap=on"]);
    }

    // Controller A: one namespace (nsid 1) from the controller's own drive:
    // 512 B LBAs on its image; 4 KiB on the null device, since the
    // benchmarks move 4 KiB blocks and t/io_uring's passthrough mode picks
    // offsets as if a block were its transfer size.
    if m.null {
        c.args([
            "-blockdev",
            &format!("driver=null-co,node-name=nvmA,size={A_BYTES}"),
        ]);
    } else {
        let a = f.disks.join("a.img");
        image(&a, A_BYTES)?;
        c.args(["-blockdev", &file_blockdev("nvmAf", &a)]);
        c.args(["-blockdev", "driver=raw,node-name=nvmA,file=nvmAf"]);
    }
    let a_lba = if m.null { 4096 } else { 512 };
    c.args([
        "-device",
        &format!(
            "nvme,serial=nvmeqA,drive=nvmA,addr=0x4,\
             logical_block_size={a_lba},physical_block_size={a_lba}"
        ),
    ]);

    // Controller B: nsid 1 (4 KiB LBAs) and nsid 2 (zoned, 64 MiB zones).
    c.args(["-device", "nvme,id=nvmeB,serial=nvmeqB,addr=0x5"]);
    for (nsid, zoned) in [(1, ""), (2, ",zoned=true,zoned.zone_size=64M")] {
        let p = f.disks.join(format!("b{nsid}.img"));
        image(&p, B_NS_BYTES)?;
        c.args(["-blockdev", &file_blockdev(&format!("nvmB{nsid}f"), &p)]);
        c.args([
            "-blockdev",
            &format!("driver=raw,node-name=nvmB{nsid},file=nvmB{nsid}f"),
        ]);
        c.args([
            "-device",
            &format!(
                "nvme-ns,drive=nvmB{nsid},bus=nvmeB,nsid={nsid},\
                 logical_block_size=4096,physical_block_size=4096{zoned}"
            ),
        ]);
    }

    // Controller C: end-to-end protection and metadata formats.
    c.args(["-device", "nvme,id=nvmeC,serial=nvmeqC,addr=0x8"]);
    for (i, fmt) in C_FORMATS.iter().enumerate() {
        let nsid = i + 1;
        let node = format!("nvmC{nsid}");
        namespace_image(&mut c, f, &node, C_NS_BYTES)?;
        c.args([
            "-device",
            &format!("nvme-ns,drive={node},bus=nvmeC,nsid={nsid},{fmt}"),
        ]);
    }

    // Controller D: Flexible Data Placement through its subsystem (2 reclaim groups, 8 reclaim
    // unit handles of 8 MiB units); nsid 1 may place writes with handles 0-3.
    c.args([
        "-device",
        "nvme-subsys,id=fdpD,nqn=nvmeqD,fdp=on,fdp.runs=8M,fdp.nrg=2,fdp.nruh=8",
    ]);
    c.args([
        "-device",
        "nvme,id=nvmeD,serial=nvmeqD,subsys=fdpD,addr=0x9",
    ]);
    namespace_image(&mut c, f, "nvmD1", D_NS_BYTES)?;
    c.args([
        "-device",
        "nvme-ns,drive=nvmD1,bus=nvmeD,nsid=1,logical_block_size=4096,\
         physical_block_size=4096,fdp.ruhs=0-3",
    ]);

    // Controller E: small limits: 8 KiB transfers at most (MDTS 1), the smallest queues QEMU
    // takes (MQES 1: two entries), a 16 MiB controller memory buffer, many namespaces.
    c.args([
        "-device",
        "nvme,id=nvmeE,serial=nvmeqE,addr=0xa,mdts=1,mqes=1,cmb_size_mb=16",
    ]);
    for nsid in 1..=E_NAMESPACES {
        let node = format!("nvmE{nsid}");
        let size = if nsid == 1 { E_NS1_BYTES } else { E_NS_BYTES };
        namespace_image(&mut c, f, &node, size)?;
        c.args([
            "-device",
            &format!("nvme-ns,drive={node},bus=nvmeE,nsid={nsid}"),
        ]);
    }

    fault_controller(&mut c, f)?;
    removal_port(&mut c, f)?;

    for (id, tag, path, addr) in [
        ("out", "nvmeqout", f.out, "0x6"),
        ("ctl", "nvmeqctl", f.ctl, "0x7"),
    ] {
        c.args([
            "-fsdev",
            &format!("local,id={id},path={},security_model=none", opt_path(path)),
        ]);
        c.args([
            "-device",
            &format!("virtio-9p-pci,fsdev={id},mount_tag={tag},addr={addr}"),
        ]);
    }
    Ok(c)
}

/// Controller F, fault injection with QEMU's own block drivers: nsid 1 on `blkdebug`, whose
/// rules fail reads and writes of the LBAs `F_BAD_LBAS` with EIO (QEMU's NVMe device answers
/// Unrecovered Read Error and Write Fault), and nsid 2 behind a throttle group of
/// `F_SLOW_BPS` bytes per second (commands queued behind a large one outlast short timeouts).
fn fault_controller(c: &mut Command, f: &Files) -> Result<(), String> {
    c.args(["-device", "nvme,id=nvmeF,serial=nvmeqF,addr=0xb"]);
    let lba4k = "logical_block_size=4096,physical_block_size=4096";

    let p = f.disks.join("nvmF1.img");
    image(&p, F_NS_BYTES)?;
    c.args(["-blockdev", &file_blockdev("nvmF1f", &p)]);
    let mut rules = String::new();
    let (first, count) = F_BAD_LBAS;
    for (i, lba) in (first..first + count).enumerate() {
        // blkdebug matches a request that covers `sector` (512 B units): the LBA's first one.
        let sector = lba * 8;
        for (j, (event, iotype)) in [("read_aio", "read"), ("write_aio", "write")]
            .iter()
            .enumerate()
        {
            let n = 2 * i + j;
            rules.push_str(&format!(
                ",inject-error.{n}.event={event},inject-error.{n}.iotype={iotype},\
                 inject-error.{n}.errno=5,inject-error.{n}.sector={sector},inject-error.{n}.once=off"
            ));
        }
    }
    c.args([
        "-blockdev",
        &format!("driver=blkdebug,node-name=nvmF1d,image=nvmF1f{rules}"),
    ]);
    // raw above blkdebug: raw's read and write events are what arm the rules.
    c.args(["-blockdev", "driver=raw,node-name=nvmF1,file=nvmF1d"]);
    c.args([
        "-device",
        &format!("nvme-ns,drive=nvmF1,bus=nvmeF,nsid=1,{lba4k}"),
    ]);

    let p = f.disks.join("nvmF2.img");
    image(&p, F_NS_BYTES)?;
    c.args(["-blockdev", &file_blockdev("nvmF2f", &p)]);
    c.args(["-blockdev", "driver=raw,node-name=nvmF2r,file=nvmF2f"]);
    c.args([
        "-object",
        &format!("throttle-group,id=slowF,x-bps-total={F_SLOW_BPS}"),
    ]);
    c.args([
        "-blockdev",
        "driver=throttle,node-name=nvmF2,throttle-group=slowF,file=nvmF2r",
    ]);
    c.args([
        "-device",
        &format!("nvme-ns,drive=nvmF2,bus=nvmeF,nsid=2,{lba4k}"),
    ]);
    Ok(())
}

/// The hot-plug slot for the surprise-removal rows (`crates/nvmeq-hwtest/src/faults/removal.rs`,
/// docs/testing.md): an empty PCIe root port `rpR` (a device on the root bus cannot be
/// unplugged) and the block node `nvmR` a controller there takes. The boot has no controller
/// in it: a test hot-adds `nvme,id=nvmeR,serial=nvmeqR,drive=nvmR,bus=rpR` through QMP, and
/// removes it again, so no other test ever sees it. `nvmR` sits behind a throttle group like
/// F's nsid 2, so that commands are still in flight when the removal comes.
fn removal_port(c: &mut Command, f: &Files) -> Result<(), String> {
    c.args([
        "-device",
        "pcie-root-port,id=rpR,bus=pcie.0,addr=0xc,chassis=12,slot=12",
    ]);
    let p = f.disks.join("nvmR.img");
    image(&p, R_BYTES)?;
    c.args(["-blockdev", &file_blockdev("nvmRf", &p)]);
    c.args(["-blockdev", "driver=raw,node-name=nvmRr,file=nvmRf"]);
    c.args([
        "-object",
        &format!("throttle-group,id=slowR,x-bps-total={F_SLOW_BPS}"),
    ]);
    c.args([
        "-blockdev",
        "driver=throttle,node-name=nvmR,throttle-group=slowR,file=nvmRr",
    ]);
    Ok(())
}

/// Where a boot's QMP socket is: in its control folder.
pub fn qmp_socket(ctl: &Path) -> PathBuf {
    ctl.join("qmp.sock")
}

/// A fresh sparse image `<node>.img` of this boot as block node `node`.
fn namespace_image(c: &mut Command, f: &Files, node: &str, size: u64) -> Result<(), String> {
    let p = f.disks.join(format!("{node}.img"));
    image(&p, size)?;
    c.args(["-blockdev", &file_blockdev(&format!("{node}f"), &p)]);
    c.args([
        "-blockdev",
        &format!("driver=raw,node-name={node},file={node}f"),
    ]);
    Ok(())
}

/// The exit status in a console line carrying the marker.
pub fn parse_marker(line: &str) -> Option<i32> {
    let rest = &line[line.find(EXIT_MARKER)? + EXIT_MARKER.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The console line without terminal control sequences (the firmware clears the screen) and
/// carriage returns.
pub fn strip_escapes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    // CSI: parameters up to a final byte in @..~
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                } else {
                    chars.next();
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Firmware and power-off chatter that says nothing about the command. Blank lines count only
/// before anything else was shown (the firmware clears the screen); later ones are output.
fn is_noise(line: &str, shown_any: bool) -> bool {
    (line.is_empty() && !shown_any)
        || line.starts_with("SeaBIOS (version")
        || line.starts_with("Booting from ROM")
        || line.ends_with("reboot: Power down")
}

/// Runs QEMU with its console on our stdout until the guest powers off, and returns the guest
/// command's exit status. `interactive` hands QEMU our terminal instead.
pub fn run(
    mut cmd: Command,
    timeout: Duration,
    ctl: &Path,
    interactive: bool,
) -> Result<Ended, String> {
    let shown = crate::util::show(&cmd);
    if std::env::var_os("NVMEQ_VM_SHOW_QEMU").is_some() {
        eprintln!("$ {shown}");
    }
    let started = Instant::now();
    let mut marker = None;
    let waited = if interactive {
        let mut child = cmd.spawn().map_err(|e| format!("cannot start QEMU: {e}"))?;
        child.wait().map_err(|e| format!("QEMU: {e}"))?
    } else {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start QEMU ({shown}): {e}"))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut out = std::io::stdout();
            let mut shown_any = false;
            for line in BufReader::new(stdout).split(b'\n') {
                let Ok(line) = line else { break };
                let mut text = strip_escapes(&String::from_utf8_lossy(&line));
                if take_heartbeat(&mut text) {
                    let _ = tx.send(Event::Alive);
                    if text.is_empty() {
                        continue;
                    }
                }
                if let Some(code) = parse_marker(&text) {
                    let _ = tx.send(Event::Exit(code));
                } else if let Some(req) = super::qmp::parse_request(&text) {
                    let _ = tx.send(Event::Qmp(req));
                } else if let Some(ev) = parse_step(&text) {
                    let _ = tx.send(ev);
                } else if text.contains(RCU_STALL) {
                    let _ = tx.send(Event::Stall);
                } else if let Some(f) = dma_fault(&text) {
                    let _ = tx.send(Event::DmaFault(f.to_string()));
                }
                if !is_noise(&text, shown_any) {
                    shown_any = true;
                    let _ = writeln!(out, "{text}");
                    let _ = out.flush();
                }
            }
        });
        let deadline = started + timeout;
        let mut qmp = super::qmp::Host::new(qmp_socket(ctl), ctl.to_path_buf());
        // The step running now: (index, name, secs, by when it must end).
        let mut step: Option<(usize, String, u64, Instant)> = None;
        // The step during which the guest kernel reported an RCU stall. A stall can be
        // transient (the host starved the vCPU threads), so the step goes on; if it then
        // fails or hangs, that is the emulator's failure, and the step runs again.
        let mut stalled_in: Option<usize> = None;
        // A step that failed after a stall: (index, name, secs, its exit status).
        let mut failed_after_stall: Option<(usize, String, u64, i32)> = None;
        // The last heartbeat, once the guest has sent one.
        let mut alive: Option<Instant> = None;
        let status = loop {
            while let Ok(ev) = rx.try_recv() {
                match ev {
                    Event::Exit(code) => marker = Some(code),
                    Event::StepStart(i, secs, name) => {
                        let by = Instant::now() + Duration::from_secs(secs) + STEP_GRACE;
                        step = Some((i, name, secs, by));
                    }
                    Event::StepEnd(i, rc, name) => {
                        let secs = step.take().map_or(0, |s| s.2);
                        if rc != 0 && stalled_in == Some(i) {
                            failed_after_stall = Some((i, name, secs, rc));
                        } else if rc != 0 {
                            note_failed_step(i, &name, rc);
                        }
                        stalled_in = None;
                    }
                    Event::Alive => alive = Some(Instant::now()),
                    Event::Stall => {
                        if let Some((index, name, ..)) = &step {
                            if stalled_in.is_none() {
                                let _ = writeln!(
                                    std::io::stderr(),
                                    "xtask vm: the guest reported an RCU stall during step \
                                     {index} `{name}`; the step goes on"
                                );
                            }
                            stalled_in = Some(*index);
                        }
                    }
                    Event::DmaFault(line) => note_dma_fault(&step, line),
                    Event::Qmp(req) => {
                        let said = qmp.answer(req);
                        let _ = writeln!(std::io::stderr(), "xtask vm: {said}");
                    }
                }
            }
            for e in qmp.write_events(Duration::ZERO) {
                let _ = writeln!(std::io::stderr(), "xtask vm: QMP event {e}");
            }
            if let Some((index, name, secs, rc)) = failed_after_stall.take() {
                // The emulator's failure, not the step's: end the boot and run it again.
                let _ = child.kill();
                let _ = child.wait();
                let _ = reader.join();
                let _ = writeln!(
                    std::io::stderr(),
                    "xtask vm: step {index} `{name}` failed (exit {rc}) after a guest RCU stall; \
                     QEMU killed"
                );
                return Ok(Ended::EmulatorFailed {
                    index,
                    name,
                    secs,
                    why: format!("guest RCU stall, then exit {rc}"),
                });
            }
            if let (Some(at), Some((index, name, secs, _)), None) = (alive, &step, marker) {
                if at.elapsed() > SILENCE_LIMIT {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = reader.join();
                    let why = format!("no heartbeat for {} s", SILENCE_LIMIT.as_secs());
                    let _ = writeln!(
                        std::io::stderr(),
                        "xtask vm: the guest fell silent during step {index} `{name}` ({why}); \
                         QEMU killed"
                    );
                    return Ok(Ended::EmulatorFailed {
                        index: *index,
                        name: name.clone(),
                        secs: *secs,
                        why,
                    });
                }
            }
            if let Some(s) = child.try_wait().map_err(|e| format!("QEMU: {e}"))? {
                if let (Some((index, name, secs, _)), None) = (&step, marker) {
                    // QEMU itself died inside a step (seen: QEMU 10.0.2 aborting in
                    // iotlb_to_section during a VFIO rebind): that step failed; the
                    // caller boots again for the next.
                    let _ = reader.join();
                    let _ = writeln!(
                        std::io::stderr(),
                        "xtask vm: QEMU exited ({s}) during step {index} `{name}`"
                    );
                    return Ok(Ended::EmulatorFailed {
                        index: *index,
                        name: name.clone(),
                        secs: *secs,
                        why: format!("QEMU exited ({s})"),
                    });
                }
                break Some(s);
            }
            if let Some((index, name, secs, by)) = &step {
                if Instant::now() >= *by && marker.is_none() {
                    // Our own child only.
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = reader.join();
                    let _ = writeln!(
                        std::io::stderr(),
                        "xtask vm: step {index} `{name}` hung the guest: no answer {} s past \
                         its {secs} s limit; QEMU killed after {:.0} s",
                        STEP_GRACE.as_secs(),
                        started.elapsed().as_secs_f64()
                    );
                    if stalled_in == Some(*index) {
                        return Ok(Ended::EmulatorFailed {
                            index: *index,
                            name: name.clone(),
                            secs: *secs,
                            why: "guest RCU stall, then no answer".into(),
                        });
                    }
                    return Ok(Ended::Hung {
                        index: *index,
                        name: name.clone(),
                        secs: *secs,
                    });
                }
            }
            // After the marker, poweroff is quick; do not wait the full timeout for it.
            let limit = match marker {
                Some(_) => deadline.min(Instant::now() + Duration::from_secs(30)),
                None => deadline,
            };
            if Instant::now() >= limit {
                break None;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        let status = match status {
            Some(s) => s,
            None => {
                // Our own child only.
                let _ = child.kill();
                let s = child.wait().map_err(|e| format!("QEMU: {e}"))?;
                if marker.is_none() {
                    let _ = reader.join();
                    return Err(format!(
                        "timed out after {} s without the guest reporting an exit status \
                         (QEMU killed; raise --timeout if the command needs longer)",
                        timeout.as_secs()
                    ));
                }
                s
            }
        };
        let _ = reader.join();
        while let Ok(ev) = rx.try_recv() {
            if let Event::Exit(code) = ev {
                marker = Some(code);
            }
        }
        status
    };
    // Not eprintln!: a closed stderr (`| head`) must not abort before the cleanup.
    let _ = writeln!(
        std::io::stderr(),
        "xtask vm: guest ran {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let from_file = fs::read_to_string(ctl.join("exit"))
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok());
    from_file.or(marker).map(Ended::Exit).ok_or_else(|| {
        format!(
            "the guest never reported an exit status (QEMU exited with {waited}): \
             it crashed or its init failed; rerun with --verbose for the kernel log"
        )
    })
}

/// Remembers a DMA fault with the step it came in.
fn note_dma_fault(step: &Option<(usize, String, u64, Instant)>, line: String) {
    let at = match step {
        Some((i, name, ..)) => format!("step {i} `{name}`"),
        None => "outside any step".to_string(),
    };
    let _ = writeln!(std::io::stderr(), "xtask vm: DMA fault during {at}: {line}");
    if let Ok(mut v) = DMA_FAULTS.lock() {
        v.push(format!("{at}: {line}"));
    }
}

/// Remembers a step that ended with a non-zero status.
fn note_failed_step(index: usize, name: &str, rc: i32) {
    let why = if rc == 124 {
        "timed out".to_string()
    } else {
        format!("exit {rc}")
    };
    if let Ok(mut v) = FAILED_STEPS.lock() {
        v.push(format!("step {index} `{name}` ({why})"));
    }
}

/// A fresh directory (emptied if it exists).
pub fn fresh_dir(p: &Path) -> Result<PathBuf, String> {
    if p.exists() {
        fs::remove_dir_all(p).map_err(|e| format!("cannot clear {}: {e}", p.display()))?;
    }
    fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?;
    Ok(p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_parsing() {
        assert_eq!(parse_marker("NVMEQ-EXIT=0"), Some(0));
        assert_eq!(parse_marker("[  1.2] noise NVMEQ-EXIT=127 tail"), Some(127));
        assert_eq!(parse_marker("NVMEQ-EXIT="), None);
        assert_eq!(parse_marker("exit 3"), None);
    }

    #[test]
    fn step_markers() {
        assert_eq!(
            parse_step("NVMEQ-STEP-START=3 240 nvmeq-cli-guest-tests:json"),
            Some(Event::StepStart(
                3,
                240,
                "nvmeq-cli-guest-tests:json".into()
            ))
        );
        assert_eq!(
            parse_step("[ 9.1] NVMEQ-STEP-END=12 124 x"),
            Some(Event::StepEnd(12, 124, "x".into()))
        );
        assert_eq!(parse_step("NVMEQ-STEP-START=x 1 y"), None);
        assert_eq!(parse_step("plain"), None);
    }

    #[test]
    fn heartbeats_are_cut_out() {
        let mut l = "NVMEQ-ALIVE".to_string();
        assert!(take_heartbeat(&mut l));
        assert_eq!(l, "");
        let mut l = "A/readNVMEQ-ALIVE   PASS".to_string();
        assert!(take_heartbeat(&mut l));
        assert_eq!(l, "A/read   PASS");
        let mut l = "plain".to_string();
        assert!(!take_heartbeat(&mut l));
        assert_eq!(l, "plain");
    }

    #[test]
    fn dma_fault_lines() {
        let l = "[   51.2] DMAR: [DMA Write NO_PASID] Request device [00:08.0] fault addr 0x0 \
                 [fault reason 0x05] PTE Write access is not set";
        assert_eq!(
            dma_fault(l).map(|f| &f[..36]),
            Some("DMAR: [DMA Write NO_PASID] Request d")
        );
        assert_eq!(dma_fault("[    0.1] DMAR: IOMMU enabled"), None);
    }

    #[test]
    fn hardware_virtualization_flag() {
        assert!(has_hw_virt("processor\t: 0\nflags\t\t: fpu vme vmx sse\n"));
        assert!(has_hw_virt("flags\t\t: fpu svm\n"));
        assert!(!has_hw_virt(
            "flags\t\t: fpu vme hypervisor\nvmx flags\t: ept\n"
        ));
        assert_eq!(opt_path(Path::new("/a,b")), "/a,,b");
    }

    #[test]
    fn escapes_are_stripped() {
        assert_eq!(
            strip_escapes("\u{1b}c\u{1b}[?7l\u{1b}[2JSeaBIOS (version 1)\r"),
            "SeaBIOS (version 1)"
        );
        assert_eq!(strip_escapes("plain [1] text"), "plain [1] text");
        assert!(is_noise("SeaBIOS (version 1.16.2)", true));
        assert!(!is_noise("NVMEQ-EXIT=0", false));
        assert!(is_noise("", false));
        assert!(!is_noise("", true));
    }

    fn test_files(dir: &Path) -> (PathBuf, PathBuf) {
        let disks = dir.join("disks");
        let out = dir.join("out");
        (disks, out)
    }

    #[test]
    fn command_line_order_and_devices() {
        let dir = std::env::temp_dir().join(format!("xtask-qemu-test-{}", std::process::id()));
        let (disks, out) = test_files(&dir);
        let m = Machine {
            iommu: true,
            null: false,
            kvm: false,
            mem: "2G".into(),
            smp: 2,
            append: "nvme.io_queue_depth=64".into(),
            verbose: false,
            watchdog: Some(70),
        };
        let f = Files {
            vmlinuz: Path::new("/k"),
            initrd: Path::new("/i"),
            disks: &disks,
            out: &out,
            ctl: &out,
        };
        let c = command(&m, &f).unwrap();
        let args: Vec<String> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let pos = |needle: &str| {
            args.iter()
                .position(|a| a.contains(needle))
                .unwrap_or_else(|| panic!("{needle} missing from {args:?}"))
        };
        assert!(pos("intel-iommu,intremap=on") < pos("nvme,serial=nvmeqA"));
        assert_eq!(args[pos("q35")], "q35,kernel-irqchip=split");
        assert!(args[pos("console=ttyS0")].contains("intel_iommu=on"));
        assert!(args[pos("console=ttyS0")]
            .ends_with("quiet intel_iommu=on nvmeq.watchdog=70 nvme.io_queue_depth=64"));
        assert!(args[pos("zoned=true")].contains("nsid=2"));
        assert!(args[pos("zoned=true")].contains("logical_block_size=4096"));
        assert_eq!(fs::metadata(disks.join("a.img")).unwrap().len(), 1 << 30);
        assert_eq!(fs::metadata(disks.join("b2.img")).unwrap().len(), 256 << 20);
        assert_eq!(args[pos("tcg")], "tcg,thread=multi");
        // Controller F: four LBAs fail on read and on write, nsid 2 is throttled.
        let blkdebug = &args[pos("driver=blkdebug")];
        assert!(blkdebug.contains("inject-error.0.event=read_aio"));
        assert!(blkdebug.contains("inject-error.7.event=write_aio"));
        assert!(blkdebug.contains("inject-error.7.sector=8216"));
        assert!(!blkdebug.contains("inject-error.8."));
        assert!(pos("throttle-group,id=slowF") < pos("driver=throttle"));
        assert!(args[pos("console=ttyS0")].contains("nvmeq.fault_lbas=1024+4"));
        // The QMP socket in the control folder, and the empty hot-plug slot.
        let sock = format!("unix:{}/qmp.sock,server=on,wait=off", out.display());
        assert_eq!(args[pos("qmp.sock")], sock);
        assert_eq!(args[pos("qmp.sock") - 1], "-qmp");
        assert!(args[pos("pcie-root-port,id=rpR")].contains("bus=pcie.0"));
        assert!(!args.iter().any(|a| a.contains("bus=rpR")));
        assert!(pos("throttle-group,id=slowR") < pos("node-name=nvmR,throttle-group=slowR"));
        let _ = fs::remove_dir_all(&dir);
    }
}
