//! `-H` for `id-ns` and `cmdset-ind-id-ns`: each field's bits decoded under
//! its line, worded and laid out as nvme-cli 2.13 does (`  [hi:lo] : value`,
//! a tab, the meaning; a blank line after each field; reserved bits only
//! when set).

use nvmeq_core::identify::{IdentifyNamespace, IdentifyNamespaceIndependent};

use super::bits::{bit, not, Bits};
use crate::output::cx;

/// NSFEAT of CNS 00h.
pub fn nsfeat(v: u8) -> String {
    let x = u64::from(v);
    let optperf = (v >> 4) & 3;
    let mut b = Bits::default();
    b.sup(x, 7, "NPRG, NPRA and NORS are")
        .field(
            x,
            6,
            6,
            &format!(
                "{} Atomicity Mode applies to write operations",
                if bit(v, 6) { "Multiple" } else { "Single" }
            ),
        )
        .field(
            x,
            5,
            4,
            &format!(
                "NPWG, NPWA, {}{}NPDA, and NOWS are {}Supported",
                if optperf & 1 != 0 || optperf == 0 {
                    "NPDG, "
                } else {
                    ""
                },
                if optperf & 2 != 0 || optperf == 0 {
                    "NPDGL, "
                } else {
                    ""
                },
                not(optperf != 0, "Not ")
            ),
        )
        .field(
            x,
            3,
            3,
            &format!(
                "NGUID and EUI64 fields if non-zero, {}Reused",
                if bit(v, 3) { "Never " } else { "" }
            ),
        )
        .sup(x, 2, "Deallocated or Unwritten Logical Block error")
        .field(
            x,
            1,
            1,
            &format!(
                "Namespace uses {}",
                if bit(v, 1) {
                    "NAWUN, NAWUPF, and NACWU"
                } else {
                    "AWUN, AWUPF, and ACWU"
                }
            ),
        )
        .sup(x, 0, "Thin Provisioning");
    b.done()
}

/// FLBAS.
pub fn flbas(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 7)
        .field(
            x,
            6,
            5,
            "Most significant 2 bits of Current LBA Format Selected",
        )
        .field(
            x,
            4,
            4,
            &format!(
                "Metadata Transferred {}",
                if bit(v, 4) {
                    "at End of Data LBA"
                } else {
                    "in Separate Contiguous Buffer"
                }
            ),
        )
        .field(
            x,
            3,
            0,
            "Least significant 4 bits of Current LBA Format Selected",
        );
    b.done()
}

/// MC.
pub fn mc(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 2).sup(x, 1, "Metadata Pointer").sup(
        x,
        0,
        "Metadata as Part of Extended Data LBA",
    );
    b.done()
}

/// DPC.
pub fn dpc(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 5).sups(
        x,
        &[
            (
                4,
                "Protection Information Transferred as Last Bytes of Metadata",
            ),
            (
                3,
                "Protection Information Transferred as First Bytes of Metadata",
            ),
            (2, "Protection Information Type 3"),
            (1, "Protection Information Type 2"),
            (0, "Protection Information Type 1"),
        ],
    );
    b.done()
}

/// DPS.
pub fn dps(v: u8) -> String {
    let x = u64::from(v);
    let pit = match v & 7 {
        3 => "Type 3 Enabled",
        2 => "Type 2 Enabled",
        1 => "Type 1 Enabled",
        0 => "Disabled",
        _ => "Reserved Enabled",
    };
    let mut b = Bits::default();
    b.reserved(x, 7, 4)
        .field(
            x,
            3,
            3,
            &format!(
                "Protection Information is Transferred as {} Bytes of Metadata",
                if bit(v, 3) { "First" } else { "Last" }
            ),
        )
        .field(x, 2, 0, &format!("Protection Information {pit}"));
    b.done()
}

/// NMIC.
pub fn nmic(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 2)
        .field(
            x,
            1,
            1,
            &format!(
                "Namespace is {}a Dispersed Namespace",
                not(bit(v, 1), "Not ")
            ),
        )
        .field(
            x,
            0,
            0,
            &format!("Namespace Multipath {}Capable", not(bit(v, 0), "Not ")),
        );
    b.done()
}

