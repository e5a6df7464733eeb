//! `gen-hostnqn` and `show-hostnqn`: the host's NQN as nvme-cli 2.13 makes
//! and finds it ([`nvmeq_linux::host`]). Both print one line whatever the
//! output format, as nvme-cli does.
//!
//! Tests point `NVMEQ_SYSFS_ROOT` at a fake tree (its `etc/nvme`, `sys` and
//! `proc`).

use std::path::PathBuf;

use nvmeq_linux::host::HostConfig;

use crate::error::{CliError, Result};
use crate::output;

fn config() -> HostConfig {
    let root = std::env::var_os("NVMEQ_SYSFS_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"));
    HostConfig::from_env(root)
}

/// Runs `gen-hostnqn`: a UUID NQN from the system's UUID, else a random one.
pub fn gen_hostnqn() -> Result<()> {
    let nqn = config()
        .generate_hostnqn()
        .map_err(|e| CliError::io("gen-hostnqn: reading /dev/urandom", e))?;
    output::text(&format!("{nqn}\n"))
}

/// Runs `show-hostnqn`: `/etc/nvme/hostnqn` (or `LIBNVME_HOSTNQN`), else a
/// generated one, as nvme-cli.
pub fn show_hostnqn() -> Result<()> {
    let c = config();
    let nqn = match c.hostnqn_from_file() {
        Some(n) => n,
        None => c
            .generate_hostnqn()
            .map_err(|e| CliError::io("show-hostnqn: reading /dev/urandom", e))?,
    };
    output::text(&format!("{nqn}\n"))
}
