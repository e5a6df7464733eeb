//! Helpers for running the built `nvmeq` binary.
#![allow(dead_code)]

pub mod compare;
pub mod schema;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `nvmeq ARGS`.
pub fn nvmeq(args: &[&str]) -> Output {
    nvmeq_env(args, &[])
}

/// Runs `nvmeq ARGS` with extra environment variables.
pub fn nvmeq_env(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nvmeq"));
    c.args(args).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("running nvmeq")
}

/// Runs `nvmeq ARGS` with `input` on stdin.
pub fn nvmeq_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_nvmeq"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running nvmeq");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        // The command may exit before reading everything (e.g. a refused write).
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("waiting for nvmeq");
    feeder.join().unwrap();
    out
}

/// Runs `nvmeq ARGS` and asserts it succeeded (stderr in the message).
pub fn ok(args: &[&str]) -> Output {
    let out = nvmeq(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    out
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// stdout parsed as JSON; panics with both streams on failure.
pub fn json(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "nvmeq failed: {}\n{}",
        stderr(o),
        stdout(o)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

/// Asserts the exit code and that stderr contains `needle`.
pub fn fails_with(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    assert!(
        stderr(o).contains(needle),
        "expected {needle:?} in stderr: {}",
        stderr(o)
    );
}

/// Runs `args` once with each output format in `formats`: each run fails
/// with exit 1, names `op` and Invalid Log Page on stderr, and prints
/// nothing on stdout.
#[allow(dead_code)]
pub fn refuses_log_page(args: &[&str], op: &str, formats: &[&str]) {
    for fmt in formats {
        let mut a = args.to_vec();
        a.extend(["-o", fmt]);
        let out = nvmeq(&a);
        fails_with(
            &out,
            1,
            &format!("{op}: Invalid Log Page (sct 0x1, sc 0x09)"),
        );
        assert!(out.stdout.is_empty(), "{a:?}: {}", stdout(&out));
    }
}

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "nvmeq-cli-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
