//! The sysfs side of VFIO: which driver owns a device, its IOMMU group, and the
//! `driver_override` dance that moves a controller between `nvme` and `vfio-pci`.

use std::fs;
use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::bdf::Bdf;
use crate::error::OpenError;

/// How long [`bind_vfio`] / [`bind_kernel`] wait for the new driver to probe.
const BIND_WAIT: Duration = Duration::from_secs(10);

/// The name of the driver `bdf` is bound to, or `None`.
pub fn driver_of(bdf: &Bdf) -> Result<Option<String>, OpenError> {
    let dir = crate::bdf::sysfs_dir(bdf);
    if !Path::new(&dir).exists() {
        return Err(OpenError::NoSuchDevice {
            bdf: bdf.to_string(),
        });
    }
    Ok(link_name(&format!("{dir}/driver")))
}

/// The IOMMU group number of `bdf`, or `None` when the IOMMU is off.
pub fn iommu_group_of(bdf: &Bdf) -> Result<Option<u32>, OpenError> {
    let dir = crate::bdf::sysfs_dir(bdf);
    if !Path::new(&dir).exists() {
        return Err(OpenError::NoSuchDevice {
            bdf: bdf.to_string(),
        });
    }
    Ok(link_name(&format!("{dir}/iommu_group")).and_then(|n| n.parse().ok()))
}

/// The 24-bit PCI class code of `bdf` (NVMe: 0x010802).
pub fn class_of(bdf: &Bdf) -> Result<u32, OpenError> {
    let path = format!("{}/class", crate::bdf::sysfs_dir(bdf));
    let s = fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => OpenError::NoSuchDevice {
            bdf: bdf.to_string(),
        },
        _ => OpenError::os_at(format!("read {path}"), &path, e),
    })?;
    u32::from_str_radix(s.trim().trim_start_matches("0x"), 16).map_err(|_| OpenError::Os {
        op: format!("parse {path}"),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, s.trim().to_string()),
    })
}

/// The devices of IOMMU group `group` that keep it from being viable: bound to
/// a driver other than vfio-pci (PCI bridges with `pcieport` are allowed by the
/// kernel, so they are skipped). Formatted `BDF (driver)`.
pub fn group_blockers(group: u32) -> Vec<String> {
    let dir = format!("/sys/kernel/iommu_groups/{group}/devices");
    let Ok(entries) = fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let drv = link_name(&format!("{dir}/{name}/driver"));
        match drv.as_deref() {
            None | Some("vfio-pci") | Some("pcieport") | Some("pci-stub") => {}
            Some(d) => out.push(format!("{name} ({d})")),
        }
    }
    out.sort();
    out
}

/// Hands `bdf` to vfio-pci: sets `driver_override`, unbinds the current driver
/// (e.g. `nvme`) and re-probes, then waits until vfio-pci owns it and its
/// `/dev/vfio/<group>` node exists. Needs root and the vfio-pci module.
///
/// The controller must not be in use by the kernel (mounted file systems on
/// its namespaces would make the unbind hang or fail).
pub fn bind_vfio(bdf: &str) -> Result<(), OpenError> {
    let bdf = crate::bdf::parse(bdf)?;
    // Without an IOMMU group vfio-pci cannot take the device: say so before
    // unbinding it from its driver.
    if iommu_group_of(&bdf)?.is_none() {
        return Err(OpenError::NoIommuGroup {
            bdf: bdf.to_string(),
        });
    }
    rebind(&bdf, "vfio-pci")?;
    if let Some(group) = iommu_group_of(&bdf)? {
        let node = format!("/dev/vfio/{group}");
        wait_for(|| Path::new(&node).exists());
        if !Path::new(&node).exists() {
            return Err(OpenError::NoVfio { path: node });
        }
    } else {
        return Err(OpenError::NoIommuGroup {
            bdf: bdf.to_string(),
        });
    }
    Ok(())
}

/// Gives `bdf` back to the kernel's NVMe driver: clears `driver_override`,
/// unbinds vfio-pci and re-probes, then waits until `nvme` owns the device.
/// Close every [`crate::Controller`] on it first (the VFIO device must be free).
pub fn bind_kernel(bdf: &str) -> Result<(), OpenError> {
    let bdf = crate::bdf::parse(bdf)?;
    rebind(&bdf, "nvme")
}

/// Sets the override (empty for `nvme`: the default match), unbinds, probes
/// and waits for `want` to own the device.
fn rebind(bdf: &Bdf, want: &str) -> Result<(), OpenError> {
    let dir = crate::bdf::sysfs_dir(bdf);
    let current = driver_of(bdf)?;
    let over = if want == "nvme" { "\n" } else { want };
    write_sysfs(&format!("{dir}/driver_override"), over)?;
    if current.as_deref() == Some(want) {
        return Ok(());
    }
    if current.is_some() {
        write_sysfs(&format!("{dir}/driver/unbind"), &bdf.to_string())?;
    }
    write_sysfs("/sys/bus/pci/drivers_probe", &bdf.to_string())?;
    wait_for(|| link_name(&format!("{dir}/driver")).as_deref() == Some(want));
    match link_name(&format!("{dir}/driver")) {
        Some(d) if d == want => Ok(()),
        got => Err(OpenError::Controller {
            bdf: bdf.to_string(),
            what: format!(
                "after rebinding, the device is bound to {} instead of {want} (is the {want} \
                 module loaded? try modprobe {want})",
                got.as_deref().unwrap_or("no driver")
            ),
        }),
    }
}

fn write_sysfs(path: &str, value: &str) -> Result<(), OpenError> {
    fs::write(path, value)
        .map_err(|e| OpenError::os_at(format!("write {value:?} to {path}"), path, e))
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() && start.elapsed() < BIND_WAIT {
        sleep(Duration::from_millis(20));
    }
}

/// The last path component of a symlink's target.
fn link_name(path: &str) -> Option<String> {
    let target = fs::read_link(path).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}