/// RESCAP.
pub fn rescap(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.field(
        x,
        7,
        7,
        &format!(
            "Ignore Existing Key - Used as defined in revision {}",
            if bit(v, 7) {
                "1.3 or later"
            } else {
                "1.2.1 or earlier"
            }
        ),
    );
    b.sups(
        x,
        &[
            (6, "Exclusive Access - All Registrants"),
            (5, "Write Exclusive - All Registrants"),
            (4, "Exclusive Access - Registrants Only"),
            (3, "Write Exclusive - Registrants Only"),
            (2, "Exclusive Access"),
            (1, "Write Exclusive"),
            (0, "Persist Through Power Loss"),
        ],
    );
    b.done()
}

/// FPI.
pub fn fpi(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.sup(x, 7, "Format Progress Indicator");
    if v != 0 {
        b.field(
            x,
            6,
            0,
            &format!("Format Progress Indicator (Remaining {}%)", v & 0x7f),
        );
    }
    b.done()
}

/// NSATTR.
pub fn nsattr(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 1).field(
        x,
        0,
        0,
        &format!("Namespace {}Write Protected", not(bit(v, 0), "Not ")),
    );
    b.done()
}

/// DLFEAT.
pub fn dlfeat(v: u8) -> String {
    let x = u64::from(v);
    let read = match v & 7 {
        2 => "0xFF",
        1 => "0x00",
        0 => "Not Reported",
        _ => "Reserved Value",
    };
    let mut b = Bits::default();
    b.reserved(x, 7, 5)
        .field(
            x,
            4,
            4,
            &format!(
                "Guard Field of Deallocated Logical Blocks is set to {}",
                if bit(v, 4) {
                    "CRC of The Value Read"
                } else {
                    "0xFFFF"
                }
            ),
        )
        .sup(x, 3, "Deallocate Bit in the Write Zeroes Command is")
        .field(
            x,
            2,
            0,
            &format!("Bytes Read From a Deallocated Logical Block and its Metadata are {read}"),
        );
    b.done()
}

/// KPIOS.
pub fn kpios(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    b.reserved(x, 7, 2)
        .sup(x, 1, "Key Per I/O Capability")
        .field(
            x,
            0,
            0,
            &format!(
                "Key Per I/O Capability {}",
                if bit(v, 0) { "Enabled" } else { "Disabled" }
            ),
        );
    b.done()
}

/// NSFEAT of CNS 08h (its own bits: volatile write cache, rotational media).
pub fn independent_nsfeat(v: u8) -> String {
    let x = u64::from(v);
    let mut b = Bits::default();
    // nvme-cli shifts its 7:6 mask by 6 (bit 5 never shows as reserved).
    if v >> 6 != 0 {
        b.line(&format!("  [7:6] : {}\tReserved", cx(v >> 6)));
    }
    b.field(
        x,
        5,
        5,
        &format!("Volatile Write Cache is {}Present", not(bit(v, 5), "Not ")),
    )
    .field(
        x,
        4,
        4,
        &format!(
            "Namespace {}store data on rotational media",
            not(bit(v, 4), "does not ")
        ),
    )
    .field(
        x,
        3,
        3,
        &format!(
            "NGUID and EUI64 fields if non-zero, {}Reused",
            if bit(v, 3) { "Never " } else { "" }
        ),
    )
    .reserved(x, 2, 0);
    b.done()
}

/// NSTAT.
pub fn nstat(v: u8) -> String {
    let x = u64::from(v);
    let ioi = [
        "I/O performance degradation is not reported",
        "Reserved",
        "I/O performance is not currently degraded",
        "I/O performance is currently degraded",
    ][usize::from((v >> 1) & 3)];
    let mut b = Bits::default();
    b.reserved(x, 7, 3).field(x, 2, 1, ioi).field(
        x,
        0,
        0,
        &format!("Name space is {}ready", not(bit(v, 0), "not ")),
    );
    b.done()
}

/// The relative performance's name.
fn rp_name(rp: u8) -> &'static str {
    match rp {
        3 => "Degraded",
        2 => "Good",
        1 => "Better",
        _ => "Best",
    }
}

