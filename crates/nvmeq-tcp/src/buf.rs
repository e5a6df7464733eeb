//! [`TcpBuf`]: the buffer the queue interface takes ownership of.

use nvmeq_core::IoBuf;

/// A zero-filled heap buffer. TCP copies through the socket, so no alignment
/// or registration is needed; the queue still owns it while its command is
/// in flight, so the caller cannot touch bytes the transport is filling.
pub struct TcpBuf(Vec<u8>);

impl TcpBuf {
    /// A zeroed buffer of `len` bytes.
    pub fn new(len: usize) -> Self {
        TcpBuf(vec![0; len])
    }
}

impl IoBuf for TcpBuf {
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl core::fmt::Debug for TcpBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TcpBuf")
            .field("len", &self.0.len())
            .finish()
    }
}
