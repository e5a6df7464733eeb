//! Command-line options (clap) of `nvmeq bench` (`cli` feature), kept with
//! the engine so the CLI's module only registers them.

use std::io::Write;
use std::time::Duration;

use clap::Args;

use crate::front::{run_device, Request};
use crate::{BenchError, Config, Limit, Pattern, Region, Report};

/// `bench DEVICE [options]`: fio-style I/O through an nvmeq backend.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The device: uring:/dev/ngXnY, ioctl:/dev/ngXnY or /dev/nvmeXnY, a bare
    /// /dev/ngXnY (io_uring when compiled in), or ram:SIZE.
    #[arg(value_name = "DEVICE")]
    pub device: String,
    /// randread, randwrite, read, write, mixed:READ_PCT (mixed alone: 50 % reads).
    #[arg(long, default_value = "randread")]
    pub pattern: String,
    /// Bytes per command (suffixes k, m: 4k), a multiple of the LBA size.
    #[arg(long, default_value = "4k", value_parser = parse_size)]
    pub bs: u32,
    /// Commands in flight per job.
    #[arg(long, default_value_t = 1)]
    pub qd: u32,
    /// Commands per submission, and completions waited for when the queue is full.
    #[arg(long, default_value_t = 1)]
    pub batch: u32,
    /// Completions to wait for when the queue is full (default: the batch;
    /// t/io_uring's -c). `--batch QD --complete 1` is libvfn perf's loop.
    #[arg(long)]
    pub complete: Option<u32>,
    /// Poll the completion queue instead of waiting in the backend (no
    /// syscall at all with `--backend-opts sqpoll`; spins a CPU).
    #[arg(long)]
    pub spin: bool,
    /// Which I/Os to time: `off`, `sampled[:N]` (1 in N, default 64), `all`.
    #[arg(long, default_value = "all")]
    pub lat: String,
    /// Seconds to run (default 5 unless --ios is given).
    #[arg(long, conflicts_with = "ios")]
    pub runtime: Option<f64>,
    /// Commands per job, instead of a runtime.
    #[arg(long)]
    pub ios: Option<u64>,
    /// Threads, each with a queue of its own on the one device: its own
    /// ring (uring) or file descriptor (ioctl), I/O queue pair (vfio) or
    /// connection (tcp), its own queue over the in-memory controller (ram).
    #[arg(long, default_value_t = 1)]
    pub jobs: u32,
    /// The loop: `sync` (the queue interface, one thread per job) or
    /// `async` (AsyncDevice futures, QD tokio tasks on one thread).
    #[arg(long, default_value = "sync")]
    pub engine: String,
    /// Backend options, comma-separated: fixedbufs, poll, sqpoll[=IDLE_MS], regfiles, regring, and
    /// defer (the default), coop or signal for how completion work runs (uring);
    /// irq or poll (vfio: MSI-X interrupts, or polling, the default).
    #[arg(long, default_value = "")]
    pub backend_opts: String,
    /// First LBA of the region (default 0).
    #[arg(long, default_value_t = 0)]
    pub start_lba: u64,
    /// Blocks in the region (default: to the end of the namespace).
    #[arg(long)]
    pub blocks: Option<u64>,
    /// Seed of the offset generator.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Allow write patterns (they destroy the data in the region).
    #[arg(long)]
    pub allow_destructive: bool,
    /// The namespace to write to; required with --allow-destructive for writes.
    #[arg(short = 'n', long = "namespace-id")]
    pub namespace_id: Option<u32>,
    /// No progress bar even on a terminal.
    #[arg(long)]
    pub no_progress: bool,
    /// Write contents derived from each LBA and the seed, and check every
    /// read of a block this run wrote; on a protected namespace the host
    /// generates the PI and both the controller (PRCHK) and the host check it.
    /// The first difference stops the run, naming the block.
    #[arg(long)]
    pub verify: bool,
}

