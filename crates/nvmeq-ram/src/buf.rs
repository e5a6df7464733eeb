//! [`RamBuf`]: the buffer the ram backend's queue interface owns.

use nvmeq_core::IoBuf;

/// A heap buffer. The ram controller copies to and from it, so any alignment
/// works; [`crate::RamController`]'s `alloc` returns a zero-filled one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RamBuf(pub Vec<u8>);

impl RamBuf {
    /// A zero-filled buffer of `len` bytes.
    pub fn zeroed(len: usize) -> Self {
        RamBuf(vec![0; len])
    }
}

impl From<Vec<u8>> for RamBuf {
    fn from(v: Vec<u8>) -> Self {
        RamBuf(v)
    }
}

impl IoBuf for RamBuf {
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }
}
