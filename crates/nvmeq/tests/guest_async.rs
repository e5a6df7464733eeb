//! The async API in the nvmeq QEMU guest (`cargo xtask vm test` runs each
//! test as a step): `examples/tokio_verify.rs` — tokio tasks × verified
//! writes and reads, then writes dropped in flight — on controller A through
//! every backend. Each needs the guest's environment (`NVMEQ_GUEST=1`,
//! docs/testing.md); run one by hand with
//! `cargo xtask vm exec -- nvmeq-async-guest-tests --ignored --exact ioctl`.

#[path = "../examples/tokio_verify.rs"]
#[allow(dead_code)]
mod tokio_verify;

const GUEST: &str = "needs the nvmeq guest: see the header of tests/guest_async.rs";

/// Tasks, I/Os per task, and where each backend's blocks start on A (past
/// the conformance suite's and the io_uring tests' areas; 8 × 32 × 2 runs
/// of 8 blocks = 4096 blocks each).
const TASKS: u64 = 8;
const IOS: u64 = 32;
const FIRST: u64 = 1_600_000;

fn var(k: &str) -> String {
    assert_eq!(
        std::env::var("NVMEQ_GUEST").as_deref(),
        Ok("1"),
        "{GUEST}: NVMEQ_GUEST is not set"
    );
    std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set ({GUEST})"))
}

fn run(spec: &str, area: u64) {
    tokio_verify::run(spec, TASKS, IOS, FIRST + area * 4096).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn ioctl() {
    run(&format!("ioctl:{}", var("NVMEQ_NS_A")), 0);
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn uring() {
    run(&format!("uring:{}", var("NVMEQ_NS_A")), 1);
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn uring_fixed() {
    run(&format!("uring-fixed:{}", var("NVMEQ_NS_A")), 2);
}

/// Moves A to vfio-pci for `f`, and back to nvme whatever happens.
fn on_vfio(f: impl FnOnce(&str) + std::panic::UnwindSafe) {
    let pci = var("NVMEQ_PCI_A");
    if std::env::var("NVMEQ_IOMMU").as_deref() != Ok("1") {
        println!("SKIP: the guest has no IOMMU, so no VFIO");
        return;
    }
    nvmeq::vfio::bind_vfio(&pci).unwrap_or_else(|e| panic!("{pci} to vfio-pci: {e}"));
    let r = std::panic::catch_unwind(|| f(&pci));
    let back = nvmeq::vfio::bind_kernel(&pci);
    if let Err(p) = r {
        std::panic::resume_unwind(p);
    }
    back.unwrap_or_else(|e| panic!("{pci} back to nvme: {e}"));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn vfio_irq() {
    on_vfio(|pci| run(&format!("vfio-irq:{pci}"), 3));
}

#[test]
#[ignore = "needs the nvmeq guest"]
fn vfio_poll() {
    on_vfio(|pci| run(&format!("vfio-poll:{pci}"), 4));
}
