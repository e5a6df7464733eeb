//! The few Identify fields the driver needs, read by offset from the 4 KiB
//! data structures (Base spec "Identify Controller Data Structure", NVM Command
//! Set spec "Identify Namespace Data Structure").

/// What the controller said about itself in Identify Controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtrlInfo {
    /// PCI Vendor ID (VID).
    pub vid: u16,
    /// Serial Number (SN), trailing spaces trimmed.
    pub sn: String,
    /// Model Number (MN), trailing spaces trimmed.
    pub mn: String,
    /// Firmware Revision (FR), trailing spaces trimmed.
    pub fr: String,
    /// Maximum Data Transfer Size, a power of two in units of CAP.MPSMIN
    /// (0: no limit).
    pub mdts: u8,
    /// Controller ID (CNTLID).
    pub cntlid: u16,
    /// Version (VER) as reported in Identify.
    pub ver: u32,
    /// Optional Admin Command Support (OACS).
    pub oacs: u16,
    /// Number of Namespaces (NN).
    pub nn: u32,
    /// SGL Support (SGLS).
    pub sgls: u32,
}

/// OACS bit 8: Doorbell Buffer Config supported.
pub(crate) const OACS_DBBUF: u16 = 1 << 8;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .trim_end_matches([' ', '\0'])
        .to_string()
}

fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}

fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

impl CtrlInfo {
    /// Parses an Identify Controller data structure (4096 bytes).
    pub(crate) fn parse(b: &[u8]) -> Option<CtrlInfo> {
        if b.len() < 4096 {
            return None;
        }
        Some(CtrlInfo {
            vid: le16(b, 0),
            sn: text(&b[4..24]),
            mn: text(&b[24..64]),
            fr: text(&b[64..72]),
            mdts: b[77],
            cntlid: le16(b, 78),
            ver: le32(b, 80),
            oacs: le16(b, 256),
            nn: le32(b, 516),
            sgls: le32(b, 536),
        })
    }
}

/// The LBA data size of a namespace from its Identify Namespace data, or
/// `None` for an inactive namespace (NSZE 0) or a nonsensical format.
pub(crate) fn ns_lba_size(b: &[u8]) -> Option<u32> {
    if b.len() < 4096 {
        return None;
    }
    let nsze = u64::from_le_bytes(b[0..8].try_into().ok()?);
    if nsze == 0 {
        return None;
    }
    let flbas = b[26];
    // FLBAS bits 3:0 and (with more than 16 formats) bits 6:5 pick the format.
    let idx = (flbas & 0xf) as usize | (((flbas >> 5) & 3) as usize) << 4;
    let lbads = *b.get(128 + idx * 4 + 2)?;
    (9..=31).contains(&lbads).then(|| 1u32 << lbads)
}

/// The nsids in an Active Namespace ID list (CNS 02h): ascending, ended by 0.
pub(crate) fn ns_list(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .take_while(|&n| n != 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_identify_controller_fields() {
        let mut b = vec![0u8; 4096];
        b[0..2].copy_from_slice(&0x1b36u16.to_le_bytes());
        b[4..24].copy_from_slice(b"nvmeqA              ");
        b[24..64].copy_from_slice(b"QEMU NVMe Ctrl                          ");
        b[64..72].copy_from_slice(b"7.2.0   ");
        b[77] = 7;
        b[256..258].copy_from_slice(&0x012au16.to_le_bytes());
        b[516..520].copy_from_slice(&256u32.to_le_bytes());
        let i = CtrlInfo::parse(&b).unwrap();
        assert_eq!(i.vid, 0x1b36);
        assert_eq!(i.sn, "nvmeqA");
        assert_eq!(i.mn, "QEMU NVMe Ctrl");
        assert_eq!(i.fr, "7.2.0");
        assert_eq!(i.mdts, 7);
        assert_ne!(i.oacs & OACS_DBBUF, 0);
        assert_eq!(i.nn, 256);
        assert_eq!(CtrlInfo::parse(&b[..100]), None);
    }

    #[test]
    fn lba_size_follows_flbas() {
        let mut b = vec![0u8; 4096];
        assert_eq!(ns_lba_size(&b), None, "inactive");
        b[0] = 1;
        b[128 + 2] = 9; // format 0: 512 B
        b[128 + 4 + 2] = 12; // format 1: 4 KiB
        assert_eq!(ns_lba_size(&b), Some(512));
        b[26] = 1;
        assert_eq!(ns_lba_size(&b), Some(4096));
        b[26] = 2; // format 2 is all zero: LBADS 0 is invalid
        assert_eq!(ns_lba_size(&b), None);
        // Format 17 through the upper FLBAS bits.
        b[26] = 0x21;
        b[128 + 17 * 4 + 2] = 13;
        assert_eq!(ns_lba_size(&b), Some(8192));
    }

    #[test]
    fn namespace_list_stops_at_zero() {
        let mut b = vec![0u8; 4096];
        b[0..4].copy_from_slice(&1u32.to_le_bytes());
        b[4..8].copy_from_slice(&2u32.to_le_bytes());
        assert_eq!(ns_list(&b), vec![1, 2]);
        assert!(ns_list(&[0; 4096]).is_empty());
    }
}
