//! `cargo xtask bench`.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`xtask bench` is not built yet".into())
}
