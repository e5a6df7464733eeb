//! Number parsing for command-line options: decimal or `0x` hex, optional
//! binary size suffixes where nvme-cli takes them, and comma-separated lists.
//!
//! Every parser returns a message that names the problem, so clap can print
//! `invalid value '0xzz' for '--cdw10 <CDW10>': '0xzz' is not a number: ...`
//! and exit with status 2. Unlike nvme-cli (strtoul with base 0), a leading
//! zero does not switch to octal: `010` is ten.

/// Parses an unsigned integer: decimal, or hexadecimal with a `0x`/`0X` prefix.
pub fn parse_u64(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty value: expected a decimal or 0x-hex number".into());
    }
    let (digits, radix, what) = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => (h, 16, "hex"),
        None => (t, 10, "decimal"),
    };
    if digits.is_empty() {
        return Err(format!("'{s}' has no digits after 0x"));
    }
    if t.starts_with('-') {
        return Err(format!("'{s}' is negative: expected an unsigned number"));
    }
    if let Some(bad) = digits.chars().find(|c| !c.is_digit(radix)) {
        return Err(format!(
            "'{s}' is not a number: '{bad}' is not a {what} digit (use decimal like 4096 or hex like 0x1000)"
        ));
    }
    u64::from_str_radix(digits, radix).map_err(|_| {
        format!(
            "'{s}' is out of range: the largest value is {} (0x{:x})",
            u64::MAX,
            u64::MAX
        )
    })
}

fn ranged(s: &str, bits: u32) -> Result<u64, String> {
    let v = parse_u64(s)?;
    let max = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    if v > max {
        return Err(format!(
            "'{s}' is out of range for a {bits}-bit field (0..={max}, 0x0..=0x{max:x})"
        ));
    }
    Ok(v)
}

/// An 8-bit value.
pub fn u8(s: &str) -> Result<u8, String> {
    ranged(s, 8).map(|v| v as u8)
}

/// A 4-bit value (a Directive Type, PRINFO).
pub fn nibble(s: &str) -> Result<u8, String> {
    ranged(s, 4).map(|v| v as u8)
}

/// A 16-bit value.
pub fn u16(s: &str) -> Result<u16, String> {
    ranged(s, 16).map(|v| v as u16)
}

/// A 32-bit value (command dwords).
pub fn u32(s: &str) -> Result<u32, String> {
    ranged(s, 32).map(|v| v as u32)
}

/// A UUID Index (UIDX): 7 bits, 0 for none.
pub fn uidx(s: &str) -> Result<u8, String> {
    ranged(s, 7).map(|v| v as u8)
}

/// A namespace identifier: a 32-bit number, or `all` for 0xffffffff.
pub fn nsid(s: &str) -> Result<u32, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(u32::MAX);
    }
    u32(s)
}

/// A number with an optional binary suffix (`K`, `M`, `G`, `T`, `P`, `E`,
/// optionally followed by `i`/`iB`/`B`), as nvme-cli's suffixed options take:
/// `4k` is 4096. Hex takes no suffix (`0x1b` is 27, not 1 "b").
pub fn suffixed(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.starts_with("0x") || t.starts_with("0X") {
        return parse_u64(t);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, suffix) = t.split_at(split);
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" => 0,
        "k" | "ki" | "kib" | "kb" => 10,
        "m" | "mi" | "mib" | "mb" => 20,
        "g" | "gi" | "gib" | "gb" => 30,
        "t" | "ti" | "tib" | "tb" => 40,
        "p" | "pi" | "pib" | "pb" => 50,
        "e" | "ei" | "eib" | "eb" => 60,
        _ => {
            return Err(format!(
                "'{s}' is not a number: unknown suffix '{suffix}' (use K, M, G, T, P or E)"
            ))
        }
    };
    if digits.is_empty() {
        return Err(format!(
            "'{s}' is not a number: no digits before the suffix"
        ));
    }
    let v = parse_u64(digits)?;
    v.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("'{s}' is out of range: it does not fit in 64 bits"))
}

/// A parsed comma-separated list. A newtype, because clap's derive reads an
/// `Option<Vec<T>>` field as a repeated option rather than one list value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List<T>(pub Vec<T>);

/// A comma-separated list of 64-bit numbers (`0,8,0x100`).
pub fn list_u64(s: &str) -> Result<List<u64>, String> {
    parse_list(s).map(List)
}

fn parse_list(s: &str) -> Result<Vec<u64>, String> {
    if s.trim().is_empty() {
        return Err("empty list: expected comma-separated numbers like 0,8,16".into());
    }
    s.split(',')
        .map(|p| parse_u64(p).map_err(|e| format!("in list '{s}': {e}")))
        .collect()
}

/// A comma-separated list of 32-bit numbers.
pub fn list_u32(s: &str) -> Result<List<u32>, String> {
    parse_list(s)?
        .into_iter()
        .map(|v| {
            u32::try_from(v)
                .map_err(|_| format!("in list '{s}': {v} is out of range for a 32-bit field"))
        })
        .collect::<Result<_, _>>()
        .map(List)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_and_hex() {
        assert_eq!(parse_u64("4096"), Ok(4096));
        assert_eq!(parse_u64("0x1000"), Ok(4096));
        assert_eq!(parse_u64("0X1b36"), Ok(0x1b36));
        assert_eq!(parse_u64("010"), Ok(10));
        assert_eq!(parse_u64(" 7 "), Ok(7));
    }

    #[test]
    fn malformed_numbers_name_the_problem() {
        let e = parse_u64("0xzz").unwrap_err();
        assert!(e.contains("'z' is not a hex digit"), "{e}");
        let e = parse_u64("12a").unwrap_err();
        assert!(e.contains("'a' is not a decimal digit"), "{e}");
        assert!(parse_u64("0x").unwrap_err().contains("no digits"));
        assert!(parse_u64("").unwrap_err().contains("empty"));
        assert!(parse_u64("-1").unwrap_err().contains("negative"));
        assert!(parse_u64("0x1_0000_0000_0000_0000").is_err());
        assert!(parse_u64("18446744073709551616")
            .unwrap_err()
            .contains("out of range"));
    }

    #[test]
    fn ranges() {
        assert_eq!(u8("255"), Ok(255));
        assert!(u8("256").unwrap_err().contains("8-bit"));
        assert_eq!(u16("0xffff"), Ok(0xffff));
        assert!(u16("0x10000").unwrap_err().contains("16-bit"));
        assert_eq!(u32("0xffffffff"), Ok(u32::MAX));
        assert!(u32("0x100000000").unwrap_err().contains("32-bit"));
        assert_eq!(nsid("all"), Ok(u32::MAX));
        assert_eq!(nsid("1"), Ok(1));
    }

    #[test]
    fn suffixes() {
        assert_eq!(suffixed("4k"), Ok(4096));
        assert_eq!(suffixed("4K"), Ok(4096));
        assert_eq!(suffixed("1MiB"), Ok(1 << 20));
        assert_eq!(suffixed("2G"), Ok(2 << 30));
        assert_eq!(suffixed("0x10"), Ok(16));
        assert_eq!(suffixed("512"), Ok(512));
        assert!(suffixed("4q").unwrap_err().contains("unknown suffix"));
        assert!(suffixed("k").unwrap_err().contains("no digits"));
        assert!(suffixed("16E").unwrap_err().contains("does not fit"));
    }

    #[test]
    fn lists() {
        assert_eq!(list_u64("0,8,0x10"), Ok(List(vec![0, 8, 16])));
        assert!(list_u64("0,,8").is_err());
        assert!(list_u32("0,0x100000000").unwrap_err().contains("32-bit"));
    }
}
