//! The data the writing tests move: buffers placed at a chosen page offset,
//! a pattern that names each block, and where a read-back first differs.

/// A buffer starting `offset` bytes past a page boundary inside a larger allocation.
#[derive(Debug)]
pub struct Placed {
    mem: Vec<u8>,
    start: usize,
    len: usize,
}

impl Placed {
    /// `len` zero bytes at page offset `offset`.
    pub fn new(len: usize, offset: usize) -> Self {
        let mem = vec![0u8; len + offset + 4096];
        let start = (4096 - mem.as_ptr() as usize % 4096) % 4096 + offset;
        Placed { mem, start, len }
    }
    /// The bytes.
    pub fn get(&self) -> &[u8] {
        &self.mem[self.start..self.start + self.len]
    }
    /// The bytes, writable.
    pub fn get_mut(&mut self) -> &mut [u8] {
        &mut self.mem[self.start..self.start + self.len]
    }
}

/// Fills `buf` (blocks of `lba` bytes from `slba`) with a pattern that names
/// each block's LBA and the `seed`, so misplaced or stale blocks are caught.
pub fn fill(buf: &mut [u8], lba: u32, slba: u64, seed: u64) {
    for (i, block) in buf.chunks_mut(lba as usize).enumerate() {
        let l = slba + i as u64;
        for (j, x) in block.iter_mut().enumerate() {
            *x = (l.wrapping_mul(131) ^ seed.wrapping_mul(29) ^ (j as u64 * 7 + (j as u64 >> 8)))
                as u8;
        }
        if block.len() >= 16 {
            block[..8].copy_from_slice(&l.to_le_bytes());
            block[8..16].copy_from_slice(&seed.to_le_bytes());
        }
    }
}

/// Where the first difference is, as a message.
pub fn diff(got: &[u8], want: &[u8], lba: u32) -> Result<(), String> {
    match got.iter().zip(want).position(|(a, b)| a != b) {
        None if got.len() == want.len() => Ok(()),
        None => Err(format!("length {} != {}", got.len(), want.len())),
        Some(i) => Err(format!(
            "data differs at byte {i} (block {}, offset {}): read {:#04x}, wrote {:#04x}",
            i / lba as usize,
            i % lba as usize,
            got[i],
            want[i]
        )),
    }
}

/// The header a [`stamp`]ed block starts with: which write put it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The block's own LBA.
    pub lba: u64,
    /// The run's seed.
    pub seed: u64,
    /// The write's generation number (1 for the run's first write).
    pub generation: u64,
}

/// Bytes of a stamped block's header: LBA, seed and generation, little endian.
pub const STAMP_HEADER: usize = 24;

/// Fills `block` (one block's data) with `s`: the header, then words derived
/// from all three fields, so a block from another LBA, run or generation
/// differs in most of its bytes, not only the header.
pub fn stamp(block: &mut [u8], s: Stamp) {
    let mut x = s.lba.wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ s.seed.rotate_left(17)
        ^ s.generation.wrapping_mul(0xd1b5_4a32_d192_ed03);
    for w in block.chunks_mut(8) {
        // xorshift64: cheap enough for a guest without KVM.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        w.copy_from_slice(&x.to_le_bytes()[..w.len()]);
    }
    let h = [s.lba, s.seed, s.generation];
    for (w, v) in block.chunks_mut(8).zip(h) {
        w.copy_from_slice(&v.to_le_bytes()[..w.len()]);
    }
}

/// The header of a block read back, whatever wrote it.
pub fn read_stamp(block: &[u8]) -> Option<Stamp> {
    let word = |i: usize| {
        block
            .get(i * 8..i * 8 + 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
    };
    Some(Stamp {
        lba: word(0)?,
        seed: word(1)?,
        generation: word(2)?,
    })
}