/// `id-ns -H`: the plain layout with each field's bits under it, the sizes
/// named, nvme-cli 2.13's `kpios` and `kpiodaag` lines, and the LBA formats
/// spelt out.
pub fn id_ns(plain: &str, n: &IdentifyNamespace) -> String {
    let in_use = n.flbas_index();
    let mut out = String::new();
    for line in plain.split_inclusive('\n') {
        let key = line.split(':').next().unwrap_or("").trim();
        let decoded = match key {
            "nsze" | "ncap" | "nuse" => {
                let what = match key {
                    "nsze" => "Total",
                    "ncap" => "Maximum",
                    _ => "Current",
                };
                out += &format!("{}\t{what} size in logical blocks\n", line.trim_end());
                continue;
            }
            "nsfeat" => nsfeat(n.nsfeat),
            "flbas" => flbas(n.flbas),
            "mc" => mc(n.mc),
            "dpc" => dpc(n.dpc),
            "dps" => dps(n.dps),
            "nmic" => nmic(n.nmic),
            "rescap" => rescap(n.rescap),
            "fpi" => fpi(n.fpi),
            "dlfeat" => dlfeat(n.dlfeat),
            "nsattr" => nsattr(n.nsattr),
            // nvme-cli 2.13 has these two lines where nvmeq's plain (2.3)
            // layout has none: -H, a 2.13 form, prints them.
            "msrc" => format!("kpios   : {}\n{}", n.kpios, kpios(n.kpios)),
            "nulbaf" => format!("kpiodaag: {}\n", n.kpiodaag),
            k if k.starts_with("lbaf ") => {
                let Some(i) = k[5..].trim().parse::<usize>().ok() else {
                    out += line;
                    continue;
                };
                let f = n.lbaf[i];
                out += &format!(
                    "LBA Format {i:2} : Metadata Size: {:<3} bytes - Data Size: {:<2} bytes - \
                     Relative Performance: {} {} {}\n",
                    f.ms(),
                    1u64 << f.lbads(),
                    cx(f.rp()),
                    rp_name(f.rp()),
                    if i == in_use { "(in use)" } else { "" }
                );
                continue;
            }
            _ => String::new(),
        };
        out += line;
        out += &decoded;
    }
    out
}

/// `cmdset-ind-id-ns -H`.
pub fn independent(plain: &str, n: &IdentifyNamespaceIndependent) -> String {
    let mut out = String::new();
    for line in plain.split_inclusive('\n') {
        let key = line.split(':').next().unwrap_or("").trim();
        let decoded = match key {
            "nsfeat" => independent_nsfeat(n.nsfeat),
            "nmic" => nmic(n.nmic),
            "rescap" => rescap(n.rescap),
            "fpi" => fpi(n.fpi),
            "nsattr" => nsattr(n.nsattr),
            "nstat" => nstat(n.nstat),
            "kpios" => kpios(n.kpios),
            _ => String::new(),
        };
        out += line;
        out += &decoded;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_decode_as_nvme_cli() {
        assert_eq!(
            dps(0x0a),
            "  [3:3] : 0x1\tProtection Information is Transferred as First Bytes of Metadata\n  \
             [2:0] : 0x2\tProtection Information Type 2 Enabled\n\n"
        );
        assert_eq!(
            mc(0x07),
            "  [7:2] : 0x1\tReserved\n  [1:1] : 0x1\tMetadata Pointer Supported\n  \
             [0:0] : 0x1\tMetadata as Part of Extended Data LBA Supported\n\n"
        );
        assert_eq!(
            fpi(0),
            "  [7:7] : 0\tFormat Progress Indicator Not Supported\n\n"
        );
        assert_eq!(
            fpi(0x85),
            "  [7:7] : 0x1\tFormat Progress Indicator Supported\n  \
             [6:0] : 0x5\tFormat Progress Indicator (Remaining 5%)\n\n"
        );
        assert!(nsfeat(0)
            .contains("  [5:4] : 0\tNPWG, NPWA, NPDG, NPDGL, NPDA, and NOWS are Not Supported\n"));
        assert!(nsfeat(0x10)
            .contains("  [5:4] : 0x1\tNPWG, NPWA, NPDG, NPDA, and NOWS are Supported\n"));
        assert!(dlfeat(0x09).ends_with(
            "  [2:0] : 0x1\tBytes Read From a Deallocated Logical Block and its Metadata are 0x00\n\n"
        ));
        assert_eq!(
            nstat(1),
            "  [2:1] : 0\tI/O performance degradation is not reported\n  \
             [0:0] : 0x1\tName space is ready\n\n"
        );
        assert_eq!(
            independent_nsfeat(0x28),
            "  [5:5] : 0x1\tVolatile Write Cache is Present\n  \
             [4:4] : 0\tNamespace does not store data on rotational media\n  \
             [3:3] : 0x1\tNGUID and EUI64 fields if non-zero, Never Reused\n\n"
        );
    }
}