/// `4096`, `4k`, `1m`.
fn parse_size(s: &str) -> Result<u32, String> {
    let (num, mul) = match s.to_ascii_lowercase().as_bytes().last() {
        Some(b'k') => (&s[..s.len() - 1], 1024),
        Some(b'm') => (&s[..s.len() - 1], 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<u32>()
        .ok()
        .and_then(|n| n.checked_mul(mul))
        .ok_or_else(|| format!("`{s}` is not a size in bytes (4096, 4k, 1m)"))
}

impl BenchArgs {
    /// The engine configuration and the request these options describe.
    pub fn to_config(&self) -> Result<(Config, Request), BenchError> {
        let mut cfg = Config::new(self.pattern.parse::<Pattern>()?);
        cfg.bs = self.bs;
        cfg.qd = self.qd;
        cfg.batch = self.batch;
        cfg.complete = self.complete;
        cfg.spin = self.spin;
        cfg.lat = self.lat.parse()?;
        cfg.jobs = self.jobs;
        cfg.engine = self.engine.parse()?;
        cfg.limit = match (self.ios, self.runtime) {
            (Some(n), _) => Limit::Ios(n),
            (None, Some(s)) if s.is_finite() && s > 0.0 => {
                Limit::Runtime(Duration::from_secs_f64(s))
            }
            (None, Some(s)) => {
                return Err(BenchError::Config(format!(
                    "--runtime {s}: not a positive number of seconds"
                )))
            }
            (None, None) => Limit::Runtime(Duration::from_secs(5)),
        };
        if let Some(blocks) = self.blocks {
            cfg.region = Some(Region {
                start_lba: self.start_lba,
                blocks,
            });
        } else if self.start_lba != 0 {
            return Err(BenchError::Config("--start-lba needs --blocks".into()));
        }
        if let Some(s) = self.seed {
            cfg.seed = s;
        }
        cfg.allow_destructive = self.allow_destructive;
        cfg.verify = self.verify;
        let req = Request {
            device: self.device.clone(),
            opts: self.backend_opts.parse()?,
            nsid: self.namespace_id,
            bar: !self.no_progress && !self.json,
        };
        Ok((cfg, req))
    }

    /// Runs the benchmark and prints its report (text, or JSON with `json`).
    pub fn run(&self, json: bool) -> Result<Report, BenchError> {
        let (cfg, req) = self.to_config()?;
        let report = run_device(&req, &cfg)?;
        let text = if json || self.json {
            serde_json::to_string_pretty(&report)
                .map_err(|e| BenchError::Config(format!("cannot print JSON: {e}")))?
        } else {
            report.to_string()
        };
        // A closed pipe (`| head`) is not worth a panic.
        let _ = writeln!(std::io::stdout(), "{text}");
        Ok(report)
    }
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

    fn parse(args: &[&str]) -> Result<(Config, Request), String> {
        let t = T::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        t.a.to_config().map_err(|e| e.to_string())
    }

    #[test]
    fn options_become_a_config() {
        let (c, r) = parse(&[
            "uring:/dev/ng0n1",
            "--qd",
            "32",
            "--batch",
            "8",
            "--bs",
            "8k",
            "--ios",
            "1000",
            "--backend-opts",
            "fixedbufs,poll",
            "--json",
        ])
        .unwrap();
        assert_eq!(
            (c.qd, c.batch, c.bs, c.limit),
            (32, 8, 8192, Limit::Ios(1000))
        );
        assert!(r.opts.fixedbufs && r.opts.poll && !r.bar);
        let (c, _) = parse(&["ram:1G", "--runtime", "0.5", "--pattern", "mixed:70"]).unwrap();
        assert_eq!(c.limit, Limit::Runtime(Duration::from_millis(500)));
        assert_eq!(c.pattern, Pattern::Mixed { read_pct: 70 });
        assert_eq!(c.lat, crate::LatMode::All, "every I/O is timed by default");
        let (c, _) = parse(&["ram:1G", "--lat", "sampled:8"]).unwrap();
        assert_eq!(c.lat, crate::LatMode::Sampled(8));
        assert!(parse(&["ram:1G", "--lat", "never"])
            .unwrap_err()
            .contains("never"));
    }

    #[test]
    fn bad_options_are_named() {
        assert!(parse(&["x", "--bs", "4q"]).unwrap_err().contains("4q"));
        assert!(parse(&["x", "--pattern", "sideways"])
            .unwrap_err()
            .contains("sideways"));
        assert!(parse(&["x", "--runtime", "1", "--ios", "5"]).is_err());
        assert!(parse(&["x", "--runtime", "-1"]).unwrap_err().contains("-1"));
        assert!(parse(&["x", "--start-lba", "8"])
            .unwrap_err()
            .contains("--blocks"));
        assert!(parse(&["x", "--backend-opts", "warp"])
            .unwrap_err()
            .contains("warp"));
    }

    #[test]
    fn runs_on_ram() {
        let t = T::try_parse_from(["t", "ram:16M", "--qd", "4", "--ios", "200", "--no-progress"])
            .unwrap();
        let r = t.a.run(false).unwrap();
        assert_eq!(r.ios, 200);
    }
}
