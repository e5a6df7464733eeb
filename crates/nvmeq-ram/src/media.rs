//! The namespace's storage: a sparse table of fixed-size chunks.
//!
//! A chunk is allocated (zero-filled by the allocator, so the OS maps pages
//! only when written) the first time a block in it is written; a chunk that is
//! absent reads as zeroes. Deallocating or zeroing a whole chunk frees it, so
//! `ram:1T` costs nothing until used and Dataset Management really returns
//! memory. The table has at most [`MAX_CHUNKS`] slots: the chunk size grows
//! with the namespace so the table itself stays small, and it is itself
//! allocated on the first write, so a namespace never written costs nothing.

/// The smallest chunk: 64 KiB, a good unit for 512 B and 4 KiB blocks.
const MIN_CHUNK_SHIFT: u32 = 16;
/// Most slots the table may have (1 MiB of table at 16 B a slot).
const MAX_CHUNKS: u64 = 1 << 16;

/// Sparse, lazily allocated bytes.
#[derive(Debug)]
pub(crate) struct Media {
    chunk_shift: u32,
    /// Empty until the first write, then `slots` long.
    chunks: Vec<Option<Box<[u8]>>>,
    slots: usize,
    size: u64,
}

impl Media {
    /// Storage of `size` bytes, of which nothing is allocated yet.
    pub(crate) fn new(size: u64) -> Self {
        let mut chunk_shift = MIN_CHUNK_SHIFT;
        while size.div_ceil(1 << chunk_shift) > MAX_CHUNKS {
            chunk_shift += 1;
        }
        Media {
            chunk_shift,
            chunks: Vec::new(),
            slots: size.div_ceil(1 << chunk_shift) as usize,
            size,
        }
    }

    fn chunk_len(&self) -> u64 {
        1 << self.chunk_shift
    }

    /// Bytes currently backed by memory.
    pub(crate) fn allocated_bytes(&self) -> u64 {
        self.chunks.iter().filter(|c| c.is_some()).count() as u64 * self.chunk_len()
    }

    fn pieces(&self, off: u64, len: u64) -> impl Iterator<Item = (usize, usize, usize)> {
        pieces(self.chunk_shift, off, len)
    }

    /// Copies `dst.len()` bytes at `off` into `dst`.
    pub(crate) fn read(&self, off: u64, dst: &mut [u8]) {
        debug_assert!(off + dst.len() as u64 <= self.size);
        let mut done = 0;
        for (idx, within, n) in self.pieces(off, dst.len() as u64) {
            let out = &mut dst[done..done + n];
            match self.chunks.get(idx) {
                Some(Some(c)) => out.copy_from_slice(&c[within..within + n]),
                _ => out.fill(0),
            }
            done += n;
        }
    }

    /// Stores `src` at `off`, allocating chunks on first write.
    pub(crate) fn write(&mut self, off: u64, src: &[u8]) {
        debug_assert!(off + src.len() as u64 <= self.size);
        let chunk_len = self.chunk_len() as usize;
        if self.chunks.is_empty() {
            self.chunks.resize_with(self.slots, || None);
        }
        let mut done = 0;
        for (idx, within, n) in self.pieces(off, src.len() as u64) {
            let c = self.chunks[idx].get_or_insert_with(|| vec![0u8; chunk_len].into_boxed_slice());
            c[within..within + n].copy_from_slice(&src[done..done + n]);
            done += n;
        }
    }

    /// Makes `[off, off + len)` read as zeroes, freeing every chunk it covers
    /// whole (Write Zeroes and Dataset Management deallocate).
    pub(crate) fn zero(&mut self, off: u64, len: u64) {
        debug_assert!(off + len <= self.size);
        let chunk_len = self.chunk_len() as usize;
        for (idx, within, n) in pieces(self.chunk_shift, off, len) {
            let Some(slot) = self.chunks.get_mut(idx) else {
                return; // never written: already zero
            };
            if within == 0 && n == chunk_len {
                *slot = None;
            } else if let Some(c) = slot {
                c[within..within + n].fill(0);
            }
        }
    }

    /// True when the bytes at `off` equal `src`.
    pub(crate) fn compare(&self, off: u64, src: &[u8]) -> bool {
        debug_assert!(off + src.len() as u64 <= self.size);
        let mut done = 0;
        for (idx, within, n) in self.pieces(off, src.len() as u64) {
            let want = &src[done..done + n];
            let same = match self.chunks.get(idx) {
                Some(Some(c)) => &c[within..within + n] == want,
                _ => want.iter().all(|&b| b == 0),
            };
            if !same {
                return false;
            }
            done += n;
        }
        true
    }
}

