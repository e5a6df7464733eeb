//! `dim`: Discovery Information Management (admin 21h) to discovery
//! controllers, as nvme-cli 2.13's `nvme dim --nqn/--device --task`: the
//! host registers (or deregisters) its Extended Discovery Information Entry
//! with each controller named, the entry built from the host NQN and Host
//! Identifier the controller was connected with and an empty transport
//! address (the controller takes the connection's).
//!
//! A controller is a kernel one (`nvmeX`, `/dev/nvmeX`; `--nqn` names the
//! kernel controllers of a subsystem) or nvmeq's own NVMe/TCP connection,
//! `tcp://HOST[:PORT][/NQN]` (the well-known discovery NQN when omitted),
//! made for this command only. As nvme-cli, DIM goes only over TCP and only
//! to a controller whose Identify Controller says it is a Direct or
//! Centralized Discovery Controller (DCTYPE 1h or 2h); any other is refused
//! before anything is sent, naming what it reported. `--task update` (TAS
//! 2h) is nvmeq's: nvme-cli 2.13 knows register and deregister (prefixes
//! accepted).

use std::path::Path;

use clap::Args;
use nvmeq::locator::Locator;
use nvmeq_core::cmd::Identify;
use nvmeq_core::fabrics::dim::{Dim, DimRequest, DimTask};
use nvmeq_core::fabrics::discovery::{AdrFam, TrType};
use nvmeq_core::fabrics::DISCOVERY_NQN;
use nvmeq_core::identify::IdentifyController;
use nvmeq_core::{Completion, Data, DataDir, IoBuf as _};
use serde::Serialize;
use zerocopy::FromBytes;

use super::{Ctx, DevArg};
use crate::error::{usage, CliError, Result};
use crate::output::{self, Format};

/// `nvmeq dim` options.
#[derive(Debug, Args)]
pub struct DimArgs {
    /// Comma-separated discovery subsystem NQNs: each kernel controller of them.
    #[arg(short = 'n', long = "nqn", value_name = "NAME")]
    pub nqn: Option<String>,
    /// Comma-separated discovery controllers: nvmeX, /dev/nvmeX or tcp://HOST[:PORT][/NQN].
    #[arg(short = 'd', long = "device", value_name = "DEV")]
    pub device: Option<String>,
    /// register, deregister (a prefix will do), or update.
    #[arg(short = 't', long = "task", value_name = "TASK")]
    pub task: Option<String>,
    /// tcp:// only: this host's NQN (default /etc/nvme/hostnqn).
    #[arg(short = 'q', long)]
    pub hostnqn: Option<String>,
}

/// One controller's result in `dim -o json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct DimJson {
    /// The controller as given (a device, or the NQN it was found by).
    device: String,
    /// The task: register, deregister or update.
    task: String,
    /// The NVMe status.
    status: String,
    /// Completion dword 0 (and dword 1 in the high half).
    result: u64,
}

/// `--task`: nvme-cli's prefixes of register and deregister, and update.
fn task(t: &str) -> Result<DimTask> {
    if t.is_empty() {
        Err(usage(
            "dim: --task is empty (register, deregister or update)",
        ))
    } else if "register".starts_with(t) {
        Ok(DimTask::REGISTER)
    } else if "deregister".starts_with(t) {
        Ok(DimTask::DEREGISTER)
    } else if t == "update" {
        Ok(DimTask::UPDATE)
    } else {
        Err(usage(format!(
            "Invalid --task: {t} (register, deregister or update)"
        )))
    }
}

/// A host's facts for its DIM entry.
struct Host {
    nqn: String,
    id: [u8; 16],
    adrfam: AdrFam,
}

fn adrfam_of(host: &str) -> AdrFam {
    if host.contains(':') {
        AdrFam::IPV6
    } else {
        AdrFam::IPV4
    }
}

