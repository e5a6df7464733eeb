//! The text a user types: device strings, sizes, PCI addresses and the CLI's
//! numbers and lists. Nothing may panic; what parses must print back to text
//! that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nvmeq::locator::parse_size;
use nvmeq::Locator;
use nvmeq_core::Bdf;

/// The CLI's number parsers (a binary crate, so included by path).
#[path = "../../crates/nvmeq-cli/src/num.rs"]
#[allow(dead_code)]
mod num;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(l) = Locator::parse(s) {
        let shown = l.to_string();
        assert_eq!(Locator::parse(&shown).as_ref(), Ok(&l), "`{s}` → `{shown}`");
    }
    if let Ok(v) = parse_size(s) {
        assert!(v > 0, "`{s}` → {v}: a size is never 0");
    }
    if let Ok(b) = Bdf::parse(s) {
        let shown = b.to_string();
        assert_eq!(Bdf::parse(&shown), Ok(b), "`{s}` → `{shown}`");
    }
    if let Ok(v) = num::parse_u64(s) {
        assert_eq!(num::parse_u64(&v.to_string()), Ok(v));
        assert_eq!(num::parse_u64(&format!("{v:#x}")), Ok(v));
    }
    if let Ok(v) = num::suffixed(s) {
        assert_eq!(num::suffixed(&v.to_string()), Ok(v));
    }
    let _ = (num::u8(s), num::u16(s), num::u32(s), num::nsid(s));
    if let Ok(l) = num::list_u64(s) {
        let shown: Vec<String> = l.0.iter().map(u64::to_string).collect();
        assert_eq!(num::list_u64(&shown.join(",")), Ok(l));
    }
    let _ = num::list_u32(s);
});
