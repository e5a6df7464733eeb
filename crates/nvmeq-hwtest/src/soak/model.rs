//! What the soak expects every block of its region to hold, and the check of
//! a block read back against it.

use std::fmt;

use crate::pattern::{read_stamp, stamp, Stamp};

/// One block's expected content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Not written by this run: not the soak's to check.
    Untouched,
    /// Last written by generation `g`, whose command succeeded.
    Written(u64),
    /// Deallocated after generation `prior` was written. Deallocation is advisory, so a read returns either that write's data
    /// or what DLFEAT promises for a deallocated block.
    Deallocated {
        /// The generation written before the deallocation.
        prior: u64,
    },
    /// Content nobody promises: deallocated where DLFEAT says nothing (or a
    /// PI format, whose deallocated blocks need not keep valid PI), or
    /// written by a command that failed. Not checked until rewritten.
    Unknown,
}

/// What a read of a deallocated block returns (DLFEAT bits 2:0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeallocRead {
    /// 001b: every byte 00h.
    Zeros,
    /// 010b: every byte FFh.
    Ones,
    /// 000b (not reported), or not checkable here: such blocks become [`Block::Unknown`].
    Unspecified,
}

impl DeallocRead {
    /// From Identify Namespace DLFEAT.
    pub fn from_dlfeat(dlfeat: u8) -> Self {
        match dlfeat & 7 {
            1 => DeallocRead::Zeros,
            2 => DeallocRead::Ones,
            _ => DeallocRead::Unspecified,
        }
    }
    fn byte(self) -> Option<u8> {
        match self {
            DeallocRead::Zeros => Some(0),
            DeallocRead::Ones => Some(0xff),
            DeallocRead::Unspecified => None,
        }
    }
}

/// A block that did not read back as the model expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Its LBA.
    pub lba: u64,
    /// What the model expected.
    pub expected: Block,
    /// The stamp header found in it (what wrote it, if a stamp at all).
    pub found: Option<Stamp>,
    /// The first byte that differs from the expected write's data.
    pub first_byte: usize,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LBA {}: expected ", self.lba)?;
        match self.expected {
            Block::Written(g) => write!(f, "generation {g}")?,
            Block::Deallocated { prior } => {
                write!(f, "deallocated (generation {prior} or the DLFEAT pattern)")?
            }
            b => write!(f, "{b:?}")?,
        }
        match self.found {
            Some(s) => write!(
                f,
                ", found header lba {} seed {:#x} generation {}",
                s.lba, s.seed, s.generation
            )?,
            None => write!(f, ", found a block too short for a header")?,
        }
        write!(f, "; first differing byte {}", self.first_byte)
    }
}

/// The region's blocks and the generations handed out.
#[derive(Debug)]
pub struct Model {
    base: u64,
    blocks: Vec<Block>,
    seed: u64,
    last_gen: u64,
    dealloc: DeallocRead,
}