fn read_trim(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

/// ENAME (the host name) and EVER (`ostype osrelease`), as libnvme fills them.
fn entity() -> (String, String) {
    let k = |f: &str| read_trim(&Path::new("/proc/sys/kernel").join(f)).unwrap_or_default();
    (
        k("hostname"),
        format!("{} {}", k("ostype"), k("osrelease")).trim().into(),
    )
}

/// The DIM data for `host`.
fn data(host: &Host) -> Result<Vec<u8>> {
    let (ename, ever) = entity();
    let r = DimRequest {
        hostnqn: &host.nqn,
        hostid: host.id,
        symname: "",
        ename: &ename,
        ever: &ever,
        trtype: TrType::TCP,
        adrfam: host.adrfam,
    };
    let mut b = vec![0u8; r.len()];
    r.write(&mut b)
        .map_err(|e| CliError::Device(format!("DIM data: {e}")))?;
    Ok(b)
}

/// Refuses a controller that is not a DDC or CDC, as nvme-cli does.
fn check_dc(name: &str, t: &str, id: &[u8]) -> Result<()> {
    let id = IdentifyController::ref_from_bytes(id)
        .map_err(|_| CliError::Device(format!("{name}: Identify Controller is not 4096 bytes")))?;
    let dctype = match id.dctype {
        0 => "0h (not reported)",
        1 => "1h (DDC)",
        2 => "2h (CDC)",
        _ => "reserved",
    };
    if matches!(id.dctype, 1 | 2) {
        return Ok(());
    }
    Err(CliError::Device(format!(
        "{name} DIM {t}: Operation not supported: DIM goes to a Direct or Centralized \
         Discovery Controller, and Identify Controller reports CNTRLTYPE {:#x} and DCTYPE {dctype}; \
         nothing was sent",
        id.cntrltype
    )))
}

/// Register/deregister through nvmeq's own NVMe/TCP connection.
fn over_tcp(name: &str, a: &DimArgs, tas: DimTask, t: &str) -> Result<Completion> {
    let Locator::Tcp(p) = Locator::parse(name).map_err(|e| CliError::Device(e.to_string()))? else {
        return Err(usage(format!("{name}: not a tcp:// locator")));
    };
    let mut o = nvmeq::tcp_options(&p);
    if o.subnqn.is_empty() {
        o.subnqn = DISCOVERY_NQN.into();
    }
    if let Some(h) = &a.hostnqn {
        o.hostnqn = Some(h.clone());
    }
    o.kato = std::time::Duration::ZERO;
    let dev_err = |e: nvmeq::tcp::OpenError| CliError::Device(format!("{name}: {e}"));
    let mut adm = nvmeq::tcp::connect::admin(&o).map_err(dev_err)?;
    let mut id = vec![0u8; 4096];
    nvmeq::tcp::connect::run(
        &mut adm.queue,
        &Identify::controller().build(),
        Some(&mut id),
    )
    .map_err(|e| CliError::from_core("Identify Controller", e))?;
    let r = check_dc(name, t, &id).and_then(|()| {
        let d = data(&Host {
            nqn: o.resolved_hostnqn(),
            id: o.resolved_hostid(),
            adrfam: adrfam_of(&o.host),
        })?;
        let cmd = Dim::new(tas, d.len() as u32).build();
        let mut b = nvmeq::tcp::TcpBuf::new(d.len());
        b.as_mut_slice().copy_from_slice(&d);
        adm.queue
            .run(&cmd, DataDir::ToDevice, d.len() as u32, Some(b))
            .0
            .map_err(|e| CliError::from_core(&format!("{name} DIM {t}"), e))
    });
    adm.queue.close();
    r
}

/// Register/deregister through a kernel fabrics controller (`nvmeX`).
fn over_kernel(ctx: &Ctx, name: &str, tas: DimTask, t: &str) -> Result<Completion> {
    let ctrl = name.strip_prefix("/dev/").unwrap_or(name);
    let sys = Path::new("/sys/class/nvme").join(ctrl);
    if !sys.exists() {
        return Err(CliError::Device(format!(
            "Did not find device {ctrl}: No such file or directory (dim takes nvmeX, \
             /dev/nvmeX or tcp://HOST[:PORT][/NQN])"
        )));
    }
    let attr = |a: &str| read_trim(&sys.join(a)).unwrap_or_default();
    if attr("transport") != "tcp" {
        return Err(CliError::Device(format!(
            "{name}: DIM only supported for TCP connections (transport {})",
            attr("transport")
        )));
    }
    let hostid = nvmeq::tcp::parse_uuid(&attr("hostid")).ok_or_else(|| {
        CliError::Device(format!("{ctrl}: failed to perform DIM. hostid undefined"))
    })?;
    let hostnqn = attr("hostnqn");
    if hostnqn.is_empty() {
        return Err(CliError::Device(format!(
            "{ctrl}: failed to perform DIM. hostnqn undefined"
        )));
    }
    let traddr = attr("address");
    let traddr = traddr
        .split(',')
        .find_map(|kv| kv.strip_prefix("traddr="))
        .unwrap_or("");
    let mut dev = ctx.open(&DevArg {
        device: format!("/dev/{ctrl}"),
    })?;
    let mut id = vec![0u8; 4096];
    dev.exec(
        "Identify Controller",
        &Identify::controller().build(),
        Data::FromDevice(&mut id),
    )?;
    check_dc(name, t, &id)?;
    let d = data(&Host {
        nqn: hostnqn,
        id: hostid,
        adrfam: adrfam_of(traddr),
    })?;
    dev.exec(
        &format!("{name} DIM {t}"),
        &Dim::new(tas, d.len() as u32).build(),
        Data::ToDevice(&d),
    )
}

/// The kernel's fabrics controllers of subsystem `nqn`.
fn kernel_controllers_of(nqn: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir("/sys/class/nvme")
        .map(|rd| {
            rd.filter_map(|e| {
                let e = e.ok()?;
                let p = e.path();
                (read_trim(&p.join("subsysnqn"))? == nqn
                    && read_trim(&p.join("transport"))? != "pcie")
                    .then(|| e.file_name().to_string_lossy().into_owned())
            })
            .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs `nvmeq dim`.
pub fn run(ctx: &Ctx, a: &DimArgs) -> Result<()> {
    if a.nqn.is_none() && a.device.is_none() {
        return Err(usage(
            "Neither device name [--device | -d] nor NQN [--nqn | -n] provided",
        ));
    }
    let Some(t) = a.task.as_deref() else {
        return Err(usage("Task [--task | -t] must be specified"));
    };
    let tas = task(t)?;
    let t = tas.name().unwrap_or("reserved");
    // (label printed, controller to use)
    let mut targets: Vec<(String, String)> = Vec::new();
    for n in a
        .nqn
        .iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.is_empty())
    {
        let found = kernel_controllers_of(n);
        if found.is_empty() {
            return Err(CliError::Device(format!(
                "{n}: no kernel controller of this subsystem (connect one, or give \
                 --device tcp://HOST[:PORT]/{n})"
            )));
        }
        targets.extend(found.into_iter().map(|c| (n.to_string(), c)));
    }
    for d in a
        .device
        .iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.is_empty())
    {
        targets.push((d.to_string(), d.to_string()));
    }
    let mut done = Vec::new();
    let mut first_err = None;
    for (label, ctrl) in &targets {
        let r = if ctrl.starts_with("tcp://") {
            if ctx.backend.is_some() {
                Err(usage(
                    "dim: --backend does not apply to a tcp:// controller",
                ))
            } else {
                over_tcp(ctrl, a, tas, t)
            }
        } else {
            over_kernel(ctx, ctrl, tas, t)
        };
        match r {
            Ok(c) => {
                if ctx.fmt == Format::Normal {
                    println!("{label} DIM {t} command success");
                }
                done.push(DimJson {
                    device: label.clone(),
                    task: t.into(),
                    status: "Successful Completion".into(),
                    result: c.result(),
                });
            }
            Err(e) => {
                if first_err.is_some() {
                    eprintln!("nvmeq: {e}");
                } else {
                    first_err = Some(e);
                }
            }
        }
    }
    if ctx.fmt == Format::Json && !done.is_empty() {
        output::json(&done)?;
    }
    first_err.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_as_nvme_cli_names_them() {
        assert_eq!(task("register").unwrap(), DimTask::REGISTER);
        assert_eq!(task("reg").unwrap(), DimTask::REGISTER);
        assert_eq!(task("de").unwrap(), DimTask::DEREGISTER);
        assert_eq!(task("update").unwrap(), DimTask::UPDATE);
        assert!(task("").is_err());
        assert!(task("registered").is_err());
        let e = task("x").unwrap_err().to_string();
        assert!(e.contains("Invalid --task: x"), "{e}");
    }

    #[test]
    fn refuses_a_controller_without_dctype() {
        let mut id = vec![0u8; 4096];
        id[111] = 2; // CNTRLTYPE: discovery
        let e = check_dc("tcp://h", "register", &id)
            .unwrap_err()
            .to_string();
        assert!(e.contains("DCTYPE 0h (not reported)"), "{e}");
        assert!(e.contains("CNTRLTYPE 0x2"), "{e}");
        id[1806] = 1;
        check_dc("tcp://h", "register", &id).unwrap();
    }

    #[test]
    fn data_is_one_extended_entry() {
        let d = data(&Host {
            nqn: "nqn.2014-08.org.nvmexpress:uuid:x".into(),
            id: [1; 16],
            adrfam: adrfam_of("::1"),
        })
        .unwrap();
        assert_eq!(d.len(), 2076);
        assert_eq!(d[1024 + 1], AdrFam::IPV6.0);
        assert_eq!(d[1024], TrType::TCP.0);
    }

    #[test]
    fn json_matches_its_schema() {
        let v = serde_json::to_value(vec![DimJson {
            device: "tcp://127.0.0.1:4420".into(),
            task: "register".into(),
            status: "Successful Completion".into(),
            result: 0,
        }])
        .unwrap();
        let e = crate::schema::errors("dim", &v);
        assert!(e.is_empty(), "{e:?}");
    }
}
