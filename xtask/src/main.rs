//! `cargo xtask`: the project's automation, one module per command.
//!
//! Light on dependencies on purpose: std only, so it builds in seconds.

mod bench;
mod ci;
mod demo;
mod fuzz;
mod hwtest;
mod schema;
mod soak;
mod util;
mod vm;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  ci        every check CI runs (fmt, clippy, tests, docs, no_std build, benches build)
  demo      show nvmeq working end to end
  fuzz      coverage-guided fuzzing of the decoders, parsers and ram controller (libFuzzer)
  vm        the QEMU guest with emulated NVMe controllers (prepare | run | exec | test | shell)
  hwtest    the conformance suite on a real NVMe host
  schema    write docs/schema, the JSON Schema of `-o json` (`--check`: compare only)
  soak      random verified I/O on every backend in one guest boot (`--minutes N`)
  bench     benchmarks (criterion on the host; `bench vm`: nvmeq against fio in one guest)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match cmd.as_str() {
        "ci" => ci::run(rest),
        "demo" => demo::run(rest),
        "fuzz" => fuzz::run(rest),
        "vm" => vm::run(rest),
        "hwtest" => hwtest::run(rest),
        "schema" => schema::run(rest),
        "soak" => soak::run(rest),
        "bench" => bench::run(rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("xtask: unknown command `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {cmd}: {e}");
            ExitCode::FAILURE
        }
    }
}
