//! The words libnvme 1.13 gives fabrics values in the discovery pages
//! nvme-cli 2.13 prints (`nvmf_trtype_str` and its siblings): a value
//! outside its table is "unrecognized".

use nvmeq_core::fabrics::discovery::{AdrFam, TrType};

const UNRECOGNIZED: &str = "unrecognized";

/// TRTYPE.
pub fn trtype(t: u8) -> &'static str {
    match TrType(t) {
        TrType::RDMA => "rdma",
        TrType::FC => "fc",
        TrType::TCP => "tcp",
        TrType::LOOP => "loop",
        _ => UNRECOGNIZED,
    }
}

/// ADRFAM (0 is PCIe in this table).
pub fn adrfam(a: u8) -> &'static str {
    match AdrFam(a) {
        AdrFam(0) => "pci",
        AdrFam::IPV4 => "ipv4",
        AdrFam::IPV6 => "ipv6",
        AdrFam::IB => "infiniband",
        AdrFam::FC => "fibre-channel",
        _ => UNRECOGNIZED,
    }
}

/// EFLAGS: bit 0 duplicate information, bit 1 explicit persistent
/// connections, bit 2 no CDC connectivity; higher bits are unrecognized.
pub fn eflags(e: u16) -> &'static str {
    match e {
        0 => "none",
        1 => "duplicate discovery information",
        2 => "explicit discovery connections",
        3 => "explicit discovery connections, duplicate discovery information",
        4 => "no cdc connectivity",
        5 => "duplicate discovery information, no cdc connectivity",
        6 => "explicit discovery connections, no cdc connectivity",
        7 => "explicit discovery connections, duplicate discovery information, no cdc connectivity",
        _ => UNRECOGNIZED,
    }
}

/// TCP SECTYPE.
pub fn sectype(s: u8) -> &'static str {
    match s {
        0 => "none",
        1 => "tls",
        2 => "tls13",
        _ => UNRECOGNIZED,
    }
}

/// RDMA_PRTYPE.
pub fn prtype(p: u8) -> &'static str {
    match p {
        1 => "not specified",
        2 => "infiniband",
        3 => "roce",
        4 => "roce-v2",
        5 => "iwarp",
        _ => UNRECOGNIZED,
    }
}

/// RDMA_QPTYPE.
pub fn qptype(q: u8) -> &'static str {
    match q {
        1 => "connected",
        2 => "datagram",
        _ => UNRECOGNIZED,
    }
}

/// RDMA_CMS.
pub fn cms(c: u8) -> &'static str {
    match c {
        1 => "rdma-cm",
        _ => UNRECOGNIZED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!((trtype(3), trtype(9)), ("tcp", "unrecognized"));
        assert_eq!(
            (adrfam(0), adrfam(4), adrfam(0xfe)),
            ("pci", "fibre-channel", "unrecognized")
        );
        assert_eq!(
            eflags(3),
            "explicit discovery connections, duplicate discovery information"
        );
        assert_eq!(
            (sectype(1), prtype(4), qptype(2), cms(1)),
            ("tls", "roce-v2", "datagram", "rdma-cm")
        );
    }
}
