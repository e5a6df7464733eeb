//! `cargo xtask demo`: nvmeq end to end, first on the in-memory controller on
//! this host, then in the QEMU guest on every kernel-facing backend.
//!
//! Each run of `nvmeq-demo` identifies the controller, writes a pattern,
//! reads it back through the synchronous and the queue interfaces, and shows
//! how an out-of-range read's NVMe status reads. In the guest the same program
//! goes through the ioctl backend, io_uring passthrough, and the VFIO driver
//! (controller A handed to vfio-pci and back, shown as the shell commands a
//! user would type).

use crate::util;

const USAGE: &str = "\
usage: cargo xtask demo [--host-only] [RAM-DEVICE]

  RAM-DEVICE   the host part's device (default ram:1G), e.g. ram:512M,lba=4096
  --host-only  skip the guest (ioctl, io_uring and VFIO need the QEMU guest)
";

/// What the guest runs: the emulated disks are fair game for writes.
const GUEST_SCRIPT: &str = r##"set -e
banner() { printf '\n======== %s ========\n' "$1"; }
banner "ioctl backend: ioctl:$NVMEQ_NS_A"
nvmeq-demo --allow-destructive "ioctl:$NVMEQ_NS_A"
banner "io_uring passthrough: uring:$NVMEQ_NS_A"
nvmeq-demo --allow-destructive "uring:$NVMEQ_NS_A"
banner "VFIO userspace driver: vfio:$NVMEQ_PCI_A"
d=/sys/bus/pci/devices/$NVMEQ_PCI_A
echo "# echo vfio-pci > $d/driver_override; echo $NVMEQ_PCI_A > $d/driver/unbind; echo $NVMEQ_PCI_A > /sys/bus/pci/drivers_probe"
echo vfio-pci > "$d/driver_override"
echo "$NVMEQ_PCI_A" > "$d/driver/unbind"
echo "$NVMEQ_PCI_A" > /sys/bus/pci/drivers_probe
nvmeq-demo --allow-destructive "vfio:$NVMEQ_PCI_A"
echo "# back to the kernel driver:"
echo > "$d/driver_override"
echo "$NVMEQ_PCI_A" > "$d/driver/unbind"
echo "$NVMEQ_PCI_A" > /sys/bus/pci/drivers_probe
sleep 1
ls /sys/bus/pci/drivers/nvme | grep -q "$NVMEQ_PCI_A" && echo "controller A is back on the nvme driver"
"##;

pub fn run(args: &[String]) -> Result<(), String> {
    let mut host_only = false;
    let mut device = None;
    for a in args {
        match a.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            "--host-only" => host_only = true,
            d if d.starts_with("ram") && device.is_none() => device = Some(d.to_string()),
            d => {
                return Err(format!(
                    "`{d}`: the host part of the demo writes, so it only takes a ram device \
                     (ram:SIZE); the guest part covers the kernel and VFIO backends\n\n{USAGE}"
                ))
            }
        }
    }
    let device = device.unwrap_or_else(|| "ram:1G".into());
    println!("======== ram backend (this host): {device} ========");
    let mut cmd = util::cargo();
    cmd.args(["run", "--quiet", "-p", "nvmeq", "--bin", "nvmeq-demo", "--"])
        .arg(&device);
    util::run(cmd)?;
    if host_only {
        return Ok(());
    }
    crate::vm::run(&[
        "exec".into(),
        "--iommu".into(),
        "--".into(),
        GUEST_SCRIPT.into(),
    ])
}
