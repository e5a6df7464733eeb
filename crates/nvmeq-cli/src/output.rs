//! The three output formats every command supports: human (laid out like
//! nvme-cli's), JSON (nvme-cli 2.3's field names) and binary (the raw
//! structure bytes, as `nvme … -o binary` / `-b` writes them).

use std::io::Write;

use serde::Serialize;

use crate::error::{CliError, Result};

/// `-o/--output-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Text laid out like nvme-cli's.
    #[default]
    Normal,
    /// JSON with nvme-cli 2.3's field names.
    Json,
    /// The raw data structure, unchanged.
    Binary,
}

/// A failed write to stdout. A reader that went away (`nvmeq read … | head`)
/// ends the program quietly, as SIGPIPE would end nvme-cli.
fn stdout_error(what: &str, e: std::io::Error) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    CliError::io(what, e)
}

/// Writes `bytes` to stdout.
pub fn raw(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|_| out.flush())
        .map_err(|e| stdout_error("writing to stdout", e))
}

/// Writes `value` to stdout as pretty JSON and a newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(|e| stdout_error("writing JSON to stdout", e.into()))?;
    writeln!(out).map_err(|e| stdout_error("writing to stdout", e))
}

/// Writes human text to stdout.
pub fn text(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| stdout_error("writing to stdout", e))
}

/// Emits one result in the selected format: `human` renders text, `json` the
/// JSON value, `bytes` the raw structure.
pub fn emit<T: Serialize>(
    fmt: Format,
    human: impl FnOnce() -> String,
    json_value: impl FnOnce() -> T,
    bytes: &[u8],
) -> Result<()> {
    match fmt {
        Format::Normal => text(&human()),
        Format::Json => json(&json_value()),
        Format::Binary => raw(bytes),
    }
}

/// A string field as nvme-cli prints it: the bytes up to the first NUL, as text
/// (nvme-cli 2.3 keeps trailing spaces in `sn`/`mn`/`fr`).
pub fn ascii(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// A number as C's `%#x` prints it: `0x` prefix, except zero which is `0`.
pub fn cx(v: impl Into<u64>) -> String {
    match v.into() {
        0 => "0".into(),
        v => format!("{v:#x}"),
    }
}

/// Bytes as lowercase hex with no separators (`eui64`, `nguid`).
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A 16-byte UUID in its canonical 8-4-4-4-12 form.
pub fn uuid(b: &[u8; 16]) -> String {
    let h = hex(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// nvme-cli's `d_json(buf, len, 16, 1)`: each 16-byte row as its printable
/// characters (`!`..`~`, others as `.`).
pub fn ascii_rows(b: &[u8]) -> Vec<String> {
    b.chunks(16)
        .map(|c| {
            c.iter()
                .map(|&x| {
                    if (b'!'..=b'~').contains(&x) {
                        x as char
                    } else {
                        '.'
                    }
                })
                .collect()
        })
        .collect()
}

/// A hex dump exactly as nvme-cli's `d(buf, len, 16, 1)` prints it: a header
/// of `%3x` column numbers, then per 16 bytes the offset, the bytes and the
/// printable characters (`!`..`~`, others as `.`); a last, partial line is
/// padded so its characters line up one column further right, as there.
pub fn hexdump(data: &[u8]) -> String {
    let mut s = String::from("     ");
    for i in 0..16 {
        s.push_str(&format!("{i:3x}"));
    }
    let printable = |b: u8| {
        if (b'!'..=b'~').contains(&b) {
            b as char
        } else {
            '.'
        }
    };
    for (i, chunk) in data.chunks(16).enumerate() {
        s.push_str(&format!("\n{:04x}:", i * 16));
        for b in chunk {
            s.push_str(&format!(" {b:02x}"));
        }
        if chunk.len() < 16 {
            s.push(' ');
            s.push_str(&" ".repeat(3 * (16 - chunk.len())));
        }
        s.push_str(" \"");
        s.extend(chunk.iter().map(|&b| printable(b)));
        s.push('"');
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(ascii(b"QEMU  \0\0junk"), "QEMU  ");
        assert_eq!(cx(0u8), "0");
        assert_eq!(cx(0x1b36u16), "0x1b36");
        assert_eq!(hex(&[0xde, 0xad, 0x01]), "dead01");
        let mut u = [0u8; 16];
        u[0] = 0x12;
        u[15] = 0xff;
        assert_eq!(uuid(&u), "12000000-0000-0000-0000-0000000000ff");
        // nvme-cli 2.13's d(): "%3x" headers, '!'..'~' printable.
        let d = hexdump(b"AB \x00");
        let pad = " ".repeat(1 + 3 * 12);
        assert_eq!(
            d,
            format!("       0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f\n0000: 41 42 20 00{pad} \"AB..\"\n")
        );
        let full = hexdump(&[0x7e; 17]);
        assert!(
            full.contains(&format!(
                "\n0000:{} \"{}\"\n0010: 7e",
                " 7e".repeat(16),
                "~".repeat(16)
            )),
            "{full}"
        );
    }
}
