//! What the suite runs against: a controller and namespace, and what it may do there.

use std::path::PathBuf;

/// One controller/namespace pair under test.
#[derive(Debug, Clone)]
pub struct Target {
    /// Short label prefixed to test names (`A`, `B`, `A-blk`, `dev`).
    pub label: String,
    /// Controller char device (`/dev/nvme0`); found from the namespace when absent.
    pub ctrl: Option<PathBuf>,
    /// Namespace device (`/dev/ng0n1` or `/dev/nvme0n1`).
    pub ns: PathBuf,
    /// Whether writing tests may run. On real hardware only with
    /// `--allow-destructive --nsid N` naming this namespace.
    pub destructive: bool,
    /// The namespace id the user named for destructive tests (checked
    /// against the device's before anything is written).
    pub named_nsid: Option<u32>,
    /// Compare our Identify parsing with nvme-cli's JSON (`nvme` in PATH).
    pub differential: bool,
    /// A zoned namespace device on the same controller, for the ZNS tests.
    pub zns: Option<PathBuf>,
    /// Whether the namespace may be reformatted (Format NVM) to test metadata
    /// buffers: the guest's controller B only, never on real hardware.
    pub format: bool,
    /// A fault the emulator injects on this namespace (controller F in the guest): the
    /// target runs the fault rows (`crate::faults`) instead of the suite.
    pub fault: Option<crate::faults::Fault>,
}

impl Target {
    /// A ram controller from its device string (`ram:512`, `ram:64M,ms=8,pi=1`), which
    /// every test may write: scratch memory, as the guest's disks are.
    pub fn ram(label: &str, spec: &str) -> Self {
        Target {
            label: label.into(),
            ctrl: None,
            ns: PathBuf::from(spec),
            destructive: true,
            named_nsid: None,
            differential: false,
            zns: None,
            format: false,
            fault: None,
        }
    }
}

/// Which of the guest's controllers `nvmeq-hwtest guest` runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GuestSet {
    /// Controllers A (char and block device) and B (with its zoned namespace).
    Ab,
    /// Controller C's four protection/metadata namespaces, D's FDP namespace and
    /// E's (MDTS 1, two-entry queues, 34 namespaces, a CMB) first namespace.
    Cde,
    /// Controller C's four protection/metadata namespaces alone (the VFIO
    /// backends' set: rebinding D and E is not part of it).
    C,
    /// Controller F's fault-injection namespaces alone (`ab` runs them last too).
    F,
}

/// The guest's environment contract (docs/testing.md): controllers A and B, or
/// C, D and E. Every variable is required; a missing one is an error naming it.
pub fn guest_targets(set: GuestSet) -> Result<Vec<Target>, String> {
    let var = |k: &str| -> Result<PathBuf, String> {
        std::env::var_os(k)
            .map(PathBuf::from)
            .ok_or_else(|| format!("{k} is not set: `guest` runs inside the nvmeq QEMU guest (cargo xtask vm test); on a real host use `nvmeq-hwtest run --ctrl … --ns …`"))
    };
    if std::env::var("NVMEQ_GUEST").as_deref() != Ok("1") {
        return Err("NVMEQ_GUEST=1 is not set: `guest` is for the nvmeq QEMU guest (cargo xtask vm test); on a real host use `nvmeq-hwtest run --ctrl … --ns …`".into());
    }
    let t = |label: &str, ctrl: PathBuf, ns: PathBuf, diff: bool, zns: Option<PathBuf>| Target {
        label: label.into(),
        ctrl: Some(ctrl),
        ns,
        destructive: true,
        named_nsid: None,
        differential: diff,
        format: zns.is_some(),
        zns,
        fault: None,
    };
    if set == GuestSet::F {
        return Ok(Vec::new());
    }
    if set != GuestSet::Ab {
        let mut v = Vec::new();
        for i in 1..=4 {
            let ns = var(&format!("NVMEQ_NS_C{i}"))?;
            v.push(t(&format!("C{i}"), var("NVMEQ_CTRL_C")?, ns, false, None));
        }
        if set == GuestSet::C {
            return Ok(v);
        }
        v.push(t(
            "D",
            var("NVMEQ_CTRL_D")?,
            var("NVMEQ_NS_D")?,
            false,
            None,
        ));
        v.push(t(
            "E",
            var("NVMEQ_CTRL_E")?,
            var("NVMEQ_NS_E")?,
            false,
            None,
        ));
        return Ok(v);
    }
    Ok(vec![
        t("A", var("NVMEQ_CTRL_A")?, var("NVMEQ_NS_A")?, true, None),
        t(
            "A-blk",
            var("NVMEQ_CTRL_A")?,
            var("NVMEQ_BLK_A")?,
            false,
            None,
        ),
        t(
            "B",
            var("NVMEQ_CTRL_B")?,
            var("NVMEQ_NS_B")?,
            false,
            Some(var("NVMEQ_ZNS_B")?),
        ),
    ])
}

/// The guest's NVMe/TCP target (docs/testing.md: `NVMEQ_TCP_ADDR`,
/// `NVMEQ_TCP_PORT`, `NVMEQ_TCP_NQN`), one connection per namespace: `T`
/// on nsid 1 (a file on tmpfs) without digests, `T-dg` on nsid 2 (a
/// memory-backed null_blk disk) with header and data digests. Digests are
/// the transport's and independent of the backing, so each way runs once.
pub fn guest_tcp_targets() -> Result<Vec<Target>, String> {
    if std::env::var("NVMEQ_GUEST").as_deref() != Ok("1") {
        return Err("NVMEQ_GUEST=1 is not set: `guest` is for the nvmeq QEMU guest; on a real host use `nvmeq-hwtest --backend tcp run --ns tcp://HOST:PORT/SUBNQN`".into());
    }
    let var = |k: &str| {
        std::env::var(k).map_err(|_| {
            format!("{k} is not set: the guest has no NVMe/TCP target (nvmet-tcp missing?)")
        })
    };
    let (addr, port, nqn) = (
        var("NVMEQ_TCP_ADDR")?,
        var("NVMEQ_TCP_PORT")?,
        var("NVMEQ_TCP_NQN")?,
    );
    let t = |label: &str, nsid: u32, query: &str| Target {
        label: label.into(),
        ctrl: None,
        ns: PathBuf::from(format!("tcp://{addr}:{port}/{nqn}{query}")),
        destructive: true,
        named_nsid: Some(nsid),
        differential: false,
        zns: None,
        format: false,
        fault: None,
    };
    Ok(vec![t("T", 1, ""), t("T-dg", 2, "?hdgst&ddgst")])
}

/// Commands the kernel keeps in flight at once on each of the controller's
/// I/O queues: `/sys/class/nvme/nvmeN/sqsize` (the driver's queue size minus
/// one, zero-based; a queue of N entries holds N - 1 commands). `None` where
/// sysfs does not say (not a kernel-driven controller).
pub fn kernel_queue_depth(ctrl: &std::path::Path) -> Option<u32> {
    let name = ctrl.file_name()?.to_str()?;
    std::fs::read_to_string(format!("/sys/class/nvme/{name}/sqsize"))
        .ok()?
        .trim()
        .parse()
        .ok()
}