/// Splits `[off, off + len)` into per-chunk pieces: (chunk index, offset in
/// the chunk, length). The caller has checked the range against the size.
fn pieces(shift: u32, off: u64, len: u64) -> impl Iterator<Item = (usize, usize, usize)> {
    let mask = (1u64 << shift) - 1;
    let end = off + len;
    let mut pos = off;
    core::iter::from_fn(move || {
        if pos >= end {
            return None;
        }
        let idx = (pos >> shift) as usize;
        let within = pos & mask;
        let n = ((mask + 1) - within).min(end - pos);
        pos += n;
        Some((idx, within as usize, n as usize))
    })
}

impl Media {
    /// Copies `len` bytes from `src` to `dst` through `scratch` (Copy command).
    /// Overlapping ranges copy front to back, piece by piece.
    pub(crate) fn copy(&mut self, src: u64, dst: u64, len: u64, scratch: &mut [u8]) {
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(scratch.len() as u64) as usize;
            let s = &mut scratch[..n];
            self.read(src + done, s);
            self.write(dst + done, s);
            done += n as u64;
        }
    }
}

/// The state file: written chunks that hold a non-zero byte, as their
/// index and bytes; chunks never written or all zero stay out.
impl Media {
    pub(crate) fn save(&self, e: &mut crate::state::codec::Enc) {
        let kept: Vec<(usize, &[u8])> = self
            .chunks
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                c.as_deref()
                    .filter(|c| c.iter().any(|&b| b != 0))
                    .map(|c| (i, c))
            })
            .collect();
        e.u32(kept.len() as u32);
        for (i, c) in kept {
            e.u32(i as u32);
            e.raw(c);
        }
    }

    /// Media of `size` bytes with the chunks [`save`](Self::save) stored.
    pub(crate) fn load(
        size: u64,
        d: &mut crate::state::codec::Dec<'_>,
    ) -> Result<Self, crate::state::codec::Bad> {
        let mut m = Media::new(size);
        let n = d.u32()? as usize;
        if n > m.slots {
            return Err("more stored chunks than the namespace has");
        }
        let len = m.chunk_len() as usize;
        for _ in 0..n {
            let i = d.u32()? as usize;
            if i >= m.slots {
                return Err("a stored chunk lies beyond the end of its namespace");
            }
            let c = d.raw(len)?;
            if m.chunks.is_empty() {
                m.chunks.resize_with(m.slots, || None);
            }
            if m.chunks[i].replace(c.into()).is_some() {
                return Err("a chunk is stored twice");
            }
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::Media;

    #[test]
    fn unwritten_reads_zero_and_nothing_is_allocated() {
        let m = Media::new(1 << 30);
        let mut b = [0xaau8; 4096];
        m.read(123 * 4096, &mut b);
        assert!(b.iter().all(|&x| x == 0));
        assert_eq!(m.allocated_bytes(), 0);
    }

    #[test]
    fn huge_namespace_keeps_the_table_small() {
        let m = Media::new(1 << 40);
        assert!(m.chunks.is_empty(), "no table before the first write");
        assert!(m.slots as u64 <= super::MAX_CHUNKS);
        assert_eq!(m.slots as u64 * m.chunk_len(), 1 << 40);
    }

    #[test]
    fn write_spanning_chunks_reads_back() {
        let mut m = Media::new(1 << 20);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        m.write(65_000, &data);
        let mut back = vec![0u8; data.len()];
        m.read(65_000, &mut back);
        assert_eq!(back, data);
        assert!(m.compare(65_000, &data));
        assert!(!m.compare(64_999, &data));
        assert_eq!(m.allocated_bytes(), 5 << 16);
    }

    #[test]
    fn zero_frees_whole_chunks_and_clears_partial_ones() {
        let mut m = Media::new(1 << 20);
        m.write(0, &vec![7u8; 1 << 20]);
        assert_eq!(m.allocated_bytes(), 1 << 20);
        // From the middle of chunk 0 to the middle of chunk 3.
        m.zero(1000, 3 * 65536);
        assert_eq!(m.allocated_bytes(), (16 - 2) << 16);
        let mut b = vec![1u8; 1 << 20];
        m.read(0, &mut b);
        assert!(b[..1000].iter().all(|&x| x == 7));
        assert!(b[1000..1000 + 3 * 65536].iter().all(|&x| x == 0));
        assert!(b[1000 + 3 * 65536..].iter().all(|&x| x == 7));
    }

    #[test]
    fn copy_moves_bytes() {
        let mut m = Media::new(1 << 20);
        m.write(4096, &[9u8; 8192]);
        let mut scratch = [0u8; 1000];
        m.copy(4096, 500_000, 8192, &mut scratch);
        let mut b = [0u8; 8192];
        m.read(500_000, &mut b);
        assert!(b.iter().all(|&x| x == 9));
    }
}
