//! `nvmeq bench DEVICE`: fio-style I/O through any backend, run by the
//! benchmark engine in `nvmeq-bench` (IOPS, MB/s, latency percentiles, CPU
//! and syscalls per I/O). Options and behaviour are the engine's
//! [`BenchArgs`]; this module applies the global options and maps errors
//! onto the CLI's exit codes.

use nvmeq_bench::BenchError;

pub use nvmeq_bench::cli::BenchArgs;

use super::Ctx;
use crate::error::{CliError, Result};
use crate::output::Format;
use nvmeq::{BackendKind, Locator};

/// Runs the benchmark; `-o json` prints the report as JSON like `--json`.
pub fn run(ctx: &Ctx, a: &BenchArgs) -> Result<()> {
    let mut a = a.clone();
    a.device = device_for(ctx.backend, &a.device)?;
    a.run(ctx.fmt == Format::Json)
        .map(|_| ())
        .map_err(|e| match e {
            BenchError::Config(_) | BenchError::WritesNotAllowed { .. } => {
                CliError::Usage(e.to_string())
            }
            // Device and I/O failures keep the engine's message: job, LBA and
            // the NVMe status by name.
            e => CliError::Device(e.to_string()),
        })
}

/// `--backend` re-prefixes the device string (`--backend ioctl /dev/ng0n1`
/// → `ioctl:/dev/ng0n1`).
fn device_for(backend: Option<BackendKind>, device: &str) -> Result<String> {
    let Some(b) = backend else {
        return Ok(device.to_string());
    };
    Locator::parse_as(b, device)
        .map(|l| l.to_string())
        .map_err(|e| CliError::Device(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        a: BenchArgs,
    }

    fn args(v: &[&str]) -> BenchArgs {
        T::try_parse_from(std::iter::once("bench").chain(v.iter().copied()))
            .unwrap()
            .a
    }

    fn ctx() -> Ctx {
        Ctx {
            fmt: Format::Normal,
            backend: None,
        }
    }

    #[test]
    fn runs_on_ram() {
        run(&ctx(), &args(&["ram:16M", "--qd", "4", "--ios", "100"])).unwrap();
    }

    #[test]
    fn writes_are_usage_errors_without_flag_and_namespace() {
        let e = run(
            &ctx(),
            &args(&["ram:16M", "--pattern", "randwrite", "--ios", "10"]),
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        let a = args(&[
            "ram:16M",
            "--pattern",
            "randwrite",
            "--ios",
            "10",
            "--allow-destructive",
        ]);
        let e = run(&ctx(), &a).unwrap_err();
        assert!(e.to_string().contains("--namespace-id"), "{e}");
        let a = args(&[
            "ram:16M",
            "--pattern",
            "randwrite",
            "--ios",
            "10",
            "--allow-destructive",
            "-n",
            "1",
        ]);
        run(&ctx(), &a).unwrap();
    }

    #[test]
    fn backend_option_reprefixes() {
        assert_eq!(
            device_for(Some(BackendKind::Ioctl), "uring:/dev/ng0n1").unwrap(),
            "ioctl:/dev/ng0n1"
        );
        assert_eq!(
            device_for(Some(BackendKind::Uring), "/dev/ng0n1").unwrap(),
            "uring:/dev/ng0n1"
        );
        assert_eq!(device_for(None, "ram:1G").unwrap(), "ram:1G");
        let e = device_for(Some(BackendKind::Vfio), "/dev/ng0n1").unwrap_err();
        assert!(e.to_string().contains("bad PCI address"), "{e}");
    }

    #[test]
    fn device_failures_exit_1() {
        let e = run(&ctx(), &args(&["ioctl:/nonexistent/ng9n9", "--ios", "1"])).unwrap_err();
        assert_eq!(e.exit_code(), 1, "{e}");
        assert!(e.to_string().contains("/nonexistent/ng9n9"), "{e}");
    }
}
