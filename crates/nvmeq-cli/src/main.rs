//! The `nvmeq` command-line tool (under construction).
fn main() {}
