//! `cargo xtask vm`.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`xtask vm` is not built yet".into())
}
