//! [`IoctlBuf`]: the buffer the queue interface takes ownership of.

use nvmeq_core::IoBuf;

/// Alignment of every [`IoctlBuf`]: a page, so the kernel can map it for DMA
/// directly instead of bouncing it (Linux requires at least the queue's
/// `dma_alignment` and bounces anything less).
pub const BUF_ALIGN: usize = 4096;

/// A zero-filled, page-aligned heap buffer.
///
/// Safe code only: it over-allocates by one page and exposes the aligned
/// window. The `Vec` is never grown, so the window never moves.
pub struct IoctlBuf {
    mem: Vec<u8>,
    off: usize,
    len: usize,
}

impl IoctlBuf {
    /// A zeroed buffer of `len` bytes starting on a page boundary.
    pub fn new(len: usize) -> Self {
        if len == 0 {
            return IoctlBuf {
                mem: Vec::new(),
                off: 0,
                len: 0,
            };
        }
        let mem = vec![0u8; len + BUF_ALIGN - 1];
        let off = (BUF_ALIGN - (mem.as_ptr() as usize % BUF_ALIGN)) % BUF_ALIGN;
        IoctlBuf { mem, off, len }
    }
}

impl IoBuf for IoctlBuf {
    fn as_slice(&self) -> &[u8] {
        &self.mem[self.off..self.off + self.len]
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.mem[self.off..self.off + self.len]
    }
}

impl core::fmt::Debug for IoctlBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("IoctlBuf").field("len", &self.len).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_and_zeroed() {
        for len in [1, 512, 4096, 4097, 65536] {
            let mut b = IoctlBuf::new(len);
            assert_eq!(b.len(), len);
            assert_eq!(b.as_slice().as_ptr() as usize % BUF_ALIGN, 0);
            assert!(b.as_slice().iter().all(|&x| x == 0));
            b.as_mut_slice()[len - 1] = 7;
            assert_eq!(b.as_slice()[len - 1], 7);
        }
        assert!(IoctlBuf::new(0).is_empty());
    }
}
