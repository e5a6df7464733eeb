//! What the `-H` decoders share: nvme-cli's `  [hi:lo] : value\tmeaning`
//! lines, built one field at a time.

use crate::output::cx;

/// The decoded lines of one field.
#[derive(Default)]
pub(super) struct Bits(String);

impl Bits {
    /// Bits `hi..=lo` of `v`, with their meaning.
    pub(super) fn field(&mut self, v: u64, hi: u32, lo: u32, text: &str) -> &mut Self {
        let x = (v >> lo) & ((1u64 << (hi - lo + 1)) - 1);
        self.0 += &format!("  [{hi}:{lo}] : {}\t{text}\n", cx(x));
        self
    }

    /// Bit `n` of `v`: `{what} Supported`, or `{what} Not Supported`.
    pub(super) fn sup(&mut self, v: u64, n: u32, what: &str) -> &mut Self {
        self.field(
            v,
            n,
            n,
            &format!("{what} {}Supported", not(bit(v, n), "Not ")),
        )
    }

    /// [`Bits::sup`] for each `(bit, what)`, in the order given (nvme-cli's:
    /// the highest bit first).
    pub(super) fn sups(&mut self, v: u64, bits: &[(u32, &str)]) -> &mut Self {
        for &(n, what) in bits {
            self.sup(v, n, what);
        }
        self
    }

    /// The same for reserved bits: only when any is set.
    pub(super) fn reserved(&mut self, v: u64, hi: u32, lo: u32) -> &mut Self {
        if (v >> lo) & ((1u64 << (hi - lo + 1)) - 1) != 0 {
            self.field(v, hi, lo, "Reserved");
        }
        self
    }

    /// A line in a layout of its own (nvme-cli's indents and values vary).
    pub(super) fn line(&mut self, l: &str) -> &mut Self {
        self.0 += l;
        self.0 += "\n";
        self
    }

    /// The lines, without the blank line that ends most fields.
    pub(super) fn lines(&mut self) -> String {
        std::mem::take(&mut self.0)
    }

    /// The lines and the blank line after them.
    pub(super) fn done(&mut self) -> String {
        self.lines() + "\n"
    }
}

/// `""` when `set`, else `not` (nvme-cli's `%sSupported` with "Not ").
pub(super) fn not(set: bool, not: &'static str) -> &'static str {
    if set {
        ""
    } else {
        not
    }
}

/// Bit `n` of `v`.
pub(super) fn bit(v: impl Into<u64>, n: u32) -> bool {
    v.into() >> n & 1 != 0
}
