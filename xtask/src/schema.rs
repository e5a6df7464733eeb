//! `cargo xtask schema`: writes docs/schema, the JSON Schema of every
//! command's `-o json`, from the CLI's serde types (`nvmeq-cli`'s `schema`
//! module). The generator is that module's test: with `NVMEQ_SCHEMA_WRITE`
//! it writes the files, without it it fails when they differ, which is how
//! `cargo xtask ci` (its `cargo test --workspace`) checks them.

use crate::util::{self, cargo};

const USAGE: &str = "usage: cargo xtask schema [--check]

  --check   only compare docs/schema with the generated schema (fails if they differ)";

pub fn run(args: &[String]) -> Result<(), String> {
    let mut check = false;
    for a in args {
        match a.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unexpected argument `{other}`\n{USAGE}")),
        }
    }
    let mut c = cargo();
    c.args([
        "test",
        "-p",
        "nvmeq-cli",
        "--bin",
        "nvmeq",
        "--",
        "--exact",
        "schema::tests::committed_schema_is_generated",
    ]);
    if !check {
        c.env("NVMEQ_SCHEMA_WRITE", "1");
    }
    util::run(c)?;
    if !check {
        eprintln!(
            "xtask schema: wrote {}",
            util::root().join("docs/schema").display()
        );
    }
    Ok(())
}
