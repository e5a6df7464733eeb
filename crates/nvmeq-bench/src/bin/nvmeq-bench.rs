//! `nvmeq-bench DEVICE [options]`: the benchmark engine on its own, with the
//! same options as `nvmeq bench` (see `nvmeq-bench --help`).

use clap::Parser;
use nvmeq_bench::cli::BenchArgs;

/// fio-style I/O through an nvmeq backend: IOPS, latency, CPU and syscalls per I/O.
#[derive(Debug, Parser)]
#[command(name = "nvmeq-bench", version, max_term_width = 100)]
struct Cli {
    #[command(flatten)]
    args: BenchArgs,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = cli.args.run(false) {
        eprintln!("nvmeq-bench: {e}");
        std::process::exit(1);
    }
}
