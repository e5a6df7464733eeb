//! `cargo xtask demo`: nvmeq end to end, on the in-memory controller.
//!
//! Runs the `nvmeq` crate's `demo` example: it identifies the controller,
//! writes a pattern, reads it back through both the synchronous and the queue
//! interfaces, and shows how an out-of-range read's NVMe status reads.

use crate::util;

const USAGE: &str = "\
usage: cargo xtask demo [DEVICE]

  DEVICE  a ram device string (default ram:1G), e.g. ram:512M,lba=4096
";

pub fn run(args: &[String]) -> Result<(), String> {
    let device = match args {
        [] => "ram:1G",
        [h] if h == "-h" || h == "--help" => {
            print!("{USAGE}");
            return Ok(());
        }
        [d] if d.starts_with("ram") => d.as_str(),
        [d] => {
            return Err(format!(
                "`{d}`: the demo writes to the device, so it only runs on ram devices (ram:SIZE)"
            ))
        }
        _ => return Err(format!("too many arguments\n\n{USAGE}")),
    };
    let mut cmd = util::cargo();
    cmd.args(["run", "--quiet", "-p", "nvmeq", "--example", "demo", "--"])
        .arg(device);
    util::run(cmd)
}
