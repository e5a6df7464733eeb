//! A transfer larger than one command takes, cut into commands the way `dd`
//! would: each moves at most the device's largest transfer (MDTS and the
//! transport's limit) and at most 65 536 blocks (NLB is 16 bits, zero-based),
//! over consecutive slices of the one buffer. The CLI's `read`/`write`/
//! `compare` and the facade's `read_blocks`/`write_blocks` both cut here.

use crate::error::Error;

/// The most blocks one NVMe read, write or compare names (NLB is 16 bits,
/// zero-based).
pub const MAX_NLB: u64 = 1 << 16;

/// The commands of one transfer: `blocks` blocks of `unit` data bytes each,
/// at most `per_cmd` blocks a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Blocks in all.
    pub blocks: u64,
    /// Blocks per command (the last may have fewer).
    pub per_cmd: u64,
}

/// One command's share: its first block, as an offset from the transfer's
/// first, and its block count (not zero-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    /// Blocks from the transfer's start.
    pub off: u64,
    /// Blocks this command moves.
    pub nlb: u64,
}

impl Piece {
    /// NLB as the command encodes it (zero-based).
    pub fn nlb_z(&self) -> u16 {
        // `Split` never makes a piece of more than MAX_NLB blocks.
        (self.nlb - 1) as u16
    }
}

/// The number of `unit`-byte blocks in a buffer of `len` bytes: refused
/// when it is empty or not a whole number of them.
pub fn whole_blocks(len: usize, unit: u32) -> Result<usize, Error> {
    if len == 0 {
        return Err(Error::ZeroLength);
    }
    match len.checked_rem(unit as usize) {
        Some(0) => Ok(len / unit as usize),
        _ => Err(Error::NotBlockMultiple {
            len,
            lba_size: unit,
        }),
    }
}

impl Split {
    /// Cuts `blocks` blocks whose data is `unit` bytes each at `max_xfer`
    /// bytes a command. A device whose limit is below one block cannot
    /// move the transfer at all.
    pub fn new(blocks: u64, unit: u32, max_xfer: u32) -> Result<Split, Error> {
        let per_cmd = (u64::from(max_xfer) / u64::from(unit.max(1))).min(MAX_NLB);
        if per_cmd == 0 {
            return Err(Error::BlockAboveLimit {
                unit,
                max: max_xfer,
            });
        }
        Ok(Split { blocks, per_cmd })
    }

    /// How many commands the transfer takes.
    pub fn commands(&self) -> u64 {
        self.blocks.div_ceil(self.per_cmd)
    }

    /// The pieces, in order.
    pub fn pieces(&self) -> impl Iterator<Item = Piece> + '_ {
        (0..self.commands()).map(|i| {
            let off = i * self.per_cmd;
            Piece {
                off,
                nlb: self.per_cmd.min(self.blocks - off),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn whole_blocks_only() {
        assert_eq!(whole_blocks(4096, 512), Ok(8));
        assert_eq!(whole_blocks(0, 512), Err(Error::ZeroLength));
        assert_eq!(
            whole_blocks(513, 512),
            Err(Error::NotBlockMultiple {
                len: 513,
                lba_size: 512
            })
        );
        assert!(whole_blocks(512, 0).is_err());
    }

    #[test]
    fn one_command_when_it_fits() {
        let s = Split::new(8, 512, 128 * 1024).unwrap();
        assert_eq!(s.commands(), 1);
        assert_eq!(s.pieces().collect::<Vec<_>>(), [Piece { off: 0, nlb: 8 }]);
    }

    #[test]
    fn cuts_at_the_transfer_limit_with_a_short_tail() {
        // 64 KiB of 512-byte blocks on an 8 KiB (MDTS 1) device.
        let s = Split::new(128 + 3, 512, 8192).unwrap();
        assert_eq!(s.per_cmd, 16);
        let p: Vec<_> = s.pieces().collect();
        assert_eq!(p.len(), 9);
        assert_eq!(p[0], Piece { off: 0, nlb: 16 });
        assert_eq!(p[7], Piece { off: 112, nlb: 16 });
        assert_eq!(p[8], Piece { off: 128, nlb: 3 });
        assert_eq!(p.iter().map(|p| p.nlb).sum::<u64>(), 131);
        assert_eq!(p[8].nlb_z(), 2);
    }

    #[test]
    fn extended_blocks_count_their_metadata() {
        // 4096 + 8 bytes a block: two blocks do not fit in 8 KiB.
        let s = Split::new(4, 4104, 8192).unwrap();
        assert_eq!((s.per_cmd, s.commands()), (1, 4));
    }

    #[test]
    fn never_more_than_65536_blocks_a_command() {
        let s = Split::new(MAX_NLB * 2 + 1, 512, u32::MAX).unwrap();
        assert_eq!(s.per_cmd, MAX_NLB);
        let last = s.pieces().last().unwrap();
        assert_eq!(
            last,
            Piece {
                off: 2 * MAX_NLB,
                nlb: 1
            }
        );
        assert_eq!(s.pieces().next().unwrap().nlb_z(), u16::MAX);
    }

    #[test]
    fn a_block_above_the_limit_is_refused() {
        assert_eq!(
            Split::new(1, 4096, 2048),
            Err(Error::BlockAboveLimit {
                unit: 4096,
                max: 2048
            })
        );
    }
}
