//! `cargo xtask demo`: nvmeq end to end.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("the demo needs the ram backend, which is not built yet".into())
}
