//! The state file's primitives: little-endian integers and length-prefixed
//! byte strings, read back with every length checked.

/// Appends values to the payload.
#[derive(Debug, Default)]
pub(crate) struct Enc(pub Vec<u8>);

impl Enc {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn bool(&mut self, v: bool) {
        self.0.push(v as u8);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn u128(&mut self, v: u128) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    /// Fixed-size bytes whose length the reader knows.
    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    /// A byte string: its length (u32), then the bytes.
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.raw(b);
    }
    /// A flag, then the value (the default when absent): the same bytes
    /// either way, unlike [`opt_bytes`](Self::opt_bytes).
    pub(crate) fn opt<T: Default>(&mut self, v: Option<T>, put: impl FnOnce(&mut Self, T)) {
        self.bool(v.is_some());
        put(self, v.unwrap_or_default());
    }
    pub(crate) fn opt_bytes(&mut self, b: Option<&[u8]>) {
        self.bool(b.is_some());
        if let Some(b) = b {
            self.bytes(b);
        }
    }
}

/// What is wrong with a payload that decodes badly (the checksum matched,
/// so a writer of this format version made it inconsistent, or it is not
/// ours).
pub(crate) type Bad = &'static str;

/// Reads values back in the order they were written.
#[derive(Debug)]
pub(crate) struct Dec<'a> {
    buf: &'a [u8],
}

impl<'a> Dec<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Dec { buf }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub(crate) fn raw(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        if self.buf.len() < n {
            return Err("the state ends in the middle of a value");
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        Ok(self.raw(N)?.try_into().expect("raw returns N bytes"))
    }
    pub(crate) fn u8(&mut self) -> Result<u8, Bad> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn bool(&mut self) -> Result<bool, Bad> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err("a flag is neither 0 nor 1"),
        }
    }
    pub(crate) fn u16(&mut self) -> Result<u16, Bad> {
        self.array().map(u16::from_le_bytes)
    }
    pub(crate) fn u32(&mut self) -> Result<u32, Bad> {
        self.array().map(u32::from_le_bytes)
    }
    pub(crate) fn u64(&mut self) -> Result<u64, Bad> {
        self.array().map(u64::from_le_bytes)
    }
    pub(crate) fn u128(&mut self) -> Result<u128, Bad> {
        self.array().map(u128::from_le_bytes)
    }
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], Bad> {
        let n = self.u32()? as usize;
        self.raw(n)
    }
    /// What [`Enc::opt`] wrote: the value is read either way and kept only
    /// under the flag.
    pub(crate) fn opt<T>(
        &mut self,
        get: impl FnOnce(&mut Self) -> Result<T, Bad>,
    ) -> Result<Option<T>, Bad> {
        let some = self.bool()?;
        let v = get(self)?;
        Ok(some.then_some(v))
    }
    pub(crate) fn opt_bytes(&mut self) -> Result<Option<&'a [u8]>, Bad> {
        if self.bool()? {
            self.bytes().map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Dec, Enc};

    #[test]
    fn values_read_back_in_order_and_short_input_is_an_error() {
        let mut e = Enc::default();
        e.u8(7);
        e.u16(0x1234);
        e.u64(u64::MAX - 1);
        e.u128(1 << 100);
        e.opt_bytes(Some(b"abc"));
        e.opt_bytes(None);
        e.opt(Some(5u32), Enc::u32);
        e.opt(None::<u64>, Enc::u64);
        assert_eq!(&e.0[..3], &[7, 0x34, 0x12]);
        let mut d = Dec::new(&e.0);
        assert_eq!(d.u8(), Ok(7));
        assert_eq!(d.u16(), Ok(0x1234));
        assert_eq!(d.u64(), Ok(u64::MAX - 1));
        assert_eq!(d.u128(), Ok(1 << 100));
        assert_eq!(d.opt_bytes(), Ok(Some(&b"abc"[..])));
        assert_eq!(d.opt_bytes(), Ok(None));
        assert_eq!(d.opt(Dec::u32), Ok(Some(5)));
        assert_eq!(d.opt(Dec::u64), Ok(None));
        assert!(d.is_empty());
        assert!(d.u8().is_err());
        // A length that claims more than is there.
        let mut d = Dec::new(&[9, 0, 0, 0, 1]);
        assert!(d.bytes().is_err());
        assert!(Dec::new(&[2]).bool().is_err());
    }
}
