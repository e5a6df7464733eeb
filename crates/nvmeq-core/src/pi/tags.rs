//! How a command carries [`Tags`]: the Logical Block Tags (storage tag in the
//! upper STS bits, reference tag below, as in the tuple's space) spread over
//! CDW14 (bits 31:0), CDW3 (bits 63:32) and CDW2 bits 15:0 (bits 79:64), and
//! the application tag and mask in CDW15 (NVM Command Set spec 1.0, "Read –
//! Command Dword 2 and Command Dword 3", "Command Dword 14", "Command Dword 15").
//! The 16b guard's 32-bit space fits CDW14 alone, the 64b guard's 48 bits
//! reach CDW3 bits 15:0.

use super::{Pi, Tags};
use crate::sqe::Command;

/// The dwords of a Read, Write, Compare, Verify or Write Zeroes that hold
/// its PI tags, for the builders' `pi_tags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TagDwords {
    /// Command Dword 2: Logical Block Tags bits 79:64 in bits 15:0.
    pub cdw2: u32,
    /// Command Dword 3: Logical Block Tags bits 63:32.
    pub cdw3: u32,
    /// Command Dword 14: Logical Block Tags bits 31:0.
    pub cdw14: u32,
    /// Command Dword 15: application tag (bits 15:0) and mask (bits 31:16).
    pub cdw15: u32,
}

impl Pi {
    /// The dwords that carry `tags` for a namespace with this PI. Bits of the
    /// reference and storage tags beyond their sizes are dropped.
    pub const fn tag_dwords(&self, tags: &Tags) -> TagDwords {
        let st = match tags.storage_tag {
            Some(s) => s & self.storage_mask(),
            None => 0,
        };
        let lbt = ((st as u128) << self.ref_bits()) | (tags.ref_tag & self.ref_mask()) as u128;
        TagDwords {
            cdw2: (lbt >> 64) as u32 & 0xffff,
            cdw3: (lbt >> 32) as u32,
            cdw14: lbt as u32,
            cdw15: tags.app_tag as u32 | (tags.app_mask as u32) << 16,
        }
    }

    /// The tags `sqe` carries for a namespace with this PI; the storage tag is
    /// `Some` when `stc` (CDW12 bit 24, Storage Tag Check) is set.
    pub const fn tags_of(&self, sqe: &Command) -> Tags {
        let space_mask = u128::MAX >> (128 - self.pif.space_bits() as u32);
        let lbt =
            ((sqe.cdw2 as u128 & 0xffff) << 64 | (sqe.cdw3 as u128) << 32 | sqe.cdw14 as u128)
                & space_mask;
        let stc = sqe.cdw12 & (1 << 24) != 0;
        Tags {
            ref_tag: (lbt & self.ref_mask() as u128) as u64,
            app_tag: sqe.cdw15 as u16,
            app_mask: (sqe.cdw15 >> 16) as u16,
            storage_tag: if stc {
                Some((lbt >> self.ref_bits()) as u64 & self.storage_mask())
            } else {
                None
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pi::{PiType, Pif};

    #[test]
    fn golden_dwords_per_format() {
        let tags = Tags::new(0x1122_3344_5566_7788)
            .with_app(0xabcd, 0xf0f0)
            .with_storage(0xffff_ffff_ffff_ffff);
        // 16b guard, 8-bit storage tag: 24 bits of reference tag in CDW14.
        let p16 = Pi::new(PiType::Type1, Pif::Guard16).with_sts(8);
        assert_eq!(
            p16.tag_dwords(&tags),
            TagDwords {
                cdw2: 0,
                cdw3: 0,
                cdw14: 0xff66_7788,
                cdw15: 0xf0f0_abcd
            }
        );
        // 64b guard, no storage tag: a 48-bit reference tag over CDW14 and CDW3.
        let p64 = Pi::new(PiType::Type1, Pif::Guard64);
        let d = p64.tag_dwords(&tags);
        assert_eq!((d.cdw2, d.cdw3, d.cdw14), (0, 0x3344, 0x5566_7788));
        // 32b guard, 16-bit storage tag: 64-bit reference tag, storage tag in CDW2.
        let p32 = Pi::new(PiType::Type1, Pif::Guard32).with_sts(16);
        let d = p32.tag_dwords(&tags);
        assert_eq!(
            (d.cdw2, d.cdw3, d.cdw14),
            (0xffff, 0x1122_3344, 0x5566_7788)
        );
    }

    #[test]
    fn dwords_round_trip_through_a_command() {
        for (pif, sts) in [
            (Pif::Guard16, 0),
            (Pif::Guard16, 16),
            (Pif::Guard64, 8),
            (Pif::Guard32, 40),
        ] {
            let pi = Pi::new(PiType::Type2, pif).with_sts(sts);
            let tags = Tags::new(0x0123_4567_89ab_cdef & pi.ref_mask())
                .with_app(7, 0xff00)
                .with_storage(0x5a5a_5a5a & pi.storage_mask());
            let d = pi.tag_dwords(&tags);
            let mut sqe = Command::new(0x02, 1);
            sqe.cdw2 = d.cdw2;
            sqe.cdw3 = d.cdw3;
            sqe.cdw14 = d.cdw14;
            sqe.cdw15 = d.cdw15;
            sqe.cdw12 = 1 << 24;
            assert_eq!(pi.tags_of(&sqe), tags, "{pif:?} sts {sts}");
            sqe.cdw12 = 0;
            assert_eq!(pi.tags_of(&sqe).storage_tag, None);
        }
    }
}