impl Model {
    /// `len` blocks from LBA `base`, none written yet.
    pub fn new(base: u64, len: u64, seed: u64, dealloc: DeallocRead) -> Self {
        Model {
            base,
            blocks: vec![Block::Untouched; len as usize],
            seed,
            last_gen: 0,
            dealloc,
        }
    }
    /// The first LBA of the region.
    pub fn base(&self) -> u64 {
        self.base
    }
    /// Blocks in the region.
    pub fn len(&self) -> u64 {
        self.blocks.len() as u64
    }
    /// True for an empty region.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// What a read of a deallocated block returns here.
    pub fn dealloc(&self) -> DeallocRead {
        self.dealloc
    }
    /// A new generation for the next write.
    pub fn next_gen(&mut self) -> u64 {
        self.last_gen += 1;
        self.last_gen
    }
    /// The expected state of `lba`.
    pub fn get(&self, lba: u64) -> Block {
        self.blocks[(lba - self.base) as usize]
    }
    fn set(&mut self, slba: u64, nlb: u32, f: impl Fn(Block) -> Block) {
        let i = (slba - self.base) as usize;
        for b in &mut self.blocks[i..i + nlb as usize] {
            *b = f(*b);
        }
    }
    /// Whether reading `lba` checks something.
    pub fn checkable(&self, lba: u64) -> bool {
        matches!(self.get(lba), Block::Written(_) | Block::Deallocated { .. })
    }
    /// A write of generation `gen` succeeded.
    pub fn written(&mut self, slba: u64, nlb: u32, gen: u64) {
        self.set(slba, nlb, |_| Block::Written(gen));
    }
    /// A deallocation succeeded.
    pub fn deallocated(&mut self, slba: u64, nlb: u32) {
        let promised = self.dealloc != DeallocRead::Unspecified;
        // An untouched block keeps, if the controller ignores the advice,
        // whatever an earlier run left: not this run's to check.
        self.set(slba, nlb, |b| match (b, promised) {
            (Block::Written(prior), true) => Block::Deallocated { prior },
            (b @ Block::Deallocated { .. }, true) => b,
            _ => Block::Unknown,
        });
    }
    /// A write or deallocation failed: its blocks may hold old or new data.
    pub fn lost(&mut self, slba: u64, nlb: u32) {
        self.set(slba, nlb, |_| Block::Unknown);
    }
    /// Blocks in each state: (written, deallocated, unknown).
    pub fn census(&self) -> (u64, u64, u64) {
        let mut n = (0, 0, 0);
        for b in &self.blocks {
            match b {
                Block::Written(_) => n.0 += 1,
                Block::Deallocated { .. } => n.1 += 1,
                Block::Unknown => n.2 += 1,
                Block::Untouched => {}
            }
        }
        n
    }
    /// The data generation `gen` wrote to `lba`, in `out` (one block).
    pub fn expected(&self, lba: u64, gen: u64, out: &mut [u8]) {
        stamp(
            out,
            Stamp {
                lba,
                seed: self.seed,
                generation: gen,
            },
        );
    }
    /// Checks one block read back; `scratch` is one block of working space.
    pub fn check(&self, lba: u64, got: &[u8], scratch: &mut [u8]) -> Result<(), Mismatch> {
        let expected = self.get(lba);
        let prior = match expected {
            Block::Written(g) => g,
            Block::Deallocated { prior } => {
                let fill = self.dealloc.byte();
                if fill.is_some_and(|f| got.iter().all(|&b| b == f)) {
                    return Ok(());
                }
                prior
            }
            Block::Untouched | Block::Unknown => return Ok(()),
        };
        self.expected(lba, prior, scratch);
        let Some(first_byte) = got.iter().zip(scratch.iter()).position(|(a, b)| a != b) else {
            return Ok(());
        };
        Err(Mismatch {
            lba,
            expected,
            found: read_stamp(got),
            first_byte,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_blocks_check_and_stale_or_moved_ones_do_not() {
        let mut m = Model::new(100, 8, 7, DeallocRead::Zeros);
        let g1 = m.next_gen();
        let g2 = m.next_gen();
        m.written(100, 2, g1);
        m.written(101, 1, g2);
        let (mut blk, mut scratch) = (vec![0u8; 512], vec![0u8; 512]);
        m.expected(101, g2, &mut blk);
        assert_eq!(m.check(101, &blk, &mut scratch), Ok(()));
        // The older generation at the same LBA is stale.
        m.expected(101, g1, &mut blk);
        let e = m.check(101, &blk, &mut scratch).unwrap_err();
        assert_eq!(e.found.map(|s| s.generation), Some(g1));
        assert_eq!(e.first_byte, 16);
        // The right generation at the wrong LBA is misplaced.
        m.expected(100, g2, &mut blk);
        let e = m.check(101, &blk, &mut scratch).unwrap_err();
        assert_eq!(e.found.map(|s| s.lba), Some(100));
        assert_eq!(e.first_byte, 0);
        // Untouched blocks are not checked.
        assert!(!m.checkable(105));
        assert_eq!(m.check(105, &blk, &mut scratch), Ok(()));
    }

    #[test]
    fn deallocated_blocks_read_old_data_or_the_promised_pattern() {
        let mut m = Model::new(0, 4, 1, DeallocRead::Zeros);
        let g = m.next_gen();
        m.written(0, 4, g);
        m.deallocated(0, 2);
        let (mut blk, mut scratch) = (vec![0u8; 512], vec![0u8; 512]);
        assert_eq!(m.check(0, &blk, &mut scratch), Ok(()));
        m.expected(1, g, &mut blk);
        assert_eq!(m.check(1, &blk, &mut scratch), Ok(()));
        blk.fill(0xff);
        assert!(m.check(1, &blk, &mut scratch).is_err());
        // A block this run never wrote may keep an earlier run's data: unknown.
        let mut n = Model::new(0, 4, 1, DeallocRead::Zeros);
        n.deallocated(0, 1);
        assert_eq!(n.get(0), Block::Unknown);
        // Nothing promised: unknown, not checked; failed writes the same.
        let mut u = Model::new(0, 4, 1, DeallocRead::Unspecified);
        u.written(0, 4, u.last_gen + 1);
        u.deallocated(0, 1);
        u.lost(3, 1);
        assert_eq!(u.census(), (2, 0, 2));
        assert!(!u.checkable(0) && !u.checkable(3) && u.checkable(1));
    }
}
