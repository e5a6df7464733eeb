//! `cargo xtask hwtest`.

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`xtask hwtest` is not built yet".into())
}
